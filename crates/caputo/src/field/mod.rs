//! Vector fields `f(t, y; θ)` and the two operations every solver and adjoint is built from:
//! evaluation without a graph, and the vector–Jacobian product at one point.
//!
//! A field is a Burn [`Module`] (its trainable parameters θ are the module's parameters) that
//! implements [`VectorField::eval`] with Burn tensor operations. Any network works (an MLP, a
//! conv net, a graph diffusion), and so does an analytic field whose θ is a handful of named
//! physical parameters (e.g. `problems::LotkaVolterra`). Fields without parameters can be
//! written as closures with [`FnField`].
//!
//! The state `y` is a tensor of any rank `D`: a vector `[d]`, a batch `[B, d]`, images
//! `[B, C, H, W]`, node features `[N, F]`.
//!
//! A field may also offer a **fused** form ([`VectorField::fused`]): a kernel that evaluates
//! `f` and its VJP directly on contiguous host buffers, without Burn's per-operation tensors
//! or an autodiff graph. [`Evaluator`] uses it when it is there (and the state's dtype and
//! shape fit); otherwise it uses Burn's autodiff. `nn::MlpField` has one.

mod fused;

pub(crate) use fused::{FlatBuf, FlatGrads, HostFloat, fused_eval, fused_vjp, register_sum};
pub use fused::{FusedField, FusedKernel, ParamLayout, ParamSlot, VjpOut};

use crate::stats::breakdown::{self, Part};
use std::sync::Arc;

use burn::module::{Devices, Module, ModuleMapper, ModuleVisitor};
use burn::optim::{GradientsAccumulator, GradientsParams};
use burn::tensor::{DType, Device, Tensor, TensorData};

/// The right-hand side `f(t, y; θ)` of `D^α y = f(t, y; θ)` (or `y' = f` when α = 1).
///
/// `eval` must be written with Burn tensor operations only, so that the same code runs
/// without a graph (parameters and state on a plain device) and with one (on an autodiff
/// device). It must not keep internal state between calls.
///
/// # Example
/// ```
/// use burn::tensor::Tensor;
/// use caputo::field::FnField;
/// // y' = -y, no parameters.
/// let decay = FnField::new(|_t: f64, y: Tensor<1>| -y);
/// # let _ = decay;
/// ```
pub trait VectorField<const D: usize>: Module {
    /// Evaluates `f(t, y; θ)`. Records a graph exactly when `self` or `y` is on an autodiff
    /// device.
    fn eval(&self, t: f64, y: Tensor<D>) -> Tensor<D>;

    /// A graph-free kernel computing the same `f` and its VJP on host buffers, with the
    /// parameters as they are now (a snapshot: it does not follow later parameter changes).
    /// [`Evaluator::new`] asks once; `None` (the default) means "use Burn's autodiff".
    ///
    /// An implementation must agree with [`Self::eval`] and with Burn's backward of
    /// `(f(y)·a).sum()` to rounding (for `MlpField`: test
    /// `fused_eval_and_vjp_equal_burn_autodiff_in_f64` in `tests/fused.rs`).
    fn fused(&self) -> Option<FusedField<D>> {
        None
    }
}

/// A parameter-free field given by a closure; for tests, manufactured problems and quick
/// experiments.
#[derive(Clone)]
pub struct FnField<F> {
    f: F,
}

impl<F> FnField<F> {
    /// Wraps a closure `(t, y) -> f(t, y)`.
    ///
    /// # Example
    /// ```
    /// use burn::tensor::Tensor;
    /// use caputo::field::{FnField, VectorField};
    /// use caputo::tensor::{from_vec, to_vec};
    /// let dev = caputo::testkit::f64_device().inner();
    /// // y' = t − y.
    /// let f = FnField::new(|t: f64, y: Tensor<1>| y.neg().add_scalar(t));
    /// assert_eq!(to_vec(f.eval(2.0, from_vec(vec![0.5, 3.0], [2], &dev))), vec![1.5, -1.0]);
    /// ```
    pub fn new(f: F) -> Self {
        Self { f }
    }
}

impl<F> std::fmt::Debug for FnField<F> {
    fn fmt(&self, fmt: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fmt.write_str("FnField")
    }
}

// A closure has no parameters, so every module operation is the identity; written by hand
// because `#[derive(Module)]` needs `Debug` on all fields and closures have none.
impl<F: Clone + Send + Sync> Module for FnField<F> {
    fn collect_devices(&self, devices: Devices) -> Devices {
        devices
    }
    fn fork(self, _device: &Device) -> Self {
        self
    }
    fn to_device(self, _device: &Device) -> Self {
        self
    }
    fn train(self) -> Self {
        self
    }
    fn valid(&self) -> Self {
        self.clone()
    }
    fn materialize(self) -> Self {
        self
    }
    fn visit<V: ModuleVisitor>(&self, _visitor: &mut V) {}
    fn map<M: ModuleMapper>(self, _mapper: &mut M) -> Self {
        self
    }
}

impl<F: Clone + Send + Sync> burn::module::ModuleDisplayDefault for FnField<F> {
    fn content(&self, content: burn::module::Content) -> Option<burn::module::Content> {
        content.add_formatted(&"FnField").optional()
    }
}
impl<F: Clone + Send + Sync> burn::module::ModuleDisplay for FnField<F> {}

impl<const D: usize, F> VectorField<D> for FnField<F>
where
    F: Fn(f64, Tensor<D>) -> Tensor<D> + Clone + Send + Sync,
{
    fn eval(&self, t: f64, y: Tensor<D>) -> Tensor<D> {
        (self.f)(t, y)
    }
}

/// Sum of parameter gradients over many vector–Jacobian products, in the form Burn's
/// optimizers take ([`GradientsParams`]).
///
/// Gradients from Burn's autodiff are summed as tensors; those from a fused kernel are summed
/// in a flat host buffer and become tensors (one per parameter) only in [`Self::finish`].
pub struct ParamGrads<M: Module> {
    acc: GradientsAccumulator<M>,
    empty: bool,
    flat: Vec<FlatGrads>,
}

impl<M: Module> Default for ParamGrads<M> {
    fn default() -> Self {
        Self { acc: GradientsAccumulator::new(), empty: true, flat: vec![] }
    }
}

impl<M: Module> ParamGrads<M> {
    /// An empty sum.
    ///
    /// # Example
    /// ```
    /// use caputo::field::{Evaluator, ParamGrads};
    /// use caputo::problems::Relaxation;
    /// use caputo::tensor::{from_vec, scalar};
    /// let dev = caputo::testkit::f64_device();
    /// let plain = dev.clone().inner();
    /// let field = Relaxation::new(2.0, &dev); // f(y) = −λ y, so aᵀ∂f/∂λ = −a·y
    /// let mut ev = Evaluator::new(&field);
    /// let mut grads = ParamGrads::new();
    /// for y in [1.0, 3.0] {
    ///     ev.vjp(0.0, from_vec(vec![y], [1], &plain), from_vec(vec![1.0], [1], &plain), &mut grads);
    /// }
    /// let g = grads.finish();
    /// assert_eq!(scalar(g.get::<1>(field.lambda.id).unwrap()), -4.0); // −(1 + 3)
    /// assert_eq!(ParamGrads::<Relaxation>::new().finish().len(), 0);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds one set of gradients.
    pub fn add(&mut self, module: &M, grads: GradientsParams) {
        self.acc.accumulate(module, grads);
        self.empty = false;
    }
    /// The flat buffer a fused kernel with this layout adds into (created zeroed on first
    /// use; a kernel of another layout or dtype gets its own).
    fn flat_mut<T: HostFloat>(&mut self, layout: &Arc<ParamLayout>) -> &mut [T] {
        let same = |g: &FlatGrads| {
            T::buf(&g.buf).is_some() && (Arc::ptr_eq(&g.layout, layout) || g.layout.slots == layout.slots)
        };
        let i = match self.flat.iter().position(same) {
            Some(i) => i,
            None => {
                self.flat.push(FlatGrads { layout: layout.clone(), buf: T::zeroed_buf(layout.len()) });
                self.flat.len() - 1
            }
        };
        T::buf_mut(&mut self.flat[i].buf).expect("buffer of the matched dtype; this is a bug")
    }
    /// Takes the sum out (an empty [`GradientsParams`] when nothing was added).
    pub fn finish(mut self) -> GradientsParams {
        let mut gp = if self.empty { GradientsParams::new() } else { self.acc.grads() };
        for g in self.flat {
            for slot in g.layout.slots.iter().filter(|s| s.tracked) {
                let n: usize = slot.shape.iter().product();
                let data = match &g.buf {
                    FlatBuf::F32(v) => TensorData::new(v[slot.offset..slot.offset + n].to_vec(), slot.shape.clone()),
                    FlatBuf::F64(v) => TensorData::new(v[slot.offset..slot.offset + n].to_vec(), slot.shape.clone()),
                };
                register_sum(&mut gp, slot.id, data, &g.layout.device);
            }
        }
        gp
    }
}

/// Evaluates a field on behalf of a solver, with counts: through the field's fused kernel
/// when it has one ([`VectorField::fused`]) and the state's dtype and shape fit it;
/// otherwise graph-free evaluations through a cached [`Module::valid`] copy and
/// vector–Jacobian products through Burn's autodiff.
pub struct Evaluator<'a, const D: usize, F: VectorField<D>> {
    field: &'a F,
    plain: F,
    fused: Option<FusedField<D>>,
    /// Number of graph-free evaluations of `f` so far.
    pub n_evals: usize,
    /// Number of vector–Jacobian products so far.
    pub n_vjps: usize,
}

impl<'a, const D: usize, F: VectorField<D>> Evaluator<'a, D, F> {
    /// Prepares a field for solving (caches the graph-free copy of its parameters, and its
    /// fused kernel when it has one).
    ///
    /// # Example
    /// ```
    /// use caputo::field::{Evaluator, ParamGrads};
    /// use caputo::problems::LotkaVolterra;
    /// use caputo::tensor::{from_vec, to_vec};
    /// let dev = caputo::testkit::f64_device();
    /// let lv = LotkaVolterra::new([1.0, 0.5, 1.0, 0.25], &dev);
    /// let mut ev = Evaluator::new(&lv);
    /// let plain = dev.clone().inner();
    /// let y = from_vec(vec![2.0, 1.0], [2], &plain);
    /// // x' = a x − b x y = 1, y' = −c y + d x y = −0.5; no graph recorded.
    /// let f = ev.eval(0.0, y.clone());
    /// assert!(!f.is_autodiff());
    /// assert_eq!(to_vec(f), vec![1.0, -0.5]);
    /// // aᵀ ∂f/∂y for a = (1, 0): the first row of the Jacobian, (a − b y, −b x) = (0.5, −1).
    /// let mut grads = ParamGrads::new();
    /// let a_dfdy = ev.vjp(0.0, y, from_vec(vec![1.0, 0.0], [2], &plain), &mut grads);
    /// assert_eq!(to_vec(a_dfdy), vec![0.5, -1.0]);
    /// assert_eq!((ev.n_evals, ev.n_vjps), (1, 1));
    /// ```
    pub fn new(field: &'a F) -> Self {
        Self { field, plain: field.valid(), fused: field.fused(), n_evals: 0, n_vjps: 0 }
    }

    /// The field as given (possibly on an autodiff device).
    pub fn field(&self) -> &'a F {
        self.field
    }

    /// Whether calls with states like `y` go through the field's fused kernel (the field has
    /// one, of `y`'s dtype, and it accepts `y`'s shape).
    ///
    /// # Example
    /// ```
    /// use caputo::field::Evaluator;
    /// use caputo::nn::MlpField;
    /// use caputo::problems::Relaxation;
    /// use caputo::tensor::from_vec;
    /// let dev = caputo::testkit::f64_device();
    /// let plain = dev.clone().inner();
    /// let y = from_vec(vec![0.1, 0.2], [2], &plain);
    /// assert!(Evaluator::new(&MlpField::new(&[2, 8, 2], &dev)).is_fused(&y));
    /// // Fields without a kernel, and states of another width, use Burn.
    /// assert!(!Evaluator::new(&Relaxation::new(1.0, &dev)).is_fused(&y));
    /// assert!(!Evaluator::new(&MlpField::new(&[3, 8, 3], &dev)).is_fused(&y));
    /// ```
    pub fn is_fused(&self, y: &Tensor<D>) -> bool {
        self.fused.as_ref().is_some_and(|k| {
            k.dtype() == y.dtype()
                && match k {
                    FusedField::F32(k) => k.accepts(y.dims()),
                    FusedField::F64(k) => k.accepts(y.dims()),
                }
        })
    }

    /// `f(t, y)` without recording a graph; `y` must be on a plain device.
    pub fn eval(&mut self, t: f64, y: Tensor<D>) -> Tensor<D> {
        breakdown::time(Part::Eval, || self.eval_untimed(t, y))
    }

    fn eval_untimed(&mut self, t: f64, y: Tensor<D>) -> Tensor<D> {
        debug_assert!(!y.is_autodiff(), "Evaluator::eval expects a plain tensor; this is a bug");
        self.n_evals += 1;
        if self.is_fused(&y) {
            let k = self.fused.as_mut().expect("checked by is_fused");
            return match y.dtype() {
                DType::F32 => fused_eval(f32::kernel(k).expect("dtype checked"), t, y),
                _ => fused_eval(f64::kernel(k).expect("dtype checked"), t, y),
            };
        }
        self.plain.eval(t, y)
    }

    /// Vector–Jacobian product at `(t, y)` with cotangent `a`: returns `aᵀ ∂f/∂y` (plain
    /// device) and adds `aᵀ ∂f/∂θ` to `grads`.
    pub fn vjp(&mut self, t: f64, y: Tensor<D>, a: Tensor<D>, grads: &mut ParamGrads<F>) -> Tensor<D> {
        breakdown::time(Part::Vjp, || self.vjp_untimed(t, y, a, grads))
    }

    fn vjp_untimed(&mut self, t: f64, y: Tensor<D>, a: Tensor<D>, grads: &mut ParamGrads<F>) -> Tensor<D> {
        self.n_vjps += 1;
        if self.is_fused(&y) && a.dtype() == y.dtype() {
            return self.fused_vjp(t, y, a, grads, false).1;
        }
        let y = y.inner().autodiff().require_grad();
        let out = self.field.eval(t, y.clone());
        let mut g = (out * a.inner().autodiff()).sum().backward();
        let a_dfdy = match y.grad_remove(&mut g) {
            Some(v) => v,
            // f does not depend on y at all.
            None => y.inner().zeros_like(),
        };
        grads.add(self.field, GradientsParams::from_grads(g, self.field));
        a_dfdy
    }

    /// Like [`Self::vjp`], also returning `f(t, y)` (plain), which the VJP computes anyway.
    pub fn eval_and_vjp(
        &mut self,
        t: f64,
        y: Tensor<D>,
        a: Tensor<D>,
        grads: &mut ParamGrads<F>,
    ) -> (Tensor<D>, Tensor<D>) {
        breakdown::time(Part::Vjp, || self.eval_and_vjp_untimed(t, y, a, grads))
    }

    fn eval_and_vjp_untimed(
        &mut self,
        t: f64,
        y: Tensor<D>,
        a: Tensor<D>,
        grads: &mut ParamGrads<F>,
    ) -> (Tensor<D>, Tensor<D>) {
        self.n_vjps += 1;
        if self.is_fused(&y) && a.dtype() == y.dtype() {
            let (f, a_dfdy) = self.fused_vjp(t, y, a, grads, true);
            return (f.expect("asked for f"), a_dfdy);
        }
        let y = y.inner().autodiff().require_grad();
        let out = self.field.eval(t, y.clone());
        let f_val = out.clone().inner();
        let mut g = (out * a.inner().autodiff()).sum().backward();
        let a_dfdy = match y.grad_remove(&mut g) {
            Some(v) => v,
            None => y.inner().zeros_like(),
        };
        grads.add(self.field, GradientsParams::from_grads(g, self.field));
        (f_val, a_dfdy)
    }

    fn fused_vjp(
        &mut self,
        t: f64,
        y: Tensor<D>,
        a: Tensor<D>,
        grads: &mut ParamGrads<F>,
        want_f: bool,
    ) -> (Option<Tensor<D>>, Tensor<D>) {
        let k = self.fused.as_mut().expect("checked by is_fused");
        match y.dtype() {
            DType::F32 => fused_vjp(f32::kernel(k).expect("dtype checked"), t, y, a, grads, want_f),
            _ => fused_vjp(f64::kernel(k).expect("dtype checked"), t, y, a, grads, want_f),
        }
    }
}
