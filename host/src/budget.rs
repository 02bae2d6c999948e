//! What a reconstruction will hold in memory, computed from the frame header alone, so that a
//! receiver refuses work it cannot do before it allocates anything.

use crate::model::ScoreModel;
use crate::prior::PriorConfig;
use anyhow::{anyhow, bail, ensure, Result};
use qcs_core::frame::{self, FrameHeader, OperatorKind};

/// `f32` values each network plan keeps live per input value (activations and workspace); a
/// bound measured on the shipped NCSNv2 (ngf 16, peak under 40 MB in all at 28 × 28) with a
/// wide margin for wider models.
pub const NETWORK_FLOATS_PER_INPUT_VALUE: u64 = 256;

/// Default of `--max-memory`: 4 GiB.
pub const DEFAULT_MAX_MEMORY: u64 = 4 << 30;

/// The memory a reconstruction of one frame needs, in bytes, by what holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryEstimate {
    /// The operator: a seeded Gaussian `A` materialized as `M × N` `f32`; nothing for the
    /// structured operator.
    pub operator: u64,
    /// The decoded measurements and the sampler's buffers (iterates, scores, per-measurement
    /// vectors), with the outputs (samples, mean, std).
    pub sampler: u64,
    /// The network plans' activations, one plan state per thread.
    pub network: u64,
}

impl MemoryEstimate {
    /// For the frame `header`, `chains` posterior samples, and `plan_states` network states
    /// of `plan_batch` images each.
    pub fn for_frame(
        header: &FrameHeader<'_>,
        chains: usize,
        plan_batch: usize,
        plan_states: usize,
    ) -> Self {
        let (m, n) = (header.m() as u64, header.n() as u64);
        let chains = chains as u64;
        let f = 4u64; // bytes per f32
        let operator = match header.operator.kind {
            // Materialized from the seed, or the receiver's matrix copied for the frame.
            OperatorKind::SeededGaussian | OperatorKind::Dense => {
                m.saturating_mul(n).saturating_mul(f)
            }
            OperatorKind::Structured => 0,
        };
        // Codes, two bin edges and five per-measurement sampler vectors; iterates, prior
        // scores, raw and clamped samples per chain; gradient, mean and std.
        let sampler = (8 * m)
            .saturating_add(chains.saturating_mul(4 * n))
            .saturating_add(3 * n)
            .saturating_mul(f);
        let network = n
            .saturating_mul(NETWORK_FLOATS_PER_INPUT_VALUE)
            .saturating_mul(f)
            .saturating_mul((plan_batch * plan_states) as u64);
        MemoryEstimate {
            operator,
            sampler,
            network,
        }
    }

    /// The sum.
    pub fn total(&self) -> u64 {
        self.operator
            .saturating_add(self.sampler)
            .saturating_add(self.network)
    }

    /// An error naming what needs the memory when the total is over `limit` bytes.
    pub fn check(&self, limit: u64, what: &str) -> Result<()> {
        if self.total() <= limit {
            return Ok(());
        }
        let hint = if self.operator >= self.sampler.max(self.network) {
            "the dense M × N operator dominates: fewer measurements or the structured operator"
        } else if self.network >= self.sampler {
            "the network activations dominate: a smaller image, --threads or --plan-batch"
        } else {
            "the samples dominate: fewer --samples"
        };
        bail!(
            "{what}: this reconstruction needs about {} (operator {}, sampler {}, network {}), \
             more than --max-memory {}; {hint}, or raise --max-memory",
            human_bytes(self.total()),
            human_bytes(self.operator),
            human_bytes(self.sampler),
            human_bytes(self.network),
            human_bytes(limit)
        )
    }
}

/// Everything a receiver checks of a frame before it allocates: the header decodes, the signal
/// is an image, `σ` is in range, `model` takes the image in plans of `config`, and the run fits
/// in `max_memory` bytes. `what` names the frame in errors. Returns the frame's header and its
/// image shape `[C, H, W]`.
pub fn preflight<'a>(
    bytes: &'a [u8],
    what: &str,
    model: &ScoreModel,
    config: &PriorConfig,
    chains: usize,
    max_memory: u64,
) -> Result<(FrameHeader<'a>, [usize; 3])> {
    let f = frame::decode(bytes).map_err(|e| anyhow!("{what}: invalid frame: {e}"))?;
    let h = *f.header();
    let s = h.signal;
    ensure!(
        s.is_image(),
        "{what}: the frame's signal is a plain vector (N = {}, height/width/channels 0): \
         the network prior needs an image",
        s.n
    );
    let shape = [s.channels as usize, s.height as usize, s.width as usize];
    crate::sensing::check_sigma(h.sigma, &format!("{what}: field `sigma`"))?;
    model.check_input(shape, config.plan_batch, what)?;
    let states = config.threads.clamp(1, (chains / config.plan_batch).max(1));
    MemoryEstimate::for_frame(&h, chains, config.plan_batch, states).check(max_memory, what)?;
    Ok((h, shape))
}

/// `1536` → `"1.5 KiB"`.
pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Parses a size such as `4G`, `512M`, `4GiB`, `100000` (bytes): a whole number and an
/// optional binary unit `K`, `M`, `G`, `T` (with or without `iB`/`B`).
pub fn parse_bytes(s: &str) -> std::result::Result<u64, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let num: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a size such as 4G, 512M or 1000000"))?;
    let shift = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        "T" | "TB" | "TIB" => 40,
        other => return Err(format!("`{other}` in `{s}` is not a unit (K, M, G, T)")),
    };
    num.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("`{s}` is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_binary_units() {
        assert_eq!(parse_bytes("4G"), Ok(4 << 30));
        assert_eq!(parse_bytes("512MiB"), Ok(512 << 20));
        assert_eq!(parse_bytes("1000"), Ok(1000));
        assert_eq!(parse_bytes("3 k"), Ok(3 << 10));
        assert!(parse_bytes("4X").unwrap_err().contains("`X`"));
        assert!(parse_bytes("G").is_err());
        assert!(parse_bytes("99999999999T")
            .unwrap_err()
            .contains("too large"));
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(12), "12 B");
    }
}
