//! The uniform grid `t_n = t0 + n h` of the fractional schemes.

use crate::error::{Error, Result};
use crate::times::validate_times;

/// `n_steps` uniform steps from `t[0]` to the last output time; every output time must be a
/// grid point.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct UniformGrid {
    /// Initial time.
    pub t0: f64,
    /// Step.
    pub h: f64,
    /// Number of steps `N`.
    pub n_steps: usize,
    /// Grid index of each output time.
    pub out_idx: Vec<usize>,
}

impl UniformGrid {
    /// The grid for output times `t` (`t[0]` is the initial time) and `n_steps` steps.
    ///
    /// # Errors
    /// [`Error::InvalidGrid`] when `t` is not increasing or an output time is not a grid point
    /// (within `1e-9·h`); [`Error::InvalidStep`] for zero steps.
    ///
    /// # Example
    /// ```
    /// use caputo::fde::grid::UniformGrid;
    /// // Outputs at 0, 0.5 and 1 on 8 steps: h = 1/8, output indices 0, 4, 8.
    /// let g = UniformGrid::new(&[0.0, 0.5, 1.0], 8).unwrap();
    /// assert_eq!(g.h, 0.125);
    /// assert_eq!(g.out_idx, vec![0, 4, 8]);
    /// assert_eq!(g.t(4), 0.5);
    /// // 0.3 is not a multiple of h = 1/8: fractional schemes need uniform steps.
    /// assert!(matches!(UniformGrid::new(&[0.0, 0.3, 1.0], 8), Err(caputo::Error::InvalidGrid { .. })));
    /// ```
    pub fn new(t: &[f64], n_steps: usize) -> Result<Self> {
        validate_times(t)?;
        if n_steps == 0 {
            return Err(Error::InvalidStep { reason: "n_steps = 0: need at least one step".into() });
        }
        let t0 = t[0];
        let h = (t[t.len() - 1] - t0) / n_steps as f64;
        let mut out_idx = Vec::with_capacity(t.len());
        for &tk in t {
            let x = (tk - t0) / h;
            let n = x.round();
            if (x - n).abs() > 1e-9 * x.abs().max(1.0) {
                return Err(Error::InvalidGrid {
                    reason: format!(
                        "output time {tk} is not on the uniform grid t0 + n·h (h = {h}); fractional schemes need uniform steps, choose n_steps so that every output time is a multiple of h"
                    ),
                });
            }
            out_idx.push(n as usize);
        }
        Ok(Self { t0, h, n_steps, out_idx })
    }

    /// `t_n`.
    pub fn t(&self, n: usize) -> f64 {
        self.t0 + n as f64 * self.h
    }
}
