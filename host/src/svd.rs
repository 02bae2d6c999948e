//! The left singular vectors and singular values of the sensing matrix, `A = U S Vᵀ`, that the
//! QCS-SGM+ likelihood score needs ([`qcs_core::ep`]; Meng & Kabashima, AAAI 2024,
//! arXiv 2302.00919): computed once per frame, before sampling.
//!
//! **Crate: `nalgebra`** (`SymmetricEigen`, `f64`). It is pure Rust, mature and widely used,
//! builds in well under a minute without default features, and its symmetric eigensolver is all
//! this needs. `faer` is faster on large matrices but a much heavier build, for a problem that
//! takes milliseconds here (`M = 200`: forming `AAᵀ` is `M²N ≈ 3·10⁷` multiply-adds). Neither
//! was in the lock file before.
//!
//! **Why `AAᵀ` and not a thin SVD of `A`.** The EP score needs the full `M × M` `U`, also when
//! `M > N` (where the last `M − N` singular values are 0 and a thin SVD has no vectors for
//! them). The eigendecomposition of the Gram matrix `AAᵀ = U S² Uᵀ` gives the same `U` and
//! `S = √Λ` in every case. In `f64` the eigenvalues carry an absolute error of about
//! `10⁻¹⁶·λ_max`, so the singular values stay accurate to far beyond `f32` for any condition
//! number below `10⁸`; negative rounding residue is clamped to 0.

use anyhow::{anyhow, ensure, Result};
use nalgebra::{DMatrix, SymmetricEigen};
use qcs_core::ep::EpParams;
use qcs_core::likelihood::{Measurements, PseudoLikelihood};
use qcs_core::operator::SensingOperator;

use crate::problem::Observed;

/// `U` (`M × M`, row-major, column `k` the left singular vector of `singular_values[k]`) and
/// `S` (`M` values, descending, zero-padded when `M > N`) of an operator.
#[derive(Debug, Clone, PartialEq)]
pub struct LeftSvd {
    /// `U`, row-major.
    pub u: Vec<f32>,
    /// `S`, descending.
    pub singular_values: Vec<f32>,
}

impl LeftSvd {
    /// The decomposition of any operator, from its rows `a_m = Aᵀ e_m` (so the structured
    /// operator works as well as a dense one).
    pub fn of(op: &dyn SensingOperator) -> Result<Self> {
        let (m, n) = (op.rows(), op.cols());
        ensure!(m >= 1 && n >= 1, "the operator is empty ({m} × {n})");
        let mut rows = vec![0.0f32; m * n];
        let (mut e, mut scratch) = (vec![0.0f32; m], vec![0.0f32; op.scratch_len()]);
        for (i, row) in rows.chunks_exact_mut(n).enumerate() {
            e.fill(0.0);
            e[i] = 1.0;
            op.adjoint(&e, row, &mut scratch)
                .map_err(|err| anyhow!("operator row {i}: {err}"))?;
        }
        let a = DMatrix::<f64>::from_iterator(n, m, rows.iter().map(|&v| f64::from(v))).transpose();
        let gram = &a * a.transpose();
        ensure!(
            gram.iter().all(|v| v.is_finite()),
            "AAᵀ is not finite: the operator has non-finite or huge entries"
        );
        let eig = SymmetricEigen::new(gram);
        let mut order: Vec<usize> = (0..m).collect();
        order.sort_by(|&i, &j| eig.eigenvalues[j].total_cmp(&eig.eigenvalues[i]));
        let mut u = vec![0.0f32; m * m];
        for (k, &col) in order.iter().enumerate() {
            for i in 0..m {
                u[i * m + k] = eig.eigenvectors[(i, col)] as f32;
            }
        }
        let singular_values = order
            .iter()
            .map(|&col| eig.eigenvalues[col].max(0.0).sqrt() as f32)
            .collect();
        Ok(LeftSvd { u, singular_values })
    }

    /// The measurements in the form of the EP score.
    pub fn measurements<'a>(
        &'a self,
        observed: &'a Observed,
        params: EpParams,
    ) -> Measurements<'a> {
        Measurements::Ep {
            observation: observed.view(),
            left_singular_vectors: &self.u,
            singular_values: &self.singular_values,
            params,
        }
    }

    /// The EP pseudo-likelihood of `observed` with noise level `sigma`.
    pub fn likelihood<'a>(
        &'a self,
        observed: &'a Observed,
        sigma: f32,
        params: EpParams,
    ) -> Result<PseudoLikelihood<'a>> {
        PseudoLikelihood::new(self.measurements(observed, params), sigma)
            .map_err(|e| anyhow!("likelihood: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qcs_core::operator::{DenseOperator, Scaling, Structured};

    /// `max |U S² Uᵀ − AAᵀ|` and `max |UᵀU − I|` for the rows of `a`.
    fn residuals(svd: &LeftSvd, a: &[f32], m: usize, n: usize) -> (f64, f64) {
        let (u, s) = (&svd.u, &svd.singular_values);
        let (mut gram, mut orth) = (0.0f64, 0.0f64);
        for i in 0..m {
            for j in 0..m {
                let aat: f64 = (0..n)
                    .map(|k| f64::from(a[i * n + k]) * f64::from(a[j * n + k]))
                    .sum();
                let usu: f64 = (0..m)
                    .map(|k| {
                        f64::from(u[i * m + k]) * f64::from(s[k]).powi(2) * f64::from(u[j * m + k])
                    })
                    .sum();
                let utu: f64 = (0..m)
                    .map(|k| f64::from(u[k * m + i]) * f64::from(u[k * m + j]))
                    .sum();
                gram = gram.max((aat - usu).abs());
                orth = orth.max((utu - if i == j { 1.0 } else { 0.0 }).abs());
            }
        }
        (gram, orth)
    }

    #[test]
    fn reproduces_aat_for_wide_tall_and_structured_operators() {
        for (m, n) in [(6, 15), (12, 5)] {
            let a: Vec<f32> = (0..m * n)
                .map(|i| ((i * 37 % 11) as f32 - 5.0) / 7.0)
                .collect();
            let op = DenseOperator::new(&a, m, n).unwrap();
            let svd = LeftSvd::of(&op).unwrap();
            let (gram, orth) = residuals(&svd, &a, m, n);
            assert!(gram < 1e-5 && orth < 1e-6, "{m}×{n}: {gram:e}, {orth:e}");
            assert!(svd.singular_values.windows(2).all(|w| w[0] >= w[1]));
            if m > n {
                // Rank N: the last M − N singular values vanish (to rounding).
                assert!(svd.singular_values[n..].iter().all(|&s| s < 1e-3));
            }
        }
        let op = Structured::new(3, 8, 16, Scaling::PerMeasurement).unwrap();
        let mut a = vec![0.0f32; 8 * 16];
        let mut scratch = vec![0.0f32; op.scratch_len()];
        for (i, row) in a.chunks_exact_mut(16).enumerate() {
            let mut e = [0.0f32; 8];
            e[i] = 1.0;
            op.adjoint(&e, row, &mut scratch).unwrap();
        }
        let svd = LeftSvd::of(&op).unwrap();
        let (gram, orth) = residuals(&svd, &a, 8, 16);
        assert!(gram < 1e-5 && orth < 1e-6, "structured: {gram:e}, {orth:e}");
    }

    #[test]
    fn ill_conditioned_spectrum_is_recovered() {
        let (m, n, kappa) = (20, 50, 1000.0f32);
        let (a, _, d2) = crate::eval::ill_conditioned(7, m, n, kappa).unwrap();
        let op = DenseOperator::new(&a, m, n).unwrap();
        let svd = LeftSvd::of(&op).unwrap();
        for (s, d2) in svd.singular_values.iter().zip(&d2) {
            assert!((s * s / d2 - 1.0).abs() < 1e-4, "{} vs {d2}", s * s);
        }
    }
}
