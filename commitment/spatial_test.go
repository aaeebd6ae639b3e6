package commitment

import (
	"math/big"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/model"
)

// tinyCNN is Conv(1→2, 2x2) ReLU, MaxPool(2) on a [1][4][4] input, then a
// dense 2-3 layer.
func tinyCNN() *model.Model {
	in := model.Dims{C: 1, H: 4, W: 4}
	return &model.Model{Name: "t", InputSize: 16, InputScale: 255, ScaleBits: 4, Input: &in,
		Spatial: []model.SpatialLayer{
			{Kind: model.KindConv2D, Name: "c", In: in, Window: model.Window{KH: 2, KW: 2, SH: 2, SW: 2}, OutC: 2, ReLU: true,
				W: [][]int64{{1, -2, 3, 4}, {-5, 6, 7, -8}}, B: []int64{9, -10}},
			{Kind: model.KindMaxPool, Name: "p", In: model.Dims{C: 2, H: 2, W: 2}, Window: model.Window{KH: 2, KW: 2, SH: 2, SW: 2}},
		},
		Layers: []model.Layer{{Name: "d", W: [][]int64{{1, 2}, {3, 4}, {5, 6}}, B: []int64{7, 8, 9}}},
	}
}

func TestSpatialCommitment(t *testing.T) {
	m := tinyCNN()
	require.NoError(t, m.Validate())
	salt := big.NewInt(5)
	c0, err := Commit(m, salt)
	require.NoError(t, err)
	// Every kernel weight and bias is bound.
	m.Spatial[0].W[1][3] = -7
	c1, err := Commit(m, salt)
	require.NoError(t, err)
	assert.NotEqual(t, c0, c1)
	m = tinyCNN()
	m.Spatial[0].B[0] = 8
	c2, err := Commit(m, salt)
	require.NoError(t, err)
	assert.NotEqual(t, c0, c2)
	// So is the architecture: a stride or pad change.
	m = tinyCNN()
	m.Spatial[1].Window.SH, m.Spatial[1].Window.KH = 1, 1
	m.Spatial[1].Window.SW, m.Spatial[1].Window.KW = 1, 1
	m.Layers[0].W = [][]int64{{1, 2, 0, 0, 0, 0, 0, 0}, {3, 4, 0, 0, 0, 0, 0, 0}, {5, 6, 0, 0, 0, 0, 0, 0}}
	require.NoError(t, m.Validate())
	c3, err := Commit(m, salt)
	require.NoError(t, err)
	assert.NotEqual(t, c0, c3)

	// The header of an MLP is what it was before spatial layers existed:
	// three 40-bit fields in its first element.
	sh := model.Shape{InputSize: 784, InputScale: 255, ScaleBits: 8, Layers: []model.LayerShape{{In: 784, Out: 10, WeightBits: 8, BiasBits: 20}}}
	h := HeaderElements(sh)
	want := new(big.Int).Lsh(big.NewInt(8), 80)
	want.Add(want, new(big.Int).Lsh(big.NewInt(255), 40))
	want.Add(want, big.NewInt(784))
	assert.Equal(t, want, h[0])
	assert.Len(t, h, 3)
	// A CNN's first element counts its spatial layers, and three elements
	// per spatial layer follow the dense ones.
	ch := HeaderElements(tinyCNN().Shape())
	assert.Equal(t, 2, int(new(big.Int).Rsh(ch[0], 120).Int64()))
	assert.Len(t, ch, 2+1+3*2)
	// The layout packs the kernels and biases first.
	lay := Layout(tinyCNN().Shape())
	require.Len(t, lay, 4)
	assert.Equal(t, Segment{Layer: 0, Spatial: true, Width: 4, Count: 8}, lay[0]) // -8..7
	assert.Equal(t, Segment{Layer: 0, Spatial: true, Bias: true, Width: 5, Count: 2}, lay[1])
	assert.Equal(t, []int64{1, -2, 3, 4, -5, 6, 7, -8}, SegmentValues(tinyCNN(), lay[0]))
}
