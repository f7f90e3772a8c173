//! Peak memory of one training step (encoder → FDE block → decoder, forward and backward),
//! measured by the counting allocator installed in this test binary (one sequential test):
//! ratios and per-step slopes, not absolute bytes.
//!
//! The discrete adjoint keeps the step states (the state `X_j` and the history value
//! `f_j`, `2·n·d` per step); direct backpropagation keeps every evaluation's activations as
//! well: the gathered neighbour rows (`E·d` per evaluation) and, for F-GRAND-nl, the attention
//! computed inside every evaluation (several `E·d_k` tensors).

#[global_allocator]
static ALLOC: caputo_cli::alloc::CountingAlloc = caputo_cli::alloc::CountingAlloc;

use caputo::grad::Method;
use caputo_cli::apps::graph::model::{GraphModel, ModelConfig, ModelKind};
use caputo_cli::apps::graph::step::{BlockConfig, GraphProblem, loss_and_grads};
use caputo_cli::data::{GraphData, planted_partition};

fn step_peak(g: &GraphData, m: &GraphModel, kind: ModelKind, method: &Method, n_steps: usize) -> usize {
    let block = BlockConfig {
        kind,
        alpha: 0.7,
        learn_alpha: false,
        t1: 2.0,
        n_steps,
        scheme: "predictor".into(),
        method: method.clone(),
        history: caputo::fde::History::Dense,
    };
    let p = GraphProblem::new(g.clone(), block, 0.0, 0.0).unwrap();
    let base = caputo_cli::alloc::reset_peak();
    let out = loss_and_grads(&p, m, None).unwrap();
    let peak = caputo_cli::alloc::peak_bytes() - base;
    drop(out);
    peak
}

#[test]
fn adjoint_memory_grows_with_states_direct_with_states_times_activations() {
    // 300 nodes, ~8 neighbours each (2,400 directed edges), hidden width 8.
    let g = planted_partition(300, 3, 8.0, 10.0, 8, 1.0, 1);
    let (n, d, e) = (g.n_nodes, 8usize, 2 * g.n_edges());
    let state = (n * d * 8) as f64;
    let edge_rows = (e * d * 8) as f64;
    let (n1, n2) = (20, 80);
    let mut report = format!("state n·d = {state} B, edge rows E·d = {edge_rows} B\n");
    for kind in [ModelKind::GrandL, ModelKind::GrandNl] {
        let m = ModelConfig { kind, n_features: g.n_features, hidden: d, attention_dim: d, n_classes: g.n_classes }
            .init(0.7, 0);
        // Warm-up outside the measured windows (thread pools, lazily allocated caches).
        step_peak(&g, &m, kind, &Method::Direct, 4);
        step_peak(&g, &m, kind, &Method::DiscreteAdjoint, 4);
        let mut slope = |method: &Method| {
            let (a, b) = (step_peak(&g, &m, kind, method, n1), step_peak(&g, &m, kind, method, n2));
            let s = (b as f64 - a as f64) / (n2 - n1) as f64;
            report += &format!(
                "{} {}: peak(N={n1}) = {a} B, peak(N={n2}) = {b} B, per step {s:.0} B = {:.2} states = {:.2} edge rows\n",
                kind.name(),
                method.name(),
                s / state,
                s / edge_rows
            );
            (b, s)
        };
        let (adj_peak, adj_slope) = slope(&Method::DiscreteAdjoint);
        let (dir_peak, dir_slope) = slope(&Method::Direct);
        eprint!("{report}");
        // The adjoint stores X_j and f_j: about two states per step (a little more while the
        // history merges its blocks), no activations.
        assert!(adj_slope < 3.0 * state, "{}: adjoint per-step growth {adj_slope:.0} B\n{report}", kind.name());
        // Direct keeps at least the gathered neighbour rows of every evaluation.
        assert!(dir_slope > edge_rows, "{}: direct per-step growth {dir_slope:.0} B\n{report}", kind.name());
        let (max_ratio, max_slope_ratio) = match kind {
            ModelKind::GrandNl => (0.2, 0.15),
            _ => (0.4, 0.35),
        };
        assert!(
            adj_slope < max_slope_ratio * dir_slope,
            "{}: per-step adjoint/direct {:.3}\n{report}",
            kind.name(),
            adj_slope / dir_slope
        );
        assert!(
            (adj_peak as f64) < max_ratio * dir_peak as f64,
            "{}: peak adjoint/direct {:.3}\n{report}",
            kind.name(),
            adj_peak as f64 / dir_peak as f64
        );
        report.clear();
    }
}
