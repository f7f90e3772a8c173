//! Globally adaptive Gauss–Kronrod (G10/K21) quadrature, for the real-axis integral of
//! [`super::mittag_leffler`].

/// Globally adaptive Gauss–Kronrod (G10/K21) quadrature over consecutive intervals
/// `[breaks[i], breaks[i+1]]`, bisecting the interval with the largest error
/// estimate `|K21 − G10|` until the estimated total error is below `rel_tol · ∫|f|`,
/// every remaining estimate is at the rounding level of its panel, or 2000
/// bisections are spent. `|K21 − G10|` is the error of the 10-point rule, so the
/// returned K21 value is usually far more accurate than the estimate.
pub(super) fn integrate_adaptive(f: &dyn Fn(f64) -> f64, breaks: &[f64], rel_tol: f64) -> f64 {
    // (a, b, kronrod value, |K − G| error estimate, ∫|f| estimate)
    let mut parts: Vec<(f64, f64, f64, f64, f64)> = breaks
        .windows(2)
        .map(|w| {
            let (k, e, a) = gauss_kronrod_21(f, w[0], w[1]);
            (w[0], w[1], k, e, a)
        })
        .collect();
    for _ in 0..2_000 {
        let total_abs: f64 = parts.iter().map(|p| p.4).sum();
        let total_err: f64 = parts.iter().map(|p| p.3).sum();
        if total_err <= rel_tol * total_abs {
            break;
        }
        // Panels whose error estimate is at the level of rounding in the integrand
        // values cannot improve by splitting; leave them alone.
        let Some((idx, worst)) = parts
            .iter()
            .enumerate()
            .filter(|(_, p)| p.3 > 8.0 * f64::EPSILON * p.4)
            .max_by(|a, b| a.1.3.total_cmp(&b.1.3))
            .map(|(i, p)| (i, *p))
        else {
            break;
        };
        let (a, b) = (worst.0, worst.1);
        let m = 0.5 * (a + b);
        if m <= a || m >= b {
            // The interval cannot be split further in floating point; accept it.
            parts[idx].3 = 0.0;
            continue;
        }
        let (k1, e1, a1) = gauss_kronrod_21(f, a, m);
        let (k2, e2, a2) = gauss_kronrod_21(f, m, b);
        parts[idx] = (a, m, k1, e1, a1);
        parts.push((m, b, k2, e2, a2));
    }
    // Sum small contributions first for a little extra accuracy.
    let mut vals: Vec<f64> = parts.iter().map(|p| p.2).collect();
    vals.sort_by(|p, q| p.abs().total_cmp(&q.abs()));
    vals.iter().sum()
}

/// Kronrod 21-point abscissae on `[−1, 1]` (non-negative half, descending; QUADPACK
/// `qk21`). Odd indices are the 10-point Gauss nodes.
#[allow(clippy::excessive_precision)] // digits as published in QUADPACK
const XGK21: [f64; 11] = [
    0.995_657_163_025_808_080_735_527_280_689_003,
    0.973_906_528_517_171_720_077_964_012_084_452,
    0.930_157_491_355_708_226_001_207_180_059_508,
    0.865_063_366_688_984_510_732_096_688_423_493,
    0.780_817_726_586_416_897_063_717_578_345_042,
    0.679_409_568_299_024_406_234_327_365_114_874,
    0.562_757_134_668_604_683_339_000_099_272_694,
    0.433_395_394_129_247_190_799_265_943_165_784,
    0.294_392_862_701_460_198_131_126_603_103_866,
    0.148_874_338_981_631_210_884_826_001_129_720,
    0.0,
];
/// Kronrod 21-point weights matching [`XGK21`].
#[allow(clippy::excessive_precision)] // digits as published in QUADPACK
const WGK21: [f64; 11] = [
    0.011_694_638_867_371_874_278_064_396_062_192,
    0.032_558_162_307_964_727_478_818_972_459_390,
    0.054_755_896_574_351_996_031_381_300_244_580,
    0.075_039_674_810_919_952_767_043_140_916_190,
    0.093_125_454_583_697_605_535_065_465_083_366,
    0.109_387_158_802_297_641_899_210_590_325_805,
    0.123_491_976_262_065_851_077_208_980_221_119,
    0.134_709_217_311_473_325_928_054_001_771_707,
    0.142_775_938_577_060_080_797_094_273_138_717,
    0.147_739_104_901_338_491_374_841_515_972_068,
    0.149_445_554_002_916_905_664_936_468_389_821,
];
/// Gauss 10-point weights for the nodes `XGK21[1], XGK21[3], …, XGK21[9]`.
#[allow(clippy::excessive_precision)] // digits as published in QUADPACK
const WG10: [f64; 5] = [
    0.066_671_344_308_688_137_593_568_809_893_332,
    0.149_451_349_150_580_593_145_776_339_657_697,
    0.219_086_362_515_982_043_995_534_934_228_163,
    0.269_266_719_309_996_355_091_226_921_569_469,
    0.295_524_224_714_752_870_173_892_994_651_338,
];

/// One G10/K21 panel: returns (Kronrod value, |Kronrod − Gauss|, Kronrod ∫|f|).
fn gauss_kronrod_21(f: &dyn Fn(f64) -> f64, a: f64, b: f64) -> (f64, f64, f64) {
    let c = 0.5 * (a + b);
    let hw = 0.5 * (b - a);
    let fc = f(c);
    let mut k = WGK21[10] * fc;
    let mut k_abs = WGK21[10] * fc.abs();
    let mut g = 0.0;
    for i in 0..10 {
        let dx = hw * XGK21[i];
        let f1 = f(c - dx);
        let f2 = f(c + dx);
        k += WGK21[i] * (f1 + f2);
        k_abs += WGK21[i] * (f1.abs() + f2.abs());
        if i % 2 == 1 {
            g += WG10[i / 2] * (f1 + f2);
        }
    }
    (k * hw, ((k - g) * hw).abs(), k_abs * hw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauss_kronrod_rule_is_exact_for_polynomials() {
        // K21 integrates degree ≤ 31 exactly, G10 degree ≤ 19: both facts check the
        // tabulated nodes and weights digit by digit.
        for k in 0..=31 {
            let f = move |t: f64| t.powi(k);
            let (kr, err, _) = gauss_kronrod_21(&f, 0.0, 1.0);
            let exact = 1.0 / f64::from(k + 1);
            assert!((kr - exact).abs() <= 4e-16, "K21, degree {k}");
            if k <= 19 {
                assert!(err <= 4e-16, "G10, degree {k}");
            }
        }
        // ...and not beyond: G10's error for t^20 on [0, 1] is 1.4e-12.
        let f = |t: f64| t.powi(20);
        assert!(gauss_kronrod_21(&f, 0.0, 1.0).1 > 1e-13, "G10 is not exact at degree 20");
    }
}
