//! Construction checks of a [`ButcherTableau`]: shapes, finiteness, row sums
//! `Σ_j a_ij = c_i`, `Σ b_i = 1`, and the classical order conditions (rooted trees up to
//! order 4) for the propagated and the embedded weights.

use super::ButcherTableau;
use crate::error::Error;

/// Tolerance for `|Σ_j a_ij − c_i|` (relative to `max(1, |c_i|)`) and for
/// `|Σ_i b_i − 1|`.
const SUM_TOL: f64 = 1e-12;

/// Absolute tolerance for the order conditions.
const ORDER_TOL: f64 = 1e-10;

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

/// Runs every check of [`ButcherTableau::try_new`] on the assembled fields; the first
/// failure is returned.
pub(super) fn check(t: &ButcherTableau) -> Result<(), Error> {
    let (name, a, b, c) = (t.name.as_str(), &t.a, &t.b, &t.c);
    let b_embedded = t.b_err.as_ref();
    let s = b.len();
    if name.is_empty() {
        return Err(invalid(name, "name must not be empty"));
    }
    if s == 0 {
        return Err(invalid(name, "at least one stage is required"));
    }
    if c.len() != s {
        return Err(invalid(name, format!("len(c) = {} but len(b) = {s}", c.len())));
    }
    if a.len() != s {
        return Err(invalid(name, format!("a has {} rows but there are {s} stages", a.len())));
    }
    for (i, row) in a.iter().enumerate() {
        if row.len() != i {
            return Err(invalid(
                name,
                format!("row {i} of a has {} entries; an explicit method needs exactly {i}", row.len()),
            ));
        }
    }
    if let Some(bh) = b_embedded
        && bh.len() != s
    {
        return Err(invalid(name, format!("len(b_embedded) = {} but there are {s} stages", bh.len())));
    }
    let all_finite = a.iter().flatten().all(|x| x.is_finite())
        && b.iter().chain(c).all(|x| x.is_finite())
        && b_embedded.is_none_or(|bh| bh.iter().all(|x| x.is_finite()));
    if !all_finite {
        return Err(invalid(name, "all coefficients must be finite"));
    }
    if t.order == 0 {
        return Err(invalid(name, "order must be at least 1"));
    }
    match (b_embedded, t.embedded_order) {
        (Some(_), None) => {
            return Err(invalid(name, "b_embedded given without embedded_order"));
        }
        (None, Some(_)) => {
            return Err(invalid(name, "embedded_order given without b_embedded"));
        }
        (Some(bh), Some(q)) => {
            if q == 0 {
                return Err(invalid(name, "embedded order must be at least 1"));
            }
            if bh == b {
                return Err(invalid(name, "embedded weights equal b (the error estimate would vanish)"));
            }
        }
        (None, None) => {}
    }
    for (i, (row, &ci)) in a.iter().zip(c).enumerate() {
        let sum: f64 = row.iter().sum();
        if (sum - ci).abs() > SUM_TOL * ci.abs().max(1.0) {
            return Err(invalid(name, format!("row {i} of a sums to {sum:e} but c[{i}] = {ci:e}")));
        }
    }
    let weight_sets = std::iter::once(("b", b)).chain(b_embedded.map(|bh| ("b̂", bh)));
    for (label, w) in weight_sets {
        let sum: f64 = w.iter().sum();
        if (sum - 1.0).abs() > SUM_TOL {
            return Err(invalid(name, format!("weights {label} sum to {sum:e}, expected 1")));
        }
    }
    check_order_conditions(name, "b", a, c, b, t.order)?;
    if let (Some(bh), Some(q)) = (b_embedded, t.embedded_order) {
        check_order_conditions(name, "b̂", a, c, bh, q)?;
    }
    Ok(())
}
