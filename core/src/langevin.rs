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
//! firmware can yield between steps. All state lives in caller-provided buffers
//! ([`Buffers`]) and per-chain generators; the same seeds give the same output bit for bit.
//! Chain `b` of a batch draws its noise only from its own generator, so its trajectory does
//! not depend on how many chains run beside it (given a prior that scores samples
//! independently).

use crate::likelihood::PseudoLikelihood;
use crate::operator::SensingOperator;
/// The prior score the sampler adds (defined in [`crate::prior`], re-exported here for the
/// code that names it `langevin::ScorePrior`).
pub use crate::prior::ScorePrior;
use crate::rng::{for_each_standard_normal, uniform01};
use crate::{Error, Result};
use rand_core::Rng;

/// The geometric noise schedule and step rule of Algorithm 1.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Schedule {
    /// Largest noise level `β_1`.
    pub beta_max: f32,
    /// Smallest noise level `β_T`.
    pub beta_min: f32,
    /// Number of noise levels `T`.
    pub levels: u32,
    /// Langevin steps per level `K`.
    pub steps_per_level: u32,
    /// Step-size constant `ε` (`α_t = ε β_t²/β_T²`).
    pub epsilon: f32,
}

impl Schedule {
    /// The paper's MNIST settings: `β` 50 → 0.01 over `T = 232` levels, `K = 5`, `ε = 2e-4`.
    pub const PAPER_MNIST: Schedule = Schedule {
        beta_max: 50.0,
        beta_min: 0.01,
        levels: 232,
        steps_per_level: 5,
        epsilon: 2e-4,
    };

    /// A validated schedule: `β_1 ≥ β_T > 0` finite, `T ≥ 1` (`β_1 = β_T` when `T = 1`), `K ≥ 1`,
    /// `ε > 0` finite.
    pub fn new(
        beta_max: f32,
        beta_min: f32,
        levels: u32,
        steps_per_level: u32,
        epsilon: f32,
    ) -> Result<Self> {
        let s = Schedule {
            beta_max,
            beta_min,
            levels,
            steps_per_level,
            epsilon,
        };
        s.validate()?;
        Ok(s)
    }

    /// Checks the invariants documented on [`Schedule::new`].
    pub fn validate(&self) -> Result<()> {
        Error::check_positive("beta_min", self.beta_min)?;
        Error::check_positive("beta_max", self.beta_max)?;
        Error::check_positive("epsilon", self.epsilon)?;
        if self.beta_max < self.beta_min {
            return Err(Error::InvalidParameter {
                field: "beta_max",
                value: self.beta_max as f64,
                expected: ">= beta_min",
            });
        }
        if self.levels == 0 {
            return Err(Error::Empty { field: "levels" });
        }
        if self.steps_per_level == 0 {
            return Err(Error::Empty {
                field: "steps_per_level",
            });
        }
        Ok(())
    }

    /// `β_t` for level `t ∈ 0..T` (0-based): `exp(ln β_1 + t/(T−1)·(ln β_T − ln β_1))`, the
    /// geometric sequence `exp(linspace(ln β_1, ln β_T, T))` in `f32` through `libm`.
    pub fn beta(&self, t: u32) -> f32 {
        if self.levels <= 1 || t == 0 {
            return self.beta_max;
        }
        if t + 1 >= self.levels {
            return self.beta_min;
        }
        let (l1, lt) = (libm::logf(self.beta_max), libm::logf(self.beta_min));
        let frac = t as f32 / (self.levels - 1) as f32;
        libm::expf(l1 + frac * (lt - l1))
    }

    /// `α_t = ε β_t² / β_T²` (Algorithm 1, line 2) for level `t` (0-based).
    pub fn step_size(&self, t: u32) -> f32 {
        let r = self.beta(t) / self.beta_min;
        self.epsilon * (r * r)
    }

    /// Total number of Langevin steps `T·K` (= prior-score evaluations per chain).
    pub fn total_steps(&self) -> u64 {
        self.levels as u64 * self.steps_per_level as u64
    }
}

/// The error of a sampler step: a core error, or the prior's own.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SampleError<E> {
    /// A `qcs-core` error (bad buffers, a non-finite iterate, …).
    Core(Error),
    /// The prior failed.
    Prior(E),
}

impl<E> From<Error> for SampleError<E> {
    fn from(e: Error) -> Self {
        SampleError::Core(e)
    }
}

impl<E: core::fmt::Display> core::fmt::Display for SampleError<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SampleError::Core(e) => write!(f, "{e}"),
            SampleError::Prior(e) => write!(f, "prior score failed: {e}"),
        }
    }
}

impl<E: core::fmt::Debug + core::fmt::Display> core::error::Error for SampleError<E> {}

/// The working memory of a [`Sampler`], all caller-provided (`B` chains, `N` signal values,
/// `M` measurements). Use [`Buffers::lengths`] to size them.
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
    /// Squared row norms `‖a_m‖²`, `M` values (filled by [`Sampler::new`]).
    pub row_norms_sq: &'b mut [f32],
    /// Per-level cache of the likelihood ([`PseudoLikelihood::prepare`]), `M` values.
    pub level: &'b mut [f32],
    /// Scratch of the operator, at least `op.scratch_len()` values (`N` for
    /// [`Structured`](crate::operator::Structured), 0 for the others).
    pub op_scratch: &'b mut [f32],
    /// Scratch of the exact linear score (eq. 19), `M` values (unused by the other scores).
    pub lik_scratch: &'b mut [f32],
}

/// Required buffer lengths, from [`Buffers::lengths`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferLengths {
    /// `B·N`, for [`Buffers::x`] and [`Buffers::prior`].
    pub batch_signal: usize,
    /// `N`, for [`Buffers::grad`].
    pub signal: usize,
    /// `M`, for `z`, `g`, `row_norms_sq`, `level` and `lik_scratch`.
    pub measurements: usize,
    /// At least this many for [`Buffers::op_scratch`].
    pub op_scratch: usize,
}

impl Buffers<'_> {
    /// The lengths a sampler of `batch` chains over `op` needs.
    pub fn lengths<O: SensingOperator + ?Sized>(op: &O, batch: usize) -> BufferLengths {
        BufferLengths {
            batch_signal: batch.saturating_mul(op.cols()),
            signal: op.cols(),
            measurements: op.rows(),
            op_scratch: op.scratch_len(),
        }
    }
}

/// Fixed-capacity storage for every [`Buffers`] field, heapless style: `B` chains of an
/// `N`-dimensional signal with `M` measurements, and an operator scratch of `N` values (enough
/// for every operator of [`crate::operator`]). Put it in a `static` cell on a
/// microcontroller, or on the heap (`Box::new`) on a host for large `N`.
#[derive(Debug, Clone)]
pub struct Storage<const N: usize, const M: usize, const B: usize> {
    x: [[f32; N]; B],
    prior: [[f32; N]; B],
    grad: [f32; N],
    op_scratch: [f32; N],
    z: [f32; M],
    g: [f32; M],
    row_norms_sq: [f32; M],
    level: [f32; M],
    lik_scratch: [f32; M],
}

impl<const N: usize, const M: usize, const B: usize> Storage<N, M, B> {
    /// Zeroed storage.
    pub const fn new() -> Self {
        Self {
            x: [[0.0; N]; B],
            prior: [[0.0; N]; B],
            grad: [0.0; N],
            op_scratch: [0.0; N],
            z: [0.0; M],
            g: [0.0; M],
            row_norms_sq: [0.0; M],
            level: [0.0; M],
            lik_scratch: [0.0; M],
        }
    }

    /// Borrows the storage as the [`Buffers`] of a sampler.
    pub fn buffers(&mut self) -> Buffers<'_> {
        Buffers {
            x: self.x.as_flattened_mut(),
            prior: self.prior.as_flattened_mut(),
            grad: &mut self.grad,
            z: &mut self.z,
            g: &mut self.g,
            row_norms_sq: &mut self.row_norms_sq,
            level: &mut self.level,
            op_scratch: &mut self.op_scratch,
            lik_scratch: &mut self.lik_scratch,
        }
    }
}

impl<const N: usize, const M: usize, const B: usize> Default for Storage<N, M, B> {
    fn default() -> Self {
        Self::new()
    }
}

/// Where a sampler stands after a step.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Progress {
    /// Steps done so far (out of [`Schedule::total_steps`]).
    pub done: u64,
    /// Level `t` (0-based) of the step just taken.
    pub level: u32,
    /// Noise level `β_t` of the step just taken.
    pub beta: f32,
    /// Step size `α_t` of the step just taken.
    pub alpha: f32,
}

/// The annealed Langevin sampler of Algorithm 1 over caller buffers, one step per call.
pub struct Sampler<'a, 'b, O: SensingOperator + ?Sized, R: Rng> {
    op: &'a O,
    likelihood: PseudoLikelihood<'a>,
    schedule: Schedule,
    buf: Buffers<'b>,
    rngs: &'b mut [R],
    n: usize,
    level: u32,
    step_in_level: u32,
    beta: f32,
    alpha: f32,
    noise_scale: f32,
}

impl<'a, 'b, O: SensingOperator + ?Sized, R: Rng> Sampler<'a, 'b, O, R> {
    /// A sampler of `rngs.len()` chains (one generator per chain; `B ≥ 1`), checking every
    /// buffer length and computing `‖a_m‖²` once. The iterates in `buffers.x` are used as
    /// given: call [`init_uniform`](Self::init_uniform) for Algorithm 1's `U(0, 1)` start.
    pub fn new(
        op: &'a O,
        likelihood: PseudoLikelihood<'a>,
        schedule: Schedule,
        buffers: Buffers<'b>,
        rngs: &'b mut [R],
    ) -> Result<Self> {
        schedule.validate()?;
        if rngs.is_empty() {
            return Err(Error::Empty { field: "rngs" });
        }
        let (m, n) = (op.rows(), op.cols());
        Error::check_len("likelihood", m, likelihood.len())?;
        let need = Buffers::lengths(op, rngs.len());
        Error::check_len("x", need.batch_signal, buffers.x.len())?;
        Error::check_len("prior", need.batch_signal, buffers.prior.len())?;
        Error::check_len("grad", n, buffers.grad.len())?;
        Error::check_len("z", m, buffers.z.len())?;
        Error::check_len("g", m, buffers.g.len())?;
        Error::check_len("row_norms_sq", m, buffers.row_norms_sq.len())?;
        Error::check_len("level", m, buffers.level.len())?;
        Error::check_len("lik_scratch", m, buffers.lik_scratch.len())?;
        if buffers.op_scratch.len() < need.op_scratch {
            return Err(Error::BufferTooSmall {
                field: "op_scratch",
                needed: need.op_scratch,
                available: buffers.op_scratch.len(),
            });
        }
        op.row_norms_sq(buffers.row_norms_sq)?;
        Ok(Self {
            op,
            likelihood,
            schedule,
            buf: buffers,
            rngs,
            n,
            level: 0,
            step_in_level: 0,
            beta: 0.0,
            alpha: 0.0,
            noise_scale: 0.0,
        })
    }

    /// Draws every iterate from `U(0, 1)` (Algorithm 1's initialization), chain `b` from its
    /// own generator, and rewinds the schedule.
    pub fn init_uniform(&mut self) {
        for (xb, rng) in self
            .buf
            .x
            .chunks_exact_mut(self.n)
            .zip(self.rngs.iter_mut())
        {
            for v in xb {
                *v = uniform01(rng);
            }
        }
        self.rewind();
    }

    /// Restarts the schedule from its first level, keeping the current iterates.
    pub fn rewind(&mut self) {
        self.level = 0;
        self.step_in_level = 0;
    }

    /// The iterates, `B·N` values (chain after chain).
    pub fn x(&self) -> &[f32] {
        self.buf.x
    }

    /// Mutable access to the iterates, for a caller-given start.
    pub fn x_mut(&mut self) -> &mut [f32] {
        self.buf.x
    }

    /// The number of chains `B`.
    pub fn batch(&self) -> usize {
        self.rngs.len()
    }

    /// The schedule.
    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    /// Steps taken so far.
    pub fn steps_done(&self) -> u64 {
        self.level as u64 * self.schedule.steps_per_level as u64 + self.step_in_level as u64
    }

    /// Whether all `T·K` steps are done.
    pub fn is_finished(&self) -> bool {
        self.level >= self.schedule.levels
    }

    /// One Langevin step (Algorithm 1, lines 4–6) for every chain. Returns
    /// [`Error::Finished`] once the schedule is done, [`Error::NonFinite`] if the prior score
    /// or an iterate stops being finite (`field` `"prior"` or `"x"`, index into the batch).
    pub fn step<P: ScorePrior + ?Sized>(
        &mut self,
        prior: &mut P,
    ) -> core::result::Result<Progress, SampleError<P::Error>> {
        if self.is_finished() {
            return Err(Error::Finished.into());
        }
        if self.step_in_level == 0 {
            self.beta = self.schedule.beta(self.level);
            self.alpha = self.schedule.step_size(self.level);
            self.noise_scale = libm::sqrtf(2.0 * self.alpha);
            self.likelihood
                .prepare(self.beta, self.buf.row_norms_sq, self.buf.level)?;
        }
        let (alpha, noise_scale) = (self.alpha, self.noise_scale);
        prior
            .score(self.buf.x, self.beta, self.buf.prior)
            .map_err(SampleError::Prior)?;
        Error::check_finite("prior", self.buf.prior)?;
        let n = self.n;
        let buf = &mut self.buf;
        for ((xb, pb), rng) in buf
            .x
            .chunks_exact_mut(n)
            .zip(buf.prior.chunks_exact(n))
            .zip(self.rngs.iter_mut())
        {
            self.op.forward(xb, buf.z, buf.op_scratch)?;
            self.likelihood
                .g(buf.z, buf.level, buf.g, buf.lik_scratch)?;
            self.op.adjoint(buf.g, buf.grad, buf.op_scratch)?;
            update_chain(xb, pb, buf.grad, alpha, noise_scale, rng);
        }
        Error::check_finite("x", buf.x)?;
        let progress = Progress {
            done: 0,
            level: self.level,
            beta: self.beta,
            alpha,
        };
        self.step_in_level += 1;
        if self.step_in_level == self.schedule.steps_per_level {
            self.step_in_level = 0;
            self.level += 1;
        }
        Ok(Progress {
            done: self.steps_done(),
            ..progress
        })
    }

    /// Runs the remaining steps of the schedule.
    pub fn run<P: ScorePrior + ?Sized>(
        &mut self,
        prior: &mut P,
    ) -> core::result::Result<(), SampleError<P::Error>> {
        while !self.is_finished() {
            self.step(prior)?;
        }
        Ok(())
    }
}

/// Algorithm 1, line 6 for one chain: `x ← x + α (prior + grad) + √(2α) ξ`, with `ξ` drawn by
/// [`for_each_standard_normal`] (the order of [`crate::rng::fill_standard_normal`]).
fn update_chain<R: Rng>(
    x: &mut [f32],
    prior: &[f32],
    grad: &[f32],
    alpha: f32,
    noise_scale: f32,
    rng: &mut R,
) {
    let len = x.len();
    for_each_standard_normal(rng, len, |i, e| {
        if let (Some(xi), Some(&p), Some(&g)) = (x.get_mut(i), prior.get(i), grad.get(i)) {
            *xi += alpha * (p + g) + noise_scale * e;
        }
    });
}
