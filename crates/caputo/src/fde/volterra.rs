//! The engine of the Volterra-form schemes (predictor, ABM): forward march and its exact
//! transpose (the discrete adjoint).
//!
//! Forward, for `n = 1..N`: `p_n = y0 + Σ_{j<n} B(n,j) f_j`; `q⁰ = p_n`,
//! `q^{k+1} = y0 + A(n,n) f(t_n, q^k) + S_n` with `S_n = Σ_{j<n} A(n,j) f_j`; `y_n = q^K`;
//! `f_n = f(t_n, y_n)`.
//!
//! Reverse (the transpose of the forward assignments; derivation in `docs/derivations.md`,
//! "Exact discrete adjoint"), for `n = N..1`: `f̄_n = Σ_{m>n} B(m,n) p̄_m + A(m,n) S̄_m` (two anti-causal
//! convolutions with the same weights), `ȳ_n = ∂L/∂y_n + J(y_n)ᵀ f̄_n`; through the corrector
//! iterations `q̄^K = ȳ_n`, `S̄_n = Σ_k q̄^{k+1}`, `q̄^k = A(n,n) J(q^k)ᵀ q̄^{k+1}`; `p̄_n = q̄⁰`;
//! `∂L/∂y0 = Σ_n (p̄_n + S̄_n) + ∂L/∂y_0 + J(y_0)ᵀ f̄_0`. One VJP per forward evaluation.
//! `∂L/∂α = Σ_j ⟨f_j, Σ_{m>j} ∂B(m,j) p̄_m + ∂A(m,j) S̄_m⟩ + Σ_{n,k} ∂A(n,n) ⟨q̄^{k+1}, f(t_n, q^k)⟩`:
//! the same anti-causal convolutions with the α-derivatives of the weights.
//!
//! Both directions go through one history abstraction (`history::HistorySum` forward,
//! `history::HistoryTranspose` in reverse): every stored row (dense, short memory), or an exact window
//! plus sum-of-exponentials modes (fast history, [`super::fast`]; no `∂L/∂α` there).
//!
//! What the reverse sweep reads: the stored states and iterates (corrector schemes, fast
//! history); for the predictor with dense or short history only the forward's history rows
//! `f_j`, from which `Rebuild` recomputes `y_n = y0 + Σ_{j<n} B(n,j) f_j` newest first and
//! releases the rows it has passed — about one row per step at the peak instead of a state
//! and a row (the graph app's training step: 0.24× direct instead of 0.35×).

use burn::tensor::Tensor;

use super::fast::SoeHistory;
use super::grid::UniformGrid;
use super::history::{History, HistorySum, HistoryTranspose, RowStore};
use super::kernel::Kernel;
use crate::cotangent::OnGrid;
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

/// Step `n ≥ 1` of the march: `y_n` (and, when `store`, the iterates `q⁰..q^{K−1}` that fed
/// `f` before it) from the history `fs` of `f_0..f_{n−1}`; then pushes `f_n` onto `fs`.
fn step<const D: usize>(
    f: &mut dyn FnMut(f64, Tensor<D>) -> Tensor<D>,
    y0: &Tensor<D>,
    fs: &mut HistorySum<'_>,
    grid: &UniformGrid,
    n: usize,
    corrector: Option<(&Kernel<f64>, usize)>,
    store: bool,
) -> Result<(Tensor<D>, Vec<Tensor<D>>)> {
    let dims = y0.dims();
    let t = grid.t(n);
    let p = add_opt(y0.clone(), fs.sum_b(), dims);
    let mut y = p;
    let mut its = Vec::new();
    if let Some((a, iters)) = corrector {
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
    Ok((y, its))
}

/// The weights of a Volterra-form scheme on one grid: the predictor kernel `B`, the corrector
/// kernel `A` with its iteration count `K` (ABM), and the order (for fast history's modes).
#[derive(Clone, Copy)]
pub(crate) struct Weights<'a> {
    pub b: &'a Kernel<f64>,
    pub a: Option<&'a Kernel<f64>>,
    pub iters: usize,
    pub alpha: f64,
}

impl<'a> Weights<'a> {
    /// The corrector and its iteration count, if any.
    fn corrector(&self) -> Option<(&'a Kernel<f64>, usize)> {
        self.a.map(|a| (a, self.iters))
    }
}

/// Forward march; `f` evaluates on plain or autodiff tensors.
pub(crate) fn forward<const D: usize>(
    f: &mut dyn FnMut(f64, Tensor<D>) -> Tensor<D>,
    y0: Tensor<D>,
    grid: &UniformGrid,
    w: Weights<'_>,
    history: History,
    store: bool,
) -> Result<FdeTrajectory<D>> {
    let mut fs = HistorySum::new(history, w.alpha, grid.h, grid.n_steps, w.b, w.a);
    Ok(march(f, y0, grid, &mut fs, w.corrector(), store, None)?.0)
}

/// Forward march of an explicit Volterra scheme (no corrector) with dense or short history
/// that keeps the history rows `f_0..f_N` instead of the states, for [`Rebuild`].
pub(crate) fn forward_rows<const D: usize>(
    f: &mut dyn FnMut(f64, Tensor<D>) -> Tensor<D>,
    y0: Tensor<D>,
    grid: &UniformGrid,
    b: &Kernel<f64>,
    alpha: f64,
    history: History,
) -> Result<(FdeTrajectory<D>, RowStore)> {
    let mut fs = HistorySum::new(history, alpha, grid.h, grid.n_steps, b, None);
    let (tr, _) = march(f, y0, grid, &mut fs, None, false, None)?;
    match fs {
        HistorySum::Dense { rows, .. } => Ok((tr, rows)),
        HistorySum::Fast(_) => unreachable!("forward_rows is for dense and short history; this is a bug"),
    }
}

/// Checkpoints of a fast-history march: the whole solver state `(modes, window)` before the
/// first step of each segment, so a segment can be replayed without the steps before it.
#[derive(Debug, Clone)]
pub(crate) struct Snapshots {
    /// Steps per segment (the last may be shorter).
    every: usize,
    /// The history of `f_0..f_{lo−1}` before segment `[lo, lo + every)`, `lo = 1 + k·every`.
    states: Vec<SoeHistory>,
    /// Bytes the snapshots hold.
    pub bytes: usize,
}

/// Forward march with fast history keeping `segments` snapshots of the solver state instead
/// of the step states (`Method::Checkpointed` with `History::Fast`).
pub(crate) fn forward_snapshots<const D: usize>(
    f: &mut dyn FnMut(f64, Tensor<D>) -> Tensor<D>,
    y0: Tensor<D>,
    grid: &UniformGrid,
    w: Weights<'_>,
    tol: f64,
    segments: usize,
) -> Result<(FdeTrajectory<D>, Snapshots)> {
    let every = grid.n_steps.div_ceil(segments.max(1)).max(1);
    let mut fs = HistorySum::new(History::Fast { tol }, w.alpha, grid.h, grid.n_steps, w.b, w.a);
    let (tr, snaps) = march(f, y0, grid, &mut fs, w.corrector(), false, Some(every))?;
    Ok((tr, snaps.expect("snapshots were requested; this is a bug")))
}

/// The march over the history `fs`; with `snapshot_every = Some(k)`, a snapshot of the
/// (fast) history before steps `1, 1 + k, 1 + 2k, …`.
fn march<const D: usize>(
    f: &mut dyn FnMut(f64, Tensor<D>) -> Tensor<D>,
    y0: Tensor<D>,
    grid: &UniformGrid,
    fs: &mut HistorySum<'_>,
    corrector: Option<(&Kernel<f64>, usize)>,
    store: bool,
    snapshot_every: Option<usize>,
) -> Result<(FdeTrajectory<D>, Option<Snapshots>)> {
    let mut snaps = snapshot_every.map(|every| Snapshots { every, states: vec![], bytes: 0 });
    let mut rec = Recorder::new(grid, store);
    rec.record(0, &y0, vec![]);
    fs.push(flat(f(grid.t(0), y0.clone())));
    for n in 1..=grid.n_steps {
        if let Some(sn) = snaps.as_mut().filter(|sn| (n - 1) % sn.every == 0) {
            let s = fs.snapshot().expect("snapshots need fast history; this is a bug");
            sn.bytes += s.bytes();
            sn.states.push(s);
        }
        let (y, its) = step(f, &y0, fs, grid, n, corrector, store)?;
        rec.record(n, &y, its);
    }
    let held = fs.bytes() + snaps.as_ref().map_or(0, |s| s.bytes);
    Ok((rec.finish(held), snaps))
}

/// A step's state `y_n` and the corrector iterates that fed `f` before it.
pub(crate) type StepState<const D: usize> = (Tensor<D>, Vec<Tensor<D>>);

/// The states of a march, newest first, for the reverse sweep: `(y_n, iterates of step n)`
/// for `n = N, N−1, …, 0`.
pub(crate) trait ReverseStates<const D: usize> {
    /// `(y_n, q⁰..q^{K−1})`; called once for each `n` from `N` down to 0.
    fn state(&mut self, n: usize) -> Result<StepState<D>>;
    /// Bytes held by the states at most.
    fn peak_bytes(&self) -> usize;
}

impl<const D: usize> ReverseStates<D> for &FdeTrajectory<D> {
    fn state(&mut self, n: usize) -> Result<StepState<D>> {
        let its = if n == 0 { vec![] } else { self.iterates[n - 1].clone() };
        Ok((self.states[n].clone(), its))
    }

    fn peak_bytes(&self) -> usize {
        let per = self.states.first().map(bytes).unwrap_or(0);
        (self.states.len() + self.iterates.iter().map(Vec::len).sum::<usize>()) * per
    }
}

/// Replays segments from [`Snapshots`]: the states of one segment at a time.
pub(crate) struct Replay<'a, const D: usize> {
    pub f: &'a mut dyn FnMut(f64, Tensor<D>) -> Tensor<D>,
    pub y0: Tensor<D>,
    pub grid: &'a UniformGrid,
    pub snaps: &'a Snapshots,
    pub a: Option<&'a Kernel<f64>>,
    pub iters: usize,
    /// The replayed segment: its first step and its states, oldest first.
    pub seg: Option<(usize, Vec<StepState<D>>)>,
    pub seg_peak: usize,
    pub replayed: usize,
}

impl<const D: usize> ReverseStates<D> for Replay<'_, D> {
    fn state(&mut self, n: usize) -> Result<StepState<D>> {
        if n == 0 {
            self.seg = None;
            return Ok((self.y0.clone(), vec![]));
        }
        let k = (n - 1) / self.snaps.every;
        let lo = 1 + k * self.snaps.every;
        if self.seg.as_ref().is_none_or(|(l, _)| *l != lo) {
            self.seg = None; // free the later segment before replaying this one
            let hi = (lo + self.snaps.every).min(self.grid.n_steps + 1);
            let mut fs = HistorySum::Fast(Box::new(self.snaps.states[k].clone()));
            let mut states = Vec::with_capacity(hi - lo);
            for m in lo..hi {
                let corrector = self.a.map(|a| (a, self.iters));
                states.push(step(self.f, &self.y0, &mut fs, self.grid, m, corrector, true)?);
            }
            self.replayed += hi - lo;
            let per = bytes(&self.y0);
            let held = states.iter().map(|(_, its)| 1 + its.len()).sum::<usize>() * per + fs.bytes();
            self.seg_peak = self.seg_peak.max(held);
            self.seg = Some((lo, states));
        }
        let (_, states) = self.seg.as_mut().expect("the segment was just replayed");
        // Steps are read newest first: pop them, freeing each once its adjoint step is done.
        let (y, its) = states.pop().expect("the segment holds step n; this is a bug");
        Ok((y, its))
    }

    fn peak_bytes(&self) -> usize {
        self.snaps.bytes + self.seg_peak
    }
}

/// Rebuilds the states of an explicit Volterra march in reverse from its history rows,
/// `y_n = y0 + Σ_{j<n} B(n,j) f_j` (the forward's own sum), and releases the rows as the sweep
/// passes them ([`RowStore::truncate`]): the discrete adjoint then holds about one row per
/// step at its peak instead of a stored state and a row. The rebuilt states equal the
/// forward's up to the summation order of the blocked sums (rounding).
pub(crate) struct Rebuild<'a, const D: usize> {
    pub y0: Tensor<D>,
    pub rows: RowStore,
    pub b: &'a Kernel<f64>,
    pub history: History,
    pub peak: usize,
}

impl<const D: usize> ReverseStates<D> for Rebuild<'_, D> {
    fn state(&mut self, n: usize) -> Result<StepState<D>> {
        self.peak = self.peak.max(self.rows.bytes());
        self.rows.truncate(n); // step n reads f_0..f_{n−1}
        if n == 0 {
            return Ok((self.y0.clone(), vec![]));
        }
        let lo = self.history.first(n);
        let sum = self.rows.weighted_sum(lo, &self.b.row(n, lo));
        Ok((add_opt(self.y0.clone(), sum, self.y0.dims()), vec![]))
    }

    fn peak_bytes(&self) -> usize {
        self.peak
    }
}

/// The weights the discrete adjoint reads: `b` and `a` as `(value, ∂/∂α)` kernel pairs, the
/// order and the history.
#[derive(Clone, Copy)]
pub(crate) struct AdjointWeights<'a> {
    pub b: (&'a Kernel<f64>, &'a Kernel<f64>),
    pub a: Option<(&'a Kernel<f64>, &'a Kernel<f64>)>,
    pub alpha: f64,
    pub history: History,
}

/// The exact discrete adjoint. Returns `(∂L/∂y0, ∂L/∂α)` (`None` for fast history) and adds
/// `∂L/∂θ` to `grads`.
pub(crate) fn adjoint<const D: usize, F: VectorField<D>>(
    ev: &mut Evaluator<'_, D, F>,
    states: &mut dyn ReverseStates<D>,
    grid: &UniformGrid,
    w: AdjointWeights<'_>,
    g: &[Tensor<D>],
    grads: &mut ParamGrads<F>,
    stats: &mut Stats,
) -> Result<(Tensor<D>, Option<f64>)> {
    let AdjointWeights { b, a, alpha, history } = w;
    let nn = grid.n_steps;
    let (y_last, its_last) = states.state(nn)?;
    let dims = y_last.dims();
    let zero = y_last.zeros_like();
    let mut last = Some((y_last, its_last));
    let mut rev = HistoryTranspose::new(history, alpha, grid.h, nn, b, a);
    let with_alpha = rev.has_alpha();
    let mut y0_bar = zero.clone();
    let mut dalpha = 0.0;
    // Loss cotangents per grid index.
    let loss_bar = OnGrid::new(&grid.out_idx, g);
    for n in (0..=nn).rev() {
        let t = grid.t(n);
        let (fbar, fbar_da) = rev.sum(n);
        let fbar = add_opt(zero.clone(), fbar, dims);
        let (y_n, its) = match last.take() {
            Some(s) => s,
            None => states.state(n)?,
        };
        let (f_n, jt) = ev.eval_and_vjp(t, y_n, fbar, grads);
        if let Some(da) = fbar_da {
            dalpha += dot(f_n, unflat(da, dims));
        }
        let mut y_bar = jt;
        if let Some(lb) = loss_bar.get(n) {
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
    stats.peak_stored_bytes = stats.peak_stored_bytes.max(states.peak_bytes() + rev.bytes());
    Ok((y0_bar, with_alpha.then_some(dalpha)))
}
