//! Vector–Jacobian products of every kind of field pass the dot-product identity
//! ⟨w, J v⟩ = ⟨Jᵀ w, v⟩ (J v by central differences) at random points; errors are typed.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{GroupNorm, GroupNormConfig, PaddingConfig2d};
use burn::tensor::Tensor;
use caputo::VectorField;
use caputo::field::{Evaluator, ParamGrads};
use caputo::nn::MlpField;
use caputo::problems::LotkaVolterra;
use caputo::tensor::{dot, from_vec};
use caputo::testkit::f64_device;
use rand::{Rng, SeedableRng};

/// A small conv field on images `[B, C, H, W]`: conv → GroupNorm → tanh → conv.
#[derive(Module, Debug)]
struct ConvField {
    c1: Conv2d,
    norm: GroupNorm,
    c2: Conv2d,
}

impl VectorField<4> for ConvField {
    fn eval(&self, _t: f64, y: Tensor<4>) -> Tensor<4> {
        self.c2.forward(self.norm.forward(self.c1.forward(y)).tanh())
    }
}

fn random(shape_len: usize, rng: &mut rand_chacha::ChaCha8Rng) -> Vec<f64> {
    (0..shape_len).map(|_| rng.random_range(-1.0..1.0)).collect()
}

fn check_identity<const D: usize, F: VectorField<D>>(name: &str, field: &F, dims: [usize; D], seed: u64) {
    let dev = f64_device().inner();
    let n: usize = dims.iter().product();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    for trial in 0..5 {
        let y = from_vec(random(n, &mut rng), dims, &dev);
        let v = from_vec(random(n, &mut rng), dims, &dev);
        let w = from_vec(random(n, &mut rng), dims, &dev);
        let mut ev = Evaluator::new(field);
        let d = 1e-6;
        let jv = (ev.eval(0.3, y.clone() + v.clone().mul_scalar(d))
            - ev.eval(0.3, y.clone() - v.clone().mul_scalar(d)))
        .mul_scalar(0.5 / d);
        let mut grads = ParamGrads::new();
        let jtw = ev.vjp(0.3, y, w.clone(), &mut grads);
        let (lhs, rhs) = (dot(w, jv), dot(jtw, v));
        assert!(
            (lhs - rhs).abs() <= 1e-7 * lhs.abs().max(1.0),
            "{name} trial {trial}: ⟨w, Jv⟩ = {lhs}, ⟨Jᵀw, v⟩ = {rhs}"
        );
    }
}

#[test]
fn vjp_passes_the_dot_product_identity_for_mlp_conv_and_analytic_fields() {
    let dev = f64_device();
    dev.seed(9);
    check_identity("mlp [B, d]", &MlpField::new(&[6, 16, 6], &dev), [3, 6], 1);
    check_identity("mlp [d]", &MlpField::new(&[4, 8, 4], &dev), [4], 2);
    let conv = ConvField {
        c1: Conv2dConfig::new([2, 4], [3, 3]).with_padding(PaddingConfig2d::Same).init(&dev),
        norm: GroupNormConfig::new(2, 4).init(&dev),
        c2: Conv2dConfig::new([4, 2], [3, 3]).with_padding(PaddingConfig2d::Same).init(&dev),
    };
    check_identity("conv [B, C, H, W]", &conv, [2, 2, 5, 5], 3);
    check_identity("lotka-volterra [B, 2]", &LotkaVolterra::new([1.0, 1.0, 0.5, 0.3], &dev), [4, 2], 4);
}

#[test]
fn invalid_parameters_are_typed_errors() {
    use caputo::fde::{FdeSolve, History, Scheme};
    use caputo::grad::fde_forward;
    use caputo::grad::{Method, ode_forward};
    use caputo::ode::{ButcherTableau, StepControl};
    let dev = f64_device();
    let lv = LotkaVolterra::new([1.0, 1.0, 0.5, 0.3], &dev);
    let y0 = || from_vec(vec![2.0, 1.0], [2], &dev.clone().inner());
    let e = ode_forward(
        &lv,
        y0(),
        &[0.0, 1.0],
        &ButcherTableau::rk4(),
        &StepControl::fixed(4),
        &Method::Checkpointed { segments: 0 },
    )
    .err()
    .unwrap();
    assert!(matches!(e, caputo::Error::InvalidParameter { .. }), "{e}");
    let e = fde_forward(
        &lv,
        y0(),
        &FdeSolve::new(0.5, &[0.0, 1.0], 4)
            .with_scheme(Scheme::Abm { corrector_iters: 0 })
            .with_history(History::Dense),
        &Method::DiscreteAdjoint,
    )
    .err()
    .unwrap();
    assert!(matches!(e, caputo::Error::InvalidParameter { .. }), "{e}");
    let e = fde_forward(
        &lv,
        y0(),
        &FdeSolve::new(0.5, &[0.0, 1.0], 4).with_scheme(Scheme::Predictor).with_history(History::Short(0)),
        &Method::DiscreteAdjoint,
    )
    .err()
    .unwrap();
    assert!(matches!(e, caputo::Error::InvalidParameter { .. }), "{e}");
    let e = fde_forward(
        &lv,
        y0(),
        &FdeSolve::new(0.5, &[0.0, 1.0], 4).with_scheme(Scheme::Predictor).with_history(History::Fast { tol: -1.0 }),
        &Method::DiscreteAdjoint,
    )
    .err()
    .unwrap();
    assert!(matches!(e, caputo::Error::InvalidTolerance { .. }), "{e}");
}
