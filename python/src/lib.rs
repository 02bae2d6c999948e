//! `qcs._qcs`: the Python extension module of `qcs` (PyO3, abi3 for CPython ≥ 3.9).
//!
//! Everything here is a thin layer over `qcs-host` and `qcs-core`, the code the `qcs` CLI runs:
//! [`measure`] is `qcs measure` ([`qcs_host::sensing::measure_frame`]), [`Frame`] is the core's
//! frame decoder, [`Reconstructor`] is `qcs reconstruct` ([`qcs_host::reconstruct::reconstruct`]
//! with the [`NetworkPrior`]), so the same seeds give the same bits in Python and on the command
//! line. Errors become Python exceptions with the CLI's messages: `OSError` for files that
//! cannot be read, `ValueError` for everything else. The Python package `qcs` (python/qcs/)
//! re-exports these with docstrings and type stubs.
// PyO3's macros expand to unsafe FFI glue (the crate itself writes no unsafe code).
#![allow(unsafe_code)]

use anyhow::{anyhow, ensure, Result};
use numpy::{PyArray1, PyArrayMethods, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyList, PyString, PyTuple};
use qcs_core::frame::{
    self, DescribedOperator, FrameOperator, OperatorKind, QuantizerSpec, SignalShape,
};
use qcs_core::langevin::Schedule;
use qcs_core::operator::{Scaling, SensingOperator};
use qcs_core::rng;
use qcs_host::budget::{self, DEFAULT_MAX_MEMORY};
use qcs_host::matrix::SensingMatrix;
use qcs_host::model::{Device, ScoreModel};
use qcs_host::pnp::{self, reconstruct_pnp, PnpOptions, PnpSettings};
use qcs_host::prior::{NetworkPrior, PriorConfig};
use qcs_host::problem::Problem;
use qcs_host::reconstruct::{budget_levels, default_epsilon, reconstruct, SamplerSettings};
use qcs_host::sensing::{self, SensorQuantizer, SensorSettings};
use qcs_host::{data, frame_file};
use std::path::PathBuf;
use std::sync::Mutex;

/// The paper's sampler (Algorithm 1).
const QCS_SGM: &str = "qcs-sgm";
/// The default sampler: `pnp-probit` ([`qcs_host::pnp`]), which measures best on every cell of
/// `docs/RESULTS.md` experiment 6 at a tenth of the paper sampler's calls; as `qcs reconstruct`.
const METHOD: &str = pnp::METHOD;

/// An error as a Python exception: `OSError` when a file could not be read (an I/O error in its
/// chain), `ValueError` otherwise; the message is the CLI's (`{e:#}`).
fn value_or_os_error(e: anyhow::Error) -> PyErr {
    let msg = format!("{e:#}");
    if e.chain().any(|c| c.is::<std::io::Error>()) {
        PyOSError::new_err(msg)
    } else {
        PyValueError::new_err(msg)
    }
}

/// An error about a file (missing, a directory, unreadable) as `OSError`.
fn os_error(e: anyhow::Error) -> PyErr {
    PyOSError::new_err(format!("{e:#}"))
}

/// `x` as a C-contiguous `float32` numpy array (a copy only when needed).
fn as_f32<'py>(x: &Bound<'py, PyAny>) -> PyResult<PyReadonlyArrayDyn<'py, f32>> {
    let np = x.py().import("numpy")?;
    let kwargs = pyo3::types::PyDict::new(x.py());
    kwargs.set_item("dtype", np.getattr("float32")?)?;
    np.call_method("ascontiguousarray", (x,), Some(&kwargs))?
        .extract()
        .map_err(|e: PyErr| PyValueError::new_err(format!("x: not a float32 array: {e}")))
}

/// A 2-D array as a sensing matrix (`float32` values, C order); `label` names it in errors.
fn sensing_matrix(a: &Bound<'_, PyAny>, label: &str) -> PyResult<SensingMatrix> {
    let arr = as_f32(a)?;
    let [rows, cols] = arr.shape()[..] else {
        return Err(PyValueError::new_err(format!(
            "{label}: an array of shape {:?}; a sensing matrix is 2-D, (M, N)",
            arr.shape()
        )));
    };
    SensingMatrix::new(
        arr.as_slice()?.to_vec(),
        rows,
        cols,
        std::path::Path::new(label),
    )
    .map_err(value_or_os_error)
}

/// The fingerprint that names a dense matrix in a frame; see `qcs.matrix_fingerprint`.
#[pyfunction]
fn matrix_fingerprint(a: &Bound<'_, PyAny>) -> PyResult<u64> {
    Ok(sensing_matrix(a, "a")?.fingerprint)
}

/// The operator named `name`: the core's names (`seeded`, `structured`, `dense`) and
/// `gaussian`, an alias of `seeded`.
fn operator_kind(name: &str) -> Result<OperatorKind> {
    if name == "gaussian" {
        return Ok(OperatorKind::SeededGaussian);
    }
    OperatorKind::from_name(name).map_err(|_| {
        anyhow!("--operator {name}: expected gaussian (an alias of seeded), seeded or structured")
    })
}

/// The scaling named as the CLI's `--scaling` values.
fn scaling(name: &str) -> Result<Scaling> {
    Ok(match name {
        "per-measurement" => Scaling::PerMeasurement,
        "unit" => Scaling::Unit,
        "unit-rows" => Scaling::UnitRows,
        _ => anyhow::bail!("--scaling {name}: expected per-measurement, unit or unit-rows"),
    })
}

/// The CLI's (`--scaling`) name of a scaling.
fn scaling_name(s: Scaling) -> &'static str {
    match s {
        Scaling::PerMeasurement => "per-measurement",
        Scaling::Unit => "unit",
        Scaling::UnitRows => "unit-rows",
    }
}

/// `y = Q(Ax + n)` of `x` into a measurement frame (`qcs measure`); see `qcs.measure`.
#[pyfunction]
#[pyo3(signature = (x, *, measurements, bits=1, sigma=0.05, operator="gaussian", seed=12345,
    noise_seed=1, delta=None, thresholds=None, codewords=None, counter=0,
    scaling="per-measurement", matrix=None))]
#[allow(clippy::too_many_arguments)]
fn measure<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    measurements: i64,
    bits: i64,
    sigma: f32,
    operator: &str,
    seed: u64,
    noise_seed: u64,
    delta: Option<f32>,
    thresholds: Option<Vec<f32>>,
    codewords: Option<Vec<f32>>,
    counter: u32,
    scaling: &str,
    matrix: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let matrix = matrix.map(|a| sensing_matrix(a, "matrix")).transpose()?;
    let settings = (|| -> Result<SensorSettings> {
        ensure!(
            (0..=16).contains(&bits),
            "--bits {bits} is out of range: expected 0 (unquantized) to 16"
        );
        ensure!(
            measurements >= 1,
            "--measurements {measurements} is out of range: a frame holds 1 ..= {} (2^24) \
             measurements",
            frame::MAX_M
        );
        let quantizer = SensorQuantizer::from_options(
            bits as u8,
            delta,
            thresholds.as_deref(),
            codewords.as_deref(),
        )?;
        let s = SensorSettings {
            measurements: measurements as usize,
            quantizer,
            sigma,
            operator: operator_kind(operator)?,
            scaling: self::scaling(scaling)?,
            seed,
            counter,
        };
        sensing::check_settings(&s)?;
        Ok(s)
    })()
    .map_err(value_or_os_error)?;
    let arr = as_f32(x)?;
    let dims = arr.shape().to_vec();
    let shape = (|| -> Result<SignalShape> {
        let u = |v: usize| u32::try_from(v).map_err(|_| anyhow!("x: dimension {v} is too large"));
        let core = |e: qcs_core::Error| anyhow!("x: shape {dims:?}: {e}");
        match dims.as_slice() {
            [n] => {
                let s = SignalShape::vector(u(*n)?);
                s.validate().map_err(core)?;
                Ok(s)
            }
            [h, w] => SignalShape::image(u(*h)?, u(*w)?, 1).map_err(core),
            [h, w, c] => SignalShape::image(u(*h)?, u(*w)?, u(*c)?).map_err(core),
            _ => anyhow::bail!("x: an array of shape {dims:?}; expected (H, W), (H, W, C) or (N,)"),
        }
    })()
    .map_err(value_or_os_error)?;
    let values = arr.as_slice()?;
    let bytes = py
        .detach(|| {
            let mut noise = rng::stream_rng(noise_seed, 0);
            match &matrix {
                None => sensing::measure_frame(values, shape, &settings, &mut noise),
                Some(a) => {
                    ensure!(
                        (a.rows, a.cols) == (settings.measurements, values.len()),
                        "matrix: {} × {}, but measurements = {} and x has {} values",
                        a.rows,
                        a.cols,
                        settings.measurements,
                        values.len()
                    );
                    let op = a.named(settings.scaling)?;
                    sensing::measure_frame_with(&op, values, shape, &settings, &mut noise)
                }
            }
        })
        .map_err(value_or_os_error)?
        .frame;
    Ok(PyBytes::new(py, &bytes))
}

/// A frame's bytes from `bytes`, `bytearray`, a `Frame`, or a path (`str` / `os.PathLike`),
/// and a name for it in messages. `None` for anything else.
fn frame_bytes(obj: &Bound<'_, PyAny>, label: &str) -> PyResult<Option<(Vec<u8>, String)>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Some((b.as_bytes().to_vec(), label.to_string())));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(Some((b.to_vec(), label.to_string())));
    }
    if let Ok(f) = obj.cast::<Frame>() {
        return Ok(Some((f.get().bytes.clone(), label.to_string())));
    }
    let os = obj.py().import("os")?;
    if obj.is_instance_of::<PyString>() || obj.is_instance(&os.getattr("PathLike")?)? {
        let path: PathBuf = obj.extract()?;
        let bytes = frame_file::read_frame(&path).map_err(|e| {
            // The frame's own checks are ValueError; the file's (missing, a directory) OSError.
            if format!("{e}").contains(": invalid frame: ") {
                value_or_os_error(e)
            } else {
                os_error(e)
            }
        })?;
        return Ok(Some((bytes, path.display().to_string())));
    }
    Ok(None)
}

/// A decoded measurement frame; see `qcs.Frame`.
#[pyclass(frozen, module = "qcs._qcs")]
struct Frame {
    bytes: Vec<u8>,
    #[pyo3(get)]
    counter: u32,
    #[pyo3(get)]
    n: usize,
    #[pyo3(get)]
    height: u32,
    #[pyo3(get)]
    width: u32,
    #[pyo3(get)]
    channels: u32,
    #[pyo3(get)]
    m: usize,
    #[pyo3(get)]
    sigma: f32,
    #[pyo3(get)]
    seed: u64,
    #[pyo3(get)]
    operator_kind: &'static str,
    #[pyo3(get)]
    scaling: &'static str,
    #[pyo3(get)]
    quantizer: &'static str,
    #[pyo3(get)]
    bits: u8,
    #[pyo3(get)]
    delta: Option<f32>,
    #[pyo3(get)]
    thresholds: Option<Vec<f32>>,
    #[pyo3(get)]
    codewords: Option<Vec<f32>>,
    #[pyo3(get)]
    crc: u32,
    codes: Option<Vec<u16>>,
    values: Option<Vec<f32>>,
    /// `None` for a dense matrix, which the frame names and does not carry.
    op: Option<FrameOperator>,
}

impl Frame {
    fn from_bytes(bytes: Vec<u8>, what: &str) -> Result<Self> {
        let f = frame::decode(&bytes).map_err(|e| anyhow!("{what}: invalid frame: {e}"))?;
        let h = f.header();
        let core = |e: qcs_core::Error| anyhow!("{what}: {e}");
        let m = h.m();
        let (mut codes, mut values) = (None, None);
        let (mut delta, mut thresholds, mut codewords) = (None, None, None);
        match h.quantizer {
            QuantizerSpec::Unquantized => {
                let mut y = vec![0.0; m];
                f.values(&mut y).map_err(core)?;
                values = Some(y);
            }
            ref q => {
                let mut c = vec![0u16; m];
                f.unpack_codes(&mut c).map_err(core)?;
                codes = Some(c);
                match q {
                    QuantizerSpec::Uniform { bits, delta: d } if *bits >= 2 => delta = Some(*d),
                    QuantizerSpec::Thresholds {
                        thresholds: t,
                        codewords: c,
                        ..
                    } => {
                        thresholds = Some(t.iter().collect());
                        codewords = Some(c.iter().collect());
                    }
                    _ => {}
                }
            }
        }
        let op = match h.operator.kind {
            OperatorKind::Dense => None,
            _ => Some(h.operator().map_err(core)?),
        };
        let s = h.signal;
        Ok(Frame {
            counter: h.counter,
            n: h.n(),
            height: s.height,
            width: s.width,
            channels: s.channels,
            m,
            sigma: h.sigma,
            seed: h.operator.seed,
            operator_kind: h.operator.kind.name(),
            scaling: scaling_name(h.operator.scaling),
            quantizer: h.quantizer.kind().name(),
            bits: h.quantizer.bits().unwrap_or(0),
            delta,
            thresholds,
            codewords,
            crc: f.crc(),
            codes,
            values,
            op,
            bytes,
        })
    }
}

#[pymethods]
impl Frame {
    /// Decodes and checks a frame.
    #[staticmethod]
    fn decode(data: &Bound<'_, PyAny>) -> PyResult<Self> {
        let (bytes, what) = frame_bytes(data, "frame")?.ok_or_else(|| {
            PyValueError::new_err("frame: expected bytes, bytearray, a Frame or a path")
        })?;
        Frame::from_bytes(bytes, &what).map_err(value_or_os_error)
    }

    /// The signal's shape: `(H, W)`, `(H, W, C)` for several channels, `(N,)` for a vector.
    #[getter]
    fn shape<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        if self.height == 0 {
            PyTuple::new(py, [self.n])
        } else if self.channels == 1 {
            PyTuple::new(py, [self.height as usize, self.width as usize])
        } else {
            PyTuple::new(
                py,
                [
                    self.height as usize,
                    self.width as usize,
                    self.channels as usize,
                ],
            )
        }
    }

    /// The codes (`uint16`, one per measurement); `None` for an unquantized frame.
    #[getter]
    fn codes<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyArray1<u16>>> {
        self.codes.as_deref().map(|c| PyArray1::from_slice(py, c))
    }

    /// The unquantized measurements `y` (`float32`); `None` for a quantized frame.
    #[getter]
    fn values<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyArray1<f32>>> {
        self.values.as_deref().map(|v| PyArray1::from_slice(py, v))
    }

    /// The operator `A` the frame describes; ValueError for a dense matrix (named by its
    /// fingerprint, `seed`, and not carried).
    #[getter]
    fn operator(&self) -> PyResult<Operator> {
        let op = self.op.ok_or_else(|| {
            PyValueError::new_err(format!(
                "operator: the frame names a dense {} × {} matrix by its fingerprint {:#018x} \
                 and does not carry it",
                self.m, self.n, self.seed
            ))
        })?;
        Ok(Operator {
            op,
            transposed: false,
        })
    }

    /// The frame's bytes.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.bytes)
    }

    fn __bytes__<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        self.to_bytes(py)
    }

    fn __len__(&self) -> usize {
        self.bytes.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "Frame(counter={}, n={}, shape=({}), m={}, quantizer='{}', bits={}, sigma={}, \
             operator='{}', seed={}, {} bytes)",
            self.counter,
            self.n,
            if self.height == 0 {
                format!("{},", self.n)
            } else if self.channels == 1 {
                format!("{}, {}", self.height, self.width)
            } else {
                format!("{}, {}, {}", self.height, self.width, self.channels)
            },
            self.m,
            self.quantizer,
            self.bits,
            self.sigma,
            self.operator_kind,
            self.seed,
            self.bytes.len()
        )
    }
}

/// The operator `A` of a frame (or its transpose), regenerated from its seed; see `qcs.Operator`.
#[pyclass(frozen, module = "qcs._qcs")]
struct Operator {
    op: FrameOperator,
    transposed: bool,
}

impl Operator {
    fn dims(&self) -> (usize, usize) {
        let (m, n) = (self.op.rows(), self.op.cols());
        if self.transposed {
            (n, m)
        } else {
            (m, n)
        }
    }
}

#[pymethods]
impl Operator {
    /// `(rows, columns)`: `(M, N)` for `A`, `(N, M)` for `A.T`.
    #[getter]
    fn shape(&self) -> (usize, usize) {
        self.dims()
    }

    /// The transpose (the adjoint `Aᵀ`).
    #[getter(T)]
    fn transpose(&self) -> Operator {
        Operator {
            op: self.op,
            transposed: !self.transposed,
        }
    }

    /// `seeded` or `structured`.
    #[getter]
    fn kind(&self) -> &'static str {
        self.op.operator_spec().kind.name()
    }

    /// `A @ x` (or `A.T @ r`): `x` any array with as many values as columns, flattened.
    fn __matmul__<'py>(
        &self,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray1<f32>>> {
        let arr = as_f32(x)?;
        let (rows, cols) = self.dims();
        let xs = arr.as_slice()?;
        if xs.len() != cols {
            return Err(PyValueError::new_err(format!(
                "operator: x has {} values, the operator has {cols} columns",
                xs.len()
            )));
        }
        let mut out = vec![0.0f32; rows];
        let mut scratch = vec![0.0f32; self.op.scratch_len()];
        let r = if self.transposed {
            self.op.adjoint(xs, &mut out, &mut scratch)
        } else {
            self.op.forward(xs, &mut out, &mut scratch)
        };
        r.map_err(|e| PyValueError::new_err(format!("operator: {e}")))?;
        Ok(PyArray1::from_vec(py, out))
    }

    fn __call__<'py>(
        &self,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray1<f32>>> {
        self.__matmul__(py, x)
    }

    /// The dense matrix, `float32` of [`shape`](Self::shape).
    fn to_dense<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let (m, n) = (self.op.rows(), self.op.cols());
        let len = m
            .checked_mul(n)
            .ok_or_else(|| PyValueError::new_err("operator: M·N overflows"))?;
        let mut data = vec![0.0f32; len];
        match &self.op {
            FrameOperator::SeededGaussian(op) => op.materialize(&mut data),
            FrameOperator::Structured(op) => {
                op.materialize(&mut data, &mut vec![0.0; op.scratch_len()])
            }
        }
        .map_err(|e| PyValueError::new_err(format!("operator: {e}")))?;
        let a = PyArray1::from_vec(py, data).reshape([m, n])?.into_any();
        if self.transposed {
            a.getattr("T")?.call_method0("copy")
        } else {
            Ok(a)
        }
    }

    fn __repr__(&self) -> String {
        let (r, c) = self.dims();
        let spec = self.op.operator_spec();
        format!(
            "Operator(kind='{}', seed={}, scaling='{}', shape=({r}, {c}){})",
            spec.kind.name(),
            spec.seed,
            scaling_name(spec.scaling),
            if self.transposed { ", transposed" } else { "" }
        )
    }
}

/// A network prior kept for the next frame of the same shape and number of samples.
struct CachedPrior {
    shape: [usize; 3],
    chains: usize,
    prior: NetworkPrior,
}

/// One frame, checked and ready to sample.
struct Job {
    what: String,
    problem: Problem,
    shape: [usize; 3],
    settings: JobSettings,
}

/// The settings of the reconstructor's sampler.
enum JobSettings {
    /// Algorithm 1.
    QcsSgm(SamplerSettings),
    /// The plug-and-play sampler.
    Pnp(PnpSettings),
}

impl JobSettings {
    fn chains(&self) -> usize {
        match self {
            JobSettings::QcsSgm(s) => s.chains,
            JobSettings::Pnp(s) => s.chains,
        }
    }

    fn seed(&self) -> u64 {
        match self {
            JobSettings::QcsSgm(s) => s.seed,
            JobSettings::Pnp(s) => s.seed,
        }
    }

    /// The schedule as `report["schedule"]`.
    fn schedule_json(&self) -> serde_json::Value {
        match self {
            JobSettings::QcsSgm(settings) => {
                let s = &settings.schedule;
                serde_json::json!({
                    "beta_max": s.beta_max,
                    "beta_min": s.beta_min,
                    "levels": s.levels,
                    "steps_per_level": s.steps_per_level,
                    "epsilon": s.epsilon,
                })
            }
            JobSettings::Pnp(settings) => {
                let s = &settings.schedule;
                serde_json::json!({
                    "sigma_max": s.sigma_max,
                    "sigma_min": s.sigma_min,
                    "levels": s.levels,
                    "lambda": s.lambda,
                    "zeta": s.zeta,
                    "data_steps": s.data_steps,
                    "step_scale": s.step_scale,
                    "kappa": s.kappa,
                    "center": settings.center,
                })
            }
        }
    }
}

/// What one reconstruction gives back, before it becomes numpy arrays.
struct Output {
    mean: Vec<f32>,
    std: Vec<f32>,
    samples: Vec<f32>,
    report: serde_json::Value,
}

/// The schedule options of `reconstruct` (`None`: the paper's MNIST values, ε by the frame).
#[derive(Clone, Copy)]
struct ScheduleOptions {
    beta_max: Option<f32>,
    beta_min: Option<f32>,
    levels: Option<u32>,
    steps: Option<u32>,
    epsilon: Option<f32>,
}

/// The NCSNv2 model loaded once, reconstructing frames; see `qcs.Reconstructor`.
#[pyclass(frozen, subclass, module = "qcs._qcs")]
struct Reconstructor {
    model: ScoreModel,
    model_path: PathBuf,
    device: Device,
    threads: Option<usize>,
    plan_batch: Option<usize>,
    max_memory: u64,
    cache: Mutex<Vec<CachedPrior>>,
    method: &'static str,
    calls: Option<u64>,
}

impl Reconstructor {
    /// The prior configuration for `chains` chains, as `qcs reconstruct` builds it.
    fn prior_config(&self, chains: usize) -> Result<PriorConfig> {
        PriorConfig::with_options(self.device, chains, self.threads, self.plan_batch)
    }

    /// The checks of `qcs reconstruct` before any work (header, model input, memory), then
    /// the decoded problem and its settings.
    fn job(
        &self,
        bytes: &[u8],
        what: String,
        chains: usize,
        seed: u64,
        o: ScheduleOptions,
        matrix: Option<&SensingMatrix>,
    ) -> Result<Job> {
        let config = self.prior_config(chains)?;
        budget::preflight(bytes, &what, &self.model, &config, chains, self.max_memory)?;
        let problem = Problem::from_frame_with(bytes, &what, matrix)?;
        let shape = problem.image_shape(&what)?;
        let settings = if self.method == pnp::METHOD {
            if o.steps.is_some() || o.epsilon.is_some() {
                anyhow::bail!(
                    "steps and epsilon do not apply to method \"{}\"",
                    pnp::METHOD
                );
            }
            let levels = match (self.calls, o.levels) {
                (Some(_), Some(_)) => anyhow::bail!("give calls or levels, not both"),
                (Some(c), None) => {
                    Some(u32::try_from(c).map_err(|_| anyhow!("calls = {c}: too many levels"))?)
                }
                (None, l) => l,
            };
            let schedule = PnpOptions {
                sigma_max: o.beta_max,
                sigma_min: o.beta_min,
                levels,
                ..PnpOptions::default()
            }
            .schedule()
            .map_err(|e| anyhow!("schedule options: {e}"))?;
            JobSettings::Pnp(PnpSettings {
                schedule,
                chains,
                seed,
                center: PnpSettings::CENTER,
            })
        } else {
            let p = Schedule::PAPER_MNIST;
            let steps = o.steps.unwrap_or(p.steps_per_level);
            // A budget of network calls: ⌊calls / steps⌋ levels over the same β range, as
            // `qcs reconstruct --calls` (no denoising step here).
            let levels = match (self.calls, o.levels) {
                (Some(_), Some(_)) => anyhow::bail!("give calls or levels, not both"),
                (Some(c), None) => {
                    budget_levels(c, steps, false).map_err(|e| anyhow!("calls = {c}: {e}"))?
                }
                (None, l) => l.unwrap_or(p.levels),
            };
            let schedule = Schedule::new(
                o.beta_max.unwrap_or(p.beta_max),
                o.beta_min.unwrap_or(p.beta_min),
                levels,
                steps,
                o.epsilon
                    .unwrap_or_else(|| default_epsilon(&problem.observed)),
            )
            .map_err(|e| anyhow!("schedule options: {e}"))?;
            JobSettings::QcsSgm(SamplerSettings {
                schedule,
                chains,
                seed,
                denoise: false,
            })
        };
        Ok(Job {
            what,
            problem,
            shape,
            settings,
        })
    }

    /// Samples one job (no Python objects: runs with the GIL released).
    fn run(&self, job: &Job) -> Result<Output> {
        let t0 = std::time::Instant::now();
        let mut cache = self
            .cache
            .lock()
            .map_err(|_| anyhow!("a previous reconstruction panicked"))?;
        let chains = job.settings.chains();
        let pos = cache
            .iter()
            .position(|c| c.shape == job.shape && c.chains == chains);
        let idx = match pos {
            Some(i) => i,
            None => {
                let prior =
                    NetworkPrior::new(&self.model, job.shape, chains, self.prior_config(chains)?)?;
                // One prior per (shape, samples) in use; a few at most.
                if cache.len() >= 4 {
                    cache.remove(0);
                }
                cache.push(CachedPrior {
                    shape: job.shape,
                    chains,
                    prior,
                });
                cache.len() - 1
            }
        };
        let prior = &mut cache[idx].prior;
        let (calls0, busy0) = (prior.calls(), prior.busy());
        let op = job.problem.operator()?;
        let lik = job.problem.likelihood()?;
        let rec = match &job.settings {
            JobSettings::QcsSgm(s) => reconstruct(&*op, lik, s, prior, None, |_| {}),
            JobSettings::Pnp(s) => reconstruct_pnp(&*op, lik, s, prior, None, |_| {}),
        }
        .map_err(|e| e.context(job.what.clone()))?;
        let busy = (prior.busy() - busy0).as_secs_f64();
        let p = &job.problem;
        let [_, h, w] = job.shape;
        let report = serde_json::json!({
            "qcs_version": env!("CARGO_PKG_VERSION"),
            "frame": job.what,
            "method": self.method,
            "signal": {"height": h, "width": w, "n": h * w},
            "measurements": p.observed.len(),
            "kind": p.observed.kind(),
            "bits": p.bits,
            "sigma": p.sigma,
            "operator": {
                "kind": p.operator_spec.kind.name(),
                "seed": p.operator_spec.seed,
                "scaling": scaling_name(p.operator_spec.scaling),
            },
            "frame_counter": p.counter,
            "schedule": job.settings.schedule_json(),
            "samples": chains,
            "chain_seed": job.settings.seed(),
            "model": self.model_path,
            "device": self.device,
            "threads": prior.threads(),
            "network_calls": prior.calls() - calls0,
            "seconds": rec.seconds,
            "network_seconds": busy,
            "share_outside_network": 1.0 - busy / rec.seconds.max(1e-9),
            "call_seconds": t0.elapsed().as_secs_f64(),
        });
        Ok(Output {
            mean: rec.mean,
            std: rec.std,
            samples: rec.samples,
            report,
        })
    }
}

#[pymethods]
impl Reconstructor {
    /// Loads the model once; see `qcs.Reconstructor`.
    #[new]
    #[pyo3(signature = (model=None, device="cpu", method=METHOD, calls=None, threads=None,
        plan_batch=None, max_memory=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        model: Option<PathBuf>,
        device: &str,
        method: &str,
        calls: Option<u64>,
        threads: Option<i64>,
        plan_batch: Option<i64>,
        max_memory: Option<u64>,
    ) -> PyResult<Self> {
        let v = |m: String| PyValueError::new_err(m);
        let method: &'static str = match method {
            QCS_SGM => QCS_SGM,
            pnp::METHOD => pnp::METHOD,
            _ => {
                return Err(v(format!(
                    "method {method:?}: expected \"{QCS_SGM}\" (the paper's Algorithm 1) or \
                     \"{}\" (DiffPIR with the quantized likelihood, the default)",
                    pnp::METHOD
                )))
            }
        };
        let device = match device {
            "cpu" => Device::Cpu,
            "cuda" => Device::Cuda,
            other => return Err(v(format!("--device {other}: expected cpu or cuda"))),
        };
        if device == Device::Cuda && !cfg!(feature = "gpu") {
            return Err(v(
                "--device cuda: this qcs was built without the `gpu` feature \
                          (pip install ./python --config-settings=build-args='--features gpu')"
                    .into(),
            ));
        }
        let positive = |name: &str, x: Option<i64>| -> PyResult<Option<usize>> {
            match x {
                Some(t) if t < 1 => Err(v(format!("--{name} must be at least 1, got {t}"))),
                Some(t) => Ok(Some(t as usize)),
                None => Ok(None),
            }
        };
        let threads = positive("threads", threads)?;
        let plan_batch = positive("plan-batch", plan_batch)?;
        let model_path = model.unwrap_or_else(|| data::models_dir().join("ncsnv2-mnist.onnx"));
        let loaded = py.detach(|| ScoreModel::load(&model_path));
        let model = loaded.map_err(|e| {
            if model_path.is_file() {
                value_or_os_error(e)
            } else {
                os_error(e)
            }
        })?;
        Ok(Reconstructor {
            model,
            model_path,
            device,
            threads,
            plan_batch,
            max_memory: max_memory.unwrap_or(DEFAULT_MAX_MEMORY),
            cache: Mutex::new(Vec::new()),
            method,
            calls,
        })
    }

    /// The model file.
    #[getter]
    fn model(&self) -> PathBuf {
        self.model_path.clone()
    }

    /// `cpu` or `cuda`.
    #[getter]
    fn device(&self) -> &'static str {
        match self.device {
            Device::Cpu => "cpu",
            Device::Cuda => "cuda",
        }
    }

    /// The sampler's name.
    #[getter]
    fn method(&self) -> &'static str {
        self.method
    }

    /// Reconstructs one frame, or a list of frames; see `qcs.Reconstructor.reconstruct`.
    /// Returns `(mean, std, samples, report_json)` per frame.
    #[pyo3(signature = (frames, samples=4, seed=0, *, levels=None, steps=None, beta_max=None,
        beta_min=None, epsilon=None, matrix=None))]
    #[allow(clippy::too_many_arguments)]
    fn reconstruct<'py>(
        &self,
        py: Python<'py>,
        frames: &Bound<'py, PyAny>,
        samples: i64,
        seed: u64,
        levels: Option<u32>,
        steps: Option<u32>,
        beta_max: Option<f32>,
        beta_min: Option<f32>,
        epsilon: Option<f32>,
        matrix: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let matrix = matrix.map(|a| sensing_matrix(a, "matrix")).transpose()?;
        if samples < 1 {
            return Err(PyValueError::new_err(format!(
                "--samples must be at least 1, got {samples}"
            )));
        }
        let chains = samples as usize;
        let options = ScheduleOptions {
            beta_max,
            beta_min,
            levels,
            steps,
            epsilon,
        };
        let (inputs, single) = match frame_bytes(frames, "frame")? {
            Some(one) => (vec![one], true),
            None => {
                let mut all = Vec::new();
                for (i, item) in frames.try_iter()?.enumerate() {
                    let label = format!("frames[{i}]");
                    all.push(frame_bytes(&item?, &label)?.ok_or_else(|| {
                        PyValueError::new_err(format!(
                            "{label}: expected bytes, bytearray, a Frame or a path"
                        ))
                    })?);
                }
                (all, false)
            }
        };
        let jobs = inputs
            .into_iter()
            .map(|(bytes, what)| self.job(&bytes, what, chains, seed, options, matrix.as_ref()))
            .collect::<Result<Vec<_>>>()
            .map_err(value_or_os_error)?;
        // The sampling runs without the GIL: other Python threads go on meanwhile.
        let outputs = py
            .detach(|| jobs.iter().map(|j| self.run(j)).collect::<Result<Vec<_>>>())
            .map_err(value_or_os_error)?;
        let json = py.import("json")?;
        let mut results = Vec::with_capacity(outputs.len());
        for (job, out) in jobs.iter().zip(outputs) {
            // (H, W) images for one channel, (H, W, C) channels last (the frame's layout) for
            // several; samples with a leading chain axis.
            let [c, h, w] = job.shape;
            let image = |v: Vec<f32>| -> PyResult<Bound<'_, PyAny>> {
                let a = PyArray1::from_vec(py, v);
                Ok(if c == 1 {
                    a.reshape([h, w])?.into_any()
                } else {
                    a.reshape([h, w, c])?.into_any()
                })
            };
            let samples = PyArray1::from_vec(py, out.samples);
            let samples = if c == 1 {
                samples.reshape([chains, h, w])?.into_any()
            } else {
                samples.reshape([chains, h, w, c])?.into_any()
            };
            let report = json.call_method1("loads", (out.report.to_string(),))?;
            results.push(PyTuple::new(
                py,
                [image(out.mean)?, image(out.std)?, samples, report],
            )?);
        }
        if single {
            Ok(results.remove(0).into_any())
        } else {
            Ok(PyList::new(py, results)?.into_any())
        }
    }
}

/// The extension module `qcs._qcs`.
#[pymodule]
fn _qcs(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(measure, m)?)?;
    m.add_function(wrap_pyfunction!(matrix_fingerprint, m)?)?;
    m.add_class::<Frame>()?;
    m.add_class::<Operator>()?;
    m.add_class::<Reconstructor>()?;
    m.add("METHOD", METHOD)?;
    Ok(())
}
