//! Branch-free elementary functions, generic over `f32`/`f64`: `exp`, `expm1` (non-positive
//! arguments), `log1p` on `[0, 1]`, and the Gaussian `Φ` and `φ`.
//!
//! Every function is straight-line code: a range reduction by bit tricks, a fixed polynomial
//! or rational function, and `if c { a } else { b }` between values that are both already
//! computed (LLVM turns these into SIMD blends). Clamps are written as comparisons that are
//! false for NaN, so NaN flows through to the result.
//!
//! * `exp`: Cody–Waite reduction `t = k ln 2 + r`, `|r| ≤ ln2/2`, Taylor polynomial of
//!   `e^r − 1` (degree 7 in f32, 13 in f64: truncation below 0.25 ulp), scaled by
//!   `2^⌊k/2⌉ · 2^(k−⌊k/2⌉)` so that subnormal results are rounded once and overflow gives `+∞`.
//! * `expm1` for `t ≤ 0`: `2^k (1 + p) − 1 = 2^k p + (2^k − 1)`, with `2^k − 1` exact.
//! * `log1p(u)`, `0 ≤ u ≤ 1`: fdlibm's scheme — `1 + u = m + c` exactly (`c` the rounding
//!   error), `m` halved above `√2`, `log m = f − f²/2 + s (f²/2 + R(s²))` with `f = m − 1`
//!   exact, `s = f/(2+f)`, and the series `R(z) = Σ 2zⁿ/(2n+1)` truncated below 0.25 ulp.
//! * `Φ`: fdlibm's four rational approximations of erf/erfc (Sun Microsystems, 1993; as in
//!   musl and the `libm` crate), with three changes: the tail is written in `x` rather than
//!   `z = x/√2` so that `e^{−x²/2}` is computed from an exact `hi(x)²` (rounding `x/√2` first
//!   would cost up to `x²/2` ulp); elsewhere `z` is carried with its rounding error and erf
//!   corrected to first order (rounding `z` cost up to 3–4 ulp); and the tail's
//!   `R(1/z²)/S(1/z²)` is evaluated as `z² R̃(z²)/S̃(z²)` with the coefficients reversed,
//!   which saves a division. All four pieces are evaluated and blended (one shared division).
//! * Polynomials with positive coefficients (Taylor, the `log1p` series) run as two
//!   interleaved Horner chains in `x²`, halving the dependency chain.

// The fdlibm coefficients below are copied digit for digit, so that they can be checked
// against the source; clippy would truncate them to 17 significant digits.
#![allow(clippy::excessive_precision)]

use super::float::private::Internals as F;

/// `if c { a } else { b }` with both sides computed: a blend, never a branch in SIMD code.
#[inline(always)]
pub(super) fn select<T: Copy>(c: bool, a: T, b: T) -> T {
    if c { a } else { b }
}

/// `min(max(x, lo), hi)` that keeps NaN (the comparisons are false for NaN).
#[inline(always)]
fn clamp<T: F>(x: T, lo: T, hi: T) -> T {
    let x = select(x < lo, lo, x);
    select(x > hi, hi, x)
}

/// `c[0] + c[1] x + … + c[n−1] x^{n−1}` by Horner's rule; `c` is a constant, so this unrolls.
#[inline(always)]
fn horner<T: F>(x: T, c: &[f64]) -> T {
    let (last, rest) = c.split_last().expect("a polynomial has coefficients; this is a bug");
    let mut acc = T::c(*last);
    for &ci in rest.iter().rev() {
        acc = acc * x + T::c(ci);
    }
    acc
}

/// The same polynomial as two interleaved Horner chains in `x²` (even and odd
/// coefficients): half the dependency chain, measured 10–30% faster on the f64 kernels.
/// Only for series of positive terms (Taylor, `log1p`): with alternating signs the two
/// halves cancel (fdlibm's erf rationals lost an ulp in f32 this way).
#[inline(always)]
fn horner_split<T: F>(x: T, c: &[f64]) -> T {
    let n = c.len();
    if n < 4 {
        return horner(x, c);
    }
    let x2 = x * x;
    let (mut i, mut j) = ((n - 1) & !1, (n - 2) | 1); // the last even and odd indices
    let (mut even, mut odd) = (T::c(c[i]), T::c(c[j]));
    while i >= 2 {
        i -= 2;
        even = even * x2 + T::c(c[i]);
    }
    while j >= 3 {
        j -= 2;
        odd = odd * x2 + T::c(c[j]);
    }
    even + x * odd
}

/// `1/n!`, `n = 2..=13`.
const INV_FACT: [f64; 12] = [
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5040.0,
    1.0 / 40320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
    1.0 / 6_227_020_800.0,
];

/// `2/(2n+1)`, `n = 1..=9`.
const LOG_SERIES: [f64; 9] =
    [2.0 / 3.0, 2.0 / 5.0, 2.0 / 7.0, 2.0 / 9.0, 2.0 / 11.0, 2.0 / 13.0, 2.0 / 15.0, 2.0 / 17.0, 2.0 / 19.0];

const LOG2_E: f64 = std::f64::consts::LOG2_E;
const SQRT_2: f64 = std::f64::consts::SQRT_2;
/// `1/√π`.
const FRAC_1_SQRT_PI: f64 = 0.564_189_583_547_756_3;
/// `ln(1/√2)`.
const LN_FRAC_1_SQRT_2: f64 = -0.346_573_590_279_972_64;
/// `ln √(2π)`.
const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// `e^r − 1` for `|r| ≤ ln2/2`.
#[inline(always)]
fn expm1_poly<T: F>(r: T) -> T {
    r + r * r * horner_split(r, &INV_FACT[..T::EXPM1_TERMS])
}

/// `hi + lo = k ln2 + r`: returns `(r, k)`, `k` an integer-valued float.
#[inline(always)]
fn reduce<T: F>(hi: T, lo: T) -> (T, T) {
    let k = ((hi + lo) * T::c(LOG2_E) + T::MAGIC) - T::MAGIC;
    let r = (hi - k * T::LN2_HI) + (lo - k * T::LN2_LO);
    (r, k)
}

/// `e^{hi + lo}` (for a small `lo`, `|lo| ≲ 2`, carrying the low part of the argument) as
/// `m · s`: `s = 2^j` is a power of two, possibly tiny, and `m = (1 + p) 2^{k−j}` is normal.
/// A caller that multiplies its own factors into `m` before applying `s` gets one rounding
/// into the subnormal range instead of two.
#[inline(always)]
pub(super) fn exp_split<T: F>(hi: T, lo: T) -> (T, T) {
    let hi = clamp(hi, T::EXP_LO, T::EXP_HI);
    let (r, k) = reduce(hi, lo);
    let k1 = (k * T::c(0.5) + T::MAGIC) - T::MAGIC;
    ((T::c(1.0) + expm1_poly(r)) * T::pow2(k1), T::pow2(k - k1))
}

/// `e^{hi + lo}`, see [`exp_split`].
#[inline(always)]
pub(super) fn exp_hl<T: F>(hi: T, lo: T) -> T {
    let (m, s) = exp_split(hi, lo);
    m * s
}

/// `e^t`.
#[inline(always)]
pub(super) fn exp<T: F>(t: T) -> T {
    exp_hl(t, T::c(-0.0)) // t + (−0) folds away; t + 0 would not (−0 + 0 = +0)
}

/// `e^t − 1` for `t ≤ 0` (NaN in, NaN out).
#[inline(always)]
pub(super) fn expm1_nonpositive<T: F>(t: T) -> T {
    let t = select(t < T::EXPM1_LO, T::EXPM1_LO, t);
    let (r, k) = reduce(t, T::c(-0.0));
    let s = T::pow2(k);
    s * expm1_poly(r) + (s - T::c(1.0))
}

/// `ln(1 + u)` for `0 ≤ u ≤ 1` (NaN in, NaN out).
#[inline(always)]
pub(super) fn log1p_unit<T: F>(u: T) -> T {
    let one = T::c(1.0);
    let m = one + u;
    let c = u - (m - one); // 1 + u = m + c exactly (|u| ≤ 1)
    let big = m > T::c(SQRT_2);
    let (m, c, k) = (select(big, m * T::c(0.5), m), select(big, c * T::c(0.5), c), select(big, one, T::c(0.0)));
    let f = m - one; // exact: m ∈ [1/√2, √2]
    let s = f / (T::c(2.0) + f);
    let z = s * s;
    let r = z * horner_split(z, &LOG_SERIES[..T::LOG_TERMS]);
    let hfsq = T::c(0.5) * f * f;
    // c/m ≤ 2^-53 relative to the result; c·(2 − m) approximates it within 17% on
    // m ∈ [1/√2, √2] (and to O(u²) where c matters most, m ≈ 1 + u): ≤ 0.1 ulp, one division saved.
    k * T::LN2_HI + (f - (hfsq - (s * (hfsq + r) + (k * T::LN2_LO + c * (T::c(2.0) - m)))))
}

// fdlibm's coefficients (s_erf.c; © 1993 Sun Microsystems, "Permission to use, copy, modify,
// and distribute this software is freely granted, provided that this notice is preserved").
// Ascending powers. For f32 they are rounded once, which reproduces fdlibm's s_erff.c.

/// `erf(1) ≈ 0.845…` rounded to 24 bits (exact in f32 and f64).
const ERX: f64 = 8.450_629_115_104_675_292_97e-1;
/// erf on [0, 0.84375]: erf(z) = z + z·P(z²)/Q(z²).
const PP: [f64; 5] = [
    1.283_791_670_955_125_585_61e-1,
    -3.250_421_072_470_014_993_70e-1,
    -2.848_174_957_559_851_047_66e-2,
    -5.770_270_296_489_441_591_57e-3,
    -2.376_301_665_665_016_260_84e-5,
];
const QQ: [f64; 6] = [
    1.0,
    3.979_172_239_591_553_528_19e-1,
    6.502_224_998_876_729_444_85e-2,
    5.081_306_281_875_765_627_76e-3,
    1.324_947_380_043_216_445_26e-4,
    -3.960_228_278_775_368_123_20e-6,
];
/// erf on [0.84375, 1.25]: erf(1 + s) = ERX + P(s)/Q(s).
const PA: [f64; 7] = [
    -2.362_118_560_752_659_440_77e-3,
    4.148_561_186_837_483_316_66e-1,
    -3.722_078_760_357_013_238_47e-1,
    3.183_466_199_011_617_536_74e-1,
    -1.108_946_942_823_966_774_76e-1,
    3.547_830_432_561_823_593_71e-2,
    -2.166_375_594_868_790_843_00e-3,
];
const QA: [f64; 7] = [
    1.0,
    1.064_208_804_008_442_282_86e-1,
    5.403_979_177_021_710_489_37e-1,
    7.182_865_441_419_626_628_68e-2,
    1.261_712_198_087_616_421_12e-1,
    1.363_708_391_202_905_073_62e-2,
    1.198_449_984_679_910_741_70e-2,
];
/// erfc on [1.25, 1/0.35]: erfc(z) = e^{−z²−9/16 + R(1/z²)/S(1/z²)}/z; here reversed:
/// R(1/w)/S(1/w) = w·R̃(w)/S̃(w), w = z².
const RA_REV: [f64; 8] = [
    -9.814_329_344_169_145_485_92,
    -8.128_743_550_630_659_342_46e1,
    -1.846_050_929_067_110_359_94e2,
    -1.623_966_694_625_734_703_55e2,
    -6.237_533_245_032_600_603_96e1,
    -1.055_862_622_532_329_098_14e1,
    -6.938_585_727_071_817_643_72e-1,
    -9.864_944_034_847_148_227_05e-3,
];
const SA_REV: [f64; 9] = [
    -6.042_441_521_485_809_874_38e-2,
    6.570_249_770_319_281_701_35,
    1.086_350_055_417_794_351_34e2,
    4.290_081_400_275_678_333_86e2,
    6.453_872_717_332_678_803_36e2,
    4.345_658_774_752_292_288_21e2,
    1.376_577_541_435_190_426_00e2,
    1.965_127_166_743_925_712_92e1,
    1.0,
];
/// erfc on [1/0.35, 28], reversed as above.
const RB_REV: [f64; 7] = [
    -4.835_191_916_086_513_970_19e2,
    -1.025_095_131_611_077_249_54e3,
    -6.375_664_433_683_896_277_22e2,
    -1.606_363_848_558_219_160_62e2,
    -1.775_795_491_775_475_198_89e1,
    -7.992_832_376_805_230_065_74e-1,
    -9.864_942_924_700_099_285_97e-3,
];
const SB_REV: [f64; 8] = [
    -2.244_095_244_658_581_833_62e1,
    4.745_285_412_069_553_672_15e2,
    2.553_050_406_433_164_425_83e3,
    3.199_858_219_508_595_539_08e3,
    1.536_729_586_084_436_959_94e3,
    3.257_925_129_965_739_188_26e2,
    3.033_806_074_348_245_829_24e1,
    1.0,
];

/// The Gaussian CDF `Φ(x) = ½ erfc(−x/√2)`, with relative accuracy in both tails. Returns
/// `(Φ(x), E, tail)`: in the tail (`|x|/√2 ≥ 1.25`) `Φ(−|x|) = E/|x|`, so that
/// `x Φ(x) = −E` for negative `x` there, without the division and its underflow.
///
/// `z = |x|/√2` is carried as `z + δz` (exactly, to first order): rounding it would cost up to
/// 3 ulp through the slope of `erfc`. The pieces in `z` are corrected by `erf′(z) δz`, with
/// `e^{−z²}` from the same exponential the tail needs (each lane takes the argument it needs).
#[inline(always)]
pub(super) fn gauss_cdf<T: F>(x: T) -> (T, T, bool) {
    let (half, one, zero) = (T::c(0.5), T::c(1.0), T::c(0.0));
    let a = x.abs();
    let a = select(a > T::GAUSS_HI, T::GAUSS_HI, a);
    let ah = a.hi();
    let z_main = ah * T::FRAC_1_SQRT_2_HI; // exact
    let z_rest = (a - ah) * T::FRAC_1_SQRT_2_HI + a * T::FRAC_1_SQRT_2_LO;
    let z = z_main + z_rest;
    let dz = z_rest - (z - z_main); // z + dz = a/√2 (Fast2Sum; z_rest's own rounding is 2^-10 smaller)
    let w = z * z;
    let s = z - one;
    let (r1, r2, r3) = (z < T::c(0.84375), z < T::c(1.25), z < T::c(1.0 / 0.35));
    let tail = !r2;
    // One division for whichever rational function each lane needs.
    let tail_num = select(r3, horner(w, &RA_REV), horner(w, &RB_REV)) * w;
    let tail_den = select(r3, horner(w, &SA_REV), horner(w, &SB_REV));
    let num = select(r1, horner(w, &PP), select(r2, horner(s, &PA), tail_num));
    let den = select(r1, horner(w, &QQ), select(r2, horner(s, &QA), tail_den));
    let ratio = num / den;
    // Tail lanes: E = e^{−a²/2 − 9/16 + ratio}/√2 (½erfc(z) = E/a), with a² = hi(a)² +
    // (a − hi)(a + hi) and hi(a)²/2 + 9/16 exact. Other lanes: e^{−a²/2} = e^{−z²}.
    let e = exp_hl(
        -(ah * ah) * half - select(tail, T::c(0.5625), zero),
        (ah - a) * (ah + a) * half + select(tail, ratio + T::c(LN_FRAC_1_SQRT_2), zero),
    );
    let g = T::c(FRAC_1_SQRT_PI) * e * dz; // ½ erf′(z) δz
    // z < 0.84375: erf(z) = z + z·ratio; ½erfc(z) as fdlibm rearranges it (z − ½ is exact).
    let erf1 = z + z * ratio;
    let q1 = select(z < T::c(0.25), half * (one - erf1), half * (half - ((z - half) + z * ratio)));
    // z < 1.25: ½erfc(z) = ½((1 − ERX) − ratio).
    let q2 = half * ((one - T::c(ERX)) - ratio);
    let q = select(r1, q1 - g, select(r2, q2 - g, e / a)); // Φ(−|x|)
    let upper = select(r1, (half + half * erf1) + g, one - q); // Φ(|x|)
    (select(x >= zero, upper, q), e, tail)
}

/// The Gaussian density `φ(x) = e^{−x²/2}/√(2π)` as `m · s` ([`exp_split`]), with `x²`
/// split so that it is exact.
#[inline(always)]
pub(super) fn gauss_pdf<T: F>(x: T) -> (T, T) {
    let a = x.abs();
    let a = select(a > T::GAUSS_HI, T::GAUSS_HI, a);
    let ah = a.hi();
    exp_split(-(ah * ah) * T::c(0.5), (ah - a) * (ah + a) * T::c(0.5) - T::c(LN_SQRT_2PI))
}
