package onnx

import (
	"fmt"
	"math"
	"strconv"

	pb "github.com/advancedclimatesystems/gonnx/onnx"

	"github.com/zkeval/zkeval/model"
)

// This file holds the shape operators and the folding of constant
// computations: what torch.onnx.export writes for x.view(x.size(0), -1),
// and arithmetic on constants.

func (p *importer) opConstant() error {
	var v *value
	attrs := p.node.GetAttribute()
	if len(attrs) != 1 {
		return p.nodeFail(ErrInvalid, "has %d attributes; a Constant has exactly one", len(attrs))
	}
	a := attrs[0]
	what := fmt.Sprintf("Constant %s", p.nodeLabel())
	switch a.GetName() {
	case "value":
		t := a.GetT()
		if t == nil {
			return p.nodeFail(ErrInvalid, "has no tensor in its value attribute")
		}
		var err error
		if v, err = decodeTensor(t, "its value"); err != nil {
			return p.nodeFail(kindOf(err), "has %v", err)
		}
	case "value_float":
		v = &value{dtype: pb.TensorProto_FLOAT, dims: []int64{}, f: []float64{float64(a.GetF())}}
	case "value_floats":
		fs := a.GetFloats()
		v = &value{dtype: pb.TensorProto_FLOAT, dims: []int64{int64(len(fs))}, f: make([]float64, len(fs))}
		for k, x := range fs {
			v.f[k] = float64(x)
		}
	case "value_int":
		v = &value{dtype: pb.TensorProto_INT64, dims: []int64{}, i: []sym{{v: a.GetI(), known: true}}}
	case "value_ints":
		is := a.GetInts()
		v = &value{dtype: pb.TensorProto_INT64, dims: []int64{int64(len(is))}, i: make([]sym, len(is))}
		for k, x := range is {
			v.i[k] = sym{v: x, known: true}
		}
	default:
		return p.nodeFail(ErrUnsupported, "has attribute %s; only dense numeric constants (value, value_float(s), value_int(s)) are supported", a.GetName())
	}
	v.what = what
	return p.define(v)
}

func (p *importer) opShape() error {
	v, err := p.need(0)
	if err != nil {
		return err
	}
	var dims []sym
	if v.isData() {
		dims = v.shape
	} else {
		dims = make([]sym, len(v.dims))
		for k, d := range v.dims {
			dims[k] = sym{v: d, known: true}
		}
	}
	r := int64(len(dims))
	start, err := p.attrInt("start", 0)
	if err != nil {
		return err
	}
	end, err := p.attrInt("end", r)
	if err != nil {
		return err
	}
	clamp := func(x int64) int64 {
		if x < 0 {
			x += r
		}
		return max(0, min(x, r))
	}
	start, end = clamp(start), clamp(end)
	if end < start {
		end = start
	}
	out := append([]sym(nil), dims[start:end]...)
	return p.define(&value{dtype: pb.TensorProto_INT64, dims: []int64{int64(len(out))}, i: out})
}

func (p *importer) opGather() error {
	d, err := p.need(0)
	if err != nil {
		return err
	}
	if d.isData() {
		return p.nodeFail(ErrUnsupported, "gathers from the activations; Gather is supported only on constant shape values")
	}
	idx, err := p.constIn(1, "indices")
	if err != nil {
		return err
	}
	if idx.isFloat() {
		return p.nodeFail(ErrInvalid, "has float indices %s", idx.what)
	}
	if len(d.dims) == 0 {
		return p.nodeFail(ErrInvalid, "gathers from a scalar")
	}
	a, err := p.attrInt("axis", 0)
	if err != nil {
		return err
	}
	axis, err := p.normAxis(a, len(d.dims))
	if err != nil {
		return err
	}
	dims := append(append(append([]int64{}, d.dims[:axis]...), idx.dims...), d.dims[axis+1:]...)
	total, err := elemCount(dims, maxDerived)
	if err != nil {
		return p.nodeFail(ErrUnsupported, "%v", err)
	}
	if err := p.alloc(total); err != nil {
		return err
	}
	outer, inner := 1, 1
	for _, x := range d.dims[:axis] {
		outer *= int(x)
	}
	for _, x := range d.dims[axis+1:] {
		inner *= int(x)
	}
	size := d.dims[axis]
	list := make([]int, len(idx.i))
	for k, s := range idx.i {
		if !s.known || s.batch {
			return p.nodeFail(ErrUnsupported, "has indices that depend on the batch size")
		}
		j := s.v
		if j < 0 {
			j += size
		}
		if j < 0 || j >= size {
			return p.nodeFail(ErrInvalid, "has index %d out of range for axis %d of size %d", s.v, axis, size)
		}
		list[k] = int(j)
	}
	var pos []int
	for o := 0; o < outer && len(list) > 0 && inner > 0; o++ {
		for _, j := range list {
			base := (o*int(size) + j) * inner
			for in := 0; in < inner; in++ {
				pos = append(pos, base+in)
			}
		}
	}
	return p.define(d.pick(pos, dims, ""))
}

func (p *importer) opSqueeze(unsqueeze bool) error {
	v, err := p.need(0)
	if err != nil {
		return err
	}
	op := "Squeeze"
	if unsqueeze {
		op = "Unsqueeze"
	}
	if v.isData() {
		return p.nodeFail(ErrUnsupported, "changes the rank of the activations; %s is supported only on constant shape values (flatten activations with Flatten or Reshape to [batch, features])", op)
	}
	axes, ok, err := p.axesOf()
	if err != nil {
		return err
	}
	if unsqueeze {
		if !ok {
			return p.nodeFail(ErrInvalid, "has no axes")
		}
		rank := len(v.dims) + len(axes)
		if rank > maxRank {
			return p.nodeFail(ErrUnsupported, "would create rank %d, above the supported %d", rank, maxRank)
		}
		ins := make([]bool, rank)
		for _, a := range axes {
			k, err := p.normAxis(a, rank)
			if err != nil {
				return err
			}
			if ins[k] {
				return p.nodeFail(ErrInvalid, "repeats axis %d", a)
			}
			ins[k] = true
		}
		dims := make([]int64, 0, rank)
		src := 0
		for k := 0; k < rank; k++ {
			if ins[k] {
				dims = append(dims, 1)
			} else {
				dims = append(dims, v.dims[src])
				src++
			}
		}
		return p.define(v.reshaped(dims, ""))
	}
	drop := make([]bool, len(v.dims))
	if ok {
		for _, a := range axes {
			k, err := p.normAxis(a, len(v.dims))
			if err != nil {
				return err
			}
			if v.dims[k] != 1 {
				return p.nodeFail(ErrInvalid, "squeezes axis %d of size %d", a, v.dims[k])
			}
			drop[k] = true
		}
	} else {
		for k, d := range v.dims {
			drop[k] = d == 1
		}
	}
	dims := []int64{}
	for k, d := range v.dims {
		if !drop[k] {
			dims = append(dims, d)
		}
	}
	return p.define(v.reshaped(dims, ""))
}

func (p *importer) opConcat() error {
	ins := p.node.GetInput()
	if len(ins) == 0 {
		return p.nodeFail(ErrInvalid, "has no inputs")
	}
	a, err := p.attrInt("axis", math.MinInt64)
	if err != nil {
		return err
	}
	if a == math.MinInt64 {
		return p.nodeFail(ErrInvalid, "has no axis attribute")
	}
	vs := make([]*value, 0, len(ins))
	for k := range ins {
		v, err := p.constIn(k, "input "+strconv.Itoa(k))
		if err != nil {
			return err
		}
		if v == nil {
			continue
		}
		vs = append(vs, v)
	}
	if len(vs) == 0 {
		return p.nodeFail(ErrInvalid, "has no inputs")
	}
	first := vs[0]
	rank := len(first.dims)
	if rank == 0 {
		return p.nodeFail(ErrInvalid, "concatenates scalars")
	}
	axis, err := p.normAxis(a, rank)
	if err != nil {
		return err
	}
	dims := append([]int64{}, first.dims...)
	dims[axis] = 0
	for _, v := range vs {
		if len(v.dims) != rank || v.isFloat() != first.isFloat() {
			return p.nodeFail(ErrInvalid, "concatenates %s (%s %s) with %s (%s %s)", first.what, typeName(first.dtype),
				dimsString(first.dims), v.what, typeName(v.dtype), dimsString(v.dims))
		}
		for k := range v.dims {
			if k != axis && v.dims[k] != first.dims[k] {
				return p.nodeFail(ErrInvalid, "concatenates shapes %s and %s along axis %d", dimsString(first.dims), dimsString(v.dims), axis)
			}
		}
		dims[axis] += v.dims[axis]
	}
	total, err := elemCount(dims, maxDerived)
	if err != nil {
		return p.nodeFail(ErrUnsupported, "%v", err)
	}
	if err := p.alloc(total); err != nil {
		return err
	}
	outer := 1
	for _, x := range dims[:axis] {
		outer *= int(x)
	}
	out := &value{dtype: first.dtype, dims: dims}
	if first.isFloat() {
		out.f = make([]float64, 0, total)
	} else {
		out.i = make([]sym, 0, total)
	}
	for o := 0; o < outer; o++ {
		for _, v := range vs {
			block := v.count() / max(outer, 1)
			if first.isFloat() {
				out.f = append(out.f, v.f[o*block:(o+1)*block]...)
			} else {
				out.i = append(out.i, v.i[o*block:(o+1)*block]...)
			}
		}
	}
	return p.define(out)
}

func (p *importer) opCast() error {
	v, err := p.need(0)
	if err != nil {
		return err
	}
	to, err := p.attrInt("to", 0)
	if err != nil {
		return err
	}
	t := pb.TensorProto_DataType(to)
	switch v.kind {
	case kLabel, kTail:
		return p.define(v) // a classifier's outputs keep their meaning
	case kData:
		if !isFloatType(t) && t != pb.TensorProto_FLOAT16 && t != pb.TensorProto_BFLOAT16 {
			return p.nodeFail(ErrUnsupported, "casts the activations to %s; only casts to a float type (which zkeval's float64 import makes moot) are supported on them", typeName(t))
		}
		if err := p.checkCurrent(v); err != nil {
			return err
		}
		p.note(model.ActionDropped, "", "casts the activations to "+typeName(t)+": zkeval reads the model in float64 and quantizes it itself")
		return p.define(v)
	}
	if err := p.alloc(v.count()); err != nil {
		return err
	}
	out := &value{dtype: t, dims: v.dims}
	switch {
	case isFloatType(t):
		if v.isFloat() {
			out.f = v.f
			if t == pb.TensorProto_FLOAT {
				out.f = make([]float64, len(v.f))
				for k, x := range v.f {
					out.f[k] = float64(float32(x))
				}
			}
			break
		}
		out.f = make([]float64, len(v.i))
		for k, s := range v.i {
			if !s.known || s.batch {
				return p.nodeFail(ErrUnsupported, "casts the batch-dependent shape value %s to %s; only integer casts of shape values are supported", symsString(v.i), typeName(t))
			}
			out.f[k] = float64(s.v)
		}
	case isIntType(t):
		if !v.isFloat() {
			out.i = make([]sym, len(v.i))
			for k, s := range v.i {
				if s.known && !s.batch {
					s.v = castInt(s.v, t)
				}
				out.i[k] = s
			}
			break
		}
		out.i = make([]sym, len(v.f))
		for k, x := range v.f {
			if math.IsNaN(x) || x >= 9.3e18 || x <= -9.3e18 {
				return p.nodeFail(ErrUnsupported, "casts %v to %s", x, typeName(t))
			}
			out.i[k] = sym{v: castInt(int64(x), t), known: true}
		}
	default:
		return p.nodeFail(ErrUnsupported, "casts to %s; only float32, float64 and integer types are supported", typeName(t))
	}
	return p.define(out)
}

// constArith folds an elementwise Add, Sub, Mul or Div (numpy broadcasting)
// or a 2-D MatMul of two constants.
func (p *importer) constArith(op string, x, y *value) error {
	if x.isFloat() != y.isFloat() {
		return p.nodeFail(ErrInvalid, "mixes %s %s and %s %s", typeName(x.dtype), x.what, typeName(y.dtype), y.what)
	}
	if op == "MatMul" {
		return p.nodeFail(ErrUnsupported, "multiplies two constants; fold them before export")
	}
	r := max(len(x.dims), len(y.dims))
	dims := make([]int64, r)
	for k := 0; k < r; k++ {
		dx, dy := dimFromEnd(x.dims, r-1-k), dimFromEnd(y.dims, r-1-k)
		switch {
		case dx == dy || dy == 1:
			dims[k] = dx
		case dx == 1:
			dims[k] = dy
		default:
			return p.nodeFail(ErrInvalid, "cannot broadcast shapes %s and %s", dimsString(x.dims), dimsString(y.dims))
		}
	}
	n, err := elemCount(dims, maxDerived)
	if err != nil {
		return p.nodeFail(ErrUnsupported, "%v", err)
	}
	if err := p.alloc(n); err != nil {
		return err
	}
	ix, iy := broadcastIndex(x.dims, dims, n), broadcastIndex(y.dims, dims, n)
	out := &value{dtype: x.dtype, dims: dims}
	if x.isFloat() {
		out.f = make([]float64, n)
		for k := range out.f {
			a, b := x.f[ix[k]], y.f[iy[k]]
			switch op {
			case "Add":
				out.f[k] = a + b
			case "Sub":
				out.f[k] = a - b
			case "Mul":
				out.f[k] = a * b
			case "Div":
				out.f[k] = a / b
			}
		}
		return p.define(out)
	}
	out.i = make([]sym, n)
	for k := range out.i {
		a, b := x.i[ix[k]], y.i[iy[k]]
		if !a.known || a.batch || !b.known || b.batch {
			out.i[k] = sym{} // depends on the batch size: unknown
			continue
		}
		var v int64
		switch op {
		case "Add":
			v = a.v + b.v
		case "Sub":
			v = a.v - b.v
		case "Mul":
			v = a.v * b.v
		case "Div":
			if b.v == 0 {
				return p.nodeFail(ErrInvalid, "divides by zero")
			}
			v = a.v / b.v
		}
		out.i[k] = sym{v: v, known: true}
	}
	return p.define(out)
}
