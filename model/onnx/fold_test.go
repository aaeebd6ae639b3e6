package onnx

import (
	"math"
	"testing"

	pb "github.com/advancedclimatesystems/gonnx/onnx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/model"
)

// ref4x3x2 computes oxMLP's graph by hand with optional elementwise
// functions on the graph input (pre), after fc1 (mid, before the ReLU) and
// after the ReLU (post): the reference for the folds.
func ref4x3x2(x []float64, pre func(i int, v float64) float64, mid, post func(o int, v float64) float64) []float64 {
	g := oxMLP()
	w1, b1, w2, b2 := oxSeq(12, 0.25), []float64{0.5, -0.5, 1}, oxSeq(6, 0.5), []float64{0.25, -0.25}
	_ = g
	in := make([]float64, 4)
	for i := range in {
		in[i] = x[i]
		if pre != nil {
			in[i] = pre(i, x[i])
		}
	}
	h := make([]float64, 3)
	for o := range h {
		s := float64(float32(b1[o]))
		for i := 0; i < 4; i++ {
			s += float64(float32(w1[o*4+i])) * in[i]
		}
		if mid != nil {
			s = mid(o, s)
		}
		s = max(s, 0)
		if post != nil {
			s = post(o, s)
		}
		h[o] = s
	}
	y := make([]float64, 2)
	for o := range y {
		s := float64(float32(b2[o]))
		for i := 0; i < 3; i++ {
			s += float64(float32(w2[o*3+i])) * h[i]
		}
		y[o] = s
	}
	return y
}

// f32 rounds v to float32, as oxF32 stores it.
func f32(v ...float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(float32(x))
	}
	return out
}

var foldInputs = [][]float64{{0.5, -1, 2, 0.25}, {1, 1, 1, 1}, {-3, 0.125, 7, -2}, {0, 0, 0, 0}}

func checkForward(t *testing.T, m *model.FloatModel, want func(x []float64) []float64) {
	t.Helper()
	for _, x := range foldInputs {
		y, err := m.Forward(x)
		require.NoError(t, err)
		assert.InDeltaSlice(t, want(x), y, 1e-9, "input %v", x)
	}
}

// insertAfter puts nodes after node k of g, rewiring the reader of node k's
// output to the last inserted node's output.
func insertAfter(g *oxGraph, k int, nodes ...*pb.NodeProto) {
	old := g.nodes[k].Output[0]
	last := nodes[len(nodes)-1].Output[0]
	for _, n := range g.nodes[k+1:] {
		for j, in := range n.Input {
			if in == old {
				n.Input[j] = last
			}
		}
	}
	g.nodes = append(g.nodes[:k+1], append(nodes, g.nodes[k+1:]...)...)
}

func TestFoldBatchNormAfterGemm(t *testing.T) {
	scale, bias, mean, vr := []float64{2, 0.5, -1}, []float64{0.1, 0.2, 0.3}, []float64{1, -1, 0.5}, []float64{4, 0.25, 1}
	g := oxMLP()
	g.inits = append(g.inits, oxF32("s", []int64{3}, scale), oxF32("bb", []int64{3}, bias), oxF32("m", []int64{3}, mean), oxF32("v", []int64{3}, vr))
	insertAfter(&g, 0, oxNode("BatchNormalization", "bn", []string{"h", "s", "bb", "m", "v"}, []string{"hn"}, oxAttrFloat("epsilon", 0.5)))
	m, err := g.parse(t)
	require.NoError(t, err)
	require.Len(t, m.Layers, 2)
	eps := float64(float32(0.5))
	scale, bias, mean, vr = f32(scale...), f32(bias...), f32(mean...), f32(vr...)
	checkForward(t, m, func(x []float64) []float64 {
		return ref4x3x2(x, nil, func(o int, v float64) float64 {
			return scale[o]*(v-mean[o])/math.Sqrt(vr[o]+eps) + bias[o]
		}, nil)
	})
	require.Len(t, m.Steps, 1)
	assert.Equal(t, model.ActionFolded, m.Steps[0].Action)
	assert.Equal(t, []string{`node "bn" (op BatchNormalization)`}, m.Steps[0].Nodes)
	assert.Equal(t, "fc1", m.Steps[0].Into)

	// Training mode and a read training output are refused.
	g.nodes[1].Attribute = append(g.nodes[1].Attribute, oxAttrInt("training_mode", 1))
	_, err = g.parse(t)
	assert.ErrorContains(t, err, `node "bn" (op BatchNormalization) runs in training mode`)
}

func TestFoldBatchNormAfterRelu(t *testing.T) {
	// Gemm, Relu, BatchNormalization, Gemm: the normalisation folds into
	// the inputs of the second layer.
	scale, bias, mean, vr := []float64{2, 0.5, -1}, []float64{0.1, 0.2, 0.3}, []float64{1, -1, 0.5}, []float64{4, 0.25, 1}
	g := oxMLP()
	g.inits = append(g.inits, oxF32("s", []int64{3}, scale), oxF32("bb", []int64{3}, bias), oxF32("m", []int64{3}, mean), oxF32("v", []int64{3}, vr))
	insertAfter(&g, 1, oxNode("BatchNormalization", "bn", []string{"r", "s", "bb", "m", "v"}, []string{"rn"}))
	m, err := g.parse(t)
	require.NoError(t, err)
	eps := float64(float32(1e-5))
	scale, bias, mean, vr = f32(scale...), f32(bias...), f32(mean...), f32(vr...)
	checkForward(t, m, func(x []float64) []float64 {
		return ref4x3x2(x, nil, nil, func(o int, v float64) float64 {
			return scale[o]*(v-mean[o])/math.Sqrt(vr[o]+eps) + bias[o]
		})
	})
	require.Len(t, m.Steps, 1)
	assert.Equal(t, "fc2", m.Steps[0].Into)
}

func TestFoldInputNormalisation(t *testing.T) {
	// (x - mean) / std * 2 + 1 on the graph input, per feature and scalar,
	// with the constant first in Sub (c - x) too.
	mean := []float64{0.1307, -1, 2, 0.5}
	g := oxMLP()
	g.inits = append(g.inits, oxF32("mean", []int64{1, 4}, mean), oxF32("std", []int64{}, []float64{0.3081}),
		oxF32("two", []int64{1}, []float64{2}), oxF32("one", []int64{}, []float64{1}), oxF32("ten", []int64{4}, []float64{10, 20, 30, 40}))
	g.nodes = append([]*pb.NodeProto{
		oxNode("Sub", "sub", []string{"x", "mean"}, []string{"x1"}),
		oxNode("Div", "div", []string{"x1", "std"}, []string{"x2"}),
		oxNode("Mul", "mul", []string{"two", "x2"}, []string{"x3"}),
		oxNode("Add", "add", []string{"x3", "one"}, []string{"x4"}),
		oxNode("Sub", "rsub", []string{"ten", "x4"}, []string{"x5"}),
	}, g.nodes...)
	g.nodes[5].Input[0] = "x5"
	m, err := g.parse(t)
	require.NoError(t, err)
	std := float64(float32(0.3081))
	checkForward(t, m, func(x []float64) []float64 {
		return ref4x3x2(x, func(i int, v float64) float64 {
			return float64(float32([]float64{10, 20, 30, 40}[i])) - ((v-float64(float32(mean[i])))/std*2 + 1)
		}, nil, nil)
	})
	require.Len(t, m.Steps, 1)
	assert.Equal(t, model.ActionFolded, m.Steps[0].Action)
	assert.Len(t, m.Steps[0].Nodes, 5)
	assert.Contains(t, m.Steps[0].Detail, "Sub, Div, Mul, Add, Sub on the graph input (input normalisation)")

	// 1/x is not affine.
	g.nodes[1].Input = []string{"std", "x1"}
	_, err = g.parse(t)
	assert.ErrorContains(t, err, `1 unsupported node: node "div" (op Div): divides a constant by the activations`)
}

func TestFoldPerChannelImageNormalisation(t *testing.T) {
	// An image input [N, 2, 1, 2], normalised per channel by constants of
	// shape [2, 1, 1] (torchvision's Normalize written in forward), then
	// flattened into a 4-2 Gemm.
	g := oxGraph{
		inputs: []*pb.ValueInfoProto{oxInput("x", pb.TensorProto_FLOAT, "N", 2, 1, 2)},
		inits: []*pb.TensorProto{
			oxF32("mean", []int64{2, 1, 1}, []float64{0.5, -0.25}),
			oxF32("std", []int64{2, 1, 1}, []float64{0.25, 2}),
			oxF32("w", []int64{2, 4}, oxSeq(8, 0.5)),
			oxF32("b", []int64{2}, []float64{1, -1}),
		},
		nodes: []*pb.NodeProto{
			oxNode("Sub", "sub", []string{"x", "mean"}, []string{"x1"}),
			oxNode("Div", "div", []string{"x1", "std"}, []string{"x2"}),
			oxNode("Flatten", "flat", []string{"x2"}, []string{"f"}, oxAttrInt("axis", 1)),
			oxNode("Gemm", "fc", []string{"f", "w", "b"}, []string{"y"}, oxAttrInt("transB", 1)),
		},
	}
	m, err := g.parse(t)
	require.NoError(t, err)
	w := f32(oxSeq(8, 0.5)...)
	mean, std := []float64{0.5, 0.5, -0.25, -0.25}, []float64{0.25, 0.25, 2, 2}
	for _, x := range foldInputs {
		y, err := m.Forward(x)
		require.NoError(t, err)
		for o := 0; o < 2; o++ {
			s := []float64{1, -1}[o]
			for i := 0; i < 4; i++ {
				s += w[o*4+i] * (x[i] - mean[i]) / std[i]
			}
			assert.InDelta(t, s, y[o], 1e-9)
		}
	}
	// A constant that varies along the batch axis is refused.
	g.inits[0] = oxF32("mean", []int64{3, 2, 1, 1}, make([]float64, 6))
	_, err = g.parse(t)
	assert.Error(t, err)
}

func TestFoldAffineAfterGemm(t *testing.T) {
	// Gemm, Mul by a per-output constant, Sub, Div: into fc1's outputs,
	// before its Relu.
	c := []float64{2, -1, 0.5}
	g := oxMLP()
	g.inits = append(g.inits, oxF32("c", []int64{3}, c), oxF32("d", []int64{1, 3}, []float64{1, 2, 3}), oxF32("e", []int64{}, []float64{4}))
	insertAfter(&g, 0,
		oxNode("Mul", "mul", []string{"h", "c"}, []string{"h1"}),
		oxNode("Sub", "sub", []string{"d", "h1"}, []string{"h2"}),
		oxNode("Div", "div", []string{"h2", "e"}, []string{"h3"}))
	m, err := g.parse(t)
	require.NoError(t, err)
	c = f32(c...)
	checkForward(t, m, func(x []float64) []float64 {
		return ref4x3x2(x, nil, func(o int, v float64) float64 { return ([]float64{1, 2, 3}[o] - c[o]*v) / 4 }, nil)
	})
	assert.Len(t, m.Steps, 3)
}

func TestAffineAfterLastActivationRefused(t *testing.T) {
	g := oxMLP()
	g.inits = append(g.inits, oxF32("c", []int64{}, []float64{2}))
	g.nodes = append(g.nodes, oxNode("Relu", "r2", []string{"y"}, []string{"y1"}), oxNode("Mul", "mul", []string{"y1", "c"}, []string{"y2"}))
	g.outputs = []string{"y2"}
	_, err := g.parse(t)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrUnsupported)
	assert.Contains(t, err.Error(), `node "mul" (op Mul) after the last activation do not fold into a dense layer`)

	// Relu right after a pending transform cannot fold either.
	g = oxMLP()
	g.inits = append(g.inits, oxF32("c", []int64{}, []float64{2}))
	insertAfter(&g, 1, oxNode("Mul", "mul", []string{"r", "c"}, []string{"r1"}), oxNode("Relu", "r2", []string{"r1"}, []string{"r3"}))
	_, err = g.parse(t)
	assert.ErrorContains(t, err, `node "r2" (op Relu) applies Relu after node "mul" (op Mul)`)
}

func TestDropoutAndIdentityAreNoOps(t *testing.T) {
	g := oxMLP()
	insertAfter(&g, 1,
		oxNode("Dropout", "drop", []string{"r"}, []string{"r1", "mask"}),
		oxNode("Identity", "id", []string{"r1"}, []string{"r2"}))
	m, err := g.parse(t)
	require.NoError(t, err)
	checkForward(t, m, func(x []float64) []float64 { return ref4x3x2(x, nil, nil, nil) })
	require.Len(t, m.Steps, 2)
	assert.Equal(t, model.ActionDropped, m.Steps[0].Action)
	assert.Contains(t, m.Steps[0].Detail, "Dropout: a no-op in inference")

	// Opset 12 and later: a constant training_mode of true is refused, so
	// is a mask that is read.
	g.inits = append(g.inits, oxF32("ratio", []int64{}, []float64{0.5}),
		&pb.TensorProto{Name: "train", DataType: int32(pb.TensorProto_BOOL), Int32Data: []int32{1}})
	g.nodes[2].Input = []string{"r", "ratio", "train"}
	_, err = g.parse(t)
	assert.ErrorContains(t, err, `node "drop" (op Dropout) runs in training mode`)
	g.nodes[2].Input = []string{"r"}
	g.outputs = []string{"y", "mask"}
	_, err = g.parse(t)
	assert.ErrorContains(t, err, `has its mask output "mask" read`)
}
