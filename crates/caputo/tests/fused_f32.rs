//! The fused MLP kernel in f32 equals Burn's autodiff of the same f32 network. Its own test
//! binary: the device dtype is process-wide, and the other binaries configure f64.

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::{DType, Device, Tensor, TensorData};
use caputo::VectorField;
use caputo::field::{Evaluator, ParamGrads};
use caputo::grad::{Method, ode_forward};
use caputo::nn::MlpField;
use caputo::ode::{ButcherTableau, StepControl};
use caputo::tensor::to_vec;
use caputo::testkit::{flat_grads, max_rel_diff, weighted_square_loss};
use rand::{Rng, SeedableRng};

/// The autodiff flex device left at its default dtype, f32 (this binary never configures it).
fn f32_device() -> Device {
    Device::flex().autodiff()
}

fn tensor<const D: usize>(v: Vec<f32>, dims: [usize; D], dev: &Device) -> Tensor<D> {
    Tensor::from_data(TensorData::new(v, dims), (dev, DType::F32))
}

fn check<const D: usize>(widths: &[usize], dims: [usize; D], seed: u64)
where
    MlpField: VectorField<D>,
{
    let dev = f32_device();
    dev.seed(seed);
    let field = MlpField::new(widths, &dev);
    assert_eq!(field.layers[0].weight.val().dtype(), DType::F32, "an f32 network");
    let plain = dev.clone().inner();
    let n: usize = dims.iter().product();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut rand = |n: usize| (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect::<Vec<f32>>();
    let (y, a) = (tensor(rand(n), dims, &plain), tensor(rand(n), dims, &plain));
    let label = format!("f32 {widths:?} on {dims:?}");
    let mut ev = Evaluator::new(&field);
    assert!(ev.is_fused(&y), "{label}: the fused kernel is used");
    // Burn.
    let f_want = to_vec(field.valid().eval(0.0, y.clone()));
    let yd = y.clone().autodiff().require_grad();
    let mut g = (field.eval(0.0, yd.clone()) * a.clone().autodiff()).sum().backward();
    let gy_want = to_vec(yd.grad_remove(&mut g).unwrap());
    let gp_want = GradientsParams::from_grads(g, &field);
    // Fused.
    let mut grads = ParamGrads::new();
    let (f, gy) = ev.eval_and_vjp(0.0, y, a, &mut grads);
    assert_eq!((f.dtype(), gy.dtype()), (DType::F32, DType::F32), "{label}: results stay f32");
    let gp = grads.finish();
    assert_eq!(gp.len(), gp_want.len(), "{label}: the same parameter entries");
    let errs = [
        max_rel_diff(&to_vec(f), &f_want),
        max_rel_diff(&to_vec(gy), &gy_want),
        max_rel_diff(&flat_grads(&field, &gp), &flat_grads(&field, &gp_want)),
    ];
    assert!(errs.iter().all(|e| *e <= 1e-5), "{label}: (f, aᵀ∂f/∂y, aᵀ∂f/∂θ) differ by {errs:?}");
}

#[test]
fn fused_eval_and_vjp_equal_burn_autodiff_in_f32() {
    for (i, w) in [&[2usize, 3, 2][..], &[2, 64, 64, 2], &[5, 7, 1, 5], &[64, 256, 64]].iter().enumerate() {
        check(w, [w[0]], i as u64 + 1);
        check(w, [3, w[0]], i as u64 + 1);
    }
    check(&[64, 256, 64], [128, 64], 9);
}

#[test]
fn symplectic_adjoint_equals_direct_in_f32_through_the_fused_mlp() {
    let dev = f32_device();
    dev.seed(4);
    let f = MlpField::new(&[2, 64, 64, 2], &dev);
    let y0 = tensor(vec![1.0, 0.5], [2], &dev.clone().inner());
    let run = |m: &Method| {
        let (sol, pb) =
            ode_forward(&f, y0.clone(), &[0.0, 1.0], &ButcherTableau::rk4(), &StepControl::fixed(50), m).unwrap();
        let (_, g) = weighted_square_loss(&sol.y);
        let r = pb.backward(&g).unwrap();
        (to_vec(r.y0), flat_grads(&f, &r.params))
    };
    let (d, s) = (run(&Method::Direct), run(&Method::SymplecticAdjoint));
    let (e0, ep) = (max_rel_diff(&s.0, &d.0), max_rel_diff(&s.1, &d.1));
    assert!(e0 < 1e-4 && ep < 1e-4, "dy0 {e0:e}, dθ {ep:e}");
}
