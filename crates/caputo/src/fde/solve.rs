//! The fractional solve: one options value ([`FdeSolve`]: order, grid, scheme, history), its
//! checks, and the forward march that every gradient method (module `grad`) drives.

use burn::tensor::Tensor;

use super::derivative::{self, Coefs};
use super::grid::UniformGrid;
use super::history::History;
use super::scheme::{Discretisation, Scheme};
use super::volterra::{self, FdeTrajectory};
use crate::error::{Error, Result};
use crate::field::{Evaluator, VectorField};
use crate::solution::Solution;
use crate::special::Real;
use crate::stats::StopReason;
use crate::tensor::all_finite;

/// Everything that defines a fractional solve besides the field and `y0`: the order `α`, the
/// output times `t` (`t[0]` is the initial time) on a uniform grid of `n_steps` steps, the
/// [`Scheme`] and the [`History`].
///
/// Built like Burn's configs: `FdeSolve::new(required).with_x(..)`. The defaults are the
/// recommended ones (`docs/choosing.md`): ABM with one corrector iteration, dense history.
///
/// # Example
/// ```
/// use caputo::fde::{FdeSolve, History, Scheme};
/// let s = FdeSolve::new(0.6, &[0.0, 0.5, 1.0], 64).with_scheme(Scheme::Predictor).with_history(History::Fast { tol: 1e-10 });
/// assert_eq!(s.grid().unwrap().out_idx, vec![0, 32, 64]);
/// assert_eq!(FdeSolve::new(0.6, &[0.0, 1.0], 8).scheme, Scheme::Abm { corrector_iters: 1 });
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FdeSolve {
    /// The order `α ∈ (0, 1]` (for [`Scheme::MultiTerm`] the orders are in the scheme; `α`
    /// is then only checked).
    pub alpha: f64,
    /// Output times, strictly increasing, each a grid point; `t[0]` is the initial time.
    pub t: Vec<f64>,
    /// Number of uniform steps from `t[0]` to the last output time.
    pub n_steps: usize,
    /// The fractional scheme.
    pub scheme: Scheme,
    /// Which part of the past the scheme remembers.
    pub history: History,
}

impl FdeSolve {
    /// A solve of order `alpha` through the output times `t` on `n_steps` uniform steps, with
    /// the default scheme (ABM, one corrector iteration) and dense history.
    pub fn new(alpha: f64, t: &[f64], n_steps: usize) -> Self {
        Self { alpha, t: t.to_vec(), n_steps, scheme: Scheme::Abm { corrector_iters: 1 }, history: History::Dense }
    }

    /// The same solve with another scheme.
    pub fn with_scheme(mut self, scheme: Scheme) -> Self {
        self.scheme = scheme;
        self
    }

    /// The same solve with another history.
    pub fn with_history(mut self, history: History) -> Self {
        self.history = history;
        self
    }

    /// The uniform grid through the output times.
    ///
    /// # Errors
    /// As [`UniformGrid::new`].
    pub fn grid(&self) -> Result<UniformGrid> {
        UniformGrid::new(&self.t, self.n_steps)
    }

    /// Checks the order, the scheme, the history and their combination, the grid, and that
    /// `y0` is finite; returns the grid.
    ///
    /// # Errors
    /// [`Error::InvalidOrder`], the scheme's own checks, [`Error::InvalidParameter`] for short
    /// memory `L = 0`, [`Error::InvalidTolerance`] for a fast-history tolerance outside
    /// `(0, 1)`, [`Error::Unsupported`] for fast history with a scheme that has no
    /// sum-of-exponentials form, [`Error::InvalidGrid`] / [`Error::InvalidStep`] for the grid,
    /// [`Error::NonFinite`] for a non-finite `y0`.
    pub fn check<const D: usize>(&self, y0: &Tensor<D>) -> Result<UniformGrid> {
        let grid = self.grid()?;
        self.validate()?;
        if !all_finite(y0) {
            return Err(Error::NonFinite { t: grid.t0, step: 0 });
        }
        Ok(grid)
    }

    /// Checks the order, the scheme, the history and their combination (not the grid or a
    /// state): what a command line can check before it builds any tensor.
    ///
    /// # Errors
    /// As [`FdeSolve::check`], without the grid's and `y0`'s.
    ///
    /// # Example
    /// ```
    /// use caputo::fde::{FdeSolve, History, Scheme, scheme};
    /// let gl = scheme::by_name("gl", 0.5).unwrap();
    /// let fast = History::Fast { tol: 1e-10 };
    /// assert!(FdeSolve::new(0.5, &[0.0, 1.0], 10).with_scheme(gl).with_history(fast).validate().is_err());
    /// assert!(FdeSolve::new(0.5, &[0.0, 1.0], 10).with_history(fast).validate().is_ok());
    /// ```
    pub fn validate(&self) -> Result<()> {
        self.scheme.validate(self.alpha)?;
        match self.history {
            History::Short(0) => {
                return Err(Error::InvalidParameter {
                    name: "memory".into(),
                    value: "0".into(),
                    reason: "short memory needs L >= 1".into(),
                });
            }
            History::Fast { tol } => {
                if !(tol.is_finite() && tol > 0.0 && tol < 1.0) {
                    return Err(Error::InvalidTolerance { name: "tol", value: tol });
                }
                // Of the derivative-form schemes only L1 has an SOE form (see `fde::fast`).
                if !self.scheme.has_fast_history() {
                    return Err(Error::Unsupported {
                        method: "fast history".into(),
                        what: "fast history for Grünwald-Letnikov, trapezoid and multi-term schemes (use predictor, abm, l1 or l1-implicit)".into(),
                    });
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The scheme's weights on `grid` in the scalar `R` (`f64`, or a dual number for
    /// `∂/∂α`), for as many lags as the history reads ([`kernel_steps`]).
    pub(crate) fn discretise<R: Real>(&self, alpha: R, grid: &UniformGrid) -> Discretisation<R> {
        self.scheme.discretise(alpha, R::from_f64(grid.h), kernel_steps(self.history, grid.n_steps))
    }
}

/// The grid length the scheme's weights are built for: every lag for dense and short history;
/// for fast history only the exact window (the far past is the SOE modes, whose plan reads the
/// lags `≤ WINDOW` and, for ABM, the first column up to `WINDOW`; the L1 plan computes its first
/// column in closed form), so long fast solves hold no `O(N)` weight arrays. The weights of a
/// lag do not depend on the grid length.
pub(crate) fn kernel_steps(history: History, n_steps: usize) -> usize {
    match history {
        History::Fast { .. } => n_steps.min(super::fast::WINDOW + 1),
        _ => n_steps,
    }
}

/// Runs the forward march of a discretisation (order `alpha`) with any evaluation `f` — a
/// graph-free [`Evaluator`], or the field on autodiff tensors for `Direct`; `store` keeps the
/// states (and corrector iterates) for a reverse sweep.
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
            let w = volterra::Weights { b, a: a.as_ref(), iters: *iters, alpha: *alpha };
            volterra::forward(f, y0, grid, w, history, store)
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

/// Solves `D^α y = f(t, y; θ)` as `opts` says; returns `y` at every output time. Records no
/// graph (for gradients: `caputo::grad::fde_forward`).
///
/// # Errors
/// As [`FdeSolve::check`], and [`Error::NonFinite`] when the state blows up.
///
/// # Example
/// ```
/// use burn::tensor::{Device, Tensor};
/// use caputo::fde::{solve, FdeSolve};
/// use caputo::field::FnField;
/// // Relaxation D^0.5 y = −y, y(0) = 1: y(1) = E_{1/2}(−1) = 0.42758…
/// let dev = Device::flex();
/// let field = FnField::new(|_t: f64, y: Tensor<1>| -y);
/// let y0 = Tensor::<1>::from_floats([1.0], &dev);
/// let sol = solve(&field, y0, &FdeSolve::new(0.5, &[0.0, 1.0], 256)).unwrap();
/// assert!((caputo::tensor::scalar(sol.y[1].clone()) - 0.427_583_576_155_807).abs() < 1e-3);
/// ```
pub fn solve<const D: usize, F: VectorField<D>>(field: &F, y0: Tensor<D>, opts: &FdeSolve) -> Result<Solution<D>> {
    let grid = opts.check(&y0)?;
    let disc = opts.discretise(opts.alpha, &grid);
    let mut ev = Evaluator::new(field);
    let mut f = |t: f64, y: Tensor<D>| ev.eval(t, y);
    let tr = march(&mut f, y0.inner(), opts.alpha, &grid, &disc, opts.history, false)?;
    let mut stats = tr.stats;
    stats.field_evals = ev.n_evals;
    Ok(Solution { t: opts.t.clone(), y: tr.outputs, stats, stop: StopReason::Completed })
}
