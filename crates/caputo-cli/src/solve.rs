//! `caputo solve`: solve a built-in problem, print JSON / a table, or write CSV.

use anyhow::Result;
use serde_json::json;

use crate::problems::{Plan, ProblemArgs, WithField, exact, values, with_field};

/// Flags of `caputo solve`.
#[derive(clap::Args, Debug, Clone)]
pub struct SolveArgs {
    #[command(flatten)]
    /// The problem and how to solve it.
    pub problem: ProblemArgs,
    /// Print `{"t": [...], "y": [[...]], "stats": {...}}`.
    #[arg(long)]
    pub json: bool,
    /// Write `t,y0,y1,…` as CSV to this file.
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
}

/// The solution of a built-in problem at its output times.
pub struct Solved {
    /// Output times.
    pub t: Vec<f64>,
    /// States.
    pub y: Vec<Vec<f64>>,
    /// Counters.
    pub stats: caputo::Stats,
}

struct Solve<'a> {
    args: &'a ProblemArgs,
}

impl WithField<Solved> for Solve<'_> {
    fn call<F: caputo::VectorField<1>>(self, field: &F) -> Result<Solved> {
        let dev = caputo::testkit::f64_device().inner();
        let plan = self.args.plan()?;
        let t = self.args.times(&plan)?;
        let y0 = caputo::tensor::from_vec(self.args.y0()?, [self.args.y0()?.len()], &dev);
        let sol = match &plan {
            Plan::Ode { tab, control } => caputo::ode::solve(field, y0, &t, tab, control)?,
            Plan::Fde { scheme, n_steps, history } => caputo::fde::solve(
                field,
                y0,
                &caputo::fde::FdeSolve::new(self.args.alpha, &t, *n_steps)
                    .with_scheme(scheme.clone())
                    .with_history(*history),
            )?,
        };
        Ok(Solved { t: sol.t, y: sol.y.iter().map(values).collect(), stats: sol.stats })
    }
}

/// Solves the problem the flags describe.
pub fn solve(args: &ProblemArgs) -> Result<Solved> {
    let dev = caputo::testkit::f64_device().inner();
    with_field(args, &dev, Solve { args })
}

/// Runs `caputo solve`.
pub fn run(args: &SolveArgs) -> Result<()> {
    let s = solve(&args.problem)?;
    let y0 = args.problem.y0()?;
    let ex: Option<Vec<Vec<f64>>> = s.t.iter().map(|t| exact(&args.problem, *t, &y0)).collect();
    if let Some(path) = &args.out {
        let mut csv = String::from("t");
        for i in 0..s.y[0].len() {
            csv += &format!(",y{i}");
        }
        csv.push('\n');
        for (t, y) in s.t.iter().zip(&s.y) {
            csv += &format!("{t}");
            for v in y {
                csv += &format!(",{v}");
            }
            csv.push('\n');
        }
        crate::output::write_atomic(path, csv.as_bytes())?;
    }
    if args.json {
        let mut v = json!({ "t": s.t, "y": s.y, "stats": s.stats });
        if let Some(ex) = ex {
            v["exact"] = json!(ex);
        }
        println!("{v}");
    } else if args.out.is_none() {
        let stride = (s.t.len() / 10).max(1);
        println!("{:>12}  state", "t");
        for (k, (t, y)) in s.t.iter().zip(&s.y).enumerate() {
            if k % stride == 0 || k + 1 == s.t.len() {
                let ys: Vec<String> = y.iter().map(|v| format!("{v:>16.10}")).collect();
                println!("{t:>12.6}  {}", ys.join(" "));
            }
        }
        if let Some(ex) = ex {
            let last = s.y.last().expect("at least one output");
            let err = last.iter().zip(ex.last().expect("exact")).fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
            println!("error at t = {}: {err:.3e}", s.t.last().expect("times"));
        }
        println!("steps {}, rejected {}, f evaluations {}", s.stats.steps, s.stats.rejected_steps, s.stats.field_evals);
    }
    Ok(())
}
