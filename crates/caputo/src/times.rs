//! Output-time validation shared by the ODE and FDE grids (a leaf: it depends on nothing but
//! the error type).

use crate::error::{Error, Result};

/// Checks an output-time grid: at least two finite, strictly increasing times.
pub fn validate_times(t: &[f64]) -> Result<()> {
    if t.len() < 2 {
        return Err(Error::InvalidGrid {
            reason: format!("need an initial time and at least one output time, got {} time(s)", t.len()),
        });
    }
    for (i, w) in t.windows(2).enumerate() {
        if !(w[0].is_finite() && w[1].is_finite()) {
            return Err(Error::InvalidGrid {
                reason: format!("non-finite time at index {}", i + usize::from(w[0].is_finite())),
            });
        }
        if w[1] <= w[0] {
            return Err(Error::InvalidGrid {
                reason: format!(
                    "times must be strictly increasing: t[{}] = {} is not greater than t[{}] = {}",
                    i + 1,
                    w[1],
                    i,
                    w[0]
                ),
            });
        }
    }
    Ok(())
}
