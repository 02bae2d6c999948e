//! `qcs.Frame` (a decoded measurement frame) and `qcs.Operator` (its operator `A`, regenerated
//! from the seed).

use crate::{as_f32, os_error, scaling_name, value_or_os_error};
use anyhow::{anyhow, Result};
use numpy::{PyArray1, PyArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString, PyTuple};
use qcs_core::frame::{self, DescribedOperator, FrameOperator, OperatorKind, QuantizerSpec};
use qcs_core::operator::SensingOperator;
use qcs_host::frame_file;
use std::path::PathBuf;

/// A frame's bytes from `bytes`, `bytearray`, a `Frame`, or a path (`str` / `os.PathLike`),
/// and a name for it in messages. `None` for anything else.
pub(crate) fn frame_bytes(
    obj: &Bound<'_, PyAny>,
    label: &str,
) -> PyResult<Option<(Vec<u8>, String)>> {
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
pub(crate) struct Frame {
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
pub(crate) struct Operator {
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
