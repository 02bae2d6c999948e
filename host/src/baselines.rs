//! Classic sparsity baselines on the same measurements as QCS-SGM, in an orthonormal 2-D
//! basis ([`Basis`]: DCT-II or Haar wavelets):
//!
//! * [`biht`]: binary iterative hard thresholding for one-bit measurements (Jacques, Laska,
//!   Boufounos & Baraniuk 2013, normalized as in Plan & Vershynin / Friedlander et al.), which
//!   recovers only the direction `x/‖x‖`;
//! * [`lasso_fista`]: "Lasso-W", `min_c ½‖ỹ − AΨᵀc‖² + λ‖c‖₁` by FISTA (Beck & Teboulle
//!   2009) on the quantizer's codewords `ỹ` (or the unquantized `y`).
//!
//! Both take any [`SensingOperator`]; they run in `f32` with `f64` accumulations for norms.

use anyhow::{anyhow, ensure, Result};
use qcs_core::operator::SensingOperator;

/// An orthonormal 2-D basis `Ψ` of `height × width` images: [`Transform::analysis`] computes the
/// coefficients `c = Ψ x`, [`Transform::synthesis`] the image `x = Ψᵀ c`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    /// The orthonormal 2-D DCT-II (rows, then columns).
    Dct,
    /// The orthonormal 2-D Haar wavelet transform, as many levels as the low-pass block has
    /// even height and width (28 × 28: two levels, down to a 7 × 7 low-pass block).
    Haar,
}

/// An orthonormal 2-D transform for one image size.
#[derive(Debug, Clone)]
pub struct Transform {
    basis: Basis,
    height: usize,
    width: usize,
    /// DCT matrices (row-major `n × n`, row k = k-th basis vector), for `height` and `width`.
    dct_h: Vec<f32>,
    dct_w: Vec<f32>,
}

fn dct_matrix(n: usize) -> Vec<f32> {
    let mut d = vec![0.0f32; n * n];
    for k in 0..n {
        let scale = if k == 0 {
            (1.0 / n as f64).sqrt()
        } else {
            (2.0 / n as f64).sqrt()
        };
        for i in 0..n {
            let v = scale
                * (std::f64::consts::PI * (2 * i + 1) as f64 * k as f64 / (2 * n) as f64).cos();
            d[k * n + i] = v as f32;
        }
    }
    d
}

impl Transform {
    /// The transform of `basis` for `height × width` images.
    pub fn new(basis: Basis, height: usize, width: usize) -> Result<Self> {
        ensure!(
            height >= 1 && width >= 1,
            "a transform needs a non-empty image, got {height} × {width}"
        );
        let (dct_h, dct_w) = match basis {
            Basis::Dct => (dct_matrix(height), dct_matrix(width)),
            Basis::Haar => (Vec::new(), Vec::new()),
        };
        Ok(Self {
            basis,
            height,
            width,
            dct_h,
            dct_w,
        })
    }

    /// Values per image.
    pub fn len(&self) -> usize {
        self.height * self.width
    }

    /// Whether the image is empty (never: [`Transform::new`] refuses it).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether coefficient `i` is a low-pass (scaling) coefficient: the DC term of the DCT, the
    /// coarsest low-pass block of the Haar transform. [`lasso_fista`] does not penalize them.
    pub fn is_low_pass(&self, i: usize) -> bool {
        match self.basis {
            Basis::Dct => i == 0,
            Basis::Haar => {
                let f = 1usize << self.haar_levels().len();
                i / self.width < self.height / f && i % self.width < self.width / f
            }
        }
    }

    /// `c = Ψ x`.
    pub fn analysis(&self, x: &[f32], c: &mut [f32]) {
        c.copy_from_slice(x);
        match self.basis {
            Basis::Dct => self.dct(c, false),
            Basis::Haar => self.haar(c, false),
        }
    }

    /// `x = Ψᵀ c`.
    pub fn synthesis(&self, c: &[f32], x: &mut [f32]) {
        x.copy_from_slice(c);
        match self.basis {
            Basis::Dct => self.dct(x, true),
            Basis::Haar => self.haar(x, true),
        }
    }

    fn dct(&self, v: &mut [f32], inverse: bool) {
        let (h, w) = (self.height, self.width);
        let mut tmp = vec![0.0f32; h.max(w)];
        for row in v.chunks_exact_mut(w) {
            dct_1d(&self.dct_w, row, &mut tmp[..w], inverse);
            row.copy_from_slice(&tmp[..w]);
        }
        let mut col = vec![0.0f32; h];
        for c in 0..w {
            for (dst, r) in col.iter_mut().zip(v.chunks_exact(w)) {
                *dst = r[c];
            }
            dct_1d(&self.dct_h, &col, &mut tmp[..h], inverse);
            for (r, &t) in v.chunks_exact_mut(w).zip(&tmp[..h]) {
                r[c] = t;
            }
        }
    }

    /// The low-pass block sizes of each Haar level.
    fn haar_levels(&self) -> Vec<(usize, usize)> {
        let (mut h, mut w) = (self.height, self.width);
        let mut levels = Vec::new();
        while h % 2 == 0 && w % 2 == 0 && h >= 2 && w >= 2 {
            levels.push((h, w));
            h /= 2;
            w /= 2;
        }
        levels
    }

    fn haar(&self, v: &mut [f32], inverse: bool) {
        let stride = self.width;
        let levels = self.haar_levels();
        let s = std::f32::consts::FRAC_1_SQRT_2;
        let mut tmp = vec![0.0f32; self.height.max(self.width)];
        let mut one_level = |v: &mut [f32], h: usize, w: usize| {
            // Rows then columns (forward), columns then rows (inverse): each 1-D step is
            // orthonormal, so the 2-D step is too.
            let rows = |v: &mut [f32], tmp: &mut [f32]| {
                for r in 0..h {
                    let row = &mut v[r * stride..r * stride + w];
                    haar_1d(row, tmp, inverse, s);
                }
            };
            let cols = |v: &mut [f32], tmp: &mut [f32]| {
                let mut col = vec![0.0f32; h];
                for c in 0..w {
                    for r in 0..h {
                        col[r] = v[r * stride + c];
                    }
                    haar_1d(&mut col, tmp, inverse, s);
                    for r in 0..h {
                        v[r * stride + c] = col[r];
                    }
                }
            };
            if inverse {
                cols(v, &mut tmp);
                rows(v, &mut tmp);
            } else {
                rows(v, &mut tmp);
                cols(v, &mut tmp);
            }
        };
        if inverse {
            for &(h, w) in levels.iter().rev() {
                one_level(v, h, w);
            }
        } else {
            for &(h, w) in &levels {
                one_level(v, h, w);
            }
        }
    }
}

/// `out = D x` (or `Dᵀ x` when `inverse`) for the `n × n` row-major DCT matrix `D`.
fn dct_1d(d: &[f32], x: &[f32], out: &mut [f32], inverse: bool) {
    let n = x.len();
    for (k, o) in out.iter_mut().enumerate() {
        let s: f64 = if inverse {
            x.iter()
                .enumerate()
                .map(|(i, &xi)| d[i * n + k] as f64 * xi as f64)
                .sum()
        } else {
            d[k * n..(k + 1) * n]
                .iter()
                .zip(x)
                .map(|(&a, &b)| a as f64 * b as f64)
                .sum()
        };
        *o = s as f32;
    }
}

/// One orthonormal Haar step on an even-length slice: averages first, details second.
fn haar_1d(x: &mut [f32], tmp: &mut [f32], inverse: bool, s: f32) {
    let half = x.len() / 2;
    if inverse {
        for i in 0..half {
            let (a, d) = (x[i], x[half + i]);
            tmp[2 * i] = s * (a + d);
            tmp[2 * i + 1] = s * (a - d);
        }
    } else {
        for i in 0..half {
            let (p, q) = (x[2 * i], x[2 * i + 1]);
            tmp[i] = s * (p + q);
            tmp[half + i] = s * (p - q);
        }
    }
    x.copy_from_slice(&tmp[..x.len()]);
}

fn norm(v: &[f32]) -> f64 {
    v.iter().map(|&a| a as f64 * a as f64).sum::<f64>().sqrt()
}

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

fn normalize(c: &mut [f32]) {
    let nn = norm(c);
    if nn > 0.0 {
        let inv = (1.0 / nn) as f32;
        c.iter_mut().for_each(|v| *v *= inv);
    }
}

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

/// Settings of Jalal et al.'s annealed Langevin dynamics ([`AldOperator`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AldSettings {
    /// The heuristic annealing term is `γ_t² = gamma²·β_t²`; default `gamma² = N/M`, the
    /// expected `‖a_m‖²` of the paper's `A ~ N(0, 1/M)` (a constant chosen without looking at
    /// `A`, as a hand-set hyper-parameter is).
    pub gamma: Option<f32>,
}

impl AldSettings {
    /// `gamma²` for an `M × N` operator.
    pub fn gamma_sq(&self, m: usize, n: usize) -> Result<f32> {
        let g2 = match self.gamma {
            Some(g) => g * g,
            None => n as f32 / m as f32,
        };
        ensure!(
            g2.is_finite() && g2 > 0.0,
            "[ald] gamma = {:?}: must be finite and non-zero",
            self.gamma
        );
        Ok(g2)
    }
}

/// The annealed Langevin dynamics of Jalal et al. (2021a, their eq. 4) for linear
/// measurements, run by the same sampler as QCS-SGM: its likelihood step is
/// `Aᵀ(y − Ax)/(σ² + γ_t²)` with the heuristic `γ_t² = γ²β_t²`, the same for every row.
///
/// That is the form of the paper's eq. 20 with `β_t²‖a_m‖²` replaced by `γ²β_t²`, so this
/// wrapper is `A` itself (same [`forward`](SensingOperator::forward) and
/// [`adjoint`](SensingOperator::adjoint)) except that it reports `γ²` as every squared row
/// norm, which is all the eq. 20 score reads of them. Use it with
/// `Measurements::LinearDiagonal`.
pub struct AldOperator<'a> {
    inner: &'a dyn SensingOperator,
    gamma_sq: f32,
}

impl<'a> AldOperator<'a> {
    /// Wraps `inner` with the annealing constant `gamma_sq = γ²`.
    pub fn new(inner: &'a dyn SensingOperator, gamma_sq: f32) -> Result<Self> {
        ensure!(
            gamma_sq.is_finite() && gamma_sq > 0.0,
            "ALD: γ² = {gamma_sq} must be finite and > 0"
        );
        Ok(Self { inner, gamma_sq })
    }
}

impl SensingOperator for AldOperator<'_> {
    fn rows(&self) -> usize {
        self.inner.rows()
    }
    fn cols(&self) -> usize {
        self.inner.cols()
    }
    fn scratch_len(&self) -> usize {
        self.inner.scratch_len()
    }
    fn forward(&self, x: &[f32], y: &mut [f32], scratch: &mut [f32]) -> qcs_core::Result<()> {
        self.inner.forward(x, y, scratch)
    }
    fn adjoint(&self, r: &[f32], x: &mut [f32], scratch: &mut [f32]) -> qcs_core::Result<()> {
        self.inner.adjoint(r, x, scratch)
    }
    fn row_norms_sq(&self, out: &mut [f32]) -> qcs_core::Result<()> {
        if out.len() != self.inner.rows() {
            return Err(qcs_core::Error::DimensionMismatch {
                field: "row_norms_sq",
                expected: self.inner.rows(),
                found: out.len(),
            });
        }
        out.fill(self.gamma_sq);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qcs_core::operator::{DenseOperator, Scaling, SeededGaussian};
    use qcs_core::rng::{fill_standard_normal, stream_rng};

    fn cosine(a: &[f32], b: &[f32]) -> f64 {
        let d: f64 = a.iter().zip(b).map(|(&x, &y)| x as f64 * y as f64).sum();
        d / (norm(a) * norm(b))
    }

    /// A signal with `k` nonzero coefficients in `basis` (random positions and N(0,1) values).
    fn sparse_signal(basis: Basis, h: usize, w: usize, k: usize, seed: u64) -> Vec<f32> {
        let n = h * w;
        let mut rng = stream_rng(seed, 0);
        let mut vals = vec![0.0f32; n];
        fill_standard_normal(&mut rng, &mut vals);
        let mut c = vec![0.0f32; n];
        // Positions: a fixed stride walk, distinct for k ≤ n.
        for j in 0..k {
            c[(j * 37 + 11) % n] = vals[j] + vals[j].signum();
        }
        let t = Transform::new(basis, h, w).unwrap();
        let mut x = vec![0.0f32; n];
        t.synthesis(&c, &mut x);
        x
    }

    fn dense(seed: u64, m: usize, n: usize) -> Vec<f32> {
        let op = SeededGaussian::new(seed, m, n, Scaling::PerMeasurement).unwrap();
        let mut a = vec![0.0f32; m * n];
        op.materialize(&mut a).unwrap();
        a
    }

    #[test]
    fn transforms_are_orthonormal_and_invert() {
        for basis in [Basis::Dct, Basis::Haar] {
            let t = Transform::new(basis, 28, 28).unwrap();
            let mut rng = stream_rng(3, 0);
            let mut x = vec![0.0f32; 784];
            fill_standard_normal(&mut rng, &mut x);
            let (mut c, mut back) = (vec![0.0f32; 784], vec![0.0f32; 784]);
            t.analysis(&x, &mut c);
            t.synthesis(&c, &mut back);
            assert!((norm(&c) - norm(&x)).abs() < 1e-3 * norm(&x), "{basis:?}");
            let err = x
                .iter()
                .zip(&back)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(err < 1e-4, "{basis:?}: max error {err}");
        }
        // A constant 0.5 image: one DC coefficient 0.5·28 in the DCT; in Haar (two levels on
        // 28 × 28) the 7 × 7 low-pass block, each 0.5·(28/7), and nothing else.
        for basis in [Basis::Dct, Basis::Haar] {
            let t = Transform::new(basis, 28, 28).unwrap();
            let mut c = vec![0.0f32; 784];
            t.analysis(&[0.5; 784], &mut c);
            for (i, &v) in c.iter().enumerate() {
                let want = match basis {
                    Basis::Dct if i == 0 => 14.0,
                    Basis::Haar if i / 28 < 7 && i % 28 < 7 => 2.0,
                    _ => 0.0,
                };
                assert!(
                    (v - want).abs() < 1e-3,
                    "{basis:?}: c[{i}] = {v}, want {want}"
                );
                assert_eq!(t.is_low_pass(i), want != 0.0, "{basis:?}: {i}");
            }
        }
    }

    #[test]
    fn hard_threshold_keeps_the_largest() {
        let mut c = vec![0.1, -3.0, 2.0, 0.5, -0.2, 2.0];
        hard_threshold(&mut c, 3);
        assert_eq!(c, vec![0.0, -3.0, 2.0, 0.0, 0.0, 2.0]);
        let mut ties = vec![1.0, 1.0, 1.0, 1.0];
        hard_threshold(&mut ties, 2);
        assert_eq!(ties.iter().filter(|v| **v != 0.0).count(), 2);
    }

    #[test]
    fn biht_recovers_the_direction_of_a_sparse_signal() {
        let (h, w, k, m) = (16, 16, 8, 600);
        for basis in [Basis::Dct, Basis::Haar] {
            let x = sparse_signal(basis, h, w, k, 5);
            let a = dense(77, m, h * w);
            let op = DenseOperator::new(&a, m, h * w).unwrap();
            let mut z = vec![0.0f32; m];
            op.forward(&x, &mut z, &mut []).unwrap();
            let signs: Vec<f32> = z
                .iter()
                .map(|&v| if v >= 0.0 { 1.0 } else { -1.0 })
                .collect();
            let settings = BihtSettings {
                basis,
                sparsity: k,
                tau: 1.0,
                iterations: 200,
            };
            let est = biht(&op, &signs, h, w, &settings).unwrap();
            let cos = cosine(&est, &x);
            assert!(cos > 0.95, "{basis:?}: cosine {cos}");
            assert!((norm(&est) - 1.0).abs() < 1e-4);
            // Too few measurements for the same signal: clearly worse (the test can fail).
            let few = 20;
            let op_few = DenseOperator::new(&a[..few * h * w], few, h * w).unwrap();
            let est_few = biht(&op_few, &signs[..few], h, w, &settings).unwrap();
            assert!(cosine(&est_few, &x) < cos);
        }
    }

    #[test]
    fn lasso_recovers_a_sparse_signal_from_linear_measurements() {
        let (h, w, k, m) = (16, 16, 10, 120);
        for basis in [Basis::Dct, Basis::Haar] {
            let x = sparse_signal(basis, h, w, k, 9);
            let a = dense(78, m, h * w);
            let op = DenseOperator::new(&a, m, h * w).unwrap();
            let mut y = vec![0.0f32; m];
            op.forward(&x, &mut y, &mut []).unwrap();
            let settings = LassoSettings {
                basis,
                lambda: 0.001,
                iterations: 3000,
            };
            let est = lasso_fista(&op, &y, h, w, &settings).unwrap();
            let err = x
                .iter()
                .zip(&est)
                .map(|(a, b)| (a - b) as f64 * (a - b) as f64)
                .sum::<f64>()
                .sqrt()
                / norm(&x);
            assert!(err < 0.05, "{basis:?}: relative error {err}");
        }
    }

    #[test]
    fn spectral_norm_matches_a_diagonal_operator() {
        // A = diag(1, 2, 3) padded: ‖A‖² = 9.
        let a = [1.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 3.0];
        let op = DenseOperator::new(&a, 3, 3).unwrap();
        let l = spectral_norm_sq(&op).unwrap();
        assert!((l - 9.0).abs() < 1e-3, "{l}");
    }

    #[test]
    fn ald_operator_is_a_with_the_heuristic_row_norms() {
        let (m, n) = (40, 196);
        let a = SeededGaussian::new(3, m, n, Scaling::PerMeasurement).unwrap();
        let g2 = AldSettings::default().gamma_sq(m, n).unwrap();
        assert_eq!(g2, n as f32 / m as f32);
        let ald = AldOperator::new(&a, g2).unwrap();
        let mut x = vec![0.0f32; n];
        fill_standard_normal(&mut stream_rng(5, 0), &mut x);
        let (mut y1, mut y2) = (vec![0.0f32; m], vec![0.0f32; m]);
        a.forward(&x, &mut y1, &mut []).unwrap();
        ald.forward(&x, &mut y2, &mut []).unwrap();
        assert_eq!(y1, y2);
        let (mut x1, mut x2) = (vec![0.0f32; n], vec![0.0f32; n]);
        a.adjoint(&y1, &mut x1, &mut []).unwrap();
        ald.adjoint(&y1, &mut x2, &mut []).unwrap();
        assert_eq!(x1, x2);
        // Eq. 20 reads ‖a_m‖², which varies over the rows of a Gaussian A; ALD's γ² does not.
        let (mut r1, mut r2) = (vec![0.0f32; m], vec![0.0f32; m]);
        a.row_norms_sq(&mut r1).unwrap();
        ald.row_norms_sq(&mut r2).unwrap();
        assert!(r2.iter().all(|&v| v == g2));
        assert!(r1.iter().any(|&v| (v - g2).abs() > 0.1 * g2));
        assert!(ald.row_norms_sq(&mut r2[..m - 1]).is_err());
        assert!(AldOperator::new(&a, 0.0).is_err());
        assert!(AldSettings {
            gamma: Some(f32::NAN)
        }
        .gamma_sq(m, n)
        .is_err());
    }
}
