//! `qcs._qcs`: the Python extension module of `qcs` (PyO3, abi3 for CPython ≥ 3.9).
//!
//! Everything here is a thin layer over `qcs-host` and `qcs-core`, the code the `qcs` CLI runs:
//! `measure` (`measure.rs`) is `qcs measure` ([`qcs_host::sensing::measure_frame`]),
//! `Frame` (`frame_class.rs`) is the core's frame decoder,
//! `Reconstructor` (`reconstructor.rs`) is `qcs reconstruct`
//! ([`qcs_host::reconstruct::reconstruct`] with the [`qcs_host::prior::NetworkPrior`]), so the
//! same seeds give the same bits in Python and on the command line. Errors become Python
//! exceptions with the CLI's messages: `OSError` for files that cannot be read, `ValueError` for
//! everything else. The Python package `qcs` (python/qcs/) re-exports these with docstrings and
//! type stubs.
// PyO3's macros expand to unsafe FFI glue (the crate itself writes no unsafe code).
#![allow(unsafe_code)]

mod frame_class;
mod measure;
mod reconstructor;

use anyhow::{anyhow, Result};
use numpy::{PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use qcs_core::frame::OperatorKind;
use qcs_core::operator::Scaling;
use qcs_host::matrix::SensingMatrix;
use qcs_host::pnp;

/// The paper's sampler (Algorithm 1).
pub(crate) const QCS_SGM: &str = "qcs-sgm";
/// The default sampler: `pnp-probit` ([`qcs_host::pnp`]), which measures best on every cell of
/// `docs/RESULTS.md` experiment 6 at a tenth of the paper sampler's calls; as `qcs reconstruct`.
pub(crate) const METHOD: &str = pnp::METHOD;

/// An error as a Python exception: `OSError` when a file could not be read (an I/O error in its
/// chain), `ValueError` otherwise; the message is the CLI's (`{e:#}`).
pub(crate) fn value_or_os_error(e: anyhow::Error) -> PyErr {
    let msg = format!("{e:#}");
    if e.chain().any(|c| c.is::<std::io::Error>()) {
        PyOSError::new_err(msg)
    } else {
        PyValueError::new_err(msg)
    }
}

/// An error about a file (missing, a directory, unreadable) as `OSError`.
pub(crate) fn os_error(e: anyhow::Error) -> PyErr {
    PyOSError::new_err(format!("{e:#}"))
}

/// `x` as a C-contiguous `float32` numpy array (a copy only when needed).
pub(crate) fn as_f32<'py>(x: &Bound<'py, PyAny>) -> PyResult<PyReadonlyArrayDyn<'py, f32>> {
    let np = x.py().import("numpy")?;
    let kwargs = pyo3::types::PyDict::new(x.py());
    kwargs.set_item("dtype", np.getattr("float32")?)?;
    np.call_method("ascontiguousarray", (x,), Some(&kwargs))?
        .extract()
        .map_err(|e: PyErr| PyValueError::new_err(format!("x: not a float32 array: {e}")))
}

/// A 2-D array as a sensing matrix (`float32` values, C order); `label` names it in errors.
pub(crate) fn sensing_matrix(a: &Bound<'_, PyAny>, label: &str) -> PyResult<SensingMatrix> {
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

/// The operator named `name`: the core's names (`seeded`, `structured`, `dense`) and
/// `gaussian`, an alias of `seeded`.
pub(crate) fn operator_kind(name: &str) -> Result<OperatorKind> {
    if name == "gaussian" {
        return Ok(OperatorKind::SeededGaussian);
    }
    OperatorKind::from_name(name).map_err(|_| {
        anyhow!("--operator {name}: expected gaussian (an alias of seeded), seeded or structured")
    })
}

/// The scaling named as the CLI's `--scaling` values.
pub(crate) fn scaling(name: &str) -> Result<Scaling> {
    Ok(match name {
        "per-measurement" => Scaling::PerMeasurement,
        "unit" => Scaling::Unit,
        "unit-rows" => Scaling::UnitRows,
        _ => anyhow::bail!("--scaling {name}: expected per-measurement, unit or unit-rows"),
    })
}

/// The CLI's (`--scaling`) name of a scaling.
pub(crate) fn scaling_name(s: Scaling) -> &'static str {
    match s {
        Scaling::PerMeasurement => "per-measurement",
        Scaling::Unit => "unit",
        Scaling::UnitRows => "unit-rows",
    }
}

/// The extension module `qcs._qcs`.
#[pymodule]
fn _qcs(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(measure::measure, m)?)?;
    m.add_function(wrap_pyfunction!(measure::matrix_fingerprint, m)?)?;
    m.add_class::<frame_class::Frame>()?;
    m.add_class::<frame_class::Operator>()?;
    m.add_class::<reconstructor::Reconstructor>()?;
    m.add("METHOD", METHOD)?;
    Ok(())
}
