//! The gradient of the whole image classifier (stem + FDE block + head) with the block's
//! discrete adjoint equals plain backpropagation, in f64, on a tiny batch.
//!
//! Two references: the library's `Direct` pullback (autodiff through the solve loop, as
//! `caputo image --method direct` trains), and an independent one written here: the
//! fractional predictor `y_n = y0 + Σ_{j<n} w_{n−1−j} f(t_j, y_j)`,
//! `w_m = h^α/Γ(α+1)·((m+1)^α − m^α)`, marched by hand on autodiff tensors so that stem, solve
//! and head are one Burn graph and one `loss.backward()`. For α = 1, the symplectic adjoint of
//! an RK4 block is checked against `Direct` the same way.
//!
//! This binary configures the process's flex device for f64, so it holds only f64 tests.

use burn::module::{Module, ModuleMapper, Param};
use burn::optim::GradientsParams;
use burn::tensor::{Tensor, TensorData};
use caputo::VectorField;
use caputo::grad::Method;
use caputo::special::gamma;
use caputo::tensor::to_vec;
use caputo::testkit::{f64_device, flat_grads, max_rel_diff};
use caputo_cli::apps::image::model::{ImageModel, ImageModelConfig};
use caputo_cli::apps::image::step::{BlockConfig, cross_entropy, logits, train_step};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const ALPHA: f64 = 0.7;
const T1: f64 = 1.0;
const STEPS: usize = 6;

fn tiny_model() -> ImageModel {
    ImageModelConfig::new(4).init(3, &f64_device())
}

/// 18 8×8 "images" with labels: more than one stem chunk (`STEM_CHUNK` = 16), so the
/// adjoint path's chunked stem recomputation is covered.
fn tiny_batch() -> (Tensor<4>, Vec<u8>) {
    batch_of(caputo_cli::apps::image::step::STEM_CHUNK + 2)
}

fn batch_of(n: usize) -> (Tensor<4>, Vec<u8>) {
    let v: Vec<f64> = (0..n * 64).map(|i| (((i * 37) % 17) as f64 - 8.0) * 0.15 + ((i / 64) as f64 * 0.05)).collect();
    let labels = (0..n).map(|i| ((i * 7) % 10) as u8).collect();
    (Tensor::from_data(TensorData::new(v, [n, 1, 8, 8]), &f64_device().inner()), labels)
}

/// Independent reference: the predictor march written out, one graph from input to loss.
fn whole_graph_predictor(m: &ImageModel, x: Tensor<4>, labels: &[u8]) -> Vec<f64> {
    let h = T1 / STEPS as f64;
    let c = h.powf(ALPHA) / gamma(ALPHA + 1.0);
    let w = |k: usize| c * ((k as f64 + 1.0).powf(ALPHA) - (k as f64).powf(ALPHA));
    let y0 = m.stem.forward(x);
    let mut fs: Vec<Tensor<4>> = vec![m.block.eval(0.0, y0.clone())];
    let mut y = y0.clone();
    for n in 1..=STEPS {
        y = y0.clone();
        for (j, fj) in fs.iter().enumerate() {
            y = y + fj.clone().mul_scalar(w(n - 1 - j));
        }
        fs.push(m.block.eval(n as f64 * h, y.clone()));
    }
    let loss = cross_entropy(m.head.forward(y), labels);
    flat_grads(m, &GradientsParams::from_grads(loss.backward(), m))
}

fn grads_with(m: &ImageModel, scheme: &str, alpha: f64, method: Method) -> (f64, Vec<f64>) {
    let (x, labels) = tiny_batch();
    let block = BlockConfig::new(alpha, T1, STEPS, scheme, method).unwrap();
    let r = train_step(m, x, &labels, &block).unwrap();
    (r.loss, flat_grads(m, &r.grads))
}

#[test]
fn discrete_adjoint_gradient_of_the_whole_classifier_equals_backpropagation_in_f64() {
    let m = tiny_model();
    assert_eq!(to_vec(m.head.linear.weight.val()).len(), 40, "width 4 → 10 classes");
    let (x, labels) = tiny_batch();
    let reference = whole_graph_predictor(&m, x, &labels);
    assert!(reference.iter().all(|g| g.is_finite()) && reference.iter().any(|g| *g != 0.0));
    let (l_adj, adjoint) = grads_with(&m, "predictor", ALPHA, Method::DiscreteAdjoint);
    let (l_dir, direct) = grads_with(&m, "predictor", ALPHA, Method::Direct);
    assert_eq!(adjoint.len(), burn::module::Module::num_params(&m));
    assert!((l_adj - l_dir).abs() <= 1e-13 * l_dir.abs(), "losses {l_adj} vs {l_dir}");
    let e_ref = max_rel_diff(&adjoint, &reference);
    let e_dir = max_rel_diff(&adjoint, &direct);
    eprintln!("predictor: adjoint vs hand-written graph {e_ref:e}, vs Direct pullback {e_dir:e}");
    assert!(e_ref <= 1e-8, "discrete adjoint vs whole-graph backprop: {e_ref:e}");
    assert!(e_dir <= 1e-8, "discrete adjoint vs direct: {e_dir:e}");
    // Every part of the model gets a gradient (stem, block and head).
    let (x, labels) = tiny_batch();
    let block = BlockConfig::new(ALPHA, T1, STEPS, "predictor", Method::DiscreteAdjoint).unwrap();
    let g = train_step(&m, x, &labels, &block).unwrap().grads;
    for (part, v) in
        [("stem", flat_grads(&m.stem, &g)), ("block", flat_grads(&m.block, &g)), ("head", flat_grads(&m.head, &g))]
    {
        assert!(v.iter().any(|x| *x != 0.0), "the {part} gets a gradient");
    }
}

#[test]
fn adjoint_equals_direct_for_abm_and_l1_blocks_and_for_an_rk4_ode_block() {
    let m = tiny_model();
    for (scheme, alpha, adj) in [
        ("abm", ALPHA, Method::DiscreteAdjoint),
        ("l1", ALPHA, Method::DiscreteAdjoint),
        ("rk4", 1.0, Method::SymplecticAdjoint),
        ("euler", 1.0, Method::Checkpointed { segments: 2 }),
    ] {
        let (_, a) = grads_with(&m, scheme, alpha, adj.clone());
        let (_, d) = grads_with(&m, scheme, alpha, Method::Direct);
        let e = max_rel_diff(&a, &d);
        eprintln!("{scheme} α = {alpha}, {}: {e:e}", adj.name());
        assert!(e <= 1e-8, "{scheme} α = {alpha}, {} vs direct: {e:e}", adj.name());
    }
}

/// Adds `eps · dir` to the parameters, in module (visit) order.
struct Shift<'a> {
    dir: &'a [f64],
    at: usize,
    eps: f64,
}

impl ModuleMapper for Shift<'_> {
    fn map_float<const D: usize>(&mut self, p: Param<Tensor<D>>) -> Param<Tensor<D>> {
        p.map(|t| {
            let n = t.shape().num_elements();
            let d: Vec<f64> = self.dir[self.at..self.at + n].iter().map(|v| v * self.eps).collect();
            self.at += n;
            let dt = caputo::tensor::from_vec_like(d, t.dims(), &t);
            t + dt
        })
    }
}

/// The finite-difference check uses three images: fewer ReLU kinks near a sampled point.
const FD_BATCH: usize = 3;

fn loss_at(m: &ImageModel, dir: &[f64], eps: f64, block: &BlockConfig) -> f64 {
    let shifted = m.clone().map(&mut Shift { dir, at: 0, eps }).valid();
    let (x, labels) = batch_of(FD_BATCH);
    to_vec(cross_entropy(logits(&shifted, x, block).unwrap(), &labels))[0]
}

/// Guards against a wrong gradient in Burn itself (which the comparisons above, all built on
/// Burn's autodiff, could not see): the adjoint's directional derivative along random
/// directions restricted to the stem, the block and the head agrees with central differences.
#[test]
fn classifier_gradient_matches_central_differences_part_by_part() {
    let m = tiny_model();
    let block = BlockConfig::new(ALPHA, T1, STEPS, "predictor", Method::DiscreteAdjoint).unwrap();
    let (x, labels) = batch_of(FD_BATCH);
    let g = flat_grads(&m, &train_step(&m, x, &labels, &block).unwrap().grads);
    let sizes = [m.stem.num_params(), m.block.num_params(), m.head.num_params()];
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut lo = 0;
    for (part, n) in ["stem", "block", "head"].iter().zip(sizes) {
        let mut dir = vec![0.0; g.len()];
        for d in &mut dir[lo..lo + n] {
            *d = rng.random_range(-1.0..1.0);
        }
        lo += n;
        let eps = 1e-6;
        let fd = (loss_at(&m, &dir, eps, &block) - loss_at(&m, &dir, -eps, &block)) * (0.5 / eps);
        let ad: f64 = g.iter().zip(&dir).map(|(a, b)| a * b).sum();
        let e = (fd - ad).abs() / ad.abs().max(1e-12);
        eprintln!("{part}: adjoint {ad:.12e}, central difference {fd:.12e}, rel. diff {e:e}");
        assert!(e < 1e-6, "{part}: adjoint {ad} vs central difference {fd}");
    }
}
