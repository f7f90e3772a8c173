//! Fractional relaxation `D^α y = −λ y`: every Caputo scheme against the Mittag-Leffler
//! solution `y(t) = y0 E_α(−λ t^α)`.
//!
//! `cargo run -p caputo --example relaxation`

use caputo::fde::{FdeSolve, History, scheme::registry, solve};
use caputo::problems::Relaxation;
use caputo::tensor::{from_vec, scalar};
use caputo::testkit::f64_device;

fn main() -> caputo::Result<()> {
    let dev = f64_device().inner();
    let (alpha, lambda, y0, t1) = (0.5, 1.0, 1.0, 1.0);
    let exact = Relaxation::exact(alpha, lambda, y0, t1);
    let field = Relaxation::new(lambda, &dev);
    println!("D^{alpha} y = -{lambda} y, y(0) = {y0}: y({t1}) = E_{alpha}(-1) = {exact:.12}");
    println!("{:<20} {:>8} {:>14} {:>10}", "scheme", "steps", "y(1)", "error");
    for e in registry().into_iter().filter(|e| !e.riemann_liouville && e.name != "multiterm") {
        for n in [64, 1024] {
            let sol = solve(
                &field,
                from_vec(vec![y0], [1], &dev),
                &FdeSolve::new(alpha, &[0.0, t1], n).with_scheme(e.scheme.clone()).with_history(History::Dense),
            )?;
            let y = scalar(sol.y[1].clone());
            println!("{:<20} {:>8} {:>14.10} {:>10.2e}", e.name, n, y, (y - exact).abs());
        }
    }
    Ok(())
}
