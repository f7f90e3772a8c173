//! `caputo graph`: semi-supervised node classification with fractional graph neural
//! diffusion (FROND's F-GRAND family; Kang et al., ICLR 2024).
//!
//! # The model
//!
//! ```text
//! X(0) = enc(dropout(features))            linear to the hidden width d
//! D^α X = (A − I) X   on [0, T]            Caputo, 0 < α ≤ 1, X ∈ R^{n×d}
//! logits = dec(X(T))                       linear to the classes
//! ```
//!
//! `--model grand-l` (default, F-GRAND-l): `A` is a softmax over each node's neighbours of
//! scaled dot products `⟨W_Q x_i, W_K x_j⟩/√d_k` of the encoded features at t = 0, fixed during
//! the solve. `--model grand-nl` (F-GRAND-nl): the same attention recomputed from `X(t)` at
//! every evaluation. `--model adjacency`: the symmetric-normalised adjacency
//! `D^{-1/2} A D^{-1/2}`, no attention. Propagation is sparse (gather / scatter-add over the
//! edge list, [`sparse`]), never a dense `n × n` matrix. How each model's gradient reaches
//! `W_Q`, `W_K` and the encoder: [`model`] and [`step`].
//!
//! # Data
//!
//! Default: Zachary's karate club, shipped in the binary (34 nodes, 2 classes, one-hot
//! features, 8 training nodes). `--data DIR --format planetoid --name cora` (the eight
//! `ind.cora.*` files; features row-normalised as PyG's `NormalizeFeatures`), or
//! `--data DIR --format csv` (see [`crate::data::graph_csv`]). `--synthetic`: a planted
//! partition at Cora's scale ([`crate::data::cora_like`], seed `--data-seed`) for benchmarks.
//!
//! # Training
//!
//! Full-batch Adam (ε = 1e-8) on the mean cross-entropy of the training nodes, with L2
//! weight decay `--weight-decay` on every parameter but α, dropout `--dropout` on the input
//! features, `--epochs` steps; after every epoch the train/validation/test accuracies are
//! measured without dropout. `--learn-alpha` also learns `α = sigmoid(s)` from the pullback's
//! `∂L/∂α` (discrete adjoint only). The shared [`crate::train`] loop gives progress bars,
//! atomic checkpoints (`--checkpoint-every K`, `--resume DIR`) and the outputs.
//!
//! Long horizons: `--history fast --tol ε` solves the block with the sum-of-exponentials
//! history ([`caputo::fde::History::Fast`]; predictor and abm), linear in the number of steps;
//! with `--method checkpointed` the gradient then keeps only a few compressed solver states
//! ([`caputo::grad::fde_checkpoint`]). No `∂L/∂α` there, so not with `--learn-alpha`.
//!
//! # Outputs (`--out DIR`, default `out/graph`)
//!
//! `results.json` (accuracies, best validation epoch and its test accuracy, time per epoch,
//! measured peak memory), `history.csv`, `accuracy.png`, `loss.png`; with `--compare`,
//! `comparison.json` and `comparison_accuracy.png`: the same training with every gradient
//! method the library supports for fractional solves, with each α of `--compare-alphas` and
//! each scheme of `--compare-schemes`.

pub mod model;
pub mod sparse;
pub mod step;

use std::path::{Path, PathBuf};

use anyhow::Context;
use caputo::fde::{History, Scheme, scheme};
use caputo::grad::Method;
use caputo::stats::Stats;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use self::model::{GraphModel, ModelConfig, ModelKind};
use self::step::{BlockConfig, GraphProblem, accuracies, loss_and_grads, predict};
use crate::data::{GraphData, cora_like, karate, load_graph_csv, load_planetoid};
use crate::train::InputError;
use crate::train::checkpoint::CheckpointPolicy;
use crate::train::fit::{EpochRecord, FitConfig, FitReport, Objective, Observer, StepOutput, Trainer, adam_config};
use crate::train::plot::{Legend, LinePlot, Series};
use crate::train::progress::ProgressObserver;
use crate::train::results::{ensure_output_dir, fnv1a64, human_bytes, write_json};

/// Graph file formats for `--data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Kipf & Welling's Planetoid pickles (`ind.<name>.*`).
    Planetoid,
    /// The documented CSV directory (edges.csv, features.csv, labels.csv, split.csv).
    Csv,
}

fn parse_list(flag: &str, s: &str) -> anyhow::Result<Vec<f64>> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| p.parse::<f64>().map_err(|e| bad(format!("{flag}: '{p}': {e}"))))
        .collect()
}

fn parse_names(s: &str) -> Vec<String> {
    s.split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect()
}

/// Flags of `caputo graph`.
#[derive(Debug, Clone, clap::Args)]
pub struct GraphArgs {
    /// The diffusion: F-GRAND-l (attention at t = 0), F-GRAND-nl (attention of X(t)), or the fixed normalised adjacency.
    #[arg(long, value_enum, default_value = "grand-l")]
    pub model: ModelKind,
    /// A dataset directory (default: the shipped karate club).
    #[arg(long, value_name = "DIR", conflicts_with = "synthetic")]
    pub data: Option<PathBuf>,
    /// Format of --data.
    #[arg(long, value_enum, default_value = "planetoid")]
    pub format: Format,
    /// Dataset name for --format planetoid (cora, citeseer, pubmed).
    #[arg(long, default_value = "cora")]
    pub name: String,
    /// A synthetic planted-partition graph at Cora's scale (2,708 nodes, 5,278 edges, 7 classes, 128 features).
    #[arg(long)]
    pub synthetic: bool,
    /// Seed of the synthetic graph.
    #[arg(long, default_value_t = 0)]
    pub data_seed: u64,
    /// Fractional order α in (0, 1] (the initial value with --learn-alpha).
    #[arg(long, default_value_t = 0.8)]
    pub alpha: f64,
    /// Learn α (uses the pullback's ∂L/∂α; discrete adjoint only).
    #[arg(long)]
    pub learn_alpha: bool,
    /// Final time T of the diffusion.
    #[arg(long, default_value_t = 3.0)]
    pub t1: f64,
    /// Step size h (the grid has round(T/h) uniform steps).
    #[arg(long, default_value_t = 0.1)]
    pub step: f64,
    /// Fractional scheme (predictor, abm, l1, gl, trapezoid, …).
    #[arg(long, default_value = "predictor")]
    pub scheme: String,
    /// History of the scheme: dense (exact), or fast (sum-of-exponentials, linear time; predictor and abm; no --learn-alpha).
    #[arg(long, default_value = "dense", value_name = "dense|fast")]
    pub history: String,
    /// Kernel accuracy of --history fast.
    #[arg(long, default_value_t = 1e-8)]
    pub tol: f64,
    /// Gradient method: direct, discrete-adjoint (exact; ∂L/∂α), or any other the library supports for fractional solves (checkpointed, continuous-adjoint, paper-adjoint).
    #[arg(long, default_value = "discrete-adjoint")]
    pub method: String,
    /// Hidden width d of the diffusing features.
    #[arg(long, default_value_t = 16)]
    pub hidden: usize,
    /// Attention key width d_k (default: the hidden width).
    #[arg(long)]
    pub attention_dim: Option<usize>,
    /// Dropout probability on the input features.
    #[arg(long, default_value_t = 0.5)]
    pub dropout: f64,
    /// Adam's learning rate.
    #[arg(long, default_value_t = 0.01)]
    pub lr: f64,
    /// L2 weight decay (every parameter but α).
    #[arg(long, default_value_t = 5e-4)]
    pub weight_decay: f64,
    /// Full-batch training epochs.
    #[arg(long, default_value_t = 100)]
    pub epochs: usize,
    /// Seed of the initial parameters and of dropout.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output directory.
    #[arg(long, default_value = "out/graph")]
    pub out: PathBuf,
    /// Write a checkpoint every K epochs (and after the last); 0 = none.
    #[arg(long, default_value_t = 0, value_name = "K")]
    pub checkpoint_every: usize,
    /// Continue the run checkpointed in DIR (e.g. out/graph/checkpoint).
    #[arg(long, value_name = "DIR")]
    pub resume: Option<PathBuf>,
    /// Train with every supported gradient method, every α of --compare-alphas and every scheme of --compare-schemes.
    #[arg(long)]
    pub compare: bool,
    /// α values for --compare (empty: none).
    #[arg(long, default_value = "0.3,0.5,0.8,1.0", value_name = "A1,A2,…")]
    pub compare_alphas: String,
    /// Schemes for --compare (empty: none).
    #[arg(long, default_value = "predictor,abm,l1,gl,trapezoid", value_name = "S1,S2,…")]
    pub compare_schemes: String,
    /// No progress bar and no summary.
    #[arg(long)]
    pub quiet: bool,
}

impl GraphArgs {
    /// Parses the flags of `caputo graph` (without the command name), e.g.
    /// `GraphArgs::from_flags(&["--model", "adjacency"])`.
    pub fn from_flags(flags: &[&str]) -> Result<Self, clap::Error> {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct Wrap {
            #[command(flatten)]
            a: GraphArgs,
        }
        Ok(Wrap::try_parse_from(std::iter::once("graph").chain(flags.iter().copied()))?.a)
    }
}

impl Default for GraphArgs {
    /// The defaults of `caputo graph`.
    fn default() -> Self {
        Self::from_flags(&[]).expect("the defaults parse; this is a bug")
    }
}

fn bad(msg: impl Into<String>) -> anyhow::Error {
    InputError(msg.into()).into()
}

/// Everything resolved from the flags before training.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The problem (data tensors, block, regularisation).
    pub problem: GraphProblem,
    /// The model's sizes.
    pub config: ModelConfig,
    /// Where the data came from.
    pub source: String,
    /// A fingerprint of the data (checked on resume).
    pub fingerprint: String,
}

/// Reads the graph the flags name.
pub fn load_data(args: &GraphArgs) -> anyhow::Result<(GraphData, String)> {
    if args.synthetic {
        return Ok((
            cora_like(args.data_seed),
            format!("synthetic cora-like planted partition (seed {})", args.data_seed),
        ));
    }
    match &args.data {
        None => Ok((karate()?, "karate club (shipped)".into())),
        Some(dir) => match args.format {
            Format::Planetoid => {
                let mut g = load_planetoid(dir, &args.name)?;
                row_normalize(&mut g);
                Ok((g, format!("planetoid {} in {}", args.name, dir.display())))
            }
            Format::Csv => Ok((load_graph_csv(dir)?, format!("csv {}", dir.display()))),
        },
    }
}

/// Scales every node's features to sum to 1 (rows of zeros stay zero), as PyG's
/// `NormalizeFeatures` does for the Planetoid bag-of-words features.
pub fn row_normalize(g: &mut GraphData) {
    let f = g.n_features;
    if f == 0 {
        return;
    }
    for row in g.features.chunks_mut(f) {
        let s: f32 = row.iter().sum();
        if s != 0.0 {
            let inv = 1.0 / s;
            row.iter_mut().for_each(|v| *v *= inv);
        }
    }
}

/// A stable fingerprint of a graph (features, edges, labels, splits).
pub fn fingerprint(g: &GraphData) -> String {
    let mut bytes = Vec::with_capacity(4 * g.features.len() + 16 * g.edges.len());
    for v in &g.features {
        bytes.extend(v.to_le_bytes());
    }
    for &(u, v) in &g.edges {
        bytes.extend((u as u64).to_le_bytes());
        bytes.extend((v as u64).to_le_bytes());
    }
    for list in [&g.labels, &g.train, &g.val, &g.test] {
        bytes.extend((list.len() as u64).to_le_bytes());
        for &x in list.iter() {
            bytes.extend((x as u64).to_le_bytes());
        }
    }
    format!("{:016x}", fnv1a64(&bytes))
}

/// The number of uniform steps for `t1` and `step`.
pub fn n_steps(t1: f64, step: f64) -> usize {
    ((t1 / step).round() as usize).max(1)
}

/// The history from `--history` and `--tol`.
pub fn history(args: &GraphArgs) -> anyhow::Result<History> {
    match args.history.as_str() {
        "dense" => Ok(History::Dense),
        "fast" => Ok(History::Fast { tol: args.tol }),
        h => Err(bad(format!("--history {h}: unknown (dense, fast)"))),
    }
}

fn validate(args: &GraphArgs) -> anyhow::Result<Method> {
    if !(args.alpha.is_finite() && args.alpha > 0.0 && args.alpha <= 1.0) {
        return Err(bad(format!("--alpha {}: the fractional order must be in (0, 1]", args.alpha)));
    }
    if args.learn_alpha && args.alpha >= 1.0 {
        return Err(bad("--learn-alpha: the initial --alpha must be in (0, 1) (α = sigmoid(s))"));
    }
    if !(args.t1.is_finite() && args.t1 > 0.0) {
        return Err(bad(format!("--t1 {}: must be positive", args.t1)));
    }
    if !(args.step.is_finite() && args.step > 0.0 && args.step <= args.t1) {
        return Err(bad(format!("--step {}: must be positive and at most --t1", args.step)));
    }
    if args.hidden == 0 || args.attention_dim == Some(0) {
        return Err(bad("--hidden and --attention-dim must be at least 1"));
    }
    if !(args.dropout.is_finite() && (0.0..1.0).contains(&args.dropout)) {
        return Err(bad(format!("--dropout {}: must be in [0, 1)", args.dropout)));
    }
    if !(args.lr.is_finite() && args.lr > 0.0) {
        return Err(bad(format!("--lr {}: must be positive", args.lr)));
    }
    if args.epochs == 0 {
        return Err(bad("--epochs must be at least 1"));
    }
    if !(args.weight_decay.is_finite() && args.weight_decay >= 0.0) {
        return Err(bad(format!("--weight-decay {}: must be non-negative", args.weight_decay)));
    }
    let method = Method::by_name(&args.method).map_err(|e| bad(format!("--method {}: {e}", args.method)))?;
    let s = scheme::by_name(&args.scheme, args.alpha).map_err(|e| bad(format!("--scheme {}: {e}", args.scheme)))?;
    let h = history(args)?;
    if !args.compare {
        supported(&method, &s, args.alpha, h)
            .map_err(|e| bad(format!("--method {} with --scheme {}: {e}", args.method, args.scheme)))?;
    }
    if args.learn_alpha && matches!(h, History::Fast { .. }) {
        return Err(bad("--learn-alpha needs ∂L/∂α, which fast history does not give; use --history dense"));
    }
    if args.learn_alpha && matches!(s, Scheme::MultiTerm { .. }) {
        return Err(bad("--learn-alpha does not apply to the multi-term scheme (its orders are fixed numbers)"));
    }
    if args.learn_alpha && !args.compare && method != Method::DiscreteAdjoint {
        return Err(bad(format!(
            "--learn-alpha needs ∂L/∂α, which --method {} does not give; use --method discrete-adjoint",
            args.method
        )));
    }
    Ok(method)
}

/// Whether the library supports gradient `method` for fractional solves with `scheme` and
/// `history` ([`caputo::fde::FdeSolve::validate`], then [`Method::supports`]), so an unsupported
/// combination fails before any work.
pub fn supported(method: &Method, scheme: &Scheme, alpha: f64, history: History) -> Result<(), caputo::Error> {
    let opts = caputo::fde::FdeSolve::new(alpha, &[0.0, 1.0], 1).with_scheme(scheme.clone()).with_history(history);
    opts.validate()?;
    method.supports(caputo::grad::SolveKind::fde(&opts))
}

/// Validates the flags and loads the data.
pub fn setup(args: &GraphArgs) -> anyhow::Result<Setup> {
    validate(args)?;
    let (data, source) = load_data(args)?;
    setup_with(args, data, source)
}

/// Like [`setup`] with a graph given in memory (tests, benchmarks) instead of `--data`.
pub fn setup_with(args: &GraphArgs, data: GraphData, source: String) -> anyhow::Result<Setup> {
    let method = validate(args)?;
    let fp = fingerprint(&data);
    let config = ModelConfig {
        kind: args.model,
        n_features: data.n_features,
        hidden: args.hidden,
        attention_dim: args.attention_dim.unwrap_or(args.hidden),
        n_classes: data.n_classes,
    };
    let block = BlockConfig {
        kind: args.model,
        alpha: args.alpha,
        learn_alpha: args.learn_alpha,
        t1: args.t1,
        n_steps: n_steps(args.t1, args.step),
        scheme: args.scheme.clone(),
        method,
        history: history(args)?,
    };
    let problem = GraphProblem::new(data, block, args.dropout, args.weight_decay)?;
    Ok(Setup { problem, config, source, fingerprint: fp })
}

/// The configuration a resumed run must match.
pub fn run_config(args: &GraphArgs, s: &Setup) -> serde_json::Value {
    let b = &s.problem.block;
    serde_json::json!({
        "app": "graph",
        "model": b.kind.name(),
        "hidden": s.config.hidden,
        "attention_dim": s.config.attention_dim,
        "alpha": b.alpha,
        "learn_alpha": b.learn_alpha,
        "t1": b.t1,
        "n_steps": b.n_steps,
        "scheme": b.scheme,
        "method": b.method.name(),
        "history": format!("{:?}", b.history),
        "dropout": s.problem.dropout,
        "weight_decay": s.problem.weight_decay,
        "lr": args.lr,
        "seed": args.seed,
        "data_fingerprint": s.fingerprint,
    })
}

/// The [`Objective`] of a fit: one full-batch step per epoch; after it, the accuracies.
pub struct GraphObjective<'a> {
    /// The problem.
    pub problem: &'a GraphProblem,
    /// Seconds of every training step so far (this process).
    pub step_seconds: Vec<f64>,
    /// The counters of the last step's solve and pullback.
    pub last_stats: Stats,
}

impl<'a> GraphObjective<'a> {
    /// The objective of `problem`.
    pub fn new(problem: &'a GraphProblem) -> Self {
        Self { problem, step_seconds: Vec::new(), last_stats: Stats::default() }
    }
}

/// Metric columns: accuracies, seconds of the training step, and α when learned.
pub fn metric_names(learn_alpha: bool) -> Vec<String> {
    let mut v: Vec<String> =
        ["train_acc", "val_acc", "test_acc", "step_seconds"].iter().map(|s| s.to_string()).collect();
    if learn_alpha {
        v.push("alpha".into());
    }
    v
}

impl Objective<GraphModel> for GraphObjective<'_> {
    fn metric_names(&self) -> Vec<String> {
        metric_names(self.problem.block.learn_alpha)
    }

    fn step(
        &mut self,
        model: &GraphModel,
        _epoch: usize,
        _step: usize,
        rng: &mut ChaCha8Rng,
    ) -> anyhow::Result<StepOutput> {
        let (grads, r) = loss_and_grads(self.problem, model, Some(rng))?;
        self.step_seconds.push(r.seconds);
        self.last_stats = r.stats;
        Ok(StepOutput { loss: r.loss, grads })
    }

    fn end_epoch(&mut self, model: &GraphModel, _epoch: usize) -> anyhow::Result<Vec<f64>> {
        let pred = predict(self.problem, model).context("evaluating the accuracies")?;
        let mut m = accuracies(&self.problem.data, &pred).to_vec();
        m.push(self.step_seconds.last().copied().unwrap_or(f64::NAN));
        if self.problem.block.learn_alpha {
            m.push(model.alpha());
        }
        Ok(m)
    }
}

/// `results.json`.
#[derive(Debug, Clone, Serialize)]
pub struct GraphResults {
    /// `"graph"`.
    pub command: String,
    /// `grand-l`, `grand-nl` or `adjacency`.
    pub model: String,
    /// Where the data came from.
    pub data: String,
    /// Nodes.
    pub n_nodes: usize,
    /// Undirected edges.
    pub n_edges: usize,
    /// Input features.
    pub n_features: usize,
    /// Classes.
    pub n_classes: usize,
    /// Training / validation / test nodes.
    pub split_sizes: [usize; 3],
    /// Gradient method.
    pub method: String,
    /// Scheme.
    pub scheme: String,
    /// Initial α (the fixed α when not learned).
    pub alpha_initial: f64,
    /// α of the trained model.
    pub alpha_final: f64,
    /// Whether α was learned.
    pub alpha_learned: bool,
    /// Final time T.
    pub t1: f64,
    /// Uniform steps.
    pub n_steps: usize,
    /// Hidden width.
    pub hidden: usize,
    /// Attention key width.
    pub attention_dim: usize,
    /// Input dropout.
    pub dropout: f64,
    /// Learning rate.
    pub lr: f64,
    /// L2 weight decay.
    pub weight_decay: f64,
    /// Epochs in total.
    pub epochs: usize,
    /// Epochs restored from a checkpoint (0 for a fresh run).
    pub resumed_from_epoch: usize,
    /// Seed.
    pub seed: u64,
    /// Accuracies of the final model `[train, val, test]`.
    pub final_accuracy: [f64; 3],
    /// The epoch with the highest validation accuracy (first of ties).
    pub best_val_epoch: usize,
    /// Accuracies at that epoch `[train, val, test]`.
    pub best_val_accuracy: [f64; 3],
    /// Training loss at the first and the last epoch.
    pub loss: [f64; 2],
    /// Mean seconds of one training step (forward + backward) in this process.
    pub step_seconds_mean: f64,
    /// Wall seconds per epoch (training step and evaluation) in this process.
    pub epoch_seconds: f64,
    /// Wall-clock seconds of the training in this process.
    pub wall_time_s: f64,
    /// Over all resumed segments.
    pub total_wall_time_s: f64,
    /// Peak extra heap bytes during training (the binary's counting allocator; `null` when
    /// not installed).
    pub peak_memory_bytes: Option<usize>,
    /// The last training step's solve and pullback counters.
    pub last_step_stats: Stats,
}

/// The outcome of one fit.
pub struct FitOutcome {
    /// The trained model.
    pub model: GraphModel,
    /// One record per epoch (all segments).
    pub history: Vec<EpochRecord>,
    /// The loop's report.
    pub report: FitReport,
    /// Epochs restored from a checkpoint.
    pub resumed_from: usize,
    /// Seconds of the training steps of this process.
    pub step_seconds: Vec<f64>,
    /// The last step's counters.
    pub last_stats: Stats,
}

/// Adam as every graph fit uses it ([`adam_config`]; weight decay is added to the gradients
/// by the step, so that α is exempt).
pub fn adam() -> burn::optim::AdamConfig {
    adam_config()
}

/// Trains with the shared loop (fresh, or resumed from `resume`).
pub fn train(
    args: &GraphArgs,
    s: &Setup,
    checkpoint: Option<CheckpointPolicy>,
    resume: Option<&Path>,
    observers: &mut [&mut dyn Observer],
) -> anyhow::Result<FitOutcome> {
    let cfg_json = run_config(args, s);
    let template = s.config.init(s.problem.block.alpha, args.seed);
    let mut trainer = match resume {
        Some(dir) => Trainer::resume(dir, template, &adam(), cfg_json)?,
        None => Trainer::new(template, &adam(), args.seed, cfg_json),
    };
    let resumed_from = trainer.epoch;
    // One step and one evaluation outside the measured window (without dropout, so the run's
    // RNG is untouched): lazily allocated thread pools and caches then sit in the baseline
    // rather than in the first fit's peak memory.
    loss_and_grads(&s.problem, &trainer.model, None).context("warm-up step")?;
    predict(&s.problem, &trainer.model).context("warm-up evaluation")?;
    let mut objective = GraphObjective::new(&s.problem);
    let cfg = FitConfig { epochs: args.epochs, lr: args.lr, lr_decay: 1.0, checkpoint };
    let report = trainer.fit(&mut objective, &cfg, observers)?;
    Ok(FitOutcome {
        model: trainer.model,
        history: trainer.history,
        report,
        resumed_from,
        step_seconds: objective.step_seconds,
        last_stats: objective.last_stats,
    })
}

/// Index of the epoch record with the highest validation accuracy (first of ties).
fn best_val(history: &[EpochRecord]) -> Option<&EpochRecord> {
    history.iter().fold(None, |best: Option<&EpochRecord>, r| match best {
        Some(b) if b.metrics[1] >= r.metrics[1] => Some(b),
        _ => Some(r),
    })
}

/// The results of a fit.
pub fn results_of(args: &GraphArgs, s: &Setup, o: &FitOutcome) -> GraphResults {
    let d = &s.problem.data;
    let b = &s.problem.block;
    let last = o.history.last();
    let acc3 = |r: Option<&EpochRecord>| r.map_or([f64::NAN; 3], |r| [r.metrics[0], r.metrics[1], r.metrics[2]]);
    let best = best_val(&o.history);
    let n_run = o.report.epochs_run.max(1) as f64;
    GraphResults {
        command: "graph".into(),
        model: b.kind.name().into(),
        data: s.source.clone(),
        n_nodes: d.n_nodes,
        n_edges: d.n_edges(),
        n_features: d.n_features,
        n_classes: d.n_classes,
        split_sizes: [d.train.len(), d.val.len(), d.test.len()],
        method: b.method.name().into(),
        scheme: b.scheme.clone(),
        alpha_initial: b.alpha,
        alpha_final: s.problem.alpha(&o.model),
        alpha_learned: b.learn_alpha,
        t1: b.t1,
        n_steps: b.n_steps,
        hidden: s.config.hidden,
        attention_dim: s.config.attention_dim,
        dropout: s.problem.dropout,
        lr: args.lr,
        weight_decay: s.problem.weight_decay,
        epochs: args.epochs.max(o.resumed_from),
        resumed_from_epoch: o.resumed_from,
        seed: args.seed,
        final_accuracy: acc3(last),
        best_val_epoch: best.map_or(0, |r| r.epoch),
        best_val_accuracy: acc3(best),
        loss: [o.history.first().map_or(f64::NAN, |r| r.loss), last.map_or(f64::NAN, |r| r.loss)],
        step_seconds_mean: if o.step_seconds.is_empty() {
            f64::NAN
        } else {
            o.step_seconds.iter().sum::<f64>() * (1.0 / o.step_seconds.len() as f64)
        },
        epoch_seconds: o.report.wall_s * (1.0 / n_run),
        wall_time_s: o.report.wall_s,
        total_wall_time_s: o.report.total_wall_s,
        peak_memory_bytes: o.report.peak_bytes,
        last_step_stats: o.last_stats,
    }
}

/// Runs `caputo graph` (one fit, or `--compare`); prints a summary unless `--quiet`.
pub fn run(args: &GraphArgs) -> anyhow::Result<GraphResults> {
    let s = setup(args)?;
    if args.compare {
        if args.resume.is_some() || args.checkpoint_every > 0 {
            return Err(bad("--compare runs several fits; it cannot be combined with --resume or --checkpoint-every"));
        }
        ensure_output_dir(&args.out)?;
        return compare(args, &s);
    }
    if let Some(dir) = &args.resume {
        // Check the checkpoint before writing anything.
        crate::train::checkpoint::load(
            dir,
            s.config.init(s.problem.block.alpha, args.seed),
            &adam(),
            run_config(args, &s),
        )?;
    }
    ensure_output_dir(&args.out)?;
    let policy = (args.checkpoint_every > 0)
        .then(|| CheckpointPolicy { dir: args.out.join("checkpoint"), every: args.checkpoint_every });
    let mut bar = ProgressObserver::new("graph", args.quiet);
    let outcome = train(args, &s, policy, args.resume.as_deref(), &mut [&mut bar])?;
    let results = write_outputs(args, &s, &outcome)?;
    if !args.quiet {
        print_summary(args, &results);
    }
    Ok(results)
}

fn write_outputs(args: &GraphArgs, s: &Setup, o: &FitOutcome) -> anyhow::Result<GraphResults> {
    let out = &args.out;
    let r = results_of(args, s, o);
    write_json(&out.join("results.json"), &r)?;
    let names = metric_names(s.problem.block.learn_alpha);
    crate::train::results::write_history(&out.join("history.csv"), &names, &o.history)?;
    let curve = |k: usize| o.history.iter().map(|h| (h.epoch as f64, h.metrics[k])).collect::<Vec<_>>();
    LinePlot::new(
        format!("{} on {}: accuracy (α = {:.3}, {})", r.model, r.data, r.alpha_final, r.method),
        "epoch",
        "accuracy",
    )
    .legend(Legend::LowerRight)
    .series(Series::line("train", curve(0)).color((0, 114, 178)))
    .series(Series::line("validation", curve(1)).color((213, 94, 0)))
    .series(Series::line("test", curve(2)).color((0, 158, 115)))
    .save_png(&out.join("accuracy.png"))?;
    LinePlot::new("training loss (cross-entropy on the training nodes)", "epoch", "loss")
        .log_y(true)
        .series(Series::line(format!("{} / {}", r.method, r.scheme), crate::train::results::loss_curve(&o.history)))
        .save_png(&out.join("loss.png"))?;
    Ok(r)
}

fn print_summary(args: &GraphArgs, r: &GraphResults) {
    let alpha = if r.alpha_learned {
        format!("α learned {:.4} (initial {})", r.alpha_final, r.alpha_initial)
    } else {
        format!("α = {}", r.alpha_final)
    };
    println!(
        "{} on {} ({} nodes, {} edges, {} classes): {alpha}, T = {}, {} steps of {}, method {}",
        r.model, r.data, r.n_nodes, r.n_edges, r.n_classes, r.t1, r.n_steps, r.scheme, r.method
    );
    println!("{:<22} {:>8} {:>8} {:>8}", "accuracy", "train", "val", "test");
    println!(
        "{:<22} {:>8.4} {:>8.4} {:>8.4}",
        format!("final (epoch {})", r.epochs),
        r.final_accuracy[0],
        r.final_accuracy[1],
        r.final_accuracy[2]
    );
    println!(
        "{:<22} {:>8.4} {:>8.4} {:>8.4}",
        format!("best val (epoch {})", r.best_val_epoch),
        r.best_val_accuracy[0],
        r.best_val_accuracy[1],
        r.best_val_accuracy[2]
    );
    let mem = r.peak_memory_bytes.map_or("n/a".to_string(), human_bytes);
    println!(
        "loss {:.4} → {:.4}; {:.1} ms per training step, {:.1} ms per epoch; peak memory {mem}",
        r.loss[0],
        r.loss[1],
        1e3 * r.step_seconds_mean,
        1e3 * r.epoch_seconds
    );
    println!("wrote {}/{{results.json, history.csv, accuracy.png, loss.png}}", args.out.display());
}

/// One row of `comparison.json`.
#[derive(Debug, Clone, Serialize)]
pub struct CompareRow {
    /// What varies in this group: `method`, `alpha` or `scheme`.
    pub group: String,
    /// Gradient method.
    pub method: String,
    /// Scheme.
    pub scheme: String,
    /// α (initial when learned).
    pub alpha: f64,
    /// `false` when the library refused this combination (see `note`).
    pub supported: bool,
    /// Why it did not run.
    pub note: Option<String>,
    /// Final accuracies `[train, val, test]`.
    pub final_accuracy: Option<[f64; 3]>,
    /// Accuracies at the best validation epoch.
    pub best_val_accuracy: Option<[f64; 3]>,
    /// Final α.
    pub alpha_final: Option<f64>,
    /// Mean seconds per training step.
    pub step_seconds_mean: Option<f64>,
    /// Peak extra heap bytes of the fit.
    pub peak_memory_bytes: Option<usize>,
}

/// `comparison.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// `"graph --compare"`.
    pub command: String,
    /// Model.
    pub model: String,
    /// Data.
    pub data: String,
    /// Epochs per fit.
    pub epochs: usize,
    /// T.
    pub t1: f64,
    /// Steps.
    pub n_steps: usize,
    /// Rows: methods (at `--alpha`, `--scheme`), α values (at `--method`, `--scheme`),
    /// schemes (at `--method`, `--alpha`).
    pub rows: Vec<CompareRow>,
    /// Peak memory of the discrete adjoint divided by that of direct (method group).
    pub adjoint_to_direct_peak_memory: Option<f64>,
    /// Test accuracy at the best validation epoch: discrete adjoint minus direct.
    pub adjoint_minus_direct_test_accuracy: Option<f64>,
}

fn compare(args: &GraphArgs, s: &Setup) -> anyhow::Result<GraphResults> {
    let base_method = Method::by_name(&args.method).map_err(|e| bad(format!("--method {}: {e}", args.method)))?;
    let mut plan: Vec<(&str, Method, String, f64)> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for m in Method::all() {
        if seen.insert(m.name()) {
            plan.push(("method", m, args.scheme.clone(), args.alpha));
        }
    }
    for a in parse_list("--compare-alphas", &args.compare_alphas)? {
        plan.push(("alpha", base_method.clone(), args.scheme.clone(), a));
    }
    for sc in parse_names(&args.compare_schemes) {
        plan.push(("scheme", base_method.clone(), sc, args.alpha));
    }
    let mut rows = Vec::new();
    let mut curves = Vec::new();
    let mut main = None;
    for (group, m, sc, a) in plan {
        let mut row = CompareRow {
            group: group.into(),
            method: m.name().into(),
            scheme: sc.clone(),
            alpha: a,
            supported: true,
            note: None,
            final_accuracy: None,
            best_val_accuracy: None,
            alpha_final: None,
            step_seconds_mean: None,
            peak_memory_bytes: None,
        };
        let margs = GraphArgs { method: m.name().into(), scheme: sc.clone(), alpha: a, compare: false, ..args.clone() };
        let prepared = validate(&margs).map(|_| {
            let mut sm = s.clone();
            sm.problem.block =
                BlockConfig { alpha: a, scheme: sc.clone(), method: m.clone(), ..s.problem.block.clone() };
            sm
        });
        let sm = match prepared {
            Ok(sm) => sm,
            Err(e) => {
                row.supported = false;
                row.note = Some(format!("{e:#}"));
                rows.push(row);
                continue;
            }
        };
        let label = format!("{group}: {} / {sc} / α={a}", m.name());
        let mut bar = ProgressObserver::new(format!("{label:<40}"), args.quiet);
        match train(&margs, &sm, None, None, &mut [&mut bar]) {
            Ok(o) => {
                let r = results_of(&margs, &sm, &o);
                row.final_accuracy = Some(r.final_accuracy);
                row.best_val_accuracy = Some(r.best_val_accuracy);
                row.alpha_final = Some(r.alpha_final);
                row.step_seconds_mean = Some(r.step_seconds_mean);
                row.peak_memory_bytes = r.peak_memory_bytes;
                curves.push((label, o.history.iter().map(|h| (h.epoch as f64, h.metrics[1])).collect::<Vec<_>>()));
                if group == "method" && (m == base_method || main.is_none()) {
                    main = Some(r);
                }
            }
            Err(e) => {
                if crate::train::is_input_error(&e) || e.chain().any(|c| c.downcast_ref::<caputo::Error>().is_some()) {
                    row.supported = false;
                    row.note = Some(format!("{e:#}"));
                } else {
                    return Err(e.context(format!("training with {label}")));
                }
            }
        }
        rows.push(row);
    }
    let method_row = |name: &str| rows.iter().find(|r| r.group == "method" && r.method == name && r.supported);
    let ratio = match (
        method_row("discrete-adjoint").and_then(|r| r.peak_memory_bytes),
        method_row("direct").and_then(|r| r.peak_memory_bytes),
    ) {
        (Some(a), Some(d)) if d > 0 => Some(a as f64 / d as f64),
        _ => None,
    };
    let acc_diff = match (
        method_row("discrete-adjoint").and_then(|r| r.best_val_accuracy),
        method_row("direct").and_then(|r| r.best_val_accuracy),
    ) {
        (Some(a), Some(d)) => Some(a[2] - d[2]),
        _ => None,
    };
    let cmp = Comparison {
        command: "graph --compare".into(),
        model: args.model.name().into(),
        data: s.source.clone(),
        epochs: args.epochs,
        t1: args.t1,
        n_steps: s.problem.block.n_steps,
        rows,
        adjoint_to_direct_peak_memory: ratio,
        adjoint_minus_direct_test_accuracy: acc_diff,
    };
    write_json(&args.out.join("comparison.json"), &cmp)?;
    let mut plot = LinePlot::new("validation accuracy", "epoch", "accuracy").legend(Legend::LowerRight);
    for (name, pts) in curves {
        plot = plot.series(Series::line(name, pts));
    }
    plot.save_png(&args.out.join("comparison_accuracy.png"))?;
    if !args.quiet {
        println!("{}", comparison_table(&cmp));
        println!("wrote {}/{{comparison.json, comparison_accuracy.png}}", args.out.display());
    }
    main.ok_or_else(|| anyhow::anyhow!("no gradient method could train this model"))
}

/// The comparison as a Markdown table (accuracies at each fit's best validation epoch).
pub fn comparison_table(c: &Comparison) -> String {
    let mut s = format!(
        "{} on {}, {} epochs, T = {}, {} steps; accuracies at the best validation epoch\n\n",
        c.model, c.data, c.epochs, c.t1, c.n_steps
    );
    s += "| group | method | scheme | α | train | val | test | ms/step | peak memory |\n|---|---|---|---|---|---|---|---|---|\n";
    for r in c.rows.iter().filter(|r| r.supported) {
        let b = r.best_val_accuracy.unwrap_or([f64::NAN; 3]);
        s += &format!(
            "| {} | {} | {} | {} | {:.3} | {:.3} | {:.3} | {:.1} | {} |\n",
            r.group,
            r.method,
            r.scheme,
            r.alpha_final.map_or(format!("{}", r.alpha), |a| if (a - r.alpha).abs() > 1e-12 {
                format!("{} → {a:.3}", r.alpha)
            } else {
                format!("{a}")
            }),
            b[0],
            b[1],
            b[2],
            1e3 * r.step_seconds_mean.unwrap_or(f64::NAN),
            r.peak_memory_bytes.map_or("n/a".into(), human_bytes)
        );
    }
    let skipped: Vec<String> = c
        .rows
        .iter()
        .filter(|r| !r.supported)
        .map(|r| {
            format!("- {} {} {} α={}: {}", r.group, r.method, r.scheme, r.alpha, r.note.clone().unwrap_or_default())
        })
        .collect();
    if !skipped.is_empty() {
        s += "\nnot run:\n";
        s += &skipped.join("\n");
        s.push('\n');
    }
    if let Some(x) = c.adjoint_to_direct_peak_memory {
        s += &format!("\npeak memory, discrete adjoint / direct: {x:.3}\n");
    }
    if let Some(x) = c.adjoint_minus_direct_test_accuracy {
        s += &format!("test accuracy at best val, discrete adjoint − direct: {:+.2} points\n", 100.0 * x);
    }
    s
}
