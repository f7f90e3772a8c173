//! Gradients through solves: `∂L/∂θ`, `∂L/∂y0` (and `∂L/∂α` for fractional solves).
//!
//! The gradient method is a fourth, independent choice of a solve (besides the field, the
//! scheme and the grid). Every method follows the same *pullback* pattern, so a solve can sit
//! inside a bigger Burn model: the forward pass returns the outputs and a pullback; the
//! pullback takes `∂L/∂y(t_k)` for every output time and returns `∂L/∂y0` and the field's
//! parameter gradients as Burn [`GradientsParams`], which Burn's optimizers take directly.
//!
//! | method | exact? | memory | applies to |
//! |---|---|---|---|
//! | [`Method::Direct`] | yes | steps × network activations (the whole graph) | ODE, FDE |
//! | [`Method::Checkpointed`] | yes | ODE: segment states + one segment's graph; FDE dense history: every state and history row (`O(N·d)`) + one segment's graph; FDE fast history: `S` compressed states + one segment, `O(√N·d)` ([`fde_checkpoint`]) | ODE, FDE |
//! | [`Method::SymplecticAdjoint`] | yes (to rounding) | step states + one step's stages | ODE |
//! | [`Method::DiscreteAdjoint`] | yes (to rounding) | step states (+ predictors) | FDE (and ODE: same as symplectic) |
//! | [`Method::ContinuousAdjoint`] | no (approximate, converges with h or tol; FDE: order ≈ 1+α with ABM) | outputs only (ODE); states (FDE, [`fde_continuous`]) | ODE, FDE (Caputo single-term schemes, dense or fast history) |
//! | [`Method::PaperAdjoint`] | no, biased for α < 1 (`dL/dθ = 1.000` vs `1.128` for `D^0.5 z = θ`) | states | FDE: predictor, lagged L1/GL/trapezoid ([`paper`]; reproduces torchfde) |

pub mod block;
pub mod checkpoint;
pub mod continuous;
pub(crate) mod direct;
pub mod fde_checkpoint;
pub mod fde_continuous;
pub mod ode;
pub mod paper;
pub mod symplectic;

use burn::optim::GradientsParams;
use burn::tensor::Tensor;

use crate::error::{Error, Result};
use crate::stats::Stats;

pub use block::{combine, pull_through};
pub use ode::{OdePullback, ode_forward};

/// How to differentiate through a solve.
#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    /// Backpropagation through every step with Burn's autodiff.
    Direct,
    /// Store the state at `segments` boundaries; recompute each segment with autodiff in reverse
    /// (FDEs store every state, because a step reads the whole history: [`fde_checkpoint`]).
    Checkpointed {
        /// Number of segments (≥ 1).
        segments: usize,
    },
    /// The continuous adjoint equation solved backward (re-anchored to the stored forward
    /// state at each output time). Approximate. For FDEs: the Riemann–Liouville-type adjoint of
    /// the Caputo model on the forward grid ([`fde_continuous`]; the tolerances are unused).
    ContinuousAdjoint {
        /// Relative tolerance of the backward solve (ODE, adaptive; unused for FDEs).
        rtol: f64,
        /// Absolute tolerance of the backward solve (ODE; unused for FDEs).
        atol: f64,
    },
    /// The symplectic adjoint (Matsubara et al. 2021): exact discrete adjoint of the RK step.
    SymplecticAdjoint,
    /// The exact discrete adjoint (transpose) of the fractional scheme.
    DiscreteAdjoint,
    /// torchfde's adjoint (Kang et al. 2025 reference code): biased for α < 1 ([`paper`]).
    PaperAdjoint,
}

impl Method {
    /// Every method, with default settings (the registry the generic tests iterate).
    ///
    /// # Example
    /// ```
    /// use caputo::grad::Method;
    /// let names: Vec<&str> = Method::all().iter().map(|m| m.name()).collect();
    /// assert!(names.contains(&"discrete-adjoint") && names.contains(&"symplectic-adjoint"));
    /// // Every registry name parses back to its method.
    /// for m in Method::all() {
    ///     assert_eq!(Method::by_name(m.name()).unwrap().name(), m.name());
    /// }
    /// ```
    pub fn all() -> Vec<Method> {
        vec![
            Method::Direct,
            Method::Checkpointed { segments: 4 },
            Method::ContinuousAdjoint { rtol: 1e-8, atol: 1e-10 },
            Method::SymplecticAdjoint,
            Method::DiscreteAdjoint,
            Method::PaperAdjoint,
        ]
    }

    /// The method's name as the CLI spells it.
    pub fn name(&self) -> &'static str {
        match self {
            Method::Direct => "direct",
            Method::Checkpointed { .. } => "checkpointed",
            Method::ContinuousAdjoint { .. } => "continuous-adjoint",
            Method::SymplecticAdjoint => "symplectic-adjoint",
            Method::DiscreteAdjoint => "discrete-adjoint",
            Method::PaperAdjoint => "paper-adjoint",
        }
    }

    /// Parses a CLI name (default settings).
    ///
    /// # Example
    /// ```
    /// use caputo::grad::Method;
    /// assert_eq!(Method::by_name("checkpointed").unwrap(), Method::Checkpointed { segments: 4 });
    /// let err = Method::by_name("adjoint").unwrap_err();
    /// assert!(err.to_string().contains("adjoint"));
    /// ```
    pub fn by_name(name: &str) -> Result<Method> {
        Method::all().into_iter().find(|m| m.name() == name).ok_or_else(|| Error::UnknownScheme {
            name: name.to_string(),
            known: Method::all().iter().map(|m| m.name().to_string()).collect(),
        })
    }

    /// `true` for methods that return the exact gradient of the discretised solve.
    pub fn is_exact(&self) -> bool {
        !matches!(self, Method::ContinuousAdjoint { .. } | Method::PaperAdjoint)
    }

    pub(crate) fn validate(&self) -> Result<()> {
        match self {
            Method::Checkpointed { segments: 0 } => Err(Error::InvalidParameter {
                name: "segments".into(),
                value: "0".into(),
                reason: "need at least one segment".into(),
            }),
            Method::ContinuousAdjoint { rtol, atol } => {
                for (name, value) in [("rtol", *rtol), ("atol", *atol)] {
                    if !(value.is_finite() && value > 0.0) {
                        return Err(Error::InvalidTolerance { name, value });
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

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

/// The loss cotangents `∂L/∂y_n` by grid index, summed where output times coincide. Sparse:
/// memory grows with the number of outputs, not with the number of steps.
pub(crate) struct OnGrid<const D: usize>(std::collections::BTreeMap<usize, Tensor<D>>);

impl<const D: usize> OnGrid<D> {
    /// The cotangents `g` of the outputs at grid indices `out_idx`.
    pub(crate) fn new(out_idx: &[usize], g: &[Tensor<D>]) -> Self {
        let mut by_index = std::collections::BTreeMap::new();
        for (i, gk) in out_idx.iter().zip(g) {
            let sum = match by_index.remove(i) {
                Some(x) => x + gk.clone(),
                None => gk.clone(),
            };
            by_index.insert(*i, sum);
        }
        Self(by_index)
    }

    /// The cotangent at grid index `n`, if an output lies there.
    pub(crate) fn get(&self, n: usize) -> Option<&Tensor<D>> {
        self.0.get(&n)
    }
}

/// Checks that one cotangent per output time was given, each of the state's shape.
pub(crate) fn check_cotangents<const D: usize>(g: &[Tensor<D>], n_out: usize, dims: [usize; D]) -> Result<()> {
    if g.len() != n_out {
        return Err(Error::DimensionMismatch {
            what: "cotangents (one per output time)".into(),
            expected: n_out.to_string(),
            found: g.len().to_string(),
        });
    }
    for gk in g {
        if gk.dims() != dims {
            return Err(Error::DimensionMismatch {
                what: "cotangent shape".into(),
                expected: format!("{dims:?}"),
                found: format!("{:?}", gk.dims()),
            });
        }
    }
    Ok(())
}
