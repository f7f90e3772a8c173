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
