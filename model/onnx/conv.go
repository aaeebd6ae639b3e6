package onnx

import (
	"fmt"
	"strconv"

	pb "github.com/advancedclimatesystems/gonnx/onnx"

	"github.com/zkeval/zkeval/model"
)

// This file holds the spatial layers: Conv (2-D, dilation 1, group 1),
// MaxPool, AveragePool and GlobalAveragePool on activations of shape
// [batch, C, H, W], and BatchNormalization and Relu right after a Conv
// (https://onnx.ai/onnx/operators/onnx__Conv.html, onnx__MaxPool.html,
// onnx__AveragePool.html, onnx__GlobalAveragePool.html). They must come
// before the first dense layer; a Flatten or Reshape to [batch, features]
// then leads to the dense layers, reading the features in row-major
// [C][H][W] order.

// attrInts returns an INTS attribute, nil when absent.
func (p *importer) attrInts(name string) ([]int64, error) {
	a := p.attr(name)
	if a == nil {
		return nil, nil
	}
	if a.GetType() != pb.AttributeProto_INTS {
		return nil, p.nodeFail(ErrInvalid, "has attribute %s of type %s; it must be ints", name, a.GetType())
	}
	return a.GetInts(), nil
}

// spatialIn checks the activations a spatial layer reads: current, of
// known shape [batch, C, H, W], before any dense layer and with no affine
// node pending, and returns their [C][H][W].
func (p *importer) spatialIn(v *value) (model.Dims, error) {
	if !v.isData() {
		return model.Dims{}, p.nodeFail(ErrUnsupported, "reads a constant as its input; it must read the activations")
	}
	if err := p.checkCurrent(v); err != nil {
		return model.Dims{}, err
	}
	if len(p.layers) > 0 {
		return model.Dims{}, p.nodeFail(ErrUnsupported, "comes after the dense layer %q; zkeval imports convolution and pooling layers only before the dense layers", p.layers[len(p.layers)-1].Name)
	}
	if p.pend != nil {
		return model.Dims{}, p.nodeFail(ErrUnsupported, "follows %s, which zkeval does not fold into a convolution (at the borders the zero padding would no longer be zero): normalise the inputs outside the model, or put BatchNormalization right after the Conv", joinAnd(p.pend.nodes))
	}
	s := v.shape
	if len(s) != 4 {
		return model.Dims{}, p.nodeFail(ErrUnsupported, "reads activations of shape %s; 2-D convolution and pooling need [batch, C, H, W]", symsString(s))
	}
	var d [3]int
	for k := 1; k < 4; k++ {
		if !s[k].known || s[k].batch || s[k].v < 1 || s[k].v > model.MaxSpatialDim {
			return model.Dims{}, p.nodeFail(ErrUnsupported, "reads activations of shape %s; zkeval needs known channel, height and width dimensions (at most %d each): export with a fixed-size input", symsString(s), model.MaxSpatialDim)
		}
		d[k-1] = int(s[k].v)
	}
	return model.Dims{C: d[0], H: d[1], W: d[2]}, nil
}

// window reads kernel_shape (or kernel, the weight's spatial shape),
// strides, pads, auto_pad and dilations, and returns the window over an
// input of height h and width w. pool selects pooling's rules (ceil_mode).
func (p *importer) window(kernel []int64, h, w int, pool bool) (model.Window, error) {
	ks, err := p.attrInts("kernel_shape")
	if err != nil {
		return model.Window{}, err
	}
	switch {
	case ks == nil && kernel == nil:
		return model.Window{}, p.nodeFail(ErrInvalid, "has no kernel_shape attribute; it is required")
	case ks == nil:
		ks = kernel
	case kernel != nil && (len(ks) != 2 || ks[0] != kernel[0] || ks[1] != kernel[1]):
		return model.Window{}, p.nodeFail(ErrInvalid, "has kernel_shape %s, but its weight has kernel %s", dimsString(ks), dimsString(kernel))
	}
	if len(ks) != 2 {
		return model.Window{}, p.nodeFail(ErrUnsupported, "has kernel_shape %s; zkeval imports 2-D windows only (kernel_shape of two values)", dimsString(ks))
	}
	st, err := p.attrInts("strides")
	if err != nil {
		return model.Window{}, err
	}
	if st == nil {
		st = []int64{1, 1}
	}
	dil, err := p.attrInts("dilations")
	if err != nil {
		return model.Window{}, err
	}
	for _, d := range dil {
		if d != 1 {
			return model.Window{}, p.nodeFail(ErrUnsupported, "has dilations %s; zkeval imports dilation 1 only (export without dilation)", dimsString(dil))
		}
	}
	if dil != nil && len(dil) != 2 {
		return model.Window{}, p.nodeFail(ErrInvalid, "has dilations %s; a 2-D window has two", dimsString(dil))
	}
	if pool {
		cm, err := p.attrInt("ceil_mode", 0)
		if err != nil {
			return model.Window{}, err
		}
		if cm != 0 {
			return model.Window{}, p.nodeFail(ErrUnsupported, "has ceil_mode=%d; zkeval imports the floor rule only (ceil_mode=0, PyTorch's default)", cm)
		}
	}
	pads, err := p.attrInts("pads")
	if err != nil {
		return model.Window{}, err
	}
	ap, err := p.attrString("auto_pad", "NOTSET")
	if err != nil {
		return model.Window{}, err
	}
	if len(st) != 2 {
		return model.Window{}, p.nodeFail(ErrInvalid, "has strides %s; a 2-D window has two", dimsString(st))
	}
	for _, v := range append(append([]int64{}, ks...), st...) {
		if v < 1 || v > model.MaxSpatialDim {
			return model.Window{}, p.nodeFail(ErrInvalid, "has kernel_shape %s and strides %s; each must lie in [1, %d]", dimsString(ks), dimsString(st), model.MaxSpatialDim)
		}
	}
	win := model.Window{KH: int(ks[0]), KW: int(ks[1]), SH: int(st[0]), SW: int(st[1])}
	if ap != "NOTSET" {
		for _, v := range pads {
			if v != 0 {
				return model.Window{}, p.nodeFail(ErrInvalid, "has auto_pad %q and pads %s; ONNX takes explicit pads only with auto_pad NOTSET, and readers differ on which wins: drop one of the two", ap, dimsString(pads))
			}
		}
	}
	switch ap {
	case "NOTSET":
		if pads == nil {
			break
		}
		if len(pads) != 4 {
			return model.Window{}, p.nodeFail(ErrInvalid, "has pads %s; a 2-D window has four (top, left, bottom, right)", dimsString(pads))
		}
		for _, v := range pads {
			if v < 0 || v > model.MaxSpatialDim {
				return model.Window{}, p.nodeFail(ErrInvalid, "has pads %s; each must lie in [0, %d]", dimsString(pads), model.MaxSpatialDim)
			}
		}
		win.PadTop, win.PadLeft, win.PadBottom, win.PadRight = int(pads[0]), int(pads[1]), int(pads[2]), int(pads[3])
	case "VALID":
	case "SAME_UPPER", "SAME_LOWER":
		// Output ⌈in/stride⌉; the total padding split evenly, the odd one
		// at the end (SAME_UPPER) or the beginning (SAME_LOWER).
		split := func(in, k, s int) (int, int) {
			out := (in + s - 1) / s
			t := max((out-1)*s+k-in, 0)
			if ap == "SAME_UPPER" {
				return t / 2, t - t/2
			}
			return t - t/2, t / 2
		}
		win.PadTop, win.PadBottom = split(h, win.KH, win.SH)
		win.PadLeft, win.PadRight = split(w, win.KW, win.SW)
	default:
		return model.Window{}, p.nodeFail(ErrInvalid, "has auto_pad %q; it must be NOTSET, SAME_UPPER, SAME_LOWER or VALID", ap)
	}
	return win, nil
}

// addSpatial appends a spatial layer after checking that its window fits
// its input, and defines its output.
func (p *importer) addSpatial(l model.FloatSpatial, batch sym) error {
	out, err := model.SpatialOut(l.Kind, l.In, l.Window, l.OutC)
	if err != nil {
		return p.nodeFail(ErrInvalid, "does not fit its input %v (from %s): %v", l.In, p.prevDesc(), err)
	}
	if err := p.spatialTotals.Add(l.Kind, l.In, l.Window, out); err != nil {
		return p.nodeFail(ErrUnsupported, "is one spatial layer too many: %v", err)
	}
	if len(p.spatial) == 0 {
		if p.inputSize <= 0 || int64(p.inputSize) != int64(l.In.Size()) {
			return p.nodeFail(ErrInvalid, "reads the graph input %q of shape %s, which zkeval could not size", p.inputName, symsString(p.inputShape))
		}
		in := l.In
		p.inputDims = &in
	}
	if l.Name == "" {
		l.Name = p.node.GetName()
	}
	if l.Name == "" {
		l.Name = fmt.Sprintf("%s_%d", p.node.GetOpType(), p.nodeIdx)
	}
	p.spatial = append(p.spatial, l)
	p.convOpen = l.Kind == model.KindConv2D
	return p.dataOut([]sym{batch, {v: int64(out.C), known: true}, {v: int64(out.H), known: true}, {v: int64(out.W), known: true}})
}

func (p *importer) opConv() error {
	x, err := p.need(0)
	if err != nil {
		return err
	}
	wv, err := p.need(1)
	if err != nil {
		return err
	}
	bv, err := p.in(2)
	if err != nil {
		return err
	}
	in, err := p.spatialIn(x)
	if err != nil {
		return err
	}
	if g, err := p.attrInt("group", 1); err != nil {
		return err
	} else if g != 1 {
		return p.nodeFail(ErrUnsupported, "has group=%d; zkeval imports group 1 only (no grouped or depthwise convolutions)", g)
	}
	if err := p.paramConst(wv, "weight", "weight", "weights"); err != nil {
		return err
	}
	if len(wv.dims) != 4 {
		return p.nodeFail(ErrInvalid, "has weight %s of shape %s (rank %d); a 2-D convolution's weight has rank 4, [out channels][in channels][kH][kW]", wv.what, dimsString(wv.dims), len(wv.dims))
	}
	m, c := wv.dims[0], wv.dims[1]
	if m < 1 || m > model.MaxSpatialDim {
		return p.nodeFail(ErrInvalid, "has weight %s of shape %s with %d output channels; it must have 1 to %d", wv.what, dimsString(wv.dims), m, model.MaxSpatialDim)
	}
	if c != int64(in.C) {
		return p.nodeFail(ErrInvalid, "has weight %s of shape %s for %d input channels, but its input %v from %s has %d", wv.what, dimsString(wv.dims), c, in, p.prevDesc(), in.C)
	}
	win, err := p.window(wv.dims[2:], in.H, in.W, false)
	if err != nil {
		return err
	}
	if in, err = p.takePad(in, &win, model.KindConv2D); err != nil {
		return err
	}
	n := int(c) * win.KH * win.KW
	w := make([][]float64, m)
	for o := range w {
		w[o] = append([]float64(nil), wv.f[o*n:(o+1)*n]...)
	}
	b := make([]float64, m)
	if bv != nil {
		if err := p.paramConst(bv, "bias", "bias", "biases"); err != nil {
			return err
		}
		if len(bv.dims) != 1 || bv.dims[0] != m {
			return p.nodeFail(ErrInvalid, "has bias %s of shape %s; it must have shape [%d], one per output channel", bv.what, dimsString(bv.dims), m)
		}
		copy(b, bv.f)
	}
	return p.addSpatial(model.FloatSpatial{Kind: model.KindConv2D, In: in, Window: win, OutC: int(m), W: w, B: b}, x.shape[0])
}

// opPool imports MaxPool and AveragePool.
func (p *importer) opPool(op string) error {
	x, err := p.need(0)
	if err != nil {
		return err
	}
	in, err := p.spatialIn(x)
	if err != nil {
		return err
	}
	if outs := p.node.GetOutput(); len(outs) > 1 && outs[1] != "" && p.used(outs[1]) {
		return p.nodeFail(ErrUnsupported, "has its Indices output %q read; zkeval imports MaxPool's values only", outs[1])
	}
	win, err := p.window(nil, in.H, in.W, true)
	if err != nil {
		return err
	}
	kind := model.KindMaxPool
	if op == "AveragePool" {
		kind = model.KindAvgPool
	}
	padded := win.PadTop+win.PadLeft+win.PadBottom+win.PadRight > 0
	if in, err = p.takePad(in, &win, kind); err != nil {
		return err
	}
	if op == "AveragePool" {
		cip, err := p.attrInt("count_include_pad", 0)
		if err != nil {
			return err
		}
		if padded && cip == 0 {
			return p.nodeFail(ErrUnsupported, "pads its input with count_include_pad=0, so windows at the border average fewer values; zkeval folds one divisor (kH·kW) into the next layer: use count_include_pad=True or no padding")
		}
	}
	return p.addSpatial(model.FloatSpatial{Kind: kind, In: in, Window: win}, x.shape[0])
}

func (p *importer) opGlobalAvgPool() error {
	x, err := p.need(0)
	if err != nil {
		return err
	}
	in, err := p.spatialIn(x)
	if err != nil {
		return err
	}
	if _, err := p.takePad(in, &model.Window{}, model.KindGlobalAvgPool); err != nil {
		return err
	}
	return p.addSpatial(model.FloatSpatial{Kind: model.KindGlobalAvgPool, In: in, Window: model.Window{KH: in.H, KW: in.W, SH: 1, SW: 1}}, x.shape[0])
}

// spatialRelu sets the ReLU of the last convolution: right after it, or
// after a MaxPool that follows it (max pooling and ReLU commute).
func (p *importer) spatialRelu(v *value) error {
	k := len(p.spatial) - 1
	last := &p.spatial[k]
	switch {
	case last.Kind == model.KindConv2D && !last.ReLU:
	case last.Kind == model.KindMaxPool && k > 0 && p.spatial[k-1].Kind == model.KindConv2D && !p.spatial[k-1].ReLU:
		last = &p.spatial[k-1]
		p.note(model.ActionFolded, last.Name, fmt.Sprintf("Relu after MaxPool %q: applied to the output of convolution %q before the pooling (max pooling and ReLU commute)", p.spatial[k].Name, last.Name))
	default:
		return p.nodeFail(ErrUnsupported, "applies Relu after %s layer %q; zkeval applies Relu right after a convolution (or after a MaxPool that follows one)", last.Kind, last.Name)
	}
	last.ReLU = true
	p.convOpen = false
	return p.dataOut(v.shape)
}

// convBatchNorm folds a BatchNormalization y = a·x + b per channel into the
// convolution right before it: W[o] ← a[o]·W[o], B[o] ← a[o]·B[o] + b[o].
func (p *importer) convBatchNorm(a, b []float64, eps float64, x *value) error {
	last := &p.spatial[len(p.spatial)-1]
	if len(a) != last.OutC {
		return p.nodeFail(ErrInvalid, "normalises %d channels, but convolution %q has %d", len(a), last.Name, last.OutC)
	}
	for o := range last.W {
		for i := range last.W[o] {
			last.W[o][i] *= a[o]
		}
		last.B[o] = a[o]*last.B[o] + b[o]
	}
	if !finite(last.W, last.B) {
		return p.nodeFail(ErrInvalid, "overflows the weights of convolution %q", last.Name)
	}
	p.note(model.ActionFolded, last.Name, fmt.Sprintf("BatchNormalization (inference, epsilon %s): folded into the kernels and bias of convolution %q", strconv.FormatFloat(eps, 'g', -1, 32), last.Name))
	return p.dataOut(x.shape)
}

// opPad imports a Pad of the activations [batch, C, H, W] with zeros
// (mode constant, value 0), as torch writes before some pooling layers: zero
// pads are a no-op; pads of H and W fold into the padding of the Conv or
// AveragePool that must follow (both pad with zeros, an AveragePool then
// counting them in its divisor as count_include_pad=1 does).
func (p *importer) opPad() error {
	x, err := p.need(0)
	if err != nil {
		return err
	}
	if !x.isData() {
		return p.unsupported("", "Pad of constants is not supported")
	}
	if _, err := p.spatialIn(x); err != nil {
		return err
	}
	mode, err := p.attrString("mode", "constant")
	if err != nil {
		return err
	}
	if mode != "constant" {
		return p.nodeFail(ErrUnsupported, "pads in mode %q; zkeval imports zero padding only (mode constant)", mode)
	}
	var pads []int64
	if p.opset < 11 {
		if pads, err = p.attrInts("pads"); err != nil {
			return err
		}
		if v, err := p.attrFloat("value", 0); err != nil {
			return err
		} else if v != 0 {
			return p.nodeFail(ErrUnsupported, "pads with the value %v; zkeval imports zero padding only", v)
		}
	} else {
		if pads, err = p.intsIn(1, "pads"); err != nil {
			return err
		}
		if c, err := p.in(2); err != nil {
			return err
		} else if c != nil {
			if !c.isConst() || !c.isFloat() || len(c.f) > 1 || (len(c.f) == 1 && c.f[0] != 0) {
				return p.nodeFail(ErrUnsupported, "pads with a value other than the constant 0; zkeval imports zero padding only")
			}
		}
		if len(p.node.GetInput()) > 3 && p.node.GetInput()[3] != "" {
			return p.nodeFail(ErrUnsupported, "has an axes input; zkeval imports Pad over all four axes only")
		}
	}
	if len(pads) != 8 {
		return p.nodeFail(ErrInvalid, "has %d pads for activations of rank 4; it needs 8", len(pads))
	}
	if pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0 {
		return p.nodeFail(ErrUnsupported, "pads the batch or channel axis (pads %s); zkeval pads height and width only", dimsString(pads))
	}
	for _, v := range pads {
		if v < 0 || v > model.MaxSpatialDim {
			return p.nodeFail(ErrUnsupported, "has pads %s; each must lie in [0, %d] (no cropping)", dimsString(pads), model.MaxSpatialDim)
		}
	}
	pad := [4]int{int(pads[2]), int(pads[3]), int(pads[6]), int(pads[7])}
	shape := append([]sym(nil), x.shape...)
	if pad == ([4]int{}) {
		p.note(model.ActionDropped, "", "Pad of zeros by zero: a no-op")
	} else {
		shape[2].v += int64(pad[0] + pad[2])
		shape[3].v += int64(pad[1] + pad[3])
		if pp := p.padPend; pp != nil {
			// A second Pad of zeros before the same layer adds to the first.
			for k := range pad {
				pp.pad[k] += pad[k]
			}
			pp.nodes = append(pp.nodes, p.nodeLabel())
		} else {
			p.padPend = &pendingPad{pad: pad, nodes: []string{p.nodeLabel()}}
		}
	}
	return p.dataOut(shape)
}

// pendingPad is a Pad of zeros waiting to fold into the next spatial layer.
type pendingPad struct {
	pad   [4]int   // top, left, bottom, right
	nodes []string // the Pad nodes, in graph order
}

// what names the Pad nodes: `node "a" (op Pad)`, or several joined by
// joinAnd.
func (pp *pendingPad) what() string { return joinAnd(pp.nodes) }

// takePad folds a pending Pad into the window of the current Conv or
// AveragePool, whose input in is the padded one; it returns the unpadded
// input.
func (p *importer) takePad(in model.Dims, win *model.Window, kind string) (model.Dims, error) {
	pp := p.padPend
	if pp == nil {
		return in, nil
	}
	p.padPend = nil
	if kind != model.KindConv2D && kind != model.KindAvgPool {
		return in, p.nodeFail(ErrUnsupported, "follows %s; zkeval folds a Pad of zeros only into a Conv or an AveragePool", pp.what())
	}
	win.PadTop += pp.pad[0]
	win.PadLeft += pp.pad[1]
	win.PadBottom += pp.pad[2]
	win.PadRight += pp.pad[3]
	if kind == model.KindAvgPool && !win.PadsBelowKernel() {
		return in, p.nodeFail(ErrUnsupported, "follows %s, whose padding with the pool's own makes pads %d,%d,%d,%d (top, left, bottom, right), not smaller than the kernel %dx%d: some windows would hold padding only, which zkeval does not pool; pad by less than the kernel", pp.what(), win.PadTop, win.PadLeft, win.PadBottom, win.PadRight, win.KH, win.KW)
	}
	name := p.node.GetName()
	if name == "" {
		name = fmt.Sprintf("%s_%d", p.node.GetOpType(), p.nodeIdx)
	}
	p.steps = append(p.steps, model.ImportStep{Action: model.ActionFolded, Nodes: pp.nodes, Into: name,
		Detail: fmt.Sprintf("Pad of zeros: folded into the padding of %s layer %q", kind, name)})
	in.H -= pp.pad[0] + pp.pad[2]
	in.W -= pp.pad[1] + pp.pad[3]
	return in, nil
}
