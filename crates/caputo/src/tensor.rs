//! Small helpers around Burn tensors that the numerics share.

use std::sync::OnceLock;

use burn::tensor::{Device, FloatDType, Tensor, TensorData};

/// The autodiff `flex` (CPU) device configured for `f64`, configured once per process (Burn
/// refuses to change the dtype after the first tensor exists, and silently makes `f32` tensors
/// on an unconfigured device). Plain tensors live on `f64_device().inner()`. Call it before
/// creating any tensor.
///
/// # Example
/// ```
/// use burn::tensor::{DType, Tensor};
/// let dev = caputo::tensor::f64_device();
/// assert!(dev.is_autodiff() && !dev.clone().inner().is_autodiff());
/// assert_eq!(Tensor::<1>::zeros([3], &dev.inner()).dtype(), DType::F64);
/// ```
pub fn f64_device() -> Device {
    static DEV: OnceLock<Device> = OnceLock::new();
    DEV.get_or_init(|| {
        let mut dev = Device::flex().autodiff();
        // Ignored error: another part of the process configured the device first (the
        // doc-test above checks that tensors come out f64).
        let _ = dev.configure(FloatDType::F64);
        dev
    })
    .clone()
}

/// Copies a tensor's values to the host as `f64` (any float dtype).
pub fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f64> {
    t.into_data().try_into_vec_as::<f64>().expect("float tensor readable as f64; this is a bug")
}

/// Reads a one-element tensor.
pub fn scalar<const D: usize>(t: Tensor<D>) -> f64 {
    to_vec(t)[0]
}

/// Builds a tensor of the given shape from `f64` values, in the dtype and on the device of
/// `like` (so f64 data never silently becomes f32 on an f64 device, and vice versa).
///
/// # Example
/// ```
/// use burn::tensor::{DType, Device, Tensor};
/// use caputo::tensor::{from_vec_like, to_vec};
/// let dev = Device::flex();
/// let like = Tensor::<1>::zeros([1], (&dev, DType::F64));
/// let t = from_vec_like(vec![0.1, 0.2, 0.3, 0.4], [2, 2], &like);
/// assert_eq!((t.dtype(), t.dims()), (DType::F64, [2, 2]));
/// assert_eq!(to_vec(t), vec![0.1, 0.2, 0.3, 0.4]); // no round trip through f32
/// ```
pub fn from_vec_like<const D: usize, const E: usize>(v: Vec<f64>, shape: [usize; D], like: &Tensor<E>) -> Tensor<D> {
    Tensor::from_data(TensorData::new(v, shape), (&like.device(), like.dtype()))
}

/// Builds a tensor from `f64` values on `device` in the device's default float dtype.
///
/// # Example
/// ```
/// use burn::tensor::DType;
/// use caputo::tensor::{from_vec, scalar};
/// let dev = caputo::testkit::f64_device().inner(); // configured for f64
/// let t = from_vec(vec![1.0, 2.0, 3.0, 4.0], [2, 2], &dev);
/// assert_eq!(t.dtype(), DType::F64);
/// assert_eq!(scalar(t.sum()), 10.0);
/// ```
pub fn from_vec<const D: usize>(v: Vec<f64>, shape: [usize; D], device: &Device) -> Tensor<D> {
    Tensor::from_data(TensorData::new(v, shape), device)
}

/// Bytes held by a tensor's elements.
pub fn bytes<const D: usize>(t: &Tensor<D>) -> usize {
    t.shape().num_elements() * t.dtype().size()
}

/// `true` when every element is finite.
pub fn all_finite<const D: usize>(t: &Tensor<D>) -> bool {
    let s = scalar(t.clone().inner().abs().sum());
    s.is_finite()
}

/// `⟨a, b⟩` summed over all elements.
pub fn dot<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> f64 {
    scalar((a * b).sum())
}
