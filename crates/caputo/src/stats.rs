//! What a solve or a gradient computation did and what it kept.

use serde::Serialize;

/// Counters reported by every solve and gradient computation (like diffsol's solver statistics
/// and argmin's call counts). Tests pin them, so an extra evaluation is a visible change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Accepted steps.
    pub steps: usize,
    /// Rejected steps (adaptive step control only).
    pub rejected_steps: usize,
    /// Evaluations of the field without a graph.
    pub field_evals: usize,
    /// Evaluations of the field inside an autodiff graph (`Direct`, `Checkpointed`).
    pub graph_evals: usize,
    /// Vector–Jacobian products of the field.
    pub vjps: usize,
    /// Steps recomputed during the backward pass.
    pub recomputed_steps: usize,
    /// Peak number of bytes of solver state the method kept alive at once (its own count:
    /// stored states, history and adjoint buffers; not Burn's graph, which the counting
    /// allocator in the benchmarks measures).
    pub peak_stored_bytes: usize,
}

impl Stats {
    /// Adds the counters of `other` (peak bytes: the maximum).
    pub fn merge(&mut self, other: &Stats) {
        self.steps += other.steps;
        self.rejected_steps += other.rejected_steps;
        self.field_evals += other.field_evals;
        self.graph_evals += other.graph_evals;
        self.vjps += other.vjps;
        self.recomputed_steps += other.recomputed_steps;
        self.peak_stored_bytes = self.peak_stored_bytes.max(other.peak_stored_bytes);
    }
}

/// Why a solve stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum StopReason {
    /// Reached the last output time.
    Completed,
    /// The adaptive controller hit its step limit before the last output time; the solution
    /// holds the outputs reached so far.
    MaxStepsReached,
}

/// Where a solve spends its time: wall-clock totals of field evaluations, vector–Jacobian
/// products and history sums, for `caputo bench --breakdown`.
///
/// Off by default; when off, each timed call costs one relaxed atomic load. The totals are
/// process-wide (one solve at a time is measured), in nanoseconds. Evaluations and VJPs are
/// timed at the field `Evaluator` (graph-free and fused paths; `Direct`'s graph
/// evaluations and Burn's backward walk are not in them), history sums at the fractional
/// histories (dense rows, short memory, sum-of-exponentials), forward and reverse.
///
/// # Example
/// ```
/// use caputo::stats::breakdown::{self, Part};
/// breakdown::enable(true);
/// breakdown::reset();
/// let x = breakdown::time(Part::Eval, || (0..1000).sum::<u64>());
/// assert_eq!(x, 499_500);
/// assert!(breakdown::read().eval_s >= 0.0);
/// breakdown::enable(false);
/// ```
pub mod breakdown {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
    use std::time::Instant;

    static ENABLED: AtomicBool = AtomicBool::new(false);
    static NANOS: [AtomicU64; 3] = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];

    /// A part of a solve's time.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Part {
        /// Field evaluations without a graph.
        Eval = 0,
        /// Vector–Jacobian products (including the evaluation they return).
        Vjp = 1,
        /// Fractional history sums, forward and reverse.
        History = 2,
    }

    /// The totals since the last [`reset`], in seconds.
    #[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
    pub struct Breakdown {
        /// Field evaluations.
        pub eval_s: f64,
        /// Vector–Jacobian products.
        pub vjp_s: f64,
        /// History sums.
        pub history_s: f64,
    }

    /// Switches the timers on or off.
    pub fn enable(on: bool) {
        ENABLED.store(on, Relaxed);
    }

    /// Zeroes the totals.
    pub fn reset() {
        for n in &NANOS {
            n.store(0, Relaxed);
        }
    }

    /// The totals since the last [`reset`].
    pub fn read() -> Breakdown {
        let s = |p: Part| NANOS[p as usize].load(Relaxed) as f64 * 1e-9;
        Breakdown { eval_s: s(Part::Eval), vjp_s: s(Part::Vjp), history_s: s(Part::History) }
    }

    /// Runs `f`, adding its wall time to `part` when the timers are on.
    #[inline]
    pub fn time<R>(part: Part, f: impl FnOnce() -> R) -> R {
        if !ENABLED.load(Relaxed) {
            return f();
        }
        let start = Instant::now();
        let r = f();
        NANOS[part as usize].fetch_add(start.elapsed().as_nanos() as u64, Relaxed);
        r
    }
}
