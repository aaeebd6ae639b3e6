package onnx

import (
	"encoding/binary"
	"fmt"
	"math"

	pb "github.com/advancedclimatesystems/gonnx/onnx"
)

// decodeTensor converts a dense tensor to a constant. Its errors are
// *Error values whose text starts with what.
func decodeTensor(t *pb.TensorProto, what string) (*value, error) {
	bad := func(format string, args ...any) (*value, error) {
		return nil, &Error{Kind: ErrInvalid, Msg: what + ": " + fmt.Sprintf(format, args...)}
	}
	unsupported := func(format string, args ...any) (*value, error) {
		return nil, &Error{Kind: ErrUnsupported, Msg: what + ": " + fmt.Sprintf(format, args...)}
	}
	if t.GetDataLocation() == pb.TensorProto_EXTERNAL || len(t.GetExternalData()) > 0 {
		return unsupported("stores its data in an external file; save the model with the weights embedded (onnx.save_model(m, path, save_as_external_data=False))")
	}
	if t.GetSegment() != nil {
		return unsupported("is a segmented tensor, which is not supported")
	}
	dims := append([]int64{}, t.GetDims()...)
	n, err := elemCount(dims, maxTensorElems)
	if err != nil {
		return bad("%v", err)
	}
	dt := pb.TensorProto_DataType(t.GetDataType())
	raw := t.GetRawData()
	v := &value{dtype: dt, dims: dims, what: what}
	size := 0
	switch dt {
	case pb.TensorProto_FLOAT, pb.TensorProto_INT32, pb.TensorProto_UINT32:
		size = 4
	case pb.TensorProto_DOUBLE, pb.TensorProto_INT64, pb.TensorProto_UINT64:
		size = 8
	case pb.TensorProto_INT16, pb.TensorProto_UINT16:
		size = 2
	case pb.TensorProto_INT8, pb.TensorProto_UINT8, pb.TensorProto_BOOL:
		size = 1
	default:
		return unsupported("has data type %s; zkeval imports float32 or float64 weights and integer shape constants", typeName(dt))
	}
	count := func(have int) (*value, error) {
		return bad("has %d values for shape %s (%d expected)", have, dimsString(dims), n)
	}
	if isFloatType(dt) {
		v.f = make([]float64, 0, min(n, len(raw)/size+len(t.GetFloatData())+len(t.GetDoubleData())))
	} else {
		v.i = make([]sym, 0, min(n, len(raw)/size+len(t.GetInt32Data())+len(t.GetInt64Data())+len(t.GetUint64Data())))
	}
	le := binary.LittleEndian
	addInt := func(x int64) { v.i = append(v.i, sym{v: x, known: true}) }
	if len(raw) > 0 {
		if len(raw) != n*size {
			return count(len(raw) / size)
		}
		for k := 0; k < n; k++ {
			b := raw[k*size : (k+1)*size]
			switch dt {
			case pb.TensorProto_FLOAT:
				v.f = append(v.f, float64(math.Float32frombits(le.Uint32(b))))
			case pb.TensorProto_DOUBLE:
				v.f = append(v.f, math.Float64frombits(le.Uint64(b)))
			case pb.TensorProto_INT64:
				addInt(int64(le.Uint64(b)))
			case pb.TensorProto_UINT64:
				u := le.Uint64(b)
				if u > math.MaxInt64 {
					return unsupported("has value %d beyond the int64 range", u)
				}
				addInt(int64(u))
			case pb.TensorProto_INT32:
				addInt(int64(int32(le.Uint32(b))))
			case pb.TensorProto_UINT32:
				addInt(int64(le.Uint32(b)))
			case pb.TensorProto_INT16:
				addInt(int64(int16(le.Uint16(b))))
			case pb.TensorProto_UINT16:
				addInt(int64(le.Uint16(b)))
			case pb.TensorProto_INT8:
				addInt(int64(int8(b[0])))
			case pb.TensorProto_UINT8:
				addInt(int64(b[0]))
			case pb.TensorProto_BOOL:
				addInt(castInt(int64(b[0]), dt))
			}
		}
		return v, nil
	}
	switch dt {
	case pb.TensorProto_FLOAT:
		if len(t.GetFloatData()) != n {
			return count(len(t.GetFloatData()))
		}
		for _, x := range t.GetFloatData() {
			v.f = append(v.f, float64(x))
		}
	case pb.TensorProto_DOUBLE:
		if len(t.GetDoubleData()) != n {
			return count(len(t.GetDoubleData()))
		}
		v.f = append(v.f, t.GetDoubleData()...)
	case pb.TensorProto_INT64:
		if len(t.GetInt64Data()) != n {
			return count(len(t.GetInt64Data()))
		}
		for _, x := range t.GetInt64Data() {
			addInt(x)
		}
	case pb.TensorProto_UINT32, pb.TensorProto_UINT64:
		if len(t.GetUint64Data()) != n {
			return count(len(t.GetUint64Data()))
		}
		for _, u := range t.GetUint64Data() {
			if u > math.MaxInt64 {
				return unsupported("has value %d beyond the int64 range", u)
			}
			addInt(castInt(int64(u), dt))
		}
	default: // int32 and narrower types are stored in int32_data
		if len(t.GetInt32Data()) != n {
			return count(len(t.GetInt32Data()))
		}
		for _, x := range t.GetInt32Data() {
			addInt(castInt(int64(x), dt))
		}
	}
	return v, nil
}

// castInt converts x to integer type t with C wrap-around semantics.
func castInt(x int64, t pb.TensorProto_DataType) int64 {
	switch t {
	case pb.TensorProto_INT8:
		return int64(int8(x))
	case pb.TensorProto_UINT8:
		return int64(uint8(x))
	case pb.TensorProto_INT16:
		return int64(int16(x))
	case pb.TensorProto_UINT16:
		return int64(uint16(x))
	case pb.TensorProto_INT32:
		return int64(int32(x))
	case pb.TensorProto_UINT32:
		return int64(uint32(x))
	case pb.TensorProto_BOOL:
		if x != 0 {
			return 1
		}
		return 0
	}
	return x
}
