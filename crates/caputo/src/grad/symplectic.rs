//! `SymplecticAdjoint`: the exact adjoint of the discrete Runge–Kutta map (Matsubara,
//! Miyatake & Yaguchi, NeurIPS 2021).
//!
//! Forward stores only the step states (and, on adaptive grids, the accepted steps). Backward,
//! step by step, recomputes that step's stage values without a graph and integrates the adjoint
//! with the symplectic partner of the forward method: one VJP per stage
//! ([`crate::ode::erk::rk_step_vjp`]). Zero weights `bᵢ` need no special case in this
//! stage-cotangent form (the paper's reformulation for `bᵢ = 0` is the same map).
//!
//! # Cost
//! Time: one forward, one stage recomputation per step and `s` VJPs per step. Memory:
//! `(N + 1)·d` stored states plus one step's `s` stage values and one network use.

use burn::optim::GradientsParams;
use burn::tensor::Tensor;

use crate::field::{Evaluator, ParamGrads, VectorField};
use crate::ode::erk::rk_step_vjp;
use crate::ode::solve::Trajectory;
use crate::ode::tableau::ButcherTableau;
use crate::stats::Stats;
use crate::tensor::bytes;

/// Adds the cotangents of outputs sitting at grid index `n` to `y_bar`.
pub(crate) fn add_outputs_at<const D: usize>(
    y_bar: Tensor<D>,
    n: usize,
    out_idx: &[usize],
    g: &[Tensor<D>],
) -> Tensor<D> {
    out_idx.iter().zip(g).filter(|(i, _)| **i == n).fold(y_bar, |acc, (_, gk)| acc + gk.clone())
}

pub(crate) fn backward<const D: usize, F: VectorField<D>>(
    field: &F,
    tab: &ButcherTableau,
    tr: &Trajectory<D>,
    g: &[Tensor<D>],
    stats: &mut Stats,
) -> (Tensor<D>, GradientsParams) {
    let mut ev = Evaluator::new(field);
    let mut grads = ParamGrads::new();
    let m = tr.states.len() - 1;
    let mut y_bar = add_outputs_at(tr.states[m].zeros_like(), m, &tr.out_idx, g);
    for n in (0..m).rev() {
        let (t, h) = (tr.grid[n], tr.grid[n + 1] - tr.grid[n]);
        y_bar = rk_step_vjp(tab, &mut ev, t, &tr.states[n], h, &y_bar, &mut grads);
        y_bar = add_outputs_at(y_bar, n, &tr.out_idx, g);
    }
    let state = bytes(&tr.states[0]);
    stats.field_evals += ev.n_evals;
    stats.vjps += ev.n_vjps;
    stats.recomputed_steps += m;
    stats.peak_stored_bytes = stats.peak_stored_bytes.max((m + 1 + tab.stages() + 1) * state);
    (y_bar, grads.finish())
}
