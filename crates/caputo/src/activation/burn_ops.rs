//! The activations on Burn tensors: the kernels on the `flex` CPU device, Burn's own ops
//! everywhere else.

use burn::tensor::{DType, Device, Element, Tensor, TensorData};

use super::{Activation, KernelFloat};

/// `f(x)` elementwise, for any tensor a Burn module produces (MLP `[B, d]`, conv `[B, C, H, W]`,
/// graph features `[N, F]`).
///
/// * On the `flex` CPU device, in f32 or f64, without autodiff: the data is read, the
///   vectorised kernel runs in place, and the result is rebuilt on the same device and dtype.
///   Nothing is copied when `x` is not shared (a layer's fresh output); a shared `x` (one
///   still held elsewhere, e.g. `apply(act, x.clone())`) is copied once, as Burn's own ops
///   then allocate their output.
/// * On the `flex` device with autodiff, when `x` is tracked: `y_c = f(x)` and `d_c = f′(x)`
///   are computed by the kernels from `x`'s values and the result is
///   `y_c + (x − detach(x)) ⊙ d_c`. Its value is exactly `y_c` (`x − detach(x) = 0`) and its
///   gradient with respect to `x` is `d_c`, so first-order gradients are exact without a
///   custom backward op. Infinite entries of `x` are masked to 0 in that difference (where
///   `∞ − ∞` would be NaN), so they get the exact value and a zero gradient. Second-order
///   gradients are not available on this path (`d_c` is a constant).
/// * Elsewhere (other devices such as CUDA or wgpu, dtypes such as f16 and bf16) and for
///   [`Activation::Relu`], whose `flex` implementation is already a vectorised select in
///   place: Burn's own op ([`burn::tensor::activation`]). [`Activation::Identity`] returns `x`.
///
/// Burn's versions agree with the kernels to rounding, with two documented differences:
/// Burn's `softplus` returns `x` above 20 (a difference below 2e-9), and Burn's `gelu`
/// computes `½ x (1 + erf(x/√2))`, which loses relative accuracy for `x < −3`.
///
/// # Example
/// ```
/// use burn::tensor::{Device, Tensor};
/// use caputo::activation::{apply, Activation};
/// let dev = Device::flex();
/// let x = Tensor::<2>::from_floats([[-1.0, 0.0], [0.5, 30.0]], &dev);
/// let y = apply(Activation::Tanh, x.clone());
/// let diff = (y - x.tanh()).abs().max().into_scalar::<f32>();
/// assert!(diff < 1e-6);
/// ```
pub fn apply<const D: usize>(act: Activation, x: Tensor<D>) -> Tensor<D> {
    if act == Activation::Identity {
        return x;
    }
    if act == Activation::Relu || !matches!(x.dtype(), DType::F32 | DType::F64) || !on_flex(&x.device()) {
        return with_burn(act, x);
    }
    if x.is_autodiff() && x.is_tracked() { with_kernel_tracked(act, x) } else { with_kernel(act, x) }
}

/// [`apply`] with [`Activation::Tanh`].
pub fn tanh<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    apply(Activation::Tanh, x)
}

/// [`apply`] with [`Activation::Sigmoid`].
pub fn sigmoid<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    apply(Activation::Sigmoid, x)
}

/// [`apply`] with [`Activation::Softplus`].
pub fn softplus<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    apply(Activation::Softplus, x)
}

/// [`apply`] with [`Activation::Relu`].
pub fn relu<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    apply(Activation::Relu, x)
}

/// [`apply`] with [`Activation::Gelu`].
pub fn gelu<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    apply(Activation::Gelu, x)
}

/// [`apply`] with [`Activation::Silu`].
pub fn silu<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    apply(Activation::Silu, x)
}

/// Whether `device` (with or without autodiff) is the `flex` CPU device, whose data the
/// kernels can read without a transfer.
fn on_flex(device: &Device) -> bool {
    // Device equality ignores autodiff, but compare the inner devices to be explicit.
    device.clone().inner() == Device::flex()
}

/// `act` by Burn's own tensor operations (libm per element on the CPU): what [`apply`] falls
/// back to for dtypes and devices the kernels do not cover, and the reference the tests and the
/// `activation_speed` example compare the kernels with.
///
/// # Example
/// ```
/// use burn::tensor::Tensor;
/// use caputo::activation::{self, Activation};
/// let x = Tensor::<1>::from_floats([-1.0, 0.5], &burn::tensor::Device::flex());
/// let d = (activation::with_burn(Activation::Silu, x.clone()) - activation::apply(Activation::Silu, x)).abs();
/// assert!(caputo::tensor::scalar(d.max()) < 1e-6);
/// ```
pub fn with_burn<const D: usize>(act: Activation, x: Tensor<D>) -> Tensor<D> {
    use burn::tensor::activation as b;
    match act {
        Activation::Identity => x,
        Activation::Tanh => x.tanh(),
        Activation::Sigmoid => b::sigmoid(x),
        Activation::Softplus => b::softplus(x, 1.0),
        Activation::Relu => b::relu(x),
        Activation::Gelu => b::gelu(x),
        Activation::Silu => b::silu(x),
    }
}

/// The kernel in place on `x`'s data (no graph).
fn with_kernel<const D: usize>(act: Activation, x: Tensor<D>) -> Tensor<D> {
    let (device, dtype) = (x.device(), x.dtype());
    let data = x.into_data();
    let data = match dtype {
        DType::F32 => forward_data::<f32>(act, data),
        DType::F64 => forward_data::<f64>(act, data),
        _ => unreachable!("apply routes only f32 and f64 to the kernels; this is a bug"),
    };
    Tensor::from_data(data, (&device, dtype))
}

/// `y_c + (x − detach(x)) ⊙ d_c`, see [`apply`].
fn with_kernel_tracked<const D: usize>(act: Activation, x: Tensor<D>) -> Tensor<D> {
    let (device, dtype) = (x.device(), x.dtype());
    let data = x.clone().into_data();
    let (y, d, any_inf) = match dtype {
        DType::F32 => values_and_slopes::<f32>(act, data),
        DType::F64 => values_and_slopes::<f64>(act, data),
        _ => unreachable!("apply routes only f32 and f64 to the kernels; this is a bug"),
    };
    let y = Tensor::from_data(y, (&device, dtype));
    let d = Tensor::from_data(d, (&device, dtype));
    let x = if any_inf { x.clone().mask_fill(x.is_inf(), 0.0) } else { x };
    y + (x.clone() - x.detach()) * d
}

/// The values of `data` as a vector of `E` (a copy only if the bytes cannot be viewed).
fn values<E: KernelFloat + Element>(data: TensorData) -> Vec<E> {
    data.try_into_vec::<E>().expect("float data of the tensor's own dtype; this is a bug")
}

/// `f` applied to `data` in place when its bytes can be viewed as `&mut [E]`, else on a copy.
fn forward_data<E: KernelFloat + Element>(act: Activation, mut data: TensorData) -> TensorData {
    if let Ok(xs) = data.as_mut_slice::<E>() {
        super::forward_in_place(act, xs);
        return data;
    }
    let shape = data.shape().clone();
    let mut xs = values::<E>(data);
    super::forward_in_place(act, &mut xs);
    TensorData::new(xs, shape)
}

/// `(f(x), f′(x), any |x| = ∞)` for the values in `data`.
fn values_and_slopes<E: KernelFloat + Element>(act: Activation, data: TensorData) -> (TensorData, TensorData, bool) {
    let shape = data.shape().clone();
    let xs = values::<E>(data);
    let (mut y, mut d) = (xs.clone(), xs.clone());
    super::forward_and_derivative(act, &xs, &mut y, &mut d);
    let any_inf = xs.iter().any(|v| v.abs() == E::c(f64::INFINITY));
    (TensorData::new(y, shape.clone()), TensorData::new(d, shape), any_inf)
}
