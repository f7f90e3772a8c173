//! The fused MLP kernel equals Burn's autodiff of the same network (f64; the f32 twin is
//! `tests/fused_f32.rs`, a separate binary because the device dtype is process-wide), and
//! every exact gradient method, now running through it, still equals `Direct`.

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::Tensor;
use caputo::VectorField;
use caputo::fde::{FdeSolve, History, Scheme};
use caputo::field::{Evaluator, ParamGrads};
use caputo::grad::fde_forward;
use caputo::grad::{Method, ode_forward};
use caputo::nn::MlpField;
use caputo::ode::{ButcherTableau, StepControl};
use caputo::tensor::{from_vec, to_vec};
use caputo::testkit::{f64_device, flat_grads, max_rel_diff, weighted_square_loss};
use rand::{Rng, SeedableRng};

fn random(n: usize, rng: &mut rand_chacha::ChaCha8Rng) -> Vec<f64> {
    (0..n).map(|_| rng.random_range(-1.0..1.0)).collect()
}

/// Burn's answer: `f(y)`, `aᵀ∂f/∂y`, `aᵀ∂f/∂θ` (flat, module order) and how many parameter
/// entries its `GradientsParams` has.
fn burn_reference<const D: usize, F: VectorField<D>>(
    field: &F,
    y: Tensor<D>,
    a: Tensor<D>,
) -> (Vec<f64>, Vec<f64>, Vec<f64>, usize) {
    let f = to_vec(field.valid().eval(0.0, y.clone()));
    let y = y.autodiff().require_grad();
    let mut g = (field.eval(0.0, y.clone()) * a.autodiff()).sum().backward();
    let gy = to_vec(y.grad_remove(&mut g).expect("f depends on y"));
    let gp = GradientsParams::from_grads(g, field);
    (f, gy, flat_grads(field, &gp), gp.len())
}

/// Compares the fused `eval`, `vjp` and `eval_and_vjp` with Burn at two random points (the
/// second VJP at a new point checks that the kernel's workspace holds nothing stale; the
/// parameter gradients of both are summed in one `ParamGrads`).
fn check_against_burn<const D: usize>(widths: &[usize], dims: [usize; D], seed: u64, tol: f64)
where
    MlpField: VectorField<D>,
{
    let dev = f64_device();
    dev.seed(seed);
    let field = MlpField::new(widths, &dev);
    let plain = dev.clone().inner();
    let n: usize = dims.iter().product();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut ev = Evaluator::new(&field);
    let mut grads = ParamGrads::new();
    let mut want_theta = vec![0.0; field.num_params()];
    let label = format!("{widths:?} on {dims:?}");
    for point in 0..2 {
        let y = from_vec(random(n, &mut rng), dims, &plain);
        let a = from_vec(random(n, &mut rng), dims, &plain);
        assert!(ev.is_fused(&y), "{label}: the fused kernel is used");
        let (f, gy, gth, entries) = burn_reference(&field, y.clone(), a.clone());
        assert_eq!(entries, 2 * (widths.len() - 1), "{label}: Burn has a gradient for every weight and bias");
        let e = max_rel_diff(&to_vec(ev.eval(0.0, y.clone())), &f);
        assert!(e <= tol, "{label} point {point}: f differs by {e:e}");
        let e = max_rel_diff(&to_vec(ev.vjp(0.0, y.clone(), a.clone(), &mut grads)), &gy);
        assert!(e <= tol, "{label} point {point}: aᵀ∂f/∂y differs by {e:e}");
        let (f2, gy2) = ev.eval_and_vjp(0.0, y, a, &mut grads);
        let (e_f, e_y) = (max_rel_diff(&to_vec(f2), &f), max_rel_diff(&to_vec(gy2), &gy));
        assert!(e_f <= tol && e_y <= tol, "{label} point {point}: eval_and_vjp differs by {e_f:e}, {e_y:e}");
        // vjp and eval_and_vjp each added aᵀ∂f/∂θ once.
        for (w, g) in want_theta.iter_mut().zip(&gth) {
            *w += 2.0 * g;
        }
    }
    assert_eq!((ev.n_evals, ev.n_vjps), (2, 4), "{label}: counters");
    let gp = grads.finish();
    assert_eq!(gp.len(), 2 * (widths.len() - 1), "{label}: one entry per parameter tensor");
    let e = max_rel_diff(&flat_grads(&field, &gp), &want_theta);
    assert!(e <= tol, "{label}: aᵀ∂f/∂θ summed over the VJPs differs by {e:e}");
}

const WIDTHS: [&[usize]; 4] = [&[2, 3, 2], &[2, 64, 64, 2], &[5, 7, 1, 5], &[64, 256, 64]];

#[test]
fn fused_eval_and_vjp_equal_burn_autodiff_in_f64() {
    for (i, w) in WIDTHS.iter().enumerate() {
        let seed = i as u64 + 1;
        check_against_burn(w, [w[0]], seed, 1e-12);
        check_against_burn(w, [3, w[0]], seed, 1e-12);
    }
    // A batch large enough for gemm's packed (non-matrix–vector) path, and a single layer.
    check_against_burn(&[64, 256, 64], [128, 64], 7, 1e-12);
    check_against_burn(&[4, 4], [5, 4], 8, 1e-12);
}

#[test]
fn param_grads_sum_fused_and_autodiff_contributions() {
    let dev = f64_device();
    dev.seed(21);
    let field = MlpField::new(&[3, 5, 3], &dev);
    let plain = dev.clone().inner();
    let y = from_vec(vec![0.2, -0.4, 0.9], [3], &plain);
    let a = from_vec(vec![1.0, 0.5, -2.0], [3], &plain);
    let (_, _, gth, _) = burn_reference(&field, y.clone(), a.clone());
    // One contribution through Burn (`add`, as the checkpointed methods do), one fused.
    let mut grads = ParamGrads::new();
    let yd = y.clone().autodiff();
    let g = (VectorField::<1>::eval(&field, 0.0, yd) * a.clone().autodiff()).sum().backward();
    grads.add(&field, GradientsParams::from_grads(g, &field));
    Evaluator::new(&field).vjp(0.0, y, a, &mut grads);
    let got = flat_grads(&field, &grads.finish());
    let want: Vec<f64> = gth.iter().map(|g| 2.0 * g).collect();
    assert!(max_rel_diff(&got, &want) < 1e-14, "{got:?} vs {want:?}");
}

#[test]
fn fields_the_kernel_does_not_cover_use_burn() {
    let dev = f64_device();
    let plain = dev.clone().inner();
    // Output width ≠ input width: not a field of its state, so no kernel (Burn's shapes rule).
    let f = MlpField::new(&[2, 3, 4], &dev);
    assert!(!Evaluator::new(&f).is_fused(&from_vec(vec![0.1, 0.2], [2], &plain)));
    // A state whose width is not the input width is left to Burn (which panics on it).
    let f = MlpField::new(&[2, 3, 2], &dev);
    assert!(!Evaluator::new(&f).is_fused(&from_vec(vec![0.1; 3], [3], &plain)));
    assert!(Evaluator::new(&f).is_fused(&from_vec(vec![0.1; 2], [2], &plain)));
}

#[test]
fn untracked_parameters_get_no_gradient_entries_as_with_burn() {
    // A field on the plain device: Burn tracks none of its parameters, and the fused path
    // reports none either, while still returning aᵀ∂f/∂y.
    let plain = f64_device().inner();
    let field = MlpField::new(&[2, 4, 2], &plain);
    let y = from_vec(vec![0.3, -0.1], [2], &plain);
    let a = from_vec(vec![1.0, 2.0], [2], &plain);
    let mut ev = Evaluator::new(&field);
    assert!(ev.is_fused(&y));
    let mut grads = ParamGrads::new();
    let gy = to_vec(ev.vjp(0.0, y.clone(), a.clone(), &mut grads));
    assert_eq!(grads.finish().len(), 0);
    let (_, want, _, entries) = burn_reference(&field, y, a);
    assert_eq!(entries, 0);
    assert!(max_rel_diff(&gy, &want) < 1e-12);
}

/// `(∂L/∂y0, ∂L/∂θ)` of an ODE solve with `method`.
fn ode_grads<const D: usize>(f: &MlpField, y0: &Tensor<D>, tab: &ButcherTableau, m: &Method) -> (Vec<f64>, Vec<f64>)
where
    MlpField: VectorField<D>,
{
    let t = [0.0, 0.4, 1.0];
    let (sol, pb) = ode_forward(f, y0.clone(), &t, tab, &StepControl::fixed(20), m).unwrap();
    let (_, g) = weighted_square_loss(&sol.y);
    let r = pb.backward(&g).unwrap();
    (to_vec(r.y0), flat_grads(f, &r.params))
}

/// `(∂L/∂y0, ∂L/∂θ)` of an FDE solve with `method`.
fn fde_grads<const D: usize>(f: &MlpField, y0: &Tensor<D>, s: &Scheme, m: &Method) -> (Vec<f64>, Vec<f64>)
where
    MlpField: VectorField<D>,
{
    let t = [0.0, 0.5, 1.0];
    let (sol, pb) =
        fde_forward(f, y0.clone(), &FdeSolve::new(0.6, &t, 24).with_scheme(s.clone()).with_history(History::Dense), m)
            .unwrap();
    let (_, g) = weighted_square_loss(&sol.y);
    let r = pb.backward(&g).unwrap();
    (to_vec(r.y0), flat_grads(f, &r.params))
}

fn assert_equal(label: &str, got: &(Vec<f64>, Vec<f64>), direct: &(Vec<f64>, Vec<f64>)) {
    let (e0, ep) = (max_rel_diff(&got.0, &direct.0), max_rel_diff(&got.1, &direct.1));
    assert!(e0 < 1e-10 && ep < 1e-10, "{label}: dy0 {e0:e}, dθ {ep:e}");
}

fn check_methods<const D: usize>(f: &MlpField, y0: Tensor<D>)
where
    MlpField: VectorField<D>,
{
    assert!(Evaluator::new(f).is_fused(&y0), "the solves below run through the fused kernel");
    let shape = y0.dims();
    for tab in [ButcherTableau::rk4(), ButcherTableau::dopri5()] {
        let direct = ode_grads(f, &y0, &tab, &Method::Direct);
        for m in [Method::SymplecticAdjoint, Method::Checkpointed { segments: 4 }] {
            assert_equal(&format!("ode {} {m:?} {shape:?}", tab.name()), &ode_grads(f, &y0, &tab, &m), &direct);
        }
    }
    let schemes = [
        ("predictor", Scheme::Predictor),
        ("abm", Scheme::Abm { corrector_iters: 1 }),
        ("l1", Scheme::L1 { new_point: None }),
    ];
    for (name, s) in schemes {
        let direct = fde_grads(f, &y0, &s, &Method::Direct);
        for m in [Method::DiscreteAdjoint, Method::Checkpointed { segments: 4 }] {
            assert_equal(&format!("fde {name} {m:?} {shape:?}"), &fde_grads(f, &y0, &s, &m), &direct);
        }
    }
}

#[test]
fn exact_gradient_methods_equal_direct_through_the_fused_mlp() {
    let dev = f64_device();
    dev.seed(5);
    let f = MlpField::new(&[2, 16, 16, 2], &dev);
    let plain = dev.clone().inner();
    check_methods(&f, from_vec(vec![0.4, -0.3], [2], &plain));
    check_methods(&f, from_vec(vec![0.4, -0.3, 1.0, 0.2, -0.8, 0.5], [3, 2], &plain));
}

/// `f(y)` with Burn's own activation functions (not caputo's kernels), for an independent
/// reference of every activation.
fn burn_own_forward(field: &MlpField, mut x: Tensor<2>) -> Tensor<2> {
    let n = field.layers.len();
    for (i, l) in field.layers.iter().enumerate() {
        x = l.forward(x);
        if i + 1 < n {
            x = caputo::activation::with_burn(field.activation, x);
        }
    }
    x
}

#[test]
fn fused_eval_and_vjp_equal_burn_for_every_activation() {
    let dev = f64_device();
    let plain = dev.clone().inner();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    for act in caputo::activation::Activation::all() {
        for widths in [&[3usize, 16, 3][..], &[4, 32, 32, 4]] {
            dev.seed(3);
            let field = MlpField::new(widths, &dev).with_activation(act);
            let d = widths[0];
            let (y, a) = (random(5 * d, &mut rng), random(5 * d, &mut rng));
            let (y, a) = (from_vec(y, [5, d], &plain), from_vec(a, [5, d], &plain));
            let want_f = to_vec(burn_own_forward(&field.valid(), y.clone()));
            let yg = y.clone().autodiff().require_grad();
            let mut g = (burn_own_forward(&field, yg.clone()) * a.clone().autodiff()).sum().backward();
            let want_gy = to_vec(yg.grad_remove(&mut g).unwrap());
            let want_gp = flat_grads(&field, &GradientsParams::from_grads(g, &field));
            let mut ev = Evaluator::new(&field);
            assert!(ev.is_fused(&y));
            let mut grads = ParamGrads::new();
            let (f, gy) = ev.eval_and_vjp(0.0, y, a, &mut grads);
            let gp = flat_grads(&field, &grads.finish());
            let e = max_rel_diff(&to_vec(f), &want_f)
                .max(max_rel_diff(&to_vec(gy), &want_gy))
                .max(max_rel_diff(&gp, &want_gp));
            assert!(e <= 1e-12, "{} {widths:?}: {e:e}", act.name());
        }
    }
}
