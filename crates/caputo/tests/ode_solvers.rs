//! ODE solvers: convergence orders of every registry tableau, adaptive tolerance scaling,
//! dense output order, device dtype, errors.

use burn::tensor::{DType, Tensor};
use caputo::field::FnField;
use caputo::ode::{ButcherTableau, StepControl, solve, solve_dense, tableau};
use caputo::problems::LinearField;
use caputo::tensor::{from_vec, to_vec};
use caputo::testkit::{error_table, f64_device, fitted_order};
use caputo::{Error, StopReason};

fn plain() -> burn::tensor::Device {
    f64_device().inner()
}

/// Exact solution of y' = A y for the damped rotation A = [[-0.1,-1],[1,-0.1]].
fn rotation_exact(t: f64, y0: [f64; 2]) -> [f64; 2] {
    let (c, s, e) = (t.cos(), t.sin(), (-0.1 * t).exp());
    [e * (c * y0[0] - s * y0[1]), e * (s * y0[0] + c * y0[1])]
}

fn order_fit(tab: &ButcherTableau, err_at: &dyn Fn(usize) -> f64, ns: &[usize]) -> (f64, String) {
    let h: Vec<f64> = ns.iter().map(|n| 1.0 / *n as f64).collect();
    let e: Vec<f64> = ns.iter().map(|n| err_at(*n)).collect();
    let table = error_table(&h, &e);
    // The finest five errors inside [1e-11, 1e-2]: asymptotic, above round-off.
    let keep: Vec<usize> = (0..e.len()).filter(|&i| e[i] >= 1e-12 && e[i] <= 1e-3).collect();
    let keep = &keep[keep.len().saturating_sub(5)..];
    let (h5, e5): (Vec<f64>, Vec<f64>) = keep.iter().map(|&i| (h[i], e[i])).unzip();
    let p = fitted_order(&h5, &e5, 0.0, f64::MAX)
        .unwrap_or_else(|| panic!("{}: too few usable errors\n{table}", tab.name()));
    (p, table)
}

fn step_counts(tab: &ButcherTableau) -> Vec<usize> {
    match tab.order() {
        1 => (8..17).map(|k| 1 << k).collect(),
        2 => (4..12).map(|k| 1 << k).collect(),
        3 | 4 => (3..10).map(|k| 1 << k).collect(),
        5 => vec![8, 16, 32, 45, 64, 90, 128, 181, 256],
        _ => vec![4, 6, 8, 11, 16, 22, 32],
    }
}

#[test]
fn every_tableau_converges_at_its_order_on_a_linear_system() {
    let dev = plain();
    let field = LinearField::default_2d(&dev);
    let t1 = 4.0;
    for tab in tableau::registry() {
        let err_at = |n: usize| {
            let y0 = from_vec(vec![1.0, 0.5], [2], &dev);
            let sol = solve(&field, y0, &[0.0, t1], &tab, &StepControl::fixed(n)).unwrap();
            let y = to_vec(sol.y[1].clone());
            let ex = rotation_exact(t1, [1.0, 0.5]);
            ((y[0] - ex[0]).powi(2) + (y[1] - ex[1]).powi(2)).sqrt()
        };
        let (p, table) = order_fit(&tab, &err_at, &step_counts(&tab));
        assert!(
            (p - tab.order() as f64).abs() < 0.2,
            "{}: fitted order {p:.3}, stated {}\n{table}",
            tab.name(),
            tab.order()
        );
    }
}

#[test]
fn every_tableau_converges_at_its_order_on_a_nonlinear_problem() {
    // Logistic growth y' = y(1 − y), y(0) = 0.1 ⇒ y = 1/(1 + 9e^{−t}).
    let dev = plain();
    let field = FnField::new(|_t: f64, y: Tensor<1>| y.clone() * (y.neg().add_scalar(1.0)));
    let t1: f64 = 6.0;
    let exact = 1.0 / (1.0 + 9.0 * (-t1).exp());
    for tab in tableau::registry() {
        let err_at = |n: usize| {
            let y0 = from_vec(vec![0.1], [1], &dev);
            let sol = solve(&field, y0, &[0.0, t1], &tab, &StepControl::fixed(n)).unwrap();
            (to_vec(sol.y[1].clone())[0] - exact).abs() / exact
        };
        let (p, table) = order_fit(&tab, &err_at, &step_counts(&tab));
        assert!(
            (p - tab.order() as f64).abs() < 0.2,
            "{}: fitted order {p:.3}, stated {}\n{table}",
            tab.name(),
            tab.order()
        );
    }
}

#[test]
fn adaptive_error_scales_with_tolerance_and_steps_drop_as_it_loosens() {
    let dev = plain();
    let field = LinearField::default_2d(&dev);
    for name in ["bosh3", "dopri5", "tsit5", "dopri8"] {
        let tab = tableau::by_name(name).unwrap();
        let tols = [1e-4, 1e-6, 1e-8, 1e-10];
        let mut errs = vec![];
        let mut steps = vec![];
        for tol in tols {
            let y0 = from_vec(vec![1.0, 0.5], [2], &dev);
            let sol = solve(&field, y0, &[0.0, 5.0], &tab, &StepControl::adaptive(tol, tol)).unwrap();
            assert_eq!(sol.stop, StopReason::Completed);
            let y = to_vec(sol.y[1].clone());
            let ex = rotation_exact(5.0, [1.0, 0.5]);
            errs.push(((y[0] - ex[0]).powi(2) + (y[1] - ex[1]).powi(2)).sqrt());
            steps.push(sol.stats.steps);
        }
        let p = fitted_order(&tols, &errs, 1e-14, 1.0).unwrap();
        assert!(p > 0.6 && p < 1.3, "{name}: error ~ tol^{p:.2}, errs {errs:?}");
        assert!(steps.windows(2).all(|w| w[0] < w[1]), "{name}: steps {steps:?} must grow as tol tightens");
        for (e, tol) in errs.iter().zip(tols) {
            assert!(*e < 100.0 * tol, "{name}: error {e} at tol {tol}");
        }
    }
}

#[test]
fn dense_output_has_the_interpolants_order() {
    // Interpolate at fixed non-grid times inside coarse fixed steps of y' = A y; the error of
    // the interpolant (order 4 for dopri5's extension, 3 for Hermite: local errors h^5, h^4)
    // dominates the rk step error for dopri8 / dopri5.
    let dev = plain();
    let field = LinearField::default_2d(&dev);
    for (name, expect) in [("dopri5", 5.0), ("dopri8", 4.0)] {
        let tab = tableau::by_name(name).unwrap();
        let ns = [4usize, 8, 16, 32, 64];
        let err_at = |n: usize| {
            let y0 = from_vec(vec![1.0, 0.5], [2], &dev);
            let t_mid = 0.37 / n as f64; // fixed fraction of the first step
            let sol = solve_dense(&field, y0, &[0.0, t_mid, 1.0], &tab, &StepControl::fixed(n)).unwrap();
            let y = to_vec(sol.y[1].clone());
            let ex = rotation_exact(t_mid, [1.0, 0.5]);
            ((y[0] - ex[0]).powi(2) + (y[1] - ex[1]).powi(2)).sqrt()
        };
        let h: Vec<f64> = ns.iter().map(|n| 1.0 / *n as f64).collect();
        let e: Vec<f64> = ns.iter().map(|n| err_at(*n)).collect();
        let p = fitted_order(&h, &e, 1e-15, 1e-2).unwrap();
        assert!(
            (p - expect).abs() < 0.35,
            "{name}: local interpolation error order {p:.2}, want {expect}\n{}",
            error_table(&h, &e)
        );
    }
}

#[test]
fn f64_device_keeps_f64_data_f64() {
    let dev = f64_device();
    let t = from_vec(vec![1.0, 2.0], [2], &dev.clone().inner());
    assert_eq!(t.dtype(), DType::F64);
    let field = caputo::nn::MlpField::new(&[2, 4, 2], &dev);
    assert_eq!(field.layers[0].weight.val().dtype(), DType::F64);
}

#[test]
fn bad_inputs_give_typed_errors() {
    let dev = plain();
    let field = LinearField::default_2d(&dev);
    let tab = ButcherTableau::rk4();
    let y0 = || from_vec(vec![1.0, 0.5], [2], &dev);
    let e = solve(&field, y0(), &[0.0], &tab, &StepControl::fixed(4)).unwrap_err();
    assert!(matches!(e, Error::InvalidGrid { .. }), "{e}");
    let e = solve(&field, y0(), &[1.0, 0.0], &tab, &StepControl::fixed(4)).unwrap_err();
    assert!(e.to_string().contains("strictly increasing"), "{e}");
    let e = solve(&field, y0(), &[0.0, 1.0], &tab, &StepControl::fixed(0)).unwrap_err();
    assert!(matches!(e, Error::InvalidStep { .. }), "{e}");
    let e = solve(&field, y0(), &[0.0, 1.0], &tab, &StepControl::adaptive(-1.0, 1e-6)).unwrap_err();
    assert!(matches!(e, Error::InvalidTolerance { name: "rtol", .. }), "{e}");
    let e = solve(&field, y0(), &[0.0, 1.0], &tab, &StepControl::adaptive(1e-6, 1e-6)).unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }), "rk4 has no error estimate: {e}");
    let nan = from_vec(vec![f64::NAN, 0.5], [2], &dev);
    let e = solve(&field, nan, &[0.0, 1.0], &tab, &StepControl::fixed(4)).unwrap_err();
    assert!(matches!(e, Error::NonFinite { step: 0, .. }), "{e}");
    // Blow-up: y' = y², y(0) = 1 explodes at t = 1.
    let blow = FnField::new(|_t: f64, y: Tensor<1>| y.clone() * y);
    let e = solve(&blow, from_vec(vec![1.0], [1], &dev), &[0.0, 2.0], &tab, &StepControl::fixed(8)).unwrap_err();
    assert!(matches!(e, Error::NonFinite { .. }), "{e}");
    let e = tableau::by_name("rk5").unwrap_err();
    assert!(matches!(e, Error::UnknownScheme { .. }), "{e}");
    let bad = ButcherTableau::try_new("bad", vec![vec![], vec![0.4]], vec![0.5, 0.5], vec![0.0, 0.5], None, 2, None);
    assert!(matches!(bad, Err(Error::InvalidTableau { .. })));
    // Step limit is an outcome, not an error.
    let tab5 = ButcherTableau::dopri5();
    let ctl = StepControl::Adaptive(caputo::ode::Adaptive::new(1e-10, 1e-10).with_max_steps(5));
    let sol = solve(&field, y0(), &[0.0, 1.0, 50.0], &tab5, &ctl).unwrap();
    assert_eq!(sol.stop, StopReason::MaxStepsReached);
}

/// Guards a Burn 0.22.1 trap found here: the backward of `div_scalar` on an f64 autodiff
/// tensor is computed in f32 precision (relative error ~1e-8), so the library multiplies by
/// reciprocals instead. If this starts failing, Burn fixed it.
#[test]
fn burn_div_scalar_backward_loses_f64_precision_so_we_avoid_it() {
    let dev = f64_device();
    let a = from_vec(vec![1.0], [1], &dev.inner()).autodiff().require_grad();
    let g = a.clone().mul_scalar(1.0 / 3.0).sum().backward();
    assert_eq!(to_vec(a.grad(&g).unwrap())[0], 1.0 / 3.0);
    let g = a.clone().div_scalar(3.0).sum().backward();
    let err = (to_vec(a.grad(&g).unwrap())[0] - 1.0 / 3.0).abs();
    assert!(err > 1e-12, "div_scalar's backward is exact now ({err:e}): the workaround can go");
}
