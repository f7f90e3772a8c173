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

use crate::error::Error;

/// Tolerance for `|Σ_j a_ij − c_i|` (relative to `max(1, |c_i|)`) and for
/// `|Σ_i b_i − 1|`.
const SUM_TOL: f64 = 1e-12;

/// Absolute tolerance for the order conditions.
const ORDER_TOL: f64 = 1e-10;

/// Names accepted by [`by_name`], in the order of [`registry`].
pub const NAMES: [&str; 10] =
    ["euler", "midpoint", "heun", "rk4", "rk38", "bosh3", "fehlberg2", "dopri5", "tsit5", "dopri8"];

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

fn invalid(name: &str, reason: impl Into<String>) -> Error {
    Error::InvalidTableau { name: name.to_string(), reason: reason.into() }
}

/// Checks the order conditions (rooted trees up to order `min(order, 4)`) for
/// the weights `w`; `label` names the weights in error messages.
fn check_order_conditions(
    name: &str,
    label: &str,
    a: &[Vec<f64>],
    c: &[f64],
    w: &[f64],
    order: u32,
) -> Result<(), Error> {
    let s = w.len();
    // (A c)_i and (A c²)_i and (A A c)_i.
    let ac: Vec<f64> = (0..s).map(|i| a[i].iter().zip(c).map(|(aij, cj)| aij * cj).sum()).collect();
    let ac2: Vec<f64> = (0..s).map(|i| a[i].iter().zip(c).map(|(aij, cj)| aij * cj * cj).sum()).collect();
    let aac: Vec<f64> = (0..s).map(|i| a[i].iter().zip(&ac).map(|(aij, x)| aij * x).sum()).collect();
    let dot = |f: &dyn Fn(usize) -> f64| -> f64 { (0..s).map(|i| w[i] * f(i)).sum() };

    type Condition = (u32, &'static str, f64, f64);
    let conditions: [Condition; 8] = [
        (1, "Σ b_i = 1", dot(&|_| 1.0), 1.0),
        (2, "Σ b_i c_i = 1/2", dot(&|i| c[i]), 1.0 / 2.0),
        (3, "Σ b_i c_i² = 1/3", dot(&|i| c[i] * c[i]), 1.0 / 3.0),
        (3, "Σ b_i a_ij c_j = 1/6", dot(&|i| ac[i]), 1.0 / 6.0),
        (4, "Σ b_i c_i³ = 1/4", dot(&|i| c[i] * c[i] * c[i]), 1.0 / 4.0),
        (4, "Σ b_i c_i a_ij c_j = 1/8", dot(&|i| c[i] * ac[i]), 1.0 / 8.0),
        (4, "Σ b_i a_ij c_j² = 1/12", dot(&|i| ac2[i]), 1.0 / 12.0),
        (4, "Σ b_i a_ij a_jk c_k = 1/24", dot(&|i| aac[i]), 1.0 / 24.0),
    ];
    for (p, text, value, expected) in conditions {
        if p <= order.min(4) {
            let residual = value - expected;
            if residual.abs() > ORDER_TOL {
                return Err(invalid(
                    name,
                    format!(
                        "order-{p} condition {text} violated by weights {label} \
                         (claimed order {order}): got {value:e}, residual {residual:e}"
                    ),
                ));
            }
        }
    }
    Ok(())
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
        let name: String = name.into();
        let s = b.len();
        if name.is_empty() {
            return Err(invalid(&name, "name must not be empty"));
        }
        if s == 0 {
            return Err(invalid(&name, "at least one stage is required"));
        }
        if c.len() != s {
            return Err(invalid(&name, format!("len(c) = {} but len(b) = {s}", c.len())));
        }
        if a.len() != s {
            return Err(invalid(&name, format!("a has {} rows but there are {s} stages", a.len())));
        }
        for (i, row) in a.iter().enumerate() {
            if row.len() != i {
                return Err(invalid(
                    &name,
                    format!("row {i} of a has {} entries; an explicit method needs exactly {i}", row.len()),
                ));
            }
        }
        if let Some(bh) = &b_embedded
            && bh.len() != s
        {
            return Err(invalid(&name, format!("len(b_embedded) = {} but there are {s} stages", bh.len())));
        }
        let all_finite = a.iter().flatten().all(|x| x.is_finite())
            && b.iter().chain(&c).all(|x| x.is_finite())
            && b_embedded.as_ref().is_none_or(|bh| bh.iter().all(|x| x.is_finite()));
        if !all_finite {
            return Err(invalid(&name, "all coefficients must be finite"));
        }
        if order == 0 {
            return Err(invalid(&name, "order must be at least 1"));
        }
        match (&b_embedded, embedded_order) {
            (Some(_), None) => {
                return Err(invalid(&name, "b_embedded given without embedded_order"));
            }
            (None, Some(_)) => {
                return Err(invalid(&name, "embedded_order given without b_embedded"));
            }
            (Some(bh), Some(q)) => {
                if q == 0 {
                    return Err(invalid(&name, "embedded order must be at least 1"));
                }
                if *bh == b {
                    return Err(invalid(&name, "embedded weights equal b (the error estimate would vanish)"));
                }
            }
            (None, None) => {}
        }
        for (i, (row, &ci)) in a.iter().zip(&c).enumerate() {
            let sum: f64 = row.iter().sum();
            if (sum - ci).abs() > SUM_TOL * ci.abs().max(1.0) {
                return Err(invalid(&name, format!("row {i} of a sums to {sum:e} but c[{i}] = {ci:e}")));
            }
        }
        let weight_sets = std::iter::once(("b", &b)).chain(b_embedded.iter().map(|bh| ("b̂", bh)));
        for (label, w) in weight_sets {
            let sum: f64 = w.iter().sum();
            if (sum - 1.0).abs() > SUM_TOL {
                return Err(invalid(&name, format!("weights {label} sum to {sum:e}, expected 1")));
            }
        }
        check_order_conditions(&name, "b", &a, &c, &b, order)?;
        if let (Some(bh), Some(q)) = (&b_embedded, embedded_order) {
            check_order_conditions(&name, "b̂", &a, &c, bh, q)?;
        }
        let fsal = s >= 2 && c[s - 1] == 1.0 && b[s - 1] == 0.0 && a[s - 1].iter().zip(&b).all(|(x, y)| x == y);
        Ok(Self { name, a, b, c, b_err: b_embedded, order, embedded_order, fsal, dense: Some(DenseOutput::Hermite) })
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

    /// Builds a built-in tableau whose coefficients are known to be valid.
    fn builtin(
        name: &str,
        a: Vec<Vec<f64>>,
        b: Vec<f64>,
        c: Vec<f64>,
        b_embedded: Option<Vec<f64>>,
        order: u32,
        embedded_order: Option<u32>,
    ) -> Self {
        match Self::try_new(name, a, b, c, b_embedded, order, embedded_order) {
            Ok(t) => t,
            Err(e) => panic!("built-in tableau failed validation: {e}"),
        }
    }

    /// Explicit (forward) Euler, order 1, one stage.
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
    /// let tab = ButcherTableau::euler();
    /// assert_eq!((tab.order(), tab.stages(), tab.is_fsal(), tab.embedded_order()), (1, 1, false, None));
    /// // One step of y' = y has local error below h^(order + 1).
    /// let h: f64 = 0.1;
    /// assert!((step(&tab, h) - h.exp()).abs() < h.powi(tab.order() as i32 + 1));
    /// ```
    pub fn euler() -> Self {
        Self::builtin("euler", vec![vec![]], vec![1.0], vec![0.0], None, 1, None)
    }

    /// Explicit midpoint rule, order 2, two stages.
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
    /// let tab = ButcherTableau::midpoint();
    /// assert_eq!((tab.order(), tab.stages(), tab.is_fsal(), tab.embedded_order()), (2, 2, false, None));
    /// // One step of y' = y has local error below h^(order + 1).
    /// let h: f64 = 0.1;
    /// assert!((step(&tab, h) - h.exp()).abs() < h.powi(tab.order() as i32 + 1));
    /// ```
    pub fn midpoint() -> Self {
        Self::builtin("midpoint", vec![vec![], vec![0.5]], vec![0.0, 1.0], vec![0.0, 0.5], None, 2, None)
    }

    /// Heun's method (explicit trapezoidal rule), order 2, with embedded
    /// forward Euler (order 1) for error estimation.
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
    /// let tab = ButcherTableau::heun();
    /// assert_eq!((tab.order(), tab.stages(), tab.is_fsal(), tab.embedded_order()), (2, 2, false, Some(1)));
    /// // One step of y' = y has local error below h^(order + 1).
    /// let h: f64 = 0.1;
    /// assert!((step(&tab, h) - h.exp()).abs() < h.powi(tab.order() as i32 + 1));
    /// ```
    pub fn heun() -> Self {
        Self::builtin("heun", vec![vec![], vec![1.0]], vec![0.5, 0.5], vec![0.0, 1.0], Some(vec![1.0, 0.0]), 2, Some(1))
    }

    /// The classical fourth-order Runge–Kutta method.
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
    /// let tab = ButcherTableau::rk4();
    /// assert_eq!((tab.order(), tab.stages(), tab.is_fsal(), tab.embedded_order()), (4, 4, false, None));
    /// // One step of y' = y has local error below h^(order + 1).
    /// let h: f64 = 0.1;
    /// assert!((step(&tab, h) - h.exp()).abs() < h.powi(tab.order() as i32 + 1));
    /// ```
    pub fn rk4() -> Self {
        Self::builtin(
            "rk4",
            vec![vec![], vec![0.5], vec![0.0, 0.5], vec![0.0, 0.0, 1.0]],
            vec![1.0 / 6.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 6.0],
            vec![0.0, 0.5, 0.5, 1.0],
            None,
            4,
            None,
        )
    }

    /// Kutta's 3/8 rule, order 4.
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
    /// let tab = ButcherTableau::rk38();
    /// assert_eq!((tab.order(), tab.stages(), tab.is_fsal(), tab.embedded_order()), (4, 4, false, None));
    /// // One step of y' = y has local error below h^(order + 1).
    /// let h: f64 = 0.1;
    /// assert!((step(&tab, h) - h.exp()).abs() < h.powi(tab.order() as i32 + 1));
    /// ```
    pub fn rk38() -> Self {
        Self::builtin(
            "rk38",
            vec![vec![], vec![1.0 / 3.0], vec![-1.0 / 3.0, 1.0], vec![1.0, -1.0, 1.0]],
            vec![1.0 / 8.0, 3.0 / 8.0, 3.0 / 8.0, 1.0 / 8.0],
            vec![0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0],
            None,
            4,
            None,
        )
    }

    /// Bogacki–Shampine 3(2) pair (FSAL, four stages): order 3 propagated,
    /// order 2 embedded.
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
    /// let tab = ButcherTableau::bosh3();
    /// assert_eq!((tab.order(), tab.stages(), tab.is_fsal(), tab.embedded_order()), (3, 4, true, Some(2)));
    /// // One step of y' = y has local error below h^(order + 1).
    /// let h: f64 = 0.1;
    /// assert!((step(&tab, h) - h.exp()).abs() < h.powi(tab.order() as i32 + 1));
    /// ```
    pub fn bosh3() -> Self {
        Self::builtin(
            "bosh3",
            vec![vec![], vec![1.0 / 2.0], vec![0.0, 3.0 / 4.0], vec![2.0 / 9.0, 1.0 / 3.0, 4.0 / 9.0]],
            vec![2.0 / 9.0, 1.0 / 3.0, 4.0 / 9.0, 0.0],
            vec![0.0, 1.0 / 2.0, 3.0 / 4.0, 1.0],
            Some(vec![7.0 / 24.0, 1.0 / 4.0, 1.0 / 3.0, 1.0 / 8.0]),
            3,
            Some(2),
        )
    }

    /// Fehlberg's RK1(2) pair (three stages): the order-2 weights
    /// `[1/512, 255/256, 1/512]` are propagated and the order-1 weights
    /// `[1/256, 255/256, 0]` are embedded (as diffrax `Fehlberg2`). Not FSAL:
    /// the last row of `a` equals the *embedded* weights.
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
    /// let tab = ButcherTableau::fehlberg2();
    /// assert_eq!((tab.order(), tab.stages(), tab.is_fsal(), tab.embedded_order()), (2, 3, false, Some(1)));
    /// // One step of y' = y has local error below h^(order + 1).
    /// let h: f64 = 0.1;
    /// assert!((step(&tab, h) - h.exp()).abs() < h.powi(tab.order() as i32 + 1));
    /// ```
    pub fn fehlberg2() -> Self {
        Self::builtin(
            "fehlberg2",
            vec![vec![], vec![1.0 / 2.0], vec![1.0 / 256.0, 255.0 / 256.0]],
            vec![1.0 / 512.0, 255.0 / 256.0, 1.0 / 512.0],
            vec![0.0, 1.0 / 2.0, 1.0],
            Some(vec![1.0 / 256.0, 255.0 / 256.0, 0.0]),
            2,
            Some(1),
        )
    }

    /// Dormand–Prince 5(4) (FSAL, seven stages): order 5 propagated, order 4
    /// embedded, with Shampine's fourth-order continuous extension.
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
    /// let tab = ButcherTableau::dopri5();
    /// assert_eq!((tab.order(), tab.stages(), tab.is_fsal(), tab.embedded_order()), (5, 7, true, Some(4)));
    /// // One step of y' = y has local error below h^(order + 1).
    /// let h: f64 = 0.1;
    /// assert!((step(&tab, h) - h.exp()).abs() < h.powi(tab.order() as i32 + 1));
    /// ```
    pub fn dopri5() -> Self {
        let b = vec![35.0 / 384.0, 0.0, 500.0 / 1113.0, 125.0 / 192.0, -2187.0 / 6784.0, 11.0 / 84.0, 0.0];
        let mut t = Self::builtin(
            "dopri5",
            vec![
                vec![],
                vec![1.0 / 5.0],
                vec![3.0 / 40.0, 9.0 / 40.0],
                vec![44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0],
                vec![19372.0 / 6561.0, -25360.0 / 2187.0, 64448.0 / 6561.0, -212.0 / 729.0],
                vec![9017.0 / 3168.0, -355.0 / 33.0, 46732.0 / 5247.0, 49.0 / 176.0, -5103.0 / 18656.0],
                b[..6].to_vec(),
            ],
            b.clone(),
            vec![0.0, 1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0, 1.0, 1.0],
            Some(vec![
                5179.0 / 57600.0,
                0.0,
                7571.0 / 16695.0,
                393.0 / 640.0,
                -92097.0 / 339200.0,
                187.0 / 2100.0,
                1.0 / 40.0,
            ]),
            5,
            Some(4),
        );
        // Shampine (1986) dense output as in Hairer's DOPRI5 (CONTD5):
        //   y(θ) = y0 + θ(r2 + (1−θ)(r3 + θ(r4 + (1−θ) r5)))
        // with r2 = hΣb_i k_i, r3 = h k_1 − r2, r4 = r2 − h k_7 − r3 and
        // r5 = h Σ d_i k_i. Expanded in powers of θ this gives, per stage,
        //   θ:  e1,  θ²: 3b − 2e1 − e7 + d,  θ³: e1 + e7 − 2b − 2d,  θ⁴: d,
        // where e1, e7 select stages 1 and 7.
        let d = [
            -12715105075.0 / 11282082432.0,
            0.0,
            87487479700.0 / 32700410799.0,
            -10690763975.0 / 1880347072.0,
            701980252875.0 / 199316789632.0,
            -1453857185.0 / 822651844.0,
            69997945.0 / 29380423.0,
        ];
        let poly = (0..7)
            .map(|i| {
                let e1 = if i == 0 { 1.0 } else { 0.0 };
                let e7 = if i == 6 { 1.0 } else { 0.0 };
                vec![e1, 3.0 * b[i] - 2.0 * e1 - e7 + d[i], e1 + e7 - 2.0 * b[i] - 2.0 * d[i], d[i]]
            })
            .collect();
        t.dense = Some(DenseOutput::Polynomial(poly));
        t
    }

    /// Tsitouras 5(4) (FSAL, seven stages): order 5 propagated, order 4
    /// embedded.
    #[allow(clippy::excessive_precision)]
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
    /// let tab = ButcherTableau::tsit5();
    /// assert_eq!((tab.order(), tab.stages(), tab.is_fsal(), tab.embedded_order()), (5, 7, true, Some(4)));
    /// // One step of y' = y has local error below h^(order + 1).
    /// let h: f64 = 0.1;
    /// assert!((step(&tab, h) - h.exp()).abs() < h.powi(tab.order() as i32 + 1));
    /// ```
    pub fn tsit5() -> Self {
        let b = vec![
            0.09646076681806523,
            0.01,
            0.4798896504144996,
            1.379008574103742,
            -3.290069515436081,
            2.324710524099774,
            0.0,
        ];
        // b̃ = b̂ − b as tabulated in OrdinaryDiffEq.jl (btilde).
        let b_tilde = [
            -0.00178001105222577714,
            -0.0008164344596567469,
            0.007880878010261995,
            -0.1447110071732629,
            0.5823571654525552,
            -0.45808210592918697,
            1.0 / 66.0,
        ];
        let b_hat = b.iter().zip(&b_tilde).map(|(b, bt)| b + bt).collect();
        Self::builtin(
            "tsit5",
            vec![
                vec![],
                vec![0.161],
                vec![-0.008480655492356989, 0.335480655492357],
                vec![2.8971530571054935, -6.359448489975075, 4.3622954328695815],
                vec![5.325864828439257, -11.748883564062828, 7.4955393428898365, -0.09249506636175525],
                vec![
                    5.86145544294642,
                    -12.92096931784711,
                    8.159367898576159,
                    -0.071584973281401,
                    -0.028269050394068383,
                ],
                b[..6].to_vec(),
            ],
            b.clone(),
            vec![0.0, 0.161, 0.327, 0.9, 0.9800255409045097, 1.0, 1.0],
            Some(b_hat),
            5,
            Some(4),
        )
    }

    /// Dormand–Prince 8(5,3), Hairer's "DOP853" (12 stages): order 8
    /// propagated, with the order-5 embedded weights `b̂ = b − E5`. Not FSAL
    /// in this 12-stage form (`f(t_{n+1}, y_{n+1})` is not a stage).
    // Literals are copied verbatim from DOP853, beyond f64 precision.
    #[allow(clippy::excessive_precision)]
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
    /// let tab = ButcherTableau::dopri8();
    /// assert_eq!((tab.order(), tab.stages(), tab.is_fsal(), tab.embedded_order()), (8, 12, false, Some(5)));
    /// // One step of y' = y has local error below h^(order + 1).
    /// let h: f64 = 0.1;
    /// assert!((step(&tab, h) - h.exp()).abs() < h.powi(tab.order() as i32 + 1));
    /// ```
    pub fn dopri8() -> Self {
        let c = vec![
            0.0,
            0.526001519587677318785587544488e-01,
            0.789002279381515978178381316732e-01,
            0.118350341907227396726757197510,
            0.281649658092772603273242802490,
            0.333333333333333333333333333333,
            0.25,
            0.307692307692307692307692307692,
            0.651282051282051282051282051282,
            0.6,
            0.857142857142857142857142857142,
            1.0,
        ];
        let a = vec![
            vec![],
            vec![5.26001519587677318785587544488e-2],
            vec![1.97250569845378994544595329183e-2, 5.91751709536136983633785987549e-2],
            vec![2.95875854768068491816892993775e-2, 0.0, 8.87627564304205475450678981324e-2],
            vec![
                2.41365134159266685502369798665e-1,
                0.0,
                -8.84549479328286085344864962717e-1,
                9.24834003261792003115737966543e-1,
            ],
            vec![
                3.7037037037037037037037037037e-2,
                0.0,
                0.0,
                1.70828608729473871279604482173e-1,
                1.25467687566822425016691814123e-1,
            ],
            vec![
                3.7109375e-2,
                0.0,
                0.0,
                1.70252211019544039314978060272e-1,
                6.02165389804559606850219397283e-2,
                -1.7578125e-2,
            ],
            vec![
                3.70920001185047927108779319836e-2,
                0.0,
                0.0,
                1.70383925712239993810214054705e-1,
                1.07262030446373284651809199168e-1,
                -1.53194377486244017527936158236e-2,
                8.27378916381402288758473766002e-3,
            ],
            vec![
                6.24110958716075717114429577812e-1,
                0.0,
                0.0,
                -3.36089262944694129406857109825,
                -8.68219346841726006818189891453e-1,
                2.75920996994467083049415600797e1,
                2.01540675504778934086186788979e1,
                -4.34898841810699588477366255144e1,
            ],
            vec![
                4.77662536438264365890433908527e-1,
                0.0,
                0.0,
                -2.48811461997166764192642586468,
                -5.90290826836842996371446475743e-1,
                2.12300514481811942347288949897e1,
                1.52792336328824235832596922938e1,
                -3.32882109689848629194453265587e1,
                -2.03312017085086261358222928593e-2,
            ],
            vec![
                -9.3714243008598732571704021658e-1,
                0.0,
                0.0,
                5.18637242884406370830023853209,
                1.09143734899672957818500254654,
                -8.14978701074692612513997267357,
                -1.85200656599969598641566180701e1,
                2.27394870993505042818970056734e1,
                2.49360555267965238987089396762,
                -3.0467644718982195003823669022,
            ],
            vec![
                2.27331014751653820792359768449,
                0.0,
                0.0,
                -1.05344954667372501984066689879e1,
                -2.00087205822486249909675718444,
                -1.79589318631187989172765950534e1,
                2.79488845294199600508499808837e1,
                -2.85899827713502369474065508674,
                -8.87285693353062954433549289258,
                1.23605671757943030647266201528e1,
                6.43392746015763530355970484046e-1,
            ],
        ];
        let b = vec![
            5.42937341165687622380535766363e-2,
            0.0,
            0.0,
            0.0,
            0.0,
            4.45031289275240888144113950566,
            1.89151789931450038304281599044,
            -5.8012039600105847814672114227,
            3.1116436695781989440891606237e-1,
            -1.52160949662516078556178806805e-1,
            2.01365400804030348374776537501e-1,
            4.47106157277725905176885569043e-2,
        ];
        // E5 = b − b̂ (DOP853 er1, er6..er12).
        let e5 = [
            0.1312004499419488073250102996e-01,
            0.0,
            0.0,
            0.0,
            0.0,
            -0.1225156446376204440720569753e+01,
            -0.4957589496572501915214079952e+00,
            0.1664377182454986536961530415e+01,
            -0.3503288487499736816886487290e+00,
            0.3341791187130174790297318841e+00,
            0.8192320648511571246570742613e-01,
            -0.2235530786388629525884427845e-01,
        ];
        let b_hat = b.iter().zip(&e5).map(|(b, e)| b - e).collect();
        Self::builtin("dopri8", a, b, c, Some(b_hat), 8, Some(5))
    }
}

/// All built-in tableaus, in the order of [`NAMES`]: `euler`, `midpoint`,
/// `heun`, `rk4`, `rk38`, `bosh3`, `fehlberg2`, `dopri5`, `tsit5`, `dopri8`.
///
/// # Example
/// ```
/// use caputo::ode::tableau::{registry, NAMES};
/// let reg = registry();
/// assert!(reg.iter().map(|t| t.name()).eq(NAMES));
/// // The adaptive-capable ones are those with embedded weights.
/// let adaptive: Vec<_> = reg.iter().filter(|t| t.b_embedded().is_some()).map(|t| t.name()).collect();
/// assert_eq!(adaptive, ["heun", "bosh3", "fehlberg2", "dopri5", "tsit5", "dopri8"]);
/// ```
pub fn registry() -> Vec<ButcherTableau> {
    vec![
        ButcherTableau::euler(),
        ButcherTableau::midpoint(),
        ButcherTableau::heun(),
        ButcherTableau::rk4(),
        ButcherTableau::rk38(),
        ButcherTableau::bosh3(),
        ButcherTableau::fehlberg2(),
        ButcherTableau::dopri5(),
        ButcherTableau::tsit5(),
        ButcherTableau::dopri8(),
    ]
}

/// Looks up a built-in tableau by name (ASCII case-insensitive; see [`NAMES`]).
///
/// # Errors
/// [`Error::UnknownScheme`] listing the known names.
///
/// # Example
/// ```
/// use caputo::ode::tableau::by_name;
/// assert_eq!(by_name("DoPri5").unwrap().order(), 5);
/// assert!(matches!(by_name("abm"), Err(caputo::Error::UnknownScheme { .. })));
/// ```
pub fn by_name(name: &str) -> Result<ButcherTableau, Error> {
    let tableau = match name.to_ascii_lowercase().as_str() {
        "euler" => ButcherTableau::euler(),
        "midpoint" => ButcherTableau::midpoint(),
        "heun" => ButcherTableau::heun(),
        "rk4" => ButcherTableau::rk4(),
        "rk38" => ButcherTableau::rk38(),
        "bosh3" => ButcherTableau::bosh3(),
        "fehlberg2" => ButcherTableau::fehlberg2(),
        "dopri5" => ButcherTableau::dopri5(),
        "tsit5" => ButcherTableau::tsit5(),
        "dopri8" => ButcherTableau::dopri8(),
        _ => {
            return Err(Error::UnknownScheme {
                name: name.to_string(),
                known: NAMES.iter().map(|s| s.to_string()).collect(),
            });
        }
    };
    Ok(tableau)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One explicit RK step for a scalar ODE using weights `w`.
    fn rk_step(
        t: &ButcherTableau,
        w: &[f64],
        f: &dyn Fn(f64, f64) -> f64,
        t0: f64,
        y0: f64,
        h: f64,
    ) -> (f64, Vec<f64>) {
        let mut k: Vec<f64> = Vec::with_capacity(t.stages());
        for (row, &ci) in t.a().iter().zip(t.c()) {
            let yi = y0 + h * row.iter().zip(&k).map(|(a, k)| a * k).sum::<f64>();
            k.push(f(t0 + ci * h, yi));
        }
        let y1 = y0 + h * w.iter().zip(&k).map(|(w, k)| w * k).sum::<f64>();
        (y1, k)
    }

    /// A scalar test problem `y' = f(t, y)`, `y(0) = 1` on `[0, t_end]`.
    struct Problem {
        f: fn(f64, f64) -> f64,
        t_end: f64,
        exact: f64,
    }

    /// `y' = t y`, exact `y = exp(t²/2)`, on `[0, 2]`.
    fn problem_ty() -> Problem {
        Problem { f: |t, y| t * y, t_end: 2.0, exact: 2f64.exp() }
    }

    /// `y' = y cos t`, exact `y = exp(sin t)`, on `[0, 2]`.
    fn problem_ycos() -> Problem {
        Problem { f: |t, y| y * t.cos(), t_end: 2.0, exact: 2f64.sin().exp() }
    }

    /// Final error with `n` fixed steps.
    fn final_error(t: &ButcherTableau, w: &[f64], p: &Problem, n: usize) -> f64 {
        let h = p.t_end / n as f64;
        let mut y = 1.0;
        for i in 0..n {
            y = rk_step(t, w, &p.f, i as f64 * h, y, h).0;
        }
        (y - p.exact).abs()
    }

    /// Least-squares slope of log(err) against log(h) for `N = 2^k`,
    /// `k_min ≤ k ≤ 18`, using only errors in `[1e-13, 1e-2]` (and stopping at
    /// the first error below `1e-13`, where round-off takes over).
    fn observed_order(t: &ButcherTableau, w: &[f64], p: &Problem, k_min: u32) -> (f64, Vec<(usize, f64)>) {
        let mut pts = Vec::new();
        let mut all = Vec::new();
        for k in k_min..=18 {
            let n = 1usize << k;
            let e = final_error(t, w, p, n);
            all.push((n, e));
            if e < 1e-13 {
                break;
            }
            if e <= 1e-2 {
                pts.push(((p.t_end / n as f64).ln(), e.ln()));
            }
        }
        assert!(pts.len() >= 3, "{}: too few points in window: {all:?}", t.name());
        let m = pts.len() as f64;
        let mx = pts.iter().map(|p| p.0).sum::<f64>() / m;
        let my = pts.iter().map(|p| p.1).sum::<f64>() / m;
        let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        let sxx: f64 = pts.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
        (sxy / sxx, all)
    }

    /// All rooted trees up to `max_order`, each as (order, children indices);
    /// children precede their parents.
    fn rooted_trees(max_order: usize) -> Vec<(usize, Vec<usize>)> {
        // Multisets of trees (non-increasing indices, each ≤ `max_idx`) with
        // total order `remaining`.
        fn forests(
            trees: &[(usize, Vec<usize>)],
            remaining: usize,
            max_idx: usize,
            out: &mut Vec<Vec<usize>>,
            cur: &mut Vec<usize>,
        ) {
            if remaining == 0 {
                out.push(cur.clone());
                return;
            }
            for idx in (0..=max_idx).rev() {
                let ord = trees[idx].0;
                if ord <= remaining {
                    cur.push(idx);
                    forests(trees, remaining - ord, idx, out, cur);
                    cur.pop();
                }
            }
        }
        let mut trees: Vec<(usize, Vec<usize>)> = vec![(1, vec![])];
        for n in 2..=max_order {
            let mut out = Vec::new();
            let last = trees.len() - 1;
            forests(&trees, n - 1, last, &mut out, &mut Vec::new());
            trees.extend(out.into_iter().map(|ch| (n, ch)));
        }
        trees
    }

    /// Largest order-condition residual among trees of each order 1..=max_order.
    fn max_residual_per_order(t: &ButcherTableau, w: &[f64], max_order: usize) -> Vec<f64> {
        let s = t.stages();
        let trees = rooted_trees(max_order);
        let mut g: Vec<Vec<f64>> = Vec::with_capacity(trees.len());
        let mut gamma: Vec<f64> = Vec::with_capacity(trees.len());
        let mut worst = vec![0.0f64; max_order];
        for (ord, children) in &trees {
            let mut gi = vec![1.0; s];
            let mut gam = *ord as f64;
            for &ch in children {
                for (i, gii) in gi.iter_mut().enumerate() {
                    *gii *= t.a()[i].iter().zip(&g[ch]).map(|(a, x)| a * x).sum::<f64>();
                }
                gam *= gamma[ch];
            }
            let phi: f64 = w.iter().zip(&gi).map(|(w, x)| w * x).sum();
            let r = (phi - 1.0 / gam).abs();
            worst[ord - 1] = worst[ord - 1].max(r);
            g.push(gi);
            gamma.push(gam);
        }
        worst
    }

    #[test]
    fn tree_counts() {
        let trees = rooted_trees(9);
        let counts: Vec<usize> = (1..=9).map(|n| trees.iter().filter(|t| t.0 == n).count()).collect();
        assert_eq!(counts, vec![1, 1, 2, 4, 9, 20, 48, 115, 286]);
    }

    #[test]
    fn registry_tableaus_are_valid() {
        let reg = registry();
        assert_eq!(reg.len(), 10);
        let names: Vec<&str> = reg.iter().map(|t| t.name()).collect();
        assert_eq!(names, NAMES.to_vec());
        for t in &reg {
            let again = ButcherTableau::try_new(
                t.name(),
                t.a().to_vec(),
                t.b().to_vec(),
                t.c().to_vec(),
                t.b_embedded().map(<[f64]>::to_vec),
                t.order(),
                t.embedded_order(),
            )
            .unwrap();
            assert_eq!(again.is_fsal(), t.is_fsal());
            assert_eq!(by_name(t.name()).unwrap(), *t);
        }
        let fsal: Vec<&str> = reg.iter().filter(|t| t.is_fsal()).map(|t| t.name()).collect();
        assert_eq!(fsal, vec!["bosh3", "dopri5", "tsit5"]);
        let stages: Vec<usize> = reg.iter().map(|t| t.stages()).collect();
        assert_eq!(stages, vec![1, 2, 2, 4, 4, 4, 3, 7, 7, 12]);
    }

    #[test]
    fn by_name_unknown_and_case() {
        assert_eq!(by_name("DOPRI5").unwrap().name(), "dopri5");
        match by_name("rk45") {
            Err(Error::UnknownScheme { name, known }) => {
                assert_eq!(name, "rk45");
                assert_eq!(known.len(), 10);
                assert!(known.contains(&"tsit5".to_string()));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn exact_order_conditions_via_rooted_trees() {
        for t in registry() {
            let p = t.order() as usize;
            let res = max_residual_per_order(&t, t.b(), p + 1);
            for (k, r) in res.iter().take(p).enumerate() {
                assert!(*r < 1e-12, "{}: order-{} residual {r:e}", t.name(), k + 1);
            }
            assert!(res[p] > 1e-6, "{}: also satisfies order {}", t.name(), p + 1);
            if let (Some(bh), Some(q)) = (t.b_embedded(), t.embedded_order()) {
                let q = q as usize;
                let res = max_residual_per_order(&t, bh, q + 1);
                for (k, r) in res.iter().take(q).enumerate() {
                    assert!(*r < 1e-12, "{} (embedded): order-{} residual {r:e}", t.name(), k + 1);
                }
                assert!(res[q] > 1e-6, "{} (embedded): also satisfies order {}", t.name(), q + 1);
            }
            let res: Vec<String> = res.iter().map(|r| format!("{r:.1e}")).collect();
            println!("{}: max residual per order 1..={}: {res:?}", t.name(), p + 1);
        }
    }

    fn broken(a: Vec<Vec<f64>>, b: Vec<f64>, c: Vec<f64>, order: u32) -> Error {
        ButcherTableau::try_new("broken", a, b, c, None, order, None).unwrap_err()
    }

    fn assert_invalid(e: Error, needle: &str) {
        match &e {
            Error::InvalidTableau { name, reason } => {
                assert_eq!(name, "broken");
                assert!(reason.contains(needle), "reason {reason:?} lacks {needle:?}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn broken_tableaus_are_rejected() {
        let rk4 = ButcherTableau::rk4();
        let (a, b, c) = (rk4.a().to_vec(), rk4.b().to_vec(), rk4.c().to_vec());
        // Row sum wrong.
        let mut a1 = a.clone();
        a1[2][1] = 0.4;
        assert_invalid(broken(a1, b.clone(), c.clone(), 4), "row 2 of a sums");
        // Σ b ≠ 1.
        let mut b1 = b.clone();
        b1[0] = 0.2;
        assert_invalid(broken(a.clone(), b1, c.clone(), 4), "sum to");
        // Wrong row length.
        let mut a2 = a.clone();
        a2[3].push(0.0);
        assert_invalid(broken(a2, b.clone(), c.clone(), 4), "row 3 of a has 4 entries");
        // Mismatched len(c).
        assert_invalid(broken(a.clone(), b.clone(), c[..3].to_vec(), 4), "len(c)");
        // Non-finite.
        let mut a3 = a.clone();
        a3[1][0] = f64::NAN;
        assert_invalid(broken(a3, b.clone(), c.clone(), 4), "finite");
        // Order 0.
        assert_invalid(broken(a.clone(), b.clone(), c.clone(), 0), "order must be");
        // Typo that keeps Σb = 1 and row sums but breaks the order conditions.
        let b2 = vec![1.0 / 6.0, 1.0 / 3.0 + 0.01, 1.0 / 3.0 - 0.01, 1.0 / 6.0];
        assert_invalid(broken(a.clone(), b2, c.clone(), 4), "Σ b_i a_ij c_j = 1/6");
        // Claimed order too high.
        let mid = ButcherTableau::midpoint();
        assert_invalid(broken(mid.a().to_vec(), mid.b().to_vec(), mid.c().to_vec(), 3), "order-3 condition");
        // Embedded weights with wrong sum / wrong order / missing order.
        let e = ButcherTableau::try_new(
            "broken",
            a.clone(),
            b.clone(),
            c.clone(),
            Some(vec![0.5, 0.5, 0.5, 0.5]),
            4,
            Some(3),
        )
        .unwrap_err();
        assert_invalid(e, "weights b̂ sum to");
        let e = ButcherTableau::try_new(
            "broken",
            a.clone(),
            b.clone(),
            c.clone(),
            Some(vec![1.0, 0.0, 0.0, 0.0]),
            4,
            Some(2),
        )
        .unwrap_err();
        assert_invalid(e, "violated by weights b̂");
        let e = ButcherTableau::try_new("broken", a, b, c, Some(vec![1.0, 0.0, 0.0, 0.0]), 4, None).unwrap_err();
        assert_invalid(e, "without embedded_order");
        // Dopri5 with a single-digit typo in a65.
        let d = ButcherTableau::dopri5();
        let mut a4 = d.a().to_vec();
        a4[5][4] = -5103.0 / 18665.0;
        assert!(ButcherTableau::try_new("broken", a4, d.b().to_vec(), d.c().to_vec(), None, 5, None).is_err());
    }

    /// Observed global order of every propagated and embedded solution.
    ///
    /// Fixed-step observed orders are only meaningful in the asymptotic
    /// regime, which for highly optimised pairs (tiny leading error constants)
    /// can lie below the round-off floor on some problems. `y' = t y` on
    /// `[0, 2]` with `N ≥ 8` is asymptotic for all schemes except DOP853's
    /// 8th-order solution, which is checked on `y' = y cos t` on `[0, 2]` with
    /// large steps `N = 2..16`. (The exact order conditions are checked
    /// separately by `exact_order_conditions_via_rooted_trees`.)
    #[test]
    fn convergence_orders() {
        for t in registry() {
            let mut sets = vec![("b", t.b().to_vec(), t.order())];
            if let (Some(bh), Some(q)) = (t.b_embedded(), t.embedded_order()) {
                sets.push(("b̂", bh.to_vec(), q));
            }
            for (label, w, order) in sets {
                let (p, k_min) =
                    if t.name() == "dopri8" && label == "b" { (problem_ycos(), 1) } else { (problem_ty(), 3) };
                let (slope, all) = observed_order(&t, &w, &p, k_min);
                println!("{:10} {label:2} order {order} observed {slope:.3}", t.name());
                assert!(
                    (slope - f64::from(order)).abs() < 0.25,
                    "{} ({label}): observed order {slope} vs {order}; errors {all:?}",
                    t.name()
                );
            }
        }
    }

    #[test]
    fn dopri5_dense_output() {
        let t = ButcherTableau::dopri5();
        assert!(matches!(t.dense(), Some(DenseOutput::Polynomial(_))));
        let w1 = t.interpolation_weights(1.0).unwrap();
        for (w, b) in w1.iter().zip(t.b()) {
            assert!((w - b).abs() < 1e-14, "{w} vs {b}");
        }
        assert!(t.interpolation_weights(0.0).unwrap().iter().all(|&w| w == 0.0));
        // Weights of a consistent interpolant sum to θ.
        let s: f64 = t.interpolation_weights(0.3).unwrap().iter().sum();
        assert!((s - 0.3).abs() < 1e-14);
        // y' = y, y(0) = 1, one step h = 0.1, evaluate at θ = 0.37.
        let h = 0.1;
        let (_, k) = rk_step(&t, t.b(), &|_, y| y, 0.0, 1.0, h);
        let theta = 0.37;
        let w = t.interpolation_weights(theta).unwrap();
        let y = 1.0 + h * w.iter().zip(&k).map(|(w, k)| w * k).sum::<f64>();
        let err = (y - (theta * h).exp()).abs();
        println!("dopri5 dense output error at θ = 0.37: {err:e}");
        assert!(err < 1e-8, "dense output error {err}");
        // Others have no dedicated extension.
        for t in registry().iter().filter(|t| t.name() != "dopri5") {
            assert_eq!(t.dense(), Some(&DenseOutput::Hermite));
            assert!(t.interpolation_weights(0.5).is_none());
        }
    }

    #[test]
    fn error_weights_are_differences() {
        let t = ButcherTableau::dopri5();
        let e = t.error_weights().unwrap();
        let expected =
            [71.0 / 57600.0, 0.0, -71.0 / 16695.0, 71.0 / 1920.0, -17253.0 / 339200.0, 22.0 / 525.0, -1.0 / 40.0];
        for (x, y) in e.iter().zip(&expected) {
            assert!((x - y).abs() < 1e-15);
        }
        assert!(ButcherTableau::rk4().error_weights().is_none());
    }
}
