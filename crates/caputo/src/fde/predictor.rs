//! Fractional forward Euler (product rectangle, the ABM predictor).
//!
//! $$ y_n = y_0 + \sum_{j=0}^{n-1} w_{n-1-j} f(t_j, y_j), \qquad
//!    w_m = \frac{h^\alpha}{\Gamma(\alpha+1)}\big((m+1)^\alpha - m^\alpha\big) $$
//!
//! (plain text: `y_n = y0 + Σ_{j<n} w_{n−1−j} f_j`, `w_m = h^α/Γ(α+1)·((m+1)^α − m^α)`): the
//! Volterra form `y = y0 + I^α f` with `f` frozen on each cell. At α = 1 it is explicit Euler
//! (test `alpha_one_reduces_to_the_matching_ode_method`).
//!
//! # Order
//! 1 for `D^α y ∈ C¹` (Diethelm, Ford & Freed 2004).
//! # Cost
//! One evaluation of `f` per step; history `Σ_j w f_j`: `O(N²·d)` dense, `O(N·L·d)` with
//! short memory `L`, `O(N·Q·d)` with fast history (`Q` ≈ 30–80 modes, [`super::fast`]).
//! Memory: `N·d` stored `f` values (`(Q + 4)·d` with fast history).
//! # References
//! K. Diethelm, N. J. Ford, A. D. Freed, *Detailed error analysis for a fractional Adams
//! method*, Numer. Algorithms 36 (2004) 31–52; torchfde's `predictor`.

use super::kernel::Kernel;
use super::scheme::Discretisation;
use super::weights::rectangle;
use crate::special::Real;

/// `B(n, j) = w_{n−1−j}`, i.e. `toe[m] = w_{m−1}` for `m ≥ 1`.
pub(crate) fn predictor_kernel<R: Real>(alpha: R, h: R, n_steps: usize) -> Kernel<R> {
    let w = rectangle(alpha, h, n_steps);
    let mut toe = Vec::with_capacity(n_steps + 1);
    toe.push(R::zero());
    toe.extend(w.iter().take(n_steps).copied());
    Kernel { toe, col0: None }
}

pub(crate) fn discretise<R: Real>(alpha: R, h: R, n_steps: usize) -> Discretisation<R> {
    Discretisation::Volterra { b: predictor_kernel(alpha, h, n_steps), a: None, iters: 0, alpha }
}
