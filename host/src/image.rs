//! Images people look at: grayscale PNGs and panels of several images side by side.

use anyhow::{ensure, Context, Result};
use std::path::Path;

/// Writes one grayscale image (`height · width` values) as an 8-bit PNG, mapping `[lo, hi]`
/// to black–white (values outside are clamped).
pub fn write_png_gray(
    path: &Path,
    values: &[f32],
    height: usize,
    width: usize,
    lo: f32,
    hi: f32,
) -> Result<()> {
    ensure!(
        values.len() == height * width,
        "{}: {} values for a {height}×{width} image",
        path.display(),
        values.len()
    );
    let scale = if hi > lo { 255.0 / (hi - lo) } else { 0.0 };
    let bytes: Vec<u8> = values
        .iter()
        .map(|&v| ((v - lo) * scale).clamp(0.0, 255.0).round() as u8)
        .collect();
    write_png(path, &bytes, height, width, png::ColorType::Grayscale)
}

/// Encodes 8-bit pixels of `color` (already checked to fit `height × width`) into `path`.
fn write_png(
    path: &Path,
    bytes: &[u8],
    height: usize,
    width: usize,
    color: png::ColorType,
) -> Result<()> {
    let file = std::io::BufWriter::new(
        std::fs::File::create(path)
            .with_context(|| format!("{}: cannot create", path.display()))?,
    );
    let mut enc = png::Encoder::new(file, width as u32, height as u32);
    enc.set_color(color);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc
        .write_header()
        .with_context(|| format!("{}: cannot write PNG", path.display()))?;
    w.write_image_data(bytes)
        .with_context(|| format!("{}: cannot write PNG", path.display()))
}

/// One tile of a [`Panel`]: an image and the range mapped to black–white.
#[derive(Debug, Clone)]
pub struct Tile<'a> {
    /// `height · width` values.
    pub values: &'a [f32],
    /// Value shown black.
    pub lo: f32,
    /// Value shown white.
    pub hi: f32,
}

/// A grid of same-sized grayscale tiles, `columns` per row, scaled up by an integer `zoom`,
/// separated by a mid-grey gutter.
#[derive(Debug, Clone)]
pub struct Panel<'a> {
    /// The tiles, row after row.
    pub tiles: Vec<Tile<'a>>,
    /// Tile height in pixels.
    pub height: usize,
    /// Tile width in pixels.
    pub width: usize,
    /// Tiles per row.
    pub columns: usize,
    /// Integer magnification.
    pub zoom: usize,
}

impl Panel<'_> {
    /// Renders the panel into one image in `[0, 1]` and writes it as PNG.
    pub fn write(&self, path: &Path) -> Result<()> {
        const GUTTER: usize = 4;
        let cols = self.columns.max(1);
        let rows = self.tiles.len().div_ceil(cols);
        let (th, tw) = (self.height * self.zoom, self.width * self.zoom);
        let out_w = cols * tw + (cols + 1) * GUTTER;
        let out_h = rows * th + (rows + 1) * GUTTER;
        let mut img = vec![0.5f32; out_w * out_h];
        for (k, tile) in self.tiles.iter().enumerate() {
            ensure!(
                tile.values.len() == self.height * self.width,
                "panel tile {k}: {} values for a {}×{} tile",
                tile.values.len(),
                self.height,
                self.width
            );
            let (r, c) = (k / cols, k % cols);
            let (y0, x0) = (GUTTER + r * (th + GUTTER), GUTTER + c * (tw + GUTTER));
            let scale = if tile.hi > tile.lo {
                1.0 / (tile.hi - tile.lo)
            } else {
                0.0
            };
            for y in 0..th {
                for x in 0..tw {
                    let v = tile.values[(y / self.zoom) * self.width + x / self.zoom];
                    img[(y0 + y) * out_w + x0 + x] = ((v - tile.lo) * scale).clamp(0.0, 1.0);
                }
            }
        }
        write_png_gray(path, &img, out_h, out_w, 0.0, 1.0)
    }
}

/// Writes an 8-bit RGB image (`height · width · 3` bytes, row-major) as a PNG.
pub fn write_png_rgb(path: &Path, rgb: &[u8], height: usize, width: usize) -> Result<()> {
    ensure!(
        rgb.len() == height * width * 3,
        "{}: {} bytes for a {height}×{width} RGB image",
        path.display(),
        rgb.len()
    );
    write_png(path, rgb, height, width, png::ColorType::Rgb)
}
