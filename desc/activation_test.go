package desc

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/model/activation"
)

// withTanh returns chain(8, 20, 20) with a tanh table on layer 0: outputs
// at 2^4, shift 3, indices [-64, 63] (accumulators within [-2^9, 2^9)).
func withTanh() Public {
	p := chain(8, 20, 20)
	p.Shape.Layers[0].Act = &activation.Spec{Kind: activation.Tanh, OutBits: 4, Shift: 3}
	p.AccBits[0] = 9
	p.ActTable = []Range{{Lo: -64, Hi: 63}, {}}
	return p
}

func TestValidateActivations(t *testing.T) {
	require.NoError(t, withTanh().Validate())
	leaky := chain(8, 20, 20)
	leaky.Shape.Layers[0].Act = &activation.Spec{Kind: activation.LeakyRelu, Alpha: 655}
	leaky.ActTable = []Range{{}, {}}
	require.NoError(t, leaky.Validate())

	for name, c := range map[string]struct {
		edit func(*Public)
		want string
	}{
		"no table ranges":        {func(p *Public) { p.ActTable = nil }, "activationTableRanges: 0 ranges for 2 layers"},
		"range on a plain layer": {func(p *Public) { p.ActTable[1] = Range{Lo: 0, Hi: 1} }, "activationTableRanges[1]"},
		"range past AccBits":     {func(p *Public) { p.ActTable[0].Hi = 64 }, "activationTableRanges[0]"},
		"range below AccBits":    {func(p *Public) { p.ActTable[0].Lo = -65 }, "activationTableRanges[0]"},
		"empty range":            {func(p *Public) { p.ActTable[0] = Range{Lo: 3, Hi: 2} }, "activationTableRanges[0]"},
		"table too large":        {func(p *Public) { p.AccBits[0] = 40; p.ActTable[0] = Range{Lo: 0, Hi: 1 << MaxActTableBits} }, "activationTableRanges[0]"},
		// Hi = MaxInt64: (Hi+1)·2^Shift and Hi - Lo must not wrap in int64
		// (a wrapped range would look inverted, or small, and pass).
		"Hi at MaxInt64": {func(p *Public) { p.ActTable[0] = Range{Lo: math.MaxInt64 - 63, Hi: math.MaxInt64} }, "activationTableRanges[0]"},
		"width past int64": {func(p *Public) {
			p.AccBits[0] = 62
			p.Shape.Layers[0].Act.Shift = 0
			p.ActTable[0] = Range{Lo: -(1 << 62), Hi: math.MaxInt64}
		}, "activationTableRanges[0]"},
		"last layer":          {func(p *Public) { p.Shape.Layers[1].Act = &activation.Spec{Kind: activation.Tanh, OutBits: 4} }, "the last layer's tanh"},
		"bad kind":            {func(p *Public) { p.Shape.Layers[0].Act.Kind = "swish" }, "activation kind"},
		"relu and activation": {func(p *Public) { p.Shape.Layers[0].ReLU = true; p.ReLU[0] = ReLURange }, "both relu and activation"},
		"ranges without any":  {func(p *Public) { p.Shape.Layers[0].Act = nil }, "no layer has an activation"},
		"entries past int64": {func(p *Public) {
			// GELU at outBits 24 over accumulators up to 2^62 at scale 2:
			// outputs near 2^85.
			p.Shape.Layers[0].Act = &activation.Spec{Kind: activation.Gelu, OutBits: 24, Shift: 50}
			p.AccBits[0] = 62
			p.ActTable[0] = Range{Lo: -4096, Hi: 4095}
		}, "outputs up to 2^"},
	} {
		t.Run(name, func(t *testing.T) {
			p := withTanh()
			c.edit(&p)
			require.ErrorContains(t, p.Validate(), c.want)
		})
	}
	wide := leaky
	wide.AccBits = []int{47, 20}
	require.ErrorContains(t, wide.Validate(), "leakyRelu layer takes at most 46")
}

// TestBoundsAfterTable: the layer after a table activation takes the
// table's output bound as its input bound, not the accumulators'.
func TestBoundsAfterTable(t *testing.T) {
	p := withTanh()
	b, err := p.Bounds()
	require.NoError(t, err)
	// |tanh|·2^4 <= 16 = 2^4: 5 bits.
	require.Equal(t, 5, b[1].InBits)
	require.Equal(t, 5, p.ActOutBits(0))
	// GELU grows with its input: x up to 2^9/S_0 = 2^9/2 (S_0 = 1·2^1).
	p.Shape.Layers[0].Act.Kind = activation.Gelu
	b, err = p.Bounds()
	require.NoError(t, err)
	require.Equal(t, 13, b[1].InBits) // (2^9 + 2^3)·2^4/2 + 1 < 2^13
}

// TestShardActivations: a shard description carries the activation table
// ranges and is validated by Public's own checks of them.
func TestShardActivations(t *testing.T) {
	p := withTanh()
	s := Shard{Version: ShardVersion, Shape: p.Shape, InputBits: p.InputBits, AccBits: p.AccBits, ReLU: p.ReLU, ReLUTable: p.ReLUTable,
		ActTable: p.ActTable, RangeBase: p.RangeBase, ShardSize: 4, Classes: p.Classes, Claims: p.Claims}
	require.NoError(t, s.Validate())
	require.Equal(t, p.ActTable, s.Public().ActTable)
	bad := s
	bad.ActTable = []Range{{Lo: -64, Hi: 64}, {}}
	require.ErrorContains(t, bad.Validate(), "activationTableRanges[0]", "a range past AccBits")
	bad.ActTable = nil
	require.ErrorContains(t, bad.Validate(), "activationTableRanges: 0 ranges for 2 layers")
}
