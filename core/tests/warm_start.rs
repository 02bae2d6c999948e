//! `Sampler::init_around` and `PnpSampler::init_around`, the warm start (CCDF / SIM-DMIS): every
//! chain starts at `center + β_1 ξ` (`σ_1` for pnp) with `ξ` the chain generator's own Langevin
//! normals.

use qcs_core::langevin::{Sampler, SamplerLayout, Schedule};
use qcs_core::likelihood::{Measurements, PseudoLikelihood};
use qcs_core::operator::DenseOperator;
use qcs_core::pnp::{PnpLayout, PnpSampler, PnpSchedule};
use qcs_core::rng::{for_each_langevin_normal, stream_rng, Xoshiro128PlusPlus};
use qcs_core::Error;

const M: usize = 3;
const N: usize = 5;
const CHAINS: usize = 2;

fn matrix() -> Vec<f32> {
    (0..M * N)
        .map(|i| ((i * 7 % 11) as f32 - 5.0) / 10.0)
        .collect()
}

fn schedule() -> Schedule {
    Schedule::new(1.5, 0.01, 4, 2, 2e-4).unwrap()
}

/// Runs `f` on a one-bit sampler of `chains` chains, chain `b` seeded `stream_rng(9, b)`.
fn with_sampler(
    chains: usize,
    f: impl FnOnce(&mut Sampler<'_, '_, DenseOperator<'_>, Xoshiro128PlusPlus>),
) {
    let a = matrix();
    let op = DenseOperator::new(&a, M, N).unwrap();
    let signs = [1.0f32, -1.0, 1.0];
    let lik = PseudoLikelihood::new(Measurements::one_bit(&signs), 0.05).unwrap();
    let layout = SamplerLayout::for_op(&op, chains);
    let mut slab = vec![0.0f32; layout.slab_len()];
    let mut rngs: Vec<Xoshiro128PlusPlus> = (0..chains).map(|b| stream_rng(9, b as u64)).collect();
    let mut sampler = Sampler::new(
        &op,
        lik,
        schedule(),
        layout.split(&mut slab).unwrap(),
        &mut rngs,
    )
    .unwrap();
    f(&mut sampler);
}

#[test]
fn chains_start_at_the_center_plus_beta_1_noise() {
    let center = [0.1f32, 0.2, 0.3, 0.4, 0.5];
    with_sampler(CHAINS, |sampler| {
        sampler.init_around(&center).unwrap();
        // The expected start, drawn here from fresh generators with the same seeds.
        for b in 0..CHAINS {
            let mut rng = stream_rng(9, b as u64);
            let mut expected = [0.0f32; N];
            for_each_langevin_normal(&mut rng, N, |i, e| expected[i] = center[i] + 1.5 * e);
            assert_eq!(&sampler.x()[b * N..(b + 1) * N], &expected, "chain {b}");
            assert_ne!(expected, center, "the noise must move the start");
        }
        assert_eq!(sampler.steps_done(), 0);
    });
}

#[test]
fn a_center_of_the_wrong_length_or_not_finite_is_refused() {
    with_sampler(1, |sampler| {
        assert_eq!(
            sampler.init_around(&[0.0; N - 1]),
            Err(Error::DimensionMismatch {
                field: "center",
                expected: N,
                found: N - 1
            })
        );
        let mut bad = [0.0f32; N];
        bad[2] = f32::NAN;
        assert_eq!(
            sampler.init_around(&bad),
            Err(Error::NonFinite {
                field: "center",
                index: 2
            })
        );
    });
}

#[test]
fn pnp_chains_start_at_the_center_plus_sigma_1_noise() {
    let a = matrix();
    let op = DenseOperator::new(&a, M, N).unwrap();
    let signs = [1.0f32, -1.0, 1.0];
    let lik = PseudoLikelihood::new(Measurements::one_bit(&signs), 0.05).unwrap();
    let layout = PnpLayout::for_op(&op, CHAINS);
    let mut slab = vec![0.0f32; layout.slab_len()];
    let mut rngs: Vec<Xoshiro128PlusPlus> = (0..CHAINS).map(|b| stream_rng(4, b as u64)).collect();
    let schedule = PnpSchedule {
        sigma_max: 0.75,
        levels: 3,
        ..PnpSchedule::DEFAULT
    };
    let mut sampler = PnpSampler::new(
        &op,
        lik,
        schedule,
        layout.split(&mut slab).unwrap(),
        &mut rngs,
    )
    .unwrap();
    let center = [0.5f32, 0.4, 0.3, 0.2, 0.1];
    sampler.init_around(&center).unwrap();
    for b in 0..CHAINS {
        let mut rng = stream_rng(4, b as u64);
        let mut expected = [0.0f32; N];
        for_each_langevin_normal(&mut rng, N, |i, e| expected[i] = center[i] + 0.75 * e);
        assert_eq!(&sampler.x()[b * N..(b + 1) * N], &expected, "chain {b}");
    }
    assert_eq!(
        sampler.init_around(&[0.0; N + 1]),
        Err(Error::DimensionMismatch {
            field: "center",
            expected: N,
            found: N + 1
        })
    );
}
