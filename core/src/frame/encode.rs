//! The frame encoder: [`encode_codes`] for quantized measurements (eq. 2–5, codes packed by
//! [`pack_codes`]), [`encode_values`] for linear ones (eq. 1); neither allocates.

use super::kinds::scaling_code;
use super::wire::{crc32, offset, write_bytes, Layout, HEADER_LEN, MAGIC, VERSION};
use super::{FrameHeader, QuantizerSpec};
use crate::quantizer::pack_codes;
use crate::{Error, Result};

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
