//! Many frames in one run: `qcs reconstruct F1.qcsf F2.qcsf … --out DIR` (files, directories of
//! `*.qcsf`, quoted glob patterns). The model is parsed once and each image shape optimized
//! once; `--jobs` frames run at once, each on `--threads` threads, into one folder per frame
//! under DIR; a frame that fails (unreadable, invalid, refused by the pre-flight checks, a
//! diverged chain) is reported and skipped without stopping the others; `summary.csv` and
//! `summary.json` (the manifest, written last) list every frame.
//!
//! By default chains of different frames are not batched into one network call: on the CPU,
//! batch-1 plans on separate threads measured faster than larger batches (`BENCHMARKS.md`), so
//! frames share the cores instead, and the plans. With `--share-calls` the frames in flight
//! share each network call ([`qcs_host::shared_batch`]), what pays on a GPU.

use super::job::{prior_config, progress_bar, Job, Outcome, PlanCache};
use super::reconstruct::{load_matrix, truth_file, ReconstructArgs};
use super::report::f32_json;
use anyhow::{anyhow, bail, ensure, Context, Result};
use qcs_core::frame;
use qcs_host::budget::human_bytes;
use qcs_host::frame_file;
use qcs_host::model::{Device, ScoreModel};
use qcs_host::output::OutputDir;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// The summary's files; `summary.json` is the manifest, renamed last.
const SUMMARY: [&str; 2] = ["summary.csv", "summary.json"];

/// The frames named on the command line: a file as given, a directory as its `*.qcsf` files, a
/// path that does not exist but holds `*`, `?` or `[` as a glob pattern; each in sorted order.
/// Errors: a directory without frames, a pattern that matches nothing or is malformed.
pub fn expand(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut frames = Vec::new();
    for p in inputs {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("{}: cannot list the directory", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|q| q.is_file() && is_frame_name(q))
                .collect();
            found.sort();
            ensure!(
                !found.is_empty(),
                "{}: the directory holds no .qcsf frames",
                p.display()
            );
            frames.extend(found);
        } else if !p.exists() && is_pattern(p) {
            let pattern = p
                .to_str()
                .ok_or_else(|| anyhow!("{}: a pattern must be UTF-8", p.display()))?;
            let mut found = Vec::new();
            for entry in glob::glob(pattern)
                .map_err(|e| anyhow!("{pattern}: not a valid glob pattern: {e}"))?
            {
                let q = entry.map_err(|e| anyhow!("{pattern}: {e}"))?;
                if q.is_file() {
                    found.push(q);
                }
            }
            found.sort();
            ensure!(!found.is_empty(), "{pattern}: the pattern matches no file");
            frames.extend(found);
        } else {
            frames.push(p.clone());
        }
    }
    Ok(frames)
}

fn is_frame_name(p: &Path) -> bool {
    p.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("qcsf"))
}

fn is_pattern(p: &Path) -> bool {
    p.to_string_lossy().contains(['*', '?', '['])
}

/// One output folder name per frame: the file's stem, made unique with `-2`, `-3`, … (the
/// summary's names are taken).
pub fn folder_names(frames: &[PathBuf]) -> Vec<String> {
    let mut used: HashSet<String> = SUMMARY.iter().map(|s| s.to_string()).collect();
    frames
        .iter()
        .map(|f| {
            let stem = f
                .file_stem()
                .map_or_else(|| "frame".to_string(), |s| s.to_string_lossy().into_owned());
            let stem = if stem.is_empty() || stem.starts_with('.') {
                format!("frame{stem}")
            } else {
                stem
            };
            let mut name = stem.clone();
            let mut k = 2;
            while !used.insert(name.clone()) {
                name = format!("{stem}-{k}");
                k += 1;
            }
            name
        })
        .collect()
}

/// One frame's line of the summary.
struct Row {
    frame: String,
    folder: String,
    wall_s: f64,
    result: std::result::Result<Outcome, String>,
}

/// Runs many frames; fails (after writing the summary) when any frame failed.
pub fn run(a: &ReconstructArgs, frames: &[PathBuf]) -> Result<()> {
    ensure!(
        a.truth.is_none() && a.truth_digit.is_none(),
        "--truth and --truth-digit belong to one frame; with {} frames give --truth-dir",
        frames.len()
    );
    ensure!(!frames.is_empty(), "no frames to reconstruct");
    if let Some(d) = &a.truth_dir {
        ensure!(d.is_dir(), "--truth-dir {}: not a directory", d.display());
    }
    ensure!(
        !(a.share_calls && a.prior.plan_batch.is_some()),
        "--share-calls runs plans of --jobs × --samples images: leave out --plan-batch"
    );
    a.schedule.check_samples()?;
    let chains = a.schedule.samples;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut config = prior_config(&a.prior, chains)?;
    if a.prior.device == Device::Cpu {
        config.threads = a.prior.threads.unwrap_or(1);
    }
    let jobs = match a.jobs {
        Some(0) => bail!("--jobs must be at least 1, got 0"),
        Some(j) => j,
        None if a.prior.device == Device::Cuda => 1,
        None => (cores / config.threads).max(1),
    }
    .min(frames.len());
    // Every frame in flight may use its share of the limit.
    let max_memory = a.prior.max_memory / jobs as u64;
    // A device that cannot run here fails the run once, not every frame.
    a.prior.device.runtime()?;
    let matrix = load_matrix(a)?;
    let model = ScoreModel::load(&a.prior.model)?;
    let summary = OutputDir::prepare(&a.out, &SUMMARY, "--out")?;
    let names = folder_names(frames);
    let (plans, plan_batch, layout) = if a.share_calls {
        let batch = jobs * chains;
        (
            PlanCache::shared(&model, config, batch),
            batch,
            format!("sharing network calls of {batch} images"),
        )
    } else {
        (
            PlanCache::new(&model, config),
            config.plan_batch,
            format!("on {} thread(s) each", config.threads),
        )
    };
    eprintln!(
        "{} frames, {jobs} at once {layout} ({} samples × {}; memory limit {} per frame); \
         output in {}",
        frames.len(),
        chains,
        a.schedule.method.name(),
        human_bytes(max_memory),
        a.out.display()
    );
    let pb = progress_bar(frames.len() as u64, "frames, last {msg}");
    let next = AtomicUsize::new(0);
    let failed = AtomicUsize::new(0);
    let rows: Mutex<Vec<Option<Row>>> = Mutex::new((0..frames.len()).map(|_| None).collect());
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= frames.len() {
                    break;
                }
                let t = Instant::now();
                let dir = a.out.join(&names[i]);
                let job = |truth: Option<&super::job::Truth>, bytes: &[u8], what: &str| {
                    let job = Job {
                        bytes,
                        what,
                        truth,
                        prior: &a.prior,
                        schedule: &a.schedule,
                        extra: json!({"command": "reconstruct", "frames": frames.len()}),
                        model: &model,
                        config,
                        max_memory,
                        plans: Some(&plans),
                        quiet: true,
                        matrix: matrix.as_ref(),
                    };
                    let out = job.check(&dir, &[])?;
                    job.run(out)
                };
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    one_frame(&frames[i], a.truth_dir.as_deref(), job)
                }))
                .unwrap_or_else(|_| {
                    Err(anyhow!(
                        "{}: the reconstruction panicked",
                        frames[i].display()
                    ))
                })
                .map_err(|e| format!("{e:#}"));
                let row = Row {
                    frame: frames[i].display().to_string(),
                    folder: names[i].clone(),
                    wall_s: t.elapsed().as_secs_f64(),
                    result,
                };
                match &row.result {
                    Ok(o) => pb.set_message(format!("{}: {}", row.folder, describe(o))),
                    Err(e) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                        pb.suspend(|| eprintln!("skipped {e}"));
                    }
                }
                pb.inc(1);
                if let Ok(mut rows) = rows.lock() {
                    rows[i] = Some(row);
                }
            });
        }
    });
    pb.finish_and_clear();
    let seconds = t0.elapsed().as_secs_f64();
    let rows: Vec<Row> = rows
        .into_inner()
        .map_err(|_| anyhow!("a worker panicked while recording a frame"))?
        .into_iter()
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| anyhow!("a worker stopped before recording its frame"))?;
    let failed = failed.into_inner();
    write_csv(&summary.staged("summary.csv"), &rows)?;
    let doc = json!({
        "frames": rows.len(),
        "ok": rows.len() - failed,
        "failed": failed,
        "seconds": seconds,
        "frames_per_second": rows.len() as f64 / seconds.max(1e-9),
        "jobs": jobs,
        "threads_per_frame": config.threads,
        "plan_batch": plan_batch,
        "share_calls": a.share_calls,
        "method": a.schedule.method.name(),
        "model": a.prior.model.display().to_string(),
        "rows": rows.iter().map(row_json).collect::<Vec<_>>(),
    });
    std::fs::write(
        summary.staged("summary.json"),
        serde_json::to_string_pretty(&doc)?,
    )
    .map_err(|e| anyhow!("summary.json: cannot write: {e}"))?;
    summary.commit()?;
    println!(
        "{} of {} frames reconstructed in {seconds:.1} s ({:.3} frames/s); wrote {} and {}",
        rows.len() - failed,
        rows.len(),
        rows.len() as f64 / seconds.max(1e-9),
        a.out.join(SUMMARY[0]).display(),
        a.out.join(SUMMARY[1]).display()
    );
    ensure!(
        failed == 0,
        "{failed} of {} frames failed and were skipped (see {})",
        rows.len(),
        a.out.join(SUMMARY[0]).display()
    );
    Ok(())
}

/// Reads one frame (and its truth from `truth_dir`) and hands them to `job`.
fn one_frame(
    path: &Path,
    truth_dir: Option<&Path>,
    job: impl FnOnce(Option<&super::job::Truth>, &[u8], &str) -> Result<Outcome>,
) -> Result<Outcome> {
    let what = path.display().to_string();
    let bytes = frame_file::read_frame(path)?;
    let truth = match truth_dir {
        None => None,
        Some(dir) => {
            let stem = path
                .file_stem()
                .ok_or_else(|| anyhow!("{what}: no file name to find its truth by"))?;
            let png = dir.join(stem).with_extension("png");
            let raw = dir.join(stem).with_extension("f32");
            let p = if png.is_file() {
                png
            } else if raw.is_file() {
                raw
            } else {
                bail!(
                    "{what}: --truth-dir {} holds neither {} nor {}",
                    dir.display(),
                    png.display(),
                    raw.display()
                );
            };
            let channels = frame::decode(&bytes).map_or(1, |f| f.header().signal.channels.max(1));
            Some(truth_file(&p, channels as usize, "--truth-dir")?)
        }
    };
    job(truth.as_ref(), &bytes, &what)
}

fn describe(o: &Outcome) -> String {
    match o.metrics {
        Some([psnr, ..]) => format!("{psnr:.2} dB in {:.1} s", o.seconds),
        None => format!("{:.1} s", o.seconds),
    }
}

/// The columns of `summary.csv`.
const COLUMNS: [&str; 16] = [
    "frame",
    "folder",
    "status",
    "error",
    "height",
    "width",
    "channels",
    "measurements",
    "kind",
    "samples",
    "network_calls",
    "sampler_s",
    "wall_s",
    "psnr_db",
    "ssim",
    "cosine",
];

fn write_csv(path: &Path, rows: &[Row]) -> Result<()> {
    let mut w = csv::Writer::from_path(path)
        .with_context(|| format!("{}: cannot write", path.display()))?;
    w.write_record(COLUMNS)?;
    for r in rows {
        let mut rec = vec![r.frame.clone(), r.folder.clone()];
        match &r.result {
            Ok(o) => {
                let [c, h, wd] = o.shape;
                rec.extend([
                    "ok".into(),
                    String::new(),
                    h.to_string(),
                    wd.to_string(),
                    c.to_string(),
                    o.measurements.to_string(),
                    o.kind.into(),
                    o.samples.to_string(),
                    o.network_calls.to_string(),
                    format!("{:.3}", o.seconds),
                    format!("{:.3}", r.wall_s),
                ]);
                match o.metrics {
                    Some(m) => rec.extend(m.iter().map(|v| v.to_string())),
                    None => rec.extend([String::new(), String::new(), String::new()]),
                }
            }
            Err(e) => {
                rec.extend(["failed".into(), e.clone()]);
                rec.extend((0..8).map(|_| String::new()));
                rec.push(format!("{:.3}", r.wall_s));
                rec.extend([String::new(), String::new(), String::new()]);
            }
        }
        w.write_record(&rec)?;
    }
    w.flush()
        .with_context(|| format!("{}: cannot write", path.display()))
}

fn row_json(r: &Row) -> Value {
    let mut v = json!({"frame": r.frame, "folder": r.folder, "wall_s": r.wall_s});
    match &r.result {
        Ok(o) => {
            let [c, h, w] = o.shape;
            v["status"] = json!("ok");
            v["height"] = json!(h);
            v["width"] = json!(w);
            v["channels"] = json!(c);
            v["measurements"] = json!(o.measurements);
            v["kind"] = json!(o.kind);
            v["samples"] = json!(o.samples);
            v["network_calls"] = json!(o.network_calls);
            v["sampler_s"] = json!(o.seconds);
            if let Some([psnr, ssim, cosine]) = o.metrics {
                v["posterior_mean"] = json!({"psnr_db": f32_json(psnr), "ssim": f32_json(ssim), "cosine": f32_json(cosine)});
            }
        }
        Err(e) => {
            v["status"] = json!("failed");
            v["error"] = json!(e);
        }
    }
    v
}
