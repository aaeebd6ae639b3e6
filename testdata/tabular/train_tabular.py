#!/usr/bin/env python3
"""Train a logistic regression or a small MLP on a tabular benchmark's train
split and export it to ONNX.

The models in this folder were produced by this script. The Go code never runs
it: the resulting .onnx files and their .json sidecars are committed.

Data: the script does not re-implement the schema encoding. It runs
`zkeval benchmark import` (by default `go run ./cmd/zkeval`, from the
repository root) to write the train and test splits as .bench files, exactly
as the Go loader encodes them, and reads those files with a small reader of
the canonical encoding documented in benchmark/doc.go (format versions 1 and
2). It checks that the sha256 of each file equals the digest zkeval printed.

Input convention (relied on by the Go side): the model input is the
benchmark's feature value X[i][j] / InputScale as float32, shape
[batch, features]: one-hot features are 0 or 1, and numeric features are
(v - subtract) / divide as the schema declares (for the committed schemas,
the train split's mean and standard deviation, so roughly z-scores). The
script applies no further normalisation.

Architectures: "logreg" is one Linear(features, classes) layer (multinomial
logistic regression; for two classes, logistic regression with two logits);
"mlp" is Linear layers with ReLU between them, e.g. --hidden 16 gives
features-16-classes. The outputs are logits; the prediction is the argmax.

Heads (--head): "logits" (the default) exports the logits; "softmax" and
"logsoftmax" end the exported graph with F.softmax / F.log_softmax over the
classes (training uses the logits); "logit" has one output z, the logit of
class 1, trained with BCEWithLogitsLoss, and predicts class 1 when z > 0;
"sigmoid" is "logit" exported with a final torch.sigmoid (class 1 when
sigmoid(z) > 0.5). --batchnorm before|after puts a BatchNorm1d after each
hidden Linear, before or after its ReLU (mlp only).

Hidden activations (--act, mlp only): relu (the default), leakyrelu
(nn.LeakyReLU, slope 0.01), tanh, sigmoid, gelu (F.gelu, exact erf form;
torch exports it as Div, Erf, Add, Mul, Mul below opset 20), hardswish and
hardsigmoid (exported as the ONNX HardSwish and HardSigmoid ops).
--gelu-op rewrites the exported Erf form of GELU into the single ONNX
`Gelu` node of opset 20 (which this torch cannot export), setting the
model's default-domain opset to 20; the weights are unchanged, and the
float accuracy is checked on the rewritten graph's computation.

Example (from the repository root):
    /usr/bin/python3 testdata/tabular/train_tabular.py --data credit-g \\
        --arch mlp --hidden 16 --out testdata/tabular/credit_g_mlp_58_16_2.onnx
"""

import argparse
import copy
import hashlib
import json
import os
import shlex
import struct
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))

# Data sets: the source file, its import kind and its schema, all in this
# folder. The sha256 sums pin the exact files (see README.md).
DATASETS = {
    "credit-g": ("credit-g.arff", "arff", "credit-g.schema.json",
                 "bd94085134e4eb845c96b34c93ed65a223f89d089bacb273ef96f57509ce0bed"),
    "breast-cancer": ("breast_cancer.csv", "csv", "breast_cancer.schema.json",
                      "fed3eb72d0575ef6192293f5093c6e801b1476b577d0386bf4455504522172ed"),
}


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Reader:
    """Reads the canonical benchmark encoding (benchmark/doc.go)."""

    def __init__(self, data):
        self.data, self.off = data, 0

    def take(self, n):
        if self.off + n > len(self.data):
            raise ValueError("truncated at byte %d" % self.off)
        p = self.data[self.off:self.off + n]
        self.off += n
        return p

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack(">H", self.take(2))[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def i64(self):
        return struct.unpack(">q", self.take(8))[0]

    def string(self):
        return self.take(self.u16()).decode("utf-8")

    def strings(self, n):
        return [self.string() for _ in range(n)]


def read_bench(path):
    """Returns a dict with name, split, classes, scale, X (int64 [N, F]),
    labels, group_attribute, groups, group_names and spec."""
    with open(path, "rb") as f:
        data = f.read()
    r = Reader(data)
    if r.take(17) != b"zkeval-benchmark\x00":
        raise ValueError("%s: not a zkeval benchmark" % path)
    version = r.u16()
    if version not in (1, 2):
        raise ValueError("%s: format version %d" % (path, version))
    b = {"name": r.string(), "split": r.string()}
    b["classes"] = r.strings(r.u16())
    nfeat = r.u32()
    b["scale"] = r.i64()
    b["group_attribute"], b["group_names"], b["spec"] = "", [], None
    if version == 2:
        b["group_attribute"] = r.string()
        b["group_names"] = r.strings(r.u16())
        if r.u8() == 1:
            spec = {"scale_bits": r.u8(), "label_column": r.string()}
            spec["class_values"] = [r.strings(r.u16()) for _ in b["classes"]]
            spec["group_column"] = r.string()
            ngroups = len(b["group_names"])
            if ngroups:
                rule = r.u8()
                spec["group_rule"] = rule
                if rule == 1:
                    spec["group_values"] = [r.strings(r.u16()) for _ in range(ngroups)]
                else:
                    spec["group_thresholds"] = r.strings(ngroups - 1)
            cols = []
            for _ in range(r.u32()):
                c = {"name": r.string(), "kind": r.u8()}
                if c["kind"] == 1:
                    c["subtract"], c["divide"] = r.string(), r.string()
                else:
                    c["categories"] = r.strings(r.u32())
                cols.append(c)
            spec["columns"] = cols
            b["spec"] = spec
    n = r.u32()
    w = r.u8()
    fmt = {1: "B", 2: "h", 4: "i", 8: "q"}[w]
    has_groups = bool(b["group_names"])
    X = np.zeros((n, nfeat), dtype=np.int64)
    labels = np.zeros(n, dtype=np.int64)
    groups = np.zeros(n, dtype=np.int64) if has_groups else None
    row = struct.Struct(">" + fmt * nfeat)
    for i in range(n):
        labels[i] = r.u16()
        if has_groups:
            groups[i] = r.u16()
        X[i] = row.unpack(r.take(w * nfeat))
    if r.off != len(data):
        raise ValueError("%s: trailing bytes" % path)
    b.update(X=X, labels=labels, groups=groups)
    return b


def import_split(zkeval, dataset, split, outdir):
    src, kind, schema, want_sha = DATASETS[dataset]
    src_path = os.path.join(HERE, src)
    got = sha256_file(src_path)
    if got != want_sha:
        sys.exit("%s: sha256 %s, want %s (see README.md)" % (src_path, got, want_sha))
    out = os.path.join(outdir, "%s-%s.bench" % (dataset, split))
    cmd = zkeval + ["benchmark", "import", kind, src_path, "--schema", os.path.join(HERE, schema),
                    "--split", split, "-o", out, "--json"]
    res = subprocess.run(cmd, check=True, capture_output=True, text=True)
    info = json.loads(res.stdout)
    if sha256_file(out) != info["sha256"]:
        sys.exit("%s: the file's sha256 is not the digest zkeval printed" % out)
    b = read_bench(out)
    b["sha256"] = info["sha256"]
    return b


ACTS = {
    "relu": torch.relu,
    "leakyrelu": nn.LeakyReLU(0.01),
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "gelu": nn.functional.gelu,
    "hardswish": nn.Hardswish(),
    "hardsigmoid": nn.Hardsigmoid(),
}


def gelu_to_op(m):
    """Rewrites every Erf-form GELU (Div(x, c), Erf, Add(., 1), Mul(x, .),
    Mul(., 0.5)) into one opset-20 Gelu node."""
    from onnx import helper
    nodes = list(m.graph.node)
    prod = {o: n for n in nodes for o in n.output}
    readers = {}
    for n in nodes:
        for i in n.input:
            readers.setdefault(i, []).append(n)
    out = []
    drop = set()
    for n in nodes:
        if n.op_type != "Erf":
            continue
        div = prod[n.input[0]]
        x = div.input[0]
        add = readers[n.output[0]][0]
        mul1 = readers[add.output[0]][0]
        mul2 = readers[mul1.output[0]][0]
        assert (div.op_type, add.op_type, mul1.op_type, mul2.op_type) == ("Div", "Add", "Mul", "Mul")
        for k in (div, n, add, mul1, mul2):
            drop.add(id(k))
        out.append((id(div), helper.make_node("Gelu", [x], [mul2.output[0]], name=n.name.replace("Erf", "Gelu"))))
    repl = dict(out)
    new = []
    for n in nodes:
        if id(n) in repl:
            new.append(repl[id(n)])
        elif id(n) not in drop:
            new.append(n)
    del m.graph.node[:]
    m.graph.node.extend(new)
    used = {i for n in new for i in n.input}
    keep = [t for t in m.graph.initializer if t.name in used]
    del m.graph.initializer[:]
    m.graph.initializer.extend(keep)
    for o in m.opset_import:
        if o.domain in ("", "ai.onnx"):
            o.version = 20
    m.ir_version = 9
    return m


class MLP(nn.Module):
    def __init__(self, widths, head="logits", batchnorm="none", act="relu"):
        super().__init__()
        self.act = ACTS[act]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths, widths[1:]))
        self.head, self.batchnorm = head, batchnorm
        if batchnorm != "none":
            self.norms = nn.ModuleList(nn.BatchNorm1d(w) for w in widths[1:-1])

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                if self.batchnorm == "before":
                    x = self.norms[i](x)
                x = self.act(x)
                if self.batchnorm == "after":
                    x = self.norms[i](x)
        if self.training:
            return x
        if self.head == "softmax":
            return torch.softmax(x, dim=1)
        if self.head == "logsoftmax":
            return torch.log_softmax(x, dim=1)
        if self.head == "sigmoid":
            return torch.sigmoid(x)
        return x


def predict(head, out):
    """The prediction: class 1 when the one output is > 0 (logit) or > 0.5
    (sigmoid), else the first index of the largest output."""
    if head == "logit":
        return (out[:, 0] > 0).astype(np.int64)
    if head == "sigmoid":
        return (out[:, 0] > 0.5).astype(np.int64)
    return out.argmax(1)


def numpy_forward(layers, x):
    """Float64 forward pass with the exported weights."""
    for i, (w, b) in enumerate(layers):
        x = x @ w.T + b
        if i < len(layers) - 1:
            x = np.maximum(x, 0)
    return x


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", choices=sorted(DATASETS), required=True)
    ap.add_argument("--arch", choices=["logreg", "mlp"], required=True)
    ap.add_argument("--hidden", default="16", help="mlp: comma-separated hidden widths")
    ap.add_argument("--head", choices=["logits", "softmax", "logsoftmax", "logit", "sigmoid"], default="logits")
    ap.add_argument("--batchnorm", choices=["none", "before", "after"], default="none")
    ap.add_argument("--epochs", type=int, default=300, help="full-batch Adam steps")
    ap.add_argument("--lr", type=float, default=1e-2)
    ap.add_argument("--weight-decay", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--opset", type=int, default=14)
    ap.add_argument("--act", choices=sorted(ACTS), default="relu")
    ap.add_argument("--gelu-op", action="store_true", help="rewrite GELU into the opset-20 Gelu node")
    ap.add_argument("--out", required=True)
    ap.add_argument("--zkeval", default="go run ./cmd/zkeval",
                    help="command that runs zkeval (default: go run ./cmd/zkeval, from the repository root)")
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(2)

    with tempfile.TemporaryDirectory() as tmp:
        zk = shlex.split(args.zkeval)
        train = import_split(zk, args.data, "train", tmp)
        test = import_split(zk, args.data, "test", tmp)

    scale = float(train["scale"])
    xtr = train["X"].astype(np.float64) / scale
    xte = test["X"].astype(np.float64) / scale
    ytr, yte = train["labels"], test["labels"]
    nfeat, nclass = xtr.shape[1], len(train["classes"])

    ztr = torch.tensor(xtr, dtype=torch.float32)
    ttr = torch.tensor(ytr, dtype=torch.long)

    hidden = [int(h) for h in args.hidden.split(",")] if args.arch == "mlp" else []
    binary = args.head in ("logit", "sigmoid")
    if binary and nclass != 2:
        sys.exit("--head %s needs 2 classes" % args.head)
    if args.batchnorm != "none" and not hidden:
        sys.exit("--batchnorm needs --arch mlp")
    widths = [nfeat] + hidden + [1 if binary else nclass]
    if args.act != "relu" and not hidden:
        sys.exit("--act needs --arch mlp")
    net = MLP(widths, args.head, args.batchnorm, args.act)
    opt = torch.optim.Adam(net.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    lossf = nn.CrossEntropyLoss()
    target = ttr
    if binary:
        lossf = nn.BCEWithLogitsLoss()
        target = ttr.to(torch.float32).unsqueeze(1)
    history = []
    for epoch in range(args.epochs):
        net.train()
        opt.zero_grad()
        loss = lossf(net(ztr), target)
        loss.backward()
        opt.step()
        if (epoch + 1) % 50 == 0 or epoch + 1 == args.epochs:
            history.append({"step": epoch + 1, "loss": round(float(loss), 6)})

    net.eval()
    dummy = torch.zeros(1, nfeat, dtype=torch.float32)
    torch.onnx.export(net, dummy, args.out, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      opset_version=args.opset, do_constant_folding=True)
    m = onnx.load(args.out)
    onnx.checker.check_model(m, full_check=True)
    if args.gelu_op:
        if args.act != "gelu":
            sys.exit("--gelu-op needs --act gelu")
        m = gelu_to_op(m)
        onnx.save(m, args.out)  # this onnx's checker predates opset 20
    plain = args.head == "logits" and args.batchnorm == "none" and args.act == "relu"
    if plain:
        inits = {i.name: numpy_helper.to_array(i).astype(np.float64) for i in m.graph.initializer}
        layers = [(inits["layers.%d.weight" % i], inits["layers.%d.bias" % i]) for i in range(len(widths) - 1)]
    net64 = copy.deepcopy(net).double().eval()

    def accuracy(x, y):
        with torch.no_grad():
            torch_pred = predict(args.head, net(torch.tensor(x, dtype=torch.float32)).numpy())
            if plain:
                np_pred = numpy_forward(layers, x).argmax(1)
            else:
                np_pred = predict(args.head, net64(torch.tensor(x, dtype=torch.float64)).numpy())
        return int((torch_pred == y).sum()), int((np_pred == y).sum())

    tr_t, tr_n = accuracy(xtr, ytr)
    te_t, te_n = accuracy(xte, yte)
    if abs(te_t - te_n) > 1:
        sys.exit("float32 (torch) and float64 test counts differ: %d vs %d" % (te_t, te_n))

    with open(args.out, "rb") as f:
        onnx_sha = hashlib.sha256(f.read()).hexdigest()
    side = {
        "data": args.data,
        "source": DATASETS[args.data][0],
        "sourceSha256": DATASETS[args.data][3],
        "schema": DATASETS[args.data][2],
        "schemaSha256": sha256_file(os.path.join(HERE, DATASETS[args.data][2])),
        "trainBenchmarkSha256": train["sha256"],
        "testBenchmarkSha256": test["sha256"],
        "architecture": "-".join(str(x) for x in widths),
        "kind": args.arch,
        "head": args.head,
        "batchnorm": args.batchnorm,
        "activation": args.act + (" (opset-20 Gelu node)" if args.gelu_op else ""),
        "onnxOps": [n.op_type for n in m.graph.node],
        "opset": args.opset,
        "seed": args.seed,
        "steps": args.epochs,
        "optimizer": "Adam (full batch), lr %g, weight decay %g" % (args.lr, args.weight_decay),
        "inputs": "benchmark features X/InputScale, float32, shape [batch, %d]" % nfeat,
        "trainSamples": int(len(ytr)),
        "trainCorrect": tr_n,
        "testSamples": int(len(yte)),
        "testCorrect": te_n,
        "testAccuracy": round(te_n / len(yte), 4),
        "history": history,
        "onnxSha256": onnx_sha,
        "torch": torch.__version__,
        "onnx": onnx.__version__,
        "numpy": np.__version__,
        "command": " ".join(shlex.quote(a) for a in ["/usr/bin/python3"] + sys.argv),
    }
    side_path = os.path.splitext(args.out)[0] + ".json"
    with open(side_path, "w") as f:
        json.dump(side, f, indent=2)
        f.write("\n")
    print("%s: %s, train %d/%d, test %d/%d (float64 %d)" % (
        args.out, side["architecture"], tr_n, len(ytr), te_t, len(yte), te_n))


if __name__ == "__main__":
    main()
