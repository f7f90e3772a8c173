//! End to end: the Lotka–Volterra fit recovers the true parameters from noise-free data
//! (fewer steps and epochs than the demo), with the discrete adjoint and with direct
//! backpropagation, and writes valid plots.

use std::path::PathBuf;

use caputo_cli::apps::lotka_volterra::{LvArgs, LvResults, TRUE_PARAMS, run};
use caputo_cli::train::plot::is_png;
use clap::Parser;

fn out_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("caputo_lv_fit_{tag}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// 40 steps (one per observation interval), 500 Adam steps with a faster learning-rate decay
/// than the demo: a few seconds per method.
fn quick(method: &str, out: &std::path::Path) -> LvResults {
    let out = out.to_str().unwrap();
    let args = LvArgs::parse_from([
        "lotka-volterra",
        "--quiet",
        "--steps",
        "40",
        "--epochs",
        "500",
        "--lr-decay",
        "0.993",
        "--method",
        method,
        "--out",
        out,
    ]);
    run(&args).unwrap()
}

fn assert_recovered(r: &LvResults) {
    let errs = r.relative_errors.expect("truth is known for generated data");
    assert!(
        errs.iter().all(|e| *e <= 0.05),
        "{}: recovered {:?} (true {TRUE_PARAMS:?}), relative errors {errs:?}",
        r.method,
        r.recovered_params
    );
    assert!(r.final_loss < 1e-2 * r.initial_loss.unwrap(), "loss {} from {:?}", r.final_loss, r.initial_loss);
}

#[test]
fn discrete_adjoint_fit_recovers_true_parameters_within_5_percent() {
    let out = out_dir("adjoint");
    let r = quick("discrete-adjoint", &out);
    assert_recovered(&r);
    // The outputs exist, and the plots are real PNG images of non-trivial size.
    for f in ["results.json", "history.csv", "trajectories.svg"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    for f in ["trajectories.png", "loss.png"] {
        let bytes = std::fs::read(out.join(f)).unwrap();
        assert!(is_png(&bytes), "{f} is not a PNG");
        assert!(bytes.len() > 10_000, "{f} is only {} bytes", bytes.len());
    }
    // history.csv: header, the initial guess at epoch 0, one row per Adam step.
    let hist = std::fs::read_to_string(out.join("history.csv")).unwrap();
    let lines: Vec<&str> = hist.lines().collect();
    assert_eq!(lines[0], "epoch,loss,a,b,c,d");
    assert_eq!(lines.len(), 1 + 501);
    assert!(lines[1].starts_with("0,"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    for key in [
        "true_params",
        "recovered_params",
        "relative_errors",
        "final_loss",
        "total_wall_time_s",
        "peak_memory_bytes",
        "method",
        "scheme",
        "alpha_true",
        "alpha_final",
        "seed",
        "epochs",
    ] {
        assert!(json.get(key).is_some(), "results.json lacks {key}");
    }
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn direct_fit_recovers_true_parameters_within_5_percent() {
    let out = out_dir("direct");
    let r = quick("direct", &out);
    assert_recovered(&r);
    std::fs::remove_dir_all(&out).unwrap();
}
