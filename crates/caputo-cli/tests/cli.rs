//! The `caputo` binary: JSON output of solve/grad/bench, and every error class as one line
//! with exit code 2.

use std::process::Command;

fn caputo(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_caputo")).args(args).output().expect("run caputo");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn json(args: &[&str]) -> serde_json::Value {
    let (code, out, err) = caputo(args);
    assert_eq!(code, 0, "caputo {args:?} failed: {err}");
    serde_json::from_str(out.lines().last().expect("a JSON line")).expect("valid JSON")
}

/// The last row of a JSON array of number arrays.
fn last_row(rows: &serde_json::Value) -> Vec<f64> {
    let last = rows.as_array().unwrap().last().unwrap();
    last.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

#[test]
fn solve_linear_matches_the_exact_solution() {
    let v = json(&["solve", "--problem", "linear", "--t1", "5", "--steps", "1000", "--scheme", "rk4", "--json"]);
    let (y, ex) = (last_row(&v["y"]), last_row(&v["exact"]));
    assert!((y[0] - ex[0]).abs() < 1e-6 && (y[1] - ex[1]).abs() < 1e-6, "{y:?} vs {ex:?}");
    assert_eq!(v["t"].as_array().unwrap().len(), 1001);
    assert_eq!(v["stats"]["steps"], 1000);
}

#[test]
fn solve_fractional_relaxation_and_the_example_of_the_issue() {
    let v = json(&[
        "solve",
        "--problem",
        "relaxation",
        "--lambda",
        "1",
        "--y0",
        "1",
        "--alpha",
        "0.5",
        "--scheme",
        "abm",
        "--t1",
        "1",
        "--steps",
        "256",
        "--json",
    ]);
    let y = v["y"].as_array().unwrap().last().unwrap()[0].as_f64().unwrap();
    assert!((y - 0.427_583_576_155_807).abs() < 1e-4, "{y}");
    let v = json(&[
        "solve",
        "--problem",
        "lotka-volterra",
        "--params",
        "1,1,0.5,0.3",
        "--y0",
        "2,1",
        "--t1",
        "10",
        "--steps",
        "1000",
        "--scheme",
        "rk4",
        "--json",
    ]);
    assert_eq!(v["y"].as_array().unwrap().len(), 1001);
    // Short memory with a derivative-type kernel (L1): the dropped tail is small.
    for extra in [
        &["--memory", "100", "--scheme", "l1-implicit"][..],
        &["--history", "fast", "--tol", "1e-10", "--scheme", "predictor"][..],
        &["--corrector-iters", "3"][..],
    ] {
        let mut args = vec!["solve", "--problem", "dff", "--alpha", "0.6", "--t1", "1", "--steps", "128", "--json"];
        args.extend_from_slice(extra);
        let v = json(&args);
        let y = v["y"].as_array().unwrap().last().unwrap()[0].as_f64().unwrap();
        assert!((y - 0.25).abs() < 0.05, "{extra:?}: {y}");
    }
}

#[test]
fn grad_methods_agree_and_print_the_documented_keys() {
    let direct = json(&["grad", "--problem", "lotka-volterra", "--steps", "200", "--method", "direct", "--json"]);
    let sympl =
        json(&["grad", "--problem", "lotka-volterra", "--steps", "200", "--method", "symplectic-adjoint", "--json"]);
    for key in ["loss", "grad_params", "grad_y0", "stats"] {
        assert!(direct.get(key).is_some(), "missing {key}");
    }
    let a: Vec<f64> = direct["grad_params"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
    let b: Vec<f64> = sympl["grad_params"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
    assert_eq!(a.len(), 4);
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() <= 1e-10 * x.abs().max(1.0), "{a:?} vs {b:?}");
    }
    let frac = json(&[
        "grad",
        "--problem",
        "lotka-volterra",
        "--alpha",
        "0.6",
        "--scheme",
        "predictor",
        "--steps",
        "100",
        "--method",
        "discrete-adjoint",
        "--json",
    ]);
    assert!(frac["grad_alpha"].as_f64().is_some());
}

#[test]
fn bench_prints_one_json_line_per_configuration() {
    let (code, out, err) = caputo(&[
        "bench",
        "--workload",
        "lv-mlp",
        "--steps",
        "20,40",
        "--method",
        "direct,symplectic-adjoint",
        "--sweep",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 4);
    for l in &lines {
        for key in
            ["workload", "alpha", "scheme", "method", "steps", "dtype", "fwd_s", "fwd_bwd_s", "peak_bytes", "loss"]
        {
            assert!(l.get(key).is_some(), "missing {key} in {l}");
        }
        assert!(l["peak_bytes"].as_u64().unwrap() > 0);
    }
    // Same network for every configuration: the losses agree across methods.
    assert!((lines[0]["loss"].as_f64().unwrap() - lines[1]["loss"].as_f64().unwrap()).abs() < 1e-4);
}

#[test]
fn bad_input_gives_one_line_and_exit_code_2() {
    let cases: &[(&[&str], &str)] = &[
        (&["solve", "--scheme", "rk5"], "rk5"),
        (&["solve", "--times", "3,2"], "strictly increasing"),
        (&["solve", "--steps", "0"], "n_steps = 0"),
        (&["solve", "--problem", "linear", "--rtol", "-1"], "rtol = -1"),
        (&["solve", "--params", "1,2"], "need 4 values"),
        (&["solve", "--params", "1,x,2,3"], "'x' is not a number"),
        (&["solve", "--y0", "nan,1"], "NaN"),
        (&["grad", "--method", "foo"], "foo"),
        (&["solve", "--problem", "linear", "--rtol", "1e-6", "--scheme", "rk4"], "embedded"),
        (&["solve", "--alpha", "1.5"], "1.5"),
        (&["solve", "--alpha", "0.5", "--steps", "10", "--times", "0.33,1"], "not on the uniform grid"),
        (&["solve", "--problem", "nope"], "nope"),
        (&["grad", "--alpha", "0.5", "--method", "symplectic-adjoint", "--steps", "10"], "symplectic-adjoint"),
    ];
    for (args, needle) in cases {
        let (code, _, err) = caputo(args);
        assert_eq!(code, 2, "caputo {args:?}: exit {code}, stderr {err}");
        assert_eq!(err.trim().lines().count(), 1, "caputo {args:?}: one line, got {err}");
        assert!(err.contains(needle), "caputo {args:?}: '{needle}' not in {err}");
    }
}
