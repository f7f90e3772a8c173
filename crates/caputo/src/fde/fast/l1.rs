//! The fast history of the L1 scheme: the far lags of its second-difference kernel as sums of
//! exponentials of `x^{−1−α}`, run through the Volterra engine's Toeplitz machinery, plus the
//! exact first column.

use burn::tensor::Tensor;

use super::{FastPlan, SoeAdjoint, SoeHistory, WINDOW, axpy};
use crate::fde::kernel::Kernel;
use crate::fde::soe::SoeKernel;

/// The sum of exponentials of the L1 kernel's far lags: per mode `(s_q, c_q)` in step units,
/// so that `toe[m] ≈ Σ_q c_q e^{−s_q (m − WINDOW − 1)}` for `m > WINDOW`, each lag to relative
/// error `tol`. From the second-difference identity
/// `toe[m] = ∫_{−1}^{1} (1 − |τ|) g''(m + τ) dτ`, `g(x) = x^{1−α}`, `g'' = −α(1−α) x^{−1−α}`, and
/// the SOE `x^{−1−α} ≈ Σ_q w_q e^{−s_q x}` on `[WINDOW, N + 1]` (every far lag sees `m + τ` there):
/// `c_q = −α(1−α) w_q ((1 − e^{−s_q})/s_q)² e^{−s_q WINDOW}` (`= ∫(1−|τ|)e^{−s(τ + WINDOW + 1)}dτ`;
/// the square is `1` at `s = 0`). The integrand has one sign, so the pointwise relative error
/// `tol` of the SOE is the relative error of every lag. At `α = 1` the far lags vanish: one mode
/// with `c = 0`.
fn l1_modes(alpha: f64, n_steps: usize, tol: f64) -> (Vec<f64>, Vec<f64>) {
    let scale = alpha * (1.0 - alpha);
    if scale <= 0.0 {
        return (vec![0.0], vec![0.0]);
    }
    let delta = WINDOW as f64;
    let t_max = (n_steps.max(WINDOW + 1) + 1) as f64;
    let soe = SoeKernel::new(1.0 + alpha, delta, t_max, tol);
    let coef = soe
        .s
        .iter()
        .zip(&soe.w)
        .map(|(&s, &w)| {
            let cell = if s == 0.0 { 1.0 } else { -(-s).exp_m1() / s };
            -scale * w * cell * cell * (-s * delta).exp()
        })
        .collect();
    (soe.s.clone(), coef)
}

/// The fast history of the L1 scheme's sum `R_n = Σ_{j<n} d(n,j) u_j`: the Toeplitz part
/// (lags `1..=WINDOW` exact, older lags through the modes of [`l1_modes`]) as a `FastPlan`,
/// and the first column `d(n, 0) = −a_{n−1}` exact for every `n` (`u_0` is kept as one row).
#[derive(Debug, Clone)]
pub(crate) struct L1Plan {
    toe: FastPlan,
    /// `1 − α`.
    p: f64,
}

impl L1Plan {
    /// The plan for `n_steps` steps with kernel accuracy `tol`; `d` is the L1 kernel with at
    /// least the lags `≤ min(n_steps, WINDOW)`.
    pub(crate) fn new(alpha: f64, n_steps: usize, tol: f64, d: &Kernel<f64>) -> Self {
        let (rate, read_b) = l1_modes(alpha, n_steps, tol);
        let b_win = (1..=WINDOW).map(|m| d.toe.get(m).copied().unwrap_or(0.0)).collect();
        let toe = FastPlan::toeplitz(rate, read_b, b_win);
        Self { toe, p: 1.0 - alpha }
    }

    /// `d(n, 0)`, as [`crate::fde::l1::l1_kernel`] computes it.
    fn col0(&self, n: usize) -> f64 {
        if n == 0 { 0.0 } else { -crate::fde::weights::diff1(self.p, n - 1) }
    }

    /// The represented Toeplitz weight at lag `m ≥ 1`.
    #[cfg(test)]
    fn lag(&self, m: usize) -> f64 {
        if m <= WINDOW {
            self.toe.b_win[m - 1]
        } else {
            let k = (m - 1 - WINDOW) as i32;
            self.toe.read_b.iter().zip(&self.toe.decay).map(|(c, d)| c * d.powi(k)).sum()
        }
    }

    /// `Σ_{j<n} d(n, j)` of the represented kernel (the Caputo shift term of the adjoint).
    pub(crate) fn row_sum(&self, n: usize) -> f64 {
        if n == 0 {
            return 0.0;
        }
        let near: f64 = (1..n.min(WINDOW + 1)).map(|m| self.toe.b_win[m - 1]).sum();
        // Far lags WINDOW+1..=n−1: Σ_{k<K} ρ^k = expm1(−sK)/expm1(−s) (K for s = 0).
        let far = match (n - 1).checked_sub(WINDOW) {
            Some(k) if k > 0 => self
                .toe
                .read_b
                .iter()
                .zip(&self.toe.rate)
                .map(|(c, &s)| c * if s == 0.0 { k as f64 } else { (-s * k as f64).exp_m1() / (-s).exp_m1() })
                .sum(),
            _ => 0.0,
        };
        near + far + self.col0(n)
    }

    /// The dense kernel this plan represents on `n_steps` steps — the oracle of the unit tests.
    #[cfg(test)]
    fn represented(&self, n_steps: usize) -> Kernel<f64> {
        let toe = (0..=n_steps).map(|m| if m == 0 { 1.0 } else { self.lag(m) }).collect();
        Kernel { toe, col0: Some((0..=n_steps).map(|n| self.col0(n)).collect()) }
    }
}

/// The causal fast sum `R_n = Σ_{j<n} d(n,j) u_j` of the L1 scheme's forward march.
#[derive(Debug, Clone)]
pub(crate) struct L1History {
    plan: L1Plan,
    /// The Toeplitz part over `u_1, u_2, …` (a zero row stands for `u_0`).
    toe: SoeHistory,
    /// `u_0`, weighted by the exact first column.
    first: Option<Tensor<1>>,
    len: usize,
}

impl L1History {
    pub(crate) fn new(plan: L1Plan) -> Self {
        let toe = SoeHistory::new(plan.toe.clone());
        Self { plan, toe, first: None, len: 0 }
    }

    /// Appends `u_n` (`n` = rows pushed so far).
    pub(crate) fn push(&mut self, row: Tensor<1>) {
        if self.len == 0 {
            self.toe.push(row.zeros_like());
            self.first = Some(row);
        } else {
            self.toe.push(row);
        }
        self.len += 1;
    }

    /// `R_n` for `n` = rows pushed; `None` when empty.
    pub(crate) fn sum(&self) -> Option<Tensor<1>> {
        let acc = self.toe.sum_b();
        match &self.first {
            Some(u0) => axpy(acc, self.plan.col0(self.len), u0),
            None => acc,
        }
    }

    /// Bytes held: modes, window and `u_0`.
    pub(crate) fn bytes(&self) -> usize {
        self.toe.bytes() + self.first.as_ref().map_or(0, crate::tensor::bytes)
    }
}

/// The anti-causal fast sums `ū_j = Σ_{m>j} d(m,j) R̄_m` of the L1 reverse sweep: the transpose
/// of `L1History`.
#[derive(Debug, Clone)]
pub(crate) struct L1Adjoint {
    plan: L1Plan,
    toe: SoeAdjoint,
    /// `Σ_m d(m, 0) R̄_m` over the rows pushed.
    col0: Option<Tensor<1>>,
    n_steps: usize,
    len: usize,
}

impl L1Adjoint {
    pub(crate) fn new(plan: L1Plan, n_steps: usize) -> Self {
        let toe = SoeAdjoint::new(plan.toe.clone(), n_steps);
        Self { plan, toe, col0: None, n_steps, len: 0 }
    }

    /// Appends `R̄_m` for `m = N, N−1, …` in turn.
    pub(crate) fn push(&mut self, r_bar: Tensor<1>) {
        let m = self.n_steps - self.len;
        self.col0 = axpy(self.col0.take(), self.plan.col0(m), &r_bar);
        self.toe.push(r_bar, None);
        self.len += 1;
    }

    /// `ū_j` for `j = N − (rows pushed)`; `None` when no row contributes.
    pub(crate) fn sum(&self, j: usize) -> Option<Tensor<1>> {
        if j == 0 { self.col0.clone() } else { self.toe.sum(j) }
    }

    /// `Σ_{j<n} d(n, j)` of the represented kernel.
    pub(crate) fn row_sum(&self, n: usize) -> f64 {
        self.plan.row_sum(n)
    }

    /// Bytes held: modes, window and the first-column accumulator.
    pub(crate) fn bytes(&self) -> usize {
        self.toe.bytes() + self.col0.as_ref().map_or(0, crate::tensor::bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{close, rows};
    use super::*;
    use crate::fde::history::RowStore;
    use crate::tensor::from_vec;
    use crate::testkit::f64_device;

    #[test]
    fn l1_represented_kernel_is_the_dense_one_within_tol() {
        for alpha in [0.1, 0.3, 0.7, 0.95, 1.0] {
            for (n_steps, tol) in [(50, 1e-6), (3000, 1e-10)] {
                let d = crate::fde::l1::l1_kernel(alpha, n_steps);
                let plan = L1Plan::new(alpha, n_steps, tol, &d);
                let rep = plan.represented(n_steps);
                let mut worst = 0.0f64;
                for m in 1..=n_steps {
                    let e = (rep.toe[m] - d.toe[m]).abs();
                    if alpha == 1.0 {
                        assert!(e <= 1e-15, "α=1 lag {m}: {} vs {}", rep.toe[m], d.toe[m]);
                    } else {
                        worst = worst.max(e / d.toe[m].abs());
                    }
                    assert_eq!(rep.at(m, 0), d.at(m, 0), "α={alpha} col0 {m}");
                }
                assert!(worst <= tol, "α={alpha} N={n_steps} tol={tol:e}: worst relative lag error {worst:e}");
                // The closed-form row sums equal the represented rows' sums.
                for n in [1, 3, WINDOW, WINDOW + 1, WINDOW + 2, n_steps / 2, n_steps] {
                    let want: f64 = rep.row(n, 0).iter().sum();
                    let got = plan.row_sum(n);
                    assert!((got - want).abs() <= 1e-13 * (1.0 + want.abs()), "α={alpha} row {n}: {got} vs {want}");
                }
            }
        }
    }

    #[test]
    fn l1_fast_sums_equal_dense_sums_with_the_represented_kernel() {
        let dev = f64_device().inner();
        let n_steps = 60;
        let data = rows(2 * (n_steps + 1), 3);
        for alpha in [0.3, 0.7, 1.0] {
            let d = crate::fde::l1::l1_kernel(alpha, n_steps);
            let plan = L1Plan::new(alpha, n_steps, 1e-8, &d);
            let rep = plan.represented(n_steps);
            // Forward: u_0 ≠ 0 here, so the first column is exercised too.
            let mut fast = L1History::new(plan.clone());
            let mut dense = RowStore::new();
            for (n, row) in data[..=n_steps].iter().enumerate() {
                if n > 0 {
                    close(fast.sum(), dense.weighted_sum(0, &rep.row(n, 0)), &format!("α={alpha} row {n}"));
                }
                let r = from_vec(row.clone(), [3], &dev);
                fast.push(r.clone());
                dense.push(r);
            }
            // Transpose.
            let mut fast = L1Adjoint::new(plan, n_steps);
            let mut dense = RowStore::new();
            for j in (0..=n_steps).rev() {
                close(fast.sum(j), dense.weighted_sum(0, &rep.col_rev(j, n_steps)), &format!("α={alpha} column {j}"));
                if j > 0 {
                    let r = from_vec(data[n_steps + 1 + j].clone(), [3], &dev);
                    fast.push(r.clone());
                    dense.push(r);
                }
            }
        }
    }
}
