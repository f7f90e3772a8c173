//! `FdeBlock` / `OdeBlock` as Burn modules: a training step is four statements; the block's
//! gradients equal backpropagation through the whole unrolled model; `∂L/∂α` through the
//! block's parametrisation `α = σ(a)` equals a central difference; every config round-trips
//! through JSON; a saved block loads with identical outputs; bad configs fail at `init` with a
//! typed error naming the value.

use burn::config::{Config, config_to_json};
use burn::module::{Module, Param};
use burn::nn::{Linear, LinearConfig};
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::Tensor;
use caputo::Error;
use caputo::block::{FdeBlock, FdeBlockConfig, MlpFieldConfig, OdeBlock, OdeBlockConfig};
use caputo::fde::scheme::registry;
use caputo::fde::{History, Scheme};
use caputo::grad::{Method, SolveKind, node};
use caputo::nn::MlpField;
use caputo::ode::{StepControl, tableau};
use caputo::tensor::{f64_device, from_vec, scalar, to_vec};
use caputo::testkit::{flat_grads, max_rel_diff};

#[derive(Module, Debug)]
struct FdeModel {
    enc: Linear,
    block: FdeBlock<MlpField>,
    dec: Linear,
}

impl FdeModel {
    fn new(cfg: &FdeBlockConfig<MlpFieldConfig>, seed: u64) -> Self {
        let dev = f64_device();
        dev.seed(seed);
        Self {
            enc: LinearConfig::new(3, 2).init(&dev),
            block: cfg.init(&dev).unwrap(),
            dec: LinearConfig::new(2, 1).init(&dev),
        }
    }
    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.dec.forward(self.block.forward(self.enc.forward(x)))
    }
}

fn data() -> (Tensor<2>, Tensor<2>) {
    let dev = f64_device();
    let xs: Vec<f64> = (0..24).map(|i| ((i * 7 % 11) as f64 / 5.0) - 1.0).collect();
    let ys: Vec<f64> = xs.chunks(3).map(|x| x[0].sin() + 0.5 * x[1] * x[2]).collect();
    (from_vec(xs, [8, 3], &dev), from_vec(ys, [8, 1], &dev))
}

fn mse(pred: Tensor<2>, y: Tensor<2>) -> Tensor<1> {
    let e = pred - y;
    (e.clone() * e).mean()
}

fn fde_config() -> FdeBlockConfig<MlpFieldConfig> {
    FdeBlockConfig::new(MlpFieldConfig::new(&[2, 8, 2]), 0.7, 1.0, 16).with_learnable_alpha(true)
}

#[test]
fn a_training_step_is_four_statements_and_the_loss_falls() {
    let (x, y) = data();
    let mut model = FdeModel::new(&fde_config(), 3);
    let mut optim = AdamConfig::new().with_epsilon(1e-8).init();
    let alpha0 = model.block.alpha();
    let mut losses = vec![];
    for _ in 0..40 {
        let loss = mse(model.forward(x.clone()), y.clone());
        losses.push(scalar(loss.clone().inner()));
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(0.02, model, grads);
    }
    assert!(losses[39] < 0.3 * losses[0], "the loss must fall: {losses:?}");
    let alpha = model.block.alpha();
    assert!(alpha != alpha0 && alpha > 0.0 && alpha < 1.0, "alpha trained inside (0, 1): {alpha0} -> {alpha}");
}

/// Reference: Burn's autodiff through encoder, every step of the solve and decoder.
fn unrolled_fde_grads(m: &FdeModel, x: &Tensor<2>, y: &Tensor<2>) -> Vec<f64> {
    let cfg_opts = fde_config().with_learnable_alpha(false).solve(m.block.alpha());
    let h = node::fde_unrolled(&m.block.field, m.enc.forward(x.clone()), &cfg_opts).unwrap().last();
    let loss = mse(m.dec.forward(h), y.clone());
    flat_grads(m, &GradientsParams::from_grads(loss.backward(), m))
}

fn block_grads<M: Module>(m: &M, loss: Tensor<1>) -> Vec<f64> {
    flat_grads(m, &GradientsParams::from_grads(loss.backward(), m))
}

#[test]
fn block_gradients_equal_backprop_through_the_unrolled_model_for_every_method() {
    let (x, y) = data();
    for history in [History::Dense, History::Fast { tol: 1e-12 }] {
        for method in Method::all() {
            let cfg = fde_config().with_learnable_alpha(false).with_history(history).with_method(method.clone());
            let label = format!("fde {history:?} {}", method.name());
            if cfg.validate().is_err() {
                assert!(method.supports(SolveKind::fde(&cfg.solve(0.7))).is_err(), "{label}");
                continue;
            }
            let m = FdeModel::new(&cfg, 5);
            let got = block_grads(&m, mse(m.forward(x.clone()), y.clone()));
            let reference = unrolled_fde_grads(&m, &x, &y);
            let e = max_rel_diff(&got, &reference);
            let tol = if method.is_exact() { 1e-10 } else { 0.2 };
            assert!(e < tol, "{label}: {e:e}");
        }
    }
    for method in Method::all() {
        let cfg = OdeBlockConfig::new(MlpFieldConfig::new(&[2, 8, 2]), 1.0, 12).with_method(method.clone());
        if cfg.validate().is_err() {
            assert!(method.supports(SolveKind::Ode).is_err(), "{}", method.name());
            continue;
        }
        let dev = f64_device();
        dev.seed(5);
        let enc: Linear = LinearConfig::new(3, 2).init(&dev);
        let block: OdeBlock<MlpField> = cfg.init(&dev).unwrap();
        let got = {
            let loss = mse(block.forward(enc.forward(x.clone())), y.clone());
            let g = GradientsParams::from_grads(loss.backward(), &block);
            flat_grads(&block, &g)
        };
        let reference = {
            let tab = tableau::by_name("rk4").unwrap();
            let out =
                node::ode_unrolled(&block.field, enc.forward(x.clone()), &[0.0, 1.0], &tab, &StepControl::fixed(12));
            let loss = mse(out.unwrap().last(), y.clone());
            flat_grads(&block, &GradientsParams::from_grads(loss.backward(), &block))
        };
        let e = max_rel_diff(&got, &reference);
        let tol = if method.is_exact() { 1e-10 } else { 1e-3 };
        assert!(e < tol, "ode {}: {e:e}", method.name());
    }
}

#[test]
fn dl_dalpha_through_the_sigmoid_parametrisation_equals_a_central_difference() {
    let (x, y) = data();
    for history in [History::Dense, History::Short(5)] {
        for scheme in [Scheme::Abm { corrector_iters: 1 }, Scheme::L1 { new_point: None }, Scheme::Predictor] {
            let cfg = fde_config().with_history(history).with_scheme(scheme.clone());
            let m = FdeModel::new(&cfg, 9);
            let a = m.block.order.as_ref().unwrap();
            let mut g = mse(m.forward(x.clone()), y.clone()).backward();
            let da = scalar(a.val().grad_remove(&mut g).expect("the order is trained"));
            let loss_at = |shift: f64| {
                let mut m2 = m.clone();
                let a2 = scalar(a.val().inner()) + shift;
                m2.block.order = Some(Param::initialized(a.id, from_vec(vec![a2], [1], &f64_device()).require_grad()));
                scalar(mse(m2.forward(x.clone()), y.clone()).inner())
            };
            let e = 1e-6;
            let fd = (loss_at(e) - loss_at(-e)) / (2.0 * e);
            // The difference quotient's rounding error is ~1e-16·L/e ≈ 1e-10 here.
            println!("{scheme:?} {history:?}: dL/da {da:.10e} vs fd {fd:.10e}");
            assert!((da - fd).abs() < 1e-5 * fd.abs() + 2e-9, "{scheme:?} {history:?}: dL/da {da} vs fd {fd}");
        }
    }
}

#[test]
fn every_config_round_trips_through_json() {
    let field = MlpFieldConfig::new(&[2, 8, 2]);
    let mut n = 0;
    for entry in registry() {
        for history in [History::Dense, History::Short(6), History::Fast { tol: 1e-10 }] {
            for method in Method::all() {
                for learnable in [false, true] {
                    let cfg = FdeBlockConfig::new(field.clone(), 0.6, 2.0, 20)
                        .with_times(vec![0.0, 0.5, 2.0])
                        .with_scheme(entry.scheme.clone().with_alpha(0.6))
                        .with_history(history)
                        .with_method(method.clone())
                        .with_learnable_alpha(learnable);
                    let json = config_to_json(&cfg);
                    let back: FdeBlockConfig<MlpFieldConfig> = serde_json::from_str(&json).unwrap();
                    assert_eq!(back, cfg, "{json}");
                    n += 1;
                }
            }
        }
    }
    for tab in tableau::registry() {
        for control in [StepControl::fixed(10), StepControl::adaptive(1e-6, 1e-9)] {
            for method in Method::all() {
                let cfg = OdeBlockConfig::new(field.clone(), 1.0, 10)
                    .with_tableau(tab.name())
                    .with_control(control.clone())
                    .with_method(method);
                let back: OdeBlockConfig<MlpFieldConfig> = serde_json::from_str(&config_to_json(&cfg)).unwrap();
                assert_eq!(back, cfg);
                n += 1;
            }
        }
    }
    assert!(n > 300, "{n} configs");
    // The names are the CLI's, and files work through Burn's `Config`.
    let cfg = fde_config().with_method(Method::Checkpointed { segments: 3 });
    let json = config_to_json(&cfg);
    assert!(json.contains("\"checkpointed\"") && json.contains("\"abm\"") && json.contains("\"dense\""), "{json}");
    let path = std::env::temp_dir().join(format!("caputo-block-config-{}.json", std::process::id()));
    cfg.save(&path).unwrap();
    assert_eq!(FdeBlockConfig::<MlpFieldConfig>::load(&path).unwrap(), cfg);
    std::fs::remove_file(path).unwrap();
}

#[test]
fn a_saved_block_loads_with_identical_outputs() {
    let dev = f64_device();
    let dir = std::env::temp_dir().join(format!("caputo-block-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let h0 = from_vec(vec![0.3, -0.2, 0.5, 0.1], [2, 2], &dev);
    // FDE block with a learnable order (whose raw parameter is saved too), moved off its
    // initial value so that a fresh init differs.
    let cfg = fde_config().with_times(vec![0.0, 0.5, 1.0]);
    dev.seed(1);
    let mut block = cfg.init(&dev).unwrap();
    block.order = block.order.map(|a| a.map(|t| t.add_scalar(0.3)));
    let out = to_vec(block.forward_stacked::<2, 3>(h0.clone()));
    block.clone().save_file(dir.join("fde")).unwrap();
    dev.seed(2);
    let fresh = cfg.init(&dev).unwrap();
    assert_ne!(to_vec(fresh.forward_stacked::<2, 3>(h0.clone())), out);
    let loaded = fresh.load_file(dir.join("fde.bpk"));
    assert_eq!(to_vec(loaded.forward_stacked::<2, 3>(h0.clone())), out);
    assert_eq!(loaded.alpha(), block.alpha());
    // ODE block.
    let cfg = OdeBlockConfig::new(MlpFieldConfig::new(&[2, 8, 2]), 1.0, 10);
    dev.seed(1);
    let block = cfg.init(&dev).unwrap();
    let out = to_vec(block.forward(h0.clone()));
    block.save_file(dir.join("ode")).unwrap();
    dev.seed(2);
    let loaded = cfg.init(&dev).unwrap().load_file(dir.join("ode.bpk"));
    assert_eq!(to_vec(loaded.forward(h0)), out);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_configs_fail_at_init_with_a_typed_error_naming_the_value() {
    let dev = f64_device();
    let field = MlpFieldConfig::new(&[2, 8, 2]);
    let fde = |alpha: f64| FdeBlockConfig::new(field.clone(), alpha, 1.0, 16);
    let cases: Vec<(FdeBlockConfig<MlpFieldConfig>, &str)> = vec![
        (fde(1.5), "1.5"),
        (fde(0.0), "alpha = 0"),
        (fde(-0.2), "-0.2"),
        (fde(1.0).with_learnable_alpha(true), "alpha = 1"),
        (fde(0.5).with_times(vec![0.0, 0.3, 1.0]), "0.3"),
        (fde(0.5).with_method(Method::SymplecticAdjoint), "symplectic-adjoint"),
        (fde(0.5).with_method(Method::PaperAdjoint), "paper-adjoint"),
        (
            fde(0.5).with_history(History::Short(4)).with_method(Method::ContinuousAdjoint { rtol: 1e-6, atol: 1e-8 }),
            "short memory",
        ),
        (fde(0.5).with_learnable_alpha(true).with_method(Method::Direct), "direct"),
        (fde(0.5).with_learnable_alpha(true).with_history(History::Fast { tol: 1e-10 }), "Fast"),
        (
            fde(0.5).with_learnable_alpha(true).with_scheme(Scheme::MultiTerm {
                orders: vec![],
                coeffs: vec![1.0, 0.5],
                form: caputo::fde::Form::Caputo,
            }),
            "multi-term",
        ),
        (fde(0.5).with_method(Method::Checkpointed { segments: 0 }), "segments"),
        (fde(0.5).with_history(History::Fast { tol: 2.0 }), "2"),
    ];
    for (cfg, needle) in cases {
        let err = cfg.init(&dev).map(|_| ()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(needle), "{cfg:?}: {msg}");
        assert!(
            matches!(
                err,
                Error::InvalidOrder { .. }
                    | Error::InvalidGrid { .. }
                    | Error::Unsupported { .. }
                    | Error::InvalidParameter { .. }
                    | Error::InvalidTolerance { .. }
            ),
            "{err:?}"
        );
    }
    let ode = || OdeBlockConfig::new(field.clone(), 1.0, 10);
    let cases: Vec<(OdeBlockConfig<MlpFieldConfig>, &str)> = vec![
        (ode().with_tableau("rk5"), "rk5"),
        (ode().with_method(Method::DiscreteAdjoint), "discrete-adjoint"),
        (ode().with_control(StepControl::adaptive(1e-6, 1e-8)), "rk4"),
        (ode().with_control(StepControl::fixed(0)), "n_steps = 0"),
        (ode().with_times(vec![0.0, 1.0, 0.5]), "0.5"),
    ];
    for (cfg, needle) in cases {
        let msg = cfg.init(&dev).map(|_| ()).unwrap_err().to_string();
        assert!(msg.contains(needle), "{cfg:?}: {msg}");
    }
}
