//! Loss cotangents `∂L/∂y(t_k)` on a grid: checked once at a pullback's entry, then looked up
//! by grid index by the schemes' reverse sweeps (a leaf shared by the `fde`, `ode` and `grad`
//! modules).

use burn::tensor::Tensor;

use crate::error::{Error, Result};

/// The loss cotangents `∂L/∂y_n` by grid index, summed where output times coincide. Sparse:
/// memory grows with the number of outputs, not with the number of steps.
pub(crate) struct OnGrid<const D: usize>(std::collections::BTreeMap<usize, Tensor<D>>);

impl<const D: usize> OnGrid<D> {
    /// The cotangents `g` of the outputs at grid indices `out_idx`.
    pub(crate) fn new(out_idx: &[usize], g: &[Tensor<D>]) -> Self {
        let mut by_index = std::collections::BTreeMap::new();
        for (i, gk) in out_idx.iter().zip(g) {
            let sum = match by_index.remove(i) {
                Some(x) => x + gk.clone(),
                None => gk.clone(),
            };
            by_index.insert(*i, sum);
        }
        Self(by_index)
    }

    /// The cotangent at grid index `n`, if an output lies there.
    pub(crate) fn get(&self, n: usize) -> Option<&Tensor<D>> {
        self.0.get(&n)
    }
}

/// Checks that one cotangent per output time was given, each of the state's shape.
pub(crate) fn check_cotangents<const D: usize>(g: &[Tensor<D>], n_out: usize, dims: [usize; D]) -> Result<()> {
    if g.len() != n_out {
        return Err(Error::DimensionMismatch {
            what: "cotangents (one per output time)".into(),
            expected: n_out.to_string(),
            found: g.len().to_string(),
        });
    }
    for gk in g {
        if gk.dims() != dims {
            return Err(Error::DimensionMismatch {
                what: "cotangent shape".into(),
                expected: format!("{dims:?}"),
                found: format!("{:?}", gk.dims()),
            });
        }
    }
    Ok(())
}
