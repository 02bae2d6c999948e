//! Codes packed into a dense big-endian bit stream (the frame's code section): [`packed_len`],
//! [`pack_codes`], [`unpack_codes`].

use super::check_bits;
use crate::{Error, Result};

/// The number of bytes that `count` codes of `bits` bits occupy when packed:
/// `⌈count·bits/8⌉`.
///
/// Errors: [`Error::InvalidParameter`] unless `bits ∈ 1..=16`, or when `count·bits`
/// overflows `usize`.
pub fn packed_len(count: usize, bits: u8) -> Result<usize> {
    check_bits(bits)?;
    let total_bits = count
        .checked_mul(usize::from(bits))
        .ok_or(Error::InvalidParameter {
            field: "count",
            value: count as f64,
            expected: "count·bits representable in usize",
        })?;
    Ok(total_bits.div_ceil(8))
}

/// Packs `codes` of `bits` bits each into `out` as one big-endian bit stream and returns the
/// number of bytes written, [`packed_len`]`(codes.len(), bits)`.
///
/// Code `i` occupies stream bits `[i·Q, (i+1)·Q)`, most significant bit first; stream bit `j`
/// is bit `7 − (j mod 8)` of byte `j/8`. For `Q = 1` this is `numpy.packbits` with its default
/// `bitorder='big'`. The pad bits of the last byte are written as zeros; bytes of `out` after
/// the packed length are left untouched.
///
/// Errors: [`Error::InvalidParameter`] unless `bits ∈ 1..=16`; [`Error::CodeOutOfRange`] for
/// a code `≥ 2^Q`; [`Error::BufferTooSmall`] when `out` is shorter than the packed length.
/// All checks happen before anything is written, so `out` is unchanged on error.
pub fn pack_codes(codes: &[u16], bits: u8, out: &mut [u8]) -> Result<usize> {
    let len = packed_len(codes.len(), bits)?;
    let levels = 1u32 << bits;
    if let Some(&code) = codes.iter().find(|&&c| u32::from(c) >= levels) {
        return Err(Error::CodeOutOfRange {
            code: u32::from(code),
            levels,
        });
    }
    let available = out.len();
    let out = out.get_mut(..len).ok_or(Error::BufferTooSmall {
        field: "out",
        needed: len,
        available,
    })?;
    let mut bytes = out.iter_mut();
    // `acc` holds `pending` (< 8 before a push) not-yet-written stream bits in its low bits.
    let mut acc: u32 = 0;
    let mut pending: u32 = 0;
    for &code in codes {
        acc = (acc << bits) | u32::from(code);
        pending += u32::from(bits);
        while pending >= 8 {
            pending -= 8;
            if let Some(b) = bytes.next() {
                *b = (acc >> pending) as u8;
            }
        }
        acc &= (1u32 << pending) - 1;
    }
    if pending > 0 {
        if let Some(b) = bytes.next() {
            *b = (acc << (8 - pending)) as u8;
        }
    }
    Ok(len)
}

/// Unpacks `codes.len()` codes of `bits` bits each from the bit stream `bytes` written by
/// [`pack_codes`].
///
/// Exactly [`packed_len`]`(codes.len(), bits)` bytes are read; further bytes (a larger frame
/// buffer) are ignored. The pad bits of the last byte read must be zero: the packing is then
/// canonical (one byte string per code sequence), and a frame whose code count was
/// misstated, or whose tail was corrupted, is often caught rather than silently decoded.
///
/// Errors: [`Error::InvalidParameter`] unless `bits ∈ 1..=16`; [`Error::BufferTooSmall`]
/// (field `"bytes"`) when `bytes` is shorter than the packed length;
/// [`Error::InvalidParameter`] (field `"bytes"`, the value of the last byte) when a pad bit
/// is set. On error the contents of `codes` are unspecified.
pub fn unpack_codes(bytes: &[u8], bits: u8, codes: &mut [u16]) -> Result<()> {
    let len = packed_len(codes.len(), bits)?;
    let bytes = bytes.get(..len).ok_or(Error::BufferTooSmall {
        field: "bytes",
        needed: len,
        available: bytes.len(),
    })?;
    let mask = (1u32 << bits) - 1;
    let mut input = bytes.iter();
    let mut acc: u32 = 0;
    let mut pending: u32 = 0;
    for code in codes.iter_mut() {
        while pending < u32::from(bits) {
            // The length check guarantees enough bytes; a missing one would read as zero.
            let b = input.next().copied().unwrap_or(0);
            acc = (acc << 8) | u32::from(b);
            pending += 8;
        }
        pending -= u32::from(bits);
        *code = ((acc >> pending) & mask) as u16;
        acc &= (1u32 << pending) - 1;
    }
    if acc != 0 {
        let last = bytes.last().copied().unwrap_or(0);
        return Err(Error::InvalidParameter {
            field: "bytes",
            value: f64::from(last),
            expected: "zero padding bits after the last code",
        });
    }
    Ok(())
}
