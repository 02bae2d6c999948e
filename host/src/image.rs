//! Images people look at: grayscale and colour PNGs and panels of several images side by side.
//!
//! Images are row-major with channels last (`[H, W, C]`, the frame's layout): one channel is
//! grayscale, three are RGB; any other count is shown as the grayscale mean of its channels.

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

/// Writes one image of `height × width × channels` values (channels last) as an 8-bit PNG,
/// mapping `[lo, hi]` to 0–255 (clamped): grayscale for one channel, RGB for three, and the
/// grayscale mean of the channels for any other count.
pub fn write_png_image(
    path: &Path,
    values: &[f32],
    (height, width, channels): (usize, usize, usize),
    lo: f32,
    hi: f32,
) -> Result<()> {
    ensure!(
        channels >= 1 && values.len() == height * width * channels,
        "{}: {} values for a {height}×{width} image with {channels} channel(s)",
        path.display(),
        values.len()
    );
    if channels == 1 {
        return write_png_gray(path, values, height, width, lo, hi);
    }
    let scale = if hi > lo { 255.0 / (hi - lo) } else { 0.0 };
    let rgb: Vec<u8> = values
        .chunks(channels)
        .flat_map(|px| pixel_rgb(px, lo, scale))
        .collect();
    write_png_rgb(path, &rgb, height, width)
}

/// One pixel's channels as 8-bit RGB: the three channels, or the gray of their mean.
fn pixel_rgb(px: &[f32], lo: f32, scale: f32) -> [u8; 3] {
    let byte = |v: f32| ((v - lo) * scale).clamp(0.0, 255.0).round() as u8;
    if px.len() == 3 {
        [byte(px[0]), byte(px[1]), byte(px[2])]
    } else {
        let g = byte(px.iter().sum::<f32>() / px.len() as f32);
        [g, g, g]
    }
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

/// One tile of a [`Panel`]: an image, the range mapped to black–white, and its label.
#[derive(Debug, Clone)]
pub struct Tile<'a> {
    /// `height · width · C` values, channels last (`C` = 1: grayscale, 3: RGB).
    pub values: &'a [f32],
    /// Value shown black.
    pub lo: f32,
    /// Value shown white.
    pub hi: f32,
    /// The label written above the tile (`""` for none).
    pub label: String,
}

/// A grid of same-sized tiles (grayscale or colour), `columns` per row, scaled up by an integer `zoom`,
/// separated by a mid-grey gutter, each with its label above it and an optional caption
/// line below the grid.
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
    /// A line of text below the grid (`""` for none), e.g. the scale of a std tile.
    pub caption: String,
}

/// Height in pixels of a line of label text.
const LABEL_HEIGHT: usize = 18;

impl Panel<'_> {
    /// Renders the panel with its labels and writes it as an RGB PNG.
    pub fn write(&self, path: &Path) -> Result<()> {
        const GUTTER: usize = 4;
        let cols = self.columns.max(1);
        let rows = self.tiles.len().div_ceil(cols);
        let (th, tw) = (self.height * self.zoom, self.width * self.zoom);
        let row_h = LABEL_HEIGHT + th + GUTTER;
        let caption_h = if self.caption.is_empty() {
            0
        } else {
            LABEL_HEIGHT
        };
        let out_w = cols * tw + (cols + 1) * GUTTER;
        let out_h = GUTTER + rows * row_h + caption_h;
        let mut rgb = vec![128u8; out_w * out_h * 3];
        for (k, tile) in self.tiles.iter().enumerate() {
            let pixels = self.height * self.width;
            ensure!(
                pixels > 0 && !tile.values.is_empty() && tile.values.len() % pixels == 0,
                "panel tile {k}: {} values for a {}×{} tile",
                tile.values.len(),
                self.height,
                self.width
            );
            let channels = tile.values.len() / pixels;
            let (r, c) = (k / cols, k % cols);
            let (y0, x0) = (
                GUTTER + r * row_h + LABEL_HEIGHT,
                GUTTER + c * (tw + GUTTER),
            );
            let scale = if tile.hi > tile.lo {
                255.0 / (tile.hi - tile.lo)
            } else {
                0.0
            };
            for y in 0..th {
                for x in 0..tw {
                    let p = (y / self.zoom) * self.width + x / self.zoom;
                    let px = &tile.values[p * channels..(p + 1) * channels];
                    let i = ((y0 + y) * out_w + x0 + x) * 3;
                    rgb[i..i + 3].copy_from_slice(&pixel_rgb(px, tile.lo, scale));
                }
            }
        }
        let mut texts: Vec<(String, (i32, i32))> = self
            .tiles
            .iter()
            .enumerate()
            .filter(|(_, t)| !t.label.is_empty())
            .map(|(k, t)| {
                let (r, c) = (k / cols, k % cols);
                let x = GUTTER + c * (tw + GUTTER);
                (t.label.clone(), (x as i32, (GUTTER + r * row_h + 2) as i32))
            })
            .collect();
        if !self.caption.is_empty() {
            let y = GUTTER + rows * row_h;
            texts.push((self.caption.clone(), (GUTTER as i32, y as i32)));
        }
        draw_texts(&mut rgb, out_w, out_h, &texts)?;
        write_png_rgb(path, &rgb, out_h, out_w)
    }
}

/// Registers the embedded DejaVu Sans (`host/assets`, Bitstream Vera licence) as plotters'
/// "sans-serif", so PNG panels and plots render text without system fonts.
pub fn register_font() -> Result<()> {
    static FONT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *FONT.get_or_init(|| {
        plotters::style::register_font(
            "sans-serif",
            plotters::style::FontStyle::Normal,
            include_bytes!("../assets/DejaVuSans.ttf"),
        )
        .is_ok()
    });
    ensure!(
        ok,
        "the embedded font (host/assets/DejaVuSans.ttf) is invalid"
    );
    Ok(())
}

/// Draws black-on-grey text lines at pixel positions (top-left corners) into an RGB buffer.
fn draw_texts(
    rgb: &mut [u8],
    width: usize,
    height: usize,
    texts: &[(String, (i32, i32))],
) -> Result<()> {
    use plotters::prelude::*;
    if texts.is_empty() {
        return Ok(());
    }
    register_font()?;
    let area = BitMapBackend::with_buffer(rgb, (width as u32, height as u32)).into_drawing_area();
    let style = TextStyle::from(("sans-serif", 13).into_font()).color(&WHITE);
    for (text, pos) in texts {
        area.draw_text(text, &style, *pos)
            .map_err(|e| anyhow::anyhow!("panel text {text:?}: {e}"))?;
    }
    area.present()
        .map_err(|e| anyhow::anyhow!("panel text: {e}"))?;
    Ok(())
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
