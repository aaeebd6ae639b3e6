package desc

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/model"
)

// lenetPublic is the description of a LeNet-5 as testdata/cnn's, with the
// bounds the worst case gives.
func lenetPublic() Public {
	in := &model.Dims{C: 1, H: 28, W: 28}
	conv1 := model.SpatialShape{Kind: model.KindConv2D, In: *in, Out: model.Dims{C: 6, H: 28, W: 28},
		Window: model.Window{KH: 5, KW: 5, SH: 1, SW: 1, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2}, ReLU: true, WeightBits: 8, BiasBits: 20}
	pool1 := model.SpatialShape{Kind: model.KindMaxPool, In: conv1.Out, Out: model.Dims{C: 6, H: 14, W: 14}, Window: model.Window{KH: 2, KW: 2, SH: 2, SW: 2}}
	conv2 := model.SpatialShape{Kind: model.KindConv2D, In: pool1.Out, Out: model.Dims{C: 16, H: 10, W: 10},
		Window: model.Window{KH: 5, KW: 5, SH: 1, SW: 1}, ReLU: true, WeightBits: 8, BiasBits: 28}
	pool2 := model.SpatialShape{Kind: model.KindAvgPool, In: conv2.Out, Out: model.Dims{C: 16, H: 5, W: 5}, Window: model.Window{KH: 2, KW: 2, SH: 2, SW: 2}}
	return Public{
		Version: Version,
		Shape: model.Shape{InputSize: 784, InputScale: 255, ScaleBits: 7, Input: in,
			Spatial: []model.SpatialShape{conv1, pool1, conv2, pool2},
			Layers:  []model.LayerShape{{In: 400, Out: 10, WeightBits: 8, BiasBits: 40}}},
		InputBits: 8,
		// conv1: 25·2^7·2^8 + 2^19 < 2^21 (the circuit is to enforce 20,
		// measured); max pool keeps 20; conv2:
		// 150·2^7·2^20 + 2^27 < 2^35 (published as 36); the sum pool of
		// 4 adds 2 bits.
		SpatialAccBits: []int{20, 20, 36, 38},
		AccBits:        []int{50},
	}
}

func TestSpatialBounds(t *testing.T) {
	p := lenetPublic()
	require.NoError(t, p.Shape.Validate())
	sb, m, err := p.SpatialBounds()
	require.NoError(t, err)
	assert.Equal(t, 38, m)
	assert.Equal(t, []SpatialBound{
		{Layer: 0, Kind: model.KindConv2D, InBits: 8, WorstBits: 21, AccBits: 20},
		{Layer: 1, Kind: model.KindMaxPool, InBits: 20, WorstBits: 20, AccBits: 20},
		{Layer: 2, Kind: model.KindConv2D, InBits: 20, WorstBits: 35, AccBits: 36},
		{Layer: 3, Kind: model.KindAvgPool, InBits: 36, WorstBits: 38, AccBits: 38},
	}, sb)
	// The dense layer reads the sum pool's bound: 400·2^7·2^38 + 2^39 < 2^54.
	lb, err := p.Bounds()
	require.NoError(t, err)
	assert.Equal(t, 38, lb[0].InBits)
	assert.Equal(t, 54, lb[0].WorstBits)

	// A pool's stated bound must be the one its input implies.
	q := lenetPublic()
	q.SpatialAccBits[1] = 19
	_, _, err = q.SpatialBounds()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "spatialAccumulatorBits[1]: 19, but a maxpool over inputs within 2^20 has outputs within 2^20")
	q = lenetPublic()
	q.SpatialAccBits = q.SpatialAccBits[:3]
	_, _, err = q.SpatialBounds()
	assert.ErrorContains(t, err, "4 spatial layers")

	// A convolution's worst case one past the limit is refused, naming it.
	q = lenetPublic()
	_, _, err = q.spatialBounds(38)
	var be *BoundError
	require.True(t, errors.As(err, &be), "%v", err)
	assert.True(t, be.Spatial)
	assert.Equal(t, 2, be.Layer)
	assert.Contains(t, err.Error(), "spatial layer 2")
	_, _, err = q.spatialBounds(40) // the sum pool's 38 bits + 2
	require.True(t, errors.As(err, &be), "%v", err)
	assert.Equal(t, 3, be.Layer)
	_, _, err = q.spatialBounds(41)
	require.NoError(t, err)

	q = lenetPublic()
	q.SpatialAccBits[1] = 21
	assert.ErrorContains(t, q.Validate(), "spatialAccumulatorBits[1]")
}

func TestShapeSpatialValidate(t *testing.T) {
	p := lenetPublic()
	p.Shape.Spatial[2].Out.H = 11
	assert.ErrorContains(t, p.Shape.Validate(), "states output [16][11][10]")
	p = lenetPublic()
	p.Shape.Layers[0].In = 401
	assert.ErrorContains(t, p.Shape.Validate(), "layer 0 is 10x401 but its input has 400 values")
	p = lenetPublic()
	p.Shape.Spatial[1].WeightBits = 3
	assert.ErrorContains(t, p.Shape.Validate(), "has no weights")
	p = lenetPublic()
	p.Shape.Input = &model.Dims{C: 1, H: 27, W: 28}
	assert.Error(t, p.Shape.Validate())
}

// TestPoolFirst: only a convolution with ReLU followed by a max pool is
// evaluated pool first; a convolution without ReLU, a sum pool after one,
// a max pool after a pool and a last convolution keep their order. A
// description cannot widen the difference check of such a pair: the
// convolution's bound stays within [1, MaxAccBits] and the pool's must be
// the convolution's.
func TestPoolFirst(t *testing.T) {
	p := lenetPublic()
	sh := p.Shape.Spatial
	assert.True(t, PoolFirst(sh, 0))
	for k := 1; k < len(sh); k++ {
		assert.False(t, PoolFirst(sh, k), "layer %d", k)
	}
	sh[2].ReLU = false
	sh[3].Kind = model.KindMaxPool
	assert.False(t, PoolFirst(sh, 2), "a convolution without ReLU")
	sh[2].ReLU = true
	assert.True(t, PoolFirst(sh, 2))
	assert.False(t, PoolFirst(sh[:3], 2), "the last spatial layer")
	two := []model.SpatialShape{sh[1], sh[1]}
	assert.False(t, PoolFirst(two, 0), "a max pool after a pool")

	for _, bad := range []int{MaxAccBits + 1, 0} {
		q := lenetPublic()
		q.SpatialAccBits[0], q.SpatialAccBits[1] = bad, bad
		assert.ErrorContains(t, q.Validate(), "spatialAccumulatorBits[0]", "bound %d", bad)
	}
	q := lenetPublic()
	q.SpatialAccBits[1] = q.SpatialAccBits[0] + 1
	assert.ErrorContains(t, q.Validate(), "spatialAccumulatorBits[1]")
}
