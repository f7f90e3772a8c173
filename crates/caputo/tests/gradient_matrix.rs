//! The gradient matrix, driven by the registries: every gradient method (`Method::all()`) ×
//! every solve (each fractional scheme of `fde::scheme::registry()` × dense, short and fast
//! history; each tableau of `ode::tableau::registry()` on a fixed and, where it has an error
//! estimate, an adaptive grid) is either
//!
//! * supported by `Method::supports`, and then exact methods equal `Direct` to ≤ 1e-10 (f64),
//!   `Direct` equals central finite differences, `∂L/∂α` is returned exactly when
//!   `Method::gives_alpha` says so and equals a finite difference in α, and the approximate
//!   methods give finite gradients of the right size; or
//! * refused by `Method::supports` with `Error::Unsupported`, and the entry point refuses it
//!   with the same error before solving.
//!
//! A new method or scheme is enrolled here by its registry line alone.

use caputo::Error;
use caputo::fde::scheme::registry;
use caputo::fde::{FdeSolve, History, Scheme, solve};
use caputo::grad::{Method, SolveKind, fde_forward, ode_forward};
use caputo::ode::{ButcherTableau, StepControl, tableau};
use caputo::problems::LotkaVolterra;
use caputo::tensor::{from_vec, to_vec};
use caputo::testkit::{f64_device, fde_grads, flat_grads, max_rel_diff, weighted_square_loss};

const P: [f64; 4] = [1.1, 0.4, 0.9, 0.3];
const Y0: [f64; 2] = [1.2, 0.7];
const T: [f64; 3] = [0.0, 0.5, 1.0];
const ALPHA: f64 = 0.7;
/// More steps than the fast history's exact window, so its modes are exercised.
const N: usize = 24;

fn field(p: [f64; 4]) -> LotkaVolterra {
    LotkaVolterra::new(p, &f64_device())
}

fn histories() -> Vec<History> {
    vec![History::Dense, History::Short(6), History::Fast { tol: 1e-12 }]
}

fn schemes() -> Vec<(String, Scheme)> {
    let mut v: Vec<(String, Scheme)> =
        registry().into_iter().map(|e| (e.name.to_string(), e.scheme.with_alpha(ALPHA))).collect();
    v.push(("abm-3".into(), Scheme::Abm { corrector_iters: 3 }));
    v
}

fn fde_loss(p: [f64; 4], y0: &[f64], opts: &FdeSolve) -> f64 {
    let dev = f64_device().inner();
    let sol = solve(&field(p), from_vec(y0.to_vec(), [2], &dev), opts).unwrap();
    weighted_square_loss(&sol.y).0
}

/// Central differences of the loss in (y0, θ, α).
fn fde_finite_differences(opts: &FdeSolve) -> (Vec<f64>, Vec<f64>, f64) {
    let e = 1e-6;
    let dy0 = (0..2)
        .map(|i| {
            let (mut a, mut b) = (Y0, Y0);
            a[i] += e;
            b[i] -= e;
            (fde_loss(P, &a, opts) - fde_loss(P, &b, opts)) / (2.0 * e)
        })
        .collect();
    let dp = (0..4)
        .map(|i| {
            let (mut a, mut b) = (P, P);
            a[i] += e;
            b[i] -= e;
            (fde_loss(a, &Y0, opts) - fde_loss(b, &Y0, opts)) / (2.0 * e)
        })
        .collect();
    let with_alpha = |alpha: f64| {
        let mut o = opts.clone();
        o.alpha = alpha;
        o.scheme = o.scheme.with_alpha(alpha);
        fde_loss(P, &Y0, &o)
    };
    let da = (with_alpha(ALPHA + e) - with_alpha(ALPHA - e)) / (2.0 * e);
    (dy0, dp, da)
}

#[test]
fn every_method_on_every_fractional_solve_is_exact_or_refused_as_promised() {
    let f = field(P);
    let dev = f64_device().inner();
    let mut table = vec![];
    let mut failures = vec![];
    for (name, scheme) in schemes() {
        for history in histories() {
            let hname = format!("{history:?}");
            let opts = FdeSolve::new(ALPHA, &T, N).with_scheme(scheme.clone()).with_history(history);
            let y0 = from_vec(Y0.to_vec(), [2], &dev);
            if let Err(e) = opts.check(&y0) {
                // The solve itself does not exist (fast history without an SOE form).
                assert!(matches!(e, Error::Unsupported { .. }), "{name} {history:?}: {e}");
                table.push(format!("{name:<20} {hname:<22} (no such solve: {e})"));
                continue;
            }
            let direct = fde_grads(&f, &Y0, &opts, &Method::Direct, weighted_square_loss);
            let (fd_y0, fd_p, fd_a) = fde_finite_differences(&opts);
            let e_fd = max_rel_diff(&direct.y0, &fd_y0).max(max_rel_diff(&direct.params, &fd_p));
            if e_fd > 1e-6 {
                failures.push(format!("{name} {history:?}: direct vs finite differences {e_fd:e}"));
            }
            for m in Method::all() {
                let kind = SolveKind::fde(&opts);
                match m.supports(kind) {
                    Err(e) => {
                        assert!(matches!(e, Error::Unsupported { .. }), "{name} {history:?} {}: {e}", m.name());
                        let got = fde_forward(&f, from_vec(Y0.to_vec(), [2], &dev), &opts, &m).err();
                        assert_eq!(got.map(|g| g.to_string()), Some(e.to_string()), "{name} {history:?} {}", m.name());
                        table.push(format!("{name:<20} {hname:<22} {:<20} refused", m.name()));
                    }
                    Ok(()) => {
                        let r = fde_grads(&f, &Y0, &opts, &m, weighted_square_loss);
                        let err = max_rel_diff(&r.y0, &direct.y0).max(max_rel_diff(&r.params, &direct.params));
                        let finite = r.y0.iter().chain(&r.params).all(|x| x.is_finite());
                        if !finite {
                            failures.push(format!("{name} {history:?} {}: non-finite gradient", m.name()));
                        }
                        // Exact methods equal direct to rounding. The continuous adjoint
                        // approximates the continuous gradient (first order in h here, N = 24);
                        // torchfde's adjoint is biased by design (`paper_adjoint_*` tests pin
                        // its numbers), so only its size is checked.
                        let tol = match m {
                            _ if m.is_exact() => 1e-10,
                            Method::ContinuousAdjoint { .. } => 0.15,
                            _ => 1.0,
                        };
                        if err > tol {
                            failures.push(format!("{name} {history:?} {}: {err:e} vs direct", m.name()));
                        }
                        if r.alpha.is_some() != m.gives_alpha(kind) {
                            failures.push(format!("{name} {history:?} {}: ∂L/∂α presence", m.name()));
                        }
                        if let Some(da) = r.alpha {
                            let e_a = (da - fd_a).abs() / fd_a.abs().max(1e-3);
                            if e_a > 1e-5 {
                                failures.push(format!("{name} {history:?} {}: ∂L/∂α {da} vs fd {fd_a}", m.name()));
                            }
                        }
                        table.push(format!("{name:<20} {hname:<22} {:<20} rel. err vs direct {err:.1e}", m.name()));
                    }
                }
            }
        }
    }
    println!("{}", table.join("\n"));
    assert!(failures.is_empty(), "{}\n\nthe matrix:\n{}", failures.join("\n"), table.join("\n"));
}

fn ode_grads(p: [f64; 4], tab: &ButcherTableau, ctl: &StepControl, m: &Method) -> caputo::Result<(Vec<f64>, Vec<f64>)> {
    let f = field(p);
    let dev = f64_device().inner();
    let (sol, pb) = ode_forward(&f, from_vec(Y0.to_vec(), [2], &dev), &T, tab, ctl, m)?;
    let (_, g) = weighted_square_loss(&sol.y);
    let r = pb.backward(&g)?;
    assert!(r.alpha.is_none());
    Ok((to_vec(r.y0), flat_grads(&f, &r.params)))
}

fn ode_loss(p: [f64; 4], y0: [f64; 2], tab: &ButcherTableau, ctl: &StepControl) -> f64 {
    let dev = f64_device().inner();
    let sol = caputo::ode::solve(&field(p), from_vec(y0.to_vec(), [2], &dev), &T, tab, ctl).unwrap();
    weighted_square_loss(&sol.y).0
}

#[test]
fn every_method_on_every_runge_kutta_solve_is_exact_or_refused_as_promised() {
    let mut failures = vec![];
    for tab in tableau::registry() {
        let mut controls = vec![StepControl::fixed(16)];
        if tab.b_embedded().is_some() {
            controls.push(StepControl::adaptive(1e-7, 1e-9));
        }
        for ctl in controls {
            let label = format!("{} {:?}", tab.name(), ctl);
            let (dy0, dp) = ode_grads(P, &tab, &ctl, &Method::Direct).unwrap();
            // Finite differences on fixed grids only: an adaptive grid moves with the inputs
            // (gradient methods treat the accepted steps as constants, as torchdiffeq does).
            if matches!(ctl, StepControl::Fixed { .. }) {
                let e = 1e-6;
                let mut fd = vec![];
                for i in 0..2 {
                    let (mut a, mut b) = (Y0, Y0);
                    a[i] += e;
                    b[i] -= e;
                    fd.push((ode_loss(P, a, &tab, &ctl) - ode_loss(P, b, &tab, &ctl)) / (2.0 * e));
                }
                for i in 0..4 {
                    let (mut a, mut b) = (P, P);
                    a[i] += e;
                    b[i] -= e;
                    fd.push((ode_loss(a, Y0, &tab, &ctl) - ode_loss(b, Y0, &tab, &ctl)) / (2.0 * e));
                }
                let got: Vec<f64> = dy0.iter().chain(&dp).copied().collect();
                let e_fd = max_rel_diff(&got, &fd);
                if e_fd > 1e-6 {
                    failures.push(format!("{label}: direct vs finite differences {e_fd:e}"));
                }
            }
            for m in Method::all() {
                match m.supports(SolveKind::Ode) {
                    Err(e) => {
                        assert!(matches!(e, Error::Unsupported { .. }), "{label} {}: {e}", m.name());
                        let got = ode_grads(P, &tab, &ctl, &m).err().map(|g| g.to_string());
                        assert_eq!(got, Some(e.to_string()), "{label} {}", m.name());
                    }
                    Ok(()) => {
                        let (gy0, gp) = ode_grads(P, &tab, &ctl, &m).unwrap();
                        let err = max_rel_diff(&gy0, &dy0).max(max_rel_diff(&gp, &dp));
                        // An approximate method approximates the continuous gradient: it differs
                        // from the discrete one by the scheme's own error, O(h^p) on a fixed grid.
                        let tol = match (m.is_exact(), &ctl) {
                            (true, _) => 1e-10,
                            (false, StepControl::Fixed { n_steps }) => {
                                (10.0 * (1.0 / *n_steps as f64).powi(tab.order() as i32)).max(1e-3)
                            }
                            (false, _) => 1e-3,
                        };
                        if err > tol || !err.is_finite() {
                            failures.push(format!("{label} {}: {err:e} vs direct", m.name()));
                        }
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
