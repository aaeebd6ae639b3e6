package tree

import (
	"fmt"
	"math"
)

// FloatNode is one node of a float tree. An inner node sends a sample to Yes
// when v <= Threshold (Inclusive) or v < Threshold (not Inclusive), v being
// the float the model reads for feature Feature, and to No otherwise. A leaf
// holds its values.
type FloatNode struct {
	Leaf      bool
	Feature   int
	Threshold float64
	Inclusive bool
	Yes, No   int // node indices within the tree
	// Value holds a leaf's values: one (added to the tree's Output) or one
	// per output.
	Value []float64
}

// FloatTree is one tree; Nodes[0] is its root.
type FloatTree struct {
	Nodes []FloatNode
	// Output is the output a leaf of one value adds to.
	Output int
	// ID and IDs are the tree's and its nodes' ids in the model file, for
	// errors (nil IDs: the node index is the id).
	ID  int64
	IDs []int64
}

func (tr *FloatTree) id(n int) int64 {
	if n >= 0 && n < len(tr.IDs) {
		return tr.IDs[n]
	}
	return int64(n)
}

// FloatEnsemble is a tree ensemble as read from a model file, with the
// file's float thresholds and leaf values.
type FloatEnsemble struct {
	// Name and Source (e.g. "xgboost json", "onnx-ml") describe the model.
	Name, Source string
	Features     int
	Classes      int
	// Outputs is Classes, or 1 for a binary model with one margin: class
	// 1 exactly when Base[0] + the leaf values exceed Cut.
	Outputs int
	Cut     float64
	// Float32 says the model reads each feature as float32(X/S); otherwise
	// as the float64 X/S.
	Float32 bool
	Trees   []FloatTree
	// Base [Outputs] is added to the scores.
	Base []float64
}

// Value returns the float the model reads for the integer feature X stored
// at scale 1/S: float32(X/S) for a float32 model (X/S computed in float64,
// then rounded to float32, as numpy's (X / S).astype(float32) does), X/S in
// float64 otherwise.
func (fe *FloatEnsemble) Value(x, s int64) float64 { return featureValue(x, s, fe.Float32) }

func featureValue(x, s int64, f32 bool) float64 {
	v := float64(x) / float64(s)
	if f32 {
		return float64(float32(v))
	}
	return v
}

// Check validates the float ensemble's structure: every tree non-empty,
// every child index within its tree, every node reached from the root at
// most once (no cycle, no shared child), features within [0, Features),
// no NaN threshold, finite leaf values of the right width, and Base of
// Outputs finite values. Errors name the tree and node.
func (fe *FloatEnsemble) Check() error {
	if fe.Features < 1 {
		return fmt.Errorf("the model reads %d features", fe.Features)
	}
	if fe.Classes < 2 || fe.Classes > MaxClasses {
		return fmt.Errorf("the model has %d classes; a classifier has 2 to %d", fe.Classes, MaxClasses)
	}
	if !(fe.Outputs == fe.Classes || (fe.Outputs == 1 && fe.Classes == 2)) {
		return fmt.Errorf("%d outputs for %d classes", fe.Outputs, fe.Classes)
	}
	if len(fe.Trees) == 0 || len(fe.Trees) > MaxTrees {
		return fmt.Errorf("the model has %d trees; zkeval takes 1 to %d", len(fe.Trees), MaxTrees)
	}
	if len(fe.Base) != fe.Outputs {
		return fmt.Errorf("%d base scores for %d outputs", len(fe.Base), fe.Outputs)
	}
	for k, b := range fe.Base {
		if math.IsNaN(b) || math.IsInf(b, 0) {
			return fmt.Errorf("base score %d is %g; it must be finite", k, b)
		}
	}
	if math.IsNaN(fe.Cut) || math.IsInf(fe.Cut, 0) {
		return fmt.Errorf("the binary decision threshold is %g", fe.Cut)
	}
	for t := range fe.Trees {
		if err := fe.checkTree(t); err != nil {
			return err
		}
	}
	return nil
}

func (fe *FloatEnsemble) checkTree(t int) error {
	tr := &fe.Trees[t]
	if len(tr.Nodes) == 0 {
		return fmt.Errorf("tree %d has no node", tr.ID)
	}
	if tr.Output < 0 || tr.Output >= fe.Outputs {
		return fmt.Errorf("tree %d adds to output %d of %d", tr.ID, tr.Output, fe.Outputs)
	}
	seen := make([]bool, len(tr.Nodes))
	type item struct{ n, depth int }
	stack := []item{{0, 0}}
	seen[0] = true
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		nd := &tr.Nodes[it.n]
		if nd.Leaf {
			if len(nd.Value) != 1 && len(nd.Value) != fe.Outputs {
				return fmt.Errorf("tree %d node %d: a leaf with %d values; want 1 or %d", tr.ID, tr.id(it.n), len(nd.Value), fe.Outputs)
			}
			for _, v := range nd.Value {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return fmt.Errorf("tree %d node %d: leaf value %g is not finite", tr.ID, tr.id(it.n), v)
				}
			}
			continue
		}
		if it.depth >= MaxDepth {
			return fmt.Errorf("tree %d node %d: an inner node at depth %d; zkeval takes trees of depth at most %d", tr.ID, tr.id(it.n), it.depth, MaxDepth)
		}
		if nd.Feature < 0 || nd.Feature >= fe.Features {
			return fmt.Errorf("tree %d node %d: feature index %d outside the model's %d features", tr.ID, tr.id(it.n), nd.Feature, fe.Features)
		}
		if math.IsNaN(nd.Threshold) {
			return fmt.Errorf("tree %d node %d: threshold is NaN", tr.ID, tr.id(it.n))
		}
		for _, c := range []int{nd.Yes, nd.No} {
			if c < 0 || c >= len(tr.Nodes) {
				return fmt.Errorf("tree %d node %d: child %d outside the tree's %d nodes", tr.ID, tr.id(it.n), c, len(tr.Nodes))
			}
			if seen[c] {
				return fmt.Errorf("tree %d node %d: child %d is reached twice (a cycle or a shared child); a tree's nodes have one parent each", tr.ID, tr.id(it.n), tr.id(c))
			}
			seen[c] = true
			stack = append(stack, item{c, it.depth + 1})
		}
	}
	return nil
}

// Scores returns the float scores [Outputs] for the integer sample x at
// scale 1/s, summed in float64 in tree order.
func (fe *FloatEnsemble) Scores(x []int64, s int64) []float64 {
	sc := append([]float64(nil), fe.Base...)
	for t := range fe.Trees {
		tr := &fe.Trees[t]
		n := 0
		for !tr.Nodes[n].Leaf {
			nd := &tr.Nodes[n]
			v := featureValue(x[nd.Feature], s, fe.Float32)
			if (nd.Inclusive && v <= nd.Threshold) || (!nd.Inclusive && v < nd.Threshold) {
				n = nd.Yes
			} else {
				n = nd.No
			}
		}
		vals := tr.Nodes[n].Value
		if len(vals) == 1 && fe.Outputs > 1 {
			sc[tr.Output] += vals[0]
			continue
		}
		for j, v := range vals {
			sc[j] += v
		}
	}
	return sc
}

// Predict returns the float model's class for x at scale 1/s: the first
// maximal score, or for one margin, 1 exactly when it exceeds Cut.
func (fe *FloatEnsemble) Predict(x []int64, s int64) int {
	sc := fe.Scores(x, s)
	if fe.Outputs == 1 {
		if sc[0] > fe.Cut {
			return 1
		}
		return 0
	}
	best := 0
	for k, v := range sc {
		if v > sc[best] {
			best = k
		}
	}
	return best
}

// IntThreshold returns the integer threshold T with, for every integer
// feature X in the domain [-2^bits, 2^bits): v(X) <= t (inclusive) or
// v(X) < t (not inclusive) exactly when X <= T, where v(X) is the float the
// model reads (float32(X/s) or X/s). Because v is non-decreasing in X, the
// set of such X is a prefix of the domain, found by bisection with the float
// comparison itself. T is MinThreshold(bits) when no X of the domain
// qualifies and MaxThreshold(bits) when all do. A NaN t is an error.
func IntThreshold(t float64, inclusive, f32 bool, s int64, bits int) (int64, error) {
	if math.IsNaN(t) {
		return 0, fmt.Errorf("threshold is NaN")
	}
	if s < 1 {
		return 0, fmt.Errorf("input scale %d", s)
	}
	yes := func(x int64) bool {
		v := featureValue(x, s, f32)
		if inclusive {
			return v <= t
		}
		return v < t
	}
	lo, hi := -(int64(1) << bits), int64(1)<<bits-1
	if !yes(lo) {
		return lo - 1, nil
	}
	if yes(hi) {
		return hi, nil
	}
	// yes(lo) and !yes(hi): find the last yes.
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if yes(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, nil
}
