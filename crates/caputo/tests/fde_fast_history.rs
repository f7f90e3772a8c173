//! Fast (sum-of-exponentials) history: agreement with the dense scheme to the kernel
//! tolerance, unchanged convergence order, exact discrete adjoint, gradients, N-independent
//! memory, and the schemes it does not support. Predictor, ABM and the L1 scheme (lagged and
//! new-point) are covered.

use caputo::fde::{FdeSolve, History, Scheme, solve};
use caputo::grad::Method;
use caputo::grad::fde_forward;
use caputo::nn::MlpField;
use caputo::problems::{LotkaVolterra, smooth_square};
use caputo::tensor::{from_vec, scalar, to_vec};
use caputo::testkit::{
    FlatFdeGrads, error_table, f64_device, fde_grads, fitted_order, max_rel_diff, weighted_square_loss,
};
use caputo::{Error, VectorField};

const ABM: Scheme = Scheme::Abm { corrector_iters: 1 };
const L1: Scheme = Scheme::L1 { new_point: None };
const L1_IMPLICIT: Scheme = Scheme::L1 { new_point: Some(caputo::fde::scheme::NEW_POINT_ITERS) };

fn plain() -> burn::tensor::Device {
    f64_device().inner()
}

/// Every output of a solve, flattened.
fn outputs<F: VectorField<1>>(f: &F, y0: &[f64], alpha: f64, t: &[f64], n: usize, s: &Scheme, h: History) -> Vec<f64> {
    let sol = solve(
        f,
        from_vec(y0.to_vec(), [y0.len()], &plain()),
        &FdeSolve::new(alpha, t, n).with_scheme(s.clone()).with_history(h),
    )
    .unwrap();
    sol.y.into_iter().flat_map(to_vec).collect()
}

#[test]
fn fast_history_matches_dense_within_tolerance() {
    let lv = LotkaVolterra::new([1.0, 1.0, 0.5, 0.3], &plain());
    let t = [0.0, 1.0, 2.5, 5.0];
    let mut report = String::new();
    let mut failed = false;
    // The derivative-form L1 costs O(N²) dense, so a shorter grid there.
    let cases = [
        ("predictor", Scheme::Predictor, &[0.3, 0.6, 0.9][..], 10_000),
        ("abm", ABM, &[0.3, 0.6, 0.9][..], 10_000),
        ("l1", L1, &[0.3, 0.7][..], 2000),
        ("l1-implicit", L1_IMPLICIT, &[0.3, 0.7][..], 2000),
    ];
    for (name, s, alphas, n) in cases {
        for &alpha in alphas {
            let dense = outputs(&lv, &[2.0, 1.0], alpha, &t, n, &s, History::Dense);
            for tol in [1e-6, 1e-10] {
                let fast = outputs(&lv, &[2.0, 1.0], alpha, &t, n, &s, History::Fast { tol });
                let e = max_rel_diff(&fast, &dense);
                let ok = e <= 10.0 * tol;
                failed |= !ok;
                report +=
                    &format!("{name} α={alpha} tol={tol:e}: rel diff {e:.2e} {}\n", if ok { "ok" } else { "FAIL" });
            }
        }
    }
    println!("{report}");
    assert!(!failed, "{report}");
}

#[test]
fn fast_history_is_exact_at_alpha_one() {
    // At α = 1 the kernel is the constant 1: one exact mode, so fast = dense to rounding.
    let lv = LotkaVolterra::new([1.0, 1.0, 0.5, 0.3], &plain());
    for s in [Scheme::Predictor, ABM, L1, L1_IMPLICIT] {
        let dense = outputs(&lv, &[2.0, 1.0], 1.0, &[0.0, 2.0], 200, &s, History::Dense);
        let fast = outputs(&lv, &[2.0, 1.0], 1.0, &[0.0, 2.0], 200, &s, History::Fast { tol: 1e-8 });
        assert!(max_rel_diff(&fast, &dense) < 1e-13, "{s:?}: {fast:?} vs {dense:?}");
    }
}

#[test]
fn fast_history_keeps_the_order_of_convergence() {
    let dev = plain();
    let mut report = String::new();
    let mut failed = false;
    for alpha in [0.3, 0.6, 0.9] {
        for (name, s, want) in [
            ("predictor", Scheme::Predictor, 1.0),
            ("abm", ABM, 1.0 + alpha),
            ("l1-implicit", L1_IMPLICIT, 2.0 - alpha),
        ] {
            let field = smooth_square::<1>(vec![(1.0, alpha)]);
            let ns: Vec<usize> = (5..11).map(|k| 1 << k).collect();
            let h: Vec<f64> = ns.iter().map(|n| 1.0 / *n as f64).collect();
            let err: Vec<f64> = ns
                .iter()
                .map(|n| {
                    let sol = solve(
                        &field,
                        from_vec(vec![0.0], [1], &dev),
                        &FdeSolve::new(alpha, &[0.0, 1.0], *n)
                            .with_scheme(s.clone())
                            .with_history(History::Fast { tol: 1e-10 }),
                    )
                    .unwrap();
                    (scalar(sol.y[1].clone()) - 1.0).abs()
                })
                .collect();
            let p = fitted_order(&h[2..], &err[2..], 1e-9, 1.0).unwrap();
            let ok = (p - want).abs() < 0.3;
            failed |= !ok;
            report += &format!(
                "{name} α={alpha}: fitted {p:.3}, stated {want:.3} {}\n{}",
                if ok { "ok" } else { "FAIL" },
                error_table(&h, &err)
            );
        }
    }
    println!("{report}");
    assert!(!failed, "{report}");
}

/// The discrete gradients under the test loss `L = Σ_k (k+1)·‖y(t_k)‖²`.
#[allow(clippy::too_many_arguments)]
fn grads<F: VectorField<1>>(
    f: &F,
    y0: &[f64],
    alpha: f64,
    t: &[f64],
    n: usize,
    s: &Scheme,
    h: History,
    m: &Method,
) -> FlatFdeGrads {
    fde_grads(f, y0, &FdeSolve::new(alpha, t, n).with_scheme(s.clone()).with_history(h), m, weighted_square_loss)
}

#[test]
fn fast_discrete_adjoint_matches_direct_to_roundoff() {
    let dev = f64_device();
    let lv = LotkaVolterra::new([1.0, 1.0, 0.5, 0.3], &dev);
    dev.seed(3);
    let mlp = MlpField::new(&[2, 8, 2], &dev);
    let t = [0.0, 0.5, 1.0, 2.0];
    let fast = History::Fast { tol: 1e-8 };
    for (name, s) in [
        ("predictor", Scheme::Predictor),
        ("abm", ABM),
        ("abm-3", Scheme::Abm { corrector_iters: 3 }),
        ("l1", L1),
        ("l1-implicit", L1_IMPLICIT),
    ] {
        for alpha in [0.3, 0.6, 0.9] {
            for (fname, y0) in [("lv", [2.0, 1.0]), ("mlp", [0.3, -0.4])] {
                let run = |m: &Method| {
                    if fname == "lv" {
                        grads(&lv, &y0, alpha, &t, 64, &s, fast, m)
                    } else {
                        grads(&mlp, &y0, alpha, &t, 64, &s, fast, m)
                    }
                };
                let d = run(&Method::Direct);
                let a = run(&Method::DiscreteAdjoint);
                let (e0, ep) = (max_rel_diff(&a.y0, &d.y0), max_rel_diff(&a.params, &d.params));
                assert!(e0 < 1e-10 && ep < 1e-10, "{name} α={alpha} {fname}: dy0 {e0:e}, dθ {ep:e}");
                assert!(a.alpha.is_none() && d.alpha.is_none(), "no ∂L/∂α with fast history");
            }
        }
    }
}

#[test]
fn checkpointed_fast_history_equals_the_discrete_adjoint_to_roundoff() {
    // Snapshots of (modes, window) replayed segment by segment give the same transpose.
    let dev = f64_device();
    dev.seed(5);
    let mlp = MlpField::new(&[2, 8, 2], &dev);
    let t = [0.0, 0.4, 1.0, 2.0];
    let fast = History::Fast { tol: 1e-8 };
    for (name, s) in [("predictor", Scheme::Predictor), ("abm", ABM), ("abm-3", Scheme::Abm { corrector_iters: 3 })] {
        for alpha in [0.4, 0.8] {
            let a = grads(&mlp, &[0.3, -0.4], alpha, &t, 70, &s, fast, &Method::DiscreteAdjoint);
            // One segment, uneven segments, one step per segment, more segments than steps.
            for segments in [1, 3, 9, 70, 200] {
                let c = grads(&mlp, &[0.3, -0.4], alpha, &t, 70, &s, fast, &Method::Checkpointed { segments });
                let (e0, ep) = (max_rel_diff(&c.y0, &a.y0), max_rel_diff(&c.params, &a.params));
                assert!(e0 < 1e-12 && ep < 1e-12, "{name} α={alpha} S={segments}: dy0 {e0:e}, dθ {ep:e}");
                assert!(c.alpha.is_none());
            }
        }
    }
}

#[test]
fn fast_gradient_matches_dense_gradient_within_tolerance() {
    let lv = LotkaVolterra::new([1.0, 1.0, 0.5, 0.3], &f64_device());
    let t = [0.0, 1.0, 2.0, 4.0];
    let mut report = String::new();
    let mut failed = false;
    for (name, s) in [("predictor", Scheme::Predictor), ("abm", ABM), ("l1-implicit", L1_IMPLICIT)] {
        for alpha in [0.3, 0.6, 0.9] {
            let dense = grads(&lv, &[2.0, 1.0], alpha, &t, 1000, &s, History::Dense, &Method::DiscreteAdjoint);
            for tol in [1e-6, 1e-10] {
                let fast =
                    grads(&lv, &[2.0, 1.0], alpha, &t, 1000, &s, History::Fast { tol }, &Method::DiscreteAdjoint);
                let (e0, ep) = (max_rel_diff(&fast.y0, &dense.y0), max_rel_diff(&fast.params, &dense.params));
                let ok = e0 <= 10.0 * tol && ep <= 10.0 * tol;
                failed |= !ok;
                report += &format!(
                    "{name} α={alpha} tol={tol:e}: dy0 {e0:.2e}, dθ {ep:.2e} {}\n",
                    if ok { "ok" } else { "FAIL" }
                );
            }
        }
    }
    println!("{report}");
    assert!(!failed, "{report}");
}

#[test]
fn fast_history_memory_is_independent_of_n() {
    let lv = LotkaVolterra::new([1.0, 1.0, 0.5, 0.3], &plain());
    let peak = |n: usize, h: History, s: &Scheme| {
        let sol = solve(
            &lv,
            from_vec(vec![2.0, 1.0], [2], &plain()),
            &FdeSolve::new(0.6, &[0.0, 10.0], n).with_scheme(s.clone()).with_history(h),
        )
        .unwrap();
        sol.stats.peak_stored_bytes
    };
    for s in [Scheme::Predictor, ABM, L1] {
        for tol in [1e-6, 1e-10] {
            let (a, b) = (peak(1000, History::Fast { tol }, &s), peak(4000, History::Fast { tol }, &s));
            let r = b as f64 / a as f64;
            println!("{s:?} tol {tol:e}: peak(N = 1000) = {a} B, peak(4N) = {b} B, ratio {r:.3}");
            assert!(r < 1.1, "{s:?} tol {tol:e}: peak(N) = {a} B, peak(4N) = {b} B, ratio {r:.3}");
        }
        let (a, b) = (peak(1000, History::Dense, &s), peak(4000, History::Dense, &s));
        assert!(b as f64 / a as f64 > 3.5, "dense history grows like N: {a} B vs {b} B");
    }
}

#[test]
fn fast_history_rejects_derivative_form_schemes_and_bad_tolerances() {
    let lv = LotkaVolterra::new([1.0, 1.0, 0.5, 0.3], &plain());
    let y0 = from_vec(vec![2.0, 1.0], [2], &plain());
    let mut rejected = vec![];
    for e in caputo::fde::scheme::registry()
        .into_iter()
        .filter(|e| !matches!(e.scheme, Scheme::Predictor | Scheme::Abm { .. } | Scheme::L1 { .. }))
    {
        let r = solve(
            &lv,
            y0.clone(),
            &FdeSolve::new(0.6, &[0.0, 1.0], 16)
                .with_scheme((e.scheme.with_alpha(0.6)).clone())
                .with_history(History::Fast { tol: 1e-8 }),
        );
        match r {
            Err(Error::Unsupported { what, .. }) => assert!(what.contains("fast history"), "{}: {what}", e.name),
            r => panic!("{}: {:?}", e.name, r.map(|_| ())),
        }
        rejected.push(e.name);
    }
    assert!(
        rejected.iter().any(|n| n.starts_with("gl")) && rejected.iter().any(|n| n.starts_with("trap")),
        "{rejected:?}"
    );
    for tol in [0.0, -1e-8, 1.0, f64::NAN] {
        let r = solve(
            &lv,
            y0.clone(),
            &FdeSolve::new(0.6, &[0.0, 1.0], 16).with_scheme(Scheme::Predictor).with_history(History::Fast { tol }),
        );
        assert!(matches!(r, Err(Error::InvalidTolerance { .. })), "tol {tol}");
    }
}

#[test]
fn fast_l1_gradient_methods_work_or_are_rejected() {
    let dev = f64_device();
    let lv = LotkaVolterra::new([1.0, 1.0, 0.5, 0.3], &dev);
    let y0 = from_vec(vec![2.0, 1.0], [2], &plain());
    let fast = History::Fast { tol: 1e-8 };
    // No snapshot engine or fast reversed solve for L1: a clear Unsupported, never a wrong answer.
    for (s, m) in [
        (L1, Method::Checkpointed { segments: 4 }),
        (L1_IMPLICIT, Method::Checkpointed { segments: 4 }),
        (L1, Method::PaperAdjoint),
    ] {
        let r = fde_forward(
            &lv,
            y0.clone(),
            &FdeSolve::new(0.6, &[0.0, 1.0], 32).with_scheme(s.clone()).with_history(fast),
            &m,
        );
        match r {
            Err(Error::Unsupported { what, .. }) => assert!(what.contains("L1"), "{s:?} {m:?}: {what}"),
            r => panic!("{s:?} {m:?}: {:?}", r.map(|_| ())),
        }
    }
    // The continuous adjoint reads only the stored states: fast ≈ dense within the tolerance.
    let t = [0.0, 1.0, 2.0];
    for s in [L1, L1_IMPLICIT] {
        let m = Method::ContinuousAdjoint { rtol: 1e-8, atol: 1e-10 };
        let d = grads(&lv, &[2.0, 1.0], 0.6, &t, 400, &s, History::Dense, &m);
        let f = grads(&lv, &[2.0, 1.0], 0.6, &t, 400, &s, fast, &m);
        let (e0, ep) = (max_rel_diff(&f.y0, &d.y0), max_rel_diff(&f.params, &d.params));
        println!("{s:?} continuous adjoint fast vs dense: dy0 {e0:.2e}, dθ {ep:.2e}");
        assert!(e0 < 1e-6 && ep < 1e-6, "{s:?}: dy0 {e0:e}, dθ {ep:e}");
    }
}
