//! `caputo plot-bench`: PNG plots from `caputo bench` JSON lines, and typed errors for bad input.

use std::path::PathBuf;

use caputo_cli::plot_cmd::{PlotBenchError, plot_bench, read_records};

fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("caputo_plot_bench_{tag}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn record(alpha: f64, method: &str, n: usize, history: &str, err: Option<f64>) -> String {
    let e = err.map_or("null".to_string(), |e| e.to_string());
    format!(
        r#"{{"workload":"lv-mlp","alpha":{alpha},"scheme":"{}","method":"{method}","steps":{n},"dtype":"f32","history":"{history}","fwd_s":0.01,"fwd_bwd_s":{},"peak_bytes":{},"loss":0.2,"grad_rel_err_vs_direct":{e}}}"#,
        if alpha < 1.0 { "predictor" } else { "rk4" },
        1e-4 * n as f64,
        1000 * n,
    )
}

#[test]
fn plot_bench_writes_non_empty_pngs() {
    let d = tmp("ok");
    let mut lines = vec![];
    for n in [100, 400, 1600] {
        lines.push(record(1.0, "direct", n, "dense", None));
        lines.push(record(1.0, "symplectic-adjoint", n, "dense", Some(1e-7)));
        lines.push(record(0.6, "direct", n, "dense", None));
        lines.push(record(0.6, "discrete-adjoint", n, "dense", Some(2e-7)));
    }
    lines.push(String::new());
    for n in [1000, 10000] {
        lines.push(record(0.6, "discrete-adjoint", n, "fast", None));
    }
    // A record from before `grad_rel_err_vs_direct` existed still reads.
    lines.push(record(0.6, "discrete-adjoint", 3200, "dense", None).replace(r#","grad_rel_err_vs_direct":null"#, ""));
    let input = d.join("bench.jsonl");
    std::fs::write(&input, lines.join("\n")).unwrap();
    assert_eq!(read_records(&input).unwrap().len(), 15);
    let out = d.join("img");
    let written = plot_bench(&input, &out).expect("plots");
    let names: Vec<String> = written.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    for want in [
        "memory_vs_n_ode_lv-mlp.png",
        "time_vs_n_ode_lv-mlp.png",
        "memory_vs_n_fde_lv-mlp.png",
        "time_vs_n_fde_lv-mlp.png",
        "fast_vs_dense.png",
        "fast_vs_dense_memory.png",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} missing from {names:?}");
        let bytes = std::fs::read(out.join(want)).expect("written");
        assert!(caputo_cli::train::plot::is_png(&bytes) && bytes.len() > 1000, "{want}: {} bytes", bytes.len());
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn malformed_or_missing_input_is_a_typed_error() {
    let d = tmp("bad");
    let input = d.join("bench.jsonl");
    std::fs::write(&input, format!("{}\n{{\"workload\": 3}}\n", record(1.0, "direct", 100, "dense", None))).unwrap();
    match plot_bench(&input, &d.join("img")) {
        Err(PlotBenchError::BadLine { line, .. }) => assert_eq!(line, 2),
        other => panic!("expected BadLine, got {other:?}"),
    }
    std::fs::write(&input, "\n\n").unwrap();
    assert!(matches!(plot_bench(&input, &d.join("img")), Err(PlotBenchError::Empty { .. })));
    assert!(matches!(plot_bench(&d.join("missing.jsonl"), &d.join("img")), Err(PlotBenchError::Read { .. })));
    // Through the binary: one error line, exit status 2.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_caputo"))
        .args([
            "plot-bench",
            "--input",
            d.join("missing.jsonl").to_str().unwrap(),
            "--out",
            d.join("img").to_str().unwrap(),
        ])
        .output()
        .expect("run caputo");
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(&d);
}

fn bench(args: &[&str]) -> Vec<serde_json::Value> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_caputo")).arg("bench").args(args).output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect()
}

#[test]
fn bench_reports_the_gradient_error_against_direct_and_plot_bench_reads_it() {
    // direct requested: it runs first and is the reference; exact methods agree to round-off in f64.
    let ode = bench(&["--steps", "20,40", "--method", "symplectic-adjoint,direct", "--sweep", "--dtype", "f64"]);
    assert_eq!(ode.len(), 4);
    for l in &ode {
        let e = &l["grad_rel_err_vs_direct"];
        match l["method"].as_str().unwrap() {
            "direct" => assert!(e.is_null(), "{l}"),
            _ => assert!(e.as_f64().unwrap() < 1e-12, "{l}"),
        }
    }
    // direct not requested: computed once per N as the reference; the paper adjoint is biased.
    let fde = bench(&[
        "--alpha",
        "0.6",
        "--steps",
        "30",
        "--method",
        "discrete-adjoint,paper-adjoint",
        "--sweep",
        "--dtype",
        "f64",
    ]);
    assert_eq!(fde.len(), 2);
    assert!(fde[0]["grad_rel_err_vs_direct"].as_f64().unwrap() < 1e-12, "{}", fde[0]);
    assert!(fde[1]["grad_rel_err_vs_direct"].as_f64().unwrap() > 1e-3, "{}", fde[1]);
    // Above --reference-max-steps: null.
    let off =
        bench(&["--alpha", "0.6", "--steps", "30", "--method", "discrete-adjoint", "--reference-max-steps", "10"]);
    assert!(off[0]["grad_rel_err_vs_direct"].is_null());
    // The lines plot.
    let d = tmp("pipeline");
    let input = d.join("bench.jsonl");
    let text: Vec<String> = ode.iter().chain(&fde).map(|v| v.to_string()).collect();
    std::fs::write(&input, text.join("\n")).unwrap();
    let written = plot_bench(&input, &d.join("img")).expect("plots");
    assert!(written.iter().any(|p| p.ends_with("time_vs_n_ode_lv-mlp.png")), "{written:?}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn bench_breakdown_splits_the_time_into_evaluations_vjps_history_and_the_rest() {
    // FDE with the discrete adjoint: every part is exercised (the predictor's history sums, the
    // forward's evaluations, the reverse sweep's VJPs).
    let rows = bench(&["--alpha", "0.6", "--steps", "40", "--method", "discrete-adjoint", "--breakdown"]);
    let b = &rows[0]["breakdown"];
    let part = |k: &str| b[k].as_f64().unwrap_or_else(|| panic!("{k} in {b}"));
    let total = rows[0]["fwd_bwd_s"].as_f64().unwrap();
    for k in ["eval_s", "vjp_s", "history_s"] {
        assert!(part(k) > 0.0, "{k} is zero: {b}");
    }
    let sum = part("eval_s") + part("vjp_s") + part("history_s") + part("rest_s");
    assert!((sum - total).abs() <= 1e-6 + 1e-3 * total, "{sum} vs {total}: {b}");
    // Without the flag the records carry no breakdown.
    let plain = bench(&["--alpha", "0.6", "--steps", "10", "--method", "discrete-adjoint"]);
    assert!(plain[0].get("breakdown").is_none(), "{}", plain[0]);
}
