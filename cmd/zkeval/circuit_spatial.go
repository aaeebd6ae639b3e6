package main

import (
	"fmt"
	"io"

	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/model"
)

// printSpatialBounds prints each spatial layer of a convolutional network:
// the bound the circuit enforces on its values, by which gadget, and the
// worst case from the description.
func printSpatialBounds(w io.Writer, pub desc.Public) error {
	sb, _, err := pub.SpatialBounds()
	if err != nil {
		return err
	}
	for k, l := range pub.Shape.Spatial {
		b := sb[k]
		var how string
		switch {
		case desc.PoolFirst(pub.Shape.Spatial, k):
			how = fmt.Sprintf("convolution checked by a random linear combination (circuits/conv), max pooled before its ReLU (they commute): each window's maximum enforced within (-2^%d, 2^%d) by a ReLU range check of |max| < 2^%d after the pool, every accumulator a window reads less than 2^%d below its maximum", b.AccBits, b.AccBits, b.AccBits, b.AccBits+1)
		case k > 0 && desc.PoolFirst(pub.Shape.Spatial, k-1):
			how = fmt.Sprintf("hinted maximum of the raw accumulators, equal to one and no smaller than any (circuits/pool, differences on %d bits), then the convolution's ReLU: within [0, 2^%d)", b.AccBits+1, b.AccBits)
		case l.Kind == model.KindConv2D && l.ReLU:
			how = fmt.Sprintf("convolution checked by a random linear combination (circuits/conv), accumulators enforced within [-2^%d, 2^%d) by a ReLU range check of |acc| < 2^%d", b.AccBits, b.AccBits, b.AccBits)
		case l.Kind == model.KindConv2D:
			how = fmt.Sprintf("convolution checked by a random linear combination (circuits/conv), accumulators enforced within [-2^%d, 2^%d) by a range check of acc + 2^%d on %d bits", b.AccBits, b.AccBits, b.AccBits, b.AccBits+1)
		case l.Kind == model.KindMaxPool:
			how = fmt.Sprintf("hinted maximum equal to one input and no smaller than any (circuits/pool): within its inputs' bound 2^%d", b.AccBits)
		default:
			how = fmt.Sprintf("sum of %d inputs (its 1/%d folded into the next layer): within 2^%d", l.KH*l.KW, l.KH*l.KW, b.AccBits)
		}
		fmt.Fprintf(w, "spatial %d         %s %v -> %v, window %dx%d stride %dx%d: %s (worst case from the description: 2^%d)\n",
			k, l.Kind, l.In, l.Out, l.KH, l.KW, l.SH, l.SW, how, b.WorstBits)
	}
	return nil
}

// printLayers prints, for the description of an evaluation or a shard
// circuit, every spatial layer and every dense layer with the bound its
// gadget enforces and the worst case the description gives (bounds, from
// pub.Bounds).
func printLayers(w io.Writer, pub desc.Public, bounds []desc.LayerBound) error {
	if err := printSpatialBounds(w, pub); err != nil {
		return err
	}
	for l, ls := range pub.Shape.Layers {
		var gadget string
		switch a := ls.Act; {
		case a.IsTable():
			gadget = fmt.Sprintf("a %s lookup table over indices floor(acc/2^%d) in [%d, %d] (remainder range-checked), outputs at scale 2^%d", a.Kind, a.Shift, pub.ActTable[l].Lo, pub.ActTable[l].Hi, a.OutBits)
		case a != nil:
			gadget = fmt.Sprintf("LeakyRelu (slope %d/2^16, floor) with a range check of |acc| < 2^%d", a.Alpha, pub.AccBits[l])
		}
		switch pub.ReLU[l] {
		case desc.ReLULookup:
			gadget = fmt.Sprintf("ReLU lookup table over [%d, %d]", pub.ReLUTable[l].Lo, pub.ReLUTable[l].Hi)
		case desc.ReLURange:
			gadget = fmt.Sprintf("ReLU range check of |acc| < 2^%d", pub.AccBits[l])
		case "":
			if ls.Act != nil {
				break
			}
			if l == len(pub.Shape.Layers)-1 {
				k := pub.AccBits[l]
				gadget = fmt.Sprintf("the argmax (no ReLU): on the logits it compares, the reference logit within [-2^%d, 2^%d) and differences within [0, 2^%d)", k-2, k-2, k-1)
			} else {
				gadget = fmt.Sprintf("a range check of acc + 2^%d on %d bits (no ReLU)", pub.AccBits[l], pub.AccBits[l]+1)
			}
		}
		fmt.Fprintf(w, "layer %d           %dx%d, %d-bit weights, %d-bit biases: accumulators enforced within [-2^%d, 2^%d) by %s (worst case from the description: its input bound and published widths, |acc| < 2^%d)\n",
			l, ls.Out, ls.In, ls.WeightBits, ls.BiasBits, pub.AccBits[l], pub.AccBits[l], gadget, bounds[l].WorstBits)
	}
	return nil
}
