//! The annealed Langevin dynamics baseline of Jalal et al. (2021a) as an operator wrapper.

use anyhow::{ensure, Result};
use qcs_core::operator::SensingOperator;

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
/// `Measurements::linear_diagonal`.
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
