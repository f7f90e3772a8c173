//! # caputo
//!
//! Neural fractional-order differential equations (and neural ODEs, the order-1 case) on
//! [Burn](https://burn.dev), with exact, memory-lean gradients.
//!
//! A solve is four orthogonal choices:
//!
//! 1. **what** — a [`VectorField`](field::VectorField) `f(t, y; θ)`: any Burn module
//!    ([`nn::MlpField`], a conv net, a graph diffusion), an analytic field with named
//!    parameters ([`problems::LotkaVolterra`]) or a closure ([`field::FnField`]);
//! 2. **how to step** — a [`ButcherTableau`](ode::ButcherTableau) for ODEs, a fractional scheme
//!    for `D^α y = f`;
//! 3. **on which grid** — [`StepControl`](ode::StepControl): fixed or adaptive (ODE), uniform
//!    (FDE);
//! 4. **how to differentiate** — a [`grad::Method`]: direct backpropagation, checkpointing,
//!    the continuous adjoint, the symplectic adjoint (ODE), the exact discrete adjoint (FDE).
//!
//! Every gradient method returns a *pullback*: give it `∂L/∂y(t_k)` and it returns `∂L/∂y0`
//! and the field's parameter gradients as Burn `GradientsParams`, so a solve sits between an
//! encoder and a decoder of any Burn model.

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
