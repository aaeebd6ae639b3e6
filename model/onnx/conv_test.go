package onnx

import (
	"errors"
	"testing"

	pb "github.com/advancedclimatesystems/gonnx/onnx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/model"
)

// oxCNN returns Conv(1→2, 3x3, attrs) on a [N,1,6,6] input, Relu,
// MaxPool(2), Flatten and a Gemm of the given input width.
func oxCNN(convAttrs []*pb.AttributeProto, dense int64, wdims ...int64) oxGraph {
	if wdims == nil {
		wdims = []int64{2, 1, 3, 3}
	}
	n := 1
	for _, d := range wdims {
		n *= int(d)
	}
	return oxGraph{
		inputs: []*pb.ValueInfoProto{oxInput("x", pb.TensorProto_FLOAT, "N", 1, 6, 6)},
		inits: []*pb.TensorProto{
			oxF32("cw", wdims, oxSeq(n, 0.25)),
			oxF32("cb", []int64{2}, []float64{0.5, -0.5}),
			oxF32("fw", []int64{3, dense}, oxSeq(3*int(dense), 0.5)),
			oxF32("fb", []int64{3}, []float64{0.25, -0.25, 0}),
		},
		nodes: []*pb.NodeProto{
			oxNode("Conv", "conv", []string{"x", "cw", "cb"}, []string{"c"}, convAttrs...),
			oxNode("Relu", "relu", []string{"c"}, []string{"r"}),
			oxNode("MaxPool", "pool", []string{"r"}, []string{"p"}, oxAttrInts("kernel_shape", 2, 2), oxAttrInts("strides", 2, 2)),
			oxNode("Flatten", "flat", []string{"p"}, []string{"f"}, oxAttrInt("axis", 1)),
			oxNode("Gemm", "fc", []string{"f", "fw", "fb"}, []string{"y"}, oxAttrInt("transB", 1)),
		},
	}
}

func TestConvWindows(t *testing.T) {
	for _, tc := range []struct {
		name  string
		attrs []*pb.AttributeProto
		dense int64
		win   model.Window
	}{
		// 6x6, 3x3 valid: 4x4, pooled 2x2, 2 channels: 8 features.
		{"valid", nil, 8, model.Window{KH: 3, KW: 3, SH: 1, SW: 1}},
		{"pads", []*pb.AttributeProto{oxAttrInts("pads", 1, 1, 1, 1)}, 18, model.Window{KH: 3, KW: 3, SH: 1, SW: 1, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1}},
		// SAME_UPPER with stride 2: out 3x3, total pad 1, at the end.
		{"same_upper", []*pb.AttributeProto{oxAttrString("auto_pad", "SAME_UPPER"), oxAttrInts("strides", 2, 2)}, 2, model.Window{KH: 3, KW: 3, SH: 2, SW: 2, PadBottom: 1, PadRight: 1}},
		{"same_lower", []*pb.AttributeProto{oxAttrString("auto_pad", "SAME_LOWER"), oxAttrInts("strides", 2, 2)}, 2, model.Window{KH: 3, KW: 3, SH: 2, SW: 2, PadTop: 1, PadLeft: 1}},
		{"explicit_ones", []*pb.AttributeProto{oxAttrInts("dilations", 1, 1), oxAttrInt("group", 1), oxAttrInts("kernel_shape", 3, 3)}, 8, model.Window{KH: 3, KW: 3, SH: 1, SW: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := oxCNN(tc.attrs, tc.dense).parse(t)
			require.NoError(t, err)
			require.Len(t, m.Spatial, 2)
			assert.Equal(t, tc.win, m.Spatial[0].Window)
			assert.True(t, m.Spatial[0].ReLU)
			assert.Equal(t, int(tc.dense), m.Layers[0].In())
			_, err = m.Forward(make([]float64, 36))
			require.NoError(t, err)
		})
	}
}

// TestConvErrors: attributes or weights that do not fit are refused with an
// error naming the node (and no model).
func TestConvErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		g     oxGraph
		kind  error
		wants []string
	}{
		{"dilation", oxCNN([]*pb.AttributeProto{oxAttrInts("dilations", 2, 2)}, 8), ErrUnsupported, []string{`node "conv" (op Conv)`, "dilation"}},
		{"group", oxCNN([]*pb.AttributeProto{oxAttrInt("group", 2)}, 8), ErrUnsupported, []string{`node "conv" (op Conv)`, "group=2"}},
		{"kernel too large", oxCNN(nil, 8, 2, 1, 7, 7), ErrInvalid, []string{`node "conv" (op Conv)`, "kernel 7x7 does not fit the input 6x6"}},
		{"stride zero", oxCNN([]*pb.AttributeProto{oxAttrInts("strides", 0, 1)}, 8), ErrInvalid, []string{`node "conv" (op Conv)`, "strides [0 1]"}},
		{"weight rank", oxCNN(nil, 8, 2, 9), ErrInvalid, []string{`node "conv" (op Conv)`, "rank 2", "rank 4"}},
		{"channels", oxCNN(nil, 8, 2, 3, 3, 3), ErrInvalid, []string{`node "conv" (op Conv)`, "3 input channels", "has 1"}},
		{"kernel_shape mismatch", oxCNN([]*pb.AttributeProto{oxAttrInts("kernel_shape", 2, 2)}, 8), ErrInvalid, []string{`node "conv" (op Conv)`, "kernel_shape [2 2]"}},
		{"flattened width", oxCNN(nil, 9), ErrInvalid, []string{`node "fc" (op Gemm)`, "takes 9 inputs", "8 features", `maxpool layer "pool"`}},
		{"bad auto_pad", oxCNN([]*pb.AttributeProto{oxAttrString("auto_pad", "FULL")}, 8), ErrInvalid, []string{`node "conv" (op Conv)`, "auto_pad"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := tc.g.parse(t)
			require.Error(t, err)
			assert.Nil(t, m)
			assert.True(t, errors.Is(err, tc.kind), err.Error())
			for _, w := range tc.wants {
				assert.Contains(t, err.Error(), w)
			}
		})
	}

	// Activations other than Relu apply to dense layers only: after a Conv
	// they are refused, naming the node.
	for _, op := range []string{"Tanh", "LeakyRelu", "Sigmoid", "HardSwish"} {
		g := oxCNN(nil, 8)
		g.nodes[1] = oxNode(op, "act", []string{"c"}, []string{"r"})
		m, err := g.parse(t)
		require.Error(t, err, op)
		assert.Nil(t, m)
		assert.True(t, errors.Is(err, ErrUnsupported), err.Error())
		assert.Contains(t, err.Error(), `node "act" (op `+op+`)`)
		assert.Contains(t, err.Error(), "output of a convolution or pooling layer; zkeval applies only Relu there")
	}

	// A pooling window larger than its input, and padding not smaller than
	// the kernel.
	g := oxCNN(nil, 8)
	g.nodes[2] = oxNode("MaxPool", "pool", []string{"r"}, []string{"p"}, oxAttrInts("kernel_shape", 5, 5))
	_, err := g.parse(t)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `node "pool" (op MaxPool)`)
	assert.Contains(t, err.Error(), "kernel 5x5 does not fit the input 4x4")
	g.nodes[2] = oxNode("MaxPool", "pool", []string{"r"}, []string{"p"}, oxAttrInts("kernel_shape", 2, 2), oxAttrInts("pads", 2, 0, 0, 0))
	_, err = g.parse(t)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "smaller than the kernel")
	g.nodes[2] = oxNode("AveragePool", "pool", []string{"r"}, []string{"p"}, oxAttrInts("kernel_shape", 2, 2), oxAttrInts("pads", 1, 1, 1, 1))
	_, err = g.parse(t)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "count_include_pad")
	g.nodes[2] = oxNode("MaxPool", "pool", []string{"r"}, []string{"p"}, oxAttrInts("kernel_shape", 2, 2), oxAttrInt("ceil_mode", 1))
	_, err = g.parse(t)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ceil_mode")
}

// TestAvgPoolFold: quantization folds 1/(kH·kW) of a sum pool into the next
// layer, so the quantized model computes the float model's logits at their
// scale.
func TestAvgPoolFold(t *testing.T) {
	g := oxCNN(nil, 8)
	g.nodes[2] = oxNode("AveragePool", "pool", []string{"r"}, []string{"p"}, oxAttrInts("kernel_shape", 2, 2), oxAttrInts("strides", 2, 2))
	fm, err := g.parse(t)
	require.NoError(t, err)
	require.Equal(t, model.KindAvgPool, fm.Spatial[1].Kind)
	qm, err := model.Quantize(fm, 12, 255)
	require.NoError(t, err)
	x := make([]int64, 36)
	xf := make([]float64, 36)
	for i := range x {
		x[i] = int64((i * 37) % 256)
		xf[i] = float64(x[i]) / 255
	}
	want, err := fm.Forward(xf)
	require.NoError(t, err)
	got, err := qm.Eval(x)
	require.NoError(t, err)
	scale := float64(255) * float64(int64(1)<<24) // two linear layers at 2^12
	for o := range want {
		assert.InDelta(t, want[o], float64(got[o])/scale, 0.01, "output %d", o)
	}
}
