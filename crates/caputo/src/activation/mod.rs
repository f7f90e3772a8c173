//! Vectorised activation functions and their derivatives, on slices and on Burn tensors.
//!
//! Burn's `flex` CPU backend evaluates `tanh`, `exp` and `erf` by calling scalar libm once
//! per element; on a wide MLP field that was measured at 71% of the solve time (`tanhf` and
//! `expm1f`). The kernels here are branch-free range reductions and polynomial or rational
//! approximations written so that LLVM vectorises them for the default x86-64 target (SSE2):
//! `if c { a } else { b }` between computed values (blends), power-of-two scaling by integer
//! arithmetic on the float bits, no calls. See `examples/activation_speed.rs` for timings.
//!
//! # Functions
//!
//! | [`Activation`] | `f(x)` | computed as | `f′(x)` from |
//! |---|---|---|---|
//! | `Identity` | `x` | copy | `1` |
//! | `Tanh` | `tanh x` | `−e/(2 + e)`, `e = expm1(−2\|x\|)`, sign restored | `(1 − y)(1 + y)` |
//! | `Sigmoid` | `1/(1 + e^{−x})` | `1/(1 + e)` or `e/(1 + e)`, `e = e^{−\|x\|}` | `y (1 − y)` |
//! | `Softplus` | `ln(1 + eˣ)` | `max(x, 0) + log1p(e^{−\|x\|})` | `σ(x)` |
//! | `Relu` | `max(x, 0)` | select | `1` if `x > 0`, else `0` (also at 0, as PyTorch) |
//! | `Gelu` | `x Φ(x)` (exact, erf form; PyTorch's default) | fdlibm's erf/erfc rational approximations, tail rewritten in `x` | `Φ(x) + x φ(x)`, `Φ = y/x` |
//! | `Silu` | `x σ(x)` | as sigmoid, scaled last | `σ(x)(1 + x σ(−x))` |
//!
//! Derivatives are exact for the function computed: `(1 − y)(1 + y)` is the derivative of
//! `tanh` evaluated at the computed `y`, and so on. Like PyTorch, `Softplus` is
//! `ln(1 + eˣ)` with `β = 1`; unlike PyTorch and Burn, it has no threshold above which it
//! returns `x` (they differ from it by at most `e^{−20}` ≈ 2e-9 there).
//!
//! The elementary functions underneath (in `math.rs`): `exp` by Cody–Waite reduction
//! `x = k ln 2 + r` and a Taylor polynomial of `e^r − 1` (degree 7 in f32, 13 in f64), with
//! `2^k` applied as two normal factors so that subnormal results are rounded once;
//! `log1p` on `[0, 1]` by fdlibm's `f − f²/2 + s(f²/2 + R(s²))` with an exact `1 + u`;
//! and `Φ` from fdlibm's four erf/erfc rational approximations (Sun Microsystems, 1993), whose
//! tail is evaluated in `x` with `x²/2` split so that `e^{−x²/2}` is accurate for large `|x|`,
//! and whose argument `x/√2` is split exactly, its rounding error corrected to first order.
//!
//! # Accuracy
//!
//! Against the exact value (mpmath, 60 digits; about 48 000 points in `[−45, 45]`, the lower
//! tails and `±[1e-30, 30]`), the largest errors, in ulp of the true value, are:
//!
//! | | tanh | sigmoid | softplus | relu | gelu | silu |
//! |---|---|---|---|---|---|---|
//! | f32 | 2.44 | 1.95 | 1.40 | 0 | 1.95 | 2.22 |
//! | f64 | 2.40 | 1.89 | 1.26 | 0 | 1.69 | 2.48 |
//!
//! (Regenerate: `cargo test -p caputo --test activations -- --ignored --nocapture
//! writes_values`, then `python3 scripts/activation_accuracy.py <printed path>`.)
//!
//! (For GELU, `z = x/√2` is carried with its rounding error and `erf` corrected to first order;
//! rounding `z` alone cost up to 3.4 ulp in f32 and 4.4 ulp in f64.) The tests check a
//! contract with margin: f32 within 4 ulp of the f64 libm value
//! rounded to f32, and f64 within 1e-15 relative of libm (2e-15 for GELU, whose reference
//! `special::erfc` is itself accurate to about 1e-15) over 10⁶ points in `[−50, 50]`, plus
//! special values (`tests/activations.rs`: `f32_kernels_are_within_4_ulp_of_libm`,
//! `f64_kernels_are_within_1e_15_of_libm`, `gelu_matches_mpmath_in_both_tails`). Saturation,
//! subnormals, `±0`, `±∞` and NaN are exact: `tanh(±100) = ±1`, `σ(−1000) = 0`,
//! `softplus(1000) = 1000`, NaN in gives NaN out (`special_values_are_exact`); at `−∞`, SiLU
//! and GELU give `−0` (the limit, where `x · 0` would be NaN). Derivatives are checked against
//! closed forms and central differences in f64 (`derivatives_match_closed_forms`,
//! `derivatives_match_central_differences`); at NaN they are NaN, except `Identity`'s `1`.
//!
//! # Cost
//!
//! One pass over the data; per element roughly 40 flops and one division (tanh, sigmoid,
//! SiLU), 70 flops and two divisions (softplus), 150 flops and two divisions (GELU, which
//! evaluates all four of fdlibm's pieces and blends). Measured by
//! `RAYON_NUM_THREADS=1 cargo run --release -p caputo --example activation_speed` (one
//! thread, 128×256 tensor, fresh input, 2-core x86-64 with SSE2 code, under load from other
//! builds; ratios are steadier than absolute times), in ns per element:
//!
//! | | tanh | sigmoid | softplus | relu | gelu | silu |
//! |---|---|---|---|---|---|---|
//! | f32, Burn `flex` | 8.9 | 4.2 | 7.8 | 0.09 | 12.0 | 4.7 |
//! | f32, [`apply`] | 1.14 | 1.33 | 3.1 | 0.09 | 8.0 | 1.64 |
//! | f64, Burn `flex` | 8.9 | 4.6 | 12.9 | 0.16 | 14.3 | 7.3 |
//! | f64, [`apply`] | 3.3 | 3.7 | 9.7 | 0.15 | 17.7 | 4.4 |
//!
//! With autodiff (forward and backward) the f32 speed-ups are 5.4× (tanh), 2.6× (sigmoid),
//! 3.4× (softplus), 2.3× (GELU) and 2.1× (SiLU); in f64 between 1.0× (sigmoid, GELU, SiLU)
//! and 1.9× (softplus). ReLU stays Burn's (already a vectorised select). In f64, SSE2 holds
//! two lanes and glibc's scalar `exp` is fast, so the gain is smaller, and GELU is slower than
//! Burn's (but accurate in the lower tail, where Burn's `1 + erf` cancels); the kernels are
//! still used there so that plain and autodiff evaluations give identical values.
//!
//! # Why hand-written
//!
//! Burn's `flex` backend (what [`apply`] replaces on the CPU) calls libm per element. Of the
//! SIMD math crates, `sleef` (the Rust port of SLEEF) needs nightly `portable_simd`, and
//! `wide` has `exp`, `exp_m1`, `ln` and `tanh` on its vector types but no `erf` (so no exact
//! GELU); neither gives derivative kernels consistent with the values, f32 and f64 through
//! one code path, or the tested behaviour in the tails and at subnormals, ±∞ and NaN. The
//! code here is std-only: about 700 lines with comments (`float.rs`, `math.rs`,
//! `kernels.rs`), with fdlibm's published coefficients for erf.
//!
//! # Example
//! ```
//! use caputo::activation::{self, Activation};
//! let x = [-2.0f32, 0.0, 0.5, 30.0];
//! let mut y = [0.0; 4];
//! activation::forward(Activation::Tanh, &x, &mut y);
//! assert_eq!(y[3], 1.0);
//! let mut a = [1.0; 4]; // a cotangent
//! activation::vjp_in_place(Activation::Tanh, &x, &y, &mut a); // a ← a ⊙ tanh′(x)
//! assert!((a[2] - (1.0 - 0.5f32.tanh().powi(2))).abs() < 1e-6);
//! assert_eq!(Activation::by_name("gelu").unwrap(), Activation::Gelu);
//! ```

mod burn_ops;
mod float;
mod kernels;
mod math;

pub use burn_ops::{apply, gelu, relu, sigmoid, silu, softplus, tanh, with_burn};
pub use float::KernelFloat;

/// An elementwise activation function (see the [module docs](self) for formulas and accuracy).
///
/// Serialises as its kebab-case [`name`](Activation::name) (`"tanh"`, `"gelu"`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Activation {
    /// `f(x) = x`.
    Identity,
    /// `tanh x`.
    Tanh,
    /// The logistic sigmoid `σ(x) = 1/(1 + e^{−x})`.
    Sigmoid,
    /// `ln(1 + eˣ)`.
    Softplus,
    /// `max(x, 0)`.
    Relu,
    /// `x Φ(x)`, `Φ` the standard normal CDF (the exact, erf-based GELU).
    Gelu,
    /// `x σ(x)` (also called swish).
    Silu,
}

impl Activation {
    /// Every activation, in declaration order.
    pub fn all() -> [Activation; 7] {
        use Activation::*;
        [Identity, Tanh, Sigmoid, Softplus, Relu, Gelu, Silu]
    }

    /// The kebab-case name, as in serde and the CLI.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Identity => "identity",
            Activation::Tanh => "tanh",
            Activation::Sigmoid => "sigmoid",
            Activation::Softplus => "softplus",
            Activation::Relu => "relu",
            Activation::Gelu => "gelu",
            Activation::Silu => "silu",
        }
    }

    /// The activation called `name` ([`Activation::name`]).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) naming the known names.
    pub fn by_name(name: &str) -> crate::Result<Self> {
        Self::all().into_iter().find(|a| a.name() == name).ok_or_else(|| crate::Error::InvalidParameter {
            name: "activation".into(),
            value: name.into(),
            reason: format!("known: {}", Self::all().map(Self::name).join(", ")),
        })
    }
}

impl std::fmt::Display for Activation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Runs `$body` with the type alias `$k` naming `$act`'s kernel (one monomorphic loop per
/// activation; the `match` is outside the loop).
macro_rules! with_kernel {
    ($act:expr, $k:ident => $body:expr) => {
        match $act {
            Activation::Identity => {
                type $k = kernels::Identity;
                $body
            }
            Activation::Tanh => {
                type $k = kernels::Tanh;
                $body
            }
            Activation::Sigmoid => {
                type $k = kernels::Sigmoid;
                $body
            }
            Activation::Softplus => {
                type $k = kernels::Softplus;
                $body
            }
            Activation::Relu => {
                type $k = kernels::Relu;
                $body
            }
            Activation::Gelu => {
                type $k = kernels::Gelu;
                $body
            }
            Activation::Silu => {
                type $k = kernels::Silu;
                $body
            }
        }
    };
}

/// `y[i] = f(x[i])`.
///
/// # Panics
/// If `x` and `y` differ in length.
pub fn forward<T: KernelFloat>(act: Activation, x: &[T], y: &mut [T]) {
    with_kernel!(act, K => kernels::forward::<K, T>(x, y))
}

/// `x[i] = f(x[i])`.
pub fn forward_in_place<T: KernelFloat>(act: Activation, x: &mut [T]) {
    with_kernel!(act, K => kernels::forward_in_place::<K, T>(x))
}

/// `dy[i] = f′(x[i])`, given `y = f(x)` from [`forward`] (tanh, sigmoid and GELU read their
/// derivative off `y`; the others ignore it).
///
/// # Panics
/// If `x`, `y` and `dy` differ in length.
pub fn derivative<T: KernelFloat>(act: Activation, x: &[T], y: &[T], dy: &mut [T]) {
    with_kernel!(act, K => kernels::derivative::<K, T>(x, y, dy, |_, d| d))
}

/// `y[i] = f(x[i])` and `dy[i] = f′(x[i])` in one pass, bit-identical to [`forward`] then
/// [`derivative`] (softplus and SiLU compute their exponential once for both).
///
/// # Panics
/// If `x`, `y` and `dy` differ in length.
pub fn forward_and_derivative<T: KernelFloat>(act: Activation, x: &[T], y: &mut [T], dy: &mut [T]) {
    with_kernel!(act, K => kernels::forward_and_derivative::<K, T>(x, y, dy))
}

/// The vector–Jacobian product in place: `a[i] ← a[i] · f′(x[i])`, given `y = f(x)` from
/// [`forward`]. One pass; no derivative buffer.
///
/// # Panics
/// If `x`, `y` and `a` differ in length.
pub fn vjp_in_place<T: KernelFloat>(act: Activation, x: &[T], y: &[T], a: &mut [T]) {
    with_kernel!(act, K => kernels::derivative::<K, T>(x, y, a, |a, d| a * d))
}

/// The scalar kernels, for the tests (`f(x)` and `f′(x)` one at a time).
#[cfg(test)]
pub(crate) fn scalar<T: KernelFloat>(act: Activation, x: T) -> (T, T) {
    use kernels::Kernel;
    with_kernel!(act, K => {
        let y = K::value(x);
        (y, K::derivative(x, y))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_by_name_and_serde() {
        for a in Activation::all() {
            assert_eq!(Activation::by_name(a.name()).unwrap(), a);
            assert_eq!(a.to_string(), a.name());
            let json = format!("\"{}\"", a.name());
            let via_serde: Activation = serde_json_like(&json);
            assert_eq!(via_serde, a);
        }
    }

    /// serde without a format crate: deserialize a bare string through
    /// `serde::de::value::StrDeserializer`.
    fn serde_json_like(quoted: &str) -> Activation {
        use serde::Deserialize;
        use serde::de::IntoDeserializer;
        let s = quoted.trim_matches('"');
        let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> = s.into_deserializer();
        Activation::deserialize(de).unwrap()
    }

    #[test]
    fn unknown_name_is_an_invalid_parameter_listing_the_known_names() {
        let e = Activation::by_name("swish").unwrap_err();
        let crate::Error::InvalidParameter { name, value, reason } = &e else { panic!("{e:?}") };
        assert_eq!((name.as_str(), value.as_str()), ("activation", "swish"));
        assert!(reason.contains("tanh") && reason.contains("silu"), "{reason}");
    }

    #[test]
    fn slice_functions_agree_with_the_scalar_kernels_on_every_remainder_length() {
        // 16-lane chunks plus a scalar remainder: lengths 0..40 cover both paths.
        for act in Activation::all() {
            for n in 0..40 {
                let x: Vec<f64> = (0..n).map(|i| -3.0 + 0.17 * i as f64).collect();
                let mut y = vec![0.0; n];
                forward(act, &x, &mut y);
                let mut y2 = x.clone();
                forward_in_place(act, &mut y2);
                let mut dy = vec![0.0; n];
                derivative(act, &x, &y, &mut dy);
                let mut a = vec![2.0; n];
                vjp_in_place(act, &x, &y, &mut a);
                let (mut y3, mut dy3) = (vec![0.0; n], vec![0.0; n]);
                forward_and_derivative(act, &x, &mut y3, &mut dy3);
                for i in 0..n {
                    let (yi, di) = scalar(act, x[i]);
                    assert_eq!((y[i], y2[i], dy[i], a[i]), (yi, yi, di, 2.0 * di), "{act} at {}", x[i]);
                    // The fused pass shares work but not rounding: bit-identical.
                    assert_eq!((y3[i], dy3[i]), (yi, di), "{act} fused at {}", x[i]);
                }
            }
        }
    }

    #[test]
    fn activation_is_send_sync_and_copy() {
        fn check<T: Send + Sync + Copy + 'static>() {}
        check::<Activation>();
    }

    #[test]
    #[should_panic(expected = "different lengths")]
    fn forward_rejects_mismatched_lengths() {
        forward(Activation::Tanh, &[1.0f32, 2.0], &mut [0.0f32]);
    }
}
