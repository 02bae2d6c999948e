//! SVG / PNG plots of a metric against M, and the PNG panels of estimates.

use super::config::{Cell, Config, Job, Method};
use super::report::{bits_name, mean_std, Groups};
use super::rows::Row;
use crate::data;
use crate::image::{Panel, Tile};
use anyhow::{anyhow, Result};
use std::path::Path;

/// Writes, for every bits × σ of `config`, the metric-against-M plots of the cells in `g`
/// (diverged rows left out), the panel of estimates and, with ≥ 2 samples, the uncertainty
/// panel.
pub(super) fn write_plots(config: &Config, g: &Groups, out: &Path) -> Result<()> {
    let methods = config.parsed_methods()?;
    for &bits in &config.bits {
        for &sigma in &config.sigma {
            for (metric, label) in [(0, "psnr"), (1, "ssim"), (2, "cosine")] {
                let stat = |rs: &Vec<Row>| {
                    let v: Vec<f64> = rs
                        .iter()
                        .filter(|r| !r.diverged)
                        .map(|r| [r.psnr_db, r.ssim, r.cosine][metric] as f64)
                        .collect();
                    (!v.is_empty()).then(|| mean_std(&v))
                };
                let mut names = Vec::new();
                let mut points = Vec::new();
                if config.calls.is_empty() {
                    // Quality against M, a line per method.
                    for method in &methods {
                        let pts: Vec<_> = config
                            .measurements
                            .iter()
                            .filter_map(|&m| {
                                let key = (method.name().to_string(), bits, sigma.to_bits(), m, 0);
                                g.get(&key).and_then(stat).map(|(a, s)| (m as f64, a, s))
                            })
                            .collect();
                        names.push(method.name().to_string());
                        points.push(pts);
                    }
                } else {
                    // Quality against network calls per sample, a line per method and M.
                    for method in methods.iter().filter(|m| m.is_score_based()) {
                        for &m in &config.measurements {
                            let pts: Vec<_> = config
                                .calls
                                .iter()
                                .filter_map(|&c| {
                                    let key =
                                        (method.name().to_string(), bits, sigma.to_bits(), m, c);
                                    let rs = g.get(&key)?;
                                    let calls = rs.first()?.network_calls as f64;
                                    stat(rs).map(|(a, s)| (calls, a, s))
                                })
                                .collect();
                            names.push(format!("{} M = {m}", method.name()));
                            points.push(pts);
                        }
                    }
                }
                let series: Series<'_> = names
                    .iter()
                    .zip(points)
                    .filter(|(_, p)| !p.is_empty())
                    .map(|(n, p)| (n.as_str(), p))
                    .collect();
                if series.is_empty() {
                    continue;
                }
                let against = if config.calls.is_empty() {
                    ""
                } else {
                    "_calls"
                };
                let stem = format!("{label}{against}_q{bits}_s{sigma}");
                let title = format!("{}, {}, σ = {sigma}", config.name, bits_name(bits));
                let x_label = if config.calls.is_empty() {
                    "M (measurements)"
                } else {
                    "network calls per sample"
                };
                plot(out, &stem, &title, (x_label, label), &series)?;
            }
            panel(config, &methods, bits, sigma, out)?;
            if config.samples >= 2 {
                uncertainty_panel(config, &methods, bits, sigma, out)?;
            }
        }
    }
    Ok(())
}

type Series<'a> = Vec<(&'a str, Vec<(f64, f64, f64)>)>;

/// Plot size in pixels (SVG and PNG).
const PLOT_SIZE: (u32, u32) = (640, 420);

/// Writes a metric plot (against M or against network calls) as `<out>/<stem>.svg` and `<out>/<stem>.png`.
fn plot(
    out: &Path,
    stem: &str,
    title: &str,
    axes: (&str, &str),
    series: &Series<'_>,
) -> Result<()> {
    use plotters::prelude::*;
    crate::image::register_font()?;
    let svg = out.join(format!("{stem}.svg"));
    draw_plot(
        SVGBackend::new(&svg, PLOT_SIZE).into_drawing_area(),
        &svg,
        title,
        axes,
        series,
    )?;
    let png = out.join(format!("{stem}.png"));
    let (w, h) = PLOT_SIZE;
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    draw_plot(
        BitMapBackend::with_buffer(&mut rgb, PLOT_SIZE).into_drawing_area(),
        &png,
        title,
        axes,
        series,
    )?;
    crate::image::write_png_rgb(&png, &rgb, h as usize, w as usize)
}

fn draw_plot<DB: plotters::prelude::DrawingBackend>(
    root: plotters::drawing::DrawingArea<DB, plotters::coord::Shift>,
    path: &Path,
    title: &str,
    (x_label, metric): (&str, &str),
    series: &Series<'_>,
) -> Result<()> {
    use plotters::prelude::*;
    let e = |e: &dyn std::fmt::Display| anyhow!("{}: plot: {e}", path.display());
    let xs: Vec<f64> = series
        .iter()
        .flat_map(|s| s.1.iter().map(|p| p.0))
        .collect();
    let ys: Vec<f64> = series
        .iter()
        .flat_map(|s| s.1.iter().flat_map(|p| [p.1 - p.2, p.1 + p.2]))
        .collect();
    let (x0, x1) = (
        xs.iter().copied().fold(f64::INFINITY, f64::min),
        xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    let (y0, y1) = (
        ys.iter().copied().fold(f64::INFINITY, f64::min),
        ys.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    let (xpad, ypad) = (((x1 - x0) * 0.05).max(1.0), ((y1 - y0) * 0.1).max(1e-3));
    root.fill(&WHITE).map_err(|x| e(&x))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(52)
        .build_cartesian_2d((x0 - xpad)..(x1 + xpad), (y0 - ypad)..(y1 + ypad))
        .map_err(|x| e(&x))?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(metric)
        .draw()
        .map_err(|x| e(&x))?;
    for (i, (name, pts)) in series.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(
                pts.iter().map(|p| (p.0, p.1)),
                color.stroke_width(2),
            ))
            .map_err(|x| e(&x))?
            .label(*name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color));
        chart
            .draw_series(
                pts.iter()
                    .map(|p| Circle::new((p.0, p.1), 3, color.filled())),
            )
            .map_err(|x| e(&x))?;
        chart
            .draw_series(
                pts.iter()
                    .map(|p| PathElement::new(vec![(p.0, p.1 - p.2), (p.0, p.1 + p.2)], color)),
            )
            .map_err(|x| e(&x))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|x| e(&x))?;
    root.present().map_err(|x| e(&x))?;
    Ok(())
}

/// `uncertainty_q{Q}_s{σ}.png` (experiment 4): per QCS-SGM method and M, four rows — truth,
/// posterior mean, per-pixel std (black 0 to white at the largest std of the panel) and
/// `|truth − mean|` (same scale as the std) — over the first `panel_images` images.
fn uncertainty_panel(
    config: &Config,
    methods: &[Method],
    bits: u8,
    sigma: f32,
    out: &Path,
) -> Result<()> {
    let (images, _) = data::shipped_test_digits()?;
    let count = config.panel_images.min(config.images);
    let n = images.rows * images.cols;
    let mut rows: Vec<[Vec<f32>; 4]> = Vec::new();
    for method in methods
        .iter()
        .filter(|m| m.is_score_based())
        .filter(|m| m.applies_to(bits, config.operator))
    {
        for &m in &config.measurements {
            let mut block: [Vec<f32>; 4] = Default::default();
            for image in 0..count {
                let job = Job {
                    cell: Cell {
                        method: *method,
                        m,
                        bits,
                        sigma,
                        seed: config.seeds[0],
                        calls: panel_budget(config, *method),
                    },
                    image: config.first_image + image,
                };
                let dir = out.join("estimates");
                let (mp, sp) = (
                    dir.join(format!("{}.f32", job.stem())),
                    dir.join(format!("{}.std.f32", job.stem())),
                );
                let truth = images.image(config.first_image + image)?;
                let (mean, std) = if mp.exists() && sp.exists() {
                    (data::read_f32_le(&mp)?, data::read_f32_le(&sp)?)
                } else {
                    (vec![0.0; n], vec![0.0; n])
                };
                let err: Vec<f32> = truth
                    .iter()
                    .zip(&mean)
                    .map(|(t, m)| (t - m).abs())
                    .collect();
                block[0].extend_from_slice(truth);
                block[1].extend(mean);
                block[2].extend(std);
                block[3].extend(err);
            }
            rows.push(block);
        }
    }
    if rows.is_empty() || count == 0 {
        return Ok(());
    }
    let hi = rows
        .iter()
        .flat_map(|b| b[2].iter())
        .copied()
        .fold(1e-6f32, f32::max);
    let mut tiles = Vec::new();
    for block in &rows {
        for (r, values) in block.iter().enumerate() {
            let top = if r >= 2 { hi } else { 1.0 };
            for image in values.chunks_exact(n) {
                tiles.push(Tile {
                    values: image,
                    lo: 0.0,
                    hi: top,
                    label: String::new(),
                });
            }
        }
    }
    Panel {
        tiles,
        height: images.rows,
        width: images.cols,
        columns: count,
        zoom: 2,
        caption: String::new(),
    }
    .write(&out.join(format!("uncertainty_q{bits}_s{sigma}.png")))
}

fn panel(config: &Config, methods: &[Method], bits: u8, sigma: f32, out: &Path) -> Result<()> {
    let (images, _) = data::shipped_test_digits()?;
    let count = config.panel_images.min(config.images);
    if count == 0 {
        return Ok(());
    }
    let seed = config.seeds[0];
    let mut owned: Vec<Vec<f32>> = Vec::new();
    for i in 0..count {
        owned.push(images.image(config.first_image + i)?.to_vec());
    }
    for method in methods
        .iter()
        .filter(|m| m.applies_to(bits, config.operator))
    {
        for &m in &config.measurements {
            for image in 0..count {
                let job = Job {
                    cell: Cell {
                        method: *method,
                        m,
                        bits,
                        sigma,
                        seed,
                        calls: panel_budget(config, *method),
                    },
                    image: config.first_image + image,
                };
                let p = out.join("estimates").join(format!("{}.f32", job.stem()));
                // A black tile: no estimate (the chains diverged, or the job has not run).
                owned.push(if p.exists() {
                    data::read_f32_le(&p)?
                } else {
                    vec![0.0; images.rows * images.cols]
                });
            }
        }
    }
    let tiles = owned
        .iter()
        .map(|v| Tile {
            values: v,
            lo: 0.0,
            hi: 1.0,
            label: String::new(),
        })
        .collect();
    Panel {
        tiles,
        height: images.rows,
        width: images.cols,
        columns: count,
        zoom: 2,
        caption: String::new(),
    }
    .write(&out.join(format!("panel_q{bits}_s{sigma}.png")))
}

/// The call budget whose estimates the panels show: the largest of the sweep for the
/// score-based methods, none for the baselines.
fn panel_budget(config: &Config, method: Method) -> u64 {
    if method.is_score_based() {
        config.budgets().iter().copied().max().unwrap_or(0)
    } else {
        0
    }
}
