//! Annealed Langevin dynamics for posterior sampling: QCS-SGM, the paper's Algorithm 1.
//!
//! ```text
//! x_1^0 ~ U(0, 1)
//! for t = 1..T:   α_t = ε β_t² / β_T²
//!   for k = 1..K: x_t^k = x_t^{k−1} + α_t [s_θ(x_t^{k−1}, β_t) + Aᵀ G(β_t, y, A, x_t^{k−1})] + √(2α_t) z_t^k
//! output x_T^K
//! ```
//!
//! [`Sampler`] advances one step per [`Sampler::step`] call, so a host can draw progress and
//! firmware can yield between steps. All state lives in caller-provided memory and per-chain
//! generators; the same seeds give the same output bit for bit. [`SamplerLayout`] describes
//! that memory once: its [`slab_len`](SamplerLayout::slab_len) sizes one `f32` slab (a
//! `static` array on a microcontroller, a `Vec` on a host) and
//! [`split`](SamplerLayout::split) cuts it into the sampler's [`Buffers`]. Chain `b` of a
//! batch draws its noise only from its own generator, so its trajectory does not depend on
//! how many chains run beside it (given a prior that scores samples independently). A
//! non-finite prior score or iterate stops the sampler with [`Error::Diverged`](crate::Error::Diverged).
//!
//! Files: `schedule` ([`Schedule`]), `balance` ([`Balance`]: QCS-SGM+'s likelihood rescaling), `layout` ([`SamplerLayout`], [`Buffers`]), `sampler`
//! ([`Sampler`], [`Progress`], [`SampleError`]).

mod balance;
mod layout;
pub(crate) mod sampler;
mod schedule;

pub use balance::Balance;
pub use layout::{Buffers, SamplerLayout};
pub use sampler::{Progress, SampleError, Sampler};
pub use schedule::{geometric_level, Schedule};

/// The prior score the sampler adds (defined in [`crate::prior`], re-exported here for the
/// code that names it `langevin::ScorePrior`).
pub use crate::prior::ScorePrior;
