// Package tree holds tree-ensemble classifiers (decision trees, random
// forests, gradient-boosted trees): the float model read from XGBoost's JSON
// model format or from ONNX-ML's TreeEnsembleClassifier, its exact
// fixed-point form, and the native integer inference that the circuit's tree
// gadget (package circuits/tree) reproduces bit for bit.
//
// # The fixed-point ensemble
//
// An Ensemble is a node table of Trees·NodesPerTree nodes; tree t owns the
// nodes [t·NodesPerTree, (t+1)·NodesPerTree) and its root is the first. Node
// n holds a feature index Feature[n] in [0, Features), an integer threshold
// Threshold[n], a left child Left[n] (a global node index; the right child is
// Left[n]+1) and a leaf vector Value[n] of LeafWidth integers. Inference on a
// sample x (the benchmark's integer features) takes exactly Depth steps in
// every tree:
//
//	n = root(t)
//	repeat Depth times: n = Left[n] if x[Feature[n]] <= Threshold[n] else Left[n]+1
//
// and adds Value[n] of the node reached to the scores. A leaf is a node
// whose left child is itself and whose threshold is at least every feature
// (MaxThreshold), so that a path which reaches a leaf early stays there. The
// walk itself is the model's definition (Eval): any node table defines a
// function computed by Trees decision trees of depth Depth, which is what the
// public shape says.
//
// Heap layout: when Heap is set, each tree is a complete binary tree of
// depth Depth (NodesPerTree = 2^(Depth+1) - 1) stored level by level, the
// children of local node i being 2i+1 (taken when x <= T) and 2i+2; there is
// no Left column, and a leaf above the last level is copied into its whole
// subtree (the copies compare anything and hold its values), so a walk
// reads leaf values on the last level only. It saves the child lookup at
// every step, for trees that are (nearly) complete.
//
// Scores: with LeafWidth = Outputs, leaf vectors add to every output; with
// LeafWidth = 1 and several outputs, tree t adds to output t mod Outputs (the
// layout XGBoost uses for multi-class models). Output k's score is
// Base[k] + the sum of its leaf values. With Outputs = Classes the predicted
// class is the first maximal score; with Outputs = 1 (a binary model with one
// margin) the class is 1 exactly when the margin is above 0, which Eval
// expresses as the two logits (0, margin) under the same first-maximal rule.
//
// # Exact thresholds
//
// A float threshold t on a feature stored as the integer X at scale 1/S is
// compared by the float model as v(X) < t (or <=, per node), where v(X) is
// the float the model reads: float32(X/S) for float32 models (XGBoost,
// ONNX-ML with float inputs), X/S in float64 otherwise. v is non-decreasing
// in X, so the set of X that go left is {X <= T} for one integer T, which
// IntThreshold finds by bisection over the integers with the float
// comparison itself. Thresholds are clamped to the domain
// [-2^InputBits - 1, 2^InputBits - 1], exact for every feature within
// [-2^InputBits, 2^InputBits).
package tree

import (
	"errors"
	"fmt"
	"math/big"
)

// Limits of the fixed-point ensemble, shared with the public description:
// they keep node tables, widths and sums far below the BN254 field and
// native int64 arithmetic exact.
const (
	MaxTrees     = 1 << 16
	MaxDepth     = 64
	MaxNodes     = 1 << 24 // Trees·NodesPerTree
	MaxBits      = 48      // ThresholdBits, ValueBits, BaseBits
	MaxInputBits = 60
	MaxClasses   = 1 << 16
	// MaxHeapDepth bounds the depth of a heap layout.
	MaxHeapDepth = 16
)

// ErrInvalid marks a node table or shape that breaks a rule of Validate.
var ErrInvalid = errors.New("invalid tree ensemble")

// Shape is the public shape of a fixed-point ensemble: what the circuit
// description reveals. Widths are two's complement bit widths, except
// FeatureBits and ChildBits (unsigned).
type Shape struct {
	Trees        int `json:"trees"`
	Depth        int `json:"depth"`
	NodesPerTree int `json:"nodesPerTree"`
	Classes      int `json:"classes"`
	// Outputs is Classes, or 1 for a binary model with one margin.
	Outputs int `json:"outputs"`
	// LeafWidth is Outputs, or 1 when tree t adds to output t mod Outputs.
	LeafWidth int `json:"leafWidth"`
	// InputBits is the threshold domain: thresholds are exact for features
	// within [-2^InputBits, 2^InputBits).
	InputBits     int `json:"thresholdDomainBits"`
	FeatureBits   int `json:"featureBits"`
	ThresholdBits int `json:"thresholdBits"`
	ChildBits     int `json:"childBits"`
	// Heap selects the heap layout (see the package documentation):
	// implicit children, no child column, ChildBits 0.
	Heap      bool `json:"heap,omitempty"`
	ValueBits int  `json:"valueBits"`
	BaseBits  int  `json:"baseBits"`
}

// Nodes returns the size of the node table, Trees·NodesPerTree.
func (s *Shape) Nodes() int { return s.Trees * s.NodesPerTree }

// UBits returns the least k >= 1 with v < 2^k, for v >= 0: the unsigned
// width of values in [0, v].
func UBits(v int64) int {
	k := 1
	for k < 63 && v >= int64(1)<<k {
		k++
	}
	return k
}

// SBits returns the least k >= 2 with -2^(k-1) <= v < 2^(k-1) for every v
// of vs: their two's complement width.
func SBits(vs ...int64) int {
	k := 2
	for _, v := range vs {
		for k < 64 && (v < -(int64(1)<<(k-1)) || v >= int64(1)<<(k-1)) {
			k++
		}
	}
	return k
}

// MaxThreshold returns the threshold of a leaf for the domain bits: every
// feature within the domain is at most it, so a leaf always goes "left", to
// itself.
func MaxThreshold(bits int) int64 { return int64(1)<<bits - 1 }

// MinThreshold returns the least threshold of the domain: no feature within
// it is at most this.
func MinThreshold(bits int) int64 { return -(int64(1) << bits) - 1 }

// Validate checks the shape on its own, for features input features: sizes
// within the limits, Outputs and LeafWidth among their allowed values, the
// unsigned widths those the table size and feature count need, the signed
// widths within [2, MaxBits] and the threshold width within what the domain
// needs.
func (s *Shape) Validate(features int) error {
	switch {
	case s.Trees < 1 || s.Trees > MaxTrees:
		return fmt.Errorf("%w: trees %d outside [1, %d]", ErrInvalid, s.Trees, MaxTrees)
	case s.Depth < 1 || s.Depth > MaxDepth:
		return fmt.Errorf("%w: depth %d outside [1, %d]", ErrInvalid, s.Depth, MaxDepth)
	case s.NodesPerTree < 1 || int64(s.Trees)*int64(s.NodesPerTree) > MaxNodes:
		return fmt.Errorf("%w: %d trees of %d nodes: the node table must hold 1 to %d nodes", ErrInvalid, s.Trees, s.NodesPerTree, MaxNodes)
	case s.Classes < 2 || s.Classes > MaxClasses:
		return fmt.Errorf("%w: classes %d outside [2, %d]", ErrInvalid, s.Classes, MaxClasses)
	case !(s.Outputs == s.Classes || (s.Outputs == 1 && s.Classes == 2)):
		return fmt.Errorf("%w: outputs %d for %d classes; want the class count, or 1 for a binary model with one margin", ErrInvalid, s.Outputs, s.Classes)
	case s.LeafWidth != 1 && s.LeafWidth != s.Outputs:
		return fmt.Errorf("%w: leaf width %d; want 1 or the output count %d", ErrInvalid, s.LeafWidth, s.Outputs)
	case features < 1 || int64(features) > 1<<32:
		return fmt.Errorf("%w: %d features", ErrInvalid, features)
	case s.InputBits < 1 || s.InputBits > MaxInputBits:
		return fmt.Errorf("%w: threshold domain bits %d outside [1, %d]", ErrInvalid, s.InputBits, MaxInputBits)
	case s.FeatureBits != UBits(int64(features-1)):
		return fmt.Errorf("%w: feature bits %d; %d features need %d", ErrInvalid, s.FeatureBits, features, UBits(int64(features-1)))
	case s.Heap && (s.Depth > MaxHeapDepth || s.NodesPerTree != 1<<(s.Depth+1)-1 || s.ChildBits != 0):
		return fmt.Errorf("%w: a heap layout of depth %d (at most %d) has 2^%d - 1 nodes per tree and no child column; got %d nodes and child bits %d", ErrInvalid, s.Depth, MaxHeapDepth, s.Depth+1, s.NodesPerTree, s.ChildBits)
	case !s.Heap && s.ChildBits != UBits(int64(s.Nodes()-1)):
		return fmt.Errorf("%w: child bits %d; a table of %d nodes needs %d", ErrInvalid, s.ChildBits, s.Nodes(), UBits(int64(s.Nodes()-1)))
	case s.ThresholdBits < 2 || s.ThresholdBits > s.InputBits+2:
		return fmt.Errorf("%w: threshold bits %d outside [2, %d] (the domain's thresholds lie within [-2^%d - 1, 2^%d - 1])", ErrInvalid, s.ThresholdBits, s.InputBits+2, s.InputBits, s.InputBits)
	case s.ValueBits < 2 || s.ValueBits > MaxBits || s.BaseBits < 2 || s.BaseBits > MaxBits:
		return fmt.Errorf("%w: value bits %d and base bits %d must lie in [2, %d]", ErrInvalid, s.ValueBits, s.BaseBits, MaxBits)
	}
	return nil
}

// TreesPerOutput returns how many trees add to one output: Trees when
// leaves are vectors, ceil(Trees/Outputs) otherwise.
func (s *Shape) TreesPerOutput() int {
	if s.LeafWidth == s.Outputs {
		return s.Trees
	}
	return (s.Trees + s.Outputs - 1) / s.Outputs
}

// OutputOf returns the output that entry j of tree t's leaf vector adds to.
func (s *Shape) OutputOf(t, j int) int {
	if s.LeafWidth == s.Outputs {
		return j
	}
	return t % s.Outputs
}

// String describes the shape, e.g. "100 trees of depth 4 (31 nodes each,
// heap layout), 2 classes".
func (s *Shape) String() string {
	out := fmt.Sprintf("%d classes", s.Classes)
	if s.Outputs == 1 {
		out = "2 classes (one margin)"
	}
	layout := ""
	if s.Heap {
		layout = ", heap layout"
	}
	if s.Trees == 1 {
		return fmt.Sprintf("1 tree of depth %d (%d nodes%s), %s", s.Depth, s.NodesPerTree, layout, out)
	}
	return fmt.Sprintf("%d trees of depth %d (%d nodes each%s), %s", s.Trees, s.Depth, s.NodesPerTree, layout, out)
}

// Ensemble is a fixed-point tree ensemble (see the package documentation).
// Slices indexed by node have Shape.Nodes() entries.
type Ensemble struct {
	Shape
	// Features is the number of input features.
	Features int
	// Feature [nodes]: the feature index each node compares, in [0, Features).
	Feature []int
	// Threshold [nodes]: a sample goes to Left when x[Feature] <= Threshold.
	Threshold []int64
	// Left [nodes]: the global index of the left child; the right child is
	// Left+1. A leaf's left child is itself.
	Left []int
	// Value [nodes][LeafWidth]: the leaf values (zero for inner nodes).
	Value [][]int64
	// Base [Outputs]: added to each output's score.
	Base []int64
}

// Root returns the node index of tree t's root.
func (e *Ensemble) Root(t int) int { return t * e.NodesPerTree }

// Step returns the node after n for sample x: Left[n] when
// x[Feature[n]] <= Threshold[n], else Left[n]+1 (with the heap layout, the
// node's children 2i+1 and 2i+2 within its tree), and whether it went left.
// It returns an error when the feature or the next node is outside the
// sample or the table.
func (e *Ensemble) Step(n int, x []int64) (next int, left bool, err error) {
	if n < 0 || n >= len(e.Feature) {
		return 0, false, fmt.Errorf("node %d outside the table of %d nodes", n, len(e.Feature))
	}
	f := e.Feature[n]
	if f < 0 || f >= len(x) {
		return 0, false, fmt.Errorf("node %d reads feature %d of a sample of %d", n, f, len(x))
	}
	left = x[f] <= e.Threshold[n]
	if e.Heap {
		root := n / e.NodesPerTree * e.NodesPerTree
		next = root + 2*(n-root) + 1
	} else {
		next = e.Left[n]
	}
	if !left {
		next++
	}
	if next < 0 || next >= len(e.Feature) {
		return 0, false, fmt.Errorf("node %d leads to node %d, outside the table of %d nodes", n, next, len(e.Feature))
	}
	return next, left, nil
}

// Leaves returns, for each tree, the node that Depth steps from its root
// reach for sample x.
func (e *Ensemble) Leaves(x []int64) ([]int, error) {
	if len(x) != e.Features {
		return nil, fmt.Errorf("tree ensemble: sample has %d features, the model takes %d", len(x), e.Features)
	}
	out := make([]int, e.Trees)
	for t := range out {
		n := e.Root(t)
		for range e.Depth {
			var err error
			if n, _, err = e.Step(n, x); err != nil {
				return nil, fmt.Errorf("tree %d: %w", t, err)
			}
		}
		out[t] = n
	}
	return out, nil
}

// Scores returns the Outputs scores for sample x: Base plus the leaf values
// reached.
func (e *Ensemble) Scores(x []int64) ([]int64, error) {
	leaves, err := e.Leaves(x)
	if err != nil {
		return nil, err
	}
	s := append([]int64(nil), e.Base...)
	for t, n := range leaves {
		for j, v := range e.Value[n] {
			s[e.OutputOf(t, j)] += v
		}
	}
	return s, nil
}

// Eval returns the logits for sample x, of length Classes, whose first
// maximal entry is the predicted class: the scores, or (0, margin) for a
// one-margin binary model. It is the native twin of the circuit.
func (e *Ensemble) Eval(x []int64) ([]int64, error) {
	s, err := e.Scores(x)
	if err != nil {
		return nil, err
	}
	if e.Outputs == 1 {
		return []int64{0, s[0]}, nil
	}
	return s, nil
}

// Validate checks the table against the shape: slice lengths, every
// feature within [0, Features), every value within its declared width,
// every threshold within the domain and its width, and the structure: in
// every tree, from the root, each node is either a leaf (its own left child,
// threshold MaxThreshold) or has both children inside the tree, and every
// path reaches a leaf within Depth steps (so there is no cycle). Errors name
// the tree and node.
func (e *Ensemble) Validate() error {
	if err := e.Shape.Validate(e.Features); err != nil {
		return err
	}
	N := e.Nodes()
	nl := N
	if e.Heap {
		nl = 0
	}
	if len(e.Feature) != N || len(e.Threshold) != N || len(e.Left) != nl || len(e.Value) != N {
		return fmt.Errorf("%w: %d trees of %d nodes need %d entries, but the table has %d features, %d thresholds, %d children and %d leaf vectors",
			ErrInvalid, e.Trees, e.NodesPerTree, N, len(e.Feature), len(e.Threshold), len(e.Left), len(e.Value))
	}
	if len(e.Base) != e.Outputs {
		return fmt.Errorf("%w: %d base scores for %d outputs", ErrInvalid, len(e.Base), e.Outputs)
	}
	vlo, vhi := -(int64(1) << (e.ValueBits - 1)), int64(1)<<(e.ValueBits-1)
	tlo, thi := -(int64(1) << (e.ThresholdBits - 1)), int64(1)<<(e.ThresholdBits-1)
	for n := range N {
		t, j := n/e.NodesPerTree, n%e.NodesPerTree
		if f := e.Feature[n]; f < 0 || f >= e.Features {
			return fmt.Errorf("%w: tree %d node %d: feature %d outside [0, %d)", ErrInvalid, t, j, f, e.Features)
		}
		if th := e.Threshold[n]; th < MinThreshold(e.InputBits) || th > MaxThreshold(e.InputBits) || th < tlo || th >= thi {
			return fmt.Errorf("%w: tree %d node %d: threshold %d outside the domain [-2^%d - 1, 2^%d - 1] or its %d-bit width", ErrInvalid, t, j, th, e.InputBits, e.InputBits, e.ThresholdBits)
		}
		if len(e.Value[n]) != e.LeafWidth {
			return fmt.Errorf("%w: tree %d node %d: %d leaf values, want %d", ErrInvalid, t, j, len(e.Value[n]), e.LeafWidth)
		}
		for _, v := range e.Value[n] {
			if v < vlo || v >= vhi {
				return fmt.Errorf("%w: tree %d node %d: leaf value %d outside its %d-bit width", ErrInvalid, t, j, v, e.ValueBits)
			}
		}
	}
	blo, bhi := -(int64(1) << (e.BaseBits - 1)), int64(1)<<(e.BaseBits-1)
	for k, v := range e.Base {
		if v < blo || v >= bhi {
			return fmt.Errorf("%w: base score %d = %d outside its %d-bit width", ErrInvalid, k, v, e.BaseBits)
		}
	}
	if e.Heap {
		return nil // every walk of Depth steps stays in its tree
	}
	for t := range e.Trees {
		if err := e.checkTree(t); err != nil {
			return err
		}
	}
	return nil
}

// checkTree walks tree t from its root, depth first.
func (e *Ensemble) checkTree(t int) error {
	lo, hi := e.Root(t), e.Root(t)+e.NodesPerTree
	type item struct{ n, depth int }
	stack := []item{{lo, 0}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := it.n
		l := e.Left[n]
		if l == n {
			if e.Threshold[n] != MaxThreshold(e.InputBits) {
				return fmt.Errorf("%w: tree %d node %d: a leaf (its own left child) must have threshold %d, so that it always stays put; it has %d", ErrInvalid, t, n-lo, MaxThreshold(e.InputBits), e.Threshold[n])
			}
			continue
		}
		if l < lo || l+1 >= hi {
			return fmt.Errorf("%w: tree %d node %d: children %d and %d outside the tree's nodes [0, %d)", ErrInvalid, t, n-lo, l-lo, l+1-lo, e.NodesPerTree)
		}
		if it.depth >= e.Depth {
			return fmt.Errorf("%w: tree %d node %d: an inner node at depth %d, but the ensemble's depth is %d (or the tree has a cycle)", ErrInvalid, t, n-lo, it.depth, e.Depth)
		}
		stack = append(stack, item{l, it.depth + 1}, item{l + 1, it.depth + 1})
	}
	return nil
}

// LogitBits returns the least k with -2^k <= logit < 2^k for every logit
// Eval can return under the shape's widths: each output sums at most
// TreesPerOutput leaf values of ValueBits and a base of BaseBits.
func (s *Shape) LogitBits() int {
	// |sum| <= n·2^(vb-1) + 2^(bb-1)
	w := new(big.Int).Lsh(big.NewInt(int64(s.TreesPerOutput())), uint(s.ValueBits-1))
	w.Add(w, new(big.Int).Lsh(big.NewInt(1), uint(s.BaseBits-1)))
	return w.BitLen()
}
