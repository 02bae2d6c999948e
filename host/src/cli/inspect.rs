//! `qcs inspect`: what a frame holds, for a gateway engineer — header, operator, quantizer, a
//! summary of the codes, and whether the CRC matches.

use super::report::{f32_json, quantizer_json};
use anyhow::{anyhow, bail, Result};
use clap::Args;
use qcs_core::frame::{self, Frame, QuantizerSpec};
use qcs_host::frame_file;
use serde_json::{json, Value};
use std::path::PathBuf;

/// Options of `qcs inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The measurement frame.
    pub frame: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs `qcs inspect`: exit 0 for a valid frame; for a frame whose only fault is its CRC, the
/// header is still shown and the exit status is 1.
pub fn run(a: InspectArgs) -> Result<()> {
    let what = a.frame.display().to_string();
    let bytes = frame_file::read_frame(&a.frame)?;
    let n = bytes.len();
    let stored = u32::from_le_bytes([bytes[n - 4], bytes[n - 3], bytes[n - 2], bytes[n - 1]]);
    let computed = frame::crc32(&bytes[..n - 4]);
    // A CRC mismatch alone still lets the header be read, from a copy with the CRC replaced.
    let mut fixed = bytes.clone();
    fixed[n - 4..].copy_from_slice(&computed.to_le_bytes());
    let f = frame::decode(&fixed).map_err(|e| anyhow!("{what}: invalid frame: {e}"))?;
    let crc_ok = stored == computed;
    let v = describe(&f, &what, stored, computed)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print_text(&v);
    }
    if !crc_ok {
        bail!("{what}: CRC mismatch: stored {stored:#010x}, computed {computed:#010x}");
    }
    Ok(())
}

/// The frame as one JSON object.
fn describe(f: &Frame<'_>, what: &str, stored: u32, computed: u32) -> Result<Value> {
    let h = f.header();
    let s = h.signal;
    let core = |e: qcs_core::Error| anyhow!("{what}: {e}");
    let codes = match h.quantizer {
        QuantizerSpec::Unquantized => {
            let mut y = vec![0.0; h.m()];
            f.values(&mut y).map_err(core)?;
            let mean = y.iter().map(|&v| f64::from(v)).sum::<f64>() / y.len() as f64;
            json!({
                "values": {
                    "min": f32_json(y.iter().copied().fold(f32::INFINITY, f32::min)),
                    "max": f32_json(y.iter().copied().fold(f32::NEG_INFINITY, f32::max)),
                    "mean": f32_json(mean as f32),
                }
            })
        }
        q => {
            let mut c = vec![0u16; h.m()];
            f.unpack_codes(&mut c).map_err(core)?;
            let levels = 1usize << q.bits().unwrap_or(1);
            let mut hist = vec![0u64; levels];
            for &code in &c {
                hist[usize::from(code)] += 1;
            }
            let used = hist.iter().filter(|&&k| k > 0).count();
            let mut v = json!({
                "min": c.iter().min(),
                "max": c.iter().max(),
                "distinct": used,
            });
            if levels <= 16 {
                v["histogram"] = json!(hist);
            }
            v
        }
    };
    Ok(json!({
        "file": what,
        "bytes": f.as_bytes().len(),
        "crc": {
            "ok": stored == computed,
            "stored": format!("{stored:#010x}"),
            "computed": format!("{computed:#010x}"),
        },
        "version": frame::VERSION,
        "counter": h.counter,
        "signal": {"n": s.n, "height": s.height, "width": s.width, "channels": s.channels},
        "measurements": h.m(),
        "sigma": f32_json(h.sigma),
        "operator": {
            "kind": h.operator.kind.name(),
            "code": h.operator.kind.code(),
            "seed": h.operator.seed,
            "scaling": format!("{:?}", h.operator.scaling),
        },
        "quantizer": quantizer_json(&h.quantizer),
        "payload_bytes": f.payload().len(),
        "codes": codes,
    }))
}

fn print_text(v: &Value) {
    let s = &v["signal"];
    let shape = if s["height"] == 0 {
        format!("vector, N = {}", s["n"])
    } else {
        format!(
            "{}×{} image, {} channel(s), N = {}",
            s["height"], s["width"], s["channels"], s["n"]
        )
    };
    let crc = &v["crc"];
    println!(
        "file         {} ({} bytes)",
        v["file"].as_str().unwrap_or(""),
        v["bytes"]
    );
    println!(
        "crc          {} (stored {}, computed {})",
        if crc["ok"] == true { "ok" } else { "MISMATCH" },
        crc["stored"].as_str().unwrap_or(""),
        crc["computed"].as_str().unwrap_or("")
    );
    println!("version      {}, counter {}", v["version"], v["counter"]);
    println!("signal       {shape}");
    println!("measurements M = {}, σ = {}", v["measurements"], v["sigma"]);
    let op = &v["operator"];
    let seed = match (op["kind"].as_str(), op["seed"].as_u64()) {
        // A dense matrix is named by its fingerprint, written as `qcs reconstruct` reports it.
        (Some("dense"), Some(s)) => format!("matrix fingerprint {s:#018x} (not carried)"),
        _ => format!("seed {}", op["seed"]),
    };
    println!(
        "operator     {} (code {}), {seed}, scaling {}",
        op["kind"].as_str().unwrap_or(""),
        op["code"],
        op["scaling"].as_str().unwrap_or("")
    );
    let q = &v["quantizer"];
    let quantizer = match q["kind"].as_str() {
        Some("uniform") if q["bits"] == 1 => "1-bit signs (uniform, Q = 1)".to_string(),
        Some("uniform") => format!("{}-bit uniform, Δ = {}", q["bits"], q["delta"]),
        Some("thresholds") => format!(
            "{}-bit thresholds {}, codewords {}",
            q["bits"], q["thresholds"], q["codewords"]
        ),
        _ => "unquantized (f32 values)".to_string(),
    };
    println!("quantizer    {quantizer}");
    println!("payload      {} bytes", v["payload_bytes"]);
    let c = &v["codes"];
    if let Some(values) = c.get("values") {
        println!(
            "values       min {}, max {}, mean {}",
            values["min"], values["max"], values["mean"]
        );
    } else {
        println!(
            "codes        min {}, max {}, {} distinct{}",
            c["min"],
            c["max"],
            c["distinct"],
            c.get("histogram")
                .map(|h| format!("; counts per code {h}"))
                .unwrap_or_default()
        );
    }
}
