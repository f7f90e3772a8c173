//! erf and erfc in `f64`, with full relative accuracy of erfc in the far tail.
//!
//! Three regimes, none relying on fitted coefficients:
//! * |x| < ½: Maclaurin series of erf (erfc = 1 − erf loses nothing there since erfc > ½);
//! * ½ ≤ x < 4: trapezoidal rule for erfc(x) = (2x/π) e^{−x²} ∫₀^∞ e^{−t²}/(t²+x²) dt with
//!   the pole correction of Chiarella & Reichel (Math. Comp. 22, 1968), step h = ½;
//! * 4 ≤ x: Laplace's continued fraction, which converges fast there.

use std::f64::consts::{FRAC_2_SQRT_PI, PI};

/// e^{−n²/4}, n = 1..=13 (mpmath); the next one is < 1e-21, below the target accuracy.
const TRAP_NODES: [f64; 13] = [
    0.778_800_783_071_404_9,
    0.367_879_441_171_442_33,
    0.105_399_224_561_864_33,
    0.018_315_638_888_734_18,
    0.001_930_454_136_227_709_3,
    0.000_123_409_804_086_679_56,
    4.785_117_392_129_009e-6,
    1.125_351_747_192_591_2e-7,
    1.605_228_055_185_611_6e-9,
    1.388_794_386_496_402_1e-11,
    7.287_724_095_819_692e-14,
    2.319_522_830_243_569_6e-16,
    4.477_732_441_718_301_5e-19,
];

/// Depth of the continued fraction; at x = 4 a depth of 20 already reaches 1e-16.
const CF_DEPTH: u32 = 32;

/// erfc(x) is below the smallest subnormal from here on.
const ERFC_UNDERFLOW: f64 = 28.0;

/// e^{−x²} without the ~2x²·ε relative error that rounding x² would cause for large x:
/// x = z + (x−z) with z holding 21 significant bits, so z² is exact.
fn exp_neg_sq(x: f64) -> f64 {
    let z = f64::from_bits(x.to_bits() & 0xffff_ffff_0000_0000);
    (-z * z).exp() * ((z - x) * (z + x)).exp()
}

/// Maclaurin series of erf, for |x| < ½ (≤ 12 terms).
fn erf_series(x: f64) -> f64 {
    let x2 = x * x;
    let mut term = x;
    let mut sum = x;
    for n in 1..30 {
        let n = f64::from(n);
        term *= -x2 / n;
        let add = term / (2.0 * n + 1.0);
        sum += add;
        if add.abs() <= 1e-17 * sum.abs() {
            break;
        }
    }
    FRAC_2_SQRT_PI * sum
}

/// erfc for ½ ≤ x, given e = e^{−x²}: trapezoidal rule with pole correction.
fn erfc_trapezoid(x: f64, e: f64) -> f64 {
    let x2 = x * x;
    let mut s = 0.5 / x2;
    for (n, w) in TRAP_NODES.iter().enumerate() {
        let nh = 0.5 * (n + 1) as f64;
        s += w / (nh * nh + x2);
    }
    // The pole of the integrand at t = ix makes the trapezoidal sum too large by exactly
    // 2/(e^{2πx/h} − 1); the correction is < 1% of erfc at x = ½ and irrelevant by x = 4.
    x / PI * e * s - 2.0 / (4.0 * PI * x).exp_m1()
}

/// erfc for large x, given e = e^{−x²}:
/// erfc(x) = e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))).
fn erfc_continued_fraction(x: f64, e: f64) -> f64 {
    let mut t = x;
    for k in (1..=CF_DEPTH).rev() {
        t = x + 0.5 * f64::from(k) / t;
    }
    0.5 * FRAC_2_SQRT_PI * e / t
}

/// erfc for x ≥ ½.
fn erfc_positive(x: f64) -> f64 {
    if x >= ERFC_UNDERFLOW {
        return 0.0;
    }
    let e = exp_neg_sq(x);
    if x < 4.0 { erfc_trapezoid(x, e) } else { erfc_continued_fraction(x, e) }
}

/// The complementary error function erfc(x) = 1 − erf(x) = (2/√π) ∫ₓ^∞ e^{−t²} dt.
///
/// Relative error about 1e-15 over the whole range, including the far tail
/// (erfc(26) ≈ 5.7e-296) where `1 − erf(x)` would be 0.
///
/// # Example
/// ```
/// use caputo::special::{erf, erfc};
/// assert!((erfc(1.0) + erf(1.0) - 1.0).abs() < 1e-15);
/// assert!(erfc(10.0) > 0.0 && 1.0 - erf(10.0) == 0.0); // the tail survives in erfc only
/// assert!((erfc(-2.0) - (2.0 - erfc(2.0))).abs() < 1e-16);
/// ```
pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x <= -0.5 {
        return 2.0 - erfc_positive(-x);
    }
    if x < 0.5 {
        return 1.0 - erf_series(x);
    }
    erfc_positive(x)
}

/// The error function erf(x) = (2/√π) ∫₀ˣ e^{−t²} dt.
///
/// Relative error about 1e-16 for |x| < ½ and absolute error about 1e-16 elsewhere.
///
/// # Example
/// ```
/// use caputo::special::erf;
/// assert!((erf(0.5) - 0.520_499_877_813_046_5).abs() < 1e-15);
/// assert_eq!(erf(-0.5), -erf(0.5)); // odd
/// ```
pub fn erf(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x.abs() < 0.5 {
        return erf_series(x);
    }
    let r = 1.0 - erfc_positive(x.abs());
    if x < 0.0 { -r } else { r }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (x, erfc(x)) from mpmath at 40 digits.
    const ERFC_REF: &[(f64, f64)] = &[
        (-3.5, 1.999_999_256_901_627_6),
        (-0.7, 1.677_801_193_837_418_4),
        (-0.3, 1.328_626_759_459_127_4),
        (0.01, 0.988_716_584_444_150_3),
        (0.25, 0.723_673_609_831_763_1),
        (0.4999, 0.479_588_004_838_613_4),
        (0.5, 0.479_500_122_186_953_5),
        (0.8, 0.257_899_035_292_339_5),
        (1.7, 0.016_209_541_409_225_44),
        (2.5, 0.000_406_952_017_444_958_9),
        (3.9999, 1.542_996_121_555_817_6e-8),
        (4.0, 1.541_725_790_028_002e-8),
        (5.5, 7.357_847_917_974_398e-15),
        (8.0, 1.122_429_717_298_292_6e-29),
        (12.0, 1.356_261_169_205_904_2e-64),
        (20.0, 5.395_865_611_607_901e-176),
        (26.5, 2.210_907_664_263_734_3e-307),
    ];

    fn rel(a: f64, b: f64) -> f64 {
        if a == b { 0.0 } else { ((a - b) / b).abs() }
    }

    #[test]
    fn erfc_brief_values() {
        assert!(rel(erfc(1.0), 0.157_299_207_050_285_13) < 1e-14);
        assert!(rel(erfc(3.0), 2.209_049_699_858_544e-5) < 1e-14);
        assert!(rel(erfc(-1.0), 1.842_700_792_949_714_8) < 1e-14);
    }

    #[test]
    fn mittag_leffler_half_closed_form() {
        // E_{1/2}(−x) = e^{x²} erfc(x): the relaxation oracle for α = ½ (`docs/derivations.md`,
        // "Mittag-Leffler function").
        assert!(rel(1f64.exp() * erfc(1.0), 0.427_583_576_155_807) < 1e-15);
        assert!(rel(4f64.exp() * erfc(2.0), 0.255_395_676_310_505_8) < 1e-15);
    }

    #[test]
    fn erfc_reference_grid() {
        for &(x, r) in ERFC_REF {
            assert!(rel(erfc(x), r) < 1e-14, "erfc({x}) = {:e} vs {r:e}", erfc(x));
        }
    }

    #[test]
    fn erfc_edges() {
        assert_eq!(erfc(0.0), 1.0);
        assert_eq!(erfc(f64::INFINITY), 0.0);
        assert_eq!(erfc(f64::NEG_INFINITY), 2.0);
        assert_eq!(erfc(30.0), 0.0);
        assert!(erfc(f64::NAN).is_nan());
    }

    #[test]
    fn regimes_agree_where_they_meet() {
        for &x in &[0.5, 0.55] {
            let t = erfc_trapezoid(x, exp_neg_sq(x));
            assert!(rel(t, 1.0 - erf_series(x)) < 2e-15, "x={x}");
        }
        for &x in &[3.5, 4.0, 4.5] {
            let e = exp_neg_sq(x);
            assert!(rel(erfc_trapezoid(x, e), erfc_continued_fraction(x, e)) < 2e-15, "x={x}");
        }
    }

    #[test]
    fn erf_is_odd_complement() {
        for &x in &[0.0, 0.1, 0.49, 0.5, 1.3, 3.0, 6.0] {
            assert_eq!(erf(-x), -erf(x));
            assert!((erf(x) + erfc(x) - 1.0).abs() < 2e-16, "x={x}");
        }
        assert!(rel(erf(0.3), 0.328_626_759_459_127_4) < 1e-15);
    }
}
