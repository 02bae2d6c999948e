//! Lasso-W: `min_c ½‖ỹ − AΨᵀc‖² + λ‖c‖₁` by FISTA (Beck & Teboulle 2009).

use super::{norm, normalize, Basis, Transform};
use anyhow::{anyhow, ensure, Result};
use qcs_core::operator::SensingOperator;

/// Settings of [`lasso_fista`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LassoSettings {
    /// The sparsity basis.
    pub basis: Basis,
    /// `λ` relative to `‖ΨAᵀỹ‖_∞` over the penalized coefficients (the smallest `λ` whose
    /// solution has them all 0): `λ = lambda·‖ΨAᵀỹ‖_∞`.
    pub lambda: f32,
    /// FISTA iterations.
    pub iterations: usize,
}

impl Default for LassoSettings {
    fn default() -> Self {
        Self {
            basis: Basis::Dct,
            lambda: 0.01,
            iterations: 300,
        }
    }
}

/// `‖A‖₂²` (largest eigenvalue of `AᵀA`) by 50 power iterations from a fixed start.
pub fn spectral_norm_sq(op: &dyn SensingOperator) -> Result<f32> {
    let (m, n) = (op.rows(), op.cols());
    let mut scratch = vec![0.0f32; op.scratch_len()];
    let core = |e: qcs_core::Error| anyhow!("operator: {e}");
    let mut v: Vec<f32> = (0..n)
        .map(|i| 1.0 + ((i * 7919) % 13) as f32 / 13.0)
        .collect();
    normalize(&mut v);
    let (mut z, mut w) = (vec![0.0f32; m], vec![0.0f32; n]);
    let mut lambda = 0.0f64;
    for _ in 0..50 {
        op.forward(&v, &mut z, &mut scratch).map_err(core)?;
        op.adjoint(&z, &mut w, &mut scratch).map_err(core)?;
        lambda = norm(&w);
        ensure!(lambda > 0.0, "the operator is zero");
        v.iter_mut()
            .zip(&w)
            .for_each(|(a, &b)| *a = (b as f64 / lambda) as f32);
    }
    Ok(lambda as f32)
}

/// Lasso-W by FISTA (Beck & Teboulle 2009): `min_c ½‖ỹ − AΨᵀc‖² + λ‖c‖₁` with step `1/L`,
/// `L = ‖A‖₂²` ([`spectral_norm_sq`]; `Ψ` is orthonormal), returning the image `Ψᵀc`.
///
/// `targets` are the quantizer's codewords `ỹ_m` (bin midpoints for a uniform quantizer) or
/// the unquantized `y`. The low-pass coefficients ([`Transform::is_low_pass`]) are not
/// penalized, so the coarse brightness is fitted freely.
pub fn lasso_fista(
    op: &dyn SensingOperator,
    targets: &[f32],
    height: usize,
    width: usize,
    settings: &LassoSettings,
) -> Result<Vec<f32>> {
    let (m, n) = (op.rows(), op.cols());
    ensure!(
        targets.len() == m,
        "{} targets for {m} measurements",
        targets.len()
    );
    ensure!(n == height * width, "{height} × {width} is not N = {n}");
    ensure!(
        settings.lambda.is_finite() && settings.lambda >= 0.0,
        "Lasso λ must be non-negative"
    );
    let t = Transform::new(settings.basis, height, width)?;
    let l = spectral_norm_sq(op)?;
    let step = 1.0 / l;
    let mut scratch = vec![0.0f32; op.scratch_len()];
    let core = |e: qcs_core::Error| anyhow!("operator: {e}");
    let (mut x, mut z, mut gx, mut gc) = (
        vec![0.0f32; n],
        vec![0.0f32; m],
        vec![0.0f32; n],
        vec![0.0f32; n],
    );
    op.adjoint(targets, &mut gx, &mut scratch).map_err(core)?;
    t.analysis(&gx, &mut gc);
    let low: Vec<bool> = (0..n).map(|i| t.is_low_pass(i)).collect();
    let lambda = settings.lambda
        * gc.iter()
            .zip(&low)
            .filter(|(_, &l)| !l)
            .fold(0.0f32, |a, (v, _)| a.max(v.abs()));
    let (mut c, mut c_prev, mut v) = (vec![0.0f32; n], vec![0.0f32; n], vec![0.0f32; n]);
    let mut tk = 1.0f64;
    for _ in 0..settings.iterations {
        // Gradient of ½‖ỹ − AΨᵀv‖² at v: −ΨAᵀ(ỹ − AΨᵀv).
        t.synthesis(&v, &mut x);
        op.forward(&x, &mut z, &mut scratch).map_err(core)?;
        z.iter_mut().zip(targets).for_each(|(a, &y)| *a = y - *a);
        op.adjoint(&z, &mut gx, &mut scratch).map_err(core)?;
        t.analysis(&gx, &mut gc);
        c_prev.copy_from_slice(&c);
        for (i, (ci, (&vi, &g))) in c.iter_mut().zip(v.iter().zip(&gc)).enumerate() {
            let u = vi + step * g;
            let th = if low[i] { 0.0 } else { step * lambda };
            *ci = u.signum() * (u.abs() - th).max(0.0);
        }
        let t_next = (1.0 + (1.0 + 4.0 * tk * tk).sqrt()) / 2.0;
        let beta = ((tk - 1.0) / t_next) as f32;
        for ((vi, &ci), &pi) in v.iter_mut().zip(&c).zip(&c_prev) {
            *vi = ci + beta * (ci - pi);
        }
        tk = t_next;
    }
    t.synthesis(&c, &mut x);
    Ok(x)
}
