//! Statistical tests of the whole annealed Langevin sampler (Algorithm 1) against reference
//! distributions from `core/tests/reference/sampler_golden.py` (float64 numpy/scipy).

mod common;

use std::collections::HashMap;

use qcs_core::langevin::{Buffers, SampleError, Sampler, SamplerLayout, Schedule};
use qcs_core::likelihood::{Measurements, PseudoLikelihood};
use qcs_core::operator::{DenseOperator, Scaling, SensingOperator, Structured};
use qcs_core::prior::{GaussianPrior, ScorePrior};
use qcs_core::rng::{stream_rng, Xoshiro128PlusPlus};
use qcs_core::Error;

/// Reads a `name v1 v2 ...` reference file.
fn read_txt(name: &str) -> HashMap<String, Vec<f64>> {
    let text = std::fs::read_to_string(common::data_path(name)).expect("reference file");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut it = l.split_whitespace();
            let key = it.next().unwrap().to_owned();
            (key, it.map(|v| v.parse::<f64>().unwrap()).collect())
        })
        .collect()
}

fn f32s(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&x| x as f32).collect()
}

/// An owned slab for a sampler of `batch` chains over `op`.
struct Owned {
    layout: SamplerLayout,
    slab: Vec<f32>,
}

impl Owned {
    fn new<O: SensingOperator>(op: &O, batch: usize) -> Self {
        let layout = SamplerLayout::for_op(op, batch);
        Owned {
            layout,
            slab: vec![0.0; layout.slab_len()],
        }
    }
    fn buffers(&mut self) -> Buffers<'_> {
        self.layout.split(&mut self.slab).unwrap()
    }
}

fn schedule_of(v: &[f64]) -> Schedule {
    Schedule::new(
        v[0] as f32,
        v[1] as f32,
        v[2] as u32,
        v[3] as u32,
        v[4] as f32,
    )
    .unwrap()
}

/// Per-coordinate mean and variance over `batch` chains of `n` values.
fn moments(x: &[f32], n: usize) -> (Vec<f64>, Vec<f64>) {
    let b = (x.len() / n) as f64;
    let mut mean = vec![0.0f64; n];
    for chain in x.chunks_exact(n) {
        for (m, &v) in mean.iter_mut().zip(chain) {
            *m += v as f64 / b;
        }
    }
    let mut var = vec![0.0f64; n];
    for chain in x.chunks_exact(n) {
        for ((s, &v), m) in var.iter_mut().zip(chain).zip(&mean) {
            *s += (v as f64 - m).powi(2) / (b - 1.0);
        }
    }
    (mean, var)
}

const CHAINS: usize = 4000;

#[test]
fn gaussian_prior_linear_measurements_match_closed_form() {
    let r = read_txt("sampler_linear_gaussian.txt");
    let (n, m) = (r["dims"][0] as usize, r["dims"][1] as usize);
    let a = f32s(&r["a"]);
    let mu = f32s(&r["mu"]);
    let y = f32s(&r["y"]);
    let (u, lam) = (f32s(&r["eigenvectors"]), f32s(&r["eigenvalues"]));
    let op = DenseOperator::new(&a, m, n).unwrap();
    let lik = PseudoLikelihood::new(
        Measurements::LinearExact {
            y: &y,
            eigenvectors: &u,
            eigenvalues: &lam,
        },
        r["sigma"][0] as f32,
    )
    .unwrap();
    let mut prior = GaussianPrior::new(&mu, r["tau2"][0] as f32).unwrap();
    let mut rngs: Vec<Xoshiro128PlusPlus> =
        (0..CHAINS as u64).map(|b| stream_rng(2024, b)).collect();
    let mut owned = Owned::new(&op, CHAINS);
    let mut sampler = Sampler::new(
        &op,
        lik,
        schedule_of(&r["schedule"]),
        owned.buffers(),
        &mut rngs,
    )
    .unwrap();
    sampler.init_uniform();
    sampler.run(&mut prior).unwrap();
    let (mean, var) = moments(sampler.x(), n);
    let b = CHAINS as f64;
    for i in 0..n {
        // The sampler's exact output distribution (affine Gaussian recursion): only sampling
        // error remains. 4.5 standard errors per coordinate.
        let (em, ev) = (r["output_mean"][i], r["output_var"][i]);
        let se_mean = (ev / b).sqrt();
        let se_var = ev * (2.0 / (b - 1.0)).sqrt();
        assert!(
            (mean[i] - em).abs() < 4.5 * se_mean,
            "mean[{i}] = {} vs exact output {em} (se {se_mean})",
            mean[i]
        );
        assert!(
            (var[i] - ev).abs() < 4.5 * se_var,
            "var[{i}] = {} vs exact output {ev} (se {se_var})",
            var[i]
        );
        // And the closed-form posterior p(x | y): annealing and step-size bias are below 1 %
        // of the variance here, so the same bounds widened by 2 % hold.
        let (pm, pv) = (r["posterior_mean"][i], r["posterior_var"][i]);
        assert!(
            (mean[i] - pm).abs() < 4.5 * se_mean + 0.02 * pv.sqrt(),
            "mean[{i}] = {} vs posterior {pm}",
            mean[i]
        );
        assert!(
            (var[i] - pv).abs() < 4.5 * se_var + 0.02 * pv,
            "var[{i}] = {} vs posterior {pv}",
            var[i]
        );
    }
}

#[test]
fn one_bit_two_dimensional_posterior_mean() {
    let r = read_txt("sampler_one_bit_2d.txt");
    let (n, m) = (2usize, 3usize);
    let a = f32s(&r["a"]);
    let y = f32s(&r["y"]);
    let op = DenseOperator::new(&a, m, n).unwrap();
    let lik = PseudoLikelihood::new(Measurements::one_bit(&y), r["sigma"][0] as f32).unwrap();
    let zero = [0.0f32; 2];
    let mut prior = GaussianPrior::new(&zero, 1.0).unwrap();
    let mut rngs: Vec<Xoshiro128PlusPlus> = (0..CHAINS as u64).map(|b| stream_rng(77, b)).collect();
    let mut owned = Owned::new(&op, CHAINS);
    let mut sampler = Sampler::new(
        &op,
        lik,
        schedule_of(&r["schedule"]),
        owned.buffers(),
        &mut rngs,
    )
    .unwrap();
    sampler.init_uniform();
    sampler.run(&mut prior).unwrap();
    let (mean, var) = moments(sampler.x(), n);
    for i in 0..n {
        let (em, ev) = (r["final_level_mean"][i], r["final_level_var"][i]);
        let se = (ev / CHAINS as f64).sqrt();
        // Sampling error (4.5 se) plus a 0.01 allowance for the Langevin step-size bias.
        assert!(
            (mean[i] - em).abs() < 4.5 * se + 0.01,
            "mean[{i}] = {} vs numerical integration {em}",
            mean[i]
        );
        assert!(
            (var[i] - ev).abs() < 0.1 * ev,
            "var[{i}] = {} vs numerical integration {ev}",
            var[i]
        );
    }
}

#[test]
fn same_seed_same_bits_and_batch_independence() {
    let r = read_txt("sampler_one_bit_2d.txt");
    let a = f32s(&r["a"]);
    let y = f32s(&r["y"]);
    let op = DenseOperator::new(&a, 3, 2).unwrap();
    let run = |chains: u64| -> Vec<f32> {
        let lik = PseudoLikelihood::new(Measurements::one_bit(&y), 0.3).unwrap();
        let zero = [0.0f32; 2];
        let mut prior = GaussianPrior::new(&zero, 1.0).unwrap();
        let mut rngs: Vec<Xoshiro128PlusPlus> = (0..chains).map(|b| stream_rng(9, b)).collect();
        let mut owned = Owned::new(&op, chains as usize);
        let schedule = Schedule::new(1.0, 0.01, 10, 3, 1e-5).unwrap();
        let mut s = Sampler::new(&op, lik, schedule, owned.buffers(), &mut rngs).unwrap();
        s.init_uniform();
        s.run(&mut prior).unwrap();
        s.x().to_vec()
    };
    let one = run(1);
    let three = run(3);
    let again = run(3);
    assert_eq!(three, again, "same seeds must give the same bits");
    assert_eq!(
        &three[..2],
        &one[..],
        "chain 0 must not depend on the batch size"
    );
    assert_ne!(&three[..2], &three[2..4]);
}

#[test]
fn sampler_rejects_bad_buffers_and_finishes() {
    let a = [1.0f32, 0.0, 0.0, 1.0];
    let op = DenseOperator::new(&a, 2, 2).unwrap();
    let y = [1.0f32, -1.0];
    let lik = PseudoLikelihood::new(Measurements::one_bit(&y), 0.1).unwrap();
    let mut rngs = [stream_rng(1, 0)];
    // A `grad` buffer one value too long.
    let mut owned = Owned::new(&op, 1);
    let mut long_grad = [0.0f32; 3];
    let mut buffers = owned.buffers();
    buffers.grad = &mut long_grad;
    assert_eq!(
        Sampler::new(&op, lik, Schedule::PAPER_MNIST, buffers, &mut rngs).err(),
        Some(Error::DimensionMismatch {
            field: "grad",
            expected: 2,
            found: 3
        })
    );
    // Buffers laid out for two chains, one generator.
    let mut two = Owned::new(&op, 2);
    assert_eq!(
        Sampler::new(&op, lik, Schedule::PAPER_MNIST, two.buffers(), &mut rngs).err(),
        Some(Error::DimensionMismatch {
            field: "x",
            expected: 2,
            found: 4
        })
    );
    let mut no_rngs: [Xoshiro128PlusPlus; 0] = [];
    assert_eq!(
        Sampler::new(
            &op,
            lik,
            Schedule::PAPER_MNIST,
            owned.buffers(),
            &mut no_rngs
        )
        .err(),
        Some(Error::Empty { field: "rngs" })
    );
    let mut owned = Owned::new(&op, 1);
    let schedule = Schedule::new(1.0, 0.1, 2, 1, 1e-3).unwrap();
    let mut s = Sampler::new(&op, lik, schedule, owned.buffers(), &mut rngs).unwrap();
    let zero = [0.0f32; 2];
    let mut prior = GaussianPrior::new(&zero, 1.0).unwrap();
    s.init_uniform();
    assert_eq!(s.step(&mut prior).unwrap().done, 1);
    assert_eq!(s.step(&mut prior).unwrap().done, 2);
    assert!(s.is_finished());
    assert_eq!(
        s.step(&mut prior).err(),
        Some(SampleError::Core(Error::Finished))
    );
    assert_eq!(
        Schedule::new(0.1, 1.0, 10, 1, 1e-3),
        Err(Error::InvalidParameter {
            field: "beta_max",
            value: f64::from(0.1f32),
            expected: ">= beta_min"
        })
    );
    assert_eq!(
        Schedule::new(1.0, 0.1, 0, 1, 1e-3),
        Err(Error::Empty { field: "levels" })
    );
    assert_eq!(
        Schedule::new(1.0, 0.1, 10, 0, 1e-3),
        Err(Error::Empty {
            field: "steps_per_level"
        })
    );
    assert!(matches!(
        Schedule::new(1.0, 0.1, 10, 1, f32::NAN),
        Err(Error::InvalidParameter {
            field: "epsilon",
            value,
            expected: "finite and > 0"
        }) if value.is_nan()
    ));
    assert_eq!(
        Schedule::new(1.0, -0.1, 10, 1, 1e-3),
        Err(Error::InvalidParameter {
            field: "beta_min",
            value: f64::from(-0.1f32),
            expected: "finite and > 0"
        })
    );
}

#[test]
fn layout_sizes_and_splits_one_slab() {
    const LAYOUT: SamplerLayout = SamplerLayout::new(64, 128, 4);
    assert_eq!(LAYOUT.batch_len(), 256);
    assert_eq!(LAYOUT.slab_len(), 2 * 256 + 64 + 64 + 5 * 128);
    let mut slab = [0.0f32; LAYOUT.slab_len() + 3];
    let b = LAYOUT.split(&mut slab).unwrap();
    let lens = [
        b.x.len(),
        b.prior.len(),
        b.grad.len(),
        b.op_scratch.len(),
        b.z.len(),
        b.g.len(),
        b.row_norms_sq.len(),
        b.level.len(),
        b.lik_scratch.len(),
    ];
    assert_eq!(lens, [256, 256, 64, 64, 128, 128, 128, 128, 128]);
    assert_eq!(
        LAYOUT.split(&mut slab[..LAYOUT.slab_len() - 1]).err(),
        Some(Error::BufferTooSmall {
            field: "slab",
            needed: 1280,
            available: 1279
        })
    );
    // `carve` never fails: a short slab gives short buffers, which the sampler rejects.
    let short = LAYOUT.carve(&mut slab[..300]);
    assert_eq!(
        (short.x.len(), short.prior.len(), short.grad.len()),
        (256, 44, 0)
    );
    assert_eq!(
        LAYOUT.check(&short),
        Err(Error::DimensionMismatch {
            field: "prior",
            expected: 256,
            found: 44
        })
    );
    assert_eq!(SamplerLayout::new(usize::MAX, 1, 2).slab_len(), usize::MAX);

    // The structured operator needs an N-value scratch; `for_op` asks for it.
    let op = Structured::new(3, 4, 8, Scaling::PerMeasurement).unwrap();
    let layout = SamplerLayout::for_op(&op, 2);
    assert_eq!(layout, SamplerLayout::new(8, 4, 2));
    let no_scratch = SamplerLayout {
        op_scratch: 0,
        ..layout
    };
    let mut slab = vec![0.0f32; no_scratch.slab_len()];
    let signs = [1.0f32, -1.0, 1.0, 1.0];
    let lik = PseudoLikelihood::new(Measurements::one_bit(&signs), 0.1).unwrap();
    let mut rngs = [stream_rng(1, 0), stream_rng(1, 1)];
    assert_eq!(
        Sampler::new(
            &op,
            lik,
            Schedule::PAPER_MNIST,
            no_scratch.split(&mut slab).unwrap(),
            &mut rngs
        )
        .err(),
        Some(Error::BufferTooSmall {
            field: "op_scratch",
            needed: 8,
            available: 0
        })
    );
}

/// A prior that scores 0 except at call `at`, where it puts `value` into coordinate 1.
struct Blowup {
    calls: usize,
    at: usize,
    value: f32,
}

impl ScorePrior for Blowup {
    type Error = Error;

    fn score(&mut self, _x: &[f32], _beta: f32, out: &mut [f32]) -> Result<(), Error> {
        out.fill(0.0);
        if self.calls == self.at {
            out[1] = self.value;
        }
        self.calls += 1;
        Ok(())
    }
}

#[test]
fn a_non_finite_prior_score_or_iterate_is_a_divergence_at_its_step() {
    let a = [1.0f32, 0.0, 0.0, 1.0];
    let op = DenseOperator::new(&a, 2, 2).unwrap();
    let y = [1.0f32, -1.0];
    let lik = PseudoLikelihood::new(Measurements::one_bit(&y), 0.1).unwrap();
    // Levels of 2 steps: call 3 is level 1, step 1; call 0 is level 0, step 0.
    let schedule = Schedule::new(1.0, 0.1, 3, 2, 1e-3).unwrap();
    for (at, value, level, step) in [
        (3, f32::INFINITY, 1, 1),
        (0, f32::NAN, 0, 0),
        (4, f32::NEG_INFINITY, 2, 0),
    ] {
        let mut rngs = [stream_rng(5, 0), stream_rng(5, 1)];
        let mut owned = Owned::new(&op, 2);
        let mut s = Sampler::new(&op, lik, schedule, owned.buffers(), &mut rngs).unwrap();
        s.init_uniform();
        let mut prior = Blowup {
            calls: 0,
            at,
            value,
        };
        for done in 1..=at as u64 {
            assert_eq!(s.step(&mut prior).unwrap().done, done);
        }
        let e = s.step(&mut prior).err();
        assert_eq!(
            e,
            Some(SampleError::Core(Error::Diverged {
                level,
                step,
                beta: schedule.beta(level as u32)
            })),
            "prior value {value} at call {at}"
        );
        assert!(e.unwrap().to_string().contains("non-finite"));
    }
    // A finite but huge score whose step overflows the iterate: α_0 = 0.5 · (1/0.1)² = 50.
    let schedule = Schedule::new(1.0, 0.1, 3, 2, 0.5).unwrap();
    let mut rngs = [stream_rng(5, 0)];
    let mut owned = Owned::new(&op, 1);
    let mut s = Sampler::new(&op, lik, schedule, owned.buffers(), &mut rngs).unwrap();
    s.init_uniform();
    let mut prior = Blowup {
        calls: 0,
        at: 1,
        value: f32::MAX,
    };
    assert_eq!(s.step(&mut prior).unwrap().done, 1);
    assert_eq!(
        s.step(&mut prior).err(),
        Some(SampleError::Core(Error::Diverged {
            level: 0,
            step: 1,
            beta: 1.0
        }))
    );
}

#[test]
fn schedule_is_geometric() {
    let s = Schedule::PAPER_MNIST;
    assert_eq!(s.beta(0), 50.0);
    assert_eq!(s.beta(231), 0.01);
    assert_eq!(s.total_steps(), 1160);
    // Reference: numpy exp(linspace(log 50, log 0.01, 232))[100] in float64.
    let want = (50f64.ln() + 100.0 / 231.0 * (0.01f64.ln() - 50f64.ln())).exp();
    assert!(((s.beta(100) as f64) - want).abs() < 2e-6 * want);
    assert!(((s.step_size(231) as f64) - 2e-4).abs() < 1e-9);
}

/// The final denoising step is Tweedie's formula with the posterior score: for a Gaussian
/// prior `N(μ, τ²I)` and linear measurements with `AAᵀ` diagonal (so eq. 20 is exact),
/// `x + β_T² (−(x − μ)/(τ² + β_T²) + Aᵀ diag(1/s²)(y − A x))`, `s_m² = σ² + β_T²‖a_m‖²`,
/// computed here in f64 from the formula, independently of the core.
#[test]
fn denoise_is_tweedie_with_the_posterior_score() {
    // A has orthogonal rows: AAᵀ = diag(1, 4).
    let a = [1.0f32, 0.0, 0.0, 0.0, 2.0, 0.0];
    let op = DenseOperator::new(&a, 2, 3).unwrap();
    let y = [0.7f32, -0.4];
    let (sigma, tau2) = (0.1f32, 0.5f32);
    let mean = [0.2f32, 0.4, 0.6];
    let mut prior = GaussianPrior::new(&mean, tau2).unwrap();
    let lik = PseudoLikelihood::new(Measurements::linear_diagonal(&y), sigma).unwrap();
    let schedule = Schedule::new(0.3, 0.3, 1, 1, 1e-3).unwrap();
    let mut owned = Owned::new(&op, 1);
    let mut rngs = [stream_rng(9, 0)];
    let mut sampler = Sampler::new(&op, lik, schedule, owned.buffers(), &mut rngs).unwrap();
    let x0 = [0.9f32, -0.3, 0.5];
    sampler.x_mut().copy_from_slice(&x0);
    sampler.denoise(&mut prior).unwrap();
    let beta = 0.3f64;
    let x: Vec<f64> = x0.iter().map(|&v| v as f64).collect();
    let ax = [x[0], 2.0 * x[1]];
    let s2 = [
        (sigma as f64).powi(2) + beta * beta,
        (sigma as f64).powi(2) + 4.0 * beta * beta,
    ];
    let r = [(y[0] as f64 - ax[0]) / s2[0], (y[1] as f64 - ax[1]) / s2[1]];
    let lik_grad = [r[0], 2.0 * r[1], 0.0];
    for i in 0..3 {
        let prior_score = -(x[i] - mean[i] as f64) / (tau2 as f64 + beta * beta);
        let want = x[i] + beta * beta * (prior_score + lik_grad[i]);
        let got = sampler.x()[i] as f64;
        assert!((got - want).abs() < 1e-6, "x[{i}] = {got}, want {want}");
    }
    // A prior that returns ∞ makes the step a divergence, not a silent NaN.
    struct Inf;
    impl ScorePrior for Inf {
        type Error = core::convert::Infallible;
        fn score(&mut self, _: &[f32], _: f32, out: &mut [f32]) -> Result<(), Self::Error> {
            out.fill(f32::INFINITY);
            Ok(())
        }
    }
    match sampler.denoise(&mut Inf) {
        Err(SampleError::Core(Error::Diverged { .. })) => {}
        other => panic!("expected Diverged, got {other:?}"),
    }
}
