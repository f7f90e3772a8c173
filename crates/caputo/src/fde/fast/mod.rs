//! Fast history for the Volterra-form schemes (predictor, ABM) and the L1 scheme: the far past
//! through `Q` sum-of-exponentials modes, so a solve costs `O(N·Q·d)` time and `O((Q + w)·d)`
//! history memory instead of `O(N²·d)` and `O(N·d)` ([`super::History::Fast`]).
//!
//! # The scheme
//!
//! The last [`WINDOW`] cells (`w`) of a history sum keep their exact weights (a ring buffer of
//! `w` rows). Older cells see the kernel only at distances `≥ w h`, where the sum of
//! exponentials `t^{−γ} ≈ Σ_q w_q e^{−s_q t}` of [`SoeKernel::new`] replaces it (relative error
//! `≤ tol` on `[w h, T]`). Every old cell's weight is then geometric in its lag, so with
//! `d_q = e^{−s_q h}` one set of modes carries the far past:
//!
//! $$ Z_q(n+1) = d_q Z_q(n) + f_{n-w}, \qquad
//!    \textstyle\sum_{j \le n-1-w} B(n,j) f_j \approx \sum_q r_q Z_q(n). $$
//!
//! * Volterra form (`γ = 1 − α`): rectangle readouts for the predictor sum and trapezoid
//!   readouts for the corrector sum, from one set of modes; the trapezoid keeps two exact
//!   corrections (the right-end share of the node on the window edge, and the `j = 0` column,
//!   for which `f_0` is kept as one extra row).
//! * L1 (`γ = 1 + α`, step units): the Toeplitz lags `m > w` are
//!   `Σ_q c_q e^{−s_q (m−w−1)}`, `c_q = −α(1−α) w_q ((1 − e^{−s_q})/s_q)² e^{−s_q w}`, each to
//!   relative error `tol`; the first column `d(n, 0) = −a_{n−1}` is exact (`u_0` kept as one
//!   row).
//!
//! The derivations are in `docs/derivations.md`, "Fast history". Per step: one batched update
//! `modes = modes * decay[Q,1] + f_row[1,d]` and one readout `r[1,Q] · modes[Q,d]` per sum, on
//! CPU and GPU alike. The fast scheme *is* the forward map: results differ from the dense
//! scheme by about `tol` relative (test `fast_history_matches_dense_within_tolerance`), and in
//! exact arithmetic it equals the dense engine run with the kernel the modes represent (unit
//! tests `fast_sums_equal_dense_sums_with_the_represented_kernel`,
//! `l1_fast_sums_equal_dense_sums_with_the_represented_kernel`).
//!
//! # Gradients
//!
//! The transposed, anti-causal sums of the represented kernel are the same recurrences run
//! backward in time, plus the exact window and the transposed first-column corrections (unit
//! tests `fast_transpose_equals_dense_transpose_with_the_represented_kernel`,
//! `l1_fast_sums_equal_dense_sums_with_the_represented_kernel`). `DiscreteAdjoint` with fast
//! history therefore equals `Direct` through the fast forward to rounding (test
//! `fast_discrete_adjoint_matches_direct_to_roundoff`), in `O(N·Q·d)` work. For the Volterra
//! form the whole state is `(modes, window)`, so the gradient method `Checkpointed` keeps
//! `S` snapshots of it and replays one segment at a time: `O(√N·d)` gradient memory with
//! [`checkpoint_segments`] (module `grad::fde_checkpoint`). With fast L1, `ContinuousAdjoint`
//! works and `Checkpointed` and `PaperAdjoint` are [`crate::Error::Unsupported`] (test
//! `fast_l1_gradient_methods_work_or_are_rejected`). `∂L/∂α` is not available with fast history
//! (`Grads::alpha` is `None`): the SOE depends on `α` through its construction and is not
//! differentiated.
//!
//! # Order
//! Unchanged: the kernel error `tol` adds `O(tol)` to the scheme's `O(h^p)` error (test
//! `fast_history_keeps_the_order_of_convergence`). At `α = 1` the far lags are exact and fast
//! equals dense to rounding (test `fast_history_is_exact_at_alpha_one`).
//!
//! # Cost
//! Time `O(N·(Q + w)·d)` for the history plus the scheme's field evaluations; history memory
//! `(Q + w + 1)·d` numbers. `Q` grows like `ln(1/tol)·ln(N/w)`: 35 modes for `tol = 1e-6`
//! and 72 for `tol = 1e-10` at `N = 10⁴`, `α = 0.6`, two to three more per factor 4 in `N`
//! (unit test `mode_count_grows_like_log_n`). So the memory is independent of `N` up to that
//! logarithm (test `fast_history_memory_is_independent_of_n`).
//!
//! # Coverage
//! Predictor, ABM and L1 (lagged and new point, Caputo). Grünwald–Letnikov, the product
//! trapezoid (finite-part) rule and multi-term are rejected with [`crate::Error::Unsupported`]:
//! not built yet (`docs/derivations.md` sketches the construction they would need).
//!
//! # Example
//! ```
//! use burn::tensor::{Device, Tensor};
//! use caputo::fde::{solve, History, Scheme, FdeSolve};
//! use caputo::field::FnField;
//! let dev = Device::flex();
//! let field = FnField::new(|_t: f64, y: Tensor<1>| -y);
//! let y0 = Tensor::<1>::from_floats([1.0], &dev);
//! let abm = Scheme::Abm { corrector_iters: 1 };
//! let fast = solve(&field, y0.clone(), &FdeSolve::new(0.5, &[0.0, 1.0], 512).with_scheme(abm.clone()).with_history(History::Fast { tol: 1e-6 })).unwrap();
//! let dense = solve(&field, y0, &FdeSolve::new(0.5, &[0.0, 1.0], 512).with_scheme(abm.clone()).with_history(History::Dense)).unwrap();
//! let (a, b) = (caputo::tensor::scalar(fast.y[1].clone()), caputo::tensor::scalar(dense.y[1].clone()));
//! assert!((a - b).abs() < 1e-5);
//! ```
//!
//! # References
//! S. Jiang, J. Zhang, Q. Zhang, Z. Zhang, *Fast evaluation of the Caputo fractional derivative
//! and its applications to fractional diffusion equations*, Commun. Comput. Phys. 21 (2017)
//! 650–678; D. Baffet, J. S. Hesthaven, *A kernel compression scheme for fractional
//! differential equations*, SIAM J. Numer. Anal. 55 (2017) 496–520.

mod l1;
mod volterra;

pub(crate) use l1::{L1Adjoint, L1History, L1Plan};
pub(crate) use volterra::{FastPlan, SoeAdjoint, SoeHistory};

use burn::tensor::Tensor;

use super::soe::SoeKernel;

/// Cells next to the evaluation point that keep their exact weights; the modes start at
/// distance `WINDOW·h` (the SOE's `δ`).
pub const WINDOW: usize = 4;

/// The sum of exponentials that [`super::History::Fast`] uses for `t^{−γ}`, `γ = 1 − α`, on a
/// grid of `n_steps` steps of size `h` (`δ = WINDOW·h`, `T = n_steps·h`); its
/// [`SoeKernel::len`] is the number of modes `Q`. At `α = 1` the kernel is the constant 1: one
/// exact constant mode.
///
/// # Example
/// ```
/// use caputo::fde::fast::{soe_kernel, WINDOW};
/// let (alpha, h, n, tol) = (0.6, 1e-3, 10_000, 1e-10);
/// let k = soe_kernel(alpha, h, n, tol);
/// // t^{−0.4} within tol (relative) on [WINDOW·h, N·h], with a few dozen modes.
/// for i in 0..=100 {
///     let t = WINDOW as f64 * h * (n as f64 / WINDOW as f64).powf(i as f64 / 100.0);
///     let exact = t.powf(alpha - 1.0);
///     assert!((k.eval(t) - exact).abs() <= tol * exact, "t = {t}");
/// }
/// assert!(k.len() < 100);
/// ```
pub fn soe_kernel(alpha: f64, h: f64, n_steps: usize, tol: f64) -> SoeKernel {
    let delta = WINDOW as f64 * h;
    // The modes are read only for n > WINDOW; keep T > δ on grids too short to need them.
    let t_max = n_steps.max(WINDOW + 1) as f64 * h;
    let gamma_exp = 1.0 - alpha;
    if gamma_exp <= 0.0 {
        return SoeKernel { gamma: 0.0, s: vec![0.0], w: vec![1.0], delta, t_max, eps: tol };
    }
    SoeKernel::new(gamma_exp, delta, t_max, tol)
}

/// The number of segments for the gradient method `Checkpointed` with fast history that
/// minimises its stored rows: `S` snapshots of `Q + WINDOW + 1` rows (modes, window, `f_0`)
/// against one replayed segment of `⌈N/S⌉` steps of `1 + K` rows (state and `K` corrector
/// iterates), so `S = √(N·(1 + K)/(Q + WINDOW + 1))` and the peak is about
/// `2·√(N·(1 + K)·(Q + WINDOW + 1))` rows instead of the discrete adjoint's `N·(1 + K)`.
/// The mode count `Q` depends on `N`, `tol` and `α` only (the kernel is scale-free).
///
/// # Example
/// ```
/// use caputo::fde::fast::checkpoint_segments;
/// // 10⁵ predictor steps at tol 1e-10: ~40 segments of ~2,500 steps.
/// let s = checkpoint_segments(0.6, 100_000, 1e-10, 0);
/// assert!((30..=50).contains(&s), "{s}");
/// assert_eq!(checkpoint_segments(0.6, 1, 1e-10, 0), 1);
/// ```
pub fn checkpoint_segments(alpha: f64, n_steps: usize, tol: f64, corrector_iters: usize) -> usize {
    let q = soe_kernel(alpha, 1.0, n_steps, tol).len();
    let per_snapshot = (q + WINDOW + 1) as f64;
    let per_step = (1 + corrector_iters) as f64;
    ((n_steps as f64 * per_step / per_snapshot).sqrt().round() as usize).clamp(1, n_steps.max(1))
}

/// `acc + w·x`, skipping zero weights.
fn axpy(acc: Option<Tensor<1>>, w: f64, x: &Tensor<1>) -> Option<Tensor<1>> {
    if w == 0.0 {
        return acc;
    }
    let t = x.clone().mul_scalar(w);
    Some(match acc {
        Some(a) => a + t,
        None => t,
    })
}

/// `acc + t`.
fn add(acc: Option<Tensor<1>>, t: Tensor<1>) -> Tensor<1> {
    match acc {
        Some(a) => a + t,
        None => t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::to_vec;

    pub(super) fn rows(n: usize, d: usize) -> Vec<Vec<f64>> {
        (0..n).map(|j| (0..d).map(|c| ((j * 7 + c * 3) as f64 * 0.37).sin() + 0.5).collect()).collect()
    }

    pub(super) fn close(a: Option<Tensor<1>>, b: Option<Tensor<1>>, what: &str) {
        let (a, b) = (a.map(to_vec).unwrap_or_default(), b.map(to_vec).unwrap_or_default());
        let scale = a.iter().chain(&b).fold(1e-300f64, |m, x| m.max(x.abs()));
        let n = a.len().max(b.len());
        for i in 0..n {
            let (x, y) = (a.get(i).copied().unwrap_or(0.0), b.get(i).copied().unwrap_or(0.0));
            assert!((x - y).abs() <= 1e-13 * scale, "{what}[{i}]: {x} vs {y}");
        }
    }

    #[test]
    fn mode_count_grows_like_log_n() {
        // The counts the module docs quote (α = 0.6, N = 10⁴), and slow growth in N.
        for (tol, q_doc) in [(1e-6, 35), (1e-10, 72)] {
            let q = |n: usize| soe_kernel(0.6, 1.0 / n as f64, n, tol).len();
            assert_eq!(q(10_000), q_doc, "tol {tol:e}");
            let (q1, q4) = (q(1000), q(4000));
            assert!(q4 > q1 && q4 - q1 <= 4, "tol {tol:e}: Q(1000) = {q1}, Q(4000) = {q4}");
        }
    }
}
