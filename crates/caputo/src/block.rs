//! Solves as Burn modules: [`FdeBlock`] (`D^α h = f(h; θ)`) and [`OdeBlock`] (`h' = f(h; θ)`),
//! built from serialisable configs, whose `forward` is one autodiff node
//! ([`crate::grad::node`]): a training step is forward, loss, `backward()`, optimizer step.
//!
//! ```text
//! let h = model.block.forward(model.enc.forward(x));        // one call; α learnable or fixed
//! let loss = mse(model.dec.forward(h), y);
//! let grads = GradientsParams::from_grads(loss.backward(), &model);  // the block's gradient method ran here
//! model = optim.step(lr, model, grads);
//! ```
//!
//! A config holds the field's config ([`FieldConfig`], e.g. [`MlpFieldConfig`]), the scheme,
//! the grid (output times and steps), the history, the gradient method and, for fractional
//! blocks, the order: a fixed `α ∈ (0, 1]`, or a learnable one, `α = σ(a)` with the raw
//! parameter `a` a [`Param`] (so `α` stays in `(0, 1)` whatever step the optimizer takes).
//! Every combination is checked at `init` (typed [`Error`]s naming the value): an order outside
//! `(0, 1]`, a method that does not support the scheme or history, a learnable order with a
//! method that does not give `∂L/∂α`, output times off the uniform grid.
//!
//! Saving and loading: the parameters (the field's and `a`) are the module's record (Burn's
//! `save_file` / `load_file`); the structure is the config (`burn::config::Config::save`),
//! rebuilt with `init` before loading, as for any Burn module.
//!
//! Tests: `tests/block_module.rs`.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Tensor};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fde::{FdeSolve, History, Scheme};
use crate::field::VectorField;
use crate::grad::node::{self, Outputs};
use crate::grad::{Method, SolveKind};
use crate::nn::MlpField;
use crate::ode::{ButcherTableau, StepControl, tableau};
use crate::tensor::{from_vec, scalar};

/// The config of a field: what a block builds its field from (and what a saved model's
/// structure records).
pub trait FieldConfig: Clone + std::fmt::Debug + Serialize + DeserializeOwned {
    /// The field it builds.
    type Field: Module;
    /// Builds the field on `device` (initialised by Burn's initialisers; seed the device for
    /// reproducible weights).
    fn init(&self, device: &Device) -> Self::Field;
}

/// The config of an [`MlpField`]: its widths, e.g. `[8, 32, 8]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlpFieldConfig {
    /// Layer widths, input first; the first and last must equal the state's last axis.
    pub widths: Vec<usize>,
}

impl MlpFieldConfig {
    /// An MLP field with these widths.
    pub fn new(widths: &[usize]) -> Self {
        Self { widths: widths.to_vec() }
    }
}

impl FieldConfig for MlpFieldConfig {
    type Field = MlpField;
    fn init(&self, device: &Device) -> MlpField {
        MlpField::new(&self.widths, device)
    }
}

/// The config of an [`FdeBlock`]: `D^α h = f(h; θ)` on a uniform grid from `t[0]`.
///
/// Defaults: output times `[0, t1]`, ABM with one corrector iteration, dense history, the
/// discrete adjoint, a fixed order.
///
/// # Example
/// ```
/// use caputo::block::{FdeBlockConfig, MlpFieldConfig};
/// use caputo::grad::Method;
/// let dev = caputo::tensor::f64_device();
/// let cfg = FdeBlockConfig::new(MlpFieldConfig::new(&[2, 8, 2]), 0.7, 1.0, 16).with_learnable_alpha(true);
/// let block = cfg.init(&dev).unwrap();
/// assert!((block.alpha() - 0.7).abs() < 1e-12);
/// // A bad order is refused at init, naming the value.
/// let err = FdeBlockConfig::new(MlpFieldConfig::new(&[2, 8, 2]), 1.5, 1.0, 16).init(&dev).unwrap_err();
/// assert!(err.to_string().contains("1.5"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "FC: FieldConfig")]
pub struct FdeBlockConfig<FC> {
    /// The field's config.
    pub field: FC,
    /// The order `α ∈ (0, 1]` (the initial value when learnable, then in `(0, 1)`).
    pub alpha: f64,
    /// Whether `α` is a trained parameter (`α = σ(a)`); default `false`.
    pub learnable_alpha: bool,
    /// Output times, strictly increasing grid points; `t[0]` is the initial time.
    pub t: Vec<f64>,
    /// Uniform steps from `t[0]` to the last output time.
    pub n_steps: usize,
    /// The fractional scheme.
    pub scheme: Scheme,
    /// The history.
    pub history: History,
    /// The gradient method the block's backward pass runs.
    pub method: Method,
}

impl<FC: FieldConfig> Config for FdeBlockConfig<FC> {}

impl<FC: FieldConfig> FdeBlockConfig<FC> {
    /// A block of order `alpha` on `[0, t1]` with `n_steps` steps, returning the state at `t1`.
    pub fn new(field: FC, alpha: f64, t1: f64, n_steps: usize) -> Self {
        Self {
            field,
            alpha,
            learnable_alpha: false,
            t: vec![0.0, t1],
            n_steps,
            scheme: Scheme::Abm { corrector_iters: 1 },
            history: History::Dense,
            method: Method::DiscreteAdjoint,
        }
    }
    /// Output times (`t[0]` the initial time), each a grid point.
    pub fn with_times(mut self, t: Vec<f64>) -> Self {
        self.t = t;
        self
    }
    /// Another scheme.
    pub fn with_scheme(mut self, scheme: Scheme) -> Self {
        self.scheme = scheme;
        self
    }
    /// Another history.
    pub fn with_history(mut self, history: History) -> Self {
        self.history = history;
        self
    }
    /// Another gradient method.
    pub fn with_method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }
    /// Learnable (`true`) or fixed order.
    pub fn with_learnable_alpha(mut self, learnable: bool) -> Self {
        self.learnable_alpha = learnable;
        self
    }

    /// The solve options at order `alpha`.
    pub fn solve(&self, alpha: f64) -> FdeSolve {
        FdeSolve::new(alpha, &self.t, self.n_steps)
            .with_scheme(self.scheme.clone().with_alpha(alpha))
            .with_history(self.history)
    }

    /// Checks every setting and their combination (what [`Self::init`] checks first).
    ///
    /// # Errors
    /// [`Error::InvalidOrder`] for `α ∉ (0, 1]` (`(0, 1)` when learnable);
    /// [`Error::InvalidGrid`] / [`Error::InvalidStep`] for the grid (output times off it);
    /// the scheme's and history's own errors; [`Error::Unsupported`] for a method that does not
    /// support the scheme or history, or a learnable order the method cannot differentiate
    /// ([`node::trainable_alpha`]).
    pub fn validate(&self) -> Result<()> {
        if self.learnable_alpha && !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(Error::InvalidOrder {
                alpha: self.alpha,
                reason: "a learnable order is sigmoid(a), in the open interval (0, 1); fix the order for alpha = 1"
                    .into(),
            });
        }
        let opts = self.solve(self.alpha);
        opts.grid()?;
        opts.validate()?;
        self.method.supports(SolveKind::fde(&opts))?;
        if self.learnable_alpha {
            node::trainable_alpha(&opts, &self.method)?;
        }
        Ok(())
    }

    /// Builds the block on `device`.
    ///
    /// # Errors
    /// As [`Self::validate`].
    pub fn init(&self, device: &Device) -> Result<FdeBlock<FC::Field>> {
        self.validate()?;
        let order = self.learnable_alpha.then(|| {
            let a = (self.alpha / (1.0 - self.alpha)).ln(); // σ⁻¹(α)
            Param::from_tensor(from_vec(vec![a], [1], device))
        });
        let setup = FdeSetup {
            alpha: self.alpha,
            t: self.t.clone(),
            n_steps: self.n_steps,
            scheme: self.scheme.clone(),
            history: self.history,
            method: self.method.clone(),
        };
        Ok(FdeBlock { field: self.field.init(device), order, setup })
    }
}

/// The solve settings of a built block (its config without the field's).
#[derive(Debug, Clone)]
struct FdeSetup {
    alpha: f64,
    t: Vec<f64>,
    n_steps: usize,
    scheme: Scheme,
    history: History,
    method: Method,
}

/// A fractional block `D^α h = f(h; θ)`: a Burn module (the field's parameters and, when
/// learnable, the raw order `a` with `α = σ(a)`), whose forward is one autodiff node running
/// the configured gradient method. Built by [`FdeBlockConfig::init`].
#[derive(Module, Debug)]
pub struct FdeBlock<F: Module> {
    /// The field `f(h; θ)`.
    pub field: F,
    /// The raw order `a` (`α = σ(a)`), `[1]`; `None` for a fixed order.
    pub order: Option<Param<Tensor<1>>>,
    #[module(skip)]
    setup: FdeSetup,
}

impl<F: Module> FdeBlock<F> {
    /// The current order `α`.
    pub fn alpha(&self) -> f64 {
        match &self.order {
            Some(a) => scalar(sigmoid(a.val().inner())),
            None => self.setup.alpha,
        }
    }

    /// The output times (`t[0]` is the initial time).
    pub fn times(&self) -> &[f64] {
        &self.setup.t
    }

    /// The solve, with the outputs at every output time and the solve's counters.
    ///
    /// # Errors
    /// The solve's run-time errors ([`Error::NonFinite`], a `y0` the field does not accept).
    pub fn try_forward<const D: usize>(&self, y0: Tensor<D>) -> Result<Outputs<D>>
    where
        F: VectorField<D> + Sync + 'static,
    {
        let c = &self.setup;
        let alpha_t = self.order.as_ref().map(|a| sigmoid(a.val()));
        let alpha = alpha_t.as_ref().map_or(c.alpha, |a| scalar(a.clone().inner()));
        let opts = FdeSolve::new(alpha, &c.t, c.n_steps)
            .with_scheme(c.scheme.clone().with_alpha(alpha))
            .with_history(c.history);
        node::fde(&self.field, y0, alpha_t, &opts, &c.method)
    }

    /// The state at the last output time.
    ///
    /// # Panics
    /// On the solve's run-time errors (see [`Self::try_forward`]).
    pub fn forward<const D: usize>(&self, y0: Tensor<D>) -> Tensor<D>
    where
        F: VectorField<D> + Sync + 'static,
    {
        self.try_forward(y0).unwrap_or_else(|e| panic!("FdeBlock::forward: {e}")).last()
    }

    /// The states at every output time stacked on a new first axis, `[T, …]` (`E = D + 1`).
    ///
    /// # Panics
    /// On the solve's run-time errors, and when `E != D + 1`.
    pub fn forward_stacked<const D: usize, const E: usize>(&self, y0: Tensor<D>) -> Tensor<E>
    where
        F: VectorField<D> + Sync + 'static,
    {
        self.try_forward(y0).unwrap_or_else(|e| panic!("FdeBlock::forward_stacked: {e}")).stacked()
    }
}

/// The config of an [`OdeBlock`]: `h' = f(h; θ)` through the output times.
///
/// Defaults: output times `[0, t1]`, `rk4` on `n_steps` fixed steps, the symplectic adjoint.
/// The tableau is named as in [`tableau::registry`] (`"dopri5"`, …).
///
/// # Example
/// ```
/// use caputo::block::{MlpFieldConfig, OdeBlockConfig};
/// use caputo::ode::StepControl;
/// let dev = caputo::tensor::f64_device();
/// let cfg = OdeBlockConfig::new(MlpFieldConfig::new(&[2, 8, 2]), 1.0, 16)
///     .with_tableau("dopri5")
///     .with_control(StepControl::adaptive(1e-6, 1e-8));
/// assert!(cfg.init(&dev).is_ok());
/// assert!(cfg.clone().with_tableau("rk5").init(&dev).is_err()); // no such tableau
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "FC: FieldConfig")]
pub struct OdeBlockConfig<FC> {
    /// The field's config.
    pub field: FC,
    /// Output times, strictly increasing; `t[0]` is the initial time.
    pub t: Vec<f64>,
    /// The Runge–Kutta tableau's registry name.
    pub tableau: String,
    /// Fixed or adaptive steps.
    pub control: StepControl,
    /// The gradient method the block's backward pass runs.
    pub method: Method,
}

impl<FC: FieldConfig> Config for OdeBlockConfig<FC> {}

impl<FC: FieldConfig> OdeBlockConfig<FC> {
    /// A block on `[0, t1]` with `n_steps` fixed `rk4` steps, returning the state at `t1`.
    pub fn new(field: FC, t1: f64, n_steps: usize) -> Self {
        Self {
            field,
            t: vec![0.0, t1],
            tableau: "rk4".into(),
            control: StepControl::fixed(n_steps),
            method: Method::SymplecticAdjoint,
        }
    }
    /// Output times (`t[0]` the initial time).
    pub fn with_times(mut self, t: Vec<f64>) -> Self {
        self.t = t;
        self
    }
    /// Another tableau, by registry name.
    pub fn with_tableau(mut self, name: &str) -> Self {
        self.tableau = name.into();
        self
    }
    /// Another step control.
    pub fn with_control(mut self, control: StepControl) -> Self {
        self.control = control;
        self
    }
    /// Another gradient method.
    pub fn with_method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// Checks every setting and their combination; returns the tableau.
    ///
    /// # Errors
    /// [`Error::UnknownScheme`] for a tableau name not in the registry; [`Error::InvalidGrid`]
    /// for the output times; the step control's errors; [`Error::Unsupported`] for a method
    /// that does not support ODE solves, or adaptive steps with a tableau without an embedded
    /// error estimate.
    pub fn validate(&self) -> Result<ButcherTableau> {
        let tab = tableau::by_name(&self.tableau)?;
        crate::times::validate_times(&self.t)?;
        self.control.validate()?;
        if matches!(self.control, StepControl::Adaptive(_)) && tab.b_embedded().is_none() {
            return Err(Error::Unsupported {
                method: tab.name().into(),
                what: "adaptive steps (it has no embedded error estimate)".into(),
            });
        }
        self.method.supports(SolveKind::Ode)?;
        Ok(tab)
    }

    /// Builds the block on `device`.
    ///
    /// # Errors
    /// As [`Self::validate`].
    pub fn init(&self, device: &Device) -> Result<OdeBlock<FC::Field>> {
        let tab = self.validate()?;
        let setup = OdeSetup { t: self.t.clone(), tab, control: self.control.clone(), method: self.method.clone() };
        Ok(OdeBlock { field: self.field.init(device), setup })
    }
}

#[derive(Debug, Clone)]
struct OdeSetup {
    t: Vec<f64>,
    tab: ButcherTableau,
    control: StepControl,
    method: Method,
}

/// An ODE block `h' = f(h; θ)`: a Burn module whose forward is one autodiff node running the
/// configured gradient method. Built by [`OdeBlockConfig::init`].
#[derive(Module, Debug)]
pub struct OdeBlock<F: Module> {
    /// The field `f(h; θ)`.
    pub field: F,
    #[module(skip)]
    setup: OdeSetup,
}

impl<F: Module> OdeBlock<F> {
    /// The output times (`t[0]` is the initial time).
    pub fn times(&self) -> &[f64] {
        &self.setup.t
    }

    /// The solve, with the outputs at every output time reached and the solve's counters.
    ///
    /// # Errors
    /// The solve's run-time errors.
    pub fn try_forward<const D: usize>(&self, y0: Tensor<D>) -> Result<Outputs<D>>
    where
        F: VectorField<D> + Sync + 'static,
    {
        let s = &self.setup;
        node::ode(&self.field, y0, &s.t, &s.tab, &s.control, &s.method)
    }

    /// The state at the last output time reached.
    ///
    /// # Panics
    /// On the solve's run-time errors.
    pub fn forward<const D: usize>(&self, y0: Tensor<D>) -> Tensor<D>
    where
        F: VectorField<D> + Sync + 'static,
    {
        self.try_forward(y0).unwrap_or_else(|e| panic!("OdeBlock::forward: {e}")).last()
    }

    /// The states at every output time stacked on a new first axis, `[T, …]` (`E = D + 1`).
    ///
    /// # Panics
    /// On the solve's run-time errors, and when `E != D + 1`.
    pub fn forward_stacked<const D: usize, const E: usize>(&self, y0: Tensor<D>) -> Tensor<E>
    where
        F: VectorField<D> + Sync + 'static,
    {
        self.try_forward(y0).unwrap_or_else(|e| panic!("OdeBlock::forward_stacked: {e}")).stacked()
    }
}
