// Package model holds neural network models: the float model read from ONNX,
// its fixed-point quantization, and the native integer inference that the
// circuits in package circuits reproduce bit for bit.
package model

// FloatLayer is one dense layer of a float model, y = W·x + b, optionally
// followed by a ReLU.
type FloatLayer struct {
	// Name is the ONNX node name (or a generated one) the layer came from.
	Name string
	// W has shape [out][in].
	W [][]float64
	// B has shape [out].
	B []float64
	// ReLU reports whether max(y, 0) is applied to the layer's output.
	ReLU bool
}

// In returns the layer's input width.
func (l *FloatLayer) In() int {
	if len(l.W) == 0 {
		return 0
	}
	return len(l.W[0])
}

// Out returns the layer's output width.
func (l *FloatLayer) Out() int { return len(l.W) }

// FloatModel is a feed-forward network of dense layers, as read from ONNX.
// The input is a flat vector of InputSize float features.
type FloatModel struct {
	// Name is the ONNX graph name.
	Name string
	// InputSize is the number of input features after flattening.
	InputSize int
	// Layers are applied in order; the last layer's outputs are the logits.
	Layers []FloatLayer
	// Opset is the ONNX default-domain opset version the file declared.
	Opset int64
}
