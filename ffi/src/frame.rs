//! Frame inspection and decoding, for gateways: the header fields, the codes, the values,
//! the threshold table.

use crate::ptr;
use crate::status::status_of;
use crate::QcsStatus;
use qcs_core::frame::{self, scaling_code, Frame, QuantizerSpec};

/// The format version this library writes and reads.
pub const QCS_FRAME_VERSION: u16 = 1;
/// Bytes of the fixed frame header (before the threshold table or payload).
pub const QCS_FRAME_HEADER_LEN: usize = 56;
/// Bytes of the prefix [`qcs_frame_peek_len`] needs (magic, version, flags, length).
pub const QCS_FRAME_PREFIX_LEN: usize = 12;
/// Bytes of the trailing CRC-32.
pub const QCS_FRAME_CRC_LEN: usize = 4;

// The C constants are literals (cbindgen writes literals only); they are the core's.
const _: () = assert!(
    QCS_FRAME_VERSION == frame::VERSION
        && QCS_FRAME_HEADER_LEN == frame::HEADER_LEN
        && QCS_FRAME_PREFIX_LEN == frame::PREFIX_LEN
        && QCS_FRAME_CRC_LEN == frame::CRC_LEN
);

/// Every header field of a decoded, validated frame (`docs/FRAME_FORMAT.md`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct QcsFrameInfo {
    /// Total bytes of the frame, CRC included.
    pub frame_len: u32,
    /// Format version (`QCS_FRAME_VERSION`).
    pub version: u16,
    /// Flags (0 in version 1).
    pub flags: u16,
    /// The frame counter.
    pub counter: u32,
    /// The signal dimension `N`.
    pub n: u32,
    /// Image height (0: not an image).
    pub height: u32,
    /// Image width (0: not an image).
    pub width: u32,
    /// Image channels (0: not an image).
    pub channels: u32,
    /// The number of measurements `M`.
    pub m: u32,
    /// The noise standard deviation `σ`.
    pub sigma: f32,
    /// The operator's 64-bit seed.
    pub operator_seed: u64,
    /// Operator kind: `QCS_OPERATOR_SEEDED` (1), `QCS_OPERATOR_STRUCTURED` (2) or 3 (dense,
    /// not included in the frame).
    pub operator_kind: u8,
    /// Scaling: `QCS_SCALING_PER_MEASUREMENT` (0), `QCS_SCALING_UNIT` (1),
    /// `QCS_SCALING_UNIT_ROWS` (2).
    pub scaling: u8,
    /// Quantizer kind: `QCS_QUANTIZER_UNIFORM` (1), `QCS_QUANTIZER_THRESHOLDS` (2),
    /// `QCS_QUANTIZER_UNQUANTIZED` (3).
    pub quantizer_kind: u8,
    /// Bits per code `Q` (0 when unquantized).
    pub bits: u8,
    /// The uniform quantizer's `Δ` (0 for the other kinds).
    pub delta: f32,
    /// Offset of the payload (packed codes or `M` little-endian floats) in the frame.
    pub payload_offset: u32,
    /// Bytes of the payload: `⌈M·Q/8⌉`, or `4M` when unquantized.
    pub payload_len: u32,
    /// The frame's CRC-32 (ISO-HDLC, as zlib's `crc32`).
    pub crc: u32,
}

/// Decodes `len` bytes at `bytes` (null-checked; the caller's contract covers the rest).
///
/// # Safety
///
/// `bytes` null or `len` readable bytes that live for `'a`.
unsafe fn decode<'a>(bytes: *const u8, len: usize) -> Result<Frame<'a>, QcsStatus> {
    // SAFETY: the caller's contract.
    let bytes = unsafe { ptr::slice(bytes, len)? };
    Ok(frame::decode(bytes)?)
}

/// Writes to `*frame_len` the length of the frame that starts with the `len ≥ 12` bytes at
/// `prefix` (magic, version, flags and length checked), so that a stream reader knows how
/// many bytes to collect.
///
/// Errors: `QCS_STATUS_NULL_POINTER`; `QCS_STATUS_TRUNCATED` for `len < 12`;
/// `QCS_STATUS_BAD_MAGIC`, `QCS_STATUS_UNSUPPORTED_VERSION`, `QCS_STATUS_UNKNOWN_FLAGS`;
/// `QCS_STATUS_INVALID_PARAMETER` for a length outside 60 ..= 67633208.
///
/// # Safety
///
/// `prefix` null or `len` readable bytes; `frame_len` null or a writable `size_t`.
#[no_mangle]
pub unsafe extern "C" fn qcs_frame_peek_len(
    prefix: *const u8,
    len: usize,
    frame_len: *mut usize,
) -> QcsStatus {
    status_of((|| {
        ptr::check_out(frame_len)?;
        // SAFETY: the caller's contract on `prefix`.
        let prefix = unsafe { ptr::slice(prefix, len)? };
        let n = frame::peek_len(prefix)?;
        // SAFETY: `frame_len` passed `check_out`; the caller guarantees it is writable.
        unsafe { ptr::write(frame_len, n) };
        Ok(())
    })())
}

/// Decodes and validates the frame of exactly `len` bytes at `bytes` and writes its header
/// fields to `*info`.
///
/// Errors: `QCS_STATUS_NULL_POINTER`, `QCS_STATUS_MISALIGNED` (`info`); for a bad frame, in
/// the decoder's order: `QCS_STATUS_TRUNCATED`, `QCS_STATUS_BAD_MAGIC`,
/// `QCS_STATUS_UNSUPPORTED_VERSION`, `QCS_STATUS_UNKNOWN_FLAGS`,
/// `QCS_STATUS_INVALID_PARAMETER` (out-of-range field), `QCS_STATUS_TRAILING_BYTES`,
/// `QCS_STATUS_BAD_CRC`, `QCS_STATUS_UNKNOWN_KIND`, `QCS_STATUS_INCONSISTENT_SHAPE`,
/// `QCS_STATUS_INCONSISTENT_LENGTH`, `QCS_STATUS_NON_FINITE`.
///
/// # Safety
///
/// `bytes` null or `len` readable bytes; `info` null or a writable `QcsFrameInfo`.
#[no_mangle]
pub unsafe extern "C" fn qcs_frame_decode(
    bytes: *const u8,
    len: usize,
    info: *mut QcsFrameInfo,
) -> QcsStatus {
    status_of((|| {
        ptr::check_out(info)?;
        // SAFETY: the caller's contract on `bytes`.
        let frame = unsafe { decode(bytes, len)? };
        let h = frame.header();
        let (bits, delta) = match h.quantizer {
            QuantizerSpec::Uniform { bits, delta } => (bits, delta),
            QuantizerSpec::Thresholds { bits, .. } => (bits, 0.0),
            QuantizerSpec::Unquantized => (0, 0.0),
        };
        let frame_len = frame.as_bytes().len();
        let payload_len = frame.payload().len();
        let payload_offset = frame_len - payload_len - QCS_FRAME_CRC_LEN;
        // Frames are at most 67633208 bytes (checked by the decoder): the casts are exact.
        let value = QcsFrameInfo {
            frame_len: frame_len as u32,
            version: frame::VERSION,
            flags: 0,
            counter: h.counter,
            n: h.signal.n,
            height: h.signal.height,
            width: h.signal.width,
            channels: h.signal.channels,
            m: h.measurements,
            sigma: h.sigma,
            operator_seed: h.operator.seed,
            operator_kind: h.operator.kind.code(),
            scaling: scaling_code(h.operator.scaling),
            quantizer_kind: h.quantizer.code(),
            bits,
            delta,
            payload_offset: payload_offset as u32,
            payload_len: payload_len as u32,
            crc: frame.crc(),
        };
        // SAFETY: `info` passed `check_out`; the caller guarantees it is writable.
        unsafe { ptr::write(info, value) };
        Ok(())
    })())
}

/// Decodes the frame at `bytes` (as [`qcs_frame_decode`]) and unpacks its `M` codes into
/// `codes` (`codes_len = M`; each code `< 2^Q`).
///
/// Errors: those of [`qcs_frame_decode`]; `QCS_STATUS_NULL_POINTER`,
/// `QCS_STATUS_MISALIGNED` (`codes`); `QCS_STATUS_KIND_MISMATCH` for an unquantized frame
/// (use [`qcs_frame_values`]); `QCS_STATUS_DIMENSION_MISMATCH` unless `codes_len = M`.
/// `codes` is unchanged on error.
///
/// # Safety
///
/// `bytes` null or `len` readable bytes; `codes` null or `codes_len` writable `uint16_t`.
#[no_mangle]
pub unsafe extern "C" fn qcs_frame_codes(
    bytes: *const u8,
    len: usize,
    codes: *mut u16,
    codes_len: usize,
) -> QcsStatus {
    status_of((|| {
        // SAFETY: the caller's contract on `codes`.
        let codes = unsafe { ptr::slice_mut(codes, codes_len)? };
        // SAFETY: the caller's contract on `bytes`.
        let frame = unsafe { decode(bytes, len)? };
        if frame.header().quantizer.bits().is_none() {
            return Err(QcsStatus::KindMismatch);
        }
        if codes.len() != frame.header().m() {
            return Err(QcsStatus::DimensionMismatch);
        }
        // The decoder checked the payload's length and padding, so this cannot fail.
        Ok(frame.unpack_codes(codes)?)
    })())
}

/// Decodes the unquantized frame at `bytes` (as [`qcs_frame_decode`]) and copies its `M`
/// measurements `y = Ax + n` into `y` (`y_len = M`).
///
/// Errors: those of [`qcs_frame_decode`]; `QCS_STATUS_NULL_POINTER`,
/// `QCS_STATUS_MISALIGNED` (`y`); `QCS_STATUS_KIND_MISMATCH` for a quantized frame (use
/// [`qcs_frame_codes`]); `QCS_STATUS_DIMENSION_MISMATCH` unless `y_len = M`. `y` is unchanged
/// on error.
///
/// # Safety
///
/// `bytes` null or `len` readable bytes; `y` null or `y_len` writable floats.
#[no_mangle]
pub unsafe extern "C" fn qcs_frame_values(
    bytes: *const u8,
    len: usize,
    y: *mut f32,
    y_len: usize,
) -> QcsStatus {
    status_of((|| {
        // SAFETY: the caller's contract on `y`.
        let y = unsafe { ptr::slice_mut(y, y_len)? };
        // SAFETY: the caller's contract on `bytes`.
        let frame = unsafe { decode(bytes, len)? };
        if frame.header().quantizer != QuantizerSpec::Unquantized {
            return Err(QcsStatus::KindMismatch);
        }
        if y.len() != frame.header().m() {
            return Err(QcsStatus::DimensionMismatch);
        }
        Ok(frame.values(y)?)
    })())
}

/// Decodes the threshold-quantizer frame at `bytes` (as [`qcs_frame_decode`]) and copies its
/// `2^Q − 1` thresholds and `2^Q` codewords into `thresholds` and `codewords`.
///
/// Errors: those of [`qcs_frame_decode`]; `QCS_STATUS_NULL_POINTER`,
/// `QCS_STATUS_MISALIGNED`; `QCS_STATUS_KIND_MISMATCH` unless the frame's quantizer kind is
/// thresholds; `QCS_STATUS_DIMENSION_MISMATCH` unless `thresholds_len = 2^Q − 1` and
/// `codewords_len = 2^Q`. The outputs are unchanged on error.
///
/// # Safety
///
/// `bytes` null or `len` readable bytes; `thresholds` / `codewords` null or that many
/// writable floats.
#[no_mangle]
pub unsafe extern "C" fn qcs_frame_threshold_table(
    bytes: *const u8,
    len: usize,
    thresholds: *mut f32,
    thresholds_len: usize,
    codewords: *mut f32,
    codewords_len: usize,
) -> QcsStatus {
    status_of((|| {
        // SAFETY: the caller's contract on `thresholds`.
        let t_out = unsafe { ptr::slice_mut(thresholds, thresholds_len)? };
        // SAFETY: the caller's contract on `codewords`.
        let c_out = unsafe { ptr::slice_mut(codewords, codewords_len)? };
        // SAFETY: the caller's contract on `bytes`.
        let frame = unsafe { decode(bytes, len)? };
        let QuantizerSpec::Thresholds {
            thresholds,
            codewords,
            ..
        } = frame.header().quantizer
        else {
            return Err(QcsStatus::KindMismatch);
        };
        if t_out.len() != thresholds.len() || c_out.len() != codewords.len() {
            return Err(QcsStatus::DimensionMismatch);
        }
        thresholds.copy_to(t_out)?;
        codewords.copy_to(c_out)?;
        Ok(())
    })())
}
