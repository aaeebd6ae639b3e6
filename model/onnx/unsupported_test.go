package onnx

import (
	"errors"
	"math"
	"testing"

	pb "github.com/advancedclimatesystems/gonnx/onnx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/model/activation"
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
	g := oxChain(geluTanh, single("Softplus"))
	_, err := g.parse(t)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrUnsupported)
	var e *Error
	require.True(t, errors.As(err, &e))
	require.Len(t, e.Unsupported, 2, err.Error())
	gelu := e.Unsupported[0]
	assert.Equal(t, `node "t/Pow" (op Pow)`, gelu.Node)
	assert.Equal(t, "Pow", gelu.Op)
	assert.Equal(t, "GELU (tanh approximation)", gelu.What)
	assert.Len(t, gelu.Nodes, 8)
	assert.Equal(t, `node "/act2/Softplus" (op Softplus)`, e.Unsupported[1].Node)
	msg := err.Error()
	assert.Contains(t, msg, `test.onnx: 2 unsupported nodes: node "t/Pow" (op Pow) starting GELU (tanh approximation) (nodes "t/Pow", `)
	assert.Contains(t, msg, `and node "/act2/Softplus" (op Softplus): zkeval's hidden activations are Relu, LeakyRelu, Tanh, Sigmoid, GELU (exact), HardSigmoid and HardSwish`)
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
		{geluTanh, `node "t/Pow" (op Pow)`, "GELU (tanh approximation)", 8},
		{gated("Sigmoid", "silu"), `node "/silu/Sigmoid" (op Sigmoid)`, "SiLU (Swish)", 2},
		{gated("HardSigmoid", "hardswish"), `node "/hardswish/HardSigmoid" (op HardSigmoid)`, "HardSwish", 2},
		{mish, `node "m/Softplus" (op Softplus)`, "Mish", 3},
		{geluErfWith("three"), `node "/act/Div" (op Div)`, "GELU", 5},
		{geluErfWith("one"), `node "/act/Div" (op Div)`, "GELU", 5},
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

// geluErfWith is geluErf dividing by another constant than √2: not GELU,
// so it is named (as the pattern it resembles) and refused.
func geluErfWith(c string) func(in, out string) []*pb.NodeProto {
	return func(in, out string) []*pb.NodeProto {
		n := geluErf(in, out)
		n[0].Input[1] = c
		return n
	}
}

// TestHiddenActivationsImported: every supported hidden activation, GELU in
// both forms, imports as the activation of the layer before, and the float
// model computes it.
func TestHiddenActivationsImported(t *testing.T) {
	gelu := func(x float64) float64 { return x / 2 * (1 + math.Erf(x/math.Sqrt2)) }
	for _, c := range []struct {
		name string
		act  func(in, out string) []*pb.NodeProto
		kind string
		f    func(float64) float64
	}{
		{"GELU Erf form", geluErf, activation.Gelu, gelu},
		{"GELU Erf form, Mul first", geluErfMulFirst, activation.Gelu, gelu},
		{"Gelu", single("Gelu"), activation.Gelu, gelu},
		{"Tanh", single("Tanh"), activation.Tanh, math.Tanh},
		{"Sigmoid", single("Sigmoid"), activation.Sigmoid, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }},
		{"HardSigmoid", single("HardSigmoid"), activation.HardSigmoid, func(x float64) float64 { return max(0, min(1, 0.2*x+0.5)) }},
		{"HardSwish", single("HardSwish"), activation.HardSwish, func(x float64) float64 { return x * max(0, min(1, x/6+0.5)) }},
		{"LeakyRelu", single("LeakyRelu"), activation.LeakyRelu, func(x float64) float64 {
			if x < 0 {
				return x * 0.01
			}
			return x
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := oxChain(relu, c.act)
			m, err := g.parse(t)
			require.NoError(t, err)
			require.Len(t, m.Layers, 3)
			require.True(t, m.Layers[0].ReLU)
			require.NotNil(t, m.Layers[1].Act)
			assert.Equal(t, c.kind, m.Layers[1].Act.Kind)
			// Float forward: compute the chain by hand.
			x := []float64{0.5, -1, 2, 0.25}
			want := make([]float64, 4)
			copy(want, x)
			for l, lay := range m.Layers {
				y := make([]float64, lay.Out())
				for o, row := range lay.W {
					s := lay.B[o]
					for i, w := range row {
						s += w * want[i]
					}
					switch l {
					case 0:
						s = max(s, 0)
					case 1:
						s = c.f(s)
					}
					y[o] = s
				}
				want = y
			}
			got, err := m.Forward(x)
			require.NoError(t, err)
			require.InDeltaSlice(t, want, got, 1e-12)
		})
	}
}

// geluErfMulFirst computes x·0.5 first, then multiplies by 1 + erf.
func geluErfMulFirst(in, out string) []*pb.NodeProto {
	return []*pb.NodeProto{
		oxNode("Mul", "/act/Mul", []string{in, "half"}, []string{"g0"}),
		oxNode("Div", "/act/Div", []string{in, "sqrt2"}, []string{"g1"}),
		oxNode("Erf", "/act/Erf", []string{"g1"}, []string{"g2"}),
		oxNode("Add", "/act/Add", []string{"one", "g2"}, []string{"g3"}),
		oxNode("Mul", "/act/Mul_1", []string{"g0", "g3"}, []string{out}),
	}
}

func TestActivationErrors(t *testing.T) {
	for name, c := range map[string]struct {
		a1, a2 func(in, out string) []*pb.NodeProto
		want   string
	}{
		"two in a row": {relu, func(in, out string) []*pb.NodeProto {
			return []*pb.NodeProto{oxNode("Tanh", "t1", []string{in}, []string{"u"}), oxNode("Tanh", "t2", []string{"u"}, []string{out})}
		}, `node "t2" (op Tanh) applies Tanh to activations that already went through an activation`},
		"Relu after Tanh": {relu, func(in, out string) []*pb.NodeProto {
			return []*pb.NodeProto{oxNode("Tanh", "t1", []string{in}, []string{"u"}), oxNode("Relu", "r1", []string{"u"}, []string{out})}
		}, `node "r1" (op Relu) applies Relu to the output of tanh, the activation of layer "/fc2/Gemm"; zkeval takes one activation per dense layer`},
		"slope above one": {relu, func(in, out string) []*pb.NodeProto {
			return []*pb.NodeProto{oxNode("LeakyRelu", "lr", []string{in}, []string{out}, oxAttrFloat("alpha", 2))}
		}, "slopes (alpha) in [0, 1]"},
		"tanh approximation op": {relu, func(in, out string) []*pb.NodeProto {
			return []*pb.NodeProto{oxNode("Gelu", "g", []string{in}, []string{out}, oxAttrString("approximate", "tanh"))}
		}, "GELU (tanh approximation)"},
	} {
		t.Run(name, func(t *testing.T) {
			g := oxChain(c.a1, c.a2)
			_, err := g.parse(t)
			require.ErrorContains(t, err, c.want)
		})
	}
	// On the graph input.
	g := oxChain(relu, relu)
	g.nodes = append([]*pb.NodeProto{oxNode("Tanh", "t0", []string{"x"}, []string{"x1"})}, g.nodes...)
	g.nodes[1].Input[0] = "x1"
	_, err := g.parse(t)
	require.ErrorContains(t, err, "applies Tanh to the graph input")
}

func TestHiddenHeadsAfterAnUnsupportedNodeListed(t *testing.T) {
	// Softplus, then a hidden Sigmoid, then a final one: the first two
	// are named, the final Sigmoid (read by no node) is not.
	g := oxChain(single("Softplus"), single("Sigmoid"))
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
	assert.Equal(t, []string{`node "/act2/Softplus" (op Softplus)`, `node "/act2/Sigmoid" (op Sigmoid)`}, nodes)
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

func oxAttrString(name, v string) *pb.AttributeProto {
	return &pb.AttributeProto{Name: name, Type: pb.AttributeProto_STRING, S: []byte(v)}
}
