//! `caputo bench`: time and measured peak memory of the gradient methods, side by side.
//!
//! Workloads (the ones our comparisons with the Python peers use):
//! * `lv-mlp` — state `(1.0, 0.5)`, field MLP 2→64→64→2 with tanh, `T = 10`, `L = Σ y(T)²`;
//! * `wide` — batch 128 × 64, `y0 = 0.5·N(0,1)` (seeded), MLP 64→256→64 with tanh, `T = 10`.
//!
//! Peak bytes are the counting allocator's peak above the baseline during forward + backward
//! (the binary installs [`crate::alloc::CountingAlloc`]).
//!
//! Each record also carries `grad_rel_err_vs_direct`: the gradient `(∂L/∂θ, ∂L/∂y0)` compared
//! with `direct` on the same workload, scheme, history, dtype and `N`,
//! `max|g − g_direct| / max|g_direct|` over all entries. The direct reference is computed once
//! per `N` (reused when `direct` is itself among `--method`, which then runs first) and only
//! for `N ≤ --reference-max-steps` (default 4000: beyond that direct backpropagation through a
//! dense FDE history costs minutes and gigabytes); otherwise, and for `direct` itself, the
//! field is `null` (test `bench_reports_the_gradient_error_against_direct_and_plot_bench_reads_it`
//! in `tests/plot_bench.rs`).

use std::time::Instant;

use anyhow::Result;
use burn::tensor::{Device, FloatDType, Tensor};
use caputo::VectorField;
use caputo::fde::History;
use caputo::grad::Method;
use caputo::nn::MlpField;
use rand::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::problems::{parse_list, usage};

/// Flags of `caputo bench`.
#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// Workload: lv-mlp (2-64-64-2 MLP field), wide (64-256-64 MLP on a 128 × 64 state), or
    /// decay (`D^α y = −y` on a 128 × 64 state: a field that costs nothing, so the history sum
    /// is the whole cost).
    #[arg(long, default_value = "lv-mlp")]
    pub workload: String,
    /// Fractional order; 1 benchmarks the ODE path.
    #[arg(long, default_value_t = 1.0)]
    pub alpha: f64,
    /// Scheme (tableau for α = 1, fractional scheme otherwise) [default: rk4 / predictor].
    #[arg(long)]
    pub scheme: Option<String>,
    /// Gradient method(s), comma-separated.
    #[arg(long, default_value = "direct")]
    pub method: String,
    /// Step count(s), comma-separated.
    #[arg(long, default_value = "1000")]
    pub steps: String,
    /// Threads of Burn's CPU backend.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Float type: f32 (as the peers' figures) or f64.
    #[arg(long, default_value = "f32")]
    pub dtype: String,
    /// History of fractional schemes: dense, fast, or both side by side (`dense,fast`).
    #[arg(long, default_value = "dense")]
    pub history: String,
    /// Segments of `checkpointed`: a number, or `auto` (fast history:
    /// `fde::fast::checkpoint_segments`, the memory-optimal count; otherwise ⌈√N⌉).
    #[arg(long, default_value = "auto")]
    pub segments: String,
    /// Largest N at which a fast-history run is compared with the dense-history solve
    /// (`state_rel_err_vs_dense`; the dense solve costs O(N²)).
    #[arg(long, default_value_t = 20_000)]
    pub dense_reference_max_steps: usize,
    /// Kernel accuracy of the fast history.
    #[arg(long, default_value_t = 1e-10)]
    pub tol: f64,
    /// Print one JSON object per configuration (always JSON lines; kept for the documented interface).
    #[arg(long)]
    pub json: bool,
    /// Sweep all combinations of --steps and --method (one line each).
    #[arg(long)]
    pub sweep: bool,
    /// Largest N for which the gradient is compared with `direct` (`grad_rel_err_vs_direct`);
    /// 0 turns the comparison off. Direct backpropagation through a dense FDE history costs
    /// O(N²) time and a graph that grows faster than N, so large N are skipped by default.
    #[arg(long, default_value_t = 4000)]
    pub reference_max_steps: usize,
    /// Time the forward solve only (no gradient; `--method` is ignored and the records say
    /// `"forward"`, with `fwd_bwd_s` = 0 and the forward solve's peak memory).
    #[arg(long)]
    pub forward_only: bool,
    /// Split each forward + backward time into field evaluations, VJPs, history sums and the
    /// rest (the `breakdown` object of each record; the timers cost a few percent).
    #[arg(long)]
    pub breakdown: bool,
}

/// Where the forward + backward time went (`--breakdown`), in seconds.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct TimeBreakdown {
    /// Field evaluations without a graph (forward solve, replays).
    pub eval_s: f64,
    /// Vector–Jacobian products of the field.
    pub vjp_s: f64,
    /// Fractional history sums, forward and reverse.
    pub history_s: f64,
    /// Everything else: the schemes' state arithmetic, the method's bookkeeping, Burn's graph
    /// (for `direct` and `checkpointed` the whole backward is here).
    pub rest_s: f64,
}

/// One measurement (one JSON line; `caputo plot-bench` reads these back).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchResult {
    /// Workload name.
    pub workload: String,
    /// Fractional order.
    pub alpha: f64,
    /// Scheme name.
    pub scheme: String,
    /// Method name.
    pub method: String,
    /// Steps.
    pub steps: usize,
    /// f32 or f64.
    pub dtype: String,
    /// dense or fast.
    pub history: String,
    /// Seconds for the forward solve alone (no gradient bookkeeping).
    pub fwd_s: f64,
    /// Seconds for forward + backward with the method.
    pub fwd_bwd_s: f64,
    /// Peak bytes above baseline during forward + backward.
    pub peak_bytes: usize,
    /// `Σ y(T)²`.
    pub loss: f64,
    /// `max|g − g_direct| / max|g_direct|` over all entries of `(∂L/∂θ, ∂L/∂y0)`, against
    /// `direct` on the same configuration; `None` (JSON `null`) for `direct` itself, above
    /// `--reference-max-steps`, and in records written before this field existed.
    #[serde(default)]
    pub grad_rel_err_vs_direct: Option<f64>,
    /// Where the forward + backward time went (`--breakdown`; `None` otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<TimeBreakdown>,
    /// Segments of `checkpointed` (`None` for the other methods).
    #[serde(default)]
    pub segments: Option<usize>,
    /// Fast history: `max|y(T) − y_dense(T)| / max|y_dense(T)|` against the dense-history solve
    /// on the same grid (`None` for dense history and above `--dense-reference-max-steps`).
    #[serde(default)]
    pub state_rel_err_vs_dense: Option<f64>,
}

/// The fitted growth of time in N for one (method, history) of a sweep: the least-squares
/// slope of `ln t` against `ln N` (one JSON line after the measurements, `"summary"` key).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchSummary {
    /// Always `"time_exponent"`.
    pub summary: String,
    /// Workload name.
    pub workload: String,
    /// Method name.
    pub method: String,
    /// dense or fast.
    pub history: String,
    /// The step counts fitted.
    pub steps: Vec<usize>,
    /// Slope of the forward solve's time.
    pub fwd_exponent: f64,
    /// Slope of forward + backward (`None` for forward-only records).
    pub fwd_bwd_exponent: Option<f64>,
}

/// Least-squares slope of `ln y` against `ln x`.
pub fn loglog_slope(x: &[f64], y: &[f64]) -> f64 {
    let (lx, ly): (Vec<f64>, Vec<f64>) = x.iter().zip(y).map(|(a, b)| (a.ln(), b.ln())).unzip();
    let n = lx.len() as f64;
    let (mx, my) = (lx.iter().sum::<f64>() / n, ly.iter().sum::<f64>() / n);
    let sxy: f64 = lx.iter().zip(&ly).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = lx.iter().map(|a| (a - mx) * (a - mx)).sum();
    sxy / sxx
}

/// One run's measurements and its flattened gradient `(∂L/∂θ, ∂L/∂y0)`.
struct Measured {
    fwd_s: f64,
    fwd_bwd_s: f64,
    peak_bytes: usize,
    loss: f64,
    grad: Vec<f64>,
    /// `y(T)` of the forward solve.
    y_end: Vec<f64>,
    /// Where the forward + backward time went.
    breakdown: Option<TimeBreakdown>,
}

/// `max|g − r| / max|r|` (the relative error of `g` against the reference `r`); `None` when
/// the lengths differ or `r` is all zero.
pub fn rel_err_max_abs(g: &[f64], r: &[f64]) -> Option<f64> {
    let scale = r.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if g.len() != r.len() || scale == 0.0 {
        return None;
    }
    let diff = g.iter().zip(r).fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    Some(diff / scale)
}

struct Cfg {
    alpha: f64,
    scheme: String,
    method: Method,
    steps: usize,
    history: History,
    forward_only: bool,
}

fn run_once<const D: usize, F: VectorField<D>>(field: &F, y0: &Tensor<D>, c: &Cfg) -> Result<Measured> {
    let t = [0.0, 10.0];
    let fde = c.alpha < 1.0;
    let scheme = if fde { Some(caputo::fde::scheme::by_name(&c.scheme, c.alpha)?) } else { None };
    let tab = if fde { None } else { Some(caputo::ode::tableau::by_name(&c.scheme)?) };
    let ctl = caputo::ode::StepControl::fixed(c.steps);
    // Forward only.
    let base = crate::alloc::reset_peak();
    let start = Instant::now();
    let sol = match (&scheme, &tab) {
        (Some(s), _) => caputo::fde::solve(
            field,
            y0.clone(),
            &caputo::fde::FdeSolve::new(c.alpha, &t, c.steps).with_scheme(s.clone()).with_history(c.history),
        )?,
        (_, Some(tb)) => caputo::ode::solve(field, y0.clone(), &t, tb, &ctl)?,
        _ => unreachable!(),
    };
    let fwd = start.elapsed().as_secs_f64();
    let fwd_peak = crate::alloc::peak_bytes().saturating_sub(base);
    let y_end = caputo::tensor::to_vec(sol.y.last().expect("outputs").clone());
    drop(sol);
    if c.forward_only {
        let loss = y_end.iter().map(|v| v * v).sum();
        return Ok(Measured {
            fwd_s: fwd,
            fwd_bwd_s: 0.0,
            peak_bytes: fwd_peak,
            loss,
            grad: vec![],
            y_end,
            breakdown: None,
        });
    }
    // Forward + backward.
    caputo::stats::breakdown::reset();
    let base = crate::alloc::reset_peak();
    let start = Instant::now();
    let cot = |ys: &[Tensor<D>]| -> (f64, Vec<Tensor<D>>) {
        let last = ys.last().expect("outputs").clone();
        let loss = caputo::tensor::dot(last.clone(), last.clone());
        (loss, vec![ys[0].zeros_like(), last.mul_scalar(2.0)])
    };
    let (loss, grads) = match (&scheme, &tab) {
        (Some(s), _) => {
            let (sol, pb) = caputo::grad::fde_forward(
                field,
                y0.clone(),
                &caputo::fde::FdeSolve::new(c.alpha, &t, c.steps).with_scheme(s.clone()).with_history(c.history),
                &c.method,
            )?;
            let (loss, g) = cot(&sol.y);
            drop(sol);
            (loss, pb.backward(&g)?)
        }
        (_, Some(tb)) => {
            let (sol, pb) = caputo::grad::ode_forward(field, y0.clone(), &t, tb, &ctl, &c.method)?;
            let (loss, g) = cot(&sol.y);
            drop(sol);
            (loss, pb.backward(&g)?)
        }
        _ => unreachable!(),
    };
    let total = start.elapsed().as_secs_f64();
    let peak = crate::alloc::peak_bytes().saturating_sub(base);
    let b = caputo::stats::breakdown::read();
    let breakdown = TimeBreakdown {
        eval_s: b.eval_s,
        vjp_s: b.vjp_s,
        history_s: b.history_s,
        rest_s: (total - b.eval_s - b.vjp_s - b.history_s).max(0.0),
    };
    // Read back after the clock and the peak: copying the gradient out is not the method's cost.
    let mut grad = caputo::testkit::flat_grads(field, &grads.params);
    grad.extend(caputo::tensor::to_vec(grads.y0));
    Ok(Measured { fwd_s: fwd, fwd_bwd_s: total, peak_bytes: peak, loss, grad, y_end, breakdown: Some(breakdown) })
}

fn gaussian(rng: &mut rand_chacha::ChaCha8Rng) -> f64 {
    // Box–Muller on two uniforms from the raw stream (stable across rand versions).
    let u = |r: &mut rand_chacha::ChaCha8Rng| ((r.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    let (a, b) = (u(rng), u(rng));
    (-2.0 * a.ln()).sqrt() * (2.0 * std::f64::consts::PI * b).cos()
}

/// Runs the benchmark and prints JSON lines; returns the results.
pub fn run(args: &BenchArgs) -> Result<Vec<BenchResult>> {
    rayon::ThreadPoolBuilder::new().num_threads(args.threads.max(1)).build_global().ok();
    caputo::stats::breakdown::enable(args.breakdown);
    let mut dev = Device::flex().autodiff();
    let dtype = match args.dtype.as_str() {
        "f32" => FloatDType::F32,
        "f64" => FloatDType::F64,
        d => return Err(usage(format!("--dtype: unknown '{d}' (f32, f64)"))),
    };
    dev.configure(dtype).map_err(|e| anyhow::anyhow!("cannot configure the device dtype: {e:?}"))?;
    let plain = dev.clone().inner();
    if !(args.alpha > 0.0 && args.alpha <= 1.0) {
        return Err(usage(format!("--alpha: {} is outside (0, 1]", args.alpha)));
    }
    let histories: Vec<(String, History)> = args
        .history
        .split(',')
        .map(|h| match h.trim() {
            "dense" => Ok(("dense".to_string(), History::Dense)),
            "fast" => Ok(("fast".to_string(), History::Fast { tol: args.tol })),
            h => Err(usage(format!("--history: unknown '{h}' (dense, fast)"))),
        })
        .collect::<Result<_>>()?;
    let fixed_segments = match args.segments.as_str() {
        "auto" => None,
        s => match s.parse::<usize>() {
            Ok(k) if k >= 1 => Some(k),
            _ => return Err(usage(format!("--segments: '{s}' is not a positive number or `auto`"))),
        },
    };
    let scheme =
        args.scheme.clone().unwrap_or_else(|| if args.alpha < 1.0 { "predictor".into() } else { "rk4".into() });
    let steps: Vec<usize> = parse_list("steps", &args.steps)?.iter().map(|s| *s as usize).collect();
    if steps.contains(&0) {
        return Err(usage("--steps: step counts must be positive"));
    }
    let methods: Vec<Method> = if args.forward_only {
        vec![Method::DiscreteAdjoint] // not run: a placeholder for the one forward record per N
    } else {
        args.method
            .split(',')
            .map(|m| Method::by_name(m.trim()).map_err(|e| usage(e.to_string())))
            .collect::<Result<_>>()?
    };
    if !args.sweep && (steps.len() > 1 || methods.len() > 1 || histories.len() > 1) {
        return Err(usage("several --steps, --method or --history values need --sweep"));
    }
    let corrector_iters = match caputo::fde::scheme::by_name(&scheme, args.alpha) {
        Ok(caputo::fde::Scheme::Abm { corrector_iters }) => corrector_iters,
        _ => 0,
    };
    // The method as run: `checkpointed` with its segment count.
    let configured = |m: &Method, n: usize, history: History| -> Method {
        match m {
            Method::Checkpointed { .. } => Method::Checkpointed {
                segments: fixed_segments.unwrap_or_else(|| match history {
                    History::Fast { tol } => {
                        caputo::fde::fast::checkpoint_segments(args.alpha, n, tol, corrector_iters)
                    }
                    _ => ((n as f64).sqrt().ceil() as usize).max(1),
                }),
            },
            m => m.clone(),
        }
    };
    if !matches!(args.workload.as_str(), "lv-mlp" | "wide" | "decay") {
        return Err(usage(format!("--workload: unknown '{}' (lv-mlp, wide, decay)", args.workload)));
    }
    // `direct` first, so its gradient is the reference of the other methods at the same N.
    let mut methods = methods;
    methods.sort_by_key(|m| !matches!(m, Method::Direct));
    let measure_with = |method: &Method, n: usize, history: History, forward_only: bool| -> Result<Measured> {
        // The same network for every configuration, so methods are compared on one model.
        dev.seed(0);
        let cfg =
            Cfg { alpha: args.alpha, scheme: scheme.clone(), method: method.clone(), steps: n, history, forward_only };
        match args.workload.as_str() {
            "lv-mlp" => {
                let field = MlpField::new(&[2, 64, 64, 2], &dev);
                let y0 = Tensor::<1>::from_data(burn::tensor::TensorData::new(vec![1.0f64, 0.5], [2]), &plain);
                run_once(&field, &y0, &cfg)
            }
            "wide" => {
                let field = MlpField::new(&[64, 256, 64], &dev);
                let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
                let v: Vec<f64> = (0..128 * 64).map(|_| 0.5 * gaussian(&mut rng)).collect();
                let y0 = Tensor::<2>::from_data(burn::tensor::TensorData::new(v, [128, 64]), &plain);
                run_once(&field, &y0, &cfg)
            }
            "decay" => {
                let field = caputo::FnField::new(|_t: f64, y: Tensor<2>| -y);
                let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
                let v: Vec<f64> = (0..128 * 64).map(|_| gaussian(&mut rng)).collect();
                let y0 = Tensor::<2>::from_data(burn::tensor::TensorData::new(v, [128, 64]), &plain);
                run_once(&field, &y0, &cfg)
            }
            w => Err(usage(format!("--workload: unknown '{w}' (lv-mlp, wide, decay)"))),
        }
    };
    let measure = |method: &Method, n: usize, history: History| measure_with(method, n, history, args.forward_only);
    let measure_forward = |n: usize, history: History| measure_with(&Method::DiscreteAdjoint, n, history, true);
    let mut out = vec![];
    for &n in &steps {
        // y(T) with dense history, the reference of the fast runs at this N.
        let mut dense_end: Option<Vec<f64>> = None;
        for (hname, history) in &histories {
            let history = *history;
            let want_reference = !args.forward_only
                && n <= args.reference_max_steps
                && methods.iter().any(|m| !matches!(m, Method::Direct));
            let mut reference: Option<Vec<f64>> = None;
            if want_reference && !methods.iter().any(|m| matches!(m, Method::Direct)) {
                reference = Some(measure(&Method::Direct, n, history)?.grad);
            }
            let fast = matches!(history, History::Fast { .. });
            if fast && args.alpha < 1.0 && dense_end.is_none() && n <= args.dense_reference_max_steps {
                // The dense forward solve only: its gradient is not the reference of anything.
                dense_end = Some(measure_forward(n, History::Dense)?.y_end);
            }
            for m in &methods {
                let m = configured(m, n, history);
                let r = measure(&m, n, history)?;
                let is_direct = matches!(m, Method::Direct);
                if is_direct && want_reference {
                    reference = Some(r.grad.clone());
                }
                if !fast {
                    dense_end.get_or_insert_with(|| r.y_end.clone());
                }
                let err = if is_direct { None } else { reference.as_ref().and_then(|g| rel_err_max_abs(&r.grad, g)) };
                let state_err = if fast { dense_end.as_ref().and_then(|d| rel_err_max_abs(&r.y_end, d)) } else { None };
                let segments = match m {
                    Method::Checkpointed { segments } if !args.forward_only => Some(segments),
                    _ => None,
                };
                let r = BenchResult {
                    workload: args.workload.clone(),
                    alpha: args.alpha,
                    scheme: scheme.clone(),
                    method: if args.forward_only { "forward".to_string() } else { m.name().to_string() },
                    steps: n,
                    dtype: args.dtype.clone(),
                    history: hname.clone(),
                    fwd_s: r.fwd_s,
                    fwd_bwd_s: r.fwd_bwd_s,
                    peak_bytes: r.peak_bytes,
                    loss: r.loss,
                    grad_rel_err_vs_direct: err,
                    segments,
                    state_rel_err_vs_dense: state_err,
                    breakdown: if args.breakdown { r.breakdown } else { None },
                };
                println!("{}", serde_json::to_string(&r)?);
                out.push(r);
            }
        }
    }
    for s in summaries(&out) {
        println!("{}", serde_json::to_string(&s)?);
    }
    Ok(out)
}

/// The fitted time exponents of every (method, history) measured at three or more N.
pub fn summaries(rows: &[BenchResult]) -> Vec<BenchSummary> {
    let mut keys: Vec<(String, String)> = rows.iter().map(|r| (r.method.clone(), r.history.clone())).collect();
    keys.dedup();
    keys.sort();
    keys.dedup();
    let mut out = vec![];
    for (method, history) in keys {
        let sel: Vec<&BenchResult> = rows.iter().filter(|r| r.method == method && r.history == history).collect();
        if sel.len() < 3 {
            continue;
        }
        let n: Vec<f64> = sel.iter().map(|r| r.steps as f64).collect();
        let fwd: Vec<f64> = sel.iter().map(|r| r.fwd_s.max(1e-9)).collect();
        let tot: Vec<f64> = sel.iter().map(|r| r.fwd_bwd_s).collect();
        out.push(BenchSummary {
            summary: "time_exponent".into(),
            workload: sel[0].workload.clone(),
            method,
            history,
            steps: sel.iter().map(|r| r.steps).collect(),
            fwd_exponent: loglog_slope(&n, &fwd),
            fwd_bwd_exponent: tot.iter().all(|t| *t > 0.0).then(|| loglog_slope(&n, &tot)),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loglog_slope_recovers_a_power_law() {
        let n = [1e3, 1e4, 1e5];
        assert!((loglog_slope(&n, &n.map(|x| 3.0 * x.powf(1.5))) - 1.5).abs() < 1e-12);
    }

    #[test]
    fn rel_err_is_max_abs_difference_over_max_abs_reference() {
        assert_eq!(rel_err_max_abs(&[1.0, -2.5, 0.0], &[1.0, -2.0, 0.5]), Some(0.25));
        assert_eq!(rel_err_max_abs(&[1.0], &[0.0]), None);
        assert_eq!(rel_err_max_abs(&[1.0, 2.0], &[1.0]), None);
    }
}
