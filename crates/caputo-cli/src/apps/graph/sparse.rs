//! Sparse graph operators over an edge list: gather / scatter-add propagation, the
//! symmetric-normalised adjacency, and attention (a softmax over each node's neighbours).
//!
//! Nothing here builds a dense `n × n` matrix: a propagation is one gather of `E` rows, one
//! row scaling and one scatter-add of `E` rows (`O(E·d)` time and memory), so Pubmed-size
//! graphs (~20k nodes, ~90k directed edges) fit easily on a CPU. Every operator is written
//! with Burn tensor operations only, so the same code runs with and without an autodiff graph
//! (a field's VJP is Burn's backward of these operations: gather ↔ scatter-add).
//!
//! Edges are *directed messages* `src → dst`: row `dst` of `A X` is `Σ_{e: dst_e = dst} w_e X[src_e]`.
//! An undirected graph contributes both directions ([`crate::data::GraphData::directed_edges`]).

use std::sync::Arc;

use burn::tensor::{IndexingUpdateOp, Int, Tensor, TensorData};

/// A graph as a list of directed edges, with the index tensors Burn's gather / scatter need
/// (built once, on the plain device, and shared by every evaluation).
#[derive(Debug, Clone)]
pub struct EdgeIndex {
    /// Number of nodes.
    pub n_nodes: usize,
    /// Source (neighbour) of each directed edge.
    pub src: Vec<usize>,
    /// Destination (aggregating node) of each directed edge.
    pub dst: Vec<usize>,
    src_t: Tensor<1, Int>,
    dst_t: Tensor<1, Int>,
    /// 1 for nodes without incoming edges, 0 otherwise: added to softmax denominators so that
    /// an isolated node's (unused) denominator is 1 rather than 0.
    no_in_edges: Tensor<1>,
}

impl EdgeIndex {
    /// An edge index on `device` (use the plain device: the indices are constants).
    ///
    /// # Panics
    /// If `src` and `dst` differ in length or an index is `>= n_nodes` (internal invariant:
    /// [`crate::data::GraphData::validate`] checks edges on load).
    pub fn new(n_nodes: usize, src: Vec<usize>, dst: Vec<usize>, device: &burn::tensor::Device) -> Self {
        assert_eq!(src.len(), dst.len(), "edge lists of different lengths; this is a bug");
        assert!(src.iter().chain(&dst).all(|&i| i < n_nodes), "edge index out of range; this is a bug");
        let e = src.len();
        let to_t = |v: &[usize]| {
            Tensor::<1, Int>::from_data(TensorData::new(v.iter().map(|&i| i as i64).collect::<Vec<i64>>(), [e]), device)
        };
        let mut has_in = vec![false; n_nodes];
        for &d in &dst {
            has_in[d] = true;
        }
        let no_in: Vec<f64> = has_in.iter().map(|&h| if h { 0.0 } else { 1.0 }).collect();
        Self {
            n_nodes,
            src_t: to_t(&src),
            dst_t: to_t(&dst),
            src,
            dst,
            no_in_edges: Tensor::from_data(TensorData::new(no_in, [n_nodes]), device),
        }
    }

    /// Both directions of every undirected edge `(u, v)` (as stored by
    /// [`crate::data::GraphData`]): `2 · edges.len()` directed edges.
    pub fn undirected(n_nodes: usize, edges: &[(usize, usize)], device: &burn::tensor::Device) -> Arc<Self> {
        let (mut src, mut dst) = (Vec::with_capacity(2 * edges.len()), Vec::with_capacity(2 * edges.len()));
        for &(u, v) in edges {
            src.extend([u, v]);
            dst.extend([v, u]);
        }
        Arc::new(Self::new(n_nodes, src, dst, device))
    }

    /// Number of directed edges.
    pub fn n_edges(&self) -> usize {
        self.src.len()
    }

    /// `D^{-1/2} A D^{-1/2}` as edge weights `w_e = 1/√(deg(src_e) · deg(dst_e))` (in-degrees;
    /// equal to the degrees for an undirected graph). Symmetric, spectrum in `[−1, 1]`, so
    /// `A − I` is a stable diffusion.
    pub fn sym_norm_weights(&self) -> Vec<f64> {
        let mut deg = vec![0usize; self.n_nodes];
        for &d in &self.dst {
            deg[d] += 1;
        }
        self.src.iter().zip(&self.dst).map(|(&s, &d)| 1.0 / ((deg[s].max(1) * deg[d].max(1)) as f64).sqrt()).collect()
    }
}

/// `A X` with `A[dst_e, src_e] = w_e`: gather the `E` source rows, scale row `e` by `w_e`,
/// scatter-add into the destinations. `x: [n, d]`, `w: [E]`.
///
/// Works on any mix of plain and autodiff tensors (the indices are constants); its VJP is
/// Burn's backward: `∂/∂X = Aᵀ G` (gather ↔ scatter swapped) and
/// `∂/∂w_e = ⟨G[dst_e], X[src_e]⟩`. Test: `tests/graph_gradients.rs::sparse_propagation_vjp_passes_the_dot_product_identity`.
pub fn propagate(graph: &EdgeIndex, x: Tensor<2>, w: Tensor<1>) -> Tensor<2> {
    let [n, d] = x.dims();
    debug_assert_eq!(n, graph.n_nodes, "propagate: node count; this is a bug");
    let msg = x.clone().select(0, graph.src_t.clone()) * w.unsqueeze_dim::<2>(1);
    let zeros = Tensor::<2>::zeros([n, d], (&x.device(), x.dtype()));
    zeros.select_assign(0, graph.dst_t.clone(), msg, IndexingUpdateOp::Add)
}

/// The diffusion `(A − I) X`.
pub fn diffuse(graph: &EdgeIndex, x: Tensor<2>, w: Tensor<1>) -> Tensor<2> {
    propagate(graph, x.clone(), w) - x
}

/// Scaled dot-product attention over the edges: `s_e = ⟨q[dst_e], k[src_e]⟩ · scale`, then
/// a softmax over each destination's incoming edges,
/// `a_e = exp(s_e) / Σ_{e': dst_{e'} = dst_e} exp(s_{e'})` (each row of `A` sums to 1, so
/// `A − I` is a Laplacian-like diffusion: constants are stationary).
///
/// Numerically stable: the per-destination maximum of `s` is subtracted before `exp`; it is
/// computed on a detached copy (a softmax is invariant to a per-group shift, so treating the
/// shift as a constant leaves the gradient exact). The normalisation multiplies by the
/// reciprocal of the denominator rather than dividing (Burn's scalar-division backward loses
/// f64 precision). Test: the F-GRAND-nl case of
/// `tests/graph_gradients.rs::sparse_propagation_vjp_passes_the_dot_product_identity` (the VJP
/// through this softmax agrees with a central difference to ~1e-11).
pub fn edge_softmax_attention(graph: &EdgeIndex, q: Tensor<2>, k: Tensor<2>, scale: f64) -> Tensor<1> {
    let e = graph.n_edges();
    let n = graph.n_nodes;
    let s =
        (q.select(0, graph.dst_t.clone()) * k.select(0, graph.src_t.clone())).sum_dim(1).reshape([e]).mul_scalar(scale);
    let dev = s.device();
    let dtype = s.dtype();
    // Per-destination max of a detached copy (constant for autodiff).
    let s_const = s.clone().inner();
    let neg_inf = Tensor::<1>::full([n], f64::NEG_INFINITY, (&s_const.device(), dtype));
    let group_max = neg_inf.select_assign(0, graph.dst_t.clone(), s_const, IndexingUpdateOp::Max);
    // Isolated destinations keep −∞ but are never selected below.
    let shift = group_max.select(0, graph.dst_t.clone());
    let ex = (s - shift).exp();
    let zeros = Tensor::<1>::zeros([n], (&dev, dtype));
    let den =
        zeros.select_assign(0, graph.dst_t.clone(), ex.clone(), IndexingUpdateOp::Add) + graph.no_in_edges.clone();
    ex * den.recip().select(0, graph.dst_t.clone())
}
