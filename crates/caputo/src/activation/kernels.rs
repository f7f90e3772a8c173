//! One marker type per activation with its value and derivative, and the slice loops that
//! apply them in fixed-width chunks.
//!
//! The functions are `#[inline(always)]` trait methods rather than closures or function
//! items: passed as a value, a large function (GELU) is called through a shim once per
//! element, which blocks vectorisation; a trait method named by type is always inlined.

use super::float::private::Internals as F;
use super::math::{exp, exp_split, expm1_nonpositive, gauss_cdf, gauss_pdf, log1p_unit, select};

/// Elements per chunk: four SSE2 registers of f32 (eight of f64) in flight, which hides the
/// latency of the polynomial chains.
const LANES: usize = 16;

/// An activation as two element functions.
pub(super) trait Kernel {
    /// `f(x)`.
    fn value<T: F>(x: T) -> T;
    /// `f′(x)`, given `y = f(x)` as computed by [`Kernel::value`].
    fn derivative<T: F>(x: T, y: T) -> T;
    /// `(f(x), f′(x))` in one go; overridden where the two share work.
    #[inline(always)]
    fn value_and_derivative<T: F>(x: T) -> (T, T) {
        let y = Self::value(x);
        (y, Self::derivative(x, y))
    }
}

/// `f(x) = x`, `f′ = 1`.
pub(super) struct Identity;
/// `tanh`.
pub(super) struct Tanh;
/// The logistic sigmoid `σ`.
pub(super) struct Sigmoid;
/// `ln(1 + eˣ)`.
pub(super) struct Softplus;
/// `max(x, 0)`.
pub(super) struct Relu;
/// `x Φ(x)`, the exact (erf) GELU.
pub(super) struct Gelu;
/// `x σ(x)`.
pub(super) struct Silu;

impl Kernel for Identity {
    #[inline(always)]
    fn value<T: F>(x: T) -> T {
        x
    }
    #[inline(always)]
    fn derivative<T: F>(_x: T, _y: T) -> T {
        T::c(1.0)
    }
}

impl Kernel for Tanh {
    /// `tanh x = −e/(2 + e)` with `e = expm1(−2|x|)`, sign restored.
    #[inline(always)]
    fn value<T: F>(x: T) -> T {
        let e = expm1_nonpositive(T::c(-2.0) * x.abs());
        (-e / (T::c(2.0) + e)).copysign(x)
    }
    /// `(1 − y)(1 + y)`: the factored form keeps `1 − y` exact near `y = ±1`.
    #[inline(always)]
    fn derivative<T: F>(_x: T, y: T) -> T {
        (T::c(1.0) - y) * (T::c(1.0) + y)
    }
}

impl Kernel for Sigmoid {
    /// `1/(1 + e)` for `x ≥ 0`, `e/(1 + e)` otherwise, `e = e^{−|x|}`.
    #[inline(always)]
    fn value<T: F>(x: T) -> T {
        let e = exp(-x.abs());
        select(x >= T::c(0.0), T::c(1.0), e) / (T::c(1.0) + e)
    }
    /// `y (1 − y)`.
    #[inline(always)]
    fn derivative<T: F>(_x: T, y: T) -> T {
        y * (T::c(1.0) - y)
    }
}

impl Kernel for Softplus {
    /// `max(x, 0) + log1p(e^{−|x|})`.
    #[inline(always)]
    fn value<T: F>(x: T) -> T {
        let l = log1p_unit(exp(-x.abs()));
        select(x > T::c(0.0), x, T::c(0.0)) + l
    }
    /// `σ(x)`.
    #[inline(always)]
    fn derivative<T: F>(x: T, _y: T) -> T {
        Sigmoid::value(x)
    }
    /// One `e^{−|x|}` for both.
    #[inline(always)]
    fn value_and_derivative<T: F>(x: T) -> (T, T) {
        let e = exp(-x.abs());
        let y = select(x > T::c(0.0), x, T::c(0.0)) + log1p_unit(e);
        (y, select(x >= T::c(0.0), T::c(1.0), e) / (T::c(1.0) + e))
    }
}

impl Kernel for Relu {
    /// `max(x, 0)`, NaN kept, `−0 ↦ +0`.
    #[inline(always)]
    fn value<T: F>(x: T) -> T {
        select(x <= T::c(0.0), T::c(0.0), x)
    }
    /// `1` for `x > 0`, `0` for `x ≤ 0` (PyTorch's choice at 0), NaN for NaN.
    #[inline(always)]
    fn derivative<T: F>(x: T, _y: T) -> T {
        select(x > T::c(0.0), T::c(1.0), select(x.is_nan(), x, T::c(0.0)))
    }
}

impl Kernel for Gelu {
    /// `x Φ(x)`; in the lower tail `−E` directly (see [`gauss_cdf`]), which also gives
    /// `−∞ ↦ −0`.
    #[inline(always)]
    fn value<T: F>(x: T) -> T {
        let (cdf, e, tail) = gauss_cdf(x);
        select(tail & (x < T::c(0.0)), -e, x * cdf)
    }
    /// `Φ(x) + x φ(x)`, with `Φ(x) = y/x` read off the forward value (`½` where `|x|` is so
    /// small that `Φ(x)` rounds to `½`); `x φ(x)` scaled last as in [`exp_split`]; exactly
    /// `1` or `0` beyond `±GAUSS_HI` (where the clamped `φ` would not give 0).
    #[inline(always)]
    fn derivative<T: F>(x: T, y: T) -> T {
        let cdf = select(x.abs() < T::PHI_HALF_BELOW, T::c(0.5), y / x);
        let (m, s) = gauss_pdf(x);
        let d = cdf + (x * m) * s;
        select(x > T::GAUSS_HI, T::c(1.0), select(x < -T::GAUSS_HI, T::c(0.0), d))
    }
}

impl Kernel for Silu {
    /// `x σ(x)`, for `x < 0` as `(x m/(1 + e)) s` with `e = m s` ([`exp_split`]), so that a
    /// subnormal result is rounded once; `−0` below `EXP_LO` (where it rounds to 0; the
    /// clamped exponential would not give 0 there), and so at `−∞`.
    #[inline(always)]
    fn value<T: F>(x: T) -> T {
        let (m, s) = exp_split(-x.abs(), T::c(-0.0));
        silu_value(x, m, s)
    }
    /// `σ(x)(1 + x σ(−x))`, both `σ(±x)` from one `e^{−|x|}` (no cancellation in
    /// `1 − σ(x)`), scaled last as in the value; `1` at `+∞`, `−0` below `EXP_LO`.
    #[inline(always)]
    fn derivative<T: F>(x: T, _y: T) -> T {
        let (m, s) = exp_split(-x.abs(), T::c(-0.0));
        silu_derivative(x, m, s)
    }
    /// One `e^{−|x|}` for both.
    #[inline(always)]
    fn value_and_derivative<T: F>(x: T) -> (T, T) {
        let (m, s) = exp_split(-x.abs(), T::c(-0.0));
        (silu_value(x, m, s), silu_derivative(x, m, s))
    }
}

/// SiLU's value from `e^{−|x|} = m s`.
#[inline(always)]
fn silu_value<T: F>(x: T, m: T, s: T) -> T {
    let pos = x >= T::c(0.0);
    let y = (select(pos, x, x * m) / (T::c(1.0) + m * s)) * select(pos, T::c(1.0), s);
    select(x < T::EXP_LO, T::c(-0.0), y)
}

/// SiLU's derivative from `e^{−|x|} = m s`.
#[inline(always)]
fn silu_derivative<T: F>(x: T, m: T, s: T) -> T {
    let one = T::c(1.0);
    let e = m * s;
    let inv = one / (one + e);
    let pos = x >= T::c(0.0);
    let d = select(pos, inv, m * inv) * (one + x * (select(pos, e, one) * inv)) * select(pos, one, s);
    select(x == T::c(f64::INFINITY), one, select(x < T::EXP_LO, T::c(-0.0), d))
}

/// `y[i] = f(x[i])`.
#[inline(always)]
pub(super) fn forward<K: Kernel, T: F>(x: &[T], y: &mut [T]) {
    assert_eq!(x.len(), y.len(), "activation: x and y have different lengths");
    let mut xc = x.chunks_exact(LANES);
    let mut yc = y.chunks_exact_mut(LANES);
    for (xs, ys) in (&mut xc).zip(&mut yc) {
        for i in 0..LANES {
            ys[i] = K::value(xs[i]);
        }
    }
    for (xi, yi) in xc.remainder().iter().zip(yc.into_remainder()) {
        *yi = K::value(*xi);
    }
}

/// `x[i] = f(x[i])`.
#[inline(always)]
pub(super) fn forward_in_place<K: Kernel, T: F>(x: &mut [T]) {
    let mut xc = x.chunks_exact_mut(LANES);
    for xs in &mut xc {
        for xi in xs.iter_mut() {
            *xi = K::value(*xi);
        }
    }
    for xi in xc.into_remainder() {
        *xi = K::value(*xi);
    }
}

/// `out[i] = op(out[i], f′(x[i]))` given `y = f(x)`: `op` either replaces or multiplies.
#[inline(always)]
pub(super) fn derivative<K: Kernel, T: F>(x: &[T], y: &[T], out: &mut [T], op: impl Fn(T, T) -> T + Copy) {
    assert!(x.len() == y.len() && x.len() == out.len(), "activation: x, y and the output have different lengths");
    let mut xc = x.chunks_exact(LANES);
    let mut yc = y.chunks_exact(LANES);
    let mut oc = out.chunks_exact_mut(LANES);
    for ((xs, ys), os) in (&mut xc).zip(&mut yc).zip(&mut oc) {
        for i in 0..LANES {
            os[i] = op(os[i], K::derivative(xs[i], ys[i]));
        }
    }
    for ((xi, yi), oi) in xc.remainder().iter().zip(yc.remainder()).zip(oc.into_remainder()) {
        *oi = op(*oi, K::derivative(*xi, *yi));
    }
}

/// `y[i] = f(x[i])` and `dy[i] = f′(x[i])` in one pass.
#[inline(always)]
pub(super) fn forward_and_derivative<K: Kernel, T: F>(x: &[T], y: &mut [T], dy: &mut [T]) {
    assert!(x.len() == y.len() && x.len() == dy.len(), "activation: x, y and dy have different lengths");
    let mut xc = x.chunks_exact(LANES);
    let mut yc = y.chunks_exact_mut(LANES);
    let mut dc = dy.chunks_exact_mut(LANES);
    for ((xs, ys), ds) in (&mut xc).zip(&mut yc).zip(&mut dc) {
        for i in 0..LANES {
            (ys[i], ds[i]) = K::value_and_derivative(xs[i]);
        }
    }
    for ((xi, yi), di) in xc.remainder().iter().zip(yc.into_remainder()).zip(dc.into_remainder()) {
        (*yi, *di) = K::value_and_derivative(*xi);
    }
}
