//! Statistics and the markdown table of a sweep.

use super::config::{Config, Job, RowKey};
use super::plot;
use super::rows::{csv_path, read_rows, Row};
use anyhow::Result;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

/// Fraction of pixels with `|truth − mean| ≤ 2·std` and the Pearson correlation of `std`
/// with `|truth − mean|` (0 when either is constant).
pub fn uncertainty(truth: &[f32], mean: &[f32], std: &[f32]) -> (f32, f32) {
    let n = truth.len().max(1) as f64;
    let err: Vec<f64> = truth
        .iter()
        .zip(mean)
        .map(|(&t, &m)| (t as f64 - m as f64).abs())
        .collect();
    let covered = err
        .iter()
        .zip(std)
        .filter(|(e, &s)| **e <= 2.0 * s as f64 + 1e-7)
        .count() as f64;
    let (me, ms) = (
        err.iter().sum::<f64>() / n,
        std.iter().map(|&s| s as f64).sum::<f64>() / n,
    );
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (e, &s) in err.iter().zip(std) {
        let (a, b) = (e - me, s as f64 - ms);
        sxy += a * b;
        sxx += a * a;
        syy += b * b;
    }
    let corr = if sxx > 0.0 && syy > 0.0 {
        sxy / (sxx * syy).sqrt()
    } else {
        0.0
    };
    ((covered / n) as f32, corr as f32)
}

/// Mean and sample standard deviation (0 for one value).
pub fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = if v.len() > 1 {
        v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (mean, var.sqrt())
}

/// The rows of each cell, over images and seeds: `(method, bits, σ bits, M, call budget)`.
pub(super) type Groups = BTreeMap<(String, u8, u32, usize, u64), Vec<Row>>;

fn groups(config: &Config, rows: Vec<Row>) -> Result<Groups> {
    let wanted: HashSet<RowKey> = config.jobs()?.iter().map(Job::key).collect();
    let mut g = Groups::new();
    for r in rows {
        if wanted.contains(&r.key()) {
            g.entry((r.method.clone(), r.bits, r.sigma.to_bits(), r.m, r.calls))
                .or_default()
                .push(r);
        }
    }
    Ok(g)
}

pub(super) fn bits_name(bits: u8) -> String {
    if bits == 0 {
        "unquantized".to_string()
    } else {
        format!("{bits}-bit")
    }
}

/// Writes `results.md` (mean ± std per cell and method), `{psnr,ssim,cosine}_q{Q}_s{σ}.svg`
/// (each metric against M, one line per method, error bars ±1 std) and
/// `panel_q{Q}_s{σ}.png` (truth in the first row, then one row per method and M, over the
/// first `panel_images` images of seed `seeds[0]`; a black tile where there is no estimate) in
/// `out`, from `out/results.csv`. Diverged rows are counted in the table, not averaged.
pub fn summarize(config: &Config, out: &Path) -> Result<()> {
    let rows = read_rows(&csv_path(out))?;
    let g = groups(config, rows)?;
    let prov = std::fs::read_to_string(out.join("provenance.txt")).unwrap_or_default();
    let mut md = format!(
        "# {}\n\nMNIST test split, digits {}..{} × seeds {:?}; mean ± sample std over images \
         and seeds of the clamped estimate (QCS-SGM: the posterior mean of {} sample(s)). {}\n\n\
         | method | bits | σ | M | calls | n | diverged | PSNR (dB) | SSIM | cosine | coverage ±2σ | corr(std, err) |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|\n",
        config.name,
        config.first_image,
        config.first_image + config.images,
        config.seeds,
        config.samples,
        prov.trim()
    );
    let mut keys: Vec<_> = g.keys().cloned().collect();
    keys.sort_by(|a, b| (a.1, a.2, a.3, &a.0, a.4).cmp(&(b.1, b.2, b.3, &b.0, b.4)));
    for k in &keys {
        let all = &g[k];
        let rs: Vec<&Row> = all.iter().filter(|r| !r.diverged).collect();
        let stat = |f: &dyn Fn(&Row) -> Option<f32>, digits: usize| {
            let v: Vec<f64> = rs.iter().filter_map(|r| f(r)).map(f64::from).collect();
            if v.is_empty() {
                return "–".to_string();
            }
            let (m, s) = mean_std(&v);
            format!("{m:.digits$} ± {s:.digits$}")
        };
        let calls = all.first().map_or(0, |r| r.network_calls);
        md += &format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            k.0,
            bits_name(k.1),
            f32::from_bits(k.2),
            k.3,
            if calls == 0 {
                "–".to_string()
            } else {
                calls.to_string()
            },
            rs.len(),
            all.len() - rs.len(),
            stat(&|r| Some(r.psnr_db), 2),
            stat(&|r| Some(r.ssim), 3),
            stat(&|r| Some(r.cosine), 3),
            stat(&|r| r.coverage_2std, 3),
            stat(&|r| r.std_error_corr, 3),
        );
    }
    std::fs::write(out.join("results.md"), md)?;
    plot::write_plots(config, &g, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncertainty_counts_coverage_and_correlation() {
        let truth = [0.0, 0.5, 1.0, 0.2];
        let mean = [0.1, 0.5, 0.5, 0.2];
        let std = [0.1, 0.0, 0.2, 0.0];
        // Errors 0.1, 0, 0.5, 0: covered where err ≤ 2·std: pixels 0, 1, 3.
        let (cov, corr) = uncertainty(&truth, &mean, &std);
        assert!((cov - 0.75).abs() < 1e-6, "{cov}");
        // Pearson of (0.1, 0, 0.5, 0) and (0.1, 0, 0.2, 0): 0.950654 (numpy.corrcoef).
        assert!((corr - 0.950654).abs() < 1e-4, "{corr}");
    }
}
