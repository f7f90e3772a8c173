//! Fractional solvers: order of every registry scheme, Mittag-Leffler relaxation, α = 1
//! reduction, short memory, errors.

use burn::tensor::Tensor;
use caputo::Error;
use caputo::fde::scheme::{Form, registry};
use caputo::fde::{FdeSolve, History, Scheme, solve};
use caputo::field::FnField;
use caputo::ode::{self, ButcherTableau, StepControl};
use caputo::problems::{LotkaVolterra, Relaxation, dff, dff_exact, smooth_square};
use caputo::tensor::{from_vec, scalar, to_vec};
use caputo::testkit::{error_table, f64_device, fitted_order, max_rel_diff};

fn plain() -> burn::tensor::Device {
    f64_device().inner()
}

#[test]
fn every_scheme_converges_at_its_order() {
    let dev = plain();
    let mut report = String::new();
    let mut failed = false;
    for alpha in [0.3, 0.5, 0.8] {
        for e in registry() {
            let scheme = e.scheme.clone().with_alpha(alpha);
            let field = smooth_square::<1>(scheme.terms(alpha));
            let ns: Vec<usize> = (5..11).map(|k| 1 << k).collect();
            let h: Vec<f64> = ns.iter().map(|n| 1.0 / *n as f64).collect();
            let err: Vec<f64> = ns
                .iter()
                .map(|n| {
                    let sol = solve(
                        &field,
                        from_vec(vec![0.0], [1], &dev),
                        &FdeSolve::new(alpha, &[0.0, 1.0], *n).with_scheme(scheme.clone()).with_history(History::Dense),
                    )
                    .unwrap();
                    (scalar(sol.y[1].clone()) - 1.0).abs()
                })
                .collect();
            let p = fitted_order(&h[2..], &err[2..], 1e-13, 1.0).unwrap();
            let want = (e.order)(alpha);
            let ok = (p - want).abs() < 0.3;
            failed |= !ok;
            report += &format!(
                "{} α={alpha}: fitted {p:.3}, stated {want:.3} {}\n{}",
                e.name,
                if ok { "ok" } else { "FAIL" },
                error_table(&h, &err)
            );
        }
    }
    assert!(!failed, "{report}");
}

#[test]
fn relaxation_converges_to_mittag_leffler_for_caputo_schemes() {
    let dev = plain();
    let field = Relaxation::new(1.0, &dev);
    let alpha = 0.5;
    let exact = 0.427_583_576_155_807; // E_{1/2}(−1) = e·erfc(1)
    assert!((Relaxation::exact(alpha, 1.0, 1.0, 1.0) - exact).abs() < 1e-13);
    for e in registry().into_iter().filter(|e| e.name != "multiterm") {
        let errs: Vec<f64> = [64usize, 256, 1024]
            .iter()
            .map(|n| {
                let sol = solve(
                    &field,
                    from_vec(vec![1.0], [1], &dev),
                    &FdeSolve::new(alpha, &[0.0, 1.0], *n).with_scheme(e.scheme.clone()).with_history(History::Dense),
                )
                .unwrap();
                (scalar(sol.y[1].clone()) - exact).abs()
            })
            .collect();
        if e.riemann_liouville {
            // With y0 ≠ 0 the RL forms solve D^α_RL y = −y, whose solution is singular at 0.
            assert!(errs.iter().all(|x| *x > 0.1), "{}: {errs:?}", e.name);
        } else {
            assert!(errs[0] > errs[1] && errs[1] > errs[2] && errs[2] < 2e-3, "{}: {errs:?}", e.name);
        }
    }
}

#[test]
fn riemann_liouville_forms_solve_the_riemann_liouville_problem() {
    // D^α_RL y = f with y0 = 0 has the same solution as Caputo: y = t² problem converges.
    // With y0 = 1: D^α_RL y = −y + t^{−α}/Γ(1−α) has the solution y ≡ 1 (D^α_RL 1 = t^{−α}/Γ(1−α)).
    let dev = plain();
    let alpha = 0.5;
    let g = caputo::special::gamma(1.0 - alpha);
    let field = FnField::new(move |t: f64, y: Tensor<1>| {
        y.neg().add_scalar(1.0 + if t > 0.0 { t.powf(-alpha) / g } else { 0.0 })
    });
    for (name, scheme) in [
        ("gl-rl", Scheme::Gl { form: Form::RiemannLiouville, new_point: Some(3) }),
        ("trapezoid-rl", Scheme::Trapezoid { form: Form::RiemannLiouville, new_point: Some(3) }),
    ] {
        let errs: Vec<f64> = [64usize, 256, 1024]
            .iter()
            .map(|n| {
                let sol = solve(
                    &field,
                    from_vec(vec![1.0], [1], &dev),
                    &FdeSolve::new(alpha, &[0.0, 1.0], *n).with_scheme(scheme.clone()).with_history(History::Dense),
                )
                .unwrap();
                (scalar(sol.y[1].clone()) - 1.0).abs()
            })
            .collect();
        assert!(errs[2] < errs[0] && errs[2] < 0.05, "{name}: {errs:?}");
    }
}

#[test]
fn diethelm_ford_freed_benchmark_is_solved() {
    let dev = plain();
    for alpha in [0.5, 0.8] {
        let field = dff::<1>(alpha);
        let exact = dff_exact(alpha, 1.0);
        let sol = solve(
            &field,
            from_vec(vec![0.0], [1], &dev),
            &FdeSolve::new(alpha, &[0.0, 1.0], 512)
                .with_scheme(Scheme::Abm { corrector_iters: 1 })
                .with_history(History::Dense),
        )
        .unwrap();
        let err = (scalar(sol.y[1].clone()) - exact).abs();
        assert!(err < 1e-4, "α={alpha}: ABM error {err}");
    }
}

#[test]
fn alpha_one_reduces_to_the_matching_ode_method() {
    let dev = plain();
    let field = LotkaVolterra::new([1.0, 1.0, 0.5, 0.3], &dev);
    let t = [0.0, 0.5, 1.0];
    let ode_at = |tab: ButcherTableau| {
        let s = ode::solve(&field, from_vec(vec![2.0, 1.0], [2], &dev), &t, &tab, &StepControl::fixed(40)).unwrap();
        s.y.iter().flat_map(|y| to_vec(y.clone())).collect::<Vec<f64>>()
    };
    let euler = ode_at(ButcherTableau::euler());
    let heun = ode_at(ButcherTableau::heun());
    for (scheme, want, name) in [
        (Scheme::Predictor, &euler, "predictor = euler"),
        (Scheme::L1 { new_point: None }, &euler, "l1 = euler"),
        (Scheme::Gl { form: Form::Caputo, new_point: None }, &euler, "gl = euler"),
        (Scheme::Trapezoid { form: Form::Caputo, new_point: None }, &euler, "trapezoid = euler"),
    ] {
        let s = solve(
            &field,
            from_vec(vec![2.0, 1.0], [2], &dev),
            &FdeSolve::new(1.0, &t, 40).with_scheme(scheme.clone()).with_history(History::Dense),
        )
        .unwrap();
        let got: Vec<f64> = s.y.iter().flat_map(|y| to_vec(y.clone())).collect();
        let d = max_rel_diff(&got, want);
        assert!(d < 1e-12, "{name}: {d:e}");
    }
    // ABM's predictor at α = 1 is y0 + h Σ_{j<n} f_j (the cumulative rectangle rule), not an
    // Euler step from y_{n−1}; with its trapezoid corrector it is a second-order PECE that
    // agrees with Heun's method to O(h²), not to rounding.
    let s = solve(
        &field,
        from_vec(vec![2.0, 1.0], [2], &dev),
        &FdeSolve::new(1.0, &t, 40).with_scheme(Scheme::Abm { corrector_iters: 1 }).with_history(History::Dense),
    )
    .unwrap();
    let got: Vec<f64> = s.y.iter().flat_map(|y| to_vec(y.clone())).collect();
    let d = max_rel_diff(&got, &heun);
    assert!(d < 1e-4 && d > 1e-12, "abm vs heun at α = 1: {d:e}");
}

#[test]
fn short_memory_with_l_at_least_n_equals_the_full_scheme() {
    let dev = plain();
    let field = LotkaVolterra::new([1.0, 1.0, 0.5, 0.3], &dev);
    for e in registry() {
        let scheme = e.scheme.clone().with_alpha(0.7);
        let run = |h: History| {
            let s = solve(
                &field,
                from_vec(vec![2.0, 1.0], [2], &dev),
                &FdeSolve::new(0.7, &[0.0, 2.0], 50).with_scheme(scheme.clone()).with_history(h),
            )
            .unwrap();
            to_vec(s.y[1].clone())
        };
        let (full, short, shorter) = (run(History::Dense), run(History::Short(50)), run(History::Short(10)));
        assert_eq!(full, short, "{}", e.name);
        assert!(max_rel_diff(&full, &shorter) > 1e-8, "{}: short memory L=10 must change the result", e.name);
    }
}

#[test]
fn bad_inputs_give_typed_errors() {
    let dev = plain();
    let field = Relaxation::new(1.0, &dev);
    let y0 = || from_vec(vec![1.0], [1], &dev);
    let p = Scheme::Predictor;
    for alpha in [0.0, -0.5, 1.5, f64::NAN] {
        let e = solve(
            &field,
            y0(),
            &FdeSolve::new(alpha, &[0.0, 1.0], 8).with_scheme(p.clone()).with_history(History::Dense),
        )
        .unwrap_err();
        assert!(matches!(e, Error::InvalidOrder { .. }), "{e}");
    }
    let e = solve(
        &field,
        y0(),
        &FdeSolve::new(0.5, &[0.0, 0.3, 1.0], 8).with_scheme(p.clone()).with_history(History::Dense),
    )
    .unwrap_err();
    assert!(matches!(e, Error::InvalidGrid { .. }) && e.to_string().contains("0.3"), "{e}");
    let e =
        solve(&field, y0(), &FdeSolve::new(0.5, &[0.0, 1.0], 0).with_scheme(p.clone()).with_history(History::Dense))
            .unwrap_err();
    assert!(matches!(e, Error::InvalidStep { .. }), "{e}");
    let mt = Scheme::MultiTerm { orders: vec![0.5, 0.2], coeffs: vec![1.0], form: Form::Caputo };
    let e =
        solve(&field, y0(), &FdeSolve::new(0.5, &[0.0, 1.0], 8).with_scheme(mt.clone()).with_history(History::Dense))
            .unwrap_err();
    assert!(matches!(e, Error::DimensionMismatch { .. }), "{e}");
    let e = solve(
        &field,
        from_vec(vec![f64::INFINITY], [1], &dev),
        &FdeSolve::new(0.5, &[0.0, 1.0], 8).with_scheme(p.clone()).with_history(History::Dense),
    )
    .unwrap_err();
    assert!(matches!(e, Error::NonFinite { .. }), "{e}");
    let e = caputo::fde::scheme::by_name("rk4", 0.5).unwrap_err();
    assert!(matches!(e, Error::UnknownScheme { .. }), "{e}");
}
