package onnx

import (
	"fmt"
	"testing"

	pb "github.com/advancedclimatesystems/gonnx/onnx"
	"github.com/stretchr/testify/require"
)

// padThenGraph: x [N,1,2,2] -> Conv 1x1 (w 1, b 0) -> Pad 1 on each side
// (zeros) -> mid -> Conv 1x1 (w 1, b 0) -> Flatten -> Gemm [2][16] (row 0
// ones, row 1 zeros).
func padThenGraph(mid ...*pb.NodeProto) oxGraph {
	ones := make([]float64, 16)
	for i := range ones {
		ones[i] = 1
	}
	g := oxGraph{
		inputs: []*pb.ValueInfoProto{oxInput("x", pb.TensorProto_FLOAT, "N", 1, 2, 2)},
		inits: []*pb.TensorProto{
			oxF32("w1", []int64{1, 1, 1, 1}, []float64{1}), oxF32("b1", []int64{1}, []float64{0}),
			oxI64("pads", []int64{8}, []int64{0, 0, 1, 1, 0, 0, 1, 1}),
			oxF32("g", []int64{1}, []float64{1}), oxF32("be", []int64{1}, []float64{5}),
			oxF32("mu", []int64{1}, []float64{0}), oxF32("var", []int64{1}, []float64{1}),
			oxF32("w2", []int64{1, 1, 1, 1}, []float64{1}), oxF32("b2", []int64{1}, []float64{0}),
			oxF32("fw", []int64{2, 16}, append(ones, make([]float64, 16)...)), oxF32("fb", []int64{2}, []float64{0, 0}),
		},
		nodes: []*pb.NodeProto{
			oxNode("Conv", "conv1", []string{"x", "w1", "b1"}, []string{"c1"}),
			oxNode("Pad", "pad", []string{"c1", "pads"}, []string{"m0"}),
		},
	}
	g.nodes = append(g.nodes, mid...)
	last := "m0"
	if len(mid) > 0 {
		last = mid[len(mid)-1].GetOutput()[0]
	}
	g.nodes = append(g.nodes,
		oxNode("Conv", "conv2", []string{last, "w2", "b2"}, []string{"c2"}),
		oxNode("Flatten", "flat", []string{"c2"}, []string{"f"}, oxAttrInt("axis", 1)),
		oxNode("Gemm", "fc", []string{"f", "fw", "fb"}, []string{"y"}, oxAttrInt("transB", 1)))
	return g
}

// A BatchNormalization after a Pad that follows a Conv turns the padding
// into its shift (ONNX: the border is BN(0) = 5 here). Folding the BN into
// the first Conv and the Pad into the second, as the importer once did,
// left the border at 0 and imported another model (Σx + 20 where ONNX gives
// Σx + 80). It is refused, naming both nodes.
func TestPadThenBatchNormRefused(t *testing.T) {
	bn := oxNode("BatchNormalization", "bn", []string{"m0", "g", "be", "mu", "var"}, []string{"n"}, oxAttrFloat("epsilon", 0))
	_, err := padThenGraph(bn).parse(t)
	require.ErrorIs(t, err, ErrUnsupported)
	require.ErrorContains(t, err, `node "bn" (op BatchNormalization) reads activations padded by node "pad" (op Pad)`)
	require.ErrorContains(t, err, "nn.Conv2d(padding=...)")

	// The same with an op between that keeps 0 at 0: still refused at the BN.
	relu := oxNode("Relu", "relu", []string{"m0"}, []string{"r"})
	bn2 := oxNode("BatchNormalization", "bn", []string{"r", "g", "be", "mu", "var"}, []string{"n"}, oxAttrFloat("epsilon", 0))
	_, err = padThenGraph(relu, bn2).parse(t)
	require.ErrorContains(t, err, `node "bn" (op BatchNormalization) reads activations padded by`)

	// A Sigmoid maps 0 to 1/2: refused too.
	sig := oxNode("Sigmoid", "sig", []string{"m0"}, []string{"s"})
	_, err = padThenGraph(sig).parse(t)
	require.ErrorContains(t, err, `node "sig" (op Sigmoid) reads activations padded by`)
}

// Ops that keep 0 at 0 may stand between the Pad and the Conv it folds
// into: the imported model gives ONNX's numbers (border 0, interior x).
func TestPadThenReluFolds(t *testing.T) {
	relu := oxNode("Relu", "relu", []string{"m0"}, []string{"r"})
	fm, err := padThenGraph(relu).parse(t)
	require.NoError(t, err)
	require.Len(t, fm.Spatial, 2)
	require.Equal(t, 1, fm.Spatial[1].PadTop)
	y, err := fm.Forward([]float64{0.25, -0.5, 0.75, 1})
	require.NoError(t, err)
	require.InDelta(t, 0.25+0.75+1, y[0], 1e-9)
}

// Two Pads in a row add up: the first is no longer lost (a model whose
// layers did not chain, refused with a message naming neither Pad).
func TestPadThenPadAddsUp(t *testing.T) {
	g := padThenGraph(oxNode("Pad", "pad2", []string{"m0", "pads"}, []string{"m1"}))
	ones := make([]float64, 36)
	for i := range ones {
		ones[i] = 1
	}
	g.inits[len(g.inits)-2] = oxF32("fw", []int64{2, 36}, append(ones, make([]float64, 36)...))
	fm, err := g.parse(t)
	require.NoError(t, err)
	require.Len(t, fm.Spatial, 2)
	w := fm.Spatial[1].Window
	require.Equal(t, [4]int{2, 2, 2, 2}, [4]int{w.PadTop, w.PadLeft, w.PadBottom, w.PadRight})
	require.Contains(t, fm.Steps[len(fm.Steps)-1].Nodes, `node "pad2" (op Pad)`)
	y, err := fm.Forward([]float64{0.25, 0.5, 0.75, 1})
	require.NoError(t, err)
	require.InDelta(t, 2.5, y[0], 1e-9)
}

// A few hundred bytes of ONNX must not ask for gigabytes or 2^50 steps: a
// 1x1 Conv padded by 32754 on each side (a 65536x65536 map) and a MaxPool
// of a 65536x65536 window are refused by name at import.
func TestHugeSpatialLayersRefused(t *testing.T) {
	head := func(first *pb.NodeProto) oxGraph {
		return oxGraph{
			inputs: []*pb.ValueInfoProto{oxInput("x", pb.TensorProto_FLOAT, "N", 1, 28, 28)},
			inits: []*pb.TensorProto{
				oxF32("w", []int64{1, 1, 1, 1}, []float64{1}), oxF32("b", []int64{1}, []float64{0}),
				oxF32("fw", []int64{2, 1}, []float64{1, -1}), oxF32("fb", []int64{2}, []float64{0, 0}),
			},
			nodes: []*pb.NodeProto{
				first,
				oxNode("GlobalAveragePool", "gap", []string{"c"}, []string{"g"}),
				oxNode("Flatten", "flat", []string{"g"}, []string{"f"}, oxAttrInt("axis", 1)),
				oxNode("Gemm", "fc", []string{"f", "fw", "fb"}, []string{"y"}, oxAttrInt("transB", 1)),
			},
		}
	}
	_, err := head(oxNode("Conv", "conv", []string{"x", "w", "b"}, []string{"c"}, oxAttrInts("pads", 32754, 32754, 32754, 32754))).parse(t)
	require.ErrorContains(t, err, `node "conv" (op Conv)`)
	require.ErrorContains(t, err, "a spatial layer may have at most 16777216 (2^24)")
	_, err = head(oxNode("MaxPool", "pool", []string{"x"}, []string{"c"}, oxAttrInts("kernel_shape", 65536, 65536),
		oxAttrInts("strides", 64, 64), oxAttrInts("pads", 65535, 65535, 65535, 65535))).parse(t)
	require.ErrorContains(t, err, `node "pool" (op MaxPool)`)
	require.ErrorContains(t, err, "past the 4294967296 (2^32) a spatial layer may take")
}

// auto_pad other than NOTSET with nonzero explicit pads is refused (ONNX
// forbids the pair, and readers differ on which wins); zero pads beside
// VALID are harmless.
func TestAutoPadWithPadsRefused(t *testing.T) {
	_, err := oxCNN([]*pb.AttributeProto{oxAttrString("auto_pad", "SAME_UPPER"), oxAttrInts("pads", 1, 1, 1, 1)}, 18).parse(t)
	require.ErrorIs(t, err, ErrInvalid)
	require.ErrorContains(t, err, `node "conv" (op Conv) has auto_pad "SAME_UPPER" and pads [1 1 1 1]`)
	_, err = oxCNN([]*pb.AttributeProto{oxAttrString("auto_pad", "VALID"), oxAttrInts("pads", 0, 0, 0, 0)}, 8).parse(t)
	require.NoError(t, err)
}

// torch.onnx.export writes nn.ZeroPad2d at opset 11 and later as a Pad
// whose pads a small graph computes (ConstantOfShape, Concat, Slice,
// Transpose, ...). zkeval does not fold that graph; the refusal names the
// Pad and says how to export the padding instead.
func TestPadOfComputedPadsNamed(t *testing.T) {
	g := oxCNN(nil, 8)
	g.inits = append(g.inits, oxI64("p4", []int64{4}, []int64{0, 0, 0, 0}), oxI64("n1", []int64{1}, []int64{4}))
	g.nodes = append([]*pb.NodeProto{
		oxNode("ConstantOfShape", "zeros", []string{"n1"}, []string{"z"}),
		oxNode("Concat", "cat", []string{"p4", "z"}, []string{"pads"}, oxAttrInt("axis", 0)),
		oxNode("Pad", "zeropad", []string{"x", "pads"}, []string{"xp"}),
	}, g.nodes...)
	g.nodes[3].Input[0] = "xp"
	_, err := g.parse(t)
	require.ErrorIs(t, err, ErrUnsupported)
	require.ErrorContains(t, err, `node "zeropad" (op Pad): its pads are computed at run time`)
	require.ErrorContains(t, err, "nn.Conv2d(padding=...)), or export at opset 9 or 10")
}

// The limits hold for the whole model, not only per layer: a 1x1 Conv
// that grows a one-pixel input to 2048x2048 and then MaxPools of 16x16
// windows (45 bytes of ONNX each, 2^30 steps each) are refused once their
// sum passes 2^32 steps per sample.
func TestManySpatialLayersRefused(t *testing.T) {
	build := func(pools int) oxGraph {
		g := oxGraph{
			inputs: []*pb.ValueInfoProto{oxInput("x", pb.TensorProto_FLOAT, "N", 1, 1, 1)},
			inits: []*pb.TensorProto{
				oxF32("w", []int64{1, 1, 1, 1}, []float64{1}), oxF32("b", []int64{1}, []float64{0}),
				oxF32("fw", []int64{2, 1}, []float64{1, -1}), oxF32("fb", []int64{2}, []float64{0, 0}),
			},
			nodes: []*pb.NodeProto{oxNode("Conv", "grow", []string{"x", "w", "b"}, []string{"p0"}, oxAttrInts("pads", 1023, 1023, 1024, 1024))},
		}
		last := "p0"
		for k := 0; k < pools; k++ {
			out := fmt.Sprintf("p%d", k+1)
			g.nodes = append(g.nodes, oxNode("MaxPool", fmt.Sprintf("mp%d", k), []string{last}, []string{out},
				oxAttrInts("kernel_shape", 16, 16), oxAttrInts("pads", 7, 7, 8, 8)))
			last = out
		}
		g.nodes = append(g.nodes,
			oxNode("GlobalAveragePool", "gap", []string{last}, []string{"g"}),
			oxNode("Flatten", "flat", []string{"g"}, []string{"f"}, oxAttrInt("axis", 1)),
			oxNode("Gemm", "fc", []string{"f", "fw", "fb"}, []string{"y"}, oxAttrInt("transB", 1)))
		return g
	}
	// 2^22 outputs of the Conv, then 2^22 per pool: the values' sum passes
	// 2^24 at the fourth pool (the work's 2^32 at the same one).
	_, err := build(2).parse(t)
	require.NoError(t, err)
	_, err = build(4).parse(t)
	require.ErrorContains(t, err, `node "mp3" (op MaxPool) is one spatial layer too many`)
}

// A Pad wider than the kernel of the AveragePool it folds into is refused
// naming the Pad (the pool itself has no pads).
func TestPadWiderThanPoolNamed(t *testing.T) {
	g := oxGraph{
		inputs: []*pb.ValueInfoProto{oxInput("x", pb.TensorProto_FLOAT, "N", 1, 2, 2)},
		inits: []*pb.TensorProto{oxI64("pads", []int64{8}, []int64{0, 0, 3, 3, 0, 0, 3, 3}),
			oxF32("fw", []int64{2, 16}, make([]float64, 32)), oxF32("fb", []int64{2}, []float64{0, 0})},
		nodes: []*pb.NodeProto{
			oxNode("Pad", "pad", []string{"x", "pads"}, []string{"p"}),
			oxNode("AveragePool", "ap", []string{"p"}, []string{"a"}, oxAttrInts("kernel_shape", 2, 2), oxAttrInts("strides", 2, 2)),
			oxNode("Flatten", "flat", []string{"a"}, []string{"f"}, oxAttrInt("axis", 1)),
			oxNode("Gemm", "fc", []string{"f", "fw", "fb"}, []string{"y"}, oxAttrInt("transB", 1))},
	}
	_, err := g.parse(t)
	require.ErrorContains(t, err, `node "ap" (op AveragePool) follows node "pad" (op Pad), whose padding with the pool's own makes pads 3,3,3,3`)
}
