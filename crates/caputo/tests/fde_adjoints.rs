//! The other FDE gradient methods: torchfde's paper adjoint reproduces its documented (biased)
//! numbers, the continuous adjoint converges to the true gradient at a fitted rate, and
//! checkpointing equals `Direct` to rounding.

use burn::module::{Module, Param};
use burn::tensor::Tensor;
use caputo::fde::scheme::registry;
use caputo::fde::{FdeSolve, History, Scheme, solve};
use caputo::grad::Method;
use caputo::grad::fde_forward;
use caputo::nn::MlpField;
use caputo::problems::{LotkaVolterra, Relaxation};
use caputo::special::gamma;
use caputo::special::mittag_leffler::mittag_leffler;
use caputo::tensor::{from_vec, to_vec};
use caputo::testkit::{
    FlatFdeGrads, error_table, f64_device, fde_grads, fitted_order, flat_grads, max_rel_diff, weighted_square_loss,
};
use caputo::{Error, VectorField};

/// The scalar fields of the notes' table (§4a), each with one named parameter θ.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// `f = θ`
    Constant,
    /// `f = θ t`
    Time,
    /// `f = −θ z`
    Decay,
    /// `f = sin(θ z)`
    Sine,
}

#[derive(Module, Debug)]
struct Scalar {
    theta: Param<Tensor<1>>,
    #[module(skip)]
    kind: Kind,
}

impl Scalar {
    fn new(kind: Kind, theta: f64) -> Self {
        Self { theta: Param::from_tensor(from_vec(vec![theta], [1], &f64_device())), kind }
    }
}

impl VectorField<1> for Scalar {
    fn eval(&self, t: f64, y: Tensor<1>) -> Tensor<1> {
        let th = self.theta.val();
        match self.kind {
            Kind::Constant => y.zeros_like() + th,
            Kind::Time => y.zeros_like() + th.mul_scalar(t),
            Kind::Decay => y * th.neg(),
            Kind::Sine => (y * th).sin(),
        }
    }
}

/// The loss of the cotangents `g`: `L = y(T)` summed over components, or
/// `L = Σ_k (k+1) |y(t_k)|²`.
#[derive(Clone, Copy)]
enum Loss {
    Final,
    Quadratic,
}

impl Loss {
    fn value_and_cotangents(self, ys: &[Tensor<1>]) -> (f64, Vec<Tensor<1>>) {
        match self {
            Loss::Final => {
                let last = ys.len() - 1;
                let l = to_vec(ys[last].clone()).iter().sum();
                (
                    l,
                    ys.iter()
                        .enumerate()
                        .map(|(k, y)| if k == last { y.ones_like() } else { y.zeros_like() })
                        .collect(),
                )
            }
            Loss::Quadratic => weighted_square_loss(ys),
        }
    }
}

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
    loss: Loss,
) -> FlatFdeGrads {
    fde_grads(f, y0, &FdeSolve::new(alpha, t, n).with_scheme(s.clone()).with_history(h), m, |ys| {
        loss.value_and_cotangents(ys)
    })
}

#[allow(clippy::too_many_arguments)]
fn loss_value<F: VectorField<1>>(f: &F, y0: &[f64], alpha: f64, t: &[f64], n: usize, s: &Scheme, loss: Loss) -> f64 {
    let dev = f64_device().inner();
    let sol = solve(
        f,
        from_vec(y0.to_vec(), [y0.len()], &dev),
        &FdeSolve::new(alpha, t, n).with_scheme(s.clone()).with_history(History::Dense),
    )
    .unwrap();
    loss.value_and_cotangents(&sol.y).0
}

fn schemes(alpha: f64) -> Vec<(String, Scheme)> {
    let mut v: Vec<(String, Scheme)> =
        registry().into_iter().map(|e| (e.name.to_string(), e.scheme.with_alpha(alpha))).collect();
    v.push(("abm-3".into(), Scheme::Abm { corrector_iters: 3 }));
    v
}

#[test]
fn paper_adjoint_reproduces_the_torchfde_table() {
    // Notes §4a: β = 0.6, T = 1, N = 200, z0 = 0.7, θ = 1.3, L = z(1), predictor.
    // (kind, paper dL/dz0, paper dL/dθ, exact dL/dz0, exact dL/dθ)
    let table = [
        (Kind::Constant, 1.00000000, 1.00000000, 1.00000000, 1.11917495),
        (Kind::Time, 1.00000000, 0.50250000, 1.00000000, 0.69664714),
        (Kind::Decay, 0.33996508, -0.16338378, 0.33996508, -0.14420710),
        (Kind::Sine, 1.00536206, -0.25826127, 0.67530152, -0.43041244),
    ];
    let run = |f: &Scalar, m: &Method, h: History| {
        grads(f, &[0.7], 0.6, &[0.0, 1.0], 200, &Scheme::Predictor, h, m, Loss::Final)
    };
    for (kind, pz, pt, ez, et) in table {
        let f = Scalar::new(kind, 1.3);
        let paper = run(&f, &Method::PaperAdjoint, History::Dense);
        let exact = run(&f, &Method::DiscreteAdjoint, History::Dense);
        for (what, got, want) in [
            ("paper z0", paper.y0[0], pz),
            ("paper θ", paper.params[0], pt),
            ("exact z0", exact.y0[0], ez),
            ("exact θ", exact.params[0], et),
        ] {
            assert!((got - want).abs() < 1e-8, "{kind:?} {what}: {got:.10} vs the notes' {want:.8}");
        }
        // One VJP per reversed step, no forward evaluation in the backward pass.
        assert_eq!(paper.stats.vjps, 200, "{kind:?}");
        // The same recurrence on the fast (sum-of-exponentials) history.
        let fast = run(&f, &Method::PaperAdjoint, History::Fast { tol: 1e-10 });
        assert!(
            (fast.y0[0] - pz).abs() < 1e-7 && (fast.params[0] - pt).abs() < 1e-7,
            "{kind:?} fast: {:?} {:?}",
            fast.y0,
            fast.params
        );
    }
}

#[test]
fn paper_adjoint_is_biased_for_a_constant_field() {
    // D^0.5 z = θ, L = z(1): the true dL/dθ is 1/Γ(1.5) = 1.128…; the paper adjoint gives
    // h·N = 1.000 at every resolution, while the exact methods give 1/Γ(1.5) (the predictor
    // integrates a constant exactly).
    let truth = 1.0 / gamma(1.5);
    assert!((truth - std::f64::consts::FRAC_2_SQRT_PI).abs() < 1e-14 && (truth - 1.128).abs() < 5e-4);
    let f = Scalar::new(Kind::Constant, 0.4);
    for n in [16, 128, 1024] {
        let run = |m: &Method| {
            grads(&f, &[0.7], 0.5, &[0.0, 1.0], n, &Scheme::Predictor, History::Dense, m, Loss::Final).params[0]
        };
        let (paper, discrete, continuous) = (
            run(&Method::PaperAdjoint),
            run(&Method::DiscreteAdjoint),
            run(&Method::ContinuousAdjoint { rtol: 1e-8, atol: 1e-10 }),
        );
        assert!((paper - 1.0).abs() < 1e-12, "N = {n}: paper adjoint {paper}");
        assert!((discrete - truth).abs() < 1e-12, "N = {n}: discrete adjoint {discrete}");
        assert!((continuous - truth).abs() < 1e-12, "N = {n}: continuous adjoint {continuous}");
    }
}

#[test]
fn paper_adjoint_re_anchoring_is_a_sum_of_single_time_adjoints() {
    // Loss at t = 0.5 and t = 1: the re-anchored reverse solve equals the sum of the two
    // single-time (torchfde) adjoints, each started from its own observation time.
    let dev = f64_device();
    let lv = LotkaVolterra::new([1.0, 1.0, 0.5, 0.3], &dev);
    let plain = dev.inner();
    let y0 = [2.0, 1.0];
    let (g0, g1, g2) = ([0.3, -0.2], [1.0, 0.5], [-0.7, 2.0]);
    let run = |t: &[f64], n: usize, s: &Scheme, g: &[[f64; 2]]| {
        let (_, pb) = fde_forward(
            &lv,
            from_vec(y0.to_vec(), [2], &plain),
            &FdeSolve::new(0.6, t, n).with_scheme(s.clone()).with_history(History::Dense),
            &Method::PaperAdjoint,
        )
        .unwrap();
        let g: Vec<Tensor<1>> = g.iter().map(|x| from_vec(x.to_vec(), [2], &plain)).collect();
        let r = pb.backward(&g).unwrap();
        let mut v = to_vec(r.y0);
        v.extend(flat_grads(&lv, &r.params));
        v
    };
    for name in ["predictor", "l1", "gl", "gl-rl", "trapezoid"] {
        let s = caputo::fde::scheme::by_name(name, 0.6).unwrap();
        let both = run(&[0.0, 0.5, 1.0], 40, &s, &[g0, g1, g2]);
        let first = run(&[0.0, 0.5], 20, &s, &[[0.0, 0.0], g1]);
        let second = run(&[0.0, 1.0], 40, &s, &[[0.0, 0.0], g2]);
        let mut sum: Vec<f64> = first.iter().zip(&second).map(|(a, b)| a + b).collect();
        sum[0] += g0[0];
        sum[1] += g0[1];
        let e = max_rel_diff(&both, &sum);
        assert!(e < 1e-12, "{name}: {both:?} vs {sum:?} ({e:e})");
    }
}

#[test]
fn methods_say_which_fractional_solves_they_do_not_cover() {
    let dev = f64_device();
    let lv = LotkaVolterra::new([1.0, 1.0, 0.5, 0.3], &dev);
    let y0 = from_vec(vec![2.0, 1.0], [2], &dev.inner());
    let attempt = |s: &Scheme, h: History, m: &Method| {
        fde_forward(&lv, y0.clone(), &FdeSolve::new(0.6, &[0.0, 1.0], 16).with_scheme(s.clone()).with_history(h), m)
            .map(|_| ())
    };
    let unsupported = |r: caputo::Result<()>| matches!(r, Err(Error::Unsupported { .. }));
    let cont = Method::ContinuousAdjoint { rtol: 1e-8, atol: 1e-10 };
    for (name, s) in schemes(0.6) {
        let paper_ok = ["predictor", "l1", "gl", "gl-rl", "trapezoid", "trapezoid-rl"].contains(&name.as_str());
        assert_eq!(!paper_ok, unsupported(attempt(&s, History::Dense, &Method::PaperAdjoint)), "paper-adjoint, {name}");
        let cont_ok = !s.is_riemann_liouville() && !matches!(s, Scheme::MultiTerm { .. });
        assert_eq!(!cont_ok, unsupported(attempt(&s, History::Dense, &cont)), "continuous-adjoint, {name}");
        assert!(unsupported(attempt(&s, History::Short(5), &cont)), "continuous-adjoint with short memory, {name}");
        assert!(attempt(&s, History::Short(5), &Method::Checkpointed { segments: 3 }).is_ok(), "checkpointed, {name}");
    }
    // Fast history: checkpointed snapshots its compressed state.
    let fast = History::Fast { tol: 1e-8 };
    assert!(attempt(&Scheme::Predictor, fast, &Method::Checkpointed { segments: 3 }).is_ok(), "checkpointed, fast");
}

#[test]
fn continuous_adjoint_converges_to_the_mittag_leffler_gradient() {
    // Relaxation D^α y = −λy, L = y(T): ∂L/∂y0 = E_α(−λT^α), ∂L/∂λ = −y0 T^α E_{α,α}(−λT^α)/α.
    // With the ABM forward (order 1+α) the continuous adjoint converges at order ≈ 1+α; at
    // α = 1 it is a second-order (trapezoidal PECE) neural-ODE adjoint.
    let dev = f64_device();
    let (lam, y0, t1): (f64, f64, f64) = (0.8, 1.5, 1.0);
    let field = Relaxation::new(lam, &dev);
    let s = Scheme::Abm { corrector_iters: 1 };
    let m = Method::ContinuousAdjoint { rtol: 1e-8, atol: 1e-10 };
    for alpha in [0.3, 0.5, 0.8, 1.0] {
        let z = -lam * t1.powf(alpha);
        let want = [mittag_leffler(alpha, 1.0, z), -y0 * t1.powf(alpha) * mittag_leffler(alpha, alpha, z) / alpha];
        let ns = [16usize, 32, 64, 128, 256, 512];
        let hs: Vec<f64> = ns.iter().map(|n| t1 / *n as f64).collect();
        let mut errs = [vec![], vec![]];
        for &n in &ns {
            let g = grads(&field, &[y0], alpha, &[0.0, t1], n, &s, History::Dense, &m, Loss::Final);
            assert_eq!(g.stats.vjps, 2 * n, "2N VJPs");
            errs[0].push((g.y0[0] - want[0]).abs());
            errs[1].push((g.params[0] - want[1]).abs());
        }
        for (k, what) in ["dL/dy0", "dL/dλ"].iter().enumerate() {
            let p = fitted_order(&hs, &errs[k], 1e-11, 1e-2).expect("enough points in range");
            println!("α = {alpha}, {what}: fitted order {p:.3}\n{}", error_table(&hs, &errs[k]));
            assert!(
                (p - (1.0 + alpha).min(2.0)).abs() < 0.2,
                "α = {alpha}, {what}: order {p:.3}\n{}",
                error_table(&hs, &errs[k])
            );
        }
    }
}

#[test]
fn continuous_adjoint_agrees_with_finite_differences_within_its_discretisation_error() {
    // Several observation times, L = Σ_k (k+1)|y(t_k)|²: the continuous adjoint differs from
    // the exact gradient of the discrete solve (central differences) by its discretisation
    // error, which shrinks at about the forward's order.
    let dev = f64_device();
    let theta = [1.0, 1.0, 0.5, 0.3];
    let lv = LotkaVolterra::new(theta, &dev);
    let (t, alpha, y0) = ([0.0, 0.5, 1.0, 2.0], 0.7, [2.0, 1.0]);
    let m = Method::ContinuousAdjoint { rtol: 1e-8, atol: 1e-10 };
    let fd = |n: usize, s: &Scheme| {
        let d = 1e-6;
        let mut v = vec![];
        for i in 0..2 {
            let (mut p, mut q) = (y0, y0);
            p[i] += d;
            q[i] -= d;
            v.push(
                (loss_value(&lv, &p, alpha, &t, n, s, Loss::Quadratic)
                    - loss_value(&lv, &q, alpha, &t, n, s, Loss::Quadratic))
                    / (2.0 * d),
            );
        }
        for i in 0..4 {
            let (mut p, mut q) = (theta, theta);
            p[i] += d;
            q[i] -= d;
            let lp = loss_value(&LotkaVolterra::new(p, &dev), &y0, alpha, &t, n, s, Loss::Quadratic);
            let lq = loss_value(&LotkaVolterra::new(q, &dev), &y0, alpha, &t, n, s, Loss::Quadratic);
            v.push((lp - lq) / (2.0 * d));
        }
        v
    };
    let err = |n: usize, s: &Scheme| {
        let g = grads(&lv, &y0, alpha, &t, n, s, History::Dense, &m, Loss::Quadratic);
        let got: Vec<f64> = g.y0.iter().chain(&g.params).copied().collect();
        max_rel_diff(&got, &fd(n, s))
    };
    let abm = Scheme::Abm { corrector_iters: 1 };
    let (e32, e128) = (err(32, &abm), err(128, &abm));
    println!("abm: relative error vs finite differences {e32:.3e} (N = 32), {e128:.3e} (N = 128)");
    assert!(e128 < 2e-3 && e128 < e32 / 5.0, "abm: {e32:e} (N = 32) vs {e128:e} (N = 128)");
    // With fast history the forward differs from the dense one by about the SOE tolerance; the
    // adjoint (always on the dense kernel) follows.
    let dense = grads(&lv, &y0, alpha, &t, 128, &abm, History::Dense, &m, Loss::Quadratic);
    let fast = grads(&lv, &y0, alpha, &t, 128, &abm, History::Fast { tol: 1e-10 }, &m, Loss::Quadratic);
    let e = max_rel_diff(&fast.y0, &dense.y0).max(max_rel_diff(&fast.params, &dense.params));
    println!("fast vs dense history: {e:.3e}");
    assert!(e < 1e-7, "fast vs dense history: {e:e}");
    // Every Caputo single-term scheme: within the first-order discretisation error.
    for (name, s) in
        schemes(alpha).into_iter().filter(|(_, s)| !s.is_riemann_liouville() && !matches!(s, Scheme::MultiTerm { .. }))
    {
        let e = err(128, &s);
        println!("{name}: relative error vs finite differences {e:.3e} (N = 128)");
        assert!(e < 3e-2, "{name}: {e:e}");
    }
}

#[test]
fn checkpointed_matches_direct_to_roundoff() {
    let dev = f64_device();
    let lv = LotkaVolterra::new([1.0, 1.0, 0.5, 0.3], &dev);
    dev.seed(5);
    let mlp = MlpField::new(&[2, 8, 2], &dev);
    let t = [0.0, 0.5, 1.0, 2.0];
    let n = 40;
    for (name, s) in schemes(0.6) {
        for h in [History::Dense, History::Short(7)] {
            for (fname, y0) in [("lv", [2.0, 1.0]), ("mlp", [0.3, -0.4])] {
                let run = |m: &Method| {
                    if fname == "lv" {
                        grads(&lv, &y0, 0.6, &t, n, &s, h, m, Loss::Quadratic)
                    } else {
                        grads(&mlp, &y0, 0.6, &t, n, &s, h, m, Loss::Quadratic)
                    }
                };
                let d = run(&Method::Direct);
                for segments in [1, 3, 7, 100] {
                    let c = run(&Method::Checkpointed { segments });
                    let (e0, ep) = (max_rel_diff(&c.y0, &d.y0), max_rel_diff(&c.params, &d.params));
                    assert!(e0 < 1e-10 && ep < 1e-10, "{name} {h:?} {fname} S = {segments}: dy0 {e0:e}, dθ {ep:e}");
                    assert_eq!(c.stats.recomputed_steps, n, "{name}: every step is replayed once");
                    assert!(c.stats.graph_evals > 0 && c.stats.vjps == 0, "{name}: {:?}", c.stats);
                }
            }
        }
    }
}
