//! The one error type of `qcs-core`.
//!
//! Every fallible function of the crate returns [`Result<T>`](crate::Result). Errors carry
//! small `Copy` payloads (no allocation) that say *which* argument was wrong and how, so the
//! host can turn them into messages that name the file, field and value.

use core::fmt;

/// Which argument or field an error refers to.
///
/// A `&'static str` naming the parameter as it appears in the public API
/// (for example `"delta"`, `"x"`, `"thresholds"`).
pub type Field = &'static str;

/// Everything that can go wrong in `qcs-core`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A slice has the wrong length.
    DimensionMismatch {
        /// The argument whose length is wrong.
        field: Field,
        /// The length the call needs.
        expected: usize,
        /// The length it was given.
        found: usize,
    },
    /// A slice that must hold at least one element is empty (or a size is zero).
    Empty {
        /// The empty argument.
        field: Field,
    },
    /// A value that must be finite is NaN or ±∞.
    NonFinite {
        /// The argument holding the value.
        field: Field,
        /// Index of the first offending element (0 for scalars).
        index: usize,
    },
    /// A parameter is outside its valid range (for example Δ ≤ 0, Q = 0, a < b violated).
    InvalidParameter {
        /// The parameter.
        field: Field,
        /// The offending value, as `f64` (integers are converted exactly up to 2^53).
        value: f64,
        /// What the valid range is, in words.
        expected: &'static str,
    },
    /// A caller-provided buffer is too small for the requested operation.
    BufferTooSmall {
        /// The buffer.
        field: Field,
        /// The number of elements (or bytes) needed.
        needed: usize,
        /// The number available.
        available: usize,
    },
    /// A code is not a valid codeword index of the quantizer.
    CodeOutOfRange {
        /// The offending code.
        code: u32,
        /// The number of codewords of the quantizer.
        levels: u32,
    },
    /// The sampler was stepped after it had finished its schedule.
    Finished,
    /// A measurement frame is shorter than its layout requires (see `docs/FRAME_FORMAT.md`).
    Truncated {
        /// The number of bytes the frame needs: the 12-byte prefix, or the length the
        /// prefix states.
        needed: usize,
        /// The number of bytes given.
        available: usize,
    },
    /// A measurement frame does not start with the magic bytes `QCSF`.
    BadMagic {
        /// The first four bytes found.
        found: [u8; 4],
    },
    /// The CRC-32 stored at the end of a measurement frame does not match its contents.
    BadCrc {
        /// The CRC-32 (ISO-HDLC, as zlib computes it) of the bytes before the checksum.
        expected: u32,
        /// The checksum the frame stores.
        found: u32,
    },
    /// A measurement frame has a format version this decoder does not read.
    UnsupportedVersion {
        /// The version in the frame.
        found: u16,
        /// The version this decoder reads.
        supported: u16,
    },
    /// A measurement frame sets flag bits that its version does not define.
    UnknownFlags {
        /// The flags field.
        flags: u16,
    },
    /// An enumerated field of a measurement frame holds a code its version does not define.
    UnknownKind {
        /// The field (`"operator"`, `"scaling"` or `"quantizer"`).
        field: Field,
        /// The code found.
        code: u8,
    },
    /// An image shape whose `height · width · channels` is not `N` (or that is only partly
    /// zero: a signal that is not an image has all three zero).
    InconsistentShape {
        /// The signal dimension `N`.
        n: u32,
        /// The image height.
        height: u32,
        /// The image width.
        width: u32,
        /// The number of channels.
        channels: u32,
    },
    /// A length stated in a frame disagrees with the length its other fields imply.
    InconsistentLength {
        /// The field stating the length (for example `"frame_len"`).
        field: Field,
        /// The length the other fields imply.
        expected: usize,
        /// The length stated.
        found: usize,
    },
    /// Bytes follow the end of a measurement frame in the buffer given to the decoder.
    TrailingBytes {
        /// The length the frame states.
        frame_len: usize,
        /// The length of the buffer.
        available: usize,
    },
    /// The operation needs another kind of quantizer or operator than the one given (for
    /// example codes for an unquantized frame, or building a dense operator from a frame).
    KindMismatch {
        /// The field (`"quantizer"` or `"operator"`).
        field: Field,
        /// What the operation needs, in words.
        expected: &'static str,
    },
    /// A name names no variant of an enumeration, for example an operator kind given on a
    /// command line ([`OperatorKind::from_name`](crate::frame::OperatorKind::from_name),
    /// [`QuantizerKind::from_name`](crate::frame::QuantizerKind::from_name)).
    UnknownName {
        /// The enumeration (`"operator"` or `"quantizer"`).
        field: Field,
        /// The names it accepts, in words.
        expected: &'static str,
    },
    /// The annealed Langevin sampler (Algorithm 1) met a non-finite prior score or iterate:
    /// the chains diverged, typically because the step size `ε` is too large for the
    /// operator's conditioning ([`Sampler::step`](crate::langevin::Sampler::step)). The
    /// iterates are then unusable; the sampler does not continue. The plug-and-play sampler
    /// ([`PnpSampler::step`](crate::pnp::PnpSampler::step)) reports it too, with step 0 and
    /// `beta` its `σ_t`.
    Diverged {
        /// The noise level `t` (0-based) of the step that diverged.
        level: usize,
        /// The Langevin step `k` (0-based) within that level.
        step: usize,
        /// The noise level `β_t` of that step.
        beta: f32,
    },
}

impl Error {
    /// Shorthand for [`Error::DimensionMismatch`] when `found != expected`.
    pub(crate) fn check_len(field: Field, expected: usize, found: usize) -> Result<(), Error> {
        if expected == found {
            Ok(())
        } else {
            Err(Error::DimensionMismatch {
                field,
                expected,
                found,
            })
        }
    }

    /// Shorthand for [`Error::BufferTooSmall`] when `available < needed`.
    pub(crate) fn check_capacity(
        field: Field,
        needed: usize,
        available: usize,
    ) -> Result<(), Error> {
        if available < needed {
            Err(Error::BufferTooSmall {
                field,
                needed,
                available,
            })
        } else {
            Ok(())
        }
    }

    /// Returns [`Error::NonFinite`] for the first non-finite element of `values`.
    pub(crate) fn check_finite(field: Field, values: &[f32]) -> Result<(), Error> {
        match values.iter().position(|v| !v.is_finite()) {
            None => Ok(()),
            Some(index) => Err(Error::NonFinite { field, index }),
        }
    }

    /// Returns [`Error::InvalidParameter`] unless `value` is finite and `> 0`.
    pub(crate) fn check_positive(field: Field, value: f32) -> Result<(), Error> {
        if value.is_finite() && value > 0.0 {
            Ok(())
        } else {
            Err(Error::InvalidParameter {
                field,
                value: value as f64,
                expected: "finite and > 0",
            })
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::DimensionMismatch {
                field,
                expected,
                found,
            } => {
                write!(f, "`{field}` has length {found}, expected {expected}")
            }
            Error::Empty { field } => write!(f, "`{field}` is empty"),
            Error::NonFinite { field, index } => {
                write!(f, "`{field}` holds a non-finite value at index {index}")
            }
            Error::InvalidParameter {
                field,
                value,
                expected,
            } => {
                write!(f, "`{field}` = {value} is invalid: expected {expected}")
            }
            Error::BufferTooSmall {
                field,
                needed,
                available,
            } => {
                write!(f, "buffer `{field}` holds {available}, needs {needed}")
            }
            Error::CodeOutOfRange { code, levels } => {
                write!(
                    f,
                    "code {code} is out of range for a quantizer with {levels} levels"
                )
            }
            Error::Finished => write!(f, "the sampler has already finished its schedule"),
            Error::Truncated { needed, available } => {
                write!(f, "frame truncated: {available} bytes, needs {needed}")
            }
            Error::BadMagic { found } => {
                write!(
                    f,
                    "not a frame: magic bytes {found:02x?}, expected \"QCSF\""
                )
            }
            Error::BadCrc { expected, found } => write!(
                f,
                "frame CRC-32 mismatch: contents give {expected:#010x}, frame stores {found:#010x}"
            ),
            Error::UnsupportedVersion { found, supported } => {
                write!(
                    f,
                    "frame version {found} is not supported (this reader reads {supported})"
                )
            }
            Error::UnknownFlags { flags } => {
                write!(f, "frame sets undefined flags {flags:#06x}")
            }
            Error::UnknownKind { field, code } => {
                write!(f, "frame field `{field}` holds the undefined code {code}")
            }
            Error::InconsistentShape {
                n,
                height,
                width,
                channels,
            } => write!(
                f,
                "image shape {height}x{width}x{channels} does not match n = {n} \
                 (all three are 0 when the signal is not an image)"
            ),
            Error::InconsistentLength {
                field,
                expected,
                found,
            } => write!(
                f,
                "`{field}` states {found} bytes, but the other fields imply {expected}"
            ),
            Error::TrailingBytes {
                frame_len,
                available,
            } => write!(
                f,
                "{} trailing bytes after a frame of {frame_len} bytes",
                available.saturating_sub(frame_len)
            ),
            Error::KindMismatch { field, expected } => {
                write!(f, "`{field}` is of the wrong kind: expected {expected}")
            }
            Error::UnknownName { field, expected } => {
                write!(f, "unknown `{field}` name: expected one of {expected}")
            }
            Error::Diverged { level, step, beta } => write!(
                f,
                "the sampler diverged at level {level}, step {step} (beta = {beta}): \
                 a non-finite prior score or iterate (try a smaller step size epsilon)"
            ),
        }
    }
}

impl core::error::Error for Error {}

#[cfg(feature = "defmt")]
impl defmt::Format for Error {
    fn format(&self, f: defmt::Formatter) {
        match *self {
            Error::DimensionMismatch {
                field,
                expected,
                found,
            } => {
                defmt::write!(
                    f,
                    "`{=str}` has length {=usize}, expected {=usize}",
                    field,
                    found,
                    expected
                )
            }
            Error::Empty { field } => defmt::write!(f, "`{=str}` is empty", field),
            Error::NonFinite { field, index } => {
                defmt::write!(f, "`{=str}` non-finite at {=usize}", field, index)
            }
            Error::InvalidParameter {
                field,
                value,
                expected,
            } => {
                defmt::write!(
                    f,
                    "`{=str}` = {=f64} invalid: expected {=str}",
                    field,
                    value,
                    expected
                )
            }
            Error::BufferTooSmall {
                field,
                needed,
                available,
            } => {
                defmt::write!(
                    f,
                    "buffer `{=str}` holds {=usize}, needs {=usize}",
                    field,
                    available,
                    needed
                )
            }
            Error::CodeOutOfRange { code, levels } => {
                defmt::write!(f, "code {=u32} out of range ({=u32} levels)", code, levels)
            }
            Error::Finished => defmt::write!(f, "sampler finished"),
            Error::Truncated { needed, available } => {
                defmt::write!(f, "frame truncated: {=usize}/{=usize}", available, needed)
            }
            Error::BadMagic { found } => defmt::write!(f, "bad magic {=[u8]:x}", found[..]),
            Error::BadCrc { expected, found } => {
                defmt::write!(f, "bad CRC {=u32:x} != {=u32:x}", found, expected)
            }
            Error::UnsupportedVersion { found, supported } => {
                defmt::write!(f, "version {=u16} (reads {=u16})", found, supported)
            }
            Error::UnknownFlags { flags } => defmt::write!(f, "unknown flags {=u16:x}", flags),
            Error::UnknownKind { field, code } => {
                defmt::write!(f, "`{=str}` unknown code {=u8}", field, code)
            }
            Error::InconsistentShape {
                n,
                height,
                width,
                channels,
            } => defmt::write!(
                f,
                "shape {=u32}x{=u32}x{=u32} != n {=u32}",
                height,
                width,
                channels,
                n
            ),
            Error::InconsistentLength {
                field,
                expected,
                found,
            } => defmt::write!(
                f,
                "`{=str}` = {=usize}, expected {=usize}",
                field,
                found,
                expected
            ),
            Error::TrailingBytes {
                frame_len,
                available,
            } => defmt::write!(
                f,
                "trailing bytes: {=usize} > {=usize}",
                available,
                frame_len
            ),
            Error::KindMismatch { field, expected } => {
                defmt::write!(f, "`{=str}` wrong kind: expected {=str}", field, expected)
            }
            Error::UnknownName { field, expected } => {
                defmt::write!(f, "unknown `{=str}` name: expected {=str}", field, expected)
            }
            Error::Diverged { level, step, beta } => defmt::write!(
                f,
                "diverged at level {=usize} step {=usize} (beta {=f32})",
                level,
                step,
                beta
            ),
        }
    }
}

/// `core::result::Result` with [`Error`] as its error.
pub type Result<T, E = Error> = core::result::Result<T, E>;
