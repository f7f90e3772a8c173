//! Adams–Bashforth–Moulton predictor–corrector (Diethelm–Ford–Freed), P(EC)^K E.
//!
//! Predictor as [`super::predictor`]; `K` corrector iterations of the product-trapezoid rule
//!
//! $$ y_n \leftarrow y_0 + \frac{h^\alpha}{\Gamma(\alpha+2)}\Big[f(t_n, y_n) + \sum_{j=0}^{n-1} a_{j,n} f_j\Big] $$
//!
//! with `a_{0,n} = (n−1)^{α+1} − (n−1−α) n^α` and
//! `a_{j,n} = (n−j+1)^{α+1} + (n−j−1)^{α+1} − 2(n−j)^{α+1}`. At α = 1 and `K = 1` it is
//! Heun's method (explicit trapezoid).
//!
//! # Order
//! `min(2, 1+α)` for `D^α y ∈ C²` (Diethelm, Ford & Freed 2004); measured `≈ 1+α` on the
//! manufactured problems (test `every_scheme_converges_at_its_order`).
//! # Cost
//! `K + 1` evaluations of `f` per step (PECE: 2) and two history sums. Memory: `N·d` stored
//! `f` values (plus `K·N·d` corrector iterates for the discrete adjoint). With fast history
//! ([`super::fast`]) both sums read one set of `Q` modes: `O(N·Q·d)` time, `(Q + 5)·d` memory.
//! # References
//! Diethelm, Ford, Freed, Nonlinear Dyn. 29 (2002) 3–22 and Numer. Algorithms 36 (2004)
//! 31–52; Garrappa's `fde12`; torchfde's `corrector`.

use super::kernel::Kernel;
use super::predictor::predictor_kernel;
use super::scheme::Discretisation;
use super::weights::{end_correction, trapezoid_toeplitz};
use crate::special::Real;

/// Corrector weights including `h^α/Γ(α+2)`: `toe[0] = c` (the new point), `toe[m]` for
/// `j ≥ 1`, `col0[n] = c·a_{0,n}`.
pub(crate) fn corrector_kernel<R: Real>(alpha: R, h: R, n_steps: usize) -> Kernel<R> {
    let toe = trapezoid_toeplitz(alpha, h, n_steps);
    let c = toe[0];
    let col0 = (0..=n_steps)
        .map(|n| if n == 0 { R::zero() } else { c * end_correction(alpha + R::one(), alpha, n) })
        .collect();
    Kernel { toe, col0: Some(col0) }
}

pub(crate) fn discretise<R: Real>(alpha: R, h: R, n_steps: usize, iters: usize) -> Discretisation<R> {
    Discretisation::Volterra {
        b: predictor_kernel(alpha, h, n_steps),
        a: Some(corrector_kernel(alpha, h, n_steps)),
        iters,
        alpha,
    }
}
