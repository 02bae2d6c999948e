//! One-bit compressed sensing and posterior sampling with a Gaussian prior, in 20 lines.
use qcs_core::langevin::{Sampler, SamplerLayout, Schedule};
use qcs_core::likelihood::{Measurements, PseudoLikelihood};
use qcs_core::operator::{Scaling, SeededGaussian};
use qcs_core::{metrics::psnr, prior::GaussianPrior, quantizer::UniformQuantizer, rng, sensor};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    const N: usize = 16;
    const M: usize = 64;
    let x: [f32; N] = core::array::from_fn(|i| 0.5 + 0.3 * (i as f32).sin());
    // Sensor: one-bit y = sign(Ax + n), A ~ N(0, 1/M) regenerated from a 64-bit seed.
    let op = SeededGaussian::new(12345, M, N, Scaling::PerMeasurement)?;
    let (mut y, mut codes, mut signs) = ([0.0; M], [0u16; M], [0.0; M]);
    let q = UniformQuantizer::sign();
    let mut noise = rng::stream_rng(1, 0);
    sensor::measure(&op, &x, 0.05, &mut noise, &q, &mut y, &mut codes, &mut [])?;
    sensor::signs_from_codes(&codes, &mut signs)?;
    // Receiver: annealed Langevin (Algorithm 1), prior N(0.5, 0.1 I), 8 chains, 250 steps.
    let lik = PseudoLikelihood::new(Measurements::one_bit(&signs), 0.05)?;
    let mut slab = vec![0.0; SamplerLayout::new(N, M, 8).slab_len()];
    let mut rngs: [_; 8] = core::array::from_fn(|b| rng::stream_rng(7, b as u64));
    let schedule = Schedule::new(1.0, 0.01, 50, 5, 1e-5)?;
    let buffers = SamplerLayout::new(N, M, 8).split(&mut slab)?;
    let mut s = Sampler::new(&op, lik, schedule, buffers, &mut rngs)?;
    s.init_uniform();
    s.run(&mut GaussianPrior::new(&[0.5; N], 0.1)?)?;
    let mean: [f32; N] =
        core::array::from_fn(|i| s.x().iter().skip(i).step_by(N).sum::<f32>() / 8.0);
    println!("PSNR of the posterior mean: {:.1} dB", psnr(&x, &mean)?);
    Ok(())
}
