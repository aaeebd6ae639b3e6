#!/usr/bin/python3
"""Write the malformed CNN files of this folder from ../onnx/conv.onnx (a
Conv(1->2, 3x3) on a [1,4,4] input, Relu, flatten, Linear(8,3)):

  bad_dilation.onnx  the Conv has dilations [2, 2] (refused: dilation 1 only)
  bad_kernel.onnx    the Conv has pads [0, 0, 0, 0] and a 5x5 kernel_shape
                     over the 4x4 input, with a 5x5 weight (does not fit)
  bad_width.onnx     the Linear reads 9 features, the convolution gives 8

Run with Debian's onnx:  /usr/bin/python3 testdata/cnn/make_bad.py
"""

import os

import numpy as np
import onnx
from onnx import helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "onnx", "conv.onnx")


def load():
    return onnx.load(SRC)


def conv_node(m):
    return next(n for n in m.graph.node if n.op_type == "Conv")


def init(m, name):
    return next(t for t in m.graph.initializer if t.name == name)


def replace_init(m, name, arr):
    t = init(m, name)
    t.CopyFrom(numpy_helper.from_array(arr.astype(np.float32), name))


def main():
    m = load()
    c = conv_node(m)
    for a in list(c.attribute):
        if a.name == "dilations":
            c.attribute.remove(a)
    c.attribute.append(helper.make_attribute("dilations", [2, 2]))
    onnx.save(m, os.path.join(HERE, "bad_dilation.onnx"))

    m = load()
    c = conv_node(m)
    for a in list(c.attribute):
        if a.name == "kernel_shape":
            c.attribute.remove(a)
    c.attribute.append(helper.make_attribute("kernel_shape", [5, 5]))
    replace_init(m, c.input[1], np.ones((2, 1, 5, 5)))
    onnx.save(m, os.path.join(HERE, "bad_kernel.onnx"))

    m = load()
    gemm = next(n for n in m.graph.node if n.op_type == "Gemm")
    replace_init(m, gemm.input[1], np.ones((3, 9)))
    onnx.save(m, os.path.join(HERE, "bad_width.onnx"))


if __name__ == "__main__":
    main()
