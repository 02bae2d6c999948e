//! Sensing operators `A ∈ ℝ^{M×N}` (paper eq. 1–2) behind one trait.
//!
//! * [`DenseOperator`]: a row-major matrix over a borrowed slice.
//! * [`SeededGaussian`]: i.i.d. `N(0, 1/M)` (or `N(0, 1)`, or `N(0, 1/N)`) entries regenerated
//!   row by row from a 64-bit seed, so a sensor stores 8 bytes instead of `M×N` floats.
//! * [`Structured`]: random signs, fast Walsh–Hadamard transforms, a permutation and a seeded
//!   row subset, with `AAᵀ` exactly a multiple of `I` (the assumption of Theorem 1), for any
//!   `N`, `O(N log N)` per apply and `O(1)` memory in the operator.
//!
//! [`Scaling`] fixes the entry variance of the two random operators the same way.
//!
//! Operators never allocate: the ones that need working memory say how much through
//! [`SensingOperator::scratch_len`] and take it as an argument.
//!
//! One file per operator: [`dense`](DenseOperator), [`seeded`](SeededGaussian),
//! [`structured`](Structured); this module holds the trait, the entry [`Scaling`] and the
//! shared argument checks.

mod dense;
mod seeded;
mod structured;

pub use dense::{axpy, dot, DenseOperator};
pub use seeded::SeededGaussian;
pub use structured::Structured;

use crate::{Error, Result};

/// A linear sensing operator `A ∈ ℝ^{M×N}`.
///
/// Implementations check every slice length and return [`Error::DimensionMismatch`] or
/// [`Error::BufferTooSmall`] instead of panicking.
pub trait SensingOperator {
    /// Number of measurements `M` (rows of `A`).
    fn rows(&self) -> usize;

    /// Signal dimension `N` (columns of `A`).
    fn cols(&self) -> usize;

    /// Number of `f32` of scratch memory that [`forward`](Self::forward) and
    /// [`adjoint`](Self::adjoint) need (0 for most operators).
    fn scratch_len(&self) -> usize {
        0
    }

    /// `y = A x`, with `x.len() == N`, `y.len() == M`.
    fn forward(&self, x: &[f32], y: &mut [f32], scratch: &mut [f32]) -> Result<()>;

    /// `x = Aᵀ r`, with `r.len() == M`, `x.len() == N` (overwrites `x`).
    fn adjoint(&self, r: &[f32], x: &mut [f32], scratch: &mut [f32]) -> Result<()>;

    /// `out[m] = ‖a_m‖²`, the squared norm of each row (`out.len() == M`), as needed by the
    /// per-measurement variance `σ² + β_t²‖a_m‖²` of eq. 16.
    fn row_norms_sq(&self, out: &mut [f32]) -> Result<()>;
}

impl<T: SensingOperator + ?Sized> SensingOperator for &T {
    fn rows(&self) -> usize {
        (**self).rows()
    }

    fn cols(&self) -> usize {
        (**self).cols()
    }

    fn scratch_len(&self) -> usize {
        (**self).scratch_len()
    }

    fn forward(&self, x: &[f32], y: &mut [f32], scratch: &mut [f32]) -> Result<()> {
        (**self).forward(x, y, scratch)
    }

    fn adjoint(&self, r: &[f32], x: &mut [f32], scratch: &mut [f32]) -> Result<()> {
        (**self).adjoint(r, x, scratch)
    }

    fn row_norms_sq(&self, out: &mut [f32]) -> Result<()> {
        (**self).row_norms_sq(out)
    }
}

/// Checks the lengths of a forward or adjoint call.
#[allow(clippy::too_many_arguments)]
pub(crate) fn check_apply(
    input_field: crate::Field,
    input: usize,
    input_expected: usize,
    output_field: crate::Field,
    output: usize,
    output_expected: usize,
    scratch: usize,
    scratch_needed: usize,
) -> Result<()> {
    Error::check_len(input_field, input_expected, input)?;
    Error::check_len(output_field, output_expected, output)?;
    check_scratch(scratch, scratch_needed)
}

/// Returns [`Error::BufferTooSmall`] unless `scratch ≥ needed`.
pub(super) fn check_scratch(scratch: usize, needed: usize) -> Result<()> {
    if scratch < needed {
        return Err(Error::BufferTooSmall {
            field: "scratch",
            needed,
            available: scratch,
        });
    }
    Ok(())
}

/// Checks `rows, cols ≥ 1` and returns `rows · cols`.
pub(super) fn check_shape(rows: usize, cols: usize) -> Result<usize> {
    if rows == 0 {
        return Err(Error::Empty { field: "rows" });
    }
    if cols == 0 {
        return Err(Error::Empty { field: "cols" });
    }
    rows.checked_mul(cols).ok_or(Error::InvalidParameter {
        field: "rows",
        value: rows as f64,
        expected: "rows · cols to fit in usize",
    })
}

/// Returns [`Error::InvalidParameter`] for a row index `m ≥ rows`.
pub(super) fn check_row_index(m: usize, rows: usize) -> Result<()> {
    if m < rows {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            field: "m",
            value: m as f64,
            expected: "m < rows",
        })
    }
}

/// The entry variance of a random operator ([`SeededGaussian`], [`Structured`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Scaling {
    /// Entries of variance `1/M`: the paper's setting (§4, `A_ij ~ N(0, 1/M)`). Columns have
    /// unit norm in expectation; `‖a_m‖² ≈ N/M` (exactly `N/M` for [`Structured`]).
    PerMeasurement,
    /// Entries of variance 1: the "Liu & Liu setting" of the paper's Appendix F
    /// (`A_ij ~ N(0, 1)`); `‖a_m‖² ≈ N` (exactly `N` for [`Structured`]).
    Unit,
    /// Entries of variance `1/N`: rows of unit norm in expectation (exactly orthonormal rows,
    /// `AAᵀ = I`, for [`Structured`]).
    UnitRows,
}

impl Scaling {
    /// The expected squared row norm `E‖a_m‖²` of an `rows × cols` operator: `N/M`, `N` or 1,
    /// computed in `f32` as `cols as f32 / rows as f32`, `cols as f32` or `1.0`. For
    /// [`Structured`] this is the exact diagonal of `AAᵀ`.
    pub fn row_norm_sq(self, rows: usize, cols: usize) -> f32 {
        match self {
            Scaling::PerMeasurement => cols as f32 / rows as f32,
            Scaling::Unit => cols as f32,
            Scaling::UnitRows => 1.0,
        }
    }

    /// The standard deviation of one entry: `1.0 / libm::sqrtf(rows as f32)`, `1.0` or
    /// `1.0 / libm::sqrtf(cols as f32)` (the exact `f32` expressions [`SeededGaussian`] uses).
    pub fn entry_scale(self, rows: usize, cols: usize) -> f32 {
        match self {
            Scaling::PerMeasurement => 1.0 / libm::sqrtf(rows as f32),
            Scaling::Unit => 1.0,
            Scaling::UnitRows => 1.0 / libm::sqrtf(cols as f32),
        }
    }
}
