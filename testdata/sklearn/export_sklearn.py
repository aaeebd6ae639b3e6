#!/usr/bin/env python3
"""Fit scikit-learn linear classifiers and write them as ONNX-ML graphs.

The models in this folder were produced by this script. The Go code never
runs it: the .onnx files and their .json sidecars are committed.

skl2onnx is not used (it is not packaged for Debian). The script writes the
graphs itself with onnx.helper, in skl2onnx's layout for these estimators,
following the ONNX-ML operator specification
(https://onnx.ai/onnx/operators/#ai-onnx-ml):

  - a StandardScaler of a Pipeline becomes ai.onnx.ml.Scaler with
    offset = mean_ and scale = 1 / scale_ (y = (x - offset) * scale);
  - the classifier becomes ai.onnx.ml.LinearClassifier with coefficients
    coef_ (row-major [classes][features]) and intercepts intercept_; for two
    classes, as skl2onnx does, the rows (-w, w) and intercepts (-b, b), so
    that the scores are (-z, z) with z = decision_function; classlabels_ints
    the classes_; post_transform SOFTMAX for multinomial logistic
    regression, LOGISTIC for one-vs-rest and binary logistic regression,
    NONE for LinearSVC;
  - one-vs-rest logistic regression with more than two classes adds
    ai.onnx.ml.Normalizer (norm L1) to make the probabilities sum to 1;
  - the probabilities go through Identity and ai.onnx.ml.ZipMap to the
    output "output_probability" (a sequence of maps); the label is the
    output "output_label".

After writing a model the script reads it back and computes its
predictions from the graph with numpy, in float64 from the float32
attributes (what zkeval does), per the operator specification: the label is
the class of the largest score (the first one on a tie, numpy's argmax,
which is what scikit-learn's predict uses). These must equal scikit-learn's
own predictions on every test sample; the sidecar records both accuracies.

Data: the tabular sets through testdata/tabular/train_tabular.py's reader
(it runs `zkeval benchmark import`, so the features are exactly the
benchmark's X / InputScale), MNIST through testdata/models/train_mnist.py's
reader of the original IDX files (pixel / 255, flattened to 784 features).

Example (from the repository root):
    /usr/bin/python3 testdata/sklearn/export_sklearn.py breast_cancer_sk_logreg
"""

import argparse
import hashlib
import json
import os
import shlex
import sys
import tempfile
import time

import numpy as np
import onnx
import sklearn
from onnx import helper, numpy_helper
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tabular"))
sys.path.insert(0, os.path.join(HERE, "..", "models"))
import train_mnist  # noqa: E402
import train_tabular  # noqa: E402


def estimators():
    """Model name -> (data set, estimator, description)."""
    return {
        "breast_cancer_sk_logreg": (
            "breast-cancer",
            make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000)),
            "Pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))"),
        "credit_g_sk_linearsvc": (
            "credit-g",
            LinearSVC(C=0.05, dual=False, max_iter=10000),
            "LinearSVC(C=0.05, dual=False, max_iter=10000)"),
        "mnist_sk_logreg": (
            "mnist",
            LogisticRegression(C=0.1, max_iter=200),
            "LogisticRegression(C=0.1, max_iter=200) (multinomial, lbfgs)"),
        "mnist_sk_logreg_ovr": (
            "mnist",
            LogisticRegression(C=0.1, multi_class="ovr", solver="liblinear", max_iter=100),
            "LogisticRegression(C=0.1, multi_class='ovr', solver='liblinear', max_iter=100)"),
    }


def load(dataset, zkeval):
    """Returns xtr, ytr, xte, yte (features as float64) and data provenance."""
    if dataset == "mnist":
        d = train_mnist.default_data_dir()
        xtr, ytr = train_mnist.load_split(d, train_mnist.TRAIN_IMAGES, train_mnist.TRAIN_LABELS, 60000)
        xte, yte = train_mnist.load_split(d, train_mnist.TEST_IMAGES, train_mnist.TEST_LABELS, 10000)
        flat = lambda x: x.reshape(len(x), -1).astype(np.float64)
        return flat(xtr), ytr, flat(xte), yte, {"data": "MNIST (60,000 official training images; 10,000 official test images)",
                                                 "sha256": train_mnist.SHA256}
    with tempfile.TemporaryDirectory() as tmp:
        train = train_tabular.import_split(zkeval, dataset, "train", tmp)
        test = train_tabular.import_split(zkeval, dataset, "test", tmp)
    scale = float(train["scale"])
    prov = {"data": dataset, "trainBenchmarkSha256": train["sha256"], "testBenchmarkSha256": test["sha256"],
            "benchmarkClasses": train["classes"]}
    return train["X"] / scale, train["labels"], test["X"] / scale, test["labels"], prov


def floats(v):
    return [float(x) for x in np.asarray(v, dtype=np.float64).ravel()]


def write_onnx(est, nfeat, path, name):
    """Writes est as an ONNX-ML graph in skl2onnx's layout."""
    steps = est.steps if hasattr(est, "steps") else [("clf", est)]
    nodes, inits = [], []
    x = "float_input"
    for _, step in steps[:-1]:
        if not isinstance(step, StandardScaler):
            raise SystemExit("unsupported pipeline step %r" % step)
        nodes.append(helper.make_node("Scaler", [x], ["variable"], name="Scaler", domain="ai.onnx.ml",
                                      offset=floats(step.mean_), scale=floats(1.0 / step.scale_)))
        x = "variable"
    clf = steps[-1][1]
    classes = [int(c) for c in clf.classes_]
    coef = np.asarray(clf.coef_, dtype=np.float64)
    icp = np.asarray(clf.intercept_, dtype=np.float64).ravel()
    if len(classes) == 2:
        coef = np.vstack([-coef, coef])
        icp = np.concatenate([-icp, icp])
    ovr = isinstance(clf, LogisticRegression) and (clf.multi_class == "ovr" or (clf.multi_class == "auto" and (len(classes) == 2 or clf.solver == "liblinear")))
    if isinstance(clf, LinearSVC):
        post = "NONE"
    elif isinstance(clf, LogisticRegression) and not ovr:
        post = "SOFTMAX"
    else:
        post = "LOGISTIC"
    nodes.append(helper.make_node(
        "LinearClassifier", [x], ["label", "probability_tensor"], name="LinearClassifier", domain="ai.onnx.ml",
        coefficients=floats(coef), intercepts=floats(icp), classlabels_ints=classes,
        multi_class=1 if (ovr and len(classes) > 2) else 0, post_transform=post))
    prob = "probability_tensor"
    if ovr and len(classes) > 2 and post == "LOGISTIC":
        nodes.append(helper.make_node("Normalizer", [prob], ["normalized"], name="Normalizer", domain="ai.onnx.ml", norm="L1"))
        prob = "normalized"
    nodes.append(helper.make_node("Identity", [prob], ["probabilities"], name="Identity"))
    nodes.append(helper.make_node("Cast", ["label"], ["output_label"], name="Cast", to=onnx.TensorProto.INT64))
    nodes.append(helper.make_node("ZipMap", ["probabilities"], ["output_probability"], name="ZipMap", domain="ai.onnx.ml",
                                  classlabels_int64s=classes))
    seq = onnx.TypeProto()
    seq.sequence_type.elem_type.map_type.key_type = onnx.TensorProto.INT64
    seq.sequence_type.elem_type.map_type.value_type.tensor_type.elem_type = onnx.TensorProto.FLOAT
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("float_input", onnx.TensorProto.FLOAT, [None, nfeat])],
        [helper.make_tensor_value_info("output_label", onnx.TensorProto.INT64, [None]),
         helper.make_value_info("output_probability", seq)],
        inits)
    model = helper.make_model(graph, producer_name="zkeval testdata/sklearn/export_sklearn.py",
                              opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("ai.onnx.ml", 1)])
    model.ir_version = 7
    # full_check (shape inference) does not handle ZipMap's sequence of maps
    # in onnx 1.12; the structural check does.
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return post


def graph_predict(path, x):
    """Predicts from the written graph with numpy, per the ONNX-ML spec."""
    m = onnx.load(path)
    for n in m.graph.node:
        a = {at.name: helper.get_attribute_value(at) for at in n.attribute}
        if n.op_type == "Scaler":
            x = (x - np.array(a["offset"], dtype=np.float32).astype(np.float64)) * np.array(a["scale"], dtype=np.float32).astype(np.float64)
        elif n.op_type == "LinearClassifier":
            labels = list(a["classlabels_ints"])
            icp = np.array(a["intercepts"], dtype=np.float32).astype(np.float64)
            coef = np.array(a["coefficients"], dtype=np.float32).astype(np.float64).reshape(len(icp), -1)
            scores = x @ coef.T + icp
            if len(icp) == 1:
                return np.where(scores[:, 0] > 0, labels[1], labels[0])
            return np.array(labels)[scores.argmax(1)]
    raise SystemExit("no LinearClassifier in %s" % path)


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def write_sidecar(side, path):
    """Writes the sidecar as indented JSON, the predictions on one line."""
    preds = side.pop("testPredictions")
    text = json.dumps(side, indent=2)
    text = text[:-2] + ',\n  "testPredictions": ' + json.dumps(preds) + "\n}\n"
    json.loads(text)
    with open(path, "w") as f:
        f.write(text)


def main():
    models = estimators()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model", choices=sorted(models))
    ap.add_argument("--zkeval", default="go run ./cmd/zkeval",
                    help="command that runs zkeval, for the tabular benchmarks (default: go run ./cmd/zkeval, from the repository root)")
    args = ap.parse_args()
    dataset, est, desc = models[args.model]
    xtr, ytr, xte, yte, prov = load(dataset, shlex.split(args.zkeval))
    t0 = time.time()
    est.fit(xtr, ytr)
    fit_s = time.time() - t0
    path = os.path.join(HERE, args.model + ".onnx")
    post = write_onnx(est, xtr.shape[1], path, args.model)
    sk_te, sk_tr = est.predict(xte), est.predict(xtr)
    g_te = graph_predict(path, xte)
    agree = int((g_te == sk_te).sum())
    if agree != len(yte):
        raise SystemExit("the graph's predictions differ from scikit-learn's on %d test samples" % (len(yte) - agree))
    m = onnx.load(path)
    side = {
        "file": os.path.basename(path),
        "sha256": sha256_file(path),
        "estimator": desc,
        "postTransform": post,
        "onnxOps": [("%s.%s" % (n.domain, n.op_type)) if n.domain else n.op_type for n in m.graph.node],
        "features": int(xtr.shape[1]),
        "classes": [int(c) for c in est.classes_],
        "trainSamples": int(len(ytr)),
        "trainCorrect": int((sk_tr == ytr).sum()),
        "testSamples": int(len(yte)),
        "testCorrect": int((sk_te == yte).sum()),
        "graphTestCorrect": int((g_te == yte).sum()),
        "graphAgreesWithSklearn": "%d/%d" % (agree, len(yte)),
        "fitSeconds": round(fit_s, 1),
        "sklearn": sklearn.__version__,
        "onnx": onnx.__version__,
        "numpy": np.__version__,
        "command": " ".join(shlex.quote(a) for a in ["/usr/bin/python3"] + sys.argv),
    }
    side.update(prov)
    # scikit-learn's predict on every test sample, for the Go test that
    # compares zkeval's float import with it.
    side["testPredictions"] = [int(p) for p in sk_te]
    write_sidecar(side, os.path.splitext(path)[0] + ".json")
    print("%s: %s, test %d/%d (graph %d, agreement %s), fit %.1f s" % (
        path, desc, side["testCorrect"], len(yte), side["graphTestCorrect"], side["graphAgreesWithSklearn"], fit_s))


if __name__ == "__main__":
    main()
