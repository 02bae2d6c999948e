//! The quantizer and the code packing on their own, for teams with their own transport.

use crate::ptr;
use crate::status::status_of;
use crate::QcsStatus;
use qcs_core::quantizer::{self, Quantizer, ThresholdQuantizer, UniformQuantizer};

/// The largest number of bits per code `Q`.
pub const QCS_MAX_BITS: u32 = 16;
const _: () = assert!(QCS_MAX_BITS == quantizer::MAX_BITS as u32);

/// `bits` as the core's `u8` (values above 255 are out of range anyway).
fn bits_u8(bits: u32) -> Result<u8, QcsStatus> {
    u8::try_from(bits).map_err(|_| QcsStatus::InvalidParameter)
}

/// The uniform quantizer, or `QCS_STATUS_INVALID_PARAMETER`.
fn uniform(bits: u32, delta: f32) -> Result<UniformQuantizer, QcsStatus> {
    Ok(UniformQuantizer::new(bits_u8(bits)?, delta)?)
}

/// A code as the core's `u16`; larger codes are out of range for every quantizer.
fn code_u16(code: u32) -> Result<u16, QcsStatus> {
    u16::try_from(code).map_err(|_| QcsStatus::CodeOutOfRange)
}

/// Quantizes `count` values with the uniform `bits`-bit quantizer of step `delta` (paper
/// eq. 3–5; `bits = 1` is the sign quantizer, code 1 for `v ≥ 0`) into `codes` (`count`
/// entries). Bins are `[l, u)`; the codes equal the sensor's.
///
/// Errors: `QCS_STATUS_NULL_POINTER`, `QCS_STATUS_MISALIGNED`;
/// `QCS_STATUS_INVALID_PARAMETER` unless `1 ≤ bits ≤ 16` and `delta` is finite and > 0;
/// `QCS_STATUS_NON_FINITE` for a NaN value (±∞ go to the outer codes). `codes` is unchanged
/// on error.
///
/// # Safety
///
/// `values` null or `count` readable floats; `codes` null or `count` writable `uint16_t`.
#[no_mangle]
pub unsafe extern "C" fn qcs_uniform_quantize(
    bits: u32,
    delta: f32,
    values: *const f32,
    count: usize,
    codes: *mut u16,
) -> QcsStatus {
    status_of((|| {
        // SAFETY: the caller's contract on `values`.
        let values = unsafe { ptr::slice(values, count)? };
        // SAFETY: the caller's contract on `codes`.
        let codes = unsafe { ptr::slice_mut(codes, count)? };
        let q = uniform(bits, delta)?;
        if values.iter().any(|v| v.is_nan()) {
            return Err(QcsStatus::NonFinite);
        }
        Ok(q.encode_slice(values, codes)?)
    })())
}

/// Writes to `*codeword` the reconstruction value of `code` for the uniform quantizer
/// (`((2c + 1 − 2^Q)·Δ)/2`; ±1 for the sign quantizer).
///
/// Errors: `QCS_STATUS_NULL_POINTER`, `QCS_STATUS_MISALIGNED`;
/// `QCS_STATUS_INVALID_PARAMETER` (bits, delta); `QCS_STATUS_CODE_OUT_OF_RANGE` for
/// `code ≥ 2^Q`.
///
/// # Safety
///
/// `codeword` null or a writable float.
#[no_mangle]
pub unsafe extern "C" fn qcs_uniform_codeword(
    bits: u32,
    delta: f32,
    code: u32,
    codeword: *mut f32,
) -> QcsStatus {
    status_of((|| {
        ptr::check_out(codeword)?;
        let value = uniform(bits, delta)?.codeword(code_u16(code)?)?;
        // SAFETY: `codeword` passed `check_out`; the caller guarantees it is writable.
        unsafe { ptr::write(codeword, value) };
        Ok(())
    })())
}

/// Writes to `*lower` and `*upper` the bin `[lower, upper)` of `code` for the uniform
/// quantizer (the outer bins extend to ∓infinity).
///
/// Errors: as [`qcs_uniform_codeword`].
///
/// # Safety
///
/// `lower` and `upper` null or writable floats.
#[no_mangle]
pub unsafe extern "C" fn qcs_uniform_interval(
    bits: u32,
    delta: f32,
    code: u32,
    lower: *mut f32,
    upper: *mut f32,
) -> QcsStatus {
    status_of((|| {
        ptr::check_out(lower)?;
        ptr::check_out(upper)?;
        let (l, u) = uniform(bits, delta)?.interval(code_u16(code)?)?;
        // SAFETY: both passed `check_out`; the caller guarantees they are writable.
        unsafe {
            ptr::write(lower, l);
            ptr::write(upper, u);
        }
        Ok(())
    })())
}

/// Quantizes `count` values with the threshold quantizer of `thresholds_len` strictly
/// increasing finite thresholds and `codewords_len = thresholds_len + 1` codewords (each
/// inside its bin; at most 65536 levels) into `codes`: code `c` for `t_{c−1} ≤ v < t_c`.
///
/// Errors: `QCS_STATUS_NULL_POINTER`, `QCS_STATUS_MISALIGNED`;
/// `QCS_STATUS_DIMENSION_MISMATCH` unless `codewords_len = thresholds_len + 1`;
/// `QCS_STATUS_INVALID_PARAMETER` or `QCS_STATUS_NON_FINITE` for a bad table;
/// `QCS_STATUS_NON_FINITE` for a NaN value. `codes` is unchanged on error.
///
/// # Safety
///
/// Each pointer null or its length of readable (`thresholds`, `codewords`, `values`) or
/// writable (`codes`, `count` entries) elements.
#[no_mangle]
pub unsafe extern "C" fn qcs_threshold_quantize(
    thresholds: *const f32,
    thresholds_len: usize,
    codewords: *const f32,
    codewords_len: usize,
    values: *const f32,
    count: usize,
    codes: *mut u16,
) -> QcsStatus {
    status_of((|| {
        // SAFETY: the caller's contract on each pointer and length.
        let (t, c, values, codes) = unsafe {
            (
                ptr::slice(thresholds, thresholds_len)?,
                ptr::slice(codewords, codewords_len)?,
                ptr::slice(values, count)?,
                ptr::slice_mut(codes, count)?,
            )
        };
        let q = ThresholdQuantizer::new(t, c)?;
        if values.iter().any(|v| v.is_nan()) {
            return Err(QcsStatus::NonFinite);
        }
        Ok(q.encode_slice(values, codes)?)
    })())
}

/// Writes to `*packed_len` the bytes that `count` codes of `bits` bits occupy when packed,
/// `⌈count·bits/8⌉`.
///
/// Errors: `QCS_STATUS_NULL_POINTER`, `QCS_STATUS_MISALIGNED`;
/// `QCS_STATUS_INVALID_PARAMETER` unless `1 ≤ bits ≤ 16` (or when `count·bits` overflows).
///
/// # Safety
///
/// `packed_len` null or a writable `size_t`.
#[no_mangle]
pub unsafe extern "C" fn qcs_packed_len(
    count: usize,
    bits: u32,
    packed_len: *mut usize,
) -> QcsStatus {
    status_of((|| {
        ptr::check_out(packed_len)?;
        let len = quantizer::packed_len(count, bits_u8(bits)?)?;
        // SAFETY: `packed_len` passed `check_out`; the caller guarantees it is writable.
        unsafe { ptr::write(packed_len, len) };
        Ok(())
    })())
}

/// Packs `count` codes of `bits` bits into `out` (capacity `out_cap` bytes) as one big-endian
/// bit stream, the frame's payload format (for one bit, `numpy.packbits`); the number of
/// bytes written, [`qcs_packed_len`], goes to `*written`. Pad bits are zero; bytes after the
/// packed length are not touched.
///
/// Errors: `QCS_STATUS_NULL_POINTER`, `QCS_STATUS_MISALIGNED`;
/// `QCS_STATUS_INVALID_PARAMETER` (bits); `QCS_STATUS_CODE_OUT_OF_RANGE` for a code
/// `≥ 2^bits`; `QCS_STATUS_BUFFER_TOO_SMALL` for `out_cap` below the packed length. `out`
/// and `*written` are unchanged on error.
///
/// # Safety
///
/// `codes` null or `count` readable `uint16_t`; `out` null or `out_cap` writable bytes;
/// `written` null or a writable `size_t`.
#[no_mangle]
pub unsafe extern "C" fn qcs_pack_codes(
    codes: *const u16,
    count: usize,
    bits: u32,
    out: *mut u8,
    out_cap: usize,
    written: *mut usize,
) -> QcsStatus {
    status_of((|| {
        ptr::check_out(written)?;
        // SAFETY: the caller's contract on `codes` and `out`.
        let (codes, out) = unsafe { (ptr::slice(codes, count)?, ptr::slice_mut(out, out_cap)?) };
        let len = quantizer::pack_codes(codes, bits_u8(bits)?, out)?;
        // SAFETY: `written` passed `check_out`; the caller guarantees it is writable.
        unsafe { ptr::write(written, len) };
        Ok(())
    })())
}

/// Unpacks `count` codes of `bits` bits from the `len` bytes at `bytes` (written by
/// [`qcs_pack_codes`]; exactly [`qcs_packed_len`] bytes are read, whose pad bits must be
/// zero) into `codes`.
///
/// Errors: `QCS_STATUS_NULL_POINTER`, `QCS_STATUS_MISALIGNED`;
/// `QCS_STATUS_INVALID_PARAMETER` (bits, or a set pad bit); `QCS_STATUS_BUFFER_TOO_SMALL`
/// when `len` is below the packed length. On error the contents of `codes` are unspecified.
///
/// # Safety
///
/// `bytes` null or `len` readable bytes; `codes` null or `count` writable `uint16_t`.
#[no_mangle]
pub unsafe extern "C" fn qcs_unpack_codes(
    bytes: *const u8,
    len: usize,
    bits: u32,
    codes: *mut u16,
    count: usize,
) -> QcsStatus {
    status_of((|| {
        // SAFETY: the caller's contract on `bytes` and `codes`.
        let (bytes, codes) = unsafe { (ptr::slice(bytes, len)?, ptr::slice_mut(codes, count)?) };
        Ok(quantizer::unpack_codes(bytes, bits_u8(bits)?, codes)?)
    })())
}
