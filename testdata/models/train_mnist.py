#!/usr/bin/env python3
"""Train a small MNIST multilayer perceptron with PyTorch and export it to ONNX.

The models in this folder were produced by this script. The Go code never runs
it: the resulting .onnx files and their .json sidecars are committed.

Data: the original MNIST distribution (IDX format, gzip), read directly with
numpy. Only the 60,000 official training images are used for training; the
reported accuracy is over all 10,000 official test images.

Input convention (relied on by the Go side): the model input is the raw pixel
value divided by 255, as float32, with shape [batch, 1, 28, 28]. No mean/std
normalisation is applied.

Architecture: x.view(x.size(0), -1), then Linear layers with ReLU between
them and no activation after the last one (the outputs are logits).

Variants, as MNIST tutorials write them: --normalize computes
(x - 0.1307) / 0.3081 inside forward (the input stays pixel / 255);
--batchnorm puts a BatchNorm1d after each hidden Linear, before its ReLU;
--dropout P a Dropout after each hidden ReLU (a no-op in the exported eval
graph); --head softmax or logsoftmax ends forward with F.softmax or
F.log_softmax (logsoftmax trains with NLLLoss on it, softmax trains on the
logits and applies it in eval mode only); --act gelu|tanh replaces the
hidden ReLU with F.gelu (exact, exported as Div, Erf, Add, Mul, Mul below
opset 20) or torch.tanh.

Example:
    /usr/bin/python3 testdata/models/train_mnist.py --hidden 56 --epochs 5 \\
        --seed 1 --out testdata/models/mnist_mlp_784_56_10.onnx \\
        --data-dir /path/to/mnist --input-size-check
"""

import argparse
import copy
import gzip
import hashlib
import json
import os
import shlex
import struct
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import numpy_helper

IMAGE_ROWS = 28
IMAGE_COLS = 28
INPUT_SIZE = IMAGE_ROWS * IMAGE_COLS
NUM_CLASSES = 10

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"

# sha256 of the original gzip files, so that a regeneration provably uses the
# same data.
SHA256 = {
    TRAIN_IMAGES: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    TRAIN_LABELS: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    TEST_IMAGES: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    TEST_LABELS: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

# IDX element type codes (third byte of the magic number).
IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_idx(path):
    """Reads a gzip-compressed IDX file into a numpy array."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError("%s: not an IDX file" % path)
    code, ndim = data[2], data[3]
    if code not in IDX_DTYPES:
        raise ValueError("%s: unknown IDX element type 0x%02x" % (path, code))
    dtype = IDX_DTYPES[code]
    header = 4 + 4 * ndim
    dims = struct.unpack(">" + "I" * ndim, data[4:header])
    count = int(np.prod(dims))
    if len(data) != header + count * dtype.itemsize:
        raise ValueError("%s: size %d does not match dims %s" % (path, len(data), dims))
    arr = np.frombuffer(data, dtype=dtype, count=count, offset=header)
    return arr.reshape(dims)


def load_split(data_dir, images_name, labels_name, expect_count):
    paths = [os.path.join(data_dir, n) for n in (images_name, labels_name)]
    for p in paths:
        got = sha256_file(p)
        want = SHA256[os.path.basename(p)]
        if got != want:
            raise SystemExit("%s: sha256 %s, want %s" % (p, got, want))
    images = read_idx(paths[0])
    labels = read_idx(paths[1])
    if images.shape != (expect_count, IMAGE_ROWS, IMAGE_COLS):
        raise SystemExit("%s: shape %s" % (paths[0], images.shape))
    if labels.shape != (expect_count,):
        raise SystemExit("%s: shape %s" % (paths[1], labels.shape))
    # Model input: raw pixel / 255, float32, [N, 1, 28, 28]. No normalisation.
    x = (images.astype(np.float32) / np.float32(255.0)).reshape(
        expect_count, 1, IMAGE_ROWS, IMAGE_COLS
    )
    y = labels.astype(np.int64)
    return x, y


class MLP(nn.Module):
    def __init__(self, widths, normalize=False, batchnorm=False, dropout=0.0, head="logits", act="relu"):
        super().__init__()
        self.act = {"relu": torch.relu, "gelu": torch.nn.functional.gelu, "tanh": torch.tanh}[act]
        self.n = len(widths) - 1
        self.normalize, self.batchnorm, self.dropout, self.head = normalize, batchnorm, dropout, head
        for i in range(self.n):
            setattr(self, "fc%d" % (i + 1), nn.Linear(widths[i], widths[i + 1]))
            if batchnorm and i < self.n - 1:
                setattr(self, "bn%d" % (i + 1), nn.BatchNorm1d(widths[i + 1]))
        if dropout:
            self.drop = nn.Dropout(dropout)

    def forward(self, x):
        if self.normalize:
            x = (x - 0.1307) / 0.3081
        x = x.view(x.size(0), -1)
        for i in range(self.n):
            x = getattr(self, "fc%d" % (i + 1))(x)
            if i < self.n - 1:
                if self.batchnorm:
                    x = getattr(self, "bn%d" % (i + 1))(x)
                x = self.act(x)
                if self.dropout:
                    x = self.drop(x)
        if self.head == "logsoftmax":
            return torch.log_softmax(x, dim=1)
        if self.head == "softmax" and not self.training:
            return torch.softmax(x, dim=1)
        return x

    def plain(self):
        return not (self.normalize or self.batchnorm or self.head != "logits" or self.act is not torch.relu)


def evaluate64(model, x, y, batch=1000):
    """Accuracy of a float64 copy of the model, the reference for zkeval's
    float64 import of a variant."""
    m = copy.deepcopy(model).double().eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            out = m(torch.from_numpy(x[i : i + batch]).double())
            correct += int((out.argmax(dim=1).numpy() == y[i : i + batch]).sum())
    return correct


def evaluate(model, x, y, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            logits = model(torch.from_numpy(x[i : i + batch]))
            correct += int((logits.argmax(dim=1).numpy() == y[i : i + batch]).sum())
    return correct


def onnx_dense_layers(graph):
    """Extracts (W [out][in], b, relu) from the exported graph with numpy.

    Handles what torch.onnx.export emits for nn.Linear: Gemm (with transB) or
    MatMul + Add, each optionally followed by Relu.
    """
    inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    layers = []
    for node in graph.node:
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "Gemm":
            w = inits[node.input[1]].astype(np.float64)
            if attrs.get("transB", 0) == 0:
                w = w.T
            if attrs.get("transA", 0) != 0:
                raise SystemExit("unexpected Gemm transA")
            w = w * attrs.get("alpha", 1.0)
            b = inits[node.input[2]].astype(np.float64) * attrs.get("beta", 1.0)
            layers.append([w, b, False])
        elif node.op_type == "MatMul":
            layers.append([inits[node.input[1]].astype(np.float64).T, None, False])
        elif node.op_type == "Add" and layers and layers[-1][1] is None:
            layers[-1][1] = inits[node.input[1]].astype(np.float64)
        elif node.op_type == "Relu":
            layers[-1][2] = True
    return layers


def input_size_check(path, x_test, y_test, torch_correct, widths):
    """Re-reads the exported file and checks the input size and the layers.

    Checks that the graph input is [batch, 1, 28, 28] (784 features after the
    flatten), that the first dense layer consumes 784 features, that the layer
    widths match, and that a float64 numpy evaluation of the extracted layers
    on all 10,000 test images gets the same number right as PyTorch.
    """
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    g = m.graph
    init_names = {t.name for t in g.initializer}
    inputs = [i for i in g.input if i.name not in init_names]
    if len(inputs) != 1:
        raise SystemExit("input-size-check: %d graph inputs" % len(inputs))
    dims = inputs[0].type.tensor_type.shape.dim
    shape = [d.dim_param if d.dim_param else d.dim_value for d in dims]
    if len(shape) != 4 or not isinstance(shape[0], str) or shape[1:] != [1, 28, 28]:
        raise SystemExit("input-size-check: input shape %s" % shape)
    features = int(np.prod(shape[1:]))
    layers = onnx_dense_layers(g)
    got_widths = [layers[0][0].shape[1]] + [l[0].shape[0] for l in layers]
    if features != INPUT_SIZE or got_widths[0] != INPUT_SIZE:
        raise SystemExit("input-size-check: %d features, first layer takes %d" % (features, got_widths[0]))
    if got_widths != widths:
        raise SystemExit("input-size-check: widths %s, want %s" % (got_widths, widths))
    relus = [l[2] for l in layers]
    if relus != [True] * (len(layers) - 1) + [False]:
        raise SystemExit("input-size-check: relu pattern %s" % relus)
    a = x_test.reshape(len(x_test), -1).astype(np.float64)
    for w, b, relu in layers:
        a = a @ w.T + b
        if relu:
            a = np.maximum(a, 0)
    np_correct = int((a.argmax(axis=1) == y_test).sum())
    print("input-size-check: input %s -> %d features, widths %s, numpy float64 eval %d/%d"
          % (shape, features, got_widths, np_correct, len(y_test)))
    if np_correct != torch_correct:
        # float64 vs float32 may flip a near-tie; report, but only fail on a
        # real discrepancy.
        print("input-size-check: note: numpy %d vs torch %d" % (np_correct, torch_correct))
        if abs(np_correct - torch_correct) > 2:
            raise SystemExit("input-size-check: accuracy mismatch")
    return np_correct


def default_data_dir():
    modcache = os.environ.get("GOMODCACHE") or os.path.join(
        os.path.expanduser("~"), "go", "pkg", "mod"
    )
    return os.path.join(
        modcache, "github.com", "petar", "!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63", "data"
    )


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--hidden", required=True, help="comma-separated hidden widths, e.g. 56 or 16,16")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--opset", type=int, default=14)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--out", required=True, help="output .onnx path; the sidecar is the same path with .json")
    p.add_argument("--data-dir", default=default_data_dir(),
                   help="folder holding the four original MNIST .gz IDX files")
    p.add_argument("--normalize", action="store_true", help="(x - 0.1307) / 0.3081 inside forward")
    p.add_argument("--batchnorm", action="store_true", help="BatchNorm1d after each hidden Linear, before its ReLU")
    p.add_argument("--dropout", type=float, default=0.0, help="Dropout after each hidden ReLU")
    p.add_argument("--head", choices=["logits", "softmax", "logsoftmax"], default="logits")
    p.add_argument("--act", choices=["relu", "gelu", "tanh"], default="relu", help="hidden activation")
    p.add_argument("--input-size-check", action="store_true",
                   help="after export, re-read the ONNX file and check input size, layer widths and accuracy")
    args = p.parse_args()

    hidden = [int(h) for h in args.hidden.split(",") if h.strip()]
    if not hidden or any(h <= 0 for h in hidden):
        raise SystemExit("--hidden: need positive widths")
    widths = [INPUT_SIZE] + hidden + [NUM_CLASSES]
    arch = "-".join(str(w) for w in widths)

    torch.set_num_threads(2)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)

    x_train, y_train = load_split(args.data_dir, TRAIN_IMAGES, TRAIN_LABELS, 60000)
    x_test, y_test = load_split(args.data_dir, TEST_IMAGES, TEST_LABELS, 10000)

    if args.act != "relu" and args.input_size_check:
        raise SystemExit("--input-size-check reads ReLU networks only")
    model = MLP(widths, args.normalize, args.batchnorm, args.dropout, args.head, args.act)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.NLLLoss() if args.head == "logsoftmax" else nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(args.seed)
    xt = torch.from_numpy(x_train)
    yt = torch.from_numpy(y_train)
    history = []
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(xt), generator=gen)
        total = 0.0
        for i in range(0, len(xt), args.batch):
            idx = perm[i : i + args.batch]
            opt.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            total += float(loss) * len(idx)
        correct = evaluate(model, x_test, y_test)
        history.append({"epoch": epoch + 1, "train_loss": round(total / len(xt), 4),
                        "test_correct": correct})
        print("epoch %d: train loss %.4f, test %d/%d" % (epoch + 1, total / len(xt), correct, len(y_test)))

    correct = evaluate(model, x_test, y_test)
    model.eval()
    dummy = torch.from_numpy(x_test[:1])
    torch.onnx.export(
        model, dummy, args.out,
        input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=args.opset, do_constant_folding=True,
    )
    m = onnx.load(args.out)
    onnx.checker.check_model(m, full_check=True)
    ops = [n.op_type for n in m.graph.node]
    print("exported %s (%d bytes), ops: %s" % (args.out, os.path.getsize(args.out), " ".join(ops)))

    np_correct = None
    if args.input_size_check and model.plain():
        np_correct = input_size_check(args.out, x_test, y_test, correct, widths)
    f64_correct = None
    if not model.plain():
        f64_correct = evaluate64(model, x_test, y_test)
        print("float64 copy: %d/%d" % (f64_correct, len(y_test)))
        if abs(f64_correct - correct) > 2:
            raise SystemExit("float32 and float64 accuracies differ: %d vs %d" % (correct, f64_correct))

    argv0 = sys.argv[0]
    cmd = " ".join(shlex.quote(a) for a in [sys.executable, argv0] + sys.argv[1:])
    side = {
        "file": os.path.basename(args.out),
        "sha256": sha256_file(args.out),
        "architecture": arch,
        "layers": ["Linear(%d,%d)%s" % (widths[i], widths[i + 1],
                                        ("+BatchNorm1d" if args.batchnorm else "") + "+" + {"relu": "ReLU", "gelu": "GELU", "tanh": "Tanh"}[args.act] + ("+Dropout(%g)" % args.dropout if args.dropout else "")
                                        if i < len(widths) - 2 else "")
                   for i in range(len(widths) - 1)],
        "input": "float32 [batch,1,28,28] = raw pixel / 255" + (", normalised inside forward as (x - 0.1307) / 0.3081" if args.normalize else " (no mean/std normalisation)"),
        "output": "float32 [batch,10] " + {"logits": "logits (no softmax)", "softmax": "Softmax of the logits", "logsoftmax": "LogSoftmax of the logits"}[args.head],
        "opset": args.opset,
        "onnx_ops": ops,
        "seed": args.seed,
        "epochs": args.epochs,
        "optimizer": "Adam lr=%g batch=%d" % (args.lr, args.batch),
        "training_images": int(len(x_train)),
        "test_images": int(len(y_test)),
        "test_accuracy": round(correct / len(y_test), 4),
        "test_correct": "%d/%d" % (correct, len(y_test)),
        "history": history,
        "torch_version": torch.__version__,
        "onnx_version": onnx.__version__,
        "command": cmd,
    }
    if np_correct is not None:
        side["input_size_check_numpy_float64_correct"] = "%d/%d" % (np_correct, len(y_test))
    if f64_correct is not None:
        side["float64_copy_correct"] = "%d/%d" % (f64_correct, len(y_test))
    side_path = os.path.splitext(args.out)[0] + ".json"
    text = json.dumps(side, indent=2) + "\n"
    with open(side_path, "w") as f:
        f.write(text)
    print(text, end="")


if __name__ == "__main__":
    main()
