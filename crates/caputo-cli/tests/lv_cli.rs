//! The `caputo lotka-volterra` command: outputs, and exit status 2 with one clear line for
//! bad input (malformed CSV, unwritable output directory, bad flags, unsupported method,
//! incompatible or corrupt checkpoint).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use caputo_cli::train::plot::is_png;

fn dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("caputo_lv_cli_{tag}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn caputo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caputo")).arg("lotka-volterra").args(args).output().expect("run caputo")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit status 2 and a message containing `phrase`.
fn assert_input_error(o: &Output, phrase: &str) {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(2), "expected exit 2, got {:?}; stderr: {e}", o.status.code());
    assert!(e.contains(phrase), "stderr lacks {phrase:?}: {e}");
}

#[test]
fn small_run_writes_results_history_and_png_plots() {
    let d = dir("ok");
    let out = d.join("out");
    let o = caputo(&["--steps", "40", "--epochs", "30", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("recovered") && stdout.contains("discrete-adjoint"), "{stdout}");
    for f in ["results.json", "history.csv", "trajectories.svg"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    for f in ["trajectories.png", "loss.png"] {
        let b = std::fs::read(out.join(f)).unwrap();
        assert!(is_png(&b) && b.len() > 10_000, "{f}: {} bytes, png {}", b.len(), is_png(&b));
    }
    let quiet = caputo(&["--quiet", "--steps", "40", "--epochs", "2", "--out", out.to_str().unwrap()]);
    assert!(quiet.status.success() && quiet.stdout.is_empty() && quiet.stderr.is_empty(), "{}", stderr(&quiet));
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn malformed_csv_exits_2_naming_file_line_and_column() {
    let d = dir("csv");
    let cases: &[(&str, &str, &str)] = &[
        ("cols.csv", "t,x\n0,1\n1,2\n", "cols.csv:1:3: missing column `y`"),
        ("text.csv", "t,x,y\n0,2,1\n0.25,abc,1\n", "text.csv:3:2: `abc` is not a number"),
        ("nan.csv", "t,x,y\n0,2,1\n0.25,1,nan\n", "nan.csv:3:3:"),
        ("order.csv", "t,x,y\n0,2,1\n0.5,2,1\n0.25,2,1\n", "order.csv:4:1:"),
        ("empty.csv", "", "empty.csv: file holds no data"),
    ];
    for (name, text, phrase) in cases {
        let p = d.join(name);
        std::fs::write(&p, text).unwrap();
        let o = caputo(&["--quiet", "--data", p.to_str().unwrap(), "--out", d.join("out").to_str().unwrap()]);
        assert_input_error(&o, phrase);
        assert_eq!(stderr(&o).trim().lines().count(), 1, "one line: {}", stderr(&o));
    }
    let o = caputo(&["--quiet", "--data", d.join("absent.csv").to_str().unwrap()]);
    assert_input_error(&o, "absent.csv");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn bad_flags_and_unwritable_output_exit_2() {
    let d = dir("flags");
    let file = d.join("a-file");
    std::fs::write(&file, "x").unwrap();
    let under_file = file.join("out");
    let out = d.join("out");
    let o = out.to_str().unwrap();
    assert_input_error(
        &caputo(&["--quiet", "--epochs", "1", "--steps", "40", "--out", under_file.to_str().unwrap()]),
        "output directory",
    );
    assert_input_error(&caputo(&["--quiet", "--true-params", "1,2,3", "--out", o]), "expected 4");
    assert_input_error(&caputo(&["--quiet", "--alpha", "1.5", "--out", o]), "--alpha");
    assert_input_error(&caputo(&["--quiet", "--steps", "50", "--out", o]), "multiple of --obs");
    assert_input_error(&caputo(&["--quiet", "--method", "no-such-method", "--out", o]), "no-such-method");
    assert_input_error(&caputo(&["--quiet", "--scheme", "no-such-scheme", "--out", o]), "no-such-scheme");
    // A method the library does not support for fractional solves: the library's message.
    assert_input_error(&caputo(&["--quiet", "--method", "symplectic-adjoint", "--out", o]), "does not support");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn incompatible_and_corrupt_checkpoints_exit_2() {
    let d = dir("ckpt");
    let out = d.join("out");
    let o = out.to_str().unwrap();
    let first = caputo(&["--quiet", "--steps", "40", "--epochs", "4", "--checkpoint-every", "2", "--out", o]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert_input_error(
        &caputo(&["--quiet", "--steps", "40", "--epochs", "6", "--alpha", "0.6", "--resume", o, "--out", o]),
        "incompatible checkpoint",
    );
    let state = Path::new(o).join("checkpoint/state.json");
    std::fs::write(&state, "{ not json").unwrap();
    assert_input_error(
        &caputo(&["--quiet", "--steps", "40", "--epochs", "6", "--resume", o, "--out", o]),
        "corrupt checkpoint",
    );
    std::fs::remove_dir_all(&d).unwrap();
}
