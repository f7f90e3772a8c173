//! Checkpoints: a run stopped halfway and resumed ends with exactly the numbers of an
//! uninterrupted run; incompatible and corrupt checkpoints are refused with a clear error
//! and without touching any file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use caputo_cli::apps::lotka_volterra::{LvArgs, run};
use caputo_cli::train::checkpoint::CheckpointError;
use clap::Parser;

fn dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("caputo_lv_resume_{tag}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn args(extra: &[&str], out: &Path) -> LvArgs {
    let mut v = vec!["lotka-volterra", "--quiet", "--steps", "40", "--out", out.to_str().unwrap()];
    v.extend_from_slice(extra);
    LvArgs::parse_from(v)
}

fn snapshot(d: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut m = BTreeMap::new();
    let mut stack = vec![d.to_path_buf()];
    while let Some(p) = stack.pop() {
        for e in std::fs::read_dir(&p).unwrap() {
            let e = e.unwrap().path();
            if e.is_dir() {
                stack.push(e)
            } else {
                m.insert(e.clone(), std::fs::read(&e).unwrap());
            }
        }
    }
    m
}

fn check_resume_equivalence(tag: &str, extra: &[&str]) {
    let (whole, split) = (dir(&format!("{tag}_whole")), dir(&format!("{tag}_split")));
    let n = 30;
    let full: Vec<&str> = [extra, &["--epochs", "30"]].concat();
    let a = run(&args(&full, &whole)).unwrap();
    let first: Vec<&str> = [extra, &["--epochs", "15", "--checkpoint-every", "5"]].concat();
    run(&args(&first, &split)).unwrap();
    assert!(split.join("checkpoint/state.json").is_file());
    let split_s = split.to_str().unwrap().to_string();
    let second: Vec<&str> = [extra, &["--epochs", "30", "--checkpoint-every", "5", "--resume", &split_s]].concat();
    let b = run(&args(&second, &split)).unwrap();
    assert_eq!(b.resumed_from_epoch, 15);
    for i in 0..4 {
        assert_eq!(
            a.recovered_params[i].to_bits(),
            b.recovered_params[i].to_bits(),
            "{tag}: parameter {i}: {} vs {}",
            a.recovered_params[i],
            b.recovered_params[i]
        );
    }
    assert_eq!(a.alpha_final.to_bits(), b.alpha_final.to_bits());
    assert_eq!(a.final_loss.to_bits(), b.final_loss.to_bits());
    let (ha, hb) = (
        std::fs::read_to_string(whole.join("history.csv")).unwrap(),
        std::fs::read_to_string(split.join("history.csv")).unwrap(),
    );
    assert_eq!(ha, hb, "{tag}: histories differ");
    assert_eq!(ha.lines().count(), 1 + n + 1);
    std::fs::remove_dir_all(&whole).unwrap();
    std::fs::remove_dir_all(&split).unwrap();
}

#[test]
fn resumed_run_matches_uninterrupted_run_bitwise() {
    check_resume_equivalence("lv", &[]);
}

#[test]
fn resumed_run_with_neural_correction_and_learned_alpha_matches_bitwise() {
    check_resume_equivalence("mlp", &["--hidden", "4", "--learn-alpha", "--lr", "0.01"]);
}

#[test]
fn incompatible_and_corrupt_checkpoints_are_refused_without_side_effects() {
    let d = dir("bad");
    run(&args(&["--epochs", "4", "--checkpoint-every", "2"], &d)).unwrap();
    let before = snapshot(&d);
    let ds = d.to_str().unwrap();
    // Different α, scheme, hidden size: refused, naming the difference, nothing written.
    for (flags, key) in
        [(vec!["--alpha", "0.7"], "alpha"), (vec!["--scheme", "l1"], "scheme"), (vec!["--hidden", "3"], "hidden")]
    {
        let mut f = flags.clone();
        f.extend(["--epochs", "8", "--checkpoint-every", "2", "--resume", ds]);
        let err = run(&args(&f, &d)).unwrap_err();
        let ce = err.downcast_ref::<CheckpointError>().unwrap_or_else(|| panic!("{err:#}"));
        assert!(matches!(ce, CheckpointError::Incompatible { .. }), "{ce}");
        let msg = format!("{err:#}");
        assert!(msg.contains("incompatible checkpoint") && msg.contains(key), "{msg}");
        assert!(caputo_cli::train::is_input_error(&err));
        assert_eq!(snapshot(&d), before, "files changed after a refused resume ({key})");
    }
    // Corrupt: a flipped byte in the model file, a truncated optimizer file, a garbage state.
    let ck = d.join("checkpoint");
    let find = |prefix: &str| {
        std::fs::read_dir(&ck)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.file_name().unwrap().to_str().unwrap().starts_with(prefix))
            .unwrap()
    };
    type Corruption = Box<dyn Fn(&mut Vec<u8>)>;
    let corruptions: Vec<(PathBuf, Corruption)> = vec![
        (
            find("model-"),
            Box::new(|b: &mut Vec<u8>| {
                let k = b.len() - 3;
                b[k] ^= 0x40;
            }),
        ),
        (find("optim-"), Box::new(|b: &mut Vec<u8>| b.truncate(b.len() / 2))),
        (find("history-"), Box::new(|b: &mut Vec<u8>| b.extend_from_slice(b"9,x\n"))),
        (ck.join("state.json"), Box::new(|b: &mut Vec<u8>| b.truncate(b.len() / 3))),
    ];
    for (path, corrupt) in corruptions {
        let good = std::fs::read(&path).unwrap();
        let mut bad = good.clone();
        corrupt(&mut bad);
        std::fs::write(&path, &bad).unwrap();
        let snap = snapshot(&d);
        let err = run(&args(&["--epochs", "8", "--resume", ds], &d)).unwrap_err();
        let ce = err.downcast_ref::<CheckpointError>().unwrap_or_else(|| panic!("{err:#}"));
        assert!(matches!(ce, CheckpointError::Corrupt { .. }), "{}: {ce}", path.display());
        assert!(format!("{err:#}").contains("corrupt checkpoint"), "{err:#}");
        assert_eq!(snapshot(&d), snap, "files changed after a refused resume ({})", path.display());
        std::fs::write(&path, &good).unwrap();
    }
    // Missing checkpoint.
    let empty = dir("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let err = run(&args(&["--resume", empty.to_str().unwrap()], &d)).unwrap_err();
    assert!(matches!(err.downcast_ref::<CheckpointError>(), Some(CheckpointError::Missing { .. })), "{err:#}");
    // After all that, the intact checkpoint still resumes.
    let r = run(&args(&["--epochs", "6", "--resume", ds], &d)).unwrap();
    assert_eq!(r.resumed_from_epoch, 4);
    std::fs::remove_dir_all(&d).unwrap();
    std::fs::remove_dir_all(&empty).unwrap();
}
