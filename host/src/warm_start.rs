//! The cheap estimate a warm start diffuses from (CCDF, Chung et al. 2022,
//! arXiv 2112.05146, and SIM-DMIS, Tang et al. 2025, arXiv 2505.21135, start the reverse
//! diffusion at an intermediate noise level from such an estimate instead of pure noise).
//!
//! The estimate is the back-projection `v = Aᵀŷ` of one representative value per measurement
//! (the sign for one-bit, the bin's midpoint for multi-bit, `y` unquantized), standardized to
//! the pixel statistics of the training data: `x̂ = μ + s (v − mean v)/std v`. For
//! `A ~ N(0, 1/M)` the back-projection is proportional to `x` plus noise in expectation
//! (for one-bit measurements, to the direction `x/‖x‖`, Plan & Vershynin 2013), so only its
//! shape is kept and its level and spread come from the data.

use anyhow::{anyhow, Result};
use qcs_core::likelihood::Measurements;
use qcs_core::observation::Observation;
use qcs_core::operator::SensingOperator;

/// The pixel mean `μ` of the MNIST training split (the shipped model's data).
pub const PIXEL_MEAN: f32 = 0.1307;
/// The pixel standard deviation `s` of the MNIST training split.
pub const PIXEL_STD: f32 = 0.3081;
/// The first noise level `β_1` of a warm start when none is given (tuned on held-out test
/// digits 900–909, `docs/RESULTS.md` experiment 5b).
pub const BETA_START: f32 = 0.5;

/// One representative value per measurement: `±1`, the bin's midpoint (its finite edge for an
/// open bin, 0 for the whole line), or `y`.
fn representatives(measurements: &Measurements<'_>) -> Vec<f32> {
    let observation = match *measurements {
        Measurements::Diagonal(o) | Measurements::Ep { observation: o, .. } => o,
        Measurements::LinearExact { y, .. } => Observation::Linear { y },
    };
    match observation {
        Observation::OneBit { signs } => signs.to_vec(),
        Observation::Linear { y } => y.to_vec(),
        Observation::Quantized { lower, upper } => lower
            .iter()
            .zip(upper)
            .map(|(&l, &u)| match (l.is_finite(), u.is_finite()) {
                (true, true) => 0.5 * (l + u),
                (true, false) => l,
                (false, true) => u,
                (false, false) => 0.0,
            })
            .collect(),
    }
}

/// The warm-start estimate `x̂ = μ + s (v − mean v)/std v` with `v = Aᵀŷ` (module docs), `N`
/// values; `μ` everywhere when `v` is constant.
pub fn estimate<O: SensingOperator + ?Sized>(
    op: &O,
    measurements: &Measurements<'_>,
) -> Result<Vec<f32>> {
    let r = representatives(measurements);
    let mut v = vec![0.0f32; op.cols()];
    let mut scratch = vec![0.0f32; op.scratch_len()];
    op.adjoint(&r, &mut v, &mut scratch)
        .map_err(|e| anyhow!("warm start: Aᵀŷ: {e}"))?;
    let n = v.len() as f64;
    let mean = v.iter().map(|&a| a as f64).sum::<f64>() / n;
    let var = v.iter().map(|&a| (a as f64 - mean).powi(2)).sum::<f64>() / n;
    let std = var.sqrt();
    Ok(v.iter()
        .map(|&a| {
            if std > 0.0 && std.is_finite() {
                PIXEL_MEAN + PIXEL_STD * ((a as f64 - mean) / std) as f32
            } else {
                PIXEL_MEAN
            }
        })
        .collect())
}
