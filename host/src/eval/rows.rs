//! The results CSV: one row per (cell, image).

use super::config::RowKey;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// One CSV row: a (cell, image) result.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Row {
    /// The experiment name.
    pub experiment: String,
    /// [`Method::name`](super::Method::name).
    pub method: String,
    /// Measurements M.
    pub m: usize,
    /// Bits (0: unquantized).
    pub bits: u8,
    /// Noise σ.
    pub sigma: f32,
    /// Sweep seed.
    pub seed: u64,
    /// Index into the shipped test split.
    pub image: usize,
    /// The digit's label.
    pub label: u8,
    /// PSNR of the clamped estimate, dB (peak 1).
    pub psnr_db: f32,
    /// SSIM of the clamped estimate (7 × 7 window).
    pub ssim: f32,
    /// Cosine similarity of the clamped estimate and the truth.
    pub cosine: f32,
    /// QCS-SGM with ≥ 2 samples: fraction of pixels with `|x − mean| ≤ 2·std`.
    pub coverage_2std: Option<f32>,
    /// QCS-SGM with ≥ 2 samples: Pearson correlation of the per-pixel std and `|x − mean|`.
    pub std_error_corr: Option<f32>,
    /// The chains diverged (a non-finite iterate); the metrics are then NaN and the row is
    /// counted, not averaged.
    pub diverged: bool,
    /// The call budget of the cell (0: the schedule as configured; rows of CSVs written
    /// before this column read as 0).
    #[serde(default)]
    pub calls: u64,
    /// Network calls per sample actually made (0 for the baselines).
    #[serde(default)]
    pub network_calls: u64,
    /// Wall time of the reconstruction, seconds.
    pub seconds: f64,
}

impl Row {
    /// The key of this row.
    pub fn key(&self) -> RowKey {
        (
            self.method.clone(),
            self.m,
            self.bits,
            self.sigma.to_bits(),
            self.seed,
            self.image,
            self.calls,
        )
    }
}

/// Reads the rows of a results CSV (none when the file does not exist).
pub fn read_rows(path: &Path) -> Result<Vec<Row>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let mut r = csv::Reader::from_path(path).with_context(|| format!("{}", path.display()))?;
    r.deserialize()
        .map(|row| row.with_context(|| format!("{}: bad row", path.display())))
        .collect()
}
/// The CSV of results in `out`.
pub fn csv_path(out: &Path) -> PathBuf {
    out.join("results.csv")
}
