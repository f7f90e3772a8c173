//! Gradients of the graph application, in f64: the sparse diffusion's VJP (dot-product
//! identity), the whole model's gradient with the discrete adjoint against backpropagation
//! through one graph (encoder, attention, every step, decoder), and `∂L/∂α` against a central
//! difference.

use burn::module::{Module, Param};
use burn::optim::GradientsParams;
use burn::tensor::Tensor;
use caputo::VectorField;
use caputo::fde::History;
use caputo::field::{Evaluator, ParamGrads};
use caputo::grad::Method;
use caputo::special::gamma;
use caputo::tensor::{dot, from_vec, to_vec};
use caputo::testkit::{f64_device, flat_grads, max_rel_diff, rel_diff};
use caputo_cli::apps::graph::model::{Attention, Diffusion, EdgeWeights, GraphModel, ModelConfig, ModelKind};
use caputo_cli::apps::graph::sparse::EdgeIndex;
use caputo_cli::apps::graph::step::{BlockConfig, GraphProblem, log_softmax, loss_and_grads};
use caputo_cli::data::{GraphData, planted_partition};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A small planted-partition graph: 18 nodes, 3 classes, ~4 neighbours each, 5 features.
fn small_graph() -> GraphData {
    planted_partition(18, 3, 4.0, 4.0, 5, 1.0, 3)
}

fn randn(rng: &mut ChaCha8Rng, n: usize) -> Vec<f64> {
    (0..n).map(|_| rng.random_range(-1.0..1.0)).collect()
}

fn attention(d: usize, dk: usize, rng: &mut ChaCha8Rng) -> Attention {
    let dev = f64_device();
    let mut lin = || {
        let mut l = burn::nn::LinearConfig::new(d, dk).with_bias(false).init(&dev);
        l.weight = Param::from_tensor(from_vec(randn(rng, d * dk), [d, dk], &dev));
        l
    };
    Attention { wq: lin(), wk: lin() }
}

/// `⟨w, J v⟩` (central difference of the field on the plain device) against `⟨Jᵀ w, v⟩`
/// (Burn's VJP through `Evaluator::vjp`).
fn dot_product_identity(field: &Diffusion, n: usize, d: usize, rng: &mut ChaCha8Rng) -> (f64, f64) {
    let plain = f64_device().inner();
    let y = from_vec(randn(rng, n * d), [n, d], &plain);
    let v = from_vec(randn(rng, n * d), [n, d], &plain);
    let w = from_vec(randn(rng, n * d), [n, d], &plain);
    let eps = 1e-5;
    let fv = field.valid();
    let jv = (fv.eval(0.0, y.clone() + v.clone().mul_scalar(eps))
        - fv.eval(0.0, y.clone() - v.clone().mul_scalar(eps)))
    .mul_scalar(0.5 / eps);
    let mut ev = Evaluator::new(field);
    let mut pg = ParamGrads::new();
    let jtw = ev.vjp(0.0, y, w.clone(), &mut pg);
    (dot(w, jv), dot(jtw, v))
}

#[test]
fn sparse_propagation_vjp_passes_the_dot_product_identity() {
    let g = small_graph();
    let plain = f64_device().inner();
    let graph = EdgeIndex::undirected(g.n_nodes, &g.edges, &plain);
    let (n, d, e) = (g.n_nodes, 3, graph.n_edges());
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let fixed = Diffusion {
        weights: EdgeWeights::Fixed(from_vec(graph.sym_norm_weights(), [e], &plain)),
        graph: graph.clone(),
    };
    let w_param = Param::from_tensor(from_vec(randn(&mut rng, e), [e], &f64_device()));
    let at_start = Diffusion { weights: EdgeWeights::AtStart(w_param.clone()), graph: graph.clone() };
    let nonlinear = Diffusion { weights: EdgeWeights::Attention(attention(d, 2, &mut rng)), graph: graph.clone() };
    // Linear in y: the difference quotient is exact up to rounding; nonlinear: O(ε²).
    for (name, field, tol) in
        [("adjacency", &fixed, 1e-10), ("grand-l", &at_start, 1e-10), ("grand-nl", &nonlinear, 1e-8)]
    {
        let (lhs, rhs) = dot_product_identity(field, n, d, &mut rng);
        let r = rel_diff(lhs, rhs, 1e-12);
        eprintln!("{name}: ⟨w, Jv⟩ = {lhs:e}, ⟨Jᵀw, v⟩ = {rhs:e}, rel {r:e}");
        assert!(r < tol, "{name}: ⟨w, Jv⟩ = {lhs:e}, ⟨Jᵀw, v⟩ = {rhs:e}, rel {r:e}");
    }

    // The parameter part for grand-l: ⟨w, (∂f/∂a) u⟩ against ⟨(∂f/∂a)ᵀ w, u⟩ for the edge weights a.
    let y = from_vec(randn(&mut rng, n * d), [n, d], &plain);
    let wv = from_vec(randn(&mut rng, n * d), [n, d], &plain);
    let u = randn(&mut rng, e);
    let a = to_vec(w_param.val());
    let eps = 1e-5;
    let eval_at = |s: f64| {
        let shifted: Vec<f64> = a.iter().zip(&u).map(|(x, du)| x + s * du).collect();
        let f = Diffusion { weights: EdgeWeights::Fixed(from_vec(shifted, [e], &plain)), graph: graph.clone() };
        f.eval(0.0, y.clone())
    };
    let jv = (eval_at(eps) - eval_at(-eps)).mul_scalar(0.5 / eps);
    let mut ev = Evaluator::new(&at_start);
    let mut pg = ParamGrads::new();
    ev.vjp(0.0, y.clone(), wv.clone(), &mut pg);
    let ga = pg.finish().get::<1>(w_param.id).expect("a gradient for the edge weights");
    let (lhs, rhs) = (dot(wv, jv), dot(ga, from_vec(u, [e], &plain)));
    assert!(rel_diff(lhs, rhs, 1e-12) < 1e-10, "edge weights: {lhs:e} vs {rhs:e}");

    // Attention rows sum to one (softmax over each node's neighbours).
    let att = attention(d, 2, &mut rng);
    let aw = att.valid().weights(&graph, y);
    let aw = to_vec(aw);
    let mut rows = vec![0.0; n];
    for (k, &dst) in graph.dst.iter().enumerate() {
        rows[dst] += aw[k];
    }
    for (i, r) in rows.iter().enumerate() {
        assert!((r - 1.0).abs() < 1e-12, "row {i} of A sums to {r}");
    }
}

fn block(kind: ModelKind, scheme: &str, method: Method, alpha: f64, n_steps: usize) -> BlockConfig {
    BlockConfig {
        kind,
        alpha,
        learn_alpha: false,
        t1: 1.5,
        n_steps,
        scheme: scheme.into(),
        method,
        history: History::Dense,
    }
}

/// A model whose attention is not uniform (`init` starts `W_Q` at zero, where `∂L/∂W_K = 0`).
fn model_for(g: &GraphData, kind: ModelKind) -> GraphModel {
    let mut m = ModelConfig { kind, n_features: g.n_features, hidden: 4, attention_dim: 3, n_classes: g.n_classes }
        .init(0.7, 11);
    if let Some(a) = m.attention.as_mut() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        *a = attention(4, 3, &mut rng);
    }
    m
}

fn grads(p: &GraphProblem, m: &GraphModel) -> Vec<f64> {
    let (g, _) = loss_and_grads(p, m, None).unwrap();
    flat_grads(m, &g)
}

/// Reference: one Burn graph through encoder, attention at t = 0, every step of the fractional
/// forward Euler (written out here from its closed-form weights
/// `b_m = h^α/Γ(α+1)·((m+1)^α − m^α)`) and decoder.
fn whole_graph_predictor_grads(p: &GraphProblem, m: &GraphModel) -> Vec<f64> {
    let b = &p.block;
    let (alpha, n) = (b.alpha, b.n_steps);
    let h = b.t1 / n as f64;
    let c = h.powf(alpha) / gamma(alpha + 1.0);
    let w = |k: usize| c * ((k as f64 + 1.0).powf(alpha) - (k as f64).powf(alpha));
    let x0 = m.enc.forward(p.features.clone());
    let a = m.attention.as_ref().unwrap().weights(&p.graph, x0.clone());
    let mut fs: Vec<Tensor<2>> = Vec::new();
    let mut y = x0.clone();
    for step in 1..=n {
        fs.push(caputo_cli::apps::graph::sparse::diffuse(&p.graph, y, a.clone()));
        let mut acc = x0.clone();
        for (j, f) in fs.iter().enumerate() {
            acc = acc + f.clone().mul_scalar(w(step - 1 - j));
        }
        y = acc;
    }
    let logits = m.dec.forward(y).select(0, p.train_idx.clone());
    let loss = -(log_softmax(logits) * p.train_target.clone()).sum();
    flat_grads(m, &GradientsParams::from_grads(loss.backward(), m))
}

#[test]
fn grand_l_discrete_adjoint_matches_whole_graph_backprop() {
    let g = small_graph();
    let m = model_for(&g, ModelKind::GrandL);
    let problem = |scheme: &str, method: Method| {
        GraphProblem::new(g.clone(), block(ModelKind::GrandL, scheme, method, 0.7, 12), 0.0, 0.0).unwrap()
    };
    let reference = whole_graph_predictor_grads(&problem("predictor", Method::Direct), &m);
    assert!(reference.iter().any(|x| x.abs() > 1e-6), "a non-trivial gradient");
    // Every part of the model gets a gradient (encoder, W_Q, W_K, decoder).
    let n_alpha = 1;
    assert!(reference[..reference.len() - n_alpha].iter().filter(|x| **x == 0.0).count() < reference.len() / 10);
    for method in [Method::DiscreteAdjoint, Method::Direct] {
        let e = max_rel_diff(&grads(&problem("predictor", method.clone()), &m), &reference);
        eprintln!("predictor, {}: max rel diff to the whole-graph reference {e:e}", method.name());
        assert!(e < 1e-8, "predictor, {}: {e:e}", method.name());
    }
    // A corrector scheme and a derivative-form scheme: discrete adjoint against direct.
    for scheme in ["abm", "l1", "trapezoid"] {
        let adj = grads(&problem(scheme, Method::DiscreteAdjoint), &m);
        let dir = grads(&problem(scheme, Method::Direct), &m);
        let e = max_rel_diff(&adj, &dir);
        eprintln!("{scheme}: discrete adjoint vs direct {e:e}");
        assert!(e < 1e-8, "{scheme}: discrete adjoint vs direct {e:e}");
    }
}

#[test]
fn grand_nl_and_adjacency_discrete_adjoint_match_direct() {
    let g = small_graph();
    for kind in [ModelKind::GrandNl, ModelKind::Adjacency] {
        let m = model_for(&g, kind);
        let p = |method: Method| GraphProblem::new(g.clone(), block(kind, "abm", method, 0.6, 10), 0.0, 0.0).unwrap();
        let adj = grads(&p(Method::DiscreteAdjoint), &m);
        let dir = grads(&p(Method::Direct), &m);
        let e = max_rel_diff(&adj, &dir);
        eprintln!("{}: discrete adjoint vs direct {e:e}", kind.name());
        assert!(e < 1e-8, "{}: {e:e}", kind.name());
    }
}

#[test]
fn fast_history_block_gradients_agree_across_methods() {
    // --history fast: the discrete adjoint and the checkpointed compressed state both equal
    // direct backpropagation through the fast scheme.
    let g = small_graph();
    let m = model_for(&g, ModelKind::GrandL);
    let p = |method: Method| {
        let b = BlockConfig {
            history: History::Fast { tol: 1e-8 },
            ..block(ModelKind::GrandL, "predictor", method, 0.6, 24)
        };
        GraphProblem::new(g.clone(), b, 0.0, 0.0).unwrap()
    };
    let dir = grads(&p(Method::Direct), &m);
    for method in [Method::DiscreteAdjoint, Method::Checkpointed { segments: 5 }] {
        let e = max_rel_diff(&grads(&p(method.clone()), &m), &dir);
        assert!(e < 1e-8, "{}: {e:e}", method.name());
    }
}

#[test]
fn learned_alpha_gradient_matches_a_central_difference() {
    let g = small_graph();
    let m = model_for(&g, ModelKind::GrandL);
    let loss_at = |alpha: f64| {
        let p = GraphProblem::new(
            g.clone(),
            block(ModelKind::GrandL, "predictor", Method::DiscreteAdjoint, alpha, 12),
            0.0,
            0.0,
        )
        .unwrap();
        loss_and_grads(&p, &m, None).unwrap().1
    };
    let r = loss_at(0.7);
    let d_alpha = r.d_alpha.expect("the discrete adjoint gives ∂L/∂α");
    let delta = 1e-5;
    let fd = (loss_at(0.7 + delta).loss - loss_at(0.7 - delta).loss) / (2.0 * delta);
    eprintln!("∂L/∂α = {d_alpha:e}, central difference {fd:e}");
    assert!(rel_diff(d_alpha, fd, 1e-8) < 1e-6, "∂L/∂α = {d_alpha:e}, central difference {fd:e}");
}
