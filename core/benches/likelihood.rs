//! Criterion bench of the pseudo-likelihood score kernel `G` (no matvec): one-bit (eq. 18)
//! and 3-bit (eq. 29) at β = 1 and at the schedule's last level β = 0.01, M = 200 and M = 10 000. `benches/compare.py` runs it together with the
//! numpy/scipy version (`benches/likelihood_numpy.py`) and reports the ratio.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use qcs_core::likelihood::{Measurements, PseudoLikelihood};
use qcs_core::quantizer::{Quantizer, UniformQuantizer};
use qcs_core::rng::{fill_standard_normal, stream_rng};
use std::hint::black_box;

/// Deterministic inputs shared with the numpy script: z ~ N(0, 1), measurements from a
/// noisy copy of z, ‖a_m‖² = 784/200·(1/784)… = 1 (N(0, 1/M) rows of length N = M·3.92).
fn inputs(m: usize) -> (Vec<f32>, Vec<f32>) {
    let mut rng = stream_rng(1, 0);
    let mut z = vec![0.0f32; m];
    let mut noise = vec![0.0f32; m];
    fill_standard_normal(&mut rng, &mut z);
    fill_standard_normal(&mut rng, &mut noise);
    let y: Vec<f32> = z.iter().zip(&noise).map(|(a, b)| a + 0.5 * b).collect();
    (z, y)
}

fn bench_g(c: &mut Criterion) {
    let mut group = c.benchmark_group("likelihood_g");
    for &m in &[200usize, 10_000] {
        let (z, y) = inputs(m);
        let norms = vec![1.0f32; m];
        let mut cache = vec![0.0f32; m];
        let mut g = vec![0.0f32; m];
        group.throughput(Throughput::Elements(m as u64));

        let signs: Vec<f32> = y
            .iter()
            .map(|&v| if v >= 0.0 { 1.0 } else { -1.0 })
            .collect();
        let lik = PseudoLikelihood::new(Measurements::one_bit(&signs), 0.05).unwrap();
        lik.prepare(1.0, &norms, &mut cache).unwrap();
        group.bench_with_input(BenchmarkId::new("one_bit", m), &m, |b, _| {
            b.iter(|| lik.g(black_box(&z), &cache, &mut g, &mut []).unwrap())
        });

        let q = UniformQuantizer::new(3, 0.5).unwrap();
        let mut codes = vec![0u16; m];
        q.encode_slice(&y, &mut codes).unwrap();
        let (mut lower, mut upper) = (vec![0.0f32; m], vec![0.0f32; m]);
        q.bounds_slice(&codes, &mut lower, &mut upper).unwrap();
        let lik = PseudoLikelihood::new(Measurements::quantized(&lower, &upper), 0.05).unwrap();
        lik.prepare(1.0, &norms, &mut cache).unwrap();
        group.bench_with_input(BenchmarkId::new("three_bit", m), &m, |b, _| {
            b.iter(|| lik.g(black_box(&z), &cache, &mut g, &mut []).unwrap())
        });
        // The last noise level of the paper's schedule (β = 0.01): s ≈ σ, the bins are 10 s
        // wide and most z lie inside them (the straddling algorithm).
        lik.prepare(0.01, &norms, &mut cache).unwrap();
        group.bench_with_input(BenchmarkId::new("three_bit_last_level", m), &m, |b, _| {
            b.iter(|| lik.g(black_box(&z), &cache, &mut g, &mut []).unwrap())
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(std::time::Duration::from_secs(3)).warm_up_time(std::time::Duration::from_secs(1));
    targets = bench_g
}
criterion_main!(benches);
