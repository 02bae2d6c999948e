//! Classic sparsity baselines on the same measurements as QCS-SGM, in an orthonormal 2-D
//! basis ([`Basis`]: DCT-II or Haar wavelets):
//!
//! * [`biht`]: binary iterative hard thresholding for one-bit measurements (Jacques, Laska,
//!   Boufounos & Baraniuk 2013, normalized as in Plan & Vershynin / Friedlander et al.), which
//!   recovers only the direction `x/‖x‖`;
//! * [`lasso_fista`]: "Lasso-W", `min_c ½‖ỹ − AΨᵀc‖² + λ‖c‖₁` by FISTA (Beck & Teboulle
//!   2009) on the quantizer's codewords `ỹ` (or the unquantized `y`).
//!
//! Both take any [`SensingOperator`](qcs_core::operator::SensingOperator); they run in `f32` with `f64` accumulations for norms.

//!
//! One file per method: [`basis`](Transform) (the DCT and Haar transforms), [`biht`],
//! [`lasso_fista`] and the [`AldOperator`] of Jalal et al.'s Langevin baseline.

mod ald;
mod basis;
mod biht;
mod lasso;

pub use ald::{AldOperator, AldSettings};
pub use basis::{Basis, Transform};
pub use biht::{biht, hard_threshold, BihtSettings};
pub use lasso::{lasso_fista, spectral_norm_sq, LassoSettings};

/// `‖v‖₂`, accumulated in `f64`.
pub(crate) fn norm(v: &[f32]) -> f64 {
    v.iter().map(|&a| a as f64 * a as f64).sum::<f64>().sqrt()
}

/// Scales `c` to unit norm (a zero vector stays zero).
pub(crate) fn normalize(c: &mut [f32]) {
    let nn = norm(c);
    if nn > 0.0 {
        let inv = (1.0 / nn) as f32;
        c.iter_mut().for_each(|v| *v *= inv);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qcs_core::operator::{DenseOperator, Scaling, SeededGaussian, SensingOperator};
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
