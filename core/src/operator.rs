//! Sensing operators `A ∈ ℝ^{M×N}` (paper eq. 1–2) behind one trait.
//!
//! * [`DenseOperator`]: a row-major matrix over a borrowed slice.
//! * [`SeededGaussian`]: i.i.d. `N(0, 1/M)` (or `N(0, 1)`) entries regenerated row by row from
//!   a 64-bit seed, so a sensor stores 8 bytes instead of `M×N` floats.
//! * [`Structured`]: random signs, a fast orthogonal transform and a seeded row subset, with
//!   `AAᵀ` exactly diagonal, `O(N log N)` per apply.
//!
//! Operators never allocate: the ones that need working memory say how much through
//! [`SensingOperator::scratch_len`] and take it as an argument.

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

/// Checks the lengths of a forward or adjoint call.
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
    if scratch < scratch_needed {
        return Err(Error::BufferTooSmall {
            field: "scratch",
            needed: scratch_needed,
            available: scratch,
        });
    }
    Ok(())
}

/// A dense row-major matrix `A` over a borrowed slice of `M·N` values.
#[derive(Debug, Clone, Copy)]
pub struct DenseOperator<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
}

impl<'a> DenseOperator<'a> {
    /// Wraps `data` (row-major, `rows · cols` values, all finite) as an `rows × cols` operator.
    pub fn new(data: &'a [f32], rows: usize, cols: usize) -> Result<Self> {
        if rows == 0 {
            return Err(Error::Empty { field: "rows" });
        }
        if cols == 0 {
            return Err(Error::Empty { field: "cols" });
        }
        let len = rows.checked_mul(cols).ok_or(Error::InvalidParameter {
            field: "rows",
            value: rows as f64,
            expected: "rows · cols to fit in usize",
        })?;
        Error::check_len("data", len, data.len())?;
        Error::check_finite("data", data)?;
        Ok(Self { data, rows, cols })
    }

    /// The borrowed row-major matrix.
    pub fn data(&self) -> &'a [f32] {
        self.data
    }
}

impl SensingOperator for DenseOperator<'_> {
    fn rows(&self) -> usize {
        self.rows
    }

    fn cols(&self) -> usize {
        self.cols
    }

    fn forward(&self, x: &[f32], y: &mut [f32], _scratch: &mut [f32]) -> Result<()> {
        check_apply("x", x.len(), self.cols, "y", y.len(), self.rows, 0, 0)?;
        for (row, out) in self.data.chunks_exact(self.cols).zip(y.iter_mut()) {
            *out = dot(row, x);
        }
        Ok(())
    }

    fn adjoint(&self, r: &[f32], x: &mut [f32], _scratch: &mut [f32]) -> Result<()> {
        check_apply("r", r.len(), self.rows, "x", x.len(), self.cols, 0, 0)?;
        x.fill(0.0);
        for (row, &rm) in self.data.chunks_exact(self.cols).zip(r.iter()) {
            axpy(rm, row, x);
        }
        Ok(())
    }

    fn row_norms_sq(&self, out: &mut [f32]) -> Result<()> {
        Error::check_len("out", self.rows, out.len())?;
        for (row, o) in self.data.chunks_exact(self.cols).zip(out.iter_mut()) {
            *o = dot(row, row);
        }
        Ok(())
    }
}

/// `Σ a_i b_i`, accumulated in order with 8 independent partial sums (deterministic, no FMA).
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let ca = a.chunks_exact(8);
    let cb = b.chunks_exact(8);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut tail = 0.0f32;
    for (x, y) in ra.iter().zip(rb) {
        tail += x * y;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

/// `y += alpha · x` (no FMA).
#[inline]
pub fn axpy(alpha: f32, x: &[f32], y: &mut [f32]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}
