//! Forward-solve time of the predictor with dense and fast (sum-of-exponentials) history on
//! the `lv-mlp`-like field (`MlpField [2, 64, 64, 2]`, f64, `α = 0.6`, `t ∈ [0, 10]`).
//!
//! Run: `cargo run --release -p caputo --example fast_history [tol]` (default `tol = 1e-10`).
//! Prints seconds per solve, µs per step, the number of SOE modes `Q`, the fast–dense
//! difference where both ran, and the least-squares growth exponent of time in `N`.

use std::time::Instant;

use burn::tensor::Tensor;
use caputo::fde::fast::soe_kernel;
use caputo::fde::{FdeSolve, History, Scheme, solve};
use caputo::nn::MlpField;
use caputo::tensor::{from_vec, to_vec};
use caputo::testkit::{f64_device, max_rel_diff};

/// Least-squares slope of `ln y` against `ln x`.
fn slope(pts: &[(f64, f64)]) -> f64 {
    let n = pts.len() as f64;
    let (mx, my) = (pts.iter().map(|p| p.0.ln()).sum::<f64>() / n, pts.iter().map(|p| p.1.ln()).sum::<f64>() / n);
    let sxy: f64 = pts.iter().map(|p| (p.0.ln() - mx) * (p.1.ln() - my)).sum();
    let sxx: f64 = pts.iter().map(|p| (p.0.ln() - mx).powi(2)).sum();
    sxy / sxx
}

fn main() {
    let tol: f64 = std::env::args().nth(1).map_or(1e-10, |s| s.parse().expect("tol: a number in (0, 1)"));
    let (alpha, t1) = (0.6, 10.0);
    let dev = f64_device();
    dev.seed(0);
    let field = MlpField::new(&[2, 64, 64, 2], &dev);
    let plain = dev.inner();
    // Best of three for N ≤ 10⁴ (timings on a shared machine are noisy), one run beyond.
    let run = |n: usize, h: History| -> (f64, Vec<f64>) {
        let mut best = (f64::INFINITY, vec![]);
        for _ in 0..if n <= 10_000 { 3 } else { 1 } {
            let y0: Tensor<1> = from_vec(vec![1.0, 0.5], [2], &plain);
            let start = Instant::now();
            let sol =
                solve(&field, y0, &FdeSolve::new(alpha, &[0.0, t1], n).with_scheme(Scheme::Predictor).with_history(h))
                    .unwrap();
            let t = start.elapsed().as_secs_f64();
            if t < best.0 {
                best = (t, to_vec(sol.y[1].clone()));
            }
        }
        best
    };
    run(100, History::Dense); // warm-up
    println!("predictor, MlpField [2, 64, 64, 2], f64, alpha = {alpha}, t in [0, {t1}], fast tol = {tol:e}");
    println!(
        "{:>8} {:>10} {:>12} {:>10} {:>12} {:>5} {:>12}",
        "N", "dense s", "dense us/st", "fast s", "fast us/st", "Q", "rel diff"
    );
    let (mut dense_pts, mut fast_pts) = (vec![], vec![]);
    for n in [1_000usize, 10_000, 100_000] {
        let (tf, yf) = run(n, History::Fast { tol });
        fast_pts.push((n as f64, tf));
        let q = soe_kernel(alpha, t1 / n as f64, n, tol).len();
        let per = |t: f64| t / n as f64 * 1e6;
        if n <= 10_000 {
            let (td, yd) = run(n, History::Dense);
            dense_pts.push((n as f64, td));
            println!(
                "{n:>8} {td:>10.3} {:>12.1} {tf:>10.3} {:>12.1} {q:>5} {:>12.2e}",
                per(td),
                per(tf),
                max_rel_diff(&yf, &yd)
            );
        } else {
            println!("{n:>8} {:>10} {:>12} {tf:>10.3} {:>12.1} {q:>5} {:>12}", "-", "-", per(tf), "-");
        }
    }
    println!(
        "growth exponent of time in N: dense {:.2} (N = 1e3..1e4), fast {:.2} (N = 1e3..1e5)",
        slope(&dense_pts),
        slope(&fast_pts)
    );
}
