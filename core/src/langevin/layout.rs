//! The sampler's working memory, described once: [`SamplerLayout`] sizes one caller `f32`
//! slab and cuts it into the nine [`Buffers`] of a [`Sampler`](super::Sampler), heapless
//! style (no allocation; a short slab is a typed capacity error, never a panic).

use crate::operator::SensingOperator;
use crate::{Error, Result};

/// The working memory of a [`Sampler`](super::Sampler) (`B` chains, `N` signal values, `M`
/// measurements), borrowed from a caller slab by [`SamplerLayout::split`].
#[derive(Debug)]
pub struct Buffers<'b> {
    /// The `B` iterates, `B·N` values (the state and, at the end, the output).
    pub x: &'b mut [f32],
    /// Prior scores of the batch, `B·N` values.
    pub prior: &'b mut [f32],
    /// Likelihood score `Aᵀ G` of one chain, `N` values.
    pub grad: &'b mut [f32],
    /// `z = A x` of one chain, `M` values.
    pub z: &'b mut [f32],
    /// `G` of one chain, `M` values.
    pub g: &'b mut [f32],
    /// Squared row norms `‖a_m‖²`, `M` values (filled by [`Sampler::new`](super::Sampler::new)).
    pub row_norms_sq: &'b mut [f32],
    /// Per-level cache of the likelihood
    /// ([`PseudoLikelihood::prepare`](crate::likelihood::PseudoLikelihood::prepare)), `M`
    /// values.
    pub level: &'b mut [f32],
    /// Scratch of the operator, at least `op.scratch_len()` values (`N` for
    /// [`Structured`](crate::operator::Structured), 0 for the others).
    pub op_scratch: &'b mut [f32],
    /// Scratch of the likelihood score: `M` values for the exact linear score (eq. 19), `2M` for
    /// the EP score of QCS-SGM+
    /// ([`PseudoLikelihood::scratch_len`](crate::likelihood::PseudoLikelihood::scratch_len)).
    pub lik_scratch: &'b mut [f32],
}

/// The sizes of a sampler's working memory, and the one place that knows how the nine
/// [`Buffers`] sit in a caller's slab: `x` and `prior` (`B·N` each), `grad` (`N`),
/// `op_scratch`, then `z`, `g`, `row_norms_sq`, `level` (`M` each) and `lik_scratch` (`M`,
/// or what [`with_lik_scratch`](Self::with_lik_scratch) sets).
///
/// ```
/// use qcs_core::langevin::SamplerLayout;
///
/// // 4 chains of an 8 × 8 image, 128 measurements, an operator scratch of N values.
/// const LAYOUT: SamplerLayout = SamplerLayout::new(64, 128, 4);
/// let mut slab = [0.0f32; LAYOUT.slab_len()]; // a `static` on a microcontroller
/// let buffers = LAYOUT.split(&mut slab)?;
/// assert_eq!((buffers.x.len(), buffers.z.len(), buffers.op_scratch.len()), (256, 128, 64));
/// # Ok::<(), qcs_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SamplerLayout {
    /// The signal dimension `N`.
    pub n: usize,
    /// The number of measurements `M`.
    pub m: usize,
    /// The number of chains `B`.
    pub chains: usize,
    /// The length of the operator scratch (at least the operator's
    /// [`scratch_len`](SensingOperator::scratch_len)).
    pub op_scratch: usize,
    /// The length of the likelihood scratch: `M` by default, `2M` for the EP score
    /// ([`PseudoLikelihood::scratch_len`](crate::likelihood::PseudoLikelihood::scratch_len)).
    pub lik_scratch: usize,
}

impl SamplerLayout {
    /// The layout of `chains` chains of an `n`-dimensional signal with `m` measurements, with
    /// an operator scratch of `n` values (enough for every operator of [`crate::operator`]).
    pub const fn new(n: usize, m: usize, chains: usize) -> Self {
        Self {
            n,
            m,
            chains,
            op_scratch: n,
            lik_scratch: m,
        }
    }

    /// This layout with a likelihood scratch of `len` values (for example
    /// [`PseudoLikelihood::scratch_len`](crate::likelihood::PseudoLikelihood::scratch_len)).
    pub const fn with_lik_scratch(self, len: usize) -> Self {
        Self {
            lik_scratch: len,
            ..self
        }
    }

    /// The layout a sampler of `chains` chains over `op` needs (`N = op.cols()`,
    /// `M = op.rows()`, the operator's own scratch length).
    pub fn for_op<O: SensingOperator + ?Sized>(op: &O, chains: usize) -> Self {
        Self {
            n: op.cols(),
            m: op.rows(),
            chains,
            op_scratch: op.scratch_len(),
            lik_scratch: op.rows(),
        }
    }

    /// `B·N`, the length of [`Buffers::x`] and [`Buffers::prior`] (saturating).
    pub const fn batch_len(&self) -> usize {
        self.chains.saturating_mul(self.n)
    }

    /// The number of `f32` of the slab: `2·B·N + N + op_scratch + 4·M + lik_scratch` (saturating at
    /// `usize::MAX`, a length no slab has).
    pub const fn slab_len(&self) -> usize {
        self.batch_len()
            .saturating_mul(2)
            .saturating_add(self.n)
            .saturating_add(self.op_scratch)
            .saturating_add(self.m.saturating_mul(4))
            .saturating_add(self.lik_scratch)
    }

    /// Cuts the first [`slab_len`](Self::slab_len) values of `slab` into the sampler's
    /// buffers (a longer slab keeps its tail unused).
    ///
    /// Errors: [`Error::BufferTooSmall`] (field `"slab"`) when `slab` is shorter.
    pub fn split<'b>(&self, slab: &'b mut [f32]) -> Result<Buffers<'b>> {
        Error::check_capacity("slab", self.slab_len(), slab.len())?;
        Ok(self.carve(slab))
    }

    /// [`split`](Self::split) without the capacity check, for a slab the caller sized with
    /// [`slab_len`](Self::slab_len) (an owned `Vec` or array): it never fails and never
    /// panics; a short slab gives short buffers, which [`Sampler::new`](super::Sampler::new)
    /// rejects with [`Error::DimensionMismatch`] or [`Error::BufferTooSmall`].
    pub fn carve<'b>(&self, slab: &'b mut [f32]) -> Buffers<'b> {
        let mut rest = slab;
        let (batch, n, m) = (self.batch_len(), self.n, self.m);
        Buffers {
            x: take(&mut rest, batch),
            prior: take(&mut rest, batch),
            grad: take(&mut rest, n),
            op_scratch: take(&mut rest, self.op_scratch),
            z: take(&mut rest, m),
            g: take(&mut rest, m),
            row_norms_sq: take(&mut rest, m),
            level: take(&mut rest, m),
            lik_scratch: take(&mut rest, self.lik_scratch),
        }
    }

    /// Checks `buffers` against this layout: every length exact, except the operator
    /// scratch, which may be longer.
    ///
    /// Errors: [`Error::DimensionMismatch`] naming the first buffer of the wrong length
    /// (`"x"`, `"prior"`, `"grad"`, `"z"`, `"g"`, `"row_norms_sq"`, `"level"`,
    /// `"lik_scratch"`); [`Error::BufferTooSmall`] (field `"op_scratch"`).
    pub fn check(&self, buffers: &Buffers<'_>) -> Result<()> {
        let (batch, n, m) = (self.batch_len(), self.n, self.m);
        Error::check_len("x", batch, buffers.x.len())?;
        Error::check_len("prior", batch, buffers.prior.len())?;
        Error::check_len("grad", n, buffers.grad.len())?;
        Error::check_len("z", m, buffers.z.len())?;
        Error::check_len("g", m, buffers.g.len())?;
        Error::check_len("row_norms_sq", m, buffers.row_norms_sq.len())?;
        Error::check_len("level", m, buffers.level.len())?;
        Error::check_len("lik_scratch", self.lik_scratch, buffers.lik_scratch.len())?;
        if buffers.op_scratch.len() < self.op_scratch {
            return Err(Error::BufferTooSmall {
                field: "op_scratch",
                needed: self.op_scratch,
                available: buffers.op_scratch.len(),
            });
        }
        Ok(())
    }
}

/// The first `len` values of `*rest` (fewer when it is shorter), leaving the others in it.
fn take<'b>(rest: &mut &'b mut [f32], len: usize) -> &'b mut [f32] {
    let slab = core::mem::take(rest);
    let (head, tail) = slab.split_at_mut(len.min(slab.len()));
    *rest = tail;
    head
}
