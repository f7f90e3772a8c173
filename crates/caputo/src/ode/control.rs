//! Step control: a fixed grid, or an adaptive PI controller on the embedded error estimate.

use crate::error::{Error, Result};
pub use crate::times::validate_times;

/// How the solver chooses its steps (orthogonal to the tableau and to the gradient method).
/// Serialised as `{"fixed": {"n_steps": N}}` or `{"adaptive": {…}}`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepControl {
    /// `n_steps` uniform steps over `[t0, t_end]`; output times that fall between grid points
    /// are added as extra grid points, so every output is a step endpoint.
    Fixed {
        /// Number of uniform steps.
        n_steps: usize,
    },
    /// Error-controlled steps with a PI controller (Hairer–Nørsett–Wanner II, §IV.2); needs a
    /// tableau with embedded weights.
    Adaptive(Adaptive),
}

/// Settings of the adaptive PI controller.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Adaptive {
    /// Relative tolerance.
    pub rtol: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Step limit; reaching it ends the solve with
    /// [`StopReason::MaxStepsReached`](crate::StopReason::MaxStepsReached).
    pub max_steps: usize,
    /// First step; chosen by Hairer's algorithm when `None`.
    pub h0: Option<f64>,
}

impl Adaptive {
    /// Controller with the given tolerances, a 100 000-step limit and automatic first step.
    ///
    /// # Example
    /// ```
    /// use caputo::ode::control::{Adaptive, StepControl};
    /// let a = Adaptive::new(1e-6, 1e-9);
    /// assert_eq!((a.max_steps, a.h0), (100_000, None));
    /// assert_eq!(StepControl::Adaptive(a), StepControl::adaptive(1e-6, 1e-9));
    /// ```
    pub fn new(rtol: f64, atol: f64) -> Self {
        Self { rtol, atol, max_steps: 100_000, h0: None }
    }
    /// Sets the step limit.
    ///
    /// # Example
    /// ```
    /// use caputo::ode::control::{Adaptive, StepControl};
    /// let a = Adaptive::new(1e-6, 1e-9).with_max_steps(500);
    /// assert_eq!(a.max_steps, 500);
    /// // Zero is rejected when the solve validates its settings.
    /// assert!(StepControl::Adaptive(a.with_max_steps(0)).validate().is_err());
    /// ```
    pub fn with_max_steps(mut self, max_steps: usize) -> Self {
        self.max_steps = max_steps;
        self
    }
    /// Sets the first step.
    ///
    /// # Example
    /// ```
    /// use caputo::ode::control::{Adaptive, StepControl};
    /// let a = Adaptive::new(1e-6, 1e-9).with_h0(1e-3);
    /// assert_eq!(a.h0, Some(1e-3));
    /// assert!(matches!(
    ///     StepControl::Adaptive(a.with_h0(-1.0)).validate(),
    ///     Err(caputo::Error::InvalidStep { .. })
    /// ));
    /// ```
    pub fn with_h0(mut self, h0: f64) -> Self {
        self.h0 = Some(h0);
        self
    }
}

impl StepControl {
    /// Fixed grid with `n_steps` steps.
    ///
    /// # Example
    /// ```
    /// use caputo::ode::StepControl;
    /// assert_eq!(StepControl::fixed(10), StepControl::Fixed { n_steps: 10 });
    /// assert!(StepControl::fixed(10).validate().is_ok());
    /// assert!(StepControl::fixed(0).validate().is_err());
    /// ```
    pub fn fixed(n_steps: usize) -> Self {
        Self::Fixed { n_steps }
    }
    /// Adaptive steps with tolerances `rtol`, `atol`.
    ///
    /// # Example
    /// ```
    /// use caputo::ode::{solve, ButcherTableau, StepControl};
    /// use caputo::problems::Relaxation;
    /// use caputo::tensor::{from_vec, scalar};
    /// let dev = caputo::testkit::f64_device().inner();
    /// // y' = −y, y(0) = 1 with dopri5 at rtol = atol = 1e-8: y(1) = e^{−1}.
    /// let control = StepControl::adaptive(1e-8, 1e-8);
    /// let sol = solve(&Relaxation::new(1.0, &dev), from_vec(vec![1.0], [1], &dev), &[0.0, 1.0],
    ///     &ButcherTableau::dopri5(), &control).unwrap();
    /// assert!((scalar(sol.y[1].clone()) - (-1.0f64).exp()).abs() < 1e-7);
    /// assert!(StepControl::adaptive(0.0, 1e-8).validate().is_err());
    /// ```
    pub fn adaptive(rtol: f64, atol: f64) -> Self {
        Self::Adaptive(Adaptive::new(rtol, atol))
    }

    /// Checks the settings.
    pub fn validate(&self) -> Result<()> {
        match self {
            Self::Fixed { n_steps } => {
                if *n_steps == 0 {
                    return Err(Error::InvalidStep { reason: "n_steps = 0: need at least one step".into() });
                }
            }
            Self::Adaptive(a) => {
                for (name, value) in [("rtol", a.rtol), ("atol", a.atol)] {
                    if !(value.is_finite() && value > 0.0) {
                        return Err(Error::InvalidTolerance { name, value });
                    }
                }
                if let Some(h0) = a.h0
                    && !(h0.is_finite() && h0 > 0.0)
                {
                    return Err(Error::InvalidStep { reason: format!("h0 = {h0}: must be positive and finite") });
                }
                if a.max_steps == 0 {
                    return Err(Error::InvalidStep { reason: "max_steps = 0".into() });
                }
            }
        }
        Ok(())
    }
}

/// The breakpoints of a fixed grid: `n_steps` uniform steps over `[t0, t_end]` merged with the
/// output times. Returns the grid and, for each output time, its index in the grid.
///
/// # Example
/// ```
/// use caputo::ode::control::fixed_grid;
/// // Two steps over [0, 1], and the output time 0.25 added as a breakpoint.
/// let (grid, out_idx) = fixed_grid(&[0.0, 0.25, 1.0], 2);
/// assert_eq!(grid, vec![0.0, 0.25, 0.5, 1.0]);
/// assert_eq!(out_idx, vec![0, 1, 3]);
/// ```
pub fn fixed_grid(t: &[f64], n_steps: usize) -> (Vec<f64>, Vec<usize>) {
    let (t0, t1) = (t[0], *t.last().expect("validated grid"));
    let h = (t1 - t0) / n_steps as f64;
    let tol = 1e-9 * h;
    let mut grid = Vec::with_capacity(n_steps + t.len());
    let mut out_idx = Vec::with_capacity(t.len());
    let mut k = 0; // next output time
    for n in 0..=n_steps {
        let tn = if n == n_steps { t1 } else { t0 + n as f64 * h };
        while k < t.len() && t[k] < tn - tol {
            grid.push(t[k]);
            out_idx.push(grid.len() - 1);
            k += 1;
        }
        grid.push(tn);
        while k < t.len() && (t[k] - tn).abs() <= tol {
            out_idx.push(grid.len() - 1);
            k += 1;
        }
    }
    (grid, out_idx)
}

/// The PI step-size factor for a step with scaled error `err` (≤ 1 means accept), given the
/// previous accepted error and the error estimator's order `q` (Hairer–Wanner, eq. IV.2.43).
pub fn pi_factor(err: f64, err_prev: f64, q: f64) -> f64 {
    const SAFETY: f64 = 0.9;
    let (beta1, beta2) = (0.7 / q, 0.4 / q);
    let fac = if err == 0.0 { 10.0 } else { SAFETY * err.powf(-beta1) * err_prev.max(1e-4).powf(beta2) };
    fac.clamp(0.2, 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_grid_inserts_output_times() {
        let (g, idx) = fixed_grid(&[0.0, 0.25, 0.5, 1.0], 2);
        assert_eq!(g, vec![0.0, 0.25, 0.5, 1.0]);
        assert_eq!(idx, vec![0, 1, 2, 3]);
    }

    #[test]
    fn times_must_increase() {
        assert!(matches!(validate_times(&[0.0, 1.0, 1.0]), Err(Error::InvalidGrid { .. })));
        assert!(matches!(validate_times(&[0.0]), Err(Error::InvalidGrid { .. })));
        assert!(matches!(validate_times(&[0.0, f64::NAN]), Err(Error::InvalidGrid { .. })));
    }
}
