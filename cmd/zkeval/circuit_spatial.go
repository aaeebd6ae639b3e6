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
