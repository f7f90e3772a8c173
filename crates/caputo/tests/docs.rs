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
