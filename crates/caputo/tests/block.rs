//! A solve as a block of a Burn model: encoder → ODE/FDE block → decoder, trained end to end.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::Tensor;
use caputo::VectorField;
use caputo::fde::{FdeSolve, History, Scheme};
use caputo::grad::fde_forward;
use caputo::grad::{Method, combine, ode_forward, pull_through};
use caputo::nn::MlpField;
use caputo::ode::{ButcherTableau, StepControl, solve::march_on_grid};
use caputo::tensor::{from_vec, scalar};
use caputo::testkit::{f64_device, flat_grads, max_rel_diff};

#[derive(Module, Debug)]
struct Model {
    enc: Linear,
    block: MlpField,
    dec: Linear,
}

fn model() -> Model {
    let dev = f64_device();
    dev.seed(11);
    Model {
        enc: LinearConfig::new(3, 2).init(&dev),
        block: MlpField::new(&[2, 8, 2], &dev),
        dec: LinearConfig::new(2, 1).init(&dev),
    }
}

fn input() -> Tensor<2> {
    let v: Vec<f64> = (0..12).map(|i| ((i * 7 % 5) as f64 - 2.0) * 0.3).collect();
    from_vec(v, [4, 3], &f64_device())
}

fn head(out: Tensor<2>) -> Tensor<1> {
    (out.clone() * out).sum()
}

enum Block {
    Ode(Method),
    Fde(Method),
}

/// Gradients of the whole model with the block's pullback, combined with Burn's for the rest.
fn block_grads(m: &Model, kind: &Block) -> (f64, Vec<f64>, GradientsParams) {
    let h0 = m.enc.forward(input());
    let t = [0.0, 0.5, 1.0];
    let (ys, pb_ode, pb_fde) = match kind {
        Block::Ode(meth) => {
            let (sol, pb) =
                ode_forward(&m.block, h0.clone().inner(), &t, &ButcherTableau::rk4(), &StepControl::fixed(10), meth)
                    .unwrap();
            (sol.y, Some(pb), None)
        }
        Block::Fde(meth) => {
            let (sol, pb) = fde_forward(
                &m.block,
                h0.clone().inner(),
                &FdeSolve::new(0.7, &t, 10)
                    .with_scheme(Scheme::Abm { corrector_iters: 1 })
                    .with_history(History::Dense),
                meth,
            )
            .unwrap();
            (sol.y, None, Some(pb))
        }
    };
    // The decoder reads the middle and the final output.
    let leaves: Vec<Tensor<2>> = ys.iter().map(|y| y.clone().autodiff().require_grad()).collect();
    let loss = head(m.dec.forward(leaves[1].clone())) + head(m.dec.forward(leaves[2].clone()));
    let lv = scalar(loss.clone().inner());
    let mut g = loss.backward();
    let cot: Vec<Tensor<2>> =
        leaves.iter().map(|l| l.grad_remove(&mut g).unwrap_or_else(|| l.clone().inner().zeros_like())).collect();
    let g_dec = GradientsParams::from_grads(g, m);
    let r = match (pb_ode, pb_fde) {
        (Some(pb), _) => pb.backward(&cot).unwrap(),
        (_, Some(pb)) => pb.backward(&cot).unwrap(),
        _ => unreachable!(),
    };
    let g_enc = pull_through(m, h0, r.y0);
    let all = combine(m, [g_dec, g_enc, r.params]);
    (lv, flat_grads(m, &all), all)
}

/// Reference: Burn autodiff through encoder, every RK step and decoder in one graph.
fn whole_graph_grads(m: &Model) -> Vec<f64> {
    let h0 = m.enc.forward(input());
    let mut f = |t: f64, y: Tensor<2>| m.block.eval(t, y);
    let grid: Vec<f64> = (0..=10).map(|i| i as f64 * 0.1).collect();
    let tr = march_on_grid(&ButcherTableau::rk4(), &mut f, h0, &grid, &[0, 5, 10], 0).unwrap();
    let loss = head(m.dec.forward(tr.outputs[1].clone())) + head(m.dec.forward(tr.outputs[2].clone()));
    flat_grads(m, &GradientsParams::from_grads(loss.backward(), m))
}

#[test]
fn block_gradients_equal_direct_backprop_through_the_whole_model() {
    let m = model();
    let reference = whole_graph_grads(&m);
    for meth in [Method::Direct, Method::SymplecticAdjoint, Method::Checkpointed { segments: 3 }] {
        let (_, g, _) = block_grads(&m, &Block::Ode(meth.clone()));
        let e = max_rel_diff(&g, &reference);
        assert!(e < 1e-10, "{meth:?}: {e:e}");
    }
    let (_, direct, _) = block_grads(&m, &Block::Fde(Method::Direct));
    let (_, adj, _) = block_grads(&m, &Block::Fde(Method::DiscreteAdjoint));
    let e = max_rel_diff(&adj, &direct);
    assert!(e < 1e-10, "FDE block, discrete adjoint vs direct: {e:e}");
}

#[test]
fn an_fde_block_model_trains_end_to_end() {
    let mut m = model();
    let mut opt = AdamConfig::new().with_epsilon(1e-8).init();
    let mut losses = vec![];
    for _ in 0..30 {
        let (l, _, grads) = block_grads(&m, &Block::Fde(Method::DiscreteAdjoint));
        losses.push(l);
        m = opt.step(0.05, m, grads);
    }
    assert!(losses[29] < 0.2 * losses[0], "loss must fall: {losses:?}");
}
