//! One-call solves that are **one node** of Burn's autodiff graph: `loss.backward()` runs the
//! configured gradient method.
//!
//! [`fde`] and [`ode`] take a field, a (tracked) `y0` and, for fractional solves, an optional
//! tracked order `α`, and return [`Outputs`]: the states at the output times as tensors on the
//! autodiff device that carry one custom backward step. Its parents are `y0` and one packed
//! vector `z = [vec(θ_1), …, vec(θ_P), α]` (the field's parameters and the order, joined by
//! Burn's `cat`, so gradients reach every parameter through Burn's own `cat` backward). The
//! step owns the method's pullback ([`super::fde_forward_owned`] / [`super::ode_forward_owned`]):
//! what the node keeps is exactly what the method keeps (a state per step for the discrete and
//! symplectic adjoints, segment boundaries for `Checkpointed`, the whole solve graph for
//! `Direct`), never a graph of the solve in the caller's graph.
//!
//! ```text
//! caller's graph:  y0 ──────────────┐
//!                  θ_1 … θ_P, α ─ cat ─ z ─┴─ [solve node] ─ outputs ─ … ─ loss
//! backward:        ∂L/∂outputs ─▶ pullback.backward(cotangents) ─▶ (∂L/∂y0, ∂L/∂z)
//! ```
//!
//! # How it works (Burn 0.22, feature `extension`)
//! A `Tensor<D>` is converted to the autodiff backend's primitive with
//! `Tensor::try_into_primitive::<Autodiff<Flex, C>>()`; the step is a
//! `burn::backend::autodiff::ops::Backward<B, 2>` registered with
//! `prepare::<C>([y0.node(), z.node()]).compute_bound().stateful()` and
//! `finish((), output)`. Inside the step the incoming gradient (`Gradients::consume`) is split
//! into one cotangent per output time and handed to the pullback.
//!
//! The pullback computes vector–Jacobian products with Burn's autodiff while the caller's
//! backward pass holds its graph's lock, which is not re-entrant: a VJP that touched a node of
//! the caller's graph would deadlock. So the pullback works on a copy of the field whose
//! parameters are fresh autodiff leaves ([`fresh_leaves`]: the same [`ParamId`]s, new graph
//! nodes, shared storage) and on fresh leaves for the states; its small inner graphs are
//! separate graphs with their own locks (Burn's inner `backward()` inside a step is supported:
//! its orphan sweep skips a locked graph).
//!
//! Tests: `tests/node.rs` (every method × scheme × history, every tableau × grid, inside a
//! model, against the unrolled solve; `∂L/∂α` against central differences; chained nodes;
//! checkpointing devices), `tests/node_memory.rs` (a node's peak bytes are its pullback's).
//!
//! # Errors inside `backward()`
//! Burn's backward pass cannot return an error; a pullback that fails (a replayed state that
//! becomes non-finite) panics with the error's message.
//!
//! # Devices
//! The node is implemented for the `flex` CPU backend (with or without gradient
//! checkpointing). On other backends [`fde`] and [`ode`] return [`Error::Unsupported`]; the
//! unrolled solves ([`fde_unrolled`], [`ode_unrolled`]) run anywhere.
//!
//! # Example
//! ```
//! use caputo::fde::{FdeSolve, History, Scheme};
//! use caputo::grad::{Method, node};
//! use caputo::problems::Relaxation;
//! use caputo::tensor::{from_vec, scalar};
//! let dev = caputo::tensor::f64_device();
//! let field = Relaxation::new(0.8, &dev); // D^α y = −λ y, λ trainable
//! let y0 = from_vec(vec![1.0], [1], &dev).require_grad();
//! let alpha = from_vec(vec![0.6], [1], &dev).require_grad();
//! let opts = FdeSolve::new(0.6, &[0.0, 1.0], 64).with_scheme(Scheme::Abm { corrector_iters: 1 });
//! let out = node::fde(&field, y0.clone(), Some(alpha.clone()), &opts, &Method::DiscreteAdjoint).unwrap();
//! let loss = out.last().sum(); // L = y(1)
//! let grads = loss.backward(); // runs the discrete adjoint
//! let dy0 = scalar(y0.grad(&grads).unwrap());
//! let dlambda = scalar(field.lambda.val().grad(&grads).unwrap());
//! let dalpha = scalar(alpha.grad(&grads).unwrap());
//! assert!(dy0 > 0.0 && dlambda < 0.0 && dalpha.is_finite());
//! ```

use std::sync::{Arc, Mutex};

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::{BalancedCheckpointing, CheckpointStrategy, NoCheckpointing};
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::{Autodiff, Backend, DispatchKindConversion, DispatchTensor, Flex, GradientCheckpointingStrategy};
use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor};

use super::{Method, Pullback, SolveKind, fde_forward_owned, ode_forward_owned};
use crate::error::{Error, Result};
use crate::fde::{FdeSolve, Scheme, march};
use crate::field::VectorField;
use crate::ode::control::fixed_grid;
use crate::ode::solve::{march_on_grid, trajectory};
use crate::ode::{ButcherTableau, StepControl};
use crate::solution::Solution;
use crate::stats::{Stats, StopReason};
use crate::tensor::{from_vec_like, scalar};

/// The states of a solve at its output times, as tensors of the caller's graph.
///
/// Held as one tensor `[T·n0, n1, …]` (the `T` outputs of shape `[n0, n1, …]` joined along the
/// first axis, the node's single output); [`Outputs::at`], [`Outputs::last`] and
/// [`Outputs::stacked`] are ordinary Burn views of it, so a loss may read any of them.
#[derive(Debug, Clone)]
pub struct Outputs<const D: usize> {
    joined: Tensor<D>,
    dims: [usize; D],
    /// The output times reached (`t[0]` is the initial time).
    pub t: Vec<f64>,
    /// What the forward solve did.
    pub stats: Stats,
    /// Why the forward solve stopped.
    pub stop: StopReason,
    backward: Arc<Mutex<Option<Stats>>>,
}

impl<const D: usize> Outputs<D> {
    fn new(sol: Solution<D>, dims: [usize; D], joined: Tensor<D>, backward: Arc<Mutex<Option<Stats>>>) -> Self {
        Self { joined, dims, t: sol.t, stats: sol.stats, stop: sol.stop, backward }
    }

    /// Number of output times.
    pub fn len(&self) -> usize {
        self.t.len()
    }

    /// `true` when there are no outputs (never, for a successful solve).
    pub fn is_empty(&self) -> bool {
        self.t.is_empty()
    }

    /// The state at output time `k` (`at(0)` is `y0`).
    ///
    /// # Panics
    /// When `k >= self.len()`.
    pub fn at(&self, k: usize) -> Tensor<D> {
        assert!(k < self.len(), "output index {k} out of range (there are {} outputs)", self.len());
        let n0 = self.dims[0];
        self.joined.clone().narrow(0, k * n0, n0)
    }

    /// The state at the last output time.
    pub fn last(&self) -> Tensor<D> {
        self.at(self.len() - 1)
    }

    /// Every output, in time order.
    pub fn to_vec(&self) -> Vec<Tensor<D>> {
        (0..self.len()).map(|k| self.at(k)).collect()
    }

    /// The outputs stacked on a new first axis: `[T, n0, n1, …]` (`E = D + 1`; a reshape of
    /// the node's output, no copy).
    ///
    /// # Panics
    /// When `E != D + 1`.
    pub fn stacked<const E: usize>(&self) -> Tensor<E> {
        assert_eq!(E, D + 1, "stacked outputs of rank-{D} states have rank {}", D + 1);
        let mut shape = [0usize; E];
        shape[0] = self.len();
        shape[1..].copy_from_slice(&self.dims);
        self.joined.clone().reshape(shape)
    }

    /// The node's output itself: the outputs joined along the first axis, `[T·n0, n1, …]`.
    pub fn joined(&self) -> Tensor<D> {
        self.joined.clone()
    }

    /// What the gradient method's backward pass did, once `backward()` has run through this
    /// node (`None` before, and for solves that recorded no node).
    pub fn backward_stats(&self) -> Option<Stats> {
        *self.backward.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A copy of `module` whose float parameters are fresh autodiff leaves: same [`ParamId`]s and
/// values (shared storage, no copy), the same `require_grad` flags, but new graph nodes (on
/// the autodiff device without gradient checkpointing, whatever the original's). VJPs
/// with the copy record their own small graphs, never nodes of a graph the original's
/// parameters belong to (the copy's gradients are keyed by the same ids, so a
/// [`GradientsParams`] of the copy is one of the original).
///
/// # Example
/// ```
/// use burn::module::Module;
/// use caputo::grad::node::fresh_leaves;
/// use caputo::problems::Relaxation;
/// let dev = caputo::tensor::f64_device();
/// let f = Relaxation::new(2.0, &dev);
/// let g = fresh_leaves(&f);
/// assert_eq!(g.lambda.id, f.lambda.id);
/// assert!(g.lambda.val().is_require_grad());
/// ```
pub fn fresh_leaves<M: Module>(module: &M) -> M {
    struct Fresh;
    impl ModuleMapper for Fresh {
        fn map_float<const K: usize>(&mut self, param: Param<Tensor<K>>) -> Param<Tensor<K>> {
            param.map(|t| {
                let require_grad = t.is_require_grad();
                // `inner().autodiff()`: a new leaf with the default checkpointing strategy,
                // which is what the VJPs' fresh states get (`Evaluator::vjp`).
                let t = t.inner().autodiff();
                if require_grad { t.require_grad() } else { t }
            })
        }
    }
    module.clone().map(&mut Fresh)
}

/// The field's float parameters, flattened in module order, and their ids and sizes.
struct Packed {
    values: Vec<Tensor<1>>,
    layout: Vec<(ParamId, usize)>,
    tracked: bool,
    device: Option<Device>,
}

fn pack<M: Module>(module: &M) -> Packed {
    struct Collect(Packed);
    impl ModuleVisitor for Collect {
        fn visit_float<const K: usize>(&mut self, p: &Param<Tensor<K>>) {
            let v = p.val();
            let n = v.shape().num_elements();
            self.0.tracked |= v.is_tracked();
            if v.is_autodiff() && self.0.device.is_none() {
                self.0.device = Some(v.device());
            }
            self.0.layout.push((p.id, n));
            self.0.values.push(v.reshape([n]));
        }
    }
    let mut c = Collect(Packed { values: vec![], layout: vec![], tracked: false, device: None });
    module.visit(&mut c);
    c.0
}

/// `∂L/∂θ` flattened in the layout of [`pack`] (zeros for parameters without a gradient).
fn unpack<M: Module>(module: &M, grads: &GradientsParams, like: &Tensor<1>) -> Vec<Tensor<1>> {
    struct Flat<'a> {
        grads: &'a GradientsParams,
        like: &'a Tensor<1>,
        out: Vec<Tensor<1>>,
    }
    impl ModuleVisitor for Flat<'_> {
        fn visit_float<const K: usize>(&mut self, p: &Param<Tensor<K>>) {
            let n = p.val().shape().num_elements();
            self.out.push(match self.grads.get::<K>(p.id) {
                Some(g) => g.reshape([n]),
                None => Tensor::zeros([n], (&self.like.device(), self.like.dtype())),
            });
        }
    }
    let mut v = Flat { grads, like, out: vec![] };
    module.visit(&mut v);
    v.out
}

/// The node's backward pass: the incoming gradient of the joined outputs → `(∂L/∂y0, ∂L/∂z)`.
type Pull<const D: usize> = Box<dyn FnOnce(Tensor<D>) -> Result<(Tensor<D>, Tensor<1>)> + Send>;

/// The custom backward step: owns the pullback.
struct SolveBackward<const D: usize> {
    pull: Pull<D>,
}

impl<const D: usize> std::fmt::Debug for SolveBackward<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SolveBackward")
    }
}

impl<B: Backend, const D: usize> Backward<B, 2> for SolveBackward<D>
where
    DispatchTensor: DispatchKindConversion<B>,
{
    type State = ();

    fn backward(self, ops: Ops<(), 2>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
        let [node_y0, node_z] = ops.parents;
        let g = Tensor::<D>::from_primitive::<B>(grads.consume::<B>(&ops.node));
        let (g_y0, g_z) = (self.pull)(g).unwrap_or_else(|e| panic!("the solve node's backward pass failed: {e}"));
        let bug = |e| panic!("gradient on an unexpected backend: {e:?}; this is a bug");
        if let Some(node) = node_y0 {
            grads.register::<B>(node.id, g_y0.try_into_primitive::<B>().unwrap_or_else(bug));
        }
        if let Some(node) = node_z {
            grads.register::<B>(node.id, g_z.try_into_primitive::<B>().unwrap_or_else(bug));
        }
    }
}

/// Registers the step on backend `B` with checkpoint strategy `C`.
fn register_on<const D: usize, B: Backend, C: CheckpointStrategy>(
    y0: Tensor<D>,
    z: Tensor<1>,
    out: Tensor<D>,
    pull: Pull<D>,
) -> std::result::Result<Tensor<D>, String>
where
    DispatchTensor: DispatchKindConversion<B> + DispatchKindConversion<Autodiff<B, C>>,
{
    let y0 = y0.try_into_primitive::<Autodiff<B, C>>().map_err(|e| format!("{e:?}"))?;
    let z = z.try_into_primitive::<Autodiff<B, C>>().map_err(|e| format!("{e:?}"))?;
    let out = out.try_into_primitive::<B>().map_err(|e| format!("{e:?}"))?;
    let step = SolveBackward { pull };
    let prep = <SolveBackward<D> as Backward<B, 2>>::prepare::<C>(step, [y0.node(), z.node()]);
    let ad = match prep.compute_bound().stateful() {
        OpsKind::Tracked(prep) => prep.finish((), out),
        OpsKind::UnTracked(prep) => prep.finish(out),
    };
    Ok(Tensor::from_primitive::<Autodiff<B, C>>(ad))
}

/// Registers the step on the backend `y0` lives on.
fn register<const D: usize>(
    y0: Tensor<D>,
    z: Tensor<1>,
    out: Tensor<D>,
    pull: Pull<D>,
    method: &Method,
) -> Result<Tensor<D>> {
    let on_flex = out.clone().try_into_primitive::<Flex>().is_ok();
    let r = match (on_flex, y0.gradient_checkpointing_strategy()) {
        (true, Some(GradientCheckpointingStrategy::Balanced)) => {
            register_on::<D, Flex, BalancedCheckpointing>(y0, z, out, pull)
        }
        (true, _) => register_on::<D, Flex, NoCheckpointing>(y0, z, out, pull),
        (false, _) => Err("not the flex backend".into()),
    };
    r.map_err(|reason| Error::Unsupported {
        method: method.name().into(),
        what: format!(
            "a solve node on this device ({reason}); the node is implemented for the flex CPU backend, use grad::fde_forward/ode_forward or the unrolled solves elsewhere"
        ),
    })
}

/// What both node constructors share: the tracked inputs, the solve on fresh leaves, the step.
struct Inputs<const D: usize> {
    y0: Tensor<D>,
    packed: Packed,
    alpha: Option<Tensor<1>>,
}

impl<const D: usize> Inputs<D> {
    fn tracked(&self) -> bool {
        self.y0.is_tracked() || self.packed.tracked || self.alpha.as_ref().is_some_and(Tensor::is_tracked)
    }

    /// The autodiff device the node lives on.
    fn device(&self) -> Option<Device> {
        if self.y0.is_autodiff() {
            return Some(self.y0.device());
        }
        self.packed.device.clone().or_else(|| self.alpha.as_ref().filter(|a| a.is_autodiff()).map(|a| a.device()))
    }

    /// `y0` and `z = [vec θ, α]` on the autodiff device.
    fn parents(self, device: &Device) -> (Tensor<D>, Tensor<1>) {
        let y0 = lift(self.y0, device);
        let mut parts: Vec<Tensor<1>> = self.packed.values;
        parts.extend(self.alpha);
        let z = if parts.is_empty() {
            lift(Tensor::zeros([1], (&device.clone().inner(), y0.dtype())), device)
        } else {
            let parts = parts.into_iter().map(|p| lift(p, device)).collect();
            Tensor::cat(parts, 0)
        };
        (y0, z)
    }
}

/// `t` on the autodiff `device` (as an untracked leaf), with the device's checkpointing strategy.
fn lift<const K: usize>(t: Tensor<K>, device: &Device) -> Tensor<K> {
    if t.is_autodiff() {
        return t;
    }
    match device.gradient_checkpointing_strategy() {
        Some(s) => t.autodiff().with_gradient_checkpointing_strategy(s),
        None => t,
    }
}

/// Joins outputs along the first axis.
fn join<const D: usize>(ys: Vec<Tensor<D>>) -> Tensor<D> {
    Tensor::cat(ys, 0)
}

/// Builds the node around a pullback on fresh leaves.
fn node<const D: usize, F, P>(
    field: &F,
    inputs: Inputs<D>,
    method: &Method,
    plain: impl FnOnce(&F, Tensor<D>) -> Result<Solution<D>>,
    solve: impl FnOnce(F, Tensor<D>) -> Result<(Solution<D>, P)>,
) -> Result<Outputs<D>>
where
    F: VectorField<D> + 'static,
    P: Pullback<D> + Send + 'static,
{
    let dims = inputs.y0.dims();
    let report = Arc::new(Mutex::new(None));
    let Some(device) = inputs.device().filter(|_| inputs.tracked()) else {
        // Nothing to differentiate: a plain solve; the outputs join the device of `y0`.
        let sol = plain(field, inputs.y0.clone().inner())?;
        let joined = join(sol.y.clone());
        let joined = if inputs.y0.is_autodiff() { lift(joined, &inputs.y0.device()) } else { joined };
        return Ok(Outputs::new(sol, dims, joined, report));
    };
    let fresh = fresh_leaves(field);
    let (sol, pb) = solve(fresh.clone(), inputs.y0.clone().inner())?;
    let n_out = sol.y.len();
    let with_alpha = inputs.alpha.is_some();
    let report_in = report.clone();
    let pull: Pull<D> = Box::new(move |g: Tensor<D>| {
        let n0 = dims[0];
        let cot: Vec<Tensor<D>> = (0..n_out).map(|k| g.clone().narrow(0, k * n0, n0)).collect();
        let r = pb.backward(&cot)?;
        let numel = g.shape().num_elements();
        let like: Tensor<1> = g.reshape([numel]);
        let mut parts = unpack(&fresh, &r.params, &like);
        if with_alpha {
            parts.push(from_vec_like(vec![r.alpha.unwrap_or(0.0)], [1], &like));
        }
        let g_z = if parts.is_empty() { like.zeros_like().narrow(0, 0, 1) } else { Tensor::cat(parts, 0) };
        *report_in.lock().unwrap_or_else(|e| e.into_inner()) = Some(r.stats);
        Ok((r.y0, g_z))
    });
    let out = join(sol.y.clone());
    let (y0, z) = inputs.parents(&device);
    let joined = register(y0, z, out, pull, method)?;
    Ok(Outputs::new(sol, dims, joined, report))
}

/// The order as a tracked scalar: its value, checked to be one number.
fn alpha_value(alpha: &Tensor<1>) -> Result<f64> {
    if alpha.dims() != [1] {
        return Err(Error::DimensionMismatch {
            what: "the order alpha".into(),
            expected: "[1]".into(),
            found: format!("{:?}", alpha.dims()),
        });
    }
    Ok(scalar(alpha.clone().inner()))
}

/// Checks that `method` gives `∂L/∂α` for the solve `opts` (a trainable order).
///
/// # Errors
/// The method's own refusal of the solve; [`Error::Unsupported`] when it treats `α` as a
/// constant ([`Method::gives_alpha`]), or for a multi-term scheme (its orders are constants
/// of the scheme: `α` does not enter the solve).
pub fn trainable_alpha(opts: &FdeSolve, method: &Method) -> Result<()> {
    let kind = SolveKind::fde(opts);
    method.supports(kind)?;
    let refuse = |what: String| Err(Error::Unsupported { method: method.name().into(), what });
    if matches!(opts.scheme, Scheme::MultiTerm { .. }) {
        return refuse(
            "a trainable order with a multi-term scheme (its orders are constants of the scheme); fix alpha".into(),
        );
    }
    if !method.gives_alpha(kind) {
        return refuse(format!(
            "a trainable order with {:?} history (it gives no dL/dalpha); use discrete-adjoint with dense or short history, or fix alpha",
            opts.history
        ));
    }
    Ok(())
}

/// Solves `D^α y = f(t, y; θ)` as one autodiff node whose backward pass is `method`.
///
/// `y0` (any rank), the field's parameters and `alpha` (a `[1]` tensor; `None`: the constant
/// `opts.alpha`) may be tracked tensors of the caller's graph; `loss.backward()` then gives
/// their gradients (`∂L/∂α` from the discrete adjoint with dense or short history: a tracked
/// `alpha` with any other method, or with a multi-term scheme, is refused:
/// [`trainable_alpha`]). With nothing tracked it is a plain solve. A multi-term scheme with
/// empty orders takes them from `alpha` ([`Scheme::with_alpha`]).
///
/// # Errors
/// As [`super::fde_forward`]; [`Error::Unsupported`] for a tracked `alpha` that
/// [`trainable_alpha`] refuses, or a device without the node;
/// [`Error::DimensionMismatch`] for an `alpha` that is not `[1]`.
///
/// # Example
/// See the [module docs](self).
pub fn fde<const D: usize, F: VectorField<D> + Sync + 'static>(
    field: &F,
    y0: Tensor<D>,
    alpha: Option<Tensor<1>>,
    opts: &FdeSolve,
    method: &Method,
) -> Result<Outputs<D>> {
    let mut opts = opts.clone();
    if let Some(a) = &alpha {
        opts.alpha = alpha_value(a)?;
        opts.scheme = opts.scheme.with_alpha(opts.alpha);
        if a.is_tracked() {
            trainable_alpha(&opts, method)?;
        }
    }
    let inputs = Inputs { y0, packed: pack(field), alpha: alpha.filter(Tensor::is_tracked) };
    method.supports(SolveKind::fde(&opts))?;
    let plain = |f: &F, y0| crate::fde::solve(f, y0, &opts);
    node(field, inputs, method, plain, |f, y0| fde_forward_owned(f, y0, &opts, method))
}

/// Solves `y' = f(t, y; θ)` through the output times `t` as one autodiff node whose backward
/// pass is `method` (see [`fde`]).
///
/// # Errors
/// As [`super::ode_forward`]; [`Error::Unsupported`] on a device without the node.
///
/// # Example
/// ```
/// use caputo::grad::{Method, node};
/// use caputo::ode::{ButcherTableau, StepControl};
/// use caputo::problems::Relaxation;
/// use caputo::tensor::{from_vec, scalar};
/// let dev = caputo::tensor::f64_device();
/// let field = Relaxation::new(1.0, &dev); // y' = −λ y
/// let y0 = from_vec(vec![1.0], [1], &dev).require_grad();
/// let out = node::ode(&field, y0.clone(), &[0.0, 1.0], &ButcherTableau::rk4(), &StepControl::fixed(20),
///     &Method::SymplecticAdjoint).unwrap();
/// let grads = out.last().sum().backward();
/// let e = (-1.0f64).exp();
/// assert!((scalar(y0.grad(&grads).unwrap()) - e).abs() < 1e-7); // ∂y(1)/∂y0 = e^{−λ}
/// assert!((scalar(field.lambda.val().grad(&grads).unwrap()) + e).abs() < 1e-7); // −t y0 e^{−λt}
/// assert_eq!(out.backward_stats().unwrap().steps, 20);
/// ```
pub fn ode<const D: usize, F: VectorField<D> + Sync + 'static>(
    field: &F,
    y0: Tensor<D>,
    t: &[f64],
    tab: &ButcherTableau,
    control: &StepControl,
    method: &Method,
) -> Result<Outputs<D>> {
    let inputs = Inputs { y0, packed: pack(field), alpha: None };
    method.supports(SolveKind::Ode)?;
    let plain = |f: &F, y0| crate::ode::solve(f, y0, t, tab, control);
    node(field, inputs, method, plain, |f, y0| ode_forward_owned(f, y0, t, tab, control, method))
}

/// The fractional solve recorded step by step in the caller's graph (backpropagation through
/// every step, `Method::Direct` without a node): the reference the nodes are tested against,
/// and what runs on backends without the node. Memory: the whole graph, `O(N²)` history terms.
///
/// # Errors
/// As [`crate::fde::solve()`].
pub fn fde_unrolled<const D: usize, F: VectorField<D>>(
    field: &F,
    y0: Tensor<D>,
    opts: &FdeSolve,
) -> Result<Outputs<D>> {
    let dims = y0.dims();
    let grid = opts.check(&y0)?;
    let disc = opts.discretise(opts.alpha, &grid);
    let mut evals = 0;
    let mut f = |t: f64, y: Tensor<D>| {
        evals += 1;
        field.eval(t, y)
    };
    let tr = march(&mut f, y0, opts.alpha, &grid, &disc, opts.history, false)?;
    let mut stats = tr.stats;
    stats.graph_evals = evals;
    let sol = Solution { t: opts.t.clone(), y: tr.outputs, stats, stop: StopReason::Completed };
    let joined = join(sol.y.clone());
    Ok(Outputs::new(sol, dims, joined, Arc::new(Mutex::new(None))))
}

/// The Runge–Kutta solve recorded step by step in the caller's graph (see [`fde_unrolled`]);
/// adaptive grids are chosen by a graph-free solve first and then held fixed.
///
/// # Errors
/// As [`crate::ode::solve()`].
pub fn ode_unrolled<const D: usize, F: VectorField<D>>(
    field: &F,
    y0: Tensor<D>,
    t: &[f64],
    tab: &ButcherTableau,
    control: &StepControl,
) -> Result<Outputs<D>> {
    crate::times::validate_times(t)?;
    control.validate()?;
    let dims = y0.dims();
    let mut stats = Stats::default();
    let (grid, out_idx) = match control {
        StepControl::Fixed { n_steps } => fixed_grid(t, *n_steps),
        StepControl::Adaptive(_) => {
            let tr = trajectory(field, y0.clone(), t, tab, control, false)?;
            stats.merge(&tr.stats);
            (tr.grid, tr.out_idx)
        }
    };
    let mut evals = 0;
    let mut f = |t: f64, y: Tensor<D>| {
        evals += 1;
        field.eval(t, y)
    };
    let tr = march_on_grid(tab, &mut f, y0, &grid, &out_idx, 0)?;
    stats.merge(&tr.stats);
    stats.graph_evals += evals;
    let n = tr.outputs.len();
    let sol = Solution { t: t[..n].to_vec(), y: tr.outputs, stats, stop: tr.stop };
    let joined = join(sol.y.clone());
    Ok(Outputs::new(sol, dims, joined, Arc::new(Mutex::new(None))))
}
