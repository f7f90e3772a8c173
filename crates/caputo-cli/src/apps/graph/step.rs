//! One training step (loss and exact gradients through the FDE block) and evaluation.
//!
//! ```text
//! X(0) = enc(dropout(features))                       // no graph (pass 1)
//! A    = attention(X(0))  (grand-l)                   // no graph; the field holds it as a fresh leaf w
//! (X(T), pb) = fde_forward((A − I)·, X(0), &FdeSolve::new(α, [0, T], N).with_scheme(scheme.clone()).with_history(Dense), method)
//! L = CE(dec(X(T))[train], labels)                    // Burn autodiff on the decoder only
//! r = pb.backward([0, ∂L/∂X(T)])                      // ∂L/∂X(0), ∂L/∂w, ∂L/∂θ_block, ∂L/∂α
//! X(0), A again with a graph (pass 2, same dropout mask)
//! ∂L/∂enc, ∂L/∂W_Q,K = backward(⟨X(0), r.y0⟩ + ⟨A, ∂L/∂w⟩)   // one pass through encoder + attention
//! grads = combine([∂L/∂dec, ∂L/∂enc…, r.params]) (+ weight decay, + ∂L/∂logit α)
//! ```

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use burn::module::{Module, ModuleVisitor, Param, ParamId};
use burn::optim::GradientsParams;
use burn::tensor::{Int, Tensor, TensorData};
use caputo::fde::{FdeSolve, History, Scheme, scheme, solve};
use caputo::grad::fde_forward;
use caputo::grad::{Method, combine};
use caputo::stats::Stats;
use caputo::tensor::{from_vec, to_vec};
use caputo::testkit::f64_device;
use rand_chacha::ChaCha8Rng;

use super::model::{EdgeWeights, GraphModel, ModelKind};
use super::sparse::EdgeIndex;
use crate::data::GraphData;
use crate::train::InputError;

/// The block's solve settings.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockConfig {
    /// The diffusion.
    pub kind: ModelKind,
    /// Order α in (0, 1] (the initial value when learned).
    pub alpha: f64,
    /// Whether α is learned (needs `∂L/∂α`: discrete adjoint).
    pub learn_alpha: bool,
    /// Final time T.
    pub t1: f64,
    /// Uniform steps on `[0, T]`.
    pub n_steps: usize,
    /// The scheme's registry name.
    pub scheme: String,
    /// How gradients go through the block.
    pub method: Method,
    /// The scheme's history: dense, or fast (sum of exponentials) for long horizons.
    pub history: History,
}

impl BlockConfig {
    /// The scheme for order `alpha`.
    pub fn scheme(&self, alpha: f64) -> anyhow::Result<Scheme> {
        scheme::by_name(&self.scheme, alpha).map_err(|e| InputError(format!("--scheme: {e}")).into())
    }
}

/// A graph and its labels as tensors, with the training settings: everything a step needs.
#[derive(Debug, Clone)]
pub struct GraphProblem {
    /// The data (host copy: labels, splits).
    pub data: Arc<GraphData>,
    /// Node features `[n, f]` (plain device, f64).
    pub features: Tensor<2>,
    /// The directed edge list.
    pub graph: Arc<EdgeIndex>,
    /// `D^{-1/2} A D^{-1/2}` edge weights (plain).
    pub sym_weights: Tensor<1>,
    /// Training node ids (plain).
    pub train_idx: Tensor<1, Int>,
    /// One-hot labels of the training nodes scaled by `1/n_train` (plain): the mean
    /// cross-entropy is `−Σ onehot ⊙ log_softmax`.
    pub train_target: Tensor<2>,
    /// The block.
    pub block: BlockConfig,
    /// Dropout probability on the input features (training only).
    pub dropout: f64,
    /// L2 weight decay added to every gradient except the order's.
    pub weight_decay: f64,
}

impl GraphProblem {
    /// Builds the tensors for `data` (validated) with the block and regularisation settings.
    pub fn new(data: GraphData, block: BlockConfig, dropout: f64, weight_decay: f64) -> anyhow::Result<Self> {
        data.validate().context("graph data")?;
        if data.train.is_empty() {
            return Err(InputError("the graph has no training nodes".into()).into());
        }
        let dev = f64_device().inner();
        let features =
            from_vec(data.features.iter().map(|&v| f64::from(v)).collect(), [data.n_nodes, data.n_features], &dev);
        let graph = EdgeIndex::undirected(data.n_nodes, &data.edges, &dev);
        let sym_weights = from_vec(graph.sym_norm_weights(), [graph.n_edges()], &dev);
        let n_train = data.train.len();
        let train_idx = Tensor::<1, Int>::from_data(
            TensorData::new(data.train.iter().map(|&i| i as i64).collect::<Vec<i64>>(), [n_train]),
            &dev,
        );
        let mut target = vec![0.0; n_train * data.n_classes];
        let inv = 1.0 / n_train as f64;
        for (r, &i) in data.train.iter().enumerate() {
            target[r * data.n_classes + data.labels[i]] = inv;
        }
        let train_target = from_vec(target, [n_train, data.n_classes], &dev);
        Ok(Self {
            data: Arc::new(data),
            features,
            graph,
            sym_weights,
            train_idx,
            train_target,
            block,
            dropout,
            weight_decay,
        })
    }

    /// The order the model currently uses.
    pub fn alpha(&self, model: &GraphModel) -> f64 {
        if self.block.learn_alpha { model.alpha() } else { self.block.alpha }
    }

    fn t(&self) -> [f64; 2] {
        [0.0, self.block.t1]
    }
}

/// `log_softmax` along dim 1, stabilised by a detached row maximum (exact gradient: the
/// shift cancels).
pub fn log_softmax(logits: Tensor<2>) -> Tensor<2> {
    let m = logits.clone().inner().max_dim(1);
    let z = logits - m;
    let lse = z.clone().exp().sum_dim(1).log();
    z - lse
}

/// Inverted dropout: each feature is zeroed with probability `p` and the rest scaled by
/// `1/(1 − p)`; randomness from the training loop's RNG (so runs resume exactly).
fn dropout(x: Tensor<2>, p: f64, rng: &mut ChaCha8Rng) -> Tensor<2> {
    if p <= 0.0 {
        return x;
    }
    let keep = 1.0 / (1.0 - p);
    let dims = x.dims();
    let mask: Vec<f64> =
        (0..dims[0] * dims[1]).map(|_| if crate::data::uniform01(rng) < p { 0.0 } else { keep }).collect();
    x * from_vec(mask, dims, &f64_device().inner())
}

/// What one training step measured.
#[derive(Debug, Clone, Default)]
pub struct StepReport {
    /// The training loss (mean cross-entropy on the training nodes).
    pub loss: f64,
    /// The solve's and pullback's counters.
    pub stats: Stats,
    /// Wall seconds of the step (forward + backward).
    pub seconds: f64,
    /// `∂L/∂α` when the method gives it.
    pub d_alpha: Option<f64>,
}

/// Adds `λ θ` to the gradient of every parameter that has one, except `skip`.
struct WeightDecay<'a> {
    grads: &'a mut GradientsParams,
    lambda: f64,
    skip: ParamId,
}

impl ModuleVisitor for WeightDecay<'_> {
    fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
        if p.id == self.skip {
            return;
        }
        if let Some(g) = self.grads.remove::<D>(p.id) {
            let g = g + p.val().inner().mul_scalar(self.lambda);
            self.grads.register::<D>(p.id, g);
        }
    }
}

/// Loss and gradient of the whole model (encoder, attention, block, decoder, and α when
/// learned) with the block's gradient method; `rng` drives dropout (`None`: no dropout).
///
/// The encoder (and F-GRAND-l's attention) runs twice: first without a graph, to start the
/// solve, then with one, after the block's pullback, to send `∂L/∂X(0)` and `∂L/∂A` back
/// (the dropout mask is drawn again from a copy of the RNG). So the encoder's activations —
/// the dropped-out input features, `n × n_features`, the largest tensor of the model on
/// Cora-like data (1,433 features) — and the attention's `E × d_k` rows are never alive at the
/// same time as the block's stored states. The extra cost is one encoder and attention
/// forward, against `N` field evaluations and VJPs in the block.
pub fn loss_and_grads(
    problem: &GraphProblem,
    model: &GraphModel,
    rng: Option<&mut ChaCha8Rng>,
) -> anyhow::Result<(GradientsParams, StepReport)> {
    let start = Instant::now();
    let b = &problem.block;
    let alpha = problem.alpha(model);
    let scheme = b.scheme(alpha)?;
    let replay = rng.as_deref().cloned();
    let input = |rng: Option<&mut ChaCha8Rng>| match rng {
        Some(rng) => dropout(problem.features.clone(), problem.dropout, rng),
        None => problem.features.clone(),
    };
    // Pass 1, no graph: X(0) and F-GRAND-l's weights.
    let (h0, a0) = {
        let plain = model.valid();
        let h0 = plain.enc.forward(input(rng));
        let a0 = (b.kind == ModelKind::GrandL).then(|| plain.attention_at_start(&problem.graph, h0.clone()));
        (h0, a0)
    };
    // The weights enter the field as a fresh autodiff leaf: the pullback returns their gradient.
    let field = model.field(b.kind, &problem.graph, a0.map(|a| a.autodiff()), &problem.sym_weights);
    let w_id = match &field.weights {
        EdgeWeights::AtStart(p) => Some(p.id),
        _ => None,
    };
    let (sol, pb) = fde_forward(
        &field,
        h0,
        &FdeSolve::new(alpha, &problem.t(), b.n_steps).with_scheme(scheme.clone()).with_history(b.history),
        &b.method,
    )?;
    let y_t = sol.y[1].clone().autodiff().require_grad();
    drop(sol);
    let logits = model.dec.forward(y_t.clone()).select(0, problem.train_idx.clone());
    let loss = -(log_softmax(logits) * problem.train_target.clone()).sum();
    let loss_value = to_vec(loss.clone().inner())[0];
    let mut g = loss.backward();
    let g_yt = y_t.grad_remove(&mut g).unwrap_or_else(|| y_t.clone().inner().zeros_like());
    let g_dec = GradientsParams::from_grads(g, model);
    drop(y_t);
    let r = pb.backward(&[g_yt.zeros_like(), g_yt])?;
    let mut g_block = r.params;
    let g_w = w_id.and_then(|id| g_block.remove::<1>(id));
    drop(field);
    // Pass 2, with a graph: one backward through the encoder (and the attention at t = 0).
    let mut replay = replay;
    let h0 = model.enc.forward(input(replay.as_mut()));
    let mut pull = (h0.clone() * r.y0.autodiff()).sum();
    if let Some(g_w) = g_w {
        pull = pull + (model.attention_at_start(&problem.graph, h0) * g_w.autodiff()).sum();
    }
    let g_enc = GradientsParams::from_grads(pull.backward(), model);
    let mut grads = combine(model, [g_dec, g_enc, g_block]);
    if problem.weight_decay > 0.0 {
        model.visit(&mut WeightDecay { grads: &mut grads, lambda: problem.weight_decay, skip: model.alpha_logit.id });
    }
    if b.learn_alpha {
        let ga = r.alpha.ok_or_else(|| {
            InputError(format!(
                "--learn-alpha needs ∂L/∂α, which method {} does not give; use --method discrete-adjoint",
                b.method.name()
            ))
        })?;
        // α = sigmoid(s): dα/ds = α(1 − α).
        grads.register::<1>(
            model.alpha_logit.id,
            from_vec(vec![ga * alpha * (1.0 - alpha)], [1], &f64_device().inner()),
        );
    }
    let report =
        StepReport { loss: loss_value, stats: r.stats, seconds: start.elapsed().as_secs_f64(), d_alpha: r.alpha };
    Ok((grads, report))
}

/// Predicted class of every node (no dropout, no graph).
pub fn predict(problem: &GraphProblem, model: &GraphModel) -> anyhow::Result<Vec<usize>> {
    let b = &problem.block;
    let alpha = problem.alpha(model);
    let m = model.valid();
    let h0 = m.enc.forward(problem.features.clone());
    let a0 = (b.kind == ModelKind::GrandL).then(|| m.attention_at_start(&problem.graph, h0.clone()));
    let field = m.field(b.kind, &problem.graph, a0, &problem.sym_weights);
    let sol = solve(
        &field,
        h0,
        &FdeSolve::new(alpha, &problem.t(), b.n_steps).with_scheme((b.scheme(alpha)?).clone()).with_history(b.history),
    )?;
    let logits = m.dec.forward(sol.y[1].clone());
    let c = problem.data.n_classes;
    let v = to_vec(logits);
    Ok(v.chunks(c)
        .map(|row| row.iter().enumerate().fold(0, |best, (k, x)| if *x > row[best] { k } else { best }))
        .collect())
}

/// Accuracies `[train, val, test]` of predictions (NaN for an empty split).
pub fn accuracies(data: &GraphData, pred: &[usize]) -> [f64; 3] {
    let acc = |idx: &[usize]| {
        if idx.is_empty() {
            f64::NAN
        } else {
            idx.iter().filter(|&&i| pred[i] == data.labels[i]).count() as f64 * (1.0 / idx.len() as f64)
        }
    };
    [acc(&data.train), acc(&data.val), acc(&data.test)]
}
