package onnx

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/zkeval/zkeval/model"
)

// This file folds elementwise affine nodes on the activations into the
// adjacent dense layer, in float64 before quantization:
//
//   - right after a dense layer (before its activation), y ↦ c⊙y + d folds
//     into the layer's outputs: W[o] ← c[o]·W[o], B[o] ← c[o]·B[o] + d[o];
//   - on the graph input or after an activation, x ↦ s⊙x + t is held
//     pending and folds into the inputs of the next dense layer:
//     W[o][i] ← W[o][i]·s[i], B[o] ← B[o] + Σ_i W[o][i]·t[i].
//
// The nodes are Add, Sub, Mul and Div by constants, BatchNormalization in
// inference mode (https://onnx.ai/onnx/operators/onnx__BatchNormalization.html:
// y = scale·(x − mean)/√(var + ε) + B per channel, axis 1) and ai.onnx.ml
// Scaler (y = (x − offset)·scale).

// affine is a pending elementwise transform x ↦ s⊙x + t of the flattened
// features, to fold into the next dense layer.
type affine struct {
	s, t  []float64 // length n (one per feature), or 1 (the same for all)
	nodes []string
	ops   []string // op types, for the report
}

// widen gives a length-1 transform length n.
func (a *affine) widen(n int) {
	if len(a.s) == n {
		return
	}
	s, t := make([]float64, n), make([]float64, n)
	for i := range s {
		s[i], t[i] = a.s[0], a.t[0]
	}
	a.s, a.t = s, t
}

// apply composes op with the constant c (length len(a.s) or 1) into a; cFirst
// says that c is the first operand (c − x).
func (a *affine) apply(op string, c []float64, cFirst bool) {
	if len(c) > len(a.s) {
		a.widen(len(c))
	}
	at := func(k int) float64 {
		if len(c) == 1 {
			return c[0]
		}
		return c[k]
	}
	for k := range a.s {
		v := at(k)
		switch {
		case op == "Add":
			a.t[k] += v
		case op == "Sub" && cFirst:
			a.s[k], a.t[k] = -a.s[k], v-a.t[k]
		case op == "Sub":
			a.t[k] -= v
		case op == "Mul":
			a.s[k] *= v
			a.t[k] *= v
		case op == "Div":
			a.s[k] /= v
			a.t[k] /= v
		}
	}
}

// applyRows composes op with the per-output constant c into the outputs of
// layer l (see affine.apply for cFirst).
func applyRows(l *model.FloatLayer, op string, c []float64, cFirst bool) {
	for o := range l.W {
		v := c[0]
		if len(c) > 1 {
			v = c[o]
		}
		row := l.W[o]
		switch {
		case op == "Add":
			l.B[o] += v
		case op == "Sub" && cFirst:
			for i := range row {
				row[i] = -row[i]
			}
			l.B[o] = v - l.B[o]
		case op == "Sub":
			l.B[o] -= v
		case op == "Mul":
			for i := range row {
				row[i] *= v
			}
			l.B[o] *= v
		case op == "Div":
			for i := range row {
				row[i] /= v
			}
			l.B[o] /= v
		}
	}
}

func (p *importer) opArith(op string) error {
	x, err := p.need(0)
	if err != nil {
		return err
	}
	y, err := p.need(1)
	if err != nil {
		return err
	}
	if x.isConst() && y.isConst() {
		return p.constArith(op, x, y)
	}
	if x.isData() && y.isData() {
		return p.unsupported("", "combines two activations (a skip connection or a gated activation); the data path must be a single chain of layers")
	}
	d, c, cFirst := x, y, false
	if y.isData() {
		d, c, cFirst = y, x, true
	}
	if err := p.checkCurrent(d); err != nil {
		return err
	}
	if op == "Div" && cFirst {
		return p.unsupported("", "divides a constant by the activations (1/x), which is not affine")
	}
	if err := p.floatConst(c, "operand"); err != nil {
		return err
	}
	if p.open {
		last := &p.layers[len(p.layers)-1]
		vec, err := p.biasOf(c, int64(last.Out()), 1, "operand")
		if err != nil {
			return err
		}
		// Add right after the MatMul (or Gemm) is the layer's own bias,
		// as torch writes nn.Linear at some opsets: not worth a report.
		bias := op == "Add" && d.step == p.layerStep
		applyRows(last, op, vec, cFirst)
		if !finite(last.W, last.B) {
			return p.nodeFail(ErrInvalid, "overflows the weights of layer %q (a division by zero?)", last.Name)
		}
		if !bias {
			p.note(model.ActionFolded, last.Name, fmt.Sprintf("%s by %s: folded into the outputs of layer %q", op, c.what, last.Name))
		}
		return p.dataOut(d.shape)
	}
	vec, err := p.perFeature(c, d.shape)
	if err != nil {
		return err
	}
	return p.pendAffine(op, vec, cFirst, d.shape)
}

// pendAffine composes op by vec into the pending transform and defines the
// node's output as the next activations.
func (p *importer) pendAffine(op string, vec []float64, cFirst bool, shape []sym) error {
	if p.pend == nil {
		p.pend = &affine{s: []float64{1}, t: []float64{0}}
	}
	if len(vec) > 1 && len(p.pend.s) > 1 && len(vec) != len(p.pend.s) {
		return p.nodeFail(ErrInvalid, "applies a constant of %d values to activations of %d features", len(vec), len(p.pend.s))
	}
	p.pend.apply(op, vec, cFirst)
	for k := range p.pend.s {
		if math.IsNaN(p.pend.s[k]) || math.IsInf(p.pend.s[k], 0) || math.IsNaN(p.pend.t[k]) || math.IsInf(p.pend.t[k], 0) {
			return p.nodeFail(ErrInvalid, "makes the input transform non-finite (a division by zero?)")
		}
	}
	p.pend.nodes = append(p.pend.nodes, p.nodeLabel())
	p.pend.ops = append(p.pend.ops, p.node.GetOpType())
	return p.dataOut(shape)
}

// perFeature broadcasts constant c against activations of shape s (numpy
// rules, the batch axis excluded) and returns it over the flattened
// features, or as a single value when it has one element.
func (p *importer) perFeature(c *value, s []sym) ([]float64, error) {
	if len(c.f) == 1 {
		return []float64{c.f[0]}, nil
	}
	r, cr := len(s), len(c.dims)
	if cr > r {
		return nil, p.nodeFail(ErrInvalid, "cannot broadcast constant %s of shape %s to activations of shape %s", c.what, dimsString(c.dims), symsString(s))
	}
	cd := make([]int64, r) // c's dims aligned to s
	for a := range cd {
		cd[a] = 1
		if a >= r-cr {
			cd[a] = c.dims[a-(r-cr)]
		}
	}
	if cd[0] != 1 {
		return nil, p.nodeFail(ErrUnsupported, "applies constant %s of shape %s that varies along the batch axis of activations %s", c.what, dimsString(c.dims), symsString(s))
	}
	full := make([]int64, r-1)
	for a := 1; a < r; a++ {
		if !s[a].known || s[a].batch {
			return nil, p.nodeFail(ErrUnsupported, "applies constant %s of shape %s to activations of shape %s with unknown dimensions; export the input with fixed feature dimensions", c.what, dimsString(c.dims), symsString(s))
		}
		full[a-1] = s[a].v
		if cd[a] != 1 && cd[a] != s[a].v {
			return nil, p.nodeFail(ErrInvalid, "cannot broadcast constant %s of shape %s to activations of shape %s", c.what, dimsString(c.dims), symsString(s))
		}
	}
	n := features(s)
	if n <= 0 || n > maxDerived {
		return nil, p.nodeFail(ErrUnsupported, "applies constant %s to activations of shape %s, too large to fold", c.what, symsString(s))
	}
	idx := broadcastIndex(cd[1:], full, int(n))
	out := make([]float64, n)
	for k, j := range idx {
		out[k] = c.f[j]
	}
	return out, nil
}

// foldPending folds the pending transform into the inputs of layer l.
func (p *importer) foldPending(l *model.FloatLayer) error {
	a := p.pend
	if a == nil {
		return nil
	}
	p.pend = nil
	n := l.In()
	if len(a.s) != 1 && len(a.s) != n {
		return p.nodeFail(ErrInvalid, "takes %d inputs, but the transform of %s before it has %d", n, strings.Join(a.nodes, ", "), len(a.s))
	}
	a.widen(n)
	for o, row := range l.W {
		b := l.B[o]
		for i, w := range row {
			b += w * a.t[i]
			row[i] = w * a.s[i]
		}
		l.B[o] = b
	}
	if !finite(l.W, l.B) {
		return p.nodeFail(ErrInvalid, "overflows when %s before it is folded into its weights", strings.Join(a.nodes, ", "))
	}
	where := "on the activations before it"
	if len(p.layers) == 0 {
		where = "on the graph input (input normalisation)"
	}
	p.steps = append(p.steps, model.ImportStep{Action: model.ActionFolded, Nodes: a.nodes, Into: l.Name,
		Detail: fmt.Sprintf("%s %s: folded into the weights and bias of layer %q", strings.Join(a.ops, ", "), where, l.Name)})
	return nil
}

// opBatchNorm folds a BatchNormalization in inference mode.
func (p *importer) opBatchNorm() error {
	x, err := p.need(0)
	if err != nil {
		return err
	}
	if !x.isData() {
		return p.nodeFail(ErrUnsupported, "normalises a constant; BatchNormalization is supported on the activations only")
	}
	if err := p.checkCurrent(x); err != nil {
		return err
	}
	if tm, err := p.attrInt("training_mode", 0); err != nil {
		return err
	} else if tm != 0 {
		return p.nodeFail(ErrUnsupported, "runs in training mode (training_mode=1); export the model in eval mode (model.eval())")
	}
	for k, o := range p.node.GetOutput() {
		if k > 0 && o != "" && p.used(o) {
			return p.nodeFail(ErrUnsupported, "has its training output %q read; export the model in eval mode (model.eval())", o)
		}
	}
	eps, err := p.attrFloat("epsilon", 1e-5)
	if err != nil {
		return err
	}
	if len(x.shape) < 2 || !x.shape[1].known {
		return p.nodeFail(ErrUnsupported, "normalises activations of shape %s; it needs a known channel count (axis 1)", symsString(x.shape))
	}
	ch := x.shape[1].v
	params := make([][]float64, 4)
	for k, role := range []string{"scale", "B", "mean", "var"} {
		v, err := p.constIn(k+1, role)
		if err != nil {
			return err
		}
		if err := p.floatConst(v, role); err != nil {
			return err
		}
		if len(v.f) != int(ch) {
			return p.nodeFail(ErrInvalid, "has %s %s of %d values for %d channels", role, v.what, len(v.f), ch)
		}
		params[k] = v.f
	}
	// y = a·x + b per channel.
	a, b := make([]float64, ch), make([]float64, ch)
	for c := range a {
		den := math.Sqrt(params[3][c] + eps)
		if !(den > 0) {
			return p.nodeFail(ErrInvalid, "has var + epsilon = %v for channel %d; it must be positive", params[3][c]+eps, c)
		}
		a[c] = params[0][c] / den
		b[c] = params[1][c] - params[2][c]*a[c]
	}
	if p.convOpen && len(x.shape) == 4 && len(p.layers) == 0 {
		return p.convBatchNorm(a, b, eps, x)
	}
	if p.open && len(x.shape) == 2 {
		last := &p.layers[len(p.layers)-1]
		if int64(last.Out()) != ch {
			return p.nodeFail(ErrInvalid, "normalises %d channels, but layer %q has %d outputs", ch, last.Name, last.Out())
		}
		applyRows(last, "Mul", a, false)
		applyRows(last, "Add", b, false)
		if !finite(last.W, last.B) {
			return p.nodeFail(ErrInvalid, "overflows the weights of layer %q", last.Name)
		}
		p.note(model.ActionFolded, last.Name, fmt.Sprintf("BatchNormalization (inference, epsilon %s): folded into the weights and bias of layer %q", strconv.FormatFloat(eps, 'g', -1, 32), last.Name))
		return p.dataOut(x.shape)
	}
	n := features(x.shape)
	if n <= 0 || n%ch != 0 || n > maxDerived {
		return p.nodeFail(ErrUnsupported, "normalises activations of shape %s; zkeval folds it only where their size is known", symsString(x.shape))
	}
	per := n / ch
	sa, sb := make([]float64, n), make([]float64, n)
	for f := range sa {
		sa[f], sb[f] = a[int64(f)/per], b[int64(f)/per]
	}
	if p.pend == nil {
		p.pend = &affine{s: []float64{1}, t: []float64{0}}
	}
	if len(p.pend.s) > 1 && len(p.pend.s) != int(n) {
		return p.nodeFail(ErrInvalid, "normalises %d features after a transform of %d", n, len(p.pend.s))
	}
	p.pend.apply("Mul", sa, false)
	p.pend.apply("Add", sb, false)
	p.pend.nodes = append(p.pend.nodes, p.nodeLabel())
	p.pend.ops = append(p.pend.ops, "BatchNormalization")
	return p.dataOut(x.shape)
}
