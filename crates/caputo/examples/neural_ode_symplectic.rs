//! A neural ODE `y' = MLP(y)` fitted to a spiral with the symplectic adjoint: exact
//! gradients with memory for the step states plus one network use.
//!
//! `cargo run -p caputo --example neural_ode_symplectic`

use burn::optim::AdamConfig;
use burn::tensor::Tensor;
use caputo::grad::{Method, ode_forward};
use caputo::nn::MlpField;
use caputo::ode::{ButcherTableau, StepControl, solve};
use caputo::problems::LinearField;
use caputo::tensor::{dot, from_vec};
use caputo::testkit::f64_device;

fn main() -> caputo::Result<()> {
    let dev = f64_device();
    let plain = dev.clone().inner();
    let t: Vec<f64> = (0..=20).map(|k| k as f64 * 0.25).collect();
    let y0 = || from_vec(vec![1.0, 0.0], [2], &plain);
    // Targets: the damped rotation y' = A y.
    let truth = solve(&LinearField::default_2d(&plain), y0(), &t, &ButcherTableau::rk4(), &StepControl::fixed(100))?;
    dev.seed(1);
    let mut field = MlpField::new(&[2, 32, 2], &dev);
    let mut opt = AdamConfig::new().with_epsilon(1e-8).init();
    let tab = ButcherTableau::dopri5();
    for epoch in 0..=200 {
        let (sol, pb) = ode_forward(&field, y0(), &t, &tab, &StepControl::fixed(40), &Method::SymplecticAdjoint)?;
        // L = mean_k |y(t_k) − y*(t_k)|²
        let n = t.len() as f64;
        let diffs: Vec<Tensor<1>> = sol.y.iter().zip(&truth.y).map(|(y, z)| y.clone() - z.clone()).collect();
        let loss: f64 = diffs.iter().map(|d| dot(d.clone(), d.clone())).sum::<f64>() / n;
        let g: Vec<Tensor<1>> = diffs.into_iter().map(|d| d.mul_scalar(2.0 / n)).collect();
        let grads = pb.backward(&g)?;
        if epoch % 50 == 0 {
            println!(
                "epoch {epoch:>3}: loss {loss:.3e}, VJPs {}, stored {} B",
                grads.stats.vjps, grads.stats.peak_stored_bytes
            );
        }
        field = opt.step(1e-2, field, grads.params);
    }
    Ok(())
}
