//! [`DenseOperator`]: a row-major matrix over a borrowed slice, and the fixed-order [`dot`]
//! and [`axpy`] every operator and sampler shares.

use super::{check_apply, check_row_index, check_shape, SensingOperator};
use crate::{Error, Result};

/// A dense row-major matrix `A` over a borrowed slice of `M·N` values.
#[derive(Debug, Clone, Copy)]
pub struct DenseOperator<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
}

impl<'a> DenseOperator<'a> {
    /// Wraps `data` (row-major, `rows · cols` values, all finite) as an `rows × cols` operator.
    ///
    /// Errors: [`Error::Empty`] for `rows == 0` or `cols == 0`, [`Error::InvalidParameter`] if
    /// `rows · cols` overflows, [`Error::DimensionMismatch`] if `data.len() != rows · cols`,
    /// [`Error::NonFinite`] for a NaN or infinite entry.
    pub fn new(data: &'a [f32], rows: usize, cols: usize) -> Result<Self> {
        let len = check_shape(rows, cols)?;
        Error::check_len("data", len, data.len())?;
        Error::check_finite("data", data)?;
        Ok(Self { data, rows, cols })
    }

    /// The borrowed row-major matrix.
    pub fn data(&self) -> &'a [f32] {
        self.data
    }

    /// Row `m` of `A` (`m < M`, else [`Error::InvalidParameter`]).
    pub fn row(&self, m: usize) -> Result<&'a [f32]> {
        check_row_index(m, self.rows)?;
        let start = m * self.cols;
        self.data
            .get(start..start + self.cols)
            .ok_or(Error::InvalidParameter {
                field: "m",
                value: m as f64,
                expected: "m < rows",
            })
    }
}

impl SensingOperator for DenseOperator<'_> {
    fn rows(&self) -> usize {
        self.rows
    }

    fn cols(&self) -> usize {
        self.cols
    }

    /// `y_m = dot(a_m, x)` with [`dot`]'s fixed summation order.
    fn forward(&self, x: &[f32], y: &mut [f32], _scratch: &mut [f32]) -> Result<()> {
        check_apply("x", x.len(), self.cols, "y", y.len(), self.rows, 0, 0)?;
        for (row, out) in self.data.chunks_exact(self.cols).zip(y.iter_mut()) {
            *out = dot(row, x);
        }
        Ok(())
    }

    /// `x = 0`, then `x += r_m a_m` for `m = 0, 1, …` in order ([`axpy`]).
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

/// The running state of [`dot`]: 8 partial sums, so that a dot product can be accumulated
/// chunk by chunk (chunks of a multiple of 8 elements) with exactly the bits of one [`dot`].
#[derive(Clone, Copy)]
pub(super) struct Dot8 {
    acc: [f32; 8],
}

impl Dot8 {
    pub(super) fn new() -> Self {
        Self { acc: [0.0; 8] }
    }

    /// Adds the whole blocks of 8 of `a·b` (equal lengths) and returns the remainders.
    #[inline]
    pub(super) fn blocks<'a, 'b>(&mut self, a: &'a [f32], b: &'b [f32]) -> (&'a [f32], &'b [f32]) {
        let ca = a.chunks_exact(8);
        let cb = b.chunks_exact(8);
        let rem = (ca.remainder(), cb.remainder());
        for (x, y) in ca.zip(cb) {
            for k in 0..8 {
                self.acc[k] += x[k] * y[k];
            }
        }
        rem
    }

    /// Adds the tail sequentially and combines the partial sums pairwise.
    #[inline]
    pub(super) fn finish(&self, ta: &[f32], tb: &[f32]) -> f32 {
        let acc = &self.acc;
        let mut tail = 0.0f32;
        for (x, y) in ta.iter().zip(tb) {
            tail += x * y;
        }
        ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
    }
}

/// `Σ a_i b_i` over the common length `min(a.len(), b.len())`, in a fixed order: 8 partial
/// sums `acc[k] += a[8j+k]·b[8j+k]` over the whole blocks of 8, a sequential sum of the
/// remaining `< 8` products, then `((acc0+acc4)+(acc1+acc5)) + ((acc2+acc6)+(acc3+acc7)) + tail`
/// (deterministic, no FMA, vectorizes).
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut d = Dot8::new();
    let (ta, tb) = d.blocks(a, b);
    d.finish(ta, tb)
}

/// `y += alpha · x` over the common length (each `y_i += alpha·x_i` rounded twice, no FMA).
#[inline]
pub fn axpy(alpha: f32, x: &[f32], y: &mut [f32]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_handles_unequal_lengths_as_common_prefix() {
        let a = [1.0f32; 9];
        let b = [2.0f32; 16];
        assert_eq!(dot(&a, &b), 18.0);
        assert_eq!(dot(&b, &a), 18.0);
    }
}
