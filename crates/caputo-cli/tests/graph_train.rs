//! Training: a short run on a small planted-partition graph classifies well above chance, and
//! the discrete adjoint and direct backpropagation train to the same accuracies.

use caputo_cli::apps::graph::{GraphArgs, setup_with, train};
use caputo_cli::data::{GraphData, planted_partition, stratified_split};

/// 600 nodes in 4 planted classes (~6 neighbours, 80 % of edges inside a class), 16 noisy
/// Gaussian features (features alone separate the classes only partly); 10 training nodes
/// per class, 150 validation nodes, 410 test nodes.
fn graph() -> GraphData {
    let mut g = planted_partition(600, 4, 6.0, 12.0, 16, 1.5, 7);
    let s = stratified_split(&g.labels, g.n_classes, 10, 150, usize::MAX, 7);
    (g.train, g.val, g.test) = (s.train, s.val, s.test);
    g
}

/// Accuracies at the best validation epoch, and the loss of every epoch.
fn fit(epochs: &str, flags: &[&str]) -> ([f64; 3], Vec<f64>) {
    let args = GraphArgs::from_flags(&[&["--quiet", "--epochs", epochs], flags].concat()).unwrap();
    let s = setup_with(&args, graph(), "planted".into()).unwrap();
    let o = train(&args, &s, None, None, &mut []).unwrap();
    let r = caputo_cli::apps::graph::results_of(&args, &s, &o);
    (r.best_val_accuracy, o.history.iter().map(|h| h.loss).collect())
}

#[test]
fn a_short_run_on_a_planted_partition_classifies_well_above_chance() {
    // Chance is 0.25 (4 balanced classes).
    for model in ["grand-l", "grand-nl", "adjacency"] {
        let (acc, losses) = fit("30", &["--model", model]);
        eprintln!(
            "{model}: best-val accuracies (train, val, test) {acc:?}, loss {:.3} → {:.3}",
            losses[0],
            losses[losses.len() - 1]
        );
        assert!(acc[2] >= 0.8, "{model}: test accuracy {:.3} at the best validation epoch", acc[2]);
        assert!(losses[losses.len() - 1] < 0.5 * losses[0], "{model}: the loss must fall: {losses:?}");
    }
}

#[test]
fn discrete_adjoint_and_direct_train_to_the_same_accuracy() {
    let (adj, la) = fit("15", &["--method", "discrete-adjoint"]);
    let (dir, ld) = fit("15", &["--method", "direct"]);
    // Same gradients to rounding, so the same run up to rounding.
    assert_eq!(adj, dir);
    for (a, d) in la.iter().zip(&ld) {
        assert!((a - d).abs() <= 1e-9 * a.abs(), "losses {a} vs {d}");
    }
}
