//! Forward + adjoint of the sensing operators (paper eq. 1–2): dense vs seeded Gaussian vs
//! structured, at the MNIST size (N = 784, M = 200) and the CelebA size of the paper
//! (N = 12288, M = 4000; the dense matrix is 196 MB).
//!
//! Run: `cargo bench -p qcs-core --bench operators` (about 2 minutes). The numpy counterpart
//! is `core/benches/operators_numpy.py`.

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use qcs_core::operator::{DenseOperator, Scaling, SeededGaussian, SensingOperator, Structured};
use qcs_core::rng::{stream_rng, uniform_pm1};
use std::hint::black_box;
use std::time::Duration;

fn random_vec(seed: u64, len: usize) -> Vec<f32> {
    let mut rng = stream_rng(seed, 1);
    (0..len).map(|_| uniform_pm1(&mut rng)).collect()
}

/// One forward and one adjoint application.
fn fwd_adj(
    op: &impl SensingOperator,
    x: &[f32],
    r: &[f32],
    y: &mut [f32],
    z: &mut [f32],
    s: &mut [f32],
) {
    op.forward(black_box(x), y, s).unwrap();
    op.adjoint(black_box(r), z, s).unwrap();
    black_box((&y, &z));
}

fn bench_size(c: &mut Criterion, m: usize, n: usize, big: bool) {
    let seed = 12345;
    let seeded = SeededGaussian::new(seed, m, n, Scaling::PerMeasurement).unwrap();
    let structured = Structured::new(seed, m, n, Scaling::PerMeasurement).unwrap();
    let mut data = vec![0.0f32; m * n];
    seeded.materialize(&mut data).unwrap();
    let dense = DenseOperator::new(&data, m, n).unwrap();

    let x = random_vec(1, n);
    let r = random_vec(2, m);
    let (mut y, mut z) = (vec![0.0f32; m], vec![0.0f32; n]);
    let mut scratch = vec![0.0f32; structured.scratch_len()];

    let mut g = c.benchmark_group(format!("operators/N{n}_M{m}"));
    // Throughput: the M·N entries touched by one forward + one adjoint (2·M·N products).
    g.throughput(Throughput::Elements(2 * (m * n) as u64));
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(if big { 3 } else { 2 }));
    if big {
        // One seeded fwd+adj regenerates 2·M·N ≈ 10⁸ normals: flat sampling keeps it to
        // about ten iterations.
        g.sample_size(10).sampling_mode(SamplingMode::Flat);
    }
    g.bench_function(BenchmarkId::new("fwd+adj", "dense"), |b| {
        b.iter(|| fwd_adj(&dense, &x, &r, &mut y, &mut z, &mut []))
    });
    g.bench_function(BenchmarkId::new("fwd+adj", "seeded"), |b| {
        b.iter(|| fwd_adj(&seeded, &x, &r, &mut y, &mut z, &mut []))
    });
    g.bench_function(BenchmarkId::new("fwd+adj", "structured"), |b| {
        b.iter(|| fwd_adj(&structured, &x, &r, &mut y, &mut z, &mut scratch))
    });
    g.finish();
}

fn operators(c: &mut Criterion) {
    bench_size(c, 200, 784, false);
    bench_size(c, 4000, 12288, true);
}

criterion_group!(benches, operators);
criterion_main!(benches);
