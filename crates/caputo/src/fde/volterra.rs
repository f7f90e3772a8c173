//! The engine of the Volterra-form schemes (predictor, ABM): forward march and its exact
//! transpose (the discrete adjoint).
//!
//! Forward, for `n = 1..N`: `p_n = y0 + Σ_{j<n} B(n,j) f_j`; `q⁰ = p_n`,
//! `q^{k+1} = y0 + A(n,n) f(t_n, q^k) + S_n` with `S_n = Σ_{j<n} A(n,j) f_j`; `y_n = q^K`;
//! `f_n = f(t_n, y_n)`.
//!
//! Reverse (notes §4a), for `n = N..1`: `f̄_n = Σ_{m>n} B(m,n) p̄_m + A(m,n) S̄_m` (two anti-causal
//! convolutions with the same weights), `ȳ_n = ∂L/∂y_n + J(y_n)ᵀ f̄_n`; through the corrector
//! iterations `q̄^K = ȳ_n`, `S̄_n = Σ_k q̄^{k+1}`, `q̄^k = A(n,n) J(q^k)ᵀ q̄^{k+1}`; `p̄_n = q̄⁰`;
//! `∂L/∂y0 = Σ_n (p̄_n + S̄_n) + ∂L/∂y_0 + J(y_0)ᵀ f̄_0`. One VJP per forward evaluation.
//! `∂L/∂α = Σ_j ⟨f_j, Σ_{m>j} ∂B(m,j) p̄_m + ∂A(m,j) S̄_m⟩ + Σ_{n,k} ∂A(n,n) ⟨q̄^{k+1}, f(t_n, q^k)⟩`:
//! the same anti-causal convolutions with the α-derivatives of the weights.
//!
//! Both directions go through one history abstraction (`history::HistorySum` forward,
//! `history::HistoryTranspose` in reverse): every stored row (dense, short memory), or an exact window
//! plus sum-of-exponentials modes (fast history, [`super::fast`]; no `∂L/∂α` there).

use burn::tensor::Tensor;

use super::grid::UniformGrid;
use super::history::{History, HistorySum, HistoryTranspose};
use super::kernel::Kernel;
use crate::error::{Error, Result};
use crate::field::{Evaluator, ParamGrads, VectorField};
use crate::stats::Stats;
use crate::tensor::{all_finite, bytes, dot};

/// What a forward march keeps.
#[derive(Debug, Clone)]
pub(crate) struct FdeTrajectory<const D: usize> {
    /// `y_0..y_N` when stored (else empty).
    pub states: Vec<Tensor<D>>,
    /// Per step, the iterates that were fed to `f` before `y_n` (`q⁰..q^{K−1}`), when stored.
    pub iterates: Vec<Vec<Tensor<D>>>,
    /// The outputs.
    pub outputs: Vec<Tensor<D>>,
    pub stats: Stats,
}

pub(crate) fn flat<const D: usize>(t: Tensor<D>) -> Tensor<1> {
    let n = t.shape().num_elements();
    t.reshape([n])
}

pub(crate) fn unflat<const D: usize>(t: Tensor<1>, dims: [usize; D]) -> Tensor<D> {
    t.reshape(dims)
}

pub(crate) fn add_opt<const D: usize>(a: Tensor<D>, b: Option<Tensor<1>>, dims: [usize; D]) -> Tensor<D> {
    match b {
        Some(b) => a + unflat(b, dims),
        None => a,
    }
}

pub(crate) fn check<const D: usize>(y: &Tensor<D>, t: f64, n: usize) -> Result<()> {
    if all_finite(y) { Ok(()) } else { Err(Error::NonFinite { t, step: n }) }
}

/// Collects what a forward march keeps: the outputs, and (for the adjoint) every state with
/// the iterates that fed `f` before it. Shared by both engines.
pub(crate) struct Recorder<'g, const D: usize> {
    grid: &'g UniformGrid,
    store: bool,
    next_out: usize,
    tr: FdeTrajectory<D>,
}

impl<'g, const D: usize> Recorder<'g, D> {
    pub(crate) fn new(grid: &'g UniformGrid, store: bool) -> Self {
        let tr = FdeTrajectory { states: vec![], iterates: vec![], outputs: vec![], stats: Stats::default() };
        Self { grid, store, next_out: 0, tr }
    }

    /// Records `y_n` (and, for `n ≥ 1`, its iterates).
    pub(crate) fn record(&mut self, n: usize, y: &Tensor<D>, its: Vec<Tensor<D>>) {
        while self.next_out < self.grid.out_idx.len() && self.grid.out_idx[self.next_out] == n {
            self.tr.outputs.push(y.clone());
            self.next_out += 1;
        }
        if self.store {
            self.tr.states.push(y.clone());
            if n > 0 {
                self.tr.iterates.push(its);
            }
        }
        if n > 0 {
            self.tr.stats.steps += 1;
        }
    }

    /// The trajectory, with the stored bytes: what was recorded plus `history_bytes`.
    pub(crate) fn finish(mut self, history_bytes: usize) -> FdeTrajectory<D> {
        let per = self.tr.outputs.first().map(bytes).unwrap_or(0);
        let kept = self.tr.states.len() + self.tr.iterates.iter().map(Vec::len).sum::<usize>() + self.tr.outputs.len();
        self.tr.stats.peak_stored_bytes = history_bytes + kept * per;
        self.tr
    }
}

/// The loss cotangents `∂L/∂y_n` per grid index (summed where output times coincide).
pub(crate) fn cotangents_by_index<const D: usize>(grid: &UniformGrid, g: &[Tensor<D>]) -> Vec<Option<Tensor<D>>> {
    let mut by_index: Vec<Option<Tensor<D>>> = vec![None; grid.n_steps + 1];
    for (i, gk) in grid.out_idx.iter().zip(g) {
        by_index[*i] = Some(match by_index[*i].take() {
            Some(x) => x + gk.clone(),
            None => gk.clone(),
        });
    }
    by_index
}

/// Forward march; `f` evaluates on plain or autodiff tensors.
#[allow(clippy::too_many_arguments)]
pub(crate) fn forward<const D: usize>(
    f: &mut dyn FnMut(f64, Tensor<D>) -> Tensor<D>,
    y0: Tensor<D>,
    grid: &UniformGrid,
    b: &Kernel<f64>,
    a: Option<&Kernel<f64>>,
    iters: usize,
    alpha: f64,
    history: History,
    store: bool,
) -> Result<FdeTrajectory<D>> {
    let dims = y0.dims();
    let mut fs = HistorySum::new(history, alpha, grid.h, grid.n_steps, b, a);
    let mut rec = Recorder::new(grid, store);
    rec.record(0, &y0, vec![]);
    fs.push(flat(f(grid.t(0), y0.clone())));
    for n in 1..=grid.n_steps {
        let t = grid.t(n);
        let p = add_opt(y0.clone(), fs.sum_b(), dims);
        let mut y = p;
        let mut its = Vec::new();
        if let Some(a) = a {
            let s = add_opt(y0.clone(), fs.sum_a(), dims);
            for _ in 0..iters {
                if store {
                    its.push(y.clone());
                }
                y = s.clone() + f(t, y).mul_scalar(a.toe[0]);
            }
        }
        check(&y, t, n)?;
        fs.push(flat(f(t, y.clone())));
        rec.record(n, &y, its);
    }
    Ok(rec.finish(fs.bytes()))
}

/// The exact discrete adjoint. Returns `(∂L/∂y0, ∂L/∂α)` (`None` for fast history) and adds
/// `∂L/∂θ` to `grads`. `b` and `a` are `(value, ∂/∂α)` kernel pairs.
#[allow(clippy::too_many_arguments)]
pub(crate) fn adjoint<const D: usize, F: VectorField<D>>(
    ev: &mut Evaluator<'_, D, F>,
    tr: &FdeTrajectory<D>,
    grid: &UniformGrid,
    b: (&Kernel<f64>, &Kernel<f64>),
    a: Option<(&Kernel<f64>, &Kernel<f64>)>,
    alpha: f64,
    history: History,
    g: &[Tensor<D>],
    grads: &mut ParamGrads<F>,
    stats: &mut Stats,
) -> (Tensor<D>, Option<f64>) {
    let nn = grid.n_steps;
    let dims = tr.states[0].dims();
    let zero = tr.states[0].zeros_like();
    let mut rev = HistoryTranspose::new(history, alpha, grid.h, nn, b, a);
    let with_alpha = rev.has_alpha();
    let mut y0_bar = zero.clone();
    let mut dalpha = 0.0;
    // Loss cotangents per grid index.
    let loss_bar = cotangents_by_index(grid, g);
    for n in (0..=nn).rev() {
        let t = grid.t(n);
        let (fbar, fbar_da) = rev.sum(n);
        let fbar = add_opt(zero.clone(), fbar, dims);
        let (f_n, jt) = ev.eval_and_vjp(t, tr.states[n].clone(), fbar, grads);
        if let Some(da) = fbar_da {
            dalpha += dot(f_n, unflat(da, dims));
        }
        let mut y_bar = jt;
        if let Some(lb) = &loss_bar[n] {
            y_bar = y_bar + lb.clone();
        }
        if n == 0 {
            y0_bar = y0_bar + y_bar;
            break;
        }
        // Back through the corrector iterations.
        let mut q_bar = y_bar;
        let mut s_bar = zero.clone();
        if let Some((av, ad)) = a {
            let its = &tr.iterates[n - 1];
            for q in its.iter().rev() {
                s_bar = s_bar + q_bar.clone();
                let (phi, jt) = ev.eval_and_vjp(t, q.clone(), q_bar.clone().mul_scalar(av.toe[0]), grads);
                if with_alpha {
                    dalpha += ad.toe[0] * dot(phi, q_bar.clone());
                }
                q_bar = jt;
            }
        }
        y0_bar = y0_bar + q_bar.clone() + s_bar.clone();
        rev.push(flat(q_bar), a.is_some().then(|| flat(s_bar)));
    }
    stats.field_evals += ev.n_evals;
    stats.vjps += ev.n_vjps;
    let per = bytes(&zero);
    let stored = tr.states.len() + tr.iterates.iter().map(Vec::len).sum::<usize>();
    stats.peak_stored_bytes = stats.peak_stored_bytes.max(stored * per + rev.bytes());
    (y0_bar, with_alpha.then_some(dalpha))
}
