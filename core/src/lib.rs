//! # qcs-core
//!
//! The `#![no_std]`, allocation-free core of **QCS-SGM**, quantized compressed sensing with
//! score-based generative models (Meng & Kabashima): a sensor measures
//! `y = Q(Ax + n)`, and a receiver draws posterior samples of `x` with annealed Langevin
//! dynamics that adds a prior score to the closed-form *noise-perturbed pseudo-likelihood
//! score* (paper §3.1, Theorem 1).
//!
//! Data flows one way through the modules:
//!
//! | module | holds | paper |
//! |---|---|---|
//! | [`rng`] | seeding and normal variates, specified bit for bit | – |
//! | [`fastmath`] | the hot `sqrt`/`ln`/`exp`: `libm`, or micromath with `fast-math` | – |
//! | [`gauss`] | erfcx, log Φ, truncated-normal mean | eq. 15, 18, 29 |
//! | [`quantizer`] | uniform and threshold quantizers, bit packing | eq. 2–5 |
//! | [`operator`] | sensing operators `A` (dense, seeded Gaussian, structured) | eq. 1–2 |
//! | [`sensor`] | `y = Q(Ax + n)`, the one function sensor and host share | eq. 1–2 |
//! | [`frame`] | the versioned binary measurement frame (`docs/FRAME_FORMAT.md`) | eq. 1–5 |
//! | [`likelihood`] | `G` and `Aᵀ G` for one-bit, multi-bit, linear | eq. 14–20, 29 |
//! | [`ep`] | the QCS-SGM+ score by expectation propagation, any `A` (its SVD) | QCS-SGM+ |
//! | [`prior`] | the [`ScorePrior`](prior::ScorePrior) trait; analytic priors with exact noise-perturbed scores | eq. 7 |
//! | [`langevin`] | geometric schedule, the layout of its memory, the annealed Langevin stepper | Algorithm 1 |
//! | [`pnp`] | DiffPIR's plug-and-play sampler with the exact quantized likelihood in its data step | DiffPIR Alg. 1; eq. 15, 18 at β = 0 |
//! | [`metrics`] | PSNR, cosine similarity, SSIM | §4 |
//!
//! Every function that can be handed bad input returns [`Result`]; nothing panics on user
//! input and nothing allocates. All `f32` transcendental functions come from [`libm`] (the hot
//! ones through [`fastmath`]), and no fused multiply-add is used, so results are bit-identical
//! on x86_64 and Cortex-M. The `fast-math` feature (off by default) swaps the calls of
//! [`fastmath`] for micromath's approximations: faster on a microcontroller, not bit-identical
//! to the default build; the operator rows and the sensor noise are unaffected by it.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod ep;
mod error;
pub mod fastmath;
pub mod frame;
pub mod gauss;
pub mod langevin;
pub mod likelihood;
pub mod metrics;
pub mod observation;
pub mod operator;
pub mod pnp;
pub mod prior;
pub mod quantizer;
pub mod rng;
pub mod sensor;

pub use error::{Error, Field, Result};
