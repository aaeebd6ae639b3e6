package onnx

import (
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"

	pb "github.com/advancedclimatesystems/gonnx/onnx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/zkeval/zkeval/model"
)

// Hand-built graphs: the helpers that write them and the tests of single
// operators and errors.

type oxDim any // int or string (symbolic)

func oxInput(name string, elem pb.TensorProto_DataType, dims ...oxDim) *pb.ValueInfoProto {
	shape := &pb.TensorShapeProto{}
	for _, d := range dims {
		switch d := d.(type) {
		case int:
			shape.Dim = append(shape.Dim, &pb.TensorShapeProto_Dimension{Value: &pb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}})
		case string:
			shape.Dim = append(shape.Dim, &pb.TensorShapeProto_Dimension{Value: &pb.TensorShapeProto_Dimension_DimParam{DimParam: d}})
		}
	}
	return &pb.ValueInfoProto{Name: name, Type: &pb.TypeProto{Value: &pb.TypeProto_TensorType{
		TensorType: &pb.TypeProto_Tensor{ElemType: int32(elem), Shape: shape}}}}
}

func oxF32(name string, dims []int64, vals []float64) *pb.TensorProto {
	raw := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(float32(v)))
	}
	return &pb.TensorProto{Name: name, Dims: dims, DataType: int32(pb.TensorProto_FLOAT), RawData: raw}
}

func oxI64(name string, dims []int64, vals []int64) *pb.TensorProto {
	return &pb.TensorProto{Name: name, Dims: dims, DataType: int32(pb.TensorProto_INT64), Int64Data: vals}
}

func oxAttrInt(name string, v int64) *pb.AttributeProto {
	return &pb.AttributeProto{Name: name, Type: pb.AttributeProto_INT, I: v}
}

func oxAttrFloat(name string, v float32) *pb.AttributeProto {
	return &pb.AttributeProto{Name: name, Type: pb.AttributeProto_FLOAT, F: v}
}

func oxAttrInts(name string, v ...int64) *pb.AttributeProto {
	return &pb.AttributeProto{Name: name, Type: pb.AttributeProto_INTS, Ints: v}
}

func oxAttrTensor(name string, t *pb.TensorProto) *pb.AttributeProto {
	return &pb.AttributeProto{Name: name, Type: pb.AttributeProto_TENSOR, T: t}
}

func oxNode(op, name string, in, out []string, attrs ...*pb.AttributeProto) *pb.NodeProto {
	return &pb.NodeProto{OpType: op, Name: name, Input: in, Output: out, Attribute: attrs}
}

type oxGraph struct {
	opset   int64
	mlOpset int64 // 0: no ai.onnx.ml opset
	inputs  []*pb.ValueInfoProto
	inits   []*pb.TensorProto
	nodes   []*pb.NodeProto
	outputs []string
}

func (g oxGraph) bytes(t testing.TB) []byte {
	t.Helper()
	opset := g.opset
	if opset == 0 {
		opset = 13
	}
	outs := g.outputs
	if outs == nil {
		outs = []string{"y"}
	}
	gp := &pb.GraphProto{Name: "g", Input: g.inputs, Initializer: g.inits, Node: g.nodes}
	for _, o := range outs {
		gp.Output = append(gp.Output, &pb.ValueInfoProto{Name: o})
	}
	mp := &pb.ModelProto{IrVersion: 7, Graph: gp, OpsetImport: []*pb.OperatorSetIdProto{{Domain: "", Version: opset}}}
	if g.mlOpset != 0 {
		mp.OpsetImport = append(mp.OpsetImport, &pb.OperatorSetIdProto{Domain: "ai.onnx.ml", Version: g.mlOpset})
	}
	data, err := proto.Marshal(mp)
	require.NoError(t, err)
	return data
}

func (g oxGraph) parse(t testing.TB) (*model.FloatModel, error) {
	t.Helper()
	return Parse(g.bytes(t), "test.onnx")
}

func oxSeq(n int, scale float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = scale * float64((i*7)%11-5)
	}
	return v
}

// oxMLP returns a two-layer 4-3-2 Gemm model (nn.Linear style, transB=1).
func oxMLP() oxGraph {
	return oxGraph{
		inputs: []*pb.ValueInfoProto{oxInput("x", pb.TensorProto_FLOAT, "N", 4)},
		inits: []*pb.TensorProto{
			oxF32("w1", []int64{3, 4}, oxSeq(12, 0.25)),
			oxF32("b1", []int64{3}, []float64{0.5, -0.5, 1}),
			oxF32("w2", []int64{2, 3}, oxSeq(6, 0.5)),
			oxF32("b2", []int64{2}, []float64{0.25, -0.25}),
		},
		nodes: []*pb.NodeProto{
			oxNode("Gemm", "fc1", []string{"x", "w1", "b1"}, []string{"h"}, oxAttrInt("transB", 1)),
			oxNode("Relu", "relu", []string{"h"}, []string{"r"}),
			oxNode("Gemm", "fc2", []string{"r", "w2", "b2"}, []string{"y"}, oxAttrInt("transB", 1)),
		},
	}
}

func TestParseONNXHandBuilt(t *testing.T) {
	m, err := oxMLP().parse(t)
	require.NoError(t, err)
	assert.Equal(t, "g", m.Name)
	assert.Equal(t, int64(13), m.Opset)
	assert.Equal(t, 4, m.InputSize)
	require.Len(t, m.Layers, 2)
	assert.Equal(t, oxSeq(4, 0.25), m.Layers[0].W[0])
	assert.Equal(t, []float64{0.5, -0.5, 1}, m.Layers[0].B)
	assert.True(t, m.Layers[0].ReLU)
	assert.False(t, m.Layers[1].ReLU)
}

func TestParseONNXGemmAttributes(t *testing.T) {
	// transB=0: B is [in][out]; alpha and beta scale W and C; C is [1][out].
	b := oxSeq(8, 0.5) // [4][2]
	g := oxGraph{
		inputs: []*pb.ValueInfoProto{oxInput("x", pb.TensorProto_FLOAT, "N", 4)},
		inits: []*pb.TensorProto{
			oxF32("B", []int64{4, 2}, b),
			oxF32("C", []int64{1, 2}, []float64{1, -2}),
		},
		nodes: []*pb.NodeProto{oxNode("Gemm", "g", []string{"x", "B", "C"}, []string{"y"},
			oxAttrFloat("alpha", 2), oxAttrFloat("beta", 0.5), oxAttrInt("transB", 0))},
	}
	m, err := g.parse(t)
	require.NoError(t, err)
	require.Len(t, m.Layers, 1)
	l := m.Layers[0]
	require.Equal(t, 2, l.Out())
	require.Equal(t, 4, l.In())
	for o := 0; o < 2; o++ {
		for i := 0; i < 4; i++ {
			assert.Equal(t, 2*b[i*2+o], l.W[o][i])
		}
	}
	assert.Equal(t, []float64{0.5, -1}, l.B)

	// Scalar C, no C, and C as a Constant node holding float_data.
	g.inits[1] = oxF32("C", []int64{}, []float64{3})
	m, err = g.parse(t)
	require.NoError(t, err)
	assert.Equal(t, []float64{1.5, 1.5}, m.Layers[0].B)

	g.nodes[0].Input = []string{"x", "B"}
	m, err = g.parse(t)
	require.NoError(t, err)
	assert.Equal(t, []float64{0, 0}, m.Layers[0].B)

	g.inits = g.inits[:1]
	g.nodes = []*pb.NodeProto{
		oxNode("Constant", "c", nil, []string{"C"}, oxAttrTensor("value", &pb.TensorProto{
			Dims: []int64{2}, DataType: int32(pb.TensorProto_FLOAT), FloatData: []float32{4, 8}})),
		oxNode("Gemm", "g", []string{"x", "B", "C"}, []string{"y"}),
	}
	m, err = g.parse(t)
	require.NoError(t, err)
	assert.Equal(t, []float64{4, 8}, m.Layers[0].B)
}

func TestParseONNXDoubleWeights(t *testing.T) {
	g := oxGraph{
		inputs: []*pb.ValueInfoProto{oxInput("x", pb.TensorProto_DOUBLE, "N", 2)},
		inits: []*pb.TensorProto{
			{Name: "W", Dims: []int64{2, 3}, DataType: int32(pb.TensorProto_DOUBLE), DoubleData: []float64{1, 2, 3, 4, 5, 6}},
			{Name: "b", Dims: []int64{3}, DataType: int32(pb.TensorProto_DOUBLE), DoubleData: []float64{0.1, 0.2, 0.3}},
		},
		nodes: []*pb.NodeProto{
			oxNode("MatMul", "mm", []string{"x", "W"}, []string{"h"}),
			oxNode("Add", "add", []string{"h", "b"}, []string{"y"}),
		},
	}
	m, err := g.parse(t)
	require.NoError(t, err)
	require.Len(t, m.Layers, 1)
	assert.Equal(t, [][]float64{{1, 4}, {2, 5}, {3, 6}}, m.Layers[0].W)
	assert.Equal(t, []float64{0.1, 0.2, 0.3}, m.Layers[0].B)
	assert.Equal(t, "mm", m.Layers[0].Name)
	y, err := m.Forward([]float64{1, -1})
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float64{-2.9, -2.8, -2.7}, y, 1e-12)
}

// oxShapeChain builds x.view(x.size(0), -1) on an input [N, 3, 4] the way
// different exporters spell it, followed by one 12→2 Gemm.
func oxShapeChain(opset int64, target []*pb.NodeProto) oxGraph {
	nodes := append([]*pb.NodeProto{}, target...)
	nodes = append(nodes,
		oxNode("Reshape", "reshape", []string{"x", "target"}, []string{"flat"}),
		oxNode("Gemm", "fc", []string{"flat", "w", "b"}, []string{"y"}, oxAttrInt("transB", 1)))
	return oxGraph{
		opset:  opset,
		inputs: []*pb.ValueInfoProto{oxInput("x", pb.TensorProto_FLOAT, "N", 3, 4)},
		inits: []*pb.TensorProto{
			oxF32("w", []int64{2, 12}, oxSeq(24, 0.1)),
			oxF32("b", []int64{2}, []float64{1, 2}),
			oxI64("zero", []int64{}, []int64{0}),
			oxI64("zero1", []int64{1}, []int64{0}),
			oxI64("minus1", []int64{1}, []int64{-1}),
		},
		nodes: nodes,
	}
}

func TestParseONNXShapeChains(t *testing.T) {
	cases := map[string]oxGraph{
		"opset9 axes attribute": oxShapeChain(9, []*pb.NodeProto{
			oxNode("Shape", "s", []string{"x"}, []string{"shape"}),
			oxNode("Gather", "g", []string{"shape", "zero"}, []string{"n"}, oxAttrInt("axis", 0)),
			oxNode("Unsqueeze", "u", []string{"n"}, []string{"n1"}, oxAttrInts("axes", 0)),
			oxNode("Concat", "c", []string{"n1", "minus1"}, []string{"target"}, oxAttrInt("axis", 0)),
		}),
		"opset13 axes input, casts and squeeze": oxShapeChain(13, []*pb.NodeProto{
			oxNode("Shape", "s", []string{"x"}, []string{"shape"}),
			oxNode("Gather", "g", []string{"shape", "zero1"}, []string{"n1d"}, oxAttrInt("axis", 0)),
			oxNode("Cast", "c32", []string{"n1d"}, []string{"n32"}, oxAttrInt("to", int64(pb.TensorProto_INT32))),
			oxNode("Squeeze", "sq", []string{"n32", "zero1"}, []string{"n0"}),
			oxNode("Cast", "c64", []string{"n0"}, []string{"n"}, oxAttrInt("to", int64(pb.TensorProto_INT64))),
			oxNode("Unsqueeze", "u", []string{"n", "zero1"}, []string{"n1"}),
			oxNode("Identity", "id", []string{"minus1"}, []string{"m1"}),
			oxNode("Concat", "c", []string{"n1", "m1"}, []string{"target"}, oxAttrInt("axis", 0)),
		}),
		"product of dims": oxShapeChain(13, []*pb.NodeProto{
			// x.view(-1, x.size(1) * x.size(2))
			oxNode("Shape", "s", []string{"x"}, []string{"shape"}),
			oxNode("Constant", "k1", nil, []string{"one"}, &pb.AttributeProto{Name: "value_ints", Type: pb.AttributeProto_INTS, Ints: []int64{1}}),
			oxNode("Constant", "k2", nil, []string{"two"}, &pb.AttributeProto{Name: "value_ints", Type: pb.AttributeProto_INTS, Ints: []int64{2}}),
			oxNode("Gather", "g1", []string{"shape", "one"}, []string{"d1"}),
			oxNode("Gather", "g2", []string{"shape", "two"}, []string{"d2"}),
			oxNode("Mul", "mul", []string{"d1", "d2"}, []string{"f"}),
			oxNode("Concat", "c", []string{"minus1", "f"}, []string{"target"}, oxAttrInt("axis", 0)),
		}),
		"constant target": oxShapeChain(13, []*pb.NodeProto{
			oxNode("Constant", "t", nil, []string{"target"}, oxAttrTensor("value", oxI64("", []int64{2}, []int64{0, -1}))),
		}),
	}
	for name, g := range cases {
		t.Run(name, func(t *testing.T) {
			m, err := g.parse(t)
			require.NoError(t, err)
			assert.Equal(t, 12, m.InputSize)
			require.Len(t, m.Layers, 1)
			assert.Equal(t, 12, m.Layers[0].In())
			assert.Equal(t, 2, m.Layers[0].Out())
		})
	}
}

func TestParseONNXSymbolicDims(t *testing.T) {
	// [N, C, H] with symbolic C and H: the input size comes from the weight.
	g := oxGraph{
		inputs: []*pb.ValueInfoProto{oxInput("x", pb.TensorProto_FLOAT, "N", "C", "H")},
		inits:  []*pb.TensorProto{oxF32("w", []int64{2, 12}, oxSeq(24, 0.1))},
		nodes: []*pb.NodeProto{
			oxNode("Flatten", "flat", []string{"x"}, []string{"f"}, oxAttrInt("axis", 1)),
			oxNode("Gemm", "fc", []string{"f", "w"}, []string{"y"}, oxAttrInt("transB", 1)),
		},
	}
	m, err := g.parse(t)
	require.NoError(t, err)
	assert.Equal(t, 12, m.InputSize)

	// A partially known shape must divide the weight's input width.
	g.inputs[0] = oxInput("x", pb.TensorProto_FLOAT, "N", 5, "H")
	_, err = g.parse(t)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `needs 12 input features, which does not fit graph input "x" of shape [batch 5 ?]`)
}

func TestParseONNXErrors(t *testing.T) {
	type mutate func(g *oxGraph)
	cases := []struct {
		name   string
		mut    mutate
		kind   error
		substr []string
	}{
		{"transA", func(g *oxGraph) { g.nodes[0].Attribute = append(g.nodes[0].Attribute, oxAttrInt("transA", 1)) },
			ErrUnsupported, []string{`test.onnx: node "fc1" (op Gemm) has transA=1; only transA=0`}},
		{"mismatched layers", func(g *oxGraph) { g.inits[2] = oxF32("w2", []int64{2, 4}, oxSeq(8, 1)) },
			ErrInvalid, []string{`node "fc2" (op Gemm)`, `shape [2 4] with transB=1, so it takes 4 inputs, but its input has 3 features`,
				`layer "fc1", W of shape [3][4]`}},
		{"mismatched input", func(g *oxGraph) { g.inputs[0] = oxInput("x", pb.TensorProto_FLOAT, "N", 5) },
			ErrInvalid, []string{`node "fc1" (op Gemm)`, `takes 4 inputs, but its input has 5 features, from graph input "x" of shape [batch 5]`}},
		{"int8 weights", func(g *oxGraph) {
			g.inits[0] = &pb.TensorProto{Name: "w1", Dims: []int64{3, 4}, DataType: int32(pb.TensorProto_INT8), RawData: make([]byte, 12)}
		}, ErrUnsupported, []string{`node "fc1" (op Gemm) has weight initializer "w1" of type INT8; zkeval imports float32 or float64 weights`}},
		{"float16 weights", func(g *oxGraph) {
			g.inits[0] = &pb.TensorProto{Name: "w1", Dims: []int64{3, 4}, DataType: int32(pb.TensorProto_FLOAT16), RawData: make([]byte, 24)}
		}, ErrUnsupported, []string{`initializer "w1": has data type FLOAT16`}},
		{"nan weights", func(g *oxGraph) {
			v := oxSeq(12, 1)
			v[5] = math.NaN()
			g.inits[0] = oxF32("w1", []int64{3, 4}, v)
		}, ErrInvalid, []string{`node "fc1" (op Gemm) has weight initializer "w1" with non-finite value NaN at element 5`}},
		{"inf bias", func(g *oxGraph) { g.inits[3] = oxF32("b2", []int64{2}, []float64{math.Inf(1), 0}) },
			ErrInvalid, []string{`non-finite value +Inf`}},
		{"short tensor data", func(g *oxGraph) { g.inits[0].RawData = g.inits[0].RawData[:40] },
			ErrInvalid, []string{`initializer "w1": has 10 values for shape [3 4] (12 expected)`}},
		{"external data", func(g *oxGraph) {
			g.inits[0].RawData = nil
			g.inits[0].DataLocation = pb.TensorProto_EXTERNAL
		}, ErrUnsupported, []string{`external file`}},
		{"two inputs", func(g *oxGraph) {
			g.inputs = append(g.inputs, oxInput("x2", pb.TensorProto_FLOAT, "N", 4))
		}, ErrUnsupported, []string{`the graph has 2 inputs ("x", "x2")`}},
		{"no input", func(g *oxGraph) { g.inputs = nil }, ErrInvalid, []string{`no input`}},
		{"int input", func(g *oxGraph) { g.inputs[0] = oxInput("x", pb.TensorProto_INT64, "N", 4) },
			ErrUnsupported, []string{`element type INT64`}},
		{"rank-1 input", func(g *oxGraph) { g.inputs[0] = oxInput("x", pb.TensorProto_FLOAT, 4) },
			ErrUnsupported, []string{`rank 1`}},
		{"empty graph", func(g *oxGraph) { g.nodes = nil }, ErrInvalid, []string{`is empty`}},
		{"no dense layer", func(g *oxGraph) {
			g.nodes = []*pb.NodeProto{oxNode("Identity", "id", []string{"x"}, []string{"y"})}
		}, ErrUnsupported, []string{`no dense layer`}},
		{"two outputs", func(g *oxGraph) { g.outputs = []string{"y", "h"} }, ErrUnsupported, []string{`2 outputs`}},
		{"output mid-chain", func(g *oxGraph) { g.outputs = []string{"r"} }, ErrUnsupported, []string{`not the end of the data path`}},
		{"undefined output", func(g *oxGraph) { g.outputs = []string{"zz"} }, ErrInvalid, []string{`"zz" is not produced`}},
		{"branch", func(g *oxGraph) { g.nodes[2].Input[0] = "h" }, ErrUnsupported,
			[]string{`node "fc2" (op Gemm) reads activations that a later node already transformed`}},
		{"skip connection", func(g *oxGraph) {
			g.nodes = append(g.nodes, oxNode("Add", "res", []string{"y", "y"}, []string{"z"}))
			g.outputs = []string{"z"}
		}, ErrUnsupported, []string{`1 unsupported node: node "res" (op Add): combines two activations`}},
		{"relu first", func(g *oxGraph) {
			g.nodes = append([]*pb.NodeProto{oxNode("Relu", "r0", []string{"x"}, []string{"x0"})}, g.nodes...)
			g.nodes[1].Input[0] = "x0"
		}, ErrUnsupported, []string{`node "r0" (op Relu) applies Relu to the graph input`}},
		{"custom domain", func(g *oxGraph) { g.nodes[1].Domain = "com.example" },
			ErrUnsupported, []string{`1 unsupported node: node "relu" (op com.example.Relu): zkeval does not import operators of domain com.example`}},
		{"unnamed node", func(g *oxGraph) { g.nodes[1] = oxNode("Softplus", "", []string{"h"}, []string{"r"}) },
			ErrUnsupported, []string{`test.onnx: 1 unsupported node: node #1 (op Softplus): zkeval's hidden activations are Relu, LeakyRelu`}},
		{"unsorted", func(g *oxGraph) { g.nodes[0], g.nodes[1] = g.nodes[1], g.nodes[0] },
			ErrInvalid, []string{`node "relu" (op Relu) reads "h", which is not produced`}},
		{"weight from input", func(g *oxGraph) { g.nodes[0].Input[1] = "x" },
			ErrUnsupported, []string{`computes its weight B from the graph input`}},
		{"bad bias shape", func(g *oxGraph) { g.inits[1] = oxF32("b1", []int64{2}, []float64{1, 2}) },
			ErrUnsupported, []string{`bias C initializer "b1" of shape [2], which does not broadcast to one bias per output [3]`}},
		{"reshape allowzero", func(g *oxGraph) {
			g.opset = 14
			g.inits = append(g.inits, oxI64("t", []int64{2}, []int64{0, 4}))
			g.nodes = append([]*pb.NodeProto{oxNode("Reshape", "rs", []string{"x", "t"}, []string{"x0"}, oxAttrInt("allowzero", 1))}, g.nodes...)
			g.nodes[1].Input[0] = "x0"
		}, ErrUnsupported, []string{`node "rs" (op Reshape) reshapes the activations of shape [batch 4] to [0 4]`}},
		{"opset 8", func(g *oxGraph) { g.opset = 8 }, ErrUnsupported, []string{`opset 8 is not supported`}},
		{"rank-3 gemm", func(g *oxGraph) { g.inputs[0] = oxInput("x", pb.TensorProto_FLOAT, "N", 2, 2) },
			ErrUnsupported, []string{`node "fc1" (op Gemm) receives activations of shape [batch 2 2]; flatten them`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := oxMLP()
			c.mut(&g)
			_, err := g.parse(t)
			require.Error(t, err)
			assert.ErrorIs(t, err, c.kind)
			assert.True(t, strings.HasPrefix(err.Error(), "test.onnx: "), err.Error())
			for _, s := range c.substr {
				assert.Contains(t, err.Error(), s)
			}
		})
	}
}

func TestParseONNXBadReshape(t *testing.T) {
	cases := map[string][]int64{
		"rank 3":         {0, 3, 4},
		"rank 1":         {-1},
		"merges batch":   {-1, 4},
		"batch not kept": {3, -1},
		"two unknowns":   {-1, -1},
	}
	for name, target := range cases {
		t.Run(name, func(t *testing.T) {
			g := oxShapeChain(13, []*pb.NodeProto{
				oxNode("Constant", "t", nil, []string{"target"}, oxAttrTensor("value", oxI64("", []int64{int64(len(target))}, target))),
			})
			_, err := g.parse(t)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrUnsupported)
			assert.Contains(t, err.Error(), `node "reshape" (op Reshape) reshapes the activations of shape [batch 3 4] to`)
			assert.Contains(t, err.Error(), "zkeval supports only flattening to [batch, features]")
		})
	}

	// [batch, 3, 4] built from the input's own shape is still rank 3.
	g := oxShapeChain(13, []*pb.NodeProto{
		oxNode("Shape", "s", []string{"x"}, []string{"target"}),
	})
	_, err := g.parse(t)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "to [batch 3 4]")

	// Flatten must keep the batch dimension apart.
	g = oxShapeChain(13, nil)
	g.nodes[0] = oxNode("Flatten", "flat0", []string{"x"}, []string{"flat"}, oxAttrInt("axis", 2))
	_, err = g.parse(t)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `node "flat0" (op Flatten) has axis 2 on activations of shape [batch 3 4]; only axis 1`)
}

func TestErrorsWrap(t *testing.T) {
	_, err := Parse([]byte{0x0a}, "x.onnx")
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrInvalid)
	assert.False(t, errors.Is(err, ErrUnsupported))
	assert.NotEqual(t, err.Error(), "x.onnx: not a valid ONNX model", "the protobuf error is included")
}

func TestParseONNXFoldingLimit(t *testing.T) {
	// A 4096 x 4096 broadcast built from two 4096-element constants.
	ints := make([]int64, 4096)
	g := oxMLP()
	g.nodes = append([]*pb.NodeProto{
		oxNode("Constant", "k", nil, []string{"k"}, &pb.AttributeProto{Name: "value_ints", Type: pb.AttributeProto_INTS, Ints: ints}),
		oxNode("Unsqueeze", "col", []string{"k"}, []string{"col"}, oxAttrInts("axes", 1)),
		oxNode("Unsqueeze", "row", []string{"k"}, []string{"row"}, oxAttrInts("axes", 0)),
		oxNode("Mul", "big", []string{"col", "row"}, []string{"big"}),
	}, g.nodes...)
	g.opset = 11
	_, err := g.parse(t)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrUnsupported)
	assert.Contains(t, err.Error(), `node "big" (op Mul)`)
}

func TestParseONNXAddAfterGemm(t *testing.T) {
	// An Add right after a Gemm (and a scalar bias) folds into the layer's B.
	g := oxMLP()
	g.inits = append(g.inits, oxF32("s", []int64{}, []float64{10}))
	g.nodes = []*pb.NodeProto{g.nodes[0], oxNode("Add", "add", []string{"s", "h"}, []string{"h2"}), g.nodes[1], g.nodes[2]}
	g.nodes[2].Input[0] = "h2"
	m, err := g.parse(t)
	require.NoError(t, err)
	assert.Equal(t, []float64{10.5, 9.5, 11}, m.Layers[0].B)
}

func TestParseONNXFoldedWeights(t *testing.T) {
	fl := func(name string, v ...float32) *pb.AttributeProto {
		return &pb.AttributeProto{Name: name, Type: pb.AttributeProto_FLOATS, Floats: v}
	}
	w := []float32{1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12}
	g := oxGraph{
		inputs: []*pb.ValueInfoProto{oxInput("x", pb.TensorProto_FLOAT, "N", 4)},
		nodes: []*pb.NodeProto{
			oxNode("Constant", "wflat", nil, []string{"wflat"}, fl("value_floats", w...)),
			oxNode("Constant", "shape", nil, []string{"shape"}, oxAttrInts("value_ints", 3, -1)),
			oxNode("Reshape", "wr", []string{"wflat", "shape"}, []string{"w34"}),
			oxNode("Cast", "w64", []string{"w34"}, []string{"w64"}, oxAttrInt("to", int64(pb.TensorProto_DOUBLE))),
			oxNode("Constant", "two", nil, []string{"two"}, &pb.AttributeProto{Name: "value_float", Type: pb.AttributeProto_FLOAT, F: 2}),
			oxNode("Mul", "w2", []string{"w64", "two"}, []string{"w2"}),
			oxNode("Relu", "wrelu", []string{"w2"}, []string{"wrelu"}),
			oxNode("Flatten", "wflat2", []string{"wrelu"}, []string{"wfin"}, oxAttrInt("axis", -1)),
			oxNode("Constant", "b", nil, []string{"b"}, fl("value_floats", 2, 4, 6)),
			oxNode("Sub", "b1", []string{"b", "two"}, []string{"b1"}),
			oxNode("Div", "b2", []string{"b1", "two"}, []string{"b2"}),
			oxNode("Gemm", "fc", []string{"x", "wfin", "b2"}, []string{"y"}, oxAttrInt("transB", 1)),
		},
	}
	m, err := g.parse(t)
	require.NoError(t, err)
	require.Len(t, m.Layers, 1)
	assert.Equal(t, [][]float64{{2, 0, 6, 0}, {10, 0, 14, 0}, {18, 0, 22, 0}}, m.Layers[0].W)
	assert.Equal(t, []float64{0, 1, 2}, m.Layers[0].B)
}
