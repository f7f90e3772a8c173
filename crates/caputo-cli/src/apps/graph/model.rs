//! The F-GRAND models: encoder → fractional graph diffusion `D^α X = (A − I) X` → decoder.
//!
//! | `--model` | `A` | where its gradient goes |
//! |---|---|---|
//! | `grand-l` (F-GRAND-l) | attention of the encoded features `X(0)`, fixed during the solve | the edge weights are a parameter of the field ([`EdgeWeights::AtStart`]); the pullback returns `∂L/∂w`, which is sent back through the attention and the encoder with Burn's autodiff together with `∂L/∂X(0)` |
//! | `grand-nl` (F-GRAND-nl) | attention of the current state `X(t)`, recomputed at every evaluation | `W_Q`, `W_K` are parameters of the field ([`EdgeWeights::Attention`]): the solve's VJPs give their gradients directly |
//! | `adjacency` | `D^{-1/2} A D^{-1/2}`, constant | none (no parameters in the block) |
//!
//! Why F-GRAND-l treats the edge weights as the field's parameter rather than recomputing the
//! attention from a stored `X(0)` inside every evaluation: both give the exact gradient, but
//! the latter would redo (and, in every VJP, differentiate) the `O(E·d_k)` attention at each
//! of the `N` steps, while here the attention is computed once and differentiated once. The
//! parameter has a fresh id for every solve; it never enters the optimizer (see
//! [`super::step`]). Test: `tests/graph_gradients.rs::grand_l_discrete_adjoint_matches_whole_graph_backprop`.

use std::sync::Arc;

use burn::module::{Module, Param};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::Tensor;
use caputo::VectorField;
use caputo::tensor::{from_vec, to_vec};
use caputo::testkit::f64_device;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::sparse::{EdgeIndex, diffuse, edge_softmax_attention};

/// Which diffusion the block runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// F-GRAND-l: attention from the encoded features at t = 0, fixed during the solve.
    #[value(name = "grand-l")]
    GrandL,
    /// F-GRAND-nl: attention recomputed from X(t) at every evaluation.
    #[value(name = "grand-nl")]
    GrandNl,
    /// Fixed symmetric-normalised adjacency (no attention).
    Adjacency,
}

impl ModelKind {
    /// The CLI spelling.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::GrandL => "grand-l",
            ModelKind::GrandNl => "grand-nl",
            ModelKind::Adjacency => "adjacency",
        }
    }

    /// Whether the model has attention projections `W_Q`, `W_K`.
    pub fn has_attention(self) -> bool {
        !matches!(self, ModelKind::Adjacency)
    }
}

/// Scaled dot-product attention projections (single head, no bias):
/// `s_e = ⟨W_Q x_dst, W_K x_src⟩ / √d_k`, softmax over each node's neighbours.
#[derive(Module, Debug)]
pub struct Attention {
    /// `W_Q: [hidden, d_k]`.
    pub wq: Linear,
    /// `W_K: [hidden, d_k]`.
    pub wk: Linear,
}

impl Attention {
    /// The edge weights `a_e` for node features `x: [n, hidden]` (rows of `A` sum to 1).
    pub fn weights(&self, graph: &EdgeIndex, x: Tensor<2>) -> Tensor<1> {
        let dk = self.wq.weight.val().dims()[1];
        let scale = 1.0 / (dk as f64).sqrt();
        edge_softmax_attention(graph, self.wq.forward(x.clone()), self.wk.forward(x), scale)
    }
}

/// The edge weights `A` of the diffusion field.
#[derive(Module, Debug)]
pub enum EdgeWeights {
    /// Constant weights (the normalised adjacency).
    Fixed(Tensor<1>),
    /// Weights computed outside the solve (F-GRAND-l's attention at t = 0), held as a
    /// parameter of the field so the pullback returns their gradient.
    AtStart(Param<Tensor<1>>),
    /// Attention recomputed from the state at every evaluation (F-GRAND-nl).
    Attention(Attention),
}

/// The field `f(t, X) = (A − I) X` on node features `X: [n, d]`, sparse over the edge list.
#[derive(Module, Debug)]
pub struct Diffusion {
    /// `A`'s edge weights.
    pub weights: EdgeWeights,
    /// The edge list (a constant).
    #[module(skip)]
    pub graph: Arc<EdgeIndex>,
}

impl VectorField<2> for Diffusion {
    fn eval(&self, _t: f64, y: Tensor<2>) -> Tensor<2> {
        let w = match &self.weights {
            EdgeWeights::Fixed(w) => w.clone(),
            EdgeWeights::AtStart(w) => w.val(),
            EdgeWeights::Attention(a) => a.weights(&self.graph, y.clone()),
        };
        diffuse(&self.graph, y, w)
    }
}

/// Sizes of a [`GraphModel`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ModelConfig {
    /// The diffusion.
    pub kind: ModelKind,
    /// Input features per node.
    pub n_features: usize,
    /// Hidden width `d` (the state of the FDE is `[n, d]`).
    pub hidden: usize,
    /// Attention key width `d_k`.
    pub attention_dim: usize,
    /// Classes.
    pub n_classes: usize,
}

/// The whole model: encoder (linear to the hidden width), attention projections (F-GRAND),
/// decoder (linear to the classes) and the order's logit (used with `--learn-alpha`).
#[derive(Module, Debug)]
pub struct GraphModel {
    /// `X(0) = enc(dropout(features))`.
    pub enc: Linear,
    /// `W_Q`, `W_K` (absent for `adjacency`).
    pub attention: Option<Attention>,
    /// `logits = dec(X(T))`.
    pub dec: Linear,
    /// `α = sigmoid(alpha_logit)` when α is learned. Its gradient comes from the pullback's
    /// `∂L/∂α`.
    pub alpha_logit: Param<Tensor<1>>,
}

/// `logit(p) = ln(p / (1 − p))`.
pub fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// `sigmoid(s) = 1 / (1 + e^{−s})`.
pub fn sigmoid(s: f64) -> f64 {
    1.0 / (1.0 + (-s).exp())
}

/// A linear layer initialised from `rng` with Burn's default bounds
/// `U(−1/√fan_in, 1/√fan_in)` (weights and bias), independent of Burn's process-global RNG.
fn linear(d_in: usize, d_out: usize, bias: bool, rng: &mut ChaCha8Rng) -> Linear {
    let dev = f64_device();
    let mut l = LinearConfig::new(d_in, d_out).with_bias(bias).init(&dev);
    let bound = 1.0 / (d_in as f64).sqrt();
    let mut draw = |k: usize| (0..k).map(|_| bound * (2.0 * crate::data::uniform01(rng) - 1.0)).collect::<Vec<f64>>();
    l.weight = Param::from_tensor(from_vec(draw(d_in * d_out), [d_in, d_out], &dev));
    if bias {
        l.bias = Some(Param::from_tensor(from_vec(draw(d_out), [d_out], &dev)));
    }
    l
}

impl ModelConfig {
    /// A model with parameters drawn from `seed` (deterministic; `W_Q = 0`, see below), the
    /// order's logit at `logit(alpha)` (clamped into (0, 1)).
    pub fn init(&self, alpha: f64, seed: u64) -> GraphModel {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x4752_414e_4400_0000);
        let enc = linear(self.n_features, self.hidden, true, &mut rng);
        // W_Q starts at zero, so the attention starts uniform over each node's neighbours (the
        // random-walk adjacency D⁻¹A) and training learns departures from plain diffusion; W_K
        // gets its gradient once W_Q is non-zero (the first Adam step). With both random, the
        // scores of large encoded features start peaked on arbitrary neighbours: on the
        // cora-like graph (defaults, 60 epochs) the test accuracy at the best validation epoch
        // was 0.69 with a random W_Q and 0.84 with W_Q = 0 (0.92 with the attention frozen
        // at uniform).
        let attention = self.kind.has_attention().then(|| {
            let mut wq = linear(self.hidden, self.attention_dim, false, &mut rng);
            wq.weight = Param::from_tensor(Tensor::zeros([self.hidden, self.attention_dim], &f64_device()));
            Attention { wq, wk: linear(self.hidden, self.attention_dim, false, &mut rng) }
        });
        let dec = linear(self.hidden, self.n_classes, true, &mut rng);
        let alpha_logit = Param::from_tensor(from_vec(vec![logit(alpha.clamp(1e-6, 1.0 - 1e-6))], [1], &f64_device()));
        GraphModel { enc, attention, dec, alpha_logit }
    }
}

impl GraphModel {
    /// `sigmoid(alpha_logit)`.
    pub fn alpha(&self) -> f64 {
        sigmoid(to_vec(self.alpha_logit.val())[0])
    }

    /// F-GRAND-l's edge weights: the attention of the initial features `x0` (tracked when
    /// `x0` and the model are).
    pub fn attention_at_start(&self, graph: &EdgeIndex, x0: Tensor<2>) -> Tensor<1> {
        self.attention.as_ref().expect("attention model without W_Q, W_K; this is a bug").weights(graph, x0)
    }

    /// The block's field. `a0` are F-GRAND-l's edge weights ([`Self::attention_at_start`],
    /// detached: a plain tensor, or a fresh autodiff leaf when the pullback must return their
    /// gradient; ignored otherwise); `fixed` are the adjacency weights.
    pub fn field(
        &self,
        kind: ModelKind,
        graph: &Arc<EdgeIndex>,
        a0: Option<Tensor<1>>,
        fixed: &Tensor<1>,
    ) -> Diffusion {
        let weights = match kind {
            ModelKind::Adjacency => EdgeWeights::Fixed(fixed.clone()),
            ModelKind::GrandNl => {
                EdgeWeights::Attention(self.attention.clone().expect("attention model without W_Q, W_K; this is a bug"))
            }
            ModelKind::GrandL => {
                EdgeWeights::AtStart(Param::from_tensor(a0.expect("F-GRAND-l needs its edge weights; this is a bug")))
            }
        };
        Diffusion { weights, graph: graph.clone() }
    }
}
