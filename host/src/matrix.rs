//! A sensing matrix the receiver holds, loaded from a `.npy` file: frames of operator kind 3
//! (`dense`) name it by its fingerprint instead of carrying it (`docs/FRAME_FORMAT.md`).
//!
//! The fingerprint is the first 8 bytes of the SHA-256 of the matrix's `f32` values
//! (little-endian, row-major), read as a little-endian `u64`. 64 bits detect a wrong matrix
//! (another calibration, a transposed or re-scaled file) with a chance of a false match of
//! 2⁻⁶⁴; they are not a defence against someone forging a matrix to match.

use anyhow::{anyhow, bail, ensure, Context, Result};
use qcs_core::frame::{self, FrameHeader, NamedDense, OperatorKind};
use qcs_core::operator::{DenseOperator, Scaling};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The fingerprint of a row-major matrix's values (see the module documentation).
pub fn fingerprint(values: &[f32]) -> u64 {
    let mut h = Sha256::new();
    for v in values {
        h.update(v.to_le_bytes());
    }
    let digest = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

/// A dense `rows × cols` sensing matrix, its values as `f32` (row-major) and its fingerprint.
#[derive(Debug, Clone)]
pub struct SensingMatrix {
    /// Where it came from, for messages.
    pub path: PathBuf,
    /// Row-major values, all finite.
    pub values: Vec<f32>,
    /// `M`.
    pub rows: usize,
    /// `N`.
    pub cols: usize,
    /// [`fingerprint`] of `values`.
    pub fingerprint: u64,
}

impl SensingMatrix {
    /// Reads a 2-D `.npy` array of `float32` or `float64` (converted to `f32`, the values the
    /// fingerprint covers), in C or Fortran order. Refuses, before reading the values, a shape
    /// beyond the frame's limits (`M, N ≤ 2^24`) or one whose `f32` values need more than
    /// `max_bytes`. Errors name the file and what is wrong: not `.npy`, not 2-D, another
    /// dtype, a non-finite entry (with its row and column).
    pub fn load(path: &Path, max_bytes: u64) -> Result<Self> {
        let what = path.display();
        let file = std::fs::File::open(path).with_context(|| format!("{what}: cannot read"))?;
        let npy = npyz::NpyFile::new(std::io::BufReader::new(file))
            .map_err(|e| anyhow!("{what}: not a .npy array: {e}"))?;
        let shape = npy.shape().to_vec();
        let [rows, cols] = shape[..] else {
            bail!(
                "{what}: shape {shape:?}; a sensing matrix is 2-D, [M, N] (measurements × signal \
                 values)"
            );
        };
        for (name, v, limit) in [("M", rows, frame::MAX_M), ("N", cols, frame::MAX_N)] {
            ensure!(
                (1..=u64::from(limit)).contains(&v),
                "{what}: {name} = {v} is out of range: a frame allows 1 ..= {limit}"
            );
        }
        let bytes = rows * cols * 4;
        ensure!(
            bytes <= max_bytes,
            "{what}: a {rows} × {cols} matrix needs {} as f32, more than --max-memory {}",
            crate::budget::human_bytes(bytes),
            crate::budget::human_bytes(max_bytes)
        );
        let (rows, cols) = (rows as usize, cols as usize);
        let order = npy.order();
        let dtype = match npy.dtype() {
            npyz::DType::Plain(t) => t.to_string(),
            other => other.descr(),
        };
        let mut values: Vec<f32> = match dtype.as_str() {
            "<f4" | ">f4" => npy.into_vec::<f32>(),
            "<f8" | ">f8" => npy
                .into_vec::<f64>()
                .map(|v| v.into_iter().map(|x| x as f32).collect()),
            _ => bail!("{what}: dtype {dtype}; a sensing matrix is float32 or float64"),
        }
        .map_err(|e| anyhow!("{what}: cannot read the values: {e}"))?;
        if order == npyz::Order::Fortran {
            let mut c = vec![0.0; values.len()];
            for (k, v) in values.iter().enumerate() {
                let (i, j) = (k % rows, k / rows);
                c[i * cols + j] = *v;
            }
            values = c;
        }
        Self::new(values, rows, cols, path)
    }

    /// A matrix from row-major values (`label` names it in messages: a file, `matrix`).
    /// Errors: a shape beyond the frame's limits or other than `values.len()`, a non-finite
    /// entry (with its row and column).
    pub fn new(values: Vec<f32>, rows: usize, cols: usize, label: &Path) -> Result<Self> {
        let what = label.display();
        ensure!(
            (1..=frame::MAX_M as usize).contains(&rows)
                && (1..=frame::MAX_N as usize).contains(&cols),
            "{what}: {rows} × {cols} is out of range: a frame allows M, N in 1 ..= 2^24"
        );
        ensure!(
            rows.checked_mul(cols) == Some(values.len()),
            "{what}: {} values for a {rows} × {cols} matrix",
            values.len()
        );
        if let Some(k) = values.iter().position(|v| !v.is_finite()) {
            bail!(
                "{what}: entry [{}, {}] is {} (as f32); a sensing matrix is finite",
                k / cols,
                k % cols,
                values[k]
            );
        }
        Ok(Self {
            path: label.to_path_buf(),
            fingerprint: fingerprint(&values),
            values,
            rows,
            cols,
        })
    }

    /// The matrix as an operator.
    pub fn operator(&self) -> Result<DenseOperator<'_>> {
        DenseOperator::new(&self.values, self.rows, self.cols)
            .map_err(|e| anyhow!("{}: {e}", self.path.display()))
    }

    /// The operator a sensor measures with: the matrix named by its fingerprint.
    pub fn named(&self, scaling: Scaling) -> Result<NamedDense<'_>> {
        Ok(NamedDense::new(self.operator()?, self.fingerprint, scaling))
    }

    /// Whether this is the matrix a frame of operator kind `dense` names: its shape `M × N`
    /// and its fingerprint (the frame's `seed`). `what` names the frame. Errors: a frame of
    /// another kind, another shape, another fingerprint.
    pub fn check_frame(&self, h: &FrameHeader<'_>, what: &str) -> Result<()> {
        let m = self.path.display();
        ensure!(
            h.operator.kind == OperatorKind::Dense,
            "--matrix {m}: {what} names a {} operator (regenerated from its seed); --matrix is \
             for frames of a dense operator",
            h.operator.kind
        );
        ensure!(
            (self.rows, self.cols) == (h.m(), h.n()),
            "--matrix {m}: {} × {}, but {what} declares M = {}, N = {}",
            self.rows,
            self.cols,
            h.m(),
            h.n()
        );
        ensure!(
            self.fingerprint == h.operator.seed,
            "--matrix {m}: fingerprint {:#018x}, but {what} names the matrix {:#018x} (field \
             `seed`): not the matrix the sensor measured with",
            self.fingerprint,
            h.operator.seed
        );
        Ok(())
    }
}
