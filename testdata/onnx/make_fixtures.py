#!/usr/bin/python3
"""Regenerate the ONNX importer fixtures in this folder.

Run with a Python that has torch (1.13) and onnx (1.12):

    /usr/bin/python3 testdata/onnx/make_fixtures.py

Every model is tiny, seeded and untrained (two_class has fixed weights). For
each importable model NAME.onnx the script also writes NAME.json with the
expected layer shapes and a few inputs (flattened row-major per sample) with
torch's float32 outputs, so that the Go tests can check the import
numerically without Python. For the models that must be rejected, NAME.json
lists every unsupported node the error must name: its node label, op type
and what zkeval calls it (GELU for the Div that starts GELU's Erf form).
"""

import json
import os

import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
N_SAMPLES = 4


class ViewMLP(nn.Module):
    """12-5-3 MLP fed a [N,3,4] input that it flattens with x.view."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(12, 5)
        self.fc2 = nn.Linear(5, 3)

    def forward(self, x):
        x = x.view(x.size(0), -1)
        return self.fc2(F.relu(self.fc1(x)))


class FlattenMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(), nn.Linear(12, 5), nn.ReLU(), nn.Linear(5, 3))

    def forward(self, x):
        return self.net(x)


class MatMulMLP(nn.Module):
    """Explicit x @ W + b layers (W is [in][out]); the second Add has the bias
    as its first operand."""

    def __init__(self):
        super().__init__()
        self.w1 = nn.Parameter(torch.randn(12, 5) * 0.4)
        self.b1 = nn.Parameter(torch.randn(5) * 0.1)
        self.w2 = nn.Parameter(torch.randn(5, 3) * 0.4)
        self.b2 = nn.Parameter(torch.randn(3) * 0.1)

    def forward(self, x):
        h = torch.relu(x @ self.w1 + self.b1)
        return self.b2 + h @ self.w2


class NoBiasMLP(nn.Module):
    """12-6-5-3 with a bias-free middle layer and a ReLU after the last one."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(12, 6)
        self.fc2 = nn.Linear(6, 5, bias=False)
        self.fc3 = nn.Linear(5, 3)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return F.relu(self.fc3(x))


class SigmoidMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(12, 5)
        self.fc2 = nn.Linear(5, 3)

    def forward(self, x):
        return self.fc2(torch.sigmoid(self.fc1(x)))


class TwoClass(nn.Module):
    """2-2 with fixed weights: output 0 wins when x0 > x1, output 1 when
    x1 > x0 (the classes "good" and "bad" of the labels CLI test)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)
        with torch.no_grad():
            self.fc.weight.copy_(torch.tensor([[1.0, -1.0], [-1.0, 1.0]]))
            self.fc.bias.zero_()

    def forward(self, x):
        return self.fc(x)


class OneLogit(nn.Module):
    """2-1 with fixed weights: the one logit z = x0 - x1, so every input
    with x0 == x1 is a tie (z = 0), which zkeval decides as class 0."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 1)
        with torch.no_grad():
            self.fc.weight.copy_(torch.tensor([[1.0, -1.0]]))
            self.fc.bias.zero_()

    def forward(self, x):
        return self.fc(x)


class Activations(nn.Module):
    """12-6-6-6-3 with GELU, LeakyReLU and Tanh between the layers, GELU
    exported as Div, Erf, Add, Mul, Mul below opset 20."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(12, 6)
        self.act1 = nn.GELU()
        self.fc2 = nn.Linear(6, 6)
        self.act2 = nn.LeakyReLU(0.1)
        self.fc3 = nn.Linear(6, 6)
        self.fc4 = nn.Linear(6, 3)

    def forward(self, x):
        x = self.act1(self.fc1(x))
        x = self.act2(self.fc2(x))
        return self.fc4(torch.tanh(self.fc3(x)))


class ManyUnsupported(nn.Module):
    """12-6-6-6-3 with ELU, Softplus and Mish between the layers: three
    unsupported activations in one model, Mish exported as Softplus, Tanh,
    Mul."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(12, 6)
        self.fc2 = nn.Linear(6, 6)
        self.fc3 = nn.Linear(6, 6)
        self.fc4 = nn.Linear(6, 3)

    def forward(self, x):
        x = F.elu(self.fc1(x))
        x = F.softplus(self.fc2(x))
        return self.fc4(F.mish(self.fc3(x)))


class Gated(nn.Module):
    """12-6-6-3 with SiLU and HardSwish, which torch exports at opset 13 as
    Sigmoid·x and HardSigmoid·x."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(12, 6)
        self.fc2 = nn.Linear(6, 6)
        self.fc3 = nn.Linear(6, 3)

    def forward(self, x):
        x = F.silu(self.fc1(x))
        x = F.hardswish(self.fc2(x))
        return self.fc3(x)


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 2, 3)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        return self.fc(x.view(x.size(0), -1))


class ConvBNNet(nn.Module):
    """Conv(pad 1)+BatchNorm2d (kept as a node)+ReLU, MaxPool(2), a Conv with a
    3x2 kernel, stride 2 and padding (1, 0), AvgPool(2, padding 1,
    count_include_pad), a global average pool, then a Linear(4, 3)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 3, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(3)
        self.conv2 = nn.Conv2d(3, 4, (3, 2), stride=2, padding=(1, 0))
        self.fc = nn.Linear(4, 3)
        with torch.no_grad():
            self.bn1.running_mean.uniform_(-0.5, 0.5)
            self.bn1.running_var.uniform_(0.5, 2.0)
            self.bn1.weight.uniform_(0.5, 1.5)
            self.bn1.bias.uniform_(-0.5, 0.5)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.relu(self.conv2(x))
        x = F.avg_pool2d(x, 2, stride=1, padding=1, count_include_pad=True)
        x = F.adaptive_avg_pool2d(x, 1)
        return self.fc(torch.flatten(x, 1))


def dense_layers(model):
    """Expected [in, out, relu] of each dense layer, in order, and the
    activation kind (package model/activation) where it has another one."""
    return {
        ViewMLP: [[12, 5, True], [5, 3, False]],
        FlattenMLP: [[12, 5, True], [5, 3, False]],
        ConvNet: [[8, 3, False]],
        ConvBNNet: [[4, 3, False]],
        MatMulMLP: [[12, 5, True], [5, 3, False]],
        NoBiasMLP: [[12, 6, True], [6, 5, True], [5, 3, True]],
        TwoClass: [[2, 2, False]],
        OneLogit: [[2, 2, False]],
        SigmoidMLP: [[12, 5, False, "sigmoid"], [5, 3, False]],
        Activations: [[12, 6, False, "gelu"], [6, 6, False, "leakyRelu"], [6, 6, False, "tanh"], [6, 3, False]],
    }[type(model)]


def export(name, model, in_shape, opset, dynamic=True, expect_errors=None, edit=None, **kwargs):
    model.eval()
    path = os.path.join(HERE, name + ".onnx")
    dummy = torch.zeros(1, *in_shape)
    if dynamic:
        kwargs["dynamic_axes"] = {"input": {0: "batch"}, "output": {0: "batch"}}
    torch.onnx.export(model, dummy, path, opset_version=opset,
                      input_names=["input"], output_names=["output"], **kwargs)
    if edit is not None:
        m = onnx.load(path)
        edit(m.graph)
        onnx.save(m, path)
    onnx.checker.check_model(onnx.load(path))

    meta = {"opset": opset, "input_shape": list(in_shape)}
    if expect_errors is not None:
        meta["errors"] = [{"node": n, "op": op, "what": what} for n, op, what in expect_errors]
    else:
        g = torch.Generator().manual_seed(1234)
        x = torch.randn(N_SAMPLES, *in_shape, generator=g)
        with torch.no_grad():
            y = model(x)
        meta["layers"] = dense_layers(model)
        meta["inputs"] = [[float(v) for v in row] for row in x.reshape(N_SAMPLES, -1).tolist()]
        meta["outputs"] = [[float(v) for v in row] for row in y.tolist()]
    with open(os.path.join(HERE, name + ".json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    print(name, os.path.getsize(path), "bytes")


def insert_dropout_identity(g):
    """Puts a Dropout (ratio 0.5, its mask unused) and an Identity after the
    first Relu, as an export in training-preserving mode or another tool
    leaves them; both are no-ops in inference."""
    k = next(i for i, n in enumerate(g.node) if n.op_type == "Relu")
    relu = g.node[k]
    out = relu.output[0]
    ratio = onnx.helper.make_tensor("dropout_ratio", onnx.TensorProto.FLOAT, [], [0.5])
    g.initializer.append(ratio)
    drop = onnx.helper.make_node("Dropout", [out, "dropout_ratio"], ["dropped", "dropout_mask"], name="/dropout/Dropout")
    ident = onnx.helper.make_node("Identity", ["dropped"], ["kept"], name="/Identity")
    for n in g.node[k + 1:]:
        for j, name in enumerate(n.input):
            if name == out:
                n.input[j] = "kept"
    g.node.insert(k + 1, ident)
    g.node.insert(k + 1, drop)


def main():
    # --only NAME regenerates one fixture (sigmoid, activations or
    # many_unsupported) and leaves the others' bytes as they are.
    import sys
    only = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == "--only" else None
    if only is not None:
        return main_only(only)
    for opset in (9, 11, 13, 14, 17):
        torch.manual_seed(0)
        export("mlp_opset%d" % opset, ViewMLP(), (3, 4), opset)
    # Without constant folding torch keeps more of the shape computation
    # (Unsqueeze of a constant), and old-style files list the weights as
    # graph inputs too.
    for opset in (9, 13):
        torch.manual_seed(0)
        export("mlp_nofold_opset%d" % opset, ViewMLP(), (3, 4), opset,
               do_constant_folding=False, keep_initializers_as_inputs=True)
    torch.manual_seed(0)
    export("mlp_static_batch", ViewMLP(), (3, 4), 13, dynamic=False)
    torch.manual_seed(1)
    export("flatten", FlattenMLP(), (3, 4), 13)
    torch.manual_seed(2)
    export("matmul_add", MatMulMLP(), (12,), 13)
    torch.manual_seed(3)
    export("nobias", NoBiasMLP(), (12,), 11)
    torch.manual_seed(4)
    export("sigmoid", SigmoidMLP(), (12,), 13)
    torch.manual_seed(5)
    export("conv", ConvNet(), (1, 4, 4), 13)
    torch.manual_seed(8)
    export("conv_bn_pool", ConvBNNet(), (1, 8, 8), 13, training=torch.onnx.TrainingMode.PRESERVE)
    export("two_class", TwoClass(), (2,), 13)
    export("one_logit", OneLogit(), (2,), 13)
    torch.manual_seed(6)
    export("activations", Activations(), (12,), 14)
    torch.manual_seed(6)
    export("many_unsupported", ManyUnsupported(), (12,), 14, expect_errors=[
        ("/Elu", "Elu", "Elu"), ("/Softplus", "Softplus", "Softplus"), ("/Softplus_1", "Softplus", "Mish")])
    torch.manual_seed(7)
    export("gated_unsupported", Gated(), (12,), 13, expect_errors=[
        ("/Sigmoid", "Sigmoid", "SiLU (Swish)"), ("/HardSigmoid", "HardSigmoid", "HardSwish")])
    torch.manual_seed(0)
    export("dropout_identity", ViewMLP(), (3, 4), 13, edit=insert_dropout_identity)


def main_only(only):
    torch.manual_seed(4)
    if only == "sigmoid":
        export("sigmoid", SigmoidMLP(), (12,), 13)
    torch.manual_seed(6)
    if only == "activations":
        export("activations", Activations(), (12,), 14)
    torch.manual_seed(6)
    if only == "many_unsupported":
        export("many_unsupported", ManyUnsupported(), (12,), 14, expect_errors=[
            ("/Elu", "Elu", "Elu"), ("/Softplus", "Softplus", "Softplus"), ("/Softplus_1", "Softplus", "Mish")])


if __name__ == "__main__":
    main()
