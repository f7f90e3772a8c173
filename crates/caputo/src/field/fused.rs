//! Fused fields: a field's hand-written, graph-free evaluation and vector–Jacobian product on
//! host buffers ([`FusedKernel`], returned by [`super::VectorField::fused`]), the flat layout of
//! its parameters ([`ParamLayout`]), and the conversions between Burn tensors and the kernels'
//! buffers that [`super::Evaluator`] and [`super::ParamGrads`] use.

use std::sync::Arc;

use burn::module::{Module, Param, ParamId};
use burn::optim::GradientsParams;
use burn::tensor::{DType, Device, Element, Tensor, TensorData};

use super::ParamGrads;

/// A field's fused kernel, in the float type of its parameters. [`Evaluator`](super::Evaluator) runs it on
/// states of the same dtype only.
pub enum FusedField<const D: usize> {
    /// Computes in `f32`.
    F32(Box<dyn FusedKernel<D, f32>>),
    /// Computes in `f64`.
    F64(Box<dyn FusedKernel<D, f64>>),
}

impl<const D: usize> std::fmt::Debug for FusedField<D> {
    fn fmt(&self, fmt: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::F32(_) => fmt.write_str("FusedField::F32"),
            Self::F64(_) => fmt.write_str("FusedField::F64"),
        }
    }
}

impl<const D: usize> FusedField<D> {
    /// The dtype the kernel computes in.
    pub fn dtype(&self) -> DType {
        match self {
            Self::F32(_) => DType::F32,
            Self::F64(_) => DType::F64,
        }
    }
}

/// `f(t, y)` and the vector–Jacobian product of one field on contiguous, row-major host
/// buffers of `T` (the state's elements in the order of `Tensor::into_data`). `f` has the
/// state's shape. The kernel may keep workspaces between calls (hence `&mut self`) but no
/// state that changes results: every call depends on its arguments only.
pub trait FusedKernel<const D: usize, T>: Send + Sync {
    /// Where each parameter's `aᵀ∂f/∂θ` lives in the flat buffer of [`Self::vjp`].
    fn layout(&self) -> &Arc<ParamLayout>;
    /// Whether the kernel handles states of this shape (otherwise the caller uses Burn).
    fn accepts(&self, shape: [usize; D]) -> bool;
    /// Writes `f(t, y)` into `f` (`y.len() == f.len()`, the shape's element count).
    fn eval(&mut self, t: f64, shape: [usize; D], y: &[T], f: &mut [T]);
    /// The VJP at `(t, y)` with cotangent `a`, into `out` (see [`VjpOut`]).
    fn vjp(&mut self, t: f64, shape: [usize; D], y: &[T], a: &[T], out: VjpOut<'_, T>);
}

/// Where [`FusedKernel::vjp`] writes: `aᵀ∂f/∂y` into `a_dfdy`; `aᵀ∂f/∂θ` is **added** to
/// `theta_bar` (laid out as [`FusedKernel::layout`] says); `f(t, y)` into `f` when given (the
/// forward pass computes it anyway).
#[derive(Debug)]
pub struct VjpOut<'a, T> {
    /// `f(t, y)`, when asked for.
    pub f: Option<&'a mut [T]>,
    /// `aᵀ∂f/∂y` (overwritten).
    pub a_dfdy: &'a mut [T],
    /// `aᵀ∂f/∂θ` (accumulated).
    pub theta_bar: &'a mut [T],
}

/// One parameter's place in a fused kernel's flat gradient buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamSlot {
    /// The parameter's id (the key of its entry in [`GradientsParams`]).
    pub id: ParamId,
    /// Its shape (row-major in the buffer).
    pub shape: Vec<usize>,
    /// Offset of its first element.
    pub offset: usize,
    /// Whether Burn would report a gradient for it (on an autodiff device with
    /// `require_grad`); untracked slots are computed but left out of [`ParamGrads::finish`],
    /// as Burn leaves them out.
    pub tracked: bool,
}

/// The layout of a fused kernel's flat parameter-gradient buffer: which parameter lives
/// where, and the device its gradient tensor goes to (the parameters' plain device, as
/// Burn's `GradientsParams::from_grads` does).
#[derive(Debug, Clone)]
pub struct ParamLayout {
    pub(crate) slots: Vec<ParamSlot>,
    len: usize,
    pub(crate) device: Device,
}

impl ParamLayout {
    /// An empty layout whose gradients go to `device` (made plain).
    pub fn new(device: &Device) -> Self {
        Self { slots: vec![], len: 0, device: device.clone().inner() }
    }
    /// Appends a parameter; returns its offset.
    pub fn push<const R: usize>(&mut self, p: &Param<Tensor<R>>) -> usize {
        let v = p.val();
        let shape = v.dims().to_vec();
        let offset = self.len;
        self.len += shape.iter().product::<usize>();
        self.slots.push(ParamSlot { id: p.id, shape, offset, tracked: v.is_require_grad() });
        offset
    }
    /// The slots in the order pushed.
    pub fn slots(&self) -> &[ParamSlot] {
        &self.slots
    }
    /// Total number of elements.
    pub fn len(&self) -> usize {
        self.len
    }
    /// `true` without parameters.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// One fused kernel's running sum.
pub(crate) struct FlatGrads {
    pub(crate) layout: Arc<ParamLayout>,
    pub(crate) buf: FlatBuf,
}

pub(crate) enum FlatBuf {
    F32(Vec<f32>),
    F64(Vec<f64>),
}

/// Registers `data` as `id`'s gradient, added to the one already there.
pub(crate) fn register_sum(gp: &mut GradientsParams, id: ParamId, data: TensorData, device: &Device) {
    fn go<const R: usize>(gp: &mut GradientsParams, id: ParamId, data: TensorData, device: &Device) {
        let dtype = data.dtype();
        let t = Tensor::<R>::from_data(data, (device, dtype));
        let t = match gp.remove::<R>(id) {
            Some(old) => old + t,
            None => t,
        };
        gp.register(id, t);
    }
    match data.rank() {
        1 => go::<1>(gp, id, data, device),
        2 => go::<2>(gp, id, data, device),
        3 => go::<3>(gp, id, data, device),
        4 => go::<4>(gp, id, data, device),
        5 => go::<5>(gp, id, data, device),
        6 => go::<6>(gp, id, data, device),
        r => panic!("parameter of rank {r} in a fused layout (ranks 1 to 6 are supported); this is a bug"),
    }
}

/// The host float types fused kernels compute in.
pub(crate) trait HostFloat: Element + Copy + Default {
    const DTYPE: DType;
    fn kernel<const D: usize>(f: &mut FusedField<D>) -> Option<&mut dyn FusedKernel<D, Self>>;
    fn zeroed_buf(n: usize) -> FlatBuf;
    fn buf(b: &FlatBuf) -> Option<&Vec<Self>>;
    fn buf_mut(b: &mut FlatBuf) -> Option<&mut Vec<Self>>;
}

impl HostFloat for f32 {
    const DTYPE: DType = DType::F32;
    fn kernel<const D: usize>(f: &mut FusedField<D>) -> Option<&mut dyn FusedKernel<D, Self>> {
        match f {
            FusedField::F32(k) => Some(k.as_mut()),
            FusedField::F64(_) => None,
        }
    }
    fn zeroed_buf(n: usize) -> FlatBuf {
        FlatBuf::F32(vec![0.0; n])
    }
    fn buf(b: &FlatBuf) -> Option<&Vec<Self>> {
        match b {
            FlatBuf::F32(v) => Some(v),
            FlatBuf::F64(_) => None,
        }
    }
    fn buf_mut(b: &mut FlatBuf) -> Option<&mut Vec<Self>> {
        match b {
            FlatBuf::F32(v) => Some(v),
            FlatBuf::F64(_) => None,
        }
    }
}

impl HostFloat for f64 {
    const DTYPE: DType = DType::F64;
    fn kernel<const D: usize>(f: &mut FusedField<D>) -> Option<&mut dyn FusedKernel<D, Self>> {
        match f {
            FusedField::F64(k) => Some(k.as_mut()),
            FusedField::F32(_) => None,
        }
    }
    fn zeroed_buf(n: usize) -> FlatBuf {
        FlatBuf::F64(vec![0.0; n])
    }
    fn buf(b: &FlatBuf) -> Option<&Vec<Self>> {
        match b {
            FlatBuf::F64(v) => Some(v),
            FlatBuf::F32(_) => None,
        }
    }
    fn buf_mut(b: &mut FlatBuf) -> Option<&mut Vec<Self>> {
        match b {
            FlatBuf::F64(v) => Some(v),
            FlatBuf::F32(_) => None,
        }
    }
}

/// A state's elements and where its results go back to.
pub(crate) struct Host<const D: usize> {
    shape: [usize; D],
    device: Device,
    data: TensorData,
}

impl<const D: usize> Host<D> {
    fn read(y: Tensor<D>) -> Self {
        let shape = y.dims();
        // Results live on the plain device, as Burn's VJP returns them.
        let device = y.device().inner();
        Self { shape, device, data: y.into_data() }
    }
    fn slice<T: HostFloat>(&self) -> &[T] {
        self.data.as_slice::<T>().expect("state of the kernel's dtype; this is a bug")
    }
    fn tensor<T: HostFloat>(&self, v: Vec<T>) -> Tensor<D> {
        Tensor::from_data(TensorData::new(v, self.shape), (&self.device, T::DTYPE))
    }
}

pub(crate) fn fused_eval<const D: usize, T: HostFloat>(
    k: &mut dyn FusedKernel<D, T>,
    t: f64,
    y: Tensor<D>,
) -> Tensor<D> {
    let y = Host::read(y);
    let ys = y.slice::<T>();
    let mut f = vec![T::default(); ys.len()];
    k.eval(t, y.shape, ys, &mut f);
    y.tensor(f)
}

pub(crate) fn fused_vjp<const D: usize, T: HostFloat, M: Module>(
    k: &mut dyn FusedKernel<D, T>,
    t: f64,
    y: Tensor<D>,
    a: Tensor<D>,
    grads: &mut ParamGrads<M>,
    want_f: bool,
) -> (Option<Tensor<D>>, Tensor<D>) {
    let y = Host::read(y);
    let a = a.into_data();
    let (ys, av) = (y.slice::<T>(), a.as_slice::<T>().expect("cotangent of the state's dtype; this is a bug"));
    assert_eq!(ys.len(), av.len(), "VJP: the cotangent's size differs from the state's; this is a bug");
    let mut a_dfdy = vec![T::default(); ys.len()];
    let mut f = if want_f { Some(vec![T::default(); ys.len()]) } else { None };
    let theta_bar = grads.flat_mut::<T>(k.layout());
    k.vjp(t, y.shape, ys, av, VjpOut { f: f.as_deref_mut(), a_dfdy: &mut a_dfdy, theta_bar });
    (f.map(|f| y.tensor(f)), y.tensor(a_dfdy))
}
