//! [`SeededGaussian`]: an i.i.d. Gaussian operator regenerated row by row from a seed.

use super::dense::{axpy, Dot8};
use super::{check_apply, check_row_index, check_shape, Scaling, SensingOperator};
use crate::rng::{fill_standard_normal, stream_rng};
use crate::{Error, Result};

/// An i.i.d. Gaussian sensing matrix (paper §4: `A_ij ~ N(0, 1/M)`) that is never stored:
/// every row is regenerated from the seed when it is needed.
///
/// # The generator, bit for bit
/// Row `m` (`0 ≤ m < M`) is
///
/// ```text
/// a_m[n] = g_m[n] · scale,   n = 0, …, N−1,
/// ```
///
/// where `g_m[0..N]` are the first `N` standard normal variates of the generator
/// [`stream_rng(seed, m as u64)`](crate::rng::stream_rng), drawn by
/// [`fill_standard_normal`] (Marsaglia's polar method in
/// `f32`, pair by pair, `g[2j] = u·f`, `g[2j+1] = v·f`; for odd `N` the second value of the
/// last pair is discarded). The [`rng`](crate::rng) module documents the seeding
/// (`seed ⊕ m·0xD1B5_4A32_D192_ED03`, two SplitMix64 outputs, xoshiro128++) and the variates
/// completely. `scale` is one `f32`, computed once by [`Scaling::entry_scale`]:
/// `1.0 / libm::sqrtf(M as f32)` for [`Scaling::PerMeasurement`], `1.0` for
/// [`Scaling::Unit`], `1.0 / libm::sqrtf(N as f32)` for [`Scaling::UnitRows`]; each entry is
/// the single rounded product `g · scale`. Rows are independent streams, so any row can be
/// generated on its own ([`row`](Self::row)).
///
/// The only non-correctly-rounded step is musl's `logf` (through `libm`); the independent
/// numpy reimplementation in `core/tests/reference/operators_seeded.py` (correctly rounded
/// `logf`) reproduces 400 of its 412 reference entries bit for bit and the rest within 2 ulp
/// (where musl's `logf` is off by an ulp).
///
/// # Cost
/// [`forward`](SensingOperator::forward), [`adjoint`](SensingOperator::adjoint) and
/// [`row_norms_sq`](SensingOperator::row_norms_sq) regenerate all `M·N` entries (a few ns
/// each) in chunks of [`SeededGaussian::CHUNK`] values on the stack (512 bytes); they need no
/// scratch. They give exactly the bits of [`DenseOperator`](super::DenseOperator) over
/// [`materialize`](Self::materialize)d data: the same products, sums and order. A host with
/// memory applies the operator many times faster by materializing it once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeededGaussian {
    seed: u64,
    rows: usize,
    cols: usize,
    scaling: Scaling,
    scale: f32,
}

impl SeededGaussian {
    /// Number of entries generated at a time on the stack (even, and a multiple of 8).
    pub const CHUNK: usize = 128;

    /// The `rows × cols` (`M × N`) operator of `seed` with entries of the given [`Scaling`].
    ///
    /// Errors: [`Error::Empty`] for `rows == 0` or `cols == 0`.
    pub fn new(seed: u64, rows: usize, cols: usize, scaling: Scaling) -> Result<Self> {
        if rows == 0 {
            return Err(Error::Empty { field: "rows" });
        }
        if cols == 0 {
            return Err(Error::Empty { field: "cols" });
        }
        let scale = scaling.entry_scale(rows, cols);
        Ok(Self {
            seed,
            rows,
            cols,
            scaling,
            scale,
        })
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The entry scaling.
    pub fn scaling(&self) -> Scaling {
        self.scaling
    }

    /// The factor applied to every standard normal variate ([`Scaling::entry_scale`]).
    pub fn scale(&self) -> f32 {
        self.scale
    }

    /// Writes row `m` of `A` into `out` (`out.len() == N`).
    ///
    /// Errors: [`Error::InvalidParameter`] for `m ≥ M`, [`Error::DimensionMismatch`] for a
    /// wrong `out` length.
    pub fn row(&self, m: usize, out: &mut [f32]) -> Result<()> {
        check_row_index(m, self.rows)?;
        Error::check_len("out", self.cols, out.len())?;
        self.write_row(m, out);
        Ok(())
    }

    /// Writes all of `A`, row-major, into `out` (`out.len() == M·N`), for example to wrap it
    /// in a [`DenseOperator`](super::DenseOperator).
    ///
    /// Errors: [`Error::InvalidParameter`] if `M·N` overflows `usize`,
    /// [`Error::DimensionMismatch`] for a wrong `out` length.
    pub fn materialize(&self, out: &mut [f32]) -> Result<()> {
        let len = check_shape(self.rows, self.cols)?;
        Error::check_len("out", len, out.len())?;
        for (m, row) in out.chunks_exact_mut(self.cols).enumerate() {
            self.write_row(m, row);
        }
        Ok(())
    }

    /// Row `m` into `out` (length already checked). Generating it whole or chunk by chunk
    /// gives the same values, since every chunk but the last has an even length.
    fn write_row(&self, m: usize, out: &mut [f32]) {
        let mut rng = stream_rng(self.seed, m as u64);
        fill_standard_normal(&mut rng, out);
        for v in out.iter_mut() {
            *v *= self.scale;
        }
    }

    /// Calls `f(chunk_of_row, offset)` for row `m`, chunk by chunk, in order.
    #[inline]
    fn for_each_chunk(&self, m: usize, mut f: impl FnMut(&[f32], usize)) {
        let mut rng = stream_rng(self.seed, m as u64);
        let mut buf = [0.0f32; Self::CHUNK];
        let mut start = 0;
        while start < self.cols {
            let len = (self.cols - start).min(Self::CHUNK);
            let chunk = &mut buf[..len];
            fill_standard_normal(&mut rng, chunk);
            for v in chunk.iter_mut() {
                *v *= self.scale;
            }
            f(chunk, start);
            start += len;
        }
    }
}

impl SensingOperator for SeededGaussian {
    fn rows(&self) -> usize {
        self.rows
    }

    fn cols(&self) -> usize {
        self.cols
    }

    /// `y_m = dot(a_m, x)` with the rows regenerated on the fly; bit-identical to
    /// [`DenseOperator::forward`](super::DenseOperator::forward) over [`materialize`](SeededGaussian::materialize)d data.
    fn forward(&self, x: &[f32], y: &mut [f32], _scratch: &mut [f32]) -> Result<()> {
        check_apply("x", x.len(), self.cols, "y", y.len(), self.rows, 0, 0)?;
        for (m, ym) in y.iter_mut().enumerate() {
            let mut acc = Dot8::new();
            let mut result = 0.0;
            self.for_each_chunk(m, |a, start| {
                let xs = &x[start..start + a.len()];
                let (ta, tx) = acc.blocks(a, xs);
                if start + a.len() == self.cols {
                    result = acc.finish(ta, tx);
                }
            });
            *ym = result;
        }
        Ok(())
    }

    /// `x = Σ_m r_m a_m` with the rows regenerated on the fly; bit-identical to
    /// [`DenseOperator::adjoint`](super::DenseOperator::adjoint) over [`materialize`](SeededGaussian::materialize)d data.
    fn adjoint(&self, r: &[f32], x: &mut [f32], _scratch: &mut [f32]) -> Result<()> {
        check_apply("r", r.len(), self.rows, "x", x.len(), self.cols, 0, 0)?;
        x.fill(0.0);
        for (m, &rm) in r.iter().enumerate() {
            self.for_each_chunk(m, |a, start| {
                axpy(rm, a, &mut x[start..start + a.len()]);
            });
        }
        Ok(())
    }

    /// The exact `dot(a_m, a_m)` of every regenerated row (costs a full regeneration; cache
    /// the result).
    fn row_norms_sq(&self, out: &mut [f32]) -> Result<()> {
        Error::check_len("out", self.rows, out.len())?;
        for (m, o) in out.iter_mut().enumerate() {
            let mut acc = Dot8::new();
            let mut result = 0.0;
            self.for_each_chunk(m, |a, start| {
                let (ta, tb) = acc.blocks(a, a);
                if start + a.len() == self.cols {
                    result = acc.finish(ta, tb);
                }
            });
            *o = result;
        }
        Ok(())
    }
}
