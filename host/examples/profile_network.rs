//! Where tract spends the score network's time, node by node (issue 17): the shipped model (or
//! another) optimized exactly as the host's CPU plans are, run `--runs` times on one thread at
//! plan batch `--batch` on random images in [0, 1], each node's `eval` timed.
//!
//! ```text
//! target/release/examples/profile_network [MODEL.onnx] [--batch B] [--runs R] [--out tract.json]
//! ```
//!
//! Prints the time per call (also of plain runs without the per-node clock) and by tract
//! operator, and writes every node's time (ms per call, with
//! its name, which starts with the ONNX node's) to the JSON file, for
//! `host/benches/profile_compare.py` to set against onnxruntime's profiler.

use anyhow::{anyhow, bail, Context, Result};
use qcs_host::data;
use qcs_host::model::ScoreModel;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;
use tract_core::plan::{SimplePlan, SimpleState};
use tract_onnx::prelude::*;

struct Options {
    model: PathBuf,
    batch: usize,
    runs: usize,
    out: Option<PathBuf>,
}

fn options() -> Result<Options> {
    let mut o = Options {
        model: data::models_dir().join("ncsnv2-mnist.onnx"),
        batch: 1,
        runs: 50,
        out: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().with_context(|| format!("{name} needs a value"));
        match a.as_str() {
            "--batch" => o.batch = value("--batch")?.parse().context("--batch")?,
            "--runs" => o.runs = value("--runs")?.parse().context("--runs")?,
            "--out" => o.out = Some(value("--out")?.into()),
            s if s.starts_with("--") => bail!("unknown option {s}"),
            s => o.model = s.into(),
        }
    }
    if o.batch == 0 || o.runs == 0 {
        bail!("--batch and --runs must be at least 1");
    }
    Ok(o)
}

fn main() -> Result<()> {
    let o = options()?;
    let model = ScoreModel::load(&o.model)?;
    let shape = model
        .input()
        .fixed_image()
        .ok_or_else(|| anyhow!("{}: the image shape is not fixed", o.model.display()))?;
    let [c, h, w] = shape;
    let typed = model.typed(o.batch, shape)?;
    // What tract's CPU runtime does in `prepare`: optimize, then a plan.
    let optimized = typed.into_optimized().map_err(|e| anyhow!("{e:#}"))?;
    let plan = SimplePlan::new(optimized).map_err(|e| anyhow!("{e:#}"))?;
    let mut state = SimpleState::new(&plan).map_err(|e| anyhow!("{e:#}"))?;
    let n = o.batch * c * h * w;
    let mut rng = 0x9E37_79B9u32;
    let x: Vec<f32> = (0..n)
        .map(|_| {
            rng ^= rng << 13;
            rng ^= rng >> 17;
            rng ^= rng << 5;
            rng as f32 / u32::MAX as f32
        })
        .collect();
    let input = Tensor::from_shape(&[o.batch, c, h, w], &x).map_err(|e| anyhow!("{e:#}"))?;
    let nodes = plan.model().nodes().len();
    let mut per_node = vec![0f64; nodes];
    let mut total = 0f64;
    for run in 0..=o.runs {
        let t0 = Instant::now();
        let mut times: Vec<(usize, f64)> = Vec::with_capacity(nodes);
        state
            .run_plan_with_eval(
                tvec!(input.clone().into()),
                |ctx, op_state, node, inputs| {
                    let t = Instant::now();
                    let r = tract_core::plan::eval(ctx, op_state, node, inputs);
                    times.push((node.id, t.elapsed().as_secs_f64()));
                    r
                },
            )
            .map_err(|e| anyhow!("{e:#}"))?;
        // The first run warms caches and allocations: not counted.
        if run > 0 {
            total += t0.elapsed().as_secs_f64();
            for (id, t) in times {
                per_node[id] += t;
            }
        }
    }
    // The same number of plain runs, without the per-node clock: the figure to compare.
    let t0 = Instant::now();
    for _ in 0..o.runs {
        state
            .run(tvec!(input.clone().into()))
            .map_err(|e| anyhow!("{e:#}"))?;
    }
    let plain_ms = 1e3 * t0.elapsed().as_secs_f64() / o.runs as f64;
    let runs = o.runs as f64;
    let mut by_op: BTreeMap<String, (usize, f64)> = BTreeMap::new();
    let mut rows = Vec::new();
    for node in plan.model().nodes() {
        let ms = 1e3 * per_node[node.id] / runs;
        let op = node.op().name().to_string();
        let e = by_op.entry(op.clone()).or_default();
        e.0 += 1;
        e.1 += ms;
        rows.push(serde_json::json!({"name": node.name, "op": op, "ms": ms}));
    }
    let total_ms = 1e3 * total / runs;
    let mut ops: Vec<_> = by_op.into_iter().collect();
    ops.sort_by(|a, b| b.1 .1.total_cmp(&a.1 .1));
    println!(
        "tract, batch {}, {} nodes, {:.3} ms per call ({:.3} ms per image) without the \
         per-node clock, {:.3} ms with it; {} runs",
        o.batch,
        nodes,
        plain_ms,
        plain_ms / o.batch as f64,
        total_ms,
        o.runs
    );
    for (op, (count, ms)) in &ops {
        println!(
            "{op:<28} {count:>4} nodes {ms:>9.3} ms  {:>5.1} %",
            100.0 * ms / total_ms
        );
    }
    if let Some(out) = &o.out {
        let doc = serde_json::json!({
            "engine": "tract",
            "model": o.model.display().to_string(),
            "batch": o.batch,
            "runs": o.runs,
            "ms_per_call": total_ms,
            "plain_ms_per_call": plain_ms,
            "nodes": rows,
        });
        std::fs::write(out, serde_json::to_string_pretty(&doc)?)
            .with_context(|| format!("{}: cannot write", out.display()))?;
    }
    Ok(())
}
