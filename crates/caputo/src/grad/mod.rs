//! Gradients through solves: `∂L/∂θ`, `∂L/∂y0` (and `∂L/∂α` for fractional solves).
//!
//! The gradient method is a fourth, independent choice of a solve (besides the field, the
//! scheme and the grid). Every method follows the same *pullback* pattern, so a solve can sit
//! inside a bigger Burn model: the forward pass returns the outputs and a pullback; the
//! pullback takes `∂L/∂y(t_k)` for every output time and returns `∂L/∂y0` and the field's
//! parameter gradients as Burn [`GradientsParams`], which Burn's optimizers take directly.
//! [`node`] wraps a pullback into one custom node of Burn's autodiff graph, so that a solve is
//! one call inside a model's `forward` and `loss.backward()` runs the method.
//!
//! | method | exact? | memory | applies to |
//! |---|---|---|---|
//! | [`Method::Direct`] | yes | steps × network activations (the whole graph) | ODE, FDE |
//! | [`Method::Checkpointed`] | yes | ODE: segment states + one segment's graph; FDE dense history: every state and history row (`O(N·d)`) + one segment's graph; FDE fast history: `S` compressed states + one segment, `O(√N·d)` ([`fde_checkpoint`]) | ODE, FDE |
//! | [`Method::SymplecticAdjoint`] | yes (to rounding) | step states + one step's stages | ODE |
//! | [`Method::DiscreteAdjoint`] | yes (to rounding) | step states (+ predictors) | FDE (for ODEs the exact discrete adjoint is the symplectic adjoint) |
//! | [`Method::ContinuousAdjoint`] | no (approximate, converges with h or tol; FDE: order ≈ 1+α with ABM) | outputs only (ODE); states (FDE, [`fde_continuous`]) | ODE, FDE (Caputo single-term schemes, dense or fast history) |
//! | [`Method::PaperAdjoint`] | no, biased for α < 1 (`dL/dθ = 1.000` vs `1.128` for `D^0.5 z = θ`) | states | FDE: predictor, lagged L1/GL/trapezoid ([`paper`]; reproduces torchfde) |

pub mod block;
pub mod checkpoint;
pub mod continuous;
pub(crate) mod direct;
pub mod fde;
pub mod fde_checkpoint;
pub mod fde_continuous;
mod method;
pub mod node;
pub mod ode;
pub mod paper;
pub mod symplectic;

use burn::optim::GradientsParams;
use burn::tensor::Tensor;

use crate::error::Result;
use crate::stats::Stats;

pub use block::{combine, pull_through};
pub use fde::{FdePullback, fde_forward, fde_forward_owned};
pub use method::{Method, SolveKind};
pub use ode::{OdePullback, ode_forward, ode_forward_owned};

/// What a pullback returns.
#[derive(Debug)]
pub struct Grads<const D: usize> {
    /// `∂L/∂y0` (plain device).
    pub y0: Tensor<D>,
    /// `∂L/∂θ` for the field's parameters, ready for a Burn optimizer.
    pub params: GradientsParams,
    /// `∂L/∂α` (fractional solves whose method supports it).
    pub alpha: Option<f64>,
    /// What the backward pass did (and the forward's counters).
    pub stats: Stats,
}

/// What both pullbacks ([`OdePullback`], [`FdePullback`]) do: take `∂L/∂y(t_k)` for every
/// output time and return the gradients. Generic code (a training step, a custom autodiff
/// node) holds a `P: Pullback<D>` without knowing the solve kind.
pub trait Pullback<const D: usize> {
    /// Pulls `∂L/∂y(t_k)` (one tensor per output time, zeros where the loss does not look) back
    /// to `∂L/∂y0`, `∂L/∂θ` and, where the method gives it, `∂L/∂α`. Consumes the pullback.
    ///
    /// # Errors
    /// [`crate::Error::DimensionMismatch`] for a wrong number or shape of cotangents, and the
    /// method's own failures (e.g. a non-finite replayed state).
    fn backward(self, cotangents: &[Tensor<D>]) -> Result<Grads<D>>;
}
