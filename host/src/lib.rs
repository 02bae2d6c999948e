//! # qcs-host
//!
//! The host side of `qcs`: it reads what a sensor sends, runs the NCSNv2 prior through tract,
//! reconstructs with the core's sampler and writes what people look at. Data flows one way:
//!
//! | module | holds |
//! |---|---|
//! | [`data`] | MNIST IDX, PNG and raw `f32` inputs; `.npy` output |
//! | [`problem`] | host decode: a measurement frame → operator, likelihood, shape |
//! | [`model`] | the ONNX score network: loading, plans per batch size and device |
//! | [`prior`] | the network as the core's `ScorePrior`, batched over threads |
//! | [`reconstruct`] | Algorithm 1 over heap buffers, posterior mean / std |
//! | [`image`] | PNG images and panels |
#![deny(missing_docs)]

pub mod data;
pub mod image;
pub mod model;
pub mod prior;
pub mod problem;
pub mod reconstruct;
