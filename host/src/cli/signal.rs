//! Where a signal comes from: a shipped test digit, a PNG, or a raw `f32` file.

use anyhow::{anyhow, bail, ensure, Context, Result};
use clap::Args;
use qcs_core::frame::{self, SignalShape};
use qcs_host::data;
use std::path::{Path, PathBuf};

/// Where a signal comes from.
#[derive(Debug, Args, Clone)]
#[group(required = true, multiple = false)]
pub struct SignalSource {
    /// A digit of the shipped MNIST test split (0..1000; digit i has label i mod 10).
    #[arg(long)]
    pub digit: Option<usize>,
    /// A PNG image in [0, 1] (grayscale; RGB with --channels 3).
    #[arg(long)]
    pub png: Option<PathBuf>,
    /// A raw little-endian f32 file (a vector; add --height/--width for an image).
    #[arg(long)]
    pub raw: Option<PathBuf>,
}

/// A signal and its shape.
pub struct Signal {
    /// The values, row-major.
    pub values: Vec<f32>,
    /// The shape written into the frame.
    pub shape: SignalShape,
    /// What it is, for messages.
    pub label: String,
}

/// Digit `index` of the shipped test split; `option` names the option in errors.
pub fn load_digit(index: usize, option: &str) -> Result<Signal> {
    let (images, labels) = data::shipped_test_digits()?;
    let values = images
        .image(index)
        .with_context(|| format!("{option} {index}"))?
        .to_vec();
    Ok(Signal {
        values,
        shape: SignalShape::image(images.rows as u32, images.cols as u32, 1)
            .map_err(|e| anyhow!("{e}"))?,
        label: format!("test digit {index} (label {})", labels[index]),
    })
}

/// The signal of `src`; `height`/`width` shape a raw file, `channels` (1 or 3) a PNG or a raw
/// image (channels last, the frame's layout).
pub fn load_signal(
    src: &SignalSource,
    height: Option<u32>,
    width: Option<u32>,
    channels: u32,
) -> Result<Signal> {
    if let Some(i) = src.digit {
        ensure!(
            channels == 1,
            "--channels {channels}: a --digit is a grayscale image (1 channel)"
        );
        return load_digit(i, "--digit");
    }
    if let Some(p) = &src.png {
        let img = data::read_png(p, channels as usize)?;
        return Ok(Signal {
            shape: SignalShape::image(img.rows as u32, img.cols as u32, channels)
                .map_err(|e| anyhow!("{}: {e}", p.display()))?,
            values: img.pixels,
            label: p.display().to_string(),
        });
    }
    let p = src
        .raw
        .as_ref()
        .context("one of --digit, --png, --raw is required")?;
    let shape = match (height, width) {
        (Some(h), Some(w)) => Some(image_shape(h, w, channels)?),
        (None, None) if channels == 1 => None,
        (None, None) => bail!("--channels {channels} shapes an image: add --height and --width"),
        _ => bail!("--height and --width go together"),
    };
    let values = read_raw(p)?;
    let shape = match shape {
        Some(s) => s,
        None => SignalShape::vector(values.len() as u32),
    };
    ensure!(
        shape.len() == values.len(),
        "{}: {} values, but --height {} × --width {} × --channels {} is {}",
        p.display(),
        values.len(),
        shape.height,
        shape.width,
        shape.channels,
        shape.len()
    );
    Ok(Signal {
        values,
        shape,
        label: p.display().to_string(),
    })
}

/// A `height × width × channels` shape within the frame's limit `N ≤ 2^24`.
fn image_shape(h: u32, w: u32, c: u32) -> Result<SignalShape> {
    let n = u64::from(h) * u64::from(w) * u64::from(c);
    ensure!(
        h >= 1 && w >= 1 && c >= 1 && n <= u64::from(frame::MAX_N),
        "--height {h} × --width {w} × --channels {c} = {n} values is out of range: a frame's \
         signal has 1 ..= {} (2^24) values",
        frame::MAX_N
    );
    SignalShape::image(h, w, c).map_err(|e| anyhow!("--height/--width/--channels: {e}"))
}

/// A raw `f32` signal: non-empty, within the frame's limit, finite.
pub fn read_raw(p: &Path) -> Result<Vec<f32>> {
    let len = std::fs::metadata(p)
        .with_context(|| format!("{}: cannot read", p.display()))?
        .len();
    ensure!(
        len > 0,
        "{}: the file is empty; a raw signal holds at least one f32 value",
        p.display()
    );
    ensure!(
        len <= 4 * u64::from(frame::MAX_N),
        "{}: {len} bytes is more than a frame's signal holds (2^24 f32 values)",
        p.display()
    );
    data::read_f32_le(p)
}
