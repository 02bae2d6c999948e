//! `Balance::PriorNormFraction` (QCS-SGM+'s likelihood rescaling) inside the sampler: the
//! likelihood score enters a step with `c` times the prior score's norm. The expected values
//! are computed here in f64 from the formulas, independently of the core.

use qcs_core::langevin::{Balance, Sampler, SamplerLayout, Schedule};
use qcs_core::likelihood::{Measurements, PseudoLikelihood};
use qcs_core::operator::DenseOperator;
use qcs_core::prior::GaussianPrior;
use qcs_core::rng::{for_each_langevin_normal, stream_rng, Xoshiro128PlusPlus};
use qcs_core::Error;

/// A has orthogonal rows (`AAᵀ = diag(1, 4)`), so eq. 20 is the exact score.
const A: [f32; 6] = [1.0, 0.0, 0.0, 0.0, 2.0, 0.0];
const Y: [f32; 2] = [0.7, -0.4];
const SIGMA: f32 = 0.1;
const TAU2: f32 = 0.5;
const MEAN: [f32; 3] = [0.2, 0.4, 0.6];
const X0: [f32; 3] = [0.9, -0.3, 0.5];
const BETA: f64 = 0.3;

/// The prior score `−(x − μ)/(τ² + β²)` and the likelihood score `Aᵀ diag(1/s²)(y − A x)`,
/// `s_m² = σ² + β²‖a_m‖²`, at `X0`, in f64.
fn scores() -> ([f64; 3], [f64; 3]) {
    let x: Vec<f64> = X0.iter().map(|&v| v as f64).collect();
    let s2 = [
        (SIGMA as f64).powi(2) + BETA * BETA,
        (SIGMA as f64).powi(2) + 4.0 * BETA * BETA,
    ];
    let r = [
        (Y[0] as f64 - x[0]) / s2[0],
        (Y[1] as f64 - 2.0 * x[1]) / s2[1],
    ];
    let prior = core::array::from_fn(|i| -(x[i] - MEAN[i] as f64) / (TAU2 as f64 + BETA * BETA));
    (prior, [r[0], 2.0 * r[1], 0.0])
}

fn rescaled(c: f64) -> [f64; 3] {
    let (s, g) = scores();
    let norm = |v: &[f64; 3]| v.iter().map(|a| a * a).sum::<f64>().sqrt();
    let k = c * norm(&s) / norm(&g);
    core::array::from_fn(|i| s[i] + k * g[i])
}

/// Runs `f` on a one-chain sampler over `A` and `Y` at the single level `β = BETA` (so
/// `α = ε`), likelihood score weighed by `balance`, iterate set to `X0`, chain seeded
/// `stream_rng(4, 0)`.
fn with_sampler(
    balance: Balance,
    eps: f32,
    f: impl FnOnce(&mut Sampler<'_, '_, DenseOperator<'_>, Xoshiro128PlusPlus>),
) {
    let op = DenseOperator::new(&A, 2, 3).unwrap();
    let schedule = Schedule::new(BETA as f32, BETA as f32, 1, 1, eps).unwrap();
    let layout = SamplerLayout::for_op(&op, 1);
    let mut slab = vec![0.0f32; layout.slab_len()];
    let mut rngs = [stream_rng(4, 0)];
    let lik = PseudoLikelihood::new(Measurements::linear_diagonal(&Y), SIGMA).unwrap();
    let mut sampler = Sampler::new(
        &op,
        lik,
        schedule,
        layout.split(&mut slab).unwrap(),
        &mut rngs,
    )
    .unwrap()
    .with_balance(balance)
    .unwrap();
    assert_eq!(sampler.balance(), balance);
    sampler.x_mut().copy_from_slice(&X0);
    f(&mut sampler);
}

#[test]
fn a_step_adds_the_likelihood_score_at_c_times_the_prior_norm() {
    let eps = 1e-3f32;
    let mut prior = GaussianPrior::new(&MEAN, TAU2).unwrap();
    with_sampler(Balance::PriorNormFraction(0.5), eps, |sampler| {
        sampler.step(&mut prior).unwrap();
        // α = ε (β_1/β_T)² = ε; the noise of the same generator, drawn here afresh.
        let mut noise = [0.0f64; 3];
        for_each_langevin_normal(&mut stream_rng(4, 0), 3, |i, e| noise[i] = e as f64);
        let drift = rescaled(0.5);
        let (s, g) = scores();
        let a = eps as f64;
        for i in 0..3 {
            let want = X0[i] as f64 + a * drift[i] + (2.0 * a).sqrt() * noise[i];
            let got = sampler.x()[i] as f64;
            assert!((got - want).abs() < 2e-6, "x[{i}] = {got}, want {want}");
            // The rescaling matters here: the unscaled drift differs by more than the tolerance.
            let unscaled = X0[i] as f64 + a * (s[i] + g[i]) + (2.0 * a).sqrt() * noise[i];
            if g[i] != 0.0 {
                assert!(
                    (unscaled - want).abs() > 1e-4,
                    "x[{i}]: the test must discriminate"
                );
            }
        }
    });
}

#[test]
fn denoise_uses_the_rescaled_score_too() {
    let mut prior = GaussianPrior::new(&MEAN, TAU2).unwrap();
    with_sampler(Balance::PriorNormFraction(0.3), 1e-3, |sampler| {
        sampler.denoise(&mut prior).unwrap();
        let drift = rescaled(0.3);
        for i in 0..3 {
            let want = X0[i] as f64 + BETA * BETA * drift[i];
            let got = sampler.x()[i] as f64;
            assert!((got - want).abs() < 1e-6, "x[{i}] = {got}, want {want}");
        }
    });
}

#[test]
fn a_bad_fraction_is_refused_by_name() {
    let op = DenseOperator::new(&A, 2, 3).unwrap();
    let layout = SamplerLayout::for_op(&op, 1);
    let mut slab = vec![0.0f32; layout.slab_len()];
    let mut rngs = [stream_rng(4, 0)];
    let lik = PseudoLikelihood::new(Measurements::linear_diagonal(&Y), SIGMA).unwrap();
    let sampler = Sampler::new(
        &op,
        lik,
        Schedule::PAPER_MNIST,
        layout.split(&mut slab).unwrap(),
        &mut rngs,
    )
    .unwrap();
    assert!(matches!(
        sampler.with_balance(Balance::PriorNormFraction(-0.5)),
        Err(Error::InvalidParameter {
            field: "likelihood_fraction",
            value,
            ..
        }) if value == -0.5
    ));
}
