#!/usr/bin/env python3
"""Generate the small Planetoid-format fixtures used by caputo-cli's tests.

Writes, under crates/caputo-cli/tests/fixtures/planetoid/ (or the directory
given as the first argument), files in the exact format of the Planetoid
datasets (Cora, Citeseer, Pubmed) as distributed with Kipf & Welling's GCN
code: ``ind.<name>.{x,tx,allx,y,ty,ally,graph}`` are Python pickles
(scipy.sparse CSR matrices, numpy arrays, a ``collections.defaultdict`` of
lists) and ``ind.<name>.test.index`` is text, one node id per line.

Datasets written:

* ``tiny``     12 nodes, 3 classes, 5 features; test ids 8..11 listed out of
               order (exercises the test.index reordering); the graph has a
               duplicate edge and a self loop (both must be dropped).
* ``gappy``    Citeseer-like: the test ids have a gap (node 11 is in no file,
               like Citeseer's isolated test nodes), so tx/ty must be padded
               with a zero row. Labels stored as float64.
* ``tiny_p0``, ``tiny_p4``  ``tiny`` pickled with protocols 0 and 4 (the
               originals are protocol 2; these check the reader's coverage).
* ``badedge``  ``tiny`` whose graph names node 12 (out of range).
* ``badlabel`` ``tiny`` whose ally has a row with two ones (not one-hot).
* ``badsize``  ``tiny`` whose ally has one row fewer than allx.

For ``tiny`` and ``gappy`` it also writes ``<name>.expected``: the result of
Kipf's ``load_data`` (re-implemented below with numpy/scipy only) as plain
text, which the Rust tests compare against. Three documented differences from
Kipf's code, matching caputo's loader: self loops are dropped and edges are
listed once as ``u-v`` with ``u < v``; the validation range
``len(y)..len(y)+500`` is clipped to the ``allx`` rows (the tiny graphs have
fewer than 500 such nodes); and the Citeseer padding is applied whenever the
test ids have gaps, not only for a dataset named "citeseer".

Python dependencies (generation only; the Rust code needs none of this):
    python3 >= 3.8, numpy, scipy        e.g.  pip install numpy scipy
The output is deterministic (fixed data, no randomness). Pickles are written
with protocol 2 unless stated, like the original files.
"""

import collections
import os
import pickle
import sys

import numpy as np
import scipy.sparse as sp

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "crates", "caputo-cli", "tests", "fixtures", "planetoid")


def one_hot(labels, n_classes, dtype):
    out = np.zeros((len(labels), n_classes), dtype=dtype)
    for i, c in enumerate(labels):
        out[i, c] = 1
    return out


def features(node, n_features):
    # Deterministic sparse features, two non-zeros per node; the largest
    # value of node i is 1 + i, so a wrong reordering is visible.
    row = np.zeros(n_features, dtype=np.float32)
    row[node % n_features] = 1.0 + node
    row[(node % n_features + 1 + node % 3) % n_features] = 0.25
    return row


def tiny_spec():
    n_all, n_features, n_classes = 8, 5, 3
    labels = {i: (i * 2 + 1) % n_classes for i in range(13)}
    test_index = [10, 8, 11, 9]  # deliberately not sorted
    graph = collections.defaultdict(list)
    for u, v in [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (6, 7),
                 (7, 8), (8, 9), (9, 10), (10, 11), (0, 11), (2, 9)]:
        graph[u].append(v)
        graph[v].append(u)
    graph[1].append(2)   # duplicate of (1, 2) in the same direction
    graph[5].append(5)   # self loop
    return dict(n_all=n_all, n_train=3, n_features=n_features, n_classes=n_classes,
                labels=labels, test_index=test_index, graph=graph, label_dtype=np.int32)


def gappy_spec():
    spec = tiny_spec()
    spec["test_index"] = [12, 8, 10, 9]  # 11 missing: an isolated test node
    graph = collections.defaultdict(list)
    for u, v in [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (6, 7),
                 (7, 8), (8, 9), (9, 10), (10, 12), (0, 12)]:
        graph[u].append(v)
        graph[v].append(u)
    graph[11] = []  # Citeseer's isolated nodes still appear as keys
    spec["graph"] = graph
    spec["label_dtype"] = np.float64
    return spec


def build(spec):
    """The eight Planetoid objects for a spec."""
    n_all, n_train = spec["n_all"], spec["n_train"]
    nf, nc = spec["n_features"], spec["n_classes"]
    lab, dt = spec["labels"], spec["label_dtype"]
    allx = sp.csr_matrix(np.stack([features(i, nf) for i in range(n_all)]))
    ally = one_hot([lab[i] for i in range(n_all)], nc, dt)
    x = allx[:n_train]
    y = ally[:n_train].copy()
    # Row k of tx/ty belongs to node test_index[k] (the file order).
    tidx = spec["test_index"]
    tx = sp.csr_matrix(np.stack([features(i, nf) for i in tidx]))
    ty = one_hot([lab[i] for i in tidx], nc, dt)
    return dict(x=x, y=y, tx=tx, ty=ty, allx=allx, ally=ally, graph=spec["graph"],
                test_index=tidx)


def write(out, name, objs, protocol=2):
    for key in ["x", "y", "tx", "ty", "allx", "ally", "graph"]:
        with open(os.path.join(out, "ind.{}.{}".format(name, key)), "wb") as f:
            pickle.dump(objs[key], f, protocol=protocol)
    with open(os.path.join(out, "ind.{}.test.index".format(name)), "w") as f:
        for i in objs["test_index"]:
            f.write("{}\n".format(i))


def kipf_load(objs):
    """Kipf's load_data (gcn/utils.py), with the differences in the header."""
    x, y, tx, ty, allx, ally, graph = (objs[k] for k in
                                       ["x", "y", "tx", "ty", "allx", "ally", "graph"])
    test_idx_reorder = list(objs["test_index"])
    test_idx_range = np.sort(test_idx_reorder)
    full = range(min(test_idx_reorder), max(test_idx_reorder) + 1)
    if len(full) != len(test_idx_reorder):
        tx_extended = sp.lil_matrix((len(full), x.shape[1]))
        tx_extended[test_idx_range - min(test_idx_range), :] = tx
        tx = tx_extended
        ty_extended = np.zeros((len(full), y.shape[1]))
        ty_extended[test_idx_range - min(test_idx_range), :] = ty
        ty = ty_extended
    feats = sp.vstack((allx, tx)).tolil()
    feats[test_idx_reorder, :] = feats[test_idx_range, :]
    labels = np.vstack((ally, ty))
    labels[test_idx_reorder, :] = labels[test_idx_range, :]
    edges = set()
    for u, vs in graph.items():
        for v in vs:
            if u != v:
                edges.add((min(u, v), max(u, v)))
    n_all = allx.shape[0]
    return dict(
        features=feats.toarray(),
        labels=labels.argmax(axis=1),  # all-zero rows give class 0, as in Kipf/PyG
        edges=sorted(edges),
        train=list(range(len(y))),
        val=list(range(len(y), min(len(y) + 500, n_all))),
        test=[int(i) for i in test_idx_range],
    )


def write_expected(out, name, res):
    with open(os.path.join(out, "{}.expected".format(name)), "w") as f:
        f.write("n_nodes {}\n".format(res["features"].shape[0]))
        f.write("labels {}\n".format(" ".join(str(int(c)) for c in res["labels"])))
        f.write("train {}\n".format(" ".join(map(str, res["train"]))))
        f.write("val {}\n".format(" ".join(map(str, res["val"]))))
        f.write("test {}\n".format(" ".join(map(str, res["test"]))))
        f.write("edges {}\n".format(" ".join("{}-{}".format(u, v) for u, v in res["edges"])))
        for row in res["features"]:
            # repr of float32-representable values: exact when parsed as f32.
            f.write("features {}\n".format(" ".join(repr(float(v)) for v in row)))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT
    os.makedirs(out, exist_ok=True)

    tiny = build(tiny_spec())
    write(out, "tiny", tiny)
    write_expected(out, "tiny", kipf_load(tiny))
    write(out, "tiny_p0", tiny, protocol=0)
    write(out, "tiny_p4", tiny, protocol=4)

    gappy = build(gappy_spec())
    write(out, "gappy", gappy)
    write_expected(out, "gappy", kipf_load(gappy))

    bad = build(tiny_spec())
    bad["graph"] = collections.defaultdict(list, {k: list(v) for k, v in bad["graph"].items()})
    bad["graph"][3].append(12)
    write(out, "badedge", bad)

    bad = build(tiny_spec())
    bad["ally"] = bad["ally"].copy()
    bad["ally"][4, :] = 0
    bad["ally"][4, 0] = 1
    bad["ally"][4, 2] = 1
    write(out, "badlabel", bad)

    bad = build(tiny_spec())
    bad["ally"] = bad["ally"][:-1]
    write(out, "badsize", bad)


if __name__ == "__main__":
    main()
