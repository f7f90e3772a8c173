//! The two element types the kernels run on, `f32` and `f64`, behind one sealed trait.
//!
//! Everything type-specific lives here: the constants of the Cody–Waite reduction, how many
//! polynomial terms reach the type's precision, and the bit tricks that build `2^k` and split
//! a number into a high part whose square is exact. Each is a handful of integer or bitwise
//! operations on the float's bits, so that the kernels compile to straight-line SIMD code on
//! plain SSE2: no `floor`/`round` (SSE4.1), no float-to-int conversions of 64-bit lanes, no calls.

use std::fmt::Debug;
use std::ops::{Add, Div, Mul, Neg, Sub};

/// An element type of the activation kernels: `f32` or `f64`.
///
/// Sealed: the kernels rely on constants and bit layouts that only these two types provide.
pub trait KernelFloat: private::Internals {}

impl KernelFloat for f32 {}
impl KernelFloat for f64 {}

pub(crate) mod private {
    use super::*;

    /// The operations and constants the kernels need; not nameable outside the crate, which
    /// seals [`KernelFloat`](super::KernelFloat).
    pub trait Internals:
        Copy
        + Debug
        + PartialOrd
        + Send
        + Sync
        + 'static
        + Add<Output = Self>
        + Sub<Output = Self>
        + Mul<Output = Self>
        + Div<Output = Self>
        + Neg<Output = Self>
    {
        /// `1.5 · 2^p` (p = mantissa bits): adding it rounds to an integer, and the integer
        /// then sits in the low bits of the sum.
        const MAGIC: Self;
        /// `ln 2` split so that `k · LN2_HI` is exact for every `k` the kernels produce.
        const LN2_HI: Self;
        /// `ln 2 − LN2_HI`.
        const LN2_LO: Self;
        /// Below this `exp` is 0 (after rounding), and so is `x eˣ` (SiLU); above `EXP_HI`
        /// `exp` is `+∞`. Clamping there keeps `2^k` representable as two normal factors.
        const EXP_LO: Self;
        /// See `EXP_LO`.
        const EXP_HI: Self;
        /// Below this `expm1` is `−1` to the type's precision; one normal factor `2^k` suffices.
        const EXPM1_LO: Self;
        /// Beyond this `|x|`, `Φ(−|x|)` and `x φ(x)` are 0 in the type (and `Φ(|x|) = 1`).
        const GAUSS_HI: Self;
        /// Below this `|x|`, `Φ(x) = ½` after rounding (GELU's derivative uses `y/x` above it).
        const PHI_HALF_BELOW: Self;
        /// `1/√2` rounded so that `hi(x) · FRAC_1_SQRT_2_HI` is exact.
        const FRAC_1_SQRT_2_HI: Self;
        /// `1/√2 − FRAC_1_SQRT_2_HI`.
        const FRAC_1_SQRT_2_LO: Self;
        /// Taylor coefficients `1/n!`, `n = 2..`, that `expm1` uses (truncation < 0.25 ulp).
        const EXPM1_TERMS: usize;
        /// Coefficients `2/(2n+1)`, `n = 1..`, of the `log1p` series (truncation < 0.25 ulp).
        const LOG_TERMS: usize;
        /// A constant, rounded once to the type (folded at compile time).
        fn c(x: f64) -> Self;
        /// `2^k` for an integer-valued `k` whose power of two is a normal number.
        fn pow2(k: Self) -> Self;
        /// `x` with the low mantissa bits cleared, so that `hi(x)²` is exact and
        /// `hi(x)²/2 + 9/16` too, for `1 ≤ |x| ≤ GAUSS_HI`.
        fn hi(self) -> Self;
        /// `|x|` (clears the sign bit).
        fn abs(self) -> Self;
        /// `|x|` with the sign of `s`.
        fn copysign(self, s: Self) -> Self;
        /// `x != x`.
        #[allow(clippy::eq_op)]
        fn is_nan(self) -> bool {
            self != self
        }
    }

    impl Internals for f32 {
        const MAGIC: f32 = 12_582_912.0; // 1.5 · 2^23
        const LN2_HI: f32 = f32::from_bits(0x3f31_7200); // 0.693145751953125: 16 significant bits
        const LN2_LO: f32 = f32::from_bits(0x35bf_be8e); // 1.4286068e-6
        const EXP_LO: f32 = -112.0; // 112 e^-112 ≈ 2.6e-47 < half the smallest subnormal
        const EXP_HI: f32 = 89.0; // e^89 > f32::MAX
        const EXPM1_LO: f32 = -40.0; // e^-40 ≈ 4e-18 ≪ 2^-25
        const GAUSS_HI: f32 = 15.0; // Φ(−15) ≈ 3.7e-51 < smallest subnormal
        const PHI_HALF_BELOW: f32 = f32::from_bits(0x3080_0000); // 2^-30
        const FRAC_1_SQRT_2_HI: f32 = f32::from_bits(0x3f35_0800); // 13 significant bits
        const FRAC_1_SQRT_2_LO: f32 = f32::from_bits(0xb843_3302); // −4.6539126e-5
        const EXPM1_TERMS: usize = 6; // 1/2! … 1/7!
        const LOG_TERMS: usize = 4; // 2/3 … 2/9
        #[inline(always)]
        fn c(x: f64) -> f32 {
            x as f32
        }
        #[inline(always)]
        fn pow2(k: f32) -> f32 {
            // (k + MAGIC) holds k in its low mantissa bits; shift (k + 127) into the exponent.
            let k = (k + Self::MAGIC).to_bits().wrapping_sub(Self::MAGIC.to_bits());
            f32::from_bits(k.wrapping_add(127) << 23)
        }
        #[inline(always)]
        fn hi(self) -> f32 {
            f32::from_bits(self.to_bits() & 0xffff_e000) // 11 significant bits
        }
        #[inline(always)]
        fn abs(self) -> f32 {
            f32::abs(self)
        }
        #[inline(always)]
        fn copysign(self, s: f32) -> f32 {
            f32::copysign(self, s)
        }
    }

    impl Internals for f64 {
        const MAGIC: f64 = 6_755_399_441_055_744.0; // 1.5 · 2^52
        const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000); // 32 significant bits
        const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76); // 1.9082149e-10
        const EXP_LO: f64 = -760.0; // 760 e^-760 ≈ 8e-328 < half the smallest subnormal
        const EXP_HI: f64 = 710.0; // e^710 > f64::MAX
        const EXPM1_LO: f64 = -80.0; // e^-80 ≈ 1.8e-35 ≪ 2^-54
        const GAUSS_HI: f64 = 40.0; // Φ(−40) ≈ 3.7e-350 < smallest subnormal
        const PHI_HALF_BELOW: f64 = f64::from_bits(0x3c30_0000_0000_0000); // 2^-60
        const FRAC_1_SQRT_2_HI: f64 = f64::from_bits(0x3fe6_a09e_6680_0000); // 33 significant bits
        const FRAC_1_SQRT_2_LO: f64 = f64::from_bits(0xbd98_866d_ee9a_09d9); // −5.576365522251341e-12
        const EXPM1_TERMS: usize = 12; // 1/2! … 1/13!
        const LOG_TERMS: usize = 9; // 2/3 … 2/19
        #[inline(always)]
        fn c(x: f64) -> f64 {
            x
        }
        #[inline(always)]
        fn pow2(k: f64) -> f64 {
            let k = (k + Self::MAGIC).to_bits().wrapping_sub(Self::MAGIC.to_bits());
            f64::from_bits(k.wrapping_add(1023) << 52)
        }
        #[inline(always)]
        fn hi(self) -> f64 {
            f64::from_bits(self.to_bits() & 0xffff_fffe_0000_0000) // 20 significant bits
        }
        #[inline(always)]
        fn abs(self) -> f64 {
            f64::abs(self)
        }
        #[inline(always)]
        fn copysign(self, s: f64) -> f64 {
            f64::copysign(self, s)
        }
    }
}
