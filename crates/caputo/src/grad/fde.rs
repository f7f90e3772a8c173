//! The FDE forward solve with a pullback, for every gradient method: the gradient methods
//! drive the fractional schemes' forward march ([`crate::fde`]) and their exact transposes.

use std::borrow::Cow;

use burn::tensor::Tensor;

use super::{Grads, Method, Pullback, SolveKind, direct, fde_checkpoint, fde_continuous, paper};
use crate::cotangent::check_cotangents;
use crate::error::Result;
use crate::fde::derivative::{self, AdjointCoefs, Coefs};
use crate::fde::grid::UniformGrid;
use crate::fde::history::RowStore;
use crate::fde::kernel::Kernel;
use crate::fde::scheme::Discretisation;
use crate::fde::volterra::{self, AdjointWeights, FdeTrajectory};
use crate::fde::{FdeSolve, History, march};
use crate::field::{Evaluator, ParamGrads, VectorField};
use crate::solution::Solution;
use crate::special::Dual;
use crate::stats::{Stats, StopReason};

/// What the forward pass of each method keeps for the backward pass.
enum Tape<const D: usize> {
    Graph {
        y0: Tensor<D>,
        outputs: Vec<Tensor<D>>,
    },
    States(FdeTrajectory<D>),
    /// The stored states for the paper, continuous and checkpointed methods (no iterates).
    Replay(FdeTrajectory<D>),
    /// Discrete adjoint of an explicit Volterra scheme (predictor) with dense or short history:
    /// the history rows, from which the reverse sweep rebuilds the states.
    Rows {
        y0: Tensor<D>,
        rows: RowStore,
    },
    /// Checkpointed with fast history: snapshots of the solver state `(modes, window)`.
    Snapshots {
        y0: Tensor<D>,
        snaps: volterra::Snapshots,
    },
}

/// The pullback of an FDE solve.
pub struct FdePullback<'a, const D: usize, F: VectorField<D>> {
    /// Borrowed ([`fde_forward`]) or owned ([`fde_forward_owned`]).
    field: Cow<'a, F>,
    opts: FdeSolve,
    grid: UniformGrid,
    method: Method,
    dims: [usize; D],
    tape: Tape<D>,
    stats: Stats,
}

/// Solves like [`crate::fde::solve`] and returns a pullback for `method`.
///
/// Methods: `Direct` (autodiff through the solve; no `∂L/∂α`), `DiscreteAdjoint` (exact
/// transpose of the scheme; also `∂L/∂α`), `Checkpointed` (exact, segment replays with
/// autodiff: [`super::fde_checkpoint`]), `ContinuousAdjoint` (the Caputo model's adjoint on
/// the forward grid, approximate: [`super::fde_continuous`]), `PaperAdjoint` (torchfde's,
/// biased: [`super::paper`]). Which method fits which scheme and history is
/// [`Method::supports`]; an unsupported pair is refused before anything is solved.
///
/// # Errors
/// As [`crate::fde::solve`], and the errors of [`Method::supports`].
///
/// # Example
/// ```
/// use caputo::fde::{FdeSolve, Scheme};
/// use caputo::grad::{fde_forward, Method};
/// use caputo::problems::Relaxation;
/// use caputo::special::mittag_leffler::mittag_leffler;
/// use caputo::tensor::{from_vec, scalar};
/// use caputo::testkit::f64_device;
/// // D^α y = −λy, y(0) = 1, L = y(1) = E_α(−λ): ∂L/∂y0 = E_α(−λ).
/// let (alpha, lam) = (0.6, 0.8);
/// let dev = f64_device();
/// let field = Relaxation::new(lam, &dev);
/// let y0 = from_vec(vec![1.0], [1], &dev.clone().inner());
/// let opts = FdeSolve::new(alpha, &[0.0, 1.0], 400).with_scheme(Scheme::Abm { corrector_iters: 1 });
/// let (sol, pb) = fde_forward(&field, y0, &opts, &Method::DiscreteAdjoint).unwrap();
/// let g = pb.backward(&[sol.y[0].zeros_like(), sol.y[1].ones_like()]).unwrap();
/// let exact = mittag_leffler(alpha, 1.0, -lam);
/// assert!((scalar(g.y0) - exact).abs() < 1e-3);
/// assert!(g.alpha.is_some()); // the discrete adjoint also gives ∂L/∂α
/// ```
pub fn fde_forward<'a, const D: usize, F: VectorField<D>>(
    field: &'a F,
    y0: Tensor<D>,
    opts: &FdeSolve,
    method: &Method,
) -> Result<(Solution<D>, FdePullback<'a, D, F>)> {
    forward(Cow::Borrowed(field), y0, opts, method)
}

/// [`fde_forward`] with a pullback that owns the field (a `'static` pullback, which a custom
/// autodiff node stores: [`super::node`]). Pass a copy whose parameters are fresh autodiff
/// leaves ([`super::node::fresh_leaves`]) when the pullback will run inside another graph's
/// backward pass.
///
/// # Errors
/// As [`fde_forward`].
pub fn fde_forward_owned<const D: usize, F: VectorField<D> + 'static>(
    field: F,
    y0: Tensor<D>,
    opts: &FdeSolve,
    method: &Method,
) -> Result<(Solution<D>, FdePullback<'static, D, F>)> {
    forward(Cow::Owned(field), y0, opts, method)
}

fn forward<'a, const D: usize, F: VectorField<D>>(
    owner: Cow<'a, F>,
    y0: Tensor<D>,
    opts: &FdeSolve,
    method: &Method,
) -> Result<(Solution<D>, FdePullback<'a, D, F>)> {
    let field: &F = &owner;
    method.supports(SolveKind::fde(opts))?;
    let grid = opts.check(&y0)?;
    let (alpha, history) = (opts.alpha, opts.history);
    let disc = opts.discretise(alpha, &grid);
    let dims = y0.dims();
    let mut stats = Stats::default();
    let (outputs, tape) = match method {
        Method::Direct => {
            let leaf = y0.inner().autodiff().require_grad();
            let mut graph_evals = 0;
            let mut f = |t: f64, y: Tensor<D>| {
                graph_evals += 1;
                field.eval(t, y)
            };
            let tr = march(&mut f, leaf.clone(), alpha, &grid, &disc, history, false)?;
            stats.merge(&tr.stats);
            stats.graph_evals = graph_evals;
            let plain = tr.outputs.iter().map(|y| y.clone().inner()).collect();
            (plain, Tape::Graph { y0: leaf, outputs: tr.outputs })
        }
        Method::DiscreteAdjoint
            if matches!(
                (&disc, history),
                (Discretisation::Volterra { a: None, .. }, History::Dense | History::Short(_))
            ) =>
        {
            let Discretisation::Volterra { b, alpha, .. } = &disc else { unreachable!("matched above") };
            let mut ev = Evaluator::new(field);
            let mut f = |t: f64, y: Tensor<D>| ev.eval(t, y);
            let y0p = y0.inner();
            let (tr, rows) = volterra::forward_rows(&mut f, y0p.clone(), &grid, b, *alpha, history)?;
            stats.merge(&tr.stats);
            stats.field_evals = ev.n_evals;
            (tr.outputs, Tape::Rows { y0: y0p, rows })
        }
        Method::DiscreteAdjoint => {
            let mut ev = Evaluator::new(field);
            let mut f = |t: f64, y: Tensor<D>| ev.eval(t, y);
            let tr = march(&mut f, y0.inner(), alpha, &grid, &disc, history, true)?;
            stats.merge(&tr.stats);
            stats.field_evals = ev.n_evals;
            (tr.outputs.clone(), Tape::States(tr))
        }
        Method::Checkpointed { segments } if matches!(history, History::Fast { .. }) => {
            let (Discretisation::Volterra { b, a, iters, alpha }, History::Fast { tol }) = (&disc, history) else {
                unreachable!("fast history is validated to Volterra-form schemes; this is a bug")
            };
            let weights = volterra::Weights { b, a: a.as_ref(), iters: *iters, alpha: *alpha };
            let mut ev = Evaluator::new(field);
            let mut f = |t: f64, y: Tensor<D>| ev.eval(t, y);
            let y0p = y0.inner();
            let (tr, snaps) = volterra::forward_snapshots(&mut f, y0p.clone(), &grid, weights, tol, *segments)?;
            stats.merge(&tr.stats);
            stats.field_evals = ev.n_evals;
            (tr.outputs, Tape::Snapshots { y0: y0p, snaps })
        }
        Method::PaperAdjoint | Method::ContinuousAdjoint { .. } | Method::Checkpointed { .. } => {
            let mut ev = Evaluator::new(field);
            let mut f = |t: f64, y: Tensor<D>| ev.eval(t, y);
            let mut tr = march(&mut f, y0.inner(), alpha, &grid, &disc, history, true)?;
            tr.iterates.clear(); // only the discrete adjoint reads them
            stats.merge(&tr.stats);
            stats.field_evals = ev.n_evals;
            (tr.outputs.clone(), Tape::Replay(tr))
        }
        Method::SymplecticAdjoint => unreachable!("refused by Method::supports; this is a bug"),
    };
    let sol = Solution { t: opts.t.clone(), y: outputs, stats, stop: StopReason::Completed };
    let pb = FdePullback { field: owner, opts: opts.clone(), grid, method: method.clone(), dims, tape, stats };
    Ok((sol, pb))
}

impl<const D: usize, F: VectorField<D>> FdePullback<'_, D, F> {
    /// Pulls `∂L/∂y(t_k)` (one tensor per output time, zeros where the loss does not look)
    /// back to `∂L/∂y0`, `∂L/∂θ` and (discrete adjoint, dense or short history) `∂L/∂α`.
    /// Consumes the pullback (a graph can be walked once).
    ///
    /// # Errors
    /// [`crate::Error::DimensionMismatch`] for a wrong number or shape of cotangents;
    /// [`crate::Error::NonFinite`] when a replayed state blows up.
    pub fn backward(self, cotangents: &[Tensor<D>]) -> Result<Grads<D>> {
        check_cotangents(cotangents, self.grid.out_idx.len(), self.dims)?;
        let g: Vec<Tensor<D>> = cotangents.iter().map(|c| c.clone().inner()).collect();
        let mut stats = self.stats;
        let field: &F = &self.field;
        let (grid, history) = (&self.grid, self.opts.history);
        // The weights with their α-derivatives, for the exact adjoints' ∂L/∂α.
        let dual = || self.opts.discretise(Dual::var(self.opts.alpha), grid);
        let (y0, params, alpha) = match self.tape {
            Tape::Graph { y0, outputs } => {
                let (y0, params) = direct::backward(field, y0, &outputs, &g);
                (y0, params, None)
            }
            Tape::States(tr) => match dual() {
                Discretisation::Volterra { b, a, .. } => {
                    let (bv, bd) = b.split();
                    let a = a.map(|a| a.split());
                    let w = AdjointWeights {
                        b: (&bv, &bd),
                        a: a.as_ref().map(|(v, d)| (v, d)),
                        alpha: self.opts.alpha,
                        history,
                    };
                    volterra_adjoint(field, grid, w, &mut &tr, &g, &mut stats)?
                }
                Discretisation::Derivative { d, sigma, caputo, new_point } => {
                    let mut ev = Evaluator::new(field);
                    let mut grads = ParamGrads::new();
                    let (dv, dd): (Kernel<f64>, Kernel<f64>) = d.split();
                    let c = Coefs {
                        sigma: sigma.v,
                        d0: dv.toe[0],
                        shift: if caputo { 1.0 } else { 0.0 },
                        iters: new_point.unwrap_or(0),
                        alpha: self.opts.alpha,
                    };
                    let w = AdjointCoefs { d: (&dv, &dd), c, dc: (sigma.d, dd.toe[0]), history };
                    let (y0, alpha) = derivative::adjoint(&mut ev, &tr, grid, w, &g, &mut grads, &mut stats);
                    (y0, grads.finish(), alpha)
                }
            },
            Tape::Rows { y0, rows } => {
                let Discretisation::Volterra { b, .. } = dual() else {
                    unreachable!("rows tapes only for Volterra-form schemes; this is a bug")
                };
                let (bv, bd) = b.split();
                let mut states = volterra::Rebuild { y0, rows, b: &bv, history, peak: 0 };
                let w = AdjointWeights { b: (&bv, &bd), a: None, alpha: self.opts.alpha, history };
                volterra_adjoint(field, grid, w, &mut states, &g, &mut stats)?
            }
            Tape::Snapshots { y0, snaps } => {
                let Discretisation::Volterra { b, a, iters, .. } = dual() else {
                    unreachable!("snapshots only for Volterra-form schemes; this is a bug")
                };
                let (bv, bd) = b.split();
                let a = a.map(|a| a.split());
                let mut replay_ev = Evaluator::new(field);
                let mut f = |t: f64, y: Tensor<D>| replay_ev.eval(t, y);
                let mut states = volterra::Replay {
                    f: &mut f,
                    y0,
                    grid,
                    snaps: &snaps,
                    a: a.as_ref().map(|(v, _)| v),
                    iters,
                    seg: None,
                    seg_peak: 0,
                    replayed: 0,
                };
                let w = AdjointWeights {
                    b: (&bv, &bd),
                    a: a.as_ref().map(|(v, d)| (v, d)),
                    alpha: self.opts.alpha,
                    history,
                };
                let r = volterra_adjoint(field, grid, w, &mut states, &g, &mut stats)?;
                stats.recomputed_steps += states.replayed;
                drop(states);
                stats.field_evals += replay_ev.n_evals;
                r
            }
            Tape::Replay(tr) => {
                let disc = self.opts.discretise(self.opts.alpha, grid);
                let (y0, params) = match self.method {
                    Method::PaperAdjoint => paper::backward(field, &disc, &tr, grid, history, &g, &mut stats),
                    Method::ContinuousAdjoint { .. } => {
                        fde_continuous::backward(field, self.opts.alpha, &tr, grid, &g, &mut stats)
                    }
                    Method::Checkpointed { segments } => {
                        let replay = fde_checkpoint::Replay { disc: &disc, grid, history, segments };
                        fde_checkpoint::backward(field, replay, &tr, &g, &mut stats)
                    }
                    _ => unreachable!(
                        "Replay tapes only for the paper, continuous and checkpointed methods; this is a bug"
                    ),
                };
                (y0, params, None)
            }
        };
        Ok(Grads { y0, params, alpha, stats })
    }
}

impl<const D: usize, F: VectorField<D>> Pullback<D> for FdePullback<'_, D, F> {
    fn backward(self, cotangents: &[Tensor<D>]) -> Result<Grads<D>> {
        FdePullback::backward(self, cotangents)
    }
}

/// The exact discrete adjoint of a Volterra-form scheme over the forward `states` (stored,
/// rebuilt or replayed): `(∂L/∂y0, ∂L/∂θ, ∂L/∂α)`.
fn volterra_adjoint<const D: usize, F: VectorField<D>>(
    field: &F,
    grid: &UniformGrid,
    w: AdjointWeights<'_>,
    states: &mut dyn volterra::ReverseStates<D>,
    g: &[Tensor<D>],
    stats: &mut Stats,
) -> Result<(Tensor<D>, burn::optim::GradientsParams, Option<f64>)> {
    let mut ev = Evaluator::new(field);
    let mut grads = ParamGrads::new();
    let (y0, dalpha) = volterra::adjoint(&mut ev, states, grid, w, g, &mut grads, stats)?;
    Ok((y0, grads.finish(), dalpha))
}
