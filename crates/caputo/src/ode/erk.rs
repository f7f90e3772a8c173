//! One explicit Runge–Kutta step, and its exact vector–Jacobian product.
//!
//! Forward, for a tableau `(a, b, c)`:
//! `Yᵢ = y + h Σ_{j<i} aᵢⱼ kⱼ`, `kᵢ = f(t + cᵢ h, Yᵢ)`, `y⁺ = y + h Σᵢ bᵢ kᵢ`.
//!
//! Reverse (the transpose of the step, which is the symplectic partner of the forward method
//! of Matsubara et al.; written in stage cotangents it needs no division by `bᵢ`, so zero
//! weights are handled exactly): given `ȳ⁺`, for `i = s, …, 1`
//! `k̄ᵢ = h (bᵢ ȳ⁺ + Σ_{l>i} a_{li} Ȳ_l)`, `Ȳᵢ = ∂f/∂y(Yᵢ)ᵀ k̄ᵢ`, `θ̄ += ∂f/∂θ(Yᵢ)ᵀ k̄ᵢ`,
//! and `ȳ = ȳ⁺ + Σᵢ Ȳᵢ`. One VJP per stage (stages with `k̄ᵢ = 0` are skipped).

use burn::tensor::Tensor;

use super::tableau::ButcherTableau;
use crate::field::{Evaluator, ParamGrads, VectorField};

/// The result of one step.
pub struct RkStep<const D: usize> {
    /// The new state `y⁺`.
    pub y_new: Tensor<D>,
    /// Stage derivatives `kᵢ`.
    pub k: Vec<Tensor<D>>,
    /// Local error estimate `h Σ (bᵢ − b̂ᵢ) kᵢ` when the tableau has embedded weights.
    pub err: Option<Tensor<D>>,
}

fn combo<const D: usize>(y: &Tensor<D>, h: f64, w: &[f64], k: &[Tensor<D>]) -> Tensor<D> {
    let mut acc = y.clone();
    for (wj, kj) in w.iter().zip(k) {
        if *wj != 0.0 {
            acc = acc + kj.clone().mul_scalar(h * wj);
        }
    }
    acc
}

/// Takes one step with any evaluator of `f` (graph-free, or on autodiff tensors for `Direct`).
/// `k1` may pass in `f(t, y)` when it is already known (first-same-as-last).
pub fn rk_step<const D: usize>(
    tab: &ButcherTableau,
    f: &mut dyn FnMut(f64, Tensor<D>) -> Tensor<D>,
    t: f64,
    y: &Tensor<D>,
    h: f64,
    k1: Option<Tensor<D>>,
) -> RkStep<D> {
    let s = tab.stages();
    let mut k: Vec<Tensor<D>> = Vec::with_capacity(s);
    for i in 0..s {
        if i == 0
            && let Some(k1) = k1.clone()
        {
            k.push(k1);
            continue;
        }
        let yi = combo(y, h, &tab.a()[i], &k);
        k.push(f(t + tab.c()[i] * h, yi));
    }
    let y_new = combo(y, h, tab.b(), &k);
    let err = tab.b_embedded().map(|bh| {
        let diff: Vec<f64> = tab.b().iter().zip(bh).map(|(b, e)| b - e).collect();
        combo(&y.zeros_like(), h, &diff, &k)
    });
    RkStep { y_new, k, err }
}

/// The stage values `Yᵢ` of one step, recomputed without a graph.
pub fn stage_values<const D: usize, F: VectorField<D>>(
    tab: &ButcherTableau,
    ev: &mut Evaluator<'_, D, F>,
    t: f64,
    y: &Tensor<D>,
    h: f64,
) -> Vec<Tensor<D>> {
    let s = tab.stages();
    let mut k: Vec<Tensor<D>> = Vec::with_capacity(s);
    let mut ys = Vec::with_capacity(s);
    for i in 0..s {
        let yi = combo(y, h, &tab.a()[i], &k);
        // The last stage's derivative is never needed: no later stage uses it.
        if i + 1 < s {
            k.push(ev.eval(t + tab.c()[i] * h, yi.clone()));
        }
        ys.push(yi);
    }
    ys
}

/// Exact VJP of one step: given `ȳ⁺`, returns `ȳ` and adds the parameter cotangent to
/// `grads`. Recomputes the stages (no graph), then one VJP per stage.
pub fn rk_step_vjp<const D: usize, F: VectorField<D>>(
    tab: &ButcherTableau,
    ev: &mut Evaluator<'_, D, F>,
    t: f64,
    y: &Tensor<D>,
    h: f64,
    y_bar_new: &Tensor<D>,
    grads: &mut ParamGrads<F>,
) -> Tensor<D> {
    let s = tab.stages();
    let stages = stage_values(tab, ev, t, y, h);
    let mut stage_bar: Vec<Option<Tensor<D>>> = vec![None; s];
    let mut y_bar = y_bar_new.clone();
    for i in (0..s).rev() {
        let mut kbar: Option<Tensor<D>> = (tab.b()[i] != 0.0).then(|| y_bar_new.clone().mul_scalar(h * tab.b()[i]));
        for (l, yl) in stage_bar.iter().enumerate().skip(i + 1) {
            let ali = tab.a()[l][i];
            if ali != 0.0
                && let Some(yl) = yl
            {
                let term = yl.clone().mul_scalar(h * ali);
                kbar = Some(match kbar {
                    Some(acc) => acc + term,
                    None => term,
                });
            }
        }
        if let Some(kb) = kbar {
            let yb = ev.vjp(t + tab.c()[i] * h, stages[i].clone(), kb, grads);
            y_bar = y_bar + yb.clone();
            stage_bar[i] = Some(yb);
        }
    }
    y_bar
}
