//! `Direct`: backpropagation through every step with Burn's autodiff.
//!
//! # Cost
//! Time: one forward with a graph (about 5× a graph-free forward for small networks) and
//! one backward. Memory: the whole graph — every step's network activations and, for
//! fractional solves, the `O(N²)` graph of the history sums.

use burn::optim::GradientsParams;
use burn::tensor::Tensor;

use crate::field::VectorField;

/// Walks the graph from the outputs: `L' = Σ_k ⟨y(t_k), g_k⟩`.
pub(crate) fn backward<const D: usize, F: VectorField<D>>(
    field: &F,
    y0: Tensor<D>,
    outputs: &[Tensor<D>],
    g: &[Tensor<D>],
) -> (Tensor<D>, GradientsParams) {
    let mut total: Option<Tensor<1>> = None;
    for (y, gk) in outputs.iter().zip(g) {
        let term = (y.clone() * gk.clone().autodiff()).sum();
        total = Some(match total {
            Some(acc) => acc + term,
            None => term,
        });
    }
    let total = total.expect("at least one output; this is a bug");
    let mut grads = total.backward();
    let y0_bar = y0.grad_remove(&mut grads).unwrap_or_else(|| y0.clone().inner().zeros_like());
    (y0_bar, GradientsParams::from_grads(grads, field))
}
