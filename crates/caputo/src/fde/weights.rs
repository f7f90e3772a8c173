//! Convolution weights of the uniform-grid fractional schemes (derivations:
//! `docs/derivations.md`, "Convolution weights").
//!
//! Notation: α is the order (0 < α ≤ 1), h the step, t_n = n h. Every generator is generic over
//! [`Real`], so calling it with `alpha = Dual::var(α)` returns ∂weight/∂α exactly alongside
//! the weight.
//!
//! The textbook formulas are differences of powers such as `(m+1)^p − m^p` or
//! `(m+1)^p + (m−1)^p − 2m^p`, whose terms are ~m^p while the result is ~m^{p−1} or ~m^{p−2}:
//! evaluated literally they lose ~log10(m) resp. 2·log10(m) digits (10 digits at m = 1e5).
//! They are evaluated here as `m^p` times an expm1/log1p expression or a binomial series in
//! 1/m whose terms all have the same sign, which keeps every weight to a few ulps for any m.

use crate::special::Real;

/// Binomial series are truncated once the neglected tail is below this fraction of the sum.
const SERIES_TOL: f64 = 1e-17;

/// `m^p` for `m ≥ 1`.
#[inline]
fn pow_m<R: Real>(m: usize, p: R) -> R {
    R::from_f64(m as f64).powf(p)
}

/// First difference `(m+1)^p − m^p`, taking `0^p = 0` (so 1 at m = 0, for every p).
pub(crate) fn diff1<R: Real>(p: R, m: usize) -> R {
    if m == 0 {
        return R::one();
    }
    let l = (1.0 / m as f64).ln_1p();
    pow_m(m, p) * (p * R::from_f64(l)).exp_m1()
}

/// Centred second difference `(m+1)^p + (m−1)^p − 2m^p` for `m ≥ 1`, taking `0^p = 0`.
///
/// `q` must be `p − 1`, passed separately because callers have it exactly (±α) whereas
/// recomputing it from a rounded `p = 1 ∓ α` would cost the relative accuracy of small α.
pub(crate) fn diff2<R: Real>(p: R, q: R, m: usize) -> R {
    debug_assert!(m >= 1);
    if m == 1 {
        // 2^p − 2 = 2(2^{p−1} − 1): the expm1 form stays accurate as p → 1.
        let two = R::from_f64(2.0);
        return two * (q * R::from_f64(std::f64::consts::LN_2)).exp_m1();
    }
    // m^p [(1+x)^p + (1−x)^p − 2] = 2 m^p Σ_{k≥1} C(p,2k) x^{2k}, x = 1/m ≤ ½. For p ∈ [0,2]
    // the coefficients share one sign and shrink in magnitude, so the sum has no cancellation
    // (the explicit factor p(p−1) in C(p,2k) keeps full relative accuracy as p → 0 or 1), and the tail
    // after the x^{2k} term is below x^{2k}/(1−x²) of the sum.
    let x = 1.0 / m as f64;
    let x2 = x * x;
    let mut coef = p * q * R::from_f64(0.5);
    let mut xk = x2;
    let mut sum = coef * R::from_f64(xk);
    let mut k = 1.0;
    while xk >= SERIES_TOL * (1.0 - x2) {
        let num = (p - R::from_f64(2.0 * k)) * (p - R::from_f64(2.0 * k + 1.0));
        coef *= num / R::from_f64((2.0 * k + 1.0) * (2.0 * k + 2.0));
        xk *= x2;
        sum += coef * R::from_f64(xk);
        k += 1.0;
    }
    R::from_f64(2.0) * pow_m(m, p) * sum
}

/// `(n−1)^p − n^p (1 − p/n)` for `n ≥ 1`, taking `0^p = 0`: the j = 0 end correction of the
/// product-trapezoid rules (ABM corrector with p = α+1, finite-part rule with p = 1−α).
/// `q = p − 1` exactly, as for [`diff2`].
pub(crate) fn end_correction<R: Real>(p: R, q: R, n: usize) -> R {
    debug_assert!(n >= 1);
    if n == 1 {
        return q;
    }
    // n^p [(1−x)^p − 1 + p x] = n^p Σ_{k≥2} C(p,k) (−x)^k, x = 1/n ≤ ½. With b_k = C(p,k)(−1)^k,
    // b_{k+1} = b_k (k−p)/(k+1): for p ∈ [0,2] one sign and shrinking, so the tail after the x^k
    // term is below x^{k−1}/(1−x) of the sum.
    let x = 1.0 / n as f64;
    let mut b = p * q * R::from_f64(0.5);
    let mut xk = x * x;
    let mut sum = b * R::from_f64(xk);
    let mut k = 2.0;
    while xk >= SERIES_TOL * x * (1.0 - x) {
        b *= (R::from_f64(k) - p) / R::from_f64(k + 1.0);
        xk *= x;
        sum += b * R::from_f64(xk);
        k += 1.0;
    }
    pow_m(n, p) * sum
}

/// Fractional rectangle (fractional forward Euler) weights:
/// `w_m = h^α/Γ(α+1) · ((m+1)^α − m^α)` for `m = 0..=n_max` (length `n_max + 1`).
///
/// The predictor reads `y_n = y_0 + Σ_{j<n} w_{n−1−j} f_j`, i.e. the exact integral
/// `I^α f(t_n)` of the piecewise-constant interpolant `f ≡ f_j` on `[t_j, t_{j+1})`.
/// `Σ_{m<n} w_m = t_n^α / Γ(α+1)`; at α = 1 every weight is `h` (explicit Euler).
///
/// # Example
/// ```
/// use caputo::fde::weights::rectangle;
/// use caputo::special::{gamma, Dual};
/// let (alpha, h) = (0.5, 0.1);
/// let w = rectangle(alpha, h, 9);
/// // The first 10 weights integrate f = 1 exactly: t_10^α / Γ(α+1) with t_10 = 1.
/// let sum: f64 = w.iter().sum();
/// assert!((sum - 1.0 / gamma(1.5)).abs() < 1e-14);
/// assert!(rectangle(1.0, h, 3).iter().all(|&x| (x - h).abs() < 1e-15)); // α = 1: Euler
/// // On a dual number the same call gives ∂w/∂α; check it against a central difference.
/// let dw = rectangle(Dual::var(alpha), Dual::cst(h), 9);
/// let fd = (rectangle(alpha + 1e-6, h, 9)[5] - rectangle(alpha - 1e-6, h, 9)[5]) / 2e-6;
/// assert_eq!(dw[5].v, w[5]);
/// assert!((dw[5].d - fd).abs() < 1e-8);
/// ```
pub fn rectangle<R: Real>(alpha: R, h: R, n_max: usize) -> Vec<R> {
    let c = h.powf(alpha) / (alpha + R::one()).gamma();
    (0..=n_max).map(|m| c * diff1(alpha, m)).collect()
}

/// `c = h^α / Γ(α+2)`, the common factor of the product-trapezoid (ABM corrector) weights.
fn trapezoid_scale<R: Real>(alpha: R, h: R) -> R {
    h.powf(alpha) / (alpha + R::from_f64(2.0)).gamma()
}

/// Diethelm–Ford–Freed ABM corrector weights `a_{j,n}` for step `n`, already
/// multiplied by `c = h^α/Γ(α+2)`; length `n + 1`, so that
/// `y_n = y_0 + Σ_{j=0}^{n} row[j] f_j` with `f_n` the value at the predicted point.
///
/// `row[0] = c((n−1)^{α+1} − (n−1−α) n^α)`,
/// `row[j] = c((n−j+1)^{α+1} + (n−j−1)^{α+1} − 2(n−j)^{α+1})` for `1 ≤ j ≤ n−1`, `row[n] = c`.
/// This is the exact integral `I^α` of the piecewise-linear interpolant of the `f_j`, hence
/// exact for `f = 1` and `f = t`; at α = 1 it is the trapezoidal rule `h/2, h, …, h, h/2`.
/// For `n = 0` (empty integral) it returns `[0]`. Entries `1..=n` equal
/// `trapezoid_toeplitz(alpha, h, n)[n − j]`.
///
/// # Example
/// ```
/// use caputo::fde::weights::trapezoid_row;
/// use caputo::special::gamma;
/// let (alpha, h, n) = (0.3, 0.1, 10);
/// let row = trapezoid_row(alpha, h, n);
/// assert_eq!(row.len(), n + 1);
/// // Exact for f = t: Σ_j row[j] t_j = I^α t (t_n) = t_n^{α+1} / Γ(α+2), here t_n = 1.
/// let i_t: f64 = row.iter().enumerate().map(|(j, w)| w * j as f64 * h).sum();
/// assert!((i_t - 1.0 / gamma(2.0 + alpha)).abs() < 1e-14);
/// // At α = 1 it is the trapezoidal rule h/2, h, …, h, h/2.
/// let trap = trapezoid_row(1.0, h, 4);
/// assert!((trap[0] - h / 2.0).abs() < 1e-15 && (trap[2] - h).abs() < 1e-15);
/// ```
pub fn trapezoid_row<R: Real>(alpha: R, h: R, n: usize) -> Vec<R> {
    if n == 0 {
        return vec![R::zero()];
    }
    let p = alpha + R::one();
    let c = trapezoid_scale(alpha, h);
    let mut row = Vec::with_capacity(n + 1);
    row.push(c * end_correction(p, alpha, n));
    row.extend((1..n).map(|j| c * diff2(p, alpha, n - j)));
    row.push(c);
    row
}

/// The Toeplitz part of the ABM corrector weights: entry `m` is
/// `c((m+1)^{α+1} + (m−1)^{α+1} − 2m^{α+1})` for `m = 1..=n_max`, entry 0 is `c`, with
/// `c = h^α/Γ(α+2)` (length `n_max + 1`).
///
/// For `n ≥ 1` and `1 ≤ j ≤ n`, `trapezoid_row(alpha, h, n)[j] == toeplitz[n − j]`; only the
/// j = 0 entry of a row is not Toeplitz and must come from [`trapezoid_row`] (or be added as a
/// correction).
///
/// # Example
/// ```
/// use caputo::fde::weights::{trapezoid_row, trapezoid_toeplitz};
/// let (alpha, h) = (0.7, 0.05);
/// let toe = trapezoid_toeplitz(alpha, h, 8);
/// let row = trapezoid_row(alpha, h, 8);
/// for j in 1..=8 {
///     assert!((row[j] - toe[8 - j]).abs() <= 1e-15 * toe[8 - j].abs());
/// }
/// ```
pub fn trapezoid_toeplitz<R: Real>(alpha: R, h: R, n_max: usize) -> Vec<R> {
    let p = alpha + R::one();
    let c = trapezoid_scale(alpha, h);
    let mut t = Vec::with_capacity(n_max + 1);
    t.push(c);
    t.extend((1..=n_max).map(|m| c * diff2(p, alpha, m)));
    t
}

/// L1 weights: `a_m = (m+1)^{1−α} − m^{1−α}` for `m = 0..=n_max`
/// (length `n_max + 1`; `a_0 = 1`, positive and decreasing).
///
/// The L1 approximation of the Caputo derivative is
/// `D^α y(t_n) ≈ (h^{−α}/Γ(2−α)) Σ_{j=0}^{n−1} a_{n−1−j} (y_{j+1} − y_j)
///            = (1/l1_scale(α, h)) Σ_{j=0}^{n−1} a_{n−1−j} (y_{j+1} − y_j)`,
/// exact for piecewise-linear y; at α = 1, `a = [1, 0, 0, …]` (backward difference).
///
/// # Example
/// ```
/// use caputo::fde::weights::{l1, l1_scale};
/// use caputo::special::gamma;
/// let (alpha, h, n) = (0.4, 0.1, 10);
/// let a = l1(alpha, n);
/// assert_eq!(a[0], 1.0);
/// assert!(a.windows(2).all(|p| p[1] < p[0] && p[1] > 0.0));
/// // Exact for y = t: D^α t = t^{1−α}/Γ(2−α), at t_n = 1; every increment y_{j+1} − y_j is h.
/// let d: f64 = a[..n].iter().map(|w| w * h).sum::<f64>() / l1_scale(alpha, h);
/// assert!((d - 1.0 / gamma(2.0 - alpha)).abs() < 1e-13);
/// ```
pub fn l1<R: Real>(alpha: R, n_max: usize) -> Vec<R> {
    let p = R::one() - alpha;
    (0..=n_max).map(|m| diff1(p, m)).collect()
}

/// `h^α Γ(2−α)`: the reciprocal of the prefactor of the L1 and finite-part rules
/// ([`l1`], [`l1_row`], [`finite_part_row`]), so that `D^α y(t_n) ≈ (Σ weights·y) / l1_scale`.
///
/// # Example
/// ```
/// use caputo::fde::weights::l1_scale;
/// use caputo::special::gamma;
/// assert!((l1_scale(0.5, 0.04) - 0.2 * gamma(1.5)).abs() < 1e-15);
/// assert_eq!(l1_scale(1.0, 0.04), 0.04); // α = 1: the backward difference divides by h
/// ```
pub fn l1_scale<R: Real>(alpha: R, h: R) -> R {
    h.powf(alpha) * (R::from_f64(2.0) - alpha).gamma()
}

/// The L1 operator at `t_n` (see [`l1`]) as a row acting on values: length `n + 1` with
/// `D^α y(t_n) ≈ (h^{−α}/Γ(2−α)) Σ_{j=0}^{n} d_j y_j`.
///
/// `d_n = a_0 = 1`, `d_j = a_{n−j} − a_{n−j−1}` for `1 ≤ j ≤ n−1`, `d_0 = −a_{n−1}`; the row sums
/// to 0 (constants are annihilated: Caputo semantics) up to rounding. For `j ≥ 1` it coincides
/// with [`finite_part_row`]. At α = 1 it is `[0, …, 0, −1, 1]`. For `n = 0` it returns `[0]`.
///
/// # Example
/// ```
/// use caputo::fde::weights::{l1_row, l1_scale};
/// use caputo::special::gamma;
/// let (alpha, h, n) = (0.6, 0.1, 10);
/// let d = l1_row(alpha, n);
/// assert!(d.iter().sum::<f64>().abs() < 1e-14); // constants are annihilated
/// // Exact for y = t: D^α t (1) = 1/Γ(2−α).
/// let dy: f64 = d.iter().enumerate().map(|(j, w)| w * j as f64 * h).sum::<f64>() / l1_scale(alpha, h);
/// assert!((dy - 1.0 / gamma(2.0 - alpha)).abs() < 1e-13);
/// let euler = l1_row(1.0, 3); // α = 1: the backward difference [0, 0, −1, 1]
/// assert!(euler.iter().zip([0.0, 0.0, -1.0, 1.0]).all(|(x, y)| (x - y).abs() < 1e-15));
/// ```
pub fn l1_row<R: Real>(alpha: R, n: usize) -> Vec<R> {
    if n == 0 {
        return vec![R::zero()];
    }
    let p = R::one() - alpha;
    let mut row = Vec::with_capacity(n + 1);
    row.push(-diff1(p, n - 1));
    row.extend((1..n).map(|j| diff2(p, -alpha, n - j)));
    row.push(R::one());
    row
}

/// Grünwald–Letnikov weights: `ω_0 = 1`, `ω_j = (1 − (1+α)/j) ω_{j−1}`, i.e.
/// `ω_j = (−1)^j C(α, j)`, for `j = 0..=n_max` (length `n_max + 1`), with
/// `D^α y(t_n) ≈ h^{−α} Σ_{j=0}^{n} ω_j y_{n−j}` (Riemann–Liouville semantics).
///
/// For 0 < α < 1 all `ω_j` with `j ≥ 1` are negative and `Σ_{j≤n} ω_j = Π_{i≤n}(1 − α/i) → 0`.
/// At α = 1 the weights are `[1, −1, 0, 0, …]`.
///
/// # Example
/// ```
/// use caputo::fde::weights::grunwald;
/// let (alpha, n) = (0.5, 50);
/// let w = grunwald(alpha, n);
/// assert_eq!(&w[..3], &[1.0, -0.5, -0.125]); // (−1)^j C(1/2, j)
/// assert!(w[1..].iter().all(|&x| x < 0.0));
/// // Σ_{j≤n} ω_j = Π_{i≤n} (1 − α/i).
/// let prod: f64 = (1..=n).map(|i| 1.0 - alpha / i as f64).product();
/// assert!((w.iter().sum::<f64>() - prod).abs() < 1e-14);
/// assert_eq!(grunwald(1.0, 3), vec![1.0, -1.0, 0.0, 0.0]);
/// ```
pub fn grunwald<R: Real>(alpha: R, n_max: usize) -> Vec<R> {
    let mut w = Vec::with_capacity(n_max + 1);
    w.push(R::one());
    if n_max == 0 {
        return w;
    }
    let w1 = -alpha;
    w.push(w1);
    if n_max == 1 {
        return w;
    }
    // ω_2 = −α(1−α)/2 vanishes at α = 1, so the log form below cannot start before j = 3.
    let w2 = w1 * (R::one() - alpha) * R::from_f64(0.5);
    w.push(w2);
    // The plain recurrence accumulates one rounding per step (up to ~n·ε relative at ω_n).
    // Summing ln(1 − (1+α)/i) instead, each term with error ε·(1+α)/i, bounds the total by
    // ~ε·(1+α)·ln n; the running sum (≈ −(1+α) ln n) is compensated (Kahan) so that its own
    // rounding does not reintroduce the n·ε growth.
    let one_plus = R::one() + alpha;
    let mut log_sum = R::zero();
    let mut comp = R::zero();
    for j in 3..=n_max {
        let term = (-one_plus / R::from_f64(j as f64)).ln_1p();
        let y = term - comp;
        let t = log_sum + y;
        comp = (t - log_sum) - y;
        log_sum = t;
        w.push(w2 * log_sum.exp());
    }
    w
}

/// Diethelm's product-trapezoid (finite-part) weights for the Riemann–Liouville derivative at
/// `t_n`: length `n + 1`, with
/// `D^α_RL y(t_n) ≈ (h^{−α}/Γ(2−α)) Σ_{j=0}^{n} A_j y_j`,
/// `A_n = 1`, `A_0 = (n−1)^{1−α} − (n−1+α) n^{−α}`,
/// `A_j = (n−j+1)^{1−α} + (n−j−1)^{1−α} − 2(n−j)^{1−α}` for `1 ≤ j ≤ n−1`.
///
/// `Σ_j A_j = (1−α) n^{−α}`, so the rule reproduces `D^α_RL 1 = t^{−α}/Γ(1−α)` exactly; it
/// differs from [`l1_row`] only in `A_0`. At α = 1 it is the backward difference.
///
/// # Panics
///
/// If `n = 0` (the RL derivative of a generic function is singular at t = 0).
///
/// # Example
/// ```
/// use caputo::fde::weights::{finite_part_row, l1_row, l1_scale};
/// use caputo::special::gamma;
/// let (alpha, h, n) = (0.3, 0.1, 10);
/// let a = finite_part_row(alpha, n);
/// assert!((a.iter().sum::<f64>() - (1.0 - alpha) * (n as f64).powf(-alpha)).abs() < 1e-14);
/// // Exact for y = 1: D^α_RL 1 (t) = t^{−α}/Γ(1−α), here at t_n = 1.
/// let d = a.iter().sum::<f64>() / l1_scale(alpha, h);
/// assert!((d - 1.0 / gamma(1.0 - alpha)).abs() < 1e-13);
/// // It differs from the L1 row only in the first entry.
/// assert_eq!(&a[1..], &l1_row(alpha, n)[1..]);
/// ```
pub fn finite_part_row<R: Real>(alpha: R, n: usize) -> Vec<R> {
    assert!(n >= 1, "finite_part_row needs n >= 1");
    let p = R::one() - alpha;
    let mut row = Vec::with_capacity(n + 1);
    row.push(end_correction(p, -alpha, n));
    row.extend((1..n).map(|j| diff2(p, -alpha, n - j)));
    row.push(R::one());
    row
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::special::{Dual, gamma};

    const ALPHAS: [f64; 5] = [0.01, 0.3, 0.5, 0.8, 0.99];

    fn rel(a: f64, b: f64) -> f64 {
        if a == b { 0.0 } else { ((a - b) / b).abs() }
    }

    fn assert_close(a: f64, b: f64, tol: f64, what: &str) {
        assert!(rel(a, b) <= tol, "{what}: {a:e} vs {b:e} (rel {:e})", rel(a, b));
    }

    /// Compensated sum, so the identity tests measure the weights, not the summation.
    fn ksum(v: impl IntoIterator<Item = f64>) -> f64 {
        let (mut s, mut c) = (0.0, 0.0);
        for x in v {
            let y = x - c;
            let t = s + y;
            c = (t - s) - y;
            s = t;
        }
        s
    }

    #[test]
    fn diff_helpers_match_direct_formulas() {
        for &p in &[0.0, 0.2, 0.7, 1.0, 1.3, 2.0] {
            for m in 1..40 {
                let mf = m as f64;
                let d1 = (mf + 1.0).powf(p) - mf.powf(p);
                let lower = if m == 1 { 0.0 } else { (mf - 1.0).powf(p) };
                let d2 = (mf + 1.0).powf(p) + lower - 2.0 * mf.powf(p);
                let ec = lower - mf.powf(p) * (1.0 - p / mf);
                // The direct forms cancel ~m² of their magnitude; compare at that scale.
                let scale = mf.powf(p) * 1e-14;
                assert!((diff1(p, m) - d1).abs() <= scale, "diff1 p={p} m={m}");
                assert!((diff2(p, p - 1.0, m) - d2).abs() <= scale, "diff2 p={p} m={m}");
                let e = end_correction(p, p - 1.0, m);
                assert!((e - ec).abs() <= scale, "end p={p} m={m}");
            }
        }
        assert_eq!(diff1(0.4, 0), 1.0);
    }

    #[test]
    fn rectangle_integrates_constants() {
        let h = 0.037;
        for &a in &ALPHAS {
            let w = rectangle(a, h, 500);
            for &n in &[1usize, 2, 7, 100, 500] {
                let s = ksum(w[..n].iter().copied());
                let exact = (n as f64 * h).powf(a) / gamma(a + 1.0);
                assert_close(s, exact, 1e-14, &format!("α={a} n={n}"));
            }
        }
    }

    #[test]
    fn trapezoid_row_integrates_linear_functions() {
        let h = 0.05;
        for &a in &ALPHAS {
            for &n in &[1usize, 2, 3, 10, 257] {
                let row = trapezoid_row(a, h, n);
                assert_eq!(row.len(), n + 1);
                let tn = n as f64 * h;
                let s0 = ksum(row.iter().copied());
                assert_close(s0, tn.powf(a) / gamma(a + 1.0), 1e-14, &format!("1: α={a} n={n}"));
                let s1 = ksum(row.iter().enumerate().map(|(j, w)| w * j as f64 * h));
                let exact = tn.powf(a + 1.0) / gamma(a + 2.0);
                assert_close(s1, exact, 1e-14, &format!("t: α={a} n={n}"));
            }
        }
        assert_eq!(trapezoid_row(0.5, 1.0, 0), vec![0.0]);
    }

    #[test]
    fn trapezoid_toeplitz_matches_rows() {
        for &a in &ALPHAS {
            let t = trapezoid_toeplitz(a, 0.1, 300);
            assert_eq!(t.len(), 301);
            for &n in &[1usize, 2, 5, 300] {
                let row = trapezoid_row(a, 0.1, n);
                for j in 1..=n {
                    assert_eq!(row[j], t[n - j], "α={a} n={n} j={j}");
                }
            }
        }
    }

    #[test]
    fn l1_weights_positive_decreasing() {
        for &a in &ALPHAS {
            let w = l1(a, 2000);
            assert_eq!(w[0], 1.0);
            for m in 1..w.len() {
                assert!(w[m] > 0.0 && w[m] < w[m - 1], "α={a} m={m}");
            }
            // Telescoping: Σ_{m<n} a_m = n^{1−α}.
            let s = ksum(w[..2000].iter().copied());
            assert_close(s, 2000f64.powf(1.0 - a), 1e-14, "L1 telescoping");
        }
    }

    #[test]
    fn l1_row_annihilates_constants_and_matches_differences() {
        for &a in &ALPHAS {
            for &n in &[1usize, 2, 3, 50, 1000] {
                let row = l1_row(a, n);
                assert_eq!(row.len(), n + 1);
                assert_eq!(row[n], 1.0);
                assert!(ksum(row.iter().copied()).abs() < 1e-15, "α={a} n={n}");
                // Same operator as Σ a_{n−1−j}(y_{j+1} − y_j) on y_j = j².
                let w = l1(a, n);
                let y = |j: usize| (j * j) as f64;
                let lhs = ksum(row.iter().enumerate().map(|(j, d)| d * y(j)));
                let rhs = ksum((0..n).map(|j| w[n - 1 - j] * (y(j + 1) - y(j))));
                assert_close(lhs, rhs, 1e-13, &format!("α={a} n={n}"));
            }
        }
        assert_eq!(l1_row(0.5, 0), vec![0.0]);
    }

    #[test]
    fn l1_scale_value() {
        assert_close(l1_scale(0.3, 0.01), 0.01f64.powf(0.3) * gamma(1.7), 1e-15, "l1_scale");
    }

    #[test]
    fn grunwald_signs_and_partial_sums() {
        for &a in &ALPHAS {
            let w = grunwald(a, 20_000);
            assert_eq!(w[0], 1.0);
            assert!(w[1..].iter().all(|&x| x < 0.0), "α={a}");
            // Σ_{j≤n} ω_j = Π_{i≤n} (1 − α/i) = Γ(n+1−α)/(Γ(1−α) Γ(n+1)).
            let mut prod = 1.0;
            let mut s = 1.0;
            for (j, &wj) in w.iter().enumerate().skip(1) {
                prod *= 1.0 - a / j as f64;
                s += wj;
                if j == 10 || j == 20_000 {
                    assert_close(s, prod, 1e-12, &format!("α={a} j={j}"));
                }
            }
            // → 0 like n^{−α}/Γ(1−α) (relative correction ≈ α(1−α)/(2n)).
            let asym = 20_000f64.powf(-a) / gamma(1.0 - a);
            assert_close(s, asym, 1e-4, "partial-sum asymptote");
            // ω_j against the plain recurrence at moderate j.
            let mut r = 1.0;
            for (j, &wj) in w.iter().enumerate().take(200).skip(1) {
                r *= 1.0 - (1.0 + a) / j as f64;
                assert_close(wj, r, 1e-13, &format!("α={a} j={j}"));
            }
        }
        assert_eq!(grunwald(0.4, 0), vec![1.0]);
        assert_eq!(grunwald(0.4, 1), vec![1.0, -0.4]);
    }

    #[test]
    fn finite_part_row_reproduces_rl_derivative_of_one() {
        for &a in &ALPHAS {
            for &n in &[1usize, 2, 3, 17, 1000] {
                let row = finite_part_row(a, n);
                assert_eq!(row.len(), n + 1);
                // The entries are O(1) and the sum is small: compare on the entries' scale.
                let s = ksum(row.iter().copied());
                let exact = (1.0 - a) * (n as f64).powf(-a);
                assert!((s - exact).abs() < 1e-15, "α={a} n={n}: {s:e} vs {exact:e}");
                let l1r = l1_row(a, n);
                assert_eq!(&row[1..], &l1r[1..], "α={a} n={n}");
            }
            // h-scaled: D^α_RL 1 (t_n) = t_n^{−α}/Γ(1−α).
            let (h, n) = (0.02, 40);
            let approx = ksum(finite_part_row(a, n)) / l1_scale(a, h);
            let exact = (n as f64 * h).powf(-a) / gamma(1.0 - a);
            assert!((approx - exact).abs() < 1e-15 / l1_scale(a, h), "RL derivative of 1");
        }
        assert_eq!(finite_part_row(0.3, 1), vec![-0.3, 1.0]);
    }

    #[test]
    #[should_panic(expected = "n >= 1")]
    fn finite_part_row_rejects_zero() {
        let _ = finite_part_row(0.5, 0);
    }

    #[test]
    fn alpha_one_limits() {
        let h = 0.125;
        let n = 9;
        for w in rectangle(1.0, h, n) {
            assert_close(w, h, 2e-15, "rectangle");
        }
        let row = trapezoid_row(1.0, h, n);
        for (j, &w) in row.iter().enumerate() {
            let e = if j == 0 || j == n { h / 2.0 } else { h };
            assert_close(w, e, 2e-15, &format!("trapezoid j={j}"));
        }
        let g = grunwald(1.0, n);
        assert_eq!(&g[..2], &[1.0, -1.0]);
        assert!(g[2..].iter().all(|&x| x == 0.0));
        let l = l1_row(1.0, n);
        let mut e = vec![0.0; n + 1];
        e[n] = 1.0;
        e[n - 1] = -1.0;
        for j in 0..=n {
            assert!((l[j] - e[j]).abs() < 1e-16, "l1_row j={j}");
        }
        assert_eq!(l1_row(1.0, 1), vec![-1.0, 1.0]);
        let f = finite_part_row(1.0, n);
        for j in 0..=n {
            assert!((f[j] - e[j]).abs() < 1e-16, "finite part j={j}");
        }
        assert_eq!(l1(1.0, 4), vec![1.0, 0.0, 0.0, 0.0, 0.0]);
    }

    /// mpmath (60 digits) values for n = 100000, α ∈ {0.3, 0.01, 0.99}, h = 1.
    #[test]
    fn large_n_matches_high_precision_reference() {
        let n = 100_000;
        for (a, r) in REF_1E5 {
            let a = *a;
            let rect = rectangle(a, 1.0, n);
            assert_close(rect[n], r.rect, 1e-14, "rectangle");
            let tr = trapezoid_row(a, 1.0, n);
            assert_close(tr[0], r.trap0, 1e-14, "trapezoid j=0");
            assert_close(tr[1], r.trap1, 1e-14, "trapezoid j=1");
            assert_close(tr[n / 2], r.trap_mid, 1e-14, "trapezoid j=n/2");
            let l = l1(a, n);
            assert_close(l[n], r.l1, 1e-14, "l1");
            let lr = l1_row(a, n);
            assert_close(lr[0], r.l1_row0, 1e-14, "l1_row j=0");
            assert_close(lr[1], r.l1_row1, 1e-14, "l1_row j=1");
            let g = grunwald(a, n);
            assert_close(g[n], r.gl, 1e-14, "grunwald");
            let f = finite_part_row(a, n);
            assert_close(f[0], r.fp0, 1e-14, "finite part j=0");
            assert!(tr.iter().chain(&lr).chain(&g).chain(&f).all(|x| x.is_finite()));
        }
    }

    struct Ref {
        rect: f64,
        trap0: f64,
        trap1: f64,
        trap_mid: f64,
        l1: f64,
        l1_row0: f64,
        l1_row1: f64,
        gl: f64,
        fp0: f64,
    }

    const REF_1E5: &[(f64, Ref)] = &[
        (
            0.3,
            Ref {
                rect: 0.00010570595581362945,
                trap0: 5.285328621640748e-05,
                trap1: 0.00010570706573529154,
                trap_mid: 0.00017172043286241455,
                l1: 0.02213591041740711,
                l1_row0: -0.022135976825237973,
                l1_row1: -6.640869417692e-08,
                gl: -7.308510847952155e-08,
                fp0: -3.320405931622886e-08,
            },
        ),
        (
            0.01,
            Ref {
                rect: 1.1284156989410884e-07,
                trap0: 5.6421250419908034e-08,
                trap1: 1.1284324560897957e-07,
                trap_mid: 2.2412534189814802e-07,
                l1: 0.8823383846356352,
                l1_row0: -0.8823384728694781,
                l1_row1: -8.823473404750286e-08,
                gl: -8.860481265790237e-08,
                fp0: -4.41170699653356e-08,
            },
        ),
        (
            0.99,
            Ref {
                rect: 0.8860480375312633,
                trap0: 0.44302405568426445,
                trap1: 0.8860481704388484,
                trap_mid: 0.8922110336196714,
                l1: 1.122012900347457e-07,
                l1_row0: -1.1220240083301551e-07,
                l1_row1: -1.1108203750300658e-12,
                gl: -1.1171480762110831e-12,
                fp0: -5.554028190546064e-13,
            },
        ),
    ];

    /// Central difference in α (step 1e-6) of every entry of `f`, against the `Dual` tangent.
    fn check_alpha_derivative(name: &str, a: f64, f: impl Fn(Dual) -> Vec<Dual>) {
        let d = 1e-6;
        let plus = f(Dual::cst(a + d));
        let minus = f(Dual::cst(a - d));
        let ad = f(Dual::var(a));
        let scale = ad.iter().map(|x| x.d.abs()).fold(0.0, f64::max);
        for (j, ((p, m), t)) in plus.iter().zip(&minus).zip(&ad).enumerate() {
            let fd = (p.v - m.v) / (2.0 * d);
            let err = (t.d - fd).abs() / fd.abs().max(1e-3 * scale).max(1e-12);
            assert!(err < 1e-6, "{name} α={a} entry {j}: dual {:e} fd {fd:e}", t.d);
        }
    }

    #[test]
    fn dual_alpha_derivatives() {
        let h = Dual::cst(0.05);
        for &a in &[0.2, 0.5, 0.9] {
            check_alpha_derivative("rectangle", a, |x| rectangle(x, h, 60));
            check_alpha_derivative("trapezoid_row", a, |x| trapezoid_row(x, h, 60));
            check_alpha_derivative("trapezoid_row n=1", a, |x| trapezoid_row(x, h, 1));
            check_alpha_derivative("trapezoid_toeplitz", a, |x| trapezoid_toeplitz(x, h, 60));
            check_alpha_derivative("l1", a, |x| l1(x, 60));
            check_alpha_derivative("l1_scale", a, |x| vec![l1_scale(x, h)]);
            check_alpha_derivative("l1_row", a, |x| l1_row(x, 60));
            check_alpha_derivative("grunwald", a, |x| grunwald(x, 60));
            check_alpha_derivative("finite_part_row", a, |x| finite_part_row(x, 60));
        }
    }

    #[test]
    fn dual_values_match_f64() {
        let a = 0.37;
        let v = |w: Vec<Dual>| w.into_iter().map(|x| x.v).collect::<Vec<_>>();
        let hd = Dual::cst(0.1);
        assert_eq!(v(rectangle(Dual::var(a), hd, 30)), rectangle(a, 0.1, 30));
        assert_eq!(v(trapezoid_row(Dual::var(a), hd, 30)), trapezoid_row(a, 0.1, 30));
        assert_eq!(v(l1_row(Dual::var(a), 30)), l1_row(a, 30));
        assert_eq!(v(grunwald(Dual::var(a), 30)), grunwald(a, 30));
        assert_eq!(v(finite_part_row(Dual::var(a), 30)), finite_part_row(a, 30));
    }

    #[test]
    fn dual_derivative_at_alpha_one() {
        // ω_2 = −α(1−α)/2 has ∂/∂α = 1/2 at α = 1 although ω_2 = 0 there.
        let g = grunwald(Dual::var(1.0), 5);
        assert_eq!(g[2].v, 0.0);
        assert!((g[2].d - 0.5).abs() < 1e-15);
        // ω_j = ω_2 Π_{i=3}^{j}(1 − 2/i) = ω_2 · 2/(j(j−1)) · … ; compare with finite differences.
        let d = 1e-6;
        let (gp, gm) = (grunwald(1.0 + d, 5), grunwald(1.0 - d, 5));
        for (j, gj) in g.iter().enumerate().skip(3) {
            let fd = (gp[j] - gm[j]) / (2.0 * d);
            assert!((gj.d - fd).abs() < 1e-8, "j={j}: {} vs {fd}", gj.d);
        }
        check_alpha_derivative("l1_row α≈1", 1.0 - 1e-5, |x| l1_row(x, 20));
    }
}
