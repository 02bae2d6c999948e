//! The noise-perturbed pseudo-likelihood score `∇ log p̃_β(y | x) = Aᵀ G` (paper §3.1).
//!
//! At noise level `β`, measurement `m` sees the perturbed noise variance of eq. 16,
//! `s_m² = σ² + β²‖a_m‖²`. [`PseudoLikelihood::prepare`] computes the per-level quantities once per
//! noise level into a caller buffer (the *level cache*), and [`PseudoLikelihood::g`] evaluates
//! `G` at `z = A x` every Langevin step:
//!
//! | variant | `g_m` | paper |
//! |---|---|---|
//! | [`Measurements::Diagonal`] of [`Observation::OneBit`] | `y_m · E[X | X > −y_m z_m/s_m] / s_m` | eq. 18 |
//! | [`Measurements::Diagonal`] of [`Observation::Quantized`] | `E[X | (l_m − z_m)/s_m < X < (u_m − z_m)/s_m] / s_m` | eq. 15 / 29 |
//! | [`Measurements::Diagonal`] of [`Observation::Linear`] | `(y_m − z_m) / s_m²` | eq. 20 |
//! | [`Measurements::LinearExact`] | `[U (σ²I + β²Λ)⁻¹ Uᵀ (y − z)]_m` with `AAᵀ = UΛUᵀ` | eq. 19 |
//! | [`Measurements::Ep`] | expectation propagation with `A = USVᵀ` ([`crate::ep`]) | QCS-SGM+ |
//!
//! The first two are the mean of a standard normal truncated to the measurement's quantization
//! bin, divided by `s_m` ([`gauss::truncated_normal_mean`](crate::gauss::truncated_normal_mean)):
//! finite for every finite input, with the correct inverse-Mills-ratio growth when a sign is
//! violated by many standard deviations. The authors' code clamps Φ to `[1e-6, 1 − 1e-6]`, so its
//! one-bit gradient collapses toward 0 beyond about 4.75 `s_m` of violation; this
//! implementation deliberately does not reproduce that artefact.

use crate::ep::{self, EpParams};
use crate::gauss::{truncated_normal_mean, truncated_normal_mean_block, upper_tail_mean, LANES};
pub use crate::observation::Observation;
use crate::{Error, Result};

/// The measurements, borrowed, with the score the sampler uses for them.
#[derive(Debug, Clone, Copy)]
pub enum Measurements<'a> {
    /// Any observation with the score of Theorem 1, exact when `AAᵀ` is diagonal: eq. 18
    /// (one-bit), eq. 15 / 29 (bins), eq. 20 (unquantized). The paper's QCS-SGM.
    Diagonal(Observation<'a>),
    /// Unquantized `y = Ax + n` with the exact score of eq. 19, given the eigendecomposition
    /// `AAᵀ = U Λ Uᵀ`.
    LinearExact {
        /// The measurements `y`.
        y: &'a [f32],
        /// `U`, `M × M`, row-major, column `k` the eigenvector of `eigenvalues[k]`.
        eigenvectors: &'a [f32],
        /// `Λ`, the `M` eigenvalues of `AAᵀ` (all `≥ 0`).
        eigenvalues: &'a [f32],
    },
    /// Any quantizer (or none) with the QCS-SGM+ score: expectation propagation given the
    /// singular value decomposition `A = U S Vᵀ` ([`crate::ep`]; Meng & Kabashima, AAAI 2024,
    /// arXiv 2302.00919). Exact (eq. 19) for [`Observation::Linear`].
    Ep {
        /// The measurements.
        observation: Observation<'a>,
        /// `U`, `M × M`, row-major, column `k` the left singular vector of
        /// `singular_values[k]` (`V` is not needed: the sampler applies `Aᵀ` itself).
        left_singular_vectors: &'a [f32],
        /// `S`, the `M` singular values of `A` (all `≥ 0`; zero-padded when `M > N`).
        singular_values: &'a [f32],
        /// Damping, iterations, stopping rule.
        params: EpParams,
    },
}

/// The noise-perturbed pseudo-likelihood of `M` measurements with noise standard deviation `σ`.
#[derive(Debug, Clone, Copy)]
pub struct PseudoLikelihood<'a> {
    measurements: Measurements<'a>,
    sigma: f32,
    m: usize,
}

impl<'a> PseudoLikelihood<'a> {
    /// Validates the measurements (lengths, finiteness, `±1` signs, `l < u`, `Λ ≥ 0`) and the
    /// noise level `σ ≥ 0` (finite). `σ = 0` is allowed for quantized measurements, where
    /// `s_m > 0` still holds for every `β > 0`.
    pub fn new(measurements: Measurements<'a>, sigma: f32) -> Result<Self> {
        if !(sigma.is_finite() && sigma >= 0.0) {
            return Err(Error::InvalidParameter {
                field: "sigma",
                value: sigma as f64,
                expected: "finite and >= 0",
            });
        }
        let m = measurements.validate()?;
        if m == 0 {
            return Err(Error::Empty {
                field: "measurements",
            });
        }
        let linear = match measurements {
            Measurements::Diagonal(observation) | Measurements::Ep { observation, .. } => {
                observation.is_linear()
            }
            Measurements::LinearExact { .. } => true,
        };
        if sigma == 0.0 && linear {
            // Linear scores divide by σ² + β²‖a_m‖², which vanishes as β → 0 when σ = 0.
            return Err(Error::InvalidParameter {
                field: "sigma",
                value: 0.0,
                expected: "sigma > 0 for unquantized measurements",
            });
        }
        Ok(Self {
            measurements,
            sigma,
            m,
        })
    }

    /// The number of measurements `M`.
    pub fn len(&self) -> usize {
        self.m
    }

    /// Always `false`: a pseudo-likelihood holds at least one measurement.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The noise standard deviation `σ`.
    pub fn sigma(&self) -> f32 {
        self.sigma
    }

    /// The measurements.
    pub fn measurements(&self) -> &Measurements<'a> {
        &self.measurements
    }

    /// Fills the level cache for noise level `beta` (`cache.len() == M`), given the squared row
    /// norms `‖a_m‖²` of `A` (not used by [`Measurements::LinearExact`] and [`Measurements::Ep`]):
    ///
    /// * one-bit / quantized: `cache[m] = 1/s_m` with `s_m = √(σ² + β²‖a_m‖²)` (eq. 16);
    /// * linear diagonal: `cache[m] = 1/s_m²` (eq. 20);
    /// * linear exact: `cache[k] = 1/(σ² + β²λ_k)` (eq. 19);
    /// * EP: `cache[k] = 1/(σ² + β²s_k²)` ([`ep::prepare`]).
    ///
    /// Call it once per noise level, not once per step.
    pub fn prepare(&self, beta: f32, row_norms_sq: &[f32], cache: &mut [f32]) -> Result<()> {
        if !(beta.is_finite() && beta >= 0.0) {
            return Err(Error::InvalidParameter {
                field: "beta",
                value: beta as f64,
                expected: "finite and >= 0",
            });
        }
        Error::check_len("cache", self.m, cache.len())?;
        if let Measurements::Ep {
            singular_values, ..
        } = self.measurements
        {
            return ep::prepare(self.sigma, beta, singular_values, cache);
        }
        let var0 = self.sigma * self.sigma;
        let b2 = beta * beta;
        let source = match self.measurements {
            Measurements::LinearExact { eigenvalues, .. } => eigenvalues,
            Measurements::Diagonal(_) | Measurements::Ep { .. } => {
                Error::check_len("row_norms_sq", self.m, row_norms_sq.len())?;
                Error::check_finite("row_norms_sq", row_norms_sq)?;
                row_norms_sq
            }
        };
        for (c, &n2) in cache.iter_mut().zip(source) {
            let var = var0 + b2 * n2;
            if !(var > 0.0 && var.is_finite()) {
                return Err(Error::InvalidParameter {
                    field: "row_norms_sq",
                    value: n2 as f64,
                    expected: "sigma² + beta²·‖a_m‖² to be finite and > 0 for every row",
                });
            }
            *c = match self.measurements {
                Measurements::Diagonal(Observation::OneBit { .. })
                | Measurements::Diagonal(Observation::Quantized { .. }) => {
                    1.0 / crate::fastmath::sqrtf(var)
                }
                _ => 1.0 / var,
            };
        }
        Ok(())
    }

    /// `G(β, y, A, x)` at `z = A x` into `g` (all of length `M`), with the level cache from
    /// [`prepare`](Self::prepare), and a scratch of at least [`scratch_len`](Self::scratch_len)
    /// values. `z` must be finite.
    pub fn g(&self, z: &[f32], cache: &[f32], g: &mut [f32], scratch: &mut [f32]) -> Result<()> {
        let m = self.m;
        Error::check_len("z", m, z.len())?;
        Error::check_len("cache", m, cache.len())?;
        Error::check_len("g", m, g.len())?;
        Error::check_finite("z", z)?;
        match self.measurements {
            Measurements::Diagonal(Observation::OneBit { signs }) => one_bit_g(z, signs, cache, g),
            Measurements::Diagonal(Observation::Quantized { lower, upper }) => {
                quantized_g(z, lower, upper, cache, g)
            }
            Measurements::Diagonal(Observation::Linear { y }) => linear_diagonal_g(z, y, cache, g),
            Measurements::LinearExact {
                y, eigenvectors, ..
            } => {
                if scratch.len() < m {
                    return Err(Error::BufferTooSmall {
                        field: "scratch",
                        needed: m,
                        available: scratch.len(),
                    });
                }
                linear_exact_g(z, y, eigenvectors, cache, &mut scratch[..m], g)
            }
            Measurements::Ep {
                observation,
                left_singular_vectors,
                params,
                ..
            } => {
                ep::score(
                    &observation,
                    left_singular_vectors,
                    cache,
                    z,
                    &params,
                    g,
                    scratch,
                )?;
            }
        }
        Ok(())
    }

    /// The scratch [`g`](Self::g) needs: `2M` for [`Measurements::Ep`] ([`ep::scratch_len`]),
    /// `M` for the others (only [`Measurements::LinearExact`] uses it).
    pub fn scratch_len(&self) -> usize {
        match self.measurements {
            Measurements::Ep { .. } => ep::scratch_len(self.m),
            _ => self.m,
        }
    }
}

impl<'a> Measurements<'a> {
    /// One-bit signs with the score of eq. 18.
    pub fn one_bit(signs: &'a [f32]) -> Self {
        Measurements::Diagonal(Observation::OneBit { signs })
    }

    /// Bins `[l_m, u_m)` with the score of eq. 15 / 29.
    pub fn quantized(lower: &'a [f32], upper: &'a [f32]) -> Self {
        Measurements::Diagonal(Observation::Quantized { lower, upper })
    }

    /// Unquantized `y` with the diagonal-`AAᵀ` score of eq. 20.
    pub fn linear_diagonal(y: &'a [f32]) -> Self {
        Measurements::Diagonal(Observation::Linear { y })
    }

    /// The number of measurements, after validating them (see [`PseudoLikelihood::new`]):
    /// [`Observation::validate`], and the eigen- or singular-value factors' lengths, finiteness
    /// and signs.
    fn validate(&self) -> Result<usize> {
        Ok(match *self {
            Measurements::Diagonal(observation) => observation.validate()?,
            Measurements::LinearExact {
                y,
                eigenvectors,
                eigenvalues,
            } => {
                Error::check_finite("y", y)?;
                Error::check_len("eigenvalues", y.len(), eigenvalues.len())?;
                Error::check_len("eigenvectors", y.len() * y.len(), eigenvectors.len())?;
                Error::check_finite("eigenvectors", eigenvectors)?;
                Error::check_finite("eigenvalues", eigenvalues)?;
                if let Some(i) = eigenvalues.iter().position(|&l| l < 0.0) {
                    return Err(Error::InvalidParameter {
                        field: "eigenvalues",
                        value: eigenvalues[i] as f64,
                        expected: "eigenvalues of AAᵀ to be >= 0",
                    });
                }
                y.len()
            }
            Measurements::Ep {
                observation,
                left_singular_vectors,
                singular_values,
                params,
            } => {
                let m = observation.validate()?;
                Error::check_len("singular_values", m, singular_values.len())?;
                Error::check_len("left_singular_vectors", m * m, left_singular_vectors.len())?;
                Error::check_finite("left_singular_vectors", left_singular_vectors)?;
                Error::check_finite("singular_values", singular_values)?;
                if let Some(i) = singular_values.iter().position(|&v| v < 0.0) {
                    return Err(Error::InvalidParameter {
                        field: "singular_values",
                        value: singular_values[i] as f64,
                        expected: "singular values of A to be >= 0",
                    });
                }
                params.validate()?;
                m
            }
        })
    }
}

/// Eq. 18, one-bit: `g_m = y_m · E[X | X > −y_m z_m/s_m] / s_m`, with `inv_s[m] = 1/s_m`.
///
/// Equal to `[(1+y)/(2Φ(z̃)) − (1−y)/(2(1−Φ(z̃)))]·φ(z̃)/s` of the paper with `z̃ = z/s`, computed
/// through the inverse Mills ratio so it stays finite and accurate for any violation.
/// Slices must have equal lengths (checked by [`PseudoLikelihood::g`]).
pub fn one_bit_g(z: &[f32], signs: &[f32], inv_s: &[f32], g: &mut [f32]) {
    // The body is branch-free (`upper_tail_mean` selects), so the loop vectorizes.
    for (((gm, &zm), &ym), &is) in g.iter_mut().zip(z).zip(signs).zip(inv_s) {
        *gm = ym * upper_tail_mean(-ym * zm * is) * is;
    }
}

/// Eq. 15 / 29, multi-bit: `g_m = E[X | a_m < X < b_m] / s_m` with `a_m = (l_m − z_m)/s_m`,
/// `b_m = (u_m − z_m)/s_m` (eq. 16 in the paper's sign convention `ũ = −b`, `l̃ = −a`).
/// Slices must have equal lengths (checked by [`PseudoLikelihood::g`]).
///
/// On targets with SIMD registers (x86, x86_64, aarch64) the bins go through
/// [`truncated_normal_mean_block`] [`LANES`] at a time, elsewhere (Cortex-M, RISC-V
/// microcontrollers) one by one through [`truncated_normal_mean`]; both give the same bits.
pub fn quantized_g(z: &[f32], lower: &[f32], upper: &[f32], inv_s: &[f32], g: &mut [f32]) {
    let n = g
        .len()
        .min(z.len())
        .min(lower.len())
        .min(upper.len())
        .min(inv_s.len());
    // Equal-length reslices let the compiler drop the bounds checks.
    let (z, lower, upper, inv_s, g) = (&z[..n], &lower[..n], &upper[..n], &inv_s[..n], &mut g[..n]);
    let blocked = if BLOCKS { n - n % LANES } else { 0 };
    let blocks = z[..blocked]
        .chunks_exact(LANES)
        .zip(lower.chunks_exact(LANES))
        .zip(upper.chunks_exact(LANES))
        .zip(inv_s.chunks_exact(LANES))
        .zip(g.chunks_exact_mut(LANES));
    for ((((zb, lb), ub), sb), gb) in blocks {
        let mut a = [0.0f32; LANES];
        let mut b = [0.0f32; LANES];
        for k in 0..LANES {
            (a[k], b[k]) = standardized(zb[k], lb[k], ub[k], sb[k]);
        }
        let mean = truncated_normal_mean_block(&a, &b);
        for k in 0..LANES {
            gb[k] = mean[k] * sb[k];
        }
    }
    for i in blocked..n {
        let (a, b) = standardized(z[i], lower[i], upper[i], inv_s[i]);
        g[i] = truncated_normal_mean(a, b) * inv_s[i];
    }
}

/// The standardized bin `((l − z)/s, (u − z)/s)` of eq. 16, given `1/s`.
#[inline(always)]
fn standardized(z: f32, l: f32, u: f32, inv_s: f32) -> (f32, f32) {
    ((l - z) * inv_s, (u - z) * inv_s)
}

/// Whether [`quantized_g`] runs in blocks of [`LANES`] (targets with SIMD registers).
const BLOCKS: bool = cfg!(any(
    target_arch = "x86_64",
    target_arch = "x86",
    target_arch = "aarch64"
));

/// Eq. 20, linear with diagonal `AAᵀ`: `g_m = (y_m − z_m)/s_m²`, with `inv_var[m] = 1/s_m²`.
pub fn linear_diagonal_g(z: &[f32], y: &[f32], inv_var: &[f32], g: &mut [f32]) {
    for (((gm, &zm), &ym), &iv) in g.iter_mut().zip(z).zip(y).zip(inv_var) {
        *gm = (ym - zm) * iv;
    }
}

/// Eq. 19, linear exact: `g = U diag(inv_var) Uᵀ (y − z)` with `AAᵀ = UΛUᵀ` and
/// `inv_var[k] = 1/(σ² + β²λ_k)`. `u` is `M × M` row-major; `tmp` holds `M` values.
pub fn linear_exact_g(
    z: &[f32],
    y: &[f32],
    u: &[f32],
    inv_var: &[f32],
    tmp: &mut [f32],
    g: &mut [f32],
) {
    let m = g.len();
    // tmp = Uᵀ (y − z), accumulated row by row of U (contiguous access).
    tmp.fill(0.0);
    for ((row, &ym), &zm) in u.chunks_exact(m).zip(y).zip(z) {
        let r = ym - zm;
        for (t, &ukm) in tmp.iter_mut().zip(row) {
            *t += ukm * r;
        }
    }
    for (t, &iv) in tmp.iter_mut().zip(inv_var) {
        *t *= iv;
    }
    // g = U tmp.
    for (gm, row) in g.iter_mut().zip(u.chunks_exact(m)) {
        *gm = crate::operator::dot(row, tmp);
    }
}
