//! The activation kernels: accuracy against libm and mpmath, exact special values,
//! derivatives, and the Burn tensor functions against Burn's own activations and autodiff.

use burn::tensor::{DType, Tensor, TensorData};
use caputo::activation::{self, Activation, KernelFloat};
use caputo::special::erfc;
use caputo::testkit::{central_difference, f64_device};

// ---------------------------------------------------------------- references (f64 libm)

/// `Φ(x) = ½ erfc(−x/√2)`, with a first-order correction for the rounding of `x/√2` (which
/// `erfc`'s slope would otherwise turn into up to `x²/2` ulp in the lower tail).
fn gauss_cdf_ref(x: f64) -> f64 {
    const C: f64 = std::f64::consts::FRAC_1_SQRT_2;
    const C_LO: f64 = -4.833_646_656_726_457e-17; // 1/√2 − C
    let z = -x * C;
    let dz = (-x).mul_add(C, -z) - x * C_LO; // exact z − round(z), to first order
    0.5 * (erfc(z) - std::f64::consts::FRAC_2_SQRT_PI * (-z * z).exp() * dz)
}

fn sigmoid_ref(x: f64) -> f64 {
    if x >= 0.0 { 1.0 / (1.0 + (-x).exp()) } else { x.exp() / (1.0 + x.exp()) }
}

/// `f(x)` from libm in f64 (and the exact limits at ±∞).
fn reference(act: Activation, x: f64) -> f64 {
    match act {
        Activation::Identity => x,
        Activation::Tanh => x.tanh(),
        Activation::Sigmoid => sigmoid_ref(x),
        Activation::Softplus => x.max(0.0) + (-x.abs()).exp().ln_1p(),
        Activation::Relu if x.is_nan() => x,
        Activation::Relu => x.max(0.0),
        Activation::Gelu | Activation::Silu if x == f64::NEG_INFINITY => -0.0,
        Activation::Gelu | Activation::Silu if x == f64::INFINITY => x,
        Activation::Gelu => x * gauss_cdf_ref(x),
        Activation::Silu => x * sigmoid_ref(x),
    }
}

/// `f′(x)` in closed form, and a scale for the tolerance (the sum of the magnitudes of the
/// terms, so that the check is relative where there is no cancellation).
fn derivative_ref(act: Activation, x: f64) -> (f64, f64) {
    match act {
        Activation::Identity => (1.0, 1.0),
        Activation::Tanh => {
            let c = x.cosh();
            (1.0 / (c * c), 1.0 / (c * c))
        }
        Activation::Sigmoid => {
            let e = (-x.abs()).exp();
            let d = e / ((1.0 + e) * (1.0 + e));
            (d, d)
        }
        Activation::Softplus => (sigmoid_ref(x), sigmoid_ref(x)),
        Activation::Relu => (if x > 0.0 { 1.0 } else { 0.0 }, 1.0),
        Activation::Gelu => {
            let (p, xd) = (gauss_cdf_ref(x), x * (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt());
            (p + xd, p.abs() + xd.abs())
        }
        Activation::Silu => {
            let (s, sn) = (sigmoid_ref(x), sigmoid_ref(-x));
            (s * (1.0 + x * sn), s + (x * s * sn).abs())
        }
    }
}

// ---------------------------------------------------------------- helpers

/// Distance in representable numbers (ulp), with `±0` equal and NaN only equal to NaN.
fn ulp_distance<T: Into<f64> + Copy>(a: T, b: T, bits: u32) -> f64 {
    let (a, b): (f64, f64) = (a.into(), b.into());
    if a.is_nan() || b.is_nan() {
        return if a.is_nan() && b.is_nan() { 0.0 } else { f64::INFINITY };
    }
    if a == b {
        return 0.0;
    }
    let ord = |v: f64| -> i128 {
        if bits == 32 {
            let b = (v as f32).to_bits() as i32;
            i128::from(if b < 0 { i32::MIN - b } else { b })
        } else {
            let b = v.to_bits() as i64;
            i128::from(if b < 0 { i64::MIN - b } else { b })
        }
    };
    (ord(a) - ord(b)).abs() as f64
}

/// 10⁶ + 1 points evenly in [−50, 50], values around the kernels' internal thresholds, both
/// signs of a log sweep from 1e-40 to 1e2, and special values.
fn sweep() -> Vec<f64> {
    let n = 1_000_000;
    let mut xs: Vec<f64> = (0..=n).map(|i| -50.0 + 100.0 * i as f64 / n as f64).collect();
    for i in 0..20_000 {
        let t = 10f64.powf(-40.0 + 42.0 * i as f64 / 20_000.0);
        xs.extend([t, -t]);
    }
    let s2 = std::f64::consts::SQRT_2;
    for t in
        [0.25 * s2, 0.84375 * s2, 1.25 * s2, s2 / 0.35, 0.5 * std::f64::consts::LN_2, 9.0, 20.0, 88.7, 103.9, 709.7]
    {
        for k in -3..=3 {
            let v = t * (1.0 + f64::from(k) * 1e-7);
            xs.extend([v, -v]);
        }
    }
    xs.extend(special_values());
    xs
}

fn special_values() -> Vec<f64> {
    vec![
        0.0,
        -0.0,
        f64::MIN_POSITIVE,
        -f64::MIN_POSITIVE,
        5e-324,
        -5e-324,
        1e-310,
        -1e-310,
        1e-45,
        -1e-45,
        1e-39,
        -1e-39,
        100.0,
        -100.0,
        1000.0,
        -1000.0,
        1e10,
        -1e10,
        1e300,
        -1e300,
        f64::MAX,
        f64::MIN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
    ]
}

fn kernels() -> [Activation; 6] {
    use Activation::*;
    [Tanh, Sigmoid, Softplus, Relu, Gelu, Silu]
}

fn eval<T: KernelFloat + Default>(act: Activation, x: &[T]) -> (Vec<T>, Vec<T>) {
    let mut y = vec![T::default(); x.len()];
    activation::forward(act, x, &mut y);
    let mut d = vec![T::default(); x.len()];
    activation::derivative(act, x, &y, &mut d);
    (y, d)
}

// ---------------------------------------------------------------- accuracy

#[test]
fn f32_kernels_are_within_4_ulp_of_libm() {
    let xs: Vec<f32> = sweep().into_iter().map(|x| x as f32).collect();
    let mut table = String::from("activation  max ulp (f32)  at x\n");
    let mut worst = 0.0f64;
    for act in Activation::all() {
        let (y, _) = eval(act, &xs);
        let (mut m, mut at) = (0.0f64, 0.0f32);
        for (&x, &v) in xs.iter().zip(&y) {
            let r = reference(act, f64::from(x)) as f32;
            let u = ulp_distance(v, r, 32);
            if u > m {
                (m, at) = (u, x);
            }
        }
        table += &format!("{:<11} {m:>13} {at:e}\n", act.name());
        worst = worst.max(m);
    }
    println!("{table}");
    assert!(worst <= 4.0, "an f32 kernel is more than 4 ulp from libm:\n{table}");
}

#[test]
fn f64_kernels_are_within_1e_15_of_libm() {
    let xs = sweep();
    let mut table = String::from("activation  max rel (f64)  max ulp  tolerance\n");
    let mut failed = false;
    for act in Activation::all() {
        // GELU's reference, special::erfc, is itself accurate to about 1e-15.
        let tol = if act == Activation::Gelu { 2e-15 } else { 1e-15 };
        let (y, _) = eval(act, &xs);
        let (mut rel, mut ulp) = (0.0f64, 0.0f64);
        for (&x, &v) in xs.iter().zip(&y) {
            if act == Activation::Gelu && x < -37.0 {
                continue; // the reference underflows before x Φ(x) does (mpmath test below)
            }
            let r = reference(act, x);
            if r.abs() >= f64::MIN_POSITIVE && r.is_finite() {
                rel = rel.max((v - r).abs() / r.abs());
                ulp = ulp.max(ulp_distance(v, r, 64));
            } else {
                // Zero, subnormal, infinite or NaN: exact up to a few subnormal steps.
                assert!(ulp_distance(v, r, 64) <= 4.0, "{act} at {x:e}: {v:e} against {r:e}");
            }
        }
        failed |= rel > tol;
        table += &format!("{:<11} {rel:>13.2e} {ulp:>8} {tol:>10.0e}\n", act.name());
    }
    println!("{table}");
    assert!(!failed, "an f64 kernel is farther from libm than its tolerance:\n{table}");
}

/// `x Φ(x)` from mpmath (50 digits, printed to 20), from the subnormal range to the upper tail.
#[allow(clippy::excessive_precision)]
const GELU_MPMATH: [(f64, f64); 35] = [
    (-38.0, -1.096_462_776_826_138_037_2e-314),
    (-37.5, -1.727_007_378_593_233_066_4e-306),
    (-30.0, -1.472_014_178_144_456_117_9e-196),
    (-25.0, -7.641_741_765_956_402_291e-137),
    (-20.0, -5.507_248_237_212_467_390_2e-88),
    (-14.0, -1.091_095_154_686_992_035_6e-43),
    (-13.5, -1.055_538_986_263_815_314_1e-40),
    (-13.0, -7.952_313_719_414_843_587e-38),
    (-12.0, -2.131_778_534_493_214_797_2e-32),
    (-9.5, -9.969_789_321_594_477_118_2e-21),
    (-7.0, -8.958_687_807_200_845_030_7e-12),
    (-5.0, -1.433_257_859_395_969_558_4e-6),
    (-4.0, -1.266_849_673_324_796_850_2e-4),
    (-3.0, -4.049_694_094_890_283_58e-3),
    (-2.5, -1.552_416_331_444_033_791_7e-2),
    (-2.0, -4.550_026_389_635_841_440_1e-2),
    (-1.7, -7.576_128_668_952_317_225e-2),
    (-1.5, -1.002_108_019_032_870_990_1e-1),
    (-1.2, -1.380_836_042_660_499_268_6e-1),
    (-1.0, -1.586_552_539_314_570_514_1e-1),
    (-0.75, -1.699_705_142_826_511_495e-1),
    (-0.5, -1.542_687_693_629_934_481_8e-1),
    (-0.3, -1.146_265_733_433_142_058_4e-1),
    (-0.1, -4.601_721_627_229_710_418_8e-2),
    (-1e-5, -4.999_960_105_771_960_930_6e-6),
    (1e-8, 5.000_000_039_894_228_144_8e-9),
    (0.2, 1.158_519_418_878_206_119_1e-1),
    (0.6, 4.354_481_293_499_558_312_7e-1),
    (1.1, 9.507_673_329_589_791_553_6e-1),
    (1.6, 1.512_321_133_280_707_309_4),
    (2.2, 2.169_412_415_470_303_245_7),
    (3.0, 2.995_950_305_905_109_716_4),
    (4.5, 4.499_984_710_470_938_714_7),
    (6.0, 5.999_999_994_080_474_129_8),
    (9.0, 8.999_999_999_999_999_999),
];

#[test]
fn gelu_matches_mpmath_in_both_tails() {
    let xs: Vec<f64> = GELU_MPMATH.iter().map(|p| p.0).collect();
    let (y, _) = eval(Activation::Gelu, &xs);
    for (&(x, exact), v) in GELU_MPMATH.iter().zip(y) {
        assert!(ulp_distance(v, exact, 64) <= 3.0, "f64 gelu({x}) = {v:e}, mpmath {exact:e}");
    }
    // f32: the points that are exactly representable in f32 (the others would move x).
    let pts: Vec<(f32, f32)> =
        GELU_MPMATH.iter().filter(|p| f64::from(p.0 as f32) == p.0).map(|p| (p.0 as f32, p.1 as f32)).collect();
    let xs: Vec<f32> = pts.iter().map(|p| p.0).collect();
    let (y, _) = eval(Activation::Gelu, &xs);
    for (&(x, exact), v) in pts.iter().zip(y) {
        assert!(ulp_distance(v, exact, 32) <= 3.0, "f32 gelu({x}) = {v:e}, mpmath {exact:e}");
    }
}

// ---------------------------------------------------------------- special values

/// `t` rounds an f64 to `T`.
fn check_special<T: KernelFloat + Default + Into<f64>>(name: &str, t: fn(f64) -> T) {
    let inf = f64::INFINITY;
    let one = |act: Activation, x: f64| -> (f64, f64) {
        let (y, d) = eval(act, &[t(x)]);
        (y[0].into(), d[0].into())
    };
    let same = |a: f64, b: f64| a == b && a.is_sign_negative() == b.is_sign_negative() || a.is_nan() && b.is_nan();
    // (activation, x, f(x), f′(x)), exact including the sign of zero.
    let nan = f64::NAN;
    let cases = [
        (Activation::Tanh, 100.0, 1.0, 0.0),
        (Activation::Tanh, -100.0, -1.0, 0.0),
        (Activation::Tanh, 0.0, 0.0, 1.0),
        (Activation::Tanh, -0.0, -0.0, 1.0),
        (Activation::Tanh, inf, 1.0, 0.0),
        (Activation::Tanh, -inf, -1.0, 0.0),
        (Activation::Sigmoid, -1000.0, 0.0, 0.0),
        (Activation::Sigmoid, 1000.0, 1.0, 0.0),
        (Activation::Sigmoid, 0.0, 0.5, 0.25),
        (Activation::Sigmoid, -inf, 0.0, 0.0),
        (Activation::Sigmoid, inf, 1.0, 0.0),
        (Activation::Softplus, 1000.0, 1000.0, 1.0),
        (Activation::Softplus, -1000.0, 0.0, 0.0),
        (Activation::Softplus, inf, inf, 1.0),
        (Activation::Softplus, -inf, 0.0, 0.0),
        (Activation::Relu, -0.0, 0.0, 0.0),
        (Activation::Relu, 0.0, 0.0, 0.0),
        (Activation::Relu, -1.0, 0.0, 0.0),
        (Activation::Relu, 2.5, 2.5, 1.0),
        (Activation::Relu, inf, inf, 1.0),
        (Activation::Relu, -inf, 0.0, 0.0),
        (Activation::Gelu, 0.0, 0.0, 0.5),
        (Activation::Gelu, -0.0, -0.0, 0.5),
        (Activation::Gelu, 1000.0, 1000.0, 1.0),
        (Activation::Gelu, -1000.0, -0.0, 0.0),
        (Activation::Gelu, inf, inf, 1.0),
        (Activation::Gelu, -inf, -0.0, 0.0),
        (Activation::Silu, 0.0, 0.0, 0.5),
        (Activation::Silu, -0.0, -0.0, 0.5),
        (Activation::Silu, 1000.0, 1000.0, 1.0),
        (Activation::Silu, -1000.0, -0.0, -0.0),
        (Activation::Silu, inf, inf, 1.0),
        (Activation::Silu, -inf, -0.0, -0.0),
        (Activation::Identity, inf, inf, 1.0),
        (Activation::Identity, nan, nan, 1.0),
    ];
    for (act, x, fx, dfx) in cases {
        let (y, d) = one(act, x);
        assert!(same(y, fx) && same(d, dfx), "{name} {act}({x}) = ({y}, {d}), expected ({fx}, {dfx})");
    }
    // NaN in, NaN out, for the value and the derivative.
    for act in kernels() {
        let (y, d) = one(act, nan);
        assert!(y.is_nan() && d.is_nan(), "{name} {act}(NaN) = ({y}, {d})");
    }
    // Subnormal inputs: the first-order value, rounded once.
    let tiny = f64::from(f32::from_bits(3)); // subnormal in f32
    for (act, fx, dfx) in [
        (Activation::Tanh, tiny, 1.0),
        (Activation::Sigmoid, 0.5, 0.25),
        (Activation::Softplus, std::f64::consts::LN_2, 0.5),
        (Activation::Relu, tiny, 1.0),
        (Activation::Gelu, 0.5 * tiny, 0.5),
        (Activation::Silu, 0.5 * tiny, 0.5),
    ] {
        let (y, d) = one(act, tiny);
        let (fx, dfx) = (t(fx).into(), t(dfx).into());
        assert!(
            ulp_distance(y, fx, 64) <= 1.0 && d == dfx,
            "{name} {act}({tiny:e}) = ({y:e}, {d}), expected ({fx:e}, {dfx})"
        );
    }
}

#[test]
fn special_values_are_exact() {
    check_special::<f32>("f32", |v| v as f32);
    check_special::<f64>("f64", |v| v);
    // f64 subnormals.
    for act in kernels() {
        let x = 5e-324;
        let (y, _) = eval(act, &[x]);
        let expected = match act {
            Activation::Tanh | Activation::Relu => x,
            Activation::Sigmoid => 0.5,
            Activation::Softplus => std::f64::consts::LN_2,
            _ => 0.5 * x, // GELU, SiLU: x/2 rounded (to even: 0)
        };
        assert_eq!(y[0], expected, "f64 {act}({x:e})");
    }
}

// ---------------------------------------------------------------- derivatives

#[test]
fn derivatives_match_closed_forms() {
    let xs: Vec<f64> = (0..=40_000).map(|i| -20.0 + 40.0 * f64::from(i) / 40_000.0).collect();
    for act in Activation::all() {
        let (y, d) = eval(act, &xs);
        for ((&x, &y), &d) in xs.iter().zip(&y).zip(&d) {
            let (r, scale) = derivative_ref(act, x);
            let err = (d - r).abs();
            match act {
                // Read off y: bit-exact against the formula at the computed y, and so within
                // 2 |Δy| ≤ 6e-16 absolute of the truth (y is within 2.5 ulp).
                Activation::Tanh => {
                    assert!(err <= 6e-16 && d == (1.0 - y) * (1.0 + y), "{act}′({x}) = {d:e}, {r:e}")
                }
                Activation::Sigmoid => assert!(err <= 6e-16 && d == y * (1.0 - y), "{act}′({x}) = {d:e}, {r:e}"),
                // GELU's reference rounds x², a relative error of x² ε in φ.
                Activation::Gelu => assert!(err <= (1e-15 + 2e-16 * x * x) * scale, "{act}′({x}) = {d:e}, {r:e}"),
                _ => assert!(err <= 1e-15 * scale, "{act}′({x}) = {d:e}, {r:e}"),
            }
        }
    }
}

#[test]
fn derivatives_match_central_differences() {
    let xs: Vec<f64> = (0..=60).map(|i| -7.3 + 0.25 * f64::from(i)).collect(); // avoids x = 0
    for act in Activation::all() {
        let (_, d) = eval(act, &xs);
        for (&x, &d) in xs.iter().zip(&d) {
            let f = |x: f64| eval(act, &[x]).0[0];
            let fd = central_difference(f, x, 1e-5);
            assert!((d - fd).abs() <= 1e-9 * (1.0 + d.abs()), "{act}′({x}) = {d:e}, central difference {fd:e}");
        }
    }
}

#[test]
fn f32_derivatives_agree_with_f64() {
    let xs: Vec<f32> = (0..=20_000).map(|i| -30.0 + 60.0 * i as f32 / 20_000.0).collect();
    let xs64: Vec<f64> = xs.iter().map(|&x| f64::from(x)).collect();
    for act in Activation::all() {
        let (_, d32) = eval(act, &xs);
        let (_, d64) = eval(act, &xs64);
        for ((&x, &a), &b) in xs.iter().zip(&d32).zip(&d64) {
            // tanh′ and σ′ are read off an f32 y: 2 |Δy| ≤ 5 ulp(1) = 6e-7 absolute.
            assert!((f64::from(a) - b).abs() <= 6e-7 * (b.abs() + 1.0), "{act}′({x}): f32 {a:e}, f64 {b:e}");
        }
    }
}

#[test]
fn vjp_in_place_is_the_cotangent_times_the_derivative() {
    let xs: Vec<f64> = (0..101).map(|i| -5.0 + 0.1 * f64::from(i)).collect();
    let a0: Vec<f64> = (0..101).map(|i| 1.0 + 0.01 * f64::from(i)).collect();
    for act in Activation::all() {
        let (y, d) = eval(act, &xs);
        let mut a = a0.clone();
        activation::vjp_in_place(act, &xs, &y, &mut a);
        for i in 0..xs.len() {
            assert_eq!(a[i], a0[i] * d[i], "{act} at {}", xs[i]);
        }
    }
}

// ---------------------------------------------------------------- Burn tensors

/// Values in [−6, 6] (inside Burn's softplus threshold, where Burn's erf-based GELU is
/// accurate to about 1e-13), with a zero.
fn inputs(n: usize, seed: u64) -> Vec<f64> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut v: Vec<f64> = (0..n).map(|_| rng.random_range(-6.0..6.0)).collect();
    v[0] = 0.0;
    v
}

fn check_against_burn<const D: usize>(dims: [usize; D], dtype: DType, tol: f64) {
    let dev = f64_device().inner();
    let n = dims.iter().product();
    let x = Tensor::<D>::from_data(TensorData::new(inputs(n, n as u64), dims), (&dev, dtype));
    for act in Activation::all() {
        let ours = activation::apply(act, x.clone());
        assert_eq!((ours.dtype(), ours.dims(), ours.is_autodiff()), (dtype, dims, false), "{act}");
        let a = ours.into_data().convert::<f64>().try_to_vec::<f64>().unwrap();
        let b = activation::with_burn(act, x.clone()).into_data().convert::<f64>().try_to_vec::<f64>().unwrap();
        for (i, (a, b)) in a.iter().zip(&b).enumerate() {
            assert!(
                (a - b).abs() <= tol * b.abs().max(1.0),
                "{act} {dtype:?} {dims:?} [{i}]: {a:e} against Burn's {b:e}"
            );
        }
    }
    // A non-contiguous view (swapped dims) gives the same as the contiguous copy.
    if D >= 2 {
        let t = x.clone().swap_dims(0, D - 1);
        let a = activation::apply(Activation::Gelu, t.clone()).into_data().convert::<f64>();
        let b = activation::apply(Activation::Gelu, x).swap_dims(0, D - 1).into_data().convert::<f64>();
        assert_eq!(a.try_to_vec::<f64>().unwrap(), b.try_to_vec::<f64>().unwrap());
    }
}

#[test]
fn apply_matches_burns_activations_on_vector_batch_and_image_shapes() {
    check_against_burn([37], DType::F64, 1e-12);
    check_against_burn([5, 33], DType::F64, 1e-12);
    check_against_burn([2, 3, 5, 7], DType::F64, 1e-12);
    check_against_burn([37], DType::F32, 1e-6);
    check_against_burn([5, 33], DType::F32, 1e-6);
    check_against_burn([2, 3, 5, 7], DType::F32, 1e-6);
}

#[test]
fn apply_equals_the_slice_kernels_bit_for_bit() {
    let dev = f64_device().inner();
    let v = inputs(300, 7);
    let x = Tensor::<2>::from_data(TensorData::new(v.clone(), [15, 20]), (&dev, DType::F64));
    for act in Activation::all() {
        if act == Activation::Relu {
            continue; // Burn's own relu (the same select)
        }
        let mut y = v.clone();
        activation::forward_in_place(act, &mut y);
        let t = activation::apply(act, x.clone()).into_data().try_to_vec::<f64>().unwrap();
        assert_eq!(t, y, "{act}");
    }
}

fn grads_of<const D: usize>(
    x: &[f64],
    dims: [usize; D],
    w: &[f64],
    f: impl Fn(Tensor<D>) -> Tensor<D>,
) -> (Vec<f64>, Vec<f64>) {
    let dev = f64_device();
    let xt = Tensor::<D>::from_data(TensorData::new(x.to_vec(), dims), (&dev, DType::F64)).require_grad();
    let wt = Tensor::<D>::from_data(TensorData::new(w.to_vec(), dims), (&dev, DType::F64));
    let y = f(xt.clone());
    let grads = (y.clone() * wt).sum().backward();
    let g = xt.grad(&grads).expect("x has a gradient").into_data().try_to_vec::<f64>().unwrap();
    (y.into_data().try_to_vec::<f64>().unwrap(), g)
}

#[test]
fn autodiff_gradient_through_apply_equals_burns_autodiff() {
    let dims = [4, 3, 5];
    let x = inputs(60, 11);
    let w = inputs(60, 12);
    for act in Activation::all() {
        let (y, g) = grads_of(&x, dims, &w, |t| activation::apply(act, t));
        let (yb, gb) = grads_of(&x, dims, &w, |t| activation::with_burn(act, t));
        // The value is exactly the kernel's.
        let mut yk = x.clone();
        activation::forward_in_place(act, &mut yk);
        if act != Activation::Relu {
            assert_eq!(y, yk, "{act}: value on the autodiff device");
        }
        for i in 0..x.len() {
            assert!((y[i] - yb[i]).abs() <= 1e-12 * yb[i].abs().max(1.0), "{act} value [{i}]");
            assert!(
                (g[i] - gb[i]).abs() <= 1e-12 * gb[i].abs().max(1.0),
                "{act} grad [{i}]: {} against Burn's {}",
                g[i],
                gb[i]
            );
        }
    }
}

#[test]
fn autodiff_apply_keeps_infinities_exact_with_zero_gradient() {
    let x = [f64::NEG_INFINITY, -1.0, 0.5, f64::INFINITY];
    let (y, g) = grads_of(&x, [4], &[1.0; 4], |t| activation::apply(Activation::Tanh, t));
    assert_eq!(y, vec![-1.0, (-1.0f64).tanh(), 0.5f64.tanh(), 1.0]);
    assert_eq!((g[0], g[3]), (0.0, 0.0));
    assert!((g[2] - (1.0 - 0.5f64.tanh().powi(2))).abs() < 1e-15);
}

#[test]
fn apply_falls_back_to_burn_for_f16() {
    let dev = f64_device().inner();
    let x = Tensor::<1>::from_data(TensorData::new(vec![-1.0f32, 0.0, 0.5, 2.0], [4]), (&dev, DType::F16));
    let y = activation::apply(Activation::Tanh, x);
    assert_eq!(y.dtype(), DType::F16);
    let y = y.into_data().convert::<f32>().try_to_vec::<f32>().unwrap();
    for (a, x) in y.iter().zip([-1.0f32, 0.0, 0.5, 2.0]) {
        assert!((a - x.tanh()).abs() < 2e-3, "{a} against {}", x.tanh());
    }
}

// ---------------------------------------------------------------- regenerating the docs

/// Writes `name x32 f32(x32) x64 f64(x64)` lines for `scripts/activation_accuracy.py`, which
/// measures the errors against mpmath that the module docs quote:
/// `cargo test -p caputo --test activations -- --ignored --nocapture writes_values` then
/// `python3 scripts/activation_accuracy.py <the printed path>`.
#[test]
#[ignore = "writes a file for scripts/activation_accuracy.py (needs mpmath)"]
fn writes_values_for_the_mpmath_check() {
    use std::fmt::Write;
    let mut xs: Vec<f64> = (0..=6000).map(|i| -45.0 + 90.0 * f64::from(i) / 6000.0 + 1e-3).collect();
    xs.extend((0..2000).map(|i| -1.0 - 4.0 * f64::from(i) / 2000.0));
    xs.extend((0..400).map(|i| -8.0 - 32.0 * f64::from(i) / 400.0));
    for i in 0..600 {
        let t = 10f64.powf(-30.0 + 31.5 * f64::from(i) / 600.0);
        xs.extend([t, -t]);
    }
    let x32: Vec<f32> = xs.iter().map(|&x| x as f32).collect();
    let mut out = String::new();
    for act in [Activation::Tanh, Activation::Sigmoid, Activation::Softplus, Activation::Gelu, Activation::Silu] {
        let (y32, _) = eval(act, &x32);
        let (y64, _) = eval(act, &xs);
        for i in 0..xs.len() {
            // f32 values printed as f64 so that they are read back exactly.
            writeln!(out, "{} {:e} {:e} {:e} {:e}", act.name(), f64::from(x32[i]), f64::from(y32[i]), xs[i], y64[i])
                .unwrap();
        }
    }
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("activation_values.txt");
    std::fs::write(&path, out).unwrap();
    println!("{}", path.display());
}
