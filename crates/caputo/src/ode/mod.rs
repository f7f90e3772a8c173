//! Ordinary differential equations (`α = 1`): explicit Runge–Kutta methods from Butcher
//! tableaus, fixed and adaptive steps, dense output.

pub mod control;
pub mod erk;
pub mod solve;
pub mod tableau;

pub use control::{Adaptive, StepControl};
pub use solve::{Solution, Trajectory, solve, solve_dense, trajectory};
pub use tableau::ButcherTableau;
