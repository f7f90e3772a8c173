//! Reference fields: analytic right-hand sides with named physical parameters, and the
//! problems with exact solutions that the tests and the CLI use.

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};

use crate::field::VectorField;
use crate::tensor::from_vec;

/// `f(y) = A y` with a trainable matrix `A` (`y` is `[d]` or a batch `[B, d]`).
///
/// Exact solution `y(t) = e^{At} y0` (ODE) and exact gradients make it the first row of the
/// gradient test matrix.
#[derive(Module, Debug)]
pub struct LinearField {
    /// The matrix `A`, `[d, d]`.
    pub a: Param<Tensor<2>>,
}

impl LinearField {
    /// `A` from row-major values.
    pub fn new(a: Vec<f64>, d: usize, device: &Device) -> Self {
        Self { a: Param::from_tensor(from_vec(a, [d, d], device)) }
    }
    /// The documented default of `caputo solve --problem linear`: a damped rotation,
    /// `A = [[-0.1, -1], [1, -0.1]]`, eigenvalues `−0.1 ± i`.
    pub fn default_2d(device: &Device) -> Self {
        Self::new(vec![-0.1, -1.0, 1.0, -0.1], 2, device)
    }
}

impl VectorField<1> for LinearField {
    fn eval(&self, _t: f64, y: Tensor<1>) -> Tensor<1> {
        let d = y.dims()[0];
        y.reshape([1, d]).matmul(self.a.val().transpose()).reshape([d])
    }
}

impl VectorField<2> for LinearField {
    fn eval(&self, _t: f64, y: Tensor<2>) -> Tensor<2> {
        y.matmul(self.a.val().transpose())
    }
}

/// Lotka–Volterra predator–prey with parameters `θ = (a, b, c, d)`:
/// `x' = a x − b x y`, `y' = −c y + d x y` (or `D^α` of the left-hand sides). The state's last
/// axis holds `(x, y)`; any leading batch axes are allowed.
#[derive(Module, Debug)]
pub struct LotkaVolterra {
    /// `(a, b, c, d)`.
    pub params: Param<Tensor<1>>,
}

impl LotkaVolterra {
    /// A field with the given `(a, b, c, d)`.
    pub fn new(params: [f64; 4], device: &Device) -> Self {
        Self { params: Param::from_tensor(from_vec(params.to_vec(), [4], device)) }
    }
    /// Current `(a, b, c, d)`.
    pub fn values(&self) -> Vec<f64> {
        crate::tensor::to_vec(self.params.val())
    }
}

impl<const D: usize> VectorField<D> for LotkaVolterra {
    fn eval(&self, _t: f64, y: Tensor<D>) -> Tensor<D> {
        let p = self.params.val();
        let coef = |i: usize| -> Tensor<D> { p.clone().narrow(0, i, 1).unsqueeze::<D>() };
        let x = y.clone().narrow(D - 1, 0, 1);
        let z = y.narrow(D - 1, 1, 1);
        let xz = x.clone() * z.clone();
        let dx = x * coef(0) - xz.clone() * coef(1);
        let dz = xz * coef(3) - z * coef(2);
        Tensor::cat(vec![dx, dz], D - 1)
    }
}
