//! Reusable training pieces for the applications (Lotka–Volterra, image, graph).
//!
//! An application supplies a model (any Burn [`Module`](burn::module::Module)) and an
//! [`Objective`] (loss and gradients, typically through a solve's pullback); the pieces here
//! do the rest, the same way for every application:
//!
//! | piece | what it does |
//! |---|---|
//! | [`fit`] | the Adam loop: [`Trainer`] (model + optimizer + RNG + history), [`Objective`], [`Observer`], [`FitConfig`] |
//! | [`progress`] | an [`Observer`] drawing an indicatif bar (hidden off a terminal and when quiet) |
//! | [`checkpoint`] | atomic checkpoints (model, Adam state, RNG, history, run configuration) and exact resume |
//! | [`results`] | atomic file writes, JSON and CSV outputs, the output-directory check, hashing |
//! | [`plot`] | PNG/SVG line plots: labelled `(x, y)` series, optional log-scaled y |
//!
//! An application in outline (see [`crate::apps::lotka_volterra`] for a complete one):
//!
//! ```text
//! struct MyObjective { data, batches, … }
//! impl Objective<MyModel> for MyObjective {
//!     fn metric_names(&self) -> Vec<String> { vec!["val_acc".into()] }
//!     fn begin_epoch(&mut self, epoch, rng) -> Result<usize> { shuffle with rng; Ok(n_batches) }
//!     fn step(&mut self, model, epoch, step, rng) -> Result<StepOutput> {
//!         // encoder → fde_forward(&model.block, …, &method) → decoder; pullback; combine
//!         Ok(StepOutput { loss, grads })
//!     }
//!     fn end_epoch(&mut self, model, epoch) -> Result<Vec<f64>> { Ok(vec![accuracy(model)]) }
//! }
//! results::ensure_output_dir(&out)?;                       // before any work
//! let config = serde_json::json!({ … everything that changes the numbers … });
//! let mut trainer = match resume {
//!     Some(dir) => Trainer::resume(dir, MyModel::new(…), &fit::adam_config(), config)?,
//!     None => Trainer::new(MyModel::new(…), &fit::adam_config(), seed, config),
//! };
//! let mut bar = ProgressObserver::new("image", quiet);
//! let cfg = FitConfig { checkpoint: Some(CheckpointPolicy { dir: out.join("checkpoint"), every }), ..FitConfig::new(epochs, lr) };
//! let report = trainer.fit(&mut objective, &cfg, &mut [&mut bar])?;   // wall time, peak bytes
//! results::write_history(&out.join("history.csv"), &objective.metric_names(), &trainer.history)?;
//! LinePlot::new("loss", "epoch", "loss").log_y(true)
//!     .series(Series::line("train", results::loss_curve(&trainer.history))).save_png(&out.join("loss.png"))?;
//! results::write_json(&out.join("results.json"), &my_results)?;
//! ```
//!
//! Errors in what the user gave are [`InputError`]s (or [`DataError`](crate::data::DataError),
//! [`CheckpointError`]); the CLI maps them to exit status 2 ([`is_input_error`]).
//!
//! A run is reproducible bit for bit: the loop draws all randomness from one seeded
//! [`ChaCha8Rng`](rand_chacha::ChaCha8Rng) whose position is part of a checkpoint, so a
//! resumed run ends with the same numbers as an uninterrupted one (test:
//! `tests/lv_resume.rs::resumed_run_matches_uninterrupted_run_bitwise`).

pub mod checkpoint;
pub mod fit;
pub mod plot;
pub mod progress;
pub mod results;

pub use checkpoint::{CheckpointError, CheckpointPolicy};
pub use fit::{EpochRecord, FitConfig, FitReport, Objective, Observer, StepOutput, Trainer};
pub use plot::{Legend, LinePlot, Series, Style};
pub use progress::ProgressObserver;

/// An error in what the user asked for (a flag value, an input file, an incompatible or
/// corrupt checkpoint): the CLI reports it in one line and exits with status 2, while other
/// failures (a solve that blows up, a full disk) exit with status 1.
///
/// Applications wrap such errors in this type (or return a
/// [`DataError`](crate::data::DataError) or [`CheckpointError`], which the CLI treats the same
/// way); see [`is_input_error`].
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

/// `true` when `err` (or an error it wraps) is a user-input error that deserves exit status 2:
/// an [`InputError`], a [`DataError`](crate::data::DataError) or a [`CheckpointError`] other
/// than an I/O failure while writing.
pub fn is_input_error(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.is::<InputError>()
            || e.is::<crate::data::DataError>()
            || e.downcast_ref::<CheckpointError>().is_some_and(CheckpointError::is_input_error)
    })
}
