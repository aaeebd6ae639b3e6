package commitment

import (
	"math/big"

	"github.com/zkeval/zkeval/model"
)

// Spatial layers (model.Shape.Spatial) in the commitment. A convolutional
// network's header holds its spatial layer count as a fourth 40-bit field
// of the first element (zero, and so absent, for an MLP, whose encoding is
// unchanged), then, after the dense layers' header elements, three elements
// per spatial layer (spatialHeader); its packing segments are each
// convolution's kernels ([OutC][C·KH·KW] row-major) and biases, in layer
// order, before the dense layers' (Layout).

// Spatial layer kind codes in the header.
var kindCode = map[string]int64{model.KindConv2D: 1, model.KindMaxPool: 2, model.KindAvgPool: 3, model.KindGlobalAvgPool: 4}

// spatialHeader returns the header elements of one spatial layer: [kind,
// C, H, W, OutC, ReLU], [KH, KW, SH, SW, weight bits, bias bits] and [pad
// top, left, bottom, right], 40-bit fields little-endian (each at most
// 2^16 or 48 by model.Shape.Validate).
func spatialHeader(l model.SpatialShape) []*big.Int {
	relu := int64(0)
	if l.ReLU {
		relu = 1
	}
	return []*big.Int{
		pack40(kindCode[l.Kind], int64(l.In.C), int64(l.In.H), int64(l.In.W), int64(l.Out.C), relu),
		pack40(int64(l.KH), int64(l.KW), int64(l.SH), int64(l.SW), int64(l.WeightBits), int64(l.BiasBits)),
		pack40(int64(l.PadTop), int64(l.PadLeft), int64(l.PadBottom), int64(l.PadRight)),
	}
}

func pack40(vals ...int64) *big.Int {
	e := new(big.Int)
	for j := len(vals) - 1; j >= 0; j-- {
		e.Lsh(e, 40)
		e.Add(e, big.NewInt(vals[j]))
	}
	return e
}

// spatialSegments returns the packing segments of the convolutions.
func spatialSegments(s model.Shape) []Segment {
	var segs []Segment
	for k, l := range s.Spatial {
		if !model.Linear(l.Kind) {
			continue
		}
		segs = append(segs,
			Segment{Layer: k, Spatial: true, Width: l.WeightBits, Count: l.Out.C * l.FanIn()},
			Segment{Layer: k, Spatial: true, Bias: true, Width: l.BiasBits, Count: l.Out.C})
	}
	return segs
}
