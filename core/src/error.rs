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
        }
    }
}

/// `core::result::Result` with [`Error`] as its error.
pub type Result<T, E = Error> = core::result::Result<T, E>;
