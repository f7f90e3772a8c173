use super::*;

/// One explicit RK step for a scalar ODE using weights `w`.
fn rk_step(t: &ButcherTableau, w: &[f64], f: &dyn Fn(f64, f64) -> f64, t0: f64, y0: f64, h: f64) -> (f64, Vec<f64>) {
    let mut k: Vec<f64> = Vec::with_capacity(t.stages());
    for (row, &ci) in t.a().iter().zip(t.c()) {
        let yi = y0 + h * row.iter().zip(&k).map(|(a, k)| a * k).sum::<f64>();
        k.push(f(t0 + ci * h, yi));
    }
    let y1 = y0 + h * w.iter().zip(&k).map(|(w, k)| w * k).sum::<f64>();
    (y1, k)
}

/// A scalar test problem `y' = f(t, y)`, `y(0) = 1` on `[0, t_end]`.
struct Problem {
    f: fn(f64, f64) -> f64,
    t_end: f64,
    exact: f64,
}

/// `y' = t y`, exact `y = exp(t²/2)`, on `[0, 2]`.
fn problem_ty() -> Problem {
    Problem { f: |t, y| t * y, t_end: 2.0, exact: 2f64.exp() }
}

/// `y' = y cos t`, exact `y = exp(sin t)`, on `[0, 2]`.
fn problem_ycos() -> Problem {
    Problem { f: |t, y| y * t.cos(), t_end: 2.0, exact: 2f64.sin().exp() }
}

/// Final error with `n` fixed steps.
fn final_error(t: &ButcherTableau, w: &[f64], p: &Problem, n: usize) -> f64 {
    let h = p.t_end / n as f64;
    let mut y = 1.0;
    for i in 0..n {
        y = rk_step(t, w, &p.f, i as f64 * h, y, h).0;
    }
    (y - p.exact).abs()
}

/// Least-squares slope of log(err) against log(h) for `N = 2^k`,
/// `k_min ≤ k ≤ 18`, using only errors in `[1e-13, 1e-2]` (and stopping at
/// the first error below `1e-13`, where round-off takes over).
fn observed_order(t: &ButcherTableau, w: &[f64], p: &Problem, k_min: u32) -> (f64, Vec<(usize, f64)>) {
    let mut pts = Vec::new();
    let mut all = Vec::new();
    for k in k_min..=18 {
        let n = 1usize << k;
        let e = final_error(t, w, p, n);
        all.push((n, e));
        if e < 1e-13 {
            break;
        }
        if e <= 1e-2 {
            pts.push(((p.t_end / n as f64).ln(), e.ln()));
        }
    }
    assert!(pts.len() >= 3, "{}: too few points in window: {all:?}", t.name());
    let m = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / m;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / m;
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    (sxy / sxx, all)
}

/// All rooted trees up to `max_order`, each as (order, children indices);
/// children precede their parents.
fn rooted_trees(max_order: usize) -> Vec<(usize, Vec<usize>)> {
    // Multisets of trees (non-increasing indices, each ≤ `max_idx`) with
    // total order `remaining`.
    fn forests(
        trees: &[(usize, Vec<usize>)],
        remaining: usize,
        max_idx: usize,
        out: &mut Vec<Vec<usize>>,
        cur: &mut Vec<usize>,
    ) {
        if remaining == 0 {
            out.push(cur.clone());
            return;
        }
        for idx in (0..=max_idx).rev() {
            let ord = trees[idx].0;
            if ord <= remaining {
                cur.push(idx);
                forests(trees, remaining - ord, idx, out, cur);
                cur.pop();
            }
        }
    }
    let mut trees: Vec<(usize, Vec<usize>)> = vec![(1, vec![])];
    for n in 2..=max_order {
        let mut out = Vec::new();
        let last = trees.len() - 1;
        forests(&trees, n - 1, last, &mut out, &mut Vec::new());
        trees.extend(out.into_iter().map(|ch| (n, ch)));
    }
    trees
}

/// Largest order-condition residual among trees of each order 1..=max_order.
fn max_residual_per_order(t: &ButcherTableau, w: &[f64], max_order: usize) -> Vec<f64> {
    let s = t.stages();
    let trees = rooted_trees(max_order);
    let mut g: Vec<Vec<f64>> = Vec::with_capacity(trees.len());
    let mut gamma: Vec<f64> = Vec::with_capacity(trees.len());
    let mut worst = vec![0.0f64; max_order];
    for (ord, children) in &trees {
        let mut gi = vec![1.0; s];
        let mut gam = *ord as f64;
        for &ch in children {
            for (i, gii) in gi.iter_mut().enumerate() {
                *gii *= t.a()[i].iter().zip(&g[ch]).map(|(a, x)| a * x).sum::<f64>();
            }
            gam *= gamma[ch];
        }
        let phi: f64 = w.iter().zip(&gi).map(|(w, x)| w * x).sum();
        let r = (phi - 1.0 / gam).abs();
        worst[ord - 1] = worst[ord - 1].max(r);
        g.push(gi);
        gamma.push(gam);
    }
    worst
}

#[test]
fn tree_counts() {
    let trees = rooted_trees(9);
    let counts: Vec<usize> = (1..=9).map(|n| trees.iter().filter(|t| t.0 == n).count()).collect();
    assert_eq!(counts, vec![1, 1, 2, 4, 9, 20, 48, 115, 286]);
}

#[test]
fn registry_tableaus_are_valid() {
    let reg = registry();
    assert_eq!(reg.len(), 10);
    let names: Vec<&str> = reg.iter().map(|t| t.name()).collect();
    assert_eq!(names, NAMES.to_vec());
    for t in &reg {
        let again = ButcherTableau::try_new(
            t.name(),
            t.a().to_vec(),
            t.b().to_vec(),
            t.c().to_vec(),
            t.b_embedded().map(<[f64]>::to_vec),
            t.order(),
            t.embedded_order(),
        )
        .unwrap();
        assert_eq!(again.is_fsal(), t.is_fsal());
        assert_eq!(by_name(t.name()).unwrap(), *t);
    }
    let fsal: Vec<&str> = reg.iter().filter(|t| t.is_fsal()).map(|t| t.name()).collect();
    assert_eq!(fsal, vec!["bosh3", "dopri5", "tsit5"]);
    let stages: Vec<usize> = reg.iter().map(|t| t.stages()).collect();
    assert_eq!(stages, vec![1, 2, 2, 4, 4, 4, 3, 7, 7, 12]);
}

#[test]
fn by_name_unknown_and_case() {
    assert_eq!(by_name("DOPRI5").unwrap().name(), "dopri5");
    match by_name("rk45") {
        Err(Error::UnknownScheme { name, known }) => {
            assert_eq!(name, "rk45");
            assert_eq!(known.len(), 10);
            assert!(known.contains(&"tsit5".to_string()));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn exact_order_conditions_via_rooted_trees() {
    for t in registry() {
        let p = t.order() as usize;
        let res = max_residual_per_order(&t, t.b(), p + 1);
        for (k, r) in res.iter().take(p).enumerate() {
            assert!(*r < 1e-12, "{}: order-{} residual {r:e}", t.name(), k + 1);
        }
        assert!(res[p] > 1e-6, "{}: also satisfies order {}", t.name(), p + 1);
        if let (Some(bh), Some(q)) = (t.b_embedded(), t.embedded_order()) {
            let q = q as usize;
            let res = max_residual_per_order(&t, bh, q + 1);
            for (k, r) in res.iter().take(q).enumerate() {
                assert!(*r < 1e-12, "{} (embedded): order-{} residual {r:e}", t.name(), k + 1);
            }
            assert!(res[q] > 1e-6, "{} (embedded): also satisfies order {}", t.name(), q + 1);
        }
        let res: Vec<String> = res.iter().map(|r| format!("{r:.1e}")).collect();
        println!("{}: max residual per order 1..={}: {res:?}", t.name(), p + 1);
    }
}

fn broken(a: Vec<Vec<f64>>, b: Vec<f64>, c: Vec<f64>, order: u32) -> Error {
    ButcherTableau::try_new("broken", a, b, c, None, order, None).unwrap_err()
}

fn assert_invalid(e: Error, needle: &str) {
    match &e {
        Error::InvalidTableau { name, reason } => {
            assert_eq!(name, "broken");
            assert!(reason.contains(needle), "reason {reason:?} lacks {needle:?}");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn broken_tableaus_are_rejected() {
    let rk4 = ButcherTableau::rk4();
    let (a, b, c) = (rk4.a().to_vec(), rk4.b().to_vec(), rk4.c().to_vec());
    // Row sum wrong.
    let mut a1 = a.clone();
    a1[2][1] = 0.4;
    assert_invalid(broken(a1, b.clone(), c.clone(), 4), "row 2 of a sums");
    // Σ b ≠ 1.
    let mut b1 = b.clone();
    b1[0] = 0.2;
    assert_invalid(broken(a.clone(), b1, c.clone(), 4), "sum to");
    // Wrong row length.
    let mut a2 = a.clone();
    a2[3].push(0.0);
    assert_invalid(broken(a2, b.clone(), c.clone(), 4), "row 3 of a has 4 entries");
    // Mismatched len(c).
    assert_invalid(broken(a.clone(), b.clone(), c[..3].to_vec(), 4), "len(c)");
    // Non-finite.
    let mut a3 = a.clone();
    a3[1][0] = f64::NAN;
    assert_invalid(broken(a3, b.clone(), c.clone(), 4), "finite");
    // Order 0.
    assert_invalid(broken(a.clone(), b.clone(), c.clone(), 0), "order must be");
    // Typo that keeps Σb = 1 and row sums but breaks the order conditions.
    let b2 = vec![1.0 / 6.0, 1.0 / 3.0 + 0.01, 1.0 / 3.0 - 0.01, 1.0 / 6.0];
    assert_invalid(broken(a.clone(), b2, c.clone(), 4), "Σ b_i a_ij c_j = 1/6");
    // Claimed order too high.
    let mid = ButcherTableau::midpoint();
    assert_invalid(broken(mid.a().to_vec(), mid.b().to_vec(), mid.c().to_vec(), 3), "order-3 condition");
    // Embedded weights with wrong sum / wrong order / missing order.
    let e =
        ButcherTableau::try_new("broken", a.clone(), b.clone(), c.clone(), Some(vec![0.5, 0.5, 0.5, 0.5]), 4, Some(3))
            .unwrap_err();
    assert_invalid(e, "weights b̂ sum to");
    let e =
        ButcherTableau::try_new("broken", a.clone(), b.clone(), c.clone(), Some(vec![1.0, 0.0, 0.0, 0.0]), 4, Some(2))
            .unwrap_err();
    assert_invalid(e, "violated by weights b̂");
    let e = ButcherTableau::try_new("broken", a, b, c, Some(vec![1.0, 0.0, 0.0, 0.0]), 4, None).unwrap_err();
    assert_invalid(e, "without embedded_order");
    // Dopri5 with a single-digit typo in a65.
    let d = ButcherTableau::dopri5();
    let mut a4 = d.a().to_vec();
    a4[5][4] = -5103.0 / 18665.0;
    assert!(ButcherTableau::try_new("broken", a4, d.b().to_vec(), d.c().to_vec(), None, 5, None).is_err());
}

/// Observed global order of every propagated and embedded solution.
///
/// Fixed-step observed orders are only meaningful in the asymptotic
/// regime, which for highly optimised pairs (tiny leading error constants)
/// can lie below the round-off floor on some problems. `y' = t y` on
/// `[0, 2]` with `N ≥ 8` is asymptotic for all schemes except DOP853's
/// 8th-order solution, which is checked on `y' = y cos t` on `[0, 2]` with
/// large steps `N = 2..16`. (The exact order conditions are checked
/// separately by `exact_order_conditions_via_rooted_trees`.)
#[test]
fn convergence_orders() {
    for t in registry() {
        let mut sets = vec![("b", t.b().to_vec(), t.order())];
        if let (Some(bh), Some(q)) = (t.b_embedded(), t.embedded_order()) {
            sets.push(("b̂", bh.to_vec(), q));
        }
        for (label, w, order) in sets {
            let (p, k_min) = if t.name() == "dopri8" && label == "b" { (problem_ycos(), 1) } else { (problem_ty(), 3) };
            let (slope, all) = observed_order(&t, &w, &p, k_min);
            println!("{:10} {label:2} order {order} observed {slope:.3}", t.name());
            assert!(
                (slope - f64::from(order)).abs() < 0.25,
                "{} ({label}): observed order {slope} vs {order}; errors {all:?}",
                t.name()
            );
        }
    }
}

#[test]
fn dopri5_dense_output() {
    let t = ButcherTableau::dopri5();
    assert!(matches!(t.dense(), Some(DenseOutput::Polynomial(_))));
    let w1 = t.interpolation_weights(1.0).unwrap();
    for (w, b) in w1.iter().zip(t.b()) {
        assert!((w - b).abs() < 1e-14, "{w} vs {b}");
    }
    assert!(t.interpolation_weights(0.0).unwrap().iter().all(|&w| w == 0.0));
    // Weights of a consistent interpolant sum to θ.
    let s: f64 = t.interpolation_weights(0.3).unwrap().iter().sum();
    assert!((s - 0.3).abs() < 1e-14);
    // y' = y, y(0) = 1, one step h = 0.1, evaluate at θ = 0.37.
    let h = 0.1;
    let (_, k) = rk_step(&t, t.b(), &|_, y| y, 0.0, 1.0, h);
    let theta = 0.37;
    let w = t.interpolation_weights(theta).unwrap();
    let y = 1.0 + h * w.iter().zip(&k).map(|(w, k)| w * k).sum::<f64>();
    let err = (y - (theta * h).exp()).abs();
    println!("dopri5 dense output error at θ = 0.37: {err:e}");
    assert!(err < 1e-8, "dense output error {err}");
    // Others have no dedicated extension.
    for t in registry().iter().filter(|t| t.name() != "dopri5") {
        assert_eq!(t.dense(), Some(&DenseOutput::Hermite));
        assert!(t.interpolation_weights(0.5).is_none());
    }
}

#[test]
fn error_weights_are_differences() {
    let t = ButcherTableau::dopri5();
    let e = t.error_weights().unwrap();
    let expected =
        [71.0 / 57600.0, 0.0, -71.0 / 16695.0, 71.0 / 1920.0, -17253.0 / 339200.0, 22.0 / 525.0, -1.0 / 40.0];
    for (x, y) in e.iter().zip(&expected) {
        assert!((x - y).abs() < 1e-15);
    }
    assert!(ButcherTableau::rk4().error_weights().is_none());
}
