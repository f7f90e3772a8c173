//! The gradient methods, their registry, and the one table that says which method fits which
//! solve ([`Method::supports`]).
//!
//! Every entry point ([`super::ode_forward`], [`super::fde_forward`]) asks [`Method::supports`]
//! before it solves anything, the CLI asks it to reject a combination before training starts,
//! and the gradient matrix test (`tests/gradient_matrix.rs`) checks every
//! `Method::all() × scheme × history` pair against it: supported pairs give gradients equal to
//! `Direct`, the others the typed error promised here.
//!
//! One `Method` type for both solve kinds, not one per kind: the CLI, the benchmarks and the
//! applications iterate one registry across ODE and FDE solves and compare methods by name in
//! one table, and most methods (`Direct`, `Checkpointed`, `ContinuousAdjoint`) apply to both.
//! An unsupported pair is therefore a run-time [`Error::Unsupported`] naming the alternative,
//! raised before any work is done.

use crate::error::{Error, Result};
use crate::fde::{History, Scheme};

/// How to differentiate through a solve. Serialised by its CLI name ([`Method::name`]):
/// `"discrete-adjoint"`, `{"checkpointed": {"segments": 4}}`, ….
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Backpropagation through every step with Burn's autodiff.
    Direct,
    /// Store the state at `segments` boundaries; recompute each segment with autodiff in reverse
    /// (FDEs with dense or short history store every state, because a step reads the whole
    /// history; with fast history `segments` snapshots of the compressed state: see
    /// [`super::fde_checkpoint`]).
    Checkpointed {
        /// Number of segments (≥ 1).
        segments: usize,
    },
    /// The continuous adjoint equation solved backward (re-anchored to the stored forward
    /// state at each output time). Approximate. For FDEs: the Riemann–Liouville-type adjoint of
    /// the Caputo model on the forward grid ([`super::fde_continuous`]); it runs on that grid, so
    /// the tolerances apply to ODE solves only.
    ContinuousAdjoint {
        /// Relative tolerance of the adaptive backward solve (ODE solves).
        rtol: f64,
        /// Absolute tolerance of the adaptive backward solve (ODE solves).
        atol: f64,
    },
    /// The symplectic adjoint (Matsubara et al. 2021): the exact discrete adjoint of a
    /// Runge–Kutta step. ODE solves.
    SymplecticAdjoint,
    /// The exact discrete adjoint (transpose) of a fractional scheme; also `∂L/∂α`. FDE solves
    /// (for Runge–Kutta the exact discrete adjoint is [`Method::SymplecticAdjoint`]).
    DiscreteAdjoint,
    /// torchfde's adjoint (Kang et al. 2025 reference code): biased for α < 1
    /// ([`super::paper`]). Explicit single-term FDE schemes.
    PaperAdjoint,
}

/// What a gradient method is asked to differentiate: the facts of a solve that decide whether a
/// method applies.
#[derive(Debug, Clone, Copy)]
pub enum SolveKind<'a> {
    /// An explicit Runge–Kutta solve (fixed or adaptive grid).
    Ode,
    /// A fractional solve with this scheme and history.
    Fde {
        /// The fractional scheme.
        scheme: &'a Scheme,
        /// Its history.
        history: History,
    },
}

impl<'a> SolveKind<'a> {
    /// The kind of the fractional solve `opts`.
    pub fn fde(opts: &'a crate::fde::FdeSolve) -> Self {
        SolveKind::Fde { scheme: &opts.scheme, history: opts.history }
    }
}

impl Method {
    /// Every method, with default settings (the registry the generic tests iterate).
    ///
    /// # Example
    /// ```
    /// use caputo::grad::Method;
    /// let names: Vec<&str> = Method::all().iter().map(|m| m.name()).collect();
    /// assert!(names.contains(&"discrete-adjoint") && names.contains(&"symplectic-adjoint"));
    /// // Every registry name parses back to its method.
    /// for m in Method::all() {
    ///     assert_eq!(Method::by_name(m.name()).unwrap().name(), m.name());
    /// }
    /// ```
    pub fn all() -> Vec<Method> {
        vec![
            Method::Direct,
            Method::Checkpointed { segments: 4 },
            Method::ContinuousAdjoint { rtol: 1e-8, atol: 1e-10 },
            Method::SymplecticAdjoint,
            Method::DiscreteAdjoint,
            Method::PaperAdjoint,
        ]
    }

    /// The names of [`Method::all`], as the CLI spells them.
    pub fn names() -> Vec<&'static str> {
        Method::all().iter().map(Method::name).collect()
    }

    /// The method's name as the CLI spells it.
    pub fn name(&self) -> &'static str {
        match self {
            Method::Direct => "direct",
            Method::Checkpointed { .. } => "checkpointed",
            Method::ContinuousAdjoint { .. } => "continuous-adjoint",
            Method::SymplecticAdjoint => "symplectic-adjoint",
            Method::DiscreteAdjoint => "discrete-adjoint",
            Method::PaperAdjoint => "paper-adjoint",
        }
    }

    /// Parses a CLI name (default settings).
    ///
    /// # Example
    /// ```
    /// use caputo::grad::Method;
    /// assert_eq!(Method::by_name("checkpointed").unwrap(), Method::Checkpointed { segments: 4 });
    /// let err = Method::by_name("adjoint").unwrap_err();
    /// assert!(err.to_string().contains("adjoint"));
    /// ```
    pub fn by_name(name: &str) -> Result<Method> {
        Method::all().into_iter().find(|m| m.name() == name).ok_or_else(|| Error::UnknownScheme {
            name: name.to_string(),
            known: Method::names().into_iter().map(String::from).collect(),
        })
    }

    /// `true` for methods that return the exact gradient of the discretised solve.
    pub fn is_exact(&self) -> bool {
        !matches!(self, Method::ContinuousAdjoint { .. } | Method::PaperAdjoint)
    }

    /// `true` when the method returns `∂L/∂α` for this fractional solve (the discrete adjoint
    /// with dense or short history; the other methods treat α as a constant).
    pub fn gives_alpha(&self, solve: SolveKind<'_>) -> bool {
        matches!(
            (self, solve),
            (Method::DiscreteAdjoint, SolveKind::Fde { history: History::Dense | History::Short(_), .. })
        )
    }

    /// Whether the method applies to the solve, with valid settings: the single source of
    /// truth that [`super::ode_forward`], [`super::fde_forward`], the CLI and the docs' tables
    /// follow.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] / [`Error::InvalidTolerance`] for invalid settings (zero
    /// segments, non-positive tolerances); [`Error::Unsupported`] naming the method, the
    /// combination and what to use instead.
    ///
    /// # Example
    /// ```
    /// use caputo::fde::{History, Scheme};
    /// use caputo::grad::{Method, SolveKind};
    /// let abm = Scheme::Abm { corrector_iters: 1 };
    /// let fde = SolveKind::Fde { scheme: &abm, history: History::Dense };
    /// assert!(Method::DiscreteAdjoint.supports(fde).is_ok());
    /// assert!(Method::SymplecticAdjoint.supports(fde).is_err()); // Runge–Kutta only
    /// assert!(Method::PaperAdjoint.supports(fde).is_err()); // torchfde has no ABM adjoint
    /// assert!(Method::SymplecticAdjoint.supports(SolveKind::Ode).is_ok());
    /// assert!(Method::DiscreteAdjoint.supports(SolveKind::Ode).is_err()); // use symplectic-adjoint
    /// ```
    pub fn supports(&self, solve: SolveKind<'_>) -> Result<()> {
        self.validate()?;
        let refuse = |what: &str| Err(Error::Unsupported { method: self.name().into(), what: what.into() });
        match (self, solve) {
            (Method::Direct | Method::Checkpointed { .. } | Method::ContinuousAdjoint { .. }, SolveKind::Ode) => Ok(()),
            (Method::SymplecticAdjoint, SolveKind::Ode) => Ok(()),
            (Method::DiscreteAdjoint, SolveKind::Ode) => refuse(
                "ODE solves: the exact discrete adjoint of a Runge-Kutta method is the symplectic adjoint; use symplectic-adjoint",
            ),
            (Method::PaperAdjoint, SolveKind::Ode) => {
                refuse("ODE solves (it is the fractional adjoint of torchfde); use symplectic-adjoint")
            }
            (Method::SymplecticAdjoint, SolveKind::Fde { .. }) => {
                refuse("fractional solves (it transposes Runge-Kutta steps); use discrete-adjoint")
            }
            (Method::Direct | Method::DiscreteAdjoint, SolveKind::Fde { .. }) => Ok(()),
            (Method::Checkpointed { .. }, SolveKind::Fde { scheme, history }) => {
                if matches!(history, History::Fast { .. }) && !scheme.is_volterra() {
                    refuse(
                        "fast history with the L1 scheme (snapshots of the compressed state are implemented for predictor and abm only); use discrete-adjoint, which keeps the O((Q + w)·d) fast history",
                    )
                } else {
                    Ok(())
                }
            }
            (Method::ContinuousAdjoint { .. }, SolveKind::Fde { scheme, history }) => {
                if scheme.is_riemann_liouville() {
                    refuse(
                        "Riemann-Liouville forms (the continuous adjoint is that of the Caputo model, which they do not solve); use discrete-adjoint",
                    )
                } else if matches!(scheme, Scheme::MultiTerm { .. }) {
                    refuse(
                        "multi-term operators (their adjoint kernel is not a single power law); use discrete-adjoint",
                    )
                } else if matches!(history, History::Short(_)) {
                    refuse(
                        "short memory (it changes the model; the continuous adjoint is that of the full-memory model); use discrete-adjoint",
                    )
                } else {
                    Ok(())
                }
            }
            (Method::PaperAdjoint, SolveKind::Fde { scheme, history }) => match scheme {
                Scheme::Abm { .. } => refuse(
                    "the ABM predictor-corrector (torchfde has no adjoint for its `corrector`); use discrete-adjoint",
                ),
                Scheme::MultiTerm { .. } => {
                    refuse("multi-term schemes (torchfde has no adjoint for `glmulti`); use discrete-adjoint")
                }
                Scheme::L1 { new_point: Some(_) }
                | Scheme::Gl { new_point: Some(_), .. }
                | Scheme::Trapezoid { new_point: Some(_), .. } => {
                    refuse("new-point (implicit) schemes (torchfde's adjoints are explicit); use discrete-adjoint")
                }
                _ if matches!(history, History::Fast { .. }) && !scheme.is_volterra() => refuse(
                    "fast history with the L1 scheme (its reversed solve is implemented for the predictor only); use discrete-adjoint",
                ),
                _ => Ok(()),
            },
        }
    }

    /// Checks the method's own settings.
    fn validate(&self) -> Result<()> {
        match self {
            Method::Checkpointed { segments: 0 } => Err(Error::InvalidParameter {
                name: "segments".into(),
                value: "0".into(),
                reason: "need at least one segment".into(),
            }),
            Method::ContinuousAdjoint { rtol, atol } => {
                for (name, value) in [("rtol", *rtol), ("atol", *atol)] {
                    if !(value.is_finite() && value > 0.0) {
                        return Err(Error::InvalidTolerance { name, value });
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}
