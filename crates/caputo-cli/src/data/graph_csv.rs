//! A plain CSV directory format for node-classification graphs.
//!
//! A dataset is a directory with four comma-separated files, each starting
//! with the header line shown (header names are checked, case-insensitive):
//!
//! | file | header | one row per | meaning |
//! | --- | --- | --- | --- |
//! | `features.csv` | `node,f1,…,fk` | node | `k ≥ 1` feature values (any names after `node`) |
//! | `labels.csv` | `node,label` | node | class index, an integer in `0..n_nodes` |
//! | `split.csv` | `node,split` | node in a split | `train`, `val` or `test` |
//! | `edges.csv` | `src,dst` | edge | an undirected edge |
//!
//! Rules:
//!
//! * node ids are integers `0..n_nodes`, where `n_nodes` is the number of
//!   rows of `features.csv`, which must list every node exactly once (in any
//!   order);
//! * `labels.csv` must label every node exactly once; the number of classes
//!   is the largest label + 1;
//! * `split.csv` lists each node at most once; nodes not listed belong to no
//!   split;
//! * `edges.csv` rows are undirected: `a,b` and `b,a` are the same edge, so
//!   listing both directions is fine; duplicates are merged and self loops
//!   dropped (see [`GraphData`]); a header-only file is a graph without
//!   edges;
//! * fields may have surrounding spaces; blank lines are skipped; `\r\n`
//!   line endings and a UTF-8 byte-order mark are accepted; there is no
//!   quoting (no field contains a comma).
//!
//! Errors name the file and the 1-based line and column (field number):
//! [`DataError::Parse`] for malformed rows, duplicates and bad headers,
//! [`DataError::NodeOutOfRange`] for ids `>= n_nodes`,
//! [`DataError::BadLabel`] for a label outside `0..n_nodes`,
//! [`DataError::InconsistentSizes`] for unlabelled nodes, and
//! [`DataError::Empty`] for a file without a header or a `features.csv`
//! without rows.
//!
//! Zachary's karate club (`data/karate/`, loaded by
//! [`karate`](super::karate::karate)) is an example of the format.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::{DataError, GraphData, canonical_edges};

/// The texts of the four files of a graph CSV dataset.
#[derive(Debug, Clone, Copy)]
pub struct GraphCsvText<'a> {
    /// Content of `edges.csv`.
    pub edges: &'a str,
    /// Content of `features.csv`.
    pub features: &'a str,
    /// Content of `labels.csv`.
    pub labels: &'a str,
    /// Content of `split.csv`.
    pub split: &'a str,
}

/// Loads a graph from a directory in the format described in the module
/// docs.
pub fn load_graph_csv(dir: &Path) -> Result<GraphData, DataError> {
    let read = |name: &str| {
        let p = dir.join(name);
        std::fs::read_to_string(&p).map_err(|e| DataError::io(p, e))
    };
    let (edges, features, labels, split) =
        (read("edges.csv")?, read("features.csv")?, read("labels.csv")?, read("split.csv")?);
    parse_graph_csv(dir, GraphCsvText { edges: &edges, features: &features, labels: &labels, split: &split })
}

/// Parses the four files of a graph CSV dataset from memory; `dir` is only
/// used to name the files in errors. See the module docs for the format.
pub fn parse_graph_csv(dir: &Path, text: GraphCsvText<'_>) -> Result<GraphData, DataError> {
    let features_path = dir.join("features.csv");
    let labels_path = dir.join("labels.csv");
    let split_path = dir.join("split.csv");
    let edges_path = dir.join("edges.csv");

    let (header, rows) = table(&features_path, text.features, &["node"], true)?;
    let n_features = header.len() - 1;
    let n_nodes = rows.len();
    if n_nodes == 0 {
        return Err(DataError::Empty { path: features_path });
    }
    let mut features = vec![0.0f32; n_nodes * n_features];
    let mut seen = NodeSet::new(&features_path, n_nodes);
    for row in &rows {
        let node = seen.claim(row)?;
        for (k, field) in row.fields[1..].iter().enumerate() {
            let v: f32 = field.parse().ok().filter(|v: &f32| v.is_finite()).ok_or_else(|| {
                DataError::parse(&features_path, row.line, k + 2, format!("feature `{field}` is not a finite number"))
            })?;
            features[node * n_features + k] = v;
        }
    }

    let (_, rows) = table(&labels_path, text.labels, &["node", "label"], false)?;
    let mut labels = vec![0usize; n_nodes];
    let mut seen = NodeSet::new(&labels_path, n_nodes);
    for row in &rows {
        let node = seen.claim(row)?;
        let field = row.fields[1];
        let label: i64 = field
            .parse()
            .map_err(|_| DataError::parse(&labels_path, row.line, 2, format!("label `{field}` is not an integer")))?;
        // More classes than nodes can only be a mistake (e.g. a node id in
        // the label column), and would make n_classes absurdly large.
        if label < 0 || label as u64 >= n_nodes as u64 {
            return Err(DataError::BadLabel {
                path: labels_path,
                line: row.line,
                label: field.to_string(),
                n_classes: n_nodes,
            });
        }
        labels[node] = label as usize;
    }
    if seen.count != n_nodes {
        return Err(DataError::InconsistentSizes {
            what: format!("nodes labelled in {} vs rows of {}", labels_path.display(), features_path.display()),
            expected: n_nodes,
            found: seen.count,
        });
    }
    let n_classes = labels.iter().max().map_or(0, |&m| m + 1);

    let (_, rows) = table(&split_path, text.split, &["node", "split"], false)?;
    let (mut train, mut val, mut test) = (Vec::new(), Vec::new(), Vec::new());
    let mut seen = NodeSet::new(&split_path, n_nodes);
    for row in &rows {
        let node = seen.claim(row)?;
        match row.fields[1].to_ascii_lowercase().as_str() {
            "train" => train.push(node),
            "val" => val.push(node),
            "test" => test.push(node),
            other => {
                return Err(DataError::parse(
                    &split_path,
                    row.line,
                    2,
                    format!("unknown split `{other}` (expected train, val or test)"),
                ));
            }
        }
    }
    for s in [&mut train, &mut val, &mut test] {
        s.sort_unstable();
    }

    let (_, rows) = table(&edges_path, text.edges, &["src", "dst"], false)?;
    let mut raw = Vec::with_capacity(rows.len());
    for row in &rows {
        let u = node_id(&edges_path, row, 0, n_nodes)?;
        let v = node_id(&edges_path, row, 1, n_nodes)?;
        raw.push((u, v));
    }

    let data =
        GraphData { n_nodes, features, n_features, labels, n_classes, edges: canonical_edges(raw), train, val, test };
    debug_assert!(data.validate().is_ok());
    Ok(data)
}

/// Writes `data` as a graph CSV directory (creating `dir` if needed), the
/// inverse of [`load_graph_csv`]: features are written in Rust's shortest
/// round-trip form, so loading the directory gives back `data` exactly
/// (provided `data` satisfies [`GraphData::validate`]). Features are named
/// `f1..fk`; edges are written once each, as stored.
pub fn write_graph_csv(dir: &Path, data: &GraphData) -> Result<(), DataError> {
    std::fs::create_dir_all(dir).map_err(|e| DataError::io(dir, e))?;
    let mut f = String::from("node");
    for k in 1..=data.n_features {
        let _ = write!(f, ",f{k}");
    }
    f.push('\n');
    for i in 0..data.n_nodes {
        let _ = write!(f, "{i}");
        for v in data.node_features(i) {
            let _ = write!(f, ",{v}");
        }
        f.push('\n');
    }
    let mut l = String::from("node,label\n");
    for (i, c) in data.labels.iter().enumerate() {
        let _ = writeln!(l, "{i},{c}");
    }
    let mut s = String::from("node,split\n");
    for (name, nodes) in [("train", &data.train), ("val", &data.val), ("test", &data.test)] {
        for i in nodes.iter() {
            let _ = writeln!(s, "{i},{name}");
        }
    }
    let mut e = String::from("src,dst\n");
    for (u, v) in &data.edges {
        let _ = writeln!(e, "{u},{v}");
    }
    for (name, text) in [("features.csv", f), ("labels.csv", l), ("split.csv", s), ("edges.csv", e)] {
        let p = dir.join(name);
        std::fs::write(&p, text).map_err(|e| DataError::io(p, e))?;
    }
    Ok(())
}

/// One data row: its 1-based line number and trimmed fields.
struct Row<'a> {
    line: usize,
    fields: Vec<&'a str>,
}

/// Splits a CSV text into its header and rows, checking the header: its
/// first names must be `expected` (case-insensitive); with `open_ended`
/// more columns may follow (at least one), otherwise there must be exactly
/// `expected.len()`. Every row must have as many fields as the header.
fn table<'a>(
    path: &Path,
    text: &'a str,
    expected: &[&str],
    open_ended: bool,
) -> Result<(Vec<&'a str>, Vec<Row<'a>>), DataError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((hline, htext)) = lines.next() else {
        return Err(DataError::Empty { path: path.to_path_buf() });
    };
    let header: Vec<&str> = htext.split(',').map(str::trim).collect();
    let names_ok =
        header.len() >= expected.len() && header.iter().zip(expected).all(|(h, e)| h.eq_ignore_ascii_case(e));
    let count_ok = if open_ended { header.len() > expected.len() } else { header.len() == expected.len() };
    if !names_ok || !count_ok {
        let want =
            if open_ended { format!("{},<one or more feature names>", expected.join(",")) } else { expected.join(",") };
        return Err(DataError::parse(
            path,
            hline,
            1,
            format!("expected the header `{want}`, found `{}`", htext.trim()),
        ));
    }
    let width = header.len();
    let mut rows = Vec::new();
    for (line, l) in lines {
        let fields: Vec<&str> = l.split(',').map(str::trim).collect();
        if fields.len() != width {
            return Err(DataError::parse(
                path,
                line,
                fields.len().min(width) + 1,
                format!("expected {width} fields as in the header, found {}", fields.len()),
            ));
        }
        rows.push(Row { line, fields });
    }
    Ok((header, rows))
}

/// Parses field `col` (0-based) of `row` as a node id in `0..n_nodes`.
fn node_id(path: &Path, row: &Row<'_>, col: usize, n_nodes: usize) -> Result<usize, DataError> {
    let text = row.fields[col];
    let id: u64 = text.parse().map_err(|_| {
        DataError::parse(path, row.line, col + 1, format!("`{text}` is not a node id (a non-negative integer)"))
    })?;
    if id >= n_nodes as u64 {
        return Err(DataError::NodeOutOfRange { path: path.to_path_buf(), line: row.line, node: id, n_nodes });
    }
    Ok(id as usize)
}

/// Tracks which nodes a file has listed, to reject duplicates.
struct NodeSet {
    path: PathBuf,
    n_nodes: usize,
    first_line: HashMap<usize, usize>,
    count: usize,
}

impl NodeSet {
    fn new(path: &Path, n_nodes: usize) -> Self {
        NodeSet { path: path.to_path_buf(), n_nodes, first_line: HashMap::new(), count: 0 }
    }

    /// Parses the node id in the first field of `row` and records it.
    fn claim(&mut self, row: &Row<'_>) -> Result<usize, DataError> {
        let node = node_id(&self.path, row, 0, self.n_nodes)?;
        if let Some(prev) = self.first_line.insert(node, row.line) {
            return Err(DataError::parse(
                &self.path,
                row.line,
                1,
                format!("node {node} listed twice (first on line {prev})"),
            ));
        }
        self.count += 1;
        Ok(node)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_dir;
    use super::*;

    const FEATURES: &str = "node,a,b\n0,1,0.5\n2,0,1\n1,-1.5,2\n3,4,4\n";
    const LABELS: &str = "node,label\n0,0\n1,1\n2,1\n3,2\n";
    const SPLIT: &str = "node,split\n2,train\n0,train\n1,val\n3,test\n";
    const EDGES: &str = "src,dst\n0,1\n1,0\n1,2\n2,2\n3,0\n";

    fn parse(edges: &str, features: &str, labels: &str, split: &str) -> Result<GraphData, DataError> {
        parse_graph_csv(Path::new("ds"), GraphCsvText { edges, features, labels, split })
    }

    fn parse_err(edges: &str, features: &str, labels: &str, split: &str) -> DataError {
        parse(edges, features, labels, split).unwrap_err()
    }

    #[test]
    fn valid_dataset() {
        let g = parse(EDGES, FEATURES, LABELS, SPLIT).unwrap();
        g.validate().unwrap();
        assert_eq!((g.n_nodes, g.n_features, g.n_classes), (4, 2, 3));
        assert_eq!(g.node_features(1), &[-1.5, 2.0]);
        assert_eq!(g.node_features(2), &[0.0, 1.0]);
        assert_eq!(g.labels, vec![0, 1, 1, 2]);
        assert_eq!((g.train.clone(), g.val.clone(), g.test.clone()), (vec![0, 2], vec![1], vec![3]));
        // (1,0) duplicates (0,1); (2,2) is a self loop.
        assert_eq!(g.edges, vec![(0, 1), (0, 3), (1, 2)]);
    }

    #[test]
    fn tolerant_whitespace_crlf_bom_and_blank_lines() {
        let f = "\u{feff}Node , A,B\r\n\r\n 0 , 1 , 0.5\r\n2,0,1\r\n1,-1.5,2\r\n3,4,4\r\n";
        let g = parse(EDGES, f, LABELS, SPLIT).unwrap();
        assert_eq!(g, parse(EDGES, FEATURES, LABELS, SPLIT).unwrap());
        let g = parse("src,dst\n", FEATURES, LABELS, "node,split\n").unwrap();
        assert!(g.edges.is_empty() && g.train.is_empty());
    }

    #[test]
    fn round_trip_through_files() {
        let g = parse(EDGES, FEATURES, LABELS, SPLIT).unwrap();
        let dir = test_dir("graph_csv_rt");
        write_graph_csv(&dir, &g).unwrap();
        assert_eq!(load_graph_csv(&dir).unwrap(), g);
    }

    #[test]
    fn missing_and_empty_files() {
        let dir = test_dir("graph_csv_missing");
        std::fs::write(dir.join("edges.csv"), EDGES).unwrap();
        match load_graph_csv(&dir) {
            Err(DataError::Io { path, .. }) => assert_eq!(path, dir.join("features.csv")),
            other => panic!("expected Io, got {other:?}"),
        }
        assert!(matches!(
            parse_err("", FEATURES, LABELS, SPLIT),
            DataError::Empty { path } if path == Path::new("ds/edges.csv")
        ));
        assert!(matches!(
            parse_err(EDGES, "node,a\n\n", LABELS, SPLIT),
            DataError::Empty { path } if path == Path::new("ds/features.csv")
        ));
    }

    #[test]
    fn bad_headers() {
        let e = parse_err("from,to\n0,1\n", FEATURES, LABELS, SPLIT);
        assert!(matches!(e, DataError::Parse { line: 1, column: 1, .. }), "{e:?}");
        assert!(e.to_string().contains("src,dst"), "{e}");
        // No header at all: the first row is taken as one and rejected.
        let e = parse_err(EDGES, FEATURES, "0,0\n1,1\n", SPLIT);
        assert!(matches!(e, DataError::Parse { line: 1, .. }), "{e:?}");
        // features.csv needs at least one feature column.
        let e = parse_err(EDGES, "node\n0\n", LABELS, SPLIT);
        assert!(matches!(e, DataError::Parse { line: 1, .. }), "{e:?}");
    }

    #[test]
    fn wrong_field_counts() {
        let e = parse_err(EDGES, "node,a,b\n0,1,2\n1,3\n", LABELS, SPLIT);
        assert!(matches!(e, DataError::Parse { line: 3, column: 3, .. }), "{e:?}");
        let e = parse_err("src,dst\n0,1,7\n", FEATURES, LABELS, SPLIT);
        assert!(matches!(e, DataError::Parse { line: 2, column: 3, .. }), "{e:?}");
        assert!(e.to_string().starts_with("ds/edges.csv:2:3: "), "{e}");
    }

    #[test]
    fn bad_feature_values() {
        let e = parse_err(EDGES, "node,a,b\n0,1,x\n1,1,1\n2,1,1\n3,1,1\n", LABELS, SPLIT);
        assert!(matches!(e, DataError::Parse { line: 2, column: 3, .. }), "{e:?}");
        let e = parse_err(EDGES, "node,a,b\n0,1,NaN\n1,1,1\n2,1,1\n3,1,1\n", LABELS, SPLIT);
        assert!(matches!(e, DataError::Parse { line: 2, column: 3, .. }), "{e:?}");
    }

    #[test]
    fn bad_node_ids() {
        // Duplicate node in features.csv.
        let e = parse_err(EDGES, "node,a\n0,1\n0,2\n", LABELS, SPLIT);
        assert!(matches!(e, DataError::Parse { line: 3, column: 1, .. }), "{e:?}");
        assert!(e.to_string().contains("first on line 2"), "{e}");
        // Features numbered 0,1,2,5 for 4 rows: 5 is out of range.
        let e = parse_err(EDGES, "node,a\n0,1\n1,1\n2,1\n5,1\n", LABELS, SPLIT);
        assert!(matches!(e, DataError::NodeOutOfRange { line: 5, node: 5, n_nodes: 4, .. }), "{e:?}");
        // Edge to a node that does not exist.
        let e = parse_err("src,dst\n0,1\n2,4\n", FEATURES, LABELS, SPLIT);
        match e {
            DataError::NodeOutOfRange { path, line, node, n_nodes } => {
                assert_eq!(path, Path::new("ds/edges.csv"));
                assert_eq!((line, node, n_nodes), (3, 4, 4));
            }
            other => panic!("expected NodeOutOfRange, got {other:?}"),
        }
        // Not a number.
        let e = parse_err("src,dst\n0,-1\n", FEATURES, LABELS, SPLIT);
        assert!(matches!(e, DataError::Parse { line: 2, column: 2, .. }), "{e:?}");
    }

    #[test]
    fn bad_labels() {
        let e = parse_err(EDGES, FEATURES, "node,label\n0,0\n1,1\n2,1\n", SPLIT);
        assert!(matches!(e, DataError::InconsistentSizes { expected: 4, found: 3, .. }), "{e:?}");
        let e = parse_err(EDGES, FEATURES, "node,label\n0,0\n1,-1\n2,1\n3,0\n", SPLIT);
        assert!(matches!(e, DataError::BadLabel { line: 3, .. }), "{e:?}");
        let e = parse_err(EDGES, FEATURES, "node,label\n0,0\n1,9\n2,1\n3,0\n", SPLIT);
        assert!(matches!(e, DataError::BadLabel { line: 3, n_classes: 4, .. }), "{e:?}");
        let e = parse_err(EDGES, FEATURES, "node,label\n0,0\n1,a\n2,1\n3,0\n", SPLIT);
        assert!(matches!(e, DataError::Parse { line: 3, column: 2, .. }), "{e:?}");
        let e = parse_err(EDGES, FEATURES, "node,label\n0,0\n1,1\n1,1\n3,0\n", SPLIT);
        assert!(matches!(e, DataError::Parse { line: 4, column: 1, .. }), "{e:?}");
    }

    #[test]
    fn bad_splits() {
        let e = parse_err(EDGES, FEATURES, LABELS, "node,split\n0,train\n1,dev\n");
        assert!(matches!(e, DataError::Parse { line: 3, column: 2, .. }), "{e:?}");
        assert!(e.to_string().contains("`dev`"), "{e}");
        let e = parse_err(EDGES, FEATURES, LABELS, "node,split\n0,train\n0,test\n");
        assert!(matches!(e, DataError::Parse { line: 3, column: 1, .. }), "{e:?}");
        let e = parse_err(EDGES, FEATURES, LABELS, "node,split\n7,train\n");
        assert!(matches!(e, DataError::NodeOutOfRange { node: 7, .. }), "{e:?}");
    }
}
