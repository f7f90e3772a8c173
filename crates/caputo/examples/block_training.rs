//! Encoder → `FdeBlock` with a learnable order α → decoder, trained with Burn's ordinary loop:
//! the block's forward is one autodiff node whose backward pass is the exact discrete adjoint
//! (also `∂L/∂α`), so a training step is forward, loss, `backward()`, optimizer step.
//!
//! `cargo run -p caputo --example block_training`

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::Tensor;
use caputo::block::{FdeBlock, FdeBlockConfig, MlpFieldConfig};
use caputo::nn::MlpField;
use caputo::tensor::{f64_device, from_vec, scalar};

#[derive(Module, Debug)]
struct Model {
    enc: Linear,
    block: FdeBlock<MlpField>,
    dec: Linear,
}

impl Model {
    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.dec.forward(self.block.forward(self.enc.forward(x)))
    }
}

fn main() -> caputo::Result<()> {
    let dev = f64_device();
    dev.seed(5);
    // D^α h = f(h; θ) on [0, 1], 16 ABM steps, dense history, discrete adjoint; α starts at 0.8.
    let block = FdeBlockConfig::new(MlpFieldConfig::new(&[8, 32, 8]), 0.8, 1.0, 16).with_learnable_alpha(true);
    let mut model = Model {
        enc: LinearConfig::new(4, 8).init(&dev),
        block: block.init(&dev)?,
        dec: LinearConfig::new(8, 1).init(&dev),
    };
    // Regression: y = sin(x0) + x1·x2 − x3 on 64 fixed points.
    let xs: Vec<f64> = (0..256).map(|i| ((i * 37 % 101) as f64 / 50.0) - 1.0).collect();
    let ys: Vec<f64> = xs.chunks(4).map(|x| x[0].sin() + x[1] * x[2] - x[3]).collect();
    let (x, y) = (from_vec(xs, [64, 4], &dev), from_vec(ys, [64, 1], &dev));
    let mut optim = AdamConfig::new().with_epsilon(1e-8).init();
    for epoch in 0..=100 {
        let err = model.forward(x.clone()) - y.clone();
        let loss = (err.clone() * err).mean();
        let mse = scalar(loss.clone().inner());
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(3e-3, model, grads);
        if epoch % 20 == 0 {
            println!("epoch {epoch:>3}: mse {mse:.4e}, alpha = {:.4}", model.block.alpha());
        }
    }
    Ok(())
}
