//! `caputo bench`: time and measured peak memory of the gradient methods, side by side.
//!
//! Workloads (the ones our comparisons with the Python peers use):
//! * `lv-mlp` — state `(1.0, 0.5)`, field MLP 2→64→64→2 with tanh, `T = 10`, `L = Σ y(T)²`;
//! * `wide` — batch 128 × 64, `y0 = 0.5·N(0,1)` (seeded), MLP 64→256→64 with tanh, `T = 10`.
//!
//! Peak bytes are the counting allocator's peak above the baseline during forward + backward
//! (the binary installs [`crate::alloc::CountingAlloc`]).

use std::time::Instant;

use anyhow::Result;
use burn::tensor::{Device, FloatDType, Tensor};
use caputo::VectorField;
use caputo::fde::History;
use caputo::grad::Method;
use caputo::nn::MlpField;
use rand::{RngCore, SeedableRng};
use serde::Serialize;

use crate::problems::{parse_list, usage};

/// Flags of `caputo bench`.
#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// Workload: lv-mlp or wide.
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
    /// History of fractional schemes: dense or fast.
    #[arg(long, default_value = "dense")]
    pub history: String,
    /// Kernel accuracy of the fast history.
    #[arg(long, default_value_t = 1e-10)]
    pub tol: f64,
    /// Print one JSON object per configuration (always JSON lines; kept for the documented interface).
    #[arg(long)]
    pub json: bool,
    /// Sweep all combinations of --steps and --method (one line each).
    #[arg(long)]
    pub sweep: bool,
}

/// One measurement.
#[derive(Debug, Clone, Serialize)]
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
}

struct Cfg {
    alpha: f64,
    scheme: String,
    method: Method,
    steps: usize,
    history: History,
}

fn run_once<const D: usize, F: VectorField<D>>(field: &F, y0: &Tensor<D>, c: &Cfg) -> Result<(f64, f64, usize, f64)> {
    let t = [0.0, 10.0];
    let fde = c.alpha < 1.0;
    let scheme = if fde { Some(caputo::fde::scheme::by_name(&c.scheme, c.alpha)?) } else { None };
    let tab = if fde { None } else { Some(caputo::ode::tableau::by_name(&c.scheme)?) };
    let ctl = caputo::ode::StepControl::fixed(c.steps);
    // Forward only.
    let start = Instant::now();
    match (&scheme, &tab) {
        (Some(s), _) => drop(caputo::fde::solve(field, y0.clone(), c.alpha, &t, c.steps, s, c.history)?),
        (_, Some(tb)) => drop(caputo::ode::solve(field, y0.clone(), &t, tb, &ctl)?),
        _ => unreachable!(),
    }
    let fwd = start.elapsed().as_secs_f64();
    // Forward + backward.
    let base = crate::alloc::reset_peak();
    let start = Instant::now();
    let cot = |ys: &[Tensor<D>]| -> (f64, Vec<Tensor<D>>) {
        let last = ys.last().expect("outputs").clone();
        let loss = caputo::tensor::dot(last.clone(), last.clone());
        (loss, vec![ys[0].zeros_like(), last.mul_scalar(2.0)])
    };
    let loss = match (&scheme, &tab) {
        (Some(s), _) => {
            let (sol, pb) = caputo::fde::fde_forward(field, y0.clone(), c.alpha, &t, c.steps, s, c.history, &c.method)?;
            let (loss, g) = cot(&sol.y);
            drop(sol);
            pb.backward(&g)?;
            loss
        }
        (_, Some(tb)) => {
            let (sol, pb) = caputo::grad::ode_forward(field, y0.clone(), &t, tb, &ctl, &c.method)?;
            let (loss, g) = cot(&sol.y);
            drop(sol);
            pb.backward(&g)?;
            loss
        }
        _ => unreachable!(),
    };
    let total = start.elapsed().as_secs_f64();
    Ok((fwd, total, crate::alloc::peak_bytes().saturating_sub(base), loss))
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
    let history = match args.history.as_str() {
        "dense" => History::Dense,
        "fast" => History::Fast { tol: args.tol },
        h => return Err(usage(format!("--history: unknown '{h}' (dense, fast)"))),
    };
    let scheme =
        args.scheme.clone().unwrap_or_else(|| if args.alpha < 1.0 { "predictor".into() } else { "rk4".into() });
    let steps: Vec<usize> = parse_list("steps", &args.steps)?.iter().map(|s| *s as usize).collect();
    if steps.contains(&0) {
        return Err(usage("--steps: step counts must be positive"));
    }
    let methods: Vec<Method> = args
        .method
        .split(',')
        .map(|m| Method::by_name(m.trim()).map_err(|e| usage(e.to_string())))
        .collect::<Result<_>>()?;
    if !args.sweep && (steps.len() > 1 || methods.len() > 1) {
        return Err(usage("several --steps or --method values need --sweep"));
    }
    let mut out = vec![];
    for &n in &steps {
        for m in &methods {
            // The same network for every configuration, so methods are compared on one model.
            dev.seed(0);
            let cfg = Cfg { alpha: args.alpha, scheme: scheme.clone(), method: m.clone(), steps: n, history };
            let (fwd, total, peak, loss) = match args.workload.as_str() {
                "lv-mlp" => {
                    let field = MlpField::new(&[2, 64, 64, 2], &dev);
                    let y0 = Tensor::<1>::from_data(burn::tensor::TensorData::new(vec![1.0f64, 0.5], [2]), &plain);
                    run_once(&field, &y0, &cfg)?
                }
                "wide" => {
                    let field = MlpField::new(&[64, 256, 64], &dev);
                    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
                    let v: Vec<f64> = (0..128 * 64).map(|_| 0.5 * gaussian(&mut rng)).collect();
                    let y0 = Tensor::<2>::from_data(burn::tensor::TensorData::new(v, [128, 64]), &plain);
                    run_once(&field, &y0, &cfg)?
                }
                w => return Err(usage(format!("--workload: unknown '{w}' (lv-mlp, wide)"))),
            };
            let r = BenchResult {
                workload: args.workload.clone(),
                alpha: args.alpha,
                scheme: scheme.clone(),
                method: m.name().to_string(),
                steps: n,
                dtype: args.dtype.clone(),
                history: args.history.clone(),
                fwd_s: fwd,
                fwd_bwd_s: total,
                peak_bytes: peak,
                loss,
            };
            println!("{}", serde_json::to_string(&r)?);
            out.push(r);
        }
    }
    Ok(out)
}
