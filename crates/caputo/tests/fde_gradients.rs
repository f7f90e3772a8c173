//! The FDE gradient matrix: the discrete adjoint equals `Direct` to rounding for every
//! scheme (new-point iterations and short memory included), agrees with finite differences
//! in θ, y0 and α, and matches the Mittag-Leffler oracles of relaxation.

use caputo::VectorField;
use caputo::fde::scheme::registry;
use caputo::fde::{FdeSolve, History, Scheme, solve};
use caputo::grad::Method;
use caputo::grad::fde_forward;
use caputo::nn::MlpField;
use caputo::problems::{LotkaVolterra, Relaxation};
use caputo::special::mittag_leffler::mittag_leffler;
use caputo::tensor::{from_vec, to_vec};
use caputo::testkit::{FlatFdeGrads, f64_device, fde_grads, flat_grads, max_rel_diff, weighted_square_loss};

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

fn loss<F: VectorField<1>>(f: &F, y0: &[f64], alpha: f64, t: &[f64], n: usize, s: &Scheme, h: History) -> f64 {
    let dev = f64_device().inner();
    let sol = solve(
        f,
        from_vec(y0.to_vec(), [y0.len()], &dev),
        &FdeSolve::new(alpha, t, n).with_scheme(s.clone()).with_history(h),
    )
    .unwrap();
    weighted_square_loss(&sol.y).0
}

fn schemes(alpha: f64) -> Vec<(String, Scheme)> {
    let mut v: Vec<(String, Scheme)> =
        registry().into_iter().map(|e| (e.name.to_string(), e.scheme.with_alpha(alpha))).collect();
    v.push(("abm-3".into(), Scheme::Abm { corrector_iters: 3 }));
    v
}

#[test]
fn discrete_adjoint_matches_direct_to_roundoff() {
    let dev = f64_device();
    let lv = LotkaVolterra::new([1.0, 1.0, 0.5, 0.3], &dev);
    dev.seed(3);
    let mlp = MlpField::new(&[2, 8, 2], &dev);
    let t = [0.0, 0.5, 1.0, 2.0];
    for (name, s) in schemes(0.6) {
        for h in [History::Dense, History::Short(7)] {
            for (fname, y0) in [("lv", [2.0, 1.0]), ("mlp", [0.3, -0.4])] {
                let run = |m: &Method| {
                    if fname == "lv" {
                        grads(&lv, &y0, 0.6, &t, 40, &s, h, m)
                    } else {
                        grads(&mlp, &y0, 0.6, &t, 40, &s, h, m)
                    }
                };
                let d = run(&Method::Direct);
                let a = run(&Method::DiscreteAdjoint);
                let (e0, ep) = (max_rel_diff(&a.y0, &d.y0), max_rel_diff(&a.params, &d.params));
                assert!(e0 < 1e-10 && ep < 1e-10, "{name} {h:?} {fname}: dy0 {e0:e}, dθ {ep:e}");
            }
        }
    }
}

#[test]
fn discrete_adjoint_agrees_with_finite_differences_in_y0_theta_and_alpha() {
    let dev = f64_device();
    let theta = [1.0, 1.0, 0.5, 0.3];
    let lv = LotkaVolterra::new(theta, &dev);
    let t = [0.0, 1.0, 2.0];
    let (alpha, n) = (0.7, 32);
    for (name, s) in schemes(alpha) {
        let g = grads(&lv, &[2.0, 1.0], alpha, &t, n, &s, History::Dense, &Method::DiscreteAdjoint);
        let d = 1e-6;
        for i in 0..2 {
            let mut p = [2.0, 1.0];
            p[i] += d;
            let mut q = [2.0, 1.0];
            q[i] -= d;
            let fd = (loss(&lv, &p, alpha, &t, n, &s, History::Dense)
                - loss(&lv, &q, alpha, &t, n, &s, History::Dense))
                / (2.0 * d);
            assert!((g.y0[i] - fd).abs() < 1e-6 * fd.abs().max(1.0), "{name} y0[{i}]: {} vs {fd}", g.y0[i]);
        }
        for i in 0..4 {
            let mut p = theta;
            p[i] += d;
            let mut q = theta;
            q[i] -= d;
            let fd = (loss(&LotkaVolterra::new(p, &dev), &[2.0, 1.0], alpha, &t, n, &s, History::Dense)
                - loss(&LotkaVolterra::new(q, &dev), &[2.0, 1.0], alpha, &t, n, &s, History::Dense))
                / (2.0 * d);
            assert!((g.params[i] - fd).abs() < 1e-6 * fd.abs().max(1.0), "{name} θ[{i}]: {} vs {fd}", g.params[i]);
        }
        let da = g.alpha.expect("discrete adjoint gives dL/dα");
        let s_plus = s.clone();
        let fd = (loss(&lv, &[2.0, 1.0], alpha + d, &t, n, &s_plus.clone().with_alpha(alpha + d), History::Dense)
            - loss(&lv, &[2.0, 1.0], alpha - d, &t, n, &s_plus.with_alpha(alpha - d), History::Dense))
            / (2.0 * d);
        if let Scheme::MultiTerm { .. } = s {
            // The multi-term orders are fixed numbers; α is not a variable of that operator.
            continue;
        }
        assert!((da - fd).abs() < 1e-6 * fd.abs().max(1.0), "{name} α: {da} vs {fd}");
    }
}

#[test]
fn relaxation_gradients_match_mittag_leffler_oracles() {
    // y(T) = y0 E_α(−λT^α): ∂y/∂y0 = E_α(−λT^α), ∂y/∂λ = −y0 T^α E_{α,α}(−λT^α)/α,
    // ∂y/∂α by a high-accuracy central difference of E_α. Loss L = y(T).
    let dev = f64_device();
    let (alpha, lam, y0, t1): (f64, f64, f64, f64) = (0.6, 0.8, 1.5, 1.0);
    let z = -lam * t1.powf(alpha);
    let want_y0 = mittag_leffler(alpha, 1.0, z);
    let want_lam = -y0 * t1.powf(alpha) * mittag_leffler(alpha, alpha, z) / alpha;
    let ya = |a: f64| y0 * mittag_leffler(a, 1.0, -lam * t1.powf(a));
    let want_alpha = (ya(alpha + 1e-5) - ya(alpha - 1e-5)) / 2e-5;
    let field = Relaxation::new(lam, &dev);
    let mut errs = vec![];
    for n in [64usize, 256, 1024] {
        let (sol, pb) = fde_forward(
            &field,
            from_vec(vec![y0], [1], &dev.clone().inner()),
            &FdeSolve::new(alpha, &[0.0, t1], n)
                .with_scheme(Scheme::Abm { corrector_iters: 1 })
                .with_history(History::Dense),
            &Method::DiscreteAdjoint,
        )
        .unwrap();
        let g = vec![sol.y[0].zeros_like(), sol.y[1].ones_like()];
        let r = pb.backward(&g).unwrap();
        let gl = flat_grads(&field, &r.params)[0];
        let e = [(to_vec(r.y0)[0] - want_y0).abs(), (gl - want_lam).abs(), (r.alpha.unwrap() - want_alpha).abs()];
        errs.push(e);
    }
    for k in 0..3 {
        assert!(errs[2][k] < errs[0][k] && errs[2][k] < 2e-4, "component {k}: {errs:?}");
    }
}

#[test]
fn methods_without_fde_support_say_so() {
    let dev = f64_device();
    let field = Relaxation::new(1.0, &dev);
    let e = fde_forward(
        &field,
        from_vec(vec![1.0], [1], &dev.inner()),
        &FdeSolve::new(0.5, &[0.0, 1.0], 8).with_scheme(Scheme::Predictor).with_history(History::Dense),
        &Method::SymplecticAdjoint,
    );
    assert!(matches!(e, Err(caputo::Error::Unsupported { .. })));
}
