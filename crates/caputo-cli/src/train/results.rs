//! Writing a run's outputs: atomic file writes, JSON and CSV, the output-directory check.
//!
//! Every file is written to a temporary sibling, flushed to disk and renamed into place, so a
//! reader (or a crash) sees either the old file or the new one, never half of one.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Serialize;

use super::InputError;
use super::fit::EpochRecord;

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, `fsync`,
/// `rename` over `path`, then `fsync` of the directory (best effort: not every platform lets
/// a directory be synced).
pub fn atomic_write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = tmp_sibling(path);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result?;
    sync_parent(path);
    Ok(())
}

/// A temporary name beside `path` that keeps its extension (the PNG encoder picks the format
/// from it): `dir/.name.tmp-<pid>-<n>.ext`.
pub fn tmp_sibling(path: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let name = match path.extension() {
        Some(ext) => format!(".{stem}.tmp-{}-{n}.{}", std::process::id(), ext.to_string_lossy()),
        None => format!(".{stem}.tmp-{}-{n}", std::process::id()),
    };
    path.with_file_name(name)
}

/// Syncs the directory holding `path` so a rename into it is durable (ignored where
/// unsupported).
pub fn sync_parent(path: &Path) {
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

/// Writes `value` as pretty-printed JSON (with a final newline), atomically.
pub fn write_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> anyhow::Result<()> {
    let mut s = serde_json::to_string_pretty(value).context("serialising JSON")?;
    s.push('\n');
    atomic_write(path, s.as_bytes()).with_context(|| format!("writing {}", path.display()))
}

/// Formats rows of numbers as CSV text under `header`. Numbers use Rust's shortest
/// round-trip formatting, so parsing a value back gives the same `f64` bit for bit.
pub fn csv_text(header: &[String], rows: &[Vec<f64>]) -> String {
    let mut s = header.join(",");
    s.push('\n');
    for r in rows {
        let fields: Vec<String> = r.iter().map(|v| format!("{v}")).collect();
        s.push_str(&fields.join(","));
        s.push('\n');
    }
    s
}

/// Writes rows of numbers as a CSV file (see [`csv_text`]), atomically.
pub fn write_csv(path: &Path, header: &[String], rows: &[Vec<f64>]) -> anyhow::Result<()> {
    atomic_write(path, csv_text(header, rows).as_bytes()).with_context(|| format!("writing {}", path.display()))
}

/// The header of a history CSV: `epoch,loss,<metric names>`.
pub fn history_header(metric_names: &[String]) -> Vec<String> {
    let mut h = vec!["epoch".to_string(), "loss".to_string()];
    h.extend(metric_names.iter().cloned());
    h
}

/// One row per record: `epoch, loss, metrics…`.
pub fn history_rows(history: &[EpochRecord]) -> Vec<Vec<f64>> {
    history
        .iter()
        .map(|r| {
            let mut v = vec![r.epoch as f64, r.loss];
            v.extend(&r.metrics);
            v
        })
        .collect()
}

/// Writes a training history as CSV (`epoch,loss,<metrics>`, one row per epoch), atomically.
pub fn write_history(path: &Path, metric_names: &[String], history: &[EpochRecord]) -> anyhow::Result<()> {
    write_csv(path, &history_header(metric_names), &history_rows(history))
}

/// The `(epoch, loss)` points of a history, for a loss plot.
pub fn loss_curve(history: &[EpochRecord]) -> Vec<(f64, f64)> {
    history.iter().map(|r| (r.epoch as f64, r.loss)).collect()
}

/// Creates the output directory if needed and checks that files can be written there, before
/// any work is done (so a long run does not fail at its end). A failure is an
/// [`InputError`] naming the directory.
pub fn ensure_output_dir(dir: &Path) -> anyhow::Result<()> {
    let fail = |e: std::io::Error| InputError(format!("output directory {}: cannot write there: {e}", dir.display()));
    if dir.exists() && !dir.is_dir() {
        return Err(InputError(format!("output directory {}: exists and is not a directory", dir.display())).into());
    }
    std::fs::create_dir_all(dir).map_err(fail)?;
    let probe = dir.join(format!(".caputo-write-probe-{}", std::process::id()));
    std::fs::write(&probe, b"probe").map_err(fail)?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// 64-bit FNV-1a hash (stable across platforms and releases; used for checkpoint checksums
/// and configuration fingerprints, not for security).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Relative error `|got − want| / |want|` (absolute error when `want` is 0).
pub fn relative_error(got: f64, want: f64) -> f64 {
    if want == 0.0 { got.abs() } else { (got - want).abs() / want.abs() }
}

/// Peak extra heap bytes since `baseline`, as measured by the counting allocator of the
/// `caputo` binary ([`crate::alloc`]); `None` when that allocator is not installed (for
/// example when the training code runs inside a test binary).
pub fn peak_bytes_since(baseline: usize) -> Option<usize> {
    if crate::alloc::current_bytes() == 0 { None } else { Some(crate::alloc::peak_bytes().saturating_sub(baseline)) }
}

/// Bytes as a short human-readable string (`12.3 MiB`).
pub fn human_bytes(b: usize) -> String {
    let units = ["B", "KiB", "MiB", "GiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v *= 1.0 / 1024.0;
        u += 1;
    }
    if u == 0 { format!("{b} B") } else { format!("{v:.1} {}", units[u]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_numbers_round_trip_bitwise() {
        let v = [0.1 + 0.2, 1.0 / 3.0, 1e-300, -2.5e17, f64::MIN_POSITIVE];
        let text = csv_text(&["v".into()], &v.iter().map(|x| vec![*x]).collect::<Vec<_>>());
        let back: Vec<f64> = text.lines().skip(1).map(|l| l.parse().unwrap()).collect();
        for (a, b) in v.iter().zip(&back) {
            assert_eq!(a.to_bits(), b.to_bits());
        }
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary() {
        let dir = std::env::temp_dir().join(format!("caputo_results_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.json");
        atomic_write(&p, b"one").unwrap();
        atomic_write(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 1, "{names:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn fnv_matches_reference_values() {
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
    }
}
