//! Fractional differential equations `D^α y = f(t, y; θ)`, `y(t0) = y0`, Caputo derivative,
//! `0 < α ≤ 1`, on uniform grids.
//!
//! Choose a [`Scheme`] (see [`scheme::registry`]), a [`History`] (dense, short memory, fast)
//! and, for gradients, a [`crate::grad::Method`]: [`solve`] for the solution,
//! [`fde_forward`] for the solution and a pullback.

pub mod abm;
pub mod derivative;
pub mod fast;
pub mod gl;
pub mod grid;
pub mod history;
pub mod kernel;
pub mod l1;
pub mod multiterm;
pub mod predictor;
mod pullback;
pub mod scheme;
pub mod soe;
pub mod trapezoid;
pub mod volterra;
pub mod weights;

pub use grid::UniformGrid;
pub use history::History;
pub use pullback::{FdePullback, fde_forward, solve};
pub use scheme::{Form, Scheme};
