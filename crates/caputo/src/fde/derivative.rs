//! The engine of the derivative-form schemes (L1, Grünwald–Letnikov, product trapezoid,
//! multi-term): forward march and its exact transpose.
//!
//! Forward, with `u_j = y_j − s·y0` (`s = 1` Caputo, `0` RL) and `R_n = Σ_{j<n} d(n,j) u_j`:
//! `q⁰ = s·y0 + (σ f(t_{n−1}, y_{n−1}) − R_n)/d₀`; `q^{k+1} = s·y0 + (σ f(t_n, q^k) − R_n)/d₀`
//! (`K` new-point iterations; none for the lagged form); `y_n = q^K`.
//!
//! Reverse, for `n = N..1`: `ȳ_n = ∂L/∂y_n + Σ_{m>n} d(m,n) R̄_m` (anti-causal convolution) plus
//! the VJP from step `n+1`'s lagged evaluation; then `q̄^K = ȳ_n`, and for each iterate
//! `R̄_n −= q̄/d₀`, `ȳ0 += s·q̄`, `q̄ ← (σ/d₀) J(q)ᵀ q̄` — the last (`q⁰`) hands its VJP to
//! `ȳ_{n−1}`; finally `ȳ0 −= s·(Σ_{j<n} d(n,j)) R̄_n`. The α-derivative adds
//! `Σ_j ⟨u_j, Σ_{m>j} ∂d(m,j) R̄_m⟩ + Σ ⟨q̄, ∂σ/d₀·f(q) − ∂d₀/d₀·(q⁺ − s·y0)⟩`.
//!
//! With [`History::Fast`] (the L1 kernel only; `fde::pullback` rejects the other schemes) both
//! sums run through `L1History` / `L1Adjoint` (exact window, sum-of-exponentials modes and
//! the exact first column; see [`super::fast`]), and the adjoint returns no `∂L/∂α`.

use crate::stats::breakdown::{self, Part};
use burn::tensor::Tensor;

use super::fast::{L1Adjoint, L1History, L1Plan};
use super::grid::UniformGrid;
use super::history::{History, RowStore};
use super::kernel::Kernel;
use super::volterra::{FdeTrajectory, Recorder, add_opt, check, flat};
use crate::cotangent::OnGrid;
use crate::error::Result;
use crate::field::{Evaluator, ParamGrads, VectorField};
use crate::stats::Stats;
use crate::tensor::{bytes, dot};

/// The scalars of a derivative-form discretisation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Coefs {
    pub sigma: f64,
    pub d0: f64,
    pub shift: f64,
    pub iters: usize,
    /// The fractional order (for the fast history's modes).
    pub alpha: f64,
}

/// The causal sums `R_n = Σ_{j<n} d(n,j) u_j`: stored rows, or the fast L1 history.
enum Sums<'k> {
    Dense { rows: RowStore, d: &'k Kernel<f64>, history: History },
    Fast(Box<L1History>),
}

impl<'k> Sums<'k> {
    fn new(history: History, d: &'k Kernel<f64>, alpha: f64, n_steps: usize) -> Self {
        match history {
            History::Fast { tol } => Sums::Fast(Box::new(L1History::new(L1Plan::new(alpha, n_steps, tol, d)))),
            _ => Sums::Dense { rows: RowStore::new(), d, history },
        }
    }

    fn push(&mut self, row: Tensor<1>) {
        breakdown::time(Part::History, || match self {
            Sums::Dense { rows, .. } => rows.push(row),
            Sums::Fast(f) => f.push(row),
        })
    }

    /// `R_n` for `n` = rows pushed.
    fn sum(&self) -> Option<Tensor<1>> {
        breakdown::time(Part::History, || self.sum_untimed())
    }

    fn sum_untimed(&self) -> Option<Tensor<1>> {
        match self {
            Sums::Dense { rows, d, history } => {
                let (n, lo) = (rows.len(), history.first(rows.len()));
                rows.weighted_sum(lo, &d.row(n, lo))
            }
            Sums::Fast(f) => f.sum(),
        }
    }

    fn bytes(&self) -> usize {
        match self {
            Sums::Dense { rows, .. } => rows.bytes(),
            Sums::Fast(f) => f.bytes(),
        }
    }
}

/// Forward march; `f` evaluates on plain or autodiff tensors.
pub(crate) fn forward<const D: usize>(
    f: &mut dyn FnMut(f64, Tensor<D>) -> Tensor<D>,
    y0: Tensor<D>,
    grid: &UniformGrid,
    d: &Kernel<f64>,
    c: Coefs,
    history: History,
    store: bool,
) -> Result<FdeTrajectory<D>> {
    let dims = y0.dims();
    let mut us = Sums::new(history, d, c.alpha, grid.n_steps);
    let base0 = y0.clone().mul_scalar(c.shift);
    let mut rec = Recorder::new(grid, store);
    rec.record(0, &y0, vec![]);
    us.push(flat(y0.clone() - base0.clone()));
    let mut y_prev = y0.clone();
    let ratio = c.sigma / c.d0;
    for n in 1..=grid.n_steps {
        let r = us.sum();
        let base = match r {
            Some(r) => base0.clone() - r.reshape(dims).mul_scalar(1.0 / c.d0),
            None => base0.clone(),
        };
        let mut y = base.clone() + f(grid.t(n - 1), y_prev).mul_scalar(ratio);
        let mut its = Vec::new();
        for _ in 0..c.iters {
            if store {
                its.push(y.clone());
            }
            y = base.clone() + f(grid.t(n), y).mul_scalar(ratio);
        }
        check(&y, grid.t(n), n)?;
        us.push(flat(y.clone() - base0.clone()));
        rec.record(n, &y, its);
        y_prev = y;
    }
    Ok(rec.finish(us.bytes()))
}

/// What the discrete adjoint of a derivative-form scheme reads: the kernel `d` as a
/// `(value, ∂/∂α)` pair, the scalars `c`, the α-derivatives `dc` of `(σ, d₀)`, the history.
#[derive(Clone, Copy)]
pub(crate) struct AdjointCoefs<'a> {
    pub d: (&'a Kernel<f64>, &'a Kernel<f64>),
    pub c: Coefs,
    pub dc: (f64, f64),
    pub history: History,
}

/// The exact discrete adjoint. Returns `(∂L/∂y0, ∂L/∂α)` (`None` for fast history) and adds
/// `∂L/∂θ` to `grads`.
pub(crate) fn adjoint<const D: usize, F: VectorField<D>>(
    ev: &mut Evaluator<'_, D, F>,
    tr: &FdeTrajectory<D>,
    grid: &UniformGrid,
    w: AdjointCoefs<'_>,
    g: &[Tensor<D>],
    grads: &mut ParamGrads<F>,
    stats: &mut Stats,
) -> (Tensor<D>, Option<f64>) {
    let AdjointCoefs { d, c, dc, history } = w;
    let nn = grid.n_steps;
    let y0 = &tr.states[0];
    let dims = y0.dims();
    let zero = y0.zeros_like();
    let base0 = y0.clone().mul_scalar(c.shift);
    let ratio = c.sigma / c.d0;
    let (dsigma, dd0) = dc;
    let mut rev_r = RowStore::new();
    let mut fast = match history {
        History::Fast { tol } => Some(L1Adjoint::new(L1Plan::new(c.alpha, nn, tol, d.0), nn)),
        _ => None,
    };
    let mut y0_bar = zero.clone();
    let mut dalpha = 0.0;
    let mut pending: Option<Tensor<D>> = None; // VJP of step n+1's lagged f at y_n
    let loss_bar = OnGrid::new(&grid.out_idx, g);
    let hi_of = |j: usize| match history {
        History::Short(l) => (j + l).min(nn),
        _ => nn,
    };
    for n in (0..=nn).rev() {
        let hi = hi_of(n);
        let start = nn - hi;
        let mut y_bar = match &fast {
            Some(f) => add_opt(zero.clone(), f.sum(n), dims),
            None => {
                if let Some(s) = rev_r.weighted_sum(start, &d.1.col_rev(n, hi)) {
                    let u = tr.states[n].clone() - base0.clone();
                    dalpha += dot(u, s.reshape(dims));
                }
                add_opt(zero.clone(), rev_r.weighted_sum(start, &d.0.col_rev(n, hi)), dims)
            }
        };
        if let Some(lb) = loss_bar.get(n) {
            y_bar = y_bar + lb.clone();
        }
        if let Some(p) = pending.take() {
            y_bar = y_bar + p;
        }
        if n == 0 {
            y0_bar = y0_bar + y_bar;
            break;
        }
        let mut q_bar = y_bar;
        let mut r_bar = zero.clone();
        // Iterates newest first; `q_next` is the value each one produced.
        let its = &tr.iterates[n - 1];
        let mut q_next = tr.states[n].clone();
        let alpha_term = |q_bar: &Tensor<D>, phi: Tensor<D>, q_next: &Tensor<D>| {
            dsigma / c.d0 * dot(phi, q_bar.clone()) - dd0 / c.d0 * dot(q_next.clone() - base0.clone(), q_bar.clone())
        };
        for q in its.iter().rev() {
            y0_bar = y0_bar + q_bar.clone().mul_scalar(c.shift);
            r_bar = r_bar - q_bar.clone().mul_scalar(1.0 / c.d0);
            let (phi, jt) = ev.eval_and_vjp(grid.t(n), q.clone(), q_bar.clone().mul_scalar(ratio), grads);
            dalpha += alpha_term(&q_bar, phi, &q_next);
            q_next = q.clone();
            q_bar = jt;
        }
        // q⁰ from the lagged evaluation at y_{n−1}.
        y0_bar = y0_bar + q_bar.clone().mul_scalar(c.shift);
        r_bar = r_bar - q_bar.clone().mul_scalar(1.0 / c.d0);
        let (phi, jt) =
            ev.eval_and_vjp(grid.t(n - 1), tr.states[n - 1].clone(), q_bar.clone().mul_scalar(ratio), grads);
        dalpha += alpha_term(&q_bar, phi, &q_next);
        pending = Some(jt);
        if c.shift != 0.0 {
            let rowsum: f64 = match &fast {
                Some(f) => f.row_sum(n),
                None => d.0.row(n, history.first(n)).iter().sum(),
            };
            y0_bar = y0_bar - r_bar.clone().mul_scalar(c.shift * rowsum);
        }
        match &mut fast {
            Some(f) => f.push(flat(r_bar)),
            None => rev_r.push(flat(r_bar)),
        }
    }
    stats.field_evals += ev.n_evals;
    stats.vjps += ev.n_vjps;
    let per = bytes(&zero);
    let stored = tr.states.len() + tr.iterates.iter().map(Vec::len).sum::<usize>();
    let rev_bytes = fast.as_ref().map_or(rev_r.bytes(), L1Adjoint::bytes);
    stats.peak_stored_bytes = stats.peak_stored_bytes.max(stored * per + rev_bytes);
    (y0_bar, fast.is_none().then_some(dalpha))
}
