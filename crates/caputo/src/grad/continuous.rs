//! `ContinuousAdjoint`: the adjoint equation solved backward in time (Chen et al. 2018, as in
//! torchdiffeq's `odeint_adjoint`).
//!
//! Augmented state `(y, λ)` and parameter integral, from `t_K` down to `t_0`:
//! `y' = f(t, y)`, `λ' = −(∂f/∂y)ᵀ λ`, `θ̄ = ∫ λᵀ ∂f/∂θ dt`, started at `y(t_K)`, `λ = ∂L/∂y(t_K)`,
//! and re-anchored at each output time `t_k`: `y ← y(t_k)` (the stored forward value),
//! `λ ← λ + ∂L/∂y(t_k)`. Solved with the forward tableau, adaptively with `(rtol, atol)` when
//! it has an error estimate (else on the forward grid, reversed).
//!
//! **Approximate**: it differentiates the continuous problem, not the discrete solve, so it
//! differs from the exact methods by the backward solve's error (test:
//! `continuous_adjoint_approaches_direct_as_tolerance_tightens`), and re-solving `y`
//! backward can be unstable for dissipative fields.
//!
//! # Cost
//! Memory: the outputs and one backward step's stages — independent of the number of steps.
//! Time: per backward stage one field evaluation and one VJP, on a grid chosen by the
//! backward controller.

use burn::optim::GradientsParams;
use burn::tensor::Tensor;

use crate::error::{Error, Result};
use crate::field::{Evaluator, ParamGrads, VectorField};
use crate::ode::control::pi_factor;
use crate::ode::solve::Trajectory;
use crate::ode::tableau::ButcherTableau;
use crate::stats::Stats;
use crate::tensor::{bytes, scalar};

struct AugStep<const D: usize, F: VectorField<D>> {
    y: Tensor<D>,
    lam: Tensor<D>,
    err: Option<f64>,
    grads: ParamGrads<F>,
}

fn axpy_stages<const D: usize>(base: &Tensor<D>, h: f64, w: &[f64], k: &[Tensor<D>]) -> Tensor<D> {
    w.iter()
        .zip(k)
        .filter(|(wj, _)| **wj != 0.0)
        .fold(base.clone(), |acc, (wj, kj)| acc + kj.clone().mul_scalar(h * wj))
}

/// The error tolerances of the adaptive backward solve.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tolerance {
    pub rtol: f64,
    pub atol: f64,
}

/// One RK step of the augmented system `(y, λ)` in reversed time `s = −t`, from `t` to `t − h`.
fn aug_step<const D: usize, F: VectorField<D>>(
    tab: &ButcherTableau,
    ev: &mut Evaluator<'_, D, F>,
    t: f64,
    (y, lam): (&Tensor<D>, &Tensor<D>),
    h: f64,
    Tolerance { rtol, atol }: Tolerance,
) -> AugStep<D, F> {
    let s = tab.stages();
    let mut ky: Vec<Tensor<D>> = Vec::with_capacity(s);
    let mut kl: Vec<Tensor<D>> = Vec::with_capacity(s);
    let mut grads = ParamGrads::new();
    let mut scratch = ParamGrads::new();
    for i in 0..s {
        let yi = axpy_stages(y, h, &tab.a()[i], &ky);
        let li = axpy_stages(lam, h, &tab.a()[i], &kl);
        let ti = t - tab.c()[i] * h;
        // The parameter integral is the quadrature h Σ bᵢ λᵢᵀ∂f/∂θ; scaling the cotangent by
        // h·bᵢ puts the weight into the VJP, and dividing the y-part back out keeps λ's stage.
        let wi = h * tab.b()[i];
        let (fi, jl) = if wi != 0.0 {
            let (fi, jl) = ev.eval_and_vjp(ti, yi, li.mul_scalar(wi), &mut grads);
            (fi, jl.mul_scalar(1.0 / wi))
        } else {
            ev.eval_and_vjp(ti, yi, li, &mut scratch)
        };
        ky.push(-fi);
        kl.push(jl);
    }
    let y_new = axpy_stages(y, h, tab.b(), &ky);
    let lam_new = axpy_stages(lam, h, tab.b(), &kl);
    let err = tab.b_embedded().map(|bh| {
        let diff: Vec<f64> = tab.b().iter().zip(bh).map(|(b, e)| b - e).collect();
        let ey = axpy_stages(&y.zeros_like(), h, &diff, &ky);
        let el = axpy_stages(&lam.zeros_like(), h, &diff, &kl);
        let sy = y.clone().abs().max_pair(y_new.clone().abs()).mul_scalar(rtol).add_scalar(atol);
        let sl = lam.clone().abs().max_pair(lam_new.clone().abs()).mul_scalar(rtol).add_scalar(atol);
        let (ry, rl) = (ey / sy, el / sl);
        let n = 2.0 * ry.shape().num_elements() as f64;
        ((scalar((ry.clone() * ry).sum()) + scalar((rl.clone() * rl).sum())) / n).sqrt()
    });
    AugStep { y: y_new, lam: lam_new, err, grads }
}

/// The backward sweep over the output intervals, newest first. Returns `(∂L/∂y0, ∂L/∂θ)`.
pub(crate) fn ode_backward<const D: usize, F: VectorField<D>>(
    field: &F,
    tab: &ButcherTableau,
    tr: &Trajectory<D>,
    t: &[f64],
    g: &[Tensor<D>],
    tol: Tolerance,
    stats: &mut Stats,
) -> Result<(Tensor<D>, GradientsParams)> {
    let mut ev = Evaluator::new(field);
    let mut grads = ParamGrads::new();
    let k_last = tr.outputs.len() - 1;
    let mut lam = g[k_last].clone();
    let q = tab.embedded_order().unwrap_or(1).min(tab.order()) as f64 + 1.0;
    let mut h_prev: Option<f64> = None;
    for k in (0..k_last).rev() {
        // Re-anchor: the backward solve of y restarts from the stored forward value.
        let mut y = tr.outputs[k + 1].clone();
        let (t_hi, t_lo) = (t[k + 1], t[k]);
        if tab.b_embedded().is_some() {
            let mut tc = t_hi;
            let mut h = h_prev.unwrap_or((t_hi - t_lo) / 10.0).min(t_hi - t_lo);
            let mut err_prev = 1.0;
            let mut n_try = 0usize;
            while tc > t_lo {
                n_try += 1;
                if n_try > 1_000_000 {
                    return Err(Error::InvalidStep {
                        reason: format!("continuous adjoint: too many steps at t = {tc}"),
                    });
                }
                let clipped = tc - h <= t_lo + 1e-12 * t_lo.abs().max(1.0);
                let h_try = if clipped { tc - t_lo } else { h };
                let st = aug_step(tab, &mut ev, tc, (&y, &lam), h_try, tol);
                let err = st.err.expect("embedded");
                if !err.is_finite() {
                    h = h_try * 0.2;
                    stats.rejected_steps += 1;
                    continue;
                }
                let fac = pi_factor(err, err_prev, q);
                if err <= 1.0 {
                    tc = if clipped { t_lo } else { tc - h_try };
                    y = st.y;
                    lam = st.lam;
                    grads.add(field, st.grads.finish());
                    err_prev = err;
                    stats.steps += 1;
                    h = if clipped { h.max(h_try * fac) } else { h_try * fac };
                    h_prev = Some(h);
                } else {
                    stats.rejected_steps += 1;
                    h = h_try * fac.min(1.0);
                }
            }
        } else {
            let (i_lo, i_hi) = (tr.out_idx[k], tr.out_idx[k + 1]);
            for n in (i_lo..i_hi).rev() {
                let h = tr.grid[n + 1] - tr.grid[n];
                let st = aug_step(tab, &mut ev, tr.grid[n + 1], (&y, &lam), h, tol);
                y = st.y;
                lam = st.lam;
                grads.add(field, st.grads.finish());
                stats.steps += 1;
            }
        }
        lam = lam + g[k].clone();
    }
    stats.field_evals += ev.n_evals;
    stats.vjps += ev.n_vjps;
    let state = bytes(&lam);
    stats.peak_stored_bytes = stats.peak_stored_bytes.max((tr.outputs.len() + 4 * tab.stages()) * state);
    Ok((lam, grads.finish()))
}
