//! The NCSNv2 score network, loaded once from ONNX with `tract-onnx` and turned into
//! fixed-batch execution plans on a chosen device (tract's style: loading is separate from
//! running).
//!
//! The network is the σ-independent body of NCSNv2: input `x` of shape `[B, C, H, W]` in
//! `[0, 1]`, output `body(x)` of the same shape, and the score at noise level `σ` is
//! `s_θ(x, σ) = body(x)/σ` (the model card, `models/README.md`).

use anyhow::{bail, ensure, Context, Result};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tract_core::internal::DimLike;
use tract_core::runtime::{Runnable, State};
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::infer::{Factoid, GenericFactoid};

#[cfg(feature = "gpu")]
use tract_cuda as _; // links tract's CUDA runtime into the registry of runtimes

/// Where the network runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Device {
    /// tract's CPU runtime.
    Cpu,
    /// tract's CUDA runtime (`tract-cuda`, feature `gpu`).
    Cuda,
}

impl Device {
    /// The name of tract's runtime for this device.
    fn runtime_name(self) -> &'static str {
        match self {
            Device::Cpu => "cpu",
            Device::Cuda => "cuda",
        }
    }

    /// tract's runtime for this device, once it checked that it can run here (for CUDA: the
    /// `gpu` feature, a driver and the CUDA libraries). Many-frames runs ask before any frame.
    pub fn runtime(self) -> Result<&'static dyn tract_core::runtime::Runtime> {
        let name = self.runtime_name();
        if self == Device::Cuda && !cfg!(feature = "gpu") {
            bail!("--device cuda: this qcs was built without the `gpu` feature (cargo build --features gpu)");
        }
        tract_core::runtime::runtime_for_name(name)
            .map_err(|e| anyhow::anyhow!("{e:#}"))
            .with_context(|| format!("--device {name}: runtime unavailable"))?
            .with_context(|| format!("--device {name}: no such tract runtime"))
    }
}

/// One dimension of the input a model declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeclaredDim {
    /// A fixed size.
    Fixed(usize),
    /// A named symbol (`batch`): any size.
    Symbolic(String),
    /// Not declared: any size.
    Unknown,
}

impl DeclaredDim {
    fn of(fact: &GenericFactoid<TDim>) -> Self {
        match fact {
            GenericFactoid::Only(d) => match d.to_usize() {
                Ok(v) => DeclaredDim::Fixed(v),
                Err(_) => DeclaredDim::Symbolic(d.to_string()),
            },
            GenericFactoid::Any => DeclaredDim::Unknown,
        }
    }

    /// Whether a size of `v` fits.
    pub fn admits(&self, v: usize) -> bool {
        !matches!(self, DeclaredDim::Fixed(f) if *f != v)
    }
}

impl std::fmt::Display for DeclaredDim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeclaredDim::Fixed(v) => write!(f, "{v}"),
            DeclaredDim::Symbolic(s) => write!(f, "{s}"),
            DeclaredDim::Unknown => write!(f, "?"),
        }
    }
}

/// The input a score model declares: `[batch, C, H, W]` of `f32`, checked at load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputSignature {
    /// The batch dimension (symbolic in the exported models: any batch).
    pub batch: DeclaredDim,
    /// Channels, height and width.
    pub image: [DeclaredDim; 3],
}

impl InputSignature {
    /// `[C, H, W]` when all three are fixed.
    pub fn fixed_image(&self) -> Option<[usize; 3]> {
        match &self.image {
            [DeclaredDim::Fixed(c), DeclaredDim::Fixed(h), DeclaredDim::Fixed(w)] => {
                Some([*c, *h, *w])
            }
            _ => None,
        }
    }
}

impl std::fmt::Display for InputSignature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [c, h, w] = &self.image;
        write!(f, "[{}, {c}, {h}, {w}]", self.batch)
    }
}

/// An ONNX score model, parsed once.
#[derive(Debug, Clone)]
pub struct ScoreModel {
    path: PathBuf,
    model: InferenceModel,
    input: InputSignature,
}

impl ScoreModel {
    /// Parses the ONNX file. The exporter's intermediate shape annotations are ignored, so a
    /// dynamic-batch model can be given any concrete batch later.
    ///
    /// Errors name the file: a directory or a missing file, not ONNX, not one input and one
    /// output, an input that is not `f32` or not of rank 4 (`[batch, C, H, W]`).
    pub fn load(path: &Path) -> Result<Self> {
        if path.is_dir() {
            bail!(
                "{}: is a directory; --model takes an ONNX file",
                path.display()
            );
        }
        if !path.exists() {
            bail!("{}: no such model file", path.display());
        }
        let model = tract_onnx::onnx()
            .with_ignore_value_info(true)
            .model_for_path(path)
            .map_err(|e| anyhow::anyhow!("{}: not a loadable ONNX model: {e:#}", path.display()))?;
        ensure!(
            model.inputs.len() == 1 && model.outputs.len() == 1,
            "{}: a score model has one input and one output, this one has {} and {}",
            path.display(),
            model.inputs.len(),
            model.outputs.len()
        );
        let input = input_signature(&model, path)?;
        Ok(Self {
            path: path.to_path_buf(),
            model,
            input,
        })
    }

    /// The input the model declares.
    pub fn input(&self) -> &InputSignature {
        &self.input
    }

    /// Checks that the model takes images of `shape` (`[C, H, W]`) in plans of `plan_batch`,
    /// before any plan is built. `what` names the frame in errors.
    pub fn check_input(&self, shape: [usize; 3], plan_batch: usize, what: &str) -> Result<()> {
        let [c, h, w] = shape;
        let sig = &self.input;
        if !sig.image.iter().zip(shape).all(|(d, v)| d.admits(v)) {
            bail!(
                "{what}: the frame's signal is a {h}×{w} image with {c} channel(s), but the model \
                 {} takes input {sig} ([batch, channels, height, width]): use a model trained \
                 for this image size",
                self.path.display()
            );
        }
        if !sig.batch.admits(plan_batch) {
            bail!(
                "{}: the model declares a fixed batch of {} but the plans run batches of \
                 {plan_batch} (--plan-batch): export the model with a dynamic batch dimension",
                self.path.display(),
                sig.batch
            );
        }
        Ok(())
    }

    /// An optimized plan for batches of exactly `batch` images of shape `[channels, height,
    /// width]` on `device`.
    pub fn plan(&self, device: Device, batch: usize, shape: [usize; 3]) -> Result<ScorePlan> {
        let typed = self.typed(batch, shape)?;
        let [c, h, w] = shape;
        let ctx = || {
            format!(
                "{}: cannot build a plan for input [{batch}, {c}, {h}, {w}] on {device:?}",
                self.path.display()
            )
        };
        let runtime = device.runtime()?;
        let runnable = runtime
            .prepare(typed)
            .map_err(|e| anyhow::anyhow!("{e:#}"))
            .with_context(ctx)?;
        Ok(ScorePlan {
            runnable: Arc::from(runnable),
            batch,
            shape,
        })
    }

    /// The network typed and decluttered for batches of exactly `batch` images of shape
    /// `[channels, height, width]`, before any runtime's optimization (what a runtime's plan,
    /// or a profiler, starts from); its output shape checked to be the input's.
    pub fn typed(&self, batch: usize, shape: [usize; 3]) -> Result<TypedModel> {
        ensure!(batch >= 1, "the plan batch must be at least 1");
        let [c, h, w] = shape;
        let ctx = || {
            format!(
                "{}: cannot type the network for input [{batch}, {c}, {h}, {w}]",
                self.path.display()
            )
        };
        let typed = self
            .model
            .clone()
            .with_input_fact(0, f32::fact([batch, c, h, w]).into())
            .and_then(|m| m.into_typed())
            .and_then(|m| m.into_decluttered())
            .map_err(|e| anyhow::anyhow!("{e:#}"))
            .with_context(ctx)?;
        let out = typed
            .output_fact(0)
            .map_err(|e| anyhow::anyhow!("{e:#}"))
            .with_context(ctx)?;
        let dims: Option<Vec<usize>> = out.shape.as_concrete().map(|d| d.to_vec());
        ensure!(
            dims.as_deref() == Some(&[batch, c, h, w][..]),
            "{}: the output shape {:?} is not the input shape [{batch}, {c}, {h}, {w}]",
            self.path.display(),
            out.shape
        );
        Ok(typed)
    }
}

/// An optimized, immutable execution plan for one batch size; cheap to share between threads.
#[derive(Debug, Clone)]
pub struct ScorePlan {
    runnable: Arc<dyn Runnable>,
    /// Images per run.
    batch: usize,
    shape: [usize; 3],
}

impl ScorePlan {
    /// Values per image, `C·H·W`.
    pub fn image_len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Images per run.
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// The image shape `[C, H, W]`.
    pub fn shape(&self) -> [usize; 3] {
        self.shape
    }

    /// A running state of the plan (one per thread).
    pub fn spawn(&self) -> Result<ScoreState> {
        let state = self
            .runnable
            .spawn()
            .map_err(|e| anyhow::anyhow!("{e:#}"))?;
        Ok(ScoreState {
            state,
            batch: self.batch,
            shape: self.shape,
        })
    }
}

/// A plan's running state: evaluates the network body on one batch at a time.
#[derive(Debug)]
pub struct ScoreState {
    state: Box<dyn State>,
    batch: usize,
    shape: [usize; 3],
}

impl ScoreState {
    /// Images per run (the plan's batch).
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// Values per image, `C·H·W`.
    pub fn image_len(&self) -> usize {
        self.shape.iter().product()
    }

    /// `out ← body(x)` for exactly one plan batch (`x.len() = out.len() = batch·C·H·W`).
    pub fn body(&mut self, x: &[f32], out: &mut [f32]) -> Result<()> {
        let [c, h, w] = self.shape;
        let len = self.batch * c * h * w;
        ensure!(
            x.len() == len && out.len() == len,
            "score network: batch of {} / {} values, the plan takes {len}",
            x.len(),
            out.len()
        );
        let input =
            Tensor::from_shape(&[self.batch, c, h, w], x).map_err(|e| anyhow::anyhow!("{e:#}"))?;
        let result = self
            .state
            .run(tvec!(input.into_tvalue()))
            .map_err(|e| anyhow::anyhow!("score network failed: {e:#}"))?;
        let y = result[0]
            .to_plain_array_view::<f32>()
            .map_err(|e| anyhow::anyhow!("score network output: {e:#}"))?;
        ensure!(
            y.len() == len,
            "score network returned {} values, expected {len}",
            y.len()
        );
        for (o, v) in out.iter_mut().zip(y.iter()) {
            *o = *v;
        }
        Ok(())
    }
}

/// Reads and checks the input the model declares: one `f32` tensor of rank 4.
fn input_signature(model: &InferenceModel, path: &Path) -> Result<InputSignature> {
    let fact = model
        .input_fact(0)
        .map_err(|e| anyhow::anyhow!("{}: input: {e:#}", path.display()))?;
    if let Some(dt) = fact.datum_type.concretize() {
        ensure!(
            dt == DatumType::F32,
            "{}: the input has element type {dt:?}; a score model takes f32 images",
            path.display()
        );
    }
    let dims: Vec<DeclaredDim> = fact.shape.dims().map(DeclaredDim::of).collect();
    if fact.shape.is_open() && dims.is_empty() {
        return Ok(InputSignature {
            batch: DeclaredDim::Unknown,
            image: [
                DeclaredDim::Unknown,
                DeclaredDim::Unknown,
                DeclaredDim::Unknown,
            ],
        });
    }
    match <[DeclaredDim; 4]>::try_from(dims) {
        Ok([batch, c, h, w]) => Ok(InputSignature {
            batch,
            image: [c, h, w],
        }),
        Err(dims) => bail!(
            "{}: the input has rank {}; a score model takes [batch, channels, height, width]",
            path.display(),
            dims.len()
        ),
    }
}
