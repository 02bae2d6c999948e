//! Image-quality metrics of the paper's experiments (§4): PSNR, cosine similarity and SSIM.
//!
//! Images are flat `f32` slices with values in `[0, 1]` (data range 1, as the authors use);
//! the functions do not clip or check the range. Colour images are channel-last (HWC):
//! the value of row `i`, column `j`, channel `k` is at `(i·width + j)·channels + k`.
//!
//! Everything accumulates in `f64` (metrics are not a hot path), so the results agree with
//! scikit-image run in `float64` on the same `f32` values to about `1e-7`, and nothing
//! allocates.

use crate::{Error, Result};

/// The SSIM window side (scikit-image's `win_size=7`).
pub const SSIM_WINDOW: usize = 7;

/// SSIM constant `K1` (scikit-image default).
pub const SSIM_K1: f64 = 0.01;

/// SSIM constant `K2` (scikit-image default).
pub const SSIM_K2: f64 = 0.03;

/// Checks that `x` and `y` are non-empty, of equal length, and finite.
fn check_pair(x: &[f32], y: &[f32]) -> Result<()> {
    if x.is_empty() {
        return Err(Error::Empty { field: "x" });
    }
    Error::check_len("y", x.len(), y.len())?;
    Error::check_finite("x", x)?;
    Error::check_finite("y", y)
}

/// Mean squared error in `f64`, after the checks of [`mse`].
fn mse_f64(x: &[f32], y: &[f32]) -> Result<f64> {
    check_pair(x, y)?;
    let sum: f64 = x
        .iter()
        .zip(y)
        .map(|(&a, &b)| {
            let d = f64::from(a) - f64::from(b);
            d * d
        })
        .sum();
    Ok(sum / x.len() as f64)
}

/// Mean squared error `‖x − y‖² / n`, accumulated in `f64`.
///
/// Errors: [`Error::Empty`] for empty `x`; [`Error::DimensionMismatch`] unless
/// `y.len() == x.len()`; [`Error::NonFinite`] for a NaN or `±∞` in either.
pub fn mse(x: &[f32], y: &[f32]) -> Result<f32> {
    Ok(mse_f64(x, y)? as f32)
}

/// Peak signal-to-noise ratio in dB for data range 1: `10·log10(1/MSE)`, as the authors
/// compute it (scikit-image `peak_signal_noise_ratio(x, y, data_range=1)`).
///
/// Identical images (MSE 0) give `f32::INFINITY`, the limit of the formula and what
/// scikit-image returns; callers averaging PSNR over images should treat it specially.
///
/// Errors: those of [`mse`].
pub fn psnr(x: &[f32], y: &[f32]) -> Result<f32> {
    let m = mse_f64(x, y)?;
    if m == 0.0 {
        return Ok(f32::INFINITY);
    }
    Ok((-10.0 * libm::log10(m)) as f32)
}

/// Cosine similarity `⟨x, y⟩ / (‖x‖·‖y‖)` of the flattened images, accumulated in `f64`.
///
/// A zero vector has no direction, so the similarity is undefined: this is an error rather
/// than a silent 0 (which would bias averages over a test set).
///
/// Errors: those of [`mse`]; [`Error::InvalidParameter`] (field `"x"` or `"y"`, value 0)
/// when either vector is all zeros.
pub fn cosine_similarity(x: &[f32], y: &[f32]) -> Result<f32> {
    check_pair(x, y)?;
    let (mut xy, mut xx, mut yy) = (0.0f64, 0.0f64, 0.0f64);
    for (&a, &b) in x.iter().zip(y) {
        let (a, b) = (f64::from(a), f64::from(b));
        xy += a * b;
        xx += a * a;
        yy += b * b;
    }
    for (field, norm2) in [("x", xx), ("y", yy)] {
        if norm2 == 0.0 {
            return Err(Error::InvalidParameter {
                field,
                value: 0.0,
                expected: "a non-zero vector",
            });
        }
    }
    Ok((xy / (libm::sqrt(xx) * libm::sqrt(yy))) as f32)
}

/// Window sums `Σx, Σy, Σx², Σy², Σxy` of one SSIM window.
#[derive(Clone, Copy, Default)]
struct Sums {
    x: f64,
    y: f64,
    xx: f64,
    yy: f64,
    xy: f64,
}

impl Sums {
    /// Adds (`sign = 1`) or removes (`sign = −1`) the window column `col` of channel `ch`,
    /// rows `row..row + 7`.
    fn column(
        &mut self,
        img: (&[f32], &[f32]),
        dims: (usize, usize),
        at: (usize, usize),
        sign: f64,
    ) {
        let (x, y) = img;
        let (width, channels) = dims;
        let (row, col) = at;
        for r in row..row + SSIM_WINDOW {
            let idx = (r * width + col) * channels;
            let a = x.get(idx).map_or(0.0, |&v| f64::from(v));
            let b = y.get(idx).map_or(0.0, |&v| f64::from(v));
            self.x += sign * a;
            self.y += sign * b;
            self.xx += sign * (a * a);
            self.yy += sign * (b * b);
            self.xy += sign * (a * b);
        }
    }

    /// The SSIM of the window with these sums (Wang et al. 2004, as scikit-image computes it
    /// with `use_sample_covariance=True`).
    fn ssim(&self) -> f64 {
        let n = (SSIM_WINDOW * SSIM_WINDOW) as f64;
        let cov_norm = n / (n - 1.0);
        let (ux, uy) = (self.x / n, self.y / n);
        let (uxx, uyy, uxy) = (self.xx / n, self.yy / n, self.xy / n);
        let vx = cov_norm * (uxx - ux * ux);
        let vy = cov_norm * (uyy - uy * uy);
        let vxy = cov_norm * (uxy - ux * uy);
        let c1 = SSIM_K1 * SSIM_K1;
        let c2 = SSIM_K2 * SSIM_K2;
        let a1 = 2.0 * ux * uy + c1;
        let a2 = 2.0 * vxy + c2;
        let b1 = ux * ux + uy * uy + c1;
        let b2 = vx + vy + c2;
        (a1 * a2) / (b1 * b2)
    }
}

/// Checks `value ≥ 7` for an SSIM image side.
fn check_side(field: &'static str, value: usize) -> Result<()> {
    if value >= SSIM_WINDOW {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            field,
            value: value as f64,
            expected: "at least 7 (the SSIM window side)",
        })
    }
}

/// Structural similarity index exactly as the authors call scikit-image's
/// `structural_similarity(x, y, data_range=1, win_size=7)` (with `channel_axis=-1` for colour).
///
/// Per window (Wang et al. 2004): `SSIM = (2μxμy + C1)(2σxy + C2) / ((μx² + μy² + C1)(σx² + σy² + C2))`
/// with a 7×7 uniform window, `C1 = (K1·1)²`, `C2 = (K2·1)²`, `K1 = 0.01`, `K2 = 0.03`, and
/// sample (co)variances (× 49/48). The index is the mean over all windows that lie fully
/// inside the image, that is over the `(height − 6)·(width − 6)` window centres left after
/// scikit-image crops 3 pixels on each side (so no border padding is involved); for
/// `channels > 1` it is the mean of the per-channel indices. Layout: channel-last (HWC).
/// Window sums are kept running along each row of windows, in `f64`.
///
/// Errors: [`Error::InvalidParameter`] for `height < 7` or `width < 7`; [`Error::Empty`] for
/// `channels = 0`; [`Error::InvalidParameter`] when `height·width·channels` overflows;
/// [`Error::DimensionMismatch`] unless `x` and `y` hold `height·width·channels` values;
/// [`Error::NonFinite`] for a NaN or `±∞`.
pub fn ssim(x: &[f32], y: &[f32], height: usize, width: usize, channels: usize) -> Result<f32> {
    check_side("height", height)?;
    check_side("width", width)?;
    if channels == 0 {
        return Err(Error::Empty { field: "channels" });
    }
    let len = height
        .checked_mul(width)
        .and_then(|hw| hw.checked_mul(channels))
        .ok_or(Error::InvalidParameter {
            field: "height",
            value: height as f64,
            expected: "height·width·channels representable in usize",
        })?;
    Error::check_len("x", len, x.len())?;
    Error::check_len("y", len, y.len())?;
    Error::check_finite("x", x)?;
    Error::check_finite("y", y)?;

    let rows = height - (SSIM_WINDOW - 1);
    let cols = width - (SSIM_WINDOW - 1);
    let dims = (width, channels);
    let mut total = 0.0f64;
    for ch in 0..channels {
        // Shift the slices so that channel `ch` sits at offset 0 of each pixel.
        let (xc, yc) = (x.get(ch..).unwrap_or(&[]), y.get(ch..).unwrap_or(&[]));
        let mut channel_sum = 0.0f64;
        for row in 0..rows {
            let mut sums = Sums::default();
            for col in 0..SSIM_WINDOW {
                sums.column((xc, yc), dims, (row, col), 1.0);
            }
            channel_sum += sums.ssim();
            for col in 1..cols {
                sums.column((xc, yc), dims, (row, col - 1), -1.0);
                sums.column((xc, yc), dims, (row, col + SSIM_WINDOW - 1), 1.0);
                channel_sum += sums.ssim();
            }
        }
        total += channel_sum / (rows * cols) as f64;
    }
    Ok((total / channels as f64) as f32)
}
