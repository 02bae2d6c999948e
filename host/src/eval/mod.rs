//! The experiment harness behind `qcs-eval`: a sweep described by a small TOML [`Config`]
//! (methods × M × bits × σ × seeds × the first K digits of the shipped test split), measured
//! exactly as a sensor does (`SeededGaussian`, [`sensing::measure_frame`](crate::sensing::measure_frame),
//! a frame decoded by [`Problem::from_frame`](crate::problem::Problem::from_frame)),
//! reconstructed by QCS-SGM or a [`baselines`](crate::baselines) method, scored (PSNR / SSIM /
//! cosine of the estimate clamped to `[0, 1]`), one CSV row per (cell, image). A run is
//! resumable: rows already in the CSV are skipped. [`summarize`] writes the markdown table
//! (mean ± std per cell) and SVG plots against M.
//!
//! Seeds: for sweep seed `s` the operator is `SeededGaussian(operator_seed + s)` (one `A` per
//! M for all images, as in the paper), the sensor noise of image `i` is
//! `rng::stream_rng(noise_seed + s, i)`, and the chains of image `i` use seed
//! `1_000_003·s + i`.
//!
//! | file | holds |
//! |---|---|
//! | `config.rs` | the TOML [`Config`], [`Method`], the cells and [`Job`]s of a sweep |
//! | `settings.rs` | the sampler tables `[schedule]` ([`ScheduleOverrides`]), `[ep]` ([`EpOverrides`]), the `[pnp]` budget |
//! | `measure.rs` | measuring an image for a cell ([`measure`], [`ill_conditioned`], [`measure_dense`]) |
//! | `run.rs` | one job (measure, reconstruct, score), the worker pool, resumption ([`run`]) |
//! | `rows.rs` | the results CSV ([`Row`], [`read_rows`]) |
//! | `report.rs` | statistics ([`mean_std`], [`uncertainty`]) and the markdown table ([`summarize`]) |
//! | `plot.rs` | SVG / PNG plots against M and the PNG panels |

mod config;
mod measure;
mod plot;
mod report;
mod rows;
mod run;
mod settings;

pub use config::{Cell, Config, Job, Method, OperatorChoice, RowKey};
pub use measure::{ill_conditioned, measure, measure_dense, DirectMeasured};
pub use report::{mean_std, summarize, uncertainty};
pub use rows::{csv_path, read_rows, Row};
pub use run::{mean_norm_from, provenance, run, RunOptions, RunSummary};
pub use settings::{pnp_schedule, EpOverrides, ScheduleOverrides};
