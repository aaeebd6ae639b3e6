// Package treeonnx imports ONNX-ML TreeEnsembleClassifier models (the
// layouts skl2onnx and onnxmltools write) into package tree's float
// ensembles. It is its own package so that the verifier, which links
// package tree through the model description, never links the ONNX
// protobuf parser.
package treeonnx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"github.com/zkeval/zkeval/model/tree"
	"google.golang.org/protobuf/proto"
)

// ErrONNXML marks an ONNX-ML tree model that zkeval cannot read (see
// ParseONNXML).
var ErrONNXML = errors.New("unsupported or invalid ONNX-ML tree ensemble")

// MLDomain is the ONNX-ML operator domain.
const MLDomain = "ai.onnx.ml"

// IsONNXML reports whether the serialized ONNX model holds an ONNX-ML
// TreeEnsembleClassifier or TreeEnsembleRegressor node: such a model is a
// tree ensemble, for ParseONNXML, not a network. Bytes that do not decode
// are not.
func IsONNXML(data []byte) bool {
	mp := &onnx.ModelProto{}
	if proto.Unmarshal(data, mp) != nil || mp.Graph == nil {
		return false
	}
	for _, n := range mp.Graph.Node {
		if n.Domain == MLDomain && (n.OpType == "TreeEnsembleClassifier" || n.OpType == "TreeEnsembleRegressor") {
			return true
		}
	}
	return false
}

// ParseONNXML reads an ONNX model whose graph is one ai.onnx.ml
// TreeEnsembleClassifier (https://onnx.ai/onnx/operators/onnx_aionnxml_TreeEnsembleClassifier.html),
// as skl2onnx writes it for scikit-learn's tree classifiers and onnxmltools
// for XGBoost and LightGBM: one graph input, a float or double tensor
// [N, features] (optionally through a Cast), the classifier, and on its
// outputs optionally ZipMap, Identity or Cast nodes. source names the model
// in errors; features is the benchmark's width (a split on a feature past
// it is an error); classNames, when given, are the benchmark's classes,
// which string class labels must equal in order (integer labels must be
// 0, 1, ...).
//
// Semantics (the operator's, with ONNX Runtime's where the spec is silent):
//   - node modes BRANCH_LEQ, BRANCH_LT, BRANCH_GTE and BRANCH_GT, each
//     node its own (BRANCH_EQ and BRANCH_NEQ are refused);
//     nodes_missing_value_tracks_true never applies, as benchmark
//     features are never missing;
//   - features are read as float32 for a float input (double inputs cast
//     to float included), as float64 for a double input;
//   - each leaf's class_weights add to the class scores, then
//     base_values; the predicted class is the first maximal score. The
//     post_transforms NONE, LOGISTIC, SOFTMAX and PROBIT keep that order;
//     SOFTMAX_ZERO is refused;
//   - two class labels with weights for one class only (the binary layout
//     of onnxmltools): the score is the positive class's margin, and the
//     class is 1 when it exceeds 0, or 0.5 when no weight is negative
//     (ONNX Runtime's rule).
//
// Errors wrap ErrONNXML and name source and, where one is at fault, the
// attribute, tree and node.
func ParseONNXML(data []byte, source string, features int, classNames []string) (*tree.FloatEnsemble, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s: %w: %s", source, ErrONNXML, fmt.Sprintf(format, args...))
	}
	mp := &onnx.ModelProto{}
	if err := proto.Unmarshal(data, mp); err != nil {
		return nil, fail("not a valid ONNX model (%v); the file is truncated or damaged", err)
	}
	g := mp.Graph
	if g == nil {
		return nil, fail("the model has no graph")
	}
	inits := map[string]bool{}
	for _, t := range g.Initializer {
		inits[t.Name] = true
	}
	var inputs []*onnx.ValueInfoProto
	for _, in := range g.Input {
		if !inits[in.Name] {
			inputs = append(inputs, in)
		}
	}
	if features <= 0 {
		if dims := inputs0Dims(inputs); dims > 0 {
			features = int(dims)
		}
	}
	if len(inputs) != 1 {
		return nil, fail("the graph has %d inputs; a tree model takes one, the features [N, %d]", len(inputs), features)
	}
	in := inputs[0]
	elem := in.GetType().GetTensorType().GetElemType()
	if elem != int32(onnx.TensorProto_FLOAT) && elem != int32(onnx.TensorProto_DOUBLE) {
		return nil, fail("input %q has element type %d; zkeval reads float or double features", in.Name, elem)
	}
	f32 := elem == int32(onnx.TensorProto_FLOAT)
	if dims := in.GetType().GetTensorType().GetShape().GetDim(); len(dims) == 2 {
		if v := dims[1].GetDimValue(); v > 0 && features > 0 && v != int64(features) {
			return nil, fail("input %q has %d features but the benchmark has %d", in.Name, v, features)
		}
	}
	// Find the classifier; allow a Cast between the input and it, and
	// ZipMap, Identity or Cast after it.
	var tec *onnx.NodeProto
	feed := in.Name
	for _, n := range g.Node {
		switch {
		case n.Domain == MLDomain && n.OpType == "TreeEnsembleClassifier":
			if tec != nil {
				return nil, fail("the graph has two TreeEnsembleClassifier nodes (%q and %q); zkeval reads one", tec.Name, n.Name)
			}
			tec = n
		case n.Domain == MLDomain && n.OpType == "TreeEnsembleRegressor":
			return nil, fail("node %q is a TreeEnsembleRegressor; zkeval proves classifiers (TreeEnsembleClassifier)", n.Name)
		case n.OpType == "Cast" && tec == nil && len(n.Input) == 1 && n.Input[0] == feed && len(n.Output) == 1:
			to := int64(0)
			for _, a := range n.Attribute {
				if a.Name == "to" {
					to = a.I
				}
			}
			switch to {
			case int64(onnx.TensorProto_FLOAT):
				f32 = true
			case int64(onnx.TensorProto_DOUBLE):
				if f32 {
					return nil, fail("node %q casts float features to double; give the classifier the input directly", n.Name)
				}
			default:
				return nil, fail("node %q casts the features to type %d; zkeval reads float or double features", n.Name, to)
			}
			feed = n.Output[0]
		case tec != nil && (n.OpType == "ZipMap" && n.Domain == MLDomain || (n.Domain == "" || n.Domain == "ai.onnx") && (n.OpType == "Identity" || n.OpType == "Cast")):
		default:
			return nil, fail("node %q (%s %s) is not supported in a tree model: zkeval reads one TreeEnsembleClassifier, optionally after a Cast of the input and before ZipMap, Identity or Cast nodes", n.Name, n.Domain, n.OpType)
		}
	}
	if tec == nil {
		return nil, fail("the graph has no ai.onnx.ml TreeEnsembleClassifier")
	}
	if len(tec.Input) != 1 || tec.Input[0] != feed {
		return nil, fail("TreeEnsembleClassifier %q does not read the graph input %q", tec.Name, in.Name)
	}
	fe, err := convertTEC(tec, features, classNames, f32)
	if err != nil {
		return nil, fail("TreeEnsembleClassifier %q: %v", tec.Name, err)
	}
	fe.Name = g.Name
	if err := fe.Check(); err != nil {
		return nil, fail("%v", err)
	}
	return fe, nil
}

type mlAttrs struct {
	byName map[string]*onnx.AttributeProto
}

func (a mlAttrs) ints(name string) []int64 {
	if p := a.byName[name]; p != nil {
		return p.Ints
	}
	return nil
}

func (a mlAttrs) strs(name string) []string {
	p := a.byName[name]
	if p == nil {
		return nil
	}
	out := make([]string, len(p.Strings))
	for i, s := range p.Strings {
		out[i] = string(s)
	}
	return out
}

// floats returns attribute name as float64s: its floats, or the double
// tensor of name+"_as_tensor".
func (a mlAttrs) floats(name string) ([]float64, error) {
	if p := a.byName[name]; p != nil {
		out := make([]float64, len(p.Floats))
		for i, f := range p.Floats {
			out[i] = float64(f)
		}
		return out, nil
	}
	p := a.byName[name+"_as_tensor"]
	if p == nil {
		return nil, nil
	}
	t := p.T
	if t == nil || t.DataType != int32(onnx.TensorProto_DOUBLE) {
		return nil, fmt.Errorf("%s_as_tensor is not a double tensor", name)
	}
	if len(t.DoubleData) > 0 {
		return t.DoubleData, nil
	}
	if len(t.RawData)%8 != 0 {
		return nil, fmt.Errorf("%s_as_tensor: %d raw bytes are not whole doubles", name, len(t.RawData))
	}
	out := make([]float64, len(t.RawData)/8)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(t.RawData[8*i:]))
	}
	return out, nil
}

func convertTEC(n *onnx.NodeProto, features int, classNames []string, f32 bool) (*tree.FloatEnsemble, error) {
	a := mlAttrs{map[string]*onnx.AttributeProto{}}
	for _, p := range n.Attribute {
		a.byName[p.Name] = p
	}
	// Class labels.
	labels := a.strs("classlabels_strings")
	if ints := a.ints("classlabels_int64s"); len(ints) > 0 {
		if len(labels) > 0 {
			return nil, errors.New("both classlabels_strings and classlabels_int64s are set")
		}
		for k, v := range ints {
			if v != int64(k) {
				return nil, fmt.Errorf("classlabels_int64s[%d] = %d; zkeval needs the labels 0, 1, ... in order, the benchmark's class ids", k, v)
			}
			labels = append(labels, strconv.Itoa(k))
		}
	} else if len(classNames) > 0 && len(labels) > 0 && !slices.Equal(labels, classNames) {
		return nil, fmt.Errorf("class labels %q differ from the benchmark's classes %q (in order)", labels, classNames)
	}
	K := len(labels)
	if K < 2 {
		return nil, fmt.Errorf("%d class labels; a classifier has at least 2", K)
	}
	if len(classNames) > 0 && K != len(classNames) {
		return nil, fmt.Errorf("%d class labels but the benchmark has %d classes", K, len(classNames))
	}
	switch pt := string(a.byName["post_transform"].GetS()); pt {
	case "", "NONE", "LOGISTIC", "SOFTMAX", "PROBIT":
	default:
		return nil, fmt.Errorf("post_transform %q; zkeval reads NONE, LOGISTIC, SOFTMAX and PROBIT, which keep the order of the scores", pt)
	}
	if p := a.byName["aggregate_function"]; p != nil {
		return nil, errors.New("aggregate_function is a TreeEnsembleRegressor attribute")
	}
	// Nodes.
	treeIDs, nodeIDs, featIDs := a.ints("nodes_treeids"), a.ints("nodes_nodeids"), a.ints("nodes_featureids")
	trueIDs, falseIDs, modes := a.ints("nodes_truenodeids"), a.ints("nodes_falsenodeids"), a.strs("nodes_modes")
	values, err := a.floats("nodes_values")
	if err != nil {
		return nil, err
	}
	nn := len(treeIDs)
	if nn == 0 {
		return nil, errors.New("nodes_treeids is empty: no tree")
	}
	for _, c := range []struct {
		name string
		n    int
	}{{"nodes_nodeids", len(nodeIDs)}, {"nodes_featureids", len(featIDs)}, {"nodes_truenodeids", len(trueIDs)},
		{"nodes_falsenodeids", len(falseIDs)}, {"nodes_modes", len(modes)}, {"nodes_values", len(values)}} {
		if c.n != nn {
			return nil, fmt.Errorf("arrays of different lengths: nodes_treeids has %d entries, %s %d", nn, c.name, c.n)
		}
	}
	if m := a.ints("nodes_missing_value_tracks_true"); m != nil && len(m) != nn {
		return nil, fmt.Errorf("arrays of different lengths: nodes_treeids has %d entries, nodes_missing_value_tracks_true %d", nn, len(m))
	}
	// Trees in ascending id order; nodes by id within each.
	type key struct{ tree, node int64 }
	index := map[key]int{} // -> local index in its tree
	var tids []int64
	treeOf := map[int64]int{}
	for i := range nn {
		if _, ok := treeOf[treeIDs[i]]; !ok {
			treeOf[treeIDs[i]] = -1
			tids = append(tids, treeIDs[i])
		}
	}
	slices.Sort(tids)
	for t, id := range tids {
		treeOf[id] = t
	}
	fe := &tree.FloatEnsemble{Source: "onnx-ml", Features: features, Classes: K, Float32: f32, Trees: make([]tree.FloatTree, len(tids))}
	// Local indices: node id 0 (the root) first, the others in file order.
	roots := make([]bool, len(tids))
	for i := range nn {
		if nodeIDs[i] == 0 {
			t := treeOf[treeIDs[i]]
			if roots[t] {
				return nil, fmt.Errorf("tree %d node 0 appears twice", treeIDs[i])
			}
			roots[t] = true
			index[key{treeIDs[i], 0}] = 0
			fe.Trees[t].Nodes = append(fe.Trees[t].Nodes, tree.FloatNode{})
			fe.Trees[t].ID, fe.Trees[t].IDs = treeIDs[i], []int64{0}
		}
	}
	for t, ok := range roots {
		if !ok {
			return nil, fmt.Errorf("tree %d has no node 0 (its root)", tids[t])
		}
	}
	slot := make([]int, nn) // node i -> local index in its tree
	for i := range nn {
		t := treeOf[treeIDs[i]]
		k := key{treeIDs[i], nodeIDs[i]}
		if nodeIDs[i] == 0 {
			continue
		}
		if _, dup := index[k]; dup {
			return nil, fmt.Errorf("tree %d node %d appears twice", treeIDs[i], nodeIDs[i])
		}
		index[k] = len(fe.Trees[t].Nodes)
		slot[i] = index[k]
		fe.Trees[t].Nodes = append(fe.Trees[t].Nodes, tree.FloatNode{})
		fe.Trees[t].IDs = append(fe.Trees[t].IDs, nodeIDs[i])
	}
	for i := range nn {
		t := treeOf[treeIDs[i]]
		nd := &fe.Trees[t].Nodes[slot[i]]
		switch modes[i] {
		case "LEAF":
			nd.Leaf = true
			continue
		case "BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT":
		default:
			return nil, fmt.Errorf("tree %d node %d: mode %q; zkeval reads BRANCH_LEQ, BRANCH_LT, BRANCH_GTE, BRANCH_GT and LEAF", treeIDs[i], nodeIDs[i], modes[i])
		}
		f := featIDs[i]
		if f < 0 || (features > 0 && f >= int64(features)) {
			return nil, fmt.Errorf("tree %d node %d: feature index %d past the benchmark's %d features", treeIDs[i], nodeIDs[i], f, features)
		}
		if math.IsNaN(values[i]) {
			return nil, fmt.Errorf("tree %d node %d: threshold is NaN", treeIDs[i], nodeIDs[i])
		}
		yes, ok1 := index[key{treeIDs[i], trueIDs[i]}]
		no, ok2 := index[key{treeIDs[i], falseIDs[i]}]
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("tree %d node %d: child %d or %d is not a node of the tree", treeIDs[i], nodeIDs[i], trueIDs[i], falseIDs[i])
		}
		nd.Feature, nd.Threshold = int(f), values[i]
		switch modes[i] {
		case "BRANCH_LEQ": // true when x <= v
			nd.Inclusive, nd.Yes, nd.No = true, yes, no
		case "BRANCH_LT": // true when x < v
			nd.Inclusive, nd.Yes, nd.No = false, yes, no
		case "BRANCH_GTE": // true when x >= v, i.e. not x < v
			nd.Inclusive, nd.Yes, nd.No = false, no, yes
		case "BRANCH_GT": // true when x > v, i.e. not x <= v
			nd.Inclusive, nd.Yes, nd.No = true, no, yes
		}
	}
	// Leaf weights.
	cTree, cNode, cID := a.ints("class_treeids"), a.ints("class_nodeids"), a.ints("class_ids")
	cW, err := a.floats("class_weights")
	if err != nil {
		return nil, err
	}
	nc := len(cTree)
	if len(cNode) != nc || len(cID) != nc || len(cW) != nc {
		return nil, fmt.Errorf("arrays of different lengths: class_treeids %d, class_nodeids %d, class_ids %d, class_weights %d", nc, len(cNode), len(cID), len(cW))
	}
	used := map[int64]bool{}
	allPositive := true
	for i := range nc {
		if cID[i] < 0 || cID[i] >= int64(K) {
			return nil, fmt.Errorf("class weight %d: class id %d outside the %d class labels", i, cID[i], K)
		}
		if math.IsNaN(cW[i]) || math.IsInf(cW[i], 0) {
			return nil, fmt.Errorf("class weight %d (tree %d node %d) is %g", i, cTree[i], cNode[i], cW[i])
		}
		used[cID[i]] = true
		if cW[i] < 0 {
			allPositive = false
		}
	}
	base, err := a.floats("base_values")
	if err != nil {
		return nil, err
	}
	single := K == 2 && len(used) == 1
	if single {
		fe.Outputs = 1
		fe.Cut = 0
		if allPositive {
			fe.Cut = 0.5
		}
		switch len(base) {
		case 0:
			fe.Base = []float64{0}
		case 1:
			fe.Base = []float64{base[0]}
		default:
			return nil, fmt.Errorf("%d base_values for a binary model with one score; zkeval reads at most one", len(base))
		}
	} else {
		fe.Outputs = K
		fe.Base = make([]float64, K)
		switch len(base) {
		case 0:
		case K:
			copy(fe.Base, base)
		default:
			return nil, fmt.Errorf("%d base_values for %d classes", len(base), K)
		}
	}
	// Per tree: the classes its leaves vote for.
	classesOf := make([]map[int64]bool, len(fe.Trees))
	for t := range classesOf {
		classesOf[t] = map[int64]bool{}
	}
	for i := range nc {
		t, ok := treeOf[cTree[i]]
		if !ok {
			return nil, fmt.Errorf("class weight %d names tree %d, which has no node", i, cTree[i])
		}
		classesOf[t][cID[i]] = true
	}
	for t := range fe.Trees {
		tr := &fe.Trees[t]
		scalar := fe.Outputs == 1 || len(classesOf[t]) <= 1
		for c := range classesOf[t] {
			if fe.Outputs > 1 {
				tr.Output = int(c)
			}
		}
		for j := range tr.Nodes {
			if tr.Nodes[j].Leaf {
				if scalar {
					tr.Nodes[j].Value = []float64{0}
				} else {
					tr.Nodes[j].Value = make([]float64, fe.Outputs)
				}
			}
		}
	}
	for i := range nc {
		t := treeOf[cTree[i]]
		j, ok := index[key{cTree[i], cNode[i]}]
		if !ok {
			return nil, fmt.Errorf("class weight %d names tree %d node %d, which does not exist", i, cTree[i], cNode[i])
		}
		nd := &fe.Trees[t].Nodes[j]
		if !nd.Leaf {
			return nil, fmt.Errorf("class weight %d names tree %d node %d, which is not a leaf", i, cTree[i], cNode[i])
		}
		if len(nd.Value) == 1 {
			nd.Value[0] += cW[i]
		} else {
			nd.Value[cID[i]] += cW[i]
		}
	}
	return fe, nil
}

// inputs0Dims returns the feature dimension of the first input, 0 when it
// is not a known positive size.
func inputs0Dims(inputs []*onnx.ValueInfoProto) int64 {
	if len(inputs) == 0 {
		return 0
	}
	dims := inputs[0].GetType().GetTensorType().GetShape().GetDim()
	if len(dims) != 2 || dims[1].GetDimValue() > 1<<32 {
		return 0
	}
	return dims[1].GetDimValue()
}
