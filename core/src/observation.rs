//! What a receiver observed of `w = Ax + n`, borrowed: signs (paper eq. 5), quantization bins
//! `[l_m, u_m)` (eq. 4), or unquantized values. Each likelihood score
//! ([`crate::likelihood::Measurements`]) and EP ([`crate::ep`]) take this one description, and
//! [`Observation::validate`] is the one check of it.

use crate::{Error, Result};

/// The measurements of one frame, borrowed.
#[derive(Debug, Clone, Copy)]
pub enum Observation<'a> {
    /// One-bit signs `y_m ∈ {−1, +1}` (eq. 5): `w_m ≥ 0` or `w_m < 0`.
    OneBit {
        /// The signs, `±1.0` each.
        signs: &'a [f32],
    },
    /// Quantization bins `[l_m, u_m)` (eq. 4; uniform or threshold quantizers), `±∞` for the
    /// open outer bins.
    Quantized {
        /// Lower bin edges `l_m` (may be `−∞`).
        lower: &'a [f32],
        /// Upper bin edges `u_m` (may be `+∞`), `u_m > l_m`.
        upper: &'a [f32],
    },
    /// Unquantized `y = w`.
    Linear {
        /// The measurements `y`.
        y: &'a [f32],
    },
}

impl Observation<'_> {
    /// The number of measurements `M` (not validated).
    pub fn len(&self) -> usize {
        match self {
            Observation::OneBit { signs } => signs.len(),
            Observation::Quantized { lower, .. } => lower.len(),
            Observation::Linear { y } => y.len(),
        }
    }

    /// Whether there are no measurements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the measurements are unquantized (their scores divide by `σ² + β²‖a_m‖²`, so
    /// they need `σ > 0`).
    pub fn is_linear(&self) -> bool {
        matches!(self, Observation::Linear { .. })
    }

    /// Checks the measurements and returns `M`: every sign `±1`
    /// ([`Error::InvalidParameter`] on `signs`); bins of equal lengths with `l_m < u_m`, no NaN,
    /// no `l_m = +∞` or `u_m = −∞` ([`Error::DimensionMismatch`], [`Error::NonFinite`],
    /// [`Error::InvalidParameter`] on `upper`); finite `y` ([`Error::NonFinite`] on `y`).
    pub fn validate(&self) -> Result<usize> {
        Ok(match *self {
            Observation::OneBit { signs } => {
                if let Some(i) = signs.iter().position(|&s| s != 1.0 && s != -1.0) {
                    return Err(Error::InvalidParameter {
                        field: "signs",
                        value: signs[i] as f64,
                        expected: "every sign to be +1 or -1",
                    });
                }
                signs.len()
            }
            Observation::Quantized { lower, upper } => {
                Error::check_len("upper", lower.len(), upper.len())?;
                for (i, (&l, &u)) in lower.iter().zip(upper).enumerate() {
                    if l.is_nan() || l == f32::INFINITY {
                        return Err(Error::NonFinite {
                            field: "lower",
                            index: i,
                        });
                    }
                    if u.is_nan() || u == f32::NEG_INFINITY {
                        return Err(Error::NonFinite {
                            field: "upper",
                            index: i,
                        });
                    }
                    if l >= u {
                        return Err(Error::InvalidParameter {
                            field: "upper",
                            value: u as f64,
                            expected: "each upper bin edge greater than its lower edge",
                        });
                    }
                }
                lower.len()
            }
            Observation::Linear { y } => {
                Error::check_finite("y", y)?;
                y.len()
            }
        })
    }
}
