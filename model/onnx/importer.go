package onnx

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	pb "github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"

	"github.com/zkeval/zkeval/model"
)

// Import reads the ONNX file at path and converts it with Parse, using the
// file's base name in error messages. Errors reading the file are wrapped as
// they come from the os package (errors.Is works with os errors).
func Import(path string) (*model.FloatModel, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("model: reading ONNX file: %w", err)
	}
	return Parse(data, filepath.Base(path))
}

// Parse converts a serialized ONNX model (protobuf ModelProto) into a
// float model; source names the model in error messages (usually the file
// name). The package documentation lists what it accepts and how each
// operator is imported.
//
// The result has Layers in graph order with W of shape [out][in] and B of
// shape [out] (zeros when the layer has no bias), Name set from the graph
// name, each layer's Name from its Gemm, MatMul or LinearClassifier node (or
// "<op>_<index>" when the node has no name), Opset from the default-domain
// ("" or "ai.onnx") opset_import entry, ClassLabels from an ONNX-ML
// classifier's class labels, and Steps listing every node that was folded
// into a layer or dropped, and a one-output head widened to two.
//
// Errors are *Error values wrapping ErrInvalid or ErrUnsupported. They name
// source and, when a node is at fault, the node's name and op type and what
// is supported; dimension mismatches name both layers and their shapes.
// When nodes are unsupported, the error lists every one of them
// (Error.Unsupported), with activation functions that the exporter split
// into several operators (GELU as Div, Erf, Add, Mul, Mul, say) named as
// such. Parse never panics, whatever the input.
func Parse(data []byte, source string) (*model.FloatModel, error) {
	mp := &pb.ModelProto{}
	if err := proto.Unmarshal(data, mp); err != nil {
		return nil, &Error{Kind: ErrInvalid, Source: source, Msg: source + ": not a valid ONNX model", Cause: err,
			Hint: "the file is truncated, damaged or not ONNX: export the model again with torch.onnx.export"}
	}
	p := &importer{src: source}
	return p.run(mp)
}

// importer holds the state of one Parse call.
type importer struct {
	src     string
	opset   int64
	mlOpset int64 // 0 when the file declares no ai.onnx.ml opset
	vals    map[string]*value
	inits   map[string]*pb.TensorProto

	// The node being converted, for error messages.
	node    *pb.NodeProto
	nodeIdx int
	// derived counts the constant elements created by folding.
	derived int

	// The data path.
	inputName  string
	inputShape []sym
	inputSize  int // 0 while unknown
	step       int
	layers     []model.FloatLayer
	// spatial: the convolution and pooling layers before the dense ones
	// (conv.go); inputDims the graph input's [C][H][W] once one is read.
	spatial   []model.FloatSpatial
	inputDims *model.Dims
	// convOpen: the activations are the last convolution's output, with no
	// activation or pooling applied yet (a BatchNormalization folds into it).
	convOpen bool
	// padPend: a Pad of zeros to fold into the next Conv or AveragePool.
	padPend *pendingPad
	// spatialTotals sums the spatial layers' outputs and window work.
	spatialTotals model.SpatialTotals
	// open: the activations are the last layer's W·x + B, with no
	// activation applied yet, so affine nodes fold into that layer.
	open bool
	// layerStep is the step of the last dense layer's own output.
	layerStep int
	// pend: affine nodes read since the last activation (or on the graph
	// input), to fold into the inputs of the next dense layer.
	pend *affine

	// What the import did besides reading layers.
	steps       []model.ImportStep
	classLabels []string
	// classifier labels the ONNX-ML classifier node, once one was read.
	classifier string

	// The graph's nodes and output names.
	nodes   []*pb.NodeProto
	outputs []string

	// Unsupported nodes found so far, and recognised multi-node patterns
	// by node index.
	problems []Unsupported
	patterns map[int]*pattern
}

func (p *importer) fail(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Source: p.src, Msg: p.src + ": " + fmt.Sprintf(format, args...)}
}

// label returns how errors name node n (index i).
func label(n *pb.NodeProto, i int) string {
	op := n.GetOpType()
	if d := n.GetDomain(); d != "" && d != "ai.onnx" {
		op = d + "." + op
	}
	if n.GetName() != "" {
		return fmt.Sprintf("node %q (op %s)", n.GetName(), op)
	}
	return fmt.Sprintf("node #%d (op %s)", i, op)
}

func (p *importer) nodeLabel() string { return label(p.node, p.nodeIdx) }

// nodeFail returns an error about the current node; format continues the
// sentence after the node's label.
func (p *importer) nodeFail(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Source: p.src, Msg: p.src + ": " + p.nodeLabel() + " " + fmt.Sprintf(format, args...)}
}

// note records an import step about the current node.
func (p *importer) note(action, into, detail string) {
	p.steps = append(p.steps, model.ImportStep{Action: action, Nodes: []string{p.nodeLabel()}, Into: into, Detail: detail})
}

// unsupported returns the error that makes run record the current node as
// unsupported: what names what it computes, reason says why it is refused.
func (p *importer) unsupported(what, reason string) error {
	op := p.node.GetOpType()
	if d := p.node.GetDomain(); d != "" && d != "ai.onnx" {
		op = d + "." + op
	}
	if what == "" {
		what = op
	}
	return &unsupportedErr{Unsupported{Node: p.nodeLabel(), Op: op, What: what, Reason: reason}}
}

func (p *importer) run(mp *pb.ModelProto) (*model.FloatModel, error) {
	g := mp.GetGraph()
	if g == nil {
		return nil, p.fail(ErrInvalid, "not a valid ONNX model: it has no graph (is the file empty, or not ONNX?); export the model with torch.onnx.export")
	}
	found := false
	for _, o := range mp.GetOpsetImport() {
		switch o.GetDomain() {
		case "", "ai.onnx":
			p.opset, found = o.GetVersion(), true
		case "ai.onnx.ml":
			p.mlOpset = o.GetVersion()
		}
	}
	if !found {
		return nil, p.fail(ErrInvalid, "not a valid ONNX model: it declares no opset for the default domain (opset_import)")
	}
	if p.opset < MinOpset || p.opset > MaxOpset {
		return nil, p.fail(ErrUnsupported, "opset %d is not supported; zkeval reads opsets %d to %d, whose operators it knows: export with an opset_version in that range", p.opset, MinOpset, MaxOpset)
	}
	if p.mlOpset != 0 && (p.mlOpset < 1 || p.mlOpset > MaxMLOpset) {
		return nil, p.fail(ErrUnsupported, "ai.onnx.ml opset %d is not supported; zkeval reads ai.onnx.ml opsets 1 to %d", p.mlOpset, MaxMLOpset)
	}
	if len(g.GetNode()) == 0 {
		return nil, p.fail(ErrInvalid, "the graph %q is empty (no nodes); %s", g.GetName(), supportedSummary)
	}
	if len(g.GetSparseInitializer()) > 0 {
		return nil, p.fail(ErrUnsupported, "sparse initializers are not supported; store weights as dense initializers")
	}

	p.vals = map[string]*value{}
	p.inits = map[string]*pb.TensorProto{}
	for _, t := range g.GetInitializer() {
		if t.GetName() == "" {
			return nil, p.fail(ErrInvalid, "an initializer has no name")
		}
		p.inits[t.GetName()] = t
	}
	if err := p.setInput(g); err != nil {
		return nil, err
	}
	p.nodes = g.GetNode()
	for _, o := range g.GetOutput() {
		p.outputs = append(p.outputs, o.GetName())
	}
	p.patterns = findPatterns(p.nodes)
	for i, n := range g.GetNode() {
		p.node, p.nodeIdx = n, i
		if pat := p.patterns[i]; pat != nil {
			if pat.u.What == "GELU" && !pat.reported && !p.readsBadAny(pat.members) {
				// GELU's Erf form imports as one activation, at its
				// last node, once every constant it reads is defined.
				if i != pat.members[len(pat.members)-1] {
					continue
				}
				if p.tryGELU(pat) {
					p.node, p.nodeIdx = n, i
					continue
				}
				p.node, p.nodeIdx = n, i
				for _, m := range pat.members {
					p.node = p.nodes[m]
					p.poison()
				}
				p.node = n
			}
			if !pat.reported {
				pat.reported = true
				p.problems = append(p.problems, pat.u)
			}
			p.poison()
			continue
		}
		if p.readsBad() {
			// Computed from an unsupported node: only its op is checked,
			// and whether a final-only node (a Softmax, say) is read by
			// later nodes, which makes it a hidden activation.
			var u *unsupportedErr
			switch op := n.GetOpType(); {
			case !known(n.GetDomain(), op):
				if errors.As(p.unsupportedOp(), &u) {
					p.problems = append(p.problems, u.u)
				}
			case isDefaultDomain(n.GetDomain()) && op == "Pad" && p.padsComputed():
				p.addProblem(Unsupported{Node: p.nodeLabel(), Op: op, What: op, Reason: padsComputedReason})
			case isDefaultDomain(n.GetDomain()) && (op == "Sigmoid" || op == "Softmax" || op == "LogSoftmax") &&
				len(n.GetOutput()) > 0 && p.readByNode(n.GetOutput()[0]):
				p.addProblem(Unsupported{Node: p.nodeLabel(), Op: op, What: op,
					Reason: "a " + op + " is supported only as the last node, where it is dropped; " + hiddenReason})
			}
			p.poison()
			continue
		}
		err := p.convert(n)
		var u *unsupportedErr
		if errors.As(err, &u) {
			p.addProblem(u.u)
			p.poison()
			continue
		}
		if err != nil {
			if len(p.problems) > 0 {
				return nil, listError(p.src, p.problems, err)
			}
			return nil, err
		}
	}
	p.node = nil
	if len(p.problems) > 0 {
		return nil, listError(p.src, p.problems, nil)
	}
	return p.finish(g)
}

// addProblem records u unless a problem about the same node is recorded.
func (p *importer) addProblem(u Unsupported) {
	for _, q := range p.problems {
		if q.Node == u.Node {
			return
		}
	}
	p.problems = append(p.problems, u)
}

// readsBad reports whether the current node reads a value computed from an
// unsupported node.
func (p *importer) readsBad() bool {
	for _, in := range p.node.GetInput() {
		if v, ok := p.vals[in]; ok && v.kind == kBad {
			return true
		}
	}
	return false
}

// padsComputedReason says why a Pad whose pads come from unsupported nodes
// is refused, and what to do.
const padsComputedReason = "its pads are computed at run time by the unsupported nodes listed (torch.onnx.export writes nn.ZeroPad2d and F.pad so at opset 11 and later); zkeval folds a Pad whose pads are constants: give the padding to the Conv (nn.Conv2d(padding=...)), or export at opset 9 or 10"

// padsComputed reports whether the current node (a Pad) reads its data
// from supported nodes but its pads from an unsupported one.
func (p *importer) padsComputed() bool {
	ins := p.node.GetInput()
	if len(ins) < 2 {
		return false
	}
	data, dok := p.vals[ins[0]]
	pads, pok := p.vals[ins[1]]
	return dok && data.kind != kBad && pok && pads.kind == kBad
}

// readsBadAny reports whether a node among members reads a value computed
// from an unsupported node.
func (p *importer) readsBadAny(members []int) bool {
	for _, m := range members {
		for _, in := range p.nodes[m].GetInput() {
			if v, ok := p.vals[in]; ok && v.kind == kBad {
				return true
			}
		}
	}
	return false
}

// readByNode reports whether a node after the current one reads name.
func (p *importer) readByNode(name string) bool {
	for _, n := range p.nodes[p.nodeIdx+1:] {
		if slices.Contains(n.GetInput(), name) {
			return true
		}
	}
	return false
}

// poison defines every output of the current node as not looked at.
func (p *importer) poison() {
	for _, out := range p.node.GetOutput() {
		if out == "" {
			continue
		}
		if _, ok := p.vals[out]; !ok {
			p.vals[out] = &value{kind: kBad}
		}
	}
}

// setInput finds the graph's one real input and records its shape.
func (p *importer) setInput(g *pb.GraphProto) error {
	var inputs []*pb.ValueInfoProto
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
		return p.fail(ErrInvalid, "the graph has no input (every graph input is an initializer)")
	case 1:
	default:
		return p.fail(ErrUnsupported, "the graph has %d inputs (%s); zkeval imports models with exactly one input tensor of shape [batch, features...]",
			len(inputs), strings.Join(names, ", "))
	}
	in := inputs[0]
	p.inputName = in.GetName()
	if p.inputName == "" {
		return p.fail(ErrInvalid, "the graph input has no name")
	}
	tt := in.GetType().GetTensorType()
	if tt == nil {
		return p.fail(ErrUnsupported, "graph input %q is not a tensor; zkeval needs one float tensor of shape [batch, features...]", p.inputName)
	}
	et := pb.TensorProto_DataType(tt.GetElemType())
	switch et {
	case pb.TensorProto_FLOAT, pb.TensorProto_DOUBLE, pb.TensorProto_FLOAT16, pb.TensorProto_BFLOAT16:
	default:
		return p.fail(ErrUnsupported, "graph input %q has element type %s; zkeval needs a float input", p.inputName, typeName(et))
	}
	if tt.GetShape() == nil {
		return p.fail(ErrUnsupported, "graph input %q has no shape; export it with a shape [batch, features...]", p.inputName)
	}
	dims := tt.GetShape().GetDim()
	if len(dims) < 2 || len(dims) > maxRank {
		return p.fail(ErrUnsupported, "graph input %q has rank %d; zkeval needs shape [batch, features...] (rank 2 or more)", p.inputName, len(dims))
	}
	shape := make([]sym, len(dims))
	known := int64(1)
	allKnown := true
	for k, d := range dims {
		v := d.GetDimValue()
		switch {
		case k == 0:
			shape[0] = sym{batch: true, known: v > 0, v: v}
			if v <= 0 {
				shape[0].v = 0
			}
		case v > 0:
			if known > maxTensorElems/v {
				return p.fail(ErrUnsupported, "graph input %q is too large", p.inputName)
			}
			known *= v
			shape[k] = sym{v: v, known: true}
		case v < 0 || (v == 0 && d.GetDimParam() == "" && d.GetValue() != nil):
			return p.fail(ErrInvalid, "graph input %q has dimension %d of size %d", p.inputName, k, v)
		default:
			allKnown = false
		}
	}
	if allKnown {
		p.inputSize = int(known)
	}
	p.inputShape = shape
	p.vals[p.inputName] = &value{kind: kData, shape: shape, step: p.step}
	return nil
}

// get returns the value named name, decoding initializers on first use.
func (p *importer) get(name string) (*value, error) {
	if v, ok := p.vals[name]; ok {
		return v, nil
	}
	t, ok := p.inits[name]
	if !ok {
		return nil, p.nodeFail(ErrInvalid, "reads %q, which is not produced by an earlier node, an initializer or the graph input (nodes must be in topological order)", name)
	}
	v, err := decodeTensor(t, fmt.Sprintf("initializer %q", name))
	if err != nil {
		return nil, p.nodeFail(kindOf(err), "reads %v", err)
	}
	p.vals[name] = v
	return v, nil
}

// in returns input k of the current node, nil when absent or empty.
func (p *importer) in(k int) (*value, error) {
	ins := p.node.GetInput()
	if k >= len(ins) || ins[k] == "" {
		return nil, nil
	}
	return p.get(ins[k])
}

// need returns input k, which must be present.
func (p *importer) need(k int) (*value, error) {
	v, err := p.in(k)
	if err == nil && v == nil {
		err = p.nodeFail(ErrInvalid, "lacks its input %d", k)
	}
	return v, err
}

// constIn returns input k, which must be a constant.
func (p *importer) constIn(k int, role string) (*value, error) {
	v, err := p.need(k)
	if err != nil {
		return nil, err
	}
	if !v.isConst() {
		return nil, p.nodeFail(ErrUnsupported, "computes its %s from the graph input; only constants (initializers, Constant nodes and shape computations) are supported there", role)
	}
	return v, nil
}

// intsIn returns input k as a list of known integers.
func (p *importer) intsIn(k int, role string) ([]int64, error) {
	v, err := p.constIn(k, role)
	if err != nil {
		return nil, err
	}
	if v.isFloat() {
		return nil, p.nodeFail(ErrInvalid, "has %s %s of type %s; it must be an integer tensor", role, v.what, typeName(v.dtype))
	}
	if len(v.dims) > 1 {
		return nil, p.nodeFail(ErrInvalid, "has %s %s of shape %s; it must be a scalar or a 1-D tensor", role, v.what, dimsString(v.dims))
	}
	out := make([]int64, len(v.i))
	for j, s := range v.i {
		if !s.known || s.batch {
			return nil, p.nodeFail(ErrUnsupported, "has %s %s %s that depends on the batch size; only the batch dimension itself may be symbolic", role, v.what, symsString(v.i))
		}
		out[j] = s.v
	}
	return out, nil
}

func (p *importer) attr(name string) *pb.AttributeProto {
	for _, a := range p.node.GetAttribute() {
		if a.GetName() == name {
			return a
		}
	}
	return nil
}

func (p *importer) attrInt(name string, def int64) (int64, error) {
	a := p.attr(name)
	if a == nil {
		return def, nil
	}
	if a.GetType() != pb.AttributeProto_INT {
		return 0, p.nodeFail(ErrInvalid, "has attribute %s of type %s; it must be an int", name, a.GetType())
	}
	return a.GetI(), nil
}

func (p *importer) attrFloat(name string, def float64) (float64, error) {
	a := p.attr(name)
	if a == nil {
		return def, nil
	}
	if a.GetType() != pb.AttributeProto_FLOAT {
		return 0, p.nodeFail(ErrInvalid, "has attribute %s of type %s; it must be a float", name, a.GetType())
	}
	return float64(a.GetF()), nil
}

// axesOf returns a node's axes, from input 1 (opset 13 and later) or from
// the axes attribute (earlier opsets). ok is false when neither is given.
func (p *importer) axesOf() (axes []int64, ok bool, err error) {
	if len(p.node.GetInput()) > 1 && p.node.GetInput()[1] != "" {
		axes, err = p.intsIn(1, "axes")
		return axes, err == nil, err
	}
	if a := p.attr("axes"); a != nil {
		if a.GetType() != pb.AttributeProto_INTS {
			return nil, false, p.nodeFail(ErrInvalid, "has attribute axes of type %s; it must be ints", a.GetType())
		}
		return a.GetInts(), true, nil
	}
	return nil, false, nil
}

// normAxis maps axis into [0, rank), as ONNX allows negative axes.
func (p *importer) normAxis(axis int64, rank int) (int, error) {
	r := int64(rank)
	if axis < -r || axis >= r {
		return 0, p.nodeFail(ErrInvalid, "has axis %d out of range for rank %d", axis, rank)
	}
	if axis < 0 {
		axis += r
	}
	return int(axis), nil
}

// alloc reserves n elements of folded constants.
func (p *importer) alloc(n int) error {
	p.derived += n
	if n > maxDerived || p.derived > maxDerived {
		return p.nodeFail(ErrUnsupported, "folds constants of more than %d elements in all; constant computations are meant for shapes", maxDerived)
	}
	return nil
}

// define stores the node's single output.
func (p *importer) define(v *value) error {
	outs := p.node.GetOutput()
	if len(outs) == 0 || outs[0] == "" {
		return p.nodeFail(ErrInvalid, "has no output")
	}
	name := outs[0]
	if _, ok := p.vals[name]; ok {
		return p.nodeFail(ErrInvalid, "redefines %q (every value must be produced once)", name)
	}
	if _, ok := p.inits[name]; ok {
		return p.nodeFail(ErrInvalid, "redefines initializer %q", name)
	}
	if v.isConst() && v.what == "" {
		v.what = fmt.Sprintf("%q", name)
	}
	p.vals[name] = v
	return nil
}
