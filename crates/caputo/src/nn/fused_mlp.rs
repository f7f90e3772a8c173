//! The fused kernel of [`MlpField`]: `f(y)` and its VJP on host buffers, with the weights
//! copied once and the products done by `gemm`, so a call allocates nothing after the first
//! (the workspaces are kept and reused).
//!
//! With `X₀ = y` (rows × d₀; a state `[d]` is one row, `[B, d]` is B rows) and Burn's
//! `Linear` convention `Z = X W + b` (`W` is `[d_in, d_out]`, row-major):
//!
//! * forward: `Z_l = X_{l−1} W_l + b_l`, `X_l = σ(Z_l)` for the hidden layers (σ the field's [`Activation`], by the vectorised kernels of [`crate::activation`]), `f = Z_L`;
//! * VJP with cotangent `G_L = a`, for `l = L … 1`: `∂W_l += X_{l−1}ᵀ G_l`,
//!   `∂b_l += Σ_rows G_l`, `G_{l−1} = (G_l W_lᵀ) ⊙ σ′(Z_{l−1})`, and `aᵀ∂f/∂y = G_1 W_1ᵀ`.
//!
//! The VJP always runs its own forward pass (into the workspace), so it is correct at any
//! point; it skips the last layer's product unless `f` is asked for.

use std::ops::{Add, AddAssign, Mul, Sub};
use std::sync::Arc;

use burn::tensor::{DType, Element};

use super::MlpField;
use crate::activation::{self, Activation, KernelFloat};
use crate::field::{FusedField, FusedKernel, ParamLayout, VjpOut};

/// Products at least this large (m·n·k multiply–adds) may use rayon's pool inside `gemm`;
/// smaller ones run on the calling thread, where a fork/join would cost more than it saves.
const PARALLEL_MIN_FLOPS: usize = 1 << 21;

/// Products up to this many multiply–adds skip gemm (see [`matmul`]).
const SMALL_MAX_FLOPS: usize = 1024;

/// The float types the kernel computes in (`f32`, `f64`).
pub(crate) trait Scalar:
    Element
    + Copy
    + Default
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + AddAssign
    + KernelFloat
{
    const ZERO: Self;
    const ONE: Self;
}

impl Scalar for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
}

impl Scalar for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
}

/// `dst (m × n, row-major) ← [dst +] lhs (m × k) · rhs (k × n)`, the operands given as slices
/// with (row, column) strides, so a transpose is a swap of strides.
///
/// Products of at most [`SMALL_MAX_FLOPS`] multiply–adds (the 2→64 and 64→2 layers of the
/// `lv-mlp` field on one state) run as plain loops: there gemm's per-call set-up costs more
/// than the arithmetic (in a profile of the `lv-mlp` solve, gemm's entry function alone took
/// 8 % of the time, ≈ 150 ns a call).
fn matmul<T: Scalar>(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [T],
    accumulate: bool,
    (lhs, (lhs_rs, lhs_cs)): (&[T], (usize, usize)),
    (rhs, (rhs_rs, rhs_cs)): (&[T], (usize, usize)),
) {
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            dst[..m * n].fill(T::ZERO);
        }
        return;
    }
    assert!(dst.len() >= m * n, "matmul: dst too short; this is a bug");
    assert!(lhs.len() > (m - 1) * lhs_rs + (k - 1) * lhs_cs, "matmul: lhs too short; this is a bug");
    assert!(rhs.len() > (k - 1) * rhs_rs + (n - 1) * rhs_cs, "matmul: rhs too short; this is a bug");
    if m * n * k <= SMALL_MAX_FLOPS {
        for (i, row) in dst[..m * n].chunks_exact_mut(n).enumerate() {
            if !accumulate {
                row.fill(T::ZERO);
            }
            for p in 0..k {
                let l = lhs[i * lhs_rs + p * lhs_cs];
                if rhs_cs == 1 {
                    for (d, r) in row.iter_mut().zip(&rhs[p * rhs_rs..p * rhs_rs + n]) {
                        *d += l * *r;
                    }
                } else {
                    for (j, d) in row.iter_mut().enumerate() {
                        *d += l * rhs[p * rhs_rs + j * rhs_cs];
                    }
                }
            }
        }
        return;
    }
    let parallelism =
        if m * n * k >= PARALLEL_MIN_FLOPS { gemm::Parallelism::Rayon(0) } else { gemm::Parallelism::None };
    // SAFETY: the asserts keep every element the strides reach inside its slice; `dst` is a
    // unique borrow, so it aliases neither operand; T is f32 or f64, which gemm supports.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            lhs.as_ptr(),
            lhs_cs as isize,
            lhs_rs as isize,
            rhs.as_ptr(),
            rhs_cs as isize,
            rhs_rs as isize,
            T::ONE,
            T::ONE,
            false,
            false,
            false,
            parallelism,
        )
    }
}

/// One affine layer, copied out of Burn.
struct Layer<T> {
    d_in: usize,
    d_out: usize,
    /// `[d_in, d_out]`, row-major (Burn's layout).
    w: Vec<T>,
    b: Option<Vec<T>>,
    /// Offsets of `∂W` and `∂b` in the flat gradient buffer.
    w_at: usize,
    b_at: Option<usize>,
}

/// [`MlpField`]'s fused kernel in `T`.
pub(crate) struct MlpKernel<T> {
    layers: Vec<Layer<T>>,
    /// The hidden layers' activation.
    act: Activation,
    layout: Arc<ParamLayout>,
    /// Rows the workspaces hold.
    rows: usize,
    /// Pre-activations and activations of the hidden layers (rows × width each).
    z: Vec<Vec<T>>,
    x: Vec<Vec<T>>,
    /// Cotangent ping-pong buffers (rows × widest hidden layer).
    g: [Vec<T>; 2],
}

impl<T: Scalar> MlpKernel<T> {
    /// Copies the parameters; `None` unless they are all `T` and `f` maps `d₀` to `d₀`.
    fn new(mlp: &MlpField) -> Option<Self> {
        let first = mlp.layers.first()?;
        let mut layout = ParamLayout::new(&first.weight.val().device());
        let mut layers = Vec::with_capacity(mlp.layers.len());
        for l in &mlp.layers {
            let w = l.weight.val();
            let [d_in, d_out] = w.dims();
            if layers.last().is_some_and(|p: &Layer<T>| p.d_out != d_in) {
                return None;
            }
            let w_at = layout.push(&l.weight);
            let w = w.into_data().try_into_vec::<T>().ok()?;
            let (b, b_at) = match &l.bias {
                Some(b) => (Some(b.val().into_data().try_into_vec::<T>().ok()?), Some(layout.push(b))),
                None => (None, None),
            };
            layers.push(Layer { d_in, d_out, w, b, w_at, b_at });
        }
        if layers[0].d_in != layers[layers.len() - 1].d_out {
            return None;
        }
        let n_hidden = layers.len() - 1;
        Some(Self {
            layers,
            act: mlp.activation,
            layout: Arc::new(layout),
            rows: 0,
            z: vec![vec![]; n_hidden],
            x: vec![vec![]; n_hidden],
            g: [vec![], vec![]],
        })
    }

    fn d(&self) -> usize {
        self.layers[0].d_in
    }

    /// Grows the workspaces to `rows` rows (never shrinks them).
    fn reserve(&mut self, rows: usize) {
        if rows <= self.rows {
            return;
        }
        let n_hidden = self.layers.len() - 1;
        for (l, layer) in self.layers[..n_hidden].iter().enumerate() {
            self.z[l].resize(rows * layer.d_out, T::ZERO);
            self.x[l].resize(rows * layer.d_out, T::ZERO);
        }
        let widest = self.layers[..n_hidden].iter().map(|l| l.d_out).max().unwrap_or(0);
        for g in &mut self.g {
            g.resize(rows * widest, T::ZERO);
        }
        self.rows = rows;
    }

    /// `dst ← x W + b` for one layer.
    fn affine(layer: &Layer<T>, rows: usize, x: &[T], dst: &mut [T]) {
        let (d_in, d_out) = (layer.d_in, layer.d_out);
        let dst = &mut dst[..rows * d_out];
        if let Some(b) = &layer.b {
            for row in dst.chunks_exact_mut(d_out) {
                row.copy_from_slice(b);
            }
        }
        matmul(rows, d_out, d_in, dst, layer.b.is_some(), (x, (d_in, 1)), (&layer.w, (d_out, 1)));
    }

    /// The hidden layers' pre-activations and activations into the workspace, and `f` into
    /// `out` when given.
    fn forward(&mut self, rows: usize, y: &[T], out: Option<&mut [T]>) {
        self.reserve(rows);
        let n_hidden = self.layers.len() - 1;
        for l in 0..n_hidden {
            let (done, rest) = self.x.split_at_mut(l);
            let input = if l == 0 { y } else { &done[l - 1][..rows * self.layers[l].d_in] };
            let width = rows * self.layers[l].d_out;
            let z = &mut self.z[l][..width];
            Self::affine(&self.layers[l], rows, input, z);
            activation::forward(self.act, z, &mut rest[0][..width]);
        }
        if let Some(out) = out {
            let input = if n_hidden == 0 { y } else { &self.x[n_hidden - 1][..rows * self.layers[n_hidden].d_in] };
            Self::affine(&self.layers[n_hidden], rows, input, out);
        }
    }

    fn vjp_rows(&mut self, rows: usize, y: &[T], a: &[T], f: Option<&mut [T]>, a_dfdy: &mut [T], theta_bar: &mut [T]) {
        self.forward(rows, y, f);
        let Self { layers, z, x, g, act, .. } = self;
        let [g_a, g_b] = g;
        let (mut cur, mut next) = (g_a, g_b);
        for (l, layer) in layers.iter().enumerate().rev() {
            let (d_in, d_out) = (layer.d_in, layer.d_out);
            // The cotangent of this layer's output: `a` at the top, else the last result.
            let g_l: &[T] = if l + 1 == layers.len() { a } else { &cur[..rows * d_out] };
            let input: &[T] = if l == 0 { y } else { &x[l - 1][..rows * d_in] };
            // ∂W += inputᵀ G (inputᵀ is d_in × rows: row stride 1, column stride d_in).
            let dw = &mut theta_bar[layer.w_at..layer.w_at + d_in * d_out];
            matmul(d_in, d_out, rows, dw, true, (input, (1, d_in)), (g_l, (d_out, 1)));
            if let Some(at) = layer.b_at {
                let db = &mut theta_bar[at..at + d_out];
                for row in g_l.chunks_exact(d_out) {
                    for (s, v) in db.iter_mut().zip(row) {
                        *s += *v;
                    }
                }
            }
            // G W ᵀ (Wᵀ is d_out × d_in: row stride 1, column stride d_out).
            if l == 0 {
                matmul(rows, d_in, d_out, a_dfdy, false, (g_l, (d_out, 1)), (&layer.w, (1, d_out)));
            } else {
                let dst = &mut next[..rows * d_in];
                matmul(rows, d_in, d_out, dst, false, (g_l, (d_out, 1)), (&layer.w, (1, d_out)));
                activation::vjp_in_place(*act, &z[l - 1][..rows * d_in], &x[l - 1][..rows * d_in], dst);
                std::mem::swap(&mut cur, &mut next);
            }
        }
    }

    /// Rows of a state of this shape (the leading dimensions flattened).
    fn rows<const D: usize>(shape: [usize; D]) -> usize {
        shape[..D - 1].iter().product()
    }
}

impl<const D: usize, T: Scalar> FusedKernel<D, T> for MlpKernel<T> {
    fn layout(&self) -> &Arc<ParamLayout> {
        &self.layout
    }

    fn accepts(&self, shape: [usize; D]) -> bool {
        D >= 1 && shape[D - 1] == self.d() && Self::rows(shape) > 0
    }

    fn eval(&mut self, _t: f64, shape: [usize; D], y: &[T], f: &mut [T]) {
        let rows = Self::rows(shape);
        debug_assert!(y.len() == rows * self.d() && f.len() == y.len());
        self.forward(rows, y, Some(f));
    }

    fn vjp(&mut self, _t: f64, shape: [usize; D], y: &[T], a: &[T], out: VjpOut<'_, T>) {
        let VjpOut { f, a_dfdy, theta_bar } = out;
        let rows = Self::rows(shape);
        debug_assert!(y.len() == rows * self.d() && a.len() == y.len() && a_dfdy.len() == y.len());
        debug_assert_eq!(theta_bar.len(), self.layout.len());
        self.vjp_rows(rows, y, a, f, a_dfdy, theta_bar);
    }
}

/// [`MlpField`]'s fused kernel in the dtype of its parameters (`f32` or `f64`); `None` for
/// other dtypes, for mixed ones, and when the output width differs from the input width.
pub(crate) fn fused<const D: usize>(mlp: &MlpField) -> Option<FusedField<D>> {
    match mlp.layers.first()?.weight.val().dtype() {
        DType::F32 => MlpKernel::<f32>::new(mlp).map(|k| FusedField::F32(Box::new(k))),
        DType::F64 => MlpKernel::<f64>::new(mlp).map(|k| FusedField::F64(Box::new(k))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A naive reference: `dst[i][j] = Σ_p lhs[i][p] rhs[p][j]` with explicit strides.
    fn naive(
        m: usize,
        n: usize,
        k: usize,
        lhs: &[f64],
        ls: (usize, usize),
        rhs: &[f64],
        rs: (usize, usize),
    ) -> Vec<f64> {
        let mut out = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                out[i * n + j] = (0..k).map(|p| lhs[i * ls.0 + p * ls.1] * rhs[p * rs.0 + j * rs.1]).sum();
            }
        }
        out
    }

    fn values(n: usize, seed: u64) -> Vec<f64> {
        (0..n).map(|i| (((i as u64 * 7919 + seed * 104_729) % 1000) as f64 / 500.0) - 1.0).collect()
    }

    #[test]
    fn matmul_equals_the_naive_product_with_transposed_strides_and_accumulation() {
        // Below and above SMALL_MAX_FLOPS (loops / gemm), matrix–vector and rank-1 shapes included.
        for (m, n, k) in
            [(1, 1, 1), (1, 64, 2), (1, 2, 64), (3, 5, 7), (64, 1, 3), (1, 64, 64), (64, 64, 1), (128, 64, 256)]
        {
            let (a, b) = (values(m * k, 1), values(k * n, 2));
            // Row-major operands.
            let mut dst = vec![0.0; m * n];
            matmul(m, n, k, &mut dst, false, (&a, (k, 1)), (&b, (n, 1)));
            let want = naive(m, n, k, &a, (k, 1), &b, (n, 1));
            let err = dst.iter().zip(&want).fold(0.0f64, |e, (x, y)| e.max((x - y).abs()));
            assert!(err < 1e-12 * k as f64, "({m}, {n}, {k}) row-major: {err:e}");
            // Transposed operands (column strides), accumulated onto ones.
            let mut dst = vec![1.0; m * n];
            matmul(m, n, k, &mut dst, true, (&a, (1, m)), (&b, (1, k)));
            let want = naive(m, n, k, &a, (1, m), &b, (1, k));
            let err = dst.iter().zip(&want).fold(0.0f64, |e, (x, y)| e.max((x - 1.0 - y).abs()));
            assert!(err < 1e-12 * k as f64, "({m}, {n}, {k}) transposed, accumulated: {err:e}");
        }
    }
}
