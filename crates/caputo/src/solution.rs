//! The solution at the output times, returned by every solve (ODE and FDE): a leaf shared by
//! the `ode`, `fde` and `grad` modules.

use burn::tensor::Tensor;

use crate::stats::{Stats, StopReason};

/// The solution at the output times.
#[derive(Debug, Clone)]
pub struct Solution<const D: usize> {
    /// Output times reached (all of them unless the step limit was hit).
    pub t: Vec<f64>,
    /// The state at each output time (`y[0] = y0`).
    pub y: Vec<Tensor<D>>,
    /// What the solve did.
    pub stats: Stats,
    /// Why it stopped.
    pub stop: StopReason,
}
