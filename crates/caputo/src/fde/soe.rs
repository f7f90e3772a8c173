//! Sum-of-exponentials (SOE) compression of the power kernel `t^{−γ}`.
//!
//! Every explicit Caputo scheme needs, at step `n`, a history sum over all earlier
//! steps, which costs O(N²) in total. Replacing the kernel by
//! `t^{−γ} ≈ Σ_q w_q e^{−s_q t}` on `[δ, T]` turns the old part of that sum into `Q`
//! independent modes, each obeying an exact one-step recurrence: O(N·Q) work and
//! O(Q) memory per state component.
//!
//! The approximation is the trapezoidal rule in the log variable `x = ln s` applied to
//! `t^{−γ} = (1/Γ(γ)) ∫_{−∞}^{∞} exp(γx − t e^x) dx` (substitute `s = e^x` in
//! `Γ(γ) t^{−γ} = ∫_0^∞ s^{γ−1} e^{−ts} ds`), truncated above and with the slowest modes
//! lumped into one constant term; the step, the upper end and the lumping threshold are
//! derived from error bounds (see [`SoeKernel::new`]; the derivation is in
//! `docs/derivations.md`, "Sum-of-exponentials kernel"). With
//! `γ = 1 − β` the kernel is the one of the Volterra form `I^β` (predictor, ABM);
//! `γ = 1 + β ∈ (1, 2)` is the Caputo-derivative kernel of L1-type schemes.
//!
//! [`SoeKernel::rect_history_weights`] and [`SoeKernel::trap_history_weights`] give the
//! mode recurrences for piecewise-constant (product-rectangle / fractional
//! Adams–Bashforth predictor) and piecewise-linear (product-trapezoid / ABM corrector)
//! interpolation of the history.

use std::f64::consts::PI;

use super::weights::diff1;
use crate::special::gamma;

/// Sum-of-exponentials approximation `t^{−γ} ≈ Σ_q w_q e^{−s_q t}` with relative
/// error at most `eps` for `t ∈ [delta, t_max]`.
///
/// Built by [`SoeKernel::new`]. The modes are stored fastest first (decreasing
/// `s_q`); the last entry is the constant term (`s = 0`) into which
/// [`SoeKernel::new`] lumps the slowest nodes.
#[derive(Debug, Clone, PartialEq)]
pub struct SoeKernel {
    /// Exponent `γ ∈ (0, 2)` of the kernel `t^{−γ}`.
    pub gamma: f64,
    /// Decay rates `s_q ≥ 0`, decreasing; the trailing `0` is the lumped constant mode.
    pub s: Vec<f64>,
    /// Positive weights `w_q`, same length as `s`.
    pub w: Vec<f64>,
    /// Lower end `δ > 0` of the interval on which the error bound holds.
    pub delta: f64,
    /// Upper end `T > δ` of the interval on which the error bound holds.
    pub t_max: f64,
    /// Target relative error `ε` of the approximation on `[δ, T]`.
    pub eps: f64,
}

/// Per-mode coefficients of the product-rectangle (piecewise-constant) history
/// recurrence; see [`SoeKernel::rect_history_weights`].
#[derive(Debug, Clone, PartialEq)]
pub struct RectModes {
    /// `e^{−s_q h}`: factor applied to every mode once per step.
    pub decay: Vec<f64>,
    /// `w_q e^{−s_q n_exact h} (1 − e^{−s_q h})/s_q` (`w_q h` for `s_q = 0`): weight of
    /// the value that leaves the exact window.
    pub inject: Vec<f64>,
}

impl RectModes {
    /// Scalar reference implementation of one step of the recurrence:
    /// `U_q ← decay_q U_q + inject_q f` for every mode `q`.
    ///
    /// Solvers with vector states apply the same update component-wise.
    ///
    /// # Panics
    /// If `state.len()` differs from the number of modes.
    pub fn advance(&self, state: &mut [f64], f: f64) {
        assert_eq!(state.len(), self.decay.len(), "one state entry per SOE mode");
        for ((u, d), c) in state.iter_mut().zip(&self.decay).zip(&self.inject) {
            *u = d * *u + c * f;
        }
    }
}

/// Per-mode coefficients of the product-trapezoid (piecewise-linear) history
/// recurrence; see [`SoeKernel::trap_history_weights`].
#[derive(Debug, Clone, PartialEq)]
pub struct TrapModes {
    /// `e^{−s_q h}`: factor applied to every mode once per step.
    pub decay: Vec<f64>,
    /// Weight of the left end value `f_j` of the cell that leaves the exact window.
    pub inject_left: Vec<f64>,
    /// Weight of the right end value `f_{j+1}` of the cell that leaves the exact window.
    pub inject_right: Vec<f64>,
}

impl TrapModes {
    /// Scalar reference implementation of one step of the recurrence:
    /// `V_q ← decay_q V_q + inject_left_q f_left + inject_right_q f_right`.
    ///
    /// # Panics
    /// If `state.len()` differs from the number of modes.
    pub fn advance(&self, state: &mut [f64], f_left: f64, f_right: f64) {
        assert_eq!(state.len(), self.decay.len(), "one state entry per SOE mode");
        for (q, v) in state.iter_mut().enumerate() {
            *v = self.decay[q] * *v + self.inject_left[q] * f_left + self.inject_right[q] * f_right;
        }
    }
}

impl SoeKernel {
    /// Builds the log-trapezoid SOE of `t^{−γ}` on `[delta, t_max]` with relative
    /// error at most `eps` there.
    ///
    /// The trapezoidal rule in `x = ln s` is applied to
    /// `t^{−γ} = (1/Γ(γ)) ∫ exp(γx − t e^x) dx`: nodes `x_q = x_max − qη`,
    /// `s_q = e^{x_q}`, `w_q = η e^{γ x_q}/Γ(γ)`, `q = 0, 1, …`, where, with
    /// `L = ln(1/ε)`,
    /// * `x_max = ln((L + (γ + 2) ln(L + 1) + 5)/δ)`: past it the integrand is
    ///   below `ε e^{−5}` at `t = δ`;
    /// * `η` is the largest step whose aliasing error `≈ 2|Γ(γ − 2πi/η)|/Γ(γ)` is at
    ///   most `ε/4` (see `log_trapezoid_step`). The common rule of thumb
    ///   `η = π²/(L + 3)` (12 % smaller for `γ > 1`) has aliasing error `≈ 0.25 · (2(L+3)/π)^{γ−1/2}/Γ(γ) · ε`,
    ///   which is `0.76 ε` at `γ = 0.9` and left the total above `ε` there
    ///   (`1.3e-12` for `ε = 1e-12`); for small `γ` it is needlessly fine;
    /// * the walk down in `x` stops at the first node from which the tail satisfies
    ///   `Σ_{tail} w_q s_q ≤ (ε/2) T^{−γ−1}`; that node and the whole infinite tail
    ///   below it (a geometric series, summed exactly) become one constant mode
    ///   `s = 0`. Since `1 − e^{−st} ≤ st`, the lumping error is at most
    ///   `(ε/2)(t/T)^{γ+1} t^{−γ}`. Lumping below the leading-term threshold
    ///   `s_c = (ε(γ+1)Γ(γ)/2)^{1/(γ+1)}/T` instead underestimates the trapezoid sum of
    ///   `w_q s_q` by up to a factor `1 + (γ+1)η/2`, and dropping the nodes below some
    ///   `x_min` costs a relative error `ε (t/T)^γ`, enough for `γ = 0.9` to miss `ε`
    ///   near `t = T`.
    ///
    /// Measured worst relative error over `γ ∈ [0.01, 1.999]`, `ε ∈ [1e-14, 1e-4]`,
    /// `T/δ ∈ [10, 1e12]`: `0.91 ε`. The number of modes (constant included) grows
    /// like `ln(1/ε) · ln(T/δ)`: 57–59 for `ε = 1e-8` and 90–109 for `ε = 1e-12` with
    /// `δ = 1e-4`, `T = 10`, `γ ∈ [0.1, 1.9]`.
    ///
    /// # Panics
    /// If `γ ∉ (0, 2)`, `δ ≤ 0`, `T ≤ δ`, `T` is not finite, or `ε ∉ (0, 1)`.
    ///
    /// # Example
    /// ```
    /// use caputo::fde::soe::SoeKernel;
    /// // t^{−1/2} on [1e-3, 10] to relative error 1e-8.
    /// let k = SoeKernel::new(0.5, 1e-3, 10.0, 1e-8);
    /// assert!(k.max_rel_error(1000) <= 1e-8);
    /// assert!((k.eval(4.0) - 0.5).abs() <= 1e-8 * 0.5);
    /// assert_eq!(*k.s.last().unwrap(), 0.0); // the lumped constant mode
    /// assert!(k.len() < 60); // a few dozen modes replace the whole history
    /// ```
    pub fn new(gamma: f64, delta: f64, t_max: f64, eps: f64) -> SoeKernel {
        assert!(gamma > 0.0 && gamma < 2.0, "SOE exponent γ must lie in (0, 2), got {gamma}");
        assert!(
            delta > 0.0 && t_max > delta && t_max.is_finite(),
            "SOE interval must satisfy 0 < δ < T < ∞, got [{delta}, {t_max}]"
        );
        assert!(eps > 0.0 && eps < 1.0, "SOE tolerance must lie in (0, 1), got {eps}");
        let l = (1.0 / eps).ln();
        let g = crate::special::gamma(gamma);
        let eta = log_trapezoid_step(gamma, g, eps);
        let x_max = ((l + (gamma + 2.0) * (l + 1.0).ln() + 5.0) / delta).ln();
        let lump_budget = 0.5 * eps * t_max.powf(-(gamma + 1.0));
        // Σ_{q' ≥ q} w_{q'} s_{q'} = w_q s_q / (1 − e^{−(γ+1)η}).
        let ws_tail_factor = 1.0 / -(-(gamma + 1.0) * eta).exp_m1();
        // Σ_{q' ≥ q} w_{q'} = w_q / (1 − e^{−γη}).
        let w_tail_factor = 1.0 / -(-gamma * eta).exp_m1();
        let mut s = Vec::new();
        let mut w = Vec::new();
        // x_q decreases by η per node and the loop ends once w_q s_q ∝ e^{(γ+1)x_q}
        // is below the budget, so it always terminates.
        for q in 0u32.. {
            let x = x_max - f64::from(q) * eta;
            let sq = x.exp();
            let wq = eta * (gamma * x).exp() / g;
            if wq * sq * ws_tail_factor <= lump_budget {
                s.push(0.0);
                w.push(wq * w_tail_factor);
                break;
            }
            s.push(sq);
            w.push(wq);
        }
        SoeKernel { gamma, s, w, delta, t_max, eps }
    }

    /// Number of modes, including the lumped constant mode (`s = 0`).
    pub fn len(&self) -> usize {
        self.s.len()
    }

    /// `true` if the approximation has no modes (never the case for
    /// [`SoeKernel::new`]).
    pub fn is_empty(&self) -> bool {
        self.s.is_empty()
    }

    /// Evaluates the approximation `Σ_q w_q e^{−s_q t}`.
    pub fn eval(&self, t: f64) -> f64 {
        self.s.iter().zip(&self.w).map(|(s, w)| w * (-s * t).exp()).sum()
    }

    /// Maximum relative error `|SOE(t) − t^{−γ}|/t^{−γ}` over `n_points` log-spaced
    /// points of `[δ, T]` (both ends included; a single point means `t = δ`).
    ///
    /// The error oscillates in `ln t` with a period of about the step `η ≈ 0.2–0.5`,
    /// so about 100 points per decade of `T/δ` resolve its maximum.
    pub fn max_rel_error(&self, n_points: usize) -> f64 {
        let ratio = (self.t_max / self.delta).ln();
        (0..n_points.max(1))
            .map(|i| {
                let frac = if n_points > 1 { i as f64 / (n_points - 1) as f64 } else { 0.0 };
                let t = self.delta * (ratio * frac).exp();
                let exact = t.powf(-self.gamma);
                ((self.eval(t) - exact) / exact).abs()
            })
            .fold(0.0, f64::max)
    }

    /// One-step recurrence for the product-rectangle (fractional Adams–Bashforth
    /// predictor) history with the last `n_exact ≥ 1` cells treated exactly.
    ///
    /// Setting: uniform grid `t_j = jh`, `f` piecewise constant (`f = f_j` on
    /// `[t_j, t_{j+1})`) and, with `γ = 1 − β`,
    /// `I^β f(t_n) = (1/Γ(β)) ∫_0^{t_n} (t_n − τ)^{β−1} f(τ) dτ = Σ_{j<n} w_{n−1−j} f_j`,
    /// `w_m = h^β/Γ(β+1) ((m+1)^β − m^β)` (see [`product_rectangle_weight`]).
    /// Split it as
    ///
    /// `I^β f(t_n) ≈ Σ_{m < min(n, n_exact)} w_m f_{n−1−m} + (1/Γ(β)) Σ_q U_q(n)`,
    ///
    /// where the modes hold the cells older than the exact window,
    /// `U_q(n) = w_q Σ_{j ≤ n−1−n_exact} f_j ∫_{t_j}^{t_{j+1}} e^{−s_q (t_n − τ)} dτ`
    /// (here `w_q` is the SOE weight). They start at `U_q(n) = 0` for `n ≤ n_exact` and
    /// obey
    ///
    /// `U_q(n+1) = decay_q U_q(n) + inject_q f_{n−n_exact}` for `n ≥ n_exact`,
    ///
    /// with `decay_q = e^{−s_q h}` and
    /// `inject_q = w_q e^{−s_q n_exact h} (1 − e^{−s_q h})/s_q` (`w_q h` for `s_q = 0`),
    /// i.e. `w_q ∫_{n_exact h}^{(n_exact+1) h} e^{−s_q τ} dτ`. The returned
    /// coefficients do **not** contain `1/Γ(β)`: multiply the mode sum by it (the SOE
    /// approximates the bare kernel `t^{−γ}`).
    ///
    /// The cells handled by the modes are at distance `t_n − τ ∈ [n_exact h, t_n]`, so
    /// the approximation error is at most `eps` times their exact contribution
    /// provided `δ ≤ n_exact h` and `t_n ≤ T`.
    ///
    /// # Panics
    /// If `n_exact == 0`, `h ≤ 0`, or `n_exact h < δ` (beyond rounding).
    ///
    /// # Example
    /// ```
    /// use caputo::fde::soe::{product_rectangle_weight, SoeKernel};
    /// use caputo::special::gamma;
    /// // I^β f(t_n) for f ≡ 1, β = 1/2, h = 0.01, n = 100: exactly t_n^β/Γ(β+1) = 1/Γ(1.5).
    /// let (beta, h, n) = (0.5, 0.01, 100);
    /// let k = SoeKernel::new(1.0 - beta, h, 2.0, 1e-10);
    /// let modes = k.rect_history_weights(h, 1);
    /// let mut u = vec![0.0; k.len()]; // U(1) = 0
    /// for _ in 1..n {
    ///     modes.advance(&mut u, 1.0); // U(m+1) from U(m) and f_{m−1} = 1
    /// }
    /// let approx = product_rectangle_weight(beta, h, 0) + u.iter().sum::<f64>() / gamma(beta);
    /// assert!((approx - 1.0 / gamma(1.5)).abs() < 1e-9);
    /// ```
    pub fn rect_history_weights(&self, h: f64, n_exact: usize) -> RectModes {
        self.check_window(h, n_exact);
        let shift = n_exact as f64 * h;
        let mut decay = Vec::with_capacity(self.len());
        let mut inject = Vec::with_capacity(self.len());
        for (&s, &w) in self.s.iter().zip(&self.w) {
            decay.push((-s * h).exp());
            // (1 − e^{−sh})/s via expm1, exact limit h for the constant mode.
            let cell = if s == 0.0 { h } else { -(-s * h).exp_m1() / s };
            inject.push(w * (-s * shift).exp() * cell);
        }
        RectModes { decay, inject }
    }

    /// Convenience form of [`SoeKernel::rect_history_weights`] with `n_exact = 1`
    /// (only the newest cell exact), returned as `(decay, inject)` with
    /// `inject_q = w_q ∫_h^{2h} e^{−s_q τ} dτ = w_q e^{−s_q h}(1 − e^{−s_q h})/s_q`.
    ///
    /// # Panics
    /// If `h < δ` or `h ≤ 0`.
    pub fn rect_mode_coefficients(&self, h: f64) -> (Vec<f64>, Vec<f64>) {
        let modes = self.rect_history_weights(h, 1);
        (modes.decay, modes.inject)
    }

    /// One-step recurrence for the product-trapezoid (ABM corrector) history with the
    /// last `n_exact ≥ 1` cells treated exactly.
    ///
    /// Setting as in [`SoeKernel::rect_history_weights`], but `f` is interpolated
    /// linearly on each cell `[t_j, t_{j+1}]` between `f_j` and `f_{j+1}`; the product
    /// trapezoid rule `I^β f(t_n) ≈ (h^β/Γ(β+2)) [f_n + Σ_{j<n} a_{j,n} f_j]` (the
    /// Diethelm–Ford–Freed weights, see [`product_trapezoid_cell_weights`]) is the sum over
    /// cells of the exact integrals. Split it as
    ///
    /// `I^β f(t_n) ≈ Σ_{m < min(n, n_exact)} (L_m f_{n−1−m} + R_m f_{n−m})
    ///               + (1/Γ(β)) Σ_q V_q(n)`,
    ///
    /// with the exact per-cell weights `(L_m, R_m)` of [`product_trapezoid_cell_weights`]
    /// (cell `m` counted back from `t_n`, `R_0 = h^β/Γ(β+2)` multiplies `f_n`), and
    /// `V_q(n) = w_q Σ_{j ≤ n−1−n_exact} ∫_{t_j}^{t_{j+1}} e^{−s_q (t_n − τ)}
    /// [f_j (t_{j+1} − τ) + f_{j+1} (τ − t_j)]/h dτ`. The modes start at `0` for
    /// `n ≤ n_exact` and obey
    ///
    /// `V_q(n+1) = decay_q V_q(n) + inject_left_q f_{n−n_exact} + inject_right_q f_{n−n_exact+1}`
    ///
    /// with `decay_q = e^{−s_q h}`, `inject_left_q = w_q e^{−s_q n_exact h} h φ(s_q h)`,
    /// `inject_right_q = w_q e^{−s_q n_exact h} h ψ(s_q h)`, where
    /// `φ(x) = (1 − (1 + x) e^{−x})/x²` and `ψ(x) = (x − 1 + e^{−x})/x²`
    /// (`φ(0) = ψ(0) = 1/2`). Both use only values `f_j`, `j ≤ n`, that are known
    /// before the step to `t_{n+1}` (for `n_exact ≥ 1`). As for the rectangle rule the
    /// coefficients do **not** contain `1/Γ(β)`.
    ///
    /// Note the node `f_{n−n_exact}` receives weight from both sides of the split: the
    /// DFF weight `a_{n−n_exact, n}` is `R_{n_exact}` (mode part) plus
    /// `L_{n_exact−1}` (exact part), scaled by `Γ(β+2)/h^β`.
    ///
    /// # Panics
    /// If `n_exact == 0`, `h ≤ 0`, or `n_exact h < δ` (beyond rounding).
    ///
    /// # Example
    /// ```
    /// use caputo::fde::soe::{product_trapezoid_cell_weights, SoeKernel};
    /// use caputo::special::gamma;
    /// // I^β f(t_n) for f(t) = t, β = 0.3, h = 0.01, n = 100: exactly t_n^{β+1}/Γ(β+2).
    /// let (beta, h, n) = (0.3, 0.01, 100);
    /// let k = SoeKernel::new(1.0 - beta, h, 2.0, 1e-10);
    /// let modes = k.trap_history_weights(h, 1);
    /// let mut v = vec![0.0; k.len()]; // V(1) = 0
    /// for m in 1..n {
    ///     // V(m+1) from V(m) and the cell [t_{m−1}, t_m] leaving the exact window.
    ///     modes.advance(&mut v, (m - 1) as f64 * h, m as f64 * h);
    /// }
    /// let (l0, r0) = product_trapezoid_cell_weights(beta, h, 0); // the newest cell, exact
    /// let t_n = n as f64 * h;
    /// let approx = l0 * (t_n - h) + r0 * t_n + v.iter().sum::<f64>() / gamma(beta);
    /// assert!((approx - t_n.powf(beta + 1.0) / gamma(beta + 2.0)).abs() < 1e-9);
    /// ```
    pub fn trap_history_weights(&self, h: f64, n_exact: usize) -> TrapModes {
        self.check_window(h, n_exact);
        let shift = n_exact as f64 * h;
        let n = self.len();
        let mut decay = Vec::with_capacity(n);
        let mut inject_left = Vec::with_capacity(n);
        let mut inject_right = Vec::with_capacity(n);
        for (&s, &w) in self.s.iter().zip(&self.w) {
            let x = s * h;
            decay.push((-x).exp());
            let scale = w * (-s * shift).exp() * h;
            let (phi, psi) = linear_cell_factors(x);
            inject_left.push(scale * phi);
            inject_right.push(scale * psi);
        }
        TrapModes { decay, inject_left, inject_right }
    }

    /// Validates the exact-window arguments shared by the history recurrences.
    fn check_window(&self, h: f64, n_exact: usize) {
        assert!(n_exact >= 1, "at least one cell must be treated exactly (n_exact ≥ 1)");
        assert!(h > 0.0 && h.is_finite(), "step must be positive and finite, got {h}");
        // The modes are only accurate for distances ≥ δ; allow rounding in n·h.
        assert!(
            n_exact as f64 * h >= self.delta * (1.0 - 1e-12),
            "SOE built for δ = {} but the modes start at n_exact·h = {}",
            self.delta,
            n_exact as f64 * h
        );
    }
}

/// Largest log-trapezoid step `η` whose leading aliasing error is at most `ε/4`.
///
/// The trapezoidal rule with step `η` applied to `F(x) = exp(γx − t e^x)/Γ(γ)` has
/// relative error `≈ 2 |Γ(γ − 2πi/η)|/Γ(γ)`, uniformly in `t` (the Poisson summation
/// term of `F̂(ω) = Γ(γ − iω) t^{iω−γ}/Γ(γ)` at `ω = 2π/η`). With
/// `|Γ(γ + iy)| ≈ √(2π) y^{γ−1/2} e^{−πy/2}` the condition
/// `2√(2π) y^{γ−1/2} e^{−πy/2}/Γ(γ) = ε/4` is solved for `y = 2π/η` by fixed-point
/// iteration on `y = (2/π)[ln(8√(2π)/(εΓ(γ))) + (γ − 1/2) ln y]`.
fn log_trapezoid_step(gamma: f64, gamma_of_gamma: f64, eps: f64) -> f64 {
    let c = (8.0 * (2.0 * PI).sqrt() / (eps * gamma_of_gamma)).ln();
    let mut y = 2.0 / PI * c.max(1.0);
    for _ in 0..50 {
        y = 2.0 / PI * (c + (gamma - 0.5) * y.ln());
    }
    2.0 * PI / y
}

/// `(φ(x), ψ(x))` with `φ(x) = (1 − (1 + x) e^{−x})/x²` and `ψ(x) = (x − 1 + e^{−x})/x²`,
/// so that `∫_0^h e^{−sρ} ρ/h dρ = h φ(sh)` and `∫_0^h e^{−sρ} (1 − ρ/h) dρ = h ψ(sh)`.
///
/// Both closed forms cancel catastrophically for small `x`, where the Taylor series
/// `φ = Σ_k (−x)^k (k+1)/(k+2)!`, `ψ = Σ_k (−x)^k/(k+2)!` are used instead.
fn linear_cell_factors(x: f64) -> (f64, f64) {
    if x < 1.0 {
        // Terms shrink at least like 1/(k+2)!, so 20 terms reach 1e-19 for x < 1.
        let mut phi = 0.0;
        let mut psi = 0.0;
        let mut c = 0.5; // (−x)^k/(k+2)!
        for k in 0..20 {
            psi += c;
            phi += c * f64::from(k + 1);
            c *= -x / f64::from(k + 3);
        }
        (phi, psi)
    } else {
        let em = (-x).exp();
        let one_minus = -(-x).exp_m1();
        ((one_minus - x * em) / (x * x), (x - one_minus) / (x * x))
    }
}

/// Product-rectangle (fractional Adams–Bashforth predictor) weight
/// `w_m = h^β/Γ(β+1) ((m+1)^β − m^β) = (1/Γ(β)) ∫_{mh}^{(m+1)h} τ^{β−1} dτ`
/// of the cell at distance `m` cells back from the evaluation point.
///
/// Entry `m` of [`super::weights::rectangle`]`(β, h, ·)`, without building the vector: the
/// same difference of powers (`m^β expm1(β ln(1 + 1/m))`, full relative accuracy for large
/// `m`) and the same Γ.
///
/// # Example
/// ```
/// use caputo::fde::soe::product_rectangle_weight;
/// use caputo::special::gamma;
/// // The cells tile [0, t_n]: Σ_{m<n} w_m = t_n^β/Γ(β+1), here t_n = 50 · 0.02 = 1.
/// let sum: f64 = (0..50).map(|m| product_rectangle_weight(0.4, 0.02, m)).sum();
/// assert!((sum - 1.0 / gamma(1.4)).abs() < 1e-13);
/// ```
pub fn product_rectangle_weight(beta: f64, h: f64, m: usize) -> f64 {
    h.powf(beta) / gamma(beta + 1.0) * diff1(beta, m)
}

/// Exact product-trapezoid weights `(L_m, R_m)` of the cell `[t_{n−1−m}, t_{n−m}]`
/// for `I^β f(t_n)` with `f` linear on the cell:
/// `L_m = (1/Γ(β)) ∫_{t_{n−1−m}}^{t_{n−m}} (t_n − τ)^{β−1} (t_{n−m} − τ)/h dτ` multiplies
/// `f_{n−1−m}` and `R_m` (same with `(τ − t_{n−1−m})/h`) multiplies `f_{n−m}`.
///
/// With `c = h^β/Γ(β+2)`:
/// `L_m = c [β((m+1)^{β+1} − m^{β+1}) − (β+1) m ((m+1)^β − m^β)]`,
/// `R_m = c [(β+1)(m+1)((m+1)^β − m^β) − β((m+1)^{β+1} − m^{β+1})]`.
/// The Diethelm–Ford–Freed weights are `c a_{j,n} = L_{n−1−j} + R_{n−j}` (`j ≥ 1`),
/// `c a_{0,n} = L_{n−1}`, `c a_{n,n} = R_0 = c`. Intended for the few cells of the
/// exact window: for large `m` the differences of powers cancel.
///
/// # Example
/// ```
/// use caputo::fde::soe::{product_rectangle_weight, product_trapezoid_cell_weights};
/// use caputo::special::gamma;
/// let (beta, h) = (0.6, 0.1);
/// for m in 0..5 {
///     // For f = 1 on the cell the two weights add up to the kernel's integral over it.
///     let (l, r) = product_trapezoid_cell_weights(beta, h, m);
///     assert!((l + r - product_rectangle_weight(beta, h, m)).abs() < 1e-14);
/// }
/// assert!((product_trapezoid_cell_weights(beta, h, 0).1 - h.powf(beta) / gamma(beta + 2.0)).abs() < 1e-15);
/// ```
pub fn product_trapezoid_cell_weights(beta: f64, h: f64, m: usize) -> (f64, f64) {
    let c = h.powf(beta) / gamma(beta + 2.0);
    let m = m as f64;
    let d1 = (m + 1.0).powf(beta + 1.0) - m.powf(beta + 1.0);
    let d0 = (m + 1.0).powf(beta) - m.powf(beta);
    let left = c * (beta * d1 - (beta + 1.0) * m * d0);
    let right = c * ((beta + 1.0) * (m + 1.0) * d0 - beta * d1);
    (left, right)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_error_within_eps() {
        for eps in [1e-8, 1e-12] {
            for (delta, t_max) in [(1e-3, 1.0), (1e-4, 10.0)] {
                for gamma in [0.1, 0.5, 0.9, 1.5] {
                    let k = SoeKernel::new(gamma, delta, t_max, eps);
                    let err = k.max_rel_error(3000);
                    assert!(err <= eps, "γ={gamma} ε={eps:e} [{delta:e},{t_max}] Q={} err={err:e}", k.len());
                }
            }
        }
    }

    #[test]
    fn kernel_error_within_eps_broad() {
        // Whole γ range (including the derivative kernels γ = 1 + β), loose and
        // tight tolerances, short and very long intervals.
        for eps in [1e-4, 1e-7, 1e-10, 1e-14] {
            for (delta, t_max) in [(0.1, 1.0), (1e-6, 100.0), (1e-8, 1e4)] {
                for i in 0..20 {
                    let gamma = 0.02 + 0.099 * f64::from(i);
                    let k = SoeKernel::new(gamma, delta, t_max, eps);
                    let err = k.max_rel_error(2000);
                    assert!(err <= eps, "γ={gamma} ε={eps:e} [{delta:e},{t_max}] err={err:e}");
                }
            }
        }
    }

    #[test]
    fn mode_counts_match_the_log_trapezoid_table() {
        // The plain log-trapezoid recipe (η = π²/(L + 3), leading-term lumping) needs, for
        // δ = 1e-4, T = 10, 49–66 exponentials (+1 constant) for 1e-8 and 82–121 (+1) for 1e-12;
        // the error-bound construction stays in that range.
        for gamma in [0.1, 0.5, 0.9, 1.5] {
            let q8 = SoeKernel::new(gamma, 1e-4, 10.0, 1e-8).len();
            let q12 = SoeKernel::new(gamma, 1e-4, 10.0, 1e-12).len();
            assert!((40..=75).contains(&q8), "γ={gamma}: Q={q8} for 1e-8");
            assert!((70..=130).contains(&q12), "γ={gamma}: Q={q12} for 1e-12");
        }
    }

    #[test]
    fn kernel_structure() {
        let k = SoeKernel::new(0.4, 1e-3, 1.0, 1e-10);
        assert!(!k.is_empty());
        assert_eq!(k.len(), k.s.len());
        assert_eq!(k.s.len(), k.w.len());
        assert_eq!(*k.s.last().unwrap(), 0.0, "last mode is the lumped constant");
        assert!(k.s.windows(2).all(|p| p[0] > p[1]), "rates strictly decreasing");
        assert!(k.w.iter().all(|&w| w > 0.0 && w.is_finite()));
        assert_eq!((k.gamma, k.delta, k.t_max, k.eps), (0.4, 1e-3, 1.0, 1e-10));
        // Outside [δ, T] nothing is promised, but the sum stays finite and positive.
        assert!(k.eval(0.0).is_finite() && k.eval(1e3) > 0.0);
        assert_eq!(k.max_rel_error(1), {
            let e = 1e-3f64.powf(-0.4);
            ((k.eval(1e-3) - e) / e).abs()
        });
    }

    #[test]
    #[should_panic(expected = "γ must lie in (0, 2)")]
    fn rejects_gamma_out_of_range() {
        let _ = SoeKernel::new(2.0, 1e-3, 1.0, 1e-8);
    }

    #[test]
    #[should_panic(expected = "modes start at")]
    fn rejects_window_shorter_than_delta() {
        let k = SoeKernel::new(0.5, 1e-3, 1.0, 1e-8);
        // n_exact·h = 1e-3 = δ is fine, 8e-4 < δ is not.
        let _ = k.rect_history_weights(1e-3, 1);
        let _ = k.rect_history_weights(4e-4, 2);
    }

    #[test]
    #[should_panic(expected = "n_exact ≥ 1")]
    fn rejects_empty_exact_window() {
        let k = SoeKernel::new(0.5, 1e-3, 1.0, 1e-8);
        let _ = k.trap_history_weights(1e-3, 0);
    }

    #[test]
    fn linear_cell_factors_agree_across_branches() {
        // Quadrature-free identities: φ + ψ = (1 − e^{−x})/x, and both branches agree
        // near the switch point x = 1.
        for &x in &[0.0, 1e-12, 1e-6, 0.01, 0.3, 0.999_999, 1.0, 1.5, 10.0, 700.0, 1e6] {
            let (phi, psi) = linear_cell_factors(x);
            let total = if x == 0.0 { 1.0 } else { -(-x).exp_m1() / x };
            assert!(((phi + psi) - total).abs() <= 4e-16 * total, "x={x}");
            assert!(phi > 0.0 && psi > 0.0);
        }
        let below = linear_cell_factors(1.0 - f64::EPSILON);
        let above = linear_cell_factors(1.0);
        assert!((below.0 - above.0).abs() < 1e-14 && (below.1 - above.1).abs() < 1e-14);
        assert_eq!(linear_cell_factors(0.0), (0.5, 0.5));
        // Direct closed forms where they do not cancel.
        let x: f64 = 0.5;
        let phi = (1.0 - (1.0 + x) * (-x).exp()) / (x * x);
        let psi = (x - 1.0 + (-x).exp()) / (x * x);
        let (p, q) = linear_cell_factors(x);
        assert!((p - phi).abs() < 1e-15 && (q - psi).abs() < 1e-15);
    }

    #[test]
    fn product_weights_are_consistent() {
        for beta in [0.3, 0.6, 0.9, 1.0] {
            let h = 0.01;
            // Telescoping: Σ_{m<n} w_m = (nh)^β/Γ(β+1).
            let n = 500;
            let sum: f64 = (0..n).map(|m| product_rectangle_weight(beta, h, m)).sum();
            let exact = (n as f64 * h).powf(beta) / gamma(beta + 1.0);
            assert!((sum - exact).abs() <= 1e-13 * exact, "β={beta}");
            for m in 0..6 {
                // The two trapezoid weights split the cell integral of the kernel.
                let (l, r) = product_trapezoid_cell_weights(beta, h, m);
                let w = product_rectangle_weight(beta, h, m);
                assert!((l + r - w).abs() <= 1e-14 * w, "β={beta} m={m}");
                assert!(l > 0.0 && r > 0.0);
            }
            let (_, r0) = product_trapezoid_cell_weights(beta, h, 0);
            let c = h.powf(beta) / gamma(beta + 2.0);
            assert!((r0 - c).abs() <= 1e-15 * c, "R_0 = h^β/Γ(β+2)");
        }
    }

    #[test]
    fn rect_mode_coefficients_is_one_cell_window() {
        let k = SoeKernel::new(0.5, 1e-3, 1.0, 1e-10);
        let (decay, inject) = k.rect_mode_coefficients(1e-3);
        let modes = k.rect_history_weights(1e-3, 1);
        assert_eq!(decay, modes.decay);
        assert_eq!(inject, modes.inject);
        // Constant mode: decay 1, injection w h.
        let last = k.len() - 1;
        assert_eq!(decay[last], 1.0);
        assert!((inject[last] - k.w[last] * 1e-3).abs() <= 1e-16 * inject[last]);
    }

    /// Grid values of the test integrand f(t) = cos t on [0, 1] with h = 1e-3.
    fn cos_grid(n: usize, h: f64) -> Vec<f64> {
        (0..=n).map(|j| (j as f64 * h).cos()).collect()
    }

    #[test]
    fn rect_history_matches_direct_predictor_sum() {
        let (h, n_steps) = (1e-3, 1000);
        let f = cos_grid(n_steps, h);
        for beta in [0.3, 0.6, 0.9] {
            let kernel = SoeKernel::new(1.0 - beta, h, 1.0, 1e-10);
            let inv_gamma_beta = 1.0 / gamma(beta);
            let w: Vec<f64> = (0..n_steps).map(|m| product_rectangle_weight(beta, h, m)).collect();
            for n_exact in 1..=4 {
                let modes = kernel.rect_history_weights(h, n_exact);
                let mut state = vec![0.0; kernel.len()];
                let mut worst: f64 = 0.0;
                for n in 1..=n_steps {
                    // Direct O(n) sums: exact window and the part the modes replace.
                    let exact: f64 = (0..n.min(n_exact)).map(|m| w[m] * f[n - 1 - m]).sum();
                    let old: f64 = (n_exact..n).map(|m| w[m] * f[n - 1 - m]).sum();
                    let soe = inv_gamma_beta * state.iter().sum::<f64>();
                    if n <= n_exact {
                        assert_eq!(soe, 0.0);
                    } else {
                        // cos > 0 on [0, 1], so the kernel bound carries over to the sum.
                        worst = worst.max((soe - old).abs() / old);
                    }
                    let total = exact + soe;
                    assert!((total - (exact + old)).abs() <= 1e-8 * (exact + old));
                    if n >= n_exact {
                        modes.advance(&mut state, f[n - n_exact]);
                    }
                }
                println!("rect β={beta} n_exact={n_exact} Q={}: worst rel {worst:.2e}", kernel.len());
                assert!(worst <= 1e-8, "β={beta} n_exact={n_exact}: worst rel {worst:e}");
                // The SOE is built for 1e-10; summation adds little on top.
                assert!(worst <= 2e-10, "β={beta} n_exact={n_exact}: worst rel {worst:e}");
            }
        }
    }

    /// Diethelm–Ford–Freed corrector weight `a_{j,n}`, `0 ≤ j ≤ n`: `a_{0,n} = (n−1)^{β+1} −
    /// (n−1−β) n^β`, `a_{j,n} = (n−j+1)^{β+1} + (n−j−1)^{β+1} − 2(n−j)^{β+1}`, `a_{n,n} = 1`.
    fn dff_weight(beta: f64, j: usize, n: usize) -> f64 {
        let p = beta + 1.0;
        if j == 0 {
            let k = (n - 1) as f64;
            k.powf(p) - (k - beta) * (n as f64).powf(beta)
        } else if j == n {
            1.0
        } else {
            let d = (n - j) as f64;
            (d + 1.0).powf(p) + (d - 1.0).powf(p) - 2.0 * d.powf(p)
        }
    }

    #[test]
    fn trap_history_matches_dff_corrector_sum() {
        let (h, n_steps) = (1e-3, 1000);
        let f = cos_grid(n_steps, h);
        for beta in [0.3, 0.6, 0.9] {
            let kernel = SoeKernel::new(1.0 - beta, h, 1.0, 1e-10);
            let inv_gamma_beta = 1.0 / gamma(beta);
            let c = h.powf(beta) / gamma(beta + 2.0);
            for n_exact in 1..=4 {
                let modes = kernel.trap_history_weights(h, n_exact);
                let cells: Vec<(f64, f64)> =
                    (0..=n_exact).map(|m| product_trapezoid_cell_weights(beta, h, m)).collect();
                let mut state = vec![0.0; kernel.len()];
                let mut worst: f64 = 0.0;
                for n in 1..=n_steps {
                    let soe = inv_gamma_beta * state.iter().sum::<f64>();
                    // Full DFF corrector history c[f_n + Σ_{j<n} a_{j,n} f_j].
                    let dff: f64 = c * (0..=n).map(|j| dff_weight(beta, j, n) * f[j]).sum::<f64>();
                    let exact: f64 =
                        (0..n.min(n_exact)).map(|m| cells[m].0 * f[n - 1 - m] + cells[m].1 * f[n - m]).sum();
                    assert!(
                        (exact + soe - dff).abs() <= 1e-8 * dff,
                        "β={beta} n_exact={n_exact} n={n}: {} vs {dff}",
                        exact + soe
                    );
                    if n > n_exact {
                        // Mode part = DFF terms of the nodes left of the window plus the
                        // right-end share R_{n_exact} of the node on the window edge.
                        let old: f64 = c * (0..n - n_exact).map(|j| dff_weight(beta, j, n) * f[j]).sum::<f64>()
                            + cells[n_exact].1 * f[n - n_exact];
                        worst = worst.max((soe - old).abs() / old);
                    } else {
                        assert_eq!(soe, 0.0);
                    }
                    if n >= n_exact {
                        modes.advance(&mut state, f[n - n_exact], f[n - n_exact + 1]);
                    }
                }
                println!("trap β={beta} n_exact={n_exact} Q={}: worst rel {worst:.2e}", kernel.len());
                assert!(worst <= 1e-8, "β={beta} n_exact={n_exact}: worst rel {worst:e}");
                assert!(worst <= 2e-10, "β={beta} n_exact={n_exact}: worst rel {worst:e}");
            }
        }
    }
}
