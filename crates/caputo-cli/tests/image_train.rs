//! A short training run of the image classifier learns: on a few hundred bundled MNIST
//! digits, with a tiny width and few FDE steps, the test accuracy ends far above chance (10%)
//! for the discrete adjoint and for direct backpropagation, which follow the same trajectory
//! up to f32 rounding.
//!
//! To keep the test at a few seconds, the digits are shrunk to 7×7 (4×4 averages): the stem
//! then ends at 2×2, so global average pooling sees features that already cover the digit.
//! (At 28×28, the pooled features of a freshly initialised stem are nearly the same for every
//! digit and the first ~100 Adam steps barely move the loss; the default run needs ~1,000
//! steps. The model code is the same for any image size.)

use caputo::grad::Method;
use caputo_cli::apps::image::data::{self, Dataset};
use caputo_cli::apps::image::{ImageArgs, settings, train};
use caputo_cli::data::ImageSet;
use clap::Parser;

const N_TRAIN: usize = 400;
const N_TEST: usize = 500;

/// Each image's `k×k` blocks averaged: 28×28 → (28/k)×(28/k).
fn shrink(s: &ImageSet, k: usize) -> ImageSet {
    let (r, c) = (s.rows / k, s.cols / k);
    let mut images = Vec::with_capacity(s.n * r * c);
    for i in 0..s.n {
        let im = s.image(i);
        for y in 0..r {
            for x in 0..c {
                let sum: f32 = (0..k * k).map(|j| im[(k * y + j / k) * s.cols + k * x + j % k]).sum();
                images.push(sum / (k * k) as f32);
            }
        }
    }
    ImageSet { images, labels: s.labels.clone(), n: s.n, rows: r, cols: c }
}

fn short_data() -> Dataset {
    let d = data::load(None, Some(N_TRAIN), Some(N_TEST)).unwrap();
    Dataset { train: shrink(&d.train, 4), test: shrink(&d.test, 4), source: d.source }
}

/// Width 16, 3 predictor steps on [0, 1], batch 20, 12 epochs (240 Adam steps), no distortions.
fn short_args(method: &Method) -> ImageArgs {
    ImageArgs::parse_from([
        "image",
        "--quiet",
        "--width",
        "16",
        "--steps",
        "3",
        "--t1",
        "1",
        "--batch",
        "20",
        "--epochs",
        "12",
        "--lr",
        "0.003",
        "--lr-decay",
        "0.9",
        "--augment",
        "off",
        "--method",
        method.name(),
    ])
}

#[test]
fn a_short_run_learns_with_the_discrete_adjoint_and_with_direct() {
    let d = short_data();
    let mut curves = Vec::new();
    for m in [Method::DiscreteAdjoint, Method::Direct] {
        let s = settings(&short_args(&m)).unwrap();
        let o = train(&s, &d, None, None, true, "").unwrap();
        let curve: Vec<f64> = o.history.iter().map(|r| r.metrics[2]).collect();
        eprintln!("{}: test accuracy {:.3}, by epoch {curve:?}", m.name(), o.eval.accuracy);
        assert_eq!(o.eval.confusion.iter().flatten().sum::<usize>(), N_TEST);
        assert_eq!(curve.last().copied(), Some(o.eval.accuracy));
        let a = o.eval.accuracy;
        assert!(a >= 0.6, "{}: test accuracy {a} after a short run (chance is 0.1)", m.name());
        curves.push(curve);
    }
    // The same gradients up to f32 rounding: after the first epoch the two models classify the
    // test set alike (later, rounding differences grow as in any chaotic training run).
    assert!(
        (curves[0][0] - curves[1][0]).abs() <= 2.0 / N_TEST as f64,
        "epoch 1: {} vs {}",
        curves[0][0],
        curves[1][0]
    );
}
