//! Fast history for the Volterra-form schemes (predictor, ABM) and the L1 scheme: the far past
//! through `Q` sum-of-exponentials modes, so a solve costs `O(N·Q·d)` time and `O((Q + w)·d)`
//! history memory instead of `O(N²·d)` and `O(N·d)` ([`super::History::Fast`]).
//!
//! # The scheme
//!
//! Both history sums of a Volterra scheme, `Σ_{j<n} B(n,j) f_j` (product rectangle) and
//! `Σ_{j<n} A(n,j) f_j` (product trapezoid), are exact integrals `I^α f̃(t_n)` of an
//! interpolant `f̃` of the `f_j` against the kernel `(t_n − τ)^{α−1}/Γ(α)`. Split the cells by
//! their distance from `t_n`:
//!
//! * the last [`WINDOW`] cells keep their exact weights (a ring buffer of `w = WINDOW` rows);
//! * older cells see the kernel only at distances `t_n − τ ∈ [w h, T]`, where it is replaced by
//!   the sum of exponentials `t^{−γ} ≈ Σ_q w_q e^{−s_q t}` of [`SoeKernel::new`]
//!   (`γ = 1 − α`, `δ = w h`, `T = t_N − t_0`, relative error `≤ tol` on `[δ, T]`).
//!
//! With `d_q = e^{−s_q h}`, every old cell's weight is then a geometric sequence in its lag, so
//! one set of modes `Z_q(n) = Σ_{j ≤ n−1−w} d_q^{n−1−w−j} f_j` serves both sums,
//!
//! $$ Z_q(n+1) = d_q Z_q(n) + f_{n-w}, \qquad
//!    \textstyle\sum_{j \le n-1-w} B(n,j) f_j \approx \sum_q r^B_q Z_q(n), $$
//!
//! with `r^B_q` the rectangle injection of [`SoeKernel::rect_history_weights`] over `Γ(α)`; the
//! trapezoid readout is `r^A_q = (ι^L_q + ι^R_q d_q)/Γ(α)` from
//! [`SoeKernel::trap_history_weights`]. Two corrections make the trapezoid exact in structure:
//! the node on the window edge (lag `w`) also receives the right-end share `ρ = Σ_q ι^R_q/Γ(α)`
//! of the first mode cell (its exact part is the left-end cell weight `L_{w−1}`), and `f_0`, the
//! left end of cell 0 only, has no right-end share: the readout over-counts it by
//! `Σ_q ι^R_q d_q^{n−w}/Γ(α)`, which is subtracted (`f_0` is kept as one extra row). This is the
//! `j = 0` column of the Diethelm–Ford–Freed weights, `c·a_{0,n} = L_{n−1}`.
//!
//! Per step: one batched update `modes = modes * decay[Q,1] + f_row[1,d]` and one readout
//! `r[1,Q] · modes[Q,d]` per sum — `O(Q·d)` work in three tensor operations, on CPU and GPU
//! alike. The fast scheme *is* the forward map (results differ from the dense scheme by about
//! `tol` relative, test `fast_history_matches_dense_within_tolerance`); in exact arithmetic it
//! equals the dense engine run with the Toeplitz-plus-first-column kernel the modes represent
//! (unit test `fast_sums_equal_dense_sums_with_the_represented_kernel`).
//!
//! # Gradients
//!
//! The discrete adjoint needs the transposed, anti-causal sums
//! `f̄_j = Σ_{m>j} B(m,j) p̄_m + A(m,j) S̄_m`. For the represented kernel they are the same
//! recurrence run backward in time: `V_q(j−1) = d_q V_q(j) + r^B_q p̄_{j+w} + r^A_q S̄_{j+w}`,
//! read out with ones, plus the exact window and the transposed `f_0` correction (unit test
//! `fast_transpose_equals_dense_transpose_with_the_represented_kernel`). `DiscreteAdjoint` with
//! fast history therefore equals `Direct` through the fast forward to rounding (test
//! `fast_discrete_adjoint_matches_direct_to_roundoff`), in `O(N·Q·d)` work.
//! The fast scheme's whole state is `(modes, window)`, so
//! [`crate::grad::Method::Checkpointed`] keeps only `S` snapshots of it and replays one segment
//! at a time for that adjoint: `O(√N·d)` gradient memory with [`checkpoint_segments`]
//! ([`crate::grad::fde_checkpoint`]).
//! `∂L/∂α` is not available with fast history (`Grads::alpha` is `None`): the SOE nodes, weights
//! and their number depend on `γ = 1 − α` through the construction of [`SoeKernel::new`] and
//! are not differentiated.
//!
//! # Order
//! Unchanged: the kernel error `tol` adds `O(tol)` to the scheme's `O(h^p)` error (test
//! `fast_history_keeps_the_order_of_convergence`).
//!
//! # Cost
//! Time `O(N·(Q + w)·d)` for the history plus the scheme's field evaluations; history memory
//! `(Q + w + 1)·d` numbers. `Q` grows like `ln(1/tol)·ln(N/w)`: 35 modes for `tol = 1e-6`
//! and 72 for `tol = 1e-10` at `N = 10⁴`, `α = 0.6`, two to three more per factor 4 in `N`
//! (unit test `mode_count_grows_like_log_n`). So the memory is independent of `N` up to that
//! logarithm (test `fast_history_memory_is_independent_of_n`).
//!
//! # Derivative-form schemes
//! **L1** (lagged and new point, Caputo) is covered. Its weights are second differences of
//! `g(x) = x^{1−α}` (step units), `toe[m] = ∫_{−1}^{1} (1−|τ|) g''(m+τ) dτ` with
//! `g'' = −α(1−α) x^{−1−α}`; with the SOE of `x^{−1−α}` on `[w, N + 1]` (`γ = 1 + α`) every lag
//! `m > w` becomes `Σ_q c_q e^{−s_q (m−w−1)}`, `c_q = −α(1−α) w_q ((1 − e^{−s_q})/s_q)² e^{−s_q w}`
//! (the hat integral in closed form, stable as `s → 0`; Jiang et al. 2017). The integrand has
//! one sign, so every far lag has relative error `≤ tol` (unit test
//! `l1_represented_kernel_is_the_dense_one_within_tol`). The plan (`L1Plan`) is a Toeplitz
//! `FastPlan` (window `toe[1..=w]`, decays `e^{−s_q}`, readouts `c_q`) plus the first column
//! `d(n,0) = −a_{n−1}`, kept exact for every `n` with `u_0` as one extra row, so the same
//! `SoeHistory` / `SoeAdjoint` run the forward sum `R_n = Σ_{j<n} d(n,j) u_j` and its
//! transpose (`L1History`, `L1Adjoint`; unit test
//! `l1_fast_sums_equal_dense_sums_with_the_represented_kernel`); the adjoint's Caputo shift
//! term uses the represented row sums in closed form. At `α = 1` the far lags are zero (one
//! mode with `c = 0`): fast equals dense to rounding (test `fast_history_is_exact_at_alpha_one`).
//! `DiscreteAdjoint` equals `Direct` through the fast L1 solve to rounding (test
//! `fast_discrete_adjoint_matches_direct_to_roundoff`), without `∂L/∂α`; `ContinuousAdjoint`
//! reads only the stored states and works; `Checkpointed` and `PaperAdjoint` with fast L1 are
//! [`crate::Error::Unsupported`] (no snapshot engine / fast reversed solve for the derivative
//! form yet; test `fast_l1_gradient_methods_work_or_are_rejected`).
//!
//! Grünwald–Letnikov, the product trapezoid (finite-part) rule and multi-term are rejected
//! with [`crate::Error::Unsupported`]: not built yet. They are not out of reach. The GL
//! weights `g_j = (−1)^j C(α, j)` are, for `j ≥ 1`, moments of a positive measure,
//! `g_j = −(sin πα/π) ∫_0^1 x^{j−α−1} (1−x)^α dx` (a Beta integral), so a quadrature of that
//! integral in `ln x` gives an exponential sum in `j` with one-signed error — the construction
//! used here, on a different integral (checked numerically against `(−1)^j C(α, j)`);
//! multi-term needs one such sum per order; and the finite-part trapezoid rows differ from
//! L1's only in the first entry ([`super::weights::finite_part_row`]), so L1's plan with
//! that first column would cover it. (An earlier version of this page said GL had no SOE form;
//! that was wrong.)
//!
//! # Example
//! ```
//! use burn::tensor::{Device, Tensor};
//! use caputo::fde::{solve, History, Scheme};
//! use caputo::field::FnField;
//! let dev = Device::flex();
//! let field = FnField::new(|_t: f64, y: Tensor<1>| -y);
//! let y0 = Tensor::<1>::from_floats([1.0], &dev);
//! let abm = Scheme::Abm { corrector_iters: 1 };
//! let fast = solve(&field, y0.clone(), 0.5, &[0.0, 1.0], 512, &abm, History::Fast { tol: 1e-6 }).unwrap();
//! let dense = solve(&field, y0, 0.5, &[0.0, 1.0], 512, &abm, History::Dense).unwrap();
//! let (a, b) = (caputo::tensor::scalar(fast.y[1].clone()), caputo::tensor::scalar(dense.y[1].clone()));
//! assert!((a - b).abs() < 1e-5);
//! ```
//!
//! # References
//! S. Jiang, J. Zhang, Q. Zhang, Z. Zhang, *Fast evaluation of the Caputo fractional derivative
//! and its applications to fractional diffusion equations*, Commun. Comput. Phys. 21 (2017)
//! 650–678; D. Baffet, J. S. Hesthaven, *A kernel compression scheme for fractional
//! differential equations*, SIAM J. Numer. Anal. 55 (2017) 496–520; reference notes `fde.md`
//! §4a–4b.

use std::collections::VecDeque;

use burn::tensor::Tensor;

use super::kernel::Kernel;
use super::soe::{SoeKernel, product_trapezoid_cell_weights};
use crate::special::gamma;
use crate::tensor::from_vec_like;

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

/// The number of segments for [`crate::grad::Method::Checkpointed`] with fast history that
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

/// The coefficients of the fast history of one Volterra scheme on one grid: exact window
/// weights, mode decays and readouts.
#[derive(Debug, Clone)]
pub(crate) struct FastPlan {
    h: f64,
    /// `s_q` (for the `f_0` correction).
    rate: Vec<f64>,
    /// `e^{−s_q h}`.
    decay: Vec<f64>,
    /// `r^B_q`: rectangle readout.
    read_b: Vec<f64>,
    /// `r^A_q`: trapezoid readout (ABM only).
    read_a: Option<Vec<f64>>,
    /// `ι^R_q/Γ(α)`: right-end injection (ABM only).
    right: Vec<f64>,
    /// `B` at lags `1..=WINDOW`.
    b_win: Vec<f64>,
    /// `A` at lags `1..=WINDOW` for `j ≥ 1` (the edge lag includes `ρ`).
    a_win: Vec<f64>,
    /// `A(n, 0)` for `n ≤ WINDOW`.
    a_col0: Vec<f64>,
}

impl FastPlan {
    /// The plan for the kernels `b` (and `a`) of a Volterra scheme of order `alpha` on
    /// `n_steps` steps of size `h`, with kernel accuracy `tol`.
    pub(crate) fn new(alpha: f64, h: f64, n_steps: usize, tol: f64, b: &Kernel<f64>, a: Option<&Kernel<f64>>) -> Self {
        let w = WINDOW;
        let soe = soe_kernel(alpha, h, n_steps, tol);
        // 1/Γ(α) as a product: the readouts are reused every step.
        let inv_g = 1.0 / gamma(alpha);
        let rect = soe.rect_history_weights(h, w);
        let read_b = rect.inject.iter().map(|x| x * inv_g).collect();
        let lag = |k: &Kernel<f64>, m: usize| k.toe.get(m).copied().unwrap_or(0.0);
        let b_win = (1..=w).map(|m| lag(b, m)).collect();
        let (read_a, right, a_win, a_col0) = match a {
            Some(a) => {
                let trap = soe.trap_history_weights(h, w);
                let read_a = (0..soe.len())
                    .map(|q| (trap.inject_left[q] + trap.inject_right[q] * trap.decay[q]) * inv_g)
                    .collect();
                let right: Vec<f64> = trap.inject_right.iter().map(|x| x * inv_g).collect();
                let rho: f64 = right.iter().sum();
                let (left_edge, _) = product_trapezoid_cell_weights(alpha, h, w - 1);
                let a_win = (1..=w).map(|m| if m < w { lag(a, m) } else { left_edge + rho }).collect();
                let a_col0 = (0..=w).map(|n| if n == 0 || n > n_steps { 0.0 } else { a.at(n, 0) }).collect();
                (Some(read_a), right, a_win, a_col0)
            }
            None => (None, vec![], vec![], vec![]),
        };
        Self { h, rate: soe.s.clone(), decay: rect.decay, read_b, read_a, right, b_win, a_win, a_col0 }
    }

    /// Number of modes `Q`.
    pub(crate) fn modes(&self) -> usize {
        self.decay.len()
    }

    /// Exact-window weight of `A` for the node at lag `k ∈ 1..=WINDOW` in row `n`.
    fn a_weight(&self, n: usize, k: usize) -> f64 {
        if n == k { self.a_col0[n] } else { self.a_win[k - 1] }
    }

    /// What the trapezoid readout over-counts `f_0` by in row `n > WINDOW`.
    fn col0_excess(&self, n: usize) -> f64 {
        let dist = (n - WINDOW) as f64 * self.h;
        self.rate.iter().zip(&self.right).map(|(s, r)| r * (-s * dist).exp()).sum()
    }

    /// The dense kernels `(B, A)` this plan represents on `n_steps` steps (`a_diag`: the
    /// corrector's diagonal weight) — the oracle of the unit tests.
    #[cfg(test)]
    fn represented(&self, n_steps: usize, a_diag: f64) -> (Kernel<f64>, Option<Kernel<f64>>) {
        let w = WINDOW;
        let far = |r: &[f64], k: usize| -> f64 {
            r.iter().zip(&self.decay).map(|(r, d)| r * d.powi((k - 1 - w) as i32)).sum()
        };
        let b = (0..=n_steps)
            .map(|k| {
                if k == 0 {
                    0.0
                } else if k <= w {
                    self.b_win[k - 1]
                } else {
                    far(&self.read_b, k)
                }
            })
            .collect();
        let b = Kernel { toe: b, col0: None };
        let a = self.read_a.as_ref().map(|ra| {
            let toe = (0..=n_steps)
                .map(|k| {
                    if k == 0 {
                        a_diag
                    } else if k <= w {
                        self.a_win[k - 1]
                    } else {
                        far(ra, k)
                    }
                })
                .collect();
            let col0 =
                (0..=n_steps).map(|n| if n <= w { self.a_col0[n] } else { far(ra, n) - self.col0_excess(n) }).collect();
            Kernel { toe, col0: Some(col0) }
        });
        (b, a)
    }
}

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

fn add(acc: Option<Tensor<1>>, t: Tensor<1>) -> Tensor<1> {
    match acc {
        Some(a) => a + t,
        None => t,
    }
}

/// `[rows, cols]` constant on the device and in the dtype of `like`.
fn constant(v: &[f64], shape: [usize; 2], like: &Tensor<1>) -> Tensor<2> {
    from_vec_like(v.to_vec(), shape, like)
}

/// The causal fast history `Σ_{j<n} B(n,j) f_j` (and `A`) of the forward march.
#[derive(Debug, Clone)]
pub(crate) struct SoeHistory {
    /// Shared, so a snapshot of the history (checkpointing) copies only its tensors.
    plan: std::sync::Arc<FastPlan>,
    /// Newest first: `ring[k−1] = f_{n−k}`.
    ring: VecDeque<Tensor<1>>,
    /// `Z [Q, d]` once a row has left the window.
    modes: Option<Tensor<2>>,
    /// `f_0`, for the corrector's `j = 0` column.
    first: Option<Tensor<1>>,
    /// `(decay [Q,1], r^B [1,Q], r^A [1,Q])` on the rows' device.
    consts: Option<(Tensor<2>, Tensor<2>, Option<Tensor<2>>)>,
    len: usize,
}

impl SoeHistory {
    pub(crate) fn new(plan: FastPlan) -> Self {
        Self {
            plan: std::sync::Arc::new(plan),
            ring: VecDeque::with_capacity(WINDOW + 1),
            modes: None,
            first: None,
            consts: None,
            len: 0,
        }
    }

    /// Appends `f_n` (`n` = rows pushed so far).
    pub(crate) fn push(&mut self, row: Tensor<1>) {
        if self.len == 0 && self.plan.read_a.is_some() {
            self.first = Some(row.clone());
        }
        self.ring.push_front(row);
        self.len += 1;
        if self.ring.len() > WINDOW {
            let old = self.ring.pop_back().expect("ring holds WINDOW + 1 rows");
            let d = old.dims()[0];
            let q = self.plan.modes();
            let (decay, _, _) = self.consts.get_or_insert_with(|| {
                let p = &self.plan;
                (
                    constant(&p.decay, [q, 1], &old),
                    constant(&p.read_b, [1, q], &old),
                    p.read_a.as_ref().map(|r| constant(r, [1, q], &old)),
                )
            });
            let old = old.reshape([1, d]);
            self.modes = Some(match self.modes.take() {
                Some(z) => z * decay.clone() + old,
                None => old.repeat_dim(0, q),
            });
        }
    }

    fn readout(&self, r: &Tensor<2>) -> Option<Tensor<1>> {
        self.modes.as_ref().map(|z| {
            let d = z.dims()[1];
            r.clone().matmul(z.clone()).reshape([d])
        })
    }

    /// `Σ_{j<n} B(n,j) f_j` for `n` = rows pushed; `None` when empty.
    pub(crate) fn sum_b(&self) -> Option<Tensor<1>> {
        let mut acc = None;
        for (k, f) in self.ring.iter().enumerate() {
            acc = axpy(acc, self.plan.b_win[k], f);
        }
        match self.consts.as_ref().and_then(|(_, rb, _)| self.readout(rb)) {
            Some(far) => Some(add(acc, far)),
            None => acc,
        }
    }

    /// `Σ_{j<n} A(n,j) f_j` for `n` = rows pushed (ABM corrector history).
    pub(crate) fn sum_a(&self) -> Option<Tensor<1>> {
        let n = self.len;
        let mut acc = None;
        for (k, f) in self.ring.iter().enumerate() {
            acc = axpy(acc, self.plan.a_weight(n, k + 1), f);
        }
        let far = self.consts.as_ref().and_then(|(_, _, ra)| ra.as_ref()).and_then(|ra| self.readout(ra));
        match (far, &self.first) {
            (Some(far), Some(f0)) => {
                let acc = axpy(acc, -self.plan.col0_excess(n), f0);
                Some(add(acc, far))
            }
            _ => acc,
        }
    }

    /// Bytes held: modes, window and `f_0`.
    pub(crate) fn bytes(&self) -> usize {
        use crate::tensor::bytes;
        self.modes.as_ref().map_or(0, bytes)
            + self.ring.iter().map(bytes).sum::<usize>()
            + self.first.as_ref().map_or(0, bytes)
    }
}

/// The anti-causal fast sums `f̄_j = Σ_{m>j} B(m,j) p̄_m + A(m,j) S̄_m` of the reverse sweep:
/// the transpose of `SoeHistory`.
#[derive(Debug, Clone)]
pub(crate) struct SoeAdjoint {
    plan: FastPlan,
    n_steps: usize,
    /// Newest first: `ring[k−1] = (p̄_{j+k}, S̄_{j+k})`.
    ring: VecDeque<(Tensor<1>, Option<Tensor<1>>)>,
    /// `V [Q, d]` once a row has left the window.
    modes: Option<Tensor<2>>,
    /// `Σ_{m>WINDOW} excess(m) S̄_m`: the transposed `f_0` correction.
    excess: Option<Tensor<1>>,
    /// `(decay [Q,1], injection [Q, 1 or 2], ones [1,Q])` on the rows' device.
    consts: Option<(Tensor<2>, Tensor<2>, Tensor<2>)>,
    len: usize,
}

impl SoeAdjoint {
    pub(crate) fn new(plan: FastPlan, n_steps: usize) -> Self {
        Self {
            plan,
            n_steps,
            ring: VecDeque::with_capacity(WINDOW + 1),
            modes: None,
            excess: None,
            consts: None,
            len: 0,
        }
    }

    /// Appends `(p̄_m, S̄_m)` for `m = N, N−1, …` in turn.
    pub(crate) fn push(&mut self, p_bar: Tensor<1>, s_bar: Option<Tensor<1>>) {
        self.ring.push_front((p_bar, s_bar));
        self.len += 1;
        if self.ring.len() > WINDOW {
            let (p, s) = self.ring.pop_back().expect("ring holds WINDOW + 1 rows");
            let m = self.n_steps + 1 + WINDOW - self.len;
            let d = p.dims()[0];
            let q = self.plan.modes();
            let (decay, inject, _) = self.consts.get_or_insert_with(|| {
                let pl = &self.plan;
                let inj: Vec<f64> = match &pl.read_a {
                    Some(ra) => pl.read_b.iter().zip(ra).flat_map(|(b, a)| [*b, *a]).collect(),
                    None => pl.read_b.clone(),
                };
                let cols = inj.len() / q;
                (constant(&pl.decay, [q, 1], &p), constant(&inj, [q, cols], &p), constant(&vec![1.0; q], [1, q], &p))
            });
            let x: Tensor<2> = match &s {
                Some(s) => Tensor::stack(vec![p, s.clone()], 0),
                None => p.reshape([1, d]),
            };
            // Predictor: one column, an outer product as a broadcast multiply (a k = 1 matmul
            // is slower on CPU backends).
            let new = if inject.dims()[1] == 1 { inject.clone() * x } else { inject.clone().matmul(x) };
            self.modes = Some(match self.modes.take() {
                Some(v) => v * decay.clone() + new,
                None => new,
            });
            if let Some(s) = s {
                let e = s.mul_scalar(self.plan.col0_excess(m));
                self.excess = Some(match self.excess.take() {
                    Some(x) => x + e,
                    None => e,
                });
            }
        }
    }

    /// `f̄_j` for `j = N − (rows pushed)`; `None` when no row contributes.
    pub(crate) fn sum(&self, j: usize) -> Option<Tensor<1>> {
        debug_assert_eq!(j + self.len, self.n_steps, "transposed history read out of order; this is a bug");
        let mut acc = None;
        for (k, (p, s)) in self.ring.iter().enumerate() {
            acc = axpy(acc, self.plan.b_win[k], p);
            if let Some(s) = s {
                acc = axpy(acc, self.plan.a_weight(j + k + 1, k + 1), s);
            }
        }
        if let (Some(v), Some((_, _, ones))) = (&self.modes, &self.consts) {
            let d = v.dims()[1];
            // Σ_q V_q as a [1, Q] × [Q, d] product: contiguous rows, like the forward readout.
            acc = Some(add(acc, ones.clone().matmul(v.clone()).reshape([d])));
            if let (0, Some(e)) = (j, &self.excess) {
                acc = acc.map(|a| a - e.clone());
            }
        }
        acc
    }

    /// Bytes held: modes, window and the `f_0` accumulator.
    pub(crate) fn bytes(&self) -> usize {
        use crate::tensor::bytes;
        let ring: usize = self.ring.iter().map(|(p, s)| bytes(p) + s.as_ref().map_or(0, bytes)).sum();
        self.modes.as_ref().map_or(0, bytes) + ring + self.excess.as_ref().map_or(0, bytes)
    }
}

/// The sum of exponentials of the L1 kernel's far lags: per mode `(s_q, c_q)` in step units,
/// so that `toe[m] ≈ Σ_q c_q e^{−s_q (m − WINDOW − 1)}` for `m > WINDOW`, each lag to relative
/// error `tol`. From the second-difference identity
/// `toe[m] = ∫_{−1}^{1} (1 − |τ|) g''(m + τ) dτ`, `g(x) = x^{1−α}`, `g'' = −α(1−α) x^{−1−α}`, and
/// the SOE `x^{−1−α} ≈ Σ_q w_q e^{−s_q x}` on `[WINDOW, N + 1]` (every far lag sees `m + τ` there):
/// `c_q = −α(1−α) w_q ((1 − e^{−s_q})/s_q)² e^{−s_q WINDOW}` (`= ∫(1−|τ|)e^{−s(τ + WINDOW + 1)}dτ`;
/// the square is `1` at `s = 0`). The integrand has one sign, so the pointwise relative error
/// `tol` of the SOE is the relative error of every lag. At `α = 1` the far lags vanish: one mode
/// with `c = 0`.
fn l1_modes(alpha: f64, n_steps: usize, tol: f64) -> (Vec<f64>, Vec<f64>) {
    let scale = alpha * (1.0 - alpha);
    if scale <= 0.0 {
        return (vec![0.0], vec![0.0]);
    }
    let delta = WINDOW as f64;
    let t_max = (n_steps.max(WINDOW + 1) + 1) as f64;
    let soe = SoeKernel::new(1.0 + alpha, delta, t_max, tol);
    let coef = soe
        .s
        .iter()
        .zip(&soe.w)
        .map(|(&s, &w)| {
            let cell = if s == 0.0 { 1.0 } else { -(-s).exp_m1() / s };
            -scale * w * cell * cell * (-s * delta).exp()
        })
        .collect();
    (soe.s.clone(), coef)
}

/// The fast history of the L1 scheme's sum `R_n = Σ_{j<n} d(n,j) u_j`: the Toeplitz part
/// (lags `1..=WINDOW` exact, older lags through the modes of [`l1_modes`]) as a `FastPlan`,
/// and the first column `d(n, 0) = −a_{n−1}` exact for every `n` (`u_0` is kept as one row).
#[derive(Debug, Clone)]
pub(crate) struct L1Plan {
    toe: FastPlan,
    /// `1 − α`.
    p: f64,
}

impl L1Plan {
    /// The plan for `n_steps` steps with kernel accuracy `tol`; `d` is the L1 kernel with at
    /// least the lags `≤ min(n_steps, WINDOW)`.
    pub(crate) fn new(alpha: f64, n_steps: usize, tol: f64, d: &Kernel<f64>) -> Self {
        let (rate, read_b) = l1_modes(alpha, n_steps, tol);
        let decay = rate.iter().map(|s| (-s).exp()).collect();
        let b_win = (1..=WINDOW).map(|m| d.toe.get(m).copied().unwrap_or(0.0)).collect();
        let toe =
            FastPlan { h: 1.0, rate, decay, read_b, read_a: None, right: vec![], b_win, a_win: vec![], a_col0: vec![] };
        Self { toe, p: 1.0 - alpha }
    }

    /// `d(n, 0)`, as [`super::l1::l1_kernel`] computes it.
    fn col0(&self, n: usize) -> f64 {
        if n == 0 { 0.0 } else { -super::weights::diff1(self.p, n - 1) }
    }

    /// The represented Toeplitz weight at lag `m ≥ 1`.
    #[cfg(test)]
    fn lag(&self, m: usize) -> f64 {
        if m <= WINDOW {
            self.toe.b_win[m - 1]
        } else {
            let k = (m - 1 - WINDOW) as i32;
            self.toe.read_b.iter().zip(&self.toe.decay).map(|(c, d)| c * d.powi(k)).sum()
        }
    }

    /// `Σ_{j<n} d(n, j)` of the represented kernel (the Caputo shift term of the adjoint).
    pub(crate) fn row_sum(&self, n: usize) -> f64 {
        if n == 0 {
            return 0.0;
        }
        let near: f64 = (1..n.min(WINDOW + 1)).map(|m| self.toe.b_win[m - 1]).sum();
        // Far lags WINDOW+1..=n−1: Σ_{k<K} ρ^k = expm1(−sK)/expm1(−s) (K for s = 0).
        let far = match (n - 1).checked_sub(WINDOW) {
            Some(k) if k > 0 => self
                .toe
                .read_b
                .iter()
                .zip(&self.toe.rate)
                .map(|(c, &s)| c * if s == 0.0 { k as f64 } else { (-s * k as f64).exp_m1() / (-s).exp_m1() })
                .sum(),
            _ => 0.0,
        };
        near + far + self.col0(n)
    }

    /// The dense kernel this plan represents on `n_steps` steps — the oracle of the unit tests.
    #[cfg(test)]
    fn represented(&self, n_steps: usize) -> Kernel<f64> {
        let toe = (0..=n_steps).map(|m| if m == 0 { 1.0 } else { self.lag(m) }).collect();
        Kernel { toe, col0: Some((0..=n_steps).map(|n| self.col0(n)).collect()) }
    }
}

/// The causal fast sum `R_n = Σ_{j<n} d(n,j) u_j` of the L1 scheme's forward march.
#[derive(Debug, Clone)]
pub(crate) struct L1History {
    plan: L1Plan,
    /// The Toeplitz part over `u_1, u_2, …` (a zero row stands for `u_0`).
    toe: SoeHistory,
    /// `u_0`, weighted by the exact first column.
    first: Option<Tensor<1>>,
    len: usize,
}

impl L1History {
    pub(crate) fn new(plan: L1Plan) -> Self {
        let toe = SoeHistory::new(plan.toe.clone());
        Self { plan, toe, first: None, len: 0 }
    }

    /// Appends `u_n` (`n` = rows pushed so far).
    pub(crate) fn push(&mut self, row: Tensor<1>) {
        if self.len == 0 {
            self.toe.push(row.zeros_like());
            self.first = Some(row);
        } else {
            self.toe.push(row);
        }
        self.len += 1;
    }

    /// `R_n` for `n` = rows pushed; `None` when empty.
    pub(crate) fn sum(&self) -> Option<Tensor<1>> {
        let acc = self.toe.sum_b();
        match &self.first {
            Some(u0) => axpy(acc, self.plan.col0(self.len), u0),
            None => acc,
        }
    }

    /// Bytes held: modes, window and `u_0`.
    pub(crate) fn bytes(&self) -> usize {
        self.toe.bytes() + self.first.as_ref().map_or(0, crate::tensor::bytes)
    }
}

/// The anti-causal fast sums `ū_j = Σ_{m>j} d(m,j) R̄_m` of the L1 reverse sweep: the transpose
/// of `L1History`.
#[derive(Debug, Clone)]
pub(crate) struct L1Adjoint {
    plan: L1Plan,
    toe: SoeAdjoint,
    /// `Σ_m d(m, 0) R̄_m` over the rows pushed.
    col0: Option<Tensor<1>>,
    n_steps: usize,
    len: usize,
}

impl L1Adjoint {
    pub(crate) fn new(plan: L1Plan, n_steps: usize) -> Self {
        let toe = SoeAdjoint::new(plan.toe.clone(), n_steps);
        Self { plan, toe, col0: None, n_steps, len: 0 }
    }

    /// Appends `R̄_m` for `m = N, N−1, …` in turn.
    pub(crate) fn push(&mut self, r_bar: Tensor<1>) {
        let m = self.n_steps - self.len;
        self.col0 = axpy(self.col0.take(), self.plan.col0(m), &r_bar);
        self.toe.push(r_bar, None);
        self.len += 1;
    }

    /// `ū_j` for `j = N − (rows pushed)`; `None` when no row contributes.
    pub(crate) fn sum(&self, j: usize) -> Option<Tensor<1>> {
        if j == 0 { self.col0.clone() } else { self.toe.sum(j) }
    }

    /// `Σ_{j<n} d(n, j)` of the represented kernel.
    pub(crate) fn row_sum(&self, n: usize) -> f64 {
        self.plan.row_sum(n)
    }

    /// Bytes held: modes, window and the first-column accumulator.
    pub(crate) fn bytes(&self) -> usize {
        self.toe.bytes() + self.col0.as_ref().map_or(0, crate::tensor::bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fde::abm::corrector_kernel;
    use crate::fde::history::RowStore;
    use crate::fde::predictor::predictor_kernel;
    use crate::tensor::{from_vec, to_vec};
    use crate::testkit::f64_device;

    fn rows(n: usize, d: usize) -> Vec<Vec<f64>> {
        (0..n).map(|j| (0..d).map(|c| ((j * 7 + c * 3) as f64 * 0.37).sin() + 0.5).collect()).collect()
    }

    fn close(a: Option<Tensor<1>>, b: Option<Tensor<1>>, what: &str) {
        let (a, b) = (a.map(to_vec).unwrap_or_default(), b.map(to_vec).unwrap_or_default());
        let scale = a.iter().chain(&b).fold(1e-300f64, |m, x| m.max(x.abs()));
        let n = a.len().max(b.len());
        for i in 0..n {
            let (x, y) = (a.get(i).copied().unwrap_or(0.0), b.get(i).copied().unwrap_or(0.0));
            assert!((x - y).abs() <= 1e-13 * scale, "{what}[{i}]: {x} vs {y}");
        }
    }

    #[test]
    fn fast_sums_equal_dense_sums_with_the_represented_kernel() {
        let dev = f64_device().inner();
        let (n_steps, h) = (60, 0.05);
        let data = rows(n_steps + 1, 3);
        for alpha in [0.3, 0.6, 1.0] {
            let b = predictor_kernel(alpha, h, n_steps);
            let a = corrector_kernel(alpha, h, n_steps);
            let plan = FastPlan::new(alpha, h, n_steps, 1e-8, &b, Some(&a));
            let (rb, ra) = plan.represented(n_steps, a.toe[0]);
            let ra = ra.unwrap();
            let mut fast = SoeHistory::new(plan);
            let mut dense = RowStore::new();
            for (n, row) in data.iter().enumerate() {
                if n > 0 {
                    close(fast.sum_b(), dense.weighted_sum(0, &rb.row(n, 0)), &format!("α={alpha} B row {n}"));
                    close(fast.sum_a(), dense.weighted_sum(0, &ra.row(n, 0)), &format!("α={alpha} A row {n}"));
                }
                let r = from_vec(row.clone(), [3], &dev);
                fast.push(r.clone());
                dense.push(r);
            }
            // The represented kernel is the dense one up to the SOE error.
            for m in 1..=n_steps {
                assert!((rb.toe[m] - b.toe[m]).abs() <= 1e-8 * b.toe[m], "α={alpha} B lag {m}");
                assert!((ra.toe[m] - a.toe[m]).abs() <= 1e-8 * a.toe[m], "α={alpha} A lag {m}");
                assert!((ra.at(m, 0) - a.at(m, 0)).abs() <= 1e-8 * a.at(m, 0), "α={alpha} A col0 {m}");
            }
        }
    }

    #[test]
    fn fast_transpose_equals_dense_transpose_with_the_represented_kernel() {
        let dev = f64_device().inner();
        let (n_steps, h) = (40, 0.1);
        let data = rows(2 * (n_steps + 1), 2);
        for (alpha, corrector) in [(0.4, false), (0.4, true), (0.9, true)] {
            let b = predictor_kernel(alpha, h, n_steps);
            let a = corrector_kernel(alpha, h, n_steps);
            let plan = FastPlan::new(alpha, h, n_steps, 1e-10, &b, corrector.then_some(&a));
            let (rb, ra) = plan.represented(n_steps, a.toe[0]);
            let mut fast = SoeAdjoint::new(plan, n_steps);
            let (mut dp, mut ds) = (RowStore::new(), RowStore::new());
            for j in (0..=n_steps).rev() {
                let start = 0;
                let mut want = dp.weighted_sum(start, &rb.col_rev(j, n_steps));
                if let Some(x) = ra.as_ref().and_then(|ra| ds.weighted_sum(start, &ra.col_rev(j, n_steps))) {
                    want = Some(add(want, x));
                }
                close(fast.sum(j), want, &format!("α={alpha} corrector={corrector} column {j}"));
                let p = from_vec(data[2 * j].clone(), [2], &dev);
                let s = from_vec(data[2 * j + 1].clone(), [2], &dev);
                dp.push(p.clone());
                ds.push(s.clone());
                fast.push(p, corrector.then_some(s));
            }
        }
    }

    #[test]
    fn l1_represented_kernel_is_the_dense_one_within_tol() {
        for alpha in [0.1, 0.3, 0.7, 0.95, 1.0] {
            for (n_steps, tol) in [(50, 1e-6), (3000, 1e-10)] {
                let d = crate::fde::l1::l1_kernel(alpha, n_steps);
                let plan = L1Plan::new(alpha, n_steps, tol, &d);
                let rep = plan.represented(n_steps);
                let mut worst = 0.0f64;
                for m in 1..=n_steps {
                    let e = (rep.toe[m] - d.toe[m]).abs();
                    if alpha == 1.0 {
                        assert!(e <= 1e-15, "α=1 lag {m}: {} vs {}", rep.toe[m], d.toe[m]);
                    } else {
                        worst = worst.max(e / d.toe[m].abs());
                    }
                    assert_eq!(rep.at(m, 0), d.at(m, 0), "α={alpha} col0 {m}");
                }
                assert!(worst <= tol, "α={alpha} N={n_steps} tol={tol:e}: worst relative lag error {worst:e}");
                // The closed-form row sums equal the represented rows' sums.
                for n in [1, 3, WINDOW, WINDOW + 1, WINDOW + 2, n_steps / 2, n_steps] {
                    let want: f64 = rep.row(n, 0).iter().sum();
                    let got = plan.row_sum(n);
                    assert!((got - want).abs() <= 1e-13 * (1.0 + want.abs()), "α={alpha} row {n}: {got} vs {want}");
                }
            }
        }
    }

    #[test]
    fn l1_fast_sums_equal_dense_sums_with_the_represented_kernel() {
        let dev = f64_device().inner();
        let n_steps = 60;
        let data = rows(2 * (n_steps + 1), 3);
        for alpha in [0.3, 0.7, 1.0] {
            let d = crate::fde::l1::l1_kernel(alpha, n_steps);
            let plan = L1Plan::new(alpha, n_steps, 1e-8, &d);
            let rep = plan.represented(n_steps);
            // Forward: u_0 ≠ 0 here, so the first column is exercised too.
            let mut fast = L1History::new(plan.clone());
            let mut dense = RowStore::new();
            for (n, row) in data[..=n_steps].iter().enumerate() {
                if n > 0 {
                    close(fast.sum(), dense.weighted_sum(0, &rep.row(n, 0)), &format!("α={alpha} row {n}"));
                }
                let r = from_vec(row.clone(), [3], &dev);
                fast.push(r.clone());
                dense.push(r);
            }
            // Transpose.
            let mut fast = L1Adjoint::new(plan, n_steps);
            let mut dense = RowStore::new();
            for j in (0..=n_steps).rev() {
                close(fast.sum(j), dense.weighted_sum(0, &rep.col_rev(j, n_steps)), &format!("α={alpha} column {j}"));
                if j > 0 {
                    let r = from_vec(data[n_steps + 1 + j].clone(), [3], &dev);
                    fast.push(r.clone());
                    dense.push(r);
                }
            }
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
