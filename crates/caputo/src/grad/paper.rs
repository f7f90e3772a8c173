//! `PaperAdjoint`: the fractional adjoint of torchfde's `*-f` methods (the reference code of
//! Kang et al., AAAI 2025), kept to reproduce the paper. **Not recommended: biased for α < 1.**
//!
//! In reversed time `s_k = k h`, with `y^{rev}_k = y_{N−k}` read from the stored forward states,
//! it solves the Caputo-type adjoint with the forward scheme's own rule and integrates the
//! parameter gradient with an order-1 rectangle rule:
//!
//! $$ D^\alpha_s a = J(T-s, y^{rev}(s))^\top a, \quad a(0) = \frac{\partial L}{\partial y(T)}, \qquad
//!    \bar\theta = h \sum_{k=0}^{N-1} \partial_\theta f(T - s_k, y^{rev}_k)^\top a_k, \qquad
//!    \frac{\partial L}{\partial y_0} := a_N $$
//!
//! (plain text: `D^α_s a = Jᵀ a`, `θ̄ = h Σ_{k<N} a_kᵀ ∂f/∂θ(T − s_k, y^{rev}_k)`, `∂L/∂y0 := a_N`;
//! as torchfde's `fdeadjoint.py` implements the paper's adjoint). The adjoint rule per scheme:
//!
//! * **predictor** — exactly torchfde's `BackwardMixedOrderPredictor_f`:
//!   `a_{k+1} = a_0 + Σ_{j≤k} w_{k−j} J_jᵀ a_j`, `w_m = h^α/Γ(α+1)·((m+1)^α − m^α)`,
//!   `J_j = ∂f/∂y(T − s_j, y^{rev}_j)`;
//! * **L1, Grünwald–Letnikov, product trapezoid** (lagged forms, Caputo or RL) — the forward's
//!   derivative-form recurrence with the lagged right-hand side `J_{k−1}ᵀ a_{k−1}`:
//!   `Σ_{j≤k} d(k,j) (a_j − s·a_0) = σ J_{k−1}ᵀ a_{k−1}` (`s = 1` Caputo, `0` RL), as
//!   torchfde's `BackwardMixedOrderGLmethod_f` / `BackwardMixedOrderTrap_f`. One deliberate
//!   difference: torchfde pairs `a_{k−1}` with the Jacobian at `y^{rev}_k` (mirroring its forward,
//!   which evaluates `f(t_k, y_{k−1})`); here both the Jacobian and the θ-term use
//!   `y^{rev}_{k−1}`, mirroring this library's lagged forward `f(t_{n−1}, y_{n−1})`. The θ sum
//!   runs over the same `k = 0..N−1` as for the predictor;
//! * **ABM, new-point (implicit) forms, multi-term**: [`crate::Error::Unsupported`] — torchfde has
//!   no adjoint for its `corrector` or `glmulti`, and its adjoints are explicit.
//!
//! The history of the reversed solve is the forward's (`History::Short(L)` truncates it the same
//! way, `History::Fast` compresses it for the predictor); torchfde's backward always uses the full
//! history.
//!
//! # Why it is biased
//! The exact adjoint of the Caputo model is of Riemann–Liouville type, singular like
//! `(T−t)^{α−1}` at `T` ([`super::fde_continuous`], `docs/derivations.md` §3); the Caputo-type `a` with
//! `a(0) = g` agrees with it only for `∂L/∂y0` with a constant Jacobian, and the θ-rectangle
//! weights `h` are those of α = 1. The gap does not shrink as `h → 0`. Measured (test
//! `paper_adjoint_reproduces_the_torchfde_table`, α = 0.6, T = 1, N = 200, z0 = 0.7, θ = 1.3,
//! L = z(1), predictor forward; "exact" is the exact discrete gradient, which the
//! [`super::Method::DiscreteAdjoint`] returns):
//!
//! | f | `dL/dz0` paper | `dL/dz0` exact | `dL/dθ` paper | `dL/dθ` exact |
//! |---|---|---|---|---|
//! | `θ` | 1.00000000 | 1.00000000 | 1.00000000 | 1.11917495 |
//! | `θ t` | 1.00000000 | 1.00000000 | 0.50250000 | 0.69664714 |
//! | `−θ z` | 0.33996508 | 0.33996508 | −0.16338378 | −0.14420710 |
//! | `sin(θ z)` | 1.00536206 | 0.67530152 | −0.25826127 | −0.43041244 |
//!
//! and for `D^0.5 z = θ`, `L = z(1)`: `dL/dθ = 1.000` against the true `1/Γ(1.5) = 1.128`
//! (test `paper_adjoint_is_biased_for_a_constant_field`).
//!
//! # Several observation times
//! torchfde only supports a loss on the final state. Here the cotangent `g_k` of an earlier
//! output time `t_k` is added when the reversed time passes `T − t_k` (re-anchoring): for the
//! Caputo forms it joins the constant term, `a_0 → A_k = Σ_{t_i ≥ T − s_k} g_i`, for the RL forms
//! it is added to the state `a_k` (and so enters the history). For the predictor and the lagged
//! L1, GL and Caputo trapezoid rules this is exactly the sum of the single-time adjoints (each
//! solved from its own `t_k`), because their weights are Toeplitz in the columns that
//! multiply a nonzero history (test `paper_adjoint_re_anchoring_is_a_sum_of_single_time_adjoints`);
//! for `trapezoid-rl` the corrected first column makes it differ from that sum.
//!
//! # Cost
//! Forward: the plain solve, storing `y_0..y_N` (`N·d`). Backward: `N` VJPs, the forward's
//! history sums on the adjoint (`O(N²·d)` dense), `N·d` adjoint history; no graph.
//!
//! # Example
//! ```
//! use caputo::fde::{History, Scheme, FdeSolve};
//! use caputo::grad::{fde_forward};
//! use caputo::grad::Method;
//! use caputo::problems::Relaxation;
//! use caputo::tensor::{from_vec, scalar};
//! use caputo::testkit::{f64_device, flat_grads};
//! // D^0.6 y = −λy, L = y(1): with a constant Jacobian the paper adjoint's ∂L/∂y0 is exact,
//! // its ∂L/∂λ is not.
//! let dev = f64_device();
//! let field = Relaxation::new(0.8, &dev);
//! let grads = |m: &Method| {
//!     let y0 = from_vec(vec![1.5], [1], &dev.clone().inner());
//!     let (sol, pb) = fde_forward(&field, y0, &FdeSolve::new(0.6, &[0.0, 1.0], 100).with_scheme(Scheme::Predictor).with_history(History::Dense), m).unwrap();
//!     let r = pb.backward(&[sol.y[0].zeros_like(), sol.y[1].ones_like()]).unwrap();
//!     (scalar(r.y0), flat_grads(&field, &r.params)[0])
//! };
//! let (paper, exact) = (grads(&Method::PaperAdjoint), grads(&Method::DiscreteAdjoint));
//! assert!((paper.0 - exact.0).abs() < 1e-12);
//! assert!((paper.1 - exact.1).abs() > 1e-2);
//! ```
//!
//! # References
//! Q. Kang, X. Li, K. Zhao, W. Cui, Y. Zhao, W. Deng, W. P. Tay, *Efficient training of
//! neural fractional-order differential equation via adjoint backpropagation*, AAAI 2025,
//! 39(17):17750–17759; torchfde, `torchfde/fdeadjoint.py`.

use burn::optim::GradientsParams;
use burn::tensor::Tensor;

use crate::cotangent::OnGrid;

use crate::fde::grid::UniformGrid;
use crate::fde::history::{History, HistorySum, RowStore};
use crate::fde::scheme::Discretisation;
use crate::fde::volterra::{FdeTrajectory, add_opt, unflat};
use crate::field::{Evaluator, ParamGrads, VectorField};
use crate::stats::Stats;
use crate::tensor::bytes;

fn flat<const D: usize>(t: Tensor<D>) -> Tensor<1> {
    let n = t.shape().num_elements();
    t.reshape([n])
}

/// `J(T − s_k, y^{rev}_k)ᵀ a`, adding `h·aᵀ ∂f/∂θ` there to `grads`.
fn jt_a<const D: usize, F: VectorField<D>>(
    ev: &mut Evaluator<'_, D, F>,
    grads: &mut ParamGrads<F>,
    grid: &UniformGrid,
    tr: &FdeTrajectory<D>,
    k: usize,
    a: &Tensor<D>,
) -> Tensor<D> {
    let n = grid.n_steps - k;
    // Scaling the cotangent by h puts the rectangle weight into θ's VJP; the state part is
    // scaled back (by a reciprocal: exact enough, and the same on every backend).
    ev.vjp(grid.t(n), tr.states[n].clone(), a.clone().mul_scalar(grid.h), grads).mul_scalar(1.0 / grid.h)
}

/// The reversed solve. Returns `(∂L/∂y0, ∂L/∂θ)`.
pub(crate) fn backward<const D: usize, F: VectorField<D>>(
    field: &F,
    disc: &Discretisation<f64>,
    tr: &FdeTrajectory<D>,
    grid: &UniformGrid,
    history: History,
    g: &[Tensor<D>],
    stats: &mut Stats,
) -> (Tensor<D>, GradientsParams) {
    let nn = grid.n_steps;
    let dims = tr.states[0].dims();
    let zero = tr.states[0].zeros_like();
    // Loss cotangents by forward index; the reversed index k reads `obs.get(N − k)`.
    let obs = OnGrid::new(&grid.out_idx, g);
    let mut ev = Evaluator::new(field);
    let mut grads = ParamGrads::new();
    let hist_bytes;
    let a_end = match disc {
        Discretisation::Volterra { b, a: None, alpha, .. } => {
            let mut hist = HistorySum::new(history, *alpha, grid.h, nn, b, None);
            let mut anchor = obs.get(nn).cloned().unwrap_or_else(|| zero.clone());
            let mut a = anchor.clone();
            for k in 0..nn {
                hist.push(flat(jt_a(&mut ev, &mut grads, grid, tr, k, &a)));
                if let Some(j) = obs.get(nn - k - 1) {
                    anchor = anchor + j.clone();
                }
                a = add_opt(anchor.clone(), hist.sum_b(), dims);
            }
            hist_bytes = hist.bytes();
            a
        }
        Discretisation::Derivative { d, sigma, caputo, new_point: None } => {
            let (d0, caputo) = (d.toe[0], *caputo);
            let ratio = sigma / d0;
            // Rows u_k = a_k − A_k (Caputo, A_k the anchored constant) or a_k (RL).
            let mut rows = RowStore::new();
            let mut anchor = obs.get(nn).cloned().unwrap_or_else(|| zero.clone());
            let mut a = anchor.clone();
            rows.push(flat(if caputo { zero.clone() } else { a.clone() }));
            for k in 1..=nn {
                let jump_k = obs.get(nn - k);
                let ja = jt_a(&mut ev, &mut grads, grid, tr, k - 1, &a);
                let lo = history.first(k);
                let mut u = ja.mul_scalar(ratio);
                if let Some(r) = rows.weighted_sum(lo, &d.row(k, lo)) {
                    u = u - unflat(r, dims).mul_scalar(1.0 / d0);
                }
                if let Some(j) = jump_k {
                    if caputo {
                        anchor = anchor + j.clone();
                    } else {
                        u = u + j.clone();
                    }
                }
                a = if caputo { anchor.clone() + u.clone() } else { u.clone() };
                rows.push(flat(u));
            }
            hist_bytes = rows.bytes();
            a
        }
        _ => unreachable!("Method::supports rejects this scheme before the solve; this is a bug"),
    };
    stats.field_evals += ev.n_evals;
    stats.vjps += ev.n_vjps;
    let per = bytes(&zero);
    stats.peak_stored_bytes = stats.peak_stored_bytes.max(tr.states.len() * per + hist_bytes);
    (a_end, grads.finish())
}
