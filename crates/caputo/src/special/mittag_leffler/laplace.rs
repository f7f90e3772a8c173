//! Garrappa's inversion of the Laplace transform of `E_{α,β}`: the trapezoidal rule on an
//! optimal parabolic contour plus the residues of the poles left outside it (R. Garrappa,
//! SIAM J. Numer. Anal. 53 (2015) 1350–1369, MATLAB `ml.m`).

use std::f64::consts::PI;

use super::complex::Cx;

/// `ln ε` of the binary64 unit round-off (MATLAB `log(eps)` in `ml.m`).
const LN_EPS: f64 = -52.0 * std::f64::consts::LN_2;

/// Garrappa's Laplace-transform inversion of `E_{α,β}(z)` for real `z ≠ 0`.
///
/// `E_{α,β}(z) = (1/2πi) ∫_C e^s s^{α−β}/(s^α − z) ds`. The poles `s*` solve
/// `s^α = z` on the principal sheet; the parabolic contour
/// `s(u) = μ(1 + iu)²` leaves the poles with `(Re s* + |s*|)/2 > μ` outside, and
/// their residues `s*^{1−β} e^{s*}/α` are added. `μ`, the step `h` and the number of
/// nodes are chosen per admissible region between singularities to balance
/// discretisation, truncation and round-off error (`ml.m`, `OptimalParam_RB/RU`).
/// Because `z` is real the integrand is conjugate-symmetric and only `u ≥ 0` is
/// summed.
pub(super) fn ml_laplace_inversion(alpha: f64, beta: f64, z: f64) -> f64 {
    let mut log_eps = (1e-15f64).ln();
    let theta = if z < 0.0 { PI } else { 0.0 };
    let abs_z = z.abs();
    // Poles of the Laplace transform on the principal sheet.
    let k_min = (-alpha / 2.0 - theta / (2.0 * PI)).ceil() as i64;
    let k_max = (alpha / 2.0 - theta / (2.0 * PI)).floor() as i64;
    let radius = abs_z.powf(1.0 / alpha);
    let mut poles: Vec<(f64, Cx)> = (k_min..=k_max)
        .map(|k| {
            let s = Cx::from_polar(radius, (theta + 2.0 * PI * k as f64) / alpha);
            ((s.re + s.abs()) / 2.0, s)
        })
        // Poles on the negative real axis (φ = 0) are never outside the contour.
        .filter(|(phi, _)| *phi > 1e-15)
        .collect();
    poles.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Singularities: the branch point at the origin, then the poles by φ.
    let mut s_star = vec![Cx::new(0.0, 0.0)];
    let mut phi = vec![0.0];
    for (ph, s) in &poles {
        s_star.push(*s);
        phi.push(*ph);
    }
    let j1 = s_star.len();
    // Strength of each singularity as seen from the region to its right (p) and
    // left (q): the origin behaves like s^{α−β}, poles like simple poles.
    let mut p = vec![(-2.0 * (alpha - beta + 1.0)).max(0.0)];
    p.extend(std::iter::repeat_n(1.0, j1 - 1));
    let mut q = vec![1.0; j1 - 1];
    q.push(f64::INFINITY);
    phi.push(f64::INFINITY);

    let t = 1.0;
    let mut best: Option<(usize, f64, f64, f64)> = None;
    for _ in 0..20 {
        let admissible: Vec<usize> =
            (0..j1).filter(|&j| phi[j] < (log_eps - LN_EPS) / t && phi[j] < phi[j + 1]).collect();
        best = None;
        for &j in &admissible {
            let (mu, h, n) = if j < j1 - 1 {
                optimal_param_rb(t, phi[j], phi[j + 1], p[j], q[j], log_eps)
            } else {
                optimal_param_ru(t, phi[j], p[j], log_eps)
            };
            if n.is_finite() && best.is_none_or(|b| n < b.3) {
                best = Some((j, mu, h, n));
            }
        }
        // Garrappa caps the node count at 200 by relaxing the tolerance; we allow
        // more nodes first because accuracy matters more than speed here.
        match best {
            Some(b) if b.3 <= 400.0 => break,
            _ => log_eps += std::f64::consts::LN_10,
        }
    }
    let Some((region, mu, h, n)) = best else {
        return f64::NAN;
    };
    let n = n as i64;
    // Trapezoidal rule on s(u) = μ(1 + iu)², s'(u) = 2μ(i − u); by conjugate
    // symmetry the sum over u = kh, k = −N..N, of S(u)/(2πi) is
    // (h/2π)[Im S(0) + 2 Σ_{k≥1} Im S(kh)].
    let integrand = |u: f64| -> f64 {
        let s = Cx::new(mu * (1.0 - u * u), 2.0 * mu * u);
        let ds = Cx::new(-2.0 * mu * u, 2.0 * mu);
        let ln_s = s.ln();
        let num = (ln_s * (alpha - beta) + s * t).exp();
        let den = (ln_s * alpha).exp() - Cx::new(z, 0.0);
        (num / den * ds).im
    };
    let mut acc = integrand(0.0);
    // Sum from the smallest (outermost) terms inwards.
    let mut tail = 0.0;
    for k in (1..=n).rev() {
        tail += integrand(h * k as f64);
    }
    acc += 2.0 * tail;
    let integral = h * acc / (2.0 * PI);
    // Residues of the poles outside the contour.
    let mut residues = 0.0;
    for s in &s_star[region + 1..] {
        let r = (s.ln() * (1.0 - beta) + *s * t).exp();
        residues += r.re / alpha;
    }
    integral + residues
}

/// Optimal parabolic-contour parameters `(μ, h, N)` for a bounded region between
/// singularities with `φ_j < φ_{j+1}` (Garrappa's `OptimalParam_RB`). `N` is `∞`
/// when the region is not admissible.
fn optimal_param_rb(t: f64, phi_j: f64, phi_j1: f64, pj: f64, qj: f64, log_epsilon: f64) -> (f64, f64, f64) {
    let fac = 1.01;
    let f_max = (log_epsilon - LN_EPS).exp();
    let sq_phi_j = phi_j.sqrt();
    let threshold = 2.0 * ((log_epsilon - LN_EPS) / t).sqrt();
    let sq_phi_j1 = phi_j1.sqrt().min(threshold - sq_phi_j);
    let none = (0.0, 0.0, f64::INFINITY);
    let (sq_phibar_j, sq_phibar_j1, f_bar) = if pj < 1e-14 && qj < 1e-14 {
        (sq_phi_j, sq_phi_j1, 1.0)
    } else if pj < 1e-14 {
        let f_min = if sq_phi_j > 0.0 { fac * (sq_phi_j / (sq_phi_j1 - sq_phi_j)).powf(qj) } else { fac };
        if f_min.is_nan() || f_min >= f_max {
            return none;
        }
        let f_bar = f_min + f_min / f_max * (f_max - f_min);
        let fq = f_bar.powf(-1.0 / qj);
        (sq_phi_j, (2.0 * sq_phi_j1 - fq * sq_phi_j) / (2.0 + fq), f_bar)
    } else if qj < 1e-14 {
        let f_min = fac * (sq_phi_j1 / (sq_phi_j1 - sq_phi_j)).powf(pj);
        if f_min.is_nan() || f_min >= f_max {
            return none;
        }
        let f_bar = f_min + f_min / f_max * (f_max - f_min);
        let fp = f_bar.powf(-1.0 / pj);
        ((2.0 * sq_phi_j + fp * sq_phi_j1) / (2.0 - fp), sq_phi_j1, f_bar)
    } else {
        let f_min = fac * (sq_phi_j + sq_phi_j1) / (sq_phi_j1 - sq_phi_j).powf(pj.max(qj));
        if f_min.is_nan() || f_min >= f_max {
            return none;
        }
        let f_min = f_min.max(1.5);
        let f_bar = f_min + f_min / f_max * (f_max - f_min);
        let fp = f_bar.powf(-1.0 / pj);
        let fq = f_bar.powf(-1.0 / qj);
        let w = -phi_j1 * t / log_epsilon;
        let den = 2.0 + w - (1.0 + w) * fp + fq;
        (
            ((2.0 + w + fq) * sq_phi_j + fp * sq_phi_j1) / den,
            (-(1.0 + w) * fq * sq_phi_j + (2.0 + w - (1.0 + w) * fp) * sq_phi_j1) / den,
            f_bar,
        )
    };
    let log_epsilon = log_epsilon - f_bar.ln();
    let w = -sq_phibar_j1 * sq_phibar_j1 * t / log_epsilon;
    let mu = (((1.0 + w) * sq_phibar_j + sq_phibar_j1) / (2.0 + w)).powi(2);
    let h = -2.0 * PI / log_epsilon * (sq_phibar_j1 - sq_phibar_j) / ((1.0 + w) * sq_phibar_j + sq_phibar_j1);
    let n = ((1.0 - log_epsilon / t / mu).sqrt() / h).ceil();
    if !(mu > 0.0 && h > 0.0 && n.is_finite()) {
        return none;
    }
    (mu, h, n)
}

/// Optimal parabolic-contour parameters `(μ, h, N)` for the unbounded region to the
/// right of the singularity with the largest `φ` (Garrappa's `OptimalParam_RU`).
fn optimal_param_ru(t: f64, phi_j: f64, pj: f64, log_epsilon: f64) -> (f64, f64, f64) {
    let sq_phi_s_j = phi_j.sqrt();
    let mut phibar_j = if phi_j > 0.0 { phi_j * 1.01 } else { 0.01 };
    let mut sq_phibar_j = phibar_j.sqrt();
    let (f_min, f_max, f_tar) = (1.0_f64, 10.0_f64, 5.0_f64);
    let mut n;
    let mut a;
    let mut sq_mu;
    let mut iterations = 0;
    loop {
        let phi_t = phibar_j * t;
        let log_eps_phi_t = log_epsilon / phi_t;
        n = (phi_t / PI * (1.0 - 3.0 * log_eps_phi_t / 2.0 + (1.0 - 2.0 * log_eps_phi_t).sqrt())).ceil();
        a = PI * n / phi_t;
        sq_mu = sq_phibar_j * (4.0 - a).abs() / (7.0 - (1.0 + 12.0 * a).sqrt()).abs();
        let fbar = ((sq_phibar_j - sq_phi_s_j) / sq_mu).powf(-pj);
        iterations += 1;
        if pj < 1e-14 || (f_min < fbar && fbar < f_max) || iterations > 100 {
            break;
        }
        sq_phibar_j = f_tar.powf(-1.0 / pj) * sq_mu + sq_phi_s_j;
        phibar_j = sq_phibar_j * sq_phibar_j;
    }
    let mut mu = sq_mu * sq_mu;
    let mut h = (-3.0 * a - 2.0 + 2.0 * (1.0 + 12.0 * a).sqrt()) / (4.0 - a) / n;
    // Keep round-off under control: e^{μ t} must stay below tolerance / unit round-off.
    let threshold = (log_epsilon - LN_EPS) / t;
    if mu > threshold {
        let q = if pj.abs() < 1e-14 { 0.0 } else { f_tar.powf(-1.0 / pj) * mu.sqrt() };
        let phibar = (q + phi_j.sqrt()).powi(2);
        if phibar < threshold {
            let w = (LN_EPS / (LN_EPS - log_epsilon)).sqrt();
            let u = (-phibar * t / LN_EPS).sqrt();
            mu = threshold;
            n = (w * log_epsilon / 2.0 / PI / (u * w - 1.0)).ceil();
            h = (LN_EPS / (LN_EPS - log_epsilon)).sqrt() / n;
        } else {
            return (0.0, 0.0, f64::INFINITY);
        }
    }
    if !(mu > 0.0 && h > 0.0 && n.is_finite() && n >= 1.0) {
        return (0.0, 0.0, f64::INFINITY);
    }
    (mu, h, n)
}
