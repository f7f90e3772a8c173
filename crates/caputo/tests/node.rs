//! Solves as one autodiff node (`grad::node`), inside a model with layers before and after the
//! solve: for every gradient method (`Method::all()`) × every solve it supports (each scheme of
//! `fde::scheme::registry()` × dense, short and fast history; each tableau of
//! `ode::tableau::registry()` on a fixed and, with an error estimate, an adaptive grid), the
//! gradients Burn's `loss.backward()` gives through the node (encoder, field and decoder
//! parameters; through the encoder, `∂L/∂y0`) equal backpropagation through the whole unrolled
//! solve (`node::fde_unrolled` / `node::ode_unrolled`) to ≤ 1e-10 for exact methods; `∂L/∂α`
//! from the node equals a central difference; refused combinations are refused by the node
//! with `Method::supports`'s error.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::optim::GradientsParams;
use burn::tensor::Tensor;
use caputo::Error;
use caputo::fde::scheme::registry;
use caputo::fde::{FdeSolve, History, Scheme};
use caputo::grad::node::{self, Outputs};
use caputo::grad::{Method, SolveKind};
use caputo::nn::MlpField;
use caputo::ode::{ButcherTableau, StepControl, tableau};
use caputo::problems::Relaxation;
use caputo::tensor::{f64_device, from_vec, scalar};
use caputo::testkit::{flat_grads, max_rel_diff};

#[derive(Module, Debug)]
struct Model {
    enc: Linear,
    field: MlpField,
    dec: Linear,
}

fn model() -> Model {
    let dev = f64_device();
    dev.seed(7);
    Model {
        enc: LinearConfig::new(3, 2).init(&dev),
        field: MlpField::new(&[2, 6, 2], &dev),
        dec: LinearConfig::new(2, 1).init(&dev),
    }
}

fn input() -> Tensor<2> {
    let v: Vec<f64> = (0..12).map(|i| ((i * 7 % 5) as f64 - 2.0) * 0.3).collect();
    from_vec(v, [4, 3], &f64_device())
}

/// The decoder reads every output after the first, each with its own weight.
fn head(m: &Model, out: &Outputs<2>) -> Tensor<1> {
    let mut loss: Option<Tensor<1>> = None;
    for k in 1..out.len() {
        let d = m.dec.forward(out.at(k)).tanh();
        let term = (d.clone() * d).sum().mul_scalar(k as f64);
        loss = Some(match loss {
            Some(l) => l + term,
            None => term,
        });
    }
    loss.expect("at least one output after y0")
}

/// Loss, flat gradients of the whole model and `∂L/∂α` (when `alpha` is given, tracked).
struct Run {
    loss: f64,
    grads: Vec<f64>,
    alpha: Option<f64>,
    out: Outputs<2>,
}

fn backward(m: &Model, out: Outputs<2>, alpha: Option<Tensor<1>>) -> Run {
    let loss = head(m, &out);
    let lv = scalar(loss.clone().inner());
    let mut g = loss.backward();
    let alpha = alpha.and_then(|a| a.grad_remove(&mut g)).map(scalar);
    let grads = flat_grads(m, &GradientsParams::from_grads(g, m));
    Run { loss: lv, grads, alpha, out }
}

fn fde_node(m: &Model, opts: &FdeSolve, method: &Method, alpha: Option<f64>) -> caputo::Result<Run> {
    let alpha = alpha.map(|a| from_vec(vec![a], [1], &f64_device()).require_grad());
    let out = node::fde(&m.field, m.enc.forward(input()), alpha.clone(), opts, method)?;
    Ok(backward(m, out, alpha))
}

fn fde_reference(m: &Model, opts: &FdeSolve) -> Run {
    let out = node::fde_unrolled(&m.field, m.enc.forward(input()), opts).unwrap();
    backward(m, out, None)
}

fn fde_loss(m: &Model, opts: &FdeSolve) -> f64 {
    let out = node::fde_unrolled(&m.field, m.enc.forward(input()), opts).unwrap();
    scalar(head(m, &out).inner())
}

const ALPHA: f64 = 0.7;
const T: [f64; 3] = [0.0, 0.5, 1.0];
/// More steps than the fast history's exact window, so its modes are exercised.
const N: usize = 24;

fn schemes() -> Vec<(String, Scheme)> {
    let mut v: Vec<(String, Scheme)> =
        registry().into_iter().map(|e| (e.name.to_string(), e.scheme.with_alpha(ALPHA))).collect();
    v.push(("abm-3".into(), Scheme::Abm { corrector_iters: 3 }));
    v
}

fn with_alpha(opts: &FdeSolve, alpha: f64) -> FdeSolve {
    let mut o = opts.clone();
    o.alpha = alpha;
    o
}

#[test]
fn every_fde_node_gives_the_gradients_of_backprop_through_the_whole_model() {
    let m = model();
    let mut table = vec![];
    let mut failures = vec![];
    for (name, scheme) in schemes() {
        for history in [History::Dense, History::Short(6), History::Fast { tol: 1e-12 }] {
            let opts = FdeSolve::new(ALPHA, &T, N).with_scheme(scheme.clone()).with_history(history);
            if opts.validate().is_err() {
                continue; // no such solve (fast history without an SOE form)
            }
            let reference = fde_reference(&m, &opts);
            for method in Method::all() {
                let kind = SolveKind::fde(&opts);
                let label = format!("{name:<20} {history:<22?} {:<20}", method.name());
                if let Err(e) = method.supports(kind) {
                    let got = fde_node(&m, &opts, &method, None).err();
                    assert_eq!(got, Some(e), "{label}");
                    table.push(format!("{label} refused"));
                    continue;
                }
                let alpha = node::trainable_alpha(&opts, &method).is_ok().then_some(ALPHA);
                if method.gives_alpha(kind) && alpha.is_none() {
                    // Multi-term: the orders are constants of the scheme; a tracked α is refused.
                    assert!(fde_node(&m, &opts, &method, Some(ALPHA)).is_err(), "{label}");
                }
                let r = fde_node(&m, &opts, &method, alpha).unwrap();
                let err = max_rel_diff(&r.grads, &reference.grads);
                let tol = match method {
                    _ if method.is_exact() => 1e-10,
                    Method::ContinuousAdjoint { .. } => 0.15,
                    _ => 1.0,
                };
                if err > tol || !err.is_finite() {
                    failures.push(format!("{label}: {err:e} vs the unrolled solve"));
                }
                if (r.loss - reference.loss).abs() > 1e-12 * reference.loss.abs() {
                    failures.push(format!("{label}: loss {} vs {}", r.loss, reference.loss));
                }
                // The node ran the method: its backward pass reported, and (besides Direct)
                // the forward recorded no graph.
                let Some(bstats) = r.out.backward_stats() else {
                    failures.push(format!("{label}: the node's backward did not run"));
                    continue;
                };
                if method != Method::Direct && (r.out.stats.graph_evals != 0 || bstats.steps == 0) {
                    failures.push(format!("{label}: stats {:?} / {bstats:?}", r.out.stats));
                }
                let mut note = String::new();
                if let Some(da) = r.alpha {
                    let e = 1e-6;
                    let fd = (fde_loss(&m, &with_alpha(&opts, ALPHA + e))
                        - fde_loss(&m, &with_alpha(&opts, ALPHA - e)))
                        / (2.0 * e);
                    let e_a = (da - fd).abs() / fd.abs().max(1e-3);
                    if e_a > 1e-5 {
                        failures.push(format!("{label}: dL/dalpha {da} vs central difference {fd}"));
                    }
                    note = format!(", dL/dalpha rel. err {e_a:.1e}");
                }
                table.push(format!("{label} rel. err {err:.1e}{note}"));
            }
        }
    }
    println!("{}", table.join("\n"));
    assert!(failures.is_empty(), "{}\n\nthe matrix:\n{}", failures.join("\n"), table.join("\n"));
}

fn ode_node(m: &Model, tab: &ButcherTableau, ctl: &StepControl, method: &Method) -> caputo::Result<Run> {
    let out = node::ode(&m.field, m.enc.forward(input()), &T, tab, ctl, method)?;
    Ok(backward(m, out, None))
}

#[test]
fn every_ode_node_gives_the_gradients_of_backprop_through_the_whole_model() {
    let m = model();
    let mut failures = vec![];
    for tab in tableau::registry() {
        let mut controls = vec![StepControl::fixed(16)];
        if tab.b_embedded().is_some() {
            controls.push(StepControl::adaptive(1e-7, 1e-9));
        }
        for ctl in controls {
            let out = node::ode_unrolled(&m.field, m.enc.forward(input()), &T, &tab, &ctl).unwrap();
            let reference = backward(&m, out, None);
            for method in Method::all() {
                let label = format!("{} {ctl:?} {}", tab.name(), method.name());
                if let Err(e) = method.supports(SolveKind::Ode) {
                    assert_eq!(ode_node(&m, &tab, &ctl, &method).err(), Some(e), "{label}");
                    continue;
                }
                let r = ode_node(&m, &tab, &ctl, &method).unwrap();
                let err = max_rel_diff(&r.grads, &reference.grads);
                // An approximate method differs from the discrete gradient by the scheme's
                // own error, O(h^p) on a fixed grid.
                let tol = match (method.is_exact(), &ctl) {
                    (true, _) => 1e-10,
                    (false, StepControl::Fixed { n_steps }) => {
                        (10.0 * (1.0 / *n_steps as f64).powi(tab.order() as i32)).max(1e-3)
                    }
                    (false, _) => 1e-3,
                };
                if err > tol || !err.is_finite() {
                    failures.push(format!("{label}: {err:e} vs the unrolled solve"));
                }
                if r.out.backward_stats().is_none() {
                    failures.push(format!("{label}: the node's backward did not run"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_parameter_read_inside_and_outside_the_node_gets_both_gradients() {
    // L = y(1) + 3λ for D^α y = −λ y: ∂L/∂λ = ∂y(1)/∂λ + 3, accumulated by Burn.
    let dev = f64_device();
    let field = Relaxation::new(0.8, &dev);
    let opts = FdeSolve::new(0.6, &[0.0, 1.0], 32);
    let y0 = from_vec(vec![1.0], [1], &dev).require_grad();
    let run = |extra: f64| {
        let out = node::fde(&field, y0.clone(), None, &opts, &Method::DiscreteAdjoint).unwrap();
        let loss = out.last().sum() + field.lambda.val().sum().mul_scalar(extra);
        scalar(field.lambda.val().grad(&loss.backward()).unwrap())
    };
    assert!((run(3.0) - run(0.0) - 3.0).abs() < 1e-12);
}

#[test]
fn untracked_inputs_give_a_plain_solve_and_tracked_alpha_needs_a_method_that_gives_it() {
    let dev = f64_device();
    let plain = dev.clone().inner();
    let opts = FdeSolve::new(0.6, &[0.0, 0.5, 1.0], 32);
    // A graph-free field and state: a plain solve, plain outputs, no node.
    let field = Relaxation::new(0.8, &plain);
    let out = node::fde(&field, from_vec(vec![1.0], [1], &plain), None, &opts, &Method::DiscreteAdjoint).unwrap();
    assert!(!out.last().is_autodiff());
    assert_eq!(out.stacked::<2>().dims(), [3, 1]);
    assert_eq!(out.to_vec().len(), 3);
    // An untracked y0 on the autodiff device: a plain solve whose outputs stay on that device.
    let out = node::fde(&field, from_vec(vec![1.0], [1], &dev), None, &opts, &Method::DiscreteAdjoint).unwrap();
    assert!(out.last().is_autodiff() && !out.last().is_tracked() && out.backward_stats().is_none());
    // A tracked order with a method that treats α as a constant is refused, naming the method.
    let field = Relaxation::new(0.8, &dev);
    let alpha = from_vec(vec![0.6], [1], &dev).require_grad();
    let y0 = from_vec(vec![1.0], [1], &dev);
    let err = node::fde(&field, y0.clone(), Some(alpha.clone()), &opts, &Method::Direct).unwrap_err();
    assert!(matches!(&err, Error::Unsupported { method, .. } if method == "direct"), "{err}");
    let fast = opts.clone().with_history(History::Fast { tol: 1e-10 });
    assert!(node::fde(&field, y0.clone(), Some(alpha.clone()), &fast, &Method::DiscreteAdjoint).is_err());
    // The order is one number.
    let two = from_vec(vec![0.6, 0.7], [2], &dev);
    assert!(matches!(
        node::fde(&field, y0, Some(two), &opts, &Method::DiscreteAdjoint),
        Err(Error::DimensionMismatch { .. })
    ));
}

#[test]
fn a_node_on_a_device_with_gradient_checkpointing_gives_the_same_gradients() {
    let grads = |dev: &burn::tensor::Device| {
        let field = Relaxation::new(0.8, dev);
        let y0 = from_vec(vec![1.0, 2.0], [2], dev).require_grad();
        let opts = FdeSolve::new(0.6, &[0.0, 0.5, 1.0], 32);
        let out = node::fde(&field, y0.clone().mul_scalar(1.5), None, &opts, &Method::DiscreteAdjoint).unwrap();
        let y = out.joined();
        let g = (y.clone() * y).sum().backward();
        (caputo::tensor::to_vec(y0.grad(&g).unwrap()), scalar(field.lambda.val().grad(&g).unwrap()))
    };
    let balanced = f64_device().gradient_checkpointing();
    assert!(balanced.gradient_checkpointing_strategy().is_some());
    assert_eq!(grads(&balanced), grads(&f64_device()));
}

#[test]
fn chained_nodes_sharing_a_field_equal_the_unrolled_chain() {
    // h1 = Φ(h0), h2 = Φ(h1) with one field (shared weights): two nodes in one graph, each
    // running its pullback inside the same backward pass.
    let m = model();
    let opts = FdeSolve::new(ALPHA, &[0.0, 1.0], 12);
    let loss = |chain: &dyn Fn(Tensor<2>) -> Tensor<2>| {
        let h = chain(chain(m.enc.forward(input())));
        let d = m.dec.forward(h);
        let l = (d.clone() * d).sum();
        flat_grads(&m, &GradientsParams::from_grads(l.backward(), &m))
    };
    let reference = loss(&|h| node::fde_unrolled(&m.field, h, &opts).unwrap().last());
    for method in [Method::DiscreteAdjoint, Method::Checkpointed { segments: 3 }, Method::Direct] {
        let got = loss(&|h| node::fde(&m.field, h, None, &opts, &method).unwrap().last());
        let e = max_rel_diff(&got, &reference);
        assert!(e < 1e-10, "{}: {e:e}", method.name());
    }
}

#[test]
fn a_node_tracks_whatever_is_tracked_a_parameter_free_field_or_a_constant_y0() {
    let dev = f64_device();
    let (tab, ctl) = (ButcherTableau::rk4(), StepControl::fixed(20));
    // No parameters, tracked y0: ∂y(1)/∂y0 = e^{−1} for y' = −y.
    let decay = caputo::FnField::new(|_t: f64, y: Tensor<1>| -y);
    let y0 = from_vec(vec![1.0], [1], &dev).require_grad();
    let out = node::ode(&decay, y0.clone(), &[0.0, 1.0], &tab, &ctl, &Method::SymplecticAdjoint).unwrap();
    let g = out.last().sum().backward();
    assert!((scalar(y0.grad(&g).unwrap()) - (-1.0f64).exp()).abs() < 1e-7);
    // Tracked parameters, a constant y0 on the plain device: ∂y(1)/∂λ = −e^{−λ}.
    let field = Relaxation::new(1.0, &dev);
    let y0 = from_vec(vec![1.0], [1], &dev.clone().inner());
    let out = node::ode(&field, y0, &[0.0, 1.0], &tab, &ctl, &Method::SymplecticAdjoint).unwrap();
    assert!(out.last().is_autodiff());
    let g = out.last().sum().backward();
    assert!((scalar(field.lambda.val().grad(&g).unwrap()) + (-1.0f64).exp()).abs() < 1e-7);
}
