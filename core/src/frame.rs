//! The versioned binary measurement frame that a sensor sends and the host decodes.
//!
//! A frame carries everything a receiver needs to reconstruct a signal from quantized
//! measurements `y = Q(Ax + n)` (paper eq. 1–2): the signal shape, `M`, the quantizer
//! (eq. 3–5 or thresholds), the noise level `σ`, the operator's kind, seed and
//! [`Scaling`], a frame counter, the bit-packed codes (or raw `f32` measurements for a
//! linear, unquantized frame), and a CRC-32. `docs/FRAME_FORMAT.md` specifies every byte so
//! that a reader in another language can be written from it alone; in short (all
//! little-endian):
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 4 | magic `b"QCSF"` |
//! | 4 | 2 | version `u16` (= [`VERSION`]) |
//! | 6 | 2 | flags `u16` (0: none defined in version 1) |
//! | 8 | 4 | `frame_len` `u32`, total bytes including the CRC |
//! | 12 | 4 | frame counter `u32` |
//! | 16 | 4 | `N` `u32` |
//! | 20 | 12 | image height, width, channels `u32` (all 0: not an image) |
//! | 32 | 4 | `M` `u32` |
//! | 36 | 4 | `σ` `f32` |
//! | 40 | 8 | operator seed `u64` |
//! | 48 | 1 | operator kind (1 seeded Gaussian, 2 structured, 3 dense, not included) |
//! | 49 | 1 | scaling (0 `1/M`, 1 unit, 2 `1/N`) |
//! | 50 | 1 | quantizer kind (1 uniform, 2 thresholds, 3 unquantized) |
//! | 51 | 1 | bits `Q` (1..=16; 0 when unquantized) |
//! | 52 | 4 | `Δ` `f32` (uniform; 4 zero bytes otherwise) |
//! | 56 | `4·(2^{Q+1}−1)` | thresholds kind only: `2^Q − 1` thresholds, then `2^Q` codewords, `f32` |
//! | … | `⌈M·Q/8⌉` or `4M` | codes packed by [`pack_codes`], or `M` `f32` values |
//! | `frame_len − 4` | 4 | CRC-32/ISO-HDLC (zlib's `crc32`) of all bytes before it |
//!
//! The encoder ([`encode_codes`], [`encode_values`]) and the decoder ([`decode`]) never
//! allocate; a decoded [`Frame`] borrows the input bytes. [`decode`] checks every field and
//! returns a specific [`Error`] for truncated input, bad magic, bad CRC, unknown versions,
//! flags or kinds, inconsistent sizes and out-of-range fields; it never panics, whatever the
//! input (fuzzed by `core/fuzz`, property-tested in `core/tests/frame.rs`). A decoded frame
//! builds its own quantizer ([`QuantizerSpec::build`]) and operator
//! ([`FrameHeader::operator`]), so sensor and host share that logic too.
//!
//! ```
//! use qcs_core::frame::{self, FrameHeader, QuantizerSpec, SignalShape};
//! use qcs_core::operator::{Scaling, SeededGaussian};
//! use qcs_core::quantizer::Quantizer;
//!
//! # fn main() -> qcs_core::Result<()> {
//! // Sensor: 8 one-bit measurements of a 4 × 4 image, sent as a 61-byte frame.
//! let op = SeededGaussian::new(42, 8, 16, Scaling::PerMeasurement)?;
//! let shape = SignalShape::image(4, 4, 1)?;
//! let header = FrameHeader::for_measurement(shape, &op, QuantizerSpec::sign(), 0.05, 1)?;
//! let codes = [1u16, 0, 0, 1, 1, 1, 0, 1];
//! let mut buf = [0u8; 64];
//! let len = frame::encode_codes(&header, &codes, &mut buf)?;
//! assert_eq!(len, frame::encoded_len(&header)?);
//!
//! // Receiver: decode, then rebuild the operator and quantizer the frame describes.
//! let received = frame::decode(&buf[..len])?;
//! let mut back = [0u16; 8];
//! received.unpack_codes(&mut back)?;
//! assert_eq!(back, codes);
//! let quantizer = received.quantizer(&mut [])?;
//! assert_eq!(quantizer.interval(1)?, (0.0, f32::INFINITY));
//! assert_eq!(received.operator()?, frame::FrameOperator::SeededGaussian(op));
//! # Ok(())
//! # }
//! ```

use crate::operator::{Scaling, SeededGaussian, SensingOperator, Structured};
use crate::quantizer::{
    pack_codes, packed_len, unpack_codes, Quantizer, ThresholdQuantizer, UniformQuantizer, MAX_BITS,
};
use crate::{Error, Field, Result};
use core::fmt;

/// The four magic bytes every frame starts with.
pub const MAGIC: [u8; 4] = *b"QCSF";

/// The format version this module writes and reads.
pub const VERSION: u16 = 1;

/// Length of the prefix (magic, version, flags, `frame_len`) whose layout every version
/// keeps, so a stream reader can find the length of any frame ([`peek_len`]).
pub const PREFIX_LEN: usize = 12;

/// Length of the fixed header (prefix included) of a version-1 frame.
pub const HEADER_LEN: usize = 56;

/// Length of the trailing CRC-32.
pub const CRC_LEN: usize = 4;

/// The largest signal dimension `N` a frame may state, `2^24`.
pub const MAX_N: u32 = 1 << 24;

/// The largest number of measurements `M` a frame may state, `2^24`.
pub const MAX_M: u32 = 1 << 24;

/// The shortest possible frame: header and CRC around an empty table and payload (no valid
/// frame is that short, since `M ≥ 1`, but no shorter `frame_len` is ever accepted).
pub const MIN_FRAME_LEN: usize = HEADER_LEN + CRC_LEN;

/// The longest possible frame: a 16-bit threshold table and `MAX_M` raw `f32` values
/// (67 633 208 bytes, which fits a 32-bit `usize`).
pub const MAX_FRAME_LEN: usize =
    HEADER_LEN + 4 * ((1 << (MAX_BITS as usize + 1)) - 1) + 4 * MAX_M as usize + CRC_LEN;

/// The CRC of the frame: CRC-32/ISO-HDLC (reflected polynomial `0xEDB88320`, initial value
/// and final xor `0xFFFFFFFF`), the CRC of zlib, PNG and Ethernet.
const CRC32: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

/// Byte offsets of the fixed header fields.
mod offset {
    pub const VERSION: usize = 4;
    pub const FLAGS: usize = 6;
    pub const FRAME_LEN: usize = 8;
    pub const COUNTER: usize = 12;
    pub const N: usize = 16;
    pub const HEIGHT: usize = 20;
    pub const WIDTH: usize = 24;
    pub const CHANNELS: usize = 28;
    pub const M: usize = 32;
    pub const SIGMA: usize = 36;
    pub const SEED: usize = 40;
    pub const OPERATOR: usize = 48;
    pub const SCALING: usize = 49;
    pub const QUANTIZER: usize = 50;
    pub const BITS: usize = 51;
    pub const DELTA: usize = 52;
}

/// The CRC-32 of `bytes` as the frame uses it (CRC-32/ISO-HDLC, equal to Python's
/// `zlib.crc32(bytes)`).
pub fn crc32(bytes: &[u8]) -> u32 {
    CRC32.checksum(bytes)
}

/// The shape of the measured signal: its dimension `N` and, for an image, its height, width
/// and channels (`height · width · channels = N`, row-major, channels last), or three zeros
/// for a plain vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SignalShape {
    /// The signal dimension `N` (1 ..= [`MAX_N`]).
    pub n: u32,
    /// Image height, or 0 when the signal is not an image.
    pub height: u32,
    /// Image width, or 0 when the signal is not an image.
    pub width: u32,
    /// Image channels, or 0 when the signal is not an image.
    pub channels: u32,
}

impl SignalShape {
    /// A plain vector of dimension `n` (height, width and channels 0). Not validated here;
    /// [`SignalShape::validate`] and every encoder check it.
    pub const fn vector(n: u32) -> Self {
        Self {
            n,
            height: 0,
            width: 0,
            channels: 0,
        }
    }

    /// An image of `height × width × channels` values, `N` their product.
    ///
    /// Errors: [`Error::InconsistentShape`] when a dimension is zero, and
    /// [`Error::InvalidParameter`] (field `"n"`) when the product exceeds [`MAX_N`].
    pub fn image(height: u32, width: u32, channels: u32) -> Result<Self> {
        let product = shape_product(height, width, channels);
        let n = product
            .and_then(|p| u32::try_from(p).ok())
            .unwrap_or(u32::MAX);
        if product == Some(0) {
            return Err(Error::InconsistentShape {
                n,
                height,
                width,
                channels,
            });
        }
        let shape = Self {
            n,
            height,
            width,
            channels,
        };
        shape.validate()?;
        Ok(shape)
    }

    /// Whether the shape describes an image (height, width and channels non-zero).
    pub fn is_image(&self) -> bool {
        self.height != 0
    }

    /// `N` as `usize`.
    pub fn len(&self) -> usize {
        self.n as usize
    }

    /// Whether `N = 0` (never true of a valid shape).
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Checks `1 ≤ N ≤ MAX_N` and that height, width and channels are either all 0 or all
    /// non-zero with product `N`.
    ///
    /// Errors: [`Error::InvalidParameter`] (field `"n"`), [`Error::InconsistentShape`].
    pub fn validate(&self) -> Result<()> {
        check_count("n", self.n, MAX_N)?;
        let dims = [self.height, self.width, self.channels];
        let consistent = if dims.iter().all(|&d| d == 0) {
            true
        } else {
            shape_product(self.height, self.width, self.channels) == Some(u64::from(self.n))
        };
        if consistent {
            Ok(())
        } else {
            Err(Error::InconsistentShape {
                n: self.n,
                height: self.height,
                width: self.width,
                channels: self.channels,
            })
        }
    }
}

/// `height · width · channels` without overflow (`None` past `u64::MAX`).
fn shape_product(height: u32, width: u32, channels: u32) -> Option<u64> {
    u64::from(height)
        .checked_mul(u64::from(width))?
        .checked_mul(u64::from(channels))
}

/// Checks `1 ≤ value ≤ max`.
fn check_count(field: Field, value: u32, max: u32) -> Result<()> {
    if (1..=max).contains(&value) {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            field,
            value: f64::from(value),
            expected: "1 ..= 2^24",
        })
    }
}

/// The kind of sensing operator a frame was measured with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum OperatorKind {
    /// [`SeededGaussian`] (code 1): i.i.d. Gaussian rows regenerated from the seed.
    SeededGaussian,
    /// [`Structured`] (code 2): signs, Hadamard transforms and a row subset from the seed.
    Structured,
    /// A dense matrix that the frame does not include (code 3): the receiver must have it
    /// from elsewhere; the seed field is then an application-defined identifier of it.
    Dense,
}

impl OperatorKind {
    /// The byte that stands for this kind in a frame (1, 2, 3).
    pub const fn code(self) -> u8 {
        match self {
            OperatorKind::SeededGaussian => 1,
            OperatorKind::Structured => 2,
            OperatorKind::Dense => 3,
        }
    }

    /// The kind of a frame byte. Errors: [`Error::UnknownKind`] (field `"operator"`).
    pub const fn from_code(code: u8) -> Result<Self> {
        match code {
            1 => Ok(OperatorKind::SeededGaussian),
            2 => Ok(OperatorKind::Structured),
            3 => Ok(OperatorKind::Dense),
            _ => Err(Error::UnknownKind {
                field: "operator",
                code,
            }),
        }
    }
}

/// The byte that stands for a [`Scaling`] in a frame: 0 `PerMeasurement` (`1/M`), 1 `Unit`,
/// 2 `UnitRows` (`1/N`).
pub const fn scaling_code(scaling: Scaling) -> u8 {
    match scaling {
        Scaling::PerMeasurement => 0,
        Scaling::Unit => 1,
        Scaling::UnitRows => 2,
    }
}

/// The [`Scaling`] of a frame byte. Errors: [`Error::UnknownKind`] (field `"scaling"`).
pub const fn scaling_from_code(code: u8) -> Result<Scaling> {
    match code {
        0 => Ok(Scaling::PerMeasurement),
        1 => Ok(Scaling::Unit),
        2 => Ok(Scaling::UnitRows),
        _ => Err(Error::UnknownKind {
            field: "scaling",
            code,
        }),
    }
}

/// The sensing operator of a frame: its kind, 64-bit seed and entry [`Scaling`].
///
/// Together with `M` and `N` from the header this regenerates the operator exactly
/// ([`OperatorSpec::build`]). For [`OperatorKind::Dense`] the seed and scaling are only
/// declarations of the sender about a matrix the receiver already has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct OperatorSpec {
    /// The operator kind.
    pub kind: OperatorKind,
    /// The seed ([`SeededGaussian::seed`], [`Structured::seed`]).
    pub seed: u64,
    /// The entry scaling.
    pub scaling: Scaling,
}

impl OperatorSpec {
    /// The `rows × cols` operator this spec describes.
    ///
    /// Errors: [`Error::KindMismatch`] for [`OperatorKind::Dense`] (the matrix is not in the
    /// frame), and the errors of [`SeededGaussian::new`] and [`Structured::new`].
    pub fn build(&self, rows: usize, cols: usize) -> Result<FrameOperator> {
        match self.kind {
            OperatorKind::SeededGaussian => Ok(FrameOperator::SeededGaussian(SeededGaussian::new(
                self.seed,
                rows,
                cols,
                self.scaling,
            )?)),
            OperatorKind::Structured => Ok(FrameOperator::Structured(Structured::new(
                self.seed,
                rows,
                cols,
                self.scaling,
            )?)),
            OperatorKind::Dense => Err(Error::KindMismatch {
                field: "operator",
                expected: "a seeded or structured operator (a dense matrix is not in the frame)",
            }),
        }
    }
}

/// An operator that a frame can describe: it knows its own [`OperatorSpec`].
pub trait DescribedOperator: SensingOperator {
    /// The kind, seed and scaling of this operator.
    fn operator_spec(&self) -> OperatorSpec;
}

impl DescribedOperator for SeededGaussian {
    fn operator_spec(&self) -> OperatorSpec {
        OperatorSpec {
            kind: OperatorKind::SeededGaussian,
            seed: self.seed(),
            scaling: self.scaling(),
        }
    }
}

impl DescribedOperator for Structured {
    fn operator_spec(&self) -> OperatorSpec {
        OperatorSpec {
            kind: OperatorKind::Structured,
            seed: self.seed(),
            scaling: self.scaling(),
        }
    }
}

impl DescribedOperator for FrameOperator {
    fn operator_spec(&self) -> OperatorSpec {
        match self {
            FrameOperator::SeededGaussian(op) => op.operator_spec(),
            FrameOperator::Structured(op) => op.operator_spec(),
        }
    }
}

/// The operator a frame describes, built by [`OperatorSpec::build`] or
/// [`FrameHeader::operator`]; it forwards every [`SensingOperator`] call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FrameOperator {
    /// A [`SeededGaussian`] operator.
    SeededGaussian(SeededGaussian),
    /// A [`Structured`] operator.
    Structured(Structured),
}

impl SensingOperator for FrameOperator {
    fn rows(&self) -> usize {
        match self {
            FrameOperator::SeededGaussian(op) => op.rows(),
            FrameOperator::Structured(op) => op.rows(),
        }
    }

    fn cols(&self) -> usize {
        match self {
            FrameOperator::SeededGaussian(op) => op.cols(),
            FrameOperator::Structured(op) => op.cols(),
        }
    }

    fn scratch_len(&self) -> usize {
        match self {
            FrameOperator::SeededGaussian(op) => op.scratch_len(),
            FrameOperator::Structured(op) => op.scratch_len(),
        }
    }

    fn forward(&self, x: &[f32], y: &mut [f32], scratch: &mut [f32]) -> Result<()> {
        match self {
            FrameOperator::SeededGaussian(op) => op.forward(x, y, scratch),
            FrameOperator::Structured(op) => op.forward(x, y, scratch),
        }
    }

    fn adjoint(&self, r: &[f32], x: &mut [f32], scratch: &mut [f32]) -> Result<()> {
        match self {
            FrameOperator::SeededGaussian(op) => op.adjoint(r, x, scratch),
            FrameOperator::Structured(op) => op.adjoint(r, x, scratch),
        }
    }

    fn row_norms_sq(&self, out: &mut [f32]) -> Result<()> {
        match self {
            FrameOperator::SeededGaussian(op) => op.row_norms_sq(out),
            FrameOperator::Structured(op) => op.row_norms_sq(out),
        }
    }
}

/// A read-only list of `f32`: either a borrowed `&[f32]` (when encoding) or a borrowed run of
/// little-endian bytes inside a decoded frame (which need not be aligned for `f32`).
#[derive(Clone, Copy)]
pub struct Floats<'a> {
    repr: FloatsRepr<'a>,
}

#[derive(Clone, Copy)]
enum FloatsRepr<'a> {
    Native(&'a [f32]),
    /// Length a multiple of 4.
    LittleEndian(&'a [u8]),
}

impl<'a> Floats<'a> {
    /// A view of `values`.
    pub const fn new(values: &'a [f32]) -> Self {
        Self {
            repr: FloatsRepr::Native(values),
        }
    }

    /// A view of `bytes` as little-endian `f32`s.
    ///
    /// Errors: [`Error::DimensionMismatch`] (field `"bytes"`) unless the length is a
    /// multiple of 4.
    pub fn from_le_bytes(bytes: &'a [u8]) -> Result<Self> {
        Error::check_len("bytes", bytes.len() - bytes.len() % 4, bytes.len())?;
        Ok(Self {
            repr: FloatsRepr::LittleEndian(bytes),
        })
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        match self.repr {
            FloatsRepr::Native(v) => v.len(),
            FloatsRepr::LittleEndian(b) => b.len() / 4,
        }
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Value `index`, or `None` past the end.
    pub fn get(&self, index: usize) -> Option<f32> {
        match self.repr {
            FloatsRepr::Native(v) => v.get(index).copied(),
            FloatsRepr::LittleEndian(b) => {
                let start = index.checked_mul(4)?;
                read_f32(b, start).ok()
            }
        }
    }

    /// The values in order.
    pub fn iter(&self) -> FloatsIter<'a> {
        FloatsIter {
            floats: *self,
            index: 0,
        }
    }

    /// Copies the values into `out`.
    ///
    /// Errors: [`Error::DimensionMismatch`] (field `"out"`) unless `out.len() == self.len()`.
    pub fn copy_to(&self, out: &mut [f32]) -> Result<()> {
        Error::check_len("out", self.len(), out.len())?;
        for (o, v) in out.iter_mut().zip(self.iter()) {
            *o = v;
        }
        Ok(())
    }
}

impl<'a> From<&'a [f32]> for Floats<'a> {
    fn from(values: &'a [f32]) -> Self {
        Self::new(values)
    }
}

/// Equal when both hold the same number of values with the same bits.
impl PartialEq for Floats<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .zip(other.iter())
                .all(|(a, b)| a.to_bits() == b.to_bits())
    }
}

impl fmt::Debug for Floats<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Floats<'_> {
    fn format(&self, f: defmt::Formatter) {
        defmt::write!(f, "Floats(len = {=usize})", self.len())
    }
}

/// Iterator over the values of a [`Floats`].
#[derive(Debug, Clone)]
pub struct FloatsIter<'a> {
    floats: Floats<'a>,
    index: usize,
}

impl Iterator for FloatsIter<'_> {
    type Item = f32;

    fn next(&mut self) -> Option<f32> {
        let v = self.floats.get(self.index)?;
        self.index += 1;
        Some(v)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.floats.len().saturating_sub(self.index);
        (left, Some(left))
    }
}

impl ExactSizeIterator for FloatsIter<'_> {}

/// The quantizer of a frame.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum QuantizerSpec<'a> {
    /// The uniform `bits`-bit quantizer with step `delta` ([`UniformQuantizer`], eq. 3–4;
    /// `bits = 1` is the sign quantizer of eq. 5, whose codewords are ±1 whatever `delta`).
    Uniform {
        /// `Q`, 1..=16.
        bits: u8,
        /// `Δ`, validated as [`UniformQuantizer::new`] does.
        delta: f32,
    },
    /// A threshold quantizer with `2^Q` levels ([`ThresholdQuantizer`]).
    Thresholds {
        /// `Q`, 1..=16.
        bits: u8,
        /// The `2^Q − 1` strictly increasing finite thresholds.
        thresholds: Floats<'a>,
        /// The `2^Q` finite codewords, each inside its bin `[t_c, t_{c+1})`.
        codewords: Floats<'a>,
    },
    /// No quantizer: the frame carries the `M` linear measurements `y = Ax + n` (eq. 1) as
    /// raw `f32`.
    Unquantized,
}

impl<'a> QuantizerSpec<'a> {
    /// The sign quantizer of eq. 5 as [`UniformQuantizer::sign`] stores it: `Q = 1`, `Δ = 2`.
    pub const fn sign() -> Self {
        QuantizerSpec::Uniform {
            bits: 1,
            delta: 2.0,
        }
    }

    /// The spec of a threshold quantizer with `2^Q` levels.
    ///
    /// Errors: [`Error::InvalidParameter`] (field `"thresholds"`) unless the number of
    /// levels is a power of two (the frame stores `2^Q − 1` thresholds).
    pub fn thresholds(quantizer: &ThresholdQuantizer<'a>) -> Result<Self> {
        let levels = quantizer.levels();
        if !levels.is_power_of_two() {
            return Err(Error::InvalidParameter {
                field: "thresholds",
                value: f64::from(levels),
                expected: "2^Q levels (2^Q - 1 thresholds) to fit a frame",
            });
        }
        Ok(QuantizerSpec::Thresholds {
            bits: quantizer.bits(),
            thresholds: Floats::new(quantizer.thresholds()),
            codewords: Floats::new(quantizer.codewords()),
        })
    }

    /// The byte that stands for this kind in a frame (1 uniform, 2 thresholds,
    /// 3 unquantized).
    pub const fn code(&self) -> u8 {
        match self {
            QuantizerSpec::Uniform { .. } => 1,
            QuantizerSpec::Thresholds { .. } => 2,
            QuantizerSpec::Unquantized => 3,
        }
    }

    /// Bits per code `Q`, or `None` when unquantized.
    pub const fn bits(&self) -> Option<u8> {
        match *self {
            QuantizerSpec::Uniform { bits, .. } | QuantizerSpec::Thresholds { bits, .. } => {
                Some(bits)
            }
            QuantizerSpec::Unquantized => None,
        }
    }

    /// The number of `f32` of storage [`build`](Self::build) needs: `2^{Q+1} − 1` for a
    /// threshold quantizer (thresholds and codewords), 0 otherwise.
    pub fn storage_len(&self) -> usize {
        match *self {
            QuantizerSpec::Thresholds { bits, .. } if (1..=MAX_BITS).contains(&bits) => {
                (1usize << (bits + 1)) - 1
            }
            _ => 0,
        }
    }

    /// The quantizer this spec describes. A threshold quantizer copies its thresholds and
    /// codewords into `storage` (at least [`storage_len`](Self::storage_len) values; pass
    /// `&mut []` for a uniform quantizer) and borrows them from there.
    ///
    /// Errors: [`Error::KindMismatch`] for [`QuantizerSpec::Unquantized`];
    /// [`Error::BufferTooSmall`] (field `"storage"`); the errors of
    /// [`UniformQuantizer::new`] and [`ThresholdQuantizer::new`].
    pub fn build<'b>(&self, storage: &'b mut [f32]) -> Result<FrameQuantizer<'b>> {
        match *self {
            QuantizerSpec::Uniform { bits, delta } => {
                Ok(FrameQuantizer::Uniform(UniformQuantizer::new(bits, delta)?))
            }
            QuantizerSpec::Thresholds {
                thresholds,
                codewords,
                ..
            } => {
                let (t_len, c_len) = (thresholds.len(), codewords.len());
                let needed = t_len + c_len;
                let available = storage.len();
                let storage = storage.get_mut(..needed).ok_or(Error::BufferTooSmall {
                    field: "storage",
                    needed,
                    available,
                })?;
                let (t, c) = storage.split_at_mut(t_len);
                thresholds.copy_to(t)?;
                codewords.copy_to(c)?;
                Ok(FrameQuantizer::Thresholds(ThresholdQuantizer::new(t, c)?))
            }
            QuantizerSpec::Unquantized => Err(Error::KindMismatch {
                field: "quantizer",
                expected: "a quantized frame (uniform or thresholds)",
            }),
        }
    }

    /// Checks the quantizer fields (see `docs/FRAME_FORMAT.md`).
    fn validate(&self) -> Result<()> {
        match *self {
            QuantizerSpec::Uniform { bits, delta } => UniformQuantizer::new(bits, delta).map(drop),
            QuantizerSpec::Thresholds {
                bits,
                thresholds,
                codewords,
            } => {
                check_bits(bits)?;
                let levels = 1usize << bits;
                Error::check_len("thresholds", levels - 1, thresholds.len())?;
                Error::check_len("codewords", levels, codewords.len())?;
                check_threshold_table(thresholds, codewords)
            }
            QuantizerSpec::Unquantized => Ok(()),
        }
    }
}

impl From<UniformQuantizer> for QuantizerSpec<'_> {
    fn from(q: UniformQuantizer) -> Self {
        QuantizerSpec::Uniform {
            bits: q.bits(),
            delta: q.delta(),
        }
    }
}

/// Checks `bits ∈ 1..=16`.
fn check_bits(bits: u8) -> Result<()> {
    if (1..=MAX_BITS).contains(&bits) {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            field: "bits",
            value: f64::from(bits),
            expected: "1..=16",
        })
    }
}

/// The checks of [`ThresholdQuantizer::new`] on a table that may live in frame bytes:
/// finite, strictly increasing thresholds; finite codewords inside their bins.
fn check_threshold_table(thresholds: Floats<'_>, codewords: Floats<'_>) -> Result<()> {
    let mut previous = f32::NEG_INFINITY;
    for (index, t) in thresholds.iter().enumerate() {
        if !t.is_finite() {
            return Err(Error::NonFinite {
                field: "thresholds",
                index,
            });
        }
        if index > 0 && t <= previous {
            return Err(Error::InvalidParameter {
                field: "thresholds",
                value: f64::from(t),
                expected: "strictly increasing thresholds",
            });
        }
        previous = t;
    }
    for (index, w) in codewords.iter().enumerate() {
        if !w.is_finite() {
            return Err(Error::NonFinite {
                field: "codewords",
                index,
            });
        }
        let lower = match index.checked_sub(1) {
            None => f32::NEG_INFINITY,
            Some(k) => thresholds.get(k).unwrap_or(f32::NEG_INFINITY),
        };
        let upper = thresholds.get(index).unwrap_or(f32::INFINITY);
        if !(lower <= w && w < upper) {
            return Err(Error::InvalidParameter {
                field: "codewords",
                value: f64::from(w),
                expected: "each codeword inside its bin [t_c, t_{c+1})",
            });
        }
    }
    Ok(())
}

/// The quantizer a frame describes, built by [`QuantizerSpec::build`]; it forwards every
/// [`Quantizer`] call (for example [`Quantizer::bounds_slice`] for the likelihood).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FrameQuantizer<'b> {
    /// A [`UniformQuantizer`].
    Uniform(UniformQuantizer),
    /// A [`ThresholdQuantizer`] over the caller's storage.
    Thresholds(ThresholdQuantizer<'b>),
}

impl Quantizer for FrameQuantizer<'_> {
    fn levels(&self) -> u32 {
        match self {
            FrameQuantizer::Uniform(q) => q.levels(),
            FrameQuantizer::Thresholds(q) => q.levels(),
        }
    }

    fn bits(&self) -> u8 {
        match self {
            FrameQuantizer::Uniform(q) => q.bits(),
            FrameQuantizer::Thresholds(q) => q.bits(),
        }
    }

    fn encode(&self, v: f32) -> Result<u16> {
        match self {
            FrameQuantizer::Uniform(q) => q.encode(v),
            FrameQuantizer::Thresholds(q) => q.encode(v),
        }
    }

    fn interval(&self, code: u16) -> Result<(f32, f32)> {
        match self {
            FrameQuantizer::Uniform(q) => q.interval(code),
            FrameQuantizer::Thresholds(q) => q.interval(code),
        }
    }

    fn codeword(&self, code: u16) -> Result<f32> {
        match self {
            FrameQuantizer::Uniform(q) => q.codeword(code),
            FrameQuantizer::Thresholds(q) => q.codeword(code),
        }
    }

    fn encode_slice(&self, values: &[f32], codes: &mut [u16]) -> Result<()> {
        match self {
            FrameQuantizer::Uniform(q) => q.encode_slice(values, codes),
            FrameQuantizer::Thresholds(q) => q.encode_slice(values, codes),
        }
    }

    fn bounds_slice(&self, codes: &[u16], lower: &mut [f32], upper: &mut [f32]) -> Result<()> {
        match self {
            FrameQuantizer::Uniform(q) => q.bounds_slice(codes, lower, upper),
            FrameQuantizer::Thresholds(q) => q.bounds_slice(codes, lower, upper),
        }
    }
}

/// Everything a frame states about its measurements, apart from the measurements.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FrameHeader<'a> {
    /// The signal shape (`N`, and the image shape when it is an image).
    pub signal: SignalShape,
    /// The number of measurements `M` (1 ..= [`MAX_M`]).
    pub measurements: u32,
    /// The quantizer.
    pub quantizer: QuantizerSpec<'a>,
    /// The measurement noise standard deviation `σ` (finite, `≥ 0`; eq. 1).
    pub sigma: f32,
    /// The sensing operator.
    pub operator: OperatorSpec,
    /// A frame counter, chosen by the sender (for example incremented per frame).
    pub counter: u32,
}

impl<'a> FrameHeader<'a> {
    /// The header of measurements of a signal of shape `signal` taken with `operator`
    /// (`M = operator.rows()`) and `quantizer` at noise level `sigma`.
    ///
    /// Errors: [`Error::DimensionMismatch`] (field `"operator"`) unless
    /// `operator.cols() == N`; [`Error::InvalidParameter`] (field `"m"`) for more than
    /// [`MAX_M`] rows; any error of [`FrameHeader::validate`].
    pub fn for_measurement<O: DescribedOperator + ?Sized>(
        signal: SignalShape,
        operator: &O,
        quantizer: QuantizerSpec<'a>,
        sigma: f32,
        counter: u32,
    ) -> Result<Self> {
        Error::check_len("operator", signal.len(), operator.cols())?;
        let rows = operator.rows();
        let measurements =
            u32::try_from(rows)
                .ok()
                .filter(|&m| m <= MAX_M)
                .ok_or(Error::InvalidParameter {
                    field: "m",
                    value: rows as f64,
                    expected: "1 ..= 2^24",
                })?;
        let header = Self {
            signal,
            measurements,
            quantizer,
            sigma,
            operator: operator.operator_spec(),
            counter,
        };
        header.validate()?;
        Ok(header)
    }

    /// `M` as `usize`.
    pub fn m(&self) -> usize {
        self.measurements as usize
    }

    /// `N` as `usize`.
    pub fn n(&self) -> usize {
        self.signal.len()
    }

    /// Checks every field as [`decode`] does: the signal shape
    /// ([`SignalShape::validate`]); `1 ≤ M ≤ MAX_M`; `σ` finite and `≥ 0`; `M ≤ N` for a
    /// structured operator; the quantizer's bits, `Δ`, thresholds and codewords.
    ///
    /// Errors: [`Error::InvalidParameter`], [`Error::InconsistentShape`],
    /// [`Error::NonFinite`], [`Error::DimensionMismatch`] (a threshold table of the wrong
    /// length).
    pub fn validate(&self) -> Result<()> {
        self.signal.validate()?;
        check_count("m", self.measurements, MAX_M)?;
        if !(self.sigma.is_finite() && self.sigma >= 0.0) {
            return Err(Error::InvalidParameter {
                field: "sigma",
                value: f64::from(self.sigma),
                expected: "finite and >= 0",
            });
        }
        if self.operator.kind == OperatorKind::Structured && self.measurements > self.signal.n {
            return Err(Error::InvalidParameter {
                field: "m",
                value: f64::from(self.measurements),
                expected: "m <= n for the structured operator",
            });
        }
        self.quantizer.validate()
    }

    /// The length in bytes of the frame of this header ([`encoded_len`]).
    ///
    /// Errors: those of [`FrameHeader::validate`].
    pub fn encoded_len(&self) -> Result<usize> {
        self.validate()?;
        Ok(Layout::of(self).total)
    }

    /// The `M × N` operator the header describes.
    ///
    /// Errors: [`Error::KindMismatch`] for a dense operator (not in the frame), and the
    /// errors of [`OperatorSpec::build`].
    pub fn operator(&self) -> Result<FrameOperator> {
        self.operator.build(self.m(), self.n())
    }
}

/// Byte layout of a frame whose header has been validated.
#[derive(Debug, Clone, Copy)]
struct Layout {
    /// Bytes of the threshold table (0 unless the quantizer is a threshold quantizer).
    table: usize,
    /// Offset of the payload.
    payload: usize,
    /// Offset of the CRC.
    crc: usize,
    /// Total frame length.
    total: usize,
}

impl Layout {
    /// The layout of a header with valid `M` and quantizer bits (all sizes are then at most
    /// [`MAX_FRAME_LEN`], so nothing overflows even on 32-bit targets).
    fn of(header: &FrameHeader<'_>) -> Self {
        Self::from_parts(
            header.measurements,
            header.quantizer.code(),
            header.quantizer_bits(),
        )
    }

    /// The layout for `m ≤ MAX_M`, a quantizer kind code and `bits ≤ 16`.
    fn from_parts(m: u32, kind: u8, bits: u8) -> Self {
        let m = m as usize;
        let bits = bits.min(MAX_BITS);
        let (table, payload_len) = match kind {
            1 => (0, packed_len(m, bits).unwrap_or(0)),
            2 => (
                4 * ((1usize << (bits + 1)) - 1),
                packed_len(m, bits).unwrap_or(0),
            ),
            _ => (0, 4 * m),
        };
        let payload = HEADER_LEN + table;
        let crc = payload + payload_len;
        Self {
            table,
            payload,
            crc,
            total: crc + CRC_LEN,
        }
    }
}

impl FrameHeader<'_> {
    /// `Q`, or 0 when unquantized.
    fn quantizer_bits(&self) -> u8 {
        self.quantizer.bits().unwrap_or(0)
    }
}

/// The length in bytes of the frame of `header`: `56 + table + payload + 4`.
///
/// Errors: those of [`FrameHeader::validate`].
pub fn encoded_len(header: &FrameHeader<'_>) -> Result<usize> {
    header.encoded_len()
}

/// Writes the frame of `header` with the codes `codes` (one per measurement, packed by
/// [`pack_codes`] with the quantizer's `Q` bits) into `out`, and returns its length.
///
/// Errors: those of [`FrameHeader::validate`]; [`Error::KindMismatch`] for an unquantized
/// header (use [`encode_values`]); [`Error::DimensionMismatch`] (field `"codes"`) unless
/// `codes.len() == M`; [`Error::CodeOutOfRange`] for a code `≥ 2^Q`;
/// [`Error::BufferTooSmall`] (field `"out"`) when `out` is shorter than [`encoded_len`].
/// Everything is checked before anything is written, so `out` is unchanged on error; bytes
/// after the frame are never touched.
pub fn encode_codes(header: &FrameHeader<'_>, codes: &[u16], out: &mut [u8]) -> Result<usize> {
    header.validate()?;
    let bits = header.quantizer.bits().ok_or(Error::KindMismatch {
        field: "quantizer",
        expected: "a quantized frame (uniform or thresholds); use encode_values",
    })?;
    Error::check_len("codes", header.m(), codes.len())?;
    let layout = Layout::of(header);
    let frame = frame_buffer(out, layout.total)?;
    let payload = frame
        .get_mut(layout.payload..layout.crc)
        .ok_or(Error::BufferTooSmall {
            field: "out",
            needed: layout.total,
            available: layout.crc,
        })?;
    // Checks the codes before it writes anything.
    pack_codes(codes, bits, payload)?;
    finish_frame(header, &layout, frame)
}

/// Writes the frame of an unquantized `header` with the linear measurements `y` (`M` raw
/// little-endian `f32`) into `out`, and returns its length.
///
/// Errors: those of [`FrameHeader::validate`]; [`Error::KindMismatch`] unless the header's
/// quantizer is [`QuantizerSpec::Unquantized`] (use [`encode_codes`]);
/// [`Error::DimensionMismatch`] (field `"y"`) unless `y.len() == M`; [`Error::NonFinite`]
/// (field `"y"`) for a NaN or `±∞`; [`Error::BufferTooSmall`] (field `"out"`). `out` is
/// unchanged on error.
pub fn encode_values(header: &FrameHeader<'_>, y: &[f32], out: &mut [u8]) -> Result<usize> {
    header.validate()?;
    if header.quantizer != QuantizerSpec::Unquantized {
        return Err(Error::KindMismatch {
            field: "quantizer",
            expected: "an unquantized frame; use encode_codes",
        });
    }
    Error::check_len("y", header.m(), y.len())?;
    Error::check_finite("y", y)?;
    let layout = Layout::of(header);
    let frame = frame_buffer(out, layout.total)?;
    let payload = frame.get_mut(layout.payload..layout.crc).unwrap_or(&mut []);
    for (chunk, v) in payload.chunks_exact_mut(4).zip(y) {
        chunk.copy_from_slice(&v.to_le_bytes());
    }
    finish_frame(header, &layout, frame)
}

/// The first `total` bytes of `out`, or [`Error::BufferTooSmall`].
fn frame_buffer(out: &mut [u8], total: usize) -> Result<&mut [u8]> {
    let available = out.len();
    out.get_mut(..total).ok_or(Error::BufferTooSmall {
        field: "out",
        needed: total,
        available,
    })
}

/// Writes the fixed header, the threshold table and the CRC around an already written
/// payload; `frame` is exactly `layout.total` bytes long.
fn finish_frame(header: &FrameHeader<'_>, layout: &Layout, frame: &mut [u8]) -> Result<usize> {
    let (delta, bits) = match header.quantizer {
        QuantizerSpec::Uniform { bits, delta } => (delta.to_le_bytes(), bits),
        QuantizerSpec::Thresholds { bits, .. } => ([0; 4], bits),
        QuantizerSpec::Unquantized => ([0; 4], 0),
    };
    // Every header value is at most 2^26 + 2^19 + 60 < 2^32, so the casts are exact.
    let fields: [(usize, &[u8]); 17] = [
        (0, &MAGIC),
        (offset::VERSION, &VERSION.to_le_bytes()),
        (offset::FLAGS, &0u16.to_le_bytes()),
        (offset::FRAME_LEN, &(layout.total as u32).to_le_bytes()),
        (offset::COUNTER, &header.counter.to_le_bytes()),
        (offset::N, &header.signal.n.to_le_bytes()),
        (offset::HEIGHT, &header.signal.height.to_le_bytes()),
        (offset::WIDTH, &header.signal.width.to_le_bytes()),
        (offset::CHANNELS, &header.signal.channels.to_le_bytes()),
        (offset::M, &header.measurements.to_le_bytes()),
        (offset::SIGMA, &header.sigma.to_le_bytes()),
        (offset::SEED, &header.operator.seed.to_le_bytes()),
        (offset::OPERATOR, &[header.operator.kind.code()]),
        (offset::SCALING, &[scaling_code(header.operator.scaling)]),
        (offset::QUANTIZER, &[header.quantizer.code()]),
        (offset::BITS, &[bits]),
        (offset::DELTA, &delta),
    ];
    for (at, bytes) in fields {
        write_bytes(frame, at, bytes)?;
    }
    if let QuantizerSpec::Thresholds {
        thresholds,
        codewords,
        ..
    } = header.quantizer
    {
        let table = frame
            .get_mut(HEADER_LEN..HEADER_LEN + layout.table)
            .unwrap_or(&mut []);
        for (chunk, v) in table
            .chunks_exact_mut(4)
            .zip(thresholds.iter().chain(codewords.iter()))
        {
            chunk.copy_from_slice(&v.to_le_bytes());
        }
    }
    let crc = crc32(frame.get(..layout.crc).unwrap_or(&[]));
    write_bytes(frame, layout.crc, &crc.to_le_bytes())?;
    Ok(layout.total)
}

/// Copies `bytes` into `frame` at `at` (the caller sized `frame`; a miss is reported as a
/// too-small buffer rather than a panic).
fn write_bytes(frame: &mut [u8], at: usize, bytes: &[u8]) -> Result<()> {
    let available = frame.len();
    let end = at + bytes.len();
    frame
        .get_mut(at..end)
        .ok_or(Error::BufferTooSmall {
            field: "out",
            needed: end,
            available,
        })?
        .copy_from_slice(bytes);
    Ok(())
}

/// `N` little-endian bytes of `bytes` at `at`, or [`Error::Truncated`].
fn read_array<const K: usize>(bytes: &[u8], at: usize) -> Result<[u8; K]> {
    let end = at.saturating_add(K);
    bytes
        .get(at..end)
        .and_then(|s| <[u8; K]>::try_from(s).ok())
        .ok_or(Error::Truncated {
            needed: end,
            available: bytes.len(),
        })
}

fn read_u16(bytes: &[u8], at: usize) -> Result<u16> {
    read_array(bytes, at).map(u16::from_le_bytes)
}

fn read_u32(bytes: &[u8], at: usize) -> Result<u32> {
    read_array(bytes, at).map(u32::from_le_bytes)
}

fn read_u64(bytes: &[u8], at: usize) -> Result<u64> {
    read_array(bytes, at).map(u64::from_le_bytes)
}

fn read_f32(bytes: &[u8], at: usize) -> Result<f32> {
    read_array(bytes, at).map(f32::from_le_bytes)
}

fn read_u8(bytes: &[u8], at: usize) -> Result<u8> {
    read_array::<1>(bytes, at).map(|[b]| b)
}

/// Checks the 12-byte prefix (magic, version, flags, `frame_len`) and returns `frame_len`.
fn read_prefix(bytes: &[u8]) -> Result<usize> {
    if bytes.len() < PREFIX_LEN {
        return Err(Error::Truncated {
            needed: PREFIX_LEN,
            available: bytes.len(),
        });
    }
    let magic: [u8; 4] = read_array(bytes, 0)?;
    if magic != MAGIC {
        return Err(Error::BadMagic { found: magic });
    }
    let version = read_u16(bytes, offset::VERSION)?;
    if version != VERSION {
        return Err(Error::UnsupportedVersion {
            found: version,
            supported: VERSION,
        });
    }
    let flags = read_u16(bytes, offset::FLAGS)?;
    if flags != 0 {
        return Err(Error::UnknownFlags { flags });
    }
    let frame_len = read_u32(bytes, offset::FRAME_LEN)?;
    let frame_len = usize::try_from(frame_len).unwrap_or(usize::MAX);
    if !(MIN_FRAME_LEN..=MAX_FRAME_LEN).contains(&frame_len) {
        return Err(Error::InvalidParameter {
            field: "frame_len",
            value: frame_len as f64,
            expected: "60 ..= 67633208 bytes",
        });
    }
    Ok(frame_len)
}

/// The length of the frame that starts `prefix`, from its first [`PREFIX_LEN`] bytes, so a
/// stream reader knows how many bytes to collect before calling [`decode`].
///
/// Errors: [`Error::Truncated`] for fewer than 12 bytes; [`Error::BadMagic`],
/// [`Error::UnsupportedVersion`], [`Error::UnknownFlags`]; [`Error::InvalidParameter`]
/// (field `"frame_len"`) outside [`MIN_FRAME_LEN`]`..=`[`MAX_FRAME_LEN`].
pub fn peek_len(prefix: &[u8]) -> Result<usize> {
    read_prefix(prefix)
}

/// A decoded frame: its validated header and a view of its payload, borrowed from the
/// decoded bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame<'a> {
    header: FrameHeader<'a>,
    payload: &'a [u8],
    bytes: &'a [u8],
    crc: u32,
}

/// Decodes and validates the frame that `bytes` holds exactly.
///
/// Checks, in order: at least the 12-byte prefix ([`Error::Truncated`]); the magic
/// ([`Error::BadMagic`]), version ([`Error::UnsupportedVersion`]) and flags
/// ([`Error::UnknownFlags`]); `frame_len` in range ([`Error::InvalidParameter`]) and equal to
/// `bytes.len()` ([`Error::Truncated`] when shorter, [`Error::TrailingBytes`] when longer);
/// the CRC ([`Error::BadCrc`]); the kind codes ([`Error::UnknownKind`]); every field
/// ([`FrameHeader::validate`], and the zero `Δ`/bits of the kinds that do not use them);
/// `frame_len` against the length the fields imply ([`Error::InconsistentLength`]); and the
/// payload: zero padding bits after the last code, or finite values
/// ([`Error::InvalidParameter`] field `"codes"`, [`Error::NonFinite`] field `"values"`).
///
/// Never panics, whatever `bytes` holds.
pub fn decode(bytes: &[u8]) -> Result<Frame<'_>> {
    let frame_len = read_prefix(bytes)?;
    if bytes.len() < frame_len {
        return Err(Error::Truncated {
            needed: frame_len,
            available: bytes.len(),
        });
    }
    if bytes.len() > frame_len {
        return Err(Error::TrailingBytes {
            frame_len,
            available: bytes.len(),
        });
    }
    let crc_at = frame_len - CRC_LEN;
    let (body, stored) = bytes.split_at_checked(crc_at).ok_or(Error::Truncated {
        needed: frame_len,
        available: bytes.len(),
    })?;
    let stored = read_u32(stored, 0)?;
    let computed = crc32(body);
    if computed != stored {
        return Err(Error::BadCrc {
            expected: computed,
            found: stored,
        });
    }

    let operator = OperatorSpec {
        kind: OperatorKind::from_code(read_u8(bytes, offset::OPERATOR)?)?,
        seed: read_u64(bytes, offset::SEED)?,
        scaling: scaling_from_code(read_u8(bytes, offset::SCALING)?)?,
    };
    let kind = read_u8(bytes, offset::QUANTIZER)?;
    let bits = read_u8(bytes, offset::BITS)?;
    let delta_bytes: [u8; 4] = read_array(bytes, offset::DELTA)?;
    let delta = f32::from_le_bytes(delta_bytes);
    let signal = SignalShape {
        n: read_u32(bytes, offset::N)?,
        height: read_u32(bytes, offset::HEIGHT)?,
        width: read_u32(bytes, offset::WIDTH)?,
        channels: read_u32(bytes, offset::CHANNELS)?,
    };
    let measurements = read_u32(bytes, offset::M)?;
    let sigma = read_f32(bytes, offset::SIGMA)?;
    let counter = read_u32(bytes, offset::COUNTER)?;

    // The quantizer: kind, bits, Δ; the table is located once the length is known good.
    let zero_delta = || -> Result<()> {
        if delta_bytes == [0; 4] {
            Ok(())
        } else {
            Err(Error::InvalidParameter {
                field: "delta",
                value: f64::from(delta),
                expected: "4 zero bytes unless the quantizer is uniform",
            })
        }
    };
    match kind {
        1 => check_bits(bits)?,
        2 => {
            check_bits(bits)?;
            zero_delta()?;
        }
        3 => {
            if bits != 0 {
                return Err(Error::InvalidParameter {
                    field: "bits",
                    value: f64::from(bits),
                    expected: "0 for an unquantized frame",
                });
            }
            zero_delta()?;
        }
        code => {
            return Err(Error::UnknownKind {
                field: "quantizer",
                code,
            })
        }
    }
    // Fields that the layout depends on: M (bits are checked above).
    signal.validate()?;
    check_count("m", measurements, MAX_M)?;
    let layout = Layout::from_parts(measurements, kind, bits);
    if layout.total != frame_len {
        return Err(Error::InconsistentLength {
            field: "frame_len",
            expected: layout.total,
            found: frame_len,
        });
    }
    let table = bytes.get(HEADER_LEN..layout.payload).unwrap_or(&[]);
    let quantizer = match kind {
        1 => QuantizerSpec::Uniform { bits, delta },
        2 => {
            let (t, c) = table.split_at(table.len().min(4 * ((1usize << bits) - 1)));
            QuantizerSpec::Thresholds {
                bits,
                thresholds: Floats::from_le_bytes(t)?,
                codewords: Floats::from_le_bytes(c)?,
            }
        }
        _ => QuantizerSpec::Unquantized,
    };
    let header = FrameHeader {
        signal,
        measurements,
        quantizer,
        sigma,
        operator,
        counter,
    };
    header.validate()?;

    let payload = bytes.get(layout.payload..layout.crc).unwrap_or(&[]);
    check_payload(&header, payload)?;
    Ok(Frame {
        header,
        payload,
        bytes,
        crc: stored,
    })
}

/// Checks the payload of a frame with a valid header and the right payload length.
fn check_payload(header: &FrameHeader<'_>, payload: &[u8]) -> Result<()> {
    match header.quantizer.bits() {
        Some(bits) => {
            // Pad bits: the low `8·len − M·Q` bits of the last byte must be zero.
            let used = (header.m() * usize::from(bits)) % 8;
            let last = payload.last().copied().unwrap_or(0);
            let pad_mask = if used == 0 { 0 } else { 0xFFu8 >> used };
            if last & pad_mask != 0 {
                return Err(Error::InvalidParameter {
                    field: "codes",
                    value: f64::from(last),
                    expected: "zero padding bits after the last code",
                });
            }
            Ok(())
        }
        None => {
            for (index, chunk) in payload.chunks_exact(4).enumerate() {
                if !read_f32(chunk, 0)?.is_finite() {
                    return Err(Error::NonFinite {
                        field: "values",
                        index,
                    });
                }
            }
            Ok(())
        }
    }
}

impl<'a> Frame<'a> {
    /// The validated header.
    pub fn header(&self) -> &FrameHeader<'a> {
        &self.header
    }

    /// The payload bytes: packed codes, or `M` little-endian `f32`.
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }

    /// The whole frame, as decoded.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The frame's CRC-32.
    pub fn crc(&self) -> u32 {
        self.crc
    }

    /// Unpacks the `M` codes into `codes` (every code is `< 2^Q`).
    ///
    /// Errors: [`Error::KindMismatch`] for an unquantized frame (use
    /// [`values`](Self::values)); [`Error::DimensionMismatch`] (field `"codes"`) unless
    /// `codes.len() == M`.
    pub fn unpack_codes(&self, codes: &mut [u16]) -> Result<()> {
        let bits = self.header.quantizer.bits().ok_or(Error::KindMismatch {
            field: "quantizer",
            expected: "a quantized frame (uniform or thresholds); use values",
        })?;
        Error::check_len("codes", self.header.m(), codes.len())?;
        unpack_codes(self.payload, bits, codes)
    }

    /// Copies the `M` linear measurements of an unquantized frame into `y` (all finite).
    ///
    /// Errors: [`Error::KindMismatch`] for a quantized frame (use
    /// [`unpack_codes`](Self::unpack_codes)); [`Error::DimensionMismatch`] (field `"y"`)
    /// unless `y.len() == M`.
    pub fn values(&self, y: &mut [f32]) -> Result<()> {
        if self.header.quantizer != QuantizerSpec::Unquantized {
            return Err(Error::KindMismatch {
                field: "quantizer",
                expected: "an unquantized frame; use unpack_codes",
            });
        }
        Error::check_len("y", self.header.m(), y.len())?;
        Floats::from_le_bytes(self.payload)?.copy_to(y)
    }

    /// The quantizer of the frame ([`QuantizerSpec::build`]).
    pub fn quantizer<'b>(&self, storage: &'b mut [f32]) -> Result<FrameQuantizer<'b>> {
        self.header.quantizer.build(storage)
    }

    /// The operator of the frame ([`FrameHeader::operator`]).
    pub fn operator(&self) -> Result<FrameOperator> {
        self.header.operator()
    }
}
