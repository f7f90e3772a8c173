//! Every scheme and gradient method of the registries appears in `docs/choosing.md`.

#[test]
fn every_registry_entry_is_documented_in_choosing_md() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/choosing.md")).unwrap();
    let mut missing = vec![];
    for e in caputo::fde::scheme::registry() {
        if !doc.contains(&format!("`{}`", e.name)) {
            missing.push(e.name.to_string());
        }
    }
    for t in caputo::ode::tableau::registry() {
        if !doc.contains(&format!("`{}`", t.name())) {
            missing.push(t.name().to_string());
        }
    }
    for m in caputo::grad::Method::all() {
        if !doc.contains(&format!("`{}`", m.name())) {
            missing.push(m.name().to_string());
        }
    }
    assert!(missing.is_empty(), "not in docs/choosing.md: {missing:?}");
}

/// The support table of `docs/choosing.md`, rendered from `Method::supports`: one row per
/// solve (ODE, then every fractional scheme), one column per method; a cell lists the
/// histories the method supports (`all`, a list, or `—`).
fn support_table() -> String {
    use caputo::fde::{FdeSolve, History};
    use caputo::grad::{Method, SolveKind};
    let methods = Method::all();
    let mut s = format!(
        "| solve | {} |\n|---|{}\n",
        methods.iter().map(|m| format!("`{}`", m.name())).collect::<Vec<_>>().join(" | "),
        "---|".repeat(methods.len())
    );
    let cell = |ok: bool| if ok { "yes" } else { "—" };
    s += &format!(
        "| ODE (every tableau, fixed or adaptive) | {} |\n",
        methods.iter().map(|m| cell(m.supports(SolveKind::Ode).is_ok())).collect::<Vec<_>>().join(" | ")
    );
    let histories = [("dense", History::Dense), ("short", History::Short(8)), ("fast", History::Fast { tol: 1e-10 })];
    for e in caputo::fde::scheme::registry() {
        let scheme = e.scheme.with_alpha(0.5);
        let cells: Vec<String> = methods
            .iter()
            .map(|m| {
                let ok: Vec<&str> = histories
                    .iter()
                    .filter(|(_, h)| {
                        let opts = FdeSolve::new(0.5, &[0.0, 1.0], 8).with_scheme(scheme.clone()).with_history(*h);
                        opts.validate().is_ok() && m.supports(SolveKind::fde(&opts)).is_ok()
                    })
                    .map(|(n, _)| *n)
                    .collect();
                match ok.len() {
                    0 => "—".to_string(),
                    3 => "all".to_string(),
                    _ => ok.join(", "),
                }
            })
            .collect();
        s += &format!("| `{}` | {} |\n", e.name, cells.join(" | "));
    }
    s
}

#[test]
fn choosing_md_support_table_is_what_method_supports_says() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/choosing.md")).unwrap();
    let want = support_table();
    assert!(doc.contains(&want), "docs/choosing.md's support table is stale; Method::supports says:\n\n{want}");
}
