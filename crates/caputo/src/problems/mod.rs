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
    ///
    /// # Example
    /// ```
    /// use caputo::field::VectorField;
    /// use caputo::problems::LinearField;
    /// use caputo::tensor::{from_vec, to_vec};
    /// let dev = caputo::testkit::f64_device().inner();
    /// let f = LinearField::new(vec![1.0, 2.0, 3.0, 4.0], 2, &dev);
    /// let y = from_vec(vec![1.0, -1.0], [2], &dev);
    /// assert_eq!(to_vec(f.eval(0.0, y)), vec![-1.0, -1.0]); // A y
    /// ```
    pub fn new(a: Vec<f64>, d: usize, device: &Device) -> Self {
        Self { a: Param::from_tensor(from_vec(a, [d, d], device)) }
    }
    /// The documented default of `caputo solve --problem linear`: a damped rotation,
    /// `A = [[-0.1, -1], [1, -0.1]]`, eigenvalues `−0.1 ± i`.
    ///
    /// # Example
    /// ```
    /// use caputo::problems::LinearField;
    /// use caputo::tensor::to_vec;
    /// let f = LinearField::default_2d(&caputo::testkit::f64_device().inner());
    /// assert_eq!(to_vec(f.a.val()), vec![-0.1, -1.0, 1.0, -0.1]);
    /// ```
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
    ///
    /// # Example
    /// ```
    /// use caputo::field::VectorField;
    /// use caputo::problems::LotkaVolterra;
    /// use caputo::tensor::{from_vec, to_vec};
    /// let dev = caputo::testkit::f64_device();
    /// let lv = LotkaVolterra::new([1.0, 0.5, 1.0, 0.25], &dev);
    /// assert_eq!(lv.values(), vec![1.0, 0.5, 1.0, 0.25]);
    /// // The equilibrium (x, y) = (c/d, a/b) = (4, 2) is a zero of f, also in a batch [B, 2].
    /// let y = from_vec(vec![4.0, 2.0, 4.0, 2.0], [2, 2], &dev);
    /// assert_eq!(to_vec(lv.eval(0.0, y)), vec![0.0; 4]);
    /// ```
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

/// Fractional relaxation `D^α y = −λ y` with trainable `λ`; exact solution
/// `y(t) = y0 E_α(−λ t^α)` ([`crate::special::mittag_leffler::mittag_leffler`]).
#[derive(Module, Debug)]
pub struct Relaxation {
    /// `λ`, shape `[1]`.
    pub lambda: Param<Tensor<1>>,
}

impl Relaxation {
    /// Relaxation with rate `lambda`.
    ///
    /// # Example
    /// ```
    /// use caputo::field::VectorField;
    /// use caputo::problems::Relaxation;
    /// use caputo::tensor::{from_vec, to_vec};
    /// let dev = caputo::testkit::f64_device().inner();
    /// let f = Relaxation::new(2.0, &dev);
    /// assert_eq!(to_vec(f.eval(0.0, from_vec(vec![1.5, -1.0], [2], &dev))), vec![-3.0, 2.0]);
    /// // At α = 1 the exact solution is y0 e^{−λt}.
    /// assert!((Relaxation::exact(1.0, 2.0, 1.0, 0.5) - (-1.0f64).exp()).abs() < 1e-15);
    /// ```
    pub fn new(lambda: f64, device: &Device) -> Self {
        Self { lambda: Param::from_tensor(from_vec(vec![lambda], [1], device)) }
    }
    /// The exact solution `y0 E_α(−λ t^α)`.
    pub fn exact(alpha: f64, lambda: f64, y0: f64, t: f64) -> f64 {
        y0 * crate::special::mittag_leffler::mittag_leffler(alpha, 1.0, -lambda * t.powf(alpha))
    }
}

impl<const D: usize> VectorField<D> for Relaxation {
    fn eval(&self, _t: f64, y: Tensor<D>) -> Tensor<D> {
        y * self.lambda.val().neg().unsqueeze::<D>()
    }
}

/// Manufactured problem with the smooth solution `y = t²` (`y0 = 0`) for the operator
/// `Σ_k c_k D^{α_k}`: `f(t, y) = −y + t² + Σ_k c_k·2 t^{2−α_k}/Γ(3−α_k)`.
///
/// # Example
/// ```
/// use caputo::fde::{solve, History, Scheme, FdeSolve};
/// use caputo::problems::smooth_square;
/// use caputo::tensor::{from_vec, scalar};
/// let dev = caputo::testkit::f64_device().inner();
/// let alpha = 0.5;
/// let scheme = Scheme::Abm { corrector_iters: 1 };
/// let field = smooth_square::<1>(scheme.terms(alpha));
/// let sol = solve(&field, from_vec(vec![0.0], [1], &dev), &FdeSolve::new(alpha, &[0.0, 1.0], 64).with_scheme(scheme.clone()).with_history(History::Dense)).unwrap();
/// assert!((scalar(sol.y[1].clone()) - 1.0).abs() < 1e-3); // y(1) = 1² = 1
/// ```
pub fn smooth_square<const D: usize>(
    terms: Vec<(f64, f64)>,
) -> crate::field::FnField<impl Fn(f64, Tensor<D>) -> Tensor<D> + Clone + Send + Sync> {
    crate::field::FnField::new(move |t: f64, y: Tensor<D>| {
        let src: f64 =
            t * t + terms.iter().map(|(c, a)| c * 2.0 * t.powf(2.0 - a) / crate::special::gamma(3.0 - a)).sum::<f64>();
        y.neg().add_scalar(src)
    })
}

/// The Diethelm–Ford–Freed nonlinear benchmark (Nonlinear Dyn. 29 (2002) 3–22) on `[0, 1]`,
/// `y0 = 0`: exact `y = t⁸ − 3 t^{4+α/2} + (9/4) t^α` (`y(1) = 1/4`).
///
/// # Example
/// ```
/// use caputo::fde::{solve, History, Scheme, FdeSolve};
/// use caputo::problems::{dff, dff_exact};
/// use caputo::tensor::{from_vec, scalar};
/// let dev = caputo::testkit::f64_device().inner();
/// let scheme = Scheme::Abm { corrector_iters: 1 };
/// let sol = solve(&dff::<1>(0.5), from_vec(vec![0.0], [1], &dev), &FdeSolve::new(0.5, &[0.0, 1.0], 128).with_scheme(scheme.clone()).with_history(History::Dense))
///     .unwrap();
/// assert_eq!(dff_exact(0.5, 1.0), 0.25);
/// assert!((scalar(sol.y[1].clone()) - 0.25).abs() < 1e-3);
/// ```
pub fn dff<const D: usize>(
    alpha: f64,
) -> crate::field::FnField<impl Fn(f64, Tensor<D>) -> Tensor<D> + Clone + Send + Sync> {
    use crate::special::gamma;
    crate::field::FnField::new(move |t: f64, y: Tensor<D>| {
        let a = alpha;
        let src = 40320.0 / gamma(9.0 - a) * t.powf(8.0 - a)
            - 3.0 * gamma(5.0 + a / 2.0) / gamma(5.0 - a / 2.0) * t.powf(4.0 - a / 2.0)
            + 2.25 * gamma(a + 1.0)
            + (1.5 * t.powf(a / 2.0) - t.powi(4)).powi(3);
        // |y|^{3/2} survives tiny negative iterates.
        y.abs().powf_scalar(1.5).neg().add_scalar(src)
    })
}

/// Exact solution of [`dff`].
pub fn dff_exact(alpha: f64, t: f64) -> f64 {
    t.powi(8) - 3.0 * t.powf(4.0 + alpha / 2.0) + 2.25 * t.powf(alpha)
}
