//! The training objective (mini-batches of the training set, test evaluation after every
//! epoch), batch evaluation with a confusion matrix, and the per-batch progress bar.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Instant;

use burn::module::Module;
use burn::tensor::Device;
use caputo::stats::Stats;
use caputo::tensor::to_vec;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::data::{Augment, Dataset, augmented_batch, batch};
use super::model::ImageModel;
use super::step::{BlockConfig, cross_entropy, logits, predictions, train_step};
use crate::data::ImageSet;
use crate::train::fit::{EpochRecord, Objective, Observer, StepOutput};

/// Test-set metrics of a model.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    /// Images evaluated.
    pub n: usize,
    /// Mean cross-entropy.
    pub loss: f64,
    /// Fraction classified correctly.
    pub accuracy: f64,
    /// `confusion[true][predicted]` counts.
    pub confusion: Vec<Vec<usize>>,
}

impl Evaluation {
    /// Accuracy per true class (`NaN` for a class without images).
    pub fn per_class_accuracy(&self) -> Vec<f64> {
        self.confusion
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let n: usize = row.iter().sum();
                if n == 0 { f64::NAN } else { row[i] as f64 / n as f64 }
            })
            .collect()
    }
}

/// Classifies `set` in batches of `batch_size` without any graph (a [`Module::valid`] copy on
/// the plain device) and returns loss, accuracy and the confusion matrix.
///
/// # Errors
/// A solve failure.
pub fn evaluate(
    model: &ImageModel,
    set: &ImageSet,
    block: &BlockConfig,
    batch_size: usize,
    device: &Device,
) -> caputo::Result<Evaluation> {
    let mv = model.valid();
    let plain = device.clone().inner();
    let mut confusion = vec![vec![0usize; 10]; 10];
    let mut loss_sum = 0.0;
    let mut correct = 0;
    let idx: Vec<usize> = (0..set.n).collect();
    for chunk in idx.chunks(batch_size.max(1)) {
        let (x, labels) = batch(set, chunk, &plain);
        let z = logits(&mv, x, block)?;
        loss_sum += to_vec(cross_entropy(z.clone(), &labels))[0] * chunk.len() as f64;
        let (pred, c) = predictions(z, &labels);
        correct += c;
        for (p, l) in pred.iter().zip(&labels) {
            confusion[*l as usize][*p as usize] += 1;
        }
    }
    let n = set.n.max(1) as f64;
    Ok(Evaluation { n: set.n, loss: loss_sum / n, accuracy: correct as f64 / n, confusion })
}

/// Names of the metrics recorded per epoch (the columns of `history.csv` after `epoch,loss`).
pub fn metric_names() -> Vec<String> {
    ["train_accuracy", "test_loss", "test_accuracy", "epoch_time_s", "images_per_s"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// Mini-batch cross-entropy training of an [`ImageModel`] (see [`super::step::train_step`]).
pub struct ImageObjective<'a> {
    data: &'a Dataset,
    block: BlockConfig,
    batch_size: usize,
    device: Device,
    order: Vec<usize>,
    started: Option<Instant>,
    seen: usize,
    correct: usize,
    loss_sum: f64,
    bar: ProgressBar,
    augment: Option<Augment>,
    /// The block solve's counters of the latest step.
    pub last_stats: Option<Stats>,
    /// Peak extra heap bytes of the first training step of this fit (counting allocator of
    /// the binary; `None` when it is not installed).
    pub step_peak_bytes: Option<usize>,
    /// The latest test evaluation.
    pub last_eval: Option<Evaluation>,
}

impl<'a> ImageObjective<'a> {
    /// Trains on `data.train` in shuffled batches of `batch_size`, evaluates on `data.test`.
    /// `device` is the model's autodiff device; `bar` the per-batch progress bar (see
    /// [`progress_bar`]).
    pub fn new(data: &'a Dataset, block: BlockConfig, batch_size: usize, device: Device, bar: ProgressBar) -> Self {
        Self {
            data,
            block,
            batch_size: batch_size.max(1),
            device,
            order: Vec::new(),
            started: None,
            seen: 0,
            correct: 0,
            loss_sum: 0.0,
            bar,
            augment: None,
            last_stats: None,
            step_peak_bytes: None,
            last_eval: None,
        }
    }

    /// Distorts the training images with `aug` (drawn from the run's RNG).
    pub fn with_augment(mut self, aug: Option<Augment>) -> Self {
        self.augment = aug;
        self
    }

    fn steps_per_epoch(&self) -> usize {
        self.data.train.n.div_ceil(self.batch_size)
    }
}

impl Objective<ImageModel> for ImageObjective<'_> {
    fn metric_names(&self) -> Vec<String> {
        metric_names()
    }

    fn begin_epoch(&mut self, epoch: usize, rng: &mut ChaCha8Rng) -> anyhow::Result<usize> {
        self.order = (0..self.data.train.n).collect();
        crate::data::shuffle(&mut self.order, rng);
        self.seen = 0;
        self.correct = 0;
        self.loss_sum = 0.0;
        let n = self.steps_per_epoch();
        self.bar.reset();
        self.bar.set_length(n as u64);
        self.bar.set_prefix(format!("epoch {epoch}"));
        self.started = Some(Instant::now());
        Ok(n)
    }

    fn step(
        &mut self,
        model: &ImageModel,
        _epoch: usize,
        step: usize,
        rng: &mut ChaCha8Rng,
    ) -> anyhow::Result<StepOutput> {
        let lo = step * self.batch_size;
        let hi = (lo + self.batch_size).min(self.order.len());
        let plain = self.device.clone().inner();
        let (x, labels) = match &self.augment {
            Some(a) => augmented_batch(&self.data.train, &self.order[lo..hi], a, rng, &plain),
            None => batch(&self.data.train, &self.order[lo..hi], &plain),
        };
        let measure = self.step_peak_bytes.is_none() && crate::alloc::current_bytes() > 0;
        let baseline = if measure { crate::alloc::reset_peak() } else { 0 };
        let r = train_step(model, x, &labels, &self.block)?;
        if measure {
            self.step_peak_bytes = Some(crate::alloc::peak_bytes().saturating_sub(baseline));
        }
        self.seen += labels.len();
        self.correct += r.correct;
        self.loss_sum += r.loss * labels.len() as f64;
        self.last_stats = Some(r.stats);
        let secs = self.started.map_or(0.0, |s| s.elapsed().as_secs_f64()).max(1e-9);
        self.bar.set_position((step + 1) as u64);
        self.bar.set_message(format!(
            "loss {:.4} acc {:.2}% {:.0} img/s",
            self.loss_sum / self.seen as f64,
            100.0 * self.correct as f64 / self.seen as f64,
            self.seen as f64 / secs
        ));
        Ok(StepOutput { loss: r.loss, grads: r.grads })
    }

    fn end_epoch(&mut self, model: &ImageModel, _epoch: usize) -> anyhow::Result<Vec<f64>> {
        let train_s = self.started.map_or(f64::NAN, |s| s.elapsed().as_secs_f64());
        self.bar.set_message("evaluating the test set");
        let ev = evaluate(model, &self.data.test, &self.block, self.batch_size, &self.device)?;
        let train_acc = self.correct as f64 / self.seen.max(1) as f64;
        let m = vec![train_acc, ev.loss, ev.accuracy, train_s, self.seen as f64 / train_s];
        self.last_eval = Some(ev);
        Ok(m)
    }
}

/// A per-batch progress bar on stderr (`epoch e [====>   ] k/n loss … acc … img/s`), hidden when
/// `quiet` or when stderr is not a terminal.
pub fn progress_bar(quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(1), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{prefix:>9} [{elapsed_precise}] {bar:30.cyan/blue} {pos}/{len} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar
}

/// Prints one line per epoch (and per checkpoint): above the bar when it is drawn, else on
/// stderr; nothing when `quiet`.
pub struct EpochLog {
    bar: ProgressBar,
    quiet: bool,
    label: String,
    total: usize,
}

impl EpochLog {
    /// A log for the run named `label` (the gradient method in a comparison), sharing `bar`.
    pub fn new(bar: ProgressBar, quiet: bool, label: impl Into<String>) -> Self {
        Self { bar, quiet, label: label.into(), total: 0 }
    }

    fn say(&self, line: String) {
        if self.quiet {
            return;
        }
        if self.bar.is_hidden() { eprintln!("{line}") } else { self.bar.println(line) }
    }
}

/// One epoch's summary line.
pub fn epoch_line(label: &str, r: &EpochRecord, total: usize) -> String {
    let m = &r.metrics;
    format!(
        "{label}epoch {}/{total}: train loss {:.4} acc {:.2}% | test loss {:.4} acc {:.2}% | {:.1} s, {:.0} img/s",
        r.epoch,
        r.loss,
        100.0 * m[0],
        m[1],
        100.0 * m[2],
        m[3],
        m[4]
    )
}

impl Observer for EpochLog {
    fn on_start(&mut self, _done: usize, total: usize, _names: &[String]) {
        self.total = total;
    }
    fn on_epoch(&mut self, r: &EpochRecord) {
        let label = if self.label.is_empty() { String::new() } else { format!("[{}] ", self.label) };
        self.say(epoch_line(&label, r, self.total));
    }
    fn on_checkpoint(&mut self, epoch: usize, dir: &Path) {
        self.say(format!("checkpoint: epoch {epoch} -> {}", dir.display()));
    }
    fn on_finish(&mut self) {
        self.bar.finish_and_clear();
    }
}
