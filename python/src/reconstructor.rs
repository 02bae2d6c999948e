//! `qcs.Reconstructor`: the NCSNv2 model loaded once, reconstructing frames as
//! `qcs reconstruct` does.

use crate::frame_class::frame_bytes;
use crate::{os_error, scaling_name, sensing_matrix, value_or_os_error, METHOD, QCS_SGM};
use anyhow::{anyhow, Result};
use numpy::{PyArray1, PyArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};
use qcs_core::langevin::Schedule;
use qcs_host::budget::{self, DEFAULT_MAX_MEMORY};
use qcs_host::data;
use qcs_host::matrix::SensingMatrix;
use qcs_host::model::{Device, ScoreModel};
use qcs_host::pnp::{self, reconstruct_pnp, PnpOptions, PnpSettings};
use qcs_host::prior::{NetworkPrior, PriorConfig};
use qcs_host::problem::Problem;
use qcs_host::reconstruct::{
    budget_levels, default_balance, default_epsilon, reconstruct, SamplerSettings,
};
use std::path::PathBuf;
use std::sync::Mutex;

/// A network prior kept for the next frame of the same shape and number of samples.
struct CachedPrior {
    shape: [usize; 3],
    chains: usize,
    prior: NetworkPrior,
}

/// One frame, checked and ready to sample.
struct Job {
    what: String,
    problem: Problem,
    shape: [usize; 3],
    settings: JobSettings,
}

/// The settings of the reconstructor's sampler.
enum JobSettings {
    /// Algorithm 1.
    QcsSgm(SamplerSettings),
    /// The plug-and-play sampler.
    Pnp(PnpSettings),
}

impl JobSettings {
    fn chains(&self) -> usize {
        match self {
            JobSettings::QcsSgm(s) => s.chains,
            JobSettings::Pnp(s) => s.chains,
        }
    }

    fn seed(&self) -> u64 {
        match self {
            JobSettings::QcsSgm(s) => s.seed,
            JobSettings::Pnp(s) => s.seed,
        }
    }

    /// The schedule as `report["schedule"]`.
    fn schedule_json(&self) -> serde_json::Value {
        match self {
            JobSettings::QcsSgm(settings) => {
                let s = &settings.schedule;
                serde_json::json!({
                    "beta_max": s.beta_max,
                    "beta_min": s.beta_min,
                    "levels": s.levels,
                    "steps_per_level": s.steps_per_level,
                    "epsilon": s.epsilon,
                })
            }
            JobSettings::Pnp(settings) => {
                let s = &settings.schedule;
                serde_json::json!({
                    "sigma_max": s.sigma_max,
                    "sigma_min": s.sigma_min,
                    "levels": s.levels,
                    "lambda": s.lambda,
                    "zeta": s.zeta,
                    "data_steps": s.data_steps,
                    "step_scale": s.step_scale,
                    "kappa": s.kappa,
                    "center": settings.center,
                })
            }
        }
    }
}

/// What one reconstruction gives back, before it becomes numpy arrays.
struct Output {
    mean: Vec<f32>,
    std: Vec<f32>,
    samples: Vec<f32>,
    report: serde_json::Value,
}

/// The schedule options of `reconstruct` (`None`: the paper's MNIST values, ε by the frame).
#[derive(Clone, Copy)]
struct ScheduleOptions {
    beta_max: Option<f32>,
    beta_min: Option<f32>,
    levels: Option<u32>,
    steps: Option<u32>,
    epsilon: Option<f32>,
}

/// The NCSNv2 model loaded once, reconstructing frames; see `qcs.Reconstructor`.
#[pyclass(frozen, subclass, module = "qcs._qcs")]
pub(crate) struct Reconstructor {
    model: ScoreModel,
    model_path: PathBuf,
    device: Device,
    threads: Option<usize>,
    plan_batch: Option<usize>,
    max_memory: u64,
    cache: Mutex<Vec<CachedPrior>>,
    method: &'static str,
    calls: Option<u64>,
}

impl Reconstructor {
    /// The prior configuration for `chains` chains, as `qcs reconstruct` builds it.
    fn prior_config(&self, chains: usize) -> Result<PriorConfig> {
        PriorConfig::with_options(self.device, chains, self.threads, self.plan_batch)
    }

    /// The checks of `qcs reconstruct` before any work (header, model input, memory), then
    /// the decoded problem and its settings.
    fn job(
        &self,
        bytes: &[u8],
        what: String,
        chains: usize,
        seed: u64,
        o: ScheduleOptions,
        matrix: Option<&SensingMatrix>,
    ) -> Result<Job> {
        let config = self.prior_config(chains)?;
        budget::preflight(bytes, &what, &self.model, &config, chains, self.max_memory)?;
        let problem = Problem::from_frame_with(bytes, &what, matrix)?;
        let shape = problem.image_shape(&what)?;
        let settings = if self.method == pnp::METHOD {
            if o.steps.is_some() || o.epsilon.is_some() {
                anyhow::bail!(
                    "steps and epsilon do not apply to method \"{}\"",
                    pnp::METHOD
                );
            }
            let levels = match (self.calls, o.levels) {
                (Some(_), Some(_)) => anyhow::bail!("give calls or levels, not both"),
                (Some(c), None) => {
                    Some(u32::try_from(c).map_err(|_| anyhow!("calls = {c}: too many levels"))?)
                }
                (None, l) => l,
            };
            let schedule = PnpOptions {
                sigma_max: o.beta_max,
                sigma_min: o.beta_min,
                levels,
                ..PnpOptions::default()
            }
            .schedule()
            .map_err(|e| anyhow!("schedule options: {e}"))?;
            JobSettings::Pnp(PnpSettings {
                schedule,
                chains,
                seed,
                center: PnpSettings::CENTER,
                warm_start: false,
            })
        } else {
            let p = Schedule::PAPER_MNIST;
            let steps = o.steps.unwrap_or(p.steps_per_level);
            // A budget of network calls: ⌊calls / steps⌋ levels over the same β range, as
            // `qcs reconstruct --calls` (no denoising step here).
            let levels = match (self.calls, o.levels) {
                (Some(_), Some(_)) => anyhow::bail!("give calls or levels, not both"),
                (Some(c), None) => {
                    budget_levels(c, steps, false).map_err(|e| anyhow!("calls = {c}: {e}"))?
                }
                (None, l) => l.unwrap_or(p.levels),
            };
            let schedule = Schedule::new(
                o.beta_max.unwrap_or(p.beta_max),
                o.beta_min.unwrap_or(p.beta_min),
                levels,
                steps,
                o.epsilon
                    .unwrap_or_else(|| default_epsilon(&problem.observed)),
            )
            .map_err(|e| anyhow!("schedule options: {e}"))?;
            JobSettings::QcsSgm(SamplerSettings {
                schedule,
                chains,
                seed,
                denoise: false,
                warm_start: false,
                balance: default_balance(false),
            })
        };
        Ok(Job {
            what,
            problem,
            shape,
            settings,
        })
    }

    /// Samples one job (no Python objects: runs with the GIL released).
    fn run(&self, job: &Job) -> Result<Output> {
        let t0 = std::time::Instant::now();
        let mut cache = self
            .cache
            .lock()
            .map_err(|_| anyhow!("a previous reconstruction panicked"))?;
        let chains = job.settings.chains();
        let pos = cache
            .iter()
            .position(|c| c.shape == job.shape && c.chains == chains);
        let idx = match pos {
            Some(i) => i,
            None => {
                let prior =
                    NetworkPrior::new(&self.model, job.shape, chains, self.prior_config(chains)?)?;
                // One prior per (shape, samples) in use; a few at most.
                if cache.len() >= 4 {
                    cache.remove(0);
                }
                cache.push(CachedPrior {
                    shape: job.shape,
                    chains,
                    prior,
                });
                cache.len() - 1
            }
        };
        let prior = &mut cache[idx].prior;
        let (calls0, busy0) = (prior.calls(), prior.busy());
        let op = job.problem.operator()?;
        let lik = job.problem.likelihood()?;
        let rec = match &job.settings {
            JobSettings::QcsSgm(s) => reconstruct(&*op, lik, s, prior, None, |_| {}),
            JobSettings::Pnp(s) => reconstruct_pnp(&*op, lik, s, prior, None, |_| {}),
        }
        .map_err(|e| e.context(job.what.clone()))?;
        let busy = (prior.busy() - busy0).as_secs_f64();
        let p = &job.problem;
        let [_, h, w] = job.shape;
        let report = serde_json::json!({
            "qcs_version": env!("CARGO_PKG_VERSION"),
            "frame": job.what,
            "method": self.method,
            "signal": {"height": h, "width": w, "n": h * w},
            "measurements": p.observed.len(),
            "kind": p.observed.kind(),
            "bits": p.bits,
            "sigma": p.sigma,
            "operator": {
                "kind": p.operator_spec.kind.name(),
                "seed": p.operator_spec.seed,
                "scaling": scaling_name(p.operator_spec.scaling),
            },
            "frame_counter": p.counter,
            "schedule": job.settings.schedule_json(),
            "samples": chains,
            "chain_seed": job.settings.seed(),
            "model": self.model_path,
            "device": self.device,
            "threads": prior.threads(),
            "network_calls": prior.calls() - calls0,
            "seconds": rec.seconds,
            "network_seconds": busy,
            "share_outside_network": 1.0 - busy / rec.seconds.max(1e-9),
            "call_seconds": t0.elapsed().as_secs_f64(),
        });
        Ok(Output {
            mean: rec.mean,
            std: rec.std,
            samples: rec.samples,
            report,
        })
    }
}

#[pymethods]
impl Reconstructor {
    /// Loads the model once; see `qcs.Reconstructor`.
    #[new]
    #[pyo3(signature = (model=None, device="cpu", method=METHOD, calls=None, threads=None,
        plan_batch=None, max_memory=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        model: Option<PathBuf>,
        device: &str,
        method: &str,
        calls: Option<u64>,
        threads: Option<i64>,
        plan_batch: Option<i64>,
        max_memory: Option<u64>,
    ) -> PyResult<Self> {
        let v = |m: String| PyValueError::new_err(m);
        let method: &'static str = match method {
            QCS_SGM => QCS_SGM,
            pnp::METHOD => pnp::METHOD,
            _ => {
                return Err(v(format!(
                    "method {method:?}: expected \"{QCS_SGM}\" (the paper's Algorithm 1) or \
                     \"{}\" (DiffPIR with the quantized likelihood, the default)",
                    pnp::METHOD
                )))
            }
        };
        let device = match device {
            "cpu" => Device::Cpu,
            "cuda" => Device::Cuda,
            other => return Err(v(format!("--device {other}: expected cpu or cuda"))),
        };
        if device == Device::Cuda && !cfg!(feature = "gpu") {
            return Err(v(
                "--device cuda: this qcs was built without the `gpu` feature \
                          (pip install ./python --config-settings=build-args='--features gpu')"
                    .into(),
            ));
        }
        let positive = |name: &str, x: Option<i64>| -> PyResult<Option<usize>> {
            match x {
                Some(t) if t < 1 => Err(v(format!("--{name} must be at least 1, got {t}"))),
                Some(t) => Ok(Some(t as usize)),
                None => Ok(None),
            }
        };
        let threads = positive("threads", threads)?;
        let plan_batch = positive("plan-batch", plan_batch)?;
        let model_path = model.unwrap_or_else(|| data::models_dir().join("ncsnv2-mnist.onnx"));
        let loaded = py.detach(|| ScoreModel::load(&model_path));
        let model = loaded.map_err(|e| {
            if model_path.is_file() {
                value_or_os_error(e)
            } else {
                os_error(e)
            }
        })?;
        Ok(Reconstructor {
            model,
            model_path,
            device,
            threads,
            plan_batch,
            max_memory: max_memory.unwrap_or(DEFAULT_MAX_MEMORY),
            cache: Mutex::new(Vec::new()),
            method,
            calls,
        })
    }

    /// The model file.
    #[getter]
    fn model(&self) -> PathBuf {
        self.model_path.clone()
    }

    /// `cpu` or `cuda`.
    #[getter]
    fn device(&self) -> &'static str {
        match self.device {
            Device::Cpu => "cpu",
            Device::Cuda => "cuda",
        }
    }

    /// The sampler's name.
    #[getter]
    fn method(&self) -> &'static str {
        self.method
    }

    /// Reconstructs one frame, or a list of frames; see `qcs.Reconstructor.reconstruct`.
    /// Returns `(mean, std, samples, report_json)` per frame.
    #[pyo3(signature = (frames, samples=4, seed=0, *, levels=None, steps=None, beta_max=None,
        beta_min=None, epsilon=None, matrix=None))]
    #[allow(clippy::too_many_arguments)]
    fn reconstruct<'py>(
        &self,
        py: Python<'py>,
        frames: &Bound<'py, PyAny>,
        samples: i64,
        seed: u64,
        levels: Option<u32>,
        steps: Option<u32>,
        beta_max: Option<f32>,
        beta_min: Option<f32>,
        epsilon: Option<f32>,
        matrix: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let matrix = matrix.map(|a| sensing_matrix(a, "matrix")).transpose()?;
        if samples < 1 {
            return Err(PyValueError::new_err(format!(
                "--samples must be at least 1, got {samples}"
            )));
        }
        let chains = samples as usize;
        let options = ScheduleOptions {
            beta_max,
            beta_min,
            levels,
            steps,
            epsilon,
        };
        let (inputs, single) = match frame_bytes(frames, "frame")? {
            Some(one) => (vec![one], true),
            None => {
                let mut all = Vec::new();
                for (i, item) in frames.try_iter()?.enumerate() {
                    let label = format!("frames[{i}]");
                    all.push(frame_bytes(&item?, &label)?.ok_or_else(|| {
                        PyValueError::new_err(format!(
                            "{label}: expected bytes, bytearray, a Frame or a path"
                        ))
                    })?);
                }
                (all, false)
            }
        };
        let jobs = inputs
            .into_iter()
            .map(|(bytes, what)| self.job(&bytes, what, chains, seed, options, matrix.as_ref()))
            .collect::<Result<Vec<_>>>()
            .map_err(value_or_os_error)?;
        // The sampling runs without the GIL: other Python threads go on meanwhile.
        let outputs = py
            .detach(|| jobs.iter().map(|j| self.run(j)).collect::<Result<Vec<_>>>())
            .map_err(value_or_os_error)?;
        let json = py.import("json")?;
        let mut results = Vec::with_capacity(outputs.len());
        for (job, out) in jobs.iter().zip(outputs) {
            // (H, W) images for one channel, (H, W, C) channels last (the frame's layout) for
            // several; samples with a leading chain axis.
            let [c, h, w] = job.shape;
            let image = |v: Vec<f32>| -> PyResult<Bound<'_, PyAny>> {
                let a = PyArray1::from_vec(py, v);
                Ok(if c == 1 {
                    a.reshape([h, w])?.into_any()
                } else {
                    a.reshape([h, w, c])?.into_any()
                })
            };
            let samples = PyArray1::from_vec(py, out.samples);
            let samples = if c == 1 {
                samples.reshape([chains, h, w])?.into_any()
            } else {
                samples.reshape([chains, h, w, c])?.into_any()
            };
            let report = json.call_method1("loads", (out.report.to_string(),))?;
            results.push(PyTuple::new(
                py,
                [image(out.mean)?, image(out.std)?, samples, report],
            )?);
        }
        if single {
            Ok(results.remove(0).into_any())
        } else {
            Ok(PyList::new(py, results)?.into_any())
        }
    }
}
