//! What a frame states about its operator and quantizer: [`OperatorSpec`] (kind, seed,
//! scaling) and [`QuantizerSpec`] (eq. 3–5, a threshold table, or none), with the checks
//! the encoder and decoder share. Building the operator or quantizer a spec describes is in
//! `build.rs`.

use super::{Floats, OperatorKind, QuantizerKind};
use crate::operator::Scaling;
use crate::quantizer::{Quantizer, ThresholdQuantizer, UniformQuantizer, MAX_BITS};
use crate::{Error, Result};

/// The sensing operator of a frame: its kind, 64-bit seed and entry [`Scaling`].
///
/// Together with `M` and `N` from the header this regenerates the operator exactly
/// ([`OperatorSpec::build`]). For [`OperatorKind::Dense`] the seed and scaling are only
/// declarations of the sender about a matrix the receiver already has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct OperatorSpec {
    /// The operator kind.
    pub kind: OperatorKind,
    /// The seed ([`SeededGaussian::seed`](crate::operator::SeededGaussian::seed), [`Structured::seed`](crate::operator::Structured::seed)).
    pub seed: u64,
    /// The entry scaling.
    pub scaling: Scaling,
}

/// The quantizer of a frame.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum QuantizerSpec<'a> {
    /// The uniform `bits`-bit quantizer with step `delta` ([`UniformQuantizer`], eq. 3–4;
    /// `bits = 1` is the sign quantizer of eq. 5, whose codewords are ±1 whatever `delta`).
    Uniform {
        /// `Q`, 1..=16.
        bits: u8,
        /// `Δ`, validated as [`UniformQuantizer::new`] does.
        delta: f32,
    },
    /// A threshold quantizer with `2^Q` levels ([`ThresholdQuantizer`]).
    Thresholds {
        /// `Q`, 1..=16.
        bits: u8,
        /// The `2^Q − 1` strictly increasing finite thresholds.
        thresholds: Floats<'a>,
        /// The `2^Q` finite codewords, each inside its bin `[t_c, t_{c+1})`.
        codewords: Floats<'a>,
    },
    /// No quantizer: the frame carries the `M` linear measurements `y = Ax + n` (eq. 1) as
    /// raw `f32`.
    Unquantized,
}

impl<'a> QuantizerSpec<'a> {
    /// The sign quantizer of eq. 5 as [`UniformQuantizer::sign`] stores it: `Q = 1`, `Δ = 2`.
    pub const fn sign() -> Self {
        QuantizerSpec::Uniform {
            bits: 1,
            delta: 2.0,
        }
    }

    /// The spec of a threshold quantizer with `2^Q` levels.
    ///
    /// Errors: [`Error::InvalidParameter`] (field `"thresholds"`) unless the number of
    /// levels is a power of two (the frame stores `2^Q − 1` thresholds).
    pub fn thresholds(quantizer: &ThresholdQuantizer<'a>) -> Result<Self> {
        let levels = quantizer.levels();
        if !levels.is_power_of_two() {
            return Err(Error::InvalidParameter {
                field: "thresholds",
                value: f64::from(levels),
                expected: "2^Q levels (2^Q - 1 thresholds) to fit a frame",
            });
        }
        Ok(QuantizerSpec::Thresholds {
            bits: quantizer.bits(),
            thresholds: Floats::new(quantizer.thresholds()),
            codewords: Floats::new(quantizer.codewords()),
        })
    }

    /// The kind of this quantizer.
    pub const fn kind(&self) -> QuantizerKind {
        match self {
            QuantizerSpec::Uniform { .. } => QuantizerKind::Uniform,
            QuantizerSpec::Thresholds { .. } => QuantizerKind::Thresholds,
            QuantizerSpec::Unquantized => QuantizerKind::Unquantized,
        }
    }

    /// The byte that stands for this kind in a frame (1 uniform, 2 thresholds,
    /// 3 unquantized): `self.kind().code()`.
    pub const fn code(&self) -> u8 {
        self.kind().code()
    }

    /// Bits per code `Q`, or `None` when unquantized.
    pub const fn bits(&self) -> Option<u8> {
        match *self {
            QuantizerSpec::Uniform { bits, .. } | QuantizerSpec::Thresholds { bits, .. } => {
                Some(bits)
            }
            QuantizerSpec::Unquantized => None,
        }
    }

    /// Checks the quantizer fields (see `docs/FRAME_FORMAT.md`).
    pub(super) fn validate(&self) -> Result<()> {
        match *self {
            QuantizerSpec::Uniform { bits, delta } => UniformQuantizer::new(bits, delta).map(drop),
            QuantizerSpec::Thresholds {
                bits,
                thresholds,
                codewords,
            } => {
                check_bits(bits)?;
                let levels = 1usize << bits;
                Error::check_len("thresholds", levels - 1, thresholds.len())?;
                Error::check_len("codewords", levels, codewords.len())?;
                check_threshold_table(thresholds, codewords)
            }
            QuantizerSpec::Unquantized => Ok(()),
        }
    }
}

impl From<UniformQuantizer> for QuantizerSpec<'_> {
    fn from(q: UniformQuantizer) -> Self {
        QuantizerSpec::Uniform {
            bits: q.bits(),
            delta: q.delta(),
        }
    }
}

/// Checks `bits ∈ 1..=16`.
pub(super) fn check_bits(bits: u8) -> Result<()> {
    if (1..=MAX_BITS).contains(&bits) {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            field: "bits",
            value: f64::from(bits),
            expected: "1..=16",
        })
    }
}

/// The checks of [`ThresholdQuantizer::new`] on a table that may live in frame bytes:
/// finite, strictly increasing thresholds; finite codewords inside their bins.
fn check_threshold_table(thresholds: Floats<'_>, codewords: Floats<'_>) -> Result<()> {
    let mut previous = f32::NEG_INFINITY;
    for (index, t) in thresholds.iter().enumerate() {
        if !t.is_finite() {
            return Err(Error::NonFinite {
                field: "thresholds",
                index,
            });
        }
        if index > 0 && t <= previous {
            return Err(Error::InvalidParameter {
                field: "thresholds",
                value: f64::from(t),
                expected: "strictly increasing thresholds",
            });
        }
        previous = t;
    }
    for (index, w) in codewords.iter().enumerate() {
        if !w.is_finite() {
            return Err(Error::NonFinite {
                field: "codewords",
                index,
            });
        }
        let lower = match index.checked_sub(1) {
            None => f32::NEG_INFINITY,
            Some(k) => thresholds.get(k).unwrap_or(f32::NEG_INFINITY),
        };
        let upper = thresholds.get(index).unwrap_or(f32::INFINITY);
        if !(lower <= w && w < upper) {
            return Err(Error::InvalidParameter {
                field: "codewords",
                value: f64::from(w),
                expected: "each codeword inside its bin [t_c, t_{c+1})",
            });
        }
    }
    Ok(())
}
