//! Atomic training checkpoints and exact resume.
//!
//! A checkpoint directory holds one snapshot:
//!
//! | file | content |
//! |---|---|
//! | `model-EEEEEE.bpk` | the model's parameters (Burn burnpack, with the parameter ids Adam's state refers to) |
//! | `optim-EEEEEE.bpk` | Adam's moments and step counts |
//! | `history-EEEEEE.csv` | one row per completed epoch: `epoch,loss,<metrics>` |
//! | `state.json` | format, epoch, RNG state (seed, stream, word position), wall time, the run's configuration and its hash, and the size and FNV-1a checksum of each file above |
//!
//! `EEEEEE` is the epoch. Each file is written to a temporary sibling, fsynced and renamed
//! (burnpack files by Burn itself, the others by
//! [`atomic_write`]); `state.json` is written **last** and is
//! the commit record: until it is renamed into place, the previous `state.json` still names
//! the previous, complete set of files. Files of older snapshots are deleted afterwards.
//!
//! Loading checks, before anything is written: the format, the configuration (a run with a
//! different α, scheme, network size, data… is refused with the list of differences), the
//! checksums (a truncated or altered file is refused), and that Burn can read the files.

use std::path::{Path, PathBuf};

use burn::module::Module;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use burn::optim::AdamConfig;

use super::fit::{EpochRecord, Trainer};
use super::results::{atomic_write, csv_text, fnv1a64, history_header, history_rows};

/// The `format` field of `state.json`.
pub const FORMAT: &str = "caputo-checkpoint/1";
/// The commit record of a checkpoint directory.
pub const STATE_FILE: &str = "state.json";

/// Where and how often to checkpoint.
#[derive(Debug, Clone)]
pub struct CheckpointPolicy {
    /// The checkpoint directory (created when needed).
    pub dir: PathBuf,
    /// Checkpoint after every `every` epochs (and after the last one); 0 disables.
    pub every: usize,
}

/// Why a checkpoint could not be written or used.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The directory holds no checkpoint.
    #[error("{}: no checkpoint here (expected {STATE_FILE}; write one with --checkpoint-every K)", dir.display())]
    Missing {
        /// The directory that was given.
        dir: PathBuf,
    },
    /// A checkpoint file is unreadable, truncated, altered or not a checkpoint.
    #[error("corrupt checkpoint {}: {reason}", path.display())]
    Corrupt {
        /// The offending file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The checkpoint belongs to a run with a different configuration.
    #[error("incompatible checkpoint {}: it was written by a run with a different configuration ({}); rerun with the same settings or start afresh without --resume", dir.display(), differences.join("; "))]
    Incompatible {
        /// The checkpoint directory.
        dir: PathBuf,
        /// `key: checkpoint value ≠ this run's value`, one per difference.
        differences: Vec<String>,
    },
    /// Writing a checkpoint failed.
    #[error("writing checkpoint {}: {reason}", path.display())]
    Write {
        /// The file being written.
        path: PathBuf,
        /// The underlying error.
        reason: String,
    },
}

impl CheckpointError {
    /// `true` for problems with what the user gave (missing, corrupt or incompatible
    /// checkpoint), `false` for write failures.
    pub fn is_input_error(&self) -> bool {
        !matches!(self, CheckpointError::Write { .. })
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct FileEntry {
    name: String,
    bytes: u64,
    fnv1a64: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct State {
    format: String,
    /// Epochs completed.
    epoch: usize,
    /// ChaCha8 seed (32 bytes, hex), stream and word position: the RNG's exact state.
    rng_seed: String,
    rng_stream: u64,
    rng_word_pos: String,
    wall_s: f64,
    metric_names: Vec<String>,
    config_hash: String,
    /// The configuration as compact JSON text: compared as text, because `serde_json` (without
    /// its `float_roundtrip` feature) may parse a float back 1 ulp off.
    config_text: String,
    /// The same, readable.
    config: serde_json::Value,
    model: FileEntry,
    optim: FileEntry,
    history: FileEntry,
}

/// A stable fingerprint of a run configuration (FNV-1a of its compact JSON text; `serde_json`
/// keeps object keys sorted and prints floats in their shortest round-trip form, so equal
/// configurations hash equally).
pub fn config_hash(config: &serde_json::Value) -> String {
    format!("{:016x}", fnv1a64(config.to_string().as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

fn entry(dir: &Path, name: String) -> Result<FileEntry, CheckpointError> {
    let path = dir.join(&name);
    let bytes =
        std::fs::read(&path).map_err(|e| CheckpointError::Write { path: path.clone(), reason: e.to_string() })?;
    Ok(FileEntry { name, bytes: bytes.len() as u64, fnv1a64: format!("{:016x}", fnv1a64(&bytes)) })
}

/// Writes a checkpoint of `trainer` to `dir` (see the module docs for the layout and the
/// atomicity argument). `wall_s` is the run's total wall time so far.
pub fn save<M: Module>(
    dir: &Path,
    trainer: &Trainer<M>,
    metric_names: &[String],
    wall_s: f64,
) -> Result<(), CheckpointError> {
    let werr = |path: &Path, e: &dyn std::fmt::Display| CheckpointError::Write {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(|e| werr(dir, &e))?;
    let epoch = trainer.epoch;
    let model_name = format!("model-{epoch:06}.bpk");
    let optim_name = format!("optim-{epoch:06}.bpk");
    let history_name = format!("history-{epoch:06}.csv");
    // Burn's burnpack writer appends `.bpk` to a path without that extension; give it the full
    // name so the file is exactly `model_name`.
    let mp = dir.join(&model_name);
    trainer.model.clone().save_file(&mp).map_err(|e| werr(&mp, &e))?;
    let op = dir.join(&optim_name);
    trainer.optim.save(&op).map_err(|e| werr(&op, &e))?;
    let hp = dir.join(&history_name);
    atomic_write(&hp, history_csv(&trainer.history, metric_names).as_bytes()).map_err(|e| werr(&hp, &e))?;
    let state = State {
        format: FORMAT.into(),
        epoch,
        rng_seed: hex(&trainer.rng.get_seed()),
        rng_stream: trainer.rng.get_stream(),
        rng_word_pos: trainer.rng.get_word_pos().to_string(),
        wall_s,
        metric_names: metric_names.to_vec(),
        config_hash: config_hash(&trainer.run_config),
        config_text: trainer.run_config.to_string(),
        config: trainer.run_config.clone(),
        model: entry(dir, model_name.clone())?,
        optim: entry(dir, optim_name.clone())?,
        history: entry(dir, history_name.clone())?,
    };
    let sp = dir.join(STATE_FILE);
    let mut text = serde_json::to_string_pretty(&state).map_err(|e| werr(&sp, &e))?;
    text.push('\n');
    atomic_write(&sp, text.as_bytes()).map_err(|e| werr(&sp, &e))?;
    // The new snapshot is committed; drop older ones (best effort).
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let old = ["model-", "optim-", "history-"].iter().any(|p| name.starts_with(p))
                && name != model_name
                && name != optim_name
                && name != history_name;
            if old {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    Ok(())
}

fn history_csv(history: &[EpochRecord], names: &[String]) -> String {
    csv_text(&history_header(names), &history_rows(history))
}

fn parse_history(
    path: &Path,
    text: &str,
    n_metrics: usize,
    epochs: usize,
) -> Result<Vec<EpochRecord>, CheckpointError> {
    let corrupt = |line: usize, why: String| CheckpointError::Corrupt {
        path: path.to_path_buf(),
        reason: format!("line {line}: {why}"),
    };
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let v: Vec<f64> = line
            .split(',')
            .map(|f| f.parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|e| corrupt(i + 1, e.to_string()))?;
        if v.len() != 2 + n_metrics {
            return Err(corrupt(i + 1, format!("{} fields, expected {}", v.len(), 2 + n_metrics)));
        }
        out.push(EpochRecord { epoch: v[0] as usize, loss: v[1], metrics: v[2..].to_vec() });
    }
    if out.len() != epochs || out.iter().enumerate().any(|(i, r)| r.epoch != i + 1) {
        return Err(CheckpointError::Corrupt {
            path: path.to_path_buf(),
            reason: format!("expected epochs 1..={epochs}"),
        });
    }
    Ok(out)
}

/// Lists the top-level keys whose values differ between two configurations.
fn differences(old: &serde_json::Value, new: &serde_json::Value) -> Vec<String> {
    match (old.as_object(), new.as_object()) {
        (Some(a), Some(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter()
                .filter(|k| a.get(*k) != b.get(*k))
                .map(|k| {
                    let show = |v: Option<&serde_json::Value>| v.map_or("(absent)".to_string(), |v| v.to_string());
                    format!("{k}: checkpoint {} vs this run {}", show(a.get(k)), show(b.get(k)))
                })
                .collect()
        }
        _ => vec![format!("checkpoint {old} vs this run {new}")],
    }
}

/// Resolves the checkpoint directory for `--resume DIR`: `DIR` itself when it holds
/// `state.json`, else `DIR/checkpoint` when that does (so the run's output directory works
/// too).
pub fn resolve_dir(dir: &Path) -> Result<PathBuf, CheckpointError> {
    if dir.join(STATE_FILE).is_file() {
        Ok(dir.to_path_buf())
    } else if dir.join("checkpoint").join(STATE_FILE).is_file() {
        Ok(dir.join("checkpoint"))
    } else {
        Err(CheckpointError::Missing { dir: dir.to_path_buf() })
    }
}

/// Loads the checkpoint in `dir` (or `dir/checkpoint`, see [`resolve_dir`]) into `template`,
/// checking that it was written with the configuration `run_config`. Reads only.
pub fn load<M: Module>(
    dir: &Path,
    template: M,
    adam: &AdamConfig,
    run_config: serde_json::Value,
) -> Result<Trainer<M>, CheckpointError> {
    let dir = resolve_dir(dir)?;
    let sp = dir.join(STATE_FILE);
    let corrupt = |path: &Path, reason: String| CheckpointError::Corrupt { path: path.to_path_buf(), reason };
    let text = std::fs::read_to_string(&sp).map_err(|e| corrupt(&sp, e.to_string()))?;
    let state: State =
        serde_json::from_str(&text).map_err(|e| corrupt(&sp, format!("not a checkpoint state file: {e}")))?;
    if state.format != FORMAT {
        return Err(corrupt(&sp, format!("unknown format {:?} (expected {FORMAT:?})", state.format)));
    }
    let run_config_text = run_config.to_string();
    if format!("{:016x}", fnv1a64(state.config_text.as_bytes())) != state.config_hash {
        return Err(corrupt(&sp, "the stored configuration does not match its hash (edited by hand?)".into()));
    }
    if state.config_text != run_config_text {
        let stored: serde_json::Value = serde_json::from_str(&state.config_text).unwrap_or(state.config);
        let mut d = differences(&stored, &run_config);
        if d.is_empty() {
            d.push("configurations differ".into());
        }
        return Err(CheckpointError::Incompatible { dir: dir.clone(), differences: d });
    }
    let mut contents = Vec::new();
    for f in [&state.model, &state.optim, &state.history] {
        let path = dir.join(&f.name);
        if f.name.contains('/') || f.name.contains('\\') {
            return Err(corrupt(&sp, format!("bad file name {:?}", f.name)));
        }
        let bytes = std::fs::read(&path).map_err(|e| corrupt(&path, e.to_string()))?;
        if bytes.len() as u64 != f.bytes || format!("{:016x}", fnv1a64(&bytes)) != f.fnv1a64 {
            return Err(corrupt(
                &path,
                format!("size or checksum differs from {STATE_FILE} ({} bytes, expected {})", bytes.len(), f.bytes),
            ));
        }
        contents.push((path, bytes));
    }
    let (mp, op, hp) = (&contents[0].0, &contents[1].0, &contents[2].0);
    let model = template.try_load_file(mp).map_err(|e| corrupt(mp, format!("cannot load the model: {e}")))?;
    let optim = adam.init().load(op).map_err(|e| corrupt(op, format!("cannot load the optimizer: {e}")))?;
    let htext = std::str::from_utf8(&contents[2].1).map_err(|e| corrupt(hp, e.to_string()))?;
    let history = parse_history(hp, htext, state.metric_names.len(), state.epoch)?;
    let seed: [u8; 32] = unhex(&state.rng_seed)
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| corrupt(&sp, "rng_seed is not 32 hex bytes".into()))?;
    let word_pos: u128 =
        state.rng_word_pos.parse().map_err(|_| corrupt(&sp, "rng_word_pos is not an integer".into()))?;
    let mut rng = ChaCha8Rng::from_seed(seed);
    rng.set_stream(state.rng_stream);
    rng.set_word_pos(word_pos);
    Ok(Trainer { model, optim, rng, epoch: state.epoch, history, previous_wall_s: state.wall_s, run_config })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngCore;

    #[test]
    fn rng_state_round_trips_through_hex_and_word_position() {
        let mut a = ChaCha8Rng::seed_from_u64(42);
        for _ in 0..37 {
            a.next_u32();
        }
        let seed: [u8; 32] = unhex(&hex(&a.get_seed())).unwrap().try_into().unwrap();
        let mut b = ChaCha8Rng::from_seed(seed);
        b.set_stream(a.get_stream());
        b.set_word_pos(a.get_word_pos().to_string().parse().unwrap());
        for _ in 0..10 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
    }

    #[test]
    fn differences_name_the_changed_keys() {
        let a = serde_json::json!({"alpha": 0.8, "scheme": "abm", "hidden": 0});
        let b = serde_json::json!({"alpha": 0.7, "scheme": "abm", "hidden": 0});
        let d = differences(&a, &b);
        assert_eq!(d, vec!["alpha: checkpoint 0.8 vs this run 0.7".to_string()]);
    }
}
