//! Synthetic planted-partition graphs (a stochastic block model with
//! class-dependent Gaussian features), and the seeded stratified split
//! shared with the bundled datasets.
//!
//! Everything here is deterministic for a given seed and value-stable across
//! `rand` releases: all randomness is drawn from `ChaCha8Rng::next_u64`
//! through this module's own sampling helpers.

use std::collections::HashSet;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::{GraphData, below, canonical_edges, shuffle, standard_normal, uniform01};

/// Number of nodes of Cora.
pub const CORA_NODES: usize = 2708;
/// Number of classes of Cora.
pub const CORA_CLASSES: usize = 7;
/// Number of undirected edges of Cora (10,556 directed entries).
pub const CORA_EDGES: usize = 5278;
/// Features per node of [`cora_like`] (Cora has 1,433 sparse word features;
/// 128 dense ones keep the synthetic graph light).
pub const CORA_LIKE_FEATURES: usize = 128;
/// `p_in / p_out` of [`cora_like`]: with 7 balanced classes it puts about
/// 81 % of the edges inside a class, Cora's edge homophily.
pub const CORA_LIKE_P_IN_RATIO: f64 = 25.0;
/// Feature noise of [`cora_like`] (standard deviation, in units of the
/// spread of the class means): features alone then classify only part of
/// the nodes correctly, so using the graph pays off, as on Cora.
pub const CORA_LIKE_FEATURE_NOISE: f64 = 5.0;

/// A train/validation/test partition of node indices, each sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// Training nodes.
    pub train: Vec<usize>,
    /// Validation nodes.
    pub val: Vec<usize>,
    /// Test nodes.
    pub test: Vec<usize>,
}

/// A seeded Planetoid-style split: `train_per_class` training nodes of each
/// class, then `n_val` validation and `n_test` test nodes drawn from the
/// remaining nodes (no class balance), all after one seeded shuffle.
///
/// Sizes are clipped to what is available: a class with fewer than
/// `train_per_class` nodes puts all of them in training; validation and test
/// take at most what is left (pass `usize::MAX` as `n_test` for "all the
/// rest"). Nodes whose label is `>= n_classes` are never picked for
/// training. The split for a given seed never changes (see the module docs).
pub fn stratified_split(
    labels: &[usize],
    n_classes: usize,
    train_per_class: usize,
    n_val: usize,
    n_test: usize,
    seed: u64,
) -> Split {
    split_with(labels, n_classes, train_per_class, n_val, n_test, &mut ChaCha8Rng::seed_from_u64(seed))
}

fn split_with(
    labels: &[usize],
    n_classes: usize,
    train_per_class: usize,
    n_val: usize,
    n_test: usize,
    rng: &mut ChaCha8Rng,
) -> Split {
    let mut order: Vec<usize> = (0..labels.len()).collect();
    shuffle(&mut order, rng);
    let mut taken = vec![0usize; n_classes];
    let mut train = Vec::new();
    let mut rest = Vec::new();
    for i in order {
        match taken.get_mut(labels[i]) {
            Some(t) if *t < train_per_class => {
                *t += 1;
                train.push(i);
            }
            _ => rest.push(i),
        }
    }
    let n_val = n_val.min(rest.len());
    let n_test = n_test.min(rest.len() - n_val);
    let mut val = rest[..n_val].to_vec();
    let mut test = rest[n_val..n_val + n_test].to_vec();
    train.sort_unstable();
    val.sort_unstable();
    test.sort_unstable();
    Split { train, val, test }
}

/// Generates a planted-partition graph for node classification.
///
/// * Nodes get classes round-robin (sizes differ by at most one), then the
///   assignment is shuffled.
/// * Exactly `round(n_nodes · avg_degree / 2)` distinct undirected edges are
///   drawn (fewer only if the graph would be complete). Each is a uniformly
///   random pair, weighted `p_in_ratio` if both ends share a class and `1`
///   otherwise — a stochastic block model with `p_in / p_out = p_in_ratio`
///   conditioned on its edge count. The expected fraction of same-class
///   edges is `r·P_in / (r·P_in + P_out)`, with `P_in`, `P_out` the numbers
///   of same- and different-class node pairs; `p_in_ratio = 1` is an
///   Erdős–Rényi graph, `0` puts every edge between classes.
/// * Each class gets a mean vector with i.i.d. standard normal entries;
///   node features are their class mean plus i.i.d. Gaussian noise of
///   standard deviation `feature_noise`.
/// * Split as Planetoid's public split: 20 training nodes per class, 500
///   validation and 1,000 test nodes, clipped for small graphs (see
///   [`stratified_split`]).
///
/// Same seed, same graph. Meant for sparse graphs: edges are drawn by
/// rejection, which slows down as the graph approaches completeness.
///
/// # Panics
/// If `n_classes == 0`, `n_nodes < n_classes`, or `avg_degree`,
/// `p_in_ratio` or `feature_noise` is negative or not finite.
pub fn planted_partition(
    n_nodes: usize,
    n_classes: usize,
    avg_degree: f64,
    p_in_ratio: f64,
    n_features: usize,
    feature_noise: f64,
    seed: u64,
) -> GraphData {
    assert!(n_classes > 0, "planted_partition: n_classes must be positive");
    assert!(n_nodes >= n_classes, "planted_partition: n_nodes ({n_nodes}) must be at least n_classes ({n_classes})");
    for (name, v) in [("avg_degree", avg_degree), ("p_in_ratio", p_in_ratio), ("feature_noise", feature_noise)] {
        assert!(v.is_finite() && v >= 0.0, "planted_partition: {name} must be finite and non-negative, got {v}");
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);

    let mut labels: Vec<usize> = (0..n_nodes).map(|i| i % n_classes).collect();
    shuffle(&mut labels, &mut rng);
    let mut members = vec![Vec::new(); n_classes];
    for (i, &c) in labels.iter().enumerate() {
        members[c].push(i);
    }

    // Pair counts in u64/f64: C(n, 2) overflows u32 for large graphs.
    let pairs = |k: usize| (k as u64) * (k as u64).saturating_sub(1) / 2;
    let class_pairs: Vec<u64> = members.iter().map(|m| pairs(m.len())).collect();
    let p_in: u64 = class_pairs.iter().sum();
    let p_out = pairs(n_nodes) - p_in;
    let cap_in = if p_in_ratio > 0.0 { p_in } else { 0 };
    let cap_out = p_out;
    let wanted = (n_nodes as f64 * avg_degree / 2.0).round();
    let m = (wanted as u64).min(cap_in + cap_out);
    let w_in = p_in_ratio * p_in as f64;
    let q_in = if w_in + p_out as f64 > 0.0 { w_in / (w_in + p_out as f64) } else { 0.0 };

    let mut edges: HashSet<(usize, usize)> = HashSet::with_capacity(m as usize);
    let (mut n_in, mut n_out) = (0u64, 0u64);
    while n_in + n_out < m {
        let intra = if n_in == cap_in {
            false
        } else if n_out == cap_out {
            true
        } else {
            uniform01(&mut rng) < q_in
        };
        let (u, v) = if intra {
            // Class with probability ∝ its number of pairs.
            // (min: guards against the product rounding up to p_in.)
            let mut t = ((uniform01(&mut rng) * p_in as f64) as u64).min(p_in - 1);
            let mut c = 0;
            while t >= class_pairs[c] {
                t -= class_pairs[c];
                c += 1;
            }
            let mem = &members[c];
            let a = below(&mut rng, mem.len());
            let b = below(&mut rng, mem.len() - 1);
            // Skip over a so that the pair is distinct and uniform.
            let b = if b >= a { b + 1 } else { b };
            (mem[a], mem[b])
        } else {
            // Rejection inside the branch: redrawing the edge type on a
            // rejected pair would bias the edges towards the intra type.
            loop {
                let a = below(&mut rng, n_nodes);
                let b = below(&mut rng, n_nodes);
                if labels[a] != labels[b] {
                    break (a, b);
                }
            }
        };
        if edges.insert((u.min(v), u.max(v))) {
            if intra {
                n_in += 1;
            } else {
                n_out += 1;
            }
        }
    }

    let means: Vec<f64> = (0..n_classes * n_features).map(|_| standard_normal(&mut rng)).collect();
    let mut features = Vec::with_capacity(n_nodes * n_features);
    for &c in &labels {
        for k in 0..n_features {
            let x = means[c * n_features + k] + feature_noise * standard_normal(&mut rng);
            features.push(x as f32);
        }
    }

    let split = split_with(&labels, n_classes, 20, 500, 1000, &mut rng);
    GraphData {
        n_nodes,
        features,
        n_features,
        labels,
        n_classes,
        edges: canonical_edges(edges),
        train: split.train,
        val: split.val,
        test: split.test,
    }
}

/// A synthetic stand-in for Cora: 2,708 nodes, 7 classes, exactly 5,278
/// undirected edges (10,556 directed entries, as Cora), edge homophily
/// ≈ 0.81 (as Cora), 128 Gaussian features, and Planetoid's split sizes
/// (140 train / 500 val / 1,000 test). See [`planted_partition`] and the
/// `CORA_*` constants.
pub fn cora_like(seed: u64) -> GraphData {
    planted_partition(
        CORA_NODES,
        CORA_CLASSES,
        2.0 * CORA_EDGES as f64 / CORA_NODES as f64,
        CORA_LIKE_P_IN_RATIO,
        CORA_LIKE_FEATURES,
        CORA_LIKE_FEATURE_NOISE,
        seed,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cora_like_sizes() {
        let g = cora_like(0);
        g.validate().unwrap();
        assert_eq!((g.n_nodes, g.n_classes, g.n_features), (2708, 7, 128));
        assert_eq!(g.n_edges(), CORA_EDGES);
        assert_eq!(g.directed_edges().len(), 10_556);
        assert_eq!(g.features.len(), 2708 * 128);
        assert_eq!((g.train.len(), g.val.len(), g.test.len()), (140, 500, 1000));
        let mut per_class = [0usize; 7];
        for &i in &g.train {
            per_class[g.labels[i]] += 1;
        }
        assert_eq!(per_class, [20; 7]);
        let h = g.edge_homophily();
        assert!((0.78..0.83).contains(&h), "homophily {h}");
    }

    #[test]
    fn homophily_matches_the_block_model() {
        // 5 balanced classes of 400: P_in = 5·C(400,2), P_out = C(2000,2) − P_in.
        let p_in = 5.0 * 400.0 * 399.0 / 2.0;
        let p_out = 2000.0 * 1999.0 / 2.0 - p_in;
        let r = 2.0;
        let expected = r * p_in / (r * p_in + p_out);
        let g = planted_partition(2000, 5, 20.0, r, 1, 0.0, 11);
        assert_eq!(g.n_edges(), 20_000);
        let h = g.edge_homophily();
        // Binomial standard deviation is about 0.0033.
        assert!((h - expected).abs() < 0.015, "homophily {h}, expected {expected}");
    }

    #[test]
    fn deterministic_for_a_seed() {
        let a = planted_partition(300, 3, 6.0, 4.0, 8, 1.0, 42);
        let b = planted_partition(300, 3, 6.0, 4.0, 8, 1.0, 42);
        assert_eq!(a, b);
        let c = planted_partition(300, 3, 6.0, 4.0, 8, 1.0, 43);
        assert_ne!(a.edges, c.edges);
        assert_ne!(a.features, c.features);
    }

    #[test]
    fn no_self_loops_or_duplicates() {
        for seed in 0..5 {
            let g = planted_partition(60, 4, 10.0, 3.0, 2, 0.5, seed);
            g.validate().unwrap(); // checks u < v, sorted and unique
            assert_eq!(g.n_edges(), 300);
            let set: HashSet<_> = g.edges.iter().collect();
            assert_eq!(set.len(), g.n_edges());
            assert!(g.edges.iter().all(|&(u, v)| u != v));
        }
    }

    #[test]
    fn extreme_ratios_and_tiny_graphs() {
        // Ratio 0: only between-class edges.
        let g = planted_partition(40, 2, 4.0, 0.0, 1, 0.0, 1);
        assert_eq!(g.edge_homophily(), 0.0);
        assert_eq!(g.n_edges(), 80);
        // Huge ratio: (almost) all edges inside classes.
        let g = planted_partition(200, 4, 4.0, 1e9, 1, 0.0, 1);
        assert!(g.edge_homophily() > 0.999);
        // More edges than pairs: the graph becomes complete.
        let g = planted_partition(6, 2, 100.0, 1.0, 1, 0.0, 1);
        assert_eq!(g.n_edges(), 15);
        // Ratio 0 with one class: no edge is allowed.
        let g = planted_partition(5, 1, 2.0, 0.0, 1, 0.0, 1);
        assert_eq!(g.n_edges(), 0);
        // Small graph: the split is clipped, not overlapping.
        let g = planted_partition(30, 3, 2.0, 2.0, 3, 0.1, 9);
        g.validate().unwrap();
        assert_eq!(g.train.len(), 30);
        assert!(g.val.is_empty() && g.test.is_empty());
        let g = planted_partition(100, 2, 2.0, 2.0, 3, 0.1, 9);
        assert_eq!((g.train.len(), g.val.len(), g.test.len()), (40, 60, 0));
    }

    #[test]
    fn features_follow_class_means() {
        // With no noise every node of a class has identical features.
        let g = planted_partition(50, 5, 2.0, 1.0, 4, 0.0, 3);
        for i in 0..g.n_nodes {
            for j in 0..g.n_nodes {
                let same = g.node_features(i) == g.node_features(j);
                assert_eq!(same, g.labels[i] == g.labels[j], "nodes {i}, {j}");
            }
        }
    }

    #[test]
    fn stratified_split_counts() {
        let labels: Vec<usize> = (0..34).map(|i| usize::from(i % 3 == 0)).collect();
        let s = stratified_split(&labels, 2, 4, 6, usize::MAX, 0);
        assert_eq!((s.train.len(), s.val.len(), s.test.len()), (8, 6, 20));
        assert_eq!(s.train.iter().filter(|&&i| labels[i] == 1).count(), 4);
        let mut all: Vec<usize> = s.train.iter().chain(&s.val).chain(&s.test).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..34).collect::<Vec<_>>());
        assert_eq!(s, stratified_split(&labels, 2, 4, 6, usize::MAX, 0));
        assert_ne!(s, stratified_split(&labels, 2, 4, 6, usize::MAX, 1));
    }
}
