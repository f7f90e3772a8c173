//! Two-parameter Mittag-Leffler function `E_{α,β}(z)` for real `z`.
//!
//! `E_{α,β}(z) = Σ_{k≥0} z^k / Γ(αk + β)` is the relaxation function of Caputo
//! fractional differential equations: `D^α y = −λ y`, `y(0) = y0` has the solution
//! `y(t) = y0 E_α(−λ t^α)` with `E_α = E_{α,1}`, and its λ-derivative involves
//! `E_{α,α}`. It is the reference oracle for the solver and gradient tests.
//!
//! The evaluation picks, per argument, the method that is accurate there (the
//! representations are derived in `docs/derivations.md`, "Mittag-Leffler function"):
//!
//! * `z = 0`: `1/Γ(β)`;
//! * closed forms for `α ∈ {1, 2}`, `β ∈ {1, 2}` (`e^z`, `(e^z − 1)/z`, `cos`/`cosh`,
//!   `sin`/`sinh`);
//! * `z < 0`, `α ≠ 1`: the asymptotic expansion `−Σ_{k≥1} z^{−k}/Γ(β − αk)` (plus the
//!   exponentially small pole contributions when `α > 1`) wherever it has converged
//!   to full relative precision, i.e. for large `|z|`;
//! * `z < −0.1`, `0 < α < 1`, `0 < β ≤ 1`: otherwise the real-axis integral (Hankel
//!   contour collapsed onto the negative axis), whose integrand is sign-definite for
//!   `α ≤ β ≤ 1`, so it keeps full *relative* accuracy where `E` is small;
//! * otherwise, `|z| ≤ 1`: the power series (compensated summation; the worst
//!   cancellation for `z < 0` is `E(|z|)/|E(z)|`, a small factor on this disc);
//! * everything else: Garrappa's inversion of the Laplace transform
//!   `s^{α−β}/(s^α − z)` on an optimal parabolic contour with the trapezoidal rule,
//!   plus the residues of the poles left outside the contour (R. Garrappa, SIAM J.
//!   Numer. Anal. 53 (2015) 1350–1369, MATLAB `ml.m`). Its error is about `1e-16`
//!   to `1e-15` absolute (relative to `1 + |E|`).
//!
//! Measured against 40-digit mpmath references (838 points, `α ∈ [0.1, 2]`,
//! `β ∈ [0.1, 3]`, `z ∈ [−100, 30]`): relative error at most `3.4e-14` where
//! `|E| ≥ 1e-3` (the worst cases are large positive `z`, where the rounding of
//! `z^{1/α}` is amplified by the condition number `z^{1/α}/α`), absolute error below
//! `4e-17` where `|E| < 1e-3`.
//!
//! This file holds the dispatch and the short engines (closed forms, series, asymptotic
//! expansion, real-axis integral); the private modules `laplace` (Garrappa's inversion),
//! `quadrature` (adaptive Gauss–Kronrod) and `complex` (the complex type of the contour
//! integrals) hold the rest.

mod complex;
mod laplace;
mod quadrature;
#[cfg(test)]
mod tests;

use std::f64::consts::PI;

use self::complex::Cx;
use self::laplace::ml_laplace_inversion;
use self::quadrature::integrate_adaptive;
use super::gamma::{cospi as cos_pi, gamma, ln_gamma, sinpi as sin_pi};

/// Two-parameter Mittag-Leffler function `E_{α,β}(z) = Σ_{k≥0} z^k / Γ(αk + β)`
/// for real `z`, `0 < α ≤ 2` and `β > 0`.
///
/// `E_{α,1}` is the one-parameter function `E_α`; for example `E_{1,1}(z) = e^z`,
/// `E_{2,1}(−x²) = cos x` and `E_{1/2,1}(−x) = e^{x²} erfc(x)`. The solution of
/// `D^α y = −λ y`, `y(0) = y0` (Caputo) is `y0 E_α(−λ t^α)`, and
/// `d/dz E_α(z) = E_{α,α}(z)/α`.
///
/// Accuracy: relative error about `1e-14` (`≤ 1e-13` in the tests) where `|E|` is
/// not small, and absolute error `≲ 1e-16` where it is (for example near the zeros
/// of `E_{2,1}(−x²) = cos x`). For `0 < α < 1`, `β ≤ 1`, `z < 0`, and for large
/// negative `z` in general, the result has full relative accuracy. Large positive
/// `z` overflows to `+∞` like `e^{z^{1/α}}`. A call costs about 1–20 µs.
///
/// Returns `NaN` if any argument is `NaN`, if `α ∉ (0, 2]` or if `β ≤ 0`.
/// For `z = −∞` it returns the limit `0` when `α < 2` (and `NaN` for `α = 2`, where
/// `E` oscillates); for `z = +∞` it returns `+∞`.
///
/// # Example
/// ```
/// use caputo::special::erfc;
/// use caputo::special::mittag_leffler::mittag_leffler;
/// assert!((mittag_leffler(1.0, 1.0, -2.0) - (-2.0f64).exp()).abs() < 1e-15);
/// assert!((mittag_leffler(2.0, 1.0, -4.0) - 2.0f64.cos()).abs() < 1e-14); // E_2(−x²) = cos x
/// let x: f64 = 0.7; // E_{1/2}(−x) = e^{x²} erfc(x)
/// assert!((mittag_leffler(0.5, 1.0, -x) - (x * x).exp() * erfc(x)).abs() < 1e-13);
/// ```
pub fn mittag_leffler(alpha: f64, beta: f64, z: f64) -> f64 {
    // Written so that NaN parameters fail the range tests.
    if z.is_nan() || !(alpha > 0.0 && alpha <= 2.0) || !(beta > 0.0 && beta.is_finite()) {
        return f64::NAN;
    }
    if z == 0.0 {
        return rgamma(beta);
    }
    if z.is_infinite() {
        return if z > 0.0 {
            f64::INFINITY
        } else if alpha < 2.0 {
            0.0
        } else {
            f64::NAN
        };
    }
    if let Some(e) = closed_form(alpha, beta, z) {
        return e;
    }
    if z < 0.0 {
        if let Some(e) = ml_asymptotic_negative(alpha, beta, -z) {
            return e;
        }
        if z < -INTEGRAL_MIN_X && alpha < 1.0 && beta <= 1.0 {
            return ml_real_axis_integral(alpha, beta, -z);
        }
    }
    if z.abs() <= SERIES_RADIUS {
        return ml_series(alpha, beta, z);
    }
    ml_laplace_inversion(alpha, beta, z)
}

/// Radius of the disc on which the power series is used (outside the regime of
/// [`INTEGRAL_MIN_X`]). On `|z| ≤ 1` the terms decay from the start and the
/// cancellation for negative `z` costs at most a factor `E(|z|)/|E(z)| ≤ E(1)/E(−1)`
/// (`e² ≈ 7.4` for `α = 1`), so the series is accurate to a few ulps times that.
const SERIES_RADIUS: f64 = 1.0;

/// For `z < −0.1`, `0 < α < 1`, `0 < β ≤ 1` the sign-definite real-axis integral (or
/// the asymptotic expansion) replaces the series: there the series' cancellation
/// factor `E(|z|)/E(z)` reaches 10–30 at `|z| = 1` for small `α`, while the integral
/// keeps full relative accuracy. Below 0.1 the factor is at most about 1.3.
const INTEGRAL_MIN_X: f64 = 0.1;

/// Exact elementary forms for the integer-order cases. They are the most common
/// arguments in tests (`α = 1` is the ODE limit) and are cheaper and more accurate
/// than any general method.
fn closed_form(alpha: f64, beta: f64, z: f64) -> Option<f64> {
    if alpha == 1.0 {
        if beta == 1.0 {
            return Some(z.exp());
        }
        if beta == 2.0 {
            // (e^z − 1)/z without cancellation for small z.
            return Some(z.exp_m1() / z);
        }
    }
    if alpha == 2.0 {
        let r = z.abs().sqrt();
        if beta == 1.0 {
            return Some(if z > 0.0 { r.cosh() } else { r.cos() });
        }
        if beta == 2.0 {
            return Some(if z > 0.0 { r.sinh() / r } else { r.sin() / r });
        }
    }
    None
}

/// Power series with Kahan–Babuška (Neumaier) compensated summation.
///
/// Used for `|z| ≤ 1` where it converges quickly; termination is tested against the
/// sum of absolute values so that it also ends when `E` is (nearly) zero.
fn ml_series(alpha: f64, beta: f64, z: f64) -> f64 {
    let mut sum = 0.0;
    let mut comp = 0.0;
    let mut abs_sum = 0.0;
    let mut zk = 1.0;
    for k in 0..20_000u32 {
        let arg = alpha * f64::from(k) + beta;
        let term = zk * rgamma(arg);
        // Neumaier's variant of Kahan summation: robust when a term exceeds the sum.
        let t = sum + term;
        if sum.abs() >= term.abs() {
            comp += (sum - t) + term;
        } else {
            comp += (term - t) + sum;
        }
        sum = t;
        abs_sum += term.abs();
        // 1/Γ(x) decreases monotonically for x ≥ 2 and |z| ≤ 1, so once a term is
        // negligible past that point, all later terms are too.
        if arg >= 2.0 && term.abs() <= 1e-17 * abs_sum {
            break;
        }
        zk *= z;
        if zk == 0.0 {
            break;
        }
    }
    sum + comp
}

/// Asymptotic expansion for `z = −x`, `x → +∞`, `0 < α < 2`, `α ≠ 1`:
///
/// `E_{α,β}(−x) = (2/α) Re[s^{1−β} e^s] + Σ_{k≥1} (−1)^{k+1} x^{−k}/Γ(β − αk)`,
/// `s = x^{1/α} e^{iπ/α}`.
///
/// The first term is the sum of the residues of `e^s s^{α−β}/(s^α + x)` at its poles
/// on the principal sheet, which exist only for `α > 1` (they decay like
/// `e^{x^{1/α} cos(π/α)}`); the algebraic series is the expansion of the remaining
/// Hankel-contour integral. Returns `None` unless the envelope of the terms,
/// `Γ(1 + αk − β)/(π x^k)` (bounds `|1/Γ(β − αk)| x^{−k}` through the reflection
/// formula), drops below `1e-17` of the result while still decreasing, i.e. before
/// the optimal truncation point is passed. Where it applies it has full relative
/// accuracy, unlike the contour integral whose error is absolute.
fn ml_asymptotic_negative(alpha: f64, beta: f64, x: f64) -> Option<f64> {
    if alpha >= 2.0 || alpha == 1.0 || x < 2.0 {
        return None;
    }
    let residues = if alpha > 1.0 {
        let s = Cx::from_polar(x.powf(1.0 / alpha), PI / alpha);
        2.0 * (s.ln() * (1.0 - beta) + s).exp().re / alpha
    } else {
        0.0
    };
    let ln_x = x.ln();
    let inv_x = 1.0 / x;
    // x^{−k} as a running product: exp(−k ln x) would carry the rounding error of
    // ln x multiplied by k ln x (2e-15 relative already for x = 100, k = 2).
    let mut inv_x_k = 1.0;
    let mut sum = 0.0;
    let mut comp = 0.0;
    let mut prev_envelope = f64::INFINITY;
    for k in 1..400u32 {
        let kf = f64::from(k);
        let sign = if k % 2 == 1 { 1.0 } else { -1.0 };
        inv_x_k *= inv_x;
        let term = sign * rgamma(beta - alpha * kf) * inv_x_k;
        // Neumaier-compensated summation, as in the power series.
        let t = sum + term;
        if sum.abs() >= term.abs() {
            comp += (sum - t) + term;
        } else {
            comp += (term - t) + sum;
        }
        sum = t;
        // Envelope of the *next* term (the truncation error estimate).
        let next_arg = 1.0 + alpha * (kf + 1.0) - beta;
        if next_arg > 170.0 {
            return None;
        }
        let envelope = if next_arg > 0.0 {
            (ln_gamma(next_arg) - (kf + 1.0) * ln_x).exp() / PI
        } else {
            // β − α(k+1) ≥ 1: the next coefficient is an ordinary 1/Γ value.
            rgamma(beta - alpha * (kf + 1.0)).abs() * inv_x_k * inv_x
        };
        let total = sum + comp;
        let scale = total.abs().max(residues.abs());
        if envelope <= 1e-17 * scale && envelope < prev_envelope {
            return Some(residues + total);
        }
        if next_arg > 2.0 && envelope > prev_envelope {
            // Past the optimal truncation point without reaching full precision.
            return None;
        }
        prev_envelope = envelope;
    }
    None
}

/// Real-axis integral for `z = −x < 0`, `0 < α < 1`, `0 < β < 1 + α`.
///
/// Collapsing the Hankel contour of `(1/2πi) ∫ e^s s^{α−β}/(s^α + x) ds` onto the
/// negative axis (no pole lies on the principal sheet for `α < 1`) and substituting
/// `u = r^α` gives
///
/// `E_{α,β}(−x) = (1/(απ)) ∫_0^∞ e^{−u^{1/α}} u^{(1−β)/α}
///                 [u sin πβ − x sin π(α−β)] / ((u + x cos πα)² + (x sin πα)²) du`.
///
/// For `β = 1` (substitute `u = x r^α`) this is the classical completely monotone
/// representation `E_α(−x) = (sin απ/π) ∫_0^∞ r^{α−1} e^{−r x^{1/α}}/(r^{2α} + 2r^α cos απ + 1) dr`.
/// The substitution removes the `r^{α−1}` endpoint singularity of the `r` form for
/// `β = 1`. For `α ≤ β ≤ 1` the integrand is positive, so adaptive Gauss–Kronrod
/// quadrature gives full relative accuracy. For `α > 1/2` the denominator has a
/// Lorentzian peak of half-width `w = x sin πα` at `u = −x cos πα`, which becomes a
/// delta function as `α → 1`; past half-way to the peak the integration variable is
/// the offset from the peak, so the peak is resolved to full relative accuracy
/// however close `α` is to 1 (checked down to `1 − α = 1e-9`).
fn ml_real_axis_integral(alpha: f64, beta: f64, x: f64) -> f64 {
    let (sin_b, cos_b) = (sin_pi(beta), cos_pi(beta));
    let sin_ab = sin_pi(alpha - beta);
    let inv_alpha = 1.0 / alpha;
    let pow_u = (1.0 - beta) * inv_alpha;
    // Peak position and half-width of the Lorentzian denominator.
    let peak = -x * cos_pi(alpha);
    let half_width = x * sin_pi(alpha);
    // The integrand is evaluated from u and the offset v = u − peak, with the
    // bracket in one of two equal forms, u sin πβ − x sin π(α−β) = v sin πβ − w cos πβ.
    // Near the peak (α → 1, where it becomes a delta function) the v form and the
    // denominator v² + w² are accurate while the u forms cancel to a relative error
    // ε/sin πα; away from it the u form avoids the cancellation of the v form.
    let integrand = |u: f64, v: f64, near_peak: bool| -> f64 {
        let bracket = if near_peak { v * sin_b - half_width * cos_b } else { u * sin_b - x * sin_ab };
        let d = v * v + half_width * half_width;
        if u <= 0.0 {
            // u^{(1−β)/α} → 0 for β < 1 (the limit is only needed for β = 1).
            return if pow_u == 0.0 { bracket / d } else { 0.0 };
        }
        (-u.powf(inv_alpha)).exp() * u.powf(pow_u) * bracket / d
    };
    // Beyond u^{1/α} = 60 the factor e^{−u^{1/α}} < 1e-26 makes the tail negligible.
    let u_max = 60f64.powf(alpha);
    // Split at the midpoint between 0 and the peak: left of it u is the variable (no
    // cancellation in u near 0), right of it v (no cancellation near the peak).
    let split = if peak > 0.0 { (0.5 * peak).min(u_max) } else { u_max };
    let mut total = 0.0;
    let mut breaks = vec![0.0, split];
    for p in [x, 1.0] {
        if p > 0.0 && p < split {
            breaks.push(p);
        }
    }
    breaks.sort_by(f64::total_cmp);
    total += integrate_adaptive(&|u| integrand(u, u - peak, false), &breaks, 1e-15);
    if split < u_max {
        let (v_lo, v_hi) = (split - peak, u_max - peak);
        let mut breaks = vec![v_lo, v_hi];
        for p in [0.0, -half_width, half_width, x - peak, 1.0 - peak] {
            if p > v_lo && p < v_hi {
                breaks.push(p);
            }
        }
        breaks.sort_by(f64::total_cmp);
        breaks.dedup();
        total += integrate_adaptive(&|v| integrand(v + peak, v, true), &breaks, 1e-15);
    }
    total / (alpha * PI)
}

/// `1/Γ(x)`, exactly zero at the poles `x = 0, −1, −2, …` (through reflection: the crate's
/// `gamma` is NaN there).
fn rgamma(x: f64) -> f64 {
    if x < 0.5 {
        // 1/Γ(x) = sin(πx) Γ(1 − x)/π: finite everywhere, zero at the poles of Γ.
        return sin_pi(x) * gamma(1.0 - x) / PI;
    }
    if x > 171.0 {
        return (-ln_gamma(x)).exp();
    }
    1.0 / gamma(x)
}
