//! Observation CSV files: a good file is read (and fitted); each kind of bad file gives one
//! error naming the file, the line and the column.

use std::path::{Path, PathBuf};

use caputo_cli::apps::lotka_volterra::{LvArgs, TRUE_PARAMS, Y0, generate, parse_observations, read_observations, run};
use caputo_cli::data::DataError;
use clap::Parser;

fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("caputo_lv_csv_{tag}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// (case, file content, expected line, expected column, a phrase of the message)
const BAD: &[(&str, &str, usize, usize, &str)] = &[
    ("missing column", "t,x\n0,1\n1,2\n", 1, 3, "missing column `y`"),
    ("missing value", "t,x,y\n0,2,1\n0.25,1.9\n", 3, 3, "missing value for column `y`"),
    ("extra value", "t,x,y\n0,2,1\n0.25,1.9,1,7\n", 3, 4, "extra field"),
    ("non-numeric", "t,x,y\n0,2,1\n0.25,abc,1\n", 3, 2, "`abc` is not a number"),
    ("NaN", "t,x,y\n0,2,1\n0.25,1.9,NaN\n", 3, 3, "not a finite number"),
    ("infinite", "t,x,y\n0,2,1\n0.25,inf,1\n", 3, 2, "not a finite number"),
    (
        "non-increasing t",
        "t,x,y\n0,2,1\n0.5,1.9,1\n0.5,1.8,1\n",
        4,
        1,
        "not greater than the previous time 0.5 (line 3)",
    ),
    ("decreasing t, other column order", "x,y,t\n2,1,0\n1.9,1,0.5\n1.8,1,0.25\n", 4, 3, "strictly increasing"),
    ("no header", "0,2,1\n0.25,1.9,1\n", 1, 1, "expected a header line"),
    ("one row", "t,x,y\n0,2,1\n", 1, 1, "need at least two rows"),
    ("duplicate column", "t,x,y,x\n0,2,1,3\n1,2,1,3\n", 1, 4, "duplicate column"),
];

#[test]
fn each_bad_csv_names_file_line_and_column() {
    let path = Path::new("obs.csv");
    for (case, text, line, column, phrase) in BAD {
        let err = parse_observations(path, text).unwrap_err();
        match &err {
            DataError::Parse { line: l, column: c, .. } => assert_eq!((*l, *c), (*line, *column), "{case}: {err}"),
            other => panic!("{case}: expected a parse error, got {other}"),
        }
        let msg = err.to_string();
        assert!(msg.starts_with(&format!("obs.csv:{line}:{column}: ")), "{case}: {msg}");
        assert!(msg.contains(phrase), "{case}: {msg}");
    }
}

#[test]
fn empty_and_header_only_files_are_empty_data() {
    for text in ["", "\n\n", "# only a comment\n", "t,x,y\n", "t,x,y\n\n"] {
        let err = parse_observations(Path::new("e.csv"), text).unwrap_err();
        assert!(matches!(err, DataError::Empty { .. }), "{text:?}: {err}");
        assert!(err.to_string().contains("e.csv"), "{err}");
    }
    let err = read_observations(Path::new("/nonexistent/obs.csv")).unwrap_err();
    assert!(matches!(err, DataError::Io { .. }) && err.to_string().contains("/nonexistent/obs.csv"), "{err}");
}

#[test]
fn tolerant_syntax_is_accepted() {
    let text = "\u{feff}# comment\r\n T , X , Y , note\r\n0, 2, 1, a\r\n\r\n0.25,1.9,1.05,b\r\n";
    let obs = parse_observations(Path::new("ok.csv"), text).unwrap();
    assert_eq!(obs.t, vec![0.0, 0.25]);
    assert_eq!(obs.y, vec![[2.0, 1.0], [1.9, 1.05]]);
}

#[test]
fn generated_data_written_as_csv_reads_back_and_fits() {
    let d = tmp("roundtrip");
    let obs = generate(TRUE_PARAMS, 0.8, Y0, 10.0, 40, 41, 0.0, 0).unwrap();
    let mut text = String::from("t,x,y\n");
    for (t, y) in obs.t.iter().zip(&obs.y) {
        text += &format!("{t},{},{}\n", y[0], y[1]);
    }
    let csv = d.join("obs.csv");
    std::fs::write(&csv, text).unwrap();
    assert_eq!(read_observations(&csv).unwrap(), obs);
    let out = d.join("out");
    let args = LvArgs::parse_from([
        "lotka-volterra",
        "--quiet",
        "--steps",
        "40",
        "--epochs",
        "20",
        "--data",
        csv.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let r = run(&args).unwrap();
    assert_eq!(r.true_params, None, "with --data the truth is unknown unless --true-params is given");
    assert!(r.final_loss < r.initial_loss.unwrap());
    // Times off the training grid are refused up front.
    let args = LvArgs::parse_from([
        "lotka-volterra",
        "--quiet",
        "--steps",
        "30",
        "--data",
        csv.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = run(&args).unwrap_err();
    assert!(caputo_cli::train::is_input_error(&err) && format!("{err}").contains("not on the uniform grid"), "{err:#}");
    std::fs::remove_dir_all(&d).unwrap();
}
