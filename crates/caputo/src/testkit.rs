//! Helpers shared by the tests, the benchmarks and the CLI: an f64 device, order fitting,
//! finite differences.

/// The autodiff flex device configured for `f64`: [`crate::tensor::f64_device`], re-exported
/// here for the tests.
pub use crate::tensor::f64_device;

/// Least-squares slope of `ln e` against `ln h`, using only the pairs with `lo ≤ e ≤ hi`
/// (to stay out of round-off and pre-asymptotic ranges). `None` with fewer than 3 pairs.
pub fn fitted_order(h: &[f64], e: &[f64], lo: f64, hi: f64) -> Option<f64> {
    let pts: Vec<(f64, f64)> =
        h.iter().zip(e).filter(|(_, e)| **e >= lo && **e <= hi).map(|(h, e)| (h.ln(), e.ln())).collect();
    if pts.len() < 3 {
        return None;
    }
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    Some(sxy / sxx)
}

/// Formats an error table `h | error | local order` for failure messages.
pub fn error_table(h: &[f64], e: &[f64]) -> String {
    let mut s = String::from("      h          error      local order\n");
    for i in 0..h.len() {
        let p = if i > 0 { format!("{:.3}", (e[i] / e[i - 1]).ln() / (h[i] / h[i - 1]).ln()) } else { "-".into() };
        s += &format!("{:>10.3e} {:>12.4e}   {p}\n", h[i], e[i]);
    }
    s
}

/// Central difference `(g(x + δ) − g(x − δ)) / 2δ`.
pub fn central_difference(g: impl Fn(f64) -> f64, x: f64, delta: f64) -> f64 {
    (g(x + delta) - g(x - delta)) / (2.0 * delta)
}

/// Relative difference `|a − b| / max(|a|, |b|, floor)`.
pub fn rel_diff(a: f64, b: f64, floor: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(floor)
}

/// Max relative difference of two vectors (scaled by the larger norm).
pub fn max_rel_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "length mismatch");
    let scale = a.iter().chain(b).fold(0.0f64, |m, x| m.max(x.abs())).max(1e-300);
    a.iter().zip(b).fold(0.0f64, |m, (x, y)| m.max((x - y).abs())) / scale
}

/// A module's parameter gradients flattened in module order (zeros where a parameter has
/// none): the layout `caputo grad --json` prints and the tests compare.
pub fn flat_grads<M: burn::module::Module>(m: &M, g: &burn::optim::GradientsParams) -> Vec<f64> {
    use burn::module::{ModuleVisitor, Param};
    use burn::tensor::Tensor;
    struct Flat<'a> {
        g: &'a burn::optim::GradientsParams,
        out: Vec<f64>,
    }
    impl ModuleVisitor for Flat<'_> {
        fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
            match self.g.get::<D>(p.id) {
                Some(t) => self.out.extend(crate::tensor::to_vec(t)),
                None => self.out.extend(std::iter::repeat_n(0.0, p.val().shape().num_elements())),
            }
        }
    }
    let mut v = Flat { g, out: vec![] };
    m.visit(&mut v);
    v.out
}

/// The test loss `L = Σ_k (k+1)·‖y(t_k)‖²` over the outputs, and its cotangents
/// `∂L/∂y(t_k) = 2(k+1)·y(t_k)`: every output counts, each with its own weight.
///
/// # Example
/// ```
/// use caputo::testkit::{f64_device, weighted_square_loss};
/// use caputo::tensor::{from_vec, to_vec};
/// let dev = f64_device().inner();
/// let ys = [from_vec(vec![1.0, 2.0], [2], &dev), from_vec(vec![3.0, 0.0], [2], &dev)];
/// let (l, g) = weighted_square_loss(&ys);
/// assert_eq!(l, 1.0 * 5.0 + 2.0 * 9.0);
/// assert_eq!(to_vec(g[1].clone()), vec![12.0, 0.0]);
/// ```
pub fn weighted_square_loss<const D: usize>(ys: &[burn::tensor::Tensor<D>]) -> (f64, Vec<burn::tensor::Tensor<D>>) {
    let mut l = 0.0;
    let g = ys
        .iter()
        .enumerate()
        .map(|(k, y)| {
            let w = (k + 1) as f64;
            l += w * crate::tensor::to_vec(y.clone()).iter().map(|x| x * x).sum::<f64>();
            y.clone().mul_scalar(2.0 * w)
        })
        .collect();
    (l, g)
}

/// The gradients of one fractional solve, flattened ([`fde_grads`]).
#[derive(Debug, Clone)]
pub struct FlatFdeGrads {
    /// The loss.
    pub loss: f64,
    /// `∂L/∂y0`.
    pub y0: Vec<f64>,
    /// `∂L/∂θ` in module order ([`flat_grads`]).
    pub params: Vec<f64>,
    /// `∂L/∂α` when the method gives it.
    pub alpha: Option<f64>,
    /// The pullback's counters.
    pub stats: crate::stats::Stats,
}

/// Solves `D^α y = f` from `y0` with [`crate::grad::fde_forward`] on the f64 test device and
/// pulls back `loss` (outputs → `(L, ∂L/∂y(t_k))`) with `method`. Panics on errors (tests).
///
/// # Example
/// ```
/// use caputo::fde::{History, Scheme, FdeSolve};
/// use caputo::grad::Method;
/// use caputo::problems::Relaxation;
/// use caputo::testkit::{f64_device, fde_grads, max_rel_diff, weighted_square_loss};
/// let f = Relaxation::new(0.7, &f64_device());
/// let run = |m: &Method| {
///     fde_grads(&f, &[1.0], &FdeSolve::new(0.6, &[0.0, 1.0], 32).with_scheme(Scheme::Predictor).with_history(History::Dense), m, weighted_square_loss)
/// };
/// let (a, d) = (run(&Method::DiscreteAdjoint), run(&Method::Direct));
/// assert!(max_rel_diff(&a.y0, &d.y0) < 1e-12 && max_rel_diff(&a.params, &d.params) < 1e-12);
/// ```
pub fn fde_grads<F: crate::field::VectorField<1>>(
    f: &F,
    y0: &[f64],
    opts: &crate::fde::FdeSolve,
    method: &crate::grad::Method,
    loss: impl Fn(&[burn::tensor::Tensor<1>]) -> (f64, Vec<burn::tensor::Tensor<1>>),
) -> FlatFdeGrads {
    let dev = f64_device().inner();
    let y0 = crate::tensor::from_vec(y0.to_vec(), [y0.len()], &dev);
    let (sol, pb) = crate::grad::fde_forward(f, y0, opts, method)
        .unwrap_or_else(|e| panic!("fde_forward with {}: {e}", method.name()));
    let (l, g) = loss(&sol.y);
    let r = pb.backward(&g).unwrap_or_else(|e| panic!("backward with {}: {e}", method.name()));
    FlatFdeGrads {
        loss: l,
        y0: crate::tensor::to_vec(r.y0),
        params: flat_grads(f, &r.params),
        alpha: r.alpha,
        stats: r.stats,
    }
}

/// A global allocator that counts live bytes and their peak (for memory claims that are
/// measured, not estimated). Install it in a binary or test binary with
/// `#[global_allocator] static A: CountingAllocator = CountingAllocator::new();`.
pub struct CountingAllocator {
    current: std::sync::atomic::AtomicUsize,
    peak: std::sync::atomic::AtomicUsize,
    count: std::sync::atomic::AtomicUsize,
}

impl CountingAllocator {
    /// A counter at zero.
    ///
    /// # Example
    /// ```
    /// use std::alloc::{GlobalAlloc, Layout};
    /// use caputo::testkit::CountingAllocator;
    /// // Usually installed with #[global_allocator]; here called directly.
    /// let a = CountingAllocator::new();
    /// let layout = Layout::from_size_align(1024, 8).unwrap();
    /// // SAFETY: the layout has a non-zero size; the pointer is freed with the same layout.
    /// let p = unsafe { a.alloc(layout) };
    /// assert_eq!((a.current(), a.peak(), a.allocations()), (1024, 1024, 1));
    /// unsafe { a.dealloc(p, layout) };
    /// assert_eq!((a.current(), a.peak()), (0, 1024));
    /// assert_eq!(a.reset_peak(), 0);
    /// ```
    pub const fn new() -> Self {
        Self {
            current: std::sync::atomic::AtomicUsize::new(0),
            peak: std::sync::atomic::AtomicUsize::new(0),
            count: std::sync::atomic::AtomicUsize::new(0),
        }
    }
    /// Allocations (and growing reallocations) so far: for "no allocation per call" claims,
    /// where freed memory would not show in the byte counts.
    pub fn allocations(&self) -> usize {
        self.count.load(std::sync::atomic::Ordering::Relaxed)
    }
    /// Live bytes now.
    pub fn current(&self) -> usize {
        self.current.load(std::sync::atomic::Ordering::Relaxed)
    }
    /// Peak live bytes since the last [`Self::reset_peak`].
    pub fn peak(&self) -> usize {
        self.peak.load(std::sync::atomic::Ordering::Relaxed)
    }
    /// Starts a new peak window at the current level; returns that level (the baseline).
    pub fn reset_peak(&self) -> usize {
        let c = self.current();
        self.peak.store(c, std::sync::atomic::Ordering::Relaxed);
        c
    }
}

impl Default for CountingAllocator {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: every call is forwarded to the system allocator unchanged; the counters are only
// bookkeeping.
unsafe impl std::alloc::GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        use std::sync::atomic::Ordering::Relaxed;
        // SAFETY: forwarded with the caller's layout.
        let p = unsafe { std::alloc::System.alloc(layout) };
        self.count.fetch_add(1, Relaxed);
        if !p.is_null() {
            let now = self.current.fetch_add(layout.size(), Relaxed) + layout.size();
            self.peak.fetch_max(now, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: forwarded with the caller's pointer and layout.
        unsafe { std::alloc::System.dealloc(ptr, layout) };
        self.current.fetch_sub(layout.size(), std::sync::atomic::Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        use std::sync::atomic::Ordering::Relaxed;
        // SAFETY: forwarded with the caller's arguments.
        let p = unsafe { std::alloc::System.realloc(ptr, layout, new_size) };
        self.count.fetch_add(1, Relaxed);
        if !p.is_null() {
            if new_size > layout.size() {
                let now = self.current.fetch_add(new_size - layout.size(), Relaxed) + new_size - layout.size();
                self.peak.fetch_max(now, Relaxed);
            } else {
                self.current.fetch_sub(layout.size() - new_size, Relaxed);
            }
        }
        p
    }
}
