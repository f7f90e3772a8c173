//! `Checkpointed { segments }`: store the state at segment boundaries; in reverse, recompute
//! each segment with autodiff and backpropagate through it.
//!
//! # Cost
//! Memory law: `S` checkpoints of size `d` plus the graph of one segment
//! (`⌈N/S⌉` steps × activations), minimal near `S ≈ √N`. Time: two forward passes (one of
//! them with a graph) and one backward.

use burn::optim::GradientsParams;
use burn::tensor::Tensor;

use super::symplectic::add_outputs_at;
use crate::error::Result;
use crate::field::{ParamGrads, VectorField};
use crate::ode::solve::{Trajectory, march_on_grid};
use crate::ode::tableau::ButcherTableau;
use crate::stats::Stats;
use crate::tensor::bytes;

pub(crate) fn ode_backward<const D: usize, F: VectorField<D>>(
    field: &F,
    tab: &ButcherTableau,
    tr: &Trajectory<D>,
    every: usize,
    g: &[Tensor<D>],
    stats: &mut Stats,
) -> Result<(Tensor<D>, GradientsParams)> {
    let m = tr.grid.len() - 1;
    let mut grads = ParamGrads::new();
    let mut y_bar = add_outputs_at(tr.states[0].zeros_like(), m, &tr.out_idx, g);
    // Segment j covers grid indices [j·every, min((j+1)·every, m)]; states[j] is its start.
    let n_seg = m.div_ceil(every);
    for j in (0..n_seg).rev() {
        let (i0, i1) = (j * every, ((j + 1) * every).min(m));
        let leaf = tr.states[j].clone().autodiff().require_grad();
        // Inner outputs (i0 < idx < i1) are read off the replay; i1 is covered by `y_bar`.
        let inner: Vec<(usize, &Tensor<D>)> =
            tr.out_idx.iter().zip(g).filter(|(i, _)| **i > i0 && **i < i1).map(|(i, gk)| (*i - i0, gk)).collect();
        let mut local_idx: Vec<usize> = inner.iter().map(|(i, _)| *i).collect();
        local_idx.push(i1 - i0);
        let mut graph_evals = 0;
        let mut f = |t: f64, y: Tensor<D>| {
            graph_evals += 1;
            field.eval(t, y)
        };
        let seg = march_on_grid(tab, &mut f, leaf.clone(), &tr.grid[i0..=i1], &local_idx, 0)?;
        stats.graph_evals += graph_evals;
        stats.recomputed_steps += i1 - i0;
        let mut total = (seg.outputs.last().expect("segment end").clone() * y_bar.clone().autodiff()).sum();
        for ((_, gk), y) in inner.iter().zip(&seg.outputs) {
            total = total + (y.clone() * (*gk).clone().autodiff()).sum();
        }
        let mut gr = total.backward();
        y_bar = leaf.grad_remove(&mut gr).unwrap_or_else(|| leaf.clone().inner().zeros_like());
        grads.add(field, GradientsParams::from_grads(gr, field));
        y_bar = add_outputs_at(y_bar, i0, &tr.out_idx, g);
    }
    stats.peak_stored_bytes = stats.peak_stored_bytes.max(tr.states.len() * bytes(&tr.states[0]));
    Ok((y_bar, grads.finish()))
}
