//! # qcs-host
//!
//! The host side of `qcs`: it reads what a sensor sends, runs the NCSNv2 prior through tract,
//! reconstructs with the core's sampler and writes what people look at. Data flows one way:
//!
//! | module | holds |
//! |---|---|
//! | [`sensing`] | the sensor side: `y = Q(Ax + n)` into a frame |
//! | [`data`] | MNIST IDX, PNG and raw `f32` inputs; `.npy` output |
//! | [`frame_file`] | frames on disk, read bounded by their declared length |
//! | [`matrix`] | a sensing matrix the receiver holds (`.npy`), named in frames by its fingerprint |
//! | [`problem`] | host decode: a measurement frame → operator, likelihood, shape |
//! | [`model`] | the ONNX score network: loading, its declared input, plans per batch and device |
//! | [`budget`] | the memory a reconstruction needs, from the frame header alone |
//! | [`prior`] | the network as the core's `ScorePrior`, batched over threads |
//! | [`shared_batch`] | one network call for the chains of several frames in flight |
//! | [`reconstruct`] | Algorithm 1 over heap buffers, posterior mean / std |
//! | [`pnp`] | the plug-and-play sampler (DiffPIR, exact quantized likelihood) over heap buffers |
//! | [`image`] | PNG images and labelled panels |
//! | [`output`] | an output folder written all together or not at all |
//! | [`baselines`] | BIHT and Lasso-W (FISTA) in a DCT / Haar basis, on the same measurements |
//! | [`eval`] | the experiment harness behind `qcs-eval`: sweeps, CSV, tables, plots |
#![deny(missing_docs)]

pub mod baselines;
pub mod budget;
pub mod data;
pub mod eval;
pub mod frame_file;
pub mod image;
pub mod matrix;
pub mod model;
pub mod output;
pub mod pnp;
pub mod prior;
pub mod problem;
pub mod reconstruct;
pub mod sensing;
pub mod shared_batch;
pub mod svd;
pub mod warm_start;
