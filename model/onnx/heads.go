package onnx

import (
	"fmt"
	"strings"

	pb "github.com/advancedclimatesystems/gonnx/onnx"

	"github.com/zkeval/zkeval/model"
)

// This file holds the activations and the model's end: Relu, the final
// Softmax, LogSoftmax and Sigmoid, the graph outputs, and the one-output
// binary head.

func (p *importer) opRelu() error {
	v, err := p.need(0)
	if err != nil {
		return err
	}
	if v.isConst() {
		if err := p.alloc(v.count()); err != nil {
			return err
		}
		out := v.reshaped(v.dims, "")
		if v.isFloat() {
			out.f = make([]float64, len(v.f))
			for k, x := range v.f {
				out.f[k] = max(x, 0)
			}
		} else {
			out.i = make([]sym, len(v.i))
			for k, s := range v.i {
				if s.known && !s.batch && s.v < 0 {
					s.v = 0
				}
				out.i[k] = s
			}
		}
		return p.define(out)
	}
	if err := p.checkCurrent(v); err != nil {
		return err
	}
	if len(p.layers) == 0 && len(p.spatial) > 0 && len(v.shape) == 4 {
		if p.pend != nil {
			return p.nodeFail(ErrUnsupported, "applies Relu after %s, which zkeval does not fold into a convolution from there", joinAnd(p.pend.nodes))
		}
		return p.spatialRelu(v)
	}
	if len(p.layers) == 0 {
		return p.nodeFail(ErrUnsupported, "applies Relu to the graph input or to flattened pooling outputs; Relu is supported only after a Conv, Gemm or MatMul layer")
	}
	if p.pend != nil {
		return p.nodeFail(ErrUnsupported, "applies Relu after %s, which do not fold into a dense layer from there; zkeval folds affine nodes into the layer before the activation or into the one after it",
			strings.Join(p.pend.nodes, ", "))
	}
	if last := &p.layers[len(p.layers)-1]; last.Act != nil {
		return p.nodeFail(ErrUnsupported, "applies Relu to the output of %s, the activation of layer %q; zkeval takes one activation per dense layer: drop one of them, or put a dense layer between them", last.Act.Kind, last.Name)
	}
	p.layers[len(p.layers)-1].ReLU = true
	p.open = false
	return p.dataOut(v.shape)
}

// opHead imports a final Softmax, LogSoftmax or Sigmoid: each keeps the
// order of the outputs of a sample (Softmax and LogSoftmax along the class
// axis, Sigmoid elementwise, all strictly increasing), so the argmax of the
// logits is the prediction. It is dropped; a later node that reads its
// output makes it a hidden activation, which checkCurrent refuses.
func (p *importer) opHead() error {
	op := p.node.GetOpType()
	v, err := p.need(0)
	if err != nil {
		return err
	}
	if !v.isData() {
		return p.nodeFail(ErrUnsupported, "applies %s to a constant; it is supported only as the model's last node", op)
	}
	if err := p.checkCurrent(v); err != nil {
		return err
	}
	if len(p.layers) == 0 {
		return p.unsupported("", "applied to the graph input it is a hidden activation; "+hiddenReason)
	}
	if p.pend != nil {
		return p.nodeFail(ErrUnsupported, "follows %s after the last activation, which do not fold into a dense layer", strings.Join(p.pend.nodes, ", "))
	}
	if len(v.shape) != 2 {
		return p.nodeFail(ErrUnsupported, "applies %s to activations of shape %s; zkeval needs logits of shape [batch, classes]", op, symsString(v.shape))
	}
	n := features(v.shape)
	detail := ""
	switch op {
	case "Softmax", "LogSoftmax":
		def := int64(-1)
		if p.opset < 13 {
			def = 1
		}
		axis, err := p.attrInt("axis", def)
		if err != nil {
			return err
		}
		if axis != 1 && axis != -1 {
			return p.nodeFail(ErrUnsupported, "has axis %d; a %s is supported only over the classes (axis 1 or -1 of [batch, classes])", axis, op)
		}
		if n == 1 {
			return p.nodeFail(ErrUnsupported, "applies %s to a single output, which makes it a constant: the model would always predict class 0; export the logit without the %s (zkeval reads one logit z as class 1 when z > 0)", op, op)
		}
		detail = op + ": dropped; it does not change which output is largest, so the prediction is the argmax of the logits"
	case "Sigmoid":
		detail = "Sigmoid: dropped; it is increasing, so it does not change which output is largest"
		if n == 1 {
			detail = "Sigmoid: dropped; sigmoid(z) > 0.5 exactly when the logit z > 0"
		}
	}
	p.note(model.ActionDropped, "", detail)
	p.open = false
	p.step++
	return p.define(&value{kind: kData, shape: v.shape, step: p.step, head: p.nodeLabel(), headOp: op})
}

// finish checks the graph outputs and returns the model.
func (p *importer) finish(g *pb.GraphProto) (*model.FloatModel, error) {
	outs := g.GetOutput()
	if len(outs) == 0 {
		return nil, p.fail(ErrInvalid, "the graph has no output")
	}
	var labels, datas, tails []string
	for _, o := range outs {
		name := o.GetName()
		v, ok := p.vals[name]
		if !ok {
			if _, isInit := p.inits[name]; isInit {
				return nil, p.fail(ErrUnsupported, "the graph output %q is an initializer; it must be computed from the input", name)
			}
			return nil, p.fail(ErrInvalid, "the graph output %q is not produced by any node", name)
		}
		switch v.kind {
		case kLabel:
			labels = append(labels, name)
		case kData:
			datas = append(datas, name)
		case kTail:
			tails = append(tails, name)
		default:
			return nil, p.fail(ErrUnsupported, "the graph output %q is a constant; it must be computed from the input", name)
		}
	}
	if len(p.layers) == 0 {
		return nil, p.fail(ErrUnsupported, "the graph has no dense layer (Gemm, MatMul or LinearClassifier); %s", supportedSummary)
	}
	switch {
	case len(labels) > 1:
		return nil, p.fail(ErrUnsupported, "the graph has %d label outputs (%s); zkeval imports one classifier", len(labels), strings.Join(labels, ", "))
	case len(labels) == 1:
		for _, name := range datas {
			if p.vals[name].headOp != "LinearClassifier" {
				return nil, p.fail(ErrUnsupported, "the graph output %q is not an output of classifier %s; zkeval imports one classifier and its outputs", name, p.classifier)
			}
		}
	default:
		if len(datas) != 1 || (len(outs) > 1 && p.classifier == "") {
			return nil, p.fail(ErrUnsupported, "the graph has %d outputs; zkeval imports models with exactly one output, the logits (or an ONNX-ML classifier's label and probabilities)", len(outs))
		}
		name := datas[0]
		v := p.vals[name]
		if v.step != p.step {
			return nil, p.fail(ErrUnsupported, "the graph output %q is not the end of the data path (later nodes transform it further); the data path must be a single chain", name)
		}
		if len(v.shape) != 2 {
			return nil, p.fail(ErrUnsupported, "the graph output %q has shape %s; zkeval needs logits of shape [batch, classes]", name, symsString(v.shape))
		}
	}
	if p.pend != nil {
		return nil, p.fail(ErrUnsupported, "%s after the last activation do not fold into a dense layer; zkeval folds affine nodes into the layer before the activation or into the one after it", strings.Join(p.pend.nodes, ", "))
	}
	if len(p.spatial) > 0 {
		if w := p.spatial[len(p.spatial)-1].Out().Size(); w != p.layers[0].In() {
			return nil, p.fail(ErrInvalid, "the convolutional part ends with %d values, but dense layer %q takes %d", w, p.layers[0].Name, p.layers[0].In())
		}
	} else if p.inputSize <= 0 || p.inputSize != p.layers[0].In() {
		return nil, p.fail(ErrInvalid, "could not determine the input size of graph input %q of shape %s", p.inputName, symsString(p.inputShape))
	}
	last := &p.layers[len(p.layers)-1]
	if last.Out() == 1 {
		p.binaryHead(last)
	}
	if p.classLabels != nil && len(p.classLabels) != last.Out() {
		return nil, p.fail(ErrInvalid, "classifier %s names %d classes for %d outputs", p.classifier, len(p.classLabels), last.Out())
	}
	return &model.FloatModel{Name: g.GetName(), InputSize: p.inputSize, Input: p.inputDims, Spatial: p.spatial, Layers: p.layers, Opset: p.opset,
		ClassLabels: p.classLabels, Steps: p.steps}, nil
}

// binaryHead widens a one-output last layer, the logit z, to the two outputs
// [0, z]: row 0 has zero weights and bias. The prediction, the first index
// of the largest output (model.Argmax, and the circuit), is then class 1
// exactly when z > 0 and class 0 when z ≤ 0, the tie included: the rule of
// scikit-learn's predict (decision_function > 0) and of sigmoid(z) > 0.5.
// A ReLU on the layer keeps this: relu(z) > 0 exactly when z > 0.
func (p *importer) binaryHead(l *model.FloatLayer) {
	l.W = [][]float64{make([]float64, l.In()), l.W[0]}
	l.B = []float64{0, l.B[0]}
	p.steps = append(p.steps, model.ImportStep{Action: model.ActionBinaryHead, Into: l.Name,
		Detail: fmt.Sprintf("one output z: layer %q widened to the two outputs [0, z] (row 0 all zero), so the prediction is class 1 exactly when z > 0 and class 0 when z <= 0", l.Name)})
}
