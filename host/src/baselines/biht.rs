//! Binary iterative hard thresholding (Jacques, Laska, Boufounos & Baraniuk 2013) for one-bit
//! measurements.

use super::{normalize, Basis, Transform};
use anyhow::{anyhow, ensure, Result};
use qcs_core::operator::SensingOperator;

/// Keeps the `s` entries of largest magnitude, zeroing the rest (the operator `H_s`).
pub fn hard_threshold(c: &mut [f32], s: usize) {
    if s >= c.len() {
        return;
    }
    let mut mags: Vec<f32> = c.iter().map(|v| v.abs()).collect();
    let (_, kth, _) = mags.select_nth_unstable_by(c.len() - s, |a, b| a.total_cmp(b));
    let t = *kth;
    // Ties at the threshold: keep at most s entries, the first ones met.
    let mut kept = 0;
    for v in c.iter_mut() {
        if v.abs() > t {
            kept += 1;
        }
    }
    let mut ties_left = s.saturating_sub(kept);
    for v in c.iter_mut() {
        let a = v.abs();
        if a > t {
            continue;
        }
        if a == t && ties_left > 0 {
            ties_left -= 1;
        } else {
            *v = 0.0;
        }
    }
}

/// Settings of [`biht`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct BihtSettings {
    /// The sparsity basis.
    pub basis: Basis,
    /// Coefficients kept by the hard threshold `H_s`.
    pub sparsity: usize,
    /// Step size `τ` (1 is the normalized step below).
    pub tau: f32,
    /// Iterations.
    pub iterations: usize,
}

impl Default for BihtSettings {
    fn default() -> Self {
        Self {
            basis: Basis::Dct,
            sparsity: 100,
            tau: 1.0,
            iterations: 100,
        }
    }
}

fn mean_row_norm(op: &dyn SensingOperator) -> Result<f64> {
    let mut r = vec![0.0f32; op.rows()];
    op.row_norms_sq(&mut r)
        .map_err(|e| anyhow!("operator: {e}"))?;
    let mean = r.iter().map(|&v| v as f64).sum::<f64>() / r.len().max(1) as f64;
    ensure!(mean > 0.0, "the operator has zero rows");
    Ok(mean.sqrt())
}

/// BIHT (Jacques et al. 2013) in the basis `Ψ`: with `B = AΨᵀ`,
///
/// `c⁰ = H_s(μ Bᵀ y)`, `c^{k+1} = H_s(c^k + μ Bᵀ(y − sign(B c^k)))`, `c ← c/‖c‖` after every
/// step, and the unit-norm image `Ψᵀ c` is returned (one-bit measurements carry no scale).
///
/// The step is normalized so that the same `τ` works for any entry variance of `A`:
/// `μ = τ·√(π/2)·√N / (2·M·r)` with `r` the root-mean-square row norm of `A`. For `A` with
/// `N(0, 1)` entries (`r ≈ √N`) this is `τ·√(π/2)/(2M)`, the step of normalized BIHT under
/// which `E[Bᵀ sign(Bc)]/M = √(2/π) c` for unit `c`. `signs` are `±1`.
pub fn biht(
    op: &dyn SensingOperator,
    signs: &[f32],
    height: usize,
    width: usize,
    settings: &BihtSettings,
) -> Result<Vec<f32>> {
    let (m, n) = (op.rows(), op.cols());
    ensure!(
        signs.len() == m,
        "{} signs for {m} measurements",
        signs.len()
    );
    ensure!(n == height * width, "{height} × {width} is not N = {n}");
    ensure!(settings.sparsity >= 1, "BIHT sparsity must be at least 1");
    ensure!(
        settings.tau.is_finite() && settings.tau > 0.0,
        "BIHT τ must be positive"
    );
    let t = Transform::new(settings.basis, height, width)?;
    let r = mean_row_norm(op)?;
    let mu = (settings.tau as f64 * (std::f64::consts::PI / 2.0).sqrt() * (n as f64).sqrt()
        / (2.0 * m as f64 * r)) as f32;
    let mut scratch = vec![0.0f32; op.scratch_len()];
    let core = |e: qcs_core::Error| anyhow!("operator: {e}");
    let (mut x, mut z, mut resid, mut grad_x, mut grad_c) = (
        vec![0.0f32; n],
        vec![0.0f32; m],
        vec![0.0f32; m],
        vec![0.0f32; n],
        vec![0.0f32; n],
    );
    let mut c = vec![0.0f32; n];
    // c⁰ = H_s(μ Bᵀ y) (the residual step from c = 0, where sign(0) is taken as 0).
    op.adjoint(signs, &mut grad_x, &mut scratch).map_err(core)?;
    t.analysis(&grad_x, &mut grad_c);
    for (ci, g) in c.iter_mut().zip(&grad_c) {
        *ci = mu * g;
    }
    hard_threshold(&mut c, settings.sparsity);
    normalize(&mut c);
    for _ in 0..settings.iterations {
        t.synthesis(&c, &mut x);
        op.forward(&x, &mut z, &mut scratch).map_err(core)?;
        let mut mismatches = 0;
        for ((rv, &zv), &y) in resid.iter_mut().zip(&z).zip(signs) {
            let s = if zv >= 0.0 { 1.0 } else { -1.0 };
            *rv = y - s;
            if *rv != 0.0 {
                mismatches += 1;
            }
        }
        if mismatches == 0 {
            break;
        }
        op.adjoint(&resid, &mut grad_x, &mut scratch)
            .map_err(core)?;
        t.analysis(&grad_x, &mut grad_c);
        for (ci, g) in c.iter_mut().zip(&grad_c) {
            *ci += mu * g;
        }
        hard_threshold(&mut c, settings.sparsity);
        normalize(&mut c);
    }
    t.synthesis(&c, &mut x);
    Ok(x)
}
