package desc

import (
	"fmt"
	"math/bits"

	"github.com/zkeval/zkeval/model"
)

// SpatialBound is the worst case of one spatial layer's values (a
// convolution's accumulators, a pool's outputs), computed from the public
// description alone.
type SpatialBound struct {
	Layer int
	Kind  string
	// InBits m: every input of the layer satisfies |x| <= 2^m (InputBits
	// for the first layer, the previous layer's AccBits after).
	InBits int
	// WorstBits: every value has |v| < 2^WorstBits for any weights within
	// their published widths and any inputs within InBits: for a
	// convolution fanIn·2^(WeightBits-1)·2^m + 2^(BiasBits-1) with fanIn =
	// C·KH·KW (positions in the padding only lower it); for a max pool 2^m
	// (its output is one of its inputs); for a sum pool KH·KW·2^m.
	WorstBits int
	// AccBits k: the bound the circuit is to enforce, -2^k <= v < 2^k: for
	// a convolution, SpatialAccBits[Layer], checked by its ReLU or range
	// gadget (for a convolution with ReLU followed by a max pool, on each
	// window's maximum; see PoolFirst); for a pool, the bound its inputs'
	// bound implies, which SpatialAccBits[Layer] must state: m for a max
	// pool (the maximum equals one input), m + ⌈log2(KH·KW)⌉ for a sum
	// pool.
	AccBits int
}

// PoolFirst reports whether spatial layer k of sh is a convolution with
// ReLU followed by a max pool. The circuits evaluate such a pair pool
// first: the max pool of the raw accumulators, then the ReLU of each
// window's maximum M (max and ReLU commute exactly on integers), so the
// ReLU checks a quarter as many values for 2x2 windows. The convolution's
// bound k (SpatialAccBits[k]) is then enforced on M, |M| < 2^k by the
// ReLU's range check; every accumulator a window reads is M minus a
// difference range-checked to [0, 2^(k+1)), so within (-3·2^k, 2^k), and is
// an exact integer below 2^WorstBits by construction, which keeps a
// negative difference from passing (package circuits/pool). The pool's
// outputs max(M, 0) lie in [0, 2^k), the bound PoolBits gives it.
func PoolFirst(sh []model.SpatialShape, k int) bool {
	return k+1 < len(sh) && sh[k].Kind == model.KindConv2D && sh[k].ReLU && sh[k+1].Kind == model.KindMaxPool
}

// PoolBits returns the bound k of a pool's outputs, -2^k <= v < 2^k, for
// inputs within -2^m <= x < 2^m: m for a max pool, m + ⌈log2(KH·KW)⌉ for a
// sum (average or global average) pool.
func PoolBits(l model.SpatialShape, m int) int {
	if l.Kind == model.KindMaxPool {
		return m
	}
	n := uint64(l.KH) * uint64(l.KW)
	return m + bits.Len64(n-1)
}

// SpatialBounds returns every spatial layer's worst case and the bound on
// the inputs of the first dense layer (InputBits when the model has no
// spatial layer). It returns a *BoundError naming the first layer at which
// an integer the circuit forms could reach 2^MaxValueBits, and an error when
// SpatialAccBits does not have one width per spatial layer, a width is
// outside [1, MaxAccBits], or a pool's width is not the one its input's
// bound implies (PoolBits). The shape must be well formed (Shape.Validate).
func (p Public) SpatialBounds() ([]SpatialBound, int, error) {
	return p.spatialBounds(MaxValueBits)
}

func (p Public) spatialBounds(limit int) ([]SpatialBound, int, error) {
	sp := p.Shape.Spatial
	if len(p.SpatialAccBits) != len(sp) {
		return nil, 0, fmt.Errorf("spatialAccumulatorBits: %d widths for %d spatial layers", len(p.SpatialAccBits), len(sp))
	}
	out := make([]SpatialBound, len(sp))
	m := p.InputBits
	for k, l := range sp {
		acc := p.SpatialAccBits[k]
		if acc < 1 || acc > MaxAccBits {
			return nil, 0, fmt.Errorf("spatialAccumulatorBits[%d]: %d outside [1, %d]", k, acc, MaxAccBits)
		}
		var w int
		if model.Linear(l.Kind) {
			w = worstBits(l.FanIn(), l.WeightBits, l.BiasBits, m)
		} else {
			w = PoolBits(l, m)
			if acc != w {
				return nil, 0, fmt.Errorf("spatialAccumulatorBits[%d]: %d, but a %s over inputs within 2^%d has outputs within 2^%d", k, acc, l.Kind, m, w)
			}
		}
		if b := max(w, acc) + 2; b >= limit {
			return nil, 0, &BoundError{Layer: k, Bits: b, InBits: m, WorstBits: w, AccBits: acc, Spatial: true}
		}
		out[k] = SpatialBound{Layer: k, Kind: l.Kind, InBits: m, WorstBits: w, AccBits: acc}
		m = acc
	}
	return out, m, nil
}
