//! The L1 scheme (Caputo).
//!
//! $$ {}^C D^\alpha y(t_n) \approx \frac{h^{-\alpha}}{\Gamma(2-\alpha)} \sum_{j=0}^{n-1} a_{n-1-j}(y_{j+1}-y_j),
//!    \qquad a_m = (m+1)^{1-\alpha} - m^{1-\alpha} $$
//!
//! set equal to `f(t_{n−1}, y_{n−1})` (lagged, as torchfde: order 1) or to `f(t_n, y_n)` (new
//! point, solved by `K` fixed-point iterations started from the lagged value: keeps the
//! operator's order `2−α`). At α = 1: explicit Euler (lagged), implicit Euler solved by
//! fixed-point iteration (new point).
//!
//! # Order
//! Operator `O(h^{2−α})` for `y ∈ C²` (Sun & Wu 2006; Lin & Xu 2007); scheme: 1 lagged, `2−α`
//! at the new point.
//! # Cost
//! `1 + K` evaluations per step (lagged: 1); history `Σ_j d_{n,j} (y_j − y0)`: `O(N²·d)` time
//! and `O(N·d)` memory with dense history; `O(N·Q·d)` and `O((Q + w)·d)` with
//! [`super::History::Fast`] (the far lags as sums of exponentials of `x^{−1−α}`, see
//! [`super::fast`], "Derivative-form schemes").
//! # References
//! Z. Sun, X. Wu, Appl. Numer. Math. 56 (2006) 193–209; Y. Lin, C. Xu, J. Comput. Phys.
//! 225 (2007) 1533–1552; G. Gao, Z. Sun, J. Comput. Phys. 230 (2011) 586–595; torchfde's `l1`.

use super::kernel::Kernel;
use super::scheme::Discretisation;
use super::weights::{diff1, diff2, l1_scale};
use crate::special::Real;

/// `d(n, j)` of `Σ_j d(n,j) y_j`: `toe[0] = 1`, `toe[m] = (m+1)^{1−α} + (m−1)^{1−α} − 2m^{1−α}`,
/// `col0[n] = −a_{n−1}`.
pub(crate) fn l1_kernel<R: Real>(alpha: R, n_steps: usize) -> Kernel<R> {
    let p = R::one() - alpha;
    let mut toe = vec![R::one()];
    toe.extend((1..=n_steps).map(|m| diff2(p, -alpha, m)));
    let col0 = (0..=n_steps).map(|n| if n == 0 { R::zero() } else { -diff1(p, n - 1) }).collect();
    Kernel { toe, col0: Some(col0) }
}

pub(crate) fn discretise<R: Real>(alpha: R, h: R, n_steps: usize, new_point: Option<usize>) -> Discretisation<R> {
    Discretisation::Derivative { d: l1_kernel(alpha, n_steps), sigma: l1_scale(alpha, h), caputo: true, new_point }
}
