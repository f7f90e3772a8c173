//! The Planetoid citation datasets (Cora, Citeseer, Pubmed) in their
//! original pickled form.
//!
//! A dataset `<name>` is eight files in one directory, as distributed with
//! Kipf & Welling's GCN code and mirrored by PyTorch Geometric:
//!
//! | file | content |
//! | --- | --- |
//! | `ind.<name>.x` | features of the training nodes (scipy CSR matrix) |
//! | `ind.<name>.y` | one-hot labels of the training nodes (numpy array) |
//! | `ind.<name>.allx` | features of all nodes that are not test nodes |
//! | `ind.<name>.ally` | their one-hot labels |
//! | `ind.<name>.tx` | features of the test nodes, in `test.index` order |
//! | `ind.<name>.ty` | their one-hot labels |
//! | `ind.<name>.graph` | `defaultdict(list)`: node id → neighbour ids |
//! | `ind.<name>.test.index` | text, one test node id per line |
//!
//! The pickles are decoded by a small built-in reader (no Python needed)
//! that implements the pickle opcodes of protocols 0–4 and rebuilds just the
//! objects these files contain: numpy arrays and dtypes
//! (`numpy.core.multiarray._reconstruct`, also `numpy._core`), numpy scalars,
//! scipy `csr_matrix`/`csr_array` objects from their `__dict__` state,
//! `collections.defaultdict`, and Python 3's `_codecs.encode` byte strings.
//! Anything else decodes to an inert placeholder, and an unknown opcode is
//! reported as [`DataError::Pickle`] with its byte offset and name. Nothing
//! in a pickle is ever executed.
//!
//! [`load_planetoid`] reproduces Kipf's `load_data` (gcn/utils.py):
//!
//! * nodes `0..len(allx)` take their features and labels from `allx`/`ally`;
//!   row `k` of `tx`/`ty` belongs to node `test.index[k]` (the "reordering");
//! * if the test ids have gaps (Citeseer's isolated nodes), the missing ids
//!   become nodes with all-zero features and an all-zero label row, so the
//!   graph has `len(allx) + max(test) − min(test) + 1` nodes (Kipf applies
//!   this only for the name "citeseer"; here it is applied whenever there
//!   are gaps, which gives the same result on the real datasets);
//! * an all-zero label row means "no label" and becomes class 0, exactly as
//!   Kipf's and PyG's `argmax` do; such nodes are never in the test split
//!   and never in the training split of the real datasets;
//! * public split: train = `0..len(y)`, val = `len(y)..len(y)+500`, test =
//!   the sorted test ids. The validation range is clipped to `len(allx)` so
//!   that it never overlaps the test nodes; for Cora, Citeseer and Pubmed
//!   the clip changes nothing (140/120/60 + 500 is far below `len(allx)`).
//! * edges: every `(key, neighbour)` pair of the graph dict, made undirected;
//!   self loops are dropped and duplicates merged (as PyG does; Kipf's
//!   networkx adjacency keeps self loops). Node ids are used as given, so
//!   the graph dict must use ids `0..n_nodes`.
//!
//! Expected sizes on the real data: Cora 2,708 nodes / 5,278 edges / 1,433
//! features / 7 classes; Citeseer 3,327 / 4,552 / 3,703 / 6; Pubmed 19,717 /
//! 44,324 / 500 / 3.

use std::path::{Path, PathBuf};

use self::pickle::{Array, Value};
use super::{DataError, GraphData, canonical_edges};

/// Size of the public validation split of the Planetoid datasets.
const PUBLIC_VAL: usize = 500;

/// Loads the Planetoid dataset `name` (e.g. `"cora"`) from `dir`, which must
/// hold the eight `ind.<name>.*` files (see the module docs).
///
/// Errors: [`DataError::Io`] for a missing or unreadable file,
/// [`DataError::Pickle`] for an undecodable pickle (naming the byte offset
/// and, for an unsupported opcode, its name), [`DataError::Malformed`] when
/// a pickle holds the wrong kind of object, [`DataError::InconsistentSizes`]
/// when the files disagree on row or column counts,
/// [`DataError::BadLabel`] for a label row that is not one-hot (several
/// ones, or a value other than 0/1), [`DataError::NodeOutOfRange`] for a
/// graph entry naming a node `>= n_nodes` (the "line" is the 1-based entry
/// of the dict), and [`DataError::Parse`]/[`DataError::Empty`] for a bad
/// `test.index`.
pub fn load_planetoid(dir: &Path, name: &str) -> Result<GraphData, DataError> {
    let file = |ext: &str| dir.join(format!("ind.{name}.{ext}"));
    let paths = Paths {
        x: file("x"),
        y: file("y"),
        tx: file("tx"),
        ty: file("ty"),
        allx: file("allx"),
        ally: file("ally"),
        graph: file("graph"),
        test_index: file("test.index"),
    };
    let x = Matrix::from_value(&paths.x, &load_pickle(&paths.x)?)?;
    let y = Matrix::from_value(&paths.y, &load_pickle(&paths.y)?)?;
    let tx = Matrix::from_value(&paths.tx, &load_pickle(&paths.tx)?)?;
    let ty = Matrix::from_value(&paths.ty, &load_pickle(&paths.ty)?)?;
    let allx = Matrix::from_value(&paths.allx, &load_pickle(&paths.allx)?)?;
    let ally = Matrix::from_value(&paths.ally, &load_pickle(&paths.ally)?)?;
    let graph = graph_from_value(&paths.graph, &load_pickle(&paths.graph)?)?;
    let test_index = read_test_index(&paths.test_index)?;
    assemble(&paths, Parts { x, y, tx, ty, allx, ally, graph, test_index })
}

struct Paths {
    x: PathBuf,
    y: PathBuf,
    tx: PathBuf,
    ty: PathBuf,
    allx: PathBuf,
    ally: PathBuf,
    graph: PathBuf,
    test_index: PathBuf,
}

struct Parts {
    x: Matrix,
    y: Matrix,
    tx: Matrix,
    ty: Matrix,
    allx: Matrix,
    ally: Matrix,
    graph: Vec<(i64, Vec<i64>)>,
    test_index: Vec<usize>,
}

fn same(what: String, expected: usize, found: usize) -> Result<(), DataError> {
    if expected == found { Ok(()) } else { Err(DataError::InconsistentSizes { what, expected, found }) }
}

fn file_name(p: &Path) -> String {
    p.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_else(|| p.display().to_string())
}

fn assemble(paths: &Paths, p: Parts) -> Result<GraphData, DataError> {
    let n = |p: &Path| file_name(p);
    let n_all = p.allx.rows;
    let n_features = p.allx.cols;
    let n_classes = p.ally.cols;
    same(format!("rows of {} vs rows of {}", n(&paths.ally), n(&paths.allx)), n_all, p.ally.rows)?;
    same(format!("rows of {} vs rows of {}", n(&paths.y), n(&paths.x)), p.x.rows, p.y.rows)?;
    same(format!("rows of {} vs rows of {}", n(&paths.ty), n(&paths.tx)), p.tx.rows, p.ty.rows)?;
    same(format!("ids in {} vs rows of {}", n(&paths.test_index), n(&paths.tx)), p.tx.rows, p.test_index.len())?;
    same(format!("columns of {} vs {}", n(&paths.x), n(&paths.allx)), n_features, p.x.cols)?;
    same(format!("columns of {} vs {}", n(&paths.tx), n(&paths.allx)), n_features, p.tx.cols)?;
    same(format!("columns of {} vs {}", n(&paths.y), n(&paths.ally)), n_classes, p.y.cols)?;
    same(format!("columns of {} vs {}", n(&paths.ty), n(&paths.ally)), n_classes, p.ty.cols)?;
    if p.y.rows > n_all {
        return Err(DataError::InconsistentSizes {
            what: format!("rows of {} (at most the rows of {})", n(&paths.y), n(&paths.allx)),
            expected: n_all,
            found: p.y.rows,
        });
    }
    if n_classes == 0 {
        return Err(DataError::malformed(&paths.ally, "label matrix has no columns (no classes)"));
    }
    // Test nodes follow the allx nodes: Kipf's vstack((allx, tx)) puts them
    // at rows len(allx).., and his reordering only works if the smallest
    // test id is exactly len(allx).
    let (min_t, max_t) = match (p.test_index.iter().min(), p.test_index.iter().max()) {
        (Some(&lo), Some(&hi)) => (lo, hi),
        _ => (n_all, n_all.wrapping_sub(1)),
    };
    if !p.test_index.is_empty() && min_t != n_all {
        return Err(DataError::InconsistentSizes {
            what: format!(
                "smallest id in {} vs rows of {} (test nodes must follow them)",
                n(&paths.test_index),
                n(&paths.allx)
            ),
            expected: n_all,
            found: min_t,
        });
    }
    let n_nodes = if p.test_index.is_empty() { n_all } else { n_all + (max_t - min_t + 1) };

    let mut features = vec![0.0f32; n_nodes * n_features];
    let mut labels = vec![0usize; n_nodes];
    for r in 0..n_all {
        p.allx.for_each_in_row(r, |c, v| features[r * n_features + c] = v as f32);
        labels[r] = one_hot_class(&paths.ally, &p.ally, r)?;
    }
    for (k, &node) in p.test_index.iter().enumerate() {
        p.tx.for_each_in_row(k, |c, v| features[node * n_features + c] = v as f32);
        labels[node] = one_hot_class(&paths.ty, &p.ty, k)?;
    }

    let mut raw_edges = Vec::new();
    let out_of_range = |entry: usize, node: i64| -> DataError {
        if node < 0 {
            DataError::malformed(&paths.graph, format!("entry {entry}: negative node id {node}"))
        } else {
            DataError::NodeOutOfRange { path: paths.graph.clone(), line: entry, node: node as u64, n_nodes }
        }
    };
    for (i, (key, neighbours)) in p.graph.iter().enumerate() {
        let entry = i + 1;
        let check = |v: i64| {
            if v >= 0 && (v as u64) < n_nodes as u64 { Ok(v as usize) } else { Err(out_of_range(entry, v)) }
        };
        let u = check(*key)?;
        for &v in neighbours {
            raw_edges.push((u, check(v)?));
        }
    }

    let mut test = p.test_index.clone();
    test.sort_unstable();
    let n_train = p.y.rows;
    let val_end = (n_train + PUBLIC_VAL).min(n_all);
    let data = GraphData {
        n_nodes,
        features,
        n_features,
        labels,
        n_classes,
        edges: canonical_edges(raw_edges),
        train: (0..n_train).collect(),
        val: (n_train..val_end).collect(),
        test,
    };
    debug_assert!(data.validate().is_ok());
    Ok(data)
}

/// The class of row `r` of a one-hot label matrix; an all-zero row is class
/// 0 (Kipf/PyG `argmax` convention, see the module docs).
fn one_hot_class(path: &Path, m: &Matrix, r: usize) -> Result<usize, DataError> {
    let mut class = None;
    let mut bad = false;
    m.for_each_in_row(r, |c, v| {
        if v == 0.0 {
            return;
        }
        if v != 1.0 || class.is_some() {
            bad = true;
        }
        class = Some(c);
    });
    if bad {
        let mut row = vec![0.0; m.cols];
        m.for_each_in_row(r, |c, v| row[c] = v);
        let shown: Vec<String> = row.iter().take(16).map(|v| format!("{v}")).collect();
        let more = if m.cols > 16 { ", …" } else { "" };
        return Err(DataError::BadLabel {
            path: path.to_path_buf(),
            line: r + 1,
            label: format!("[{}{more}]", shown.join(", ")),
            n_classes: m.cols,
        });
    }
    Ok(class.unwrap_or(0))
}

fn read_test_index(path: &Path) -> Result<Vec<usize>, DataError> {
    let text = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    let text = String::from_utf8_lossy(&text);
    let mut out = Vec::new();
    let mut first_line = std::collections::HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        let id: usize = t
            .parse()
            .map_err(|_| DataError::parse(path, i + 1, 1, format!("`{t}` is not a node id (non-negative integer)")))?;
        if let Some(prev) = first_line.insert(id, i + 1) {
            return Err(DataError::parse(path, i + 1, 1, format!("duplicate test id {id} (first on line {prev})")));
        }
        out.push(id);
    }
    if out.is_empty() {
        return Err(DataError::Empty { path: path.to_path_buf() });
    }
    Ok(out)
}

fn load_pickle(path: &Path) -> Result<Value, DataError> {
    let bytes = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    pickle::load(&bytes).map_err(|e| DataError::Pickle {
        path: path.to_path_buf(),
        offset: e.offset,
        message: e.message,
    })
}

/// A 2-D matrix from a pickle, dense or CSR.
struct Matrix {
    rows: usize,
    cols: usize,
    repr: Repr,
}

enum Repr {
    Dense(Vec<f64>),
    Csr { indptr: Vec<usize>, indices: Vec<usize>, data: Vec<f64> },
}

impl Matrix {
    fn for_each_in_row(&self, r: usize, mut f: impl FnMut(usize, f64)) {
        match &self.repr {
            Repr::Dense(d) => {
                for (c, &v) in d[r * self.cols..(r + 1) * self.cols].iter().enumerate() {
                    f(c, v);
                }
            }
            Repr::Csr { indptr, indices, data } => {
                for k in indptr[r]..indptr[r + 1] {
                    f(indices[k], data[k]);
                }
            }
        }
    }

    /// Accepts a scipy CSR matrix (the feature files) or a 2-D numpy array
    /// (the label files); either kind is accepted in either role, since
    /// some re-exports of the data swap them.
    fn from_value(path: &Path, v: &Value) -> Result<Matrix, DataError> {
        match v {
            Value::Array(a) => {
                let a = a.borrow();
                if a.shape.len() != 2 {
                    return Err(DataError::malformed(path, format!("expected a 2-D array, found shape {:?}", a.shape)));
                }
                Ok(Matrix { rows: a.shape[0], cols: a.shape[1], repr: Repr::Dense(a.data.clone()) })
            }
            Value::Object(o) => {
                let o = o.borrow();
                let is_csr = o.class.module.starts_with("scipy.sparse")
                    && (o.class.name == "csr_matrix" || o.class.name == "csr_array");
                if !is_csr {
                    return Err(DataError::malformed(
                        path,
                        format!(
                            "expected a scipy CSR matrix or a numpy array, found {}.{}",
                            o.class.module, o.class.name
                        ),
                    ));
                }
                let Some(Value::Dict(state)) = &o.state else {
                    return Err(DataError::malformed(path, "CSR matrix without its attribute dict"));
                };
                let state = state.borrow();
                let get =
                    |key: &str| state.iter().find(|(k, _)| k.as_text().as_deref() == Some(key)).map(|(_, v)| v.clone());
                let shape = get("_shape")
                    .or_else(|| get("shape"))
                    .ok_or_else(|| DataError::malformed(path, "CSR matrix without `_shape`"))?;
                let dims = shape
                    .as_int_list()
                    .filter(|d| d.len() == 2 && d.iter().all(|&x| x >= 0))
                    .ok_or_else(|| DataError::malformed(path, "CSR `_shape` is not a pair of non-negative ints"))?;
                let (rows, cols) = (dims[0] as usize, dims[1] as usize);
                let array = |key: &str| -> Result<Vec<f64>, DataError> {
                    match get(key) {
                        Some(Value::Array(a)) if a.borrow().shape.len() == 1 => Ok(a.borrow().data.clone()),
                        _ => Err(DataError::malformed(path, format!("CSR matrix without a 1-D `{key}` array"))),
                    }
                };
                let to_index = |key: &str, v: Vec<f64>| -> Result<Vec<usize>, DataError> {
                    v.into_iter()
                        .map(|x| {
                            if x >= 0.0 && x.fract() == 0.0 {
                                Ok(x as usize)
                            } else {
                                Err(DataError::malformed(path, format!("CSR `{key}` holds {x}, not an index")))
                            }
                        })
                        .collect()
                };
                let indptr = to_index("indptr", array("indptr")?)?;
                let indices = to_index("indices", array("indices")?)?;
                let data = array("data")?;
                let nnz = data.len();
                let ok = indptr.len() == rows + 1
                    && indptr.first() == Some(&0)
                    && indptr.last() == Some(&nnz)
                    && indices.len() == nnz
                    && indptr.windows(2).all(|w| w[0] <= w[1])
                    && indices.iter().all(|&c| c < cols);
                if !ok {
                    return Err(DataError::malformed(
                        path,
                        format!(
                            "inconsistent CSR matrix ({rows}×{cols}, {} indptr, {} indices, {nnz} values)",
                            indptr.len(),
                            indices.len()
                        ),
                    ));
                }
                Ok(Matrix { rows, cols, repr: Repr::Csr { indptr, indices, data } })
            }
            other => Err(DataError::malformed(
                path,
                format!("expected a scipy CSR matrix or a numpy array, found {}", other.kind()),
            )),
        }
    }
}

/// The adjacency dict: `(key, neighbours)` in pickle order.
fn graph_from_value(path: &Path, v: &Value) -> Result<Vec<(i64, Vec<i64>)>, DataError> {
    let Value::Dict(d) = v else {
        return Err(DataError::malformed(
            path,
            format!("expected a dict of node → neighbour list, found {}", v.kind()),
        ));
    };
    d.borrow()
        .iter()
        .enumerate()
        .map(|(i, (k, vs))| {
            let key = k.as_int().ok_or_else(|| {
                DataError::malformed(path, format!("entry {}: key is {}, not a node id", i + 1, k.kind()))
            })?;
            let list = vs.as_int_list().ok_or_else(|| {
                DataError::malformed(
                    path,
                    format!("entry {}: neighbours are {}, not a list of node ids", i + 1, vs.kind()),
                )
            })?;
            Ok((key, list))
        })
        .collect()
}

impl Value {
    fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
    }

    fn as_text(&self) -> Option<String> {
        match self {
            Value::Str(s) => Some(s.to_string()),
            // Python 2 `str` keys (e.g. `_shape` in the original files).
            Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
            _ => None,
        }
    }

    fn as_int_list(&self) -> Option<Vec<i64>> {
        match self {
            Value::Tuple(items) => items.iter().map(Value::as_int).collect(),
            Value::List(items) => items.borrow().iter().map(Value::as_int).collect(),
            Value::Array(a) => {
                let a: std::cell::Ref<'_, Array> = a.borrow();
                if a.shape.len() != 1 {
                    return None;
                }
                a.data.iter().map(|&x| (x.fract() == 0.0).then_some(x as i64)).collect()
            }
            _ => None,
        }
    }
}

/// A minimal, non-executing pickle decoder (see the module docs).
mod pickle {
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::rc::Rc;

    /// A decoded Python object. Mutable containers are shared (`Rc`) because
    /// pickles build them after memoising them, and later references (memo
    /// `GET`s) must see the finished object.
    #[derive(Debug, Clone)]
    pub(super) enum Value {
        None,
        Bool(bool),
        Int(i64),
        // Decoded so that pickles holding floats load; no reader needs the
        // value yet (the feature matrices are arrays, not Python floats).
        #[allow(dead_code)]
        Float(f64),
        /// Python 3 `bytes` and Python 2 `str`.
        Bytes(Rc<[u8]>),
        Str(Rc<str>),
        Tuple(Rc<[Value]>),
        List(Rc<RefCell<Vec<Value>>>),
        /// Dicts keep insertion order (entry numbers appear in errors).
        Dict(Rc<RefCell<Vec<(Value, Value)>>>),
        Global(Rc<Global>),
        Dtype(Rc<RefCell<Dtype>>),
        Array(Rc<RefCell<Array>>),
        Object(Rc<RefCell<Object>>),
    }

    impl Value {
        pub(super) fn kind(&self) -> String {
            match self {
                Value::None => "None".into(),
                Value::Bool(_) => "a bool".into(),
                Value::Int(_) => "an int".into(),
                Value::Float(_) => "a float".into(),
                Value::Bytes(_) => "a byte string".into(),
                Value::Str(_) => "a string".into(),
                Value::Tuple(_) => "a tuple".into(),
                Value::List(_) => "a list".into(),
                Value::Dict(_) => "a dict".into(),
                Value::Global(g) => format!("the global {}.{}", g.module, g.name),
                Value::Dtype(_) => "a numpy dtype".into(),
                Value::Array(_) => "a numpy array".into(),
                Value::Object(o) => {
                    let o = o.borrow();
                    format!("a {}.{} object", o.class.module, o.class.name)
                }
            }
        }
    }

    /// A reference to a module-level Python name.
    #[derive(Debug)]
    pub(super) struct Global {
        pub module: String,
        pub name: String,
    }

    /// An instance of a class this reader does not model: its class, the
    /// constructor arguments, and the state passed to `BUILD`.
    #[derive(Debug)]
    pub(super) struct Object {
        pub class: Rc<Global>,
        #[allow(dead_code)] // kept for debugging output; no reader needs it yet
        pub args: Vec<Value>,
        pub state: Option<Value>,
    }

    /// The element type of a numpy array (only plain numeric types).
    #[derive(Debug, Clone, Copy)]
    pub(super) struct Dtype {
        /// numpy kind letter: `b` (bool), `i`, `u`, `f`, or others (rejected
        /// when data is decoded).
        kind: u8,
        size: usize,
        big_endian: bool,
    }

    impl Dtype {
        fn parse(spec: &str) -> Option<Dtype> {
            let (big_endian, rest) = match spec.as_bytes().first()? {
                b'>' | b'!' => (true, &spec[1..]),
                b'<' | b'=' | b'|' => (false, &spec[1..]),
                _ => (false, spec),
            };
            if rest == "?" {
                return Some(Dtype { kind: b'b', size: 1, big_endian });
            }
            let kind = *rest.as_bytes().first()?;
            let size = rest[1..].parse().ok()?;
            Some(Dtype { kind, size, big_endian })
        }

        /// Decodes `bytes` (a whole number of elements) to `f64`.
        fn decode(&self, bytes: &[u8]) -> Result<Vec<f64>, String> {
            let (k, s) = (self.kind, self.size);
            let supported = matches!((k, s), (b'b', 1) | (b'i' | b'u', 1 | 2 | 4 | 8) | (b'f', 4 | 8));
            if !supported {
                return Err(format!("unsupported numpy dtype `{}{s}` (only bool, ints and float32/64)", k as char));
            }
            if !bytes.len().is_multiple_of(s) {
                return Err(format!("{} data bytes is not a multiple of {s}", bytes.len()));
            }
            Ok(bytes
                .chunks_exact(s)
                .map(|c| {
                    let mut b = [0u8; 8];
                    if self.big_endian {
                        // Reverse into little-endian order first.
                        for (i, &x) in c.iter().rev().enumerate() {
                            b[i] = x;
                        }
                    } else {
                        b[..s].copy_from_slice(c);
                    }
                    let raw = u64::from_le_bytes(b);
                    match (k, s) {
                        (b'f', 4) => f64::from(f32::from_bits(raw as u32)),
                        (b'f', _) => f64::from_bits(raw),
                        (b'i', _) => {
                            // Sign-extend from s bytes.
                            let shift = 64 - 8 * s as u32;
                            ((raw << shift) as i64 >> shift) as f64
                        }
                        _ => raw as f64,
                    }
                })
                .collect())
        }
    }

    /// A numpy array, decoded to `f64` in C (row-major) order.
    #[derive(Debug, Default)]
    pub(super) struct Array {
        pub shape: Vec<usize>,
        pub data: Vec<f64>,
    }

    /// A decoding failure at byte `offset`.
    pub(super) struct Error {
        pub offset: u64,
        pub message: String,
    }

    struct Reader<'a> {
        bytes: &'a [u8],
        pos: usize,
        /// Offset of the opcode being executed, for error messages.
        op_at: usize,
        stack: Vec<Value>,
        marks: Vec<usize>,
        memo: HashMap<u64, Value>,
    }

    /// Decodes one pickle.
    pub(super) fn load(bytes: &[u8]) -> Result<Value, Error> {
        let mut r = Reader { bytes, pos: 0, op_at: 0, stack: Vec::new(), marks: Vec::new(), memo: HashMap::new() };
        r.run().map_err(|message| Error { offset: r.op_at as u64, message })
    }

    type R<T> = Result<T, String>;

    fn opcode_name(op: u8) -> &'static str {
        match op {
            b'P' => "PERSID",
            b'Q' => "BINPERSID",
            0x82 => "EXT1",
            0x83 => "EXT2",
            0x84 => "EXT4",
            0x96 => "BYTEARRAY8",
            0x97 => "NEXT_BUFFER",
            0x98 => "READONLY_BUFFER",
            _ => "unknown",
        }
    }

    impl<'a> Reader<'a> {
        fn take(&mut self, n: usize) -> R<&'a [u8]> {
            let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
            let Some(end) = end else {
                return Err(format!(
                    "truncated: needs {n} more bytes at offset {}, file has {}",
                    self.pos,
                    self.bytes.len()
                ));
            };
            let bytes: &'a [u8] = self.bytes;
            let s = &bytes[self.pos..end];
            self.pos = end;
            Ok(s)
        }

        fn u8(&mut self) -> R<u8> {
            Ok(self.take(1)?[0])
        }

        fn le<const N: usize>(&mut self) -> R<[u8; N]> {
            let mut a = [0u8; N];
            a.copy_from_slice(self.take(N)?);
            Ok(a)
        }

        fn len_u32(&mut self) -> R<usize> {
            Ok(u32::from_le_bytes(self.le()?) as usize)
        }

        fn len_i32(&mut self) -> R<usize> {
            let n = i32::from_le_bytes(self.le()?);
            usize::try_from(n).map_err(|_| format!("negative length {n}"))
        }

        fn len_u64(&mut self) -> R<usize> {
            let n = u64::from_le_bytes(self.le()?);
            usize::try_from(n).map_err(|_| format!("length {n} too large"))
        }

        fn line(&mut self) -> R<&'a [u8]> {
            let bytes: &'a [u8] = self.bytes;
            let rest = &bytes[self.pos..];
            let n = rest.iter().position(|&b| b == b'\n').ok_or("truncated: missing end of line")?;
            self.pos += n + 1;
            Ok(&rest[..n])
        }

        fn text_line(&mut self) -> R<String> {
            let l = self.line()?;
            String::from_utf8(l.to_vec()).map_err(|_| "non-UTF-8 text argument".to_string())
        }

        fn pop(&mut self) -> R<Value> {
            if self.marks.last().is_some_and(|&m| m >= self.stack.len()) {
                return Err("stack underflow (popped past a MARK)".into());
            }
            self.stack.pop().ok_or_else(|| "stack underflow".to_string())
        }

        fn top(&self) -> R<&Value> {
            self.stack.last().ok_or_else(|| "stack underflow".to_string())
        }

        fn pop_mark(&mut self) -> R<Vec<Value>> {
            let m = self.marks.pop().ok_or("no MARK on the stack")?;
            Ok(self.stack.split_off(m))
        }

        fn memo_get(&self, key: u64) -> R<Value> {
            self.memo.get(&key).cloned().ok_or_else(|| format!("memo key {key} was never stored"))
        }

        fn memo_put(&mut self, key: u64) -> R<()> {
            let v = self.top()?.clone();
            self.memo.insert(key, v);
            Ok(())
        }

        fn int(v: i64) -> Value {
            Value::Int(v)
        }

        /// Little-endian two's complement integer of any length up to 8 bytes.
        fn long_bytes(b: &[u8]) -> R<Value> {
            if b.is_empty() {
                return Ok(Value::Int(0));
            }
            if b.len() > 8 {
                // Only a problem if the value really needs > 64 bits.
                let sign = if b[b.len() - 1] & 0x80 != 0 { 0xff } else { 0 };
                if b[8..].iter().any(|&x| x != sign) || (b[7] & 0x80 != 0) != (sign == 0xff) {
                    return Err(format!("integer of {} bytes does not fit in 64 bits", b.len()));
                }
                return Self::long_bytes(&b[..8]);
            }
            let mut a = if b[b.len() - 1] & 0x80 != 0 { [0xff; 8] } else { [0; 8] };
            a[..b.len()].copy_from_slice(b);
            Ok(Value::Int(i64::from_le_bytes(a)))
        }

        fn run(&mut self) -> R<Value> {
            loop {
                self.op_at = self.pos;
                let op = self.u8()?;
                match op {
                    b'.' => return self.pop(), // STOP
                    b'(' => self.marks.push(self.stack.len()),
                    b'0' => {
                        self.pop()?;
                    }
                    b'1' => {
                        self.pop_mark()?;
                    }
                    b'2' => {
                        let v = self.top()?.clone();
                        self.stack.push(v);
                    }
                    0x80 => {
                        let v = self.u8()?;
                        if v > 5 {
                            return Err(format!("unsupported pickle protocol {v}"));
                        }
                    }
                    0x95 => {
                        // FRAME: the length is only a read-ahead hint.
                        self.take(8)?;
                    }
                    // Constants and numbers.
                    b'N' => self.stack.push(Value::None),
                    0x88 => self.stack.push(Value::Bool(true)),
                    0x89 => self.stack.push(Value::Bool(false)),
                    b'I' => {
                        let t = self.text_line()?;
                        let v = match t.as_str() {
                            "00" => Value::Bool(false),
                            "01" => Value::Bool(true),
                            _ => Self::int(t.parse().map_err(|_| format!("bad INT `{t}`"))?),
                        };
                        self.stack.push(v);
                    }
                    b'L' => {
                        let t = self.text_line()?;
                        let digits = t.trim_end_matches('L');
                        let v = digits.parse().map_err(|_| format!("bad or too large LONG `{t}`"))?;
                        self.stack.push(Value::Int(v));
                    }
                    b'J' => {
                        let v = i32::from_le_bytes(self.le()?);
                        self.stack.push(Value::Int(i64::from(v)));
                    }
                    b'K' => {
                        let v = self.u8()?;
                        self.stack.push(Value::Int(i64::from(v)));
                    }
                    b'M' => {
                        let v = u16::from_le_bytes(self.le()?);
                        self.stack.push(Value::Int(i64::from(v)));
                    }
                    0x8a => {
                        let n = usize::from(self.u8()?);
                        let b = self.take(n)?.to_vec();
                        self.stack.push(Self::long_bytes(&b)?);
                    }
                    0x8b => {
                        let n = self.len_i32()?;
                        let b = self.take(n)?.to_vec();
                        self.stack.push(Self::long_bytes(&b)?);
                    }
                    b'F' => {
                        let t = self.text_line()?;
                        let v = t.trim().parse().map_err(|_| format!("bad FLOAT `{t}`"))?;
                        self.stack.push(Value::Float(v));
                    }
                    b'G' => {
                        let v = f64::from_be_bytes(self.le()?);
                        self.stack.push(Value::Float(v));
                    }
                    // Strings.
                    b'S' => {
                        let l = self.line()?.to_vec();
                        self.stack.push(Value::Bytes(python_string_literal(&l)?.into()));
                    }
                    b'T' => {
                        let n = self.len_i32()?;
                        let b = self.take(n)?;
                        self.stack.push(Value::Bytes(b.into()));
                    }
                    b'U' | b'C' => {
                        let n = usize::from(self.u8()?);
                        let b = self.take(n)?;
                        self.stack.push(Value::Bytes(b.into()));
                    }
                    b'B' => {
                        let n = self.len_u32()?;
                        let b = self.take(n)?;
                        self.stack.push(Value::Bytes(b.into()));
                    }
                    0x8e => {
                        let n = self.len_u64()?;
                        let b = self.take(n)?;
                        self.stack.push(Value::Bytes(b.into()));
                    }
                    b'V' => {
                        let l = self.line()?.to_vec();
                        self.stack.push(Value::Str(raw_unicode_escape(&l)?.into()));
                    }
                    b'X' | 0x8c | 0x8d => {
                        let n = match op {
                            b'X' => self.len_u32()?,
                            0x8c => usize::from(self.u8()?),
                            _ => self.len_u64()?,
                        };
                        let b = self.take(n)?;
                        let s = std::str::from_utf8(b).map_err(|_| "invalid UTF-8 in string")?;
                        self.stack.push(Value::Str(s.into()));
                    }
                    // Containers.
                    b')' => self.stack.push(Value::Tuple(Rc::new([]))),
                    b't' => {
                        let items = self.pop_mark()?;
                        self.stack.push(Value::Tuple(items.into()));
                    }
                    0x85..=0x87 => {
                        let n = usize::from(op - 0x84);
                        if self.stack.len() < n + self.marks.last().copied().unwrap_or(0) {
                            return Err("stack underflow".into());
                        }
                        let items = self.stack.split_off(self.stack.len() - n);
                        self.stack.push(Value::Tuple(items.into()));
                    }
                    b']' => self.stack.push(Value::List(Rc::default())),
                    b'l' => {
                        let items = self.pop_mark()?;
                        self.stack.push(Value::List(Rc::new(RefCell::new(items))));
                    }
                    b'}' => self.stack.push(Value::Dict(Rc::default())),
                    b'd' => {
                        let items = self.pop_mark()?;
                        let d = pairs(items)?;
                        self.stack.push(Value::Dict(Rc::new(RefCell::new(d))));
                    }
                    0x8f => self.stack.push(Value::List(Rc::default())), // EMPTY_SET
                    0x91 => {
                        let items = self.pop_mark()?; // FROZENSET
                        self.stack.push(Value::List(Rc::new(RefCell::new(items))));
                    }
                    b'a' => {
                        let v = self.pop()?;
                        self.append(vec![v])?;
                    }
                    b'e' | 0x90 => {
                        let items = self.pop_mark()?;
                        self.append(items)?;
                    }
                    b's' => {
                        let v = self.pop()?;
                        let k = self.pop()?;
                        self.set_items(vec![(k, v)])?;
                    }
                    b'u' => {
                        let items = self.pop_mark()?;
                        let p = pairs(items)?;
                        self.set_items(p)?;
                    }
                    // Memo.
                    b'g' => {
                        let t = self.text_line()?;
                        let k = t.parse().map_err(|_| format!("bad GET `{t}`"))?;
                        let v = self.memo_get(k)?;
                        self.stack.push(v);
                    }
                    b'h' => {
                        let k = u64::from(self.u8()?);
                        let v = self.memo_get(k)?;
                        self.stack.push(v);
                    }
                    b'j' => {
                        let k = self.len_u32()? as u64;
                        let v = self.memo_get(k)?;
                        self.stack.push(v);
                    }
                    b'p' => {
                        let t = self.text_line()?;
                        let k = t.parse().map_err(|_| format!("bad PUT `{t}`"))?;
                        self.memo_put(k)?;
                    }
                    b'q' => {
                        let k = u64::from(self.u8()?);
                        self.memo_put(k)?;
                    }
                    b'r' => {
                        let k = self.len_u32()? as u64;
                        self.memo_put(k)?;
                    }
                    0x94 => {
                        let k = self.memo.len() as u64;
                        self.memo_put(k)?;
                    }
                    // Objects.
                    b'c' => {
                        let module = self.text_line()?;
                        let name = self.text_line()?;
                        self.stack.push(Value::Global(Rc::new(Global { module, name })));
                    }
                    0x93 => {
                        let name = self.pop()?;
                        let module = self.pop()?;
                        match (module, name) {
                            (Value::Str(m), Value::Str(n)) => {
                                self.stack.push(Value::Global(Rc::new(Global {
                                    module: m.to_string(),
                                    name: n.to_string(),
                                })));
                            }
                            _ => return Err("STACK_GLOBAL needs two strings".into()),
                        }
                    }
                    b'R' => {
                        let args = self.pop()?;
                        let f = self.pop()?;
                        let Value::Tuple(args) = args else {
                            return Err(format!("REDUCE arguments are {}, not a tuple", args.kind()));
                        };
                        let v = call(&f, &args)?;
                        self.stack.push(v);
                    }
                    0x81 => {
                        let args = self.pop()?;
                        let cls = self.pop()?;
                        let args = match args {
                            Value::Tuple(t) => t.to_vec(),
                            other => return Err(format!("NEWOBJ arguments are {}", other.kind())),
                        };
                        self.stack.push(new_object(&cls, args)?);
                    }
                    0x92 => {
                        let _kwargs = self.pop()?;
                        let args = self.pop()?;
                        let cls = self.pop()?;
                        let args = match args {
                            Value::Tuple(t) => t.to_vec(),
                            other => {
                                return Err(format!("NEWOBJ_EX arguments are {}", other.kind()));
                            }
                        };
                        self.stack.push(new_object(&cls, args)?);
                    }
                    b'i' => {
                        let module = self.text_line()?;
                        let name = self.text_line()?;
                        let args = self.pop_mark()?;
                        let cls = Value::Global(Rc::new(Global { module, name }));
                        self.stack.push(new_object(&cls, args)?);
                    }
                    b'o' => {
                        let mut items = self.pop_mark()?;
                        if items.is_empty() {
                            return Err("OBJ without a class".into());
                        }
                        let cls = items.remove(0);
                        self.stack.push(new_object(&cls, items)?);
                    }
                    b'b' => {
                        let state = self.pop()?;
                        let obj = self.top()?.clone();
                        build(&obj, state)?;
                    }
                    _ => {
                        return Err(format!(
                            "unsupported pickle opcode 0x{op:02x} ({}); this reader handles \
                             the numpy/scipy/dict objects of the Planetoid files only",
                            opcode_name(op)
                        ));
                    }
                }
            }
        }

        fn append(&mut self, items: Vec<Value>) -> R<()> {
            match self.top()? {
                Value::List(l) => {
                    l.borrow_mut().extend(items);
                    Ok(())
                }
                other => Err(format!("APPEND to {}", other.kind())),
            }
        }

        fn set_items(&mut self, items: Vec<(Value, Value)>) -> R<()> {
            match self.top()? {
                Value::Dict(d) => {
                    let mut d = d.borrow_mut();
                    for (k, v) in items {
                        // Python semantics: a repeated key overwrites.
                        if let Some(slot) = d.iter_mut().find(|(old, _)| same_key(old, &k)) {
                            slot.1 = v;
                        } else {
                            d.push((k, v));
                        }
                    }
                    Ok(())
                }
                other => Err(format!("SETITEM on {}", other.kind())),
            }
        }
    }

    /// Key equality for the key types these files use (ints and strings);
    /// other keys never compare equal, which only matters for duplicates.
    fn same_key(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Int(x), Value::Int(y)) => x == y,
            (Value::Str(x), Value::Str(y)) => x == y,
            (Value::Bytes(x), Value::Bytes(y)) => x == y,
            _ => false,
        }
    }

    fn pairs(items: Vec<Value>) -> R<Vec<(Value, Value)>> {
        if !items.len().is_multiple_of(2) {
            return Err("odd number of items for a dict".into());
        }
        let mut out = Vec::with_capacity(items.len() / 2);
        let mut it = items.into_iter();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            out.push((k, v));
        }
        Ok(out)
    }

    fn global(v: &Value) -> R<Rc<Global>> {
        match v {
            Value::Global(g) => Ok(g.clone()),
            other => Err(format!("expected a class or function, found {}", other.kind())),
        }
    }

    fn is_numpy_multiarray(module: &str) -> bool {
        module == "numpy.core.multiarray" || module == "numpy._core.multiarray"
    }

    fn text_of(v: &Value) -> Option<String> {
        match v {
            Value::Str(s) => Some(s.to_string()),
            Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
            _ => None,
        }
    }

    /// `REDUCE`: applies a callable. Only the few callables in these files
    /// are modelled; any other becomes an inert [`Object`].
    fn call(f: &Value, args: &[Value]) -> R<Value> {
        let g = global(f)?;
        let (m, n) = (g.module.as_str(), g.name.as_str());
        match (m, n) {
            _ if is_numpy_multiarray(m) && n == "_reconstruct" => Ok(Value::Array(Rc::default())),
            ("numpy", "dtype") => {
                let spec = args.first().and_then(text_of).ok_or("numpy.dtype without a type code")?;
                let dt = Dtype::parse(&spec).ok_or_else(|| format!("unsupported dtype `{spec}`"))?;
                Ok(Value::Dtype(Rc::new(RefCell::new(dt))))
            }
            _ if is_numpy_multiarray(m) && n == "scalar" => {
                let (Some(Value::Dtype(dt)), Some(raw)) = (args.first(), args.get(1)) else {
                    return Err("numpy scalar needs (dtype, bytes)".into());
                };
                let raw = bytes_of(raw).ok_or("numpy scalar data is not a byte string")?;
                let dt = *dt.borrow();
                let v = dt.decode(&raw)?;
                let [x] = v[..] else {
                    return Err("numpy scalar data is not exactly one element".into());
                };
                Ok(if dt.kind == b'f' { Value::Float(x) } else { Value::Int(x as i64) })
            }
            ("_codecs", "encode") => {
                let s = args.first().and_then(text_of).ok_or("_codecs.encode without a string")?;
                let enc = args.get(1).and_then(text_of).unwrap_or_else(|| "utf-8".into());
                let bytes: Vec<u8> = match enc.to_ascii_lowercase().replace('_', "-").as_str() {
                    "latin1" | "latin-1" | "iso-8859-1" | "l1" => s
                        .chars()
                        .map(|c| u8::try_from(u32::from(c)).map_err(|_| "non-latin-1 character"))
                        .collect::<Result<_, _>>()?,
                    "utf-8" | "utf8" => s.into_bytes(),
                    other => {
                        return Err(format!("_codecs.encode with unsupported encoding `{other}`"));
                    }
                };
                Ok(Value::Bytes(bytes.into()))
            }
            ("collections", "defaultdict") => {
                // The default factory is irrelevant for reading.
                let items = match args.get(1) {
                    Some(Value::Dict(d)) => d.borrow().clone(),
                    _ => Vec::new(),
                };
                Ok(Value::Dict(Rc::new(RefCell::new(items))))
            }
            ("copy_reg" | "copyreg", "_reconstructor") => {
                let cls = global(args.first().ok_or("_reconstructor without a class")?)?;
                Ok(Value::Object(Rc::new(RefCell::new(Object { class: cls, args: Vec::new(), state: None }))))
            }
            ("__builtin__" | "builtins", "set" | "frozenset" | "list" | "tuple") => {
                let items = match args.first() {
                    Some(Value::List(l)) => l.borrow().clone(),
                    Some(Value::Tuple(t)) => t.to_vec(),
                    None => Vec::new(),
                    Some(other) => return Err(format!("{n}() of {}", other.kind())),
                };
                Ok(Value::List(Rc::new(RefCell::new(items))))
            }
            _ => new_object(f, args.to_vec()),
        }
    }

    fn new_object(cls: &Value, args: Vec<Value>) -> R<Value> {
        Ok(Value::Object(Rc::new(RefCell::new(Object { class: global(cls)?, args, state: None }))))
    }

    fn bytes_of(v: &Value) -> Option<Vec<u8>> {
        match v {
            Value::Bytes(b) => Some(b.to_vec()),
            // A Python 2 str loaded as text: the code points are the bytes.
            Value::Str(s) => s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect(),
            _ => None,
        }
    }

    /// `BUILD`: sets an object's state.
    fn build(obj: &Value, state: Value) -> R<()> {
        match obj {
            Value::Array(a) => {
                let Value::Tuple(t) = &state else {
                    return Err(format!("ndarray state is {}, not a tuple", state.kind()));
                };
                // numpy writes (version, shape, dtype, is_fortran, data);
                // very old files omit the version.
                let t: &[Value] = if t.len() == 5 { &t[1..] } else { &t[..] };
                let [shape, dtype, fortran, raw] = t else {
                    return Err(format!("ndarray state has {} items", t.len()));
                };
                let Value::Tuple(shape) = shape else {
                    return Err("ndarray shape is not a tuple".into());
                };
                let shape: Vec<usize> = shape
                    .iter()
                    .map(|d| match d {
                        Value::Int(i) if *i >= 0 => Ok(*i as usize),
                        _ => Err("ndarray shape is not non-negative ints".to_string()),
                    })
                    .collect::<R<_>>()?;
                let Value::Dtype(dt) = dtype else {
                    return Err(format!("ndarray dtype is {}", dtype.kind()));
                };
                let dt = *dt.borrow();
                let raw = bytes_of(raw)
                    .ok_or_else(|| format!("ndarray data is {} (object arrays are unsupported)", raw.kind()))?;
                let count: usize = shape.iter().product();
                if raw.len() != count * dt.size {
                    return Err(format!(
                        "ndarray data has {} bytes but shape {shape:?} needs {}",
                        raw.len(),
                        count * dt.size
                    ));
                }
                let mut data = dt.decode(&raw)?;
                let fortran = matches!(fortran, Value::Bool(true) | Value::Int(1));
                if fortran && shape.len() == 2 {
                    let (r, c) = (shape[0], shape[1]);
                    data = (0..r * c).map(|i| data[(i % c) * r + i / c]).collect();
                } else if fortran && shape.len() > 2 {
                    return Err("Fortran-ordered arrays of more than 2 dimensions".into());
                }
                let mut a = a.borrow_mut();
                a.shape = shape;
                a.data = data;
                Ok(())
            }
            Value::Dtype(dt) => {
                // (version, byteorder, ...): only the byte order matters.
                if let Value::Tuple(t) = &state
                    && let Some(order) = t.get(1).and_then(text_of)
                {
                    // '=' is "native" to the writer; the writers of these
                    // files were little-endian machines.
                    dt.borrow_mut().big_endian = order == ">";
                }
                Ok(())
            }
            Value::Object(o) => {
                // (state, slotstate) pairs keep only the dict part.
                let state = match state {
                    Value::Tuple(t) if t.len() == 2 => t[0].clone(),
                    s => s,
                };
                o.borrow_mut().state = Some(state);
                Ok(())
            }
            Value::Dict(d) => {
                if let Value::Dict(s) = state {
                    let items = s.borrow().clone();
                    d.borrow_mut().extend(items);
                }
                Ok(())
            }
            other => Err(format!("BUILD on {}", other.kind())),
        }
    }

    /// Decodes the quoted Python 2 `repr` of a byte string (opcode STRING).
    fn python_string_literal(l: &[u8]) -> R<Vec<u8>> {
        let q = *l.first().ok_or("empty STRING")?;
        if !(q == b'\'' || q == b'"') || l.len() < 2 || l[l.len() - 1] != q {
            return Err("STRING argument is not quoted".into());
        }
        let body = &l[1..l.len() - 1];
        let mut out = Vec::with_capacity(body.len());
        let mut i = 0;
        while i < body.len() {
            let b = body[i];
            i += 1;
            if b != b'\\' {
                out.push(b);
                continue;
            }
            let e = *body.get(i).ok_or("dangling backslash in STRING")?;
            i += 1;
            match e {
                b'n' => out.push(b'\n'),
                b'r' => out.push(b'\r'),
                b't' => out.push(b'\t'),
                b'a' => out.push(7),
                b'b' => out.push(8),
                b'f' => out.push(12),
                b'v' => out.push(11),
                b'x' => {
                    let h = body.get(i..i + 2).ok_or("short \\x escape")?;
                    let h = std::str::from_utf8(h).map_err(|_| "bad \\x escape")?;
                    out.push(u8::from_str_radix(h, 16).map_err(|_| "bad \\x escape")?);
                    i += 2;
                }
                b'0'..=b'7' => {
                    let mut v = u32::from(e - b'0');
                    let mut k = 0;
                    while k < 2 && i < body.len() && (b'0'..=b'7').contains(&body[i]) {
                        v = v * 8 + u32::from(body[i] - b'0');
                        i += 1;
                        k += 1;
                    }
                    out.push(u8::try_from(v).map_err(|_| "octal escape above 255")?);
                }
                other => out.push(other), // \\, \', \" and unknown escapes
            }
        }
        Ok(out)
    }

    /// Decodes Python's `raw-unicode-escape` (opcode UNICODE): bytes are
    /// Latin-1 code points except `\uXXXX` and `\UXXXXXXXX` escapes.
    fn raw_unicode_escape(l: &[u8]) -> R<String> {
        let mut out = String::with_capacity(l.len());
        let mut i = 0;
        while i < l.len() {
            let b = l[i];
            let width = match (b, l.get(i + 1)) {
                (b'\\', Some(b'u')) => 4,
                (b'\\', Some(b'U')) => 8,
                _ => 0,
            };
            if width == 0 {
                out.push(char::from(b));
                i += 1;
                continue;
            }
            let h = l.get(i + 2..i + 2 + width).ok_or("short \\u escape")?;
            let h = std::str::from_utf8(h).map_err(|_| "bad \\u escape")?;
            let cp = u32::from_str_radix(h, 16).map_err(|_| "bad \\u escape")?;
            out.push(char::from_u32(cp).ok_or("invalid code point in \\u escape")?);
            i += 2 + width;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_dir;
    use super::*;

    fn fixtures() -> PathBuf {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/planetoid"))
    }

    /// Parses `<name>.expected`, written by scripts/make_planetoid_fixture.py
    /// from a numpy/scipy re-implementation of Kipf's `load_data`.
    struct Expected {
        n_nodes: usize,
        labels: Vec<usize>,
        train: Vec<usize>,
        val: Vec<usize>,
        test: Vec<usize>,
        edges: Vec<(usize, usize)>,
        features: Vec<Vec<f32>>,
    }

    fn expected(name: &str) -> Expected {
        let text = std::fs::read_to_string(fixtures().join(format!("{name}.expected"))).unwrap();
        let mut e = Expected {
            n_nodes: 0,
            labels: vec![],
            train: vec![],
            val: vec![],
            test: vec![],
            edges: vec![],
            features: vec![],
        };
        let nums = |s: &str| -> Vec<usize> { s.split_whitespace().map(|x| x.parse().unwrap()).collect() };
        for line in text.lines() {
            let (key, rest) = line.split_once(' ').unwrap_or((line, ""));
            match key {
                "n_nodes" => e.n_nodes = rest.parse().unwrap(),
                "labels" => e.labels = nums(rest),
                "train" => e.train = nums(rest),
                "val" => e.val = nums(rest),
                "test" => e.test = nums(rest),
                "edges" => {
                    e.edges = rest
                        .split_whitespace()
                        .map(|p| {
                            let (a, b) = p.split_once('-').unwrap();
                            (a.parse().unwrap(), b.parse().unwrap())
                        })
                        .collect()
                }
                "features" => e.features.push(rest.split_whitespace().map(|x| x.parse().unwrap()).collect()),
                other => panic!("unknown key {other}"),
            }
        }
        e
    }

    fn check_against_expected(g: &GraphData, e: &Expected) {
        g.validate().unwrap();
        assert_eq!(g.n_nodes, e.n_nodes);
        assert_eq!(g.labels, e.labels);
        assert_eq!(g.train, e.train);
        assert_eq!(g.val, e.val);
        assert_eq!(g.test, e.test);
        assert_eq!(g.edges, e.edges);
        assert_eq!(e.features.len(), g.n_nodes);
        for (i, row) in e.features.iter().enumerate() {
            assert_eq!(g.node_features(i), &row[..], "features of node {i}");
        }
    }

    #[test]
    fn tiny_fixture_matches_kipf_load_data() {
        let g = load_planetoid(&fixtures(), "tiny").unwrap();
        assert_eq!((g.n_nodes, g.n_features, g.n_classes), (12, 5, 3));
        check_against_expected(&g, &expected("tiny"));
    }

    #[test]
    fn test_rows_are_reordered_by_test_index() {
        // test.index is 10, 8, 11, 9: row k of tx belongs to node index[k].
        // The fixture's features make node i's largest value 1 + i.
        let g = load_planetoid(&fixtures(), "tiny").unwrap();
        for i in 0..g.n_nodes {
            let max = g.node_features(i).iter().copied().fold(f32::MIN, f32::max);
            assert_eq!(max, 1.0 + i as f32, "node {i}");
        }
        assert_eq!(g.test, vec![8, 9, 10, 11]);
        // The duplicate edge and the self loop in the pickle are gone.
        assert_eq!(g.n_edges(), 13);
        assert!(g.edges.iter().all(|&(u, v)| u < v));
    }

    #[test]
    fn gap_in_test_index_pads_an_isolated_node() {
        let g = load_planetoid(&fixtures(), "gappy").unwrap();
        check_against_expected(&g, &expected("gappy"));
        assert_eq!(g.n_nodes, 13);
        assert!(g.node_features(11).iter().all(|&v| v == 0.0));
        assert_eq!(g.labels[11], 0);
        assert!(!g.test.contains(&11) && !g.val.contains(&11) && !g.train.contains(&11));
        assert_eq!(g.degrees()[11], 0);
    }

    #[test]
    fn other_pickle_protocols_give_the_same_graph() {
        let base = load_planetoid(&fixtures(), "tiny").unwrap();
        for name in ["tiny_p0", "tiny_p4"] {
            assert_eq!(load_planetoid(&fixtures(), name).unwrap(), base, "{name}");
        }
    }

    #[test]
    fn missing_file_is_io_error_naming_it() {
        let dir = test_dir("planetoid_missing");
        for f in std::fs::read_dir(fixtures()).unwrap() {
            let f = f.unwrap().path();
            let n = file_name(&f);
            if n.starts_with("ind.tiny.") && !n.ends_with(".ty") {
                std::fs::copy(&f, dir.join(n)).unwrap();
            }
        }
        match load_planetoid(&dir, "tiny") {
            Err(DataError::Io { path, .. }) => assert_eq!(path, dir.join("ind.tiny.ty")),
            other => panic!("expected Io, got {other:?}"),
        }
        assert!(matches!(load_planetoid(&fixtures(), "nosuch"), Err(DataError::Io { .. })));
    }

    #[test]
    fn edge_to_out_of_range_node() {
        match load_planetoid(&fixtures(), "badedge") {
            Err(DataError::NodeOutOfRange { path, node, n_nodes, .. }) => {
                assert_eq!(node, 12);
                assert_eq!(n_nodes, 12);
                assert_eq!(file_name(&path), "ind.badedge.graph");
            }
            other => panic!("expected NodeOutOfRange, got {other:?}"),
        }
    }

    #[test]
    fn label_row_not_one_hot() {
        match load_planetoid(&fixtures(), "badlabel") {
            Err(DataError::BadLabel { path, line, label, n_classes }) => {
                assert_eq!(file_name(&path), "ind.badlabel.ally");
                assert_eq!((line, n_classes), (5, 3));
                assert_eq!(label, "[1, 0, 1]");
            }
            other => panic!("expected BadLabel, got {other:?}"),
        }
    }

    #[test]
    fn inconsistent_sizes() {
        match load_planetoid(&fixtures(), "badsize") {
            Err(DataError::InconsistentSizes { what, expected, found }) => {
                assert_eq!((expected, found), (8, 7));
                assert!(what.contains("ind.badsize.ally"), "{what}");
            }
            other => panic!("expected InconsistentSizes, got {other:?}"),
        }
    }

    fn copy_tiny(tag: &str) -> PathBuf {
        let dir = test_dir(tag);
        for f in std::fs::read_dir(fixtures()).unwrap() {
            let f = f.unwrap().path();
            let n = file_name(&f);
            if n.starts_with("ind.tiny.") {
                std::fs::copy(&f, dir.join(n)).unwrap();
            }
        }
        dir
    }

    #[test]
    fn bad_test_index_files() {
        let dir = copy_tiny("planetoid_tindex");
        let p = dir.join("ind.tiny.test.index");
        std::fs::write(&p, "10\n8\nx\n9\n").unwrap();
        assert!(matches!(load_planetoid(&dir, "tiny"), Err(DataError::Parse { line: 3, column: 1, .. })));
        std::fs::write(&p, "10\n8\n10\n9\n").unwrap();
        let err = load_planetoid(&dir, "tiny").unwrap_err();
        assert!(matches!(err, DataError::Parse { line: 3, .. }), "{err:?}");
        assert!(err.to_string().contains("duplicate"), "{err}");
        std::fs::write(&p, "\n").unwrap();
        assert!(matches!(load_planetoid(&dir, "tiny"), Err(DataError::Empty { .. })));
        // Test ids must start right after the allx nodes (8 here).
        std::fs::write(&p, "11\n9\n12\n10\n").unwrap();
        assert!(matches!(
            load_planetoid(&dir, "tiny"),
            Err(DataError::InconsistentSizes { expected: 8, found: 9, .. })
        ));
        // Three ids for four tx rows.
        std::fs::write(&p, "10\n8\n9\n").unwrap();
        assert!(matches!(
            load_planetoid(&dir, "tiny"),
            Err(DataError::InconsistentSizes { expected: 4, found: 3, .. })
        ));
    }

    #[test]
    fn corrupt_and_wrong_pickles() {
        let dir = copy_tiny("planetoid_corrupt");
        let p = dir.join("ind.tiny.allx");
        let good = std::fs::read(&p).unwrap();
        std::fs::write(&p, &good[..good.len() / 2]).unwrap();
        let err = load_planetoid(&dir, "tiny").unwrap_err();
        assert!(matches!(err, DataError::Pickle { .. }), "{err:?}");
        assert!(err.to_string().contains("truncated"), "{err}");
        // The graph pickle where a matrix is expected.
        std::fs::copy(dir.join("ind.tiny.graph"), &p).unwrap();
        let err = load_planetoid(&dir, "tiny").unwrap_err();
        assert!(matches!(err, DataError::Malformed { .. }), "{err:?}");
        assert!(err.to_string().contains("found a dict"), "{err}");
        // An unsupported opcode (EXT1) is named with its offset.
        std::fs::write(&p, [0x80, 2, 0x82, 1, b'.']).unwrap();
        match load_planetoid(&dir, "tiny") {
            Err(DataError::Pickle { offset, message, .. }) => {
                assert_eq!(offset, 2);
                assert!(message.contains("0x82") && message.contains("EXT1"), "{message}");
            }
            other => panic!("expected Pickle, got {other:?}"),
        }
    }

    /// A protocol-2 pickle as Python 2 wrote the original files: byte data
    /// as SHORT_BINSTRING (no `_codecs.encode`), `numpy.core` module names,
    /// `__builtin__`, big-endian dtype to exercise the byte order.
    #[test]
    fn python2_style_pickle_of_a_big_endian_array() {
        let mut p = vec![0x80, 2];
        p.extend_from_slice(b"cnumpy.core.multiarray\n_reconstruct\nq\x01");
        p.extend_from_slice(b"cnumpy\nndarray\nK\x00\x85U\x01b\x87R");
        p.extend_from_slice(b"(K\x01K\x02K\x02\x86");
        p.extend_from_slice(
            b"cnumpy\ndtype\nU\x02i2K\x00K\x01\x87R(K\x03U\x01>NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb",
        );
        p.push(0x89);
        p.extend_from_slice(b"U\x08\x00\x01\xff\xfe\x00\x00\x01\x00");
        p.extend_from_slice(b"tb.");
        let v = pickle::load(&p).map_err(|e| e.message).unwrap();
        let Value::Array(a) = v else { panic!("not an array: {v:?}") };
        let a = a.borrow();
        assert_eq!(a.shape, vec![2, 2]);
        assert_eq!(a.data, vec![1.0, -2.0, 0.0, 256.0]);
    }

    #[test]
    fn python2_protocol0_strings_and_longs() {
        // A dict with a quoted STRING key, a LONG value and a memo GET.
        let p = b"(dp0\nS'a\\x41\\n'\np1\nL12345678901L\nsS'b'\ng1\ns.";
        let v = pickle::load(p).map_err(|e| e.message).unwrap();
        let Value::Dict(d) = v else { panic!("not a dict") };
        let d = d.borrow();
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].0.as_text().unwrap(), "aA\n");
        assert_eq!(d[0].1.as_int(), Some(12_345_678_901));
        assert_eq!(d[1].1.as_text().unwrap(), "aA\n");
    }

    #[test]
    fn fortran_order_arrays_are_transposed() {
        let mut p = vec![0x80, 2];
        p.extend_from_slice(b"cnumpy._core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85C\x01b\x87R");
        p.extend_from_slice(b"(K\x01K\x02K\x03\x86cnumpy\ndtype\nX\x02\x00\x00\x00u1\x89\x88\x87R");
        p.extend_from_slice(b"(K\x03X\x01\x00\x00\x00|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb");
        p.push(0x88);
        p.extend_from_slice(b"C\x06\x01\x04\x02\x05\x03\x06tb.");
        let Value::Array(a) = pickle::load(&p).map_err(|e| e.message).unwrap() else { panic!("not an array") };
        assert_eq!(a.borrow().data, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    }
}
