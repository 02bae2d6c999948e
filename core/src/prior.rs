//! The prior side of the sampler: the [`ScorePrior`] trait that [`crate::langevin`] calls
//! for `s_θ(x, β) ≈ ∇ log p_β(x)` (eq. 7–8), and analytic priors with exact noise-perturbed
//! scores.
//!
//! Perturbing `x ~ p` with `N(0, β²I)` (the NCSN construction behind eq. 7–8) keeps a Gaussian
//! a Gaussian, so these priors have closed-form scores at every noise level. They make the
//! sampler testable exactly (a Gaussian prior with linear measurements has a Gaussian
//! posterior) and give firmware a prior that needs no network.

use crate::{Error, Result};

/// A prior score `s_θ(x, β) ≈ ∇ log p_β(x)` (paper eq. 7–8), implemented by the host (an
/// NCSNv2 network) or by the analytic priors of this module, and called once per step by
/// [`Sampler::step`](crate::langevin::Sampler::step).
pub trait ScorePrior {
    /// The error a score evaluation can fail with.
    type Error;

    /// Scores a batch: `x` holds `B` samples of `N` values each, contiguous
    /// (`x.len() = B·N`), and `out` (same length) receives `s_θ(x_b, β)` for each sample.
    fn score(
        &mut self,
        x: &[f32],
        beta: f32,
        out: &mut [f32],
    ) -> core::result::Result<(), Self::Error>;
}

/// An isotropic Gaussian prior `N(μ, τ² I)`; perturbed by `β` it is `N(μ, (τ² + β²) I)`, with
/// score `−(x − μ)/(τ² + β²)`.
#[derive(Debug, Clone, Copy)]
pub struct GaussianPrior<'a> {
    mean: &'a [f32],
    variance: f32,
}

impl<'a> GaussianPrior<'a> {
    /// `N(mean, variance · I)`: `mean` non-empty and finite, `variance > 0` finite.
    pub fn new(mean: &'a [f32], variance: f32) -> Result<Self> {
        if mean.is_empty() {
            return Err(Error::Empty { field: "mean" });
        }
        Error::check_finite("mean", mean)?;
        Error::check_positive("variance", variance)?;
        Ok(Self { mean, variance })
    }

    /// The dimension `N`.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }
}

impl ScorePrior for GaussianPrior<'_> {
    type Error = Error;

    fn score(&mut self, x: &[f32], beta: f32, out: &mut [f32]) -> Result<()> {
        let n = self.mean.len();
        check_batch(x, out, n)?;
        let inv = 1.0 / (self.variance + beta * beta);
        for (xb, ob) in x.chunks_exact(n).zip(out.chunks_exact_mut(n)) {
            for ((o, &xi), &mi) in ob.iter_mut().zip(xb).zip(self.mean) {
                *o = (mi - xi) * inv;
            }
        }
        Ok(())
    }
}

/// A mixture of `K` isotropic Gaussians `Σ_k w_k N(μ_k, τ_k² I)`. Perturbed by `β` each
/// component widens to `τ_k² + β²`, and the score is the responsibility-weighted sum
/// `Σ_k r_k(x) (μ_k − x)/(τ_k² + β²)`, with responsibilities computed by a max-shifted
/// softmax of `ln w_k − (N/2) ln(τ_k² + β²) − ‖x − μ_k‖²/(2(τ_k² + β²))`.
#[derive(Debug, Clone, Copy)]
pub struct GaussianMixturePrior<'a, const K: usize> {
    log_weights: [f32; K],
    means: &'a [f32],
    variances: [f32; K],
    n: usize,
}

impl<'a, const K: usize> GaussianMixturePrior<'a, K> {
    /// A mixture with `weights` (positive, finite; normalized here), `means` (`K × N`
    /// row-major, finite) and `variances` (positive, finite). `K ≥ 1`.
    pub fn new(weights: [f32; K], means: &'a [f32], variances: [f32; K]) -> Result<Self> {
        if K == 0 {
            return Err(Error::Empty { field: "weights" });
        }
        if means.is_empty() || !means.len().is_multiple_of(K) {
            return Err(Error::DimensionMismatch {
                field: "means",
                expected: K * (means.len() / K).max(1),
                found: means.len(),
            });
        }
        Error::check_finite("means", means)?;
        let mut total = 0.0f32;
        for &w in &weights {
            Error::check_positive("weights", w)?;
            total += w;
        }
        for &v in &variances {
            Error::check_positive("variances", v)?;
        }
        let mut log_weights = [0.0f32; K];
        for (lw, &w) in log_weights.iter_mut().zip(&weights) {
            *lw = libm::logf(w / total);
        }
        Ok(Self {
            log_weights,
            means,
            variances,
            n: means.len() / K,
        })
    }

    /// The dimension `N`.
    pub fn dim(&self) -> usize {
        self.n
    }

    /// The score of one sample `x` (length `N`) at noise level `β` into `out`.
    fn score_one(&self, x: &[f32], beta: f32, out: &mut [f32]) {
        let n = self.n;
        let b2 = beta * beta;
        let mut logr = [0.0f32; K];
        let mut inv = [0.0f32; K];
        for (k, mu) in self.means.chunks_exact(n).enumerate() {
            let v = self.variances[k] + b2;
            inv[k] = 1.0 / v;
            let mut d2 = 0.0f32;
            for (&xi, &mi) in x.iter().zip(mu) {
                let d = xi - mi;
                d2 += d * d;
            }
            logr[k] =
                self.log_weights[k] - 0.5 * n as f32 * crate::fastmath::logf(v) - 0.5 * d2 * inv[k];
        }
        let max = logr.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut total = 0.0f32;
        for l in logr.iter_mut() {
            *l = crate::fastmath::expf(*l - max);
            total += *l;
        }
        out.fill(0.0);
        for (k, mu) in self.means.chunks_exact(n).enumerate() {
            let c = logr[k] / total * inv[k];
            for ((o, &xi), &mi) in out.iter_mut().zip(x).zip(mu) {
                *o += c * (mi - xi);
            }
        }
    }
}

impl<const K: usize> ScorePrior for GaussianMixturePrior<'_, K> {
    type Error = Error;

    fn score(&mut self, x: &[f32], beta: f32, out: &mut [f32]) -> Result<()> {
        check_batch(x, out, self.n)?;
        for (xb, ob) in x.chunks_exact(self.n).zip(out.chunks_exact_mut(self.n)) {
            self.score_one(xb, beta, ob);
        }
        Ok(())
    }
}

/// Checks that `x` holds whole samples of `n` values and `out` matches it.
fn check_batch(x: &[f32], out: &mut [f32], n: usize) -> Result<()> {
    if x.is_empty() || !x.len().is_multiple_of(n) {
        return Err(Error::DimensionMismatch {
            field: "x",
            expected: n * (x.len() / n).max(1),
            found: x.len(),
        });
    }
    Error::check_len("out", x.len(), out.len())
}
