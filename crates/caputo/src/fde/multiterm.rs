//! Multi-term equations `Σ_k c_k D^{α_k} y = f` by Grünwald–Letnikov.
//!
//! $$ \sum_k c_k h^{-\alpha_k} \sum_{j=0}^{n} \omega^{(\alpha_k)}_{n-j} u_j = f $$
//!
//! with `u = y − y0` (Caputo) or `y` (Riemann–Liouville), `f` lagged (as torchfde's `glmulti`).
//! The aggregated weights `d_m = Σ_k c_k h^{−α_k} ω^{(α_k)}_m` form one convolution, so the cost
//! is that of a single-term scheme. A distributed-order operator `∫ D^α y dμ(α)` is a
//! quadrature of this form.
//!
//! # Order
//! 1.
//! # Cost
//! As [`super::gl`], plus `O(K·N)` weight set-up.
//! # References
//! torchfde's `glmulti`; K. Diethelm, N. J. Ford, *Numerical analysis for distributed-order
//! differential equations*, J. Comput. Appl. Math. 225 (2009) 96–104.

use super::kernel::Kernel;
use super::scheme::{Discretisation, Form};
use super::weights::grunwald;
use crate::special::Real;

pub(crate) fn discretise<R: Real>(terms: &[(R, R)], h: R, n_steps: usize, form: Form) -> Discretisation<R> {
    let mut toe = vec![R::zero(); n_steps + 1];
    for (c, a) in terms {
        let scale = *c / h.powf(*a);
        for (t, w) in toe.iter_mut().zip(grunwald(*a, n_steps)) {
            *t += scale * w;
        }
    }
    Discretisation::Derivative {
        d: Kernel { toe, col0: None },
        sigma: R::one(),
        caputo: form == Form::Caputo,
        new_point: None,
    }
}
