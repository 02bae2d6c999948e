//! The status codes of every function, and their messages.

use core::ffi::c_char;
use qcs_core::Error;

/// The result of every `qcs_*` function: `QCS_STATUS_OK` (0) on success, otherwise what went
/// wrong. [`qcs_status_message`] turns a code into a static message.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QcsStatus {
    /// Success.
    Ok = 0,
    /// A pointer argument that must not be null is null.
    NullPointer = 1,
    /// An output buffer (or the sensor workspace) is shorter than the call needs; the
    /// matching `*_size`/`*_len` function says how long it must be.
    BufferTooSmall = 2,
    /// A pointer is not aligned for its type (`float`, `uint16_t`; the workspace to 4 bytes).
    Misaligned = 3,
    /// A setting or parameter is out of range (bits, Δ, σ, N, M, thresholds, ...).
    InvalidParameter = 4,
    /// An array has the wrong length (for example `x_len != N`, `codes_len != M`).
    DimensionMismatch = 5,
    /// A value that must be finite is NaN or infinite.
    NonFinite = 6,
    /// A code is not below the quantizer's number of levels `2^Q`.
    CodeOutOfRange = 7,
    /// An image shape whose height · width · channels is not N (or is only partly zero).
    InconsistentShape = 8,
    /// An operator, scaling or quantizer kind code that is not defined.
    UnknownKind = 9,
    /// The call needs another kind of quantizer or operator (codes of an unquantized frame,
    /// a dense operator for the sensor, ...).
    KindMismatch = 10,
    /// A frame is shorter than its prefix or its stated length.
    Truncated = 11,
    /// A frame does not start with the magic bytes `QCSF`.
    BadMagic = 12,
    /// A frame's CRC-32 does not match its contents.
    BadCrc = 13,
    /// A frame has a format version this library does not read.
    UnsupportedVersion = 14,
    /// A frame sets flag bits its version does not define.
    UnknownFlags = 15,
    /// A frame's length disagrees with the length its fields imply.
    InconsistentLength = 16,
    /// The buffer holds bytes after the end of the frame.
    TrailingBytes = 17,
    /// An error that the other codes do not describe (a bug; please report it).
    Internal = 18,
}

impl From<Error> for QcsStatus {
    fn from(e: Error) -> Self {
        match e {
            Error::DimensionMismatch { .. } => QcsStatus::DimensionMismatch,
            Error::Empty { .. } | Error::InvalidParameter { .. } => QcsStatus::InvalidParameter,
            Error::NonFinite { .. } => QcsStatus::NonFinite,
            Error::BufferTooSmall { .. } => QcsStatus::BufferTooSmall,
            Error::CodeOutOfRange { .. } => QcsStatus::CodeOutOfRange,
            Error::Truncated { .. } => QcsStatus::Truncated,
            Error::BadMagic { .. } => QcsStatus::BadMagic,
            Error::BadCrc { .. } => QcsStatus::BadCrc,
            Error::UnsupportedVersion { .. } => QcsStatus::UnsupportedVersion,
            Error::UnknownFlags { .. } => QcsStatus::UnknownFlags,
            Error::UnknownKind { .. } => QcsStatus::UnknownKind,
            Error::InconsistentShape { .. } => QcsStatus::InconsistentShape,
            Error::InconsistentLength { .. } => QcsStatus::InconsistentLength,
            Error::TrailingBytes { .. } => QcsStatus::TrailingBytes,
            Error::KindMismatch { .. } => QcsStatus::KindMismatch,
            _ => QcsStatus::Internal,
        }
    }
}

/// `Ok(())` → `QCS_STATUS_OK`, `Err(status)` → `status`.
pub(crate) fn status_of(result: Result<(), QcsStatus>) -> QcsStatus {
    match result {
        Ok(()) => QcsStatus::Ok,
        Err(status) => status,
    }
}

/// A static, NUL-terminated English message for a status code (any `int`: an unknown code
/// gets "unknown status code"). Never returns null; the string must not be freed.
#[no_mangle]
pub extern "C" fn qcs_status_message(status: i32) -> *const c_char {
    let message: &'static core::ffi::CStr = match status {
        0 => c"ok",
        1 => c"a required pointer argument is null",
        2 => c"an output buffer or the workspace is too small",
        3 => c"a pointer is not aligned for its type",
        4 => c"a setting or parameter is out of range",
        5 => c"an array has the wrong length",
        6 => c"a value is NaN or infinite",
        7 => c"a code is not below the quantizer's 2^Q levels",
        8 => c"the image shape does not multiply to N",
        9 => c"an undefined operator, scaling or quantizer kind code",
        10 => c"the call needs another kind of quantizer or operator",
        11 => c"the frame is truncated",
        12 => c"the frame does not start with the magic bytes QCSF",
        13 => c"the frame's CRC-32 does not match",
        14 => c"unsupported frame version",
        15 => c"the frame sets undefined flag bits",
        16 => c"the frame length disagrees with its fields",
        17 => c"bytes follow the end of the frame",
        18 => c"internal error",
        _ => c"unknown status code",
    };
    message.as_ptr()
}
