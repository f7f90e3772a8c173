//! Built-in problems of `caputo solve` / `caputo grad`, and the flags they share.

use anyhow::{Result, bail};
use burn::tensor::Tensor;
use caputo::fde::{History, Scheme};
use caputo::ode::{Adaptive, ButcherTableau, StepControl};

/// A usage or input error (exit code 2).
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for UsageError {}

/// Builds a usage error.
pub fn usage(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(UsageError(msg.into()))
}

/// Flags shared by `solve` and `grad`.
#[derive(clap::Args, Debug, Clone)]
pub struct ProblemArgs {
    /// Built-in problem: linear (y' = A y, A = [[-0.1,-1],[1,-0.1]]), lotka-volterra, relaxation
    /// (D^α y = −λ y), dff (Diethelm–Ford–Freed benchmark, y0 = 0, t ≤ 1), smooth (y = t²).
    #[arg(long, default_value = "lotka-volterra")]
    pub problem: String,
    /// Lotka–Volterra parameters a,b,c,d.
    #[arg(long, default_value = "1,1,0.5,0.3", allow_hyphen_values = true)]
    pub params: String,
    /// Initial state (comma-separated) [default: 2,1 lotka-volterra; 1,0.5 linear; 1 relaxation; 0 dff, smooth].
    #[arg(long, allow_hyphen_values = true)]
    pub y0: Option<String>,
    /// Rate λ of the relaxation problem.
    #[arg(long, default_value_t = 1.0, allow_hyphen_values = true)]
    pub lambda: f64,
    /// Fractional order α in (0, 1]; 1 gives the ODE path (Runge–Kutta schemes).
    #[arg(long, default_value_t = 1.0, allow_hyphen_values = true)]
    pub alpha: f64,
    /// Scheme: a Butcher tableau for α = 1 (euler, midpoint, heun, rk4, rk38, bosh3, fehlberg2,
    /// dopri5, tsit5, dopri8) or a fractional scheme (predictor, abm, l1, l1-implicit, gl, gl-rl,
    /// trapezoid, trapezoid-implicit, trapezoid-rl, multiterm) [default: rk4 fixed, dopri5
    /// adaptive, abm fractional]. A fractional scheme with --alpha 1 solves with α = 1.
    #[arg(long)]
    pub scheme: Option<String>,
    /// Final time.
    #[arg(long, default_value_t = 10.0, allow_hyphen_values = true)]
    pub t1: f64,
    /// Number of fixed (uniform) steps [default: 1000 unless --rtol/--atol are given].
    #[arg(long)]
    pub steps: Option<usize>,
    /// Relative tolerance: adaptive steps (ODE only).
    #[arg(long, allow_hyphen_values = true)]
    pub rtol: Option<f64>,
    /// Absolute tolerance: adaptive steps (ODE only).
    #[arg(long, allow_hyphen_values = true)]
    pub atol: Option<f64>,
    /// Output times t1,t2,… after t0 = 0 [default: every grid point (fixed) or 10 evenly spaced].
    #[arg(long, allow_hyphen_values = true)]
    pub times: Option<String>,
    /// Fractional history: dense, short (with --memory L) or fast (with --tol).
    #[arg(long, default_value = "dense")]
    pub history: String,
    /// Short memory length L (implies --history short).
    #[arg(long)]
    pub memory: Option<usize>,
    /// Kernel accuracy of the fast history.
    #[arg(long, default_value_t = 1e-10)]
    pub tol: f64,
    /// Corrector iterations of abm (or new-point iterations of the -implicit schemes).
    #[arg(long)]
    pub corrector_iters: Option<usize>,
}

/// Parses a comma-separated list of numbers, naming the flag on error.
pub fn parse_list(flag: &str, s: &str) -> Result<Vec<f64>> {
    s.split(',')
        .map(|x| x.trim().parse::<f64>().map_err(|_| usage(format!("--{flag}: '{x}' is not a number (in '{s}')"))))
        .collect()
}

/// The grid and scheme a problem is solved with.
pub enum Plan {
    /// Runge–Kutta, fixed or adaptive.
    Ode {
        /// The tableau.
        tab: ButcherTableau,
        /// Fixed or adaptive steps.
        control: StepControl,
    },
    /// Fractional scheme on a uniform grid.
    Fde {
        /// The scheme.
        scheme: Scheme,
        /// Uniform steps.
        n_steps: usize,
        /// Dense, short or fast history.
        history: History,
    },
}

impl ProblemArgs {
    /// The initial state.
    pub fn y0(&self) -> Result<Vec<f64>> {
        let default = match self.problem.as_str() {
            "linear" => "1,0.5",
            "lotka-volterra" => "2,1",
            "relaxation" => "1",
            _ => "0",
        };
        let y0 = parse_list("y0", self.y0.as_deref().unwrap_or(default))?;
        let want = match self.problem.as_str() {
            "linear" | "lotka-volterra" => 2,
            _ => 1,
        };
        if y0.len() != want {
            return Err(usage(format!("--y0: problem {} needs {want} value(s), got {}", self.problem, y0.len())));
        }
        if let Some(v) = y0.iter().find(|v| !v.is_finite()) {
            return Err(usage(format!("--y0: {v} is not finite")));
        }
        Ok(y0)
    }

    /// Lotka–Volterra `(a, b, c, d)`.
    pub fn lv_params(&self) -> Result<[f64; 4]> {
        let p = parse_list("params", &self.params)?;
        p.clone()
            .try_into()
            .map_err(|_| usage(format!("--params: need 4 values a,b,c,d, got {} ('{}')", p.len(), self.params)))
    }

    /// The output times, `t[0] = 0`.
    pub fn times(&self, plan: &Plan) -> Result<Vec<f64>> {
        if !(self.t1.is_finite() && self.t1 > 0.0) {
            return Err(usage(format!("--t1: {} must be positive and finite", self.t1)));
        }
        let mut t = vec![0.0];
        match &self.times {
            Some(s) => t.extend(parse_list("times", s)?),
            None => {
                let n = match plan {
                    Plan::Ode { control: StepControl::Fixed { n_steps }, .. } => *n_steps,
                    Plan::Fde { n_steps, .. } => *n_steps,
                    _ => 10,
                };
                t.extend((1..=n).map(|k| self.t1 * k as f64 / n as f64));
            }
        }
        for w in t.windows(2) {
            if w[1] <= w[0] {
                return Err(usage(format!(
                    "--times: must be strictly increasing after t0 = 0, but {} follows {}",
                    w[1], w[0]
                )));
            }
        }
        Ok(t)
    }

    /// Scheme, grid and history from the flags.
    pub fn plan(&self) -> Result<Plan> {
        let alpha = self.alpha;
        if !(alpha.is_finite() && alpha > 0.0 && alpha <= 1.0) {
            return Err(usage(format!("--alpha: {alpha} is outside (0, 1]")));
        }
        let adaptive = self.rtol.is_some() || self.atol.is_some();
        let fractional_name = self.scheme.as_deref().is_some_and(|s| caputo::fde::scheme::by_name(s, alpha).is_ok());
        if alpha < 1.0 || fractional_name {
            if adaptive {
                return Err(usage("--rtol/--atol: fractional schemes use uniform steps; give --steps"));
            }
            let name = self.scheme.clone().unwrap_or_else(|| "abm".into());
            let mut scheme = caputo::fde::scheme::by_name(&name, alpha).map_err(|e| usage(e.to_string()))?;
            if let Some(k) = self.corrector_iters {
                scheme = match scheme {
                    Scheme::Abm { .. } => Scheme::Abm { corrector_iters: k },
                    Scheme::L1 { new_point: Some(_) } => Scheme::L1 { new_point: Some(k) },
                    Scheme::Trapezoid { form, new_point: Some(_) } => Scheme::Trapezoid { form, new_point: Some(k) },
                    _ => bail!(UsageError(format!("--corrector-iters: scheme {name} has no corrector iterations"))),
                };
            }
            let history = match (self.history.as_str(), self.memory) {
                (_, Some(l)) => History::Short(l),
                ("dense", None) => History::Dense,
                ("fast", None) => History::Fast { tol: self.tol },
                ("short", None) => return Err(usage("--history short needs --memory L")),
                (h, _) => return Err(usage(format!("--history: unknown '{h}' (dense, short, fast)"))),
            };
            return Ok(Plan::Fde { scheme, n_steps: self.steps.unwrap_or(1000), history });
        }
        let name = self.scheme.clone().unwrap_or_else(|| if adaptive { "dopri5".into() } else { "rk4".into() });
        let tab = caputo::ode::tableau::by_name(&name).map_err(|e| usage(e.to_string()))?;
        let control = if adaptive {
            if self.steps.is_some() {
                return Err(usage("give either --steps (fixed grid) or --rtol/--atol (adaptive), not both"));
            }
            StepControl::Adaptive(Adaptive::new(self.rtol.unwrap_or(1e-6), self.atol.unwrap_or(1e-8)))
        } else {
            StepControl::fixed(self.steps.unwrap_or(1000))
        };
        control.validate().map_err(|e| usage(e.to_string()))?;
        Ok(Plan::Ode { tab, control })
    }
}

/// The damped rotation's exact solution (default linear problem).
pub fn linear_exact(t: f64, y0: &[f64]) -> Vec<f64> {
    let (c, s, e) = (t.cos(), t.sin(), (-0.1 * t).exp());
    vec![e * (c * y0[0] - s * y0[1]), e * (s * y0[0] + c * y0[1])]
}

/// Exact solution of a built-in problem where one is known.
pub fn exact(args: &ProblemArgs, t: f64, y0: &[f64]) -> Option<Vec<f64>> {
    match args.problem.as_str() {
        "linear" if args.alpha == 1.0 => Some(linear_exact(t, y0)),
        "relaxation" => Some(vec![caputo::problems::Relaxation::exact(args.alpha, args.lambda, y0[0], t)]),
        "dff" => Some(vec![caputo::problems::dff_exact(args.alpha, t)]),
        "smooth" => Some(vec![t * t]),
        _ => None,
    }
}

/// Work to do with a problem's field (a generic callback: fields are distinct types).
pub trait WithField<T> {
    /// Called with the field.
    fn call<F: caputo::VectorField<1>>(self, field: &F) -> Result<T>;
}

/// Builds the field of `args.problem` on `device` and hands it to `k`.
pub fn with_field<T>(args: &ProblemArgs, device: &burn::tensor::Device, k: impl WithField<T>) -> Result<T> {
    use caputo::problems::*;
    match args.problem.as_str() {
        "linear" => k.call(&LinearField::default_2d(device)),
        "lotka-volterra" => k.call(&LotkaVolterra::new(args.lv_params()?, device)),
        "relaxation" => k.call(&Relaxation::new(args.lambda, device)),
        "dff" => k.call(&dff::<1>(args.alpha)),
        "smooth" => k.call(&smooth_square::<1>(vec![(1.0, args.alpha)])),
        p => Err(usage(format!("--problem: unknown '{p}' (linear, lotka-volterra, relaxation, dff, smooth)"))),
    }
}

/// Flattens a `[d]` tensor.
pub fn values(t: &Tensor<1>) -> Vec<f64> {
    caputo::tensor::to_vec(t.clone())
}
