//! One training step and batch evaluation: the FDE block as a caputo solve with a pullback
//! between two Burn-autodiff parts (stem and head), combined into one `GradientsParams`.
//!
//! ```text
//! h0 = stem(x)                                   // adjoint methods: without a graph
//! (h(T), pb) = fde_forward(block, h0, &FdeSolve::new(α, [0, T], N).with_scheme(scheme.clone()).with_history(Dense), method)   // or ode_forward (α = 1)
//! loss = CE(head(h(T)))  → ∂L/∂head, ∂L/∂h(T)     // Burn autodiff on the head only
//! r = pb.backward([0, ∂L/∂h(T)])                  // ∂L/∂h0, ∂L/∂θ_block
//! h0 = stem(x) again, with a graph; ∂L/∂stem = pull_through(h0, r.y0)
//! grads = combine([∂L/∂head, ∂L/∂stem, ∂L/∂θ_block])
//! ```
//!
//! With an adjoint method the stem runs twice: once without a graph, and once with it after
//! the block's backward pass, [`STEM_CHUNK`] images at a time (exact, since every stem
//! operation, GroupNorm included, acts on each image separately). So the stem's activations
//! (the largest tensors of the model: they live at 28×28 and 14×14) are never alive at the same
//! time as the block's stored states, and only for a few images at once. The extra forward
//! pass costs about 2.5 field evaluations, against ~4 per step for the block. With `Direct`,
//! the whole model is one graph (stem activations included), as plain backpropagation keeps
//! it: the memory baseline.

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::{Tensor, TensorData};
use caputo::fde::{FdeSolve, History, Scheme, scheme, solve as fde_solve};
use caputo::grad::{FdePullback, fde_forward};
use caputo::grad::{Grads, Method, OdePullback, SolveKind, combine, ode_forward, pull_through};
use caputo::ode::{ButcherTableau, StepControl, tableau};
use caputo::stats::Stats;
use caputo::tensor::to_vec;

use super::model::{ConvField, ImageModel};

/// How the block steps: a fractional scheme, or (α = 1) an explicit Runge–Kutta tableau.
#[derive(Debug, Clone)]
pub enum Solver {
    /// `fde_forward` with this scheme (dense history).
    Fde(Scheme),
    /// `ode_forward` with this tableau on a fixed grid.
    Ode(ButcherTableau),
}

/// The FDE block's settings: `D^α h = f(t, h)` on `[0, t1]` with `n_steps` uniform steps.
#[derive(Debug, Clone)]
pub struct BlockConfig {
    /// Order α in (0, 1]; 1 with an ODE tableau gives ODE-Net.
    pub alpha: f64,
    /// Final time T.
    pub t1: f64,
    /// Uniform steps on `[0, T]`.
    pub n_steps: usize,
    /// The scheme's registry name.
    pub scheme_name: String,
    /// The stepping rule.
    pub solver: Solver,
    /// How gradients go through the block.
    pub method: Method,
}

/// Why a block configuration was refused.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BlockError(pub String);

impl BlockConfig {
    /// Resolves `scheme` in the ODE tableau registry (then α must be 1) or in the fractional
    /// scheme registry.
    ///
    /// # Errors
    /// α outside (0, 1], a non-positive or non-finite `t1`, zero steps, an unknown scheme, a
    /// tableau with α < 1.
    pub fn new(alpha: f64, t1: f64, n_steps: usize, scheme_name: &str, method: Method) -> Result<Self, BlockError> {
        if !(alpha.is_finite() && alpha > 0.0 && alpha <= 1.0) {
            return Err(BlockError(format!("--alpha {alpha}: the fractional order must be in (0, 1]")));
        }
        if !(t1.is_finite() && t1 > 0.0) {
            return Err(BlockError(format!("--t1 {t1}: the final time must be positive")));
        }
        if n_steps == 0 {
            return Err(BlockError("--steps must be at least 1".into()));
        }
        let solver = if let Ok(tab) = tableau::by_name(scheme_name) {
            if alpha != 1.0 {
                return Err(BlockError(format!(
                    "--scheme {scheme_name} is an ODE (Runge–Kutta) method and needs --alpha 1; for α = {alpha} use a fractional scheme ({})",
                    scheme::registry().iter().map(|e| e.name).collect::<Vec<_>>().join(", ")
                )));
            }
            Solver::Ode(tab)
        } else {
            match scheme::by_name(scheme_name, alpha) {
                Ok(s) => Solver::Fde(s),
                Err(_) => {
                    return Err(BlockError(format!(
                        "--scheme {scheme_name}: unknown; fractional schemes: {}; with --alpha 1 also the Runge–Kutta tableaus: {}",
                        scheme::registry().iter().map(|e| e.name).collect::<Vec<_>>().join(", "),
                        tableau::registry().iter().map(|t| t.name().to_string()).collect::<Vec<_>>().join(", ")
                    )));
                }
            }
        };
        // The CLI's default `discrete-adjoint` names the exact discrete adjoint of the block's
        // scheme; for a Runge–Kutta block that is the symplectic adjoint (documented at
        // `--method`).
        let method = match (&solver, method) {
            (Solver::Ode(_), Method::DiscreteAdjoint) => Method::SymplecticAdjoint,
            (_, m) => m,
        };
        let kind = match &solver {
            Solver::Ode(_) => SolveKind::Ode,
            Solver::Fde(s) => SolveKind::Fde { scheme: s, history: History::Dense },
        };
        method
            .supports(kind)
            .map_err(|e| BlockError(format!("--method {} with --scheme {scheme_name}: {e}", method.name())))?;
        Ok(Self { alpha, t1, n_steps, scheme_name: scheme_name.to_string(), solver, method })
    }

    /// The same block with another gradient method.
    pub fn with_method(&self, method: Method) -> Self {
        Self { method, ..self.clone() }
    }

    /// `true` when the block is an ODE (α = 1 with a Runge–Kutta tableau).
    pub fn is_ode(&self) -> bool {
        matches!(self.solver, Solver::Ode(_))
    }

    fn times(&self) -> [f64; 2] {
        [0.0, self.t1]
    }

    /// `h(T)` without a graph (`field` and `h0` on a plain device).
    pub fn solve(&self, field: &ConvField, h0: Tensor<4>) -> caputo::Result<Tensor<4>> {
        let t = self.times();
        let mut sol = match &self.solver {
            Solver::Fde(s) => {
                fde_solve(field, h0, &FdeSolve::new(self.alpha, &t, self.n_steps).with_scheme(s.clone()))?
            }
            Solver::Ode(tab) => caputo::ode::solve(field, h0, &t, tab, &StepControl::fixed(self.n_steps))?,
        };
        Ok(sol.y.pop().expect("two output times; this is a bug"))
    }

    /// `h(T)` (plain) and the pullback of the block for [`Self::method`]; `field` is the
    /// autodiff model's block.
    pub fn forward<'a>(&self, field: &'a ConvField, h0: Tensor<4>) -> caputo::Result<(Tensor<4>, BlockPullback<'a>)> {
        let t = self.times();
        let (mut y, pb) = match &self.solver {
            Solver::Fde(s) => {
                let (sol, pb) = fde_forward(
                    field,
                    h0,
                    &FdeSolve::new(self.alpha, &t, self.n_steps).with_scheme(s.clone()).with_history(History::Dense),
                    &self.method,
                )?;
                (sol.y, BlockPullback::Fde(pb))
            }
            Solver::Ode(tab) => {
                let (sol, pb) = ode_forward(field, h0, &t, tab, &StepControl::fixed(self.n_steps), &self.method)?;
                (sol.y, BlockPullback::Ode(pb))
            }
        };
        Ok((y.pop().expect("two output times; this is a bug"), pb))
    }

    /// Whether this block's method is plain backpropagation (the whole model is one graph).
    pub fn is_direct(&self) -> bool {
        self.method == Method::Direct
    }
}

/// The pullback of the block (fractional or ODE).
pub enum BlockPullback<'a> {
    /// From [`fde_forward`].
    Fde(FdePullback<'a, 4, ConvField>),
    /// From [`ode_forward`].
    Ode(OdePullback<'a, 4, ConvField>),
}

impl BlockPullback<'_> {
    /// Pulls `∂L/∂h(T)` back (the loss does not look at `h(0)`).
    pub fn backward(self, g_t1: Tensor<4>) -> caputo::Result<Grads<4>> {
        let cot = [g_t1.zeros_like(), g_t1];
        match self {
            BlockPullback::Fde(pb) => pb.backward(&cot),
            BlockPullback::Ode(pb) => pb.backward(&cot),
        }
    }
}

/// Mean cross-entropy of `logits [B, K]` against `labels`, written with operations whose
/// backward is exact in f64 (no `div_scalar`).
pub fn cross_entropy(logits: Tensor<2>, labels: &[u8]) -> Tensor<1> {
    let [b, k] = logits.dims();
    let mut onehot = vec![0.0f32; b * k];
    for (i, &l) in labels.iter().enumerate() {
        onehot[i * k + l as usize] = 1.0;
    }
    let onehot = Tensor::<2>::from_data(TensorData::new(onehot, [b, k]), (&logits.device(), logits.dtype()));
    // log Σ exp(z) = m + log Σ exp(z − m), with the row maximum m held constant.
    let m = logits.clone().detach().max_dim(1);
    let lse = (logits.clone() - m.clone()).exp().sum_dim(1).log() + m;
    let picked = (logits * onehot).sum_dim(1);
    (lse - picked).sum().mul_scalar(1.0 / b as f64)
}

/// The predicted class of each row of `logits` and the number that match `labels`.
pub fn predictions(logits: Tensor<2>, labels: &[u8]) -> (Vec<u8>, usize) {
    let [b, k] = logits.dims();
    let v = to_vec(logits);
    let pred: Vec<u8> = (0..b)
        .map(|i| {
            let row = &v[i * k..(i + 1) * k];
            let mut best = 0;
            for j in 1..k {
                if row[j] > row[best] {
                    best = j;
                }
            }
            best as u8
        })
        .collect();
    let correct = pred.iter().zip(labels).filter(|(p, l)| p == l).count();
    (pred, correct)
}

/// What one training step returns.
pub struct StepResult {
    /// Mean cross-entropy of the batch (at the model before the update).
    pub loss: f64,
    /// Correctly classified images of the batch.
    pub correct: usize,
    /// `∂L/∂(all parameters)`.
    pub grads: GradientsParams,
    /// The block solve's counters (evaluations, VJPs, stored bytes).
    pub stats: Stats,
}

/// Loss and gradient of the whole model on one batch: `x` is `[B, 1, H, W]` on the model's
/// **plain** device, `model` on its autodiff device. See the module docs for the dataflow.
///
/// # Errors
/// A solve failure (non-finite state, unsupported method for this kind of block).
pub fn train_step(model: &ImageModel, x: Tensor<4>, labels: &[u8], block: &BlockConfig) -> caputo::Result<StepResult> {
    // Direct: the stem's graph stays alive through the solve (one graph for the whole model).
    let (h0_plain, tracked_h0) = if block.is_direct() {
        let h0 = model.stem.forward(x.clone());
        (h0.clone().inner(), Some(h0))
    } else {
        let stem = model.stem.valid();
        let parts = chunks(x.dims()[0]).map(|(lo, n)| stem.forward(x.clone().narrow(0, lo, n))).collect();
        (Tensor::cat(parts, 0), None)
    };
    let (h_t, pb) = block.forward(&model.block, h0_plain)?;
    let leaf = h_t.autodiff().require_grad();
    let logits = model.head.forward(leaf.clone());
    let (_, correct) = predictions(logits.clone().inner(), labels);
    let loss = cross_entropy(logits, labels);
    let loss_value = to_vec(loss.clone().inner())[0];
    let mut g = loss.backward();
    let g_leaf = leaf.grad_remove(&mut g).unwrap_or_else(|| leaf.clone().inner().zeros_like());
    let g_head = GradientsParams::from_grads(g, model);
    let r = pb.backward(g_leaf)?;
    let mut parts = vec![g_head, r.params];
    match tracked_h0 {
        Some(h0) => parts.push(pull_through(model, h0, r.y0)),
        None => {
            // Stem recomputed with a graph, a chunk of images at a time (exact: every stem
            // operation, GroupNorm included, acts on each image separately).
            for (lo, n) in chunks(x.dims()[0]) {
                let h0 = model.stem.forward(x.clone().narrow(0, lo, n));
                parts.push(pull_through(model, h0, r.y0.clone().narrow(0, lo, n)));
            }
        }
    }
    let grads = combine(model, parts);
    Ok(StepResult { loss: loss_value, correct, grads, stats: r.stats })
}

/// Images per stem chunk in the adjoint methods' training step.
pub const STEM_CHUNK: usize = 16;

/// `(start, length)` of the stem chunks of a batch of `b` images.
fn chunks(b: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..b).step_by(STEM_CHUNK).map(move |lo| (lo, STEM_CHUNK.min(b - lo)))
}

/// Logits of a batch without any graph: `model` should be a [`burn::module::Module::valid`]
/// copy and `x` on the plain device.
pub fn logits(model: &ImageModel, x: Tensor<4>, block: &BlockConfig) -> caputo::Result<Tensor<2>> {
    let h0 = model.stem.forward(x);
    let h_t = block.solve(&model.block, h0)?;
    Ok(model.head.forward(h_t))
}
