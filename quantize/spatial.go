package quantize

import (
	"fmt"
	"io"

	"github.com/zkeval/zkeval/model"
)

// SpatialReport gives one spatial layer (convolution or pooling) of a
// convolutional network: its shape, window, widths (a convolution's) and
// WorstBits, the worst-case width of its values (a convolution's
// accumulators, a pool's outputs) over all inputs in the feature range.
type SpatialReport struct {
	Name string     `json:"name"`
	Kind string     `json:"kind"`
	In   model.Dims `json:"in"`
	Out  model.Dims `json:"out"`
	model.Window
	ReLU       bool `json:"relu,omitempty"`
	WeightBits int  `json:"weightBits,omitempty"`
	BiasBits   int  `json:"biasBits,omitempty"`
	WorstBits  int  `json:"worstCaseBits"`
}

// fillSpatial sets r.Spatial from the model's spatial layers and their
// worst cases (model.Model.CheckAllBounds).
func (r *Report) fillSpatial(sh model.Shape, worst []int) {
	for k, l := range sh.Spatial {
		r.Spatial = append(r.Spatial, SpatialReport{Name: r.Model.Spatial[k].Name, Kind: l.Kind, In: l.In, Out: l.Out, Window: l.Window,
			ReLU: l.ReLU, WeightBits: l.WeightBits, BiasBits: l.BiasBits, WorstBits: worst[k]})
	}
}

// printSpatial writes the spatial layers, one line each.
func (r *Report) printSpatial(w io.Writer) {
	for k, s := range r.Spatial {
		line := fmt.Sprintf("spatial %d  %-13s %dx%d stride %dx%d pads %d,%d,%d,%d  %v -> %v", k, s.Kind, s.KH, s.KW, s.SH, s.SW, s.PadTop, s.PadLeft, s.PadBottom, s.PadRight, s.In, s.Out)
		if s.Kind == model.KindConv2D {
			line += fmt.Sprintf("  relu %v, weight bits %d, bias bits %d", s.ReLU, s.WeightBits, s.BiasBits)
		}
		fmt.Fprintf(w, "%s  |value| bits (worst case) %d\n", line, s.WorstBits)
	}
}
