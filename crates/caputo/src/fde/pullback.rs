//! The FDE solve and its pullback for every gradient method.

use burn::tensor::Tensor;

use super::derivative::{self, Coefs};
use super::grid::UniformGrid;
use super::history::History;
use super::kernel::Kernel;
use super::scheme::{Discretisation, Scheme};
use super::volterra::{self, FdeTrajectory};
use crate::error::{Error, Result};
use crate::field::{Evaluator, ParamGrads, VectorField};
use crate::grad::{Grads, Method, check_cotangents, direct, fde_checkpoint, fde_continuous, paper};
use crate::ode::solve::Solution;
use crate::special::Dual;
use crate::stats::{Stats, StopReason};
use crate::tensor::all_finite;

/// Runs the forward march of `scheme` (order `alpha`) with any evaluator.
#[allow(clippy::too_many_arguments)]
pub(crate) fn march<const D: usize>(
    f: &mut dyn FnMut(f64, Tensor<D>) -> Tensor<D>,
    y0: Tensor<D>,
    alpha: f64,
    grid: &UniformGrid,
    disc: &Discretisation<f64>,
    history: History,
    store: bool,
) -> Result<FdeTrajectory<D>> {
    match disc {
        Discretisation::Volterra { b, a, iters, alpha } => {
            volterra::forward(f, y0, grid, b, a.as_ref(), *iters, *alpha, history, store)
        }
        Discretisation::Derivative { d, sigma, caputo, new_point } => {
            let c = Coefs {
                sigma: *sigma,
                d0: d.toe[0],
                shift: if *caputo { 1.0 } else { 0.0 },
                iters: new_point.unwrap_or(0),
                alpha,
            };
            derivative::forward(f, y0, grid, d, c, history, store)
        }
    }
}

/// The grid length the scheme's weights are built for: every lag for dense and short history;
/// for fast history only the exact window (the far past is the SOE modes, whose plan reads the
/// lags `≤ WINDOW` and, for ABM, the first column up to `WINDOW`; the L1 plan computes its first
/// column in closed form), so long fast solves hold no `O(N)`
/// weight arrays. The weights of a lag do not depend on the grid length.
fn kernel_steps(history: History, n_steps: usize) -> usize {
    match history {
        History::Fast { .. } => n_steps.min(super::fast::WINDOW + 1),
        _ => n_steps,
    }
}

fn validate<const D: usize>(
    y0: &Tensor<D>,
    alpha: f64,
    grid: &UniformGrid,
    scheme: &Scheme,
    history: History,
) -> Result<()> {
    scheme.validate(alpha)?;
    if let History::Short(0) = history {
        return Err(Error::InvalidParameter {
            name: "memory".into(),
            value: "0".into(),
            reason: "short memory needs L >= 1".into(),
        });
    }
    if let History::Fast { tol } = history {
        if !(tol.is_finite() && tol > 0.0 && tol < 1.0) {
            return Err(Error::InvalidTolerance { name: "tol", value: tol });
        }
        // Of the derivative-form schemes only L1 has an SOE form (see `fde::fast`).
        if !matches!(scheme, Scheme::Predictor | Scheme::Abm { .. } | Scheme::L1 { .. }) {
            return Err(Error::Unsupported {
                method: "fast history".into(),
                what: "fast history for Grünwald-Letnikov, trapezoid and multi-term schemes (use predictor, abm, l1 or l1-implicit)".into(),
            });
        }
    }
    if !all_finite(y0) {
        return Err(Error::NonFinite { t: grid.t0, step: 0 });
    }
    Ok(())
}

/// Solves `D^α y = f(t, y; θ)` on the uniform grid through the output times `t` with
/// `n_steps` steps; returns `y` at every output time. Records no graph.
///
/// # Errors
/// [`Error::InvalidOrder`] for α outside `(0, 1]`, [`Error::InvalidGrid`] for output times off
/// the uniform grid or not increasing, [`Error::InvalidStep`] for zero steps,
/// [`Error::NonFinite`] when the state blows up, and the scheme's own checks.
///
/// # Example
/// ```
/// use burn::tensor::{Device, Tensor};
/// use caputo::fde::{solve, History, Scheme};
/// use caputo::field::FnField;
/// // Relaxation D^0.5 y = −y, y(0) = 1: y(1) = E_{1/2}(−1) = 0.42758…
/// let dev = Device::flex();
/// let field = FnField::new(|_t: f64, y: Tensor<1>| -y);
/// let y0 = Tensor::<1>::from_floats([1.0], &dev);
/// let sol = solve(&field, y0, 0.5, &[0.0, 1.0], 256, &Scheme::Abm { corrector_iters: 1 }, History::Dense).unwrap();
/// assert!((caputo::tensor::scalar(sol.y[1].clone()) - 0.427_583_576_155_807).abs() < 1e-3);
/// ```
#[allow(clippy::too_many_arguments)]
pub fn solve<const D: usize, F: VectorField<D>>(
    field: &F,
    y0: Tensor<D>,
    alpha: f64,
    t: &[f64],
    n_steps: usize,
    scheme: &Scheme,
    history: History,
) -> Result<Solution<D>> {
    let grid = UniformGrid::new(t, n_steps)?;
    validate(&y0, alpha, &grid, scheme, history)?;
    let disc = scheme.discretise(alpha, grid.h, kernel_steps(history, n_steps));
    let mut ev = Evaluator::new(field);
    let mut f = |t: f64, y: Tensor<D>| ev.eval(t, y);
    let tr = march(&mut f, y0.inner(), alpha, &grid, &disc, history, false)?;
    let mut stats = tr.stats;
    stats.field_evals = ev.n_evals;
    Ok(Solution { t: t.to_vec(), y: tr.outputs, stats, stop: StopReason::Completed })
}

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
        rows: super::history::RowStore,
    },
    /// Checkpointed with fast history: snapshots of the solver state `(modes, window)`.
    Snapshots {
        y0: Tensor<D>,
        snaps: volterra::Snapshots,
    },
}

/// The pullback of an FDE solve.
pub struct FdePullback<'a, const D: usize, F: VectorField<D>> {
    field: &'a F,
    alpha: f64,
    grid: UniformGrid,
    scheme: Scheme,
    history: History,
    method: Method,
    dims: [usize; D],
    tape: Tape<D>,
    stats: Stats,
}

/// Solves like [`solve`] and returns a pullback for `method`.
///
/// Methods: `Direct` (autodiff through the solve; no `∂L/∂α`), `DiscreteAdjoint` (exact
/// transpose of the scheme; also `∂L/∂α`), `Checkpointed` (exact, segment replays with
/// autodiff: [`crate::grad::fde_checkpoint`]), `ContinuousAdjoint` (the Caputo model's adjoint on
/// the forward grid, approximate: [`crate::grad::fde_continuous`]), `PaperAdjoint` (torchfde's,
/// biased: [`crate::grad::paper`]). Each of the last three returns [`Error::Unsupported`] for
/// the solves it does not cover (see its module).
///
/// # Example
/// ```
/// use caputo::fde::{fde_forward, History, Scheme};
/// use caputo::grad::Method;
/// use caputo::problems::Relaxation;
/// use caputo::special::mittag_leffler::mittag_leffler;
/// use caputo::tensor::{from_vec, scalar};
/// use caputo::testkit::f64_device;
/// // D^α y = −λy, y(0) = 1, L = y(1) = E_α(−λ): ∂L/∂y0 = E_α(−λ).
/// let (alpha, lam) = (0.6, 0.8);
/// let dev = f64_device();
/// let field = Relaxation::new(lam, &dev);
/// let y0 = from_vec(vec![1.0], [1], &dev.clone().inner());
/// let abm = Scheme::Abm { corrector_iters: 1 };
/// let (sol, pb) = fde_forward(&field, y0, alpha, &[0.0, 1.0], 400, &abm, History::Dense, &Method::DiscreteAdjoint).unwrap();
/// let g = pb.backward(&[sol.y[0].zeros_like(), sol.y[1].ones_like()]).unwrap();
/// let exact = mittag_leffler(alpha, 1.0, -lam);
/// assert!((scalar(g.y0) - exact).abs() < 1e-3);
/// assert!(g.alpha.is_some()); // the discrete adjoint also gives ∂L/∂α
/// ```
#[allow(clippy::too_many_arguments)]
pub fn fde_forward<'a, const D: usize, F: VectorField<D>>(
    field: &'a F,
    y0: Tensor<D>,
    alpha: f64,
    t: &[f64],
    n_steps: usize,
    scheme: &Scheme,
    history: History,
    method: &Method,
) -> Result<(Solution<D>, FdePullback<'a, D, F>)> {
    let grid = UniformGrid::new(t, n_steps)?;
    validate(&y0, alpha, &grid, scheme, history)?;
    method.validate()?;
    if let (History::Fast { .. }, Method::Checkpointed { .. } | Method::PaperAdjoint) = (history, method)
        && !matches!(scheme, Scheme::Predictor | Scheme::Abm { .. })
    {
        return Err(Error::Unsupported {
            method: method.name().into(),
            what: "fast history with the L1 scheme (snapshots and the reversed solve are implemented for predictor and abm only); use discrete-adjoint, which keeps the O((Q + w)·d) fast history".into(),
        });
    }
    let disc = scheme.discretise(alpha, grid.h, kernel_steps(history, n_steps));
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
            let mut ev = Evaluator::new(field);
            let mut f = |t: f64, y: Tensor<D>| ev.eval(t, y);
            let y0p = y0.inner();
            let (tr, snaps) =
                volterra::forward_snapshots(&mut f, y0p.clone(), &grid, b, a.as_ref(), *iters, *alpha, tol, *segments)?;
            stats.merge(&tr.stats);
            stats.field_evals = ev.n_evals;
            (tr.outputs, Tape::Snapshots { y0: y0p, snaps })
        }
        Method::PaperAdjoint | Method::ContinuousAdjoint { .. } | Method::Checkpointed { .. } => {
            match method {
                Method::PaperAdjoint => paper::check(scheme)?,
                Method::ContinuousAdjoint { .. } => fde_continuous::check(scheme, history)?,
                _ => {}
            }
            let mut ev = Evaluator::new(field);
            let mut f = |t: f64, y: Tensor<D>| ev.eval(t, y);
            let mut tr = march(&mut f, y0.inner(), alpha, &grid, &disc, history, true)?;
            tr.iterates.clear(); // only the discrete adjoint reads them
            stats.merge(&tr.stats);
            stats.field_evals = ev.n_evals;
            (tr.outputs.clone(), Tape::Replay(tr))
        }
        m => {
            return Err(Error::Unsupported {
                method: m.name().into(),
                what: "fractional solves (use discrete-adjoint)".into(),
            });
        }
    };
    let sol = Solution { t: t.to_vec(), y: outputs, stats, stop: StopReason::Completed };
    let pb =
        FdePullback { field, alpha, grid, scheme: scheme.clone(), history, method: method.clone(), dims, tape, stats };
    Ok((sol, pb))
}

impl<const D: usize, F: VectorField<D>> FdePullback<'_, D, F> {
    /// Pulls `∂L/∂y(t_k)` back to `∂L/∂y0`, `∂L/∂θ` and (discrete adjoint) `∂L/∂α`.
    pub fn backward(self, cotangents: &[Tensor<D>]) -> Result<Grads<D>> {
        check_cotangents(cotangents, self.grid.out_idx.len(), self.dims)?;
        let g: Vec<Tensor<D>> = cotangents.iter().map(|c| c.clone().inner()).collect();
        let mut stats = self.stats;
        match self.tape {
            Tape::Graph { y0, outputs } => {
                let (y0, params) = direct::backward(self.field, y0, &outputs, &g);
                Ok(Grads { y0, params, alpha: None, stats })
            }
            Tape::States(tr) => {
                let disc = self.scheme.discretise(
                    Dual::var(self.alpha),
                    Dual::cst(self.grid.h),
                    kernel_steps(self.history, self.grid.n_steps),
                );
                match disc {
                    Discretisation::Volterra { b, a, .. } => {
                        let (alpha, grid, history) = (self.alpha, &self.grid, self.history);
                        let (y0, params, alpha) = volterra_adjoint(
                            self.field,
                            &b,
                            a.as_ref(),
                            alpha,
                            grid,
                            history,
                            &mut &tr,
                            &g,
                            &mut stats,
                        )?;
                        Ok(Grads { y0, params, alpha, stats })
                    }
                    Discretisation::Derivative { d, sigma, caputo, new_point } => {
                        let mut ev = Evaluator::new(self.field);
                        let mut grads = ParamGrads::new();
                        let (dv, dd): (Kernel<f64>, Kernel<f64>) = d.split();
                        let c = Coefs {
                            sigma: sigma.v,
                            d0: dv.toe[0],
                            shift: if caputo { 1.0 } else { 0.0 },
                            iters: new_point.unwrap_or(0),
                            alpha: self.alpha,
                        };
                        let (y0, alpha) = derivative::adjoint(
                            &mut ev,
                            &tr,
                            &self.grid,
                            (&dv, &dd),
                            c,
                            (sigma.d, dd.toe[0]),
                            self.history,
                            &g,
                            &mut grads,
                            &mut stats,
                        );
                        Ok(Grads { y0, params: grads.finish(), alpha, stats })
                    }
                }
            }
            Tape::Rows { y0, rows } => {
                let disc = self.scheme.discretise(
                    Dual::var(self.alpha),
                    Dual::cst(self.grid.h),
                    kernel_steps(self.history, self.grid.n_steps),
                );
                let Discretisation::Volterra { b, .. } = disc else {
                    unreachable!("rows tapes only for Volterra-form schemes; this is a bug")
                };
                let b_value = b.split().0;
                let mut states = volterra::Rebuild { y0, rows, b: &b_value, history: self.history, peak: 0 };
                let (alpha, grid, history) = (self.alpha, &self.grid, self.history);
                let (y0, params, alpha) =
                    volterra_adjoint(self.field, &b, None, alpha, grid, history, &mut states, &g, &mut stats)?;
                Ok(Grads { y0, params, alpha, stats })
            }
            Tape::Snapshots { y0, snaps } => {
                let disc = self.scheme.discretise(
                    Dual::var(self.alpha),
                    Dual::cst(self.grid.h),
                    kernel_steps(self.history, self.grid.n_steps),
                );
                let Discretisation::Volterra { b, a, iters, .. } = disc else {
                    unreachable!("snapshots only for Volterra-form schemes; this is a bug")
                };
                let a_value = a.as_ref().map(|a| a.split().0);
                let mut replay_ev = Evaluator::new(self.field);
                let mut f = |t: f64, y: Tensor<D>| replay_ev.eval(t, y);
                let mut states = volterra::Replay {
                    f: &mut f,
                    y0,
                    grid: &self.grid,
                    snaps: &snaps,
                    a: a_value.as_ref(),
                    iters,
                    seg: None,
                    seg_peak: 0,
                    replayed: 0,
                };
                let (alpha, grid, history) = (self.alpha, &self.grid, self.history);
                let (y0, params, alpha) =
                    volterra_adjoint(self.field, &b, a.as_ref(), alpha, grid, history, &mut states, &g, &mut stats)?;
                stats.recomputed_steps += states.replayed;
                drop(states);
                stats.field_evals += replay_ev.n_evals;
                Ok(Grads { y0, params, alpha, stats })
            }
            Tape::Replay(tr) => {
                let (grid, history) = (&self.grid, self.history);
                let disc = self.scheme.discretise(self.alpha, grid.h, kernel_steps(history, grid.n_steps));
                let (y0, params) = match self.method {
                    Method::PaperAdjoint => paper::backward(self.field, &disc, &tr, grid, history, &g, &mut stats),
                    Method::ContinuousAdjoint { .. } => {
                        fde_continuous::backward(self.field, self.alpha, &tr, grid, &g, &mut stats)
                    }
                    Method::Checkpointed { segments } => {
                        fde_checkpoint::backward(self.field, &disc, &tr, grid, history, segments, &g, &mut stats)
                    }
                    _ => unreachable!(
                        "Replay tapes only for the paper, continuous and checkpointed methods; this is a bug"
                    ),
                };
                Ok(Grads { y0, params, alpha: None, stats })
            }
        }
    }
}

/// The exact discrete adjoint of a Volterra-form scheme over the forward `states` (stored or
/// replayed): `(∂L/∂y0, ∂L/∂θ, ∂L/∂α)`; `b` and `a` carry the weights' α-derivatives.
#[allow(clippy::too_many_arguments)]
fn volterra_adjoint<const D: usize, F: VectorField<D>>(
    field: &F,
    b: &Kernel<Dual>,
    a: Option<&Kernel<Dual>>,
    alpha: f64,
    grid: &UniformGrid,
    history: History,
    states: &mut dyn volterra::ReverseStates<D>,
    g: &[Tensor<D>],
    stats: &mut Stats,
) -> Result<(Tensor<D>, burn::optim::GradientsParams, Option<f64>)> {
    let (bv, bd) = b.split();
    let a = a.map(|a| a.split());
    let mut ev = Evaluator::new(field);
    let mut grads = ParamGrads::new();
    let (y0, dalpha) = volterra::adjoint(
        &mut ev,
        states,
        grid,
        (&bv, &bd),
        a.as_ref().map(|(v, d)| (v, d)),
        alpha,
        history,
        g,
        &mut grads,
        stats,
    )?;
    Ok((y0, grads.finish(), dalpha))
}
