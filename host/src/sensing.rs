//! The sensing side on the host: `y = Q(Ax + n)` of a signal into a measurement frame, exactly
//! as a sensor running `qcs-core` computes it (`qcs measure`, `qcs demo`, `qcs-eval`).

use anyhow::{anyhow, bail, ensure, Result};
use qcs_core::frame::{self, DescribedOperator, FrameHeader, QuantizerSpec, SignalShape};
use qcs_core::operator::{Scaling, SeededGaussian, Structured};
use qcs_core::quantizer::{delta_from_range, Quantizer, ThresholdQuantizer, UniformQuantizer};
use qcs_core::rng::Xoshiro128PlusPlus;
use qcs_core::sensor;

/// The measurement operator of a sensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SensorOperator {
    /// i.i.d. Gaussian rows regenerated from the seed (`operator::SeededGaussian`).
    Seeded,
    /// Random signs, fast Walsh–Hadamard transforms and a seeded row subset
    /// (`operator::Structured`).
    Structured,
}

/// The quantizer of a sensor.
#[derive(Debug, Clone, PartialEq)]
pub enum SensorQuantizer {
    /// `y` sent as `f32`.
    Unquantized,
    /// Uniform `Q`-bit (eq. 3–5; `Q = 1` is the sign quantizer); `Δ` of `None` is taken from
    /// the range of the noisy measurements, `(max − min)/2^Q`, as the authors do.
    Uniform {
        /// Bits `Q`, 1..=16.
        bits: u8,
        /// The step `Δ`, for `Q ≥ 2`.
        delta: Option<f32>,
    },
    /// Sorted thresholds and their codewords.
    Thresholds {
        /// `L − 1` increasing thresholds.
        thresholds: Vec<f32>,
        /// `L` codewords.
        codewords: Vec<f32>,
    },
}

/// Everything a sensor is configured with.
#[derive(Debug, Clone, PartialEq)]
pub struct SensorSettings {
    /// Number of measurements `M`.
    pub measurements: usize,
    /// The quantizer.
    pub quantizer: SensorQuantizer,
    /// Noise standard deviation `σ`.
    pub sigma: f32,
    /// The operator kind.
    pub operator: SensorOperator,
    /// Entry variance of the operator.
    pub scaling: Scaling,
    /// Operator seed.
    pub seed: u64,
    /// Frame counter.
    pub counter: u32,
}

/// What a sensor sends for one signal, and the per-measurement targets the baselines fit.
#[derive(Debug, Clone)]
pub struct Measured {
    /// The encoded frame.
    pub frame: Vec<u8>,
    /// Per measurement: the codeword of its code (±1 for one-bit) or the unquantized `y`.
    pub targets: Vec<f32>,
}

/// `y = Q(Ax + n)` (eq. 1–2) of `x` with the noise drawn from `noise`, encoded as a frame.
pub fn measure_frame(
    x: &[f32],
    shape: SignalShape,
    s: &SensorSettings,
    noise: &mut Xoshiro128PlusPlus,
) -> Result<Measured> {
    let (m, n) = (s.measurements, x.len());
    ensure!(m >= 1, "--measurements must be at least 1, got {m}");
    ensure!(
        shape.len() == n,
        "the signal has {n} values, its shape {}",
        shape.len()
    );
    let core = |what: &'static str| move |e: qcs_core::Error| anyhow!("{what}: {e}");
    let seeded;
    let structured;
    let op: &dyn DescribedOperator = match s.operator {
        SensorOperator::Seeded => {
            seeded =
                SeededGaussian::new(s.seed, m, n, s.scaling).map_err(core("--operator seeded"))?;
            &seeded
        }
        SensorOperator::Structured => {
            structured =
                Structured::new(s.seed, m, n, s.scaling).map_err(core("--operator structured"))?;
            &structured
        }
    };
    let mut y = vec![0.0; m];
    let mut scratch = vec![0.0; op.scratch_len()];
    sensor::measure_linear(op, x, s.sigma, noise, &mut y, &mut scratch).map_err(core("measure"))?;
    let mut codes = vec![0u16; m];
    let quantize = |q: &dyn Quantizer, codes: &mut [u16]| -> Result<Vec<f32>> {
        q.encode_slice(&y, codes).map_err(core("quantize"))?;
        codes
            .iter()
            .map(|&c| q.codeword(c))
            .collect::<qcs_core::Result<Vec<f32>>>()
            .map_err(core("codeword"))
    };
    let tq;
    let (spec, targets) = match &s.quantizer {
        SensorQuantizer::Unquantized => (QuantizerSpec::Unquantized, y.clone()),
        SensorQuantizer::Thresholds {
            thresholds,
            codewords,
        } => {
            tq = ThresholdQuantizer::new(thresholds, codewords)
                .map_err(core("--thresholds/--codewords"))?;
            let targets = quantize(&tq, &mut codes)?;
            (
                QuantizerSpec::thresholds(&tq).map_err(core("--thresholds/--codewords"))?,
                targets,
            )
        }
        &SensorQuantizer::Uniform { bits, delta } => {
            if !(1..=16).contains(&bits) {
                bail!("--bits {bits} is out of range: expected 0 (unquantized) to 16");
            }
            let q = if bits == 1 {
                UniformQuantizer::sign()
            } else {
                let delta = match delta {
                    Some(d) => d,
                    None => {
                        let lo = y.iter().copied().fold(f32::INFINITY, f32::min);
                        let hi = y.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                        delta_from_range(lo, hi, bits).map_err(core("Δ from the measured range"))?
                    }
                };
                UniformQuantizer::new(bits, delta).map_err(core("--bits/--delta"))?
            };
            let targets = quantize(&q, &mut codes)?;
            (QuantizerSpec::from(q), targets)
        }
    };
    let header =
        FrameHeader::for_measurement(shape, op, spec, s.sigma, s.counter).map_err(core("frame"))?;
    let mut buf = vec![0u8; frame::encoded_len(&header).map_err(core("frame"))?];
    let len = if matches!(spec, QuantizerSpec::Unquantized) {
        frame::encode_values(&header, &y, &mut buf)
    } else {
        frame::encode_codes(&header, &codes, &mut buf)
    }
    .map_err(core("frame"))?;
    buf.truncate(len);
    Ok(Measured {
        frame: buf,
        targets,
    })
}
