//! The training applications of the `caputo` command (each reuses [`crate::train`]).

pub mod graph;
pub mod image;
pub mod lotka_volterra;
