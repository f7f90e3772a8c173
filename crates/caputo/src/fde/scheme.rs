//! The fractional schemes and their registry.
//!
//! Every scheme reduces to one of two discretisations that share one engine each:
//!
//! * **Volterra form** ([`super::volterra`]): `y_n = y0 + Σ_{j<n} B(n,j) f_j` (predictor),
//!   optionally corrected `K` times: `y_n ← y0 + A(n,n) f(t_n, y_n) + Σ_{j<n} A(n,j) f_j`
//!   — [`Scheme::Predictor`], [`Scheme::Abm`];
//! * **derivative form** ([`super::derivative`]): `Σ_{j≤n} d(n,j) (y_j − s·y0) = σ g_n` with
//!   `s = 1` (Caputo) or `0` (Riemann–Liouville) and `g_n = f(t_{n−1}, y_{n−1})` (lagged, as
//!   torchfde) or `f(t_n, y_n)` (new point, `K` fixed-point iterations from the lagged value)
//!   — [`Scheme::L1`], [`Scheme::Gl`], [`Scheme::Trapezoid`], [`Scheme::MultiTerm`].

use super::kernel::Kernel;
use crate::error::{Error, Result};
use crate::special::Real;

/// Caputo (`y − y0` is differentiated) or Riemann–Liouville (`y` itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Form {
    /// Caputo: constants are annihilated; the model of the paper.
    Caputo,
    /// Riemann–Liouville: kept to reproduce torchfde's `gl`/`trap`; with `y0 ≠ 0` it solves a
    /// different problem than the Caputo model.
    RiemannLiouville,
}

/// A fractional scheme on a uniform grid. See each variant's module for formula, order, cost
/// and references. Serialised by lower-case variant name (`"predictor"`,
/// `{"abm": {"corrector_iters": 1}}`, …).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// Fractional forward Euler / product rectangle ([`super::predictor`]). Order 1.
    Predictor,
    /// Adams–Bashforth–Moulton predictor–corrector ([`super::abm`]). Order `min(2, 1+α)`.
    Abm {
        /// Corrector iterations (1 = PECE).
        corrector_iters: usize,
    },
    /// L1 ([`super::l1`]): lagged `f` (order 1) or new-point `f` (order `2−α`).
    L1 {
        /// `None`: `f(t_{n−1}, y_{n−1})` (torchfde); `Some(K)`: `K` fixed-point iterations at
        /// the new point.
        new_point: Option<usize>,
    },
    /// Grünwald–Letnikov ([`super::gl`]). Order 1.
    Gl {
        /// Caputo (applied to `y − y0`) or Riemann–Liouville (torchfde's `gl`).
        form: Form,
        /// As for [`Scheme::L1`].
        new_point: Option<usize>,
    },
    /// Product trapezoid / finite-part rule ([`super::trapezoid`]): lagged order 1, new-point
    /// order `2−α`.
    Trapezoid {
        /// Caputo or Riemann–Liouville (torchfde's `trap`).
        form: Form,
        /// As for [`Scheme::L1`].
        new_point: Option<usize>,
    },
    /// Multi-term `Σ_k c_k D^{α_k} y = f` by Grünwald–Letnikov ([`super::multiterm`]).
    MultiTerm {
        /// Orders `α_k ∈ (0, 1]`.
        orders: Vec<f64>,
        /// Coefficients `c_k`.
        coeffs: Vec<f64>,
        /// Caputo or Riemann–Liouville.
        form: Form,
    },
}

/// What a scheme reduces to on a given grid (weights in the scalar `R`).
pub(crate) enum Discretisation<R> {
    Volterra { b: Kernel<R>, a: Option<Kernel<R>>, iters: usize, alpha: R },
    Derivative { d: Kernel<R>, sigma: R, caputo: bool, new_point: Option<usize> },
}

/// Fixed-point iterations the `-implicit` registry entries use: each one gains a factor
/// `O(h^α)`, so three reach the operator's order `2−α` for every `α ≥ 0.3` (`1+3α ≥ 2−α`).
pub const NEW_POINT_ITERS: usize = 3;

/// A registry entry: a name, the scheme, its order of convergence for smooth `D^α y`.
pub struct Entry {
    /// CLI name.
    pub name: &'static str,
    /// The scheme (multi-term entries get their orders from `alpha`, see [`registry`]).
    pub scheme: Scheme,
    /// Order as a function of α.
    pub order: fn(f64) -> f64,
    /// `true` for Riemann–Liouville forms (they solve the RL problem).
    pub riemann_liouville: bool,
}

/// Every scheme, as the CLI names it; every generic test iterates this list. The multi-term
/// entry is `D^α y + ½ D^{α/2} y = f` with orders taken from the solve's `alpha`.
///
/// # Example
/// ```
/// use caputo::fde::scheme::{registry, Scheme};
/// let reg = registry();
/// let abm = reg.iter().find(|e| e.name == "abm").unwrap();
/// assert_eq!(abm.scheme, Scheme::Abm { corrector_iters: 1 });
/// assert_eq!((abm.order)(0.5), 1.5); // min(2, 1 + α)
/// // Exactly the Riemann–Liouville entries say so.
/// assert!(reg.iter().all(|e| e.riemann_liouville == e.scheme.is_riemann_liouville()));
/// ```
pub fn registry() -> Vec<Entry> {
    use Form::*;
    let np = Some(NEW_POINT_ITERS);
    vec![
        Entry { name: "predictor", scheme: Scheme::Predictor, order: |_| 1.0, riemann_liouville: false },
        Entry {
            name: "abm",
            scheme: Scheme::Abm { corrector_iters: 1 },
            order: |a| (1.0 + a).min(2.0),
            riemann_liouville: false,
        },
        Entry { name: "l1", scheme: Scheme::L1 { new_point: None }, order: |_| 1.0, riemann_liouville: false },
        Entry {
            name: "l1-implicit",
            scheme: Scheme::L1 { new_point: np },
            order: |a| 2.0 - a,
            riemann_liouville: false,
        },
        Entry {
            name: "gl",
            scheme: Scheme::Gl { form: Caputo, new_point: None },
            order: |_| 1.0,
            riemann_liouville: false,
        },
        Entry {
            name: "gl-rl",
            scheme: Scheme::Gl { form: RiemannLiouville, new_point: None },
            order: |_| 1.0,
            riemann_liouville: true,
        },
        Entry {
            name: "trapezoid",
            scheme: Scheme::Trapezoid { form: Caputo, new_point: None },
            order: |_| 1.0,
            riemann_liouville: false,
        },
        Entry {
            name: "trapezoid-implicit",
            scheme: Scheme::Trapezoid { form: Caputo, new_point: np },
            order: |a| 2.0 - a,
            riemann_liouville: false,
        },
        Entry {
            name: "trapezoid-rl",
            scheme: Scheme::Trapezoid { form: RiemannLiouville, new_point: None },
            order: |_| 1.0,
            riemann_liouville: true,
        },
        Entry {
            name: "multiterm",
            scheme: Scheme::MultiTerm { orders: vec![], coeffs: vec![1.0, 0.5], form: Caputo },
            order: |_| 1.0,
            riemann_liouville: false,
        },
    ]
}

/// The registry's scheme for a CLI name, with `alpha` filled in for multi-term.
///
/// # Errors
/// [`Error::UnknownScheme`] (listing the known names) for a name not in [`registry`].
///
/// # Example
/// ```
/// use caputo::fde::scheme::{by_name, Form, Scheme};
/// assert_eq!(by_name("l1", 0.6).unwrap(), Scheme::L1 { new_point: None });
/// // The multi-term entry takes its orders (α, α/2) from `alpha`.
/// assert_eq!(
///     by_name("multiterm", 0.6).unwrap(),
///     Scheme::MultiTerm { orders: vec![0.6, 0.3], coeffs: vec![1.0, 0.5], form: Form::Caputo }
/// );
/// assert!(matches!(by_name("rk4", 0.6), Err(caputo::Error::UnknownScheme { .. })));
/// ```
pub fn by_name(name: &str, alpha: f64) -> Result<Scheme> {
    let e = registry().into_iter().find(|e| e.name == name).ok_or_else(|| Error::UnknownScheme {
        name: name.into(),
        known: registry().iter().map(|e| e.name.to_string()).collect(),
    })?;
    Ok(e.scheme.with_alpha(alpha))
}

impl Scheme {
    /// Fills in the registry's multi-term orders `(α, α/2)` when they are left empty.
    ///
    /// # Example
    /// ```
    /// use caputo::fde::scheme::{Form, Scheme};
    /// let s = Scheme::MultiTerm { orders: vec![], coeffs: vec![1.0, 0.5], form: Form::Caputo };
    /// assert_eq!(s.with_alpha(0.8).terms(0.8), vec![(1.0, 0.8), (0.5, 0.4)]);
    /// // Other schemes, and multi-term schemes with their orders set, are unchanged.
    /// assert_eq!(Scheme::Predictor.with_alpha(0.8), Scheme::Predictor);
    /// ```
    pub fn with_alpha(self, alpha: f64) -> Scheme {
        match self {
            Scheme::MultiTerm { orders, coeffs, form } if orders.is_empty() => {
                Scheme::MultiTerm { orders: vec![alpha, alpha / 2.0], coeffs, form }
            }
            s => s,
        }
    }

    /// The operator's terms `(c_k, α_k)`: `[(1, α)]` for single-term schemes.
    pub fn terms(&self, alpha: f64) -> Vec<(f64, f64)> {
        match self {
            Scheme::MultiTerm { orders, coeffs, .. } => coeffs.iter().copied().zip(orders.iter().copied()).collect(),
            _ => vec![(1.0, alpha)],
        }
    }

    /// `true` for the Riemann–Liouville forms.
    pub fn is_riemann_liouville(&self) -> bool {
        matches!(
            self,
            Scheme::Gl { form: Form::RiemannLiouville, .. }
                | Scheme::Trapezoid { form: Form::RiemannLiouville, .. }
                | Scheme::MultiTerm { form: Form::RiemannLiouville, .. }
        )
    }

    /// `true` for the schemes with a sum-of-exponentials (fast) history: predictor, ABM and L1
    /// (lagged and new point); see [`super::fast`].
    pub fn has_fast_history(&self) -> bool {
        matches!(self, Scheme::Predictor | Scheme::Abm { .. } | Scheme::L1 { .. })
    }

    /// `true` for the Volterra-form schemes (predictor, ABM), whose forward march can be
    /// replayed from snapshots of its compressed state.
    pub fn is_volterra(&self) -> bool {
        matches!(self, Scheme::Predictor | Scheme::Abm { .. })
    }

    /// Checks α and the scheme's own settings.
    pub fn validate(&self, alpha: f64) -> Result<()> {
        let check = |a: f64| {
            if a.is_finite() && a > 0.0 && a <= 1.0 {
                Ok(())
            } else {
                Err(Error::InvalidOrder { alpha: a, reason: "the Caputo schemes need 0 < alpha <= 1".into() })
            }
        };
        match self {
            Scheme::MultiTerm { orders, coeffs, .. } => {
                if orders.is_empty() || orders.len() != coeffs.len() {
                    return Err(Error::DimensionMismatch {
                        what: "multi-term orders and coefficients".into(),
                        expected: format!("{} coefficient(s), at least one", orders.len()),
                        found: coeffs.len().to_string(),
                    });
                }
                for a in orders {
                    check(*a)?;
                }
                if let Some(c) = coeffs.iter().find(|c| !c.is_finite()) {
                    return Err(Error::InvalidParameter {
                        name: "multi-term coefficient".into(),
                        value: c.to_string(),
                        reason: "must be finite".into(),
                    });
                }
                Ok(())
            }
            Scheme::Abm { corrector_iters: 0 } => Err(Error::InvalidParameter {
                name: "corrector_iters".into(),
                value: "0".into(),
                reason: "ABM needs at least one corrector iteration (0 is the predictor scheme)".into(),
            }),
            Scheme::L1 { new_point: Some(0) }
            | Scheme::Gl { new_point: Some(0), .. }
            | Scheme::Trapezoid { new_point: Some(0), .. } => Err(Error::InvalidParameter {
                name: "new-point iterations".into(),
                value: "0".into(),
                reason: "need at least one (or use the lagged form)".into(),
            }),
            _ => check(alpha),
        }
    }

    /// The discretisation on `n_steps` steps of size `h`, with weights in `R`.
    pub(crate) fn discretise<R: Real>(&self, alpha: R, h: R, n_steps: usize) -> Discretisation<R> {
        match self {
            Scheme::Predictor => super::predictor::discretise(alpha, h, n_steps),
            Scheme::Abm { corrector_iters } => super::abm::discretise(alpha, h, n_steps, *corrector_iters),
            Scheme::L1 { new_point } => super::l1::discretise(alpha, h, n_steps, *new_point),
            Scheme::Gl { form, new_point } => super::gl::discretise(alpha, h, n_steps, *form, *new_point),
            Scheme::Trapezoid { form, new_point } => super::trapezoid::discretise(alpha, h, n_steps, *form, *new_point),
            Scheme::MultiTerm { orders, coeffs, form } => {
                let terms: Vec<(R, R)> =
                    coeffs.iter().zip(orders).map(|(c, a)| (R::from_f64(*c), R::from_f64(*a))).collect();
                super::multiterm::discretise(&terms, h, n_steps, *form)
            }
        }
    }
}
