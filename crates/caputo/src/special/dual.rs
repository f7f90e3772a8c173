//! Forward-mode dual numbers (one tangent direction).

use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use super::Real;
use super::gamma::{digamma, gamma};

/// A forward-mode dual number `v + d·ε` (`ε² = 0`): a value and its derivative with respect
/// to one chosen variable.
///
/// Evaluating any [`Real`]-generic function on `Dual::var(x)` returns `f(x)` in `v` and
/// `f'(x)` in `d`, exact up to rounding (no step-size error as with finite differences).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Dual {
    /// Value.
    pub v: f64,
    /// Derivative with respect to the seeded variable.
    pub d: f64,
}

impl Dual {
    /// The independent variable at `x` (derivative 1).
    ///
    /// # Example
    /// ```
    /// use caputo::special::{Dual, Real};
    /// // d/dx x^3 at x = 2 is 12, exactly.
    /// let y = Dual::var(2.0).powi(3);
    /// assert_eq!((y.v, y.d), (8.0, 12.0));
    /// ```
    #[inline]
    pub const fn var(x: f64) -> Self {
        Self { v: x, d: 1.0 }
    }

    /// A constant `x` (derivative 0).
    ///
    /// # Example
    /// ```
    /// use caputo::special::{Dual, Real};
    /// // d/dx (c·x) = c for a constant c.
    /// let y = Dual::cst(3.0) * Dual::var(2.0);
    /// assert_eq!((y.v, y.d), (6.0, 3.0));
    /// assert_eq!(Dual::cst(3.0).exp().d, 0.0);
    /// ```
    #[inline]
    pub const fn cst(x: f64) -> Self {
        Self { v: x, d: 0.0 }
    }

    /// `f(self)` given `f(v)` and `f'(v)`; skips the product when `d = 0` so that an infinite
    /// `f'(v)` (e.g. at a pole or a branch point) does not turn a constant into NaN.
    #[inline]
    fn chain(self, fv: f64, dfv: f64) -> Self {
        let d = if self.d == 0.0 { 0.0 } else { dfv * self.d };
        Self { v: fv, d }
    }
}

impl Add for Dual {
    type Output = Self;
    #[inline]
    fn add(self, o: Self) -> Self {
        Self { v: self.v + o.v, d: self.d + o.d }
    }
}

impl Sub for Dual {
    type Output = Self;
    #[inline]
    fn sub(self, o: Self) -> Self {
        Self { v: self.v - o.v, d: self.d - o.d }
    }
}

impl Mul for Dual {
    type Output = Self;
    #[inline]
    fn mul(self, o: Self) -> Self {
        Self { v: self.v * o.v, d: self.d * o.v + self.v * o.d }
    }
}

impl Div for Dual {
    type Output = Self;
    #[inline]
    fn div(self, o: Self) -> Self {
        let q = self.v / o.v;
        Self { v: q, d: (self.d - q * o.d) / o.v }
    }
}

impl Neg for Dual {
    type Output = Self;
    #[inline]
    fn neg(self) -> Self {
        Self { v: -self.v, d: -self.d }
    }
}

impl AddAssign for Dual {
    #[inline]
    fn add_assign(&mut self, o: Self) {
        *self = *self + o;
    }
}

impl SubAssign for Dual {
    #[inline]
    fn sub_assign(&mut self, o: Self) {
        *self = *self - o;
    }
}

impl MulAssign for Dual {
    #[inline]
    fn mul_assign(&mut self, o: Self) {
        *self = *self * o;
    }
}

impl DivAssign for Dual {
    #[inline]
    fn div_assign(&mut self, o: Self) {
        *self = *self / o;
    }
}

impl Sum for Dual {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::cst(0.0), |a, b| a + b)
    }
}

impl Real for Dual {
    #[inline]
    fn from_f64(x: f64) -> Self {
        Self::cst(x)
    }

    #[inline]
    fn value(self) -> f64 {
        self.v
    }

    fn powf(self, p: Self) -> Self {
        if self.v == 0.0 && p.v > 0.0 {
            // b^p ln b → 0 as b → 0+, so only the base direction can contribute, and it is
            // p·0^(p−1): 0 for p > 1, 1 for p = 1, unbounded for p < 1.
            let d = if self.d == 0.0 { 0.0 } else { p.v * 0.0_f64.powf(p.v - 1.0) * self.d };
            return Self { v: 0.0, d };
        }
        let val = self.v.powf(p.v);
        let mut d = 0.0;
        if self.d != 0.0 {
            d += p.v * (val / self.v) * self.d;
        }
        if p.d != 0.0 {
            d += val * self.v.ln() * p.d;
        }
        Self { v: val, d }
    }

    fn powi(self, i: i32) -> Self {
        if i == 0 {
            return Self::cst(1.0);
        }
        self.chain(self.v.powi(i), f64::from(i) * self.v.powi(i - 1))
    }

    #[inline]
    fn ln(self) -> Self {
        self.chain(self.v.ln(), 1.0 / self.v)
    }

    #[inline]
    fn exp(self) -> Self {
        let e = self.v.exp();
        self.chain(e, e)
    }

    #[inline]
    fn ln_1p(self) -> Self {
        self.chain(self.v.ln_1p(), 1.0 / (1.0 + self.v))
    }

    #[inline]
    fn exp_m1(self) -> Self {
        self.chain(self.v.exp_m1(), self.v.exp())
    }

    #[inline]
    fn sqrt(self) -> Self {
        let s = self.v.sqrt();
        self.chain(s, 0.5 / s)
    }

    fn gamma(self) -> Self {
        let g = gamma(self.v);
        if self.d == 0.0 {
            return Self::cst(g);
        }
        self.chain(g, g * digamma(self.v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Central difference of `f` at `x`, and the derivative reported by `Dual`.
    fn check(f: impl Fn(Dual) -> Dual, x: f64, tol: f64) {
        let h = 1e-6 * x.abs().max(1.0);
        let fd = (f(Dual::cst(x + h)).v - f(Dual::cst(x - h)).v) / (2.0 * h);
        let ad = f(Dual::var(x));
        assert_eq!(ad.v, f(Dual::cst(x)).v, "value must not depend on the seed");
        let err = (ad.d - fd).abs() / fd.abs().max(1e-3);
        assert!(err < tol, "x={x}: dual {} vs fd {fd} (rel {err:e})", ad.d);
    }

    #[test]
    fn arithmetic_derivatives() {
        let c = Dual::cst(1.7);
        check(|x| x + c, 0.4, 1e-8);
        check(|x| c - x, 0.4, 1e-8);
        check(|x| x * x * c, 0.4, 1e-8);
        check(|x| c / (x * x + c), 0.4, 1e-8);
        check(|x| -x * x, 0.4, 1e-8);
        check(
            |x| {
                let mut a = x;
                a += c;
                a *= x;
                a -= c;
                a /= x + c;
                a
            },
            0.4,
            1e-8,
        );
        check(|x| [x, x * x, c].into_iter().sum(), 0.9, 1e-8);
    }

    #[test]
    fn elementary_derivatives() {
        for &x in &[0.05, 0.3, 0.9, 2.5] {
            check(|x| x.ln(), x, 1e-7);
            check(|x| x.exp(), x, 1e-8);
            check(|x| x.ln_1p(), x, 1e-8);
            check(|x| x.exp_m1(), x, 1e-8);
            check(|x| x.sqrt(), x, 1e-7);
            check(|x| x.powi(3), x, 1e-8);
            check(|x| x.powi(-2), x, 1e-7);
            check(|x| x.powi(0), x, 1e-8);
            check(|x| x.powf(Dual::cst(0.7)), x, 1e-7);
            check(|x| Dual::cst(3.2).powf(x), x, 1e-8);
            check(|x| x.powf(x), x, 1e-7);
            check(Dual::gamma, x, 1e-7);
            check(|x| Dual::gamma(-x), x, 1e-7);
        }
    }

    #[test]
    fn powf_at_zero_base() {
        for &p in &[0.3, 1.0, 1.5] {
            let r = Dual::cst(0.0).powf(Dual::var(p));
            assert_eq!((r.v, r.d), (0.0, 0.0));
        }
        assert_eq!(Dual::var(0.0).powf(Dual::cst(1.5)), Dual::cst(0.0));
        assert_eq!(Dual::var(0.0).powf(Dual::cst(1.0)), Dual::var(0.0));
        assert!(Dual::var(0.0).powf(Dual::cst(0.5)).d.is_infinite());
    }

    #[test]
    fn constants_stay_constant() {
        let c = Dual::cst(-3.0);
        assert_eq!(Dual::gamma(c).d, 0.0);
        assert_eq!(Dual::cst(0.0).ln().d, 0.0);
        assert_eq!(Dual::from_f64(2.0), Dual::cst(2.0));
        assert_eq!(Dual::var(2.0).value(), 2.0);
    }
}
