//! `Checkpointed { segments }` for fractional solves: exact, by recomputing each segment's
//! steps in reverse (with autodiff for dense and short history; from snapshots of the
//! compressed state with the discrete adjoint for fast history).
//!
//! A step of a fractional scheme reads the whole history, so a segment cannot be replayed from
//! its first state alone (`docs/derivations.md` §2, "Checkpointing"): this method stores every forward state `y_0..y_N` (as
//! the discrete adjoint does; no graph) and splits the grid points into `S` segments. In
//! reverse, segment `[n_0, n_1)` is replayed with Burn's autodiff from
//!
//! * the leaf `y0`,
//! * the history before it, entering each step `n` as one leaf per history sum,
//!   `P_n = Σ_{j<n_0} B(n,j) f_j` and `S_n = Σ_{j<n_0} A(n,j) f_j` (Volterra form) or
//!   `R_n = Σ_{j<n_0} d(n,j) u_j` (derivative form), computed from the stored states,
//! * and, for the lagged derivative forms, the leaf `y_{n_0−1}`;
//!
//! and backpropagated once from the loss terms inside it plus the cotangents that the later
//! segments sent to its history rows and last state. The gradients of the history-sum leaves
//! are pushed through the same weights to the earlier rows (the anti-causal convolution of the
//! discrete adjoint, [`crate::fde::volterra`]): `f̄_j += Σ_{m ≥ n_1} B(m,j) P̄_m + A(m,j) S̄_m`.
//! Every operation of the solve is differentiated exactly once, so the result equals
//! [`super::Method::Direct`] up to rounding (test `checkpointed_matches_direct_to_roundoff`,
//! every registry scheme, dense and short memory).
//!
//! # Cost
//! Memory law (honest): `N·d` stored states, `N·d` history rows (Volterra form: the `f_j`,
//! recomputed once from the states), `N·d` (`2N·d` with a corrector) reverse cotangent rows,
//! plus the graph of one segment (`⌈(N+1)/S⌉` steps × activations, and that segment's part of
//! the history graph). So unlike for ODEs the stored part grows like `N·d` whatever `S`: the
//! segments only bound the *graph* (activations), and
//! [`super::Method::DiscreteAdjoint`] — no graph at all, same exact gradient — is the better
//! choice for FDEs; this method is the exact cross-check that uses autodiff rather than
//! hand-written transposes. Time: one plain forward, `N` plain evaluations (Volterra form), one
//! forward with a graph (segment by segment) and its backward.
//!
//! # With fast history: checkpoints of the compressed state
//! With [`crate::fde::History::Fast`] the whole solver state after step `n` is `(modes, window)`
//! — `Q + w + 1` rows, independent of `n` — so a segment *can* be replayed from its first
//! state alone. The forward march then keeps `S` snapshots of that state and no step states;
//! in reverse each segment is replayed from its snapshot (plain evaluations, no graph), its
//! states are kept, and the exact discrete adjoint of the fast scheme
//! ([`crate::fde::volterra`], whose own state is the backward-running modes) runs through it
//! before the segment is dropped. The result is the discrete adjoint's to rounding (test
//! `checkpointed_fast_history_equals_the_discrete_adjoint_to_roundoff`), with no `∂L/∂α`.
//!
//! Memory law: `S·(Q + w + 1)·d` (snapshots) `+ ⌈N/S⌉·(1 + K)·d` (one replayed segment, `K`
//! corrector iterates) `+ (Q + w)·d` (the reverse modes): with
//! [`crate::fde::fast::checkpoint_segments`] (`S ∝ √N`) it grows like `√N` — measured with a
//! counting allocator (test `memory_scales_as_each_method_claims`): 16× the steps, 3.0× the
//! peak, against 9.9× for the discrete adjoint, whose stored states are `N·(1 + K)·d`. Time:
//! one forward march, one replay (`N(1 + K)` more plain evaluations) and the adjoint's VJPs.
//!
//! # Example
//! ```
//! use caputo::fde::{History, Scheme, FdeSolve};
//! use caputo::grad::{fde_forward};
//! use caputo::grad::Method;
//! use caputo::problems::LotkaVolterra;
//! use caputo::tensor::{from_vec, to_vec};
//! use caputo::testkit::{f64_device, max_rel_diff};
//! let dev = f64_device();
//! let field = LotkaVolterra::new([1.0, 1.0, 0.5, 0.3], &dev);
//! let grads = |m: &Method| {
//!     let y0 = from_vec(vec![2.0, 1.0], [2], &dev.clone().inner());
//!     let (sol, pb) = fde_forward(&field, y0, &FdeSolve::new(0.6, &[0.0, 1.0], 32).with_scheme(Scheme::L1 { new_point: None }).with_history(History::Dense), m).unwrap();
//!     to_vec(pb.backward(&[sol.y[0].zeros_like(), sol.y[1].ones_like()]).unwrap().y0)
//! };
//! let (a, b) = (grads(&Method::Checkpointed { segments: 4 }), grads(&Method::DiscreteAdjoint));
//! assert!(max_rel_diff(&a, &b) < 1e-10);
//! ```
//!
//! # References
//! A. Griewank, A. Walther, *Evaluating Derivatives*, 2nd ed., SIAM 2008, ch. 12
//! (checkpointing); `docs/derivations.md` §2 (why dense fractional history defeats boundary-only checkpoints).

use burn::optim::GradientsParams;
use burn::tensor::Tensor;

use crate::cotangent::OnGrid;
use crate::fde::grid::UniformGrid;
use crate::fde::history::{History, RowStore};
use crate::fde::kernel::Kernel;
use crate::fde::scheme::Discretisation;
use crate::fde::volterra::{FdeTrajectory, add_opt, unflat};
use crate::field::{Evaluator, ParamGrads, VectorField};
use crate::stats::Stats;
use crate::tensor::bytes;

fn flat<const D: usize>(t: Tensor<D>) -> Tensor<1> {
    let n = t.shape().num_elements();
    t.reshape([n])
}

/// `Σ_i ⟨x_i, c_i⟩` as a graph scalar.
struct Loss(Option<Tensor<1>>);

impl Loss {
    /// The sum; a zero that still reaches `y0` when nothing was added.
    fn finish<const D: usize>(self, y0: &Tensor<D>) -> Tensor<1> {
        self.0.unwrap_or_else(|| (y0.clone() * y0.zeros_like()).sum())
    }

    fn add<const D: usize>(&mut self, x: &Tensor<D>, c: &Tensor<D>) {
        let term = (x.clone() * c.clone().autodiff()).sum();
        self.0 = Some(match self.0.take() {
            Some(acc) => acc + term,
            None => term,
        });
    }
}

/// What both engines share: the grid, the history rule, the segment layout and the reverse
/// rows of history-leaf cotangents (`m = N, N−1, …, 1`, push index `N − m`).
struct Sweep<'a> {
    grid: &'a UniformGrid,
    history: History,
}

impl Sweep<'_> {
    /// Last row that uses column `j`.
    fn last_use(&self, j: usize) -> usize {
        match self.history {
            History::Short(l) => (j + l).min(self.grid.n_steps),
            _ => self.grid.n_steps,
        }
    }

    /// `Σ_{hi ≤ m ≤ last_use(j)} K(m, j) row_m` over the reverse rows (rows `m ≥ hi` pushed).
    fn later_sum(&self, rows: &RowStore, k: &Kernel<f64>, j: usize, hi: usize) -> Option<Tensor<1>> {
        let top = self.last_use(j);
        if top < hi {
            return None;
        }
        let w: Vec<f64> = (hi..=top).rev().map(|m| k.at(m, j)).collect();
        rows.weighted_sum(self.grid.n_steps - top, &w)
    }

    /// `Σ_{first(n) ≤ j < lo} K(n, j) row_j` over plain rows (the history before a segment).
    fn before(&self, rows: &RowStore, k: &Kernel<f64>, n: usize, lo: usize) -> Option<Tensor<1>> {
        let first = self.history.first(n);
        if first >= lo {
            return None;
        }
        rows.weighted_sum(first, &k.row(n, first)[..lo - first])
    }

    /// `Σ_{max(first(n), lo) ≤ j < n} K(n, j) row_j` over the segment's own rows (index `j − lo`).
    fn inside(&self, seg: &RowStore, k: &Kernel<f64>, n: usize, lo: usize) -> Option<Tensor<1>> {
        let first = self.history.first(n).max(lo);
        seg.weighted_sum(first - lo, &k.row(n, first))
    }
}

/// A plain history sum as an autodiff leaf of the state's shape.
fn leaf<const D: usize>(x: Option<Tensor<1>>, dims: [usize; D]) -> Option<Tensor<D>> {
    x.map(|x| unflat(x, dims).autodiff().require_grad())
}

fn plus<const D: usize>(a: Option<Tensor<D>>, b: Option<Tensor<D>>) -> Option<Tensor<D>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a + b),
        (a, b) => a.or(b),
    }
}

/// How the reverse sweep replays the forward: the scheme's weights on `grid`, the history and
/// the number of segments.
#[derive(Clone, Copy)]
pub(crate) struct Replay<'a> {
    pub disc: &'a Discretisation<f64>,
    pub grid: &'a UniformGrid,
    pub history: History,
    pub segments: usize,
}

/// The reverse sweep. Returns `(∂L/∂y0, ∂L/∂θ)`.
pub(crate) fn backward<const D: usize, F: VectorField<D>>(
    field: &F,
    replay: Replay<'_>,
    tr: &FdeTrajectory<D>,
    g: &[Tensor<D>],
    stats: &mut Stats,
) -> (Tensor<D>, GradientsParams) {
    let Replay { disc, grid, history, segments } = replay;
    let nn = grid.n_steps;
    let y0 = tr.states[0].clone();
    let dims = y0.dims();
    let zero = y0.zeros_like();
    let obs = OnGrid::new(&grid.out_idx, g);
    let sw = Sweep { grid, history };
    // Segments over the grid points 0..=N.
    let every = (nn + 1).div_ceil(segments).max(1);
    let n_seg = (nn + 1).div_ceil(every);
    let mut grads = ParamGrads::new();
    let mut y0_bar = zero.clone();
    let mut graph_evals = 0usize;
    let mut ev = Evaluator::new(field);
    let mut f = |t: f64, y: Tensor<D>| -> Tensor<D> {
        graph_evals += 1;
        field.eval(t, y)
    };
    // Plain history rows and the reverse rows of leaf cotangents.
    let mut rows = RowStore::new();
    let mut rev: [RowStore; 2] = [RowStore::new(), RowStore::new()];
    let mut seg_bytes = 0;
    match disc {
        Discretisation::Volterra { b, a, iters, .. } => {
            for j in 0..nn {
                rows.push(flat(ev.eval(grid.t(j), tr.states[j].clone())));
            }
            for s in (0..n_seg).rev() {
                let (lo, hi) = (s * every, ((s + 1) * every).min(nn + 1));
                let y0a = y0.clone().autodiff().require_grad();
                let steps = lo.max(1)..hi;
                let p_leaf: Vec<Option<Tensor<D>>> =
                    steps.clone().map(|n| leaf(sw.before(&rows, b, n, lo), dims)).collect();
                let s_leaf: Vec<Option<Tensor<D>>> = match a {
                    Some(a) => steps.clone().map(|n| leaf(sw.before(&rows, a, n, lo), dims)).collect(),
                    None => vec![None; steps.len()],
                };
                let mut seg = RowStore::new();
                let mut loss = Loss(None);
                for n in lo..hi {
                    let obs_n = obs.get(n);
                    let t = grid.t(n);
                    let y = if n == 0 {
                        y0a.clone()
                    } else {
                        let i = n - lo.max(1);
                        let with_old = |l: &Option<Tensor<D>>| match l {
                            Some(l) => y0a.clone() + l.clone(),
                            None => y0a.clone(),
                        };
                        let mut y = add_opt(with_old(&p_leaf[i]), sw.inside(&seg, b, n, lo), dims);
                        if let Some(a) = a {
                            let sum = add_opt(with_old(&s_leaf[i]), sw.inside(&seg, a, n, lo), dims);
                            for _ in 0..*iters {
                                y = sum.clone() + f(t, y).mul_scalar(a.toe[0]);
                            }
                        }
                        y
                    };
                    if let Some(gn) = obs_n {
                        loss.add(&y, gn);
                    }
                    if n < nn {
                        let fy = f(t, y);
                        let ext = plus(
                            sw.later_sum(&rev[0], b, n, hi),
                            a.as_ref().and_then(|a| sw.later_sum(&rev[1], a, n, hi)),
                        );
                        if let Some(e) = ext {
                            loss.add(&fy, &unflat(e, dims));
                        }
                        seg.push(flat(fy));
                    }
                }
                seg_bytes = seg_bytes.max(seg.bytes());
                let mut gr = loss.finish(&y0a).backward();
                if let Some(x) = y0a.grad_remove(&mut gr) {
                    y0_bar = y0_bar + x;
                }
                for i in (0..steps.len()).rev() {
                    let x = p_leaf[i].as_ref().and_then(|l| l.grad_remove(&mut gr)).unwrap_or_else(|| zero.clone());
                    rev[0].push(flat(x));
                    if a.is_some() {
                        let x = s_leaf[i].as_ref().and_then(|l| l.grad_remove(&mut gr)).unwrap_or_else(|| zero.clone());
                        rev[1].push(flat(x));
                    }
                }
                grads.add(field, GradientsParams::from_grads(gr, field));
                stats.recomputed_steps += steps.len();
            }
        }
        Discretisation::Derivative { d, sigma, caputo, new_point } => {
            let (d0, shift, iters) = (d.toe[0], if *caputo { 1.0 } else { 0.0 }, new_point.unwrap_or(0));
            let ratio = sigma / d0;
            let base0_plain = y0.clone().mul_scalar(shift);
            for j in 0..nn {
                rows.push(flat(tr.states[j].clone() - base0_plain.clone()));
            }
            // Cotangent on a segment's last state from the next segment's lagged evaluation.
            let mut carry: Option<Tensor<D>> = None;
            for s in (0..n_seg).rev() {
                let (lo, hi) = (s * every, ((s + 1) * every).min(nn + 1));
                let y0a = y0.clone().autodiff().require_grad();
                let prev = (lo >= 1).then(|| tr.states[lo - 1].clone().autodiff().require_grad());
                let steps = lo.max(1)..hi;
                let r_leaf: Vec<Option<Tensor<D>>> =
                    steps.clone().map(|n| leaf(sw.before(&rows, d, n, lo), dims)).collect();
                let base0 = y0a.clone().mul_scalar(shift);
                let mut seg = RowStore::new();
                let mut loss = Loss(None);
                let mut y_prev = prev.clone();
                for n in lo..hi {
                    let obs_n = obs.get(n);
                    let y = if n == 0 {
                        y0a.clone()
                    } else {
                        let r = add_opt(
                            r_leaf[n - lo.max(1)].clone().unwrap_or_else(|| base0.zeros_like()),
                            sw.inside(&seg, d, n, lo),
                            dims,
                        );
                        let base = base0.clone() - r.mul_scalar(1.0 / d0);
                        let lagged = y_prev.take().expect("the previous state; this is a bug");
                        let mut y = base.clone() + f(grid.t(n - 1), lagged).mul_scalar(ratio);
                        for _ in 0..iters {
                            y = base.clone() + f(grid.t(n), y).mul_scalar(ratio);
                        }
                        y
                    };
                    if let Some(gn) = obs_n {
                        loss.add(&y, gn);
                    }
                    if n < nn {
                        let u = y.clone() - base0.clone();
                        if let Some(e) = sw.later_sum(&rev[0], d, n, hi) {
                            loss.add(&u, &unflat(e, dims));
                        }
                        seg.push(flat(u));
                    }
                    y_prev = Some(y);
                }
                if let Some(c) = carry.take() {
                    loss.add(y_prev.as_ref().expect("the segment's last state; this is a bug"), &c);
                }
                seg_bytes = seg_bytes.max(seg.bytes());
                let mut gr = loss.finish(&y0a).backward();
                if let Some(x) = y0a.grad_remove(&mut gr) {
                    y0_bar = y0_bar + x;
                }
                carry = prev.map(|p| p.grad_remove(&mut gr).unwrap_or_else(|| zero.clone()));
                for i in (0..steps.len()).rev() {
                    let x = r_leaf[i].as_ref().and_then(|l| l.grad_remove(&mut gr)).unwrap_or_else(|| zero.clone());
                    rev[0].push(flat(x));
                }
                grads.add(field, GradientsParams::from_grads(gr, field));
                stats.recomputed_steps += steps.len();
            }
        }
    }
    stats.graph_evals += graph_evals;
    stats.field_evals += ev.n_evals;
    let per = bytes(&zero);
    let stored = tr.states.len() * per + rows.bytes() + rev[0].bytes() + rev[1].bytes();
    stats.peak_stored_bytes = stats.peak_stored_bytes.max(stored + seg_bytes);
    (y0_bar, grads.finish())
}
