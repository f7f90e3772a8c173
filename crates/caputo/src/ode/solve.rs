//! Marching an explicit Runge–Kutta method over a grid: fixed, adaptive, and dense output.
//!
//! Stepping (this file), the step itself ([`super::erk`]) and the step controller
//! ([`super::control`]) are separate, separately tested pieces; the gradient methods reuse
//! [`march_on_grid`] on autodiff tensors and [`super::erk::rk_step_vjp`] in reverse.

use burn::tensor::Tensor;

use super::control::{Adaptive, StepControl, fixed_grid, pi_factor, validate_times};
use super::erk::rk_step;
use super::tableau::ButcherTableau;
use crate::error::{Error, Result};
use crate::field::{Evaluator, VectorField};
use crate::stats::{Stats, StopReason};
use crate::tensor::{all_finite, bytes, scalar};

pub use crate::solution::Solution;

/// The steps a solve took, with the states at step endpoints when stored.
#[derive(Debug, Clone)]
pub struct Trajectory<const D: usize> {
    /// Step endpoints `t_0 < … < t_M`.
    pub grid: Vec<f64>,
    /// `y` at each endpoint (empty unless stored).
    pub states: Vec<Tensor<D>>,
    /// For output time `k`, the index of its step endpoint in `grid`.
    pub out_idx: Vec<usize>,
    /// The state at each output time reached.
    pub outputs: Vec<Tensor<D>>,
    /// Counters.
    pub stats: Stats,
    /// Why it stopped.
    pub stop: StopReason,
}

fn check_finite<const D: usize>(y: &Tensor<D>, t: f64, step: usize) -> Result<()> {
    if all_finite(y) { Ok(()) } else { Err(Error::NonFinite { t, step }) }
}

/// Marches over a given grid (every output time must be a grid point, `out_idx` says which).
/// `f` may evaluate on plain or on autodiff tensors. States are stored at grid indices that are
/// multiples of `store_every` and at the last index (`store_every = 0`: none, `1`: all).
pub fn march_on_grid<const D: usize>(
    tab: &ButcherTableau,
    f: &mut dyn FnMut(f64, Tensor<D>) -> Tensor<D>,
    y0: Tensor<D>,
    grid: &[f64],
    out_idx: &[usize],
    store_every: usize,
) -> Result<Trajectory<D>> {
    let mut stats = Stats::default();
    let mut y = y0;
    let mut states = Vec::new();
    let mut outputs = Vec::with_capacity(out_idx.len());
    let mut k = 0;
    let mut fsal: Option<Tensor<D>> = None;
    let mut held = 0usize;
    for n in 0..grid.len() {
        while k < out_idx.len() && out_idx[k] == n {
            outputs.push(y.clone());
            held += bytes(&y);
            k += 1;
        }
        if store_every > 0 && (n % store_every == 0 || n + 1 == grid.len()) {
            states.push(y.clone());
            held += bytes(&y);
        }
        if n + 1 == grid.len() {
            break;
        }
        let (t, h) = (grid[n], grid[n + 1] - grid[n]);
        let step = rk_step(tab, f, t, &y, h, fsal.take());
        if tab.is_fsal() {
            fsal = step.k.last().cloned();
        }
        y = step.y_new;
        stats.steps += 1;
        check_finite(&y, grid[n + 1], n + 1)?;
    }
    stats.peak_stored_bytes = held;
    Ok(Trajectory {
        grid: grid.to_vec(),
        states,
        out_idx: out_idx.to_vec(),
        outputs,
        stats,
        stop: StopReason::Completed,
    })
}

/// RMS norm of `e / (atol + rtol·max(|y|, |y_new|))`.
fn scaled_norm<const D: usize>(e: &Tensor<D>, y: &Tensor<D>, y_new: &Tensor<D>, rtol: f64, atol: f64) -> f64 {
    let n = e.shape().num_elements() as f64;
    let scale = y.clone().inner().abs().max_pair(y_new.clone().inner().abs()).mul_scalar(rtol).add_scalar(atol);
    let r = e.clone().inner() / scale;
    (scalar((r.clone() * r).sum()) / n).sqrt()
}

fn rms<const D: usize>(v: &Tensor<D>, scale: &Tensor<D>) -> f64 {
    let n = v.shape().num_elements() as f64;
    let r = v.clone() / scale.clone();
    (scalar((r.clone() * r).sum()) / n).sqrt()
}

/// Hairer's starting step (Hairer–Nørsett–Wanner I, §II.4), as torchdiffeq and diffrax use.
fn initial_step<const D: usize>(
    f: &mut dyn FnMut(f64, Tensor<D>) -> Tensor<D>,
    t0: f64,
    y0: &Tensor<D>,
    f0: &Tensor<D>,
    order: u32,
    a: &Adaptive,
) -> f64 {
    let scale = y0.clone().abs().mul_scalar(a.rtol).add_scalar(a.atol);
    let d0 = rms(y0, &scale);
    let d1 = rms(f0, &scale);
    let h0 = if d0 < 1e-5 || d1 < 1e-5 { 1e-6 } else { 0.01 * d0 / d1 };
    let y1 = y0.clone() + f0.clone().mul_scalar(h0);
    let f1 = f(t0 + h0, y1);
    let d2 = rms(&(f1 - f0.clone()), &scale) / h0;
    let h1 =
        if d1.max(d2) <= 1e-15 { (h0 * 1e-3).max(1e-6) } else { (0.01 / d1.max(d2)).powf(1.0 / (order as f64 + 1.0)) };
    (100.0 * h0).min(h1)
}

/// Adaptive march with steps clipped to land on every output time. Graph-free.
fn march_adaptive<const D: usize>(
    tab: &ButcherTableau,
    f: &mut dyn FnMut(f64, Tensor<D>) -> Tensor<D>,
    y0: Tensor<D>,
    t_out: &[f64],
    a: &Adaptive,
    store_states: bool,
) -> Result<Trajectory<D>> {
    if tab.b_embedded().is_none() {
        return Err(Error::Unsupported {
            method: format!("tableau {}", tab.name()),
            what: "adaptive steps (it has no embedded error estimate)".into(),
        });
    }
    let q = tab.embedded_order().unwrap_or(1).min(tab.order()) as f64 + 1.0;
    let mut stats = Stats::default();
    let t_end = *t_out.last().expect("validated grid");
    let mut t = t_out[0];
    let mut y = y0;
    let mut f0 = f(t, y.clone());
    let mut h = match a.h0 {
        Some(h0) => h0,
        None => initial_step(f, t, &y, &f0, tab.order(), a),
    };
    let mut grid = vec![t];
    let mut states = if store_states { vec![y.clone()] } else { Vec::new() };
    let mut outputs = vec![y.clone()];
    let mut out_idx = vec![0];
    let mut k = 1;
    let mut err_prev = 1.0;
    let mut held = 2 * bytes(&y);
    while k < t_out.len() {
        if stats.steps + stats.rejected_steps >= a.max_steps {
            stats.peak_stored_bytes = held;
            return Ok(Trajectory { grid, states, out_idx, outputs, stats, stop: StopReason::MaxStepsReached });
        }
        let target = t_out[k];
        let clipped = t + h >= target - 1e-12 * target.abs().max(1.0);
        let h_try = if clipped { target - t } else { h };
        let step = rk_step(tab, f, t, &y, h_try, Some(f0.clone()));
        let err = scaled_norm(step.err.as_ref().expect("embedded"), &y, &step.y_new, a.rtol, a.atol);
        if !err.is_finite() {
            // A blown-up trial step: shrink hard and retry rather than fail.
            stats.rejected_steps += 1;
            h = h_try * 0.2;
            if h < 1e-14 * t.abs().max(1.0) {
                return Err(Error::NonFinite { t: t + h_try, step: stats.steps + 1 });
            }
            continue;
        }
        let fac = pi_factor(err, err_prev, q);
        if err <= 1.0 {
            t = if clipped { target } else { t + h_try };
            y = step.y_new;
            check_finite(&y, t, stats.steps + 1)?;
            f0 = if tab.is_fsal() { step.k.last().cloned().expect("stages") } else { f(t, y.clone()) };
            stats.steps += 1;
            err_prev = err;
            grid.push(t);
            if store_states {
                held += bytes(&y);
                states.push(y.clone());
            }
            if clipped {
                outputs.push(y.clone());
                held += bytes(&y);
                out_idx.push(grid.len() - 1);
                k += 1;
            }
            // Clipping shortens a step for the output's sake, not the error's: keep h.
            h = if clipped { h.max(h_try * fac) } else { h_try * fac };
        } else {
            stats.rejected_steps += 1;
            h = h_try * fac.min(1.0);
        }
        if h < 1e-14 * t.abs().max(1.0) && t < t_end {
            return Err(Error::InvalidStep { reason: format!("step size underflow (h = {h:e}) at t = {t}") });
        }
    }
    stats.peak_stored_bytes = held;
    Ok(Trajectory { grid, states, out_idx, outputs, stats, stop: StopReason::Completed })
}

/// Runs the forward solve and returns the trajectory (states stored when asked); the grid it
/// chose can be replayed exactly with [`march_on_grid`].
///
/// # Example
/// ```
/// use burn::tensor::{Device, Tensor};
/// use caputo::{field::FnField, ode::{solve::trajectory, ButcherTableau, StepControl}};
/// let dev = Device::flex();
/// let field = FnField::new(|_t: f64, y: Tensor<1>| -y);
/// let y0 = Tensor::<1>::from_floats([1.0], &dev);
/// let ctl = StepControl::adaptive(1e-8, 1e-10);
/// let tr = trajectory(&field, y0, &[0.0, 2.0], &ButcherTableau::dopri5(), &ctl, true).unwrap();
/// // The accepted step endpoints, one stored state per endpoint, the output at t = 2.
/// assert_eq!(tr.states.len(), tr.grid.len());
/// assert_eq!(*tr.grid.last().unwrap(), 2.0);
/// let y2 = caputo::tensor::scalar(tr.outputs[1].clone());
/// assert!((y2 - (-2.0f64).exp()).abs() < 1e-7);
/// ```
pub fn trajectory<const D: usize, F: VectorField<D>>(
    field: &F,
    y0: Tensor<D>,
    t: &[f64],
    tab: &ButcherTableau,
    control: &StepControl,
    store_states: bool,
) -> Result<Trajectory<D>> {
    validate_times(t)?;
    control.validate()?;
    check_finite(&y0, t[0], 0)?;
    let mut ev = Evaluator::new(field);
    let y0 = y0.inner();
    let mut f = |t: f64, y: Tensor<D>| ev.eval(t, y);
    let mut tr = match control {
        StepControl::Fixed { n_steps } => {
            let (grid, out_idx) = fixed_grid(t, *n_steps);
            march_on_grid(tab, &mut f, y0, &grid, &out_idx, usize::from(store_states))?
        }
        StepControl::Adaptive(a) => march_adaptive(tab, &mut f, y0, t, a, store_states)?,
    };
    tr.stats.field_evals = ev.n_evals;
    Ok(tr)
}

/// Solves `y' = f(t, y; θ)`, `y(t[0]) = y0`, returning `y` at every time in `t`.
///
/// Steps land exactly on the output times (fixed grids insert them as extra grid points,
/// the adaptive controller clips its steps), so the outputs carry the method's step error and
/// no interpolation error; [`solve_dense`] interpolates instead. The solve records no graph.
///
/// # Errors
/// [`Error::InvalidGrid`] for fewer than two or non-increasing times,
/// [`Error::InvalidStep`]/[`Error::InvalidTolerance`] for bad step settings,
/// [`Error::NonFinite`] when the state blows up,
/// [`Error::Unsupported`] for adaptive steps with a tableau without embedded weights.
///
/// # Example
/// ```
/// use burn::tensor::{Device, Tensor};
/// use caputo::{field::FnField, ode::{solve, ButcherTableau, StepControl}};
/// let dev = Device::flex();
/// let y0 = Tensor::<1>::from_floats([1.0], &dev);
/// let field = FnField::new(|_t: f64, y: Tensor<1>| -y);
/// let sol = solve(&field, y0, &[0.0, 1.0], &ButcherTableau::rk4(), &StepControl::fixed(20)).unwrap();
/// let y1 = caputo::tensor::scalar(sol.y[1].clone());
/// assert!((y1 - (-1.0f64).exp()).abs() < 1e-6);
/// ```
pub fn solve<const D: usize, F: VectorField<D>>(
    field: &F,
    y0: Tensor<D>,
    t: &[f64],
    tab: &ButcherTableau,
    control: &StepControl,
) -> Result<Solution<D>> {
    let tr = trajectory(field, y0, t, tab, control, false)?;
    Ok(Solution { t: t[..tr.outputs.len()].to_vec(), y: tr.outputs, stats: tr.stats, stop: tr.stop })
}

/// Solves like [`solve`] but steps freely and evaluates the output times by dense output:
/// the tableau's continuous extension where it has one (dopri5), else cubic Hermite
/// interpolation from `y` and `f` at both step ends (order 3).
///
/// # Example
/// ```
/// use burn::tensor::{Device, Tensor};
/// use caputo::{field::FnField, ode::{solve::solve_dense, ButcherTableau, StepControl}};
/// let dev = Device::flex();
/// let field = FnField::new(|_t: f64, y: Tensor<1>| -y);
/// let y0 = Tensor::<1>::from_floats([1.0], &dev);
/// // 101 output times from a handful of adaptive steps.
/// let t: Vec<f64> = (0..=100).map(|k| k as f64 * 0.02).collect();
/// let ctl = StepControl::adaptive(1e-9, 1e-12);
/// let sol = solve_dense(&field, y0, &t, &ButcherTableau::dopri5(), &ctl).unwrap();
/// assert!(sol.stats.steps < 100);
/// for (tk, yk) in t.iter().zip(&sol.y) {
///     assert!((caputo::tensor::scalar(yk.clone()) - (-tk).exp()).abs() < 1e-6);
/// }
/// ```
pub fn solve_dense<const D: usize, F: VectorField<D>>(
    field: &F,
    y0: Tensor<D>,
    t: &[f64],
    tab: &ButcherTableau,
    control: &StepControl,
) -> Result<Solution<D>> {
    validate_times(t)?;
    let ends = [t[0], *t.last().expect("validated")];
    let tr = trajectory(field, y0, &ends, tab, control, true)?;
    let mut ev = Evaluator::new(field);
    let mut ys = Vec::with_capacity(t.len());
    let mut n = 0;
    for &tk in t {
        while n + 2 < tr.grid.len() && tk > tr.grid[n + 1] {
            n += 1;
        }
        if n + 1 >= tr.grid.len() {
            break; // step limit hit before this time
        }
        let (ta, tb) = (tr.grid[n], tr.grid[n + 1]);
        let h = tb - ta;
        let theta = ((tk - ta) / h).clamp(0.0, 1.0);
        let ya = &tr.states[n];
        let y = if theta == 0.0 {
            ya.clone()
        } else if theta == 1.0 {
            tr.states[n + 1].clone()
        } else if let Some(w) = tab.interpolation_weights(theta) {
            let mut f = |t: f64, y: Tensor<D>| ev.eval(t, y);
            let step = rk_step(tab, &mut f, ta, ya, h, None);
            let mut acc = ya.clone();
            for (wi, ki) in w.iter().zip(&step.k) {
                acc = acc + ki.clone().mul_scalar(h * wi);
            }
            acc
        } else {
            let yb = &tr.states[n + 1];
            let fa = ev.eval(ta, ya.clone());
            let fb = ev.eval(tb, yb.clone());
            let (t2, t3) = (theta * theta, theta * theta * theta);
            let (h00, h10, h01, h11) =
                (2.0 * t3 - 3.0 * t2 + 1.0, t3 - 2.0 * t2 + theta, -2.0 * t3 + 3.0 * t2, t3 - t2);
            ya.clone().mul_scalar(h00) + fa.mul_scalar(h * h10) + yb.clone().mul_scalar(h01) + fb.mul_scalar(h * h11)
        };
        ys.push(y);
    }
    let mut stats = tr.stats;
    stats.field_evals += ev.n_evals;
    Ok(Solution { t: t[..ys.len()].to_vec(), y: ys, stats, stop: tr.stop })
}
