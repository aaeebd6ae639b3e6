package onnx

import (
	"slices"

	pb "github.com/advancedclimatesystems/gonnx/onnx"

	"github.com/zkeval/zkeval/model"
)

// The opsets Parse reads. The operators it imports keep their meaning over
// this range for float and integer tensors (https://onnx.ai/onnx/operators/,
// each operator's version history); a later opset may change one, so it is
// refused until checked.
const (
	MinOpset   = 9
	MaxOpset   = 21
	MaxMLOpset = 5 // ai.onnx.ml opsets 1 to 5
)

// Domains of Op.
const (
	DomainDefault = "ai.onnx"
	DomainML      = "ai.onnx.ml"
)

// Op describes one operator that Parse imports and what it does with it.
type Op struct {
	Domain string `json:"domain"`
	Name   string `json:"op"`
	Use    string `json:"use"`
}

var ops = []Op{
	{DomainDefault, "Gemm", "dense layer y = alpha·x·B' + beta·C (transA = 0, transB 0 or 1)"},
	{DomainDefault, "MatMul", "dense layer x·W with a constant W of shape [in][out]; on two constants, folded"},
	{DomainDefault, "Add", "bias of the layer before; by a constant on the activations, folded into the adjacent dense layer"},
	{DomainDefault, "Sub", "by a constant on the activations (input normalisation (x - mean) / std), folded into the adjacent dense layer"},
	{DomainDefault, "Mul", "by a constant on the activations, folded into the adjacent dense layer"},
	{DomainDefault, "Div", "activations divided by a constant, folded into the adjacent dense layer"},
	{DomainDefault, "Conv", "2-D convolution (any kernel, stride and padding, auto_pad included; dilation 1 and group 1), before the dense layers"},
	{DomainDefault, "MaxPool", "2-D max pooling (kernel, stride, padding; ceil_mode 0, dilation 1)"},
	{DomainDefault, "AveragePool", "2-D average pooling (kernel, stride; padding with count_include_pad 1): a sum, its 1/(kH·kW) folded into the next layer's weights"},
	{DomainDefault, "Pad", "zeros on height and width of [batch, C, H, W]: a no-op, or folded into the padding of the next Conv or AveragePool"},
	{DomainDefault, "GlobalAveragePool", "average of each channel: a sum, its 1/(H·W) folded into the next layer's weights"},
	{DomainDefault, "BatchNormalization", "inference mode, folded into the Conv or dense layer before it (or the dense layer after it, past the activation)"},
	{DomainDefault, "Relu", "the activation of the layer before (a Conv, a MaxPool after a Conv, or a dense layer)"},
	{DomainDefault, "Softmax", "last node only, on the class axis: dropped (the prediction is the argmax of the logits)"},
	{DomainDefault, "LogSoftmax", "last node only, on the class axis: dropped (the prediction is the argmax of the logits)"},
	{DomainDefault, "Sigmoid", "last node: dropped (with one output z the model predicts class 1 exactly when z > 0); read by a later dense layer: the activation of the dense layer before, through a lookup table"},
	{DomainDefault, "LeakyRelu", "the activation of the dense layer before, exact (slope alpha in [0, 1] as a multiple of 2^-16, negative part rounded down)"},
	{DomainDefault, "Tanh", "the activation of the dense layer before, through a lookup table"},
	{DomainDefault, "HardSigmoid", "the activation of the dense layer before, through a lookup table (exact rational entries)"},
	{DomainDefault, "HardSwish", "the activation of the dense layer before, through a lookup table (exact rational entries)"},
	{DomainDefault, "Gelu", "approximate \"none\" (opset 20): the activation of the dense layer before, through a lookup table; GELU's Erf form (Div or Mul by √2, Erf, Add 1, Mul, Mul by 0.5) imports the same"},
	{DomainDefault, "Erf", "only within GELU's Erf form"},
	{DomainDefault, "Flatten", "axis 1: to [batch, features] (after convolutions, row-major [C][H][W])"},
	{DomainDefault, "Reshape", "to [batch, features] (after convolutions, row-major [C][H][W]); on constants, folded"},
	{DomainDefault, "Identity", "no-op"},
	{DomainDefault, "Dropout", "no-op (inference)"},
	{DomainDefault, "Cast", "of the activations to a float type: no-op; on constants, folded"},
	{DomainDefault, "Constant", "constant, folded"},
	{DomainDefault, "Shape", "shape computation, folded"},
	{DomainDefault, "Gather", "shape computation, folded"},
	{DomainDefault, "Unsqueeze", "shape computation, folded"},
	{DomainDefault, "Squeeze", "shape computation, folded"},
	{DomainDefault, "Concat", "shape computation, folded"},
	{DomainML, "LinearClassifier", "dense layer of scores X·coefficientsᵀ + intercepts (post_transform NONE, LOGISTIC or SOFTMAX, which do not change the argmax); one score row with two classes is a binary classifier"},
	{DomainML, "Scaler", "(x - offset)·scale, folded into the next dense layer"},
	{DomainML, "Normalizer", "on the classifier's scores, for the probability output only: dropped"},
	{DomainML, "ZipMap", "on the classifier's scores, for the probability output only: dropped"},
}

// Ops returns the operators Parse imports, in the order `zkeval model ops`
// prints them.
func Ops() []Op { return append([]Op(nil), ops...) }

// supportedSummary ends errors about unsupported nodes.
const supportedSummary = "zkeval imports feed-forward classifiers: 2-D convolution and pooling layers (Conv, MaxPool, AveragePool, GlobalAveragePool) with Relu, then dense layers (Gemm, MatMul, ai.onnx.ml.LinearClassifier) with Relu, LeakyRelu, Tanh, Sigmoid, GELU, HardSigmoid or HardSwish between them, " +
	"affine nodes (BatchNormalization, Add/Sub/Mul/Div by constants, Scaler) folded into them, and a final Softmax, LogSoftmax or Sigmoid; " +
	"`zkeval model ops` lists every supported operator"

func isDefaultDomain(d string) bool { return d == "" || d == DomainDefault }

// known reports whether Parse handles the operator at all (in some role).
func known(domain, op string) bool {
	if isDefaultDomain(domain) {
		domain = DomainDefault
	}
	for _, o := range ops {
		if o.Domain == domain && o.Name == op {
			return true
		}
	}
	return false
}

// hiddenReason says why an activation other than Relu is refused.
const hiddenReason = "zkeval's hidden activations are Relu, LeakyRelu, Tanh, Sigmoid, GELU (exact), HardSigmoid and HardSwish, each after a dense layer; train the model with one of them"

// activations maps the activation operators to the names errors give them.
var activations = map[string]string{
	"Elu": "Elu", "Selu": "Selu", "Celu": "Celu", "Softplus": "Softplus",
	"Softsign": "Softsign", "PRelu": "PRelu", "ThresholdedRelu": "ThresholdedRelu", "Mish": "Mish",
	"Erf": "Erf", "Clip": "Clip (a clipped activation such as ReLU6 or Hardtanh)",
}

// unsupportedOp returns the unsupported error for the current node's
// operator, with what to do where there is a known answer.
func (p *importer) unsupportedOp() error {
	op := p.node.GetOpType()
	if !isDefaultDomain(p.node.GetDomain()) {
		reason := "zkeval does not import operators of domain " + p.node.GetDomain()
		if p.node.GetDomain() == DomainML {
			switch op {
			case "TreeEnsembleClassifier", "TreeEnsembleRegressor", "TreeEnsemble":
				reason = "tree ensembles are not supported yet"
			case "SVMClassifier":
				reason = "kernel support vector machines are not supported (a LinearSVC exports as LinearClassifier, which is)"
			case "LinearRegressor", "SVMRegressor":
				reason = "regressors are not supported: zkeval proves classification metrics"
			default:
				reason = "this ONNX-ML operator is not supported (LinearClassifier, Scaler, Normalizer and ZipMap are)"
			}
		}
		return p.unsupported("", reason)
	}
	if name, ok := activations[op]; ok {
		return p.unsupported(name, hiddenReason)
	}
	reason := "zkeval does not import this operator (`zkeval model ops` lists those it does)"
	switch op {
	case "ConvTranspose":
		reason = "transposed convolutions are not supported (Conv is)"
	case "ConvInteger", "QLinearConv":
		reason = "quantized convolutions are not supported: export the float model, which zkeval quantizes itself"
	case "GlobalMaxPool", "LpPool", "GlobalLpPool":
		reason = "this pooling is not supported (MaxPool, AveragePool and GlobalAveragePool are)"
	case "LSTM", "GRU", "RNN":
		reason = "recurrent layers are not supported"
	case "QuantizeLinear", "DequantizeLinear", "MatMulInteger", "QLinearMatMul":
		reason = "quantized ONNX models are not supported: export the float model, which zkeval quantizes itself"
	case "LayerNormalization", "InstanceNormalization", "GroupNormalization":
		reason = "normalisation over the features of each sample is not affine in the sample, so it cannot be folded; only BatchNormalization (inference) is"
	}
	return p.unsupported("", reason)
}

// attrFloats returns a FLOATS attribute, nil when absent.
func (p *importer) attrFloats(name string) ([]float64, error) {
	a := p.attr(name)
	if a == nil {
		return nil, nil
	}
	if a.GetType() != pb.AttributeProto_FLOATS {
		return nil, p.nodeFail(ErrInvalid, "has attribute %s of type %s; it must be floats", name, a.GetType())
	}
	out := make([]float64, len(a.GetFloats()))
	for k, x := range a.GetFloats() {
		out[k] = float64(x)
	}
	return out, nil
}

// attrString returns a STRING attribute, def when absent.
func (p *importer) attrString(name, def string) (string, error) {
	a := p.attr(name)
	if a == nil {
		return def, nil
	}
	if a.GetType() != pb.AttributeProto_STRING {
		return "", p.nodeFail(ErrInvalid, "has attribute %s of type %s; it must be a string", name, a.GetType())
	}
	return string(a.GetS()), nil
}

// convert imports the current node.
func (p *importer) convert(n *pb.NodeProto) error {
	switch d := n.GetDomain(); {
	case d == DomainML:
		return p.convertML(n)
	case !isDefaultDomain(d):
		return p.unsupportedOp()
	}
	op := n.GetOpType()
	if err := p.checkNotLabel(op); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, a := range n.GetAttribute() {
		if seen[a.GetName()] {
			// Readers disagree on which copy wins; refuse rather than pick.
			return p.nodeFail(ErrInvalid, "has attribute %s twice; an ONNX node names each attribute once", a.GetName())
		}
		seen[a.GetName()] = true
	}
	if err := p.checkPadPending(op); err != nil {
		return err
	}
	switch op {
	case "Constant":
		return p.opConstant()
	case "Identity":
		return p.opIdentity()
	case "Dropout":
		return p.opDropout()
	case "Shape":
		return p.opShape()
	case "Gather":
		return p.opGather()
	case "Unsqueeze", "Squeeze":
		return p.opSqueeze(op == "Unsqueeze")
	case "Concat":
		return p.opConcat()
	case "Cast":
		return p.opCast()
	case "Reshape":
		return p.opReshape()
	case "Flatten":
		return p.opFlatten()
	case "Conv":
		return p.opConv()
	case "MaxPool", "AveragePool":
		return p.opPool(op)
	case "GlobalAveragePool":
		return p.opGlobalAvgPool()
	case "Pad":
		return p.opPad()
	case "Gemm":
		return p.opGemm()
	case "MatMul":
		return p.opMatMul()
	case "Add", "Sub", "Mul", "Div":
		return p.opArith(op)
	case "BatchNormalization":
		return p.opBatchNorm()
	case "Relu":
		return p.opRelu()
	case "Sigmoid":
		if outs := n.GetOutput(); len(outs) > 0 && p.feedsComputation(outs[0]) {
			return p.opActivation(op)
		}
		return p.opHead()
	case "Softmax", "LogSoftmax":
		return p.opHead()
	case "LeakyRelu", "Tanh", "HardSigmoid", "HardSwish", "Gelu":
		return p.opActivation(op)
	}
	return p.unsupportedOp()
}

// padKeepsZero lists the ops that may stand between a Pad of zeros and the
// Conv or AveragePool it is folded into: each maps 0 to 0 elementwise or
// reads only the shape, so moving the Pad past it keeps ONNX's numbers.
// Conv and AveragePool take the Pad, MaxPool refuses it by name, and a
// second Pad joins it.
var padKeepsZero = map[string]bool{
	"Identity": true, "Dropout": true, "Shape": true,
	"Relu": true, "LeakyRelu": true, "Tanh": true, "Gelu": true, "HardSwish": true,
	"Pad": true, "Conv": true, "AveragePool": true, "MaxPool": true,
}

// checkPadPending refuses an op that reads activations while a Pad of zeros
// waits to be folded into the next Conv or AveragePool, unless it keeps 0
// at 0: a BatchNormalization, say, turns the padding into its shift, which
// folding the Pad into the next layer would lose.
func (p *importer) checkPadPending(op string) error {
	if p.padPend == nil || padKeepsZero[op] {
		return nil
	}
	for _, in := range p.node.GetInput() {
		if v, ok := p.vals[in]; ok && v.isData() {
			return p.nodeFail(ErrUnsupported, "reads activations padded by %s, a Pad of zeros that zkeval folds into the next Conv or AveragePool only across ops that keep 0 at 0 (Relu, LeakyRelu, Tanh, Gelu, HardSwish, Identity, Dropout); %s does not, so the padding would not be zeros where it is read: export the padding as the next Conv's padding (nn.Conv2d(padding=...)) rather than a Pad before %s", p.padPend.what(), op, op)
		}
	}
	return nil
}

// checkNotLabel refuses to compute from a classifier's label or probability
// outputs with anything but Identity and Cast.
func (p *importer) checkNotLabel(op string) error {
	if op == "Identity" || op == "Cast" {
		return nil
	}
	for _, in := range p.node.GetInput() {
		if v, ok := p.vals[in]; ok && (v.kind == kLabel || v.kind == kTail) {
			return p.nodeFail(ErrUnsupported, "computes from %q, an output of classifier %s; zkeval takes the prediction from the classifier, so its label and probability outputs may only be graph outputs", in, p.classifier)
		}
	}
	return nil
}

// checkCurrent rejects activations that are not the latest ones (the data
// path must be a single chain) and activations past a final node.
func (p *importer) checkCurrent(v *value) error {
	if v.step != p.step {
		return p.nodeFail(ErrUnsupported, "reads activations that a later node already transformed; the data path must be a single chain (no branches or skip connections)")
	}
	if v.head != "" {
		reason := "a " + v.headOp + " is supported only as the last node, where it is dropped; " + hiddenReason
		what := v.headOp
		if v.headOp == "LinearClassifier" {
			reason = "the scores of an ONNX-ML classifier must be a graph output; nothing may be computed from them but the probability tail (Normalizer, ZipMap)"
			what = "LinearClassifier followed by more layers"
		}
		op := v.headOp
		if op == "LinearClassifier" {
			op = DomainML + "." + op
		}
		return &unsupportedErr{Unsupported{Node: v.head, Op: op, What: what, Reason: reason}}
	}
	return nil
}

// dataOut defines the node's output as the next activations.
func (p *importer) dataOut(shape []sym) error {
	p.step++
	return p.define(&value{kind: kData, shape: shape, step: p.step})
}

func (p *importer) opIdentity() error {
	v, err := p.need(0)
	if err != nil {
		return err
	}
	if v.isData() {
		if v.step != p.step {
			return p.checkCurrent(v)
		}
		p.note(model.ActionDropped, "", "Identity: a no-op")
	}
	return p.define(v)
}

// opDropout imports Dropout as the no-op it is in inference. Its mask output
// must be unused.
func (p *importer) opDropout() error {
	v, err := p.need(0)
	if err != nil {
		return err
	}
	if len(p.node.GetInput()) > 2 && p.node.GetInput()[2] != "" {
		tm, err := p.constIn(2, "training_mode")
		if err != nil {
			return err
		}
		for _, s := range tm.i {
			if !s.known || s.v != 0 {
				return p.nodeFail(ErrUnsupported, "runs in training mode (training_mode is true); export the model in eval mode (model.eval())")
			}
		}
		for _, f := range tm.f {
			if f != 0 {
				return p.nodeFail(ErrUnsupported, "runs in training mode (training_mode is true); export the model in eval mode (model.eval())")
			}
		}
	}
	if outs := p.node.GetOutput(); len(outs) > 1 && outs[1] != "" && p.used(outs[1]) {
		return p.nodeFail(ErrUnsupported, "has its mask output %q read; zkeval imports Dropout only as the no-op it is in inference", outs[1])
	}
	if v.isData() {
		if v.step != p.step {
			return p.checkCurrent(v)
		}
		p.note(model.ActionDropped, "", "Dropout: a no-op in inference")
	}
	return p.define(v)
}

// used reports whether a node after the current one, or a graph output,
// reads name.
func (p *importer) used(name string) bool {
	return p.readByNode(name) || slices.Contains(p.outputs, name)
}
