//! The warm-start estimate `x̂ = μ + s (v − mean v)/std v`, `v = Aᵀŷ`, against the same
//! formula written here in float64 (a separate implementation), for every observation kind.

use qcs_core::likelihood::Measurements;
use qcs_core::operator::DenseOperator;
use qcs_host::warm_start::{estimate, PIXEL_MEAN, PIXEL_STD};

const M: usize = 4;
const N: usize = 6;

fn matrix() -> Vec<f32> {
    (0..M * N)
        .map(|i| ((i * 5 % 13) as f32 - 6.0) / 7.0)
        .collect()
}

/// The reference in float64: back-projection of `r`, standardized.
fn reference(a: &[f32], r: &[f64]) -> Vec<f64> {
    let v: Vec<f64> = (0..N)
        .map(|j| (0..M).map(|m| a[m * N + j] as f64 * r[m]).sum())
        .collect();
    let mean = v.iter().sum::<f64>() / N as f64;
    let std = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / N as f64).sqrt();
    v.iter()
        .map(|x| PIXEL_MEAN as f64 + PIXEL_STD as f64 * (x - mean) / std)
        .collect()
}

fn assert_close(got: &[f32], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (j, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!((g as f64 - w).abs() <= 1e-5, "pixel {j}: {g} against {w}");
    }
}

#[test]
fn the_estimate_matches_a_float64_reference_for_each_observation() {
    let a = matrix();
    let op = DenseOperator::new(&a, M, N).unwrap();
    let signs = [1.0f32, -1.0, -1.0, 1.0];
    let got = estimate(&op, &Measurements::one_bit(&signs)).unwrap();
    assert_close(&got, &reference(&a, &[1.0, -1.0, -1.0, 1.0]));

    // Bins: a closed one (midpoint), two open ones (their finite edge), the whole line (0).
    let lower = [0.25f32, f32::NEG_INFINITY, 0.5, f32::NEG_INFINITY];
    let upper = [0.75f32, -0.5, f32::INFINITY, f32::INFINITY];
    let got = estimate(&op, &Measurements::quantized(&lower, &upper)).unwrap();
    assert_close(&got, &reference(&a, &[0.5, -0.5, 0.5, 0.0]));

    let y = [0.3f32, -1.2, 0.7, 2.0];
    let got = estimate(&op, &Measurements::linear_diagonal(&y)).unwrap();
    assert_close(&got, &reference(&a, &[0.3, -1.2, 0.7, 2.0]));
}

#[test]
fn a_constant_back_projection_gives_the_pixel_mean() {
    // Aᵀŷ = 0 when the two rows cancel.
    let a = [1.0f32, 2.0, 3.0, 1.0, 2.0, 3.0];
    let op = DenseOperator::new(&a, 2, 3).unwrap();
    let got = estimate(&op, &Measurements::one_bit(&[1.0, -1.0])).unwrap();
    assert_eq!(got, vec![PIXEL_MEAN; 3]);
}
