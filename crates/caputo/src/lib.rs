//! # caputo
//!
//! Neural fractional-order differential equations `D^α y = f(t, y; θ)` (Caputo derivative,
//! `0 < α ≤ 1`) and neural ODEs (`α = 1`) on [Burn](https://burn.dev), with exact,
//! memory-lean gradients.
//!
//! ## The map
//!
//! A solve is four independent choices, each behind one type, and a pullback:
//!
//! | choice | type | options |
//! |---|---|---|
//! | **field** `f(t, y; θ)` | [`VectorField`] (any Burn `Module`) | [`nn::MlpField`], a conv net, a graph diffusion; analytic fields with named parameters ([`problems::LotkaVolterra`], [`problems::Relaxation`]); closures ([`FnField`]) |
//! | **scheme** | [`ode::ButcherTableau`] / [`fde::Scheme`] | `euler` … `dopri8` ([`ode::tableau::registry`]); predictor, ABM, L1, GL, product trapezoid, multi-term ([`fde::scheme::registry`]) |
//! | **grid** | [`ode::StepControl`] / uniform FDE grid + [`fde::History`] | fixed or adaptive (PI controller, dense output); dense, short-memory or fast (sum-of-exponentials) history |
//! | **gradient method** | [`grad::Method`] | `Direct`, `Checkpointed`, `ContinuousAdjoint`, `SymplecticAdjoint` (ODE), `DiscreteAdjoint` (FDE, also `∂L/∂α`), `PaperAdjoint` (torchfde's, biased) |
//! | **pullback** | [`grad::OdePullback`] / [`fde::FdePullback`] | `backward(∂L/∂y(t_k))` → [`grad::Grads`]: `∂L/∂y0`, Burn `GradientsParams` for θ, `∂L/∂α` |
//!
//! Entry points: [`ode::solve()`], [`ode::solve_dense`], [`fde::solve()`] for solutions;
//! [`grad::ode_forward`], [`fde::fde_forward`] for solutions with a pullback;
//! [`grad::pull_through`] and [`grad::combine`] to place a solve between an encoder and a
//! decoder of a Burn model (example `fde_block`). `docs/choosing.md` in the repository says
//! which scheme and method to pick.
//!
//! ## Precision and devices
//!
//! The numerics use Burn's device-agnostic tensor API; tests run on the `flex` CPU backend in
//! f64 ([`testkit::f64_device`]). Create tensors from f64 data with [`tensor::from_vec`] on a
//! device configured for f64 (Burn silently makes f32 tensors otherwise).
//!
//! ## Example
//! ```
//! use burn::tensor::{Device, Tensor};
//! use caputo::fde::{solve, History, Scheme};
//! use caputo::problems::Relaxation;
//! let dev = Device::flex();
//! // D^0.5 y = −y, y(0) = 1 on [0, 1], Adams–Bashforth–Moulton, 128 steps.
//! let sol = solve(&Relaxation::new(1.0, &dev), Tensor::<1>::from_floats([1.0], &dev), 0.5,
//!     &[0.0, 1.0], 128, &Scheme::Abm { corrector_iters: 1 }, History::Dense).unwrap();
//! let exact = Relaxation::exact(0.5, 1.0, 1.0, 1.0);
//! assert!((caputo::tensor::scalar(sol.y[1].clone()) - exact).abs() < 1e-3);
//! ```

pub mod error;
pub mod fde;
pub mod field;
pub mod grad;
pub mod nn;
pub mod ode;
pub mod problems;
pub mod special;
pub mod stats;
pub mod tensor;
pub mod testkit;

pub use error::{Error, Result};
pub use field::{FnField, VectorField};
pub use stats::{Stats, StopReason};
