//! The operator and quantizer a frame describes, built from its specs so that sensor and
//! host share that logic: [`OperatorSpec::build`] gives a [`FrameOperator`],
//! [`QuantizerSpec::build`] a [`FrameQuantizer`]; [`DescribedOperator`] is the way back,
//! from an operator to its spec.

use super::{OperatorKind, OperatorSpec, QuantizerSpec};
use crate::operator::{DenseOperator, Scaling, SeededGaussian, SensingOperator, Structured};
use crate::quantizer::{Quantizer, ThresholdQuantizer, UniformQuantizer, MAX_BITS};
use crate::{Error, Result};

impl OperatorSpec {
    /// The `rows × cols` operator this spec describes.
    ///
    /// Errors: [`Error::KindMismatch`] for [`OperatorKind::Dense`] (the matrix is not in the
    /// frame), and the errors of [`SeededGaussian::new`] and [`Structured::new`].
    pub fn build(&self, rows: usize, cols: usize) -> Result<FrameOperator> {
        match self.kind {
            OperatorKind::SeededGaussian => Ok(FrameOperator::SeededGaussian(SeededGaussian::new(
                self.seed,
                rows,
                cols,
                self.scaling,
            )?)),
            OperatorKind::Structured => Ok(FrameOperator::Structured(Structured::new(
                self.seed,
                rows,
                cols,
                self.scaling,
            )?)),
            OperatorKind::Dense => Err(Error::KindMismatch {
                field: "operator",
                expected: "a seeded or structured operator (a dense matrix is not in the frame)",
            }),
        }
    }
}

impl QuantizerSpec<'_> {
    /// The number of `f32` of storage [`build`](Self::build) needs: `2^{Q+1} − 1` for a
    /// threshold quantizer (thresholds and codewords), 0 otherwise.
    pub fn storage_len(&self) -> usize {
        match *self {
            QuantizerSpec::Thresholds { bits, .. } if (1..=MAX_BITS).contains(&bits) => {
                (1usize << (bits + 1)) - 1
            }
            _ => 0,
        }
    }

    /// The quantizer this spec describes. A threshold quantizer copies its thresholds and
    /// codewords into `storage` (at least [`storage_len`](Self::storage_len) values; pass
    /// `&mut []` for a uniform quantizer) and borrows them from there.
    ///
    /// Errors: [`Error::KindMismatch`] for [`QuantizerSpec::Unquantized`];
    /// [`Error::BufferTooSmall`] (field `"storage"`); the errors of
    /// [`UniformQuantizer::new`] and [`ThresholdQuantizer::new`].
    pub fn build<'b>(&self, storage: &'b mut [f32]) -> Result<FrameQuantizer<'b>> {
        match *self {
            QuantizerSpec::Uniform { bits, delta } => {
                Ok(FrameQuantizer::Uniform(UniformQuantizer::new(bits, delta)?))
            }
            QuantizerSpec::Thresholds {
                thresholds,
                codewords,
                ..
            } => {
                let (t_len, c_len) = (thresholds.len(), codewords.len());
                let needed = t_len + c_len;
                let available = storage.len();
                let storage = storage.get_mut(..needed).ok_or(Error::BufferTooSmall {
                    field: "storage",
                    needed,
                    available,
                })?;
                let (t, c) = storage.split_at_mut(t_len);
                thresholds.copy_to(t)?;
                codewords.copy_to(c)?;
                Ok(FrameQuantizer::Thresholds(ThresholdQuantizer::new(t, c)?))
            }
            QuantizerSpec::Unquantized => Err(Error::KindMismatch {
                field: "quantizer",
                expected: "a quantized frame (uniform or thresholds)",
            }),
        }
    }
}

/// An operator that a frame can describe: it knows its own [`OperatorSpec`].
pub trait DescribedOperator: SensingOperator {
    /// The kind, seed and scaling of this operator.
    fn operator_spec(&self) -> OperatorSpec;
}

impl DescribedOperator for SeededGaussian {
    fn operator_spec(&self) -> OperatorSpec {
        OperatorSpec {
            kind: OperatorKind::SeededGaussian,
            seed: self.seed(),
            scaling: self.scaling(),
        }
    }
}

impl DescribedOperator for Structured {
    fn operator_spec(&self) -> OperatorSpec {
        OperatorSpec {
            kind: OperatorKind::Structured,
            seed: self.seed(),
            scaling: self.scaling(),
        }
    }
}

/// A dense matrix that a frame names instead of carrying (operator kind 3,
/// [`OperatorKind::Dense`]): the frame's `seed` field holds the matrix's fingerprint and the
/// receiver checks it against the matrix it holds. `docs/FRAME_FORMAT.md` defines the
/// fingerprint: the first 8 bytes of the SHA-256 of the matrix's `f32` values (little-endian,
/// row-major), read as a little-endian `u64`. The core has no SHA-256: the sender computes the
/// fingerprint once per matrix (the host's `qcs_host::matrix`) and keeps it with the matrix.
#[derive(Debug, Clone, Copy)]
pub struct NamedDense<'a> {
    matrix: DenseOperator<'a>,
    fingerprint: u64,
    scaling: Scaling,
}

impl<'a> NamedDense<'a> {
    /// The matrix with its fingerprint and the entry scaling the sender declares (informative:
    /// the receiver uses the matrix as it is).
    pub fn new(matrix: DenseOperator<'a>, fingerprint: u64, scaling: Scaling) -> Self {
        Self {
            matrix,
            fingerprint,
            scaling,
        }
    }

    /// The matrix.
    pub fn matrix(&self) -> DenseOperator<'a> {
        self.matrix
    }

    /// Its fingerprint, the frame's `seed` field.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }
}

impl SensingOperator for NamedDense<'_> {
    fn rows(&self) -> usize {
        self.matrix.rows()
    }

    fn cols(&self) -> usize {
        self.matrix.cols()
    }

    fn scratch_len(&self) -> usize {
        self.matrix.scratch_len()
    }

    fn forward(&self, x: &[f32], y: &mut [f32], scratch: &mut [f32]) -> Result<()> {
        self.matrix.forward(x, y, scratch)
    }

    fn adjoint(&self, r: &[f32], x: &mut [f32], scratch: &mut [f32]) -> Result<()> {
        self.matrix.adjoint(r, x, scratch)
    }

    fn row_norms_sq(&self, out: &mut [f32]) -> Result<()> {
        self.matrix.row_norms_sq(out)
    }
}

impl DescribedOperator for NamedDense<'_> {
    fn operator_spec(&self) -> OperatorSpec {
        OperatorSpec {
            kind: OperatorKind::Dense,
            seed: self.fingerprint,
            scaling: self.scaling,
        }
    }
}

impl DescribedOperator for FrameOperator {
    fn operator_spec(&self) -> OperatorSpec {
        match self {
            FrameOperator::SeededGaussian(op) => op.operator_spec(),
            FrameOperator::Structured(op) => op.operator_spec(),
        }
    }
}

/// The operator a frame describes, built by [`OperatorSpec::build`] or
/// [`FrameHeader::operator`](super::FrameHeader::operator); it forwards every [`SensingOperator`] call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FrameOperator {
    /// A [`SeededGaussian`] operator.
    SeededGaussian(SeededGaussian),
    /// A [`Structured`] operator.
    Structured(Structured),
}

impl SensingOperator for FrameOperator {
    fn rows(&self) -> usize {
        match self {
            FrameOperator::SeededGaussian(op) => op.rows(),
            FrameOperator::Structured(op) => op.rows(),
        }
    }

    fn cols(&self) -> usize {
        match self {
            FrameOperator::SeededGaussian(op) => op.cols(),
            FrameOperator::Structured(op) => op.cols(),
        }
    }

    fn scratch_len(&self) -> usize {
        match self {
            FrameOperator::SeededGaussian(op) => op.scratch_len(),
            FrameOperator::Structured(op) => op.scratch_len(),
        }
    }

    fn forward(&self, x: &[f32], y: &mut [f32], scratch: &mut [f32]) -> Result<()> {
        match self {
            FrameOperator::SeededGaussian(op) => op.forward(x, y, scratch),
            FrameOperator::Structured(op) => op.forward(x, y, scratch),
        }
    }

    fn adjoint(&self, r: &[f32], x: &mut [f32], scratch: &mut [f32]) -> Result<()> {
        match self {
            FrameOperator::SeededGaussian(op) => op.adjoint(r, x, scratch),
            FrameOperator::Structured(op) => op.adjoint(r, x, scratch),
        }
    }

    fn row_norms_sq(&self, out: &mut [f32]) -> Result<()> {
        match self {
            FrameOperator::SeededGaussian(op) => op.row_norms_sq(out),
            FrameOperator::Structured(op) => op.row_norms_sq(out),
        }
    }
}

/// The quantizer a frame describes, built by [`QuantizerSpec::build`]; it forwards every
/// [`Quantizer`] call (for example [`Quantizer::bounds_slice`] for the likelihood).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FrameQuantizer<'b> {
    /// A [`UniformQuantizer`].
    Uniform(UniformQuantizer),
    /// A [`ThresholdQuantizer`] over the caller's storage.
    Thresholds(ThresholdQuantizer<'b>),
}

impl Quantizer for FrameQuantizer<'_> {
    fn levels(&self) -> u32 {
        match self {
            FrameQuantizer::Uniform(q) => q.levels(),
            FrameQuantizer::Thresholds(q) => q.levels(),
        }
    }

    fn bits(&self) -> u8 {
        match self {
            FrameQuantizer::Uniform(q) => q.bits(),
            FrameQuantizer::Thresholds(q) => q.bits(),
        }
    }

    fn encode(&self, v: f32) -> Result<u16> {
        match self {
            FrameQuantizer::Uniform(q) => q.encode(v),
            FrameQuantizer::Thresholds(q) => q.encode(v),
        }
    }

    fn interval(&self, code: u16) -> Result<(f32, f32)> {
        match self {
            FrameQuantizer::Uniform(q) => q.interval(code),
            FrameQuantizer::Thresholds(q) => q.interval(code),
        }
    }

    fn codeword(&self, code: u16) -> Result<f32> {
        match self {
            FrameQuantizer::Uniform(q) => q.codeword(code),
            FrameQuantizer::Thresholds(q) => q.codeword(code),
        }
    }

    fn encode_slice(&self, values: &[f32], codes: &mut [u16]) -> Result<()> {
        match self {
            FrameQuantizer::Uniform(q) => q.encode_slice(values, codes),
            FrameQuantizer::Thresholds(q) => q.encode_slice(values, codes),
        }
    }

    fn bounds_slice(&self, codes: &[u16], lower: &mut [f32], upper: &mut [f32]) -> Result<()> {
        match self {
            FrameQuantizer::Uniform(q) => q.bounds_slice(codes, lower, upper),
            FrameQuantizer::Thresholds(q) => q.bounds_slice(codes, lower, upper),
        }
    }
}
