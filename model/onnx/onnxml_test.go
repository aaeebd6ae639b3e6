package onnx

import (
	"testing"

	pb "github.com/advancedclimatesystems/gonnx/onnx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/model"
)

func oxFloats(name string, v ...float32) *pb.AttributeProto {
	return &pb.AttributeProto{Name: name, Type: pb.AttributeProto_FLOATS, Floats: v}
}

func oxString(name, v string) *pb.AttributeProto {
	return &pb.AttributeProto{Name: name, Type: pb.AttributeProto_STRING, S: []byte(v)}
}

func oxStrings(name string, v ...string) *pb.AttributeProto {
	a := &pb.AttributeProto{Name: name, Type: pb.AttributeProto_STRINGS}
	for _, s := range v {
		a.Strings = append(a.Strings, []byte(s))
	}
	return a
}

func mlNode(op, name string, in, out []string, attrs ...*pb.AttributeProto) *pb.NodeProto {
	n := oxNode(op, name, in, out, attrs...)
	n.Domain = "ai.onnx.ml"
	return n
}

// oxLinear returns an ONNX-ML graph in skl2onnx's layout: X [N, 3] →
// LinearClassifier → label, and scores → tail → probabilities.
func oxLinear(coef, icp []float32, labels *pb.AttributeProto, post string, tail ...*pb.NodeProto) oxGraph {
	nodes := []*pb.NodeProto{mlNode("LinearClassifier", "lc", []string{"X"}, []string{"label", "probability_tensor"},
		oxFloats("coefficients", coef...), oxFloats("intercepts", icp...), labels, oxString("post_transform", post), oxAttrInt("multi_class", 0))}
	prob := "probability_tensor"
	for _, n := range tail {
		n.Input = []string{prob}
		prob = n.Output[0]
		nodes = append(nodes, n)
	}
	return oxGraph{
		mlOpset: 1,
		inputs:  []*pb.ValueInfoProto{oxInput("X", pb.TensorProto_FLOAT, "N", 3)},
		nodes:   nodes,
		outputs: []string{"label", prob},
	}
}

func TestLinearClassifierMultiClass(t *testing.T) {
	coef := []float32{1, 2, 3, -1, 0, 1, 0.5, 0.5, -2}
	g := oxLinear(coef, []float32{0.1, -0.2, 0.3}, oxAttrInts("classlabels_ints", 0, 1, 2), "SOFTMAX",
		mlNode("Normalizer", "norm", nil, []string{"normalized"}, oxString("norm", "L1")),
		mlNode("ZipMap", "zip", nil, []string{"output_probability"}, oxAttrInts("classlabels_int64s", 0, 1, 2)))
	m, err := g.parse(t)
	require.NoError(t, err)
	require.Len(t, m.Layers, 1)
	l := m.Layers[0]
	assert.Equal(t, "lc", l.Name)
	assert.Equal(t, [][]float64{{1, 2, 3}, {-1, 0, 1}, {0.5, 0.5, -2}}, l.W)
	assert.InDeltaSlice(t, []float64{0.1, -0.2, 0.3}, l.B, 1e-7)
	assert.False(t, l.ReLU)
	assert.Equal(t, []string{"0", "1", "2"}, m.ClassLabels)
	require.Len(t, m.Steps, 3)
	assert.Contains(t, m.Steps[0].Detail, "post_transform SOFTMAX: dropped")
	assert.Equal(t, []string{`node "norm" (op ai.onnx.ml.Normalizer)`}, m.Steps[1].Nodes)
	assert.Equal(t, []string{`node "zip" (op ai.onnx.ml.ZipMap)`}, m.Steps[2].Nodes)

	// With a Scaler before it (a StandardScaler pipeline) the scaling folds
	// into the coefficients.
	g.nodes = append([]*pb.NodeProto{mlNode("Scaler", "sc", []string{"X"}, []string{"Xs"},
		oxFloats("offset", 1, 2, 3), oxFloats("scale", 0.5, 2, 1))}, g.nodes...)
	g.nodes[1].Input = []string{"Xs"}
	m, err = g.parse(t)
	require.NoError(t, err)
	x := []float64{0.5, -1, 4}
	y, err := m.Forward(x)
	require.NoError(t, err)
	for o := 0; o < 3; o++ {
		s := float64([]float32{0.1, -0.2, 0.3}[o])
		for i := 0; i < 3; i++ {
			s += float64(coef[o*3+i]) * (x[i] - []float64{1, 2, 3}[i]) * []float64{0.5, 2, 1}[i]
		}
		assert.InDelta(t, s, y[o], 1e-9)
	}
}

func TestLinearClassifierBinary(t *testing.T) {
	// skl2onnx's binary layout: the rows -w and w.
	g := oxLinear([]float32{-1, 2, -3, 1, -2, 3}, []float32{0.5, -0.5}, oxStrings("classlabels_strings", "good", "bad"), "LOGISTIC",
		mlNode("ZipMap", "zip", nil, []string{"output_probability"}))
	m, err := g.parse(t)
	require.NoError(t, err)
	require.Equal(t, 2, m.Layers[0].Out())
	assert.Equal(t, []string{"good", "bad"}, m.ClassLabels)

	// One score row with two classes: a binary classifier, widened.
	g = oxLinear([]float32{1, -2, 3}, []float32{-0.5}, oxAttrInts("classlabels_ints", 0, 1), "NONE")
	m, err = g.parse(t)
	require.NoError(t, err)
	l := m.Layers[0]
	require.Equal(t, 2, l.Out())
	assert.Equal(t, []float64{0, 0, 0}, l.W[0])
	assert.Equal(t, []float64{1, -2, 3}, l.W[1])
	assert.Equal(t, []float64{0, -0.5}, l.B)
	assert.Equal(t, model.ActionBinaryHead, m.Steps[len(m.Steps)-1].Action)
	// The tie: score 0 is class 0; just above, class 1.
	y, err := m.Forward([]float64{0.5, 0, 0})
	require.NoError(t, err)
	assert.Equal(t, 0, model.Argmax(y))
	y, err = m.Forward([]float64{0.5, 0, 0.001})
	require.NoError(t, err)
	assert.Equal(t, 1, model.Argmax(y))
}

func TestLinearClassifierErrors(t *testing.T) {
	labels3 := oxAttrInts("classlabels_ints", 0, 1, 2)
	cases := map[string]struct {
		g    oxGraph
		want string
	}{
		"post_transform": {oxLinear(make([]float32, 9), make([]float32, 3), labels3, "SOFTMAX_ZERO"),
			`node "lc" (op ai.onnx.ml.LinearClassifier) has post_transform SOFTMAX_ZERO, which can change which score is largest`},
		"rows": {oxLinear(make([]float32, 6), make([]float32, 2), labels3, "NONE"), `has 2 score rows for 3 class labels`},
		"width": {oxLinear(make([]float32, 8), make([]float32, 2), oxAttrInts("classlabels_ints", 0, 1), "NONE"),
			`takes 4 inputs, but its input has 3 features`},
		"no labels": {oxLinear(make([]float32, 9), make([]float32, 3), oxAttrInts("classlabels_ints"), "NONE"), `has 0 class labels`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := c.g.parse(t)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
	// A layer computed from the label output is refused.
	g := oxLinear(make([]float32, 9), make([]float32, 3), labels3, "NONE")
	g.inits = append(g.inits, oxF32("w", []int64{3, 3}, make([]float64, 9)))
	g.nodes = append(g.nodes, oxNode("MatMul", "more", []string{"probability_tensor", "w"}, []string{"z"}))
	g.outputs = []string{"label", "z"}
	_, err := g.parse(t)
	assert.ErrorContains(t, err, `node "lc" (op ai.onnx.ml.LinearClassifier), a LinearClassifier followed by more layers: the scores of an ONNX-ML classifier must be a graph output`)
}
