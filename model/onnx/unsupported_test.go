package onnx

import (
	"errors"
	"testing"

	pb "github.com/advancedclimatesystems/gonnx/onnx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// oxChain returns x [N, 4] → fc1 (4→4) → act1 → fc2 (4→4) → act2 → fc3
// (4→2), with each activation given as the nodes that compute it from
// their input name and end in their output name.
func oxChain(act1, act2 func(in, out string) []*pb.NodeProto) oxGraph {
	g := oxGraph{
		inputs: []*pb.ValueInfoProto{oxInput("x", pb.TensorProto_FLOAT, "N", 4)},
		inits: []*pb.TensorProto{
			oxF32("w1", []int64{4, 4}, oxSeq(16, 0.25)), oxF32("w2", []int64{4, 4}, oxSeq(16, 0.5)), oxF32("w3", []int64{2, 4}, oxSeq(8, 1)),
			oxF32("sqrt2", []int64{}, []float64{1.4142135}), oxF32("one", []int64{}, []float64{1}), oxF32("half", []int64{}, []float64{0.5}),
			oxF32("three", []int64{}, []float64{3}), oxF32("k", []int64{}, []float64{0.044715}), oxF32("c", []int64{}, []float64{0.7978846}),
		},
	}
	g.nodes = append(g.nodes, oxNode("Gemm", "/fc1/Gemm", []string{"x", "w1"}, []string{"h1"}, oxAttrInt("transB", 1)))
	g.nodes = append(g.nodes, act1("h1", "a1")...)
	g.nodes = append(g.nodes, oxNode("Gemm", "/fc2/Gemm", []string{"a1", "w2"}, []string{"h2"}, oxAttrInt("transB", 1)))
	g.nodes = append(g.nodes, act2("h2", "a2")...)
	g.nodes = append(g.nodes, oxNode("Gemm", "/fc3/Gemm", []string{"a2", "w3"}, []string{"y"}, oxAttrInt("transB", 1)))
	return g
}

func relu(in, out string) []*pb.NodeProto {
	return []*pb.NodeProto{oxNode("Relu", "relu_"+in, []string{in}, []string{out})}
}

// geluErf is what torch.onnx.export writes for nn.GELU() below opset 20.
func geluErf(in, out string) []*pb.NodeProto {
	return []*pb.NodeProto{
		oxNode("Div", "/act/Div", []string{in, "sqrt2"}, []string{"g1"}),
		oxNode("Erf", "/act/Erf", []string{"g1"}, []string{"g2"}),
		oxNode("Add", "/act/Add", []string{"g2", "one"}, []string{"g3"}),
		oxNode("Mul", "/act/Mul", []string{in, "g3"}, []string{"g4"}),
		oxNode("Mul", "/act/Mul_1", []string{"g4", "half"}, []string{out}),
	}
}

func geluTanh(in, out string) []*pb.NodeProto {
	return []*pb.NodeProto{
		oxNode("Pow", "t/Pow", []string{in, "three"}, []string{"t1"}),
		oxNode("Mul", "t/Mul", []string{"t1", "k"}, []string{"t2"}),
		oxNode("Add", "t/Add", []string{in, "t2"}, []string{"t3"}),
		oxNode("Mul", "t/Mul_1", []string{"t3", "c"}, []string{"t4"}),
		oxNode("Tanh", "t/Tanh", []string{"t4"}, []string{"t5"}),
		oxNode("Add", "t/Add_1", []string{"t5", "one"}, []string{"t6"}),
		oxNode("Mul", "t/Mul_2", []string{in, "half"}, []string{"t7"}),
		oxNode("Mul", "t/Mul_3", []string{"t7", "t6"}, []string{out}),
	}
}

func single(op string) func(in, out string) []*pb.NodeProto {
	return func(in, out string) []*pb.NodeProto {
		return []*pb.NodeProto{oxNode(op, "/act2/"+op, []string{in}, []string{out})}
	}
}

func gated(op, what string) func(in, out string) []*pb.NodeProto {
	return func(in, out string) []*pb.NodeProto {
		return []*pb.NodeProto{
			oxNode(op, "/"+what+"/"+op, []string{in}, []string{"s"}),
			oxNode("Mul", "/"+what+"/Mul", []string{in, "s"}, []string{out}),
		}
	}
}

func mish(in, out string) []*pb.NodeProto {
	return []*pb.NodeProto{
		oxNode("Softplus", "m/Softplus", []string{in}, []string{"m1"}),
		oxNode("Tanh", "m/Tanh", []string{"m1"}, []string{"m2"}),
		oxNode("Mul", "m/Mul", []string{in, "m2"}, []string{out}),
	}
}

func TestUnsupportedListedAtOnce(t *testing.T) {
	g := oxChain(geluErf, single("LeakyRelu"))
	_, err := g.parse(t)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrUnsupported)
	var e *Error
	require.True(t, errors.As(err, &e))
	require.Len(t, e.Unsupported, 2, err.Error())
	gelu := e.Unsupported[0]
	assert.Equal(t, `node "/act/Div" (op Div)`, gelu.Node)
	assert.Equal(t, "Div", gelu.Op)
	assert.Equal(t, "GELU", gelu.What)
	assert.Equal(t, []string{`node "/act/Div" (op Div)`, `node "/act/Erf" (op Erf)`, `node "/act/Add" (op Add)`,
		`node "/act/Mul" (op Mul)`, `node "/act/Mul_1" (op Mul)`}, gelu.Nodes)
	assert.Equal(t, `node "/act2/LeakyRelu" (op LeakyRelu)`, e.Unsupported[1].Node)
	msg := err.Error()
	assert.Contains(t, msg, `test.onnx: 2 unsupported nodes: node "/act/Div" (op Div) starting GELU (nodes "/act/Div", "/act/Erf", "/act/Add", "/act/Mul", "/act/Mul_1") and node "/act2/LeakyRelu" (op LeakyRelu): zkeval's only hidden activation is Relu`)
	assert.Contains(t, msg, "`zkeval model ops` lists every supported operator")
	assert.NotContains(t, msg, "Gemm) ", "the layers after an unsupported node are not blamed")
}

func TestActivationPatternsNamed(t *testing.T) {
	cases := []struct {
		act  func(in, out string) []*pb.NodeProto
		node string
		what string
		n    int
	}{
		{geluErf, `node "/act/Div" (op Div)`, "GELU", 5},
		{geluTanh, `node "t/Pow" (op Pow)`, "GELU (tanh approximation)", 8},
		{gated("Sigmoid", "silu"), `node "/silu/Sigmoid" (op Sigmoid)`, "SiLU (Swish)", 2},
		{gated("HardSigmoid", "hardswish"), `node "/hardswish/HardSigmoid" (op HardSigmoid)`, "HardSwish", 2},
		{mish, `node "m/Softplus" (op Softplus)`, "Mish", 3},
		{single("Gelu"), `node "/act2/Gelu" (op Gelu)`, "GELU", 0},
		{single("HardSwish"), `node "/act2/HardSwish" (op HardSwish)`, "HardSwish", 0},
		{single("Tanh"), `node "/act2/Tanh" (op Tanh)`, "Tanh", 0},
		{single("HardSigmoid"), `node "/act2/HardSigmoid" (op HardSigmoid)`, "HardSigmoid", 0},
		{single("Sigmoid"), `node "/act2/Sigmoid" (op Sigmoid)`, "Sigmoid", 0},
	}
	for _, c := range cases {
		t.Run(c.what, func(t *testing.T) {
			g := oxChain(relu, c.act)
			_, err := g.parse(t)
			require.Error(t, err)
			var e *Error
			require.True(t, errors.As(err, &e), err.Error())
			require.Len(t, e.Unsupported, 1, err.Error())
			u := e.Unsupported[0]
			assert.Equal(t, c.node, u.Node)
			assert.Equal(t, c.what, u.What)
			assert.Len(t, u.Nodes, c.n)
			assert.Contains(t, err.Error(), c.what)
		})
	}
}

func TestHiddenHeadsAfterAnUnsupportedNodeListed(t *testing.T) {
	// LeakyRelu, then a hidden Sigmoid, then a final one: the first two
	// are named, the final Sigmoid (read by no node) is not.
	g := oxChain(single("LeakyRelu"), single("Sigmoid"))
	g.nodes = append(g.nodes, oxNode("Sigmoid", "end", []string{"y"}, []string{"p"}))
	g.outputs = []string{"p"}
	_, err := g.parse(t)
	require.Error(t, err)
	var e *Error
	require.True(t, errors.As(err, &e))
	var nodes []string
	for _, u := range e.Unsupported {
		nodes = append(nodes, u.Node)
	}
	assert.Equal(t, []string{`node "/act2/LeakyRelu" (op LeakyRelu)`, `node "/act2/Sigmoid" (op Sigmoid)`}, nodes)
}

func TestUnsupportedDomains(t *testing.T) {
	g := oxChain(relu, relu)
	tree := oxNode("TreeEnsembleClassifier", "trees", []string{"y"}, []string{"z"})
	tree.Domain = "ai.onnx.ml"
	custom := oxNode("Frobnicate", "", []string{"z"}, []string{"q"})
	custom.Domain = "com.example"
	g.nodes = append(g.nodes, tree, custom)
	g.outputs = []string{"q"}
	_, err := g.parse(t)
	require.Error(t, err)
	var e *Error
	require.True(t, errors.As(err, &e))
	require.Len(t, e.Unsupported, 2, err.Error())
	assert.Equal(t, "ai.onnx.ml.TreeEnsembleClassifier", e.Unsupported[0].Op)
	assert.Contains(t, e.Unsupported[0].Reason, "tree ensembles are not supported yet")
	assert.Equal(t, "node #6 (op com.example.Frobnicate)", e.Unsupported[1].Node)
}
