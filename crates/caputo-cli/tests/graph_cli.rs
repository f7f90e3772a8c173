//! The `caputo graph` command: the default karate-club run and its outputs, `--compare`,
//! `--learn-alpha`, exact resume from a checkpoint, and exit status 2 with one clear line for
//! bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use caputo_cli::apps::graph::{GraphArgs, run};
use caputo_cli::train::plot::is_png;

fn dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("caputo_graph_cli_{tag}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn caputo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caputo")).arg("graph").args(args).output().expect("run caputo")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(p: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn args(flags: &[&str], out: &Path) -> GraphArgs {
    GraphArgs::from_flags(&[&["--quiet", "--out", out.to_str().unwrap()], flags].concat()).unwrap()
}

#[test]
fn default_karate_run_writes_results_history_and_plots() {
    let d = dir("default");
    let out = d.join("out");
    let o = caputo(&["--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("grand-l on karate club") && stdout.contains("best val"), "{stdout}");
    let r = json(&out.join("results.json"));
    assert_eq!(r["n_nodes"], 34);
    assert_eq!(r["method"], "discrete-adjoint");
    assert!(r["peak_memory_bytes"].as_u64().unwrap() > 0, "the binary's counting allocator measures");
    let test_acc = r["best_val_accuracy"][2].as_f64().unwrap();
    assert!(test_acc >= 0.8, "karate test accuracy {test_acc}");
    let hist = std::fs::read_to_string(out.join("history.csv")).unwrap();
    assert!(hist.starts_with("epoch,loss,train_acc,val_acc,test_acc,step_seconds\n"), "{hist}");
    assert_eq!(hist.lines().count(), 101);
    for f in ["accuracy.png", "loss.png"] {
        assert!(is_png(&std::fs::read(out.join(f)).unwrap()), "{f}");
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn reads_planetoid_and_csv_directories() {
    let d = dir("formats");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let planetoid = root.join("tests/fixtures/planetoid");
    let r = run(&args(
        &["--data", planetoid.to_str().unwrap(), "--format", "planetoid", "--name", "tiny", "--epochs", "3"],
        &d.join("p"),
    ))
    .unwrap();
    assert_eq!((r.n_nodes, r.n_edges, r.n_classes, r.split_sizes), (12, 13, 3, [3, 5, 4]));
    assert!(r.data.starts_with("planetoid tiny"), "{}", r.data);
    let csv = root.join("../../data/karate");
    let r = run(&args(&["--data", csv.to_str().unwrap(), "--format", "csv", "--epochs", "3"], &d.join("c"))).unwrap();
    assert_eq!((r.n_nodes, r.n_edges, r.n_classes), (34, 78, 2));
    let r = run(&args(&["--synthetic", "--epochs", "1", "--t1", "0.2"], &d.join("s"))).unwrap();
    assert_eq!((r.n_nodes, r.n_edges, r.n_classes, r.n_steps), (2708, 5278, 7, 2));
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn compare_runs_methods_alphas_and_schemes() {
    let d = dir("compare");
    let out = d.join("out");
    let o = caputo(&[
        "--compare",
        "--epochs",
        "4",
        "--compare-alphas",
        "0.5,1",
        "--compare-schemes",
        "predictor,abm,nope",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let c = json(&out.join("comparison.json"));
    let rows = c["rows"].as_array().unwrap();
    let ran = |group: &str| rows.iter().filter(|r| r["group"] == group && r["supported"] == true).count();
    // Every method the library supports for fractional solves (at least these two).
    for m in ["direct", "discrete-adjoint"] {
        assert!(
            rows.iter().any(|r| r["group"] == "method" && r["method"] == m && r["supported"] == true),
            "{m}: {rows:?}"
        );
    }
    assert!(rows.iter().filter(|r| r["group"] == "method" && r["supported"] == false).all(|r| r["note"].is_string()));
    assert_eq!(ran("alpha"), 2);
    assert_eq!(ran("scheme"), 2);
    let bad = rows.iter().find(|r| r["scheme"] == "nope").unwrap();
    assert!(bad["note"].as_str().unwrap().contains("nope"), "{bad}");
    assert!(c["adjoint_to_direct_peak_memory"].as_f64().is_some());
    // Same gradients to rounding: the same accuracies.
    assert_eq!(c["adjoint_minus_direct_test_accuracy"].as_f64(), Some(0.0));
    assert!(is_png(&std::fs::read(out.join("comparison_accuracy.png")).unwrap()));
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn learn_alpha_moves_alpha_with_the_adjoint_gradient() {
    let d = dir("alpha");
    let r = run(&args(&["--learn-alpha", "--alpha", "0.5", "--epochs", "20", "--lr", "0.05"], &d)).unwrap();
    assert!(r.alpha_learned);
    assert!((r.alpha_final - 0.5).abs() > 1e-3, "α stayed at {}", r.alpha_final);
    assert!(r.alpha_final > 0.0 && r.alpha_final < 1.0);
    let hist = std::fs::read_to_string(d.join("history.csv")).unwrap();
    assert!(hist.lines().next().unwrap().ends_with(",alpha"));
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn resumed_run_matches_uninterrupted_run_bitwise() {
    let (whole, split) = (dir("whole"), dir("split"));
    let common = ["--model", "grand-nl", "--learn-alpha", "--alpha", "0.6"];
    let a = run(&args(&[&common[..], &["--epochs", "12"]].concat(), &whole)).unwrap();
    run(&args(&[&common[..], &["--epochs", "6", "--checkpoint-every", "3"]].concat(), &split)).unwrap();
    let ck = split.join("checkpoint");
    let b = run(&args(&[&common[..], &["--epochs", "12", "--resume", ck.to_str().unwrap()]].concat(), &split)).unwrap();
    assert_eq!(b.resumed_from_epoch, 6);
    assert_eq!(a.alpha_final.to_bits(), b.alpha_final.to_bits());
    assert_eq!(a.final_accuracy, b.final_accuracy);
    let strip_times = |p: &Path| {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .map(|l| {
                l.split(',')
                    .enumerate()
                    .filter(|(i, _)| *i != 5)
                    .map(|(_, v)| v.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect::<Vec<_>>()
    };
    // Every column but the step time, bit for bit (shortest round-trip formatting).
    assert_eq!(strip_times(&whole.join("history.csv")), strip_times(&split.join("history.csv")));
    // A different configuration is refused.
    let err = run(&args(
        &["--model", "grand-nl", "--epochs", "12", "--hidden", "8", "--resume", ck.to_str().unwrap()],
        &split,
    ))
    .unwrap_err();
    assert!(caputo_cli::train::is_input_error(&err), "{err:#}");
    std::fs::remove_dir_all(&whole).unwrap();
    std::fs::remove_dir_all(&split).unwrap();
}

#[test]
fn bad_input_exits_2_with_one_clear_line() {
    let d = dir("bad");
    let out = d.join("out");
    let o = out.to_str().unwrap();
    for (flags, phrase) in [
        (vec!["--alpha", "1.5"], "--alpha 1.5"),
        (vec!["--step", "0"], "--step"),
        (vec!["--dropout", "1"], "--dropout"),
        (vec!["--epochs", "0"], "--epochs"),
        (vec!["--scheme", "nope"], "--scheme nope"),
        (vec!["--method", "nope"], "--method nope"),
        (vec!["--learn-alpha", "--method", "direct"], "∂L/∂α"),
        (vec!["--learn-alpha", "--alpha", "1"], "--learn-alpha"),
        (vec!["--history", "sparse"], "--history sparse"),
        (vec!["--history", "fast", "--scheme", "gl"], "fast history"),
        (vec!["--history", "fast", "--learn-alpha"], "--history dense"),
        (vec!["--data", "/nonexistent/caputo", "--format", "planetoid"], "/nonexistent/caputo"),
        (vec!["--data", "/nonexistent/caputo", "--format", "csv"], "/nonexistent/caputo"),
        (vec!["--resume", "/nonexistent/caputo"], "/nonexistent/caputo"),
    ] {
        let r = caputo(&[&flags[..], &["--quiet", "--out", o]].concat());
        let e = stderr(&r);
        assert_eq!(r.status.code(), Some(2), "{flags:?}: expected exit 2; stderr: {e}");
        assert!(e.contains(phrase), "{flags:?}: stderr lacks {phrase:?}: {e}");
        assert_eq!(e.trim_end().lines().count(), 1, "{flags:?}: one line: {e}");
    }
    std::fs::remove_dir_all(&d).unwrap();
}
