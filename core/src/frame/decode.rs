//! The frame decoder: [`peek_len`] for stream readers, [`decode`] with its checks in
//! order, and the decoded [`Frame`] that borrows the input bytes.

use super::header::check_count;
use super::kinds::scaling_from_code;
use super::spec::check_bits;
use super::wire::{
    crc32, offset, read_array, read_f32, read_u16, read_u32, read_u64, read_u8, Layout, CRC_LEN,
    HEADER_LEN, MAGIC, MAX_FRAME_LEN, MAX_M, MIN_FRAME_LEN, PREFIX_LEN, VERSION,
};
use super::{
    Floats, FrameHeader, FrameOperator, FrameQuantizer, OperatorKind, OperatorSpec, QuantizerKind,
    QuantizerSpec, SignalShape,
};
use crate::quantizer::unpack_codes;
use crate::{Error, Result};

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
    let kind = QuantizerKind::from_code(read_u8(bytes, offset::QUANTIZER)?)?;
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
        QuantizerKind::Uniform => check_bits(bits)?,
        QuantizerKind::Thresholds => {
            check_bits(bits)?;
            zero_delta()?;
        }
        QuantizerKind::Unquantized => {
            if bits != 0 {
                return Err(Error::InvalidParameter {
                    field: "bits",
                    value: f64::from(bits),
                    expected: "0 for an unquantized frame",
                });
            }
            zero_delta()?;
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
        QuantizerKind::Uniform => QuantizerSpec::Uniform { bits, delta },
        QuantizerKind::Thresholds => {
            let (t, c) = table.split_at(table.len().min(4 * ((1usize << bits) - 1)));
            QuantizerSpec::Thresholds {
                bits,
                thresholds: Floats::from_le_bytes(t)?,
                codewords: Floats::from_le_bytes(c)?,
            }
        }
        QuantizerKind::Unquantized => QuantizerSpec::Unquantized,
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
