//! `caputo plot-bench`: PNG plots of `caputo bench` JSON lines (what `scripts/report.sh` links
//! from `docs/results.md`).
//!
//! ```text
//! caputo bench --workload lv-mlp --alpha 0.6 --method direct,discrete-adjoint --steps 100,400,1600 --sweep > b.jsonl
//! caputo plot-bench --input b.jsonl --out docs/img
//! ```
//!
//! Writes, with log–log axes and one series per gradient method:
//! * `memory_vs_n_<kind>.png` — counting-allocator peak bytes (MB) vs `N`;
//! * `time_vs_n_<kind>.png` — forward + backward seconds vs `N`;
//!
//! where `<kind>` is `ode_<workload>` (`α = 1`) or `fde_<workload>` (`α < 1`), over the dense
//! history records (a kind whose series all have a single `N` is left out). Where a method
//! appears with both the dense and the fast (sum-of-exponentials) history, it also writes
//! `fast_vs_dense.png` (forward + backward seconds vs `N`) and `fast_vs_dense_memory.png`.
//! When records in one plot differ in α, scheme or dtype, the legend says so.
//!
//! Errors are typed ([`PlotBenchError`]): an unreadable input, a line that is not a bench
//! record (with its line number), or an input without records. Tested in
//! `tests/plot_bench.rs`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use plotters::prelude::*;

use crate::bench::BenchResult;
use crate::train::plot::PALETTE;

/// Flags of `caputo plot-bench`.
#[derive(clap::Args, Debug, Clone)]
pub struct PlotBenchArgs {
    /// JSON lines written by `caputo bench`.
    #[arg(long)]
    pub input: PathBuf,
    /// Directory for the PNG files (created if missing).
    #[arg(long)]
    pub out: PathBuf,
}

/// Why `caputo plot-bench` could not plot.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlotBenchError {
    /// The input file could not be read.
    #[error("cannot read {path}")]
    Read {
        /// The input file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A non-empty line is not a `caputo bench` record.
    #[error("{path}:{line}: not a `caputo bench` JSON record: {reason}")]
    BadLine {
        /// The input file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What the JSON parser said.
        reason: String,
    },
    /// The input holds no records.
    #[error("{path}: no `caputo bench` records")]
    Empty {
        /// The input file.
        path: PathBuf,
    },
    /// The output directory or a PNG could not be written.
    #[error("cannot write {path}: {reason}")]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

impl PlotBenchError {
    /// `true` for errors in what the user gave (exit status 2), `false` for write failures.
    pub fn is_input_error(&self) -> bool {
        !matches!(self, PlotBenchError::Write { .. })
    }
}

/// Reads `caputo bench` JSON lines (blank lines are skipped).
pub fn read_records(path: &Path) -> Result<Vec<BenchResult>, PlotBenchError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| PlotBenchError::Read { path: path.to_path_buf(), source })?;
    let mut rows = vec![];
    for (i, line) in text.lines().enumerate() {
        // Blank lines and the sweep's summary lines (`{"summary": …}`) are not measurements.
        if line.trim().is_empty() || line.trim_start().starts_with("{\"summary\"") {
            continue;
        }
        let r: BenchResult = serde_json::from_str(line).map_err(|e| PlotBenchError::BadLine {
            path: path.to_path_buf(),
            line: i + 1,
            reason: e.to_string(),
        })?;
        rows.push(r);
    }
    if rows.is_empty() {
        return Err(PlotBenchError::Empty { path: path.to_path_buf() });
    }
    Ok(rows)
}

/// One plotted line: a legend label and `(N, value)` points sorted by `N`.
#[derive(Debug, Clone)]
struct Line {
    label: String,
    points: Vec<(f64, f64)>,
}

/// The series of `rows` (one per method and, where they vary, α / scheme / dtype / history),
/// with `value` on the y axis. Duplicate `N` within a series keep the last record.
fn lines(rows: &[&BenchResult], with_history: bool, value: impl Fn(&BenchResult) -> f64) -> Vec<Line> {
    let varies = |f: &dyn Fn(&BenchResult) -> String| {
        let mut v: Vec<String> = rows.iter().map(|r| f(r)).collect();
        v.sort();
        v.dedup();
        v.len() > 1
    };
    let (va, vs, vd) = (varies(&|r| r.alpha.to_string()), varies(&|r| r.scheme.clone()), varies(&|r| r.dtype.clone()));
    let mut by: BTreeMap<String, BTreeMap<usize, f64>> = BTreeMap::new();
    for r in rows {
        let mut label = r.method.clone();
        if with_history {
            label += &format!(", {} history", r.history);
        }
        if va {
            label += &format!(", α = {}", r.alpha);
        }
        if vs {
            label += &format!(", {}", r.scheme);
        }
        if vd {
            label += &format!(", {}", r.dtype);
        }
        // Log axes: a value ≤ 0 (e.g. `fwd_bwd_s` of forward-only records) has no point.
        let v = value(r);
        if v > 0.0 && v.is_finite() {
            by.entry(label).or_default().insert(r.steps, v);
        }
    }
    by.into_iter()
        .map(|(label, pts)| Line { label, points: pts.into_iter().map(|(n, v)| (n as f64, v)).collect() })
        .collect()
}

/// Writes every plot for `input` into `out`; returns the files written, in order.
pub fn plot_bench(input: &Path, out: &Path) -> Result<Vec<PathBuf>, PlotBenchError> {
    let rows = read_records(input)?;
    std::fs::create_dir_all(out)
        .map_err(|e| PlotBenchError::Write { path: out.to_path_buf(), reason: e.to_string() })?;
    let mut written = vec![];
    // Dense-history records by kind (ODE or FDE, and workload).
    let mut kinds: BTreeMap<String, Vec<&BenchResult>> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.history == "dense") {
        let k = if r.alpha >= 1.0 { "ode" } else { "fde" };
        kinds.entry(format!("{k}_{}", r.workload)).or_default().push(r);
    }
    for (kind, rs) in &kinds {
        let title_kind = if kind.starts_with("ode") { "ODE" } else { "FDE" };
        let what = format!("{title_kind}, {} ({} {})", rs[0].workload, rs[0].scheme, rs[0].dtype);
        let mem = lines(rs, false, |r| r.peak_bytes as f64 / 1e6);
        if mem.iter().all(|l| l.points.len() < 2) {
            continue;
        }
        let p = out.join(format!("memory_vs_n_{kind}.png"));
        loglog(&p, &format!("peak memory vs N: {what}"), "N (steps)", "peak memory (MB)", &mem)?;
        written.push(p);
        let time = lines(rs, false, |r| r.fwd_bwd_s);
        let p = out.join(format!("time_vs_n_{kind}.png"));
        loglog(&p, &format!("forward + backward time vs N: {what}"), "N (steps)", "seconds", &time)?;
        written.push(p);
    }
    // Fast vs dense: FDE records of methods that were run with the fast history.
    let fast_methods: Vec<(&str, &str)> =
        rows.iter().filter(|r| r.history == "fast").map(|r| (r.workload.as_str(), r.method.as_str())).collect();
    let fd: Vec<&BenchResult> = rows
        .iter()
        .filter(|r| r.alpha < 1.0 && fast_methods.contains(&(r.workload.as_str(), r.method.as_str())))
        .collect();
    if !fd.is_empty() {
        let time = lines(&fd, true, |r| r.fwd_bwd_s);
        let p = out.join("fast_vs_dense.png");
        loglog(&p, "fast (sum-of-exponentials) vs dense history: time", "N (steps)", "forward + backward (s)", &time)?;
        written.push(p);
        let mem = lines(&fd, true, |r| r.peak_bytes as f64 / 1e6);
        let p = out.join("fast_vs_dense_memory.png");
        loglog(&p, "fast (sum-of-exponentials) vs dense history: memory", "N (steps)", "peak memory (MB)", &mem)?;
        written.push(p);
    }
    Ok(written)
}

/// Runs `caputo plot-bench`.
pub fn run(args: &PlotBenchArgs) -> anyhow::Result<()> {
    for p in plot_bench(&args.input, &args.out)? {
        println!("wrote {}", p.display());
    }
    Ok(())
}

/// A log–log line plot with markers, written atomically; drawn without text where no font
/// can be loaded (as [`crate::train::plot::LinePlot`] does).
fn loglog(path: &Path, title: &str, x_label: &str, y_label: &str, lines: &[Line]) -> Result<(), PlotBenchError> {
    let tmp = crate::train::results::tmp_sibling(path);
    let render = |text: bool| -> Result<(), String> {
        let root = BitMapBackend::new(&tmp, (900, 600)).into_drawing_area();
        draw(&root, title, x_label, y_label, lines, text)?;
        root.present().map_err(|e| e.to_string())
    };
    let result = render(true).or_else(|first| {
        let _ = std::fs::remove_file(&tmp);
        render(false).map_err(|e| format!("{first}; without text: {e}"))
    });
    let result = result.and_then(|()| std::fs::rename(&tmp, path).map_err(|e| e.to_string()));
    if let Err(reason) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(PlotBenchError::Write { path: path.to_path_buf(), reason });
    }
    crate::train::results::sync_parent(path);
    Ok(())
}

/// The positive range of `v`, widened by `pad` (a factor) on each side.
fn log_range(v: impl Iterator<Item = f64>, pad: f64) -> (f64, f64) {
    let (lo, hi) =
        v.filter(|x| x.is_finite() && *x > 0.0).fold((f64::INFINITY, 0.0f64), |(a, b), x| (a.min(x), b.max(x)));
    if !lo.is_finite() {
        return (0.1, 10.0);
    }
    let (lo, hi) = if hi <= lo { (lo / 2.0, hi * 2.0) } else { (lo, hi) };
    (lo / pad, hi * pad)
}

/// Tick positions `m·10^k` in `[lo, hi]` for `m` in 1, 2, 5 (every `m` in 1..=9 where that
/// gives fewer than three ticks).
fn nice_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let pick = |ms: &[f64]| -> Vec<f64> {
        let (k0, k1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
        let mut v = vec![];
        for k in k0..=k1 {
            for m in ms {
                // Through a decimal string, so 0.1 · 3 prints as 0.3.
                let t: f64 = format!("{m}e{k}").parse().expect("a number; this is a bug");
                if t >= lo && t <= hi {
                    v.push(t);
                }
            }
        }
        v
    };
    let v = pick(&[1.0, 2.0, 5.0]);
    if v.len() >= 3 { v } else { pick(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]) }
}

/// A tick label: plain below 1e5 and above 1e-2 (at most 3 significant digits), `1e5` style
/// otherwise.
fn tick(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    if !(1e-2..1e5).contains(&v.abs()) {
        return format!("{v:.0e}");
    }
    let decimals = (2 - v.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    x_label: &str,
    y_label: &str,
    lines: &[Line],
    text: bool,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let pts = || lines.iter().flat_map(|l| l.points.iter().copied());
    let (x0, x1) = log_range(pts().map(|p| p.0), 1.15);
    let (y0, y1) = log_range(pts().map(|p| p.1), 1.3);
    let mut builder = ChartBuilder::on(root);
    builder.margin(16);
    if text {
        builder.caption(title, ("sans-serif", 22)).x_label_area_size(45).y_label_area_size(75);
    }
    // Ticks at the measured N (where there are few) and at 1–2–5 steps of the y decades: plotters'
    // own log-axis ticks crowd one decade and leave the others unlabelled.
    let mut ns: Vec<f64> = pts().map(|p| p.0).filter(|x| *x > 0.0).collect();
    ns.sort_by(f64::total_cmp);
    ns.dedup();
    let x_ticks = if ns.len() <= 8 { ns } else { nice_ticks(x0, x1) };
    let x = (x0..x1).log_scale().with_key_points(x_ticks);
    let y = (y0..y1).log_scale().with_key_points(nice_ticks(y0, y1));
    let mut chart = builder.build_cartesian_2d(x, y).map_err(err)?;
    let fmt = |v: &f64| tick(*v);
    if text {
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .x_label_formatter(&fmt)
            .y_label_formatter(&fmt)
            .light_line_style(WHITE)
            .draw()
            .map_err(err)?;
    } else {
        chart.configure_mesh().x_labels(0).y_labels(0).light_line_style(WHITE).draw().map_err(err)?;
    }
    for (i, l) in lines.iter().enumerate() {
        let (r, g, b) = PALETTE[i % PALETTE.len()];
        let c = RGBColor(r, g, b);
        let p: Vec<(f64, f64)> =
            l.points.iter().copied().filter(|(x, y)| *x > 0.0 && *y > 0.0 && y.is_finite()).collect();
        let anno = chart.draw_series(LineSeries::new(p.clone(), c.stroke_width(2))).map_err(err)?;
        if text {
            anno.label(l.label.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
        }
        chart.draw_series(p.into_iter().map(|q| Circle::new(q, 4, c.filled()))).map_err(err)?;
    }
    if text && !lines.is_empty() {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font(("sans-serif", 15))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(160, 160, 160))
            .draw()
            .map_err(err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_range_pads_positive_values() {
        let (a, b) = log_range([1.0, 100.0, -3.0, f64::NAN].into_iter(), 2.0);
        assert_eq!((a, b), (0.5, 200.0));
        assert_eq!(log_range(std::iter::empty(), 2.0), (0.1, 10.0));
    }

    #[test]
    fn nice_ticks_step_1_2_5_through_the_decades() {
        assert_eq!(nice_ticks(0.08, 90.0), vec![0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0]);
        assert_eq!(nice_ticks(1.5, 4.5), vec![2.0, 3.0, 4.0]);
    }

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(tick(100.0), "100");
        assert_eq!(tick(1600.0), "1600");
        assert_eq!(tick(0.30000000000000004), "0.3");
        assert_eq!(tick(1e5), "1e5");
        assert_eq!(tick(1e-3), "1e-3");
    }
}
