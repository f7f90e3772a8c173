//! Dataset readers and generators for the command-line tool.
//!
//! Everything is read into one of two in-memory formats:
//!
//! * [`ImageSet`] — grey-scale images with class labels (MNIST as IDX files
//!   via [`idx`], or as CSV via [`mnist_csv`], including the 5,000-digit
//!   sample shipped in `data/mnist_5k.csv.gz`);
//! * [`GraphData`] — a node-classification graph (Planetoid pickles via
//!   [`planetoid`], a documented CSV directory via [`graph_csv`], Zachary's
//!   karate club via [`mod@karate`], and synthetic planted-partition graphs via
//!   [`planted`]).
//!
//! Nothing here touches the network: every reader works on local files, and
//! the small bundled datasets are described in `data/README.md`.

// This module is a library inside the `caputo` binary: each command uses
// only some of the readers, and rustc counts the rest of this public API as
// dead code (and its re-exports unused imports) in a binary crate. All of
// it is exercised by the unit tests.
#![allow(dead_code, unused_imports)]

pub mod error;
pub mod graph_csv;
pub mod idx;
pub mod karate;
pub mod mnist_csv;
pub mod planetoid;
pub mod planted;

pub use error::DataError;
pub use graph_csv::{GraphCsvText, load_graph_csv, parse_graph_csv, write_graph_csv};
pub use idx::{load_idx_dir, read_idx_pair, write_idx_pair};
pub use karate::{KARATE_CLUBS, karate, karate_with_split};
pub use mnist_csv::{
    DEFAULT_N_TRAIN, DEFAULT_SPLIT_SEED, LabelColumn, bundled_mnist_5k_path, read_mnist_csv, read_mnist_csv_with,
    split_train_test,
};
pub use planetoid::load_planetoid;
pub use planted::{Split, cora_like, planted_partition, stratified_split};

use std::io::Read;
use std::path::Path;

use rand::RngCore;
use rand_chacha::ChaCha8Rng;

/// A set of grey-scale images with one class label each.
///
/// Images are stored contiguously, image after image, each row-major
/// (`rows × cols`), with pixel intensities scaled from `0..=255` to
/// `[0, 1]` (`value / 255`).
#[derive(Debug, Clone, PartialEq)]
pub struct ImageSet {
    /// `n × rows × cols` pixel intensities in `[0, 1]`, image-major then
    /// row-major.
    pub images: Vec<f32>,
    /// One class label per image (`0..=9` for MNIST).
    pub labels: Vec<u8>,
    /// Number of images.
    pub n: usize,
    /// Image height in pixels.
    pub rows: usize,
    /// Image width in pixels.
    pub cols: usize,
}

impl ImageSet {
    /// Number of pixels in one image (`rows × cols`).
    pub fn pixels(&self) -> usize {
        self.rows * self.cols
    }

    /// The pixels of image `i`, row-major.
    ///
    /// # Panics
    /// If `i >= self.n`.
    pub fn image(&self, i: usize) -> &[f32] {
        let p = self.pixels();
        &self.images[i * p..(i + 1) * p]
    }

    /// A new set holding the images at `indices`, in that order.
    ///
    /// # Panics
    /// If an index is `>= self.n`.
    pub fn subset(&self, indices: &[usize]) -> ImageSet {
        let p = self.pixels();
        let mut images = Vec::with_capacity(indices.len() * p);
        let mut labels = Vec::with_capacity(indices.len());
        for &i in indices {
            images.extend_from_slice(self.image(i));
            labels.push(self.labels[i]);
        }
        ImageSet { images, labels, n: indices.len(), rows: self.rows, cols: self.cols }
    }
}

/// A graph for semi-supervised node classification.
///
/// Edges are undirected and **each is stored once**, as `(u, v)` with
/// `u < v`, sorted ascending; there are no self loops and no duplicates
/// (every reader drops self loops and merges repeated edges, as Kipf &
/// Welling's and PyTorch Geometric's Planetoid loaders do). Use
/// [`GraphData::directed_edges`] for the list with both directions.
///
/// `train`, `val` and `test` are disjoint lists of node indices, sorted
/// ascending; nodes in none of them are unlabelled for training purposes
/// (their entry in `labels` is still present but should not be used).
#[derive(Debug, Clone, PartialEq)]
pub struct GraphData {
    /// Number of nodes; node ids are `0..n_nodes`.
    pub n_nodes: usize,
    /// `n_nodes × n_features` node features, row-major.
    pub features: Vec<f32>,
    /// Number of features per node.
    pub n_features: usize,
    /// Class of each node, in `0..n_classes`.
    pub labels: Vec<usize>,
    /// Number of classes.
    pub n_classes: usize,
    /// Undirected edges, each once as `(u, v)` with `u < v`, sorted.
    pub edges: Vec<(usize, usize)>,
    /// Training node indices, sorted.
    pub train: Vec<usize>,
    /// Validation node indices, sorted.
    pub val: Vec<usize>,
    /// Test node indices, sorted.
    pub test: Vec<usize>,
}

impl GraphData {
    /// Number of undirected edges.
    pub fn n_edges(&self) -> usize {
        self.edges.len()
    }

    /// The features of node `i`.
    ///
    /// # Panics
    /// If `i >= self.n_nodes`.
    pub fn node_features(&self, i: usize) -> &[f32] {
        &self.features[i * self.n_features..(i + 1) * self.n_features]
    }

    /// Every edge in both directions (`2 × n_edges` entries), the form most
    /// message-passing code wants.
    pub fn directed_edges(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::with_capacity(2 * self.edges.len());
        for &(u, v) in &self.edges {
            out.push((u, v));
            out.push((v, u));
        }
        out
    }

    /// Node degrees (self loops are never present, so no special case).
    pub fn degrees(&self) -> Vec<usize> {
        let mut deg = vec![0; self.n_nodes];
        for &(u, v) in &self.edges {
            deg[u] += 1;
            deg[v] += 1;
        }
        deg
    }

    /// Fraction of edges joining two nodes of the same class (edge
    /// homophily); `0.0` for a graph without edges.
    pub fn edge_homophily(&self) -> f64 {
        if self.edges.is_empty() {
            return 0.0;
        }
        let same = self.edges.iter().filter(|&&(u, v)| self.labels[u] == self.labels[v]).count();
        same as f64 / self.edges.len() as f64
    }

    /// Checks every documented invariant: array sizes, labels in range,
    /// edges canonical (`u < v`, sorted, unique, in range), splits sorted,
    /// disjoint and in range.
    pub fn validate(&self) -> Result<(), DataError> {
        let sizes = |what: &str, expected: usize, found: usize| {
            if expected == found {
                Ok(())
            } else {
                Err(DataError::InconsistentSizes { what: what.to_string(), expected, found })
            }
        };
        sizes("feature values (n_nodes × n_features)", self.n_nodes * self.n_features, self.features.len())?;
        sizes("labels (one per node)", self.n_nodes, self.labels.len())?;
        if let Some(&bad) = self.labels.iter().find(|&&l| l >= self.n_classes) {
            return Err(DataError::InconsistentSizes {
                what: "largest label + 1 vs n_classes".to_string(),
                expected: self.n_classes,
                found: bad + 1,
            });
        }
        for w in self.edges.windows(2) {
            if w[0] >= w[1] {
                return Err(DataError::InconsistentSizes {
                    what: format!("edges not sorted and unique at {:?}, {:?}", w[0], w[1]),
                    expected: 0,
                    found: 1,
                });
            }
        }
        for &(u, v) in &self.edges {
            if u >= v || v >= self.n_nodes {
                return Err(DataError::InconsistentSizes {
                    what: format!("edge ({u}, {v}) must have u < v < n_nodes"),
                    expected: self.n_nodes,
                    found: v + 1,
                });
            }
        }
        let mut seen = vec![false; self.n_nodes];
        for (name, split) in [("train", &self.train), ("val", &self.val), ("test", &self.test)] {
            for w in split.windows(2) {
                if w[0] >= w[1] {
                    return Err(DataError::InconsistentSizes {
                        what: format!("{name} split not sorted and unique at node {}", w[1]),
                        expected: 0,
                        found: 1,
                    });
                }
            }
            for &i in split.iter() {
                if i >= self.n_nodes {
                    return Err(DataError::InconsistentSizes {
                        what: format!("{name} split node id + 1 vs n_nodes"),
                        expected: self.n_nodes,
                        found: i + 1,
                    });
                }
                if std::mem::replace(&mut seen[i], true) {
                    return Err(DataError::InconsistentSizes {
                        what: format!("node {i} is in more than one split (again in {name})"),
                        expected: 1,
                        found: 2,
                    });
                }
            }
        }
        Ok(())
    }
}

/// Canonicalises an edge list: drops self loops, orients each edge as
/// `(min, max)`, sorts, and removes duplicates.
pub(crate) fn canonical_edges(edges: impl IntoIterator<Item = (usize, usize)>) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> =
        edges.into_iter().filter(|&(u, v)| u != v).map(|(u, v)| if u < v { (u, v) } else { (v, u) }).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Reads a whole file, transparently gunzipping it when it starts with the
/// gzip magic bytes `1f 8b` (detected by content, not by extension, so a
/// renamed file still works).
pub(crate) fn read_maybe_gz(path: &Path) -> Result<Vec<u8>, DataError> {
    let raw = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..]).read_to_end(&mut out).map_err(|e| DataError::io(path, e))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// Fisher–Yates shuffle driven only by `ChaCha8Rng::next_u64`.
///
/// Written out rather than using `rand::seq::SliceRandom` because ChaCha's
/// output stream is value-stable across releases while `rand`'s sampling
/// helpers are allowed to change between minor versions; the shipped karate
/// split and the documented MNIST split must stay reproducible. The modulo
/// bias is below `n / 2^64`, i.e. negligible.
pub(crate) fn shuffle<T>(items: &mut [T], rng: &mut ChaCha8Rng) {
    for i in (1..items.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

/// A uniform draw in `[0, 1)` with 53 random bits (value-stable, see
/// [`shuffle`]).
pub(crate) fn uniform01(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A uniform integer in `0..n` (`n > 0`), value-stable (see [`shuffle`]).
pub(crate) fn below(rng: &mut ChaCha8Rng, n: usize) -> usize {
    (rng.next_u64() % n as u64) as usize
}

/// A standard normal draw by the Box–Muller transform (value-stable, see
/// [`shuffle`]; one of the pair is discarded for simplicity).
pub(crate) fn standard_normal(rng: &mut ChaCha8Rng) -> f64 {
    // 1 - u lies in (0, 1], so the logarithm is finite.
    let u1 = 1.0 - uniform01(rng);
    let u2 = uniform01(rng);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A fresh, empty directory under the system temp dir for one test.
#[cfg(test)]
pub(crate) fn test_dir(tag: &str) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    // A counter as well as the pid, because tests run in parallel threads.
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("caputo_data_{}_{tag}_{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create test dir");
    dir
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn canonical_edges_drops_loops_and_duplicates() {
        let e = canonical_edges([(2, 1), (1, 2), (3, 3), (0, 4), (4, 0), (1, 2)]);
        assert_eq!(e, vec![(0, 4), (1, 2)]);
    }

    #[test]
    fn shuffle_is_a_seeded_permutation() {
        let mut a: Vec<usize> = (0..100).collect();
        let mut b = a.clone();
        shuffle(&mut a, &mut ChaCha8Rng::seed_from_u64(7));
        shuffle(&mut b, &mut ChaCha8Rng::seed_from_u64(7));
        assert_eq!(a, b);
        assert_ne!(a, (0..100).collect::<Vec<_>>());
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn standard_normal_has_unit_moments() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let n = 20_000;
        let xs: Vec<f64> = (0..n).map(|_| standard_normal(&mut rng)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((var - 1.0).abs() < 0.05, "var {var}");
    }

    #[test]
    fn read_maybe_gz_detects_by_content() {
        use std::io::Write;
        let dir = test_dir("gz");
        let p = dir.join("plain.gz"); // misleading extension on purpose
        std::fs::write(&p, b"hello").unwrap();
        assert_eq!(read_maybe_gz(&p).unwrap(), b"hello");
        let q = dir.join("zipped.txt");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(b"world").unwrap();
        std::fs::write(&q, enc.finish().unwrap()).unwrap();
        assert_eq!(read_maybe_gz(&q).unwrap(), b"world");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
