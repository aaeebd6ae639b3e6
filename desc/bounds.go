package desc

import (
	"fmt"
	"math/big"
)

// LayerBound is the worst case of one layer's values, computed from the
// public description alone.
type LayerBound struct {
	Layer int
	// InBits m: every input of the layer satisfies |x| <= 2^m, as enforced:
	// InputBits for the first layer, the previous layer's AccBits after.
	InBits int
	// WorstBits: for any weights and biases within their published widths
	// and any inputs within InBits, every accumulator has
	// |acc| < 2^WorstBits (|acc| <= in·2^(WeightBits-1)·2^m +
	// 2^(BiasBits-1)). This is the bound on the exact integer, before any
	// check of the circuit.
	WorstBits int
	// AccBits k: the bound the circuit enforces, -2^k <= acc < 2^k.
	AccBits int
}

// BoundError says that a description lets an integer the circuit forms
// reach MaxValueBits, where checks modulo the field stop meaning what they
// mean for integers.
type BoundError struct {
	Layer     int
	Bits      int
	InBits    int
	WorstBits int
	AccBits   int
	// Spatial: Layer is a spatial layer (model.Shape.Spatial), not a
	// dense one.
	Spatial bool
}

func (e *BoundError) Error() string {
	what := "layer"
	if e.Spatial {
		what = "spatial layer"
	}
	return fmt.Sprintf("%s %d: with inputs within ±2^%d and the published weight widths, an accumulator can reach 2^%d (its enforced bound is 2^%d), so the circuit would form integers of %d bits; every integer it forms must stay below 2^%d for checks modulo the field to hold for the exact integers: lower the scale bits or the weight widths, or add an activation between wide linear layers",
		what, e.Layer, e.InBits, e.WorstBits, e.AccBits, e.Bits, MaxValueBits)
}

// Bounds returns every layer's worst case, computed from InputBits, the
// layers' fan-in and weight and bias widths, and the bounds enforced on the
// previous layer (AccBits). It returns a *BoundError naming the first layer
// at which an integer the circuit forms could reach 2^MaxValueBits: the
// accumulator itself, acc + 2^k and acc - Lo (the linear and lookup checks),
// and the differences the argmax takes of enforced values, all at most
// 2^(max(WorstBits, AccBits)+2). The description must be otherwise well
// formed (Shape.Validate, AccBits one per layer).
func (p Public) Bounds() ([]LayerBound, error) { return p.bounds(MaxValueBits) }

// bounds is Bounds with the limit as a parameter, so that tests can reach
// it with descriptions inside today's width limits.
func (p Public) bounds(limit int) ([]LayerBound, error) {
	if len(p.AccBits) != len(p.Shape.Layers) {
		return nil, fmt.Errorf("accumulatorBits: %d widths for %d layers", len(p.AccBits), len(p.Shape.Layers))
	}
	out := make([]LayerBound, len(p.Shape.Layers))
	_, m, err := p.spatialBounds(limit)
	if err != nil {
		return nil, err
	}
	for l, ls := range p.Shape.Layers {
		w := worstBits(ls.In, ls.WeightBits, ls.BiasBits, m)
		lb := LayerBound{Layer: l, InBits: m, WorstBits: w, AccBits: p.AccBits[l]}
		if bits := max(w, lb.AccBits) + 2; bits >= limit {
			return nil, &BoundError{Layer: l, Bits: bits, InBits: m, WorstBits: w, AccBits: lb.AccBits}
		}
		out[l] = lb
		m = p.AccBits[l]
		if a := ls.Act; a.IsTable() && l < len(p.ActTable) {
			m = p.ActOutBits(l)
		}
	}
	return out, nil
}

// worstBits returns the least b with in·2^(wb-1)·2^m + 2^(bb-1) < 2^b: the
// bound on |Σ w·x + b| for in inputs |x| <= 2^m, weights of wb bits and a
// bias of bb bits (two's complement).
func worstBits(in, wb, bb, m int) int {
	t := new(big.Int).Lsh(big.NewInt(int64(in)), uint(wb-1+m))
	t.Add(t, new(big.Int).Lsh(big.NewInt(1), uint(bb-1)))
	return t.BitLen()
}
