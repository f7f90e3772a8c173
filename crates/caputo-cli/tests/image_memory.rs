//! Peak memory of one training step of the image classifier, measured by the counting
//! allocator installed in this test binary (which therefore holds a single test): with
//! `Direct` it grows with the number of FDE steps (the graph holds every step's
//! activations); with the discrete adjoint it grows only by the stored step states, and at 20
//! steps, batch 64, it is at most a quarter of direct's.

#[global_allocator]
static ALLOC: caputo_cli::alloc::CountingAlloc = caputo_cli::alloc::CountingAlloc;

use caputo::grad::Method;
use caputo_cli::alloc::{peak_bytes, reset_peak};
use caputo_cli::apps::image::data::{self, Dataset};
use caputo_cli::apps::image::device;
use caputo_cli::apps::image::model::{ImageModel, ImageModelConfig};
use caputo_cli::apps::image::step::{BlockConfig, train_step};

const BATCH: usize = 64;
const WIDTH: usize = 8;

/// Peak extra bytes of one training step (after a warm-up step) and the solver's own count
/// of stored bytes.
fn step_peak(m: &ImageModel, d: &Dataset, steps: usize, method: Method) -> (usize, usize) {
    let block = BlockConfig::new(0.9, 1.0, steps, "predictor", method).unwrap();
    let idx: Vec<usize> = (0..BATCH).collect();
    let (x, labels) = data::batch(&d.train, &idx, &device().inner());
    let _ = train_step(m, x.clone(), &labels, &block).unwrap();
    let base = reset_peak();
    let r = train_step(m, x, &labels, &block).unwrap();
    let peak = peak_bytes() - base;
    drop(r.grads);
    (peak, r.stats.peak_stored_bytes)
}

#[test]
fn direct_step_memory_grows_with_fde_steps_and_the_adjoints_only_by_stored_states() {
    let d = data::load(None, Some(BATCH), Some(0)).unwrap();
    let m = ImageModelConfig::new(WIDTH).init(0, &device());
    let (n1, n4) = (5, 20);
    let (dir1, _) = step_peak(&m, &d, n1, Method::Direct);
    let (dir4, _) = step_peak(&m, &d, n4, Method::Direct);
    let (adj1, st1) = step_peak(&m, &d, n1, Method::DiscreteAdjoint);
    let (adj4, st4) = step_peak(&m, &d, n4, Method::DiscreteAdjoint);
    eprintln!(
        "peak bytes, {n1} → {n4} steps: direct {dir1} → {dir4} (×{:.2}); discrete adjoint {adj1} → {adj4} (×{:.2}, growth {} B, stored states {st1} → {st4} B); adjoint/direct at {n4}: {:.3}",
        dir4 as f64 / dir1 as f64,
        adj4 as f64 / adj1 as f64,
        adj4 as i64 - adj1 as i64,
        adj4 as f64 / dir4 as f64
    );
    let stored_growth = (st4 - st1) as f64;
    // Direct: the graph of every step is alive at once; it grows by far more than the states.
    assert!(dir4 as f64 >= 1.8 * dir1 as f64, "direct: {dir1} → {dir4} B");
    assert!(
        (dir4 - dir1) as f64 >= 4.0 * stored_growth,
        "direct grew by {} B, stored states by {stored_growth} B",
        dir4 - dir1
    );
    // Adjoint: what may grow is the stored states (plus slack for allocator rounding and Burn's
    // per-step bookkeeping), not the activations. (Here its peak is the stem's backward pass,
    // which comes after the block's states are freed, so it does not grow at all.)
    let growth = adj4.saturating_sub(adj1);
    assert!(
        growth as f64 <= 1.5 * stored_growth + 64.0 * 1024.0,
        "adjoint grew by {growth} B, stored states by {stored_growth} B"
    );
    // And at 20 steps and batch 64 the adjoint (with its stem recomputed in chunks of 16
    // images) needs at most a quarter of direct's memory.
    assert!(adj4 * 4 <= dir4, "adjoint {adj4} B vs direct {dir4} B at {n4} steps");
}
