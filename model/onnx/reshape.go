package onnx

import "errors"

// This file holds Reshape and Flatten: on constants they fold; on the
// activations they must give [batch, features], the features in row-major
// order, as x.view(x.size(0), -1) and nn.Flatten() do.

func (p *importer) opReshape() error {
	v, err := p.need(0)
	if err != nil {
		return err
	}
	tv, err := p.constIn(1, "target shape")
	if err != nil {
		return err
	}
	if tv.isFloat() || len(tv.dims) != 1 {
		return p.nodeFail(ErrInvalid, "has target shape %s of type %s and shape %s; it must be a 1-D integer tensor", tv.what, typeName(tv.dtype), dimsString(tv.dims))
	}
	allowZero, err := p.attrInt("allowzero", 0)
	if err != nil {
		return err
	}
	if v.isData() {
		return p.reshapeData(v, tv.i, allowZero != 0)
	}
	if len(tv.i) > maxRank {
		return p.nodeFail(ErrUnsupported, "has a target shape of rank %d, above the supported %d", len(tv.i), maxRank)
	}
	target := make([]int64, len(tv.i))
	for k, s := range tv.i {
		if !s.known || s.batch {
			return p.nodeFail(ErrUnsupported, "reshapes a constant to a batch-dependent shape %s", symsString(tv.i))
		}
		target[k] = s.v
	}
	dims := make([]int64, len(target))
	infer := -1
	prod := int64(1)
	for k, t := range target {
		switch {
		case t == 0 && allowZero == 0:
			if k >= len(v.dims) {
				return p.nodeFail(ErrInvalid, "copies dimension %d of shape %s, which has none", k, dimsString(v.dims))
			}
			dims[k] = v.dims[k]
		case t == -1:
			if infer >= 0 {
				return p.nodeFail(ErrInvalid, "has more than one -1 in target shape %s", dimsString(target))
			}
			infer = k
			continue
		case t < 0:
			return p.nodeFail(ErrInvalid, "has invalid target shape %s", dimsString(target))
		default:
			dims[k] = t
		}
		if dims[k] > 0 && prod > maxTensorElems/dims[k] {
			return p.nodeFail(ErrInvalid, "has target shape %s that is too large", dimsString(target))
		}
		prod *= dims[k]
	}
	n := int64(v.count())
	if infer >= 0 {
		if prod == 0 || n%prod != 0 {
			return p.nodeFail(ErrInvalid, "cannot reshape %s to %s", dimsString(v.dims), dimsString(target))
		}
		dims[infer] = n / prod
		prod = n
	}
	if prod != n {
		return p.nodeFail(ErrInvalid, "cannot reshape %s (%d elements) to %s", dimsString(v.dims), n, dimsString(target))
	}
	return p.define(v.reshaped(dims, ""))
}

func (p *importer) flatFail(in []sym, target string) error {
	return p.nodeFail(ErrUnsupported, "reshapes the activations of shape %s to %s; zkeval supports only flattening to [batch, features], as x.view(x.size(0), -1) or nn.Flatten() do",
		symsString(in), target)
}

// reshapeData handles a Reshape of the activations, which must produce
// [batch, features].
func (p *importer) reshapeData(v *value, t []sym, allowZero bool) error {
	if err := p.checkCurrent(v); err != nil {
		return err
	}
	s := v.shape
	target := symsString(t)
	if len(t) != 2 {
		return p.flatFail(s, target)
	}
	f := features(s)
	// Resolve each target entry to the batch (isBatch), a size, or -1.
	resolve := func(k int) (isBatch bool, size int64, ok bool) {
		e := t[k]
		switch {
		case e.batch:
			return true, 0, true
		case !e.known:
			return false, 0, false
		case e.v == 0 && !allowZero:
			if k >= len(s) {
				return false, 0, false
			}
			if s[k].batch {
				return true, 0, true
			}
			if s[k].known {
				return false, s[k].v, true
			}
			return false, 0, false
		case e.v == 0:
			return false, 0, false
		case e.v < -1:
			return false, 0, false
		}
		return false, e.v, true
	}
	b0, n0, ok0 := resolve(0)
	b1, n1, ok1 := resolve(1)
	if !ok0 || !ok1 || b1 {
		return p.flatFail(s, target)
	}
	switch {
	case b0:
	case n0 == -1:
		if n1 <= 0 {
			return p.flatFail(s, target)
		}
	case s[0].known && n0 == s[0].v:
		// A file exported with a fixed batch size.
	default:
		return p.flatFail(s, target)
	}
	if n1 > 0 {
		if f > 0 && n1 != f {
			return p.flatFail(s, target)
		}
		if f == 0 && len(p.layers) == 0 {
			if err := p.resolveInput(n1); err != nil {
				return err
			}
		}
		f = n1
	}
	feat := sym{}
	if f > 0 {
		feat = sym{v: f, known: true}
	}
	return p.dataOut([]sym{s[0], feat})
}

// resolveInput fixes the input size when the graph input's shape has
// symbolic dimensions, checking it against the known ones.
func (p *importer) resolveInput(n int64) error {
	known := int64(1)
	for _, d := range p.inputShape[1:] {
		if d.known {
			known *= d.v
		}
	}
	if n <= 0 || n%known != 0 || n > maxTensorElems {
		return p.nodeFail(ErrInvalid, "needs %d input features, which does not fit graph input %q of shape %s", n, p.inputName, symsString(p.inputShape))
	}
	p.inputSize = int(n)
	return nil
}

func (p *importer) opFlatten() error {
	v, err := p.need(0)
	if err != nil {
		return err
	}
	a, err := p.attrInt("axis", 1)
	if err != nil {
		return err
	}
	if !v.isData() {
		r := int64(len(v.dims))
		if a < -r || a > r {
			return p.nodeFail(ErrInvalid, "has axis %d out of range for rank %d", a, r)
		}
		if a < 0 {
			a += r
		}
		d0, err0 := elemCount(v.dims[:a], maxTensorElems)
		d1, err1 := elemCount(v.dims[a:], maxTensorElems)
		if err := errors.Join(err0, err1); err != nil {
			return p.nodeFail(ErrUnsupported, "%v", err)
		}
		return p.define(v.reshaped([]int64{int64(d0), int64(d1)}, ""))
	}
	if err := p.checkCurrent(v); err != nil {
		return err
	}
	r := int64(len(v.shape))
	if a != 1 && a+r != 1 {
		return p.nodeFail(ErrUnsupported, "has axis %d on activations of shape %s; only axis 1 (flatten to [batch, features]) is supported",
			a, symsString(v.shape))
	}
	feat := sym{}
	if f := features(v.shape); f > 0 {
		feat = sym{v: f, known: true}
	}
	return p.dataOut([]sym{v.shape[0], feat})
}
