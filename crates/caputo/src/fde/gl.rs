//! Grünwald–Letnikov.
//!
//! $$ D^\alpha u(t_n) \approx h^{-\alpha}\sum_{j=0}^{n} \omega_{n-j} u_j, \quad
//!    \omega_0 = 1,\ \omega_j = \Big(1 - \frac{1+\alpha}{j}\Big)\omega_{j-1} $$
//!
//! with `u = y − y0` (Caputo form) or `u = y` (Riemann–Liouville form, torchfde's `gl`, which
//! with `y0 ≠ 0` does not converge to the Caputo solution: test
//! `riemann_liouville_forms_solve_the_riemann_liouville_problem`), set equal to `f` lagged or
//! at the new point. At α = 1: explicit Euler (lagged).
//!
//! # Order
//! 1 (for the Caputo form with smooth `D^α y`).
//! # Cost
//! As [`super::l1`].
//! # References
//! I. Podlubny, *Fractional Differential Equations*, Academic Press 1999, §7; torchfde's `gl`.

use super::kernel::Kernel;
use super::scheme::{Discretisation, Form};
use super::weights::grunwald;
use crate::special::Real;

pub(crate) fn discretise<R: Real>(
    alpha: R,
    h: R,
    n_steps: usize,
    form: Form,
    new_point: Option<usize>,
) -> Discretisation<R> {
    let d = Kernel { toe: grunwald(alpha, n_steps), col0: None };
    Discretisation::Derivative { d, sigma: h.powf(alpha), caputo: form == Form::Caputo, new_point }
}
