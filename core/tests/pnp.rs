//! The plug-and-play sampler (`qcs_core::pnp`) against the independent float64 implementation
//! of `core/tests/reference/pnp_golden.py` (power iteration, the data sub-problem on the exact
//! one-bit / 2-bit / linear likelihoods, six full levels with a Gaussian prior), plus its noise
//! draws, batch independence and every error variant.

mod common;

use std::collections::HashMap;

use qcs_core::langevin::SampleError;
use qcs_core::likelihood::{Measurements, PseudoLikelihood};
use qcs_core::operator::{DenseOperator, SensingOperator};
use qcs_core::pnp::{
    solve_data_subproblem, spectral_norm_sq, DataStep, DataWork, PnpBuffers, PnpLayout, PnpSampler,
    PnpSchedule, POWER_ITERATIONS,
};
use qcs_core::prior::{GaussianPrior, ScorePrior};
use qcs_core::rng::{for_each_langevin_normal, stream_rng, Xoshiro128PlusPlus};
use qcs_core::Error;

/// Tolerance of a float32 run against the float64 reference, absolute (values are O(1)): the
/// measured worst differences are 8e-8 (data sub-problem, 25 steps) and 8e-8 (six levels).
#[cfg(not(feature = "fast-math"))]
const TOL: f64 = 1e-6;
/// Tolerance with `fast-math`: the likelihood's `exp`, `ln` and square root come from micromath
/// (bounds in `tests/fastmath.rs`), and their error accumulates over the 25 data steps and six
/// levels. Measured worst differences: 8.8e-4 (data sub-problem) and 5.4e-4 (six levels); the
/// bound leaves a margin of about 5x.
#[cfg(feature = "fast-math")]
const TOL: f64 = 5e-3;
/// Tolerance of the data sub-problem's minimizer after 20,000 steps, absolute: measured 1.1e-6.
#[cfg(not(feature = "fast-math"))]
const ARGMIN_TOL: f64 = 1e-5;
/// With `fast-math` the approximate gradient moves the minimizer itself: measured 1.05e-3.
#[cfg(feature = "fast-math")]
const ARGMIN_TOL: f64 = 5e-3;

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

fn max_diff(a: &[f32], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(&x, &y)| (x as f64 - y).abs())
        .fold(0.0, f64::max)
}

/// The reference problem: `A`, `σ` and the three kinds of measurements.
struct Golden {
    g: HashMap<String, Vec<f64>>,
    a: Vec<f32>,
    n: usize,
    m: usize,
    sigma: f32,
    signs: Vec<f32>,
    lower: Vec<f32>,
    upper: Vec<f32>,
    y: Vec<f32>,
}

const KINDS: [&str; 3] = ["onebit", "quantized", "linear"];

impl Golden {
    fn load() -> Self {
        let g = read_txt("pnp_golden.txt");
        let dims = &g["dims"];
        let (n, m) = (dims[0] as usize, dims[1] as usize);
        Golden {
            a: f32s(&g["a"]),
            sigma: g["sigma"][0] as f32,
            signs: f32s(&g["y_onebit"]),
            lower: f32s(&g["lower"]),
            upper: f32s(&g["upper"]),
            y: f32s(&g["y_linear"]),
            g,
            n,
            m,
        }
    }
    fn op(&self) -> DenseOperator<'_> {
        DenseOperator::new(&self.a, self.m, self.n).unwrap()
    }
    fn likelihood(&self, kind: &str) -> PseudoLikelihood<'_> {
        let meas = match kind {
            "onebit" => Measurements::one_bit(&self.signs),
            "quantized" => Measurements::quantized(&self.lower, &self.upper),
            _ => Measurements::linear_diagonal(&self.y),
        };
        PseudoLikelihood::new(meas, self.sigma).unwrap()
    }
    fn schedule(&self) -> PnpSchedule {
        let s = &self.g["pnp_schedule"];
        PnpSchedule::new(
            s[0] as f32,
            s[1] as f32,
            s[2] as u32,
            s[3] as f32,
            s[4] as f32,
            s[5] as u32,
            s[6] as f32,
            0.0,
        )
        .unwrap()
    }
}

/// An owned slab for a sampler of `chains` chains over `op`.
struct Owned {
    layout: PnpLayout,
    slab: Vec<f32>,
}

impl Owned {
    fn new<O: SensingOperator>(op: &O, chains: usize) -> Self {
        let layout = PnpLayout::for_op(op, chains);
        Owned {
            layout,
            slab: vec![0.0; layout.slab_len()],
        }
    }
    fn buffers(&mut self) -> PnpBuffers<'_> {
        self.layout.split(&mut self.slab).unwrap()
    }
}

/// Scratch of the data sub-problem for `op`.
struct Scratch {
    grad: Vec<f32>,
    z: Vec<f32>,
    g: Vec<f32>,
    op: Vec<f32>,
    lik: Vec<f32>,
}

impl Scratch {
    fn new(n: usize, m: usize) -> Self {
        Scratch {
            grad: vec![0.0; n],
            z: vec![0.0; m],
            g: vec![0.0; m],
            op: vec![0.0; n],
            lik: vec![0.0; m],
        }
    }
    fn work(&mut self) -> DataWork<'_> {
        DataWork {
            grad: &mut self.grad,
            z: &mut self.z,
            g: &mut self.g,
            op_scratch: &mut self.op,
            lik_scratch: &mut self.lik,
        }
    }
}

#[test]
fn power_iteration_matches_reference() {
    let gd = Golden::load();
    let mut s = Scratch::new(gd.n, gd.m);
    let est = spectral_norm_sq(&gd.op(), POWER_ITERATIONS, &mut s.work()).unwrap() as f64;
    let (want, exact) = (gd.g["power_estimate"][0], gd.g["power_exact"][0]);
    assert!((est - want).abs() <= 1e-5 * want, "{est} vs {want}");
    assert!(est <= exact * (1.0 + 1e-5), "{est} > ‖A‖² = {exact}");
}

/// The cache of the exact likelihood (`β = 0`).
fn exact_cache(op: &DenseOperator<'_>, lik: &PseudoLikelihood<'_>) -> Vec<f32> {
    let mut norms = vec![0.0; op.rows()];
    op.row_norms_sq(&mut norms).unwrap();
    let mut cache = vec![0.0; op.rows()];
    lik.prepare(0.0, &norms, &mut cache).unwrap();
    cache
}

#[test]
fn data_subproblem_matches_reference_and_converges_to_the_minimizer() {
    let gd = Golden::load();
    let op = gd.op();
    let x_hat = f32s(&gd.g["data_x_hat"]);
    let set = &gd.g["data_settings"];
    let mut s = Scratch::new(gd.n, gd.m);
    for kind in KINDS {
        let lik = gd.likelihood(kind);
        let cache = exact_cache(&op, &lik);
        let mut z = vec![0.0; gd.n];
        let mut step = DataStep {
            steps: set[0] as u32,
            step_size: set[1] as f32,
            prox_weight: set[2] as f32,
        };
        solve_data_subproblem(&op, &lik, &cache, step, &x_hat, &mut z, &mut s.work()).unwrap();
        let d = max_diff(&z, &gd.g[&format!("data_{kind}")]);
        assert!(d <= TOL, "{kind}: {d}");
        // Enough steps reach the exact minimizer of −log p(y|z) + (w/2)‖z − x̂₀‖².
        step.steps = 20_000;
        solve_data_subproblem(&op, &lik, &cache, step, &x_hat, &mut z, &mut s.work()).unwrap();
        let d = max_diff(&z, &gd.g[&format!("argmin_{kind}")]);
        assert!(d <= ARGMIN_TOL, "{kind} minimizer: {d}");
    }
}

#[test]
fn six_levels_match_reference() {
    let gd = Golden::load();
    let op = gd.op();
    let mu = f32s(&gd.g["mu"]);
    let tau2 = gd.g["tau2"][0] as f32;
    for (kappa, suffix) in [(0.0, ""), (0.5, "_smoothed")] {
        let schedule = PnpSchedule {
            kappa,
            ..gd.schedule()
        };
        for kind in KINDS {
            let mut owned = Owned::new(&op, 1);
            let mut rngs = [stream_rng(1, 0)];
            let mut sampler = PnpSampler::new(
                &op,
                gd.likelihood(kind),
                schedule,
                owned.buffers(),
                &mut rngs,
            )
            .unwrap();
            sampler.x_mut().copy_from_slice(&f32s(&gd.g["pnp_start"]));
            let mut prior = GaussianPrior::new(&mu, tau2).unwrap();
            let want = &gd.g[&format!("pnp_{kind}{suffix}")];
            for (t, row) in want.chunks_exact(gd.n).enumerate() {
                let p = sampler.step(&mut prior).unwrap();
                assert_eq!((p.level, p.done), (t as u32, t as u32 + 1));
                let d = max_diff(sampler.x(), row);
                assert!(d <= TOL, "{kind}{suffix} level {t}: {d}");
            }
            assert!(sampler.is_finished());
            assert_eq!(
                sampler.step(&mut prior).unwrap_err(),
                SampleError::Core(Error::Finished)
            );
        }
    }
}

#[test]
fn start_and_renoising_draw_from_the_chain_generator() {
    let gd = Golden::load();
    let op = gd.op();
    let mu = f32s(&gd.g["mu"]);
    let tau2 = gd.g["tau2"][0] as f32;
    let lik = gd.likelihood("onebit");
    let schedule = PnpSchedule {
        zeta: 1.0,
        ..gd.schedule()
    };
    let mut owned = Owned::new(&op, 1);
    let mut rngs = [stream_rng(9, 0)];
    let mut shadow = rngs[0].clone();
    let mut sampler = PnpSampler::new(&op, lik, schedule, owned.buffers(), &mut rngs).unwrap();
    sampler.init_noise(0.5);
    let mut x = vec![0.0f32; gd.n];
    for_each_langevin_normal(&mut shadow, gd.n, |i, e| {
        x[i] = 0.5 + schedule.sigma_max * e
    });
    assert_eq!(sampler.x(), &x[..]);
    // ζ = 1: x ← x̂₀' + σ_{t+1} ξ, with x̂₀' the data step from the Tweedie estimate.
    let mut prior = GaussianPrior::new(&mu, tau2).unwrap();
    let (sigma, next) = (schedule.sigma(0), schedule.sigma(1));
    let mut score = vec![0.0; gd.n];
    prior.score(&x, sigma, &mut score).unwrap();
    let x_hat: Vec<f32> = x
        .iter()
        .zip(&score)
        .map(|(&v, &s)| v + sigma * sigma * s)
        .collect();
    let step = DataStep {
        steps: schedule.data_steps,
        step_size: schedule.step_size(0, sampler.lipschitz(0)),
        prox_weight: schedule.prox_weight(0),
    };
    let cache = exact_cache(&op, &lik);
    let mut est = vec![0.0; gd.n];
    let mut s = Scratch::new(gd.n, gd.m);
    solve_data_subproblem(&op, &lik, &cache, step, &x_hat, &mut est, &mut s.work()).unwrap();
    let mut want = vec![0.0f32; gd.n];
    for_each_langevin_normal(&mut shadow, gd.n, |i, e| want[i] = est[i] + next * e);
    sampler.step(&mut prior).unwrap();
    assert_eq!(sampler.x(), &want[..]);
}

#[test]
fn chains_are_independent_of_the_batch() {
    let gd = Golden::load();
    let op = gd.op();
    let mu = f32s(&gd.g["mu"]);
    let schedule = PnpSchedule {
        zeta: 0.5,
        ..gd.schedule()
    };
    let run = |chains: usize| {
        let mut owned = Owned::new(&op, chains);
        let mut rngs: Vec<Xoshiro128PlusPlus> =
            (0..chains).map(|b| stream_rng(3, b as u64)).collect();
        let mut sampler = PnpSampler::new(
            &op,
            gd.likelihood("quantized"),
            schedule,
            owned.buffers(),
            &mut rngs,
        )
        .unwrap();
        sampler.init_noise(0.0);
        let mut prior = GaussianPrior::new(&mu, 0.05).unwrap();
        sampler.run(&mut prior).unwrap();
        sampler.x().to_vec()
    };
    let (one, three) = (run(1), run(3));
    assert_eq!(&three[..gd.n], &one[..]);
    assert_ne!(&three[gd.n..2 * gd.n], &one[..]);
    assert_eq!(run(3), three);
}

#[test]
fn schedule_rejects_bad_settings() {
    let d = PnpSchedule::DEFAULT;
    d.validate().unwrap();
    let invalid = |s: PnpSchedule, field: &str| match s.validate() {
        Err(Error::InvalidParameter { field: f, .. }) => assert_eq!(f, field),
        other => panic!("{field}: {other:?}"),
    };
    invalid(
        PnpSchedule {
            sigma_min: 0.0,
            ..d
        },
        "sigma_min",
    );
    invalid(
        PnpSchedule {
            sigma_max: f32::NAN,
            ..d
        },
        "sigma_max",
    );
    invalid(
        PnpSchedule {
            sigma_max: 0.001,
            ..d
        },
        "sigma_max",
    );
    invalid(PnpSchedule { lambda: -1.0, ..d }, "lambda");
    invalid(PnpSchedule { zeta: 1.5, ..d }, "zeta");
    invalid(PnpSchedule { kappa: -0.1, ..d }, "kappa");
    invalid(
        PnpSchedule {
            kappa: f32::INFINITY,
            ..d
        },
        "kappa",
    );
    invalid(
        PnpSchedule {
            zeta: f32::NAN,
            ..d
        },
        "zeta",
    );
    invalid(
        PnpSchedule {
            step_scale: 2.0,
            ..d
        },
        "step_scale",
    );
    invalid(
        PnpSchedule {
            step_scale: 0.0,
            ..d
        },
        "step_scale",
    );
    assert_eq!(
        PnpSchedule { levels: 0, ..d }.validate(),
        Err(Error::Empty { field: "levels" })
    );
    assert_eq!(
        PnpSchedule::new(1.0, 0.1, 3, 1.0, 0.0, 0, 1.0, 0.0),
        Err(Error::Empty {
            field: "data_steps"
        })
    );
    // The geometric levels, and σ = 0 after the last one.
    let s = PnpSchedule::new(2.0, 0.02, 3, 4.0, 0.0, 1, 1.0, 0.25).unwrap();
    assert_eq!((s.sigma(0), s.sigma(2), s.sigma_next(2)), (2.0, 0.02, 0.0));
    assert!((s.sigma(1) - 0.2).abs() < 1e-6);
    assert_eq!(s.prox_weight(0), 1.0);
    assert_eq!(s.step_size(0, 3.0), 0.25);
    assert_eq!(s.network_calls(), 3);
    assert_eq!(s.likelihood_beta(0), 0.5);
}

#[test]
fn sampler_rejects_bad_input_with_exact_errors() {
    let gd = Golden::load();
    let op = gd.op();
    let schedule = gd.schedule();
    let mut owned = Owned::new(&op, 1);
    let mut none: [Xoshiro128PlusPlus; 0] = [];
    assert_eq!(
        PnpSampler::new(
            &op,
            gd.likelihood("onebit"),
            schedule,
            owned.buffers(),
            &mut none
        )
        .err(),
        Some(Error::Empty { field: "rngs" })
    );
    let mut rngs = [stream_rng(1, 0)];
    let noiseless = PseudoLikelihood::new(Measurements::one_bit(&gd.signs), 0.0).unwrap();
    assert!(matches!(
        PnpSampler::new(&op, noiseless, schedule, owned.buffers(), &mut rngs).err(),
        Some(Error::InvalidParameter { field: "sigma", .. })
    ));
    let short = [1.0f32; 3];
    let lik = PseudoLikelihood::new(Measurements::one_bit(&short), 0.1).unwrap();
    assert_eq!(
        PnpSampler::new(&op, lik, schedule, owned.buffers(), &mut rngs).err(),
        Some(Error::DimensionMismatch {
            field: "likelihood",
            expected: gd.m,
            found: 3
        })
    );
    let bad = PnpSchedule {
        zeta: -0.1,
        ..schedule
    };
    assert!(matches!(
        PnpSampler::new(
            &op,
            gd.likelihood("onebit"),
            bad,
            owned.buffers(),
            &mut rngs
        )
        .err(),
        Some(Error::InvalidParameter { field: "zeta", .. })
    ));
    // A slab one value short leaves `estimate` short.
    let layout = PnpLayout::for_op(&op, 1);
    let mut slab = vec![0.0; layout.slab_len() - 1];
    assert_eq!(
        layout.split(&mut slab).err(),
        Some(Error::BufferTooSmall {
            field: "slab",
            needed: layout.slab_len(),
            available: layout.slab_len() - 1
        })
    );
    assert_eq!(
        PnpSampler::new(
            &op,
            gd.likelihood("onebit"),
            schedule,
            layout.carve(&mut slab),
            &mut rngs
        )
        .err(),
        Some(Error::DimensionMismatch {
            field: "estimate",
            expected: gd.n,
            found: gd.n - 1
        })
    );
}

/// A prior that returns NaN at its second call.
struct NanAtSecondCall(u32);

impl ScorePrior for NanAtSecondCall {
    type Error = Error;
    fn score(&mut self, _x: &[f32], _beta: f32, out: &mut [f32]) -> Result<(), Error> {
        self.0 += 1;
        out.fill(if self.0 == 2 { f32::NAN } else { 0.0 });
        Ok(())
    }
}

#[test]
fn a_non_finite_score_is_a_divergence_at_its_level() {
    let gd = Golden::load();
    let op = gd.op();
    let schedule = gd.schedule();
    let mut owned = Owned::new(&op, 1);
    let mut rngs = [stream_rng(1, 0)];
    let mut sampler = PnpSampler::new(
        &op,
        gd.likelihood("onebit"),
        schedule,
        owned.buffers(),
        &mut rngs,
    )
    .unwrap();
    sampler.init_noise(0.0);
    let mut prior = NanAtSecondCall(0);
    sampler.step(&mut prior).unwrap();
    assert_eq!(
        sampler.step(&mut prior).unwrap_err(),
        SampleError::Core(Error::Diverged {
            level: 1,
            step: 0,
            beta: schedule.sigma(1)
        })
    );
    // A non-finite start reaches the likelihood as a non-finite `A z`: also a divergence.
    sampler.rewind();
    sampler.x_mut()[0] = f32::INFINITY;
    assert_eq!(
        sampler
            .step(&mut GaussianPrior::new(&[0.0; 8], 1.0).unwrap())
            .unwrap_err(),
        SampleError::Core(Error::Diverged {
            level: 0,
            step: 0,
            beta: schedule.sigma(0)
        })
    );
}

#[test]
fn data_step_and_power_iteration_reject_bad_input() {
    let gd = Golden::load();
    let op = gd.op();
    let lik = gd.likelihood("onebit");
    let cache = exact_cache(&op, &lik);
    let mut s = Scratch::new(gd.n, gd.m);
    let x_hat = vec![0.1f32; gd.n];
    let mut z = vec![0.0f32; gd.n];
    let ok = DataStep {
        steps: 2,
        step_size: 1e-3,
        prox_weight: 1.0,
    };
    let mut solve = |step: DataStep, x_hat: &[f32], z: &mut [f32]| {
        solve_data_subproblem(&op, &lik, &cache, step, x_hat, z, &mut s.work())
    };
    assert_eq!(
        solve(ok, &x_hat[1..], &mut z),
        Err(Error::DimensionMismatch {
            field: "x_hat",
            expected: gd.n,
            found: gd.n - 1
        })
    );
    assert_eq!(
        solve(ok, &x_hat, &mut z[1..]),
        Err(Error::DimensionMismatch {
            field: "z",
            expected: gd.n,
            found: gd.n - 1
        })
    );
    assert!(matches!(
        solve(
            DataStep {
                step_size: 0.0,
                ..ok
            },
            &x_hat,
            &mut z
        ),
        Err(Error::InvalidParameter {
            field: "step_size",
            ..
        })
    ));
    assert!(matches!(
        solve(
            DataStep {
                prox_weight: -1.0,
                ..ok
            },
            &x_hat,
            &mut z
        ),
        Err(Error::InvalidParameter {
            field: "prox_weight",
            ..
        })
    ));
    let mut nan = x_hat.clone();
    nan[3] = f32::NAN;
    assert_eq!(
        solve(ok, &nan, &mut z),
        Err(Error::NonFinite {
            field: "x_hat",
            index: 3
        })
    );
    // A step far too large overflows: the estimate stops being finite.
    let huge = DataStep {
        steps: 200,
        step_size: 1e30,
        prox_weight: 1.0,
    };
    assert!(matches!(
        solve(huge, &x_hat, &mut z),
        Err(Error::NonFinite { .. })
    ));
    assert_eq!(
        spectral_norm_sq(&op, 0, &mut s.work()),
        Err(Error::Empty {
            field: "iterations"
        })
    );
    let zeros = vec![0.0f32; gd.m * gd.n];
    let zero_op = DenseOperator::new(&zeros, gd.m, gd.n).unwrap();
    assert!(matches!(
        spectral_norm_sq(&zero_op, 3, &mut s.work()),
        Err(Error::InvalidParameter { field: "op", .. })
    ));
    let mut short = Scratch::new(gd.n - 1, gd.m);
    assert_eq!(
        spectral_norm_sq(&op, 3, &mut short.work()),
        Err(Error::DimensionMismatch {
            field: "grad",
            expected: gd.n,
            found: gd.n - 1
        })
    );
}
