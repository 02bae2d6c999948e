//! The plug-and-play sampler over caller buffers, one noise level (one network call) per
//! [`PnpSampler::step`].

use super::data::{solve_data_subproblem, spectral_norm_sq, DataStep, DataWork, POWER_ITERATIONS};
use super::{PnpBuffers, PnpLayout, PnpSchedule};
use crate::langevin::sampler::{check_chains, diffuse, divergence};
use crate::langevin::SampleError;
use crate::likelihood::PseudoLikelihood;
use crate::operator::SensingOperator;
use crate::prior::ScorePrior;
use crate::rng::for_each_langevin_normal;
use crate::{Error, Result};
use rand_core::Rng;

/// Where a [`PnpSampler`] stands after a step.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PnpProgress {
    /// Levels done so far (out of [`PnpSchedule::levels`]), = network calls per chain.
    pub done: u32,
    /// Level `t` (0-based) of the step just taken.
    pub level: u32,
    /// Its noise level `σ_t`.
    pub sigma: f32,
    /// Its data-step size `η_t`.
    pub step_size: f32,
}

/// DiffPIR (Zhu et al. 2023, Algorithm 1) for a variance-exploding score prior with the
/// exact quantized likelihood in its data step (module docs), over caller buffers.
pub struct PnpSampler<'a, 'b, O: SensingOperator + ?Sized, R: Rng> {
    op: &'a O,
    likelihood: PseudoLikelihood<'a>,
    schedule: PnpSchedule,
    buf: PnpBuffers<'b>,
    rngs: &'b mut [R],
    n: usize,
    level: u32,
    norm_sq: f32,
    min_row_norm_sq: f32,
}

impl<'a, 'b, O: SensingOperator + ?Sized, R: Rng> PnpSampler<'a, 'b, O, R> {
    /// A sampler of `rngs.len()` chains (one generator per chain), checking every buffer
    /// length, computing `‖a_m‖²` and `‖A‖₂²` ([`spectral_norm_sq`], [`POWER_ITERATIONS`]
    /// iterations) once. The
    /// iterates in `buffers.base.x` are used as given: call
    /// [`init_noise`](Self::init_noise) for the usual start.
    ///
    /// Errors: those of [`PnpSchedule::validate`] and [`PnpLayout::check`];
    /// [`Error::Empty`] (`rngs`); [`Error::DimensionMismatch`] (`likelihood`);
    /// [`Error::InvalidParameter`] (`sigma`) when the likelihood has `σ = 0` (the exact
    /// likelihood of noise-free measurements is not differentiable), or (`op`) for an
    /// operator without a non-zero finite row.
    pub fn new(
        op: &'a O,
        likelihood: PseudoLikelihood<'a>,
        schedule: PnpSchedule,
        buffers: PnpBuffers<'b>,
        rngs: &'b mut [R],
    ) -> Result<Self> {
        schedule.validate()?;
        let n = check_chains(op, &likelihood, rngs)?;
        PnpLayout::for_op(op, rngs.len()).check(&buffers)?;
        let sigma = likelihood.sigma();
        if sigma <= 0.0 {
            return Err(Error::InvalidParameter {
                field: "sigma",
                value: sigma as f64,
                expected: "sigma > 0: the exact likelihood needs measurement noise",
            });
        }
        let mut buf = buffers;
        op.row_norms_sq(buf.base.row_norms_sq)?;
        likelihood.prepare(0.0, buf.base.row_norms_sq, buf.base.level)?;
        let min_row_norm_sq = buf
            .base
            .row_norms_sq
            .iter()
            .copied()
            .fold(f32::INFINITY, f32::min);
        let norm_sq = spectral_norm_sq(op, POWER_ITERATIONS, &mut work(&mut buf))?;
        if !(norm_sq / (sigma * sigma)).is_finite() {
            return Err(Error::InvalidParameter {
                field: "sigma",
                value: sigma as f64,
                expected: "‖A‖²/sigma² to be finite",
            });
        }
        Ok(Self {
            op,
            likelihood,
            schedule,
            buf,
            rngs,
            n,
            level: 0,
            norm_sq,
            min_row_norm_sq,
        })
    }

    /// A warm start: every chain starts at `center[i] + σ_1 ξ_i` (an estimate, `N` values,
    /// diffused to the first level), `ξ ~ N(0, I)` from the chain's own generator, as
    /// [`Sampler::init_around`](crate::langevin::Sampler::init_around) does for Algorithm 1;
    /// rewinds the schedule.
    ///
    /// Errors: [`Error::DimensionMismatch`] (`center`) unless `center.len() == N`;
    /// [`Error::NonFinite`] (`center`) for a non-finite value.
    pub fn init_around(&mut self, center: &[f32]) -> Result<()> {
        Error::check_len("center", self.n, center.len())?;
        Error::check_finite("center", center)?;
        diffuse(
            self.buf.base.x,
            self.n,
            self.rngs,
            |i| center.get(i).copied().unwrap_or(0.0),
            self.schedule.sigma_max,
        );
        self.rewind();
        Ok(())
    }

    /// Starts every chain at `center + σ_1 ξ`, `ξ ~ N(0, I)` from the chain's own generator
    /// (the VE counterpart of DiffPIR's `x_T ~ N(0, I)`), and rewinds the schedule.
    pub fn init_noise(&mut self, center: f32) {
        diffuse(
            self.buf.base.x,
            self.n,
            self.rngs,
            |_| center,
            self.schedule.sigma_max,
        );
        self.rewind();
    }

    /// Restarts the schedule from its first level, keeping the iterates.
    pub fn rewind(&mut self) {
        self.level = 0;
    }

    /// The iterates, `B·N` values; after the last level, the output.
    pub fn x(&self) -> &[f32] {
        self.buf.base.x
    }

    /// Mutable access to the iterates, for a caller-given start.
    pub fn x_mut(&mut self) -> &mut [f32] {
        self.buf.base.x
    }

    /// The number of chains `B`.
    pub fn batch(&self) -> usize {
        self.rngs.len()
    }

    /// The schedule.
    pub fn schedule(&self) -> &PnpSchedule {
        &self.schedule
    }

    /// The curvature bound of the data term at level `t`:
    /// `L_t = ‖A‖₂²/(σ² + κ²σ_t² min_m ‖a_m‖²)` (`‖A‖₂²/σ²` for the exact likelihood), since
    /// measurement `m`'s term has curvature at most `1/s_m²` along `a_m`.
    pub fn lipschitz(&self, t: u32) -> f32 {
        let sigma = self.likelihood.sigma();
        let b = self.schedule.likelihood_beta(t);
        self.norm_sq / (sigma * sigma + b * b * self.min_row_norm_sq)
    }

    /// Levels done so far (= network calls per chain).
    pub fn levels_done(&self) -> u32 {
        self.level
    }

    /// Whether all `T` levels are done.
    pub fn is_finished(&self) -> bool {
        self.level >= self.schedule.levels
    }

    /// One level for every chain, at `σ = σ_t`, `σ' = σ_{t+1}` (`0` after the last):
    ///
    /// 1. `x̂₀ = x + σ² s_θ(x, σ)`, Tweedie's formula (one batched prior call);
    /// 2. `x̂₀' ≈ argmin_z −log p(y|z) + (λ/(2σ²))‖z − x̂₀‖²` ([`solve_data_subproblem`],
    ///    `K` steps of size [`PnpSchedule::step_size`]; the likelihood smoothed to
    ///    `s_m² = σ² + κ²σ²‖a_m‖²` when `κ > 0`);
    /// 3. `x ← x̂₀' + σ' (√(1−ζ) ε̂ + √ζ ξ)` with `ε̂ = (x − x̂₀')/σ`, `ξ ~ N(0, I)` from the
    ///    chain's generator (drawn only when `ζ > 0` and `σ' > 0`).
    ///
    /// Errors: [`Error::Finished`] once the schedule is done; [`Error::Diverged`] (level
    /// `t`, step 0, `β = σ_t`) when the prior score, an `A z`, the estimate or an iterate
    /// stops being finite; the prior's error as [`SampleError::Prior`].
    pub fn step<P: ScorePrior + ?Sized>(
        &mut self,
        prior: &mut P,
    ) -> core::result::Result<PnpProgress, SampleError<P::Error>> {
        if self.is_finished() {
            return Err(Error::Finished.into());
        }
        let t = self.level;
        let s = &self.schedule;
        let (sigma, sigma_next) = (s.sigma(t), s.sigma_next(t));
        let step = DataStep {
            steps: s.data_steps,
            step_size: s.step_size(t, self.lipschitz(t)),
            prox_weight: s.prox_weight(t),
        };
        let beta = s.likelihood_beta(t);
        let keep = sigma_next * libm::sqrtf(1.0 - s.zeta) / sigma;
        let fresh = sigma_next * libm::sqrtf(s.zeta);
        let diverged = Error::Diverged {
            level: t as usize,
            step: 0,
            beta: sigma,
        };
        self.likelihood
            .prepare(beta, self.buf.base.row_norms_sq, self.buf.base.level)?;
        prior
            .score(self.buf.base.x, sigma, self.buf.base.prior)
            .map_err(SampleError::Prior)?;
        if !self.buf.base.prior.iter().all(|v| v.is_finite()) {
            return Err(diverged.into());
        }
        let n = self.n;
        let weight = sigma * sigma;
        let PnpBuffers { base, estimate } = &mut self.buf;
        for ((xb, pb), rng) in base
            .x
            .chunks_exact_mut(n)
            .zip(base.prior.chunks_exact_mut(n))
            .zip(self.rngs.iter_mut())
        {
            for (p, &xi) in pb.iter_mut().zip(xb.iter()) {
                *p = xi + weight * *p;
            }
            solve_data_subproblem(
                self.op,
                &self.likelihood,
                base.level,
                step,
                pb,
                estimate,
                &mut DataWork {
                    grad: base.grad,
                    z: base.z,
                    g: base.g,
                    op_scratch: base.op_scratch,
                    lik_scratch: base.lik_scratch,
                },
            )
            .map_err(|e| divergence(e, diverged))?;
            renoise(xb, estimate, keep, fresh, rng);
        }
        if !self.buf.base.x.iter().all(|v| v.is_finite()) {
            return Err(diverged.into());
        }
        self.level += 1;
        Ok(PnpProgress {
            done: self.level,
            level: t,
            sigma,
            step_size: step.step_size,
        })
    }

    /// Runs the remaining levels.
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

/// The shared buffers as the scratch of [`spectral_norm_sq`].
fn work<'w>(buf: &'w mut PnpBuffers<'_>) -> DataWork<'w> {
    DataWork {
        grad: buf.base.grad,
        z: buf.base.z,
        g: buf.base.g,
        op_scratch: buf.base.op_scratch,
        lik_scratch: buf.base.lik_scratch,
    }
}

/// Step 3 of [`PnpSampler::step`] for one chain: `x ← e + keep·(x − e) + fresh·ξ`, with
/// `keep = σ'√(1−ζ)/σ`, `fresh = σ'√ζ`; no draws when `fresh = 0`.
fn renoise<R: Rng>(x: &mut [f32], estimate: &[f32], keep: f32, fresh: f32, rng: &mut R) {
    if fresh > 0.0 {
        let len = x.len();
        for_each_langevin_normal(rng, len, |i, e| {
            if let (Some(xi), Some(&ei)) = (x.get_mut(i), estimate.get(i)) {
                *xi = ei + keep * (*xi - ei) + fresh * e;
            }
        });
    } else {
        for (xi, &ei) in x.iter_mut().zip(estimate) {
            *xi = ei + keep * (*xi - ei);
        }
    }
}
