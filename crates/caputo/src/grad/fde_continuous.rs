//! `ContinuousAdjoint` for fractional solves: the exact adjoint of the Caputo model
//! (Riemann–Liouville type, `docs/derivations.md` §3), discretised on the forward grid. Approximate.
//!
//! For `D^α y = f(t, y; θ)` and `L = Σ_k ⟨g_k, y(t_k)⟩` (linearised), with `J = ∂f/∂y`,
//! `F_θ = ∂f/∂θ` along the solution,
//!
//! $$ \mu(t) = \sum_k g_k \frac{(t_k - t)\_+^{\alpha-1}}{\Gamma(\alpha)}
//!      + \frac{1}{\Gamma(\alpha)} \int_t^T (\tau - t)^{\alpha-1} J(\tau)^\top \mu(\tau)\\, d\tau, \qquad
//!    \frac{\partial L}{\partial \theta} = \int_0^T F\_\theta^\top \mu\\, dt, \qquad
//!    \frac{\partial L}{\partial y_0} = \sum_k g_k + \int_0^T J^\top \mu\\, dt $$
//!
//! (plain text: `μ(t) = Σ_k g_k (t_k − t)_+^{α−1}/Γ(α) + (1/Γ(α)) ∫_t^T (τ−t)^{α−1} Jᵀμ dτ`). `μ` is
//! singular like `(t_k − t)^{α−1}` below each observation time, so it is discretised in *cell
//! form*: the unknowns are the cell integrals `ν_j = ∫_{t_j}^{t_{j+1}} μ dt`, in which the
//! singular terms are integrated exactly (`∫_{cell j} g (t_k − t)^{α−1}/Γ(α) dt = w_{k−1−j} g`,
//! the fractional-rectangle weights `w_m = h^α/Γ(α+1)·((m+1)^α − m^α)`). The density `Jᵀμ` is
//! represented by masses at the grid points, `M_n = ½ J_nᵀ (ν_{n−1} + ν_n)` (each cell's
//! `∫ Jᵀμ` split evenly between its ends: `J`, `F_θ` frozen per cell as the average of the
//! endpoint values), and the kernel is integrated exactly against them:
//!
//! `ν_j = Σ_{t_k > t_j} w_{k−1−j} g_k + Σ_{n ≥ j+1} w_{n−1−j} M_n`.
//!
//! The `n = j + 1` term holds `ν_j` itself (a cell's own mass), so each cell is an implicit
//! equation, solved as the ABM scheme solves its new point — one predictor–corrector pass:
//! `ν^P_j = r_j + w_0 J_{j+1}ᵀ ν_{j+1}` (the new half of the mass guessed from the old one),
//! `M_{j+1} = ½ J_{j+1}ᵀ (ν_{j+1} + ν^P_j)`, `ν_j = r_j + w_0 M_{j+1}`. Then
//! `∂L/∂θ = Σ_n ½ F_{θ,n}ᵀ (ν^P_{n−1} + ν_n)` and `∂L/∂y0 = Σ_k g_k + Σ_n M_n`. At α = 1 this is
//! a second-order (trapezoidal, PECE) solve of the neural-ODE adjoint.
//!
//! **Approximate**: it converges to the true gradient of the continuous problem as `h → 0`,
//! at the fitted order `≈ min(2, 1 + α)` with the ABM forward (test
//! `continuous_adjoint_converges_to_the_mittag_leffler_gradient`, relaxation, `N = 16…512`:
//! fitted orders for `(∂L/∂y0, ∂L/∂λ)` of (1.33, 1.37) at α = 0.3, (1.54, 1.57) at 0.5,
//! (1.84, 1.88) at 0.8, (2.02, 2.01) at 1; error `6.6e-6` in `∂L/∂y0` at α = 0.3, `N = 512`),
//! and differs from the exact gradient of the discrete solve by its discretisation error (test
//! `continuous_adjoint_agrees_with_finite_differences_within_its_discretisation_error`: with
//! ABM, relative `1.9e-3` at `N = 32`, `1.5e-4` at `N = 128`). It
//! uses only the stored states, so it is independent of the forward scheme. The `rtol`/`atol`
//! of [`super::Method::ContinuousAdjoint`] are for ODE solves; an FDE adjoint lives on the
//! forward grid. No `∂L/∂α`.
//!
//! Supported: the Caputo single-term schemes with dense (or fast: the adjoint then uses the
//! dense kernel) history. [`crate::Error::Unsupported`] for the Riemann–Liouville forms (they
//! do not solve the Caputo model), multi-term operators (no single power-law kernel) and short
//! memory (it changes the model).
//!
//! # Cost
//! Forward: the plain solve storing `y_0..y_N` (`N·d`). Backward: `2N` VJPs, one anti-causal
//! convolution (`O(N²·d)`, the forward's dense history cost), `N·d` stored masses; no graph.
//!
//! # Example
//! ```
//! use caputo::fde::{History, Scheme, FdeSolve};
//! use caputo::grad::{fde_forward};
//! use caputo::grad::Method;
//! use caputo::problems::Relaxation;
//! use caputo::special::mittag_leffler::mittag_leffler;
//! use caputo::tensor::{from_vec, scalar};
//! use caputo::testkit::f64_device;
//! // D^0.5 y = −y, L = y(1): ∂L/∂y0 = E_{1/2}(−1).
//! let dev = f64_device();
//! let field = Relaxation::new(1.0, &dev);
//! let y0 = from_vec(vec![1.0], [1], &dev.clone().inner());
//! let m = Method::ContinuousAdjoint { rtol: 1e-8, atol: 1e-10 };
//! let (sol, pb) = fde_forward(&field, y0, &FdeSolve::new(0.5, &[0.0, 1.0], 256).with_scheme(Scheme::Abm { corrector_iters: 1 }).with_history(History::Dense), &m).unwrap();
//! let r = pb.backward(&[sol.y[0].zeros_like(), sol.y[1].ones_like()]).unwrap();
//! assert!((scalar(r.y0) - mittag_leffler(0.5, 1.0, -1.0)).abs() < 1e-4);
//! assert!(r.alpha.is_none());
//! ```
//!
//! # References
//! The derivation: `docs/derivations.md` §3 (`∫ u·I^α v = ∫ (I^α_{T−} u)·v`); product integration for the
//! singular kernel as in K. Diethelm, N. J. Ford, A. D. Freed, Numer. Algorithms 36 (2004)
//! 31–52.

use burn::optim::GradientsParams;
use burn::tensor::Tensor;

use crate::cotangent::OnGrid;

use crate::fde::grid::UniformGrid;
use crate::fde::history::RowStore;

use crate::fde::volterra::{FdeTrajectory, add_opt};
use crate::fde::weights::rectangle;
use crate::field::{Evaluator, ParamGrads, VectorField};
use crate::stats::Stats;
use crate::tensor::bytes;

fn flat<const D: usize>(t: Tensor<D>) -> Tensor<1> {
    let n = t.shape().num_elements();
    t.reshape([n])
}

/// The backward sweep over the cells `j = N−1, …, 0`. Returns `(∂L/∂y0, ∂L/∂θ)`.
pub(crate) fn backward<const D: usize, F: VectorField<D>>(
    field: &F,
    alpha: f64,
    tr: &FdeTrajectory<D>,
    grid: &UniformGrid,
    g: &[Tensor<D>],
    stats: &mut Stats,
) -> (Tensor<D>, GradientsParams) {
    let nn = grid.n_steps;
    let dims = tr.states[0].dims();
    let zero = tr.states[0].zeros_like();
    let w = rectangle(alpha, grid.h, nn);
    let obs = OnGrid::new(&grid.out_idx, g);
    let mut ev = Evaluator::new(field);
    let mut grads = ParamGrads::new();
    // `½ J_nᵀ ν` at point n, adding `½ νᵀ F_θ` there to the parameter gradient (½ is exact).
    let mut half_jt = |ev: &mut Evaluator<'_, D, F>, n: usize, nu: Tensor<D>| {
        ev.vjp(grid.t(n), tr.states[n].clone(), nu.mul_scalar(0.5), &mut grads)
    };
    // Rows `E_n = M_n + Σ_{t_k = t_n} g_k`, pushed for n = N, N−1, … (push index N − n).
    let mut masses = RowStore::new();
    let mut y0_bar = zero.clone();
    let mut nu_next: Option<Tensor<D>> = None; // ν_{j+1} (none past the last cell)
    for j in (0..nn).rev() {
        let pushed = nn - 1 - j; // n = N, …, j+2
        let wts: Vec<f64> = (0..pushed).map(|i| w[nn - i - 1 - j]).collect();
        let mut r = add_opt(zero.clone(), masses.weighted_sum(0, &wts), dims);
        if let Some(gn) = obs.get(j + 1) {
            r = r + gn.clone().mul_scalar(w[0]);
        }
        // Predictor: the cell's own half of the mass at t_{j+1} guessed from ν_{j+1}.
        let old_half = nu_next.take().map(|nu| half_jt(&mut ev, j + 1, nu));
        let predicted = match &old_half {
            Some(q) => r.clone() + q.clone().mul_scalar(2.0 * w[0]),
            None => r.clone(),
        };
        let new_half = half_jt(&mut ev, j + 1, predicted);
        let m = match old_half {
            Some(q) => q + new_half,
            None => new_half,
        };
        let nu = r + m.clone().mul_scalar(w[0]);
        let e = match obs.get(j + 1) {
            Some(gn) => m + gn.clone(),
            None => m,
        };
        y0_bar = y0_bar + e.clone();
        masses.push(flat(e));
        nu_next = Some(nu);
    }
    let nu0 = nu_next.expect("at least one step; this is a bug");
    y0_bar = y0_bar + half_jt(&mut ev, 0, nu0);
    if let Some(g0) = obs.get(0) {
        y0_bar = y0_bar + g0.clone();
    }
    stats.field_evals += ev.n_evals;
    stats.vjps += ev.n_vjps;
    let per = bytes(&zero);
    stats.peak_stored_bytes = stats.peak_stored_bytes.max(tr.states.len() * per + masses.bytes());
    (y0_bar, grads.finish())
}
