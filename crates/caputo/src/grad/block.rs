//! Putting a solve inside a bigger Burn model (encoder → ODE/FDE block → decoder).
//!
//! The block's pullback returns `∂L/∂y0` and the field's gradients; [`pull_through`] sends
//! `∂L/∂y0` on into the encoder with Burn's autodiff, and [`combine`] sums the parts into one
//! [`GradientsParams`] for one optimizer step:
//!
//! ```text
//! h0 = enc(x)                                     // tracked by Burn
//! (sol, pb) = fde_forward(&model.block, h0.clone().inner(), …, &Method::DiscreteAdjoint)
//! yT = sol.y[k].autodiff().require_grad();  loss = head(dec(yT));  g = loss.backward()
//! g_dec = GradientsParams::from_module(&mut g, &model);  g_yT = yT.grad(&g)
//! r = pb.backward(&[…, g_yT]);  g_enc = pull_through(&model, h0, r.y0)
//! grads = combine(&model, [g_dec, g_enc, r.params])   // → optimizer.step(lr, model, grads)
//! ```
//! Test: `block_gradients_equal_direct_backprop_through_the_whole_model`.

use burn::module::Module;
use burn::optim::{GradientsAccumulator, GradientsParams};
use burn::tensor::Tensor;

/// Backpropagates a cotangent of a tracked tensor (for example the encoder output that fed
/// a solve) into `model`'s parameters.
///
/// # Example
/// ```
/// use burn::nn::{Linear, LinearConfig};
/// use caputo::grad::pull_through;
/// use caputo::tensor::{from_vec, to_vec};
/// let dev = caputo::testkit::f64_device();
/// let enc: Linear = LinearConfig::new(2, 1).init(&dev);
/// let h0 = enc.forward(from_vec(vec![1.0, 2.0], [1, 2], &dev)); // tracked by Burn
/// // ∂L/∂h0 = 3, e.g. the `y0` part of a solve's pullback.
/// let g = pull_through(&enc, h0, from_vec(vec![3.0], [1, 1], &dev.clone().inner()));
/// assert_eq!(to_vec(g.get::<2>(enc.weight.id).unwrap()), vec![3.0, 6.0]); // xᵀ · 3
/// assert_eq!(to_vec(g.get::<1>(enc.bias.as_ref().unwrap().id).unwrap()), vec![3.0]);
/// ```
pub fn pull_through<const D: usize, M: Module>(model: &M, tracked: Tensor<D>, cotangent: Tensor<D>) -> GradientsParams {
    let g = (tracked * cotangent.inner().autodiff()).sum().backward();
    GradientsParams::from_grads(g, model)
}

/// Sums gradient sets of parts of one model (parameters present in several sets add up).
///
/// # Example
/// ```
/// use burn::nn::{Linear, LinearConfig};
/// use caputo::grad::{combine, pull_through};
/// use caputo::tensor::{from_vec, to_vec};
/// let dev = caputo::testkit::f64_device();
/// let enc: Linear = LinearConfig::new(1, 1).init(&dev);
/// let part = |x: f64, g: f64| {
///     let h = enc.forward(from_vec(vec![x], [1, 1], &dev));
///     pull_through(&enc, h, from_vec(vec![g], [1, 1], &dev.clone().inner()))
/// };
/// let total = combine(&enc, [part(1.0, 2.0), part(10.0, 1.0)]);
/// assert_eq!(to_vec(total.get::<2>(enc.weight.id).unwrap()), vec![12.0]); // 1·2 + 10·1
/// assert_eq!(to_vec(total.get::<1>(enc.bias.as_ref().unwrap().id).unwrap()), vec![3.0]); // 2 + 1
/// ```
pub fn combine<M: Module>(model: &M, parts: impl IntoIterator<Item = GradientsParams>) -> GradientsParams {
    let mut acc = GradientsAccumulator::<M>::new();
    for p in parts {
        acc.accumulate(model, p);
    }
    acc.grads()
}
