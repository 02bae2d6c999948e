//! Criterion bench of the QCS-SGM+ EP likelihood score (`qcs_core::ep::score`, no matvec with
//! `A`) against eq. 18's kernel, one chain, one-bit, M = 200 (the MNIST setting), an
//! ill-conditioned spectrum (κ(AAᵀ) = 1000), at β = 1 and at the schedule's last level β = 0.01,
//! with the default parameters (≤ 10 iterations, tolerance 1e-3) and with exactly 10 iterations.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use qcs_core::ep::{self, EpParams};
use qcs_core::likelihood::one_bit_g;
use qcs_core::observation::Observation;
use qcs_core::rng::{fill_standard_normal, stream_rng};
use std::hint::black_box;

/// A random orthogonal `M × M` (Gram–Schmidt of normal rows, f64), row-major f32.
fn orthogonal(m: usize) -> Vec<f32> {
    let mut g = vec![0.0f32; m * m];
    fill_standard_normal(&mut stream_rng(3, 0), &mut g);
    let mut q: Vec<f64> = g.iter().map(|&v| f64::from(v)).collect();
    for i in 0..m {
        let (done, rest) = q.split_at_mut(i * m);
        let row = &mut rest[..m];
        for prev in done.chunks_exact(m) {
            let d: f64 = prev.iter().zip(row.iter()).map(|(a, b)| a * b).sum();
            row.iter_mut().zip(prev).for_each(|(r, p)| *r -= d * p);
        }
        let n = row.iter().map(|v| v * v).sum::<f64>().sqrt();
        row.iter_mut().for_each(|v| *v /= n);
    }
    q.iter().map(|&v| v as f32).collect()
}

fn bench_ep(c: &mut Criterion) {
    let (m, n) = (200usize, 784usize);
    let u = orthogonal(m);
    let raw: Vec<f64> = (0..m)
        .map(|i| 1000f64.powf(-(i as f64) / m as f64))
        .collect();
    let scale = n as f64 / raw.iter().sum::<f64>();
    let s: Vec<f32> = raw.iter().map(|r| (r * scale).sqrt() as f32).collect();
    let mut z = vec![0.0f32; m];
    let mut noise = vec![0.0f32; m];
    fill_standard_normal(&mut stream_rng(1, 0), &mut z);
    fill_standard_normal(&mut stream_rng(1, 1), &mut noise);
    z.iter_mut().for_each(|v| *v *= 4.0);
    let signs: Vec<f32> = z
        .iter()
        .zip(&noise)
        .map(|(a, b)| if a + 2.0 * b >= 0.0 { 1.0 } else { -1.0 })
        .collect();
    let obs = Observation::OneBit { signs: &signs };
    let (mut d, mut g, mut scratch) = (vec![0.0f32; m], vec![0.0f32; m], vec![0.0f32; 2 * m]);
    let mut group = c.benchmark_group("ep_score_m200");
    for beta in [1.0f32, 0.01] {
        ep::prepare(0.05, beta, &s, &mut d).unwrap();
        for (name, params) in [
            ("default", EpParams::DEFAULT),
            (
                "10_iterations",
                EpParams {
                    tolerance: 0.0,
                    ..EpParams::DEFAULT
                },
            ),
        ] {
            let report = ep::score(&obs, &u, &d, &z, &params, &mut g, &mut scratch).unwrap();
            println!("β = {beta}, {name}: {report:?}");
            group.bench_with_input(BenchmarkId::new(name, beta), &beta, |b, _| {
                b.iter(|| {
                    ep::score(&obs, &u, &d, black_box(&z), &params, &mut g, &mut scratch).unwrap()
                })
            });
        }
        let inv_s: Vec<f32> = s
            .iter()
            .map(|&sk| 1.0 / (0.0025 + beta * beta * sk * sk).sqrt())
            .collect();
        group.bench_with_input(BenchmarkId::new("eq18_one_bit_g", beta), &beta, |b, _| {
            b.iter(|| one_bit_g(black_box(&z), &signs, &inv_s, &mut g))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(std::time::Duration::from_secs(2)).warm_up_time(std::time::Duration::from_millis(500));
    targets = bench_ep
}
criterion_main!(benches);
