//! The plug-and-play sampler's working memory: the Langevin sampler's [`Buffers`] plus one
//! `N`-value buffer for the data sub-problem's estimate, cut from one caller slab.

use crate::langevin::{Buffers, SamplerLayout};
use crate::operator::SensingOperator;
use crate::{Error, Result};

/// The working memory of a [`PnpSampler`](super::PnpSampler), borrowed from a caller slab by
/// [`PnpLayout::split`]. In `base`, `x` holds the iterates, `prior` the prior scores and then
/// the denoised estimates `x̂₀`, `level` the likelihood cache at `β = 0`; the others are the
/// scratch of [`solve_data_subproblem`](super::solve_data_subproblem).
#[derive(Debug)]
pub struct PnpBuffers<'b> {
    /// The buffers the Langevin sampler uses, with the same lengths.
    pub base: Buffers<'b>,
    /// The data-consistent estimate `x̂₀'` of one chain, `N` values.
    pub estimate: &'b mut [f32],
}

/// The sizes of a plug-and-play sampler's memory: a [`SamplerLayout`] followed by `N` values
/// for [`PnpBuffers::estimate`].
///
/// ```
/// use qcs_core::pnp::PnpLayout;
///
/// const LAYOUT: PnpLayout = PnpLayout::new(64, 128, 4);
/// let mut slab = [0.0f32; LAYOUT.slab_len()];
/// let buffers = LAYOUT.split(&mut slab)?;
/// assert_eq!((buffers.base.x.len(), buffers.estimate.len()), (256, 64));
/// # Ok::<(), qcs_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PnpLayout {
    /// The layout of the shared buffers.
    pub base: SamplerLayout,
}

impl PnpLayout {
    /// `chains` chains of an `n`-dimensional signal with `m` measurements (operator scratch
    /// of `n` values, as [`SamplerLayout::new`]).
    pub const fn new(n: usize, m: usize, chains: usize) -> Self {
        Self {
            base: SamplerLayout::new(n, m, chains),
        }
    }

    /// The layout a sampler of `chains` chains over `op` needs.
    pub fn for_op<O: SensingOperator + ?Sized>(op: &O, chains: usize) -> Self {
        Self {
            base: SamplerLayout::for_op(op, chains),
        }
    }

    /// The number of `f32` of the slab: [`SamplerLayout::slab_len`] `+ N` (saturating).
    pub const fn slab_len(&self) -> usize {
        self.base.slab_len().saturating_add(self.base.n)
    }

    /// Cuts the first [`slab_len`](Self::slab_len) values of `slab` into the buffers.
    ///
    /// Errors: [`Error::BufferTooSmall`] (field `"slab"`) when `slab` is shorter.
    pub fn split<'b>(&self, slab: &'b mut [f32]) -> Result<PnpBuffers<'b>> {
        Error::check_capacity("slab", self.slab_len(), slab.len())?;
        Ok(self.carve(slab))
    }

    /// [`split`](Self::split) without the capacity check (see [`SamplerLayout::carve`]): a
    /// short slab gives short buffers, which [`check`](Self::check) rejects.
    pub fn carve<'b>(&self, slab: &'b mut [f32]) -> PnpBuffers<'b> {
        let at = self.base.slab_len().min(slab.len());
        let (head, tail) = slab.split_at_mut(at);
        let len = self.base.n.min(tail.len());
        PnpBuffers {
            base: self.base.carve(head),
            estimate: &mut tail[..len],
        }
    }

    /// Checks `buffers` against this layout ([`SamplerLayout::check`], then `estimate`).
    ///
    /// Errors: [`Error::DimensionMismatch`] naming the first buffer of the wrong length;
    /// [`Error::BufferTooSmall`] (`"op_scratch"`).
    pub fn check(&self, buffers: &PnpBuffers<'_>) -> Result<()> {
        self.base.check(&buffers.base)?;
        Error::check_len("estimate", self.base.n, buffers.estimate.len())
    }
}
