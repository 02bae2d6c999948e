//! Measuring a test image for one cell: through a frame (Gaussian) or directly with the
//! ill-conditioned operator.

use crate::problem::Observed;
use crate::sensing::{self, Measured, SensorQuantizer, SensorSettings};
use anyhow::{anyhow, ensure, Result};
use qcs_core::frame::SignalShape;
use qcs_core::operator::{DenseOperator, Scaling};
use qcs_core::rng;

/// `y = Q(Ax + n)` of a `height × width` image into a frame ([`sensing::measure_frame`]):
/// `A = SeededGaussian(operator_seed, M, N, N(0, 1/M))`, uniform `Q`-bit quantizer with `Δ`
/// from the measured range (`bits` 0: unquantized), `n` from `noise`.
#[allow(clippy::too_many_arguments)]
pub fn measure(
    x: &[f32],
    height: usize,
    width: usize,
    m: usize,
    bits: u8,
    sigma: f32,
    operator_seed: u64,
    noise: &mut rng::Xoshiro128PlusPlus,
    counter: u32,
) -> Result<Measured> {
    let shape = SignalShape::image(height as u32, width as u32, 1)
        .map_err(|e| anyhow!("signal shape: {e}"))?;
    let quantizer = if bits == 0 {
        SensorQuantizer::Unquantized
    } else {
        SensorQuantizer::Uniform { bits, delta: None }
    };
    let settings = SensorSettings {
        measurements: m,
        quantizer,
        sigma,
        operator: qcs_core::frame::OperatorKind::SeededGaussian,
        scaling: Scaling::PerMeasurement,
        seed: operator_seed,
        counter,
    };
    sensing::measure_frame(x, shape, &settings, noise)
}

/// An ill-conditioned operator as in the QCS-SGM+ follow-up: `A = U·diag(d)·V` with `U` a
/// random `M × M` orthogonal matrix, `V` `M` random orthonormal rows of length `N`, and
/// `d_i² ∝ κ^(−i/M)` (`i = 0..M`) scaled so that `Σ d_i² = N` (the trace of `AAᵀ` for
/// `N(0, 1/M)` entries), so `AAᵀ = U·diag(d²)·Uᵀ` has eigenvalue ratio
/// `κ^((M−1)/M) ≈ κ`. `U` and `V` orthonormalize `N(0, 1)` matrices from
/// `rng::stream_rng(seed, 1)` and `(seed, 2)` by modified Gram–Schmidt in `f64`.
///
/// Returns `(A row-major M × N, U row-major M × M, d²)`; needs `M ≤ N`.
pub fn ill_conditioned(
    seed: u64,
    m: usize,
    n: usize,
    kappa: f32,
) -> Result<(Vec<f32>, Vec<f32>, Vec<f32>)> {
    ensure!(
        m >= 1 && m <= n,
        "the ill-conditioned operator needs 1 ≤ M ≤ N, got M = {m}, N = {n}"
    );
    ensure!(kappa.is_finite() && kappa >= 1.0, "κ must be ≥ 1");
    let orthonormal_rows = |stream: u64, rows: usize, cols: usize| -> Result<Vec<f64>> {
        let mut g = vec![0.0f32; rows * cols];
        rng::fill_standard_normal(&mut rng::stream_rng(seed, stream), &mut g);
        let mut q: Vec<f64> = g.iter().map(|&v| v as f64).collect();
        for i in 0..rows {
            let (done, rest) = q.split_at_mut(i * cols);
            let row = &mut rest[..cols];
            for prev in done.chunks_exact(cols) {
                let d: f64 = prev.iter().zip(row.iter()).map(|(a, b)| a * b).sum();
                row.iter_mut().zip(prev).for_each(|(r, p)| *r -= d * p);
            }
            let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt();
            ensure!(norm > 1e-9, "Gram–Schmidt broke down at row {i}");
            row.iter_mut().for_each(|v| *v /= norm);
        }
        Ok(q)
    };
    // U: rows orthonormal ⇔ columns orthonormal for a square matrix.
    let u = orthonormal_rows(1, m, m)?;
    let v = orthonormal_rows(2, m, n)?;
    let raw: Vec<f64> = (0..m)
        .map(|i| (kappa as f64).powf(-(i as f64) / m as f64))
        .collect();
    let scale = n as f64 / raw.iter().sum::<f64>();
    let d2: Vec<f64> = raw.iter().map(|r| r * scale).collect();
    let mut a = vec![0.0f32; m * n];
    let mut row = vec![0.0f64; n];
    for (i, out) in a.chunks_exact_mut(n).enumerate() {
        row.fill(0.0);
        for (k, vk) in v.chunks_exact(n).enumerate() {
            let coef = u[i * m + k] * d2[k].sqrt();
            row.iter_mut().zip(vk).for_each(|(r, &x)| *r += coef * x);
        }
        out.iter_mut().zip(&row).for_each(|(o, &r)| *o = r as f32);
    }
    Ok((
        a,
        u.iter().map(|&x| x as f32).collect(),
        d2.iter().map(|&x| x as f32).collect(),
    ))
}

/// Measurements taken directly with a dense operator (the ill-conditioned one): what
/// [`Problem::from_frame`](crate::problem::Problem::from_frame) would have decoded, plus the codewords.
#[derive(Debug, Clone)]
pub struct DirectMeasured {
    /// The measurements in the form of their score.
    pub observed: Observed,
    /// Codewords (±1 for one-bit) or the unquantized `y`.
    pub targets: Vec<f32>,
}

/// `y = Q(Ax + n)` with a dense `A`, measured once and quantized as
/// [`sensing::measure_frame`] does for [`measure`] (sign quantizer for one bit, `Δ` from the
/// range of the noisy `y` otherwise), then turned into what [`Problem::from_frame`] would
/// decode from the codes (`sensing` and `problem` take only frame operators; this `A` has no
/// frame kind).
///
/// [`Problem::from_frame`]: crate::problem::Problem::from_frame
pub fn measure_dense(
    op: &DenseOperator<'_>,
    x: &[f32],
    bits: u8,
    sigma: f32,
    noise: &mut rng::Xoshiro128PlusPlus,
) -> Result<DirectMeasured> {
    let quantizer = match bits {
        0 => SensorQuantizer::Unquantized,
        bits => SensorQuantizer::Uniform { bits, delta: None },
    };
    let q = sensing::measure_with(op, x, &quantizer, sigma, noise)?;
    Ok(DirectMeasured {
        observed: q.observed()?,
        targets: q.targets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::Problem;

    #[test]
    fn ill_conditioned_operator_has_the_stated_spectrum() {
        let (m, n, kappa) = (20, 50, 1000.0f32);
        let (a, u, d2) = ill_conditioned(7, m, n, kappa).unwrap();
        let sum: f64 = d2.iter().map(|&v| v as f64).sum();
        assert!((sum - n as f64).abs() < 1e-3 * n as f64, "Σd² = {sum}");
        let ratio = d2[0] / d2[m - 1];
        let want = kappa.powf((m - 1) as f32 / m as f32);
        assert!((ratio / want - 1.0).abs() < 1e-3, "{ratio} vs {want}");
        // AAᵀ computed from A directly equals U diag(d²) Uᵀ.
        let mut worst = 0.0f64;
        for i in 0..m {
            for j in 0..m {
                let aat: f64 = (0..n)
                    .map(|k| a[i * n + k] as f64 * a[j * n + k] as f64)
                    .sum();
                let eig: f64 = (0..m)
                    .map(|k| u[i * m + k] as f64 * d2[k] as f64 * u[j * m + k] as f64)
                    .sum();
                worst = worst.max((aat - eig).abs());
            }
        }
        assert!(worst < 1e-4 * d2[0] as f64, "max |AAᵀ − UΛUᵀ| = {worst}");
        assert!(ill_conditioned(7, 60, 50, kappa).is_err());
    }

    #[test]
    fn measuring_directly_equals_the_frame_path() {
        // The seeded Gaussian materialized into a dense matrix: measuring with it directly
        // gives what the sensor's frame decodes to (same y, codes, bins and targets).
        let (h, w, m, sigma, seed) = (8, 8, 40, 0.05, 77);
        let x: Vec<f32> = (0..h * w).map(|i| ((i * 37) % 11) as f32 / 10.0).collect();
        for bits in [0u8, 1, 3] {
            let framed = measure(
                &x,
                h,
                w,
                m,
                bits,
                sigma,
                seed,
                &mut rng::stream_rng(5, 2),
                0,
            )
            .unwrap();
            let problem = Problem::from_frame(&framed.frame, "test").unwrap();
            let gaussian =
                qcs_core::operator::SeededGaussian::new(seed, m, h * w, Scaling::PerMeasurement)
                    .unwrap();
            let mut a = vec![0.0; m * h * w];
            gaussian.materialize(&mut a).unwrap();
            let op = DenseOperator::new(&a, m, h * w).unwrap();
            let direct = measure_dense(&op, &x, bits, sigma, &mut rng::stream_rng(5, 2)).unwrap();
            assert_eq!(direct.observed, problem.observed, "bits {bits}");
            assert_eq!(direct.targets, framed.targets, "bits {bits}");
        }
    }
}
