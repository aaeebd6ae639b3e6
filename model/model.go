// Package model holds neural network models: the float model (read from
// ONNX by package model/onnx), its fixed-point quantization, and the native
// integer inference that the circuits in package circuits reproduce bit for
// bit. It does not parse any file format but its own .zkm files.
package model

import "github.com/zkeval/zkeval/model/activation"

// FloatLayer is one dense layer of a float model, y = W·x + b, optionally
// followed by a ReLU or another activation (Act).
type FloatLayer struct {
	// Name is the ONNX node name (or a generated one) the layer came from.
	Name string
	// W has shape [out][in].
	W [][]float64
	// B has shape [out].
	B []float64
	// ReLU reports whether max(y, 0) is applied to the layer's output.
	ReLU bool
	// Act, when not nil, is the layer's activation other than ReLU (then
	// ReLU is false).
	Act *activation.FloatSpec
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
	// Input is the layout [C][H][W] of the input when the model begins
	// with spatial layers; nil for a model of dense layers only.
	Input *Dims
	// Spatial are the convolution and pooling layers applied, in order,
	// before the dense layers (see spatial.go); their output is flattened
	// row-major for the first dense layer. Empty for an MLP.
	Spatial []FloatSpatial
	// Layers are the dense layers, applied in order after Spatial; the last
	// layer's outputs are the logits.
	Layers []FloatLayer
	// Opset is the ONNX default-domain opset version the file declared.
	Opset int64
	// ClassLabels names the outputs, in output order, when the source file
	// does (an ONNX-ML classifier's classlabels_strings or classlabels_ints,
	// the latter in decimal); nil when it does not.
	ClassLabels []string
	// Steps lists what the importer did besides reading dense layers:
	// nodes folded into a layer, nodes dropped, a one-output head widened
	// to two outputs. Empty when the source held nothing of the kind.
	Steps []ImportStep
}

// Actions of an ImportStep.
const (
	// ActionFolded: affine nodes (BatchNormalization, Sub/Div/Mul/Add by
	// constants, Scaler) merged, in float64, into the weights and biases
	// of the dense layer named by Into.
	ActionFolded = "folded"
	// ActionDropped: nodes that do not change the prediction (Identity,
	// Dropout in inference, a final Softmax, LogSoftmax or Sigmoid, an
	// ONNX-ML probability tail) left out.
	ActionDropped = "dropped"
	// ActionBinaryHead: a one-output model (one logit z) imported as the two
	// outputs [0, z], so that its prediction (the first maximal output) is
	// class 1 exactly when z > 0.
	ActionBinaryHead = "binary head"
	// ActionActivation: several nodes that together compute one
	// activation (GELU's Erf form) imported as that activation of the
	// layer Into.
	ActionActivation = "activation"
)

// ImportStep records how an importer treated source nodes that did not
// become dense layers of their own.
type ImportStep struct {
	// Action is ActionFolded, ActionDropped or ActionBinaryHead.
	Action string `json:"action"`
	// Nodes names the source nodes, e.g. `node "/bn1/BatchNormalization"
	// (op BatchNormalization)`.
	Nodes []string `json:"nodes,omitempty"`
	// Into names the layer the nodes were folded into or that was widened;
	// empty for dropped nodes.
	Into string `json:"into,omitempty"`
	// Detail says what was done and why the prediction is unchanged.
	Detail string `json:"detail"`
}
