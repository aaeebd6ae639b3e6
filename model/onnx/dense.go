package onnx

import (
	"fmt"
	"math"
	"strconv"

	"github.com/zkeval/zkeval/model"
)

// This file holds the dense layers: Gemm and MatMul.

// paramConst checks that v, a layer's parameter (named name in errors, role
// in floatConst's), is a float constant: an initializer or Constant node,
// not computed from the graph input.
func (p *importer) paramConst(v *value, name, role, plural string) error {
	if !v.isConst() {
		return p.nodeFail(ErrUnsupported, "computes its %s from the graph input; %s must be initializers or Constant nodes", name, plural)
	}
	return p.floatConst(v, role)
}

// floatConst checks that v is a finite float constant used as role.
func (p *importer) floatConst(v *value, role string) error {
	if !v.isFloat() {
		return p.nodeFail(ErrUnsupported, "has %s %s of type %s; zkeval imports float32 or float64 weights (quantized models are not supported: export the float model)",
			role, v.what, typeName(v.dtype))
	}
	for k, x := range v.f {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return p.nodeFail(ErrInvalid, "has %s %s with non-finite value %v at element %d", role, v.what, x, k)
		}
	}
	return nil
}

// dataIn returns the activations input of a dense layer: current and of
// shape [batch, features].
func (p *importer) dataIn(v *value, role string) error {
	if !v.isData() {
		return p.nodeFail(ErrUnsupported, "has a constant %s; the activations must be its %s", role, role)
	}
	if err := p.checkCurrent(v); err != nil {
		return err
	}
	if len(v.shape) != 2 {
		return p.nodeFail(ErrUnsupported, "receives activations of shape %s; flatten them to [batch, features] first (nn.Flatten() or x.view(x.size(0), -1))", symsString(v.shape))
	}
	return nil
}

// prevDesc describes where the activations of the next layer come from.
func (p *importer) prevDesc() string {
	if len(p.layers) == 0 && len(p.spatial) > 0 {
		l := &p.spatial[len(p.spatial)-1]
		return fmt.Sprintf("the output of %s layer %q, of shape %v (%d values flattened)", l.Kind, l.Name, l.Out(), l.Out().Size())
	}
	if len(p.layers) == 0 {
		return fmt.Sprintf("graph input %q of shape %s", p.inputName, symsString(p.inputShape))
	}
	l := &p.layers[len(p.layers)-1]
	return fmt.Sprintf("the output of layer %q, W of shape [%d][%d] ([out][in])", l.Name, l.Out(), l.In())
}

// addLayer appends a dense layer reading activations of shape s; in/out are
// the weight's dimensions, wdesc describes the weight for errors.
func (p *importer) addLayer(s []sym, w [][]float64, b []float64, in, out int64, wdesc string) error {
	f := features(s)
	switch {
	case f == 0 && len(p.layers) == 0:
		if err := p.resolveInput(in); err != nil {
			return err
		}
	case f != in:
		got := "an unknown number of"
		if f > 0 {
			got = strconv.FormatInt(f, 10)
		}
		return p.nodeFail(ErrInvalid, "has %s, so it takes %d inputs, but its input has %s features, from %s", wdesc, in, got, p.prevDesc())
	}
	name := p.node.GetName()
	if name == "" {
		name = fmt.Sprintf("%s_%d", p.node.GetOpType(), p.nodeIdx)
	}
	if len(p.layers) == 0 && len(p.spatial) > 0 && len(s) != 2 {
		return p.nodeFail(ErrUnsupported, "reads activations of shape %s; flatten the convolutional part to [batch, features] first", symsString(s))
	}
	lay := model.FloatLayer{Name: name, W: w, B: b}
	if err := p.foldPending(&lay); err != nil {
		return err
	}
	p.layers = append(p.layers, lay)
	p.open = true
	if err := p.dataOut([]sym{s[0], {v: out, known: true}}); err != nil {
		return err
	}
	p.layerStep = p.step
	return nil
}

// biasOf broadcasts constant c (shape [], [1], [out], [1][1] or [1][out]) to
// a bias of length out, scaled by beta.
func (p *importer) biasOf(c *value, out int64, beta float64, role string) ([]float64, error) {
	ok := false
	switch len(c.dims) {
	case 0:
		ok = true
	case 1:
		ok = c.dims[0] == 1 || c.dims[0] == out
	case 2:
		ok = c.dims[0] == 1 && (c.dims[1] == 1 || c.dims[1] == out)
	}
	if !ok || len(c.f) == 0 {
		return nil, p.nodeFail(ErrUnsupported, "has %s %s of shape %s, which does not broadcast to one bias per output [%d]", role, c.what, dimsString(c.dims), out)
	}
	b := make([]float64, out)
	for o := range b {
		x := c.f[0]
		if len(c.f) > 1 {
			x = c.f[o]
		}
		b[o] = beta * x
	}
	return b, nil
}

func finite(rows [][]float64, b []float64) bool {
	for _, r := range rows {
		for _, x := range r {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return false
			}
		}
	}
	for _, x := range b {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

func (p *importer) opGemm() error {
	a, err := p.need(0)
	if err != nil {
		return err
	}
	bw, err := p.need(1)
	if err != nil {
		return err
	}
	c, err := p.in(2)
	if err != nil {
		return err
	}
	transA, err := p.attrInt("transA", 0)
	if err != nil {
		return err
	}
	transB, err := p.attrInt("transB", 0)
	if err != nil {
		return err
	}
	alpha, err := p.attrFloat("alpha", 1)
	if err != nil {
		return err
	}
	beta, err := p.attrFloat("beta", 1)
	if err != nil {
		return err
	}
	if transA != 0 {
		return p.nodeFail(ErrUnsupported, "has transA=%d; only transA=0 (activations as A of shape [batch, in]) is supported", transA)
	}
	if transB != 0 && transB != 1 {
		return p.nodeFail(ErrInvalid, "has transB=%d; it must be 0 or 1", transB)
	}
	if err := p.dataIn(a, "input A"); err != nil {
		return err
	}
	if err := p.paramConst(bw, "weight B", "weight", "weights"); err != nil {
		return err
	}
	if len(bw.dims) != 2 {
		return p.nodeFail(ErrInvalid, "has weight %s of shape %s; Gemm needs a 2-D B", bw.what, dimsString(bw.dims))
	}
	in, out := bw.dims[0], bw.dims[1]
	if transB == 1 {
		in, out = out, in
	}
	if in == 0 || out == 0 {
		return p.nodeFail(ErrInvalid, "has empty weight %s of shape %s", bw.what, dimsString(bw.dims))
	}
	wdesc := fmt.Sprintf("weight %s of shape %s with transB=%d", bw.what, dimsString(bw.dims), transB)
	var bias []float64
	if c != nil {
		if err := p.paramConst(c, "bias C", "bias C", "biases"); err != nil {
			return err
		}
		if bias, err = p.biasOf(c, out, beta, "bias C"); err != nil {
			return err
		}
	} else {
		bias = make([]float64, out)
	}
	w := make([][]float64, out)
	for o := range w {
		row := make([]float64, in)
		for i := range row {
			if transB == 1 {
				row[i] = alpha * bw.f[int64(o)*in+int64(i)]
			} else {
				row[i] = alpha * bw.f[int64(i)*out+int64(o)]
			}
		}
		w[o] = row
	}
	if !finite(w, bias) {
		return p.nodeFail(ErrInvalid, "overflows: alpha=%v and beta=%v scale its weights to non-finite values", alpha, beta)
	}
	return p.addLayer(a.shape, w, bias, in, out, wdesc)
}

func (p *importer) opMatMul() error {
	a, err := p.need(0)
	if err != nil {
		return err
	}
	bw, err := p.need(1)
	if err != nil {
		return err
	}
	if a.isConst() && bw.isConst() {
		return p.constArith("MatMul", a, bw)
	}
	if !a.isData() {
		return p.nodeFail(ErrUnsupported, "multiplies a constant by the activations; zkeval supports activations @ W (activations as the first input)")
	}
	if err := p.dataIn(a, "first input"); err != nil {
		return err
	}
	if !bw.isConst() {
		return p.nodeFail(ErrUnsupported, "multiplies two activations; the second input must be a constant weight matrix")
	}
	if err := p.floatConst(bw, "weight"); err != nil {
		return err
	}
	if len(bw.dims) != 2 || bw.dims[0] == 0 || bw.dims[1] == 0 {
		return p.nodeFail(ErrUnsupported, "has weight %s of shape %s; MatMul layers need a 2-D weight of shape [in][out]", bw.what, dimsString(bw.dims))
	}
	in, out := bw.dims[0], bw.dims[1]
	w := make([][]float64, out)
	for o := range w {
		row := make([]float64, in)
		for i := range row {
			row[i] = bw.f[int64(i)*out+int64(o)]
		}
		w[o] = row
	}
	wdesc := fmt.Sprintf("weight %s of shape %s ([in][out])", bw.what, dimsString(bw.dims))
	return p.addLayer(a.shape, w, make([]float64, out), in, out, wdesc)
}
