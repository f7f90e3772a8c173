//! Neural fields: a multilayer perceptron with a vectorised activation ([`Activation`],
//! `tanh` by default) as a [`VectorField`].

mod fused_mlp;

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor};

use crate::activation::{self, Activation};
use crate::field::{FusedField, VectorField};

/// An autonomous MLP field `f(y) = W_L σ(… σ(W_1 y + b_1) …) + b_L` on states `[d]` or
/// `[B, d]`, with σ an [`Activation`] (`tanh` unless [`MlpField::with_activation`] says
/// otherwise; the `lv-mlp` and `wide` benchmark workloads use tanh). The activation runs
/// through the vectorised kernels of [`crate::activation`] on the graph-free path, the fused
/// path and under Burn's autodiff alike.
///
/// It has a fused kernel ([`VectorField::fused`]) for f32 and f64 parameters whose output
/// width equals the input width: solvers evaluate it and its VJP on host buffers with
/// `gemm`, without Burn's autodiff graph (equal to Burn's results to rounding: tests
/// `fused_eval_and_vjp_equal_burn_autodiff_in_f64` and `…_in_f32` in `tests/fused*.rs`).
#[derive(Module, Debug)]
pub struct MlpField {
    /// The affine layers.
    pub layers: Vec<Linear>,
    /// The hidden layers' activation.
    #[module(skip)]
    pub activation: Activation,
}

impl MlpField {
    /// An MLP with the given widths, e.g. `[2, 64, 64, 2]`, initialised by Burn's default
    /// (Kaiming-uniform) initialiser on `device` (seed it with `Device::seed`).
    ///
    /// # Example
    /// ```
    /// use burn::module::Module;
    /// use caputo::field::VectorField;
    /// use caputo::nn::MlpField;
    /// use caputo::tensor::from_vec;
    /// let dev = caputo::testkit::f64_device();
    /// let f = MlpField::new(&[2, 16, 2], &dev);
    /// assert_eq!(f.layers.len(), 2);
    /// assert_eq!(f.num_params(), (2 * 16 + 16) + (16 * 2 + 2));
    /// // A batch [B, d] maps to [B, d]; a single state [d] to [d].
    /// let y = from_vec(vec![0.1; 6], [3, 2], &dev);
    /// assert_eq!(VectorField::<2>::eval(&f, 0.0, y).dims(), [3, 2]);
    /// ```
    pub fn new(widths: &[usize], device: &Device) -> Self {
        let layers = widths.windows(2).map(|w| LinearConfig::new(w[0], w[1]).init(device)).collect();
        Self { layers, activation: Activation::Tanh }
    }

    /// The same network with activation `act` in the hidden layers.
    ///
    /// # Example
    /// ```
    /// use caputo::activation::Activation;
    /// use caputo::field::VectorField;
    /// use caputo::nn::MlpField;
    /// use caputo::tensor::{from_vec, to_vec};
    /// let dev = caputo::testkit::f64_device();
    /// let f = MlpField::new(&[2, 8, 2], &dev).with_activation(Activation::Gelu);
    /// assert_eq!(f.activation, Activation::Gelu);
    /// let y = to_vec(VectorField::<1>::eval(&f, 0.0, from_vec(vec![0.3, -0.2], [2], &dev)));
    /// assert!(y.iter().all(|v| v.is_finite()));
    /// ```
    pub fn with_activation(mut self, act: Activation) -> Self {
        self.activation = act;
        self
    }

    fn forward2(&self, mut x: Tensor<2>) -> Tensor<2> {
        let n = self.layers.len();
        for (i, l) in self.layers.iter().enumerate() {
            x = l.forward(x);
            if i + 1 < n {
                x = activation::apply(self.activation, x);
            }
        }
        x
    }
}

impl VectorField<2> for MlpField {
    fn eval(&self, _t: f64, y: Tensor<2>) -> Tensor<2> {
        self.forward2(y)
    }
    fn fused(&self) -> Option<FusedField<2>> {
        fused_mlp::fused(self)
    }
}

impl VectorField<1> for MlpField {
    fn eval(&self, _t: f64, y: Tensor<1>) -> Tensor<1> {
        let d = y.dims()[0];
        let out = self.forward2(y.reshape([1, d]));
        let d_out = out.dims()[1];
        out.reshape([d_out])
    }
    fn fused(&self) -> Option<FusedField<1>> {
        fused_mlp::fused(self)
    }
}
