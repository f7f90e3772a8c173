//! Scalar special functions (Γ, ln Γ, ψ, erf, erfc) and the [`Real`] scalar abstraction.
//!
//! The fractional weight generators are written once, generic over [`Real`], so that running
//! them on [`Dual`] numbers yields the exact derivative of every weight with respect to the
//! order α (needed to learn α) without a second, hand-differentiated code path.

mod dual;
mod erf;
mod gamma;
pub mod mittag_leffler;

pub use dual::Dual;
pub use erf::{erf, erfc};
pub use gamma::{digamma, gamma, ln_gamma};

use std::fmt::Debug;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// A real scalar: plain `f64`, or a forward-mode [`Dual`] number carrying one derivative.
///
/// Only the operations the weight generators need are required. Comparisons and branching
/// should go through [`Real::value`], so that control flow never depends on the derivative part.
pub trait Real:
    Copy
    + Debug
    + PartialEq
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Sum
{
    /// Embeds a constant (for [`Dual`]: derivative 0).
    fn from_f64(x: f64) -> Self;
    /// The primal value.
    fn value(self) -> f64;
    /// `self^p` for `self ≥ 0`; `0^p = 0` for `p > 0` (including `p` in `(0, 1)`, where the
    /// derivative with respect to `p` is taken as its limit 0).
    fn powf(self, p: Self) -> Self;
    /// `self^i` for an integer exponent.
    fn powi(self, i: i32) -> Self;
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// Exponential.
    fn exp(self) -> Self;
    /// `ln(1 + self)`, accurate for small `self`.
    fn ln_1p(self) -> Self;
    /// `exp(self) − 1`, accurate for small `self`.
    fn exp_m1(self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// The gamma function Γ(self) (see [`gamma`]).
    fn gamma(self) -> Self;
    /// The constant 0.
    fn zero() -> Self {
        Self::from_f64(0.0)
    }
    /// The constant 1.
    fn one() -> Self {
        Self::from_f64(1.0)
    }
}

impl Real for f64 {
    #[inline]
    fn from_f64(x: f64) -> Self {
        x
    }
    #[inline]
    fn value(self) -> f64 {
        self
    }
    #[inline]
    fn powf(self, p: Self) -> Self {
        f64::powf(self, p)
    }
    #[inline]
    fn powi(self, i: i32) -> Self {
        f64::powi(self, i)
    }
    #[inline]
    fn ln(self) -> Self {
        f64::ln(self)
    }
    #[inline]
    fn exp(self) -> Self {
        f64::exp(self)
    }
    #[inline]
    fn ln_1p(self) -> Self {
        f64::ln_1p(self)
    }
    #[inline]
    fn exp_m1(self) -> Self {
        f64::exp_m1(self)
    }
    #[inline]
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    #[inline]
    fn gamma(self) -> Self {
        gamma::gamma(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        if a == b { 0.0 } else { (a - b).abs() / b.abs() }
    }

    #[test]
    fn f64_real_matches_std() {
        let x = 0.37_f64;
        assert_eq!(<f64 as Real>::from_f64(x), x);
        assert_eq!(Real::value(x), x);
        assert_eq!(Real::powf(x, 1.7), x.powf(1.7));
        assert_eq!(Real::powf(0.0_f64, 0.3), 0.0);
        assert_eq!(Real::powi(x, 3), x.powi(3));
        assert_eq!(Real::ln(x), x.ln());
        assert_eq!(Real::exp(x), x.exp());
        assert_eq!(Real::ln_1p(x), x.ln_1p());
        assert_eq!(Real::exp_m1(x), x.exp_m1());
        assert_eq!(Real::sqrt(x), x.sqrt());
        assert!(rel(Real::gamma(x), gamma(x)) == 0.0);
        assert_eq!(<f64 as Real>::zero(), 0.0);
        assert_eq!(<f64 as Real>::one(), 1.0);
    }
}
