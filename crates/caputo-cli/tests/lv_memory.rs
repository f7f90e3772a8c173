//! Peak memory of training, measured by the counting allocator (installed in this test
//! binary, which therefore holds a single test): at the default settings, the discrete
//! adjoint needs at most a tenth of the peak memory of direct backpropagation.

#[global_allocator]
static ALLOC: caputo_cli::alloc::CountingAlloc = caputo_cli::alloc::CountingAlloc;

use caputo::grad::Method;
use caputo_cli::apps::lotka_volterra::{LvArgs, LvField, LvObjective, setup};
use caputo_cli::train::{FitConfig, Trainer};
use clap::Parser;

#[test]
fn discrete_adjoint_peak_memory_is_at_most_a_tenth_of_direct_at_default_settings() {
    // Default data and grid (200 steps, 41 observations); two epochs per method are enough
    // for the peak (every epoch does the same work).
    let args = LvArgs::parse_from(["lotka-volterra", "--quiet"]);
    let s = setup(&args).unwrap();
    let mut peaks = Vec::new();
    for m in [Method::Direct, Method::DiscreteAdjoint] {
        let mut sm = s.clone();
        sm.problem.method = m.clone();
        let mut trainer = Trainer::new(
            LvField::new(s.init, s.alpha_init, 0, 0),
            &caputo_cli::apps::lotka_volterra::adam(&args),
            0,
            serde_json::json!({}),
        );
        let report = trainer.fit(&mut LvObjective::new(&sm.problem), &FitConfig::new(2, 0.05), &mut []).unwrap();
        peaks.push((m.name(), report.peak_bytes.expect("the counting allocator is installed")));
    }
    let (direct, adjoint) = (peaks[0].1, peaks[1].1);
    eprintln!("peak bytes: {peaks:?}, ratio {:.4}", adjoint as f64 / direct as f64);
    assert!(adjoint * 10 <= direct, "discrete adjoint {adjoint} B vs direct {direct} B");
}
