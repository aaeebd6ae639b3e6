package onnx

import (
	"testing"

	pb "github.com/advancedclimatesystems/gonnx/onnx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/model"
)

func TestFinalSoftmaxDropped(t *testing.T) {
	for _, c := range []struct {
		op    string
		opset int64
		axis  int64 // 0: the default
	}{{"Softmax", 13, 0}, {"Softmax", 11, 0}, {"LogSoftmax", 14, -1}, {"Softmax", 9, 1}, {"Sigmoid", 13, 0}} {
		g := oxMLP()
		g.opset = c.opset
		n := oxNode(c.op, "head", []string{"y"}, []string{"p"})
		if c.axis != 0 {
			n.Attribute = append(n.Attribute, oxAttrInt("axis", c.axis))
		}
		g.nodes = append(g.nodes, n, oxNode("Identity", "out", []string{"p"}, []string{"q"}))
		g.outputs = []string{"q"}
		m, err := g.parse(t)
		require.NoError(t, err, "%s opset %d", c.op, c.opset)
		require.Len(t, m.Layers, 2)
		assert.Equal(t, 2, m.Layers[1].Out())
		checkForward(t, m, func(x []float64) []float64 { return ref4x3x2(x, nil, nil, nil) })
		require.Len(t, m.Steps, 2)
		assert.Equal(t, model.ActionDropped, m.Steps[0].Action)
		assert.Equal(t, []string{`node "head" (op ` + c.op + `)`}, m.Steps[0].Nodes)
		assert.Contains(t, m.Steps[0].Detail, c.op+": dropped")
	}
}

func TestSoftmaxErrors(t *testing.T) {
	g := oxMLP()
	g.nodes = append(g.nodes, oxNode("Softmax", "sm", []string{"y"}, []string{"p"}, oxAttrInt("axis", 0)))
	g.outputs = []string{"p"}
	_, err := g.parse(t)
	assert.ErrorContains(t, err, `node "sm" (op Softmax) has axis 0; a Softmax is supported only over the classes`)

	// A Softmax of one output is the constant 1.
	g = oxOneOutput()
	g.nodes = append(g.nodes, oxNode("Softmax", "sm", []string{"y"}, []string{"p"}))
	g.outputs = []string{"p"}
	_, err = g.parse(t)
	assert.ErrorContains(t, err, `node "sm" (op Softmax) applies Softmax to a single output, which makes it a constant`)

	// A Softmax that is not last is a hidden activation: its node is named.
	g = oxMLP()
	g.nodes[1] = oxNode("Softmax", "hidden", []string{"h"}, []string{"r"})
	_, err = g.parse(t)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrUnsupported)
	assert.Contains(t, err.Error(), `test.onnx: 1 unsupported node: node "hidden" (op Softmax): a Softmax is supported only as the last node`)
}

// oxOneOutput returns a 4-3-1 model: one logit.
func oxOneOutput() oxGraph {
	g := oxMLP()
	g.inits[2] = oxF32("w2", []int64{1, 3}, []float64{1, -2, 0.5})
	g.inits[3] = oxF32("b2", []int64{1}, []float64{-0.75})
	return g
}

func TestBinaryHead(t *testing.T) {
	for _, sigmoid := range []bool{false, true} {
		g := oxOneOutput()
		if sigmoid {
			g.nodes = append(g.nodes, oxNode("Sigmoid", "sig", []string{"y"}, []string{"p"}))
			g.outputs = []string{"p"}
		}
		m, err := g.parse(t)
		require.NoError(t, err)
		last := m.Layers[1]
		require.Equal(t, 2, last.Out())
		assert.Equal(t, []float64{0, 0, 0}, last.W[0])
		assert.Equal(t, []float64{1, -2, 0.5}, last.W[1])
		assert.Equal(t, []float64{0, -0.75}, last.B)
		steps := m.Steps
		if sigmoid {
			require.Len(t, steps, 2)
			assert.Contains(t, steps[0].Detail, "sigmoid(z) > 0.5 exactly when the logit z > 0")
			steps = steps[1:]
		}
		require.Len(t, steps, 1)
		assert.Equal(t, model.ActionBinaryHead, steps[0].Action)
		assert.Equal(t, "fc2", steps[0].Into)
	}
}

// TestBinaryHeadTie checks the prediction rule at the tie: with z = 0 the
// widened layer gives [0, 0], whose first maximal index is class 0, in
// float and after quantization; z one step above 0 gives class 1.
func TestBinaryHeadTie(t *testing.T) {
	// One layer, z = x0 - x1: the tie is any input with x0 == x1.
	g := oxGraph{
		inputs: []*pb.ValueInfoProto{oxInput("x", pb.TensorProto_FLOAT, "N", 2)},
		inits:  []*pb.TensorProto{oxF32("w", []int64{1, 2}, []float64{1, -1}), oxF32("b", []int64{1}, []float64{0})},
		nodes:  []*pb.NodeProto{oxNode("Gemm", "fc", []string{"x", "w", "b"}, []string{"y"}, oxAttrInt("transB", 1))},
	}
	fm, err := g.parse(t)
	require.NoError(t, err)
	cases := []struct {
		x    []int64 // at input scale 1/4
		want int
	}{{[]int64{3, 3}, 0}, {[]int64{0, 0}, 0}, {[]int64{4, 3}, 1}, {[]int64{3, 4}, 0}, {[]int64{-5, -5}, 0}, {[]int64{-4, -5}, 1}}
	qm, err := model.Quantize(fm, 4, 4)
	require.NoError(t, err)
	for _, c := range cases {
		y, err := fm.Forward([]float64{float64(c.x[0]) / 4, float64(c.x[1]) / 4})
		require.NoError(t, err)
		assert.Equal(t, c.want, model.Argmax(y), "float, input %v: logits %v", c.x, y)
		out, err := qm.Eval(c.x)
		require.NoError(t, err)
		assert.Equal(t, c.want, model.Argmax(out), "quantized, input %v: outputs %v", c.x, out)
	}
}

func TestOpsetRange(t *testing.T) {
	for v := int64(MinOpset); v <= MaxOpset; v++ {
		g := oxMLP()
		g.opset = v
		m, err := g.parse(t)
		require.NoError(t, err, "opset %d", v)
		assert.Equal(t, v, m.Opset)
	}
	for _, v := range []int64{MinOpset - 1, MaxOpset + 1} {
		g := oxMLP()
		g.opset = v
		_, err := g.parse(t)
		require.Error(t, err)
		assert.ErrorIs(t, err, ErrUnsupported)
		assert.Contains(t, err.Error(), "zkeval reads opsets 9 to 21")
	}
}
