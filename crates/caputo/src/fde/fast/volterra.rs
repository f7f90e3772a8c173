//! The fast history of the Volterra-form schemes (predictor, ABM): the plan (exact window,
//! mode decays and readouts), the causal sums of the forward march and their transpose.

use std::collections::VecDeque;

use burn::tensor::Tensor;

use super::{WINDOW, add, axpy, soe_kernel};
use crate::fde::kernel::Kernel;
use crate::fde::soe::product_trapezoid_cell_weights;
use crate::special::gamma;
use crate::tensor::from_vec_like;

/// The coefficients of the fast history of one Volterra scheme on one grid: exact window
/// weights, mode decays and readouts.
#[derive(Debug, Clone)]
pub(crate) struct FastPlan {
    h: f64,
    /// `s_q` (for the `f_0` correction).
    pub(super) rate: Vec<f64>,
    /// `e^{−s_q h}`.
    pub(super) decay: Vec<f64>,
    /// `r^B_q`: rectangle readout.
    pub(super) read_b: Vec<f64>,
    /// `r^A_q`: trapezoid readout (ABM only).
    read_a: Option<Vec<f64>>,
    /// `ι^R_q/Γ(α)`: right-end injection (ABM only).
    right: Vec<f64>,
    /// `B` at lags `1..=WINDOW`.
    pub(super) b_win: Vec<f64>,
    /// `A` at lags `1..=WINDOW` for `j ≥ 1` (the edge lag includes `ρ`).
    a_win: Vec<f64>,
    /// `A(n, 0)` for `n ≤ WINDOW`.
    a_col0: Vec<f64>,
}

impl FastPlan {
    /// The plan for the kernels `b` (and `a`) of a Volterra scheme of order `alpha` on
    /// `n_steps` steps of size `h`, with kernel accuracy `tol`.
    pub(crate) fn new(alpha: f64, h: f64, n_steps: usize, tol: f64, b: &Kernel<f64>, a: Option<&Kernel<f64>>) -> Self {
        let w = WINDOW;
        let soe = soe_kernel(alpha, h, n_steps, tol);
        // 1/Γ(α) as a product: the readouts are reused every step.
        let inv_g = 1.0 / gamma(alpha);
        let rect = soe.rect_history_weights(h, w);
        let read_b = rect.inject.iter().map(|x| x * inv_g).collect();
        let lag = |k: &Kernel<f64>, m: usize| k.toe.get(m).copied().unwrap_or(0.0);
        let b_win = (1..=w).map(|m| lag(b, m)).collect();
        let (read_a, right, a_win, a_col0) = match a {
            Some(a) => {
                let trap = soe.trap_history_weights(h, w);
                let read_a = (0..soe.len())
                    .map(|q| (trap.inject_left[q] + trap.inject_right[q] * trap.decay[q]) * inv_g)
                    .collect();
                let right: Vec<f64> = trap.inject_right.iter().map(|x| x * inv_g).collect();
                let rho: f64 = right.iter().sum();
                let (left_edge, _) = product_trapezoid_cell_weights(alpha, h, w - 1);
                let a_win = (1..=w).map(|m| if m < w { lag(a, m) } else { left_edge + rho }).collect();
                let a_col0 = (0..=w).map(|n| if n == 0 || n > n_steps { 0.0 } else { a.at(n, 0) }).collect();
                (Some(read_a), right, a_win, a_col0)
            }
            None => (None, vec![], vec![], vec![]),
        };
        Self { h, rate: soe.s.clone(), decay: rect.decay, read_b, read_a, right, b_win, a_win, a_col0 }
    }

    /// A Toeplitz-only plan in step units (`h = 1`, no trapezoid part): decays `e^{−s_q}`,
    /// readouts `read_b`, exact window weights `b_win` (the L1 kernel's far lags).
    pub(super) fn toeplitz(rate: Vec<f64>, read_b: Vec<f64>, b_win: Vec<f64>) -> Self {
        let decay = rate.iter().map(|s| (-s).exp()).collect();
        Self { h: 1.0, rate, decay, read_b, read_a: None, right: vec![], b_win, a_win: vec![], a_col0: vec![] }
    }

    /// Number of modes `Q`.
    pub(crate) fn modes(&self) -> usize {
        self.decay.len()
    }

    /// Exact-window weight of `A` for the node at lag `k ∈ 1..=WINDOW` in row `n`.
    fn a_weight(&self, n: usize, k: usize) -> f64 {
        if n == k { self.a_col0[n] } else { self.a_win[k - 1] }
    }

    /// What the trapezoid readout over-counts `f_0` by in row `n > WINDOW`.
    fn col0_excess(&self, n: usize) -> f64 {
        let dist = (n - WINDOW) as f64 * self.h;
        self.rate.iter().zip(&self.right).map(|(s, r)| r * (-s * dist).exp()).sum()
    }

    /// The dense kernels `(B, A)` this plan represents on `n_steps` steps (`a_diag`: the
    /// corrector's diagonal weight) — the oracle of the unit tests.
    #[cfg(test)]
    fn represented(&self, n_steps: usize, a_diag: f64) -> (Kernel<f64>, Option<Kernel<f64>>) {
        let w = WINDOW;
        let far = |r: &[f64], k: usize| -> f64 {
            r.iter().zip(&self.decay).map(|(r, d)| r * d.powi((k - 1 - w) as i32)).sum()
        };
        let b = (0..=n_steps)
            .map(|k| {
                if k == 0 {
                    0.0
                } else if k <= w {
                    self.b_win[k - 1]
                } else {
                    far(&self.read_b, k)
                }
            })
            .collect();
        let b = Kernel { toe: b, col0: None };
        let a = self.read_a.as_ref().map(|ra| {
            let toe = (0..=n_steps)
                .map(|k| {
                    if k == 0 {
                        a_diag
                    } else if k <= w {
                        self.a_win[k - 1]
                    } else {
                        far(ra, k)
                    }
                })
                .collect();
            let col0 =
                (0..=n_steps).map(|n| if n <= w { self.a_col0[n] } else { far(ra, n) - self.col0_excess(n) }).collect();
            Kernel { toe, col0: Some(col0) }
        });
        (b, a)
    }
}

/// `[rows, cols]` constant on the device and in the dtype of `like`.
fn constant(v: &[f64], shape: [usize; 2], like: &Tensor<1>) -> Tensor<2> {
    from_vec_like(v.to_vec(), shape, like)
}

/// The causal fast history `Σ_{j<n} B(n,j) f_j` (and `A`) of the forward march.
#[derive(Debug, Clone)]
pub(crate) struct SoeHistory {
    /// Shared, so a snapshot of the history (checkpointing) copies only its tensors.
    plan: std::sync::Arc<FastPlan>,
    /// Newest first: `ring[k−1] = f_{n−k}`.
    ring: VecDeque<Tensor<1>>,
    /// `Z [Q, d]` once a row has left the window.
    modes: Option<Tensor<2>>,
    /// `f_0`, for the corrector's `j = 0` column.
    first: Option<Tensor<1>>,
    /// `(decay [Q,1], r^B [1,Q], r^A [1,Q])` on the rows' device.
    consts: Option<(Tensor<2>, Tensor<2>, Option<Tensor<2>>)>,
    len: usize,
}

impl SoeHistory {
    pub(crate) fn new(plan: FastPlan) -> Self {
        Self {
            plan: std::sync::Arc::new(plan),
            ring: VecDeque::with_capacity(WINDOW + 1),
            modes: None,
            first: None,
            consts: None,
            len: 0,
        }
    }

    /// Appends `f_n` (`n` = rows pushed so far).
    pub(crate) fn push(&mut self, row: Tensor<1>) {
        if self.len == 0 && self.plan.read_a.is_some() {
            self.first = Some(row.clone());
        }
        self.ring.push_front(row);
        self.len += 1;
        if self.ring.len() > WINDOW {
            let old = self.ring.pop_back().expect("ring holds WINDOW + 1 rows");
            let d = old.dims()[0];
            let q = self.plan.modes();
            let (decay, _, _) = self.consts.get_or_insert_with(|| {
                let p = &self.plan;
                (
                    constant(&p.decay, [q, 1], &old),
                    constant(&p.read_b, [1, q], &old),
                    p.read_a.as_ref().map(|r| constant(r, [1, q], &old)),
                )
            });
            let old = old.reshape([1, d]);
            self.modes = Some(match self.modes.take() {
                Some(z) => z * decay.clone() + old,
                None => old.repeat_dim(0, q),
            });
        }
    }

    fn readout(&self, r: &Tensor<2>) -> Option<Tensor<1>> {
        self.modes.as_ref().map(|z| {
            let d = z.dims()[1];
            r.clone().matmul(z.clone()).reshape([d])
        })
    }

    /// `Σ_{j<n} B(n,j) f_j` for `n` = rows pushed; `None` when empty.
    pub(crate) fn sum_b(&self) -> Option<Tensor<1>> {
        let mut acc = None;
        for (k, f) in self.ring.iter().enumerate() {
            acc = axpy(acc, self.plan.b_win[k], f);
        }
        match self.consts.as_ref().and_then(|(_, rb, _)| self.readout(rb)) {
            Some(far) => Some(add(acc, far)),
            None => acc,
        }
    }

    /// `Σ_{j<n} A(n,j) f_j` for `n` = rows pushed (ABM corrector history).
    pub(crate) fn sum_a(&self) -> Option<Tensor<1>> {
        let n = self.len;
        let mut acc = None;
        for (k, f) in self.ring.iter().enumerate() {
            acc = axpy(acc, self.plan.a_weight(n, k + 1), f);
        }
        let far = self.consts.as_ref().and_then(|(_, _, ra)| ra.as_ref()).and_then(|ra| self.readout(ra));
        match (far, &self.first) {
            (Some(far), Some(f0)) => {
                let acc = axpy(acc, -self.plan.col0_excess(n), f0);
                Some(add(acc, far))
            }
            _ => acc,
        }
    }

    /// Bytes held: modes, window and `f_0`.
    pub(crate) fn bytes(&self) -> usize {
        use crate::tensor::bytes;
        self.modes.as_ref().map_or(0, bytes)
            + self.ring.iter().map(bytes).sum::<usize>()
            + self.first.as_ref().map_or(0, bytes)
    }
}

/// The anti-causal fast sums `f̄_j = Σ_{m>j} B(m,j) p̄_m + A(m,j) S̄_m` of the reverse sweep:
/// the transpose of `SoeHistory`.
#[derive(Debug, Clone)]
pub(crate) struct SoeAdjoint {
    plan: FastPlan,
    n_steps: usize,
    /// Newest first: `ring[k−1] = (p̄_{j+k}, S̄_{j+k})`.
    ring: VecDeque<(Tensor<1>, Option<Tensor<1>>)>,
    /// `V [Q, d]` once a row has left the window.
    modes: Option<Tensor<2>>,
    /// `Σ_{m>WINDOW} excess(m) S̄_m`: the transposed `f_0` correction.
    excess: Option<Tensor<1>>,
    /// `(decay [Q,1], injection [Q, 1 or 2], ones [1,Q])` on the rows' device.
    consts: Option<(Tensor<2>, Tensor<2>, Tensor<2>)>,
    len: usize,
}

impl SoeAdjoint {
    pub(crate) fn new(plan: FastPlan, n_steps: usize) -> Self {
        Self {
            plan,
            n_steps,
            ring: VecDeque::with_capacity(WINDOW + 1),
            modes: None,
            excess: None,
            consts: None,
            len: 0,
        }
    }

    /// Appends `(p̄_m, S̄_m)` for `m = N, N−1, …` in turn.
    pub(crate) fn push(&mut self, p_bar: Tensor<1>, s_bar: Option<Tensor<1>>) {
        self.ring.push_front((p_bar, s_bar));
        self.len += 1;
        if self.ring.len() > WINDOW {
            let (p, s) = self.ring.pop_back().expect("ring holds WINDOW + 1 rows");
            let m = self.n_steps + 1 + WINDOW - self.len;
            let d = p.dims()[0];
            let q = self.plan.modes();
            let (decay, inject, _) = self.consts.get_or_insert_with(|| {
                let pl = &self.plan;
                let inj: Vec<f64> = match &pl.read_a {
                    Some(ra) => pl.read_b.iter().zip(ra).flat_map(|(b, a)| [*b, *a]).collect(),
                    None => pl.read_b.clone(),
                };
                let cols = inj.len() / q;
                (constant(&pl.decay, [q, 1], &p), constant(&inj, [q, cols], &p), constant(&vec![1.0; q], [1, q], &p))
            });
            let x: Tensor<2> = match &s {
                Some(s) => Tensor::stack(vec![p, s.clone()], 0),
                None => p.reshape([1, d]),
            };
            // Predictor: one column, an outer product as a broadcast multiply (a k = 1 matmul
            // is slower on CPU backends).
            let new = if inject.dims()[1] == 1 { inject.clone() * x } else { inject.clone().matmul(x) };
            self.modes = Some(match self.modes.take() {
                Some(v) => v * decay.clone() + new,
                None => new,
            });
            if let Some(s) = s {
                let e = s.mul_scalar(self.plan.col0_excess(m));
                self.excess = Some(match self.excess.take() {
                    Some(x) => x + e,
                    None => e,
                });
            }
        }
    }

    /// `f̄_j` for `j = N − (rows pushed)`; `None` when no row contributes.
    pub(crate) fn sum(&self, j: usize) -> Option<Tensor<1>> {
        debug_assert_eq!(j + self.len, self.n_steps, "transposed history read out of order; this is a bug");
        let mut acc = None;
        for (k, (p, s)) in self.ring.iter().enumerate() {
            acc = axpy(acc, self.plan.b_win[k], p);
            if let Some(s) = s {
                acc = axpy(acc, self.plan.a_weight(j + k + 1, k + 1), s);
            }
        }
        if let (Some(v), Some((_, _, ones))) = (&self.modes, &self.consts) {
            let d = v.dims()[1];
            // Σ_q V_q as a [1, Q] × [Q, d] product: contiguous rows, like the forward readout.
            acc = Some(add(acc, ones.clone().matmul(v.clone()).reshape([d])));
            if let (0, Some(e)) = (j, &self.excess) {
                acc = acc.map(|a| a - e.clone());
            }
        }
        acc
    }

    /// Bytes held: modes, window and the `f_0` accumulator.
    pub(crate) fn bytes(&self) -> usize {
        use crate::tensor::bytes;
        let ring: usize = self.ring.iter().map(|(p, s)| bytes(p) + s.as_ref().map_or(0, bytes)).sum();
        self.modes.as_ref().map_or(0, bytes) + ring + self.excess.as_ref().map_or(0, bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{close, rows};
    use super::*;
    use crate::fde::abm::corrector_kernel;
    use crate::fde::history::RowStore;
    use crate::fde::predictor::predictor_kernel;
    use crate::tensor::from_vec;
    use crate::testkit::f64_device;

    #[test]
    fn fast_sums_equal_dense_sums_with_the_represented_kernel() {
        let dev = f64_device().inner();
        let (n_steps, h) = (60, 0.05);
        let data = rows(n_steps + 1, 3);
        for alpha in [0.3, 0.6, 1.0] {
            let b = predictor_kernel(alpha, h, n_steps);
            let a = corrector_kernel(alpha, h, n_steps);
            let plan = FastPlan::new(alpha, h, n_steps, 1e-8, &b, Some(&a));
            let (rb, ra) = plan.represented(n_steps, a.toe[0]);
            let ra = ra.unwrap();
            let mut fast = SoeHistory::new(plan);
            let mut dense = RowStore::new();
            for (n, row) in data.iter().enumerate() {
                if n > 0 {
                    close(fast.sum_b(), dense.weighted_sum(0, &rb.row(n, 0)), &format!("α={alpha} B row {n}"));
                    close(fast.sum_a(), dense.weighted_sum(0, &ra.row(n, 0)), &format!("α={alpha} A row {n}"));
                }
                let r = from_vec(row.clone(), [3], &dev);
                fast.push(r.clone());
                dense.push(r);
            }
            // The represented kernel is the dense one up to the SOE error.
            for m in 1..=n_steps {
                assert!((rb.toe[m] - b.toe[m]).abs() <= 1e-8 * b.toe[m], "α={alpha} B lag {m}");
                assert!((ra.toe[m] - a.toe[m]).abs() <= 1e-8 * a.toe[m], "α={alpha} A lag {m}");
                assert!((ra.at(m, 0) - a.at(m, 0)).abs() <= 1e-8 * a.at(m, 0), "α={alpha} A col0 {m}");
            }
        }
    }

    #[test]
    fn fast_transpose_equals_dense_transpose_with_the_represented_kernel() {
        let dev = f64_device().inner();
        let (n_steps, h) = (40, 0.1);
        let data = rows(2 * (n_steps + 1), 2);
        for (alpha, corrector) in [(0.4, false), (0.4, true), (0.9, true)] {
            let b = predictor_kernel(alpha, h, n_steps);
            let a = corrector_kernel(alpha, h, n_steps);
            let plan = FastPlan::new(alpha, h, n_steps, 1e-10, &b, corrector.then_some(&a));
            let (rb, ra) = plan.represented(n_steps, a.toe[0]);
            let mut fast = SoeAdjoint::new(plan, n_steps);
            let (mut dp, mut ds) = (RowStore::new(), RowStore::new());
            for j in (0..=n_steps).rev() {
                let start = 0;
                let mut want = dp.weighted_sum(start, &rb.col_rev(j, n_steps));
                if let Some(x) = ra.as_ref().and_then(|ra| ds.weighted_sum(start, &ra.col_rev(j, n_steps))) {
                    want = Some(add(want, x));
                }
                close(fast.sum(j), want, &format!("α={alpha} corrector={corrector} column {j}"));
                let p = from_vec(data[2 * j].clone(), [2], &dev);
                let s = from_vec(data[2 * j + 1].clone(), [2], &dev);
                dp.push(p.clone());
                ds.push(s.clone());
                fast.push(p, corrector.then_some(s));
            }
        }
    }
}
