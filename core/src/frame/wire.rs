//! The wire format of a frame: its constants, the byte offsets of the fixed header, the
//! byte [`Layout`] of the variable part, the CRC-32, and bounds-checked little-endian reads
//! and writes (`docs/FRAME_FORMAT.md`).

use super::{FrameHeader, QuantizerKind};
use crate::quantizer::{packed_len, MAX_BITS};
use crate::{Error, Result};

/// The four magic bytes every frame starts with.
pub const MAGIC: [u8; 4] = *b"QCSF";

/// The format version this module writes and reads.
pub const VERSION: u16 = 1;

/// Length of the prefix (magic, version, flags, `frame_len`) whose layout every version
/// keeps, so a stream reader can find the length of any frame ([`peek_len`](super::peek_len)).
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
pub(super) mod offset {
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

/// Byte layout of a frame whose header has been validated.
#[derive(Debug, Clone, Copy)]
pub(super) struct Layout {
    /// Bytes of the threshold table (0 unless the quantizer is a threshold quantizer).
    pub(super) table: usize,
    /// Offset of the payload.
    pub(super) payload: usize,
    /// Offset of the CRC.
    pub(super) crc: usize,
    /// Total frame length.
    pub(super) total: usize,
}

impl Layout {
    /// The layout of a header with valid `M` and quantizer bits (all sizes are then at most
    /// [`MAX_FRAME_LEN`], so nothing overflows even on 32-bit targets).
    pub(super) fn of(header: &FrameHeader<'_>) -> Self {
        Self::from_parts(
            header.measurements,
            header.quantizer.kind(),
            header.quantizer.bits().unwrap_or(0),
        )
    }

    /// The layout for `m ≤ MAX_M`, a quantizer kind and `bits ≤ 16` (0 when unquantized).
    pub(super) fn from_parts(m: u32, kind: QuantizerKind, bits: u8) -> Self {
        let m = m as usize;
        let bits = bits.min(MAX_BITS);
        let (table, payload_len) = match kind {
            QuantizerKind::Uniform => (0, packed_len(m, bits).unwrap_or(0)),
            QuantizerKind::Thresholds => (
                4 * ((1usize << (bits + 1)) - 1),
                packed_len(m, bits).unwrap_or(0),
            ),
            QuantizerKind::Unquantized => (0, 4 * m),
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

/// Copies `bytes` into `frame` at `at` (the caller sized `frame`; a miss is reported as a
/// too-small buffer rather than a panic).
pub(super) fn write_bytes(frame: &mut [u8], at: usize, bytes: &[u8]) -> Result<()> {
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

/// `K` bytes of `bytes` at `at`, or [`Error::Truncated`].
pub(super) fn read_array<const K: usize>(bytes: &[u8], at: usize) -> Result<[u8; K]> {
    let end = at.saturating_add(K);
    bytes
        .get(at..end)
        .and_then(|s| <[u8; K]>::try_from(s).ok())
        .ok_or(Error::Truncated {
            needed: end,
            available: bytes.len(),
        })
}

/// The little-endian `u16` at `at`, or [`Error::Truncated`].
pub(super) fn read_u16(bytes: &[u8], at: usize) -> Result<u16> {
    read_array(bytes, at).map(u16::from_le_bytes)
}

/// The little-endian `u32` at `at`, or [`Error::Truncated`].
pub(super) fn read_u32(bytes: &[u8], at: usize) -> Result<u32> {
    read_array(bytes, at).map(u32::from_le_bytes)
}

/// The little-endian `u64` at `at`, or [`Error::Truncated`].
pub(super) fn read_u64(bytes: &[u8], at: usize) -> Result<u64> {
    read_array(bytes, at).map(u64::from_le_bytes)
}

/// The little-endian `f32` at `at`, or [`Error::Truncated`].
pub(super) fn read_f32(bytes: &[u8], at: usize) -> Result<f32> {
    read_array(bytes, at).map(f32::from_le_bytes)
}

/// The byte at `at`, or [`Error::Truncated`].
pub(super) fn read_u8(bytes: &[u8], at: usize) -> Result<u8> {
    read_array::<1>(bytes, at).map(|[b]| b)
}
