package model

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"
)

// Errors returned by ImportONNX and ParseONNX wrap one of these sentinels
// (test with errors.Is). The error text itself always starts with the file
// name and, where a node is at fault, names the node and its op type.
var (
	// ErrInvalidONNX marks input that is not a well-formed ONNX model:
	// bytes that do not decode as an ONNX ModelProto (the protobuf error is
	// wrapped too), a missing graph or opset, tensors whose data does not
	// match their shape, references to undefined values, or layers whose
	// dimensions do not chain.
	ErrInvalidONNX = errors.New("not a valid ONNX model")
	// ErrUnsupportedONNX marks a valid ONNX model that is outside the
	// supported subset described on ParseONNX.
	ErrUnsupportedONNX = errors.New("unsupported ONNX model")
)

// onnxSupportedOps is quoted in errors about unsupported operators.
const onnxSupportedOps = "zkeval imports feed-forward MLPs made of Gemm, MatMul+Add, Relu, Flatten, Identity " +
	"and constant shape ops (Constant, Shape, Gather, Unsqueeze, Squeeze, Concat, Cast, Reshape)"

// Limits that keep hostile files from exhausting memory or time. Decoded
// tensors are bounded by the file size; onnxMaxDerived bounds the elements
// that constant folding may create in all, onnxMaxRank the rank of any tensor.
const (
	onnxMaxTensorElems = 1 << 31
	onnxMaxDerived     = 1 << 22
	onnxMaxRank        = 32
)

// ImportONNX reads the ONNX file at path and converts it with ParseONNX,
// using the file's base name in error messages. Errors reading the file are
// wrapped as they come from the os package (errors.Is works with os errors).
func ImportONNX(path string) (*FloatModel, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("model: reading ONNX file: %w", err)
	}
	return ParseONNX(data, filepath.Base(path))
}

// ParseONNX converts a serialized ONNX model (protobuf ModelProto) into a
// FloatModel. source names the model in error messages (usually the file
// name).
//
// The supported subset is what torch.onnx.export produces for feed-forward
// MLPs at opsets 9 through 17 (later default-domain opsets are accepted too:
// for float and integer tensors the operators below keep their meaning):
//
//   - exactly one graph input that is not an initializer, a float tensor of
//     shape [batch, d1, ..., dk]; InputSize is d1·...·dk. Symbolic dimensions
//     after the batch one are inferred from the first layer's weight shape;
//   - Gemm with transA=0, transB 0 or 1, any alpha and beta and an optional C
//     broadcastable to [out]. Per the ONNX operator spec
//     (https://onnx.ai/onnx/operators/onnx__Gemm.html) Gemm computes
//     Y = alpha·A·B' + beta·C with B' = B (transB=0, B of shape [in][out]) or
//     B' = Bᵀ (transB=1, B of shape [out][in], how torch exports nn.Linear);
//     the layer gets W[o][i] = alpha·B'[i][o] and B[o] = beta·C[o];
//   - MatMul of the activations [batch, in] by a constant [in][out] matrix
//     (https://onnx.ai/onnx/operators/onnx__MatMul.html), so W = matrixᵀ;
//     a MatMul alone is a layer without bias, as torch exports
//     nn.Linear(bias=False);
//   - Add of a constant of shape [out], [1][out] or a scalar, in either
//     operand order, right after a Gemm or MatMul: it is added to that
//     layer's B (https://onnx.ai/onnx/operators/onnx__Add.html);
//   - Relu after a dense layer (it sets that layer's ReLU flag, also after
//     the last layer);
//   - Flatten with axis 1, Reshape to [batch, features], Identity;
//   - constant computations, folded at import: Constant, Shape, Gather,
//     Unsqueeze, Squeeze, Concat, Cast, Reshape, Flatten, Relu and
//     Add/Sub/Mul/Div on constants, as produced by x.view(x.size(0), -1).
//
// Weights and biases must be initializers or Constant nodes of type float32
// (raw_data or float_data) or float64, and finite. The result has Layers in
// graph order with W of shape [out][in] and B of shape [out] (zeros when the
// layer has no bias), Name set from the graph name, each layer's Name from its
// Gemm or MatMul node (or "<op>_<index>" when the node has no name), and Opset
// from the default-domain ("" or "ai.onnx") opset_import entry.
//
// Errors wrap ErrInvalidONNX or ErrUnsupportedONNX. They name source and,
// when a node is at fault, the node's name and op type and what is supported;
// dimension mismatches name both layers and their shapes. Among the cases
// reported: bytes that are not an ONNX model, an empty graph or one without
// a dense layer, more than one graph input or output, unsupported operators
// or attributes (for example Gemm with transA=1), activations that branch,
// a Reshape that does not produce [batch, features], unsupported tensor data
// types (for example int8 weights), external tensor data and non-finite
// weights. ParseONNX never panics, whatever the input.
func ParseONNX(data []byte, source string) (*FloatModel, error) {
	mp := &onnx.ModelProto{}
	if err := proto.Unmarshal(data, mp); err != nil {
		return nil, &onnxError{kind: ErrInvalidONNX, msg: source + ": not a valid ONNX model", cause: err,
			hint: "the file is truncated, damaged or not ONNX: export the model again with torch.onnx.export"}
	}
	p := &onnxImporter{src: source}
	return p.run(mp)
}

// onnxError carries an import error: its text, its class (ErrInvalidONNX or
// ErrUnsupportedONNX) and an optional cause.
type onnxError struct {
	kind  error
	msg   string
	cause error
	hint  string // what to do, appended after the cause
}

func (e *onnxError) Error() string {
	s := e.msg
	if e.cause != nil {
		s += ": " + e.cause.Error()
	}
	if e.hint != "" {
		s += "; " + e.hint
	}
	return s
}

func (e *onnxError) Unwrap() []error {
	if e.cause != nil {
		return []error{e.kind, e.cause}
	}
	return []error{e.kind}
}

// onnxSym is one integer of a constant computation, or one dimension of the
// activations. Shape values may depend on the batch size, which is unknown at
// import time: such entries are symbolic.
type onnxSym struct {
	v     int64
	known bool // v is the value
	batch bool // the value is the batch size (v is set too when the file fixes it)
}

func (s onnxSym) String() string {
	switch {
	case s.batch:
		return "batch"
	case s.known:
		return strconv.FormatInt(s.v, 10)
	default:
		return "?"
	}
}

func onnxSyms(ss []onnxSym) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = s.String()
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func onnxDims(d []int64) string {
	parts := make([]string, len(d))
	for i, v := range d {
		parts[i] = strconv.FormatInt(v, 10)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// onnxValue is what a name in the graph holds during import: either the
// activations (data) or a constant tensor.
type onnxValue struct {
	data bool
	// Activations: their shape (entry 0 is the batch) and the step of the
	// data path that produced them.
	shape []onnxSym
	step  int

	// Constants: type, dims, and elements in f (float types) or i (integer
	// and bool types).
	dtype onnx.TensorProto_DataType
	dims  []int64
	f     []float64
	i     []onnxSym
	// what names the constant in error messages.
	what string
}

func (v *onnxValue) isFloat() bool { return v.f != nil || onnxIsFloat(v.dtype) }

func (v *onnxValue) count() int {
	if v.isFloat() {
		return len(v.f)
	}
	return len(v.i)
}

// pick returns a constant made of the elements of v at idx, with dims.
func (v *onnxValue) pick(idx []int, dims []int64, what string) *onnxValue {
	out := &onnxValue{dtype: v.dtype, dims: dims, what: what}
	if v.isFloat() {
		out.f = make([]float64, len(idx))
		for k, j := range idx {
			out.f[k] = v.f[j]
		}
	} else {
		out.i = make([]onnxSym, len(idx))
		for k, j := range idx {
			out.i[k] = v.i[j]
		}
	}
	return out
}

// reshaped returns v with new dims and the same elements.
func (v *onnxValue) reshaped(dims []int64, what string) *onnxValue {
	return &onnxValue{dtype: v.dtype, dims: dims, f: v.f, i: v.i, what: what}
}

func onnxIsFloat(t onnx.TensorProto_DataType) bool {
	return t == onnx.TensorProto_FLOAT || t == onnx.TensorProto_DOUBLE
}

func onnxIsInt(t onnx.TensorProto_DataType) bool {
	switch t {
	case onnx.TensorProto_INT8, onnx.TensorProto_UINT8, onnx.TensorProto_INT16, onnx.TensorProto_UINT16,
		onnx.TensorProto_INT32, onnx.TensorProto_UINT32, onnx.TensorProto_INT64, onnx.TensorProto_UINT64,
		onnx.TensorProto_BOOL:
		return true
	}
	return false
}

func onnxTypeName(t onnx.TensorProto_DataType) string {
	if name, ok := onnx.TensorProto_DataType_name[int32(t)]; ok {
		return name
	}
	return "type " + strconv.Itoa(int(t))
}

// onnxElemCount returns the product of dims, or an error for a negative
// dimension or a product above limit.
func onnxElemCount(dims []int64, limit int64) (int, error) {
	if len(dims) > onnxMaxRank {
		return 0, fmt.Errorf("rank %d is above the supported %d", len(dims), onnxMaxRank)
	}
	n := int64(1)
	for _, d := range dims {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension in shape %s", onnxDims(dims))
		}
		if d != 0 && n > limit/d {
			return 0, fmt.Errorf("shape %s has more than %d elements", onnxDims(dims), limit)
		}
		n *= d
	}
	if n > limit {
		return 0, fmt.Errorf("shape %s has more than %d elements", onnxDims(dims), limit)
	}
	return int(n), nil
}

// onnxImporter holds the state of one ParseONNX call.
type onnxImporter struct {
	src   string
	opset int64
	vals  map[string]*onnxValue
	inits map[string]*onnx.TensorProto

	// The node being converted, for error messages.
	node    *onnx.NodeProto
	nodeIdx int
	// derived counts the constant elements created by folding.
	derived int

	// The data path.
	inputName  string
	inputShape []onnxSym
	inputSize  int // 0 while unknown
	step       int
	layers     []FloatLayer
}

func (p *onnxImporter) fail(kind error, format string, args ...any) error {
	return &onnxError{kind: kind, msg: p.src + ": " + fmt.Sprintf(format, args...)}
}

func (p *onnxImporter) nodeLabel() string {
	n := p.node
	if n.GetName() != "" {
		return fmt.Sprintf("node %q (op %s)", n.GetName(), n.GetOpType())
	}
	return fmt.Sprintf("node #%d (op %s)", p.nodeIdx, n.GetOpType())
}

// nodeFail returns an error about the current node; format continues the
// sentence after the node's label.
func (p *onnxImporter) nodeFail(kind error, format string, args ...any) error {
	return &onnxError{kind: kind, msg: p.src + ": " + p.nodeLabel() + " " + fmt.Sprintf(format, args...)}
}

func (p *onnxImporter) unsupportedOp() error {
	n := p.node
	op := n.GetOpType()
	if d := n.GetDomain(); d != "" && d != "ai.onnx" {
		op = d + "." + op
	}
	hint := ""
	switch n.GetOpType() {
	case "Softmax", "LogSoftmax":
		hint = " (export the logits without the final " + n.GetOpType() + ": accuracy only needs their argmax)"
	case "Sigmoid", "Tanh", "LeakyRelu", "Elu", "Selu", "Gelu", "HardSigmoid", "Softplus", "Clip", "PRelu":
		hint = " (Relu is the only supported activation)"
	case "Dropout":
		hint = " (export the model in eval mode: model.eval())"
	}
	label := fmt.Sprintf("node #%d (op %s)", p.nodeIdx, op)
	if n.GetName() != "" {
		label = fmt.Sprintf("node %q (op %s)", n.GetName(), op)
	}
	return &onnxError{kind: ErrUnsupportedONNX, msg: fmt.Sprintf("%s: %s is not supported%s; %s", p.src, label, hint, onnxSupportedOps)}
}

func (p *onnxImporter) run(mp *onnx.ModelProto) (*FloatModel, error) {
	g := mp.GetGraph()
	if g == nil {
		return nil, p.fail(ErrInvalidONNX, "not a valid ONNX model: it has no graph (is the file empty, or not ONNX?); export the model with torch.onnx.export")
	}
	found := false
	for _, o := range mp.GetOpsetImport() {
		if d := o.GetDomain(); d == "" || d == "ai.onnx" {
			p.opset, found = o.GetVersion(), true
		}
	}
	if !found {
		return nil, p.fail(ErrInvalidONNX, "not a valid ONNX model: it declares no opset for the default domain (opset_import)")
	}
	if p.opset < 9 {
		return nil, p.fail(ErrUnsupportedONNX, "opset %d is not supported; export with opset_version 9 to 17", p.opset)
	}
	if len(g.GetNode()) == 0 {
		return nil, p.fail(ErrInvalidONNX, "the graph %q is empty (no nodes); %s", g.GetName(), onnxSupportedOps)
	}
	if len(g.GetSparseInitializer()) > 0 {
		return nil, p.fail(ErrUnsupportedONNX, "sparse initializers are not supported; store weights as dense initializers")
	}

	p.vals = map[string]*onnxValue{}
	p.inits = map[string]*onnx.TensorProto{}
	for _, t := range g.GetInitializer() {
		if t.GetName() == "" {
			return nil, p.fail(ErrInvalidONNX, "an initializer has no name")
		}
		p.inits[t.GetName()] = t
	}
	if err := p.setInput(g); err != nil {
		return nil, err
	}
	for i, n := range g.GetNode() {
		p.node, p.nodeIdx = n, i
		if err := p.convert(n); err != nil {
			return nil, err
		}
	}
	p.node = nil
	return p.finish(g)
}

// setInput finds the graph's one real input and records its shape.
func (p *onnxImporter) setInput(g *onnx.GraphProto) error {
	var inputs []*onnx.ValueInfoProto
	var names []string
	for _, in := range g.GetInput() {
		if _, ok := p.inits[in.GetName()]; ok {
			continue // an initializer listed as input (older exports)
		}
		inputs = append(inputs, in)
		names = append(names, strconv.Quote(in.GetName()))
	}
	switch len(inputs) {
	case 0:
		return p.fail(ErrInvalidONNX, "the graph has no input (every graph input is an initializer)")
	case 1:
	default:
		return p.fail(ErrUnsupportedONNX, "the graph has %d inputs (%s); zkeval imports models with exactly one input tensor of shape [batch, features...]",
			len(inputs), strings.Join(names, ", "))
	}
	in := inputs[0]
	p.inputName = in.GetName()
	if p.inputName == "" {
		return p.fail(ErrInvalidONNX, "the graph input has no name")
	}
	tt := in.GetType().GetTensorType()
	if tt == nil {
		return p.fail(ErrUnsupportedONNX, "graph input %q is not a tensor; zkeval needs one float tensor of shape [batch, features...]", p.inputName)
	}
	et := onnx.TensorProto_DataType(tt.GetElemType())
	switch et {
	case onnx.TensorProto_FLOAT, onnx.TensorProto_DOUBLE, onnx.TensorProto_FLOAT16, onnx.TensorProto_BFLOAT16:
	default:
		return p.fail(ErrUnsupportedONNX, "graph input %q has element type %s; zkeval needs a float input", p.inputName, onnxTypeName(et))
	}
	if tt.GetShape() == nil {
		return p.fail(ErrUnsupportedONNX, "graph input %q has no shape; export it with a shape [batch, features...]", p.inputName)
	}
	dims := tt.GetShape().GetDim()
	if len(dims) < 2 || len(dims) > onnxMaxRank {
		return p.fail(ErrUnsupportedONNX, "graph input %q has rank %d; zkeval needs shape [batch, features...] (rank 2 or more)", p.inputName, len(dims))
	}
	shape := make([]onnxSym, len(dims))
	known := int64(1)
	allKnown := true
	for k, d := range dims {
		v := d.GetDimValue()
		switch {
		case k == 0:
			shape[0] = onnxSym{batch: true, known: v > 0, v: v}
			if v <= 0 {
				shape[0].v = 0
			}
		case v > 0:
			if known > onnxMaxTensorElems/v {
				return p.fail(ErrUnsupportedONNX, "graph input %q is too large", p.inputName)
			}
			known *= v
			shape[k] = onnxSym{v: v, known: true}
		case v < 0 || (v == 0 && d.GetDimParam() == "" && d.GetValue() != nil):
			return p.fail(ErrInvalidONNX, "graph input %q has dimension %d of size %d", p.inputName, k, v)
		default:
			allKnown = false
		}
	}
	if allKnown {
		p.inputSize = int(known)
	}
	p.inputShape = shape
	p.vals[p.inputName] = &onnxValue{data: true, shape: shape, step: p.step}
	return nil
}

// get returns the value named name, decoding initializers on first use.
func (p *onnxImporter) get(name string) (*onnxValue, error) {
	if v, ok := p.vals[name]; ok {
		return v, nil
	}
	t, ok := p.inits[name]
	if !ok {
		return nil, p.nodeFail(ErrInvalidONNX, "reads %q, which is not produced by an earlier node, an initializer or the graph input (nodes must be in topological order)", name)
	}
	v, err := onnxDecodeTensor(t, fmt.Sprintf("initializer %q", name))
	if err != nil {
		return nil, p.nodeFail(onnxKindOf(err), "reads %v", err)
	}
	p.vals[name] = v
	return v, nil
}

// in returns input k of the current node, nil when absent or empty.
func (p *onnxImporter) in(k int) (*onnxValue, error) {
	ins := p.node.GetInput()
	if k >= len(ins) || ins[k] == "" {
		return nil, nil
	}
	return p.get(ins[k])
}

// need returns input k, which must be present.
func (p *onnxImporter) need(k int) (*onnxValue, error) {
	v, err := p.in(k)
	if err == nil && v == nil {
		err = p.nodeFail(ErrInvalidONNX, "lacks its input %d", k)
	}
	return v, err
}

// constIn returns input k, which must be a constant.
func (p *onnxImporter) constIn(k int, role string) (*onnxValue, error) {
	v, err := p.need(k)
	if err != nil {
		return nil, err
	}
	if v.data {
		return nil, p.nodeFail(ErrUnsupportedONNX, "computes its %s from the graph input; only constants (initializers, Constant nodes and shape computations) are supported there", role)
	}
	return v, nil
}

// intsIn returns input k as a list of known integers.
func (p *onnxImporter) intsIn(k int, role string) ([]int64, error) {
	v, err := p.constIn(k, role)
	if err != nil {
		return nil, err
	}
	if v.isFloat() {
		return nil, p.nodeFail(ErrInvalidONNX, "has %s %s of type %s; it must be an integer tensor", role, v.what, onnxTypeName(v.dtype))
	}
	if len(v.dims) > 1 {
		return nil, p.nodeFail(ErrInvalidONNX, "has %s %s of shape %s; it must be a scalar or a 1-D tensor", role, v.what, onnxDims(v.dims))
	}
	out := make([]int64, len(v.i))
	for j, s := range v.i {
		if !s.known || s.batch {
			return nil, p.nodeFail(ErrUnsupportedONNX, "has %s %s %s that depends on the batch size; only the batch dimension itself may be symbolic", role, v.what, onnxSyms(v.i))
		}
		out[j] = s.v
	}
	return out, nil
}

func (p *onnxImporter) attr(name string) *onnx.AttributeProto {
	for _, a := range p.node.GetAttribute() {
		if a.GetName() == name {
			return a
		}
	}
	return nil
}

func (p *onnxImporter) attrInt(name string, def int64) (int64, error) {
	a := p.attr(name)
	if a == nil {
		return def, nil
	}
	if a.GetType() != onnx.AttributeProto_INT {
		return 0, p.nodeFail(ErrInvalidONNX, "has attribute %s of type %s; it must be an int", name, a.GetType())
	}
	return a.GetI(), nil
}

func (p *onnxImporter) attrFloat(name string, def float64) (float64, error) {
	a := p.attr(name)
	if a == nil {
		return def, nil
	}
	if a.GetType() != onnx.AttributeProto_FLOAT {
		return 0, p.nodeFail(ErrInvalidONNX, "has attribute %s of type %s; it must be a float", name, a.GetType())
	}
	return float64(a.GetF()), nil
}

// axesOf returns a node's axes, from input 1 (opset 13 and later) or from
// the axes attribute (earlier opsets). ok is false when neither is given.
func (p *onnxImporter) axesOf() (axes []int64, ok bool, err error) {
	if len(p.node.GetInput()) > 1 && p.node.GetInput()[1] != "" {
		axes, err = p.intsIn(1, "axes")
		return axes, err == nil, err
	}
	if a := p.attr("axes"); a != nil {
		if a.GetType() != onnx.AttributeProto_INTS {
			return nil, false, p.nodeFail(ErrInvalidONNX, "has attribute axes of type %s; it must be ints", a.GetType())
		}
		return a.GetInts(), true, nil
	}
	return nil, false, nil
}

// normAxis maps axis into [0, rank), as ONNX allows negative axes.
func (p *onnxImporter) normAxis(axis int64, rank int) (int, error) {
	r := int64(rank)
	if axis < -r || axis >= r {
		return 0, p.nodeFail(ErrInvalidONNX, "has axis %d out of range for rank %d", axis, rank)
	}
	if axis < 0 {
		axis += r
	}
	return int(axis), nil
}

// alloc reserves n elements of folded constants.
func (p *onnxImporter) alloc(n int) error {
	p.derived += n
	if n > onnxMaxDerived || p.derived > onnxMaxDerived {
		return p.nodeFail(ErrUnsupportedONNX, "folds constants of more than %d elements in all; constant computations are meant for shapes", onnxMaxDerived)
	}
	return nil
}

// define stores the node's single output.
func (p *onnxImporter) define(v *onnxValue) error {
	outs := p.node.GetOutput()
	if len(outs) == 0 || outs[0] == "" {
		return p.nodeFail(ErrInvalidONNX, "has no output")
	}
	name := outs[0]
	if _, ok := p.vals[name]; ok {
		return p.nodeFail(ErrInvalidONNX, "redefines %q (every value must be produced once)", name)
	}
	if _, ok := p.inits[name]; ok {
		return p.nodeFail(ErrInvalidONNX, "redefines initializer %q", name)
	}
	if !v.data && v.what == "" {
		v.what = fmt.Sprintf("%q", name)
	}
	p.vals[name] = v
	return nil
}

func (p *onnxImporter) convert(n *onnx.NodeProto) error {
	if d := n.GetDomain(); d != "" && d != "ai.onnx" {
		return p.unsupportedOp()
	}
	switch n.GetOpType() {
	case "Constant":
		return p.opConstant()
	case "Identity":
		v, err := p.need(0)
		if err != nil {
			return err
		}
		if v.data {
			if err := p.checkCurrent(v); err != nil {
				return err
			}
		}
		return p.define(v)
	case "Shape":
		return p.opShape()
	case "Gather":
		return p.opGather()
	case "Unsqueeze", "Squeeze":
		return p.opSqueeze(n.GetOpType() == "Unsqueeze")
	case "Concat":
		return p.opConcat()
	case "Cast":
		return p.opCast()
	case "Reshape":
		return p.opReshape()
	case "Flatten":
		return p.opFlatten()
	case "Gemm":
		return p.opGemm()
	case "MatMul":
		return p.opMatMul()
	case "Add", "Sub", "Mul", "Div":
		return p.opArith(n.GetOpType())
	case "Relu":
		return p.opRelu()
	}
	return p.unsupportedOp()
}

// checkCurrent rejects activations that are not the latest ones: the data
// path must be a single chain.
func (p *onnxImporter) checkCurrent(v *onnxValue) error {
	if v.step != p.step {
		return p.nodeFail(ErrUnsupportedONNX, "reads activations that a later node already transformed; the data path must be a single chain (no branches or skip connections)")
	}
	return nil
}

// dataOut defines the node's output as the next activations.
func (p *onnxImporter) dataOut(shape []onnxSym) error {
	p.step++
	return p.define(&onnxValue{data: true, shape: shape, step: p.step})
}

func (p *onnxImporter) opConstant() error {
	var v *onnxValue
	attrs := p.node.GetAttribute()
	if len(attrs) != 1 {
		return p.nodeFail(ErrInvalidONNX, "has %d attributes; a Constant has exactly one", len(attrs))
	}
	a := attrs[0]
	what := fmt.Sprintf("Constant %s", p.nodeLabel())
	switch a.GetName() {
	case "value":
		t := a.GetT()
		if t == nil {
			return p.nodeFail(ErrInvalidONNX, "has no tensor in its value attribute")
		}
		var err error
		if v, err = onnxDecodeTensor(t, "its value"); err != nil {
			return p.nodeFail(onnxKindOf(err), "has %v", err)
		}
	case "value_float":
		v = &onnxValue{dtype: onnx.TensorProto_FLOAT, dims: []int64{}, f: []float64{float64(a.GetF())}}
	case "value_floats":
		fs := a.GetFloats()
		v = &onnxValue{dtype: onnx.TensorProto_FLOAT, dims: []int64{int64(len(fs))}, f: make([]float64, len(fs))}
		for k, x := range fs {
			v.f[k] = float64(x)
		}
	case "value_int":
		v = &onnxValue{dtype: onnx.TensorProto_INT64, dims: []int64{}, i: []onnxSym{{v: a.GetI(), known: true}}}
	case "value_ints":
		is := a.GetInts()
		v = &onnxValue{dtype: onnx.TensorProto_INT64, dims: []int64{int64(len(is))}, i: make([]onnxSym, len(is))}
		for k, x := range is {
			v.i[k] = onnxSym{v: x, known: true}
		}
	default:
		return p.nodeFail(ErrUnsupportedONNX, "has attribute %s; only dense numeric constants (value, value_float(s), value_int(s)) are supported", a.GetName())
	}
	v.what = what
	return p.define(v)
}

func (p *onnxImporter) opShape() error {
	v, err := p.need(0)
	if err != nil {
		return err
	}
	var dims []onnxSym
	if v.data {
		dims = v.shape
	} else {
		dims = make([]onnxSym, len(v.dims))
		for k, d := range v.dims {
			dims[k] = onnxSym{v: d, known: true}
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
	out := append([]onnxSym(nil), dims[start:end]...)
	return p.define(&onnxValue{dtype: onnx.TensorProto_INT64, dims: []int64{int64(len(out))}, i: out})
}

func (p *onnxImporter) opGather() error {
	d, err := p.need(0)
	if err != nil {
		return err
	}
	if d.data {
		return p.nodeFail(ErrUnsupportedONNX, "gathers from the activations; Gather is supported only on constant shape values")
	}
	idx, err := p.constIn(1, "indices")
	if err != nil {
		return err
	}
	if idx.isFloat() {
		return p.nodeFail(ErrInvalidONNX, "has float indices %s", idx.what)
	}
	if len(d.dims) == 0 {
		return p.nodeFail(ErrInvalidONNX, "gathers from a scalar")
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
	total, err := onnxElemCount(dims, onnxMaxDerived)
	if err != nil {
		return p.nodeFail(ErrUnsupportedONNX, "%v", err)
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
			return p.nodeFail(ErrUnsupportedONNX, "has indices that depend on the batch size")
		}
		j := s.v
		if j < 0 {
			j += size
		}
		if j < 0 || j >= size {
			return p.nodeFail(ErrInvalidONNX, "has index %d out of range for axis %d of size %d", s.v, axis, size)
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

func (p *onnxImporter) opSqueeze(unsqueeze bool) error {
	v, err := p.need(0)
	if err != nil {
		return err
	}
	op := "Squeeze"
	if unsqueeze {
		op = "Unsqueeze"
	}
	if v.data {
		return p.nodeFail(ErrUnsupportedONNX, "changes the rank of the activations; %s is supported only on constant shape values (flatten activations with Flatten or Reshape to [batch, features])", op)
	}
	axes, ok, err := p.axesOf()
	if err != nil {
		return err
	}
	if unsqueeze {
		if !ok {
			return p.nodeFail(ErrInvalidONNX, "has no axes")
		}
		rank := len(v.dims) + len(axes)
		if rank > onnxMaxRank {
			return p.nodeFail(ErrUnsupportedONNX, "would create rank %d, above the supported %d", rank, onnxMaxRank)
		}
		ins := make([]bool, rank)
		for _, a := range axes {
			k, err := p.normAxis(a, rank)
			if err != nil {
				return err
			}
			if ins[k] {
				return p.nodeFail(ErrInvalidONNX, "repeats axis %d", a)
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
				return p.nodeFail(ErrInvalidONNX, "squeezes axis %d of size %d", a, v.dims[k])
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

func (p *onnxImporter) opConcat() error {
	ins := p.node.GetInput()
	if len(ins) == 0 {
		return p.nodeFail(ErrInvalidONNX, "has no inputs")
	}
	a, err := p.attrInt("axis", math.MinInt64)
	if err != nil {
		return err
	}
	if a == math.MinInt64 {
		return p.nodeFail(ErrInvalidONNX, "has no axis attribute")
	}
	vs := make([]*onnxValue, 0, len(ins))
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
		return p.nodeFail(ErrInvalidONNX, "has no inputs")
	}
	first := vs[0]
	rank := len(first.dims)
	if rank == 0 {
		return p.nodeFail(ErrInvalidONNX, "concatenates scalars")
	}
	axis, err := p.normAxis(a, rank)
	if err != nil {
		return err
	}
	dims := append([]int64{}, first.dims...)
	dims[axis] = 0
	for _, v := range vs {
		if len(v.dims) != rank || v.isFloat() != first.isFloat() {
			return p.nodeFail(ErrInvalidONNX, "concatenates %s (%s %s) with %s (%s %s)", first.what, onnxTypeName(first.dtype),
				onnxDims(first.dims), v.what, onnxTypeName(v.dtype), onnxDims(v.dims))
		}
		for k := range v.dims {
			if k != axis && v.dims[k] != first.dims[k] {
				return p.nodeFail(ErrInvalidONNX, "concatenates shapes %s and %s along axis %d", onnxDims(first.dims), onnxDims(v.dims), axis)
			}
		}
		dims[axis] += v.dims[axis]
	}
	total, err := onnxElemCount(dims, onnxMaxDerived)
	if err != nil {
		return p.nodeFail(ErrUnsupportedONNX, "%v", err)
	}
	if err := p.alloc(total); err != nil {
		return err
	}
	outer := 1
	for _, x := range dims[:axis] {
		outer *= int(x)
	}
	out := &onnxValue{dtype: first.dtype, dims: dims}
	if first.isFloat() {
		out.f = make([]float64, 0, total)
	} else {
		out.i = make([]onnxSym, 0, total)
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

func (p *onnxImporter) opCast() error {
	v, err := p.need(0)
	if err != nil {
		return err
	}
	if v.data {
		return p.nodeFail(ErrUnsupportedONNX, "casts the activations; Cast is supported only on constant shape values")
	}
	to, err := p.attrInt("to", 0)
	if err != nil {
		return err
	}
	t := onnx.TensorProto_DataType(to)
	if err := p.alloc(v.count()); err != nil {
		return err
	}
	out := &onnxValue{dtype: t, dims: v.dims}
	switch {
	case onnxIsFloat(t):
		if v.isFloat() {
			out.f = v.f
			if t == onnx.TensorProto_FLOAT {
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
				return p.nodeFail(ErrUnsupportedONNX, "casts the batch-dependent shape value %s to %s; only integer casts of shape values are supported", onnxSyms(v.i), onnxTypeName(t))
			}
			out.f[k] = float64(s.v)
		}
	case onnxIsInt(t):
		if !v.isFloat() {
			out.i = make([]onnxSym, len(v.i))
			for k, s := range v.i {
				if s.known && !s.batch {
					s.v = onnxCastInt(s.v, t)
				}
				out.i[k] = s
			}
			break
		}
		out.i = make([]onnxSym, len(v.f))
		for k, x := range v.f {
			if math.IsNaN(x) || x >= 9.3e18 || x <= -9.3e18 {
				return p.nodeFail(ErrUnsupportedONNX, "casts %v to %s", x, onnxTypeName(t))
			}
			out.i[k] = onnxSym{v: onnxCastInt(int64(x), t), known: true}
		}
	default:
		return p.nodeFail(ErrUnsupportedONNX, "casts to %s; only float32, float64 and integer types are supported", onnxTypeName(t))
	}
	return p.define(out)
}

// onnxCastInt converts x to integer type t with C wrap-around semantics.
func onnxCastInt(x int64, t onnx.TensorProto_DataType) int64 {
	switch t {
	case onnx.TensorProto_INT8:
		return int64(int8(x))
	case onnx.TensorProto_UINT8:
		return int64(uint8(x))
	case onnx.TensorProto_INT16:
		return int64(int16(x))
	case onnx.TensorProto_UINT16:
		return int64(uint16(x))
	case onnx.TensorProto_INT32:
		return int64(int32(x))
	case onnx.TensorProto_UINT32:
		return int64(uint32(x))
	case onnx.TensorProto_BOOL:
		if x != 0 {
			return 1
		}
		return 0
	}
	return x
}

func (p *onnxImporter) opReshape() error {
	v, err := p.need(0)
	if err != nil {
		return err
	}
	tv, err := p.constIn(1, "target shape")
	if err != nil {
		return err
	}
	if tv.isFloat() || len(tv.dims) != 1 {
		return p.nodeFail(ErrInvalidONNX, "has target shape %s of type %s and shape %s; it must be a 1-D integer tensor", tv.what, onnxTypeName(tv.dtype), onnxDims(tv.dims))
	}
	allowZero, err := p.attrInt("allowzero", 0)
	if err != nil {
		return err
	}
	if v.data {
		return p.reshapeData(v, tv.i, allowZero != 0)
	}
	if len(tv.i) > onnxMaxRank {
		return p.nodeFail(ErrUnsupportedONNX, "has a target shape of rank %d, above the supported %d", len(tv.i), onnxMaxRank)
	}
	target := make([]int64, len(tv.i))
	for k, s := range tv.i {
		if !s.known || s.batch {
			return p.nodeFail(ErrUnsupportedONNX, "reshapes a constant to a batch-dependent shape %s", onnxSyms(tv.i))
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
				return p.nodeFail(ErrInvalidONNX, "copies dimension %d of shape %s, which has none", k, onnxDims(v.dims))
			}
			dims[k] = v.dims[k]
		case t == -1:
			if infer >= 0 {
				return p.nodeFail(ErrInvalidONNX, "has more than one -1 in target shape %s", onnxDims(target))
			}
			infer = k
			continue
		case t < 0:
			return p.nodeFail(ErrInvalidONNX, "has invalid target shape %s", onnxDims(target))
		default:
			dims[k] = t
		}
		if dims[k] > 0 && prod > onnxMaxTensorElems/dims[k] {
			return p.nodeFail(ErrInvalidONNX, "has target shape %s that is too large", onnxDims(target))
		}
		prod *= dims[k]
	}
	n := int64(v.count())
	if infer >= 0 {
		if prod == 0 || n%prod != 0 {
			return p.nodeFail(ErrInvalidONNX, "cannot reshape %s to %s", onnxDims(v.dims), onnxDims(target))
		}
		dims[infer] = n / prod
		prod = n
	}
	if prod != n {
		return p.nodeFail(ErrInvalidONNX, "cannot reshape %s (%d elements) to %s", onnxDims(v.dims), n, onnxDims(target))
	}
	return p.define(v.reshaped(dims, ""))
}

// onnxFeatures returns the per-sample size of activations of shape s: the
// product of s[1:], or 0 when a dimension is unknown.
func onnxFeatures(s []onnxSym) int64 {
	n := int64(1)
	for _, d := range s[1:] {
		if !d.known || d.batch {
			return 0
		}
		if d.v != 0 && n > onnxMaxTensorElems/d.v {
			return 0
		}
		n *= d.v
	}
	return n
}

func (p *onnxImporter) flatFail(in []onnxSym, target string) error {
	return p.nodeFail(ErrUnsupportedONNX, "reshapes the activations of shape %s to %s; zkeval supports only flattening to [batch, features], as x.view(x.size(0), -1) or nn.Flatten() do",
		onnxSyms(in), target)
}

// reshapeData handles a Reshape of the activations, which must produce
// [batch, features].
func (p *onnxImporter) reshapeData(v *onnxValue, t []onnxSym, allowZero bool) error {
	if err := p.checkCurrent(v); err != nil {
		return err
	}
	s := v.shape
	target := onnxSyms(t)
	if len(t) != 2 {
		return p.flatFail(s, target)
	}
	f := onnxFeatures(s)
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
	feat := onnxSym{}
	if f > 0 {
		feat = onnxSym{v: f, known: true}
	}
	return p.dataOut([]onnxSym{s[0], feat})
}

// resolveInput fixes the input size when the graph input's shape has
// symbolic dimensions, checking it against the known ones.
func (p *onnxImporter) resolveInput(n int64) error {
	known := int64(1)
	for _, d := range p.inputShape[1:] {
		if d.known {
			known *= d.v
		}
	}
	if n <= 0 || n%known != 0 || n > onnxMaxTensorElems {
		return p.nodeFail(ErrInvalidONNX, "needs %d input features, which does not fit graph input %q of shape %s", n, p.inputName, onnxSyms(p.inputShape))
	}
	p.inputSize = int(n)
	return nil
}

func (p *onnxImporter) opFlatten() error {
	v, err := p.need(0)
	if err != nil {
		return err
	}
	a, err := p.attrInt("axis", 1)
	if err != nil {
		return err
	}
	if !v.data {
		r := int64(len(v.dims))
		if a < -r || a > r {
			return p.nodeFail(ErrInvalidONNX, "has axis %d out of range for rank %d", a, r)
		}
		if a < 0 {
			a += r
		}
		d0, err0 := onnxElemCount(v.dims[:a], onnxMaxTensorElems)
		d1, err1 := onnxElemCount(v.dims[a:], onnxMaxTensorElems)
		if err := errors.Join(err0, err1); err != nil {
			return p.nodeFail(ErrUnsupportedONNX, "%v", err)
		}
		return p.define(v.reshaped([]int64{int64(d0), int64(d1)}, ""))
	}
	if err := p.checkCurrent(v); err != nil {
		return err
	}
	r := int64(len(v.shape))
	if a != 1 && a+r != 1 {
		return p.nodeFail(ErrUnsupportedONNX, "has axis %d on activations of shape %s; only axis 1 (flatten to [batch, features]) is supported",
			a, onnxSyms(v.shape))
	}
	feat := onnxSym{}
	if f := onnxFeatures(v.shape); f > 0 {
		feat = onnxSym{v: f, known: true}
	}
	return p.dataOut([]onnxSym{v.shape[0], feat})
}

// floatConst checks that v is a finite float constant used as role.
func (p *onnxImporter) floatConst(v *onnxValue, role string) error {
	if !v.isFloat() {
		return p.nodeFail(ErrUnsupportedONNX, "has %s %s of type %s; zkeval imports float32 or float64 weights (quantized models are not supported: export the float model)",
			role, v.what, onnxTypeName(v.dtype))
	}
	for k, x := range v.f {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return p.nodeFail(ErrInvalidONNX, "has %s %s with non-finite value %v at element %d", role, v.what, x, k)
		}
	}
	return nil
}

// dataIn returns the activations input of a dense layer: current and of
// shape [batch, features].
func (p *onnxImporter) dataIn(v *onnxValue, role string) error {
	if !v.data {
		return p.nodeFail(ErrUnsupportedONNX, "has a constant %s; the activations must be its %s", role, role)
	}
	if err := p.checkCurrent(v); err != nil {
		return err
	}
	if len(v.shape) != 2 {
		return p.nodeFail(ErrUnsupportedONNX, "receives activations of shape %s; flatten them to [batch, features] first (nn.Flatten() or x.view(x.size(0), -1))", onnxSyms(v.shape))
	}
	return nil
}

// prevDesc describes where the activations of the next layer come from.
func (p *onnxImporter) prevDesc() string {
	if len(p.layers) == 0 {
		return fmt.Sprintf("graph input %q of shape %s", p.inputName, onnxSyms(p.inputShape))
	}
	l := &p.layers[len(p.layers)-1]
	return fmt.Sprintf("the output of layer %q, W of shape [%d][%d] ([out][in])", l.Name, l.Out(), l.In())
}

// addLayer appends a dense layer reading activations of shape s; in/out are
// the weight's dimensions, wdesc describes the weight for errors.
func (p *onnxImporter) addLayer(s []onnxSym, w [][]float64, b []float64, in, out int64, wdesc string) error {
	f := onnxFeatures(s)
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
		return p.nodeFail(ErrInvalidONNX, "has %s, so it takes %d inputs, but its input has %s features, from %s", wdesc, in, got, p.prevDesc())
	}
	name := p.node.GetName()
	if name == "" {
		name = fmt.Sprintf("%s_%d", p.node.GetOpType(), p.nodeIdx)
	}
	p.layers = append(p.layers, FloatLayer{Name: name, W: w, B: b})
	return p.dataOut([]onnxSym{s[0], {v: out, known: true}})
}

// biasOf broadcasts constant c (shape [], [1], [out], [1][1] or [1][out]) to
// a bias of length out, scaled by beta.
func (p *onnxImporter) biasOf(c *onnxValue, out int64, beta float64, role string) ([]float64, error) {
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
		return nil, p.nodeFail(ErrUnsupportedONNX, "has %s %s of shape %s, which does not broadcast to one bias per output [%d]", role, c.what, onnxDims(c.dims), out)
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

func onnxFinite(rows [][]float64, b []float64) bool {
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

func (p *onnxImporter) opGemm() error {
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
		return p.nodeFail(ErrUnsupportedONNX, "has transA=%d; only transA=0 (activations as A of shape [batch, in]) is supported", transA)
	}
	if transB != 0 && transB != 1 {
		return p.nodeFail(ErrInvalidONNX, "has transB=%d; it must be 0 or 1", transB)
	}
	if err := p.dataIn(a, "input A"); err != nil {
		return err
	}
	if bw.data {
		return p.nodeFail(ErrUnsupportedONNX, "computes its weight B from the graph input; weights must be initializers or Constant nodes")
	}
	if err := p.floatConst(bw, "weight"); err != nil {
		return err
	}
	if len(bw.dims) != 2 {
		return p.nodeFail(ErrInvalidONNX, "has weight %s of shape %s; Gemm needs a 2-D B", bw.what, onnxDims(bw.dims))
	}
	in, out := bw.dims[0], bw.dims[1]
	if transB == 1 {
		in, out = out, in
	}
	if in == 0 || out == 0 {
		return p.nodeFail(ErrInvalidONNX, "has empty weight %s of shape %s", bw.what, onnxDims(bw.dims))
	}
	wdesc := fmt.Sprintf("weight %s of shape %s with transB=%d", bw.what, onnxDims(bw.dims), transB)
	var bias []float64
	if c != nil {
		if c.data {
			return p.nodeFail(ErrUnsupportedONNX, "computes its bias C from the graph input; biases must be initializers or Constant nodes")
		}
		if err := p.floatConst(c, "bias C"); err != nil {
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
	if !onnxFinite(w, bias) {
		return p.nodeFail(ErrInvalidONNX, "overflows: alpha=%v and beta=%v scale its weights to non-finite values", alpha, beta)
	}
	return p.addLayer(a.shape, w, bias, in, out, wdesc)
}

func (p *onnxImporter) opMatMul() error {
	a, err := p.need(0)
	if err != nil {
		return err
	}
	bw, err := p.need(1)
	if err != nil {
		return err
	}
	if !a.data && !bw.data {
		return p.constArith("MatMul", a, bw)
	}
	if !a.data {
		return p.nodeFail(ErrUnsupportedONNX, "multiplies a constant by the activations; zkeval supports activations @ W (activations as the first input)")
	}
	if err := p.dataIn(a, "first input"); err != nil {
		return err
	}
	if bw.data {
		return p.nodeFail(ErrUnsupportedONNX, "multiplies two activations; the second input must be a constant weight matrix")
	}
	if err := p.floatConst(bw, "weight"); err != nil {
		return err
	}
	if len(bw.dims) != 2 || bw.dims[0] == 0 || bw.dims[1] == 0 {
		return p.nodeFail(ErrUnsupportedONNX, "has weight %s of shape %s; MatMul layers need a 2-D weight of shape [in][out]", bw.what, onnxDims(bw.dims))
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
	wdesc := fmt.Sprintf("weight %s of shape %s ([in][out])", bw.what, onnxDims(bw.dims))
	return p.addLayer(a.shape, w, make([]float64, out), in, out, wdesc)
}

func (p *onnxImporter) opArith(op string) error {
	x, err := p.need(0)
	if err != nil {
		return err
	}
	y, err := p.need(1)
	if err != nil {
		return err
	}
	if !x.data && !y.data {
		return p.constArith(op, x, y)
	}
	if op != "Add" {
		return p.nodeFail(ErrUnsupportedONNX, "applies %s to the activations; only Add of a bias right after a Gemm or MatMul is supported", op)
	}
	if x.data && y.data {
		return p.nodeFail(ErrUnsupportedONNX, "adds two activations (a skip connection); the data path must be a single chain")
	}
	d, c := x, y
	if y.data {
		d, c = y, x
	}
	if err := p.checkCurrent(d); err != nil {
		return err
	}
	if len(p.layers) == 0 {
		return p.nodeFail(ErrUnsupportedONNX, "adds a constant to the graph input; Add is supported only as the bias of a Gemm or MatMul layer")
	}
	last := &p.layers[len(p.layers)-1]
	if last.ReLU {
		return p.nodeFail(ErrUnsupportedONNX, "adds a constant after the Relu of layer %q; zkeval layers are y = W·x + b followed by an optional ReLU", last.Name)
	}
	if len(d.shape) != 2 {
		return p.nodeFail(ErrUnsupportedONNX, "adds a bias to activations of shape %s; they must be [batch, features]", onnxSyms(d.shape))
	}
	if err := p.floatConst(c, "bias"); err != nil {
		return err
	}
	b, err := p.biasOf(c, int64(last.Out()), 1, "bias")
	if err != nil {
		return err
	}
	for o := range b {
		last.B[o] += b[o]
	}
	if !onnxFinite(nil, last.B) {
		return p.nodeFail(ErrInvalidONNX, "overflows the bias of layer %q", last.Name)
	}
	return p.dataOut(d.shape)
}

func (p *onnxImporter) opRelu() error {
	v, err := p.need(0)
	if err != nil {
		return err
	}
	if !v.data {
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
			out.i = make([]onnxSym, len(v.i))
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
	if len(p.layers) == 0 {
		return p.nodeFail(ErrUnsupportedONNX, "applies Relu to the graph input; Relu is supported only after a Gemm or MatMul layer")
	}
	p.layers[len(p.layers)-1].ReLU = true
	return p.dataOut(v.shape)
}

// constArith folds an elementwise Add, Sub, Mul or Div (numpy broadcasting)
// or a 2-D MatMul of two constants.
func (p *onnxImporter) constArith(op string, x, y *onnxValue) error {
	if x.isFloat() != y.isFloat() {
		return p.nodeFail(ErrInvalidONNX, "mixes %s %s and %s %s", onnxTypeName(x.dtype), x.what, onnxTypeName(y.dtype), y.what)
	}
	if op == "MatMul" {
		return p.nodeFail(ErrUnsupportedONNX, "multiplies two constants; fold them before export")
	}
	r := max(len(x.dims), len(y.dims))
	dims := make([]int64, r)
	for k := 0; k < r; k++ {
		dx, dy := onnxDimFromEnd(x.dims, r-1-k), onnxDimFromEnd(y.dims, r-1-k)
		switch {
		case dx == dy || dy == 1:
			dims[k] = dx
		case dx == 1:
			dims[k] = dy
		default:
			return p.nodeFail(ErrInvalidONNX, "cannot broadcast shapes %s and %s", onnxDims(x.dims), onnxDims(y.dims))
		}
	}
	n, err := onnxElemCount(dims, onnxMaxDerived)
	if err != nil {
		return p.nodeFail(ErrUnsupportedONNX, "%v", err)
	}
	if err := p.alloc(n); err != nil {
		return err
	}
	ix, iy := onnxBroadcastIndex(x.dims, dims, n), onnxBroadcastIndex(y.dims, dims, n)
	out := &onnxValue{dtype: x.dtype, dims: dims}
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
	out.i = make([]onnxSym, n)
	for k := range out.i {
		a, b := x.i[ix[k]], y.i[iy[k]]
		if !a.known || a.batch || !b.known || b.batch {
			out.i[k] = onnxSym{} // depends on the batch size: unknown
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
				return p.nodeFail(ErrInvalidONNX, "divides by zero")
			}
			v = a.v / b.v
		}
		out.i[k] = onnxSym{v: v, known: true}
	}
	return p.define(out)
}

// onnxDimFromEnd returns dims[len-1-k], or 1 past the front.
func onnxDimFromEnd(dims []int64, k int) int64 {
	j := len(dims) - 1 - k
	if j < 0 {
		return 1
	}
	return dims[j]
}

// onnxBroadcastIndex maps each of the n elements of shape out to the element of
// shape in (numpy-broadcast to out) it reads.
func onnxBroadcastIndex(in, out []int64, n int) []int {
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

// finish checks the graph output and returns the model.
func (p *onnxImporter) finish(g *onnx.GraphProto) (*FloatModel, error) {
	outs := g.GetOutput()
	if len(outs) != 1 {
		return nil, p.fail(ErrUnsupportedONNX, "the graph has %d outputs; zkeval imports models with exactly one output, the logits", len(outs))
	}
	name := outs[0].GetName()
	v, ok := p.vals[name]
	if !ok {
		if _, isInit := p.inits[name]; isInit {
			return nil, p.fail(ErrUnsupportedONNX, "the graph output %q is an initializer; it must be computed from the input", name)
		}
		return nil, p.fail(ErrInvalidONNX, "the graph output %q is not produced by any node", name)
	}
	if !v.data {
		return nil, p.fail(ErrUnsupportedONNX, "the graph output %q is a constant; it must be computed from the input", name)
	}
	if len(p.layers) == 0 {
		return nil, p.fail(ErrUnsupportedONNX, "the graph has no dense layer (Gemm or MatMul); %s", onnxSupportedOps)
	}
	if v.step != p.step {
		return nil, p.fail(ErrUnsupportedONNX, "the graph output %q is not the end of the data path (later nodes transform it further); the data path must be a single chain", name)
	}
	if len(v.shape) != 2 {
		return nil, p.fail(ErrUnsupportedONNX, "the graph output %q has shape %s; zkeval needs logits of shape [batch, classes]", name, onnxSyms(v.shape))
	}
	if p.inputSize <= 0 || p.inputSize != p.layers[0].In() {
		return nil, p.fail(ErrInvalidONNX, "could not determine the input size of graph input %q of shape %s", p.inputName, onnxSyms(p.inputShape))
	}
	return &FloatModel{Name: g.GetName(), InputSize: p.inputSize, Layers: p.layers, Opset: p.opset}, nil
}

// onnxKindOf returns the class of an error made by onnxDecodeTensor.
func onnxKindOf(err error) error {
	var e *onnxError
	if errors.As(err, &e) {
		return e.kind
	}
	return ErrInvalidONNX
}

// onnxDecodeTensor converts a dense tensor to a constant. Its errors are
// *onnxError values whose text starts with what.
func onnxDecodeTensor(t *onnx.TensorProto, what string) (*onnxValue, error) {
	bad := func(format string, args ...any) (*onnxValue, error) {
		return nil, &onnxError{kind: ErrInvalidONNX, msg: what + ": " + fmt.Sprintf(format, args...)}
	}
	unsupported := func(format string, args ...any) (*onnxValue, error) {
		return nil, &onnxError{kind: ErrUnsupportedONNX, msg: what + ": " + fmt.Sprintf(format, args...)}
	}
	if t.GetDataLocation() == onnx.TensorProto_EXTERNAL || len(t.GetExternalData()) > 0 {
		return unsupported("stores its data in an external file; save the model with the weights embedded (onnx.save_model(m, path, save_as_external_data=False))")
	}
	if t.GetSegment() != nil {
		return unsupported("is a segmented tensor, which is not supported")
	}
	dims := append([]int64{}, t.GetDims()...)
	n, err := onnxElemCount(dims, onnxMaxTensorElems)
	if err != nil {
		return bad("%v", err)
	}
	dt := onnx.TensorProto_DataType(t.GetDataType())
	raw := t.GetRawData()
	v := &onnxValue{dtype: dt, dims: dims, what: what}
	size := 0
	switch dt {
	case onnx.TensorProto_FLOAT, onnx.TensorProto_INT32, onnx.TensorProto_UINT32:
		size = 4
	case onnx.TensorProto_DOUBLE, onnx.TensorProto_INT64, onnx.TensorProto_UINT64:
		size = 8
	case onnx.TensorProto_INT16, onnx.TensorProto_UINT16:
		size = 2
	case onnx.TensorProto_INT8, onnx.TensorProto_UINT8, onnx.TensorProto_BOOL:
		size = 1
	default:
		return unsupported("has data type %s; zkeval imports float32 or float64 weights and integer shape constants", onnxTypeName(dt))
	}
	count := func(have int) (*onnxValue, error) {
		return bad("has %d values for shape %s (%d expected)", have, onnxDims(dims), n)
	}
	if onnxIsFloat(dt) {
		v.f = make([]float64, 0, min(n, len(raw)/size+len(t.GetFloatData())+len(t.GetDoubleData())))
	} else {
		v.i = make([]onnxSym, 0, min(n, len(raw)/size+len(t.GetInt32Data())+len(t.GetInt64Data())+len(t.GetUint64Data())))
	}
	le := binary.LittleEndian
	addInt := func(x int64) { v.i = append(v.i, onnxSym{v: x, known: true}) }
	if len(raw) > 0 {
		if len(raw) != n*size {
			return count(len(raw) / size)
		}
		for k := 0; k < n; k++ {
			b := raw[k*size : (k+1)*size]
			switch dt {
			case onnx.TensorProto_FLOAT:
				v.f = append(v.f, float64(math.Float32frombits(le.Uint32(b))))
			case onnx.TensorProto_DOUBLE:
				v.f = append(v.f, math.Float64frombits(le.Uint64(b)))
			case onnx.TensorProto_INT64:
				addInt(int64(le.Uint64(b)))
			case onnx.TensorProto_UINT64:
				u := le.Uint64(b)
				if u > math.MaxInt64 {
					return unsupported("has value %d beyond the int64 range", u)
				}
				addInt(int64(u))
			case onnx.TensorProto_INT32:
				addInt(int64(int32(le.Uint32(b))))
			case onnx.TensorProto_UINT32:
				addInt(int64(le.Uint32(b)))
			case onnx.TensorProto_INT16:
				addInt(int64(int16(le.Uint16(b))))
			case onnx.TensorProto_UINT16:
				addInt(int64(le.Uint16(b)))
			case onnx.TensorProto_INT8:
				addInt(int64(int8(b[0])))
			case onnx.TensorProto_UINT8:
				addInt(int64(b[0]))
			case onnx.TensorProto_BOOL:
				addInt(onnxCastInt(int64(b[0]), dt))
			}
		}
		return v, nil
	}
	switch dt {
	case onnx.TensorProto_FLOAT:
		if len(t.GetFloatData()) != n {
			return count(len(t.GetFloatData()))
		}
		for _, x := range t.GetFloatData() {
			v.f = append(v.f, float64(x))
		}
	case onnx.TensorProto_DOUBLE:
		if len(t.GetDoubleData()) != n {
			return count(len(t.GetDoubleData()))
		}
		v.f = append(v.f, t.GetDoubleData()...)
	case onnx.TensorProto_INT64:
		if len(t.GetInt64Data()) != n {
			return count(len(t.GetInt64Data()))
		}
		for _, x := range t.GetInt64Data() {
			addInt(x)
		}
	case onnx.TensorProto_UINT32, onnx.TensorProto_UINT64:
		if len(t.GetUint64Data()) != n {
			return count(len(t.GetUint64Data()))
		}
		for _, u := range t.GetUint64Data() {
			if u > math.MaxInt64 {
				return unsupported("has value %d beyond the int64 range", u)
			}
			addInt(onnxCastInt(int64(u), dt))
		}
	default: // int32 and narrower types are stored in int32_data
		if len(t.GetInt32Data()) != n {
			return count(len(t.GetInt32Data()))
		}
		for _, x := range t.GetInt32Data() {
			addInt(onnxCastInt(int64(x), dt))
		}
	}
	return v, nil
}
