//! The library's modules form a one-way graph, and `docs/architecture.md` shows that graph as
//! the code has it.
//!
//! The graph is read from the source: module `a` depends on module `b` when a file of `a`
//! mentions `crate::b` (code or doc link). Top-level modules are the files and directories
//! directly under `src/`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a file belongs to (`fde/volterra.rs` → `fde`, `field.rs` → `field`).
fn module_of(file: &Path) -> String {
    let rel = file.strip_prefix(src_dir()).unwrap();
    let first = rel.components().next().unwrap().as_os_str().to_string_lossy().to_string();
    first.trim_end_matches(".rs").to_string()
}

/// The code of a file without its `#[cfg(test)]` module (unit tests may use anything).
fn non_test_code(text: &str) -> &str {
    match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    }
}

/// `module → modules it mentions as crate::X`.
fn dependency_graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = vec![];
    rust_files(&src_dir(), &mut files);
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(f)).filter(|m| m != "lib").collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = modules.iter().map(|m| (m.clone(), BTreeSet::new())).collect();
    for f in &files {
        let from = module_of(f);
        if from == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        for (i, _) in non_test_code(&text).match_indices("crate::") {
            let rest = &text[i + "crate::".len()..];
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if modules.contains(&name) && name != from {
                graph.get_mut(&from).unwrap().insert(name);
            }
        }
    }
    graph
}

/// The graph as `docs/architecture.md` lists it between its markers.
fn documented_graph() -> BTreeMap<String, BTreeSet<String>> {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/architecture.md")).unwrap();
    let a = doc.find("<!-- module-graph:begin -->").expect("docs/architecture.md has a module-graph block");
    let b = doc.find("<!-- module-graph:end -->").unwrap();
    let mut g = BTreeMap::new();
    for line in doc[a..b].lines() {
        // `- fde → cotangent, error, field`
        let Some(line) = line.strip_prefix("- `") else { continue };
        let (from, to) = line.split_once('`').unwrap();
        let deps = to.trim_start_matches(" →").trim().trim_start_matches("(none)");
        let deps: BTreeSet<String> =
            deps.split(',').map(|d| d.trim().trim_matches('`').to_string()).filter(|d| !d.is_empty()).collect();
        g.insert(from.to_string(), deps);
    }
    g
}

fn render(g: &BTreeMap<String, BTreeSet<String>>) -> String {
    g.iter()
        .map(|(m, deps)| {
            let list: Vec<String> = deps.iter().map(|d| format!("`{d}`")).collect();
            format!("- `{m}` → {}", if list.is_empty() { "(none)".to_string() } else { list.join(", ") })
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn schemes_never_import_gradient_methods() {
    let g = dependency_graph();
    for m in ["fde", "ode", "field", "solution", "cotangent", "times", "stats", "tensor", "special", "error"] {
        assert!(
            !g[m].contains("grad"),
            "`{m}` mentions crate::grad: gradient methods drive schemes, never the reverse"
        );
    }
    assert!(!g["fde"].contains("ode") && !g["ode"].contains("fde"), "fde and ode are siblings: {g:?}");
}

#[test]
fn the_module_graph_has_no_cycle() {
    let g = dependency_graph();
    // Kahn's algorithm: repeatedly remove modules whose dependencies are all removed.
    let mut left = g.clone();
    while !left.is_empty() {
        let ready: Vec<String> = left
            .iter()
            .filter(|(_, deps)| deps.iter().all(|d| !left.contains_key(d)))
            .map(|(m, _)| m.clone())
            .collect();
        assert!(!ready.is_empty(), "cycle among {:?}", left.keys().collect::<Vec<_>>());
        for m in ready {
            left.remove(&m);
        }
    }
}

#[test]
fn the_library_never_mentions_the_binary() {
    let mut files = vec![];
    rust_files(&src_dir(), &mut files);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(!text.contains("caputo_cli"), "{} mentions the CLI crate", f.display());
    }
}

#[test]
fn docs_architecture_md_shows_the_module_graph_of_the_code() {
    let (code, doc) = (dependency_graph(), documented_graph());
    assert!(code == doc, "docs/architecture.md's module graph is stale; the code has:\n{}\n", render(&code));
}
