//! Convolution kernels of the uniform-grid schemes: `W(n, j) = toe[n − j]`, except the
//! `j = 0` column, which some product-integration rules correct (`col0[n]`).

use crate::special::{Dual, Real};

/// A lower-triangular, Toeplitz-plus-first-column weight matrix, generic over the scalar so
/// that `Dual` gives `∂W/∂α` alongside `W`.
#[derive(Debug, Clone)]
pub struct Kernel<R> {
    /// `toe[m]` is the weight at lag `m = n − j` (`toe[0]`: the diagonal).
    pub toe: Vec<R>,
    /// Weight of `j = 0` in row `n`, where it differs from `toe[n]`.
    pub col0: Option<Vec<R>>,
}

impl<R: Real> Kernel<R> {
    /// `W(n, j)`.
    pub fn at(&self, n: usize, j: usize) -> R {
        match (&self.col0, j) {
            (Some(c), 0) => c[n],
            _ => self.toe[n - j],
        }
    }
}

impl Kernel<f64> {
    /// Row `n`, columns `lo..n` (the history part of the row).
    pub fn row(&self, n: usize, lo: usize) -> Vec<f64> {
        (lo..n).map(|j| self.at(n, j)).collect()
    }
    /// Column `j`, rows `j+1..=hi`, in the order `hi, hi−1, …, j+1` (the order in which the
    /// reverse sweep pushes its rows).
    pub fn col_rev(&self, j: usize, hi: usize) -> Vec<f64> {
        (j + 1..=hi).rev().map(|n| self.at(n, j)).collect()
    }
}

impl Kernel<Dual> {
    /// Splits into the value kernel and the `∂/∂α` kernel.
    ///
    /// # Example
    /// ```
    /// use caputo::fde::kernel::Kernel;
    /// use caputo::fde::weights::grunwald;
    /// use caputo::special::Dual;
    /// // Grünwald–Letnikov weights at α = 0.5 with their α-derivatives: ω_1 = −α, ∂ω_1/∂α = −1.
    /// let k = Kernel { toe: grunwald(Dual::var(0.5), 4), col0: None };
    /// let (w, dw) = k.split();
    /// assert!(w.toe.iter().zip(grunwald(0.5, 4)).all(|(a, b)| (a - b).abs() < 1e-16));
    /// assert_eq!((w.at(3, 2), dw.at(3, 2)), (-0.5, -1.0));
    /// assert_eq!(w.row(3, 0), vec![w.toe[3], w.toe[2], w.toe[1]]);
    /// ```
    pub fn split(&self) -> (Kernel<f64>, Kernel<f64>) {
        let v = Kernel {
            toe: self.toe.iter().map(|d| d.v).collect(),
            col0: self.col0.as_ref().map(|c| c.iter().map(|d| d.v).collect()),
        };
        let d = Kernel {
            toe: self.toe.iter().map(|d| d.d).collect(),
            col0: self.col0.as_ref().map(|c| c.iter().map(|d| d.d).collect()),
        };
        (v, d)
    }
}

#[cfg(test)]
mod tests {
    use crate::fde::scheme::{Discretisation, Form, Scheme};
    use crate::special::Dual;

    #[test]
    fn dual_values_equal_f64_weights() {
        for s in [
            Scheme::MultiTerm { orders: vec![0.6, 0.3], coeffs: vec![1.0, 0.5], form: Form::Caputo },
            Scheme::Gl { form: Form::Caputo, new_point: None },
        ] {
            let (
                Discretisation::Derivative { d: a, sigma: sa, .. },
                Discretisation::Derivative { d: b, sigma: sb, .. },
            ) = (s.discretise(0.6f64, 0.05, 40), s.discretise(Dual::var(0.6), Dual::cst(0.05), 40))
            else {
                panic!()
            };
            assert_eq!(sa, sb.v);
            for (x, y) in a.toe.iter().zip(&b.toe) {
                assert!((x - y.v).abs() <= 1e-15 * x.abs(), "{s:?}: {x} vs {}", y.v);
            }
        }
    }
}
