//! What a frame states apart from its measurements: the [`SignalShape`] and the
//! [`FrameHeader`] (shape, `M`, quantizer, `σ`, operator, counter) with its validation.

use super::wire::{Layout, MAX_M, MAX_N};
use super::{DescribedOperator, FrameOperator, OperatorKind, OperatorSpec, QuantizerSpec};
use crate::{Error, Field, Result};

/// The shape of the measured signal: its dimension `N` and, for an image, its height, width
/// and channels (`height · width · channels = N`, row-major, channels last), or three zeros
/// for a plain vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SignalShape {
    /// The signal dimension `N` (1 ..= [`MAX_N`]).
    pub n: u32,
    /// Image height, or 0 when the signal is not an image.
    pub height: u32,
    /// Image width, or 0 when the signal is not an image.
    pub width: u32,
    /// Image channels, or 0 when the signal is not an image.
    pub channels: u32,
}

impl SignalShape {
    /// A plain vector of dimension `n` (height, width and channels 0). Not validated here;
    /// [`SignalShape::validate`] and every encoder check it.
    pub const fn vector(n: u32) -> Self {
        Self {
            n,
            height: 0,
            width: 0,
            channels: 0,
        }
    }

    /// An image of `height × width × channels` values, `N` their product.
    ///
    /// Errors: [`Error::InconsistentShape`] when a dimension is zero, and
    /// [`Error::InvalidParameter`] (field `"n"`) when the product exceeds [`MAX_N`].
    pub fn image(height: u32, width: u32, channels: u32) -> Result<Self> {
        let product = shape_product(height, width, channels);
        let n = product
            .and_then(|p| u32::try_from(p).ok())
            .unwrap_or(u32::MAX);
        if product == Some(0) {
            return Err(Error::InconsistentShape {
                n,
                height,
                width,
                channels,
            });
        }
        let shape = Self {
            n,
            height,
            width,
            channels,
        };
        shape.validate()?;
        Ok(shape)
    }

    /// Whether the shape describes an image (height, width and channels non-zero).
    pub fn is_image(&self) -> bool {
        self.height != 0
    }

    /// `N` as `usize`.
    pub fn len(&self) -> usize {
        self.n as usize
    }

    /// Whether `N = 0` (never true of a valid shape).
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Checks `1 ≤ N ≤ MAX_N` and that height, width and channels are either all 0 or all
    /// non-zero with product `N`.
    ///
    /// Errors: [`Error::InvalidParameter`] (field `"n"`), [`Error::InconsistentShape`].
    pub fn validate(&self) -> Result<()> {
        check_count("n", self.n, MAX_N)?;
        let dims = [self.height, self.width, self.channels];
        let consistent = if dims.iter().all(|&d| d == 0) {
            true
        } else {
            shape_product(self.height, self.width, self.channels) == Some(u64::from(self.n))
        };
        if consistent {
            Ok(())
        } else {
            Err(Error::InconsistentShape {
                n: self.n,
                height: self.height,
                width: self.width,
                channels: self.channels,
            })
        }
    }
}

/// `height · width · channels` without overflow (`None` past `u64::MAX`).
fn shape_product(height: u32, width: u32, channels: u32) -> Option<u64> {
    u64::from(height)
        .checked_mul(u64::from(width))?
        .checked_mul(u64::from(channels))
}

/// Checks `1 ≤ value ≤ max`.
pub(super) fn check_count(field: Field, value: u32, max: u32) -> Result<()> {
    if (1..=max).contains(&value) {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            field,
            value: f64::from(value),
            expected: "1 ..= 2^24",
        })
    }
}

/// Everything a frame states about its measurements, apart from the measurements.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FrameHeader<'a> {
    /// The signal shape (`N`, and the image shape when it is an image).
    pub signal: SignalShape,
    /// The number of measurements `M` (1 ..= [`MAX_M`]).
    pub measurements: u32,
    /// The quantizer.
    pub quantizer: QuantizerSpec<'a>,
    /// The measurement noise standard deviation `σ` (finite, `≥ 0`; eq. 1).
    pub sigma: f32,
    /// The sensing operator.
    pub operator: OperatorSpec,
    /// A frame counter, chosen by the sender (for example incremented per frame).
    pub counter: u32,
}

impl<'a> FrameHeader<'a> {
    /// The header of measurements of a signal of shape `signal` taken with `operator`
    /// (`M = operator.rows()`) and `quantizer` at noise level `sigma`.
    ///
    /// Errors: [`Error::DimensionMismatch`] (field `"operator"`) unless
    /// `operator.cols() == N`; [`Error::InvalidParameter`] (field `"m"`) for more than
    /// [`MAX_M`] rows; any error of [`FrameHeader::validate`].
    pub fn for_measurement<O: DescribedOperator + ?Sized>(
        signal: SignalShape,
        operator: &O,
        quantizer: QuantizerSpec<'a>,
        sigma: f32,
        counter: u32,
    ) -> Result<Self> {
        Error::check_len("operator", signal.len(), operator.cols())?;
        let rows = operator.rows();
        let measurements =
            u32::try_from(rows)
                .ok()
                .filter(|&m| m <= MAX_M)
                .ok_or(Error::InvalidParameter {
                    field: "m",
                    value: rows as f64,
                    expected: "1 ..= 2^24",
                })?;
        let header = Self {
            signal,
            measurements,
            quantizer,
            sigma,
            operator: operator.operator_spec(),
            counter,
        };
        header.validate()?;
        Ok(header)
    }

    /// `M` as `usize`.
    pub fn m(&self) -> usize {
        self.measurements as usize
    }

    /// `N` as `usize`.
    pub fn n(&self) -> usize {
        self.signal.len()
    }

    /// Checks every field as [`decode`](super::decode) does: the signal shape
    /// ([`SignalShape::validate`]); `1 ≤ M ≤ MAX_M`; `σ` finite and `≥ 0`; `M ≤ N` for a
    /// structured operator; the quantizer's bits, `Δ`, thresholds and codewords.
    ///
    /// Errors: [`Error::InvalidParameter`], [`Error::InconsistentShape`],
    /// [`Error::NonFinite`], [`Error::DimensionMismatch`] (a threshold table of the wrong
    /// length).
    pub fn validate(&self) -> Result<()> {
        self.signal.validate()?;
        check_count("m", self.measurements, MAX_M)?;
        if !(self.sigma.is_finite() && self.sigma >= 0.0) {
            return Err(Error::InvalidParameter {
                field: "sigma",
                value: f64::from(self.sigma),
                expected: "finite and >= 0",
            });
        }
        if self.operator.kind == OperatorKind::Structured && self.measurements > self.signal.n {
            return Err(Error::InvalidParameter {
                field: "m",
                value: f64::from(self.measurements),
                expected: "m <= n for the structured operator",
            });
        }
        self.quantizer.validate()
    }

    /// The length in bytes of the frame of this header ([`encoded_len`](super::encoded_len)).
    ///
    /// Errors: those of [`FrameHeader::validate`].
    pub fn encoded_len(&self) -> Result<usize> {
        self.validate()?;
        Ok(Layout::of(self).total)
    }

    /// The `M × N` operator the header describes.
    ///
    /// Errors: [`Error::KindMismatch`] for a dense operator (not in the frame), and the
    /// errors of [`OperatorSpec::build`].
    pub fn operator(&self) -> Result<FrameOperator> {
        self.operator.build(self.m(), self.n())
    }
}
