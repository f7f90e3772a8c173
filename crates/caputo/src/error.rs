//! Typed errors of the library.
//!
//! Every variant carries the offending value so that a message names it. Outcomes of a solve
//! (steps taken, a step limit reached) are *not* errors; they are reported in
//! [`Stats`](crate::Stats) and [`StopReason`](crate::StopReason).

/// Errors returned by caputo's constructors and solvers.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The fractional order is outside the range a scheme supports.
    #[error("invalid fractional order alpha = {alpha}: {reason}")]
    InvalidOrder {
        /// The order that was given.
        alpha: f64,
        /// The admissible range, in words.
        reason: String,
    },
    /// A time grid is empty, non-increasing or not finite.
    #[error("invalid time grid: {reason}")]
    InvalidGrid {
        /// What is wrong with the grid.
        reason: String,
    },
    /// A step size or step count is zero, negative or not finite.
    #[error("invalid step: {reason}")]
    InvalidStep {
        /// What is wrong with the step.
        reason: String,
    },
    /// A tolerance is not positive and finite.
    #[error("invalid tolerance {name} = {value}: must be positive and finite")]
    InvalidTolerance {
        /// Which tolerance (rtol, atol, eps).
        name: &'static str,
        /// The value that was given.
        value: f64,
    },
    /// Two shapes or lengths that must agree do not.
    #[error("dimension mismatch in {what}: expected {expected}, found {found}")]
    DimensionMismatch {
        /// The quantity whose shape is wrong.
        what: String,
        /// The expected shape or length.
        expected: String,
        /// The shape or length that was found.
        found: String,
    },
    /// The state became NaN or infinite.
    #[error("non-finite state at t = {t} (step {step})")]
    NonFinite {
        /// Time at which the non-finite value appeared.
        t: f64,
        /// Index of the step that produced it.
        step: usize,
    },
    /// A Butcher tableau failed validation.
    #[error("invalid Butcher tableau {name}: {reason}")]
    InvalidTableau {
        /// Name of the tableau.
        name: String,
        /// The violated condition.
        reason: String,
    },
    /// A scheme or method name is not in the registry.
    #[error("unknown scheme {name}; known: {known:?}")]
    UnknownScheme {
        /// The name that was asked for.
        name: String,
        /// The names the registry knows.
        known: Vec<String>,
    },
    /// A gradient method does not apply to this kind of solve.
    #[error("gradient method {method} does not support {what}")]
    Unsupported {
        /// The gradient method.
        method: String,
        /// What it cannot do.
        what: String,
    },
    /// A parameter value is invalid (for example a negative memory length).
    #[error("invalid parameter {name} = {value}: {reason}")]
    InvalidParameter {
        /// The parameter's name.
        name: String,
        /// Its value, formatted.
        value: String,
        /// Why it is invalid.
        reason: String,
    },
}

/// Result alias used across the crate.
pub type Result<T> = std::result::Result<T, Error>;
