//! The annealed Langevin sampler of Algorithm 1 over caller buffers, one step per call.

use super::{Balance, Buffers, SamplerLayout, Schedule};
use crate::likelihood::PseudoLikelihood;
use crate::operator::SensingOperator;
use crate::prior::ScorePrior;
use crate::rng::{for_each_langevin_normal, uniform01};
use crate::{Error, Result};
use rand_core::Rng;

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
    balance: Balance,
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
        let n = check_chains(op, &likelihood, rngs)?;
        SamplerLayout::for_op(op, rngs.len())
            .with_lik_scratch(likelihood.scratch_len())
            .check(&buffers)?;
        op.row_norms_sq(buffers.row_norms_sq)?;
        Ok(Self {
            op,
            likelihood,
            schedule,
            balance: Balance::Unscaled,
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

    /// The same sampler with the likelihood score weighed by `balance` (default
    /// [`Balance::Unscaled`], Algorithm 1 as written).
    ///
    /// Errors: [`Error::InvalidParameter`] (`likelihood_fraction`) for a fraction that is not
    /// finite and `> 0`.
    pub fn with_balance(mut self, balance: Balance) -> Result<Self> {
        balance.validate()?;
        self.balance = balance;
        Ok(self)
    }

    /// How the likelihood score is weighed against the prior's.
    pub fn balance(&self) -> Balance {
        self.balance
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

    /// A warm start (CCDF, Chung et al. 2022, arXiv 2112.05146; SIM-DMIS, Tang et al. 2025,
    /// arXiv 2505.21135): every chain starts at `center + β_1 ξ`, `ξ ~ N(0, I)` from the chain's
    /// own generator ([`for_each_langevin_normal`]), the forward diffusion of a cheap estimate
    /// `center` (`N` values) to the schedule's first level `β_1`, which a warm start sets below
    /// the paper's 50 so that the levels above it are skipped. Rewinds the schedule.
    ///
    /// Errors: [`Error::DimensionMismatch`] (`center`) unless `center.len() == N`;
    /// [`Error::NonFinite`] (`center`) for a non-finite value.
    pub fn init_around(&mut self, center: &[f32]) -> Result<()> {
        Error::check_len("center", self.n, center.len())?;
        Error::check_finite("center", center)?;
        diffuse(
            self.buf.x,
            self.n,
            self.rngs,
            |i| center.get(i).copied().unwrap_or(0.0),
            self.schedule.beta(0),
        );
        self.rewind();
        Ok(())
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

    /// One Langevin step (Algorithm 1, lines 4–6) for every chain.
    ///
    /// Errors: [`Error::Finished`] once the schedule is done; [`Error::Diverged`] (with the
    /// 0-based level `t`, step `k` within it and `β_t` of this step) when the prior score, a
    /// measurement `A x`, the likelihood score or an iterate stops being finite; the
    /// prior's own error as [`SampleError::Prior`].
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
        self.check_finite(self.buf.prior)?;
        let (n, diverged) = (self.n, self.diverged());
        let buf = &mut self.buf;
        for ((xb, pb), rng) in buf
            .x
            .chunks_exact_mut(n)
            .zip(buf.prior.chunks_exact(n))
            .zip(self.rngs.iter_mut())
        {
            likelihood_score(
                self.op,
                &self.likelihood,
                xb,
                buf.level,
                &mut Work {
                    z: buf.z,
                    g: buf.g,
                    grad: buf.grad,
                    op_scratch: buf.op_scratch,
                    lik_scratch: buf.lik_scratch,
                },
            )
            .map_err(|e| divergence(e, diverged))?;
            self.balance.apply(pb, buf.grad);
            update_chain(xb, pb, buf.grad, alpha, noise_scale, rng);
        }
        self.check_finite(self.buf.x)?;
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

    /// The [`Error::Diverged`] of the step about to be taken.
    fn diverged(&self) -> Error {
        Error::Diverged {
            level: self.level as usize,
            step: self.step_in_level as usize,
            beta: self.beta,
        }
    }

    /// [`Error::Diverged`] unless every value is finite.
    fn check_finite(&self, values: &[f32]) -> Result<()> {
        if values.iter().all(|v| v.is_finite()) {
            Ok(())
        } else {
            Err(self.diverged())
        }
    }

    /// The final denoising step: Tweedie's formula at the last noise level `β_T`,
    /// `x ← x + β_T² (s_θ(x, β_T) + ∇ₓ log p̃_{β_T}(y | x))`, the posterior mean `E[x₀ | x, y]`
    /// under the noise-perturbed model (Jolicoeur-Martineau et al. 2020, arXiv 2009.05475, §2;
    /// NCSNv2's "denoising" of the last sample, Song & Ermon 2020, with the QCS-SGM likelihood
    /// score of eq. 14 added as the posterior requires). One more prior evaluation, no noise.
    /// Meant after the last step; it does not advance the schedule.
    ///
    /// Errors: [`Error::Diverged`] (at the level past the last) for a non-finite score or
    /// result; the prior's error as [`SampleError::Prior`].
    pub fn denoise<P: ScorePrior + ?Sized>(
        &mut self,
        prior: &mut P,
    ) -> core::result::Result<(), SampleError<P::Error>> {
        let beta = self.schedule.beta_min;
        self.beta = beta;
        self.likelihood
            .prepare(beta, self.buf.row_norms_sq, self.buf.level)?;
        prior
            .score(self.buf.x, beta, self.buf.prior)
            .map_err(SampleError::Prior)?;
        self.check_finite(self.buf.prior)?;
        let (n, diverged) = (self.n, self.diverged());
        let weight = beta * beta;
        let buf = &mut self.buf;
        for (xb, pb) in buf.x.chunks_exact_mut(n).zip(buf.prior.chunks_exact(n)) {
            likelihood_score(
                self.op,
                &self.likelihood,
                xb,
                buf.level,
                &mut Work {
                    z: buf.z,
                    g: buf.g,
                    grad: buf.grad,
                    op_scratch: buf.op_scratch,
                    lik_scratch: buf.lik_scratch,
                },
            )
            .map_err(|e| divergence(e, diverged))?;
            self.balance.apply(pb, buf.grad);
            for ((xi, &p), &g) in xb.iter_mut().zip(pb.iter()).zip(buf.grad.iter()) {
                *xi += weight * (p + g);
            }
        }
        self.check_finite(self.buf.x)?;
        Ok(())
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

/// The per-chain scratch of [`likelihood_score`].
pub(crate) struct Work<'w> {
    pub(crate) z: &'w mut [f32],
    pub(crate) g: &'w mut [f32],
    pub(crate) grad: &'w mut [f32],
    pub(crate) op_scratch: &'w mut [f32],
    pub(crate) lik_scratch: &'w mut [f32],
}

/// `grad ← Aᵀ G(A x)`: the noise-perturbed pseudo-likelihood score of one chain (eq. 14, with
/// the per-measurement `G` of eq. 15/18/20 at the level cached in `level`).
pub(crate) fn likelihood_score<O: SensingOperator + ?Sized>(
    op: &O,
    likelihood: &PseudoLikelihood<'_>,
    x: &[f32],
    level: &[f32],
    w: &mut Work<'_>,
) -> Result<()> {
    op.forward(x, w.z, w.op_scratch)?;
    likelihood.g(w.z, level, w.g, w.lik_scratch)?;
    op.adjoint(w.g, w.grad, w.op_scratch)
}

/// Sets every chain `b` (`n` values of `x`) to `center(i) + scale·ξ_i`, `ξ` drawn by
/// [`for_each_langevin_normal`] from chain `b`'s own generator: the start of every sampler
/// (a warm start's estimate diffused to the first level, or pnp-probit's constant centre).
pub(crate) fn diffuse<R: Rng>(
    x: &mut [f32],
    n: usize,
    rngs: &mut [R],
    center: impl Fn(usize) -> f32,
    scale: f32,
) {
    for (xb, rng) in x.chunks_exact_mut(n).zip(rngs.iter_mut()) {
        let len = xb.len();
        for_each_langevin_normal(rng, len, |i, e| {
            if let Some(v) = xb.get_mut(i) {
                *v = center(i) + scale * e;
            }
        });
    }
}

/// The checks every sampler makes of its chains: at least one generator ([`Error::Empty`],
/// `rngs`) and a likelihood of `M = op.rows()` measurements ([`Error::DimensionMismatch`],
/// `likelihood`). Returns `N = op.cols()`.
pub(crate) fn check_chains<O: SensingOperator + ?Sized, R>(
    op: &O,
    likelihood: &PseudoLikelihood<'_>,
    rngs: &[R],
) -> Result<usize> {
    if rngs.is_empty() {
        return Err(Error::Empty { field: "rngs" });
    }
    Error::check_len("likelihood", op.rows(), likelihood.len())?;
    Ok(op.cols())
}

/// A non-finite value met inside a step is the chain's divergence (`diverged`); other errors
/// pass through.
pub(crate) fn divergence(e: Error, diverged: Error) -> Error {
    match e {
        Error::NonFinite { .. } => diverged,
        e => e,
    }
}

/// Algorithm 1, line 6 for one chain: `x ← x + α (prior + grad) + √(2α) ξ`, with `ξ` drawn by
/// [`for_each_langevin_normal`] (the order of [`crate::rng::fill_standard_normal`]; its bits
/// too, unless the `fast-math` feature routes the noise through micromath).
fn update_chain<R: Rng>(
    x: &mut [f32],
    prior: &[f32],
    grad: &[f32],
    alpha: f32,
    noise_scale: f32,
    rng: &mut R,
) {
    let len = x.len();
    for_each_langevin_normal(rng, len, |i, e| {
        if let (Some(xi), Some(&p), Some(&g)) = (x.get_mut(i), prior.get(i), grad.get(i)) {
            *xi += alpha * (p + g) + noise_scale * e;
        }
    });
}
