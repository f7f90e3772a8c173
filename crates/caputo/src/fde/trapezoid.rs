//! Product trapezoid (Diethelm's finite-part rule) for the fractional derivative.
//!
//! $$ D^\alpha u(t_n) \approx \frac{h^{-\alpha}}{\Gamma(2-\alpha)}\sum_{j=0}^{n} A_{j,n} u_j, \quad
//!    A_{n,n} = 1,\ A_{0,n} = (n-1)^{1-\alpha} - (n-1+\alpha) n^{-\alpha},
//!    \ A_{j,n} = (n-j+1)^{1-\alpha} + (n-j-1)^{1-\alpha} - 2(n-j)^{1-\alpha} $$
//!
//! (the ABM trapezoid weights with `α → −α`, a Hadamard finite-part integral). Applied to
//! `u = y − y0` (Caputo form; then the `j = 0` column drops out and it coincides with L1) or to
//! `u = y` (Riemann–Liouville, torchfde's `trap`: `Σ_j A_{j,n} = (1−α) n^{−α}` reproduces
//! `D^α_RL 1`), lagged or at the new point.
//!
//! # Order
//! Operator `O(h^{2−α})` for `y ∈ C²` (Diethelm 1997); scheme: 1 lagged, `2−α` new point.
//! # Cost
//! As [`super::l1`].
//! # References
//! K. Diethelm, ETNA 5 (1997) 1–6; Baleanu, Diethelm, Scalas, Trujillo, *Fractional
//! Calculus: Models and Numerical Methods*, World Scientific 2012; torchfde's `trap`.

use super::kernel::Kernel;
use super::scheme::{Discretisation, Form};
use super::weights::{diff2, end_correction, l1_scale};
use crate::special::Real;

pub(crate) fn discretise<R: Real>(
    alpha: R,
    h: R,
    n_steps: usize,
    form: Form,
    new_point: Option<usize>,
) -> Discretisation<R> {
    let p = R::one() - alpha;
    let mut toe = vec![R::one()];
    toe.extend((1..=n_steps).map(|m| diff2(p, -alpha, m)));
    let col0 = (0..=n_steps).map(|n| if n == 0 { R::zero() } else { end_correction(p, -alpha, n) }).collect();
    let d = Kernel { toe, col0: Some(col0) };
    Discretisation::Derivative { d, sigma: l1_scale(alpha, h), caputo: form == Form::Caputo, new_point }
}
