package onnx

import (
	"fmt"
	"strconv"
	"strings"

	pb "github.com/advancedclimatesystems/gonnx/onnx"
)

// Limits that keep hostile files from exhausting memory or time. Decoded
// tensors are bounded by the file size; maxDerived bounds the elements that
// constant folding may create in all, maxRank the rank of any tensor.
const (
	maxTensorElems = 1 << 31
	maxDerived     = 1 << 22
	maxRank        = 32
)

// sym is one integer of a constant computation, or one dimension of the
// activations. Shape values may depend on the batch size, which is unknown
// at import time: such entries are symbolic.
type sym struct {
	v     int64
	known bool // v is the value
	batch bool // the value is the batch size (v is set too when the file fixes it)
}

func (s sym) String() string {
	switch {
	case s.batch:
		return "batch"
	case s.known:
		return strconv.FormatInt(s.v, 10)
	default:
		return "?"
	}
}

func symsString(ss []sym) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = s.String()
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func dimsString(d []int64) string {
	parts := make([]string, len(d))
	for i, v := range d {
		parts[i] = strconv.FormatInt(v, 10)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// kind says what a name in the graph holds during import.
type kind uint8

const (
	kConst kind = iota // a constant tensor
	kData              // the activations (the data path)
	kBad               // computed from an unsupported node: not looked at further
	kLabel             // the label output of an ONNX-ML classifier
	kTail              // derived from final scores, for outputs other than the prediction
)

// value is what a name in the graph holds during import.
type value struct {
	kind kind
	// Activations: their shape (entry 0 is the batch) and the step of the
	// data path that produced them. head, when set, labels the final node
	// (a Softmax, say) that was applied to them: nothing but outputs may
	// follow it. headOp is that node's op type.
	shape  []sym
	step   int
	head   string
	headOp string

	// Constants: type, dims, and elements in f (float types) or i (integer
	// and bool types).
	dtype pb.TensorProto_DataType
	dims  []int64
	f     []float64
	i     []sym
	// what names the constant in error messages.
	what string
}

func (v *value) isData() bool  { return v.kind == kData }
func (v *value) isConst() bool { return v.kind == kConst }

func (v *value) isFloat() bool { return v.f != nil || isFloatType(v.dtype) }

func (v *value) count() int {
	if v.isFloat() {
		return len(v.f)
	}
	return len(v.i)
}

// pick returns a constant made of the elements of v at idx, with dims.
func (v *value) pick(idx []int, dims []int64, what string) *value {
	out := &value{dtype: v.dtype, dims: dims, what: what}
	if v.isFloat() {
		out.f = make([]float64, len(idx))
		for k, j := range idx {
			out.f[k] = v.f[j]
		}
	} else {
		out.i = make([]sym, len(idx))
		for k, j := range idx {
			out.i[k] = v.i[j]
		}
	}
	return out
}

// reshaped returns v with new dims and the same elements.
func (v *value) reshaped(dims []int64, what string) *value {
	return &value{dtype: v.dtype, dims: dims, f: v.f, i: v.i, what: what}
}

func isFloatType(t pb.TensorProto_DataType) bool {
	return t == pb.TensorProto_FLOAT || t == pb.TensorProto_DOUBLE
}

func isIntType(t pb.TensorProto_DataType) bool {
	switch t {
	case pb.TensorProto_INT8, pb.TensorProto_UINT8, pb.TensorProto_INT16, pb.TensorProto_UINT16,
		pb.TensorProto_INT32, pb.TensorProto_UINT32, pb.TensorProto_INT64, pb.TensorProto_UINT64,
		pb.TensorProto_BOOL:
		return true
	}
	return false
}

func typeName(t pb.TensorProto_DataType) string {
	if name, ok := pb.TensorProto_DataType_name[int32(t)]; ok {
		return name
	}
	return "type " + strconv.Itoa(int(t))
}

// elemCount returns the product of dims, or an error for a negative
// dimension or a product above limit.
func elemCount(dims []int64, limit int64) (int, error) {
	if len(dims) > maxRank {
		return 0, fmt.Errorf("rank %d is above the supported %d", len(dims), maxRank)
	}
	n := int64(1)
	for _, d := range dims {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension in shape %s", dimsString(dims))
		}
		if d != 0 && n > limit/d {
			return 0, fmt.Errorf("shape %s has more than %d elements", dimsString(dims), limit)
		}
		n *= d
	}
	if n > limit {
		return 0, fmt.Errorf("shape %s has more than %d elements", dimsString(dims), limit)
	}
	return int(n), nil
}

// features returns the per-sample size of activations of shape s: the
// product of s[1:], or 0 when a dimension is unknown.
func features(s []sym) int64 {
	n := int64(1)
	for _, d := range s[1:] {
		if !d.known || d.batch {
			return 0
		}
		if d.v != 0 && n > maxTensorElems/d.v {
			return 0
		}
		n *= d.v
	}
	return n
}

// dimFromEnd returns dims[len-1-k], or 1 past the front.
func dimFromEnd(dims []int64, k int) int64 {
	j := len(dims) - 1 - k
	if j < 0 {
		return 1
	}
	return dims[j]
}

// broadcastIndex maps each of the n elements of shape out to the element of
// shape in (numpy-broadcast to out) it reads.
func broadcastIndex(in, out []int64, n int) []int {
	idx := make([]int, n)
	r := len(out)
	off := r - len(in)
	for k := 0; k < n; k++ {
		rem, src, stride := k, 0, 1
		for a := r - 1; a >= 0; a-- {
			d := out[a]
			c := int64(0)
			if d > 0 {
				c = int64(rem) % d
				rem = int(int64(rem) / d)
			}
			if a >= off {
				di := in[a-off]
				if di != 1 {
					src += int(c) * stride
				}
				stride *= int(di)
			}
		}
		idx[k] = src
	}
	return idx
}
