//! The geometric noise schedule and step rule of Algorithm 1 (`β_t`, `α_t = ε β_t²/β_T²`).

use crate::{Error, Result};

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
        geometric_level(self.beta_max, self.beta_min, self.levels, t)
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

/// Level `t ∈ 0..levels` (0-based) of the geometric sequence from `max` to `min`:
/// `exp(ln max + t/(levels−1)·(ln min − ln max))` in `f32` through `libm`, exactly `max` at
/// `t = 0` and `min` at the last level (the NCSN noise levels, Song & Ermon 2020; the
/// schedule of both [`Schedule::beta`] and [`crate::pnp::PnpSchedule::sigma`]).
pub fn geometric_level(max: f32, min: f32, levels: u32, t: u32) -> f32 {
    if levels <= 1 || t == 0 {
        return max;
    }
    if t + 1 >= levels {
        return min;
    }
    let (l1, lt) = (libm::logf(max), libm::logf(min));
    let frac = t as f32 / (levels - 1) as f32;
    libm::expf(l1 + frac * (lt - l1))
}
