//! `caputo grad`: the gradient of `L = Σ y(T)²` with any gradient method.

use anyhow::Result;
use burn::tensor::Tensor;
use caputo::grad::Method;
use serde_json::json;

use crate::problems::{Plan, ProblemArgs, WithField, usage, values, with_field};

/// Flags of `caputo grad`.
#[derive(clap::Args, Debug, Clone)]
pub struct GradArgs {
    #[command(flatten)]
    /// The problem and how to solve it.
    pub problem: ProblemArgs,
    /// Gradient method: direct, checkpointed, continuous-adjoint, symplectic-adjoint (ODE),
    /// discrete-adjoint (FDE), paper-adjoint (FDE, torchfde's biased adjoint).
    #[arg(long, default_value = "direct")]
    pub method: String,
    /// Segments of the checkpointed method.
    #[arg(long, default_value_t = 4)]
    pub segments: usize,
    /// Relative tolerance of the continuous adjoint's backward solve.
    #[arg(long, default_value_t = 1e-8)]
    pub adjoint_rtol: f64,
    /// Absolute tolerance of the continuous adjoint's backward solve.
    #[arg(long, default_value_t = 1e-10)]
    pub adjoint_atol: f64,
    /// Loss: final-sum-squares (L = Σ y(T)²).
    #[arg(long, default_value = "final-sum-squares")]
    pub loss: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Gradient results.
pub struct Gradient {
    /// Loss value.
    pub loss: f64,
    /// `∂L/∂θ`, module order.
    pub params: Vec<f64>,
    /// `∂L/∂y0`.
    pub y0: Vec<f64>,
    /// `∂L/∂α` when the method gives it.
    pub alpha: Option<f64>,
    /// Counters.
    pub stats: caputo::Stats,
}

impl GradArgs {
    /// The gradient method from the flags.
    pub fn method(&self) -> Result<Method> {
        Ok(match Method::by_name(&self.method).map_err(|e| usage(e.to_string()))? {
            Method::Checkpointed { .. } => Method::Checkpointed { segments: self.segments },
            Method::ContinuousAdjoint { .. } => {
                Method::ContinuousAdjoint { rtol: self.adjoint_rtol, atol: self.adjoint_atol }
            }
            m => m,
        })
    }
}

struct Grad<'a> {
    args: &'a GradArgs,
}

impl WithField<Gradient> for Grad<'_> {
    fn call<F: caputo::VectorField<1>>(self, field: &F) -> Result<Gradient> {
        let p = &self.args.problem;
        if self.args.loss != "final-sum-squares" {
            return Err(usage(format!("--loss: unknown '{}' (final-sum-squares)", self.args.loss)));
        }
        let method = self.args.method()?;
        let dev = caputo::testkit::f64_device().inner();
        let plan = p.plan()?;
        let t = p.times(&plan)?;
        let y0v = p.y0()?;
        let y0 = caputo::tensor::from_vec(y0v.clone(), [y0v.len()], &dev);
        let cot = |ys: &[Tensor<1>]| -> (f64, Vec<Tensor<1>>) {
            let last = ys.last().expect("outputs").clone();
            let loss = values(&last).iter().map(|v| v * v).sum();
            let mut g: Vec<Tensor<1>> = ys.iter().map(|y| y.zeros_like()).collect();
            *g.last_mut().expect("outputs") = last.mul_scalar(2.0);
            (loss, g)
        };
        let (loss, r) = match &plan {
            Plan::Ode { tab, control } => {
                let (sol, pb) = caputo::grad::ode_forward(field, y0, &t, tab, control, &method)?;
                let (loss, g) = cot(&sol.y);
                (loss, pb.backward(&g)?)
            }
            Plan::Fde { scheme, n_steps, history } => {
                let (sol, pb) = caputo::grad::fde_forward(
                    field,
                    y0,
                    &caputo::fde::FdeSolve::new(p.alpha, &t, *n_steps)
                        .with_scheme(scheme.clone())
                        .with_history(*history),
                    &method,
                )?;
                let (loss, g) = cot(&sol.y);
                (loss, pb.backward(&g)?)
            }
        };
        Ok(Gradient {
            loss,
            params: caputo::testkit::flat_grads(field, &r.params),
            y0: values(&r.y0),
            alpha: r.alpha,
            stats: r.stats,
        })
    }
}

/// Computes the gradient the flags describe.
pub fn gradient(args: &GradArgs) -> Result<Gradient> {
    // Parameters on the autodiff device, so the VJPs see them.
    let dev = caputo::testkit::f64_device();
    with_field(&args.problem, &dev, Grad { args })
}

/// Runs `caputo grad`.
pub fn run(args: &GradArgs) -> Result<()> {
    let g = gradient(args)?;
    if args.json {
        let mut v = json!({ "loss": g.loss, "grad_params": g.params, "grad_y0": g.y0, "stats": g.stats });
        if let Some(a) = g.alpha {
            v["grad_alpha"] = json!(a);
        }
        println!("{v}");
    } else {
        println!("loss        {:.12e}", g.loss);
        println!("dL/dtheta   {:?}", g.params);
        println!("dL/dy0      {:?}", g.y0);
        if let Some(a) = g.alpha {
            println!("dL/dalpha   {a:.12e}");
        }
        println!(
            "f evaluations {}, VJPs {}, stored {} B",
            g.stats.field_evals + g.stats.graph_evals,
            g.stats.vjps,
            g.stats.peak_stored_bytes
        );
    }
    Ok(())
}
