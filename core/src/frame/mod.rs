//! The versioned binary measurement frame that a sensor sends and the host decodes.
//!
//! A frame carries everything a receiver needs to reconstruct a signal from quantized
//! measurements `y = Q(Ax + n)` (paper eq. 1–2): the signal shape, `M`, the quantizer
//! (eq. 3–5 or thresholds), the noise level `σ`, the operator's kind, seed and
//! [`Scaling`](crate::operator::Scaling), a frame counter, the bit-packed codes (or raw `f32` measurements for a
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
//! | 48 | 1 | operator kind ([`OperatorKind`]: 1 seeded Gaussian, 2 structured, 3 dense, not included) |
//! | 49 | 1 | scaling (0 `1/M`, 1 unit, 2 `1/N`) |
//! | 50 | 1 | quantizer kind ([`QuantizerKind`]: 1 uniform, 2 thresholds, 3 unquantized) |
//! | 51 | 1 | bits `Q` (1..=16; 0 when unquantized) |
//! | 52 | 4 | `Δ` `f32` (uniform; 4 zero bytes otherwise) |
//! | 56 | `4·(2^{Q+1}−1)` | thresholds kind only: `2^Q − 1` thresholds, then `2^Q` codewords, `f32` |
//! | … | `⌈M·Q/8⌉` or `4M` | codes packed by [`pack_codes`](crate::quantizer::pack_codes), or `M` `f32` values |
//! | `frame_len − 4` | 4 | CRC-32/ISO-HDLC (zlib's `crc32`) of all bytes before it |
//!
//! The encoder ([`encode_codes`], [`encode_values`]) and the decoder ([`decode`]) never
//! allocate; a decoded [`Frame`] borrows the input bytes. [`decode`] checks every field and
//! returns a specific [`Error`](crate::Error) for truncated input, bad magic, bad CRC, unknown versions,
//! flags or kinds, inconsistent sizes and out-of-range fields; it never panics, whatever the
//! input (fuzzed by `core/fuzz`, property-tested in `core/tests/frame_reference.rs`). A decoded frame
//! builds its own quantizer ([`QuantizerSpec::build`]) and operator
//! ([`FrameHeader::operator`]), so sensor and host share that logic too.
//!
//! The module's files, one concern each: `wire` (constants, offsets, layout, CRC), `kinds`
//! (the enumerated fields: [`OperatorKind`], [`QuantizerKind`], scaling), `floats`
//! ([`Floats`]), `spec` ([`OperatorSpec`], [`QuantizerSpec`]), `header` ([`SignalShape`],
//! [`FrameHeader`]), `build` ([`FrameOperator`], [`FrameQuantizer`], [`DescribedOperator`]),
//! `encode` and `decode`.
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

mod build;
mod decode;
mod encode;
mod floats;
mod header;
mod kinds;
mod spec;
mod wire;

pub use build::{DescribedOperator, FrameOperator, FrameQuantizer, NamedDense};
pub use decode::{decode, peek_len, Frame};
pub use encode::{encode_codes, encode_values, encoded_len};
pub use floats::{Floats, FloatsIter};
pub use header::{FrameHeader, SignalShape};
pub use kinds::{scaling_code, scaling_from_code, OperatorKind, QuantizerKind};
pub use spec::{OperatorSpec, QuantizerSpec};
pub use wire::{
    crc32, CRC_LEN, HEADER_LEN, MAGIC, MAX_FRAME_LEN, MAX_M, MAX_N, MIN_FRAME_LEN, PREFIX_LEN,
    VERSION,
};
