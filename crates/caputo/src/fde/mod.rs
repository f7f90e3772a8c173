//! Fractional differential equations `D^α y = f(t, y; θ)`, `y(t0) = y0`, Caputo derivative,
//! `0 < α ≤ 1`, on uniform grids.
//!
//! A solve is an [`FdeSolve`]: the order, the output times on a uniform grid, a [`Scheme`]
//! (see [`scheme::registry`]) and a [`History`] (dense, short memory, fast). [`solve`] returns
//! the solution; for gradients the `grad` module drives the forward march and the exact
//! transposes defined here (this module never depends on it).

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
pub mod scheme;
pub mod soe;
mod solve;
pub mod trapezoid;
pub mod volterra;
pub mod weights;

pub use grid::UniformGrid;
pub use history::History;
pub use scheme::{Form, Scheme};
pub(crate) use solve::march;
pub use solve::{FdeSolve, solve};
