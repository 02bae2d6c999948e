//! Statistical tests of the whole annealed Langevin sampler (Algorithm 1) against reference
//! distributions from `core/tests/reference/sampler_golden.py` (float64 numpy/scipy).

mod common;

use std::collections::HashMap;

use qcs_core::langevin::{Buffers, Sampler, Schedule};
use qcs_core::likelihood::{Measurements, PseudoLikelihood};
use qcs_core::operator::{DenseOperator, SensingOperator};
use qcs_core::prior::GaussianPrior;
use qcs_core::rng::{stream_rng, Xoshiro128PlusPlus};

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

/// Owned buffers for a sampler of `batch` chains over `op`.
struct Owned {
    x: Vec<f32>,
    prior: Vec<f32>,
    grad: Vec<f32>,
    z: Vec<f32>,
    g: Vec<f32>,
    norms: Vec<f32>,
    level: Vec<f32>,
    op_scratch: Vec<f32>,
    lik_scratch: Vec<f32>,
}

impl Owned {
    fn new<O: SensingOperator>(op: &O, batch: usize) -> Self {
        let l = Buffers::lengths(op, batch);
        Owned {
            x: vec![0.0; l.batch_signal],
            prior: vec![0.0; l.batch_signal],
            grad: vec![0.0; l.signal],
            z: vec![0.0; l.measurements],
            g: vec![0.0; l.measurements],
            norms: vec![0.0; l.measurements],
            level: vec![0.0; l.measurements],
            op_scratch: vec![0.0; l.op_scratch],
            lik_scratch: vec![0.0; l.measurements],
        }
    }
    fn buffers(&mut self) -> Buffers<'_> {
        Buffers {
            x: &mut self.x,
            prior: &mut self.prior,
            grad: &mut self.grad,
            z: &mut self.z,
            g: &mut self.g,
            row_norms_sq: &mut self.norms,
            level: &mut self.level,
            op_scratch: &mut self.op_scratch,
            lik_scratch: &mut self.lik_scratch,
        }
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
    let lik =
        PseudoLikelihood::new(Measurements::OneBit { signs: &y }, r["sigma"][0] as f32).unwrap();
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
        let lik = PseudoLikelihood::new(Measurements::OneBit { signs: &y }, 0.3).unwrap();
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
    let lik = PseudoLikelihood::new(Measurements::OneBit { signs: &y }, 0.1).unwrap();
    let mut rngs = [stream_rng(1, 0)];
    let mut owned = Owned::new(&op, 1);
    owned.grad.push(0.0);
    assert!(Sampler::new(&op, lik, Schedule::PAPER_MNIST, owned.buffers(), &mut rngs).is_err());
    let mut owned = Owned::new(&op, 1);
    let schedule = Schedule::new(1.0, 0.1, 2, 1, 1e-3).unwrap();
    let mut s = Sampler::new(&op, lik, schedule, owned.buffers(), &mut rngs).unwrap();
    let zero = [0.0f32; 2];
    let mut prior = GaussianPrior::new(&zero, 1.0).unwrap();
    s.init_uniform();
    assert_eq!(s.step(&mut prior).unwrap().done, 1);
    assert_eq!(s.step(&mut prior).unwrap().done, 2);
    assert!(s.is_finished());
    assert!(s.step(&mut prior).is_err());
    assert!(Schedule::new(0.1, 1.0, 10, 1, 1e-3).is_err());
    assert!(Schedule::new(1.0, 0.1, 0, 1, 1e-3).is_err());
    assert!(Schedule::new(1.0, 0.1, 10, 1, f32::NAN).is_err());
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
