//! `caputo image` end to end on a tiny configuration (seconds): outputs, checkpoint and exact
//! resume, `--eval-only` on the checkpoint, `--compare`, and bad flags.

use caputo_cli::apps::image::{ImageArgs, run, settings};
use caputo_cli::train::is_input_error;
use clap::Parser;

fn out_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("caputo_image_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// 120 training and 60 test images, width 4, 3 predictor steps, batch 30.
fn tiny(out: &std::path::Path, extra: &[&str]) -> ImageArgs {
    let o = out.to_str().unwrap().to_string();
    let mut v: Vec<String> = [
        "image",
        "--quiet",
        "--train-size",
        "120",
        "--test-size",
        "60",
        "--width",
        "4",
        "--steps",
        "3",
        "--batch",
        "30",
        "--lr",
        "0.01",
        "--out",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push(o);
    v.extend(extra.iter().map(|s| s.to_string()));
    ImageArgs::parse_from(v)
}

/// The columns of the history that do not depend on timing: loss, train accuracy, test loss,
/// test accuracy.
fn numbers(r: &serde_json::Value) -> Vec<[f64; 4]> {
    r["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| ["train_loss", "train_accuracy", "test_loss", "test_accuracy"].map(|k| e[k].as_f64().unwrap()))
        .collect()
}

#[test]
fn training_writes_outputs_resumes_exactly_and_eval_only_reproduces_the_test_accuracy() {
    let full = out_dir("full");
    let a = run(&tiny(&full, &["--epochs", "3"])).unwrap();
    for f in ["results.json", "history.csv", "accuracy.png", "loss.png"] {
        assert!(full.join(f).is_file(), "missing {f}");
    }
    assert_eq!(a["history"].as_array().unwrap().len(), 3);
    let cm = a["confusion_matrix"].as_array().unwrap();
    assert_eq!(cm.len(), 10);
    let total: u64 = cm.iter().flat_map(|r| r.as_array().unwrap().iter().map(|c| c.as_u64().unwrap())).sum();
    assert_eq!(total, 60);
    assert_eq!(a["method"], "discrete-adjoint");
    assert_eq!(a["scheme"], "predictor");
    assert_eq!(a["alpha"], 0.9);
    let csv = std::fs::read_to_string(full.join("history.csv")).unwrap();
    assert!(csv.starts_with("epoch,loss,train_accuracy,test_loss,test_accuracy,epoch_time_s,images_per_s\n"), "{csv}");

    // Two epochs with checkpoints, then resume to three: the same numbers as the run above.
    let split = out_dir("split");
    run(&tiny(&split, &["--epochs", "2", "--checkpoint-every", "1"])).unwrap();
    let b =
        run(&tiny(&split, &["--epochs", "3", "--checkpoint-every", "1", "--resume", split.to_str().unwrap()])).unwrap();
    assert_eq!(b["resumed_from_epoch"], 2);
    assert_eq!(numbers(&a), numbers(&b), "resumed run differs from the uninterrupted one");

    // A different configuration is refused before anything is written.
    let err =
        run(&tiny(&split, &["--epochs", "4", "--alpha", "0.8", "--resume", split.to_str().unwrap()])).unwrap_err();
    assert!(is_input_error(&err), "{err:#}");
    assert!(format!("{err:#}").contains("alpha"), "{err:#}");

    // Batch evaluation of the checkpoint: the final test accuracy and confusion matrix again.
    let ev_out = out_dir("eval");
    let ck = split.join("checkpoint");
    let args = ImageArgs::parse_from([
        "image",
        "--quiet",
        "--eval-only",
        "--checkpoint",
        ck.to_str().unwrap(),
        "--test-size",
        "60",
        "--batch",
        "7",
        "--out",
        ev_out.to_str().unwrap(),
    ]);
    let e = run(&args).unwrap();
    assert_eq!(e["epoch"], 3);
    assert!(ev_out.join("eval.json").is_file());
    let acc = e["evaluation"]["accuracy"].as_f64().unwrap();
    assert!(
        (acc - b["final_test_accuracy"].as_f64().unwrap()).abs() < 1e-12,
        "eval-only {acc} vs training {}",
        b["final_test_accuracy"]
    );
    assert_eq!(e["evaluation"]["confusion"], b["confusion_matrix"]);
    for d in [full, split, ev_out] {
        let _ = std::fs::remove_dir_all(d);
    }
}

#[test]
fn compare_trains_direct_and_adjoint_and_reports_memory_and_time() {
    let out = out_dir("compare");
    let c = run(&tiny(&out, &["--epochs", "1", "--compare"])).unwrap();
    assert!(out.join("comparison.json").is_file() && out.join("comparison_accuracy.png").is_file());
    let methods: Vec<&str> = c["methods"].as_array().unwrap().iter().map(|r| r["method"].as_str().unwrap()).collect();
    assert_eq!(methods, ["direct", "discrete-adjoint"]);
    let acc: Vec<f64> = c["methods"].as_array().unwrap().iter().map(|r| r["test_accuracy"].as_f64().unwrap()).collect();
    // Exact gradients: the two trainings agree up to f32 rounding.
    assert!((acc[0] - acc[1]).abs() <= 2.0 / 60.0, "{acc:?}");
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn bad_flags_are_input_errors_with_a_clear_message() {
    let out = out_dir("bad");
    let cases: [(&[&str], &str); 5] = [
        (&["--alpha", "0.9", "--scheme", "rk4"], "needs --alpha 1"),
        (&["--alpha", "1.5"], "(0, 1]"),
        (&["--scheme", "nope"], "unknown"),
        (&["--method", "nope"], "--method nope"),
        (&["--lr-decay", "2"], "--lr-decay"),
    ];
    for (flags, want) in cases {
        let err = settings(&tiny(&out, flags)).unwrap_err();
        assert!(is_input_error(&err), "{flags:?}: {err:#}");
        assert!(format!("{err:#}").contains(want), "{flags:?}: {err:#}");
    }
    // --eval-only needs --checkpoint (clap refuses it).
    assert!(ImageArgs::try_parse_from(["image", "--eval-only"]).is_err());
    // A fractional method the ODE block does not support is refused before any work
    // (`Method::supports`), as an input error naming both flags and the alternative.
    let err = settings(&tiny(&out, &["--alpha", "1", "--scheme", "rk4", "--method", "paper-adjoint", "--epochs", "1"]))
        .unwrap_err();
    assert!(is_input_error(&err), "{err:#}");
    let msg = format!("{err:#}");
    assert!(msg.contains("--method paper-adjoint with --scheme rk4") && msg.contains("symplectic-adjoint"), "{msg}");
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn data_dir_reads_idx_files_and_a_missing_directory_is_an_input_error() {
    use caputo_cli::apps::image::data;
    use caputo_cli::data::write_idx_pair;
    let dir = out_dir("idx");
    std::fs::create_dir_all(&dir).unwrap();
    let d = data::load(None, Some(90), Some(40)).unwrap();
    write_idx_pair(&dir.join("train-images-idx3-ubyte.gz"), &dir.join("train-labels-idx1-ubyte.gz"), &d.train, true)
        .unwrap();
    write_idx_pair(&dir.join("t10k-images-idx3-ubyte"), &dir.join("t10k-labels-idx1-ubyte"), &d.test, false).unwrap();
    let out = out_dir("idx_out");
    let r = run(&tiny(&out, &["--data", dir.to_str().unwrap(), "--epochs", "1"])).unwrap();
    assert!(r["data"].as_str().unwrap().contains("IDX"), "{}", r["data"]);
    assert_eq!((r["n_train"].as_u64(), r["n_test"].as_u64()), (Some(90), Some(40)));
    let err = run(&tiny(&out, &["--data", out.join("nowhere").to_str().unwrap()])).unwrap_err();
    assert!(is_input_error(&err) || err.chain().any(|c| c.is::<caputo_cli::data::DataError>()), "{err:#}");
    for d in [dir, out] {
        let _ = std::fs::remove_dir_all(d);
    }
}
