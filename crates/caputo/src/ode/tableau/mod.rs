//! Butcher tableaus of explicit Runge–Kutta methods.
//!
//! A tableau with `s` stages advances `y' = f(t, y)` by one step of size `h` as
//!
//! ```text
//! k_i     = f(t_n + c_i h, y_n + h Σ_{j<i} a_ij k_j),   i = 1..s
//! y_{n+1} = y_n + h Σ_i b_i k_i
//! ŷ_{n+1} = y_n + h Σ_i b̂_i k_i        (embedded, lower order; optional)
//! ```
//!
//! Every tableau is validated on construction ([`ButcherTableau::try_new`]):
//! shapes, row sums `Σ_j a_ij = c_i`, finiteness, and the classical order
//! conditions (rooted trees up to order `min(order, 4)`) for both the main and
//! the embedded weights. This catches typos in the coefficients.
//!
//! Coefficient sources:
//! - Euler, explicit midpoint, Heun, classical RK4, Kutta's 3/8 rule: textbook
//!   values (Hairer, Nørsett & Wanner, *Solving ODEs I*, §II.1).
//! - `bosh3`: Bogacki & Shampine (1989), *A 3(2) pair of Runge–Kutta formulas*.
//! - `fehlberg2`: Fehlberg (1969) RK1(2), as in diffrax `Fehlberg2` and
//!   torchdiffeq `fehlberg2`.
//! - `dopri5`: Dormand & Prince (1980) 5(4); dense output by Shampine (1986) as
//!   used in Hairer's `DOPRI5` code (`CONTD5`).
//! - `tsit5`: Tsitouras (2011), *Runge–Kutta pairs of order 5(4) satisfying only
//!   the first column simplifying assumption*, decimal values as in
//!   OrdinaryDiffEq.jl / diffrax.
//! - `dopri8`: Dormand–Prince 8(5,3) "DOP853" (Hairer & Wanner, code `DOP853`,
//!   identical to SciPy's `dop853_coefficients`), 12 stages with the 5th-order
//!   embedded weights.
//!
//! Layout: this file holds the type and its accessors; `validate` the construction checks
//! (shapes, row sums, order conditions); `methods` the built-in constructors, [`registry`]
//! and [`by_name`], which is derived from the registry.

mod methods;
#[cfg(test)]
mod tests;
mod validate;

pub use methods::{NAMES, by_name, registry};

use crate::error::Error;

/// How a solver should evaluate the solution inside an accepted step.
#[derive(Debug, Clone, PartialEq)]
pub enum DenseOutput {
    /// Cubic Hermite interpolation from `y` and `f(t, y)` at both ends of the
    /// step (available for every tableau).
    Hermite,
    /// A dedicated continuous extension `y(t_n + θh) ≈ y_n + h Σ_i b_i(θ) k_i`
    /// with polynomial weights: entry `[i][k]` is the coefficient of
    /// `θ^(k+1)` in `b_i(θ)` (so `b_i(0) = 0`), one row per stage.
    Polynomial(Vec<Vec<f64>>),
}

/// The Butcher tableau of an explicit Runge–Kutta method, optionally with an
/// embedded lower-order solution for error estimation.
#[derive(Debug, Clone, PartialEq)]
pub struct ButcherTableau {
    name: String,
    /// Strictly lower triangular: row `i` has exactly `i` entries.
    a: Vec<Vec<f64>>,
    b: Vec<f64>,
    c: Vec<f64>,
    /// Embedded weights `b̂` (not the difference `b − b̂`).
    b_err: Option<Vec<f64>>,
    order: u32,
    embedded_order: Option<u32>,
    fsal: bool,
    dense: Option<DenseOutput>,
}

impl ButcherTableau {
    /// Builds and validates a tableau.
    ///
    /// * `a` — strictly lower-triangular matrix as ragged rows: row `i` has
    ///   exactly `i` entries (so row 0 is empty);
    /// * `b`, `c` — weights and nodes, one per stage;
    /// * `b_embedded` — embedded weights `b̂` (the lower-order solution itself,
    ///   not the difference `b − b̂`), with its order in `embedded_order`.
    ///
    /// Checks: at least one stage, row lengths, `len(b) = len(c) = stages`,
    /// all coefficients finite, `|Σ_j a_ij − c_i| ≤ 1e-12·max(1, |c_i|)`,
    /// `|Σ b − 1| ≤ 1e-12` (same for `b̂`), `order ≥ 1`, `b_embedded` and
    /// `embedded_order` given together with `embedded_order ≥ 1` and `b̂ ≠ b`,
    /// and the order conditions up to `min(order, 4)` for `b` (and up to
    /// `min(embedded_order, 4)` for `b̂`) to `1e-10`.
    ///
    /// The tableau is marked FSAL when the last row of `a` equals `b`
    /// (including `b_s = 0`) and `c_s = 1`. Its dense output is
    /// [`DenseOutput::Hermite`].
    ///
    /// # Errors
    /// [`Error::InvalidTableau`] describing the first failed check.
    ///
    /// # Example
    /// ```
    /// use caputo::ode::ButcherTableau;
    /// # fn step(t: &ButcherTableau, h: f64) -> f64 {
    /// #     // One step of y' = y from y = 1: k_i = 1 + h Σ_j a_ij k_j, y_1 = 1 + h Σ_i b_i k_i.
    /// #     let mut k: Vec<f64> = Vec::new();
    /// #     for row in t.a() {
    /// #         k.push(1.0 + h * row.iter().zip(&k).map(|(a, k)| a * k).sum::<f64>());
    /// #     }
    /// #     1.0 + h * t.b().iter().zip(&k).map(|(b, k)| b * k).sum::<f64>()
    /// # }
    /// // Ralston's second-order method.
    /// let ralston = ButcherTableau::try_new(
    ///     "ralston", vec![vec![], vec![2.0 / 3.0]], vec![0.25, 0.75], vec![0.0, 2.0 / 3.0], None, 2, None,
    /// ).unwrap();
    /// assert_eq!((ralston.name(), ralston.stages()), ("ralston", 2));
    /// // Local error O(h³): halving h divides it by about 8.
    /// let err = |h: f64| (step(&ralston, h) - h.exp()).abs();
    /// assert!((err(0.02) / err(0.01) - 8.0).abs() < 0.2);
    /// // A claimed order the weights do not have is rejected.
    /// let bad = ButcherTableau::try_new("bad", vec![vec![], vec![0.5]], vec![0.5, 0.5], vec![0.0, 0.5], None, 2, None);
    /// assert!(matches!(bad, Err(caputo::Error::InvalidTableau { .. })));
    /// ```
    pub fn try_new(
        name: impl Into<String>,
        a: Vec<Vec<f64>>,
        b: Vec<f64>,
        c: Vec<f64>,
        b_embedded: Option<Vec<f64>>,
        order: u32,
        embedded_order: Option<u32>,
    ) -> Result<Self, Error> {
        let mut tableau = Self {
            name: name.into(),
            a,
            b,
            c,
            b_err: b_embedded,
            order,
            embedded_order,
            fsal: false,
            dense: Some(DenseOutput::Hermite),
        };
        validate::check(&tableau)?;
        let (a, b, c) = (&tableau.a, &tableau.b, &tableau.c);
        let s = b.len();
        tableau.fsal = s >= 2 && c[s - 1] == 1.0 && b[s - 1] == 0.0 && a[s - 1].iter().zip(b).all(|(x, y)| x == y);
        Ok(tableau)
    }

    /// The scheme's name (as accepted by [`by_name`] for built-in tableaus).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The coefficient matrix as ragged rows; row `i` has exactly `i` entries.
    pub fn a(&self) -> &[Vec<f64>] {
        &self.a
    }

    /// The weights `b` of the propagated solution.
    pub fn b(&self) -> &[f64] {
        &self.b
    }

    /// The nodes `c`.
    pub fn c(&self) -> &[f64] {
        &self.c
    }

    /// The embedded (lower-order) weights `b̂`, if the tableau has an embedded
    /// pair. These are the weights themselves, not the difference `b − b̂`.
    pub fn b_embedded(&self) -> Option<&[f64]> {
        self.b_err.as_deref()
    }

    /// The error-estimator weights `b − b̂`, if there is an embedded pair, so
    /// that `y_{n+1} − ŷ_{n+1} = h Σ_i (b_i − b̂_i) k_i`.
    pub fn error_weights(&self) -> Option<Vec<f64>> {
        self.b_err.as_ref().map(|bh| self.b.iter().zip(bh).map(|(b, bh)| b - bh).collect())
    }

    /// The classical order of the propagated solution.
    pub fn order(&self) -> u32 {
        self.order
    }

    /// The classical order of the embedded solution, if any.
    pub fn embedded_order(&self) -> Option<u32> {
        self.embedded_order
    }

    /// The number of stages `s`.
    pub fn stages(&self) -> usize {
        self.b.len()
    }

    /// Whether the last stage is evaluated at the new solution ("first same as
    /// last"), so that `k_s` of one step is `k_1` of the next.
    pub fn is_fsal(&self) -> bool {
        self.fsal
    }

    /// The dense-output strategy. Tableaus built by [`ButcherTableau::try_new`]
    /// report [`DenseOutput::Hermite`]; `dopri5` carries its dedicated
    /// polynomial continuous extension.
    pub fn dense(&self) -> Option<&DenseOutput> {
        self.dense.as_ref()
    }

    /// Weights `b_i(θ)` of the dedicated continuous extension,
    /// `y(t_n + θh) ≈ y_n + h Σ_i b_i(θ) k_i` for `θ ∈ [0, 1]`, with
    /// `b_i(0) = 0` and `b_i(1) = b_i`.
    ///
    /// Returns `None` when the tableau has no dedicated extension; the solver
    /// should then use cubic Hermite interpolation with `f` at both ends.
    pub fn interpolation_weights(&self, theta: f64) -> Option<Vec<f64>> {
        match self.dense.as_ref()? {
            DenseOutput::Hermite => None,
            DenseOutput::Polynomial(p) => {
                Some(p.iter().map(|coeffs| theta * coeffs.iter().rev().fold(0.0, |acc, &x| acc * theta + x)).collect())
            }
        }
    }
}
