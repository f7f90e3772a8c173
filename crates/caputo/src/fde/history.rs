//! The history sum `Σ_j w_{n,j} v_j` of a fractional scheme as one batched operation.
//!
//! Rows (flattened states, `[numel]`) are kept in blocks whose sizes are powers of
//! [`BLOCK`]: a full tail of `BLOCK` rows becomes one `[BLOCK, numel]` tensor, `BLOCK` blocks of
//! one level merge into one block of the next. A weighted sum is then one small matrix product
//! per block — `O(BLOCK · log_BLOCK n)` tensor operations per step instead of `n` — so the
//! `O(n·d)` arithmetic of a step runs as a few large kernels (on CPU and GPU alike), and the
//! same code runs on autodiff tensors for `Direct`, where a block is stored once in the graph
//! rather than once per step.

use burn::tensor::Tensor;

use crate::tensor::from_vec_like;

/// Rows per block at the first level (and the merge factor between levels).
pub const BLOCK: usize = 8;

/// Which part of the past a scheme remembers.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum History {
    /// The whole history (the scheme as written).
    #[default]
    Dense,
    /// Only the last `L` steps (Podlubny's short-memory principle): `O(N·L)` time; changes
    /// the model (see the scheme docs for the size of the dropped tail).
    Short(usize),
    /// Sum-of-exponentials compression of the far past with kernel accuracy `tol`: linear time
    /// and `N`-independent history memory.
    Fast {
        /// Relative accuracy of the kernel approximation.
        tol: f64,
    },
}

impl History {
    /// First history index that step `n` uses.
    pub fn first(&self, n: usize) -> usize {
        match self {
            History::Dense | History::Fast { .. } => 0,
            History::Short(l) => n.saturating_sub(*l),
        }
    }
}

/// Rows in contiguous blocks, oldest first.
#[derive(Debug, Clone, Default)]
pub struct RowStore {
    /// Full blocks, oldest first, with the index of their first row.
    blocks: Vec<(usize, Tensor<2>)>,
    tail: Vec<Tensor<1>>,
    len: usize,
}

impl RowStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of rows pushed.
    pub fn len(&self) -> usize {
        self.len
    }

    /// `true` when no row was pushed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends a row.
    pub fn push(&mut self, row: Tensor<1>) {
        self.tail.push(row);
        self.len += 1;
        if self.tail.len() == BLOCK {
            let start = self.len - BLOCK;
            let block: Tensor<2> = Tensor::stack(std::mem::take(&mut self.tail), 0);
            self.blocks.push((start, block));
            // Merge BLOCK equal-sized blocks into one of the next level.
            loop {
                let k = self.blocks.len();
                if k < BLOCK {
                    break;
                }
                let size = self.blocks[k - 1].1.dims()[0];
                if !self.blocks[k - BLOCK..].iter().all(|(_, b)| b.dims()[0] == size) {
                    break;
                }
                let merged: Vec<(usize, Tensor<2>)> = self.blocks.split_off(k - BLOCK);
                let start = merged[0].0;
                let cat = Tensor::cat(merged.into_iter().map(|(_, b)| b).collect(), 0);
                self.blocks.push((start, cat));
            }
        }
    }

    /// `Σ_{i} w[i] · row[start + i]` over `i < w.len()`; `None` when the range is empty or
    /// every weight is zero.
    pub fn weighted_sum(&self, start: usize, w: &[f64]) -> Option<Tensor<1>> {
        let end = start + w.len();
        debug_assert!(end <= self.len, "history sum past the last row; this is a bug");
        let mut acc: Option<Tensor<1>> = None;
        let mut add = |t: Tensor<1>| {
            acc = Some(match acc.take() {
                Some(a) => a + t,
                None => t,
            })
        };
        for (b0, block) in &self.blocks {
            let size = block.dims()[0];
            let (lo, hi) = ((*b0).max(start), (b0 + size).min(end));
            if lo >= hi {
                continue;
            }
            let mut wb = vec![0.0; size];
            wb[lo - b0..hi - b0].copy_from_slice(&w[lo - start..hi - start]);
            if wb.iter().all(|x| *x == 0.0) {
                continue;
            }
            let wt: Tensor<2> = from_vec_like(wb, [1, size], block);
            let numel = block.dims()[1];
            add(wt.matmul(block.clone()).reshape([numel]));
        }
        let t0 = self.len - self.tail.len();
        for (i, row) in self.tail.iter().enumerate() {
            let idx = t0 + i;
            if idx >= start && idx < end {
                let wi = w[idx - start];
                if wi != 0.0 {
                    add(row.clone().mul_scalar(wi));
                }
            }
        }
        acc
    }

    /// Bytes held by the stored rows.
    pub fn bytes(&self) -> usize {
        let b: usize = self.blocks.iter().map(|(_, b)| crate::tensor::bytes(b)).sum();
        b + self.tail.iter().map(crate::tensor::bytes).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::{from_vec, to_vec};
    use crate::testkit::f64_device;

    #[test]
    fn weighted_sum_matches_a_plain_loop_across_block_levels() {
        let dev = f64_device().inner();
        let mut store = RowStore::new();
        let rows: Vec<Vec<f64>> = (0..150).map(|i| vec![i as f64, (i * i) as f64 * 0.01, 1.0]).collect();
        for r in &rows {
            store.push(from_vec(r.clone(), [3], &dev));
        }
        for (start, len) in [(0, 150), (3, 100), (64, 70), (140, 10), (149, 1)] {
            let w: Vec<f64> = (0..len).map(|i| 1.0 / (1.0 + i as f64)).collect();
            let got = to_vec(store.weighted_sum(start, &w).unwrap());
            for c in 0..3 {
                let want: f64 = (0..len).map(|i| w[i] * rows[start + i][c]).sum();
                assert!((got[c] - want).abs() <= 1e-12 * want.abs().max(1.0), "start {start} len {len}: {} vs {want}", got[c]);
            }
        }
        assert!(store.weighted_sum(0, &[0.0; 5]).is_none());
    }
}
