//! An FDE block inside a Burn model (encoder → `D^α h = f(h)` → decoder), trained with the
//! exact discrete adjoint: the block's pullback gives `∂L/∂h0` and the field's gradients,
//! `pull_through` carries `∂L/∂h0` into the encoder, `combine` makes one optimizer step.
//!
//! `cargo run -p caputo --example fde_block`

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::optim::{AdamConfig, GradientsParams};
use caputo::fde::{FdeSolve, Scheme};
use caputo::grad::{Method, combine, fde_forward, pull_through};
use caputo::nn::MlpField;
use caputo::tensor::{from_vec, scalar};
use caputo::testkit::f64_device;

#[derive(Module, Debug)]
struct Model {
    enc: Linear,
    block: MlpField,
    dec: Linear,
}

fn main() -> caputo::Result<()> {
    let dev = f64_device();
    dev.seed(5);
    let mut model = Model {
        enc: LinearConfig::new(4, 8).init(&dev),
        block: MlpField::new(&[8, 32, 8], &dev),
        dec: LinearConfig::new(8, 1).init(&dev),
    };
    // Regression: y = sin(x0) + x1·x2 − x3 on 64 fixed points.
    let xs: Vec<f64> = (0..256).map(|i| ((i * 37 % 101) as f64 / 50.0) - 1.0).collect();
    let ys: Vec<f64> = xs.chunks(4).map(|x| x[0].sin() + x[1] * x[2] - x[3]).collect();
    let x = from_vec(xs, [64, 4], &dev);
    let y = from_vec(ys, [64, 1], &dev);
    let mut opt = AdamConfig::new().with_epsilon(1e-8).init();
    // D^0.8 h = f(h; θ) on [0, 1], 16 ABM steps (dense history, the default).
    let opts = FdeSolve::new(0.8, &[0.0, 1.0], 16).with_scheme(Scheme::Abm { corrector_iters: 1 });
    for epoch in 0..=100 {
        let h0 = model.enc.forward(x.clone());
        let (sol, pb) = fde_forward(&model.block, h0.clone().inner(), &opts, &Method::DiscreteAdjoint)?;
        let h1 = sol.y[1].clone().autodiff().require_grad();
        let err = model.dec.forward(h1.clone()) - y.clone();
        let loss = (err.clone() * err).mean();
        let lv = scalar(loss.clone().inner());
        let mut g = loss.backward();
        let g_h1 = h1.grad_remove(&mut g).expect("the loss reads h1");
        let g_dec = GradientsParams::from_grads(g, &model);
        let r = pb.backward(&[h1.clone().inner().zeros_like(), g_h1])?;
        let g_enc = pull_through(&model, h0, r.y0);
        if epoch % 20 == 0 {
            println!("epoch {epoch:>3}: mse {lv:.4e}, dL/dalpha = {:+.3e}", r.alpha.unwrap_or(f64::NAN));
        }
        let grads = combine(&model, [g_dec, g_enc, r.params]);
        model = opt.step(3e-3, model, grads);
    }
    Ok(())
}
