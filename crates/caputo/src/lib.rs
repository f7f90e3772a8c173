//! # caputo
//!
//! Neural fractional-order differential equations `D^α y = f(t, y; θ)`, `y(t0) = y0`
//! (Caputo derivative, `0 < α ≤ 1`),
//!
//! $$ {}^{C}D^{\alpha} y(t) = \frac{1}{\Gamma(1-\alpha)} \int_{t_0}^{t} (t-s)^{-\alpha} y^{\prime}(s) \mathrm{d}s = f(t, y(t); \theta), $$
//!
//! and neural ODEs (`α = 1`: `y' = f(t, y; θ)`) on [Burn](https://burn.dev), with exact,
//! memory-lean gradients.
//!
//! ## The map
//!
//! A solve is four independent choices, each behind one type, and a pullback that turns
//! `∂L/∂y(t_k)` into gradients. Read the table top to bottom:
//!
//! | step | choice | type | options |
//! |---|---|---|---|
//! | 1 | **field** `f(t, y; θ)` | [`VectorField`] (any Burn `Module`) | [`nn::MlpField`], a conv net, a graph diffusion; analytic fields with named parameters ([`problems::LotkaVolterra`], [`problems::Relaxation`], [`problems::LinearField`]); closures ([`FnField`]) |
//! | 2 | **scheme** | [`ode::ButcherTableau`] / [`fde::Scheme`] | [`ode::ButcherTableau::euler`] … [`ode::ButcherTableau::dopri8`] ([`ode::tableau::registry`]); [`fde::predictor`], [`fde::abm`], [`fde::l1`], [`fde::gl`], [`fde::trapezoid`], [`fde::multiterm`] ([`fde::scheme::registry`]) |
//! | 3 | **grid** | [`ode::StepControl`] / [`fde::UniformGrid`] + [`fde::History`] | ODE: [`ode::StepControl::fixed`] or [`ode::StepControl::adaptive`] (PI controller, dense output); FDE: uniform steps with [`fde::History::Dense`], [`fde::History::Short`] or [`fde::History::Fast`] (sum-of-exponentials, [`fde::fast`]) |
//! | 4 | **gradient method** | [`grad::Method`] | [`Direct`](grad::Method::Direct), [`Checkpointed`](grad::Method::Checkpointed), [`ContinuousAdjoint`](grad::Method::ContinuousAdjoint), [`SymplecticAdjoint`](grad::Method::SymplecticAdjoint) (ODE), [`DiscreteAdjoint`](grad::Method::DiscreteAdjoint) (FDE, also `∂L/∂α`), [`PaperAdjoint`](grad::Method::PaperAdjoint) (torchfde's, biased) |
//! | 5 | **pullback** | [`grad::OdePullback`] / [`grad::FdePullback`] | `backward(∂L/∂y(t_k))` → [`grad::Grads`]: `∂L/∂y0`, Burn `GradientsParams` for θ, `∂L/∂α`; what it cost in [`Stats`] |
//!
//! Entry points: [`ode::solve()`], [`ode::solve_dense`], [`fde::solve()`] (options in one
//! [`fde::FdeSolve`]) for solutions; [`grad::ode_forward`], [`grad::fde_forward`] for solutions
//! with a pullback (both implement [`grad::Pullback`]); [`grad::Method::supports`] says which
//! gradient method fits which solve;
//! [`grad::node::fde`] and [`grad::node::ode`] for a solve as **one node of Burn's autodiff
//! graph** (`loss.backward()` runs the chosen gradient method), and the modules built on it,
//! [`block::FdeBlock`] and [`block::OdeBlock`] (serde configs, a learnable order α): a
//! training step is then forward, loss, `backward()`, optimizer step (example
//! `block_training`). The lower-level [`grad::pull_through`] and [`grad::combine`] place a
//! pullback between an encoder and a decoder by hand (example `fde_block`). Errors are one
//! enum, [`Error`].
//! `docs/choosing.md` in the repository says which scheme and method to pick. The reference
//! oracles are [`special::mittag_leffler`] and the problems with exact solutions in
//! [`problems`]; [`testkit`] has order fitting and the counting allocator.
//!
//! Formulas are typeset with KaTeX where the docs are built with the crate's
//! `katex-header.html` (docs.rs does; locally see the README's "Documentation"); without it
//! they show as LaTeX source, next to a plain-text form.
//!
//! ## Precision and devices
//!
//! The numerics use Burn's device-agnostic tensor API; tests run on the `flex` CPU backend in
//! f64 ([`tensor::f64_device`]). Create tensors from f64 data with [`tensor::from_vec`] on a
//! device configured for f64 (Burn silently makes f32 tensors otherwise).
//!
//! ## Example
//! ```
//! use burn::tensor::{Device, Tensor};
//! use caputo::fde::{solve, FdeSolve, History, Scheme};
//! use caputo::problems::Relaxation;
//! let dev = Device::flex();
//! // D^0.5 y = −y, y(0) = 1 on [0, 1], Adams–Bashforth–Moulton, 128 steps, dense history.
//! let opts = FdeSolve::new(0.5, &[0.0, 1.0], 128)
//!     .with_scheme(Scheme::Abm { corrector_iters: 1 })
//!     .with_history(History::Dense);
//! let sol = solve(&Relaxation::new(1.0, &dev), Tensor::<1>::from_floats([1.0], &dev), &opts).unwrap();
//! let exact = Relaxation::exact(0.5, 1.0, 1.0, 1.0);
//! assert!((caputo::tensor::scalar(sol.y[1].clone()) - exact).abs() < 1e-3);
//! ```

#![deny(missing_docs)]

pub mod activation;
pub mod block;
mod cotangent;
pub mod error;
pub mod fde;
pub mod field;
pub mod grad;
pub mod nn;
pub mod ode;
pub mod problems;
pub mod solution;
pub mod special;
pub mod stats;
pub mod tensor;
pub mod testkit;
pub mod times;

pub use error::{Error, Result};
pub use field::{FnField, VectorField};
pub use solution::Solution;
pub use stats::{Stats, StopReason};
