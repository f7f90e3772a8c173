//! The subcommands of `caputo`.

use anyhow::Result;
use clap::{Parser, Subcommand};

/// caputo: neural fractional and ordinary differential equations with exact, memory-lean gradients.
#[derive(Parser, Debug)]
#[command(name = "caputo", version, about)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Solve a built-in ODE or FDE problem (JSON, table or CSV).
    Solve(crate::solve::SolveArgs),
    /// Gradient of Σ y(T)² with respect to parameters, y0 (and α) with any gradient method.
    Grad(crate::grad::GradArgs),
    /// Time and measured peak memory of the gradient methods (JSON lines).
    Bench(crate::bench::BenchArgs),
    /// Recover fractional Lotka–Volterra parameters by training through an FDE solve.
    LotkaVolterra(crate::apps::lotka_volterra::LvArgs),
    /// Node classification with fractional graph neural diffusion (F-GRAND-l, F-GRAND-nl).
    Graph(crate::apps::graph::GraphArgs),
    /// MNIST classifier with a fractional (FDE) block, ODE-Net style (ships a 5,000-digit sample).
    Image(crate::apps::image::ImageArgs),
    /// PNG plots of `caputo bench` JSON lines: log–log memory and time vs N per method, fast vs dense history.
    ///
    /// `caputo plot-bench --input bench.jsonl --out docs/img` writes `memory_vs_n_<kind>.png`,
    /// `time_vs_n_<kind>.png` (kind: `ode_<workload>` or `fde_<workload>`), `fast_vs_dense.png`
    /// and `fast_vs_dense_memory.png`. Hidden from the main help: `scripts/report.sh` calls it.
    #[command(hide = true)]
    PlotBench(crate::plot_cmd::PlotBenchArgs),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Solve(a) => crate::solve::run(&a),
        Command::Grad(a) => crate::grad::run(&a),
        Command::Bench(a) => crate::bench::run(&a).map(drop),
        Command::LotkaVolterra(a) => crate::apps::lotka_volterra::run(&a).map(drop),
        Command::Graph(a) => crate::apps::graph::run(&a).map(drop),
        Command::Image(a) => crate::apps::image::run(&a).map(drop),
        Command::PlotBench(a) => crate::plot_cmd::run(&a),
    }
}

/// 2 for bad input (usage errors, invalid values, unreadable files), 1 otherwise.
pub fn exit_code(e: &anyhow::Error) -> i32 {
    let input = e.chain().any(|c| {
        c.downcast_ref::<crate::problems::UsageError>().is_some()
            || c.downcast_ref::<caputo::Error>().is_some()
            || c.downcast_ref::<crate::data::DataError>().is_some()
            || c.downcast_ref::<std::io::Error>().is_some()
            || c.downcast_ref::<crate::plot_cmd::PlotBenchError>().is_some_and(|e| e.is_input_error())
    });
    // Training applications: flag values, input files, corrupt or incompatible checkpoints.
    let input = input || crate::train::is_input_error(e);
    if input { 2 } else { 1 }
}
