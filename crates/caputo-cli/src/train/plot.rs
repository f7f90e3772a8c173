//! Line plots of labelled `(x, y)` series to PNG (plotters' bitmap backend) or SVG.
//!
//! ```no_run
//! use caputo_cli::train::plot::{LinePlot, Series};
//! let loss: Vec<(f64, f64)> = (0..100).map(|e| (e as f64, (-0.05 * e as f64).exp())).collect();
//! LinePlot::new("training loss", "epoch", "MSE")
//!     .log_y(true)
//!     .series(Series::line("loss", loss))
//!     .save_png(std::path::Path::new("loss.png"))
//!     .unwrap();
//! ```
//!
//! Text needs a system font (plotters' `ttf` feature looks one up through fontconfig). Where
//! none can be loaded, the plot is drawn again without any text (axes, grid, series only)
//! rather than failing, and [`LinePlot::save_png`] reports that in its return value.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::results::{sync_parent, tmp_sibling};

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// A polyline through the points.
    Line,
    /// A marker at every point.
    Points,
    /// A thin polyline (for reference curves).
    ThinLine,
}

/// A labelled series of `(x, y)` points.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// The points, in drawing order.
    pub points: Vec<(f64, f64)>,
    /// Line or markers.
    pub style: Style,
    /// RGB colour; `None` picks one from a fixed palette by the series' index.
    pub color: Option<(u8, u8, u8)>,
}

impl Series {
    /// A line series.
    pub fn line(label: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self { label: label.into(), points, style: Style::Line, color: None }
    }
    /// A marker series.
    pub fn points(label: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self { label: label.into(), points, style: Style::Points, color: None }
    }
    /// A thin reference line.
    pub fn thin(label: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self { label: label.into(), points, style: Style::ThinLine, color: None }
    }
    /// Sets the colour.
    pub fn color(mut self, rgb: (u8, u8, u8)) -> Self {
        self.color = Some(rgb);
        self
    }
}

/// Where the legend goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Legend {
    /// Top right corner (the default).
    #[default]
    UpperRight,
    /// Right edge, vertically centred.
    MiddleRight,
    /// Bottom right corner.
    LowerRight,
    /// Top left corner.
    UpperLeft,
    /// Bottom left corner.
    LowerLeft,
}

/// A plot: a title, axis labels, series, and an optional logarithmic y axis.
#[derive(Debug, Clone)]
pub struct LinePlot {
    /// Caption.
    pub title: String,
    /// x-axis label.
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
    /// Logarithmic y axis (non-positive values are left out).
    pub log_y: bool,
    /// Image size in pixels.
    pub size: (u32, u32),
    /// The series, drawn in order.
    pub series: Vec<Series>,
    /// Legend position.
    pub legend: Legend,
}

/// What was drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drawn {
    /// The full plot.
    WithText,
    /// No font could be loaded: axes, grid and series without text.
    WithoutText,
}

/// Colours for series without an explicit one (colour-blind-friendly, Okabe–Ito).
pub const PALETTE: [(u8, u8, u8); 8] = [
    (0, 114, 178),
    (213, 94, 0),
    (0, 158, 115),
    (204, 121, 167),
    (230, 159, 0),
    (86, 180, 233),
    (0, 0, 0),
    (240, 228, 66),
];

impl LinePlot {
    /// An empty 900×600 plot.
    pub fn new(title: impl Into<String>, x_label: impl Into<String>, y_label: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            log_y: false,
            size: (900, 600),
            series: Vec::new(),
            legend: Legend::UpperRight,
        }
    }
    /// Sets the logarithmic y axis.
    pub fn log_y(mut self, on: bool) -> Self {
        self.log_y = on;
        self
    }
    /// Sets the size in pixels.
    pub fn size(mut self, w: u32, h: u32) -> Self {
        self.size = (w, h);
        self
    }
    /// Sets the legend position.
    pub fn legend(mut self, at: Legend) -> Self {
        self.legend = at;
        self
    }
    /// Adds a series.
    pub fn series(mut self, s: Series) -> Self {
        self.series.push(s);
        self
    }

    /// Writes a PNG (atomically: drawn to a temporary sibling, then renamed).
    pub fn save_png(&self, path: &Path) -> anyhow::Result<Drawn> {
        self.save_with(path, |p, text| {
            let root = BitMapBackend::new(p, self.size).into_drawing_area();
            self.draw(&root, text)?;
            root.present().map_err(|e| e.to_string())
        })
    }

    /// Writes an SVG (atomically).
    pub fn save_svg(&self, path: &Path) -> anyhow::Result<Drawn> {
        self.save_with(path, |p, text| {
            let root = SVGBackend::new(p, self.size).into_drawing_area();
            self.draw(&root, text)?;
            root.present().map_err(|e| e.to_string())
        })
    }

    fn save_with(&self, path: &Path, render: impl Fn(&Path, bool) -> Result<(), String>) -> anyhow::Result<Drawn> {
        let tmp = tmp_sibling(path);
        let drawn = match render(&tmp, true) {
            Ok(()) => Drawn::WithText,
            Err(first) => {
                let _ = std::fs::remove_file(&tmp);
                render(&tmp, false).map_err(|e| {
                    let _ = std::fs::remove_file(&tmp);
                    anyhow::anyhow!("drawing {}: {first}; without text: {e}", path.display())
                })?;
                Drawn::WithoutText
            }
        };
        if let Err(e) = std::fs::rename(&tmp, path) {
            let _ = std::fs::remove_file(&tmp);
            anyhow::bail!("writing {}: {e}", path.display());
        }
        sync_parent(path);
        Ok(drawn)
    }

    /// The finite (and, for a log axis, positive) points of every series.
    fn visible_points(&self) -> Vec<Vec<(f64, f64)>> {
        self.series
            .iter()
            .map(|s| {
                s.points
                    .iter()
                    .copied()
                    .filter(|(x, y)| x.is_finite() && y.is_finite() && (!self.log_y || *y > 0.0))
                    .collect()
            })
            .collect()
    }

    fn ranges(&self, pts: &[Vec<(f64, f64)>]) -> ((f64, f64), (f64, f64)) {
        let all = pts.iter().flatten();
        let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
        for (x, y) in all {
            x0 = x0.min(*x);
            x1 = x1.max(*x);
            y0 = y0.min(*y);
            y1 = y1.max(*y);
        }
        if !x0.is_finite() {
            (x0, x1) = (0.0, 1.0);
        }
        if !y0.is_finite() {
            (y0, y1) = if self.log_y { (0.1, 10.0) } else { (0.0, 1.0) };
        }
        if x1 <= x0 {
            (x0, x1) = (x0 - 1.0, x1 + 1.0);
        }
        if self.log_y {
            if y1 <= y0 {
                (y0, y1) = (y0 * 0.5, y1 * 2.0);
            }
            let pad = (y1 / y0).powf(0.05);
            (y0, y1) = (y0 / pad, y1 * pad);
        } else {
            if y1 <= y0 {
                (y0, y1) = (y0 - 1.0, y1 + 1.0);
            }
            let pad = 0.05 * (y1 - y0);
            (y0, y1) = (y0 - pad, y1 + pad);
        }
        ((x0, x1), (y0, y1))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, text: bool) -> Result<(), String> {
        let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        root.fill(&WHITE).map_err(err)?;
        let pts = self.visible_points();
        let ((x0, x1), (y0, y1)) = self.ranges(&pts);
        let mut builder = ChartBuilder::on(root);
        builder.margin(16);
        if text {
            builder.caption(&self.title, ("sans-serif", 24)).x_label_area_size(45).y_label_area_size(75);
        }
        macro_rules! body {
            ($chart:ident) => {{
                if text {
                    let log_y = self.log_y;
                    $chart
                        .configure_mesh()
                        .x_desc(self.x_label.as_str())
                        .y_desc(self.y_label.as_str())
                        .x_label_formatter(&|v: &f64| tick(*v, false))
                        .y_label_formatter(&move |v: &f64| tick(*v, log_y))
                        .light_line_style(RGBColor(235, 235, 235))
                        .draw()
                        .map_err(err)?;
                } else {
                    $chart
                        .configure_mesh()
                        .x_labels(0)
                        .y_labels(0)
                        .light_line_style(RGBColor(235, 235, 235))
                        .draw()
                        .map_err(err)?;
                }
                for (i, (s, p)) in self.series.iter().zip(pts).enumerate() {
                    let (r, g, b) = s.color.unwrap_or(PALETTE[i % PALETTE.len()]);
                    let c = RGBColor(r, g, b);
                    let anno = match s.style {
                        Style::Line => $chart.draw_series(LineSeries::new(p, c.stroke_width(2))).map_err(err)?,
                        Style::ThinLine => {
                            $chart.draw_series(LineSeries::new(p, c.mix(0.6).stroke_width(1))).map_err(err)?
                        }
                        Style::Points => {
                            $chart.draw_series(p.into_iter().map(|q| Circle::new(q, 3, c.filled()))).map_err(err)?
                        }
                    };
                    if text && !s.label.is_empty() {
                        let style = s.style;
                        anno.label(s.label.as_str()).legend(move |(x, y)| -> DynElement<'static, DB, (i32, i32)> {
                            match style {
                                Style::Points => Circle::new((x + 10, y), 3, c.filled()).into_dyn(),
                                _ => PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)).into_dyn(),
                            }
                        });
                    }
                }
                if text && self.series.iter().any(|s| !s.label.is_empty()) {
                    $chart
                        .configure_series_labels()
                        .position(match self.legend {
                            Legend::UpperRight => SeriesLabelPosition::UpperRight,
                            Legend::MiddleRight => SeriesLabelPosition::MiddleRight,
                            Legend::LowerRight => SeriesLabelPosition::LowerRight,
                            Legend::UpperLeft => SeriesLabelPosition::UpperLeft,
                            Legend::LowerLeft => SeriesLabelPosition::LowerLeft,
                        })
                        .label_font(("sans-serif", 15))
                        .background_style(WHITE.mix(0.85))
                        .border_style(RGBColor(160, 160, 160))
                        .draw()
                        .map_err(err)?;
                }
            }};
        }
        if self.log_y {
            let mut chart = builder.build_cartesian_2d(x0..x1, (y0..y1).log_scale()).map_err(err)?;
            body!(chart);
        } else {
            let mut chart = builder.build_cartesian_2d(x0..x1, y0..y1).map_err(err)?;
            body!(chart);
        }
        Ok(())
    }
}

/// A tick label: `1e-5` style on a log axis, otherwise at most 4 significant decimals
/// without trailing zeros (`100`, `0.25`, `1.5e6` for large values).
fn tick(v: f64, log: bool) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if log || !(1e-3..1e5).contains(&a) {
        let s = format!("{v:.1e}");
        return s.replace(".0e", "e");
    }
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

/// `true` when `bytes` start with the PNG signature.
pub fn is_png(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(tick(100.0, false), "100");
        assert_eq!(tick(0.25, false), "0.25");
        assert_eq!(tick(1e-5, true), "1e-5");
        assert_eq!(tick(2e-5 + 1e-21, true), "2e-5");
        assert_eq!(tick(0.0, false), "0");
    }
}
