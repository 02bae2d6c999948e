//! The on-device reconstruction: an 8×8 digit measured with `M = 128` one-bit measurements
//! (`M = 2N`, seeded Gaussian operator), reconstructed by the annealed Langevin sampler
//! (paper Algorithm 1) with an analytic Gaussian-mixture prior of the ten MNIST class means
//! (eq. 7 has its exact noise-perturbed score), over static buffers.

use crate::out::Out;
use crate::{cost, FwError};
use qcs_core::frame::{self, SignalShape};
use qcs_core::langevin::{Sampler, SamplerLayout, Schedule};
use qcs_core::likelihood::{Measurements, PseudoLikelihood};
use qcs_core::metrics::psnr;
use qcs_core::operator::{Scaling, SeededGaussian};
use qcs_core::prior::GaussianMixturePrior;
use qcs_core::quantizer::UniformQuantizer;
use qcs_core::rng::{stream_rng, Xoshiro128PlusPlus};
use qcs_core::sensor::signs_from_codes;

/// Signal dimension (8×8).
pub const RN: usize = 64;
/// One-bit measurements.
pub const RM: usize = 128;
/// Chains.
pub const RB: usize = 4;
/// Mixture components (the ten digit classes).
pub const K: usize = 10;
/// Operator seed.
pub const OP_SEED: u64 = 0x0008_0808_0000_0001;
/// Seed of the measurement noise (stream 0).
pub const NOISE_SEED: u64 = 77;
/// Seed of the chains (chain `b` uses stream `b`).
pub const CHAIN_SEED: u64 = 99;
/// Measurement noise `σ`.
pub const SIGMA: f32 = 0.05;
/// Counter of the reconstruction's frame.
pub const COUNTER: u32 = 1000;
/// Length of the reconstruction's frame (one-bit codes).
const FRAME_LEN: usize = frame::HEADER_LEN + RM.div_ceil(8) + frame::CRC_LEN;
/// The annealing schedule (Algorithm 1).
pub const SCHEDULE: Schedule = Schedule {
    beta_max: 1.0,
    beta_min: 0.01,
    levels: 40,
    steps_per_level: 3,
    epsilon: 2e-5,
};

const BYTES: &[u8; 4 * (RN + K * RN + 2 * K)] = include_bytes!("../data/recon.bin");

/// The little-endian `f32` number `i` of the data file.
const fn word(i: usize) -> f32 {
    f32::from_bits(u32::from_le_bytes([
        BYTES[4 * i],
        BYTES[4 * i + 1],
        BYTES[4 * i + 2],
        BYTES[4 * i + 3],
    ]))
}

/// `L` consecutive `f32` of the data file from number `at`.
const fn words<const L: usize>(at: usize) -> [f32; L] {
    let mut out = [0.0f32; L];
    let mut i = 0;
    while i < L {
        out[i] = word(at + i);
        i += 1;
    }
    out
}

/// The 8×8 signal (a test '7', `data/gen_data.py`).
pub static SIGNAL: [f32; RN] = words::<RN>(0);
/// Class means, `K × RN` row-major.
pub static MEANS: [f32; K * RN] = words::<{ K * RN }>(RN);
/// Class variances `τ_k²`.
pub const VARIANCES: [f32; K] = words::<K>(RN + K * RN);
/// Class weights.
pub const WEIGHTS: [f32; K] = words::<K>(RN + K * RN + K);

/// The layout of the sampler's working memory: `RB` chains, `RN` values, `RM` measurements.
pub const LAYOUT: SamplerLayout = SamplerLayout::new(RN, RM, RB);

/// The sampler's working memory, one slab that [`LAYOUT`] cuts into its buffers.
pub type ReconSlab = [f32; LAYOUT.slab_len()];

/// Measures, reconstructs and reports.
pub fn run(out: &mut Out, slab: &mut ReconSlab) -> Result<(), FwError> {
    let op = SeededGaussian::new(OP_SEED, RM, RN, Scaling::PerMeasurement)?;
    let q = UniformQuantizer::sign();
    let (mut y, mut codes, mut signs) = ([0.0f32; RM], [0u16; RM], [0.0f32; RM]);
    let mut noise = stream_rng(NOISE_SEED, 0);
    // The sensor's own measurement path.
    qcs_core::sensor::measure(
        &op,
        &SIGNAL,
        SIGMA,
        &mut noise,
        &q,
        &mut y,
        &mut codes,
        &mut [],
    )?;
    let mut bytes = [0u8; FRAME_LEN];
    let shape = SignalShape::image(8, 8, 1)?;
    let len = crate::sensor::encode_frame(&op, shape, &q, SIGMA, COUNTER, &codes, &mut bytes)?;
    out.line(format_args!(
        "RECON n={} m={} chains={} noise_seed={:016x} chain_seed={:016x} beta_max={:08x} beta_min={:08x} levels={} steps={} epsilon={:08x}",
        RN,
        RM,
        RB,
        NOISE_SEED,
        CHAIN_SEED,
        SCHEDULE.beta_max.to_bits(),
        SCHEDULE.beta_min.to_bits(),
        SCHEDULE.levels,
        SCHEDULE.steps_per_level,
        SCHEDULE.epsilon.to_bits(),
    ))?;
    out.hex_line(format_args!("FRAME R"), &bytes[..len])?;

    // The receiver, on the device: everything from the decoded frame, as on the host.
    let received = frame::decode(&bytes[..len])?;
    let header = received.header();
    if (header.n(), header.m()) != (RN, RM) {
        return Err(FwError::Capacity("reconstruction frame shape"));
    }
    let mut received_codes = [0u16; RM];
    received.unpack_codes(&mut received_codes)?;
    signs_from_codes(&received_codes, &mut signs)?;
    let likelihood = PseudoLikelihood::new(Measurements::one_bit(&signs), header.sigma)?;
    let mut prior = GaussianMixturePrior::<K>::new(WEIGHTS, &MEANS, VARIANCES)?;
    let mut rngs: [Xoshiro128PlusPlus; RB] =
        core::array::from_fn(|b| stream_rng(CHAIN_SEED, b as u64));
    let op = received.operator()?;
    // The receiver's operator: the frame's (seeded), regenerating A on every apply (no matrix
    // in RAM), or with `recon-dense` the same matrix materialized once (32 KiB, the same bits:
    // SeededGaussian's products and sums are DenseOperator's).
    #[cfg(feature = "recon-dense")]
    let op = {
        let matrix = crate::take_static!([f32; RM * RN], [0.0; RM * RN])?;
        match op {
            frame::FrameOperator::SeededGaussian(g) => g.materialize(matrix)?,
            frame::FrameOperator::Structured(s) => s.materialize(matrix, &mut [0.0; RN])?,
        }
        qcs_core::operator::DenseOperator::new(matrix, RM, RN)?
    };
    let mut sampler = Sampler::new(&op, likelihood, SCHEDULE, LAYOUT.split(slab)?, &mut rngs)?;
    sampler.init_uniform();
    let t0 = cost::ticks();
    let mut steps = 0u64;
    while !sampler.is_finished() {
        sampler.step(&mut prior)?;
        steps += 1;
    }
    let t1 = cost::ticks();
    out.line(format_args!(
        "COST langevin steps={} n={} m={} chains={} operator={} ticks={}",
        steps,
        RN,
        RM,
        RB,
        if cfg!(feature = "recon-dense") {
            "dense"
        } else {
            "seeded"
        },
        t1 - t0
    ))?;
    let x = sampler.x();
    let mut mean = [0.0f32; RN];
    for chain in x.chunks_exact(RN) {
        for (m, &v) in mean.iter_mut().zip(chain) {
            *m += v;
        }
    }
    for m in mean.iter_mut() {
        *m /= RB as f32;
    }
    out.f32_line(format_args!("XHAT"), x)?;
    out.f32_line(format_args!("MEAN"), &mean)?;
    let p = psnr(&SIGNAL, &mean)?;
    // Hundredths of a dB through integers: formatting an f32 would link core's float
    // formatting (about 10 KiB of flash).
    let centi = (p * 100.0) as i32;
    out.line(format_args!(
        "PSNR {:08x} {}{}.{:02}",
        p.to_bits(),
        if centi < 0 { "-" } else { "" },
        centi.unsigned_abs() / 100,
        centi.unsigned_abs() % 100
    ))?;
    Ok(())
}
