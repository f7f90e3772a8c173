//! Solves as one autodiff node.

use burn::tensor::Tensor;
use caputo::fde::{FdeSolve, Scheme};
use caputo::grad::{Method, node};
use caputo::problems::Relaxation;
use caputo::tensor::{f64_device, from_vec, scalar};

#[test]
fn smoke() {
    let dev = f64_device();
    let field = Relaxation::new(0.8, &dev);
    let y0 = from_vec(vec![1.0], [1], &dev).require_grad();
    let alpha = from_vec(vec![0.6], [1], &dev).require_grad();
    let opts = FdeSolve::new(0.6, &[0.0, 1.0], 64).with_scheme(Scheme::Abm { corrector_iters: 1 });
    let out = node::fde(&field, y0.clone() * 2.0, Some(alpha.clone()), &opts, &Method::DiscreteAdjoint).unwrap();
    let loss: Tensor<1> = out.last().sum();
    let grads = loss.backward();
    let dy0 = scalar(y0.grad(&grads).unwrap());
    let dl = scalar(field.lambda.val().grad(&grads).unwrap());
    let da = scalar(alpha.grad(&grads).unwrap());
    println!("{dy0} {dl} {da} {:?}", out.backward_stats());
}
