//! The history sum `Σ_j w_{n,j} v_j` of a fractional scheme as one batched operation.
//!
//! Rows (flattened states, `[numel]`) are kept in blocks whose sizes are powers of
//! [`BLOCK`]: a full tail of `BLOCK` rows becomes one `[BLOCK, numel]` tensor, `BLOCK` blocks of
//! one level merge into one block of the next. A weighted sum is then one small matrix product
//! per block — `O(BLOCK · log_BLOCK n)` tensor operations per step instead of `n` — so the
//! `O(n·d)` arithmetic of a step runs as a few large kernels (on CPU and GPU alike), and the
//! same code runs on autodiff tensors for `Direct`, where a block is stored once in the graph
//! rather than once per step.

use crate::stats::breakdown::{self, Part};
use burn::tensor::{DType, Device, Tensor, TensorData};

use super::fast::{FastPlan, SoeAdjoint, SoeHistory};
use super::kernel::Kernel;
use crate::tensor::from_vec_like;

/// Rows per block at the first level (and the merge factor between levels).
pub const BLOCK: usize = 8;

/// Which part of the past a scheme remembers. Serialised as `"dense"`, `{"short": L}`,
/// `{"fast": {"tol": …}}`.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum History {
    /// The whole history (the scheme as written).
    #[default]
    Dense,
    /// Only the last `L` steps (Podlubny's short-memory principle): `O(N·L)` time; changes
    /// the model (see the scheme docs for the size of the dropped tail).
    Short(usize),
    /// Sum-of-exponentials compression of the far past with kernel accuracy `tol`: linear time
    /// and history memory independent of `N` up to a logarithm (see [`super::fast`]). The fast
    /// scheme is the forward map (it differs from the dense one by about `tol` relative);
    /// predictor, ABM and L1 (lagged and new point); other derivative-form schemes return
    /// [`crate::Error::Unsupported`]; no `∂L/∂α`.
    Fast {
        /// Relative accuracy of the kernel approximation, in `(0, 1)`.
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
///
/// Small plain (graph-free) rows on the CPU device are kept instead in one contiguous host buffer,
/// `[len × numel]` in the rows' own float type, and a weighted sum is one pass over it
/// accumulated in f64: on the CPU a step's sum is then one loop and two tensor
/// conversions instead of a matrix product per block (the `lv-mlp` FDE gradient spent 77 % of
/// its time in the block products' set-up). Rows on an autodiff device (`Direct`) or another
/// device keep the blocked tensors, so GPU histories stay on the GPU.
#[derive(Debug, Clone, Default)]
pub struct RowStore {
    /// Full blocks, oldest first, with the index of their first row.
    blocks: Vec<(usize, Tensor<2>)>,
    tail: Vec<Tensor<1>>,
    len: usize,
    /// The host buffer of plain CPU rows (then `blocks` and `tail` stay empty).
    host: Option<Box<HostRows>>,
}

/// The largest row (elements) kept in the host buffer. Larger rows (a `[128, 64]` state)
/// stay in blocked tensors: there a step's sum is bandwidth-bound and Burn's block products
/// (gemm) beat one axpy pass per row (`wide` FDE gradient, N = 1600: 11 s blocked, 30 s host).
const HOST_MAX_NUMEL: usize = 1024;

/// Plain CPU rows in one buffer (see [`RowStore`]).
#[derive(Debug, Clone)]
struct HostRows {
    numel: usize,
    device: Device,
    dtype: DType,
    data: HostData,
}

#[derive(Debug, Clone)]
enum HostData {
    F32(Vec<f32>),
    F64(Vec<f64>),
}

impl HostRows {
    /// A host buffer for rows like `row`, if it is a plain f32/f64 tensor on the CPU device.
    fn for_row(row: &Tensor<1>) -> Option<Self> {
        let device = row.device();
        if row.is_autodiff() || device != Device::flex() || row.dims()[0] > HOST_MAX_NUMEL {
            return None;
        }
        let data = match row.dtype() {
            DType::F32 => HostData::F32(vec![]),
            DType::F64 => HostData::F64(vec![]),
            _ => return None,
        };
        Some(Self { numel: row.dims()[0], device, dtype: row.dtype(), data })
    }

    fn push(&mut self, row: Tensor<1>) {
        debug_assert_eq!(row.dims()[0], self.numel, "rows of one history have one shape; this is a bug");
        let d = row.into_data();
        match &mut self.data {
            HostData::F32(v) => v.extend_from_slice(d.as_slice::<f32>().expect("dtype checked at the first row")),
            HostData::F64(v) => v.extend_from_slice(d.as_slice::<f64>().expect("dtype checked at the first row")),
        }
    }

    fn truncate(&mut self, len: usize) {
        match &mut self.data {
            HostData::F32(v) => v.truncate(len * self.numel),
            HostData::F64(v) => v.truncate(len * self.numel),
        }
    }

    fn bytes(&self) -> usize {
        match &self.data {
            HostData::F32(v) => v.len() * 4,
            HostData::F64(v) => v.len() * 8,
        }
    }

    /// `Σ_i w[i] · row[start + i]`, accumulated in f64, as a tensor of the rows' type.
    fn weighted_sum(&self, start: usize, w: &[f64]) -> Tensor<1> {
        fn sum<T: Copy + Into<f64>>(data: &[T], numel: usize, start: usize, w: &[f64]) -> Vec<f64> {
            let mut acc = vec![0.0f64; numel];
            for (wi, row) in w.iter().zip(data[start * numel..].chunks_exact(numel)) {
                if *wi != 0.0 {
                    for (a, x) in acc.iter_mut().zip(row) {
                        *a += wi * (*x).into();
                    }
                }
            }
            acc
        }
        let acc = match &self.data {
            HostData::F32(v) => sum(v, self.numel, start, w),
            HostData::F64(v) => sum(v, self.numel, start, w),
        };
        Tensor::from_data(TensorData::new(acc, [self.numel]), (&self.device, self.dtype))
    }
}

impl RowStore {
    /// An empty store.
    ///
    /// # Example
    /// ```
    /// use caputo::fde::history::RowStore;
    /// use caputo::tensor::{from_vec, to_vec};
    /// let dev = caputo::testkit::f64_device().inner();
    /// let mut rows = RowStore::new();
    /// for j in 0..20 {
    ///     rows.push(from_vec(vec![j as f64, 1.0], [2], &dev));
    /// }
    /// // Σ_{i<3} w_i · row[10 + i] with w = (1, 2, 3): one matmul per stored block.
    /// let s = to_vec(rows.weighted_sum(10, &[1.0, 2.0, 3.0]).unwrap());
    /// assert_eq!(s, vec![10.0 + 22.0 + 36.0, 6.0]);
    /// ```
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
        if self.len == 0 {
            self.host = HostRows::for_row(&row).map(Box::new);
        }
        if let Some(h) = &mut self.host {
            h.push(row);
            self.len += 1;
            return;
        }
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

    /// Drops every row from index `len` on, freeing their memory: whole blocks at once, and a
    /// block that straddles `len` is split into its sub-blocks (rows, at the first level),
    /// copied so the block's buffer is released. For a reverse sweep that consumes the rows
    /// newest first.
    ///
    /// # Example
    /// ```
    /// use caputo::fde::history::RowStore;
    /// use caputo::tensor::{from_vec, to_vec};
    /// let dev = caputo::testkit::f64_device().inner();
    /// let mut rows = RowStore::new();
    /// for j in 0..100 {
    ///     rows.push(from_vec(vec![j as f64], [1], &dev));
    /// }
    /// rows.truncate(37);
    /// assert_eq!(rows.len(), 37);
    /// assert_eq!(to_vec(rows.weighted_sum(30, &[1.0; 7]).unwrap()), vec![(30..37).sum::<i32>() as f64]);
    /// ```
    pub fn truncate(&mut self, len: usize) {
        if let Some(h) = &mut self.host {
            if len < self.len {
                h.truncate(len);
                self.len = len;
            }
            return;
        }
        while self.len > len {
            if self.tail.pop().is_some() {
                self.len -= 1;
                continue;
            }
            let (start, block) = self.blocks.pop().expect("rows beyond the tail are in blocks; this is a bug");
            if start >= len {
                self.len = start;
                continue;
            }
            // Split the straddling block into sub-blocks (or rows) up to the one holding `len − 1`.
            let [size, numel] = block.dims();
            let sub = (size / BLOCK).max(1);
            let keep = (len - start).div_ceil(sub) * sub;
            let copy = |t: Tensor<2>| Tensor::<2>::from_data(t.to_data(), (&block.device(), block.dtype()));
            if sub == 1 {
                for i in 0..keep {
                    self.tail.push(copy(block.clone().narrow(0, i, 1)).reshape([numel]));
                }
            } else {
                for k in (0..keep).step_by(sub) {
                    self.blocks.push((start + k, copy(block.clone().narrow(0, k, sub))));
                }
            }
            self.len = start + keep;
        }
    }

    /// `Σ_{i} w[i] · row[start + i]` over `i < w.len()`; `None` when the range is empty or
    /// every weight is zero.
    pub fn weighted_sum(&self, start: usize, w: &[f64]) -> Option<Tensor<1>> {
        let end = start + w.len();
        debug_assert!(end <= self.len, "history sum past the last row; this is a bug");
        if let Some(h) = &self.host {
            return (start < end && w.iter().any(|x| *x != 0.0)).then(|| h.weighted_sum(start, w));
        }
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
        if let Some(h) = &self.host {
            return h.bytes();
        }
        let b: usize = self.blocks.iter().map(|(_, b)| crate::tensor::bytes(b)).sum();
        b + self.tail.iter().map(crate::tensor::bytes).sum::<usize>()
    }
}

/// The history sums of the Volterra-form schemes, `Σ_{j<n} B(n,j) f_j` (predictor) and
/// `Σ_{j<n} A(n,j) f_j` (corrector), for the row `n` = rows pushed so far: every stored row
/// with the kernels' weights (dense, short memory) or the exact window plus SOE modes (fast).
#[derive(Debug, Clone)]
pub(crate) enum HistorySum<'k> {
    /// All rows, weighted by the kernels (from [`History::first`] on).
    Dense { rows: RowStore, b: &'k Kernel<f64>, a: Option<&'k Kernel<f64>>, history: History },
    /// Exact window and sum-of-exponentials modes.
    Fast(Box<SoeHistory>),
}

impl<'k> HistorySum<'k> {
    /// The history of a solve with `n_steps` steps of size `h`, order `alpha`.
    pub(crate) fn new(
        history: History,
        alpha: f64,
        h: f64,
        n_steps: usize,
        b: &'k Kernel<f64>,
        a: Option<&'k Kernel<f64>>,
    ) -> Self {
        match history {
            History::Fast { tol } => {
                HistorySum::Fast(Box::new(SoeHistory::new(FastPlan::new(alpha, h, n_steps, tol, b, a))))
            }
            _ => HistorySum::Dense { rows: RowStore::new(), b, a, history },
        }
    }

    /// Appends the next row `f_n`.
    pub(crate) fn push(&mut self, row: Tensor<1>) {
        breakdown::time(Part::History, || match self {
            HistorySum::Dense { rows, .. } => rows.push(row),
            HistorySum::Fast(s) => s.push(row),
        })
    }

    /// `Σ_{j<n} B(n,j) f_j`; `None` when nothing contributes.
    pub(crate) fn sum_b(&self) -> Option<Tensor<1>> {
        breakdown::time(Part::History, || match self {
            HistorySum::Dense { rows, b, history, .. } => {
                let (n, lo) = (rows.len(), history.first(rows.len()));
                rows.weighted_sum(lo, &b.row(n, lo))
            }
            HistorySum::Fast(s) => s.sum_b(),
        })
    }

    /// `Σ_{j<n} A(n,j) f_j` (the corrector kernel; `None` for the predictor).
    pub(crate) fn sum_a(&self) -> Option<Tensor<1>> {
        breakdown::time(Part::History, || match self {
            HistorySum::Dense { rows, a, history, .. } => {
                let (n, lo) = (rows.len(), history.first(rows.len()));
                a.and_then(|a| rows.weighted_sum(lo, &a.row(n, lo)))
            }
            HistorySum::Fast(s) => s.sum_a(),
        })
    }

    /// A copy of the fast history's state (modes and window), `None` for dense history.
    /// Cheap: tensors are shared until the live history replaces them.
    pub(crate) fn snapshot(&self) -> Option<SoeHistory> {
        match self {
            HistorySum::Fast(s) => Some((**s).clone()),
            HistorySum::Dense { .. } => None,
        }
    }

    /// Bytes of history held.
    pub(crate) fn bytes(&self) -> usize {
        match self {
            HistorySum::Dense { rows, .. } => rows.bytes(),
            HistorySum::Fast(s) => s.bytes(),
        }
    }
}

/// The transpose of [`HistorySum`] for the reverse sweep: the anti-causal sums
/// `f̄_j = Σ_{m>j} B(m,j) p̄_m + A(m,j) S̄_m` over the rows pushed so far (`m = N, N−1, …`), and
/// for dense history the same sums with the α-derivatives of the weights.
#[derive(Debug, Clone)]
pub(crate) enum HistoryTranspose<'k> {
    /// All rows, weighted by the kernels' columns; `(value, ∂/∂α)` kernel pairs.
    Dense {
        p: RowStore,
        s: RowStore,
        b: (&'k Kernel<f64>, &'k Kernel<f64>),
        a: Option<(&'k Kernel<f64>, &'k Kernel<f64>)>,
        history: History,
        n_steps: usize,
    },
    /// Exact window and the sum-of-exponentials modes run backward in time.
    Fast(Box<SoeAdjoint>),
}

impl<'k> HistoryTranspose<'k> {
    /// The reverse sums for the kernels `b` (and `a`), each with its α-derivative.
    pub(crate) fn new(
        history: History,
        alpha: f64,
        h: f64,
        n_steps: usize,
        b: (&'k Kernel<f64>, &'k Kernel<f64>),
        a: Option<(&'k Kernel<f64>, &'k Kernel<f64>)>,
    ) -> Self {
        match history {
            History::Fast { tol } => {
                let plan = FastPlan::new(alpha, h, n_steps, tol, b.0, a.map(|a| a.0));
                HistoryTranspose::Fast(Box::new(SoeAdjoint::new(plan, n_steps)))
            }
            _ => HistoryTranspose::Dense { p: RowStore::new(), s: RowStore::new(), b, a, history, n_steps },
        }
    }

    /// `true` when [`Self::sum`] also returns the α-derivative sums.
    pub(crate) fn has_alpha(&self) -> bool {
        matches!(self, HistoryTranspose::Dense { .. })
    }

    /// Appends `(p̄_m, S̄_m)` (`S̄` only with a corrector).
    pub(crate) fn push(&mut self, p_bar: Tensor<1>, s_bar: Option<Tensor<1>>) {
        breakdown::time(Part::History, || self.push_untimed(p_bar, s_bar))
    }

    fn push_untimed(&mut self, p_bar: Tensor<1>, s_bar: Option<Tensor<1>>) {
        match self {
            HistoryTranspose::Dense { p, s, .. } => {
                p.push(p_bar);
                if let Some(x) = s_bar {
                    s.push(x);
                }
            }
            HistoryTranspose::Fast(f) => f.push(p_bar, s_bar),
        }
    }

    /// `(f̄_j, ∂f̄_j/∂α-weighted sum)` for the column `j = N − rows pushed`; the second is `None`
    /// for fast history.
    pub(crate) fn sum(&self, j: usize) -> (Option<Tensor<1>>, Option<Tensor<1>>) {
        breakdown::time(Part::History, || self.sum_untimed(j))
    }

    fn sum_untimed(&self, j: usize) -> (Option<Tensor<1>>, Option<Tensor<1>>) {
        match self {
            HistoryTranspose::Dense { p, s, b, a, history, n_steps } => {
                // Rows m > j that use column j: m ≤ j + L under short memory.
                let hi = match history {
                    History::Short(l) => (j + l).min(*n_steps),
                    _ => *n_steps,
                };
                let start = n_steps - hi; // push index of row `hi`
                let conv = |store: &RowStore, k: &Kernel<f64>| store.weighted_sum(start, &k.col_rev(j, hi));
                let plus = |x: Option<Tensor<1>>, y: Option<Tensor<1>>| match (x, y) {
                    (Some(x), Some(y)) => Some(x + y),
                    (x, y) => x.or(y),
                };
                let mut value = conv(p, b.0);
                let mut dalpha = conv(p, b.1);
                if let Some((av, ad)) = a {
                    value = plus(value, conv(s, av));
                    dalpha = plus(dalpha, conv(s, ad));
                }
                (value, dalpha)
            }
            HistoryTranspose::Fast(f) => (f.sum(j), None),
        }
    }

    /// Bytes held by the reverse rows (or modes).
    pub(crate) fn bytes(&self) -> usize {
        match self {
            HistoryTranspose::Dense { p, s, .. } => p.bytes() + s.bytes(),
            HistoryTranspose::Fast(f) => f.bytes(),
        }
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
                assert!(
                    (got[c] - want).abs() <= 1e-12 * want.abs().max(1.0),
                    "start {start} len {len}: {} vs {want}",
                    got[c]
                );
            }
        }
        assert!(store.weighted_sum(0, &[0.0; 5]).is_none());
    }

    #[test]
    fn truncate_keeps_the_leading_rows_exact_and_releases_the_rest() {
        let dev = f64_device().inner();
        let rows: Vec<Vec<f64>> = (0..600).map(|i| vec![i as f64, (i % 7) as f64]).collect();
        let mut store = RowStore::new();
        for r in &rows {
            store.push(from_vec(r.clone(), [2], &dev));
        }
        let mut last_bytes = store.bytes();
        // Newest first, as the reverse sweep consumes them, across every block level.
        for len in [599, 512, 511, 300, 64, 63, 9, 8, 7, 1, 0] {
            store.truncate(len);
            assert_eq!(store.len(), len);
            assert!(store.bytes() <= last_bytes, "len {len}: the store grew");
            last_bytes = store.bytes();
            if len > 0 {
                let w: Vec<f64> = (0..len).map(|i| 1.0 + i as f64 * 1e-3).collect();
                let got = to_vec(store.weighted_sum(0, &w).unwrap());
                for c in 0..2 {
                    let want: f64 = (0..len).map(|i| w[i] * rows[i][c]).sum();
                    assert!((got[c] - want).abs() <= 1e-12 * want.abs().max(1.0), "len {len}: {} vs {want}", got[c]);
                }
            }
        }
        assert_eq!(store.bytes(), 0);
    }

    #[test]
    fn host_rows_equal_the_blocked_tensor_rows_and_truncate_alike() {
        // Plain CPU rows take the host buffer; the same rows on the autodiff device take the
        // blocked tensors. Sums over every range agree to rounding, before and after truncation.
        let dev = crate::testkit::f64_device();
        let plain = dev.clone().inner();
        let (mut host, mut blocked) = (RowStore::new(), RowStore::new());
        for j in 0..150 {
            let v: Vec<f64> = (0..3).map(|k| ((j * 7 + k * 3) % 11) as f64 - 5.0 + 0.1 * j as f64).collect();
            host.push(crate::tensor::from_vec(v.clone(), [3], &plain));
            blocked.push(crate::tensor::from_vec(v, [3], &dev));
        }
        assert!(host.host.is_some() && blocked.host.is_none());
        let check = |host: &RowStore, blocked: &RowStore| {
            for (start, len) in [(0, 150), (3, 70), (64, 65), (149, 1), (10, 0)] {
                if start > host.len() {
                    continue;
                }
                let len = len.min(host.len() - start);
                let w: Vec<f64> = (0..len).map(|i| 1.0 / (1.0 + i as f64)).collect();
                let (a, b) = (host.weighted_sum(start, &w), blocked.weighted_sum(start, &w));
                match (a, b) {
                    (None, None) => {}
                    (Some(a), Some(b)) => {
                        let (a, b) = (crate::tensor::to_vec(a), crate::tensor::to_vec(b.inner()));
                        assert!(crate::testkit::max_rel_diff(&a, &b) < 1e-14, "{start}+{len}: {a:?} vs {b:?}");
                    }
                    (a, b) => panic!("{start}+{len}: {a:?} vs {b:?}"),
                }
            }
        };
        check(&host, &blocked);
        host.truncate(77);
        blocked.truncate(77);
        assert_eq!((host.len(), host.bytes()), (77, 77 * 3 * 8));
        check(&host, &blocked);
    }
}
