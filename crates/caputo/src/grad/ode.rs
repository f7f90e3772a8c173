//! The pullback of an ODE solve, for every gradient method.

use std::borrow::Cow;

use burn::tensor::Tensor;

use super::{Grads, Method, Pullback, SolveKind};
use crate::cotangent::check_cotangents;
use crate::error::{Error, Result};
use crate::field::VectorField;
use crate::ode::control::{StepControl, fixed_grid, validate_times};
use crate::ode::solve::{Solution, Trajectory, march_on_grid, trajectory};
use crate::ode::tableau::ButcherTableau;
use crate::stats::Stats;
use crate::tensor::all_finite;

/// What the forward pass of each method keeps for the backward pass.
pub(crate) enum Tape<const D: usize> {
    /// `Direct`: the autodiff leaf `y0` and the outputs, which hold the whole graph.
    Graph { y0: Tensor<D>, outputs: Vec<Tensor<D>> },
    /// `SymplecticAdjoint`: every step state (plain).
    States(Trajectory<D>),
    /// `Checkpointed`: states every `every` grid indices.
    Checkpoints { tr: Trajectory<D>, every: usize },
    /// `ContinuousAdjoint`: outputs only (and the grid, for tableaus without error estimate).
    Outputs(Trajectory<D>),
}

/// The pullback of an ODE solve: call [`OdePullback::backward`] with `∂L/∂y(t_k)`.
pub struct OdePullback<'a, const D: usize, F: VectorField<D>> {
    /// Borrowed ([`ode_forward`]) or owned ([`ode_forward_owned`]).
    pub(crate) field: Cow<'a, F>,
    pub(crate) tab: ButcherTableau,
    pub(crate) method: Method,
    pub(crate) t: Vec<f64>,
    pub(crate) dims: [usize; D],
    pub(crate) tape: Tape<D>,
    pub(crate) stats: Stats,
}

/// The grid a solve uses: fixed grids directly, adaptive ones by a graph-free forward solve.
fn grid_for<const D: usize, F: VectorField<D>>(
    field: &F,
    y0: &Tensor<D>,
    t: &[f64],
    tab: &ButcherTableau,
    control: &StepControl,
    stats: &mut Stats,
) -> Result<(Vec<f64>, Vec<usize>)> {
    match control {
        StepControl::Fixed { n_steps } => Ok(fixed_grid(t, *n_steps)),
        StepControl::Adaptive(_) => {
            let tr = trajectory(field, y0.clone(), t, tab, control, false)?;
            stats.merge(&tr.stats);
            Ok((tr.grid, tr.out_idx))
        }
    }
}

/// Solves `y' = f(t, y; θ)` and returns the outputs with a pullback for `method`.
///
/// Output times are step endpoints (as in [`crate::ode::solve()`]); on adaptive grids the
/// accepted steps are treated as constants, as torchdiffeq and diffrax do, so every exact
/// method differentiates the same discrete map.
///
/// # Errors
/// As [`crate::ode::solve()`], plus the errors of [`Method::supports`] (e.g.
/// [`Error::Unsupported`] for the fractional methods `DiscreteAdjoint` and `PaperAdjoint`).
///
/// # Example
/// ```
/// use caputo::grad::{ode_forward, Method};
/// use caputo::ode::{ButcherTableau, StepControl};
/// use caputo::problems::Relaxation;
/// use caputo::tensor::{from_vec, scalar};
/// let dev = caputo::testkit::f64_device();
/// let plain = dev.clone().inner();
/// let field = Relaxation::new(1.0, &dev); // y' = −λ y with trainable λ = 1
/// let grads = |method: &Method| {
///     let y0 = from_vec(vec![1.0], [1], &plain);
///     let (_sol, pb) =
///         ode_forward(&field, y0, &[0.0, 1.0], &ButcherTableau::rk4(), &StepControl::fixed(20), method).unwrap();
///     // L = y(1): one cotangent per output time (t = 0 and t = 1).
///     let r = pb.backward(&[from_vec(vec![0.0], [1], &plain), from_vec(vec![1.0], [1], &plain)]).unwrap();
///     (scalar(r.y0), scalar(r.params.get::<1>(field.lambda.id).unwrap()))
/// };
/// let (dy0, dlambda) = grads(&Method::SymplecticAdjoint);
/// let e = (-1.0f64).exp();
/// assert!((dy0 - e).abs() < 1e-7); // ∂y(1)/∂y0 = e^{−λ}
/// assert!((dlambda + e).abs() < 1e-7); // ∂y(1)/∂λ = −t y0 e^{−λt}
/// // Exact: the same numbers as backpropagation through the solver, to rounding.
/// let (dy0_direct, dlambda_direct) = grads(&Method::Direct);
/// assert!((dy0 - dy0_direct).abs() < 1e-14 && (dlambda - dlambda_direct).abs() < 1e-14);
/// ```
pub fn ode_forward<'a, const D: usize, F: VectorField<D>>(
    field: &'a F,
    y0: Tensor<D>,
    t: &[f64],
    tab: &ButcherTableau,
    control: &StepControl,
    method: &Method,
) -> Result<(Solution<D>, OdePullback<'a, D, F>)> {
    forward(Cow::Borrowed(field), y0, t, tab, control, method)
}

/// [`ode_forward`] with a pullback that owns the field (a `'static` pullback, which a custom
/// autodiff node stores: [`super::node`]).
///
/// # Errors
/// As [`ode_forward`].
pub fn ode_forward_owned<const D: usize, F: VectorField<D> + 'static>(
    field: F,
    y0: Tensor<D>,
    t: &[f64],
    tab: &ButcherTableau,
    control: &StepControl,
    method: &Method,
) -> Result<(Solution<D>, OdePullback<'static, D, F>)> {
    forward(Cow::Owned(field), y0, t, tab, control, method)
}

fn forward<'a, const D: usize, F: VectorField<D>>(
    owner: Cow<'a, F>,
    y0: Tensor<D>,
    t: &[f64],
    tab: &ButcherTableau,
    control: &StepControl,
    method: &Method,
) -> Result<(Solution<D>, OdePullback<'a, D, F>)> {
    let field: &F = &owner;
    method.supports(SolveKind::Ode)?;
    validate_times(t)?;
    control.validate()?;
    if !all_finite(&y0) {
        return Err(Error::NonFinite { t: t[0], step: 0 });
    }
    let dims = y0.dims();
    let mut stats = Stats::default();
    let (outputs, stop, tape) = match method {
        Method::Direct => {
            let (grid, out_idx) = grid_for(field, &y0, t, tab, control, &mut stats)?;
            let leaf = y0.inner().autodiff().require_grad();
            let mut graph_evals = 0;
            let mut f = |t: f64, y: Tensor<D>| {
                graph_evals += 1;
                field.eval(t, y)
            };
            let tr = march_on_grid(tab, &mut f, leaf.clone(), &grid, &out_idx, 0)?;
            stats.merge(&tr.stats);
            stats.graph_evals += graph_evals;
            let plain = tr.outputs.iter().map(|y| y.clone().inner()).collect();
            (plain, tr.stop, Tape::Graph { y0: leaf, outputs: tr.outputs })
        }
        Method::SymplecticAdjoint => {
            let tr = trajectory(field, y0, t, tab, control, true)?;
            stats.merge(&tr.stats);
            (tr.outputs.clone(), tr.stop, Tape::States(tr))
        }
        Method::Checkpointed { segments } => {
            let (grid, out_idx) = grid_for(field, &y0, t, tab, control, &mut stats)?;
            let n_steps = grid.len() - 1;
            let every = n_steps.div_ceil(*segments).max(1);
            let mut ev = crate::field::Evaluator::new(field);
            let mut f = |t: f64, y: Tensor<D>| ev.eval(t, y);
            let tr = march_on_grid(tab, &mut f, y0.inner(), &grid, &out_idx, every)?;
            stats.merge(&tr.stats);
            stats.field_evals += ev.n_evals;
            (tr.outputs.clone(), tr.stop, Tape::Checkpoints { tr, every })
        }
        Method::ContinuousAdjoint { .. } => {
            let tr = trajectory(field, y0, t, tab, control, false)?;
            stats.merge(&tr.stats);
            (tr.outputs.clone(), tr.stop, Tape::Outputs(tr))
        }
        Method::DiscreteAdjoint | Method::PaperAdjoint => {
            unreachable!("refused by Method::supports; this is a bug")
        }
    };
    let sol = Solution { t: t[..outputs.len()].to_vec(), y: outputs, stats, stop };
    let pb = OdePullback { field: owner, tab: tab.clone(), method: method.clone(), t: t.to_vec(), dims, tape, stats };
    Ok((sol, pb))
}

impl<const D: usize, F: VectorField<D>> OdePullback<'_, D, F> {
    /// Pulls `∂L/∂y(t_k)` (one tensor per output time, zeros where the loss does not look)
    /// back to `∂L/∂y0` and `∂L/∂θ`. Consumes the pullback (a graph can be walked once).
    pub fn backward(self, cotangents: &[Tensor<D>]) -> Result<Grads<D>> {
        let n_out = match &self.tape {
            Tape::Graph { outputs, .. } => outputs.len(),
            Tape::States(tr) | Tape::Checkpoints { tr, .. } | Tape::Outputs(tr) => tr.outputs.len(),
        };
        check_cotangents(cotangents, n_out, self.dims)?;
        let g: Vec<Tensor<D>> = cotangents.iter().map(|c| c.clone().inner()).collect();
        let mut stats = self.stats;
        let field: &F = &self.field;
        let (y0, params) = match self.tape {
            Tape::Graph { y0, outputs } => super::direct::backward(field, y0, &outputs, &g),
            Tape::States(tr) => super::symplectic::backward(field, &self.tab, &tr, &g, &mut stats),
            Tape::Checkpoints { tr, every } => {
                super::checkpoint::ode_backward(field, &self.tab, &tr, every, &g, &mut stats)?
            }
            Tape::Outputs(tr) => {
                let Method::ContinuousAdjoint { rtol, atol } = self.method else {
                    unreachable!("Outputs tape only for the continuous adjoint; this is a bug")
                };
                {
                    let tol = super::continuous::Tolerance { rtol, atol };
                    super::continuous::ode_backward(field, &self.tab, &tr, &self.t, &g, tol, &mut stats)?
                }
            }
        };
        Ok(Grads { y0, params, alpha: None, stats })
    }
}

impl<const D: usize, F: VectorField<D>> Pullback<D> for OdePullback<'_, D, F> {
    fn backward(self, cotangents: &[Tensor<D>]) -> Result<Grads<D>> {
        OdePullback::backward(self, cotangents)
    }
}
