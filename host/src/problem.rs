//! Host decode: a received measurement frame turned into what the sampler needs, the
//! operator `A`, the measurements in the form of the pseudo-likelihood score (eq. 15/18/20)
//! and the signal shape.
//!
//! The seeded Gaussian operator is materialized once into a dense matrix: regenerating its
//! rows from the seed at every Langevin step (what a sensor does, to store 8 bytes) would
//! cost more than the network on the host. The structured operator is used as it is. A dense
//! matrix that the frame names by its fingerprint comes from the receiver ([`SensingMatrix`]).

use crate::matrix::SensingMatrix;
use anyhow::{bail, ensure, Result};
use qcs_core::frame::{self, FrameHeader, FrameOperator, OperatorKind, QuantizerSpec, SignalShape};
use qcs_core::likelihood::{Measurements, PseudoLikelihood};
use qcs_core::observation::Observation;
use qcs_core::operator::{DenseOperator, SensingOperator, Structured};
use qcs_core::quantizer::Quantizer;
use qcs_core::sensor;

/// The measurements of a frame, owned, in the form each score takes.
#[derive(Debug, Clone, PartialEq)]
pub enum Observed {
    /// One-bit signs `±1` (eq. 18).
    OneBit(Vec<f32>),
    /// Bins `[l_m, u_m)` of multi-bit codes (eq. 15/29).
    Quantized {
        /// Lower bin edges.
        lower: Vec<f32>,
        /// Upper bin edges.
        upper: Vec<f32>,
    },
    /// Unquantized `y` (eq. 20, diagonal `AAᵀ`).
    Linear(Vec<f32>),
}

impl Observed {
    /// The number of measurements `M`.
    pub fn len(&self) -> usize {
        match self {
            Observed::OneBit(v) | Observed::Linear(v) => v.len(),
            Observed::Quantized { lower, .. } => lower.len(),
        }
    }

    /// Whether there are no measurements (never, for a decoded frame).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The measurements of `codes` under the quantizer `spec`: signs for the one-bit quantizer
    /// (eq. 18), bins `[l_m, u_m)` otherwise (eq. 15/29). Errors: an unquantized `spec` (it has
    /// no codes), a code out of range.
    pub fn from_codes(spec: &QuantizerSpec<'_>, codes: &[u16]) -> Result<Self> {
        let core = |e: qcs_core::Error| anyhow::anyhow!("{e}");
        let m = codes.len();
        match spec {
            QuantizerSpec::Unquantized => {
                bail!("an unquantized frame carries values, not codes")
            }
            QuantizerSpec::Uniform { bits: 1, .. } => {
                let mut signs = vec![0.0; m];
                sensor::signs_from_codes(codes, &mut signs).map_err(core)?;
                Ok(Observed::OneBit(signs))
            }
            spec => {
                let mut storage = vec![0.0; spec.storage_len()];
                let q = spec.build(&mut storage).map_err(core)?;
                let (mut lower, mut upper) = (vec![0.0; m], vec![0.0; m]);
                q.bounds_slice(codes, &mut lower, &mut upper)
                    .map_err(core)?;
                Ok(Observed::Quantized { lower, upper })
            }
        }
    }

    /// The core's borrowed view of these measurements.
    pub fn view(&self) -> Observation<'_> {
        match self {
            Observed::OneBit(signs) => Observation::OneBit { signs },
            Observed::Quantized { lower, upper } => Observation::Quantized { lower, upper },
            Observed::Linear(y) => Observation::Linear { y },
        }
    }

    /// The measurements with the paper's score (eq. 18, 15/29, or the diagonal eq. 20 for
    /// unquantized `y`).
    pub fn measurements(&self) -> Measurements<'_> {
        Measurements::Diagonal(self.view())
    }

    /// A short name: `one-bit`, `quantized` or `linear`.
    pub fn kind(&self) -> &'static str {
        match self {
            Observed::OneBit(_) => "one-bit",
            Observed::Quantized { .. } => "quantized",
            Observed::Linear(_) => "linear",
        }
    }
}

/// The operator of a frame as the host runs it.
#[derive(Debug, Clone)]
pub enum HostOperator {
    /// A materialized matrix, row-major `M × N`.
    Dense {
        /// The entries.
        data: Vec<f32>,
        /// `M`.
        rows: usize,
        /// `N`.
        cols: usize,
    },
    /// The structured fast operator.
    Structured(Structured),
}

/// Whether the receiver has the frame's operator: a dense frame needs `matrix`, and `matrix`
/// must be the one it names ([`SensingMatrix::check_frame`]); other frames regenerate theirs
/// and take no matrix. `what` names the frame.
pub fn check_operator_source(
    h: &FrameHeader<'_>,
    what: &str,
    matrix: Option<&SensingMatrix>,
) -> Result<()> {
    match matrix {
        Some(a) => a.check_frame(h, what),
        None => {
            ensure!(
                h.operator.kind != OperatorKind::Dense,
                "{what}: the frame names a dense {} × {} matrix by its fingerprint {:#018x} \
                 (field `seed`) and does not carry it: give it with --matrix A.npy",
                h.m(),
                h.n(),
                h.operator.seed
            );
            Ok(())
        }
    }
}

/// Everything the sampler needs from one frame.
#[derive(Debug, Clone)]
pub struct Problem {
    /// The signal's shape.
    pub signal: SignalShape,
    /// The noise level `σ`.
    pub sigma: f32,
    /// Bits per measurement (0: unquantized).
    pub bits: u8,
    /// The frame counter.
    pub counter: u32,
    /// The operator seed and kind, as sent.
    pub operator_spec: frame::OperatorSpec,
    /// The measurements.
    pub observed: Observed,
    operator: HostOperator,
}

impl Problem {
    /// Decodes a frame (`what` names its source in errors, e.g. the file path).
    pub fn from_frame(bytes: &[u8], what: &str) -> Result<Self> {
        Self::from_frame_with(bytes, what, None)
    }

    /// Decodes a frame; a frame of a dense operator takes its matrix from `matrix`, checked
    /// against the frame's shape and fingerprint ([`SensingMatrix::check_frame`]). Errors: a
    /// dense frame without a matrix, a matrix for a frame of another kind, or the wrong matrix.
    pub fn from_frame_with(
        bytes: &[u8],
        what: &str,
        matrix: Option<&SensingMatrix>,
    ) -> Result<Self> {
        let f = frame::decode(bytes).map_err(|e| anyhow::anyhow!("{what}: invalid frame: {e}"))?;
        let h: &FrameHeader<'_> = f.header();
        let m = h.m();
        let core = |e: qcs_core::Error| anyhow::anyhow!("{what}: {e}");
        check_operator_source(h, what, matrix)?;
        let observed = match h.quantizer {
            QuantizerSpec::Unquantized => {
                let mut y = vec![0.0; m];
                f.values(&mut y).map_err(core)?;
                Observed::Linear(y)
            }
            ref spec => {
                let mut codes = vec![0u16; m];
                f.unpack_codes(&mut codes).map_err(core)?;
                Observed::from_codes(spec, &codes).map_err(|e| anyhow::anyhow!("{what}: {e}"))?
            }
        };
        let operator = match matrix {
            Some(a) => HostOperator::Dense {
                data: a.values.clone(),
                rows: a.rows,
                cols: a.cols,
            },
            None => match h.operator().map_err(core)? {
                FrameOperator::SeededGaussian(op) => {
                    let mut data = vec![0.0; m * h.n()];
                    op.materialize(&mut data).map_err(core)?;
                    HostOperator::Dense {
                        data,
                        rows: m,
                        cols: h.n(),
                    }
                }
                FrameOperator::Structured(op) => HostOperator::Structured(op),
            },
        };
        Ok(Problem {
            signal: h.signal,
            sigma: h.sigma,
            bits: h.quantizer.bits().unwrap_or(0),
            counter: h.counter,
            operator_spec: h.operator,
            observed,
            operator,
        })
    }

    /// The operator, ready to apply.
    pub fn operator(&self) -> Result<Box<dyn SensingOperator + '_>> {
        Ok(match &self.operator {
            HostOperator::Dense { data, rows, cols } => Box::new(
                DenseOperator::new(data, *rows, *cols)
                    .map_err(|e| anyhow::anyhow!("operator: {e}"))?,
            ),
            HostOperator::Structured(op) => Box::new(*op),
        })
    }

    /// The pseudo-likelihood of the measurements (eq. 18, 15/29 or 20).
    pub fn likelihood(&self) -> Result<PseudoLikelihood<'_>> {
        PseudoLikelihood::new(self.observed.measurements(), self.sigma)
            .map_err(|e| anyhow::anyhow!("likelihood: {e}"))
    }

    /// The image shape `[C, H, W]` the network needs (frames of any channel count); an error
    /// for a frame of a plain vector.
    pub fn image_shape(&self, what: &str) -> Result<[usize; 3]> {
        let s = self.signal;
        if !s.is_image() {
            bail!(
                "{what}: the frame's signal is a plain vector (N = {}, height/width/channels 0): \
                 the network prior needs an image",
                s.n
            );
        }
        // Any channel count: the frame stores channels last and the prior hands the network
        // channels first (prior.rs); the model's declared input is checked against it.
        Ok([s.channels as usize, s.height as usize, s.width as usize])
    }
}
