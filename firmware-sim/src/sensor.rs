//! The sensor pipeline: `y = Q(Ax + n)` (paper eq. 2) for every job of [`jobs`], through
//! [`qcs_core::sensor::measure`], the function the host calls too.
//!
//! Jobs: for each compiled-in digit `d < DIGITS`, for each operator (seeded Gaussian, then
//! structured with the `structured` feature), for each quantizer (one-bit sign, then 3-bit
//! uniform with `Δ = DELTA_3BIT`): `A` of seed `OP_SEED_BASE + index` with `A_ij ~ N(0, 1/M)`
//! ([`Scaling::PerMeasurement`]), noise `σ = SIGMA` from `stream_rng(NOISE_SEED, index)`.
//! The signal is digit `d` as `u8 / 255`, tiled to length `N` when `N ≠ 784`.
//!
//! Each result is encoded as a measurement frame ([`qcs_core::frame`], `docs/FRAME_FORMAT.md`:
//! header with shape, `M`, quantizer, `σ`, operator kind/seed/scaling and the job index as
//! counter, the packed codes, CRC-32), queued, and written out as a `FRAME` line.

use crate::config::{DIGITS, M, N};
use crate::out::Out;
use crate::{cost, FwError};
use qcs_core::frame::{
    self, DescribedOperator, FrameHeader, OperatorKind, QuantizerSpec, SignalShape,
};
#[cfg(feature = "structured")]
use qcs_core::operator::Structured;
use qcs_core::operator::{Scaling, SeededGaussian};
use qcs_core::quantizer::{Quantizer, UniformQuantizer};
use qcs_core::rng::stream_rng;
use qcs_core::sensor;

/// The compiled-in MNIST test digits (labels 0, 1, 2, 3), 784 bytes each.
pub static DIGIT_BYTES: &[u8; 4 * 784] = include_bytes!("../data/digits.bin");
/// Seed of job `i`'s operator: `OP_SEED_BASE + i`.
pub const OP_SEED_BASE: u64 = 0x5EED_0000_0000_0000;
/// Seed of the measurement-noise generators (stream = job index).
pub const NOISE_SEED: u64 = 2026;
/// Measurement-noise standard deviation `σ`.
pub const SIGMA: f32 = 0.05;
/// Bin width of the 3-bit uniform quantizer.
pub const DELTA_3BIT: f32 = 0.75;
/// Bits of the quantizers, in job order.
pub const BITS: [u8; 2] = [1, 3];
/// Capacity of one frame: header, the packed codes at 3 bits, CRC.
pub const FRAME_CAP: usize = frame::HEADER_LEN + (3 * M).div_ceil(8) + frame::CRC_LEN;
/// Frames queued before they are written out.
pub const QUEUE: usize = 4;

/// The operators, in job order: [`SeededGaussian`] (regenerated row by row from the seed),
/// then with the `structured` feature [`Structured`] (signs, Hadamard transforms, row subset).
#[cfg(feature = "structured")]
const OPS: &[OperatorKind] = &[OperatorKind::SeededGaussian, OperatorKind::Structured];
#[cfg(not(feature = "structured"))]
const OPS: &[OperatorKind] = &[OperatorKind::SeededGaussian];

/// One measurement job.
#[derive(Clone, Copy)]
pub struct Job {
    /// Position in the job list (also the noise stream).
    pub index: usize,
    /// Which compiled-in digit is the signal.
    pub digit: usize,
    /// The operator (one of `OPS`).
    pub op: OperatorKind,
    /// Quantizer bits (1: sign, 3: uniform).
    pub bits: u8,
}

impl Job {
    /// The operator seed.
    pub fn seed(&self) -> u64 {
        OP_SEED_BASE + self.index as u64
    }

    /// The quantizer (as the host describes it: bits and `Δ`).
    pub fn quantizer(&self) -> Result<UniformQuantizer, FwError> {
        Ok(if self.bits == 1 {
            UniformQuantizer::sign()
        } else {
            UniformQuantizer::new(self.bits, DELTA_3BIT)?
        })
    }
}

/// Every job, in order.
pub fn jobs() -> impl Iterator<Item = Job> {
    (0..DIGITS)
        .flat_map(|digit| OPS.iter().map(move |&op| (digit, op)))
        .flat_map(|(digit, op)| BITS.iter().map(move |&bits| (digit, op, bits)))
        .enumerate()
        .map(|(index, (digit, op, bits))| Job {
            index,
            digit,
            op,
            bits,
        })
}

/// The working memory of the sensor path.
pub struct SensorBuffers {
    x: [f32; N],
    y: [f32; M],
    codes: [u16; M],
    #[cfg(feature = "structured")]
    scratch: [f32; N],
}

impl SensorBuffers {
    /// Zeroed buffers (a `const`, so a `static` of it lands in `.bss`).
    pub const fn new() -> Self {
        Self {
            x: [0.0; N],
            y: [0.0; M],
            codes: [0; M],
            #[cfg(feature = "structured")]
            scratch: [0.0; N],
        }
    }
}

/// A measurement frame: job index and the encoded frame.
pub type Frame = (usize, heapless::Vec<u8, FRAME_CAP>);

/// The shape of the sensor's signal: a 28×28 image at `N = 784`, else a plain vector.
pub fn signal_shape() -> Result<SignalShape, FwError> {
    Ok(if N == 784 {
        SignalShape::image(28, 28, 1)?
    } else {
        SignalShape::vector(N as u32)
    })
}

/// Encodes the frame of `codes`, measured with `op` and the uniform quantizer `q` at noise
/// level `sigma`, into `out`; returns its length.
pub fn encode_frame<O: DescribedOperator>(
    op: &O,
    shape: SignalShape,
    q: &UniformQuantizer,
    sigma: f32,
    counter: u32,
    codes: &[u16],
    out: &mut [u8],
) -> Result<usize, FwError> {
    let spec = QuantizerSpec::Uniform {
        bits: q.bits(),
        delta: q.delta(),
    };
    let header = FrameHeader::for_measurement(shape, op, spec, sigma, counter)?;
    Ok(frame::encode_codes(&header, codes, out)?)
}

/// Writes digit `digit` as `u8 / 255`, tiled to `x.len()`.
pub fn load_signal(digit: usize, x: &mut [f32]) {
    let bytes = &DIGIT_BYTES[digit * 784..(digit + 1) * 784];
    for (i, v) in x.iter_mut().enumerate() {
        *v = f32::from(bytes[i % 784]) / 255.0;
    }
}

/// Measures one job into a frame: `y = Q(Ax + n)` through the core's `sensor::measure`,
/// exactly as the host computes it.
pub fn measure(job: &Job, buf: &mut SensorBuffers) -> Result<Frame, FwError> {
    let q = job.quantizer()?;
    let mut noise = stream_rng(NOISE_SEED, job.index as u64);
    let mut frame = heapless::Vec::new();
    frame
        .resize(FRAME_CAP, 0)
        .map_err(|_| FwError::Capacity("frame"))?;
    let (shape, counter) = (signal_shape()?, job.index as u32);
    let len = match job.op {
        OperatorKind::SeededGaussian => {
            let op = SeededGaussian::new(job.seed(), M, N, Scaling::PerMeasurement)?;
            let (x, y, codes) = (&buf.x, &mut buf.y, &mut buf.codes);
            sensor::measure(&op, x, SIGMA, &mut noise, &q, y, codes, &mut [])?;
            encode_frame(&op, shape, &q, SIGMA, counter, codes, &mut frame)?
        }
        #[cfg(feature = "structured")]
        OperatorKind::Structured => {
            let op = Structured::new(job.seed(), M, N, Scaling::PerMeasurement)?;
            let (x, y, codes) = (&buf.x, &mut buf.y, &mut buf.codes);
            sensor::measure(&op, x, SIGMA, &mut noise, &q, y, codes, &mut buf.scratch)?;
            encode_frame(&op, shape, &q, SIGMA, counter, codes, &mut frame)?
        }
        // Not in `OPS`: a dense matrix (and, without the feature, the structured operator).
        _ => {
            return Err(FwError::Core(qcs_core::Error::KindMismatch {
                field: "operator",
                expected: "an operator the sensor jobs measure with (OPS)",
            }))
        }
    };
    frame.truncate(len);
    Ok((job.index, frame))
}

/// Runs every job, queueing frames and writing them out when the queue is full.
pub fn run(out: &mut Out, buf: &mut SensorBuffers) -> Result<usize, FwError> {
    let mut queue: heapless::Deque<Frame, QUEUE> = heapless::Deque::new();
    let mut count = 0;
    for job in jobs() {
        load_signal(job.digit, &mut buf.x);
        let t0 = cost::ticks();
        let frame = measure(&job, buf)?;
        let t1 = cost::ticks();
        out.line(format_args!(
            "JOB {} digit={} op={} n={} m={} bits={} seed={:016x} noise_seed={:016x} sigma={:08x} delta={:08x}",
            job.index,
            job.digit,
            job.op.name(),
            N,
            M,
            job.bits,
            job.seed(),
            NOISE_SEED,
            SIGMA.to_bits(),
            job.quantizer()?.delta().to_bits(),
        ))?;
        out.line(format_args!(
            "COST frame {} op={} n={} m={} bits={} ticks={}",
            job.index,
            job.op.name(),
            N,
            M,
            job.bits,
            t1 - t0
        ))?;
        if queue.is_full() {
            flush(out, &mut queue)?;
        }
        queue
            .push_back(frame)
            .map_err(|_| FwError::Capacity("frame queue"))?;
        count += 1;
    }
    flush(out, &mut queue)?;
    Ok(count)
}

/// Writes out and empties the frame queue.
fn flush(out: &mut Out, queue: &mut heapless::Deque<Frame, QUEUE>) -> Result<(), FwError> {
    while let Some((index, frame)) = queue.pop_front() {
        out.hex_line(format_args!("FRAME {index}"), &frame)?;
    }
    Ok(())
}
