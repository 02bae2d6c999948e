//! Signals on disk: MNIST in the IDX format (plain or gzipped, as shipped in `models/data/`),
//! 8-bit PNG images and raw little-endian `f32` files, all read into `f32` values in `[0, 1]`
//! (raw files as they are). Errors name the file and the field that is wrong.

use anyhow::{bail, ensure, Context, Result};
use std::io::Read;
use std::path::{Path, PathBuf};

/// A stack of same-sized grayscale images, pixels in `[0, 1]`, image after image, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Images {
    /// Number of images.
    pub count: usize,
    /// Rows (height) of each image.
    pub rows: usize,
    /// Columns (width) of each image.
    pub cols: usize,
    /// `count · rows · cols` values in `[0, 1]` (times the channels, channels last, for a
    /// colour image from [`read_png`]).
    pub pixels: Vec<f32>,
}

impl Images {
    /// Values of one image.
    pub fn image(&self, index: usize) -> Result<&[f32]> {
        ensure!(
            index < self.count,
            "image index {index} is out of range: the set holds {} images",
            self.count
        );
        let n = self.rows * self.cols;
        Ok(&self.pixels[index * n..(index + 1) * n])
    }
}

/// Reads a whole file, un-gzipping it when it starts with the gzip magic `1f 8b`.
pub fn read_maybe_gzip(path: &Path) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .with_context(|| format!("{}: corrupt gzip stream", path.display()))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

fn be_u32(bytes: &[u8], offset: usize, path: &Path, field: &str) -> Result<u32> {
    let b = bytes.get(offset..offset + 4).with_context(|| {
        format!(
            "{}: truncated IDX header: field `{field}` needs bytes {offset}..{} but the file has {}",
            path.display(),
            offset + 4,
            bytes.len()
        )
    })?;
    Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// Reads an IDX image file (magic `0x00000803`, u8 pixels), gzipped or not, scaling pixels by
/// `1/255`.
pub fn read_idx_images(path: &Path) -> Result<Images> {
    let bytes = read_maybe_gzip(path)?;
    let magic = be_u32(&bytes, 0, path, "magic")?;
    if magic != 0x0000_0803 {
        bail!(
            "{}: field `magic` is {magic:#010x}, expected 0x00000803 (IDX u8 images)",
            path.display()
        );
    }
    let count = be_u32(&bytes, 4, path, "count")? as usize;
    let rows = be_u32(&bytes, 8, path, "rows")? as usize;
    let cols = be_u32(&bytes, 12, path, "cols")? as usize;
    ensure!(
        rows > 0 && cols > 0 && rows <= 1 << 14 && cols <= 1 << 14,
        "{}: image size {rows}×{cols} (fields `rows`, `cols`) is out of range 1..=16384",
        path.display()
    );
    let need = count
        .checked_mul(rows * cols)
        .and_then(|n| n.checked_add(16))
        .with_context(|| format!("{}: field `count` = {count} is too large", path.display()))?;
    ensure!(
        bytes.len() == need,
        "{}: {count} images of {rows}×{cols} need {need} bytes, the file has {}",
        path.display(),
        bytes.len()
    );
    let pixels = bytes[16..].iter().map(|&b| b as f32 / 255.0).collect();
    Ok(Images {
        count,
        rows,
        cols,
        pixels,
    })
}

/// Reads an IDX label file (magic `0x00000801`), gzipped or not.
pub fn read_idx_labels(path: &Path) -> Result<Vec<u8>> {
    let bytes = read_maybe_gzip(path)?;
    let magic = be_u32(&bytes, 0, path, "magic")?;
    if magic != 0x0000_0801 {
        bail!(
            "{}: field `magic` is {magic:#010x}, expected 0x00000801 (IDX u8 labels)",
            path.display()
        );
    }
    let count = be_u32(&bytes, 4, path, "count")? as usize;
    ensure!(
        bytes.len() == count + 8,
        "{}: field `count` = {count} needs {} bytes, the file has {}",
        path.display(),
        count + 8,
        bytes.len()
    );
    Ok(bytes[8..].to_vec())
}

/// The directory of the shipped models and data: `$QCS_MODELS`; else `models/` of the current
/// directory when it holds the shipped data (a checkout's root); else `models/` of the source
/// tree this binary was built from.
pub fn models_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("QCS_MODELS") {
        return PathBuf::from(dir);
    }
    let here = Path::new("models");
    if here.join("data/mnist-test-images-idx3-ubyte.gz").is_file() {
        return here.to_path_buf();
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../models")
}

/// The shipped MNIST test split (1,000 digits, interleaved by class: digit `i` has label
/// `i mod 10`; see `models/data/README.md`), with its labels.
pub fn shipped_test_digits() -> Result<(Images, Vec<u8>)> {
    let dir = models_dir().join("data");
    let images = read_idx_images(&dir.join("mnist-test-images-idx3-ubyte.gz"))?;
    let labels = read_idx_labels(&dir.join("mnist-test-labels-idx1-ubyte.gz"))?;
    ensure!(
        labels.len() == images.count,
        "{}: {} labels for {} images",
        dir.display(),
        labels.len(),
        images.count
    );
    Ok((images, labels))
}

/// Reads a PNG (any bit depth and colour type) as one grayscale image in `[0, 1]`: colour is
/// converted with the Rec. 601 luma weights, alpha is ignored.
pub fn read_png_gray(path: &Path) -> Result<Images> {
    read_png(path, 1)
}

/// Reads a PNG (any bit depth and colour type) as one image of `channels` channels in
/// `[0, 1]`, channels last (`[H, W, C]`, the frame's layout; [`Images::pixels`] then holds
/// `H·W·C` values): `channels = 1` is grayscale (colour converted with the Rec. 601 luma
/// weights), `channels = 3` is RGB (a grayscale PNG repeated in the three channels); alpha
/// is ignored. Errors for any other channel count.
pub fn read_png(path: &Path, channels: usize) -> Result<Images> {
    ensure!(
        channels == 1 || channels == 3,
        "{}: a PNG is read as 1 (grayscale) or 3 (RGB) channels, not {channels}",
        path.display()
    );
    let want = channels;
    let file =
        std::fs::File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder
        .read_info()
        .with_context(|| format!("{}: not a valid PNG", path.display()))?;
    let size = reader
        .output_buffer_size()
        .with_context(|| format!("{}: PNG too large", path.display()))?;
    let mut buf = vec![0u8; size];
    let info = reader
        .next_frame(&mut buf)
        .with_context(|| format!("{}: corrupt PNG data", path.display()))?;
    let (w, h) = (info.width as usize, info.height as usize);
    let channels = match info.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => bail!("{}: palette PNG was not expanded", path.display()),
    };
    let mut pixels = Vec::with_capacity(w * h * want);
    for row in buf.chunks(info.line_size).take(h) {
        for px in row.chunks(channels).take(w) {
            match (want, channels >= 3) {
                (1, true) => pixels.push(
                    (0.299 * px[0] as f32 + 0.587 * px[1] as f32 + 0.114 * px[2] as f32) / 255.0,
                ),
                (1, false) => pixels.push(px[0] as f32 / 255.0),
                (_, true) => pixels.extend(px[..3].iter().map(|&v| v as f32 / 255.0)),
                (_, false) => pixels.extend([px[0] as f32 / 255.0; 3]),
            }
        }
    }
    Ok(Images {
        count: 1,
        rows: h,
        cols: w,
        pixels,
    })
}

/// Reads a raw file of little-endian `f32` values; every value must be finite.
pub fn read_f32_le(path: &Path) -> Result<Vec<f32>> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    ensure!(
        bytes.len() % 4 == 0,
        "{}: {} bytes is not a whole number of f32 values",
        path.display(),
        bytes.len()
    );
    let values: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        bail!(
            "{}: value {i} is {} (not finite)",
            path.display(),
            values[i]
        );
    }
    Ok(values)
}

/// Writes values as raw little-endian `f32`.
pub fn write_f32_le(path: &Path, values: &[f32]) -> Result<()> {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(path, bytes).with_context(|| format!("{}: cannot write", path.display()))
}

/// Writes an `f32` array of the given shape as a `.npy` file (readable by `numpy.load`).
pub fn write_npy(path: &Path, shape: &[u64], values: &[f32]) -> Result<()> {
    use npyz::WriterBuilder;
    let count: u64 = shape.iter().product();
    ensure!(
        count == values.len() as u64,
        "{}: shape {shape:?} does not hold {} values",
        path.display(),
        values.len()
    );
    let file = std::io::BufWriter::new(
        std::fs::File::create(path)
            .with_context(|| format!("{}: cannot create", path.display()))?,
    );
    let mut w = npyz::WriteOptions::new()
        .default_dtype()
        .shape(shape)
        .writer(file)
        .begin_nd()
        .with_context(|| format!("{}: cannot write", path.display()))?;
    w.extend(values.iter().copied())
        .with_context(|| format!("{}: cannot write", path.display()))?;
    w.finish()
        .with_context(|| format!("{}: cannot write", path.display()))
}
