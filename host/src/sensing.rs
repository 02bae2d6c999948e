//! The sensing side on the host: `y = Q(Ax + n)` of a signal into a measurement frame, exactly
//! as a sensor running `qcs-core` computes it (`qcs measure`, `qcs demo`, `qcs-eval`).

use crate::problem::Observed;
use anyhow::{anyhow, bail, ensure, Result};
use qcs_core::frame::{
    self, DescribedOperator, FrameHeader, OperatorKind, QuantizerSpec, SignalShape,
};
use qcs_core::operator::{Scaling, SeededGaussian, SensingOperator, Structured};
use qcs_core::quantizer::{Quantizer, ThresholdQuantizer, UniformQuantizer, MAX_BITS};
use qcs_core::rng::Xoshiro128PlusPlus;
use qcs_core::sensor;

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

impl SensorQuantizer {
    /// The quantizer that the options `--bits`, `--delta`, `--thresholds` and `--codewords`
    /// describe (the `qcs` CLI and the Python package share this check and its messages):
    /// thresholds with their codewords, `bits = 0` unquantized, otherwise uniform.
    pub fn from_options(
        bits: u8,
        delta: Option<f32>,
        thresholds: Option<&[f32]>,
        codewords: Option<&[f32]>,
    ) -> Result<Self> {
        match (thresholds, codewords) {
            (Some(t), Some(c)) => {
                ensure!(
                    delta.is_none(),
                    "--delta applies to uniform quantizers; --thresholds/--codewords define \
                     their own bins"
                );
                let levels = c.len();
                ensure!(
                    levels >= 2 && levels.is_power_of_two() && levels <= 1 << MAX_BITS,
                    "--codewords: {levels} codewords; a Q-bit quantizer has 2^Q codewords, \
                     Q = 1 ..= 16 (2, 4, 8, …, 65536)"
                );
                ensure!(
                    t.len() + 1 == levels,
                    "--thresholds: {} thresholds for {levels} codewords; a Q-bit quantizer has \
                     2^Q − 1 = {} thresholds",
                    t.len(),
                    levels - 1
                );
                Ok(SensorQuantizer::Thresholds {
                    thresholds: t.to_vec(),
                    codewords: c.to_vec(),
                })
            }
            (None, None) if bits == 0 => {
                ensure!(
                    delta.is_none(),
                    "--delta applies to uniform quantizers of --bits 2 or more; with --bits 0 \
                     (unquantized) it would be ignored"
                );
                Ok(SensorQuantizer::Unquantized)
            }
            (None, None) => Ok(SensorQuantizer::Uniform { bits, delta }),
            _ => bail!("--thresholds and --codewords go together"),
        }
    }
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
    /// The operator kind (seeded Gaussian or structured: a sensor regenerates it from the seed).
    pub operator: OperatorKind,
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

/// What a sensor computes before framing: `y`, its codes and codewords, and the quantizer
/// with `Δ` resolved.
#[derive(Debug, Clone)]
pub struct Quantized {
    /// The noisy linear measurements `Ax + n`.
    pub y: Vec<f32>,
    /// The codes of `y` (empty when unquantized).
    pub codes: Vec<u16>,
    /// Per measurement: the codeword of its code (±1 for one-bit) or the unquantized `y`.
    pub targets: Vec<f32>,
    /// The quantizer used; a uniform one always with its `Δ` (taken from the range of `y`
    /// when the settings left it open).
    pub quantizer: SensorQuantizer,
}

impl Quantized {
    /// The measurements in the form their score takes, exactly as a receiver decodes them
    /// from a frame ([`Observed::from_codes`]).
    pub fn observed(&self) -> Result<Observed> {
        let core = |e: qcs_core::Error| anyhow!("quantizer: {e}");
        match &self.quantizer {
            SensorQuantizer::Unquantized => Ok(Observed::Linear(self.y.clone())),
            SensorQuantizer::Thresholds {
                thresholds,
                codewords,
            } => {
                let tq = ThresholdQuantizer::new(thresholds, codewords).map_err(core)?;
                Observed::from_codes(&QuantizerSpec::thresholds(&tq).map_err(core)?, &self.codes)
            }
            &SensorQuantizer::Uniform { bits, delta } => Observed::from_codes(
                &QuantizerSpec::from(uniform(bits, delta, &self.y).map_err(core)?),
                &self.codes,
            ),
        }
    }
}

/// The uniform quantizer of `bits` with step `delta`, or `Δ` from the range of `y`.
fn uniform(bits: u8, delta: Option<f32>, y: &[f32]) -> qcs_core::Result<UniformQuantizer> {
    match (bits, delta) {
        (1, _) => Ok(UniformQuantizer::sign()),
        (_, Some(d)) => UniformQuantizer::new(bits, d),
        (_, None) => UniformQuantizer::from_measurements(y, bits),
    }
}

/// `y = Q(Ax + n)` (eq. 1–2) of `x` with any operator and the noise drawn from `noise`: the
/// sensor's computation without the frame (the evaluation harness measures with operators
/// that no frame kind describes).
pub fn measure_with(
    op: &dyn SensingOperator,
    x: &[f32],
    quantizer: &SensorQuantizer,
    sigma: f32,
    noise: &mut Xoshiro128PlusPlus,
) -> Result<Quantized> {
    let core = |what: &'static str| move |e: qcs_core::Error| anyhow!("{what}: {e}");
    let m = op.rows();
    let mut y = vec![0.0; m];
    let mut scratch = vec![0.0; op.scratch_len()];
    sensor::measure_linear(op, x, sigma, noise, &mut y, &mut scratch).map_err(core("measure"))?;
    let quantize = |q: &dyn Quantizer| -> Result<(Vec<u16>, Vec<f32>)> {
        let mut codes = vec![0u16; m];
        q.encode_slice(&y, &mut codes).map_err(core("quantize"))?;
        let targets = codes
            .iter()
            .map(|&c| q.codeword(c))
            .collect::<qcs_core::Result<Vec<f32>>>()
            .map_err(core("codeword"))?;
        Ok((codes, targets))
    };
    let (codes, targets, resolved) = match quantizer {
        SensorQuantizer::Unquantized => (Vec::new(), y.clone(), SensorQuantizer::Unquantized),
        SensorQuantizer::Thresholds {
            thresholds,
            codewords,
        } => {
            let tq = ThresholdQuantizer::new(thresholds, codewords)
                .map_err(core("--thresholds/--codewords"))?;
            let (codes, targets) = quantize(&tq)?;
            (codes, targets, quantizer.clone())
        }
        &SensorQuantizer::Uniform { bits, delta } => {
            if !(1..=16).contains(&bits) {
                bail!("--bits {bits} is out of range: expected 0 (unquantized) to 16");
            }
            let q = uniform(bits, delta, &y).map_err(core("--bits/--delta"))?;
            let (codes, targets) = quantize(&q)?;
            let delta = (bits >= 2).then(|| q.delta());
            (codes, targets, SensorQuantizer::Uniform { bits, delta })
        }
    };
    Ok(Quantized {
        y,
        codes,
        targets,
        quantizer: resolved,
    })
}

/// `y = Q(Ax + n)` (eq. 1–2) of `x` with the noise drawn from `noise`, encoded as a frame; the
/// operator is the one `s` names (seeded or structured, regenerated from its seed).
pub fn measure_frame(
    x: &[f32],
    shape: SignalShape,
    s: &SensorSettings,
    noise: &mut Xoshiro128PlusPlus,
) -> Result<Measured> {
    let (m, n) = (s.measurements, x.len());
    check_settings(s)?;
    let core = |what: &'static str| move |e: qcs_core::Error| anyhow!("{what}: {e}");
    match s.operator {
        OperatorKind::SeededGaussian => {
            let op =
                SeededGaussian::new(s.seed, m, n, s.scaling).map_err(core("--operator seeded"))?;
            measure_frame_with(&op, x, shape, s, noise)
        }
        OperatorKind::Structured => {
            let op =
                Structured::new(s.seed, m, n, s.scaling).map_err(core("--operator structured"))?;
            measure_frame_with(&op, x, shape, s, noise)
        }
        OperatorKind::Dense => bail!(
            "--operator dense: a dense matrix is given as the matrix itself (--matrix A.npy; \
             Python: matrix=A), not by a seed"
        ),
    }
}

/// `y = Q(Ax + n)` of `x` with the operator `op` (any [`DescribedOperator`]: also a dense
/// matrix named by its fingerprint), encoded as a frame. `s.measurements` must be `op`'s rows;
/// `s.operator`, `s.seed` and `s.scaling` are `op`'s business.
pub fn measure_frame_with(
    op: &dyn DescribedOperator,
    x: &[f32],
    shape: SignalShape,
    s: &SensorSettings,
    noise: &mut Xoshiro128PlusPlus,
) -> Result<Measured> {
    let n = x.len();
    check_settings(s)?;
    ensure!(
        shape.len() == n,
        "the signal has {n} values, its shape {}",
        shape.len()
    );
    ensure!(
        (op.rows(), op.cols()) == (s.measurements, n),
        "the operator is {} × {}, the measurements {} and the signal {n} values",
        op.rows(),
        op.cols(),
        s.measurements
    );
    let core = |what: &'static str| move |e: qcs_core::Error| anyhow!("{what}: {e}");
    let q = measure_with(op, x, &s.quantizer, s.sigma, noise)?;
    let tq;
    let spec = match &q.quantizer {
        SensorQuantizer::Unquantized => QuantizerSpec::Unquantized,
        SensorQuantizer::Thresholds {
            thresholds,
            codewords,
        } => {
            tq = ThresholdQuantizer::new(thresholds, codewords)
                .map_err(core("--thresholds/--codewords"))?;
            QuantizerSpec::thresholds(&tq).map_err(core("--thresholds/--codewords"))?
        }
        &SensorQuantizer::Uniform { bits, delta } => {
            QuantizerSpec::from(uniform(bits, delta, &q.y).map_err(core("--bits/--delta"))?)
        }
    };
    let (y, codes, targets) = (q.y, q.codes, q.targets);
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

/// The largest `σ` a frame may carry: `σ²` plus the perturbation `β²‖a_m‖²` must stay a finite
/// `f32` in the likelihood's `s_m² = σ² + β²‖a_m‖²` (eq. 16).
pub const MAX_SIGMA: f32 = 1e18;

/// Range checks of the settings, before anything is allocated: `M` within the frame's limit,
/// `σ` finite in `[0, MAX_SIGMA]`, and `Δ` only for a uniform quantizer of `Q ≥ 2` bits.
pub fn check_settings(s: &SensorSettings) -> Result<()> {
    let m = s.measurements;
    ensure!(
        (1..=frame::MAX_M as usize).contains(&m),
        "--measurements {m} is out of range: a frame holds 1 ..= {} (2^24) measurements",
        frame::MAX_M
    );
    check_sigma(s.sigma, "--sigma")?;
    if let SensorQuantizer::Uniform {
        bits,
        delta: Some(d),
    } = s.quantizer
    {
        ensure!(
            bits >= 2,
            "--delta {d} applies to uniform quantizers of --bits 2 or more; with --bits {bits} \
             it would be ignored"
        );
    }
    Ok(())
}

/// `σ` finite, `≥ 0` and at most [`MAX_SIGMA`]; `what` names the option or the frame field.
pub fn check_sigma(sigma: f32, what: &str) -> Result<()> {
    ensure!(
        sigma.is_finite() && (0.0..=MAX_SIGMA).contains(&sigma),
        "{what} = {sigma:e} is out of range: the noise level must be finite, in 0 ..= {MAX_SIGMA:e} \
         (σ² must stay a finite f32 in the likelihood)"
    );
    Ok(())
}
