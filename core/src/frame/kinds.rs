//! The enumerated fields of a frame: the operator kind, the quantizer kind and the scaling,
//! each with its frame byte (`docs/FRAME_FORMAT.md`, offsets 48–50) and, for the two kinds,
//! a name and a one-line summary, so that every user (the firmware, the host's command line
//! and decoder) describes a variant from this one place.

use crate::operator::Scaling;
use crate::{Error, Result};
use core::fmt;
use core::str::FromStr;

/// The kind of sensing operator a frame was measured with (frame byte 48).
///
/// The single description of the operator kinds: [`ALL`](Self::ALL) lists them,
/// [`name`](Self::name) / [`from_name`](Self::from_name) give their command-line names,
/// [`summary`](Self::summary) a one-line help text, [`code`](Self::code) /
/// [`from_code`](Self::from_code) their frame byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum OperatorKind {
    /// [`SeededGaussian`](crate::operator::SeededGaussian) (code 1, name `"seeded"`): i.i.d. Gaussian rows regenerated from
    /// the seed.
    SeededGaussian,
    /// [`Structured`](crate::operator::Structured) (code 2, name `"structured"`): signs, Hadamard transforms and a row
    /// subset from the seed.
    Structured,
    /// A dense matrix that the frame does not include (code 3, name `"dense"`): the receiver
    /// must have it from elsewhere; the seed field is then an application-defined identifier
    /// of it.
    Dense,
}

impl OperatorKind {
    /// Every kind, in code order.
    pub const ALL: [OperatorKind; 3] = [
        OperatorKind::SeededGaussian,
        OperatorKind::Structured,
        OperatorKind::Dense,
    ];

    /// The names [`from_name`](Self::from_name) accepts, in words (for error messages).
    pub const NAMES: &'static str = "seeded, structured, dense";

    /// The byte that stands for this kind in a frame (1, 2, 3).
    pub const fn code(self) -> u8 {
        match self {
            OperatorKind::SeededGaussian => 1,
            OperatorKind::Structured => 2,
            OperatorKind::Dense => 3,
        }
    }

    /// The kind of a frame byte. Errors: [`Error::UnknownKind`] (field `"operator"`).
    pub const fn from_code(code: u8) -> Result<Self> {
        match code {
            1 => Ok(OperatorKind::SeededGaussian),
            2 => Ok(OperatorKind::Structured),
            3 => Ok(OperatorKind::Dense),
            _ => Err(Error::UnknownKind {
                field: "operator",
                code,
            }),
        }
    }

    /// The lower-case name of the kind: `"seeded"`, `"structured"` or `"dense"` (the
    /// command-line value and the firmware's `op=` field).
    pub const fn name(self) -> &'static str {
        match self {
            OperatorKind::SeededGaussian => "seeded",
            OperatorKind::Structured => "structured",
            OperatorKind::Dense => "dense",
        }
    }

    /// The kind of a [`name`](Self::name) (exact, lower case).
    ///
    /// Errors: [`Error::UnknownName`] (field `"operator"`, expected [`Self::NAMES`]).
    pub fn from_name(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.name() == name)
            .ok_or(Error::UnknownName {
                field: "operator",
                expected: Self::NAMES,
            })
    }

    /// A one-line description, usable as command-line help.
    pub const fn summary(self) -> &'static str {
        match self {
            OperatorKind::SeededGaussian => {
                "i.i.d. Gaussian rows regenerated from the seed (the paper's A)"
            }
            OperatorKind::Structured => {
                "random signs, fast Walsh-Hadamard transforms and a seeded row subset (AA^T ∝ I)"
            }
            OperatorKind::Dense => {
                "a dense matrix the frame does not carry (the receiver has it; the seed names it)"
            }
        }
    }

    /// Whether a receiver can rebuild the operator from the frame alone (seeded and
    /// structured; not dense), see [`OperatorSpec::build`](super::OperatorSpec::build).
    pub const fn is_regenerable(self) -> bool {
        !matches!(self, OperatorKind::Dense)
    }
}

impl fmt::Display for OperatorKind {
    /// Writes [`name`](OperatorKind::name).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for OperatorKind {
    type Err = Error;

    /// [`OperatorKind::from_name`].
    fn from_str(s: &str) -> Result<Self> {
        Self::from_name(s)
    }
}

/// The kind of quantizer of a frame (frame byte 50).
///
/// The single description of the quantizer kinds, as [`OperatorKind`] is of the operators;
/// [`QuantizerSpec::kind`](super::QuantizerSpec::kind) gives the kind of a spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum QuantizerKind {
    /// [`UniformQuantizer`](crate::quantizer::UniformQuantizer) (code 1, name `"uniform"`): `Q` bits with step `Δ` (eq. 3–5).
    Uniform,
    /// [`ThresholdQuantizer`](crate::quantizer::ThresholdQuantizer) (code 2, name `"thresholds"`): `2^Q` levels with the table in
    /// the frame.
    Thresholds,
    /// No quantizer (code 3, name `"unquantized"`): the frame carries `y = Ax + n` (eq. 1) as
    /// `f32`.
    Unquantized,
}

impl QuantizerKind {
    /// Every kind, in code order.
    pub const ALL: [QuantizerKind; 3] = [
        QuantizerKind::Uniform,
        QuantizerKind::Thresholds,
        QuantizerKind::Unquantized,
    ];

    /// The names [`from_name`](Self::from_name) accepts, in words (for error messages).
    pub const NAMES: &'static str = "uniform, thresholds, unquantized";

    /// The byte that stands for this kind in a frame (1, 2, 3).
    pub const fn code(self) -> u8 {
        match self {
            QuantizerKind::Uniform => 1,
            QuantizerKind::Thresholds => 2,
            QuantizerKind::Unquantized => 3,
        }
    }

    /// The kind of a frame byte. Errors: [`Error::UnknownKind`] (field `"quantizer"`).
    pub const fn from_code(code: u8) -> Result<Self> {
        match code {
            1 => Ok(QuantizerKind::Uniform),
            2 => Ok(QuantizerKind::Thresholds),
            3 => Ok(QuantizerKind::Unquantized),
            _ => Err(Error::UnknownKind {
                field: "quantizer",
                code,
            }),
        }
    }

    /// The lower-case name of the kind: `"uniform"`, `"thresholds"` or `"unquantized"`.
    pub const fn name(self) -> &'static str {
        match self {
            QuantizerKind::Uniform => "uniform",
            QuantizerKind::Thresholds => "thresholds",
            QuantizerKind::Unquantized => "unquantized",
        }
    }

    /// The kind of a [`name`](Self::name) (exact, lower case).
    ///
    /// Errors: [`Error::UnknownName`] (field `"quantizer"`, expected [`Self::NAMES`]).
    pub fn from_name(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.name() == name)
            .ok_or(Error::UnknownName {
                field: "quantizer",
                expected: Self::NAMES,
            })
    }

    /// A one-line description, usable as command-line help.
    pub const fn summary(self) -> &'static str {
        match self {
            QuantizerKind::Uniform => "uniform Q-bit quantizer with step delta (Q = 1: sign)",
            QuantizerKind::Thresholds => "2^Q levels from a table of thresholds and codewords",
            QuantizerKind::Unquantized => "no quantizer: y = Ax + n sent as f32",
        }
    }

    /// Whether frames of this kind carry codes (uniform, thresholds) rather than `f32`.
    pub const fn is_quantized(self) -> bool {
        !matches!(self, QuantizerKind::Unquantized)
    }
}

impl fmt::Display for QuantizerKind {
    /// Writes [`name`](QuantizerKind::name).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for QuantizerKind {
    type Err = Error;

    /// [`QuantizerKind::from_name`].
    fn from_str(s: &str) -> Result<Self> {
        Self::from_name(s)
    }
}

/// The byte that stands for a [`Scaling`] in a frame: 0 `PerMeasurement` (`1/M`), 1 `Unit`,
/// 2 `UnitRows` (`1/N`).
pub const fn scaling_code(scaling: Scaling) -> u8 {
    match scaling {
        Scaling::PerMeasurement => 0,
        Scaling::Unit => 1,
        Scaling::UnitRows => 2,
    }
}

/// The [`Scaling`] of a frame byte. Errors: [`Error::UnknownKind`] (field `"scaling"`).
pub const fn scaling_from_code(code: u8) -> Result<Scaling> {
    match code {
        0 => Ok(Scaling::PerMeasurement),
        1 => Ok(Scaling::Unit),
        2 => Ok(Scaling::UnitRows),
        _ => Err(Error::UnknownKind {
            field: "scaling",
            code,
        }),
    }
}
