//! What a solve node keeps, measured with a counting allocator (its own test binary, one
//! sequential test): a node stores what its gradient method stores — the peak bytes of
//! `node::fde(..)` + `loss.backward()` are those of the low-level `fde_forward` + pullback,
//! plus a constant — and far less than the unrolled solve in the caller's graph.

use std::time::Instant;

use burn::tensor::Tensor;
use caputo::fde::{FdeSolve, History, Scheme};
use caputo::grad::{Method, fde_forward, node};
use caputo::nn::MlpField;
use caputo::tensor::from_vec;
use caputo::testkit::{CountingAllocator, f64_device};

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator::new();

/// Peak bytes above the baseline during `run`, and its wall time in ms.
fn peak(run: impl FnOnce()) -> (usize, f64) {
    let base = ALLOC.reset_peak();
    let t = Instant::now();
    run();
    (ALLOC.peak() - base, t.elapsed().as_secs_f64() * 1e3)
}

fn opts(n: usize) -> FdeSolve {
    FdeSolve::new(0.6, &[0.0, 10.0], n).with_scheme(Scheme::Predictor).with_history(History::Dense)
}

/// The low-level path: a graph-free `y0`, the pullback called by hand with `∂L/∂y = 2y`.
fn pullback(field: &MlpField, n: usize, m: &Method) -> (usize, f64) {
    let dev = f64_device().inner();
    peak(|| {
        let (sol, pb) = fde_forward(field, from_vec(vec![1.0, 0.5], [2], &dev), &opts(n), m).unwrap();
        let g: Vec<Tensor<1>> = sol.y.iter().map(|y| y.clone().mul_scalar(2.0)).collect();
        pb.backward(&g).unwrap();
    })
}

/// The same loss `Σ_k ‖y(t_k)‖²` through a node (tracked `y0`, `loss.backward()`), or
/// unrolled in the caller's graph.
fn in_graph(field: &MlpField, n: usize, m: Option<&Method>) -> (usize, f64) {
    let dev = f64_device();
    peak(|| {
        let y0 = from_vec(vec![1.0, 0.5], [2], &dev).require_grad();
        let out = match m {
            Some(m) => node::fde(field, y0.clone(), None, &opts(n), m).unwrap(),
            None => node::fde_unrolled(field, y0.clone(), &opts(n)).unwrap(),
        };
        let all = out.joined();
        let g = (all.clone() * all).sum().backward();
        assert!(y0.grad(&g).is_some());
    })
}

#[test]
fn a_node_keeps_what_its_method_keeps() {
    let dev = f64_device();
    dev.seed(0);
    let field = MlpField::new(&[2, 64, 64, 2], &dev);
    // Warm up lazily allocated state outside the measured windows.
    in_graph(&field, 10, Some(&Method::DiscreteAdjoint));
    pullback(&field, 10, &Method::DiscreteAdjoint);
    in_graph(&field, 10, None);
    let mut report = String::new();
    let mut rows = vec![];
    let mut unrolled = vec![];
    for n in [100, 400] {
        for m in [Method::DiscreteAdjoint, Method::Checkpointed { segments: 4 }, Method::Direct] {
            let (pb, t_pb) = pullback(&field, n, &m);
            let (nd, t_nd) = in_graph(&field, n, Some(&m));
            report += &format!(
                "N = {n:>3} {:<14} pullback {pb:>9} B {t_pb:>6.1} ms | node {nd:>9} B {t_nd:>6.1} ms\n",
                m.name()
            );
            rows.push((n, m, pb, nd));
        }
        let (un, t_un) = in_graph(&field, n, None);
        report += &format!("N = {n:>3} unrolled in the caller's graph {un:>9} B {t_un:>6.1} ms\n");
        unrolled.push(un);
    }
    println!("{report}");
    for (n, m, pb, nd) in &rows {
        // The node adds the packed parameter vector, its gradient and O(1) bookkeeping.
        assert!(
            (*nd as f64) < 1.25 * *pb as f64 + 64e3,
            "N = {n} {}: node {nd} B vs pullback {pb} B\n{report}",
            m.name()
        );
    }
    // The discrete adjoint's node keeps states, not the solve's graph.
    let adjoint = rows.iter().find(|r| r.0 == 400 && r.1 == Method::DiscreteAdjoint).map(|r| r.3).unwrap();
    assert!((adjoint as f64) < 0.1 * unrolled[1] as f64, "{report}");
}
