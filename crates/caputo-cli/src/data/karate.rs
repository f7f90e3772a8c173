//! Zachary's karate club, bundled in the binary.
//!
//! 34 members of a university karate club, 78 undirected friendship edges,
//! and the club each member joined after the club split (Zachary, 1977):
//! class 0 = "Mr. Hi" (17 members), class 1 = "Officer" (17 members). The
//! edge list and club labels were copied from networkx's
//! `karate_club_graph` (BSD-3-Clause); see `data/README.md`.
//!
//! The data lives in `data/karate/` in the [graph CSV format](super::graph_csv)
//! and is compiled in with `include_str!`, so [`karate`] works from any
//! directory. Features are the one-hot node identity (34 features, the
//! identity matrix), as in Kipf & Welling's karate-club GCN demo. The
//! shipped split (`split.csv`) is [`stratified_split`] with 4 training nodes
//! per class, 6 validation nodes and the remaining 20 for testing, seed 0.

use std::path::Path;

use super::graph_csv::{GraphCsvText, parse_graph_csv};
use super::planted::stratified_split;
use super::{DataError, GraphData};

/// Class names, indexed by label.
pub const KARATE_CLUBS: [&str; 2] = ["Mr. Hi", "Officer"];
/// Training nodes per class in the shipped split.
pub const KARATE_TRAIN_PER_CLASS: usize = 4;
/// Validation nodes in the shipped split.
pub const KARATE_VAL: usize = 6;
/// Seed of the shipped split.
pub const KARATE_SPLIT_SEED: u64 = 0;

const TEXT: GraphCsvText<'static> = GraphCsvText {
    edges: include_str!("../../../../data/karate/edges.csv"),
    features: include_str!("../../../../data/karate/features.csv"),
    labels: include_str!("../../../../data/karate/labels.csv"),
    split: include_str!("../../../../data/karate/split.csv"),
};

/// Zachary's karate club with the shipped split (see the module docs).
///
/// Only fails if the bundled files were edited into an invalid state.
pub fn karate() -> Result<GraphData, DataError> {
    parse_graph_csv(Path::new("data/karate"), TEXT)
}

/// Zachary's karate club with a fresh seeded split: `train_per_class`
/// training nodes per club, `n_val` validation nodes, the rest for testing
/// (see [`stratified_split`]). `karate_with_split(4, 6, 0)` equals
/// [`karate`]`()`.
pub fn karate_with_split(train_per_class: usize, n_val: usize, seed: u64) -> Result<GraphData, DataError> {
    let mut g = karate()?;
    let s = stratified_split(&g.labels, g.n_classes, train_per_class, n_val, usize::MAX, seed);
    (g.train, g.val, g.test) = (s.train, s.val, s.test);
    Ok(g)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn karate_sizes() {
        let g = karate().unwrap();
        g.validate().unwrap();
        assert_eq!(g.n_nodes, 34);
        assert_eq!(g.n_edges(), 78);
        assert_eq!(g.n_classes, 2);
        let officers = g.labels.iter().filter(|&&l| l == 1).count();
        assert_eq!((34 - officers, officers), (17, 17));
        // Mr. Hi is node 0 and the administrator ("Officer") is node 33.
        assert_eq!((g.labels[0], g.labels[33]), (0, 1));
        assert_eq!(g.degrees()[0], 16);
        assert_eq!(g.degrees()[33], 17);
    }

    #[test]
    fn features_are_one_hot_identity() {
        let g = karate().unwrap();
        assert_eq!(g.n_features, 34);
        for i in 0..34 {
            for (k, &v) in g.node_features(i).iter().enumerate() {
                assert_eq!(v, if i == k { 1.0 } else { 0.0 });
            }
        }
    }

    #[test]
    fn shipped_split_is_the_documented_seeded_split() {
        let g = karate().unwrap();
        let s = stratified_split(&g.labels, 2, KARATE_TRAIN_PER_CLASS, KARATE_VAL, usize::MAX, KARATE_SPLIT_SEED);
        assert_eq!((&g.train, &g.val, &g.test), (&s.train, &s.val, &s.test), "regenerate data/karate/split.csv");
        assert_eq!((g.train.len(), g.val.len(), g.test.len()), (8, 6, 20));
        for class in 0..2 {
            assert_eq!(g.train.iter().filter(|&&i| g.labels[i] == class).count(), 4);
        }
        assert_eq!(karate_with_split(4, 6, 0).unwrap(), g);
        assert_ne!(karate_with_split(4, 6, 1).unwrap().train, g.train);
    }
}
