//! Γ, ln Γ and ψ (digamma) in `f64`.
//!
//! Method: upward recurrence to `x ≥ 10`, then Stirling's series (no fitted coefficients, so
//! every constant below is a Bernoulli-number ratio that can be checked by hand); reflection
//! for negative arguments.

use std::f64::consts::PI;

/// Γ(n+1) = n! for n = 0..=22, all exactly representable (22! = 2^19 · an odd number < 2^53).
const FACTORIALS: [f64; 23] = {
    let mut t = [1.0; 23];
    let mut i = 1;
    while i < 23 {
        t[i] = t[i - 1] * i as f64;
        i += 1;
    }
    t
};

/// Below this the recurrence is applied before Stirling's series; at 10 the truncated series
/// (through x^{-15}) is accurate to ~3e-17 relative.
const STIRLING_MIN: f64 = 10.0;

/// ln √(2π).
const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;
/// √(2π).
const SQRT_2PI: f64 = 2.506_628_274_631_000_7;

/// Γ(x) overflows `f64` above this.
const GAMMA_OVERFLOW: f64 = 171.624_376_956_302_7;

/// sin(πx), with the argument reduced exactly so that large |x| and integers stay accurate.
pub(crate) fn sinpi(x: f64) -> f64 {
    let y = x.abs() % 2.0;
    let r = match (2.0 * y).round() as u8 {
        0 => (PI * y).sin(),
        1 => (PI * (y - 0.5)).cos(),
        2 => (PI * (1.0 - y)).sin(),
        3 => -(PI * (y - 1.5)).cos(),
        _ => (PI * (y - 2.0)).sin(),
    };
    if x < 0.0 { -r } else { r }
}

/// cos(πx), reduced like [`sinpi`].
pub(crate) fn cospi(x: f64) -> f64 {
    let y = x.abs() % 2.0;
    match (2.0 * y).round() as u8 {
        0 => (PI * y).cos(),
        1 => -(PI * (y - 0.5)).sin(),
        2 => -(PI * (y - 1.0)).cos(),
        3 => (PI * (y - 1.5)).sin(),
        _ => (PI * (y - 2.0)).cos(),
    }
}

/// ln Γ(x) − [(x − ½) ln x − x + ln √(2π)] for x ≥ [`STIRLING_MIN`]:
/// Σ B_{2k} / (2k(2k−1) x^{2k−1}).
fn stirling_correction(x: f64) -> f64 {
    let z = 1.0 / (x * x);
    let s = 1.0 / 12.0
        + z * (-1.0 / 360.0
            + z * (1.0 / 1260.0
                + z * (-1.0 / 1680.0
                    + z * (1.0 / 1188.0 + z * (-691.0 / 360_360.0 + z * (1.0 / 156.0 + z * (-3617.0 / 122_400.0)))))));
    s / x
}

/// Γ(x) for x ≥ [`STIRLING_MIN`].
fn gamma_stirling(x: f64) -> f64 {
    // x^(x−½) overflows long before Γ(x) does, so it is split in two halves around e^{−x};
    // x − ½ and its half are exact, so pow sees exact arguments.
    let half = x.powf(0.5 * (x - 0.5));
    SQRT_2PI * half * (-x).exp() * half * stirling_correction(x).exp()
}

/// The gamma function Γ(x).
///
/// Relative error about 1e-15 for 0 < x < 171 (exact for integers 1..=23); negative
/// non-integers use the reflection Γ(x) = π / (sin(πx) Γ(1−x)). Poles: `±inf` at ±0,
/// NaN at negative integers and −∞; `+inf` above ≈171.62.
///
/// # Example
/// ```
/// use caputo::special::gamma;
/// assert_eq!(gamma(5.0), 24.0);
/// assert!((gamma(0.5) - std::f64::consts::PI.sqrt()).abs() < 1e-14);
/// assert!((gamma(-0.5) + 2.0 * std::f64::consts::PI.sqrt()).abs() < 1e-14); // reflection
/// ```
pub fn gamma(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x == 0.0 {
        return 1.0 / x;
    }
    if x < 0.0 {
        if x == x.floor() {
            return f64::NAN;
        }
        // Γ(1−x) overflows for x < −170.6 while Γ(x) underflows to ±0: the quotient does that.
        return PI / (sinpi(x) * gamma(1.0 - x));
    }
    if x > GAMMA_OVERFLOW {
        return f64::INFINITY;
    }
    if x == x.floor() && x <= FACTORIALS.len() as f64 {
        return FACTORIALS[x as usize - 1];
    }
    if x >= STIRLING_MIN {
        return gamma_stirling(x);
    }
    // Γ(x) = Γ(x+k) / (x (x+1) … (x+k−1)); at most 10 factors, each rounding once.
    let mut prod = 1.0;
    let mut y = x;
    while y < STIRLING_MIN {
        prod *= y;
        y += 1.0;
    }
    gamma_stirling(y) / prod
}

/// ln |Γ(x)|.
///
/// Absolute error about 1e-15 near the zeros x = 1, 2 (where Γ ≈ 1) and relative error about
/// 1e-15 elsewhere; `+inf` at the poles x = 0, −1, −2, ….
///
/// # Example
/// ```
/// use caputo::special::{gamma, ln_gamma};
/// assert!((ln_gamma(200.0) - (1..200).map(|k| (k as f64).ln()).sum::<f64>()).abs() < 1e-11);
/// assert!((ln_gamma(3.5) - gamma(3.5).ln()).abs() < 1e-15);
/// ```
pub fn ln_gamma(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x.is_infinite() {
        return f64::INFINITY;
    }
    if x <= 0.0 {
        if x == x.floor() {
            return f64::INFINITY;
        }
        return (PI / sinpi(x).abs()).ln() - ln_gamma(1.0 - x);
    }
    if x == 1.0 || x == 2.0 {
        return 0.0;
    }
    if x < STIRLING_MIN {
        let g = gamma(x);
        // Γ(x) ≈ 1/x overflows only for subnormal x, where ln Γ(x) = −ln x to all digits.
        return if g.is_finite() { g.ln() } else { -x.ln() };
    }
    (x - 0.5) * x.ln() - x + LN_SQRT_2PI + stirling_correction(x)
}

/// The digamma function ψ(x) = Γ'(x)/Γ(x).
///
/// Absolute error about 1e-15 for moderate |x| (relative error about 1e-15 where |ψ| is
/// large); NaN at the poles x = 0, −1, −2, … and at −∞.
///
/// # Example
/// ```
/// use caputo::special::digamma;
/// const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;
/// assert!((digamma(1.0) + EULER_GAMMA).abs() < 1e-14);
/// assert!((digamma(5.0) - (digamma(4.0) + 0.25)).abs() < 1e-14); // ψ(x+1) = ψ(x) + 1/x
/// ```
pub fn digamma(x: f64) -> f64 {
    if x.is_nan() || x == f64::NEG_INFINITY {
        return f64::NAN;
    }
    if x == f64::INFINITY {
        return x;
    }
    if x <= 0.0 {
        if x == x.floor() {
            return f64::NAN;
        }
        return digamma(1.0 - x) - PI * cospi(x) / sinpi(x);
    }
    let mut acc = 0.0;
    let mut y = x;
    while y < STIRLING_MIN {
        acc -= 1.0 / y;
        y += 1.0;
    }
    // ψ(y) ~ ln y − 1/(2y) − Σ B_{2k}/(2k y^{2k}); through y^{-14} the tail at y = 10 is ~4e-17.
    let z = 1.0 / (y * y);
    let series = z
        * (1.0 / 12.0
            + z * (-1.0 / 120.0
                + z * (1.0 / 252.0
                    + z * (-1.0 / 240.0 + z * (1.0 / 132.0 + z * (-691.0 / 32_760.0 + z * (1.0 / 12.0)))))));
    acc + y.ln() - 0.5 / y - series
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        if a == b { 0.0 } else { ((a - b) / b).abs() }
    }

    /// (x, Γ(x)) from mpmath at 40 digits, x exactly representable.
    const GAMMA_REF: &[(f64, f64)] = &[
        (1e-10, 9999999999.422785),
        (0.001, 999.4237724845955),
        (0.1, 9.51350769866873),
        (0.3, 2.991568987687591),
        (0.5, 1.772453850905516),
        (0.7, 1.298055332647558),
        (1.3, 0.8974706963062772),
        (1.5, 0.886226925452758),
        (2.5, 1.329340388179137),
        (3.7, 4.170651783796604),
        (9.99, 354802.0170198311),
        (10.5, 1133278.3889487856),
        (33.3, 7.487577596522633e35),
        (100.25, 2.94846628183877e156),
        (170.5, 5.56209241456e305),
        (-0.5, -3.544907701811032),
        (-1.5, 2.363271801207355),
        (-2.3, -1.447107394255918),
    ];

    #[test]
    fn gamma_known_values() {
        assert!(rel(gamma(0.5), PI.sqrt()) < 3e-15);
        assert!(rel(gamma(1.5), 0.5 * PI.sqrt()) < 3e-15);
        assert_eq!(gamma(5.0), 24.0);
        assert_eq!(gamma(1.0), 1.0);
        assert_eq!(gamma(23.0), 1_124_000_727_777_607_680_000.0);
        assert!(rel(gamma(24.0), 25_852_016_738_884_976_640_000.0) < 1e-15);
        for &(x, g) in GAMMA_REF {
            assert!(rel(gamma(x), g) < 1e-14, "Γ({x}) = {} vs {g}", gamma(x));
        }
    }

    #[test]
    fn gamma_special_cases() {
        assert_eq!(gamma(0.0), f64::INFINITY);
        assert_eq!(gamma(-0.0), f64::NEG_INFINITY);
        assert!(gamma(-3.0).is_nan());
        assert!(gamma(f64::NAN).is_nan());
        assert_eq!(gamma(172.0), f64::INFINITY);
        assert!(gamma(-200.5).abs() < 1e-300);
    }

    #[test]
    fn gamma_recurrence() {
        // Dyadic x, so that x + 1 is exact and the identity is tested, not the rounding of x + 1.
        for i in 0..400 {
            let x = 0.007_812_5 + 0.406_25 * f64::from(i);
            if x + 1.0 > 171.0 {
                break;
            }
            assert!(rel(gamma(x + 1.0), x * gamma(x)) < 1e-14, "x={x}");
        }
    }

    #[test]
    fn ln_gamma_values() {
        assert_eq!(ln_gamma(1.0), 0.0);
        assert_eq!(ln_gamma(2.0), 0.0);
        assert!(rel(ln_gamma(0.5), 0.5 * PI.ln()) < 1e-15);
        for &(x, g) in GAMMA_REF {
            let l = ln_gamma(x);
            assert!((l - g.abs().ln()).abs() < 1e-14 * l.abs().max(1.0), "x={x}");
        }
        // mpmath: loggamma(1000.5), loggamma(1e10).
        assert!(rel(ln_gamma(1000.5), 5908.674175848678) < 1e-15);
        assert!(rel(ln_gamma(1e10), 220258509288.81058) < 1e-15);
        assert_eq!(ln_gamma(-2.0), f64::INFINITY);
    }

    #[test]
    fn digamma_values() {
        const EULER: f64 = 0.577_215_664_901_532_9;
        assert!((digamma(1.0) + EULER).abs() < 1e-15);
        assert!((digamma(0.5) + 1.963_510_026_021_423_5).abs() < 1e-15);
        // mpmath: digamma(x).
        let refs: &[(f64, f64)] = &[
            (1e-8, -100000000.57721564),
            (0.25, -4.2274535333762655),
            (1.4616321449683622, -9.241265521729427e-17),
            (3.3, 1.0348224890596216),
            (10.0, 2.251752589066721),
            (123.456, 4.811829323828985),
            (-0.5, 0.03648997397857652),
            (-2.7, -1.1153471291406896),
        ];
        for &(x, p) in refs {
            assert!((digamma(x) - p).abs() < 1e-13 * p.abs().max(1.0), "ψ({x}) = {} vs {p}", digamma(x));
        }
        assert!(digamma(-1.0).is_nan());
        assert!(digamma(0.0).is_nan());
    }

    #[test]
    fn digamma_is_log_derivative() {
        for &x in &[0.2, 0.9, 2.2, 7.5, 15.0, 80.0, -0.4, -3.6] {
            let h = 1e-5;
            let fd = (ln_gamma(x + h) - ln_gamma(x - h)) / (2.0 * h);
            assert!((digamma(x) - fd).abs() < 1e-7 * fd.abs().max(1.0), "x={x}");
        }
    }

    #[test]
    fn sinpi_cospi_exact_points() {
        assert_eq!(sinpi(3.0), 0.0);
        assert_eq!(sinpi(-2.0), 0.0);
        assert_eq!(sinpi(0.5), 1.0);
        assert_eq!(sinpi(-1.5), 1.0);
        assert_eq!(cospi(1.0), -1.0);
        assert_eq!(cospi(2.5), 0.0);
        assert!((sinpi(0.3) - (0.3 * PI).sin()).abs() < 1e-16);
        assert!((cospi(-0.3) - (0.3 * PI).cos()).abs() < 1e-16);
    }
}
