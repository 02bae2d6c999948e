//! `qcs.measure` and `qcs.matrix_fingerprint`: the sensing side, as `qcs measure`.

use crate::{as_f32, operator_kind, scaling, sensing_matrix, value_or_os_error};
use anyhow::{anyhow, ensure, Result};
use numpy::PyUntypedArrayMethods;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use qcs_core::frame::{self, SignalShape};
use qcs_core::rng;
use qcs_host::sensing::{self, SensorQuantizer, SensorSettings};

/// The fingerprint that names a dense matrix in a frame; see `qcs.matrix_fingerprint`.
#[pyfunction]
pub(crate) fn matrix_fingerprint(a: &Bound<'_, PyAny>) -> PyResult<u64> {
    Ok(sensing_matrix(a, "a")?.fingerprint)
}

/// `y = Q(Ax + n)` of `x` into a measurement frame (`qcs measure`); see `qcs.measure`.
#[pyfunction]
#[pyo3(signature = (x, *, measurements, bits=1, sigma=0.05, operator="gaussian", seed=12345,
    noise_seed=1, delta=None, thresholds=None, codewords=None, counter=0,
    scaling="per-measurement", matrix=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn measure<'py>(
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
