package desc

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/model"
)

// chain returns a well-formed description of an n-layer chain 1-2-...-2
// without ReLU, with weights of wb bits and the given accumulator bounds.
func chain(wb int, acc ...int) Public {
	p := Public{Version: Version, InputBits: 8, RangeBase: 10, FirstLayer: FirstLayerLinear, Samples: 4,
		BenchmarkDigest: strings.Repeat("ab", 32), Classes: []string{"a", "b"}, LabelCounts: [][]int64{{2, 2}},
		Claims: []claim.Shape{{Metric: "accuracy", Comparison: ">=", Reveal: true}}}
	p.Shape = model.Shape{InputSize: 1, InputScale: 1, ScaleBits: 1}
	in := 1
	for range acc {
		p.Shape.Layers = append(p.Shape.Layers, model.LayerShape{In: in, Out: 2, WeightBits: wb, BiasBits: 3})
		p.ReLU = append(p.ReLU, "")
		p.ReLUTable = append(p.ReLUTable, Range{})
		in = 2
	}
	p.AccBits = acc
	return p
}

func TestValidateAccepts(t *testing.T) {
	require.NoError(t, chain(48, 26, 26, 26, 26, 26, 26, 26).Validate())
	require.NoError(t, chain(48, 62, 62, 62).Validate(), "today's widest description stays far below the field")
}

func TestValidateRefuses(t *testing.T) {
	for name, c := range map[string]struct {
		edit func(*Public)
		want string
	}{
		"another version":       {func(p *Public) { p.Version = "zkeval-eval-circuit/v5" }, "circuit version"},
		"no input bound":        {func(p *Public) { p.InputBits = 0 }, "inputBits: 0"},
		"input bound too wide":  {func(p *Public) { p.InputBits = 63 }, "inputBits: 63"},
		"accumulator too wide":  {func(p *Public) { p.AccBits[1] = 63 }, "accumulatorBits[1]: 63"},
		"a width missing":       {func(p *Public) { p.AccBits = p.AccBits[:1] }, "accumulatorBits: 1 widths for 2 layers"},
		"gadget on linear":      {func(p *Public) { p.ReLU[0] = ReLURange }, "reluGadgets[0]"},
		"table on linear":       {func(p *Public) { p.ReLUTable[1] = Range{Lo: -4096, Hi: 4096} }, "reluTableRanges[1]"},
		"unknown first layer":   {func(p *Public) { p.FirstLayer = "x" }, "firstLayer"},
		"range base":            {func(p *Public) { p.RangeBase = 30 }, "rangeCheckBaseBits"},
		"no sample":             {func(p *Public) { p.Samples = 0 }, "samples: 0"},
		"label counts mismatch": {func(p *Public) { p.LabelCounts = [][]int64{{1, 2}} }, "labelCounts sum"},
	} {
		t.Run(name, func(t *testing.T) {
			p := chain(8, 20, 20)
			c.edit(&p)
			require.ErrorContains(t, p.Validate(), c.want)
		})
	}
}

// TestTableWithinBound: a lookup table must lie within [-2^k, 2^k) for
// k = accumulatorBits, so the published bound is the one enforced.
// TestLogitBits: the last layer's accumulatorBits, when it has no ReLU, is
// the argmax's bound k on the logits, which reads k-2 bits: 1 is refused
// with the field's name (compiling such a description panicked inside the
// argmax gadget), 2 is accepted; with a ReLU the argmax widens the bound,
// so 1 stays valid.
func TestLogitBits(t *testing.T) {
	p := chain(8, 20, 1)
	require.ErrorContains(t, p.Validate(), "accumulatorBits[1]: 1; the last layer has no ReLU, so this is the argmax's bound on the logits, which needs at least 2 bits")
	p.AccBits[1] = 2
	require.NoError(t, p.Validate())
	p.AccBits[1] = 1
	p.Shape.Layers[1].ReLU = true
	p.ReLU[1] = ReLURange
	require.NoError(t, p.Validate())
}

func TestTableWithinBound(t *testing.T) {
	p := chain(8, 20, 20)
	p.Shape.Layers[0].ReLU = true
	p.ReLU[0] = ReLULookup
	p.ReLUTable[0] = Range{Lo: -4096, Hi: 4096}
	p.AccBits[0] = 13
	require.NoError(t, p.Validate())
	p.AccBits[0] = 12 // 4096 = 2^12 is one past [-2^12, 2^12)
	require.ErrorContains(t, p.Validate(), "reluTableRanges[0]")
	p.AccBits[0] = 13
	p.ReLUTable[0] = Range{Lo: -8192 - 4096, Hi: 0} // below -2^13
	require.ErrorContains(t, p.Validate(), "reluTableRanges[0]")
}

func TestWorstBits(t *testing.T) {
	// 784 inputs below 2^8, 8-bit weights (|w| <= 2^7), 20-bit bias:
	// 784·2^15 + 2^19 = 26,214,400 + ... < 2^25.
	require.Equal(t, 25, worstBits(784, 8, 20, 8))
	require.Equal(t, 2+47+62+1, worstBits(2, 48, 3, 62)+1)
	require.Equal(t, 40+47+62, worstBits(1<<40-1, 48, 48, 62))
}

// TestBoundsRefuseWrap: the worst case is computed layer by layer from the
// enforced bounds; a description whose integers could reach the limit is
// refused naming the layer (with a lowered limit, since today's width
// limits keep every description below 2^151).
func TestBoundsRefuseWrap(t *testing.T) {
	p := chain(48, 20, 62, 62)
	lb, err := p.Bounds()
	require.NoError(t, err)
	require.Equal(t, []LayerBound{
		{Layer: 0, InBits: 8, WorstBits: 56, AccBits: 20},
		{Layer: 1, InBits: 20, WorstBits: 69, AccBits: 62},
		{Layer: 2, InBits: 62, WorstBits: 111, AccBits: 62},
	}, lb)
	_, err = p.bounds(100)
	var be *BoundError
	require.True(t, errors.As(err, &be), "%v", err)
	require.Equal(t, 2, be.Layer)
	require.Contains(t, err.Error(), "layer 2:")
}

func TestSignedBits(t *testing.T) {
	require.Equal(t, 8, SignedBits(0, 255))
	require.Equal(t, 8, SignedBits(-256, 255))
	require.Equal(t, 9, SignedBits(-257, 0))
	require.Equal(t, 9, SignedBits(0, 256))
	require.Equal(t, 1, SignedBits(0, 0))
	require.Equal(t, 13, SignedBits(-4096, 4096))
}

// TestValidateCapsSize: a description no setup can hold (a hidden layer
// 2^40-1 wide) is refused before anything is allocated for it.
func TestValidateCapsSize(t *testing.T) {
	p := chain(8, 20, 20)
	wide := int(model.MaxShapeField)
	p.Shape.Layers[0].Out, p.Shape.Layers[1].In = wide, wide
	require.NoError(t, p.Shape.Validate())
	require.ErrorContains(t, p.Validate(), "2^28")
	p = chain(8, 20, 20)
	p.Samples, p.LabelCounts = 1<<27, [][]int64{{1 << 26, 1 << 26}}
	require.ErrorContains(t, p.Validate(), "2^28")
	p.Samples, p.LabelCounts = 1<<20, [][]int64{{1 << 19, 1 << 19}}
	require.NoError(t, p.Validate())
}

func TestValidateDistinctNames(t *testing.T) {
	p := chain(8, 20, 20)
	p.Classes = []string{"a", "a"}
	require.ErrorContains(t, p.Validate(), "names must be distinct")
}
