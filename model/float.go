package model

import "fmt"

// Forward runs float inference on one sample: the spatial layers first, if
// any (x then has the layout Input, [C][H][W] row-major), then the dense
// layers on their flattened output. x has shape [InputSize]: the
// sample's features flattened in row-major order, the order in which the
// ONNX graph input [batch, d1, ..., dk] lays them out. The result has shape
// [Layers[len(Layers)-1].Out()]: the last layer's outputs (the logits, after
// that layer's ReLU if it has one). Each layer computes W·a + B with W of
// shape [out][in], then max(·, 0) when its ReLU flag is set.
//
// Forward returns an error when the model has no layers, when len(x) is not
// InputSize, or when a layer's W or B does not match the width of its input.
func (m *FloatModel) Forward(x []float64) ([]float64, error) {
	if len(m.Layers) == 0 {
		return nil, fmt.Errorf("model: float model %q has no layers", m.Name)
	}
	if len(x) != m.InputSize {
		return nil, fmt.Errorf("model: input has %d features, the model takes %d", len(x), m.InputSize)
	}
	a := x
	if len(m.Spatial) > 0 {
		var err error
		if a, err = forwardSpatial(m.Spatial, x); err != nil {
			return nil, err
		}
	}
	for l := range m.Layers {
		lay := &m.Layers[l]
		if len(lay.B) != lay.Out() {
			return nil, fmt.Errorf("model: layer %d (%q) has %d outputs but %d biases", l, lay.Name, lay.Out(), len(lay.B))
		}
		y := make([]float64, lay.Out())
		for o, row := range lay.W {
			if len(row) != len(a) {
				return nil, fmt.Errorf("model: layer %d (%q) row %d has %d weights for %d inputs", l, lay.Name, o, len(row), len(a))
			}
			s := lay.B[o]
			for i, w := range row {
				s += w * a[i]
			}
			if lay.ReLU && s < 0 {
				s = 0
			}
			if lay.Act != nil {
				s = lay.Act.Float(s)
			}
			y[o] = s
		}
		a = y
	}
	return a, nil
}
