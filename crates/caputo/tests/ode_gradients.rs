//! The ODE gradient matrix: every method × field × observation layout × grid agrees with
//! central finite differences; exact methods equal `Direct` to rounding on every tableau.

use burn::tensor::Tensor;
use caputo::VectorField;
use caputo::grad::{Method, ode_forward};
use caputo::nn::MlpField;
use caputo::ode::{ButcherTableau, StepControl, solve, tableau};
use caputo::problems::{LinearField, LotkaVolterra};
use caputo::tensor::{from_vec, to_vec};
use caputo::testkit::{f64_device, flat_grads, max_rel_diff};

/// Loss L = Σ_k w_k Σ y(t_k)² (w_k = k+1), so every observation matters differently.
fn loss_and_cotangents(ys: &[Tensor<1>]) -> (f64, Vec<Tensor<1>>) {
    let mut l = 0.0;
    let mut g = vec![];
    for (k, y) in ys.iter().enumerate() {
        let w = (k + 1) as f64;
        let v = to_vec(y.clone());
        l += w * v.iter().map(|x| x * x).sum::<f64>();
        g.push(y.clone().mul_scalar(2.0 * w));
    }
    (l, g)
}

/// A gradient run and the finite-difference reference for one field.
type GradAndFd<'a> = dyn Fn(&Method) -> (Result1, Vec<f64>) + 'a;

struct Result1 {
    gy0: Vec<f64>,
    gp: Vec<f64>,
}

fn grads<F: VectorField<1>>(
    field: &F,
    y0: &[f64],
    t: &[f64],
    tab: &ButcherTableau,
    ctl: &StepControl,
    m: &Method,
) -> Result1 {
    let dev = f64_device().inner();
    let y0 = from_vec(y0.to_vec(), [y0.len()], &dev);
    let (sol, pb) = ode_forward(field, y0, t, tab, ctl, m).unwrap();
    let (_, g) = loss_and_cotangents(&sol.y);
    let gr = pb.backward(&g).unwrap();
    Result1 { gy0: to_vec(gr.y0), gp: flat_grads(field, &gr.params) }
}

fn loss_of<F: VectorField<1>>(field: &F, y0: &[f64], t: &[f64], tab: &ButcherTableau, ctl: &StepControl) -> f64 {
    let dev = f64_device().inner();
    let sol = solve(field, from_vec(y0.to_vec(), [y0.len()], &dev), t, tab, ctl).unwrap();
    loss_and_cotangents(&sol.y).0
}

fn fd_y0<F: VectorField<1>>(field: &F, y0: &[f64], t: &[f64], tab: &ButcherTableau, ctl: &StepControl) -> Vec<f64> {
    (0..y0.len())
        .map(|i| {
            let d = 1e-6;
            let mut p = y0.to_vec();
            p[i] += d;
            let mut m = y0.to_vec();
            m[i] -= d;
            (loss_of(field, &p, t, tab, ctl) - loss_of(field, &m, t, tab, ctl)) / (2.0 * d)
        })
        .collect()
}

#[test]
fn exact_methods_equal_direct_to_roundoff_on_every_tableau() {
    let dev = f64_device();
    let field = LotkaVolterra::new([1.0, 1.0, 0.5, 0.3], &dev);
    let t = [0.0, 0.7, 1.5, 3.0];
    for tab in tableau::registry() {
        let ctl = StepControl::fixed(24);
        let direct = grads(&field, &[2.0, 1.0], &t, &tab, &ctl, &Method::Direct);
        for m in [Method::SymplecticAdjoint, Method::Checkpointed { segments: 5 }] {
            let g = grads(&field, &[2.0, 1.0], &t, &tab, &ctl, &m);
            let e0 = max_rel_diff(&g.gy0, &direct.gy0);
            let ep = max_rel_diff(&g.gp, &direct.gp);
            assert!(e0 < 1e-10 && ep < 1e-10, "{} {:?}: dy0 {e0:e} dθ {ep:e}", tab.name(), m);
        }
    }
}

#[test]
fn gradient_matrix_agrees_with_finite_differences() {
    let dev = f64_device();
    let lin = LinearField::default_2d(&dev);
    let lv = LotkaVolterra::new([1.0, 1.0, 0.5, 0.3], &dev);
    dev.seed(7);
    let mlp = MlpField::new(&[2, 8, 2], &dev);
    let tab = ButcherTableau::dopri5();
    let layouts: [&[f64]; 2] = [&[0.0, 2.0], &[0.0, 0.5, 1.2, 2.0]];
    let grids = [StepControl::fixed(40), StepControl::adaptive(1e-9, 1e-11)];
    for t in layouts {
        for ctl in &grids {
            let fields: Vec<(&str, Box<GradAndFd>)> = vec![
                (
                    "linear",
                    Box::new(|m: &Method| {
                        (grads(&lin, &[1.0, 0.5], t, &tab, ctl, m), fd_y0(&lin, &[1.0, 0.5], t, &tab, ctl))
                    }),
                ),
                (
                    "lotka-volterra",
                    Box::new(|m: &Method| {
                        (grads(&lv, &[2.0, 1.0], t, &tab, ctl, m), fd_y0(&lv, &[2.0, 1.0], t, &tab, ctl))
                    }),
                ),
                (
                    "mlp",
                    Box::new(|m: &Method| {
                        (grads(&mlp, &[0.3, -0.2], t, &tab, ctl, m), fd_y0(&mlp, &[0.3, -0.2], t, &tab, ctl))
                    }),
                ),
            ];
            for (name, run) in &fields {
                for m in [
                    Method::Direct,
                    Method::Checkpointed { segments: 3 },
                    Method::SymplecticAdjoint,
                    Method::ContinuousAdjoint { rtol: 1e-10, atol: 1e-12 },
                ] {
                    let (g, fd) = run(&m);
                    let e = max_rel_diff(&g.gy0, &fd);
                    // Adaptive grids are frozen in the gradient but not in the finite difference.
                    let tol = if matches!(ctl, StepControl::Adaptive(_)) { 1e-5 } else { 1e-6 };
                    assert!(e < tol, "{name} {m:?} {ctl:?} t={t:?}: dL/dy0 {:?} vs FD {:?} ({e:e})", g.gy0, fd);
                }
            }
        }
    }
}

#[test]
fn parameter_gradients_agree_with_finite_differences() {
    // θ of Lotka–Volterra by central differences on the parameter vector.
    let dev = f64_device();
    let tab = ButcherTableau::rk4();
    let ctl = StepControl::fixed(50);
    let t = [0.0, 1.0, 2.5];
    let theta = [1.0, 1.0, 0.5, 0.3];
    let field = LotkaVolterra::new(theta, &dev);
    for m in [
        Method::Direct,
        Method::SymplecticAdjoint,
        Method::Checkpointed { segments: 4 },
        Method::ContinuousAdjoint { rtol: 1e-10, atol: 1e-12 },
    ] {
        let g = grads(&field, &[2.0, 1.0], &t, &tab, &ctl, &m);
        for i in 0..4 {
            let d = 1e-6;
            let mut p = theta;
            p[i] += d;
            let mut q = theta;
            q[i] -= d;
            let fd = (loss_of(&LotkaVolterra::new(p, &dev), &[2.0, 1.0], &t, &tab, &ctl)
                - loss_of(&LotkaVolterra::new(q, &dev), &[2.0, 1.0], &t, &tab, &ctl))
                / (2.0 * d);
            let tol = if m.is_exact() { 1e-6 } else { 1e-4 };
            assert!((g.gp[i] - fd).abs() <= tol * fd.abs().max(1.0), "{m:?} θ{i}: {} vs FD {fd}", g.gp[i]);
        }
    }
}

#[test]
fn continuous_adjoint_approaches_direct_as_tolerance_tightens() {
    let dev = f64_device();
    let field = LotkaVolterra::new([1.0, 1.0, 0.5, 0.3], &dev);
    let tab = ButcherTableau::dopri5();
    let ctl = StepControl::adaptive(1e-10, 1e-12);
    let t = [0.0, 5.0];
    let direct = grads(&field, &[2.0, 1.0], &t, &tab, &ctl, &Method::Direct);
    let errs: Vec<f64> = [1e-3, 1e-5, 1e-7, 1e-9]
        .iter()
        .map(|tol| {
            let g = grads(&field, &[2.0, 1.0], &t, &tab, &ctl, &Method::ContinuousAdjoint { rtol: *tol, atol: *tol });
            max_rel_diff(&g.gp, &direct.gp).max(max_rel_diff(&g.gy0, &direct.gy0))
        })
        .collect();
    assert!(errs.windows(2).all(|w| w[1] < w[0]), "errors must shrink: {errs:?}");
    assert!(errs[3] < 1e-7 && errs[0] > 1e-6, "{errs:?}");
}

#[test]
fn pullback_rejects_wrong_cotangents() {
    let dev = f64_device();
    let field = LinearField::default_2d(&dev);
    let y0 = from_vec(vec![1.0, 0.5], [2], &dev.clone().inner());
    let (_, pb) = ode_forward(
        &field,
        y0,
        &[0.0, 1.0],
        &ButcherTableau::rk4(),
        &StepControl::fixed(4),
        &Method::SymplecticAdjoint,
    )
    .unwrap();
    let e = pb.backward(&[from_vec(vec![1.0, 0.5], [2], &dev.inner())]).unwrap_err();
    assert!(matches!(e, caputo::Error::DimensionMismatch { .. }), "{e}");
}
