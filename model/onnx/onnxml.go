package onnx

import (
	"fmt"
	"strconv"

	pb "github.com/advancedclimatesystems/gonnx/onnx"

	"github.com/zkeval/zkeval/model"
)

// This file holds the ONNX-ML operators (domain ai.onnx.ml,
// https://onnx.ai/onnx/operators/#ai-onnx-ml) that scikit-learn's linear
// models export as: LinearClassifier, its probability tail (Normalizer,
// ZipMap) and Scaler (StandardScaler in a pipeline).

func (p *importer) convertML(n *pb.NodeProto) error {
	switch n.GetOpType() {
	case "LinearClassifier":
		return p.opLinearClassifier()
	case "Normalizer", "ZipMap":
		return p.opMLTail()
	case "Scaler":
		return p.opScaler()
	}
	return p.unsupportedOp()
}

// opLinearClassifier imports ai.onnx.ml.LinearClassifier
// (https://onnx.ai/onnx/operators/onnx_aionnxml_LinearClassifier.html) as a
// dense layer: scores = X·coefficientsᵀ + intercepts, coefficients row-major
// [targets][features]. Its outputs are Y, the labels, and Z, the scores after
// post_transform. The prediction is the class of the largest score, whose
// first occurrence is what scikit-learn's predict (numpy argmax) takes;
// post_transform NONE, LOGISTIC and SOFTMAX do not change it (both are
// increasing, SOFTMAX across the scores of a sample). SOFTMAX_ZERO and PROBIT
// are refused. With two class labels and one score row (targets = 1) the
// model is a binary classifier, class 1 when the score is > 0; skl2onnx
// writes binary models as the two rows (−w, w) instead, which the argmax
// decides the same way (tie at 0 → class 0).
func (p *importer) opLinearClassifier() error {
	x, err := p.need(0)
	if err != nil {
		return err
	}
	if err := p.dataIn(x, "input X"); err != nil {
		return err
	}
	if p.classifier != "" {
		return p.nodeFail(ErrUnsupported, "is a second classifier after %s; zkeval imports one", p.classifier)
	}
	coef, err := p.attrFloats("coefficients")
	if err != nil {
		return err
	}
	if len(coef) == 0 {
		return p.nodeFail(ErrInvalid, "has no coefficients")
	}
	icp, err := p.attrFloats("intercepts")
	if err != nil {
		return err
	}
	var labels []string
	if a := p.attr("classlabels_ints"); a != nil {
		for _, v := range a.GetInts() {
			labels = append(labels, strconv.FormatInt(v, 10))
		}
	}
	if a := p.attr("classlabels_strings"); a != nil {
		if labels != nil {
			return p.nodeFail(ErrInvalid, "has both classlabels_ints and classlabels_strings")
		}
		for _, s := range a.GetStrings() {
			labels = append(labels, string(s))
		}
	}
	if len(labels) < 2 {
		return p.nodeFail(ErrInvalid, "has %d class labels; a classifier needs classlabels_ints or classlabels_strings with at least 2", len(labels))
	}
	seen := map[string]bool{}
	for _, l := range labels {
		if seen[l] {
			return p.nodeFail(ErrInvalid, "repeats class label %q", l)
		}
		seen[l] = true
	}
	f := features(x.shape)
	var targets int
	switch {
	case icp != nil:
		targets = len(icp)
	case f > 0:
		targets = len(coef) / int(f)
	default:
		return p.nodeFail(ErrUnsupported, "has no intercepts and reads input of unknown width %s; give the input a fixed feature dimension", symsString(x.shape))
	}
	if targets == 0 || len(coef)%targets != 0 {
		return p.nodeFail(ErrInvalid, "has %d coefficients, not a multiple of its %d intercepts", len(coef), targets)
	}
	in := len(coef) / targets
	switch {
	case targets == len(labels):
	case targets == 1 && len(labels) == 2:
	default:
		return p.nodeFail(ErrInvalid, "has %d score rows for %d class labels; want one row per class, or one row for two classes", targets, len(labels))
	}
	if icp == nil {
		icp = make([]float64, targets)
	}
	w := make([][]float64, targets)
	for t := range w {
		w[t] = append([]float64(nil), coef[t*in:(t+1)*in]...)
	}
	if !finite(w, icp) {
		return p.nodeFail(ErrInvalid, "has non-finite coefficients or intercepts")
	}
	post, err := p.attrString("post_transform", "NONE")
	if err != nil {
		return err
	}
	switch post {
	case "NONE":
	case "LOGISTIC", "SOFTMAX":
		p.note(model.ActionDropped, "", fmt.Sprintf("post_transform %s: dropped; it does not change which score is largest, so the prediction is the argmax of the raw scores, as scikit-learn's predict", post))
	default:
		return p.nodeFail(ErrUnsupported, "has post_transform %s, which can change which score is largest; NONE, LOGISTIC and SOFTMAX are supported", post)
	}
	wdesc := fmt.Sprintf("coefficients of %d rows of %d", targets, in)
	if err := p.addLayer(x.shape, w, icp, int64(in), int64(targets), wdesc); err != nil {
		return err
	}
	p.open = false
	p.classifier = p.nodeLabel()
	p.classLabels = labels
	// addLayer defined output Y; it is the label output, Z the scores.
	outs := p.node.GetOutput()
	scores := p.vals[outs[0]]
	p.vals[outs[0]] = &value{kind: kLabel}
	if len(outs) > 1 && outs[1] != "" {
		if _, ok := p.vals[outs[1]]; ok {
			return p.nodeFail(ErrInvalid, "redefines %q (every value must be produced once)", outs[1])
		}
		p.vals[outs[1]] = &value{kind: kData, shape: scores.shape, step: scores.step, head: p.nodeLabel(), headOp: "LinearClassifier"}
	}
	return nil
}

// opMLTail imports Normalizer and ZipMap on a classifier's scores: they
// feed the probability output only, not the label, and are dropped.
func (p *importer) opMLTail() error {
	op := p.node.GetOpType()
	v, err := p.need(0)
	if err != nil {
		return err
	}
	if v.kind != kTail && (v.kind != kData || v.headOp != "LinearClassifier") {
		return p.nodeFail(ErrUnsupported, "is supported only on the scores of an ONNX-ML classifier (as scikit-learn exports its probability output)")
	}
	if op == "Normalizer" {
		norm, err := p.attrString("norm", "MAX")
		if err != nil {
			return err
		}
		if norm != "MAX" && norm != "L1" && norm != "L2" {
			return p.nodeFail(ErrInvalid, "has norm %q; it must be MAX, L1 or L2", norm)
		}
	}
	p.note(model.ActionDropped, "", op+": dropped; it computes the probability output, not the label")
	return p.define(&value{kind: kTail})
}

// opScaler imports ai.onnx.ml.Scaler, y = (x − offset)·scale per feature
// (https://onnx.ai/onnx/operators/onnx_aionnxml_Scaler.html), as an affine
// transform folded into the adjacent dense layer.
func (p *importer) opScaler() error {
	x, err := p.need(0)
	if err != nil {
		return err
	}
	if !x.isData() {
		return p.nodeFail(ErrUnsupported, "scales a constant; Scaler is supported on the activations only")
	}
	if err := p.checkCurrent(x); err != nil {
		return err
	}
	offset, err := p.attrFloats("offset")
	if err != nil {
		return err
	}
	scale, err := p.attrFloats("scale")
	if err != nil {
		return err
	}
	if offset == nil {
		offset = []float64{0}
	}
	if scale == nil {
		scale = []float64{1}
	}
	if !finite([][]float64{offset, scale}, nil) {
		return p.nodeFail(ErrInvalid, "has non-finite offset or scale")
	}
	n := int(features(x.shape))
	if p.open {
		n = p.layers[len(p.layers)-1].Out()
	}
	for _, v := range [][]float64{offset, scale} {
		if len(v) != 1 && len(v) != n {
			return p.nodeFail(ErrInvalid, "has %d offsets or scales for %d features", len(v), n)
		}
	}
	if p.open {
		last := &p.layers[len(p.layers)-1]
		applyRows(last, "Sub", offset, false)
		applyRows(last, "Mul", scale, false)
		p.note(model.ActionFolded, last.Name, fmt.Sprintf("Scaler: folded into the outputs of layer %q", last.Name))
		return p.dataOut(x.shape)
	}
	if p.pend == nil {
		p.pend = &affine{s: []float64{1}, t: []float64{0}}
	}
	if len(p.pend.s) > 1 && ((len(offset) > 1 && len(offset) != len(p.pend.s)) || (len(scale) > 1 && len(scale) != len(p.pend.s))) {
		return p.nodeFail(ErrInvalid, "has %d offsets and %d scales for %d features", len(offset), len(scale), len(p.pend.s))
	}
	p.pend.apply("Sub", offset, false)
	p.pend.apply("Mul", scale, false)
	p.pend.nodes = append(p.pend.nodes, p.nodeLabel())
	p.pend.ops = append(p.pend.ops, "Scaler")
	return p.dataOut(x.shape)
}
