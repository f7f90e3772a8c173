//! A progress bar for fits: epochs done, loss and the latest metrics.

use std::io::IsTerminal;
use std::path::Path;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::fit::{EpochRecord, Observer};

/// Draws an indicatif bar on stderr: `epoch/total`, the loss and the objective's metrics
/// (`name=value`). Hidden when `quiet` is set or stderr is not a terminal (logs and pipes
/// stay clean).
pub struct ProgressObserver {
    bar: ProgressBar,
    names: Vec<String>,
    prefix: String,
    visible: bool,
}

impl ProgressObserver {
    /// A bar that is drawn only when `quiet` is false and stderr is a terminal; `prefix` names
    /// the run (e.g. the gradient method in a comparison).
    pub fn new(prefix: impl Into<String>, quiet: bool) -> Self {
        let visible = !quiet && std::io::stderr().is_terminal();
        let bar = ProgressBar::hidden();
        Self { bar, names: Vec::new(), prefix: prefix.into(), visible }
    }

    /// Whether the bar is drawn.
    pub fn is_visible(&self) -> bool {
        self.visible
    }

    /// The message shown after the bar for one record.
    pub fn message(names: &[String], r: &EpochRecord) -> String {
        let mut s = format!("loss {:.3e}", r.loss);
        for (n, v) in names.iter().zip(&r.metrics) {
            s.push_str(&format!(" {n}={v:.4}"));
        }
        s
    }
}

impl Observer for ProgressObserver {
    fn on_start(&mut self, done: usize, total: usize, metric_names: &[String]) {
        self.names = metric_names.to_vec();
        if !self.visible {
            return;
        }
        self.bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{prefix} [{elapsed_precise}] {bar:30.cyan/blue} {pos}/{len} (eta {eta}) {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        self.bar.set_style(style);
        self.bar.set_prefix(self.prefix.clone());
        self.bar.set_position(done as u64);
    }

    fn on_epoch(&mut self, record: &EpochRecord) {
        if self.visible {
            self.bar.set_position(record.epoch as u64);
            self.bar.set_message(Self::message(&self.names, record));
        }
    }

    fn on_checkpoint(&mut self, epoch: usize, dir: &Path) {
        if self.visible {
            self.bar.println(format!("checkpoint: epoch {epoch} -> {}", dir.display()));
        }
    }

    fn on_finish(&mut self) {
        if self.visible {
            self.bar.finish();
        }
    }
}
