//! The training loop: Adam over any Burn module, with observers and checkpoints.
//!
//! An application implements [`Objective`] (loss and gradients of the current model) and
//! calls [`Trainer::fit`]. The loop owns everything a resumed run needs to continue exactly:
//! the model, the optimizer's moments, the RNG and the per-epoch history
//! ([`Trainer`] is what a checkpoint stores, see [`super::checkpoint`]).
//!
//! ```text
//! for epoch in state.epoch+1 ..= cfg.epochs:
//!     n = objective.begin_epoch(epoch, rng)            // e.g. shuffle mini-batches
//!     for step in 0..n:
//!         out = objective.step(&model, epoch, step, rng)   // loss, GradientsParams
//!         model = adam.step(lr, model, out.grads)
//!     record = { epoch, mean loss, objective.end_epoch(&model, epoch) }
//!     observers.on_epoch(record);  checkpoint every K epochs (and after the last)
//! ```

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::checkpoint::{self, CheckpointPolicy};

/// What one optimisation step of an [`Objective`] returns.
pub struct StepOutput {
    /// The loss at the model the step was given.
    pub loss: f64,
    /// Its gradient with respect to the model's parameters (Burn's form; parameters without an
    /// entry are left unchanged by Adam).
    pub grads: GradientsParams,
}

/// A training problem: how to get a loss and its gradient for a model.
///
/// All randomness must come from the `rng` the loop passes in (never from a thread-local or
/// time-seeded generator), so that a run is reproducible and resumes exactly.
pub trait Objective<M> {
    /// Names of the metrics [`Self::end_epoch`] returns, in order (columns of the history).
    fn metric_names(&self) -> Vec<String> {
        Vec::new()
    }

    /// Prepares `epoch` (1-based) and returns how many optimizer steps it takes. The default
    /// is one full-batch step; mini-batch objectives shuffle here with `rng`.
    fn begin_epoch(&mut self, _epoch: usize, _rng: &mut ChaCha8Rng) -> anyhow::Result<usize> {
        Ok(1)
    }

    /// The loss and gradient at `model` for step `step` of `epoch`.
    fn step(&mut self, model: &M, epoch: usize, step: usize, rng: &mut ChaCha8Rng) -> anyhow::Result<StepOutput>;

    /// Metrics recorded for `epoch`, given the model after its last step (a validation
    /// accuracy; for a full-batch fit, the parameters the epoch's loss was measured at). The
    /// default records none.
    fn end_epoch(&mut self, _model: &M, _epoch: usize) -> anyhow::Result<Vec<f64>> {
        Ok(Vec::new())
    }
}

/// One row of the training history.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochRecord {
    /// The epoch (1-based).
    pub epoch: usize,
    /// Mean loss over the epoch's steps (for one full-batch step: the loss before the update).
    pub loss: f64,
    /// The objective's metrics, in the order of [`Objective::metric_names`].
    pub metrics: Vec<f64>,
}

/// Watches a fit (progress bars, logs, live metrics). Every method has a default that does
/// nothing.
pub trait Observer {
    /// Called once before the first epoch that runs: `done` epochs are already done (a resumed
    /// run), `total` will be done at the end; `metric_names` label [`EpochRecord::metrics`].
    fn on_start(&mut self, _done: usize, _total: usize, _metric_names: &[String]) {}
    /// Called after every epoch.
    fn on_epoch(&mut self, _record: &EpochRecord) {}
    /// Called after a checkpoint of `epoch` was written to `dir`.
    fn on_checkpoint(&mut self, _epoch: usize, _dir: &Path) {}
    /// Called once after the last epoch (also when the fit fails).
    fn on_finish(&mut self) {}
}

/// Settings of a fit.
#[derive(Debug, Clone)]
pub struct FitConfig {
    /// Total number of epochs (a resumed run continues up to this number).
    pub epochs: usize,
    /// Adam's learning rate (at epoch 1).
    pub lr: f64,
    /// Multiplies the learning rate after every epoch: epoch `e` (1-based) uses
    /// `lr · lr_decay^(e−1)` (1 = constant). A per-epoch factor, not a schedule over the total,
    /// so a run stopped and resumed with more epochs follows the same learning rates.
    pub lr_decay: f64,
    /// Where and how often to checkpoint; `None` for no checkpoints.
    pub checkpoint: Option<CheckpointPolicy>,
}

impl FitConfig {
    /// A constant learning rate, no checkpoints.
    pub fn new(epochs: usize, lr: f64) -> Self {
        Self { epochs, lr, lr_decay: 1.0, checkpoint: None }
    }

    /// The learning rate of `epoch` (1-based): `lr · lr_decay^(epoch−1)`.
    pub fn lr_at(&self, epoch: usize) -> f64 {
        if self.lr_decay == 1.0 { self.lr } else { self.lr * self.lr_decay.powi(epoch.saturating_sub(1) as i32) }
    }
}

/// What a fit did.
#[derive(Debug, Clone)]
pub struct FitReport {
    /// Epochs run by this call (excluding those restored from a checkpoint).
    pub epochs_run: usize,
    /// Wall-clock seconds of this call.
    pub wall_s: f64,
    /// Wall-clock seconds of all the run's segments (this call plus the resumed ones).
    pub total_wall_s: f64,
    /// Peak extra heap bytes during this call, measured by the binary's counting allocator
    /// (`None` when it is not installed, e.g. in tests).
    pub peak_bytes: Option<usize>,
}

/// The Adam configuration every application uses: Burn's defaults (β₁ = 0.9, β₂ = 0.999)
/// with PyTorch's `ε = 1e-8` (Burn's default is 1e-5).
pub fn adam_config() -> AdamConfig {
    AdamConfig::new().with_epsilon(1e-8)
}

/// A model, its optimizer and the run's state: everything a checkpoint holds.
pub struct Trainer<M: Module> {
    /// The model being trained.
    pub model: M,
    /// Adam (with its moments).
    pub optim: ModuleOptimizer,
    /// The run's RNG (its position is saved in checkpoints).
    pub rng: ChaCha8Rng,
    /// Epochs completed.
    pub epoch: usize,
    /// One record per completed epoch.
    pub history: Vec<EpochRecord>,
    /// Wall-clock seconds spent in previous segments of this run (restored from a checkpoint).
    pub previous_wall_s: f64,
    /// The run's configuration (what must match to resume); stored in checkpoints.
    pub run_config: serde_json::Value,
}

impl<M: Module> Trainer<M> {
    /// A fresh run: `model` at its initial parameters, `adam` (e.g. [`adam_config`]) without moments,
    /// the RNG seeded from `seed`, and the configuration `run_config` that a later resume must
    /// match (anything that changes the numbers: data, model size, scheme, learning rate…).
    pub fn new(model: M, adam: &AdamConfig, seed: u64, run_config: serde_json::Value) -> Self {
        Self {
            model,
            optim: adam.init(),
            rng: ChaCha8Rng::seed_from_u64(seed),
            epoch: 0,
            history: Vec::new(),
            previous_wall_s: 0.0,
            run_config,
        }
    }

    /// Continues a run from the checkpoint in `dir`: `template` is a model of the right
    /// structure (its values are replaced), `adam` the configuration the run was started with. Fails without side effects when the checkpoint is
    /// corrupt or was made with a different `run_config`.
    pub fn resume(
        dir: &Path,
        template: M,
        adam: &AdamConfig,
        run_config: serde_json::Value,
    ) -> Result<Self, checkpoint::CheckpointError> {
        checkpoint::load(dir, template, adam, run_config)
    }

    /// Trains up to `cfg.epochs` epochs, calling `observers` and writing checkpoints as
    /// configured.
    ///
    /// # Errors
    /// The objective's errors (with the epoch in the context), checkpoint write failures.
    pub fn fit<O: Objective<M>>(
        &mut self,
        objective: &mut O,
        cfg: &FitConfig,
        observers: &mut [&mut dyn Observer],
    ) -> anyhow::Result<FitReport> {
        let start = Instant::now();
        let baseline = crate::alloc::reset_peak();
        let names = objective.metric_names();
        for o in observers.iter_mut() {
            o.on_start(self.epoch.min(cfg.epochs), cfg.epochs, &names);
        }
        let result = self.run_epochs(objective, cfg, observers, &start);
        for o in observers.iter_mut() {
            o.on_finish();
        }
        let epochs_run = result?;
        let wall_s = start.elapsed().as_secs_f64();
        Ok(FitReport {
            epochs_run,
            wall_s,
            total_wall_s: self.previous_wall_s + wall_s,
            peak_bytes: super::results::peak_bytes_since(baseline),
        })
    }

    fn run_epochs<O: Objective<M>>(
        &mut self,
        objective: &mut O,
        cfg: &FitConfig,
        observers: &mut [&mut dyn Observer],
        start: &Instant,
    ) -> anyhow::Result<usize> {
        let mut ran = 0;
        while self.epoch < cfg.epochs {
            let epoch = self.epoch + 1;
            let n_steps = objective.begin_epoch(epoch, &mut self.rng).with_context(|| format!("epoch {epoch}"))?;
            let mut loss_sum = 0.0;
            for step in 0..n_steps {
                let out = objective
                    .step(&self.model, epoch, step, &mut self.rng)
                    .with_context(|| format!("epoch {epoch}, step {step}"))?;
                if !out.loss.is_finite() {
                    anyhow::bail!("epoch {epoch}, step {step}: the loss is {} (try a smaller --lr)", out.loss);
                }
                loss_sum += out.loss;
                self.model = self.optim.step(cfg.lr_at(epoch), self.model.clone(), out.grads);
            }
            let loss = if n_steps == 0 { f64::NAN } else { loss_sum * (1.0 / n_steps as f64) };
            let metrics = objective.end_epoch(&self.model, epoch).with_context(|| format!("epoch {epoch}"))?;
            let record = EpochRecord { epoch, loss, metrics };
            for o in observers.iter_mut() {
                o.on_epoch(&record);
            }
            self.history.push(record);
            self.epoch = epoch;
            ran += 1;
            if let Some(policy) = &cfg.checkpoint
                && policy.every > 0
                && (epoch.is_multiple_of(policy.every) || epoch == cfg.epochs)
            {
                let wall = self.previous_wall_s + start.elapsed().as_secs_f64();
                checkpoint::save(&policy.dir, self, &objective.metric_names(), wall)?;
                for o in observers.iter_mut() {
                    o.on_checkpoint(epoch, &policy.dir);
                }
            }
        }
        Ok(ran)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::module::Param;
    use burn::tensor::Tensor;
    use caputo::tensor::{from_vec, to_vec};
    use caputo::testkit::f64_device;
    use rand::RngCore;

    #[derive(Module, Debug)]
    struct Toy {
        w: Param<Tensor<1>>,
    }

    /// Mini-batch least squares: each step pulls `w` towards one randomly drawn target.
    struct Pull {
        targets: Vec<[f64; 2]>,
        order: Vec<usize>,
    }

    impl Objective<Toy> for Pull {
        fn metric_names(&self) -> Vec<String> {
            vec!["w0".into()]
        }
        fn begin_epoch(&mut self, _epoch: usize, rng: &mut ChaCha8Rng) -> anyhow::Result<usize> {
            self.order = (0..3).map(|_| (rng.next_u64() % self.targets.len() as u64) as usize).collect();
            Ok(self.order.len())
        }
        fn step(
            &mut self,
            model: &Toy,
            _epoch: usize,
            step: usize,
            _rng: &mut ChaCha8Rng,
        ) -> anyhow::Result<StepOutput> {
            let t = from_vec(self.targets[self.order[step]].to_vec(), [2], &f64_device());
            let loss = (model.w.val() - t).powf_scalar(2.0).sum();
            let l = to_vec(loss.clone().inner())[0];
            Ok(StepOutput { loss: l, grads: GradientsParams::from_grads(loss.backward(), model) })
        }
        fn end_epoch(&mut self, model: &Toy, _epoch: usize) -> anyhow::Result<Vec<f64>> {
            Ok(vec![to_vec(model.w.val())[0]])
        }
    }

    fn toy() -> Toy {
        Toy { w: Param::from_tensor(from_vec(vec![3.0, -1.0], [2], &f64_device())) }
    }

    fn pull() -> Pull {
        Pull { targets: vec![[0.0, 0.0], [1.0, 2.0], [-1.0, 0.5], [0.5, 0.5]], order: vec![] }
    }

    #[derive(Default)]
    struct Log(Vec<String>);
    impl Observer for Log {
        fn on_start(&mut self, done: usize, total: usize, names: &[String]) {
            self.0.push(format!("start {done}/{total} {names:?}"));
        }
        fn on_epoch(&mut self, r: &EpochRecord) {
            self.0.push(format!("epoch {}", r.epoch));
        }
        fn on_checkpoint(&mut self, epoch: usize, _dir: &Path) {
            self.0.push(format!("checkpoint {epoch}"));
        }
        fn on_finish(&mut self) {
            self.0.push("finish".into());
        }
    }

    #[test]
    fn learning_rate_decays_per_epoch() {
        let cfg = FitConfig { lr_decay: 0.5, ..FitConfig::new(10, 0.08) };
        assert_eq!(cfg.lr_at(1), 0.08);
        assert_eq!(cfg.lr_at(3), 0.02);
    }

    #[test]
    fn minibatch_fit_with_rng_resumes_exactly_and_calls_observers_in_order() {
        let dir = std::env::temp_dir().join(format!("caputo_fit_toy_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let adam = adam_config();
        let cfg_json = serde_json::json!({"toy": 1});
        // Uninterrupted: 6 epochs.
        let mut a = Trainer::new(toy(), &adam, 9, cfg_json.clone());
        a.fit(&mut pull(), &FitConfig::new(6, 0.1), &mut []).unwrap();
        // Split: 4 epochs with checkpoints every 2, then resume to 6.
        let mut b = Trainer::new(toy(), &adam, 9, cfg_json.clone());
        let policy = CheckpointPolicy { dir: dir.clone(), every: 2 };
        let mut log = Log::default();
        b.fit(&mut pull(), &FitConfig { checkpoint: Some(policy), ..FitConfig::new(4, 0.1) }, &mut [&mut log]).unwrap();
        assert_eq!(
            log.0,
            [
                "start 0/4 [\"w0\"]",
                "epoch 1",
                "epoch 2",
                "checkpoint 2",
                "epoch 3",
                "epoch 4",
                "checkpoint 4",
                "finish"
            ]
        );
        let mut c = Trainer::resume(&dir, toy(), &adam, cfg_json).unwrap();
        assert_eq!(c.epoch, 4);
        c.fit(&mut pull(), &FitConfig::new(6, 0.1), &mut []).unwrap();
        assert_eq!(to_vec(a.model.w.val()), to_vec(c.model.w.val()));
        assert_eq!(a.history, c.history);
        assert_eq!(a.rng.get_word_pos(), c.rng.get_word_pos());
        // A different configuration is refused.
        let err = Trainer::resume(&dir, toy(), &adam, serde_json::json!({"toy": 2})).err().unwrap();
        assert!(err.to_string().contains("toy: checkpoint 1 vs this run 2"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
