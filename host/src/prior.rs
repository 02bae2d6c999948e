//! The NCSNv2 prior behind the core's [`ScorePrior`] trait: `s_θ(x, β) = body(x)/β`, the
//! batch of chains split over OS threads, each running its own plan state.
//!
//! tract runs one plan on one thread; several threads over batch-1 plans use every core
//! (what measured fastest on 2-core CPUs, see `shared/notes/model-and-runtime-probe.md`).
//!
//! The sampler keeps every image as the frame does, channels last (`[H, W, C]`, row-major);
//! the network takes channels first (`[C, H, W]`). For `C > 1` the prior transposes each
//! chain's image into a channels-first buffer before the network and the score back after it;
//! for `C = 1` the two layouts are the same and nothing is copied.

use crate::model::{Device, ScoreModel, ScorePlan, ScoreState};
use crate::shared_batch::{Member, SharedBatch};
use anyhow::{ensure, Result};
use qcs_core::langevin::ScorePrior;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How the prior runs the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriorConfig {
    /// Device of the plans.
    pub device: Device,
    /// Images per network call (the plan's batch); must divide the number of chains.
    pub plan_batch: usize,
    /// OS threads, each with its own plan state (at most chains / plan_batch are used).
    pub threads: usize,
}

impl PriorConfig {
    /// Batch-1 plans on every core for the CPU; one plan over the whole batch for a GPU.
    pub fn default_for(device: Device, chains: usize) -> Self {
        match device {
            Device::Cpu => PriorConfig {
                device,
                plan_batch: 1,
                threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            },
            Device::Cuda => PriorConfig {
                device,
                plan_batch: chains.max(1),
                threads: 1,
            },
        }
    }
}

impl PriorConfig {
    /// The device's defaults ([`default_for`](Self::default_for)) for `chains` chains, with
    /// `threads` and `plan_batch` (the options `--threads` and `--plan-batch`) over them.
    /// Errors: 0 threads; a plan batch that is 0 or does not divide the chains.
    pub fn with_options(
        device: Device,
        chains: usize,
        threads: Option<usize>,
        plan_batch: Option<usize>,
    ) -> Result<Self> {
        let mut config = Self::default_for(device, chains);
        if let Some(t) = threads {
            ensure!(t >= 1, "--threads must be at least 1, got {t}");
            config.threads = t;
        }
        if let Some(b) = plan_batch {
            ensure!(
                b >= 1 && chains.is_multiple_of(b),
                "--plan-batch {b} must be at least 1 and divide --samples {chains}"
            );
            config.plan_batch = b;
        }
        Ok(config)
    }
}

/// What runs the network for one frame.
#[derive(Debug)]
enum Runner {
    /// Its own plan states, one per thread, over groups of `plan_batch` chains.
    Threads {
        states: Vec<ScoreState>,
        plan_batch: usize,
    },
    /// A network call shared with the other frames in flight.
    Shared(Member),
}

/// The network prior for `chains` chains of images of shape `[C, H, W]`, which it receives
/// and returns channels last (`[H, W, C]`, the frame's layout).
#[derive(Debug)]
pub struct NetworkPrior {
    runner: Runner,
    shape: [usize; 3],
    chains: usize,
    calls: u64,
    busy: Duration,
    /// Channels-first copies of the input and the output when `C > 1` (empty otherwise).
    chw_in: Vec<f32>,
    chw_out: Vec<f32>,
}

impl NetworkPrior {
    /// Builds the plans (one optimization) and one state per thread.
    pub fn new(
        model: &ScoreModel,
        shape: [usize; 3],
        chains: usize,
        config: PriorConfig,
    ) -> Result<Self> {
        check_batch(chains, config.plan_batch)?;
        let plan = model.plan(config.device, config.plan_batch, shape)?;
        Self::from_plan(&plan, chains, config.threads)
    }

    /// One state per thread of an existing plan (plans are immutable and shared: frames of one
    /// image shape reuse one optimization). The plan's batch must divide `chains`; at most
    /// `chains / batch` of the `threads` are used.
    pub fn from_plan(plan: &ScorePlan, chains: usize, threads: usize) -> Result<Self> {
        let plan_batch = plan.batch();
        check_batch(chains, plan_batch)?;
        let threads = threads.clamp(1, chains / plan_batch);
        let states = (0..threads)
            .map(|_| plan.spawn())
            .collect::<Result<Vec<_>>>()?;
        let shape = plan.shape();
        Ok(Self::with_runner(
            Runner::Threads { states, plan_batch },
            shape,
            chains,
        ))
    }

    /// A prior whose network calls are shared with the other frames of `shared` (images of
    /// `shape`); this frame stays a member until the prior drops. `chains` must fit in the
    /// shared plan's batch.
    pub fn shared(shared: &Arc<SharedBatch>, shape: [usize; 3], chains: usize) -> Result<Self> {
        ensure!(chains >= 1, "at least one chain is needed");
        let batch = shared.batch();
        ensure!(
            chains <= batch,
            "{chains} chains do not fit in the shared plan's batch of {batch} images"
        );
        Ok(Self::with_runner(
            Runner::Shared(shared.join()?),
            shape,
            chains,
        ))
    }

    fn with_runner(runner: Runner, shape: [usize; 3], chains: usize) -> Self {
        let scratch = if shape[0] > 1 {
            chains * shape.iter().product::<usize>()
        } else {
            0
        };
        Self {
            runner,
            shape,
            chains,
            calls: 0,
            busy: Duration::ZERO,
            chw_in: vec![0.0; scratch],
            chw_out: vec![0.0; scratch],
        }
    }

    /// Threads in use (1 for a shared call).
    pub fn threads(&self) -> usize {
        match &self.runner {
            Runner::Threads { states, .. } => states.len(),
            Runner::Shared(_) => 1,
        }
    }

    /// Batched network evaluations so far (one per [`ScorePrior::score`] call).
    pub fn calls(&self) -> u64 {
        self.calls
    }

    /// Wall time spent inside the network so far (with a shared call, from handing the chains
    /// in to getting their scores back: the wait for the other frames included).
    pub fn busy(&self) -> Duration {
        self.busy
    }
}

impl ScorePrior for NetworkPrior {
    type Error = anyhow::Error;

    fn score(&mut self, x: &[f32], beta: f32, out: &mut [f32]) -> Result<()> {
        let image_len: usize = self.shape.iter().product();
        let len = self.chains * image_len;
        ensure!(
            x.len() == len && out.len() == len,
            "the prior was built for {} chains of {} values, got {} values",
            self.chains,
            image_len,
            x.len()
        );
        let t0 = Instant::now();
        let [c, h, w] = self.shape;
        if c > 1 {
            for (hwc, chw) in x.chunks(image_len).zip(self.chw_in.chunks_mut(image_len)) {
                hwc_to_chw(hwc, chw, c, h * w);
            }
            self.runner
                .run(&self.chw_in, &mut self.chw_out, self.chains, image_len)?;
            for (chw, hwc) in self
                .chw_out
                .chunks(image_len)
                .zip(out.chunks_mut(image_len))
            {
                chw_to_hwc(chw, hwc, c, h * w);
            }
        } else {
            self.runner.run(x, out, self.chains, image_len)?;
        }
        // s_θ(x, β) = body(x) / β (the model card's convention, NCSNv2's division by σ).
        for o in out.iter_mut() {
            *o /= beta;
        }
        self.calls += 1;
        self.busy += t0.elapsed();
        Ok(())
    }
}

impl Runner {
    /// `out ← body(x)` for `chains` images of `image_len` values (network layout).
    fn run(&mut self, x: &[f32], out: &mut [f32], chains: usize, image_len: usize) -> Result<()> {
        match self {
            Runner::Threads { states, plan_batch } => {
                let group = *plan_batch * image_len;
                let groups = chains / *plan_batch;
                let per_thread = groups.div_ceil(states.len()) * group;
                run_threads(states, x, out, group, per_thread)
            }
            Runner::Shared(member) => member.call(x, out),
        }
    }
}

/// At least one chain, and a plan batch that divides the chains.
fn check_batch(chains: usize, plan_batch: usize) -> Result<()> {
    ensure!(chains >= 1, "at least one chain is needed");
    ensure!(
        plan_batch >= 1 && chains.is_multiple_of(plan_batch),
        "--plan-batch {plan_batch} must be at least 1 and divide the number of chains ({chains})"
    );
    Ok(())
}

/// Runs the network over `x` into `out` (both network layout), `per_thread` values per state.
fn run_threads(
    states: &mut [ScoreState],
    x: &[f32],
    out: &mut [f32],
    group: usize,
    per_thread: usize,
) -> Result<()> {
    if states.len() == 1 {
        return run_groups(&mut states[0], x, out, group);
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = states
            .iter_mut()
            .zip(x.chunks(per_thread).zip(out.chunks_mut(per_thread)))
            .map(|(state, (xs, os))| s.spawn(move || run_groups(state, xs, os, group)))
            .collect();
        handles.into_iter().try_for_each(|h| {
            h.join()
                .map_err(|_| anyhow::anyhow!("a prior thread panicked"))?
        })
    })
}

/// One image from channels last (`[P, C]`, `P = H·W` pixels) to channels first (`[C, P]`).
pub fn hwc_to_chw(hwc: &[f32], chw: &mut [f32], channels: usize, pixels: usize) {
    for p in 0..pixels {
        for ch in 0..channels {
            chw[ch * pixels + p] = hwc[p * channels + ch];
        }
    }
}

/// One image from channels first (`[C, P]`) back to channels last (`[P, C]`).
pub fn chw_to_hwc(chw: &[f32], hwc: &mut [f32], channels: usize, pixels: usize) {
    for p in 0..pixels {
        for ch in 0..channels {
            hwc[p * channels + ch] = chw[ch * pixels + p];
        }
    }
}

fn run_groups(state: &mut ScoreState, x: &[f32], out: &mut [f32], group: usize) -> Result<()> {
    for (xg, og) in x.chunks(group).zip(out.chunks_mut(group)) {
        state.body(xg, og)?;
    }
    Ok(())
}
