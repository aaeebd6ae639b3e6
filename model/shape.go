package model

import (
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/zkeval/zkeval/model/activation"
	"github.com/zkeval/zkeval/model/tree"
)

// LayerShape is the public description of one quantized dense layer: its
// dimensions, activation and the two's complement bit widths of its weights
// and biases. Revealing it reveals the architecture, not the weights.
type LayerShape struct {
	In         int  `json:"in"`
	Out        int  `json:"out"`
	ReLU       bool `json:"relu"`
	WeightBits int  `json:"weightBits"`
	BiasBits   int  `json:"biasBits"`
	// Act is the layer's activation other than ReLU (package activation),
	// nil for none or ReLU.
	Act *activation.Spec `json:"activation,omitempty"`
}

// Shape is the public architecture of a quantized model.
type Shape struct {
	InputSize  int   `json:"inputSize"`
	InputScale int64 `json:"inputScale"`
	ScaleBits  int   `json:"scaleBits"`
	// Input and Spatial describe a convolutional network's input layout
	// [C][H][W] and its convolution and pooling layers, applied before
	// Layers; both absent for an MLP.
	Input   *Dims          `json:"input,omitempty"`
	Spatial []SpatialShape `json:"spatial,omitempty"`
	Layers  []LayerShape   `json:"layers"`
	// Trees is the shape of a tree ensemble (package model/tree), which has
	// no layers; nil for a network.
	Trees *tree.Shape `json:"trees,omitempty"`
}

// MaxWeightBits bounds LayerShape.WeightBits and BiasBits so that packed
// values and accumulators stay far below the BN254 scalar field.
const MaxWeightBits = 48

// MaxShapeField bounds the input size, the input scale and every layer
// width: the commitment header (package commitment) packs them into 40-bit
// fields, which must not carry into each other for the header to be
// injective.
const MaxShapeField = 1<<40 - 1

// Shape returns the model's public architecture.
func (m *Model) Shape() Shape {
	s := Shape{InputSize: m.InputSize, InputScale: m.InputScale, ScaleBits: m.ScaleBits, Input: m.Input}
	if m.Trees != nil {
		ts := m.Trees.Shape
		s.Trees = &ts
		return s
	}
	for k := range m.Spatial {
		l := &m.Spatial[k]
		s.Spatial = append(s.Spatial, SpatialShape{Kind: l.Kind, In: l.In, Out: l.Out(), Window: l.Window, ReLU: l.ReLU,
			WeightBits: m.SpatialWeightBits(k), BiasBits: m.SpatialBiasBits(k)})
	}
	for l := range m.Layers {
		s.Layers = append(s.Layers, LayerShape{
			In: m.Layers[l].In(), Out: m.Layers[l].Out(), ReLU: m.Layers[l].ReLU,
			WeightBits: m.WeightBits(l), BiasBits: m.BiasBits(l), Act: m.Layers[l].Act,
		})
	}
	return s
}

// Validate checks that the shape is well formed: positive sizes, chained
// layer widths, bit widths in [2, MaxWeightBits] and at least two classes.
func (s *Shape) Validate() error {
	if s.InputSize < 1 || s.InputScale < 1 || s.ScaleBits < 1 || s.ScaleBits > 24 {
		return fmt.Errorf("shape: input size %d, input scale %d and scale bits %d must be positive (scale bits at most 24)", s.InputSize, s.InputScale, s.ScaleBits)
	}
	if int64(s.InputSize) > MaxShapeField || s.InputScale > MaxShapeField {
		return fmt.Errorf("shape: input size %d and input scale %d must be below 2^40", s.InputSize, s.InputScale)
	}
	if s.Trees != nil {
		return s.validateTrees()
	}
	if len(s.Layers) == 0 {
		return fmt.Errorf("shape: no layer")
	}
	in, err := s.validateSpatial()
	if err != nil {
		return err
	}
	for l, ls := range s.Layers {
		if ls.In != in || ls.Out < 1 {
			return fmt.Errorf("shape: layer %d is %dx%d but its input has %d values", l, ls.Out, ls.In, in)
		}
		if int64(ls.Out) > MaxShapeField {
			return fmt.Errorf("shape: layer %d has %d outputs; at most 2^40-1", l, ls.Out)
		}
		if ls.WeightBits < 2 || ls.WeightBits > MaxWeightBits || ls.BiasBits < 2 || ls.BiasBits > MaxWeightBits {
			return fmt.Errorf("shape: layer %d has weight bits %d and bias bits %d; both must lie in [2, %d]", l, ls.WeightBits, ls.BiasBits, MaxWeightBits)
		}
		if ls.Act != nil {
			if ls.ReLU {
				return fmt.Errorf("shape: layer %d has both relu and activation %q", l, ls.Act.Kind)
			}
			if err := ls.Act.Validate(); err != nil {
				return fmt.Errorf("shape: layer %d: %w", l, err)
			}
		}
		in = ls.Out
	}
	if in < 2 {
		return fmt.Errorf("shape: the last layer has %d output; a classifier needs at least 2", in)
	}
	return nil
}

// LayerScale returns the fixed-point scale of layer l's accumulator, as
// Model.LayerScale computes it, from the public shape.
func (s *Shape) LayerScale(l int) *big.Int {
	convs := numLinearSpatial(s.Spatial, func(k int) string { return s.Spatial[k].Kind })
	return LayerScale(s.InputScale, s.ScaleBits, convs, func(i int) *activation.Spec { return s.Layers[i].Act }, l)
}

// NumClasses returns the width of the last layer.
func (s *Shape) NumClasses() int {
	if s.Trees != nil {
		return s.Trees.Classes
	}
	return s.Layers[len(s.Layers)-1].Out
}

// NumWeights returns the number of weights and biases.
func (s *Shape) NumWeights() int {
	n := 0
	for _, l := range s.Spatial {
		if Linear(l.Kind) {
			n += l.Out.C*l.FanIn() + l.Out.C
		}
	}
	for _, l := range s.Layers {
		n += l.In*l.Out + l.Out
	}
	return n
}

// String describes the shape as e.g. "784-56-10 (relu), scale 2^8, input /255".
func (s *Shape) String() string {
	if s.Trees != nil {
		return fmt.Sprintf("tree ensemble: %s, %d features at scale 1/%d, leaves at scale 2^%d", s.Trees.String(), s.InputSize, s.InputScale, s.ScaleBits)
	}
	str := fmt.Sprint(s.InputSize)
	kind := "MLP"
	if len(s.Spatial) > 0 {
		kind = "CNN"
		str = s.Input.String()
		for _, l := range s.Spatial {
			switch l.Kind {
			case KindConv2D:
				str += fmt.Sprintf(" conv%dx%d/%d", l.KH, l.KW, l.SH)
			case KindGlobalAvgPool:
				str += " gap"
			default:
				str += fmt.Sprintf(" %s%dx%d/%d", l.Kind, l.KH, l.KW, l.SH)
			}
			str += " " + l.Out.String()
		}
		str += fmt.Sprintf(" flatten %d", s.Layers[0].In)
	}
	var acts []string
	for _, l := range s.Layers {
		str += fmt.Sprintf("-%d", l.Out)
		if l.Act != nil && !slices.Contains(acts, l.Act.Kind) {
			acts = append(acts, l.Act.Kind)
		}
	}
	if len(acts) > 0 {
		str += " (" + strings.Join(acts, ", ") + ")"
	}
	return fmt.Sprintf("%s %s, weights at scale 2^%d, inputs at scale 1/%d", str, kind, s.ScaleBits, s.InputScale)
}
