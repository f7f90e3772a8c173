//! Fractional differential equations `D^α y = f(t, y; θ)`, Caputo derivative, `0 < α ≤ 1`.

pub mod weights;
