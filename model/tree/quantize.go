package tree

import (
	"errors"
	"fmt"
	"math"
)

// Quantize converts a float ensemble to fixed point for features stored at
// scale 1/s within [-2^inputBits, 2^inputBits): every threshold becomes
// IntThreshold's exact integer threshold, every leaf value v becomes
// round(v·2^scaleBits) and each base b becomes round((b - Cut)·2^scaleBits)
// (rounding half away from zero), so that a one-margin model's class is 1
// exactly when its integer margin is above 0.
//
// Layout: each tree's nodes are renumbered breadth first with the two
// children of a node next to each other (the Yes child, taken when
// X <= T, first); leaves become nodes that are their own left child with
// threshold MaxThreshold; every tree is padded with such leaves (value 0) to
// the largest tree's node count, and Depth is the deepest leaf's depth (at
// least 1). Errors name the tree and node.
func Quantize(fe *FloatEnsemble, s int64, inputBits, scaleBits int) (*Ensemble, error) {
	if err := fe.Check(); err != nil {
		return nil, err
	}
	if scaleBits < 0 || scaleBits > 40 {
		return nil, fmt.Errorf("leaf scale bits %d outside [0, 40]", scaleBits)
	}
	if inputBits < 1 || inputBits > MaxInputBits {
		return nil, fmt.Errorf("feature domain bits %d outside [1, %d]", inputBits, MaxInputBits)
	}
	scale := math.Ldexp(1, scaleBits)
	e := &Ensemble{Features: fe.Features}
	e.Trees, e.Classes, e.Outputs, e.InputBits = len(fe.Trees), fe.Classes, fe.Outputs, inputBits
	e.LeafWidth = 1
	if fe.Outputs > 1 {
		for t := range fe.Trees {
			tr := &fe.Trees[t]
			for _, nd := range tr.Nodes {
				if nd.Leaf && len(nd.Value) != 1 {
					e.LeafWidth = fe.Outputs
				}
			}
			if tr.Output != t%fe.Outputs {
				e.LeafWidth = fe.Outputs
			}
		}
	}
	// Renumber every tree breadth first.
	orders := make([][]int, len(fe.Trees))
	for t := range fe.Trees {
		tr := &fe.Trees[t]
		order := []int{0}
		depth := map[int]int{0: 0}
		for i := 0; i < len(order); i++ {
			nd := &tr.Nodes[order[i]]
			if nd.Leaf {
				continue
			}
			depth[nd.Yes], depth[nd.No] = depth[order[i]]+1, depth[order[i]]+1
			order = append(order, nd.Yes, nd.No)
			e.Depth = max(e.Depth, depth[order[i]]+1)
		}
		orders[t] = order
		e.NodesPerTree = max(e.NodesPerTree, len(order))
	}
	e.Depth = max(e.Depth, 1)
	// The heap layout when the trees are nearly complete: it saves a lookup
	// per step for at most twice the nodes.
	if heap := 1<<(e.Depth+1) - 1; e.Depth <= MaxHeapDepth && heap <= 2*e.NodesPerTree && int64(e.Trees)*int64(heap) <= MaxNodes {
		e.Heap, e.NodesPerTree = true, heap
		return quantizeHeap(fe, e, s, scale)
	}
	if int64(e.Trees)*int64(e.NodesPerTree) > MaxNodes {
		return nil, fmt.Errorf("%d trees padded to %d nodes each exceed the %d nodes zkeval takes", e.Trees, e.NodesPerTree, MaxNodes)
	}
	N := e.Nodes()
	e.Feature, e.Threshold, e.Left, e.Value = make([]int, N), make([]int64, N), make([]int, N), make([][]int64, N)
	top := MaxThreshold(inputBits)
	for n := range N {
		e.Threshold[n], e.Left[n], e.Value[n] = top, n, make([]int64, e.LeafWidth)
	}
	var thresholds, values []int64
	for t := range fe.Trees {
		tr := &fe.Trees[t]
		root := e.Root(t)
		newIdx := make(map[int]int, len(orders[t]))
		for i, old := range orders[t] {
			newIdx[old] = root + i
		}
		for i, old := range orders[t] {
			n := root + i
			nd := &tr.Nodes[old]
			if nd.Leaf {
				for j, v := range nd.Value {
					q, err := roundScaled(v, scale)
					if err != nil {
						return nil, fmt.Errorf("tree %d node %d: leaf value %g: %w", t, old, v, err)
					}
					switch {
					case e.LeafWidth == len(nd.Value):
						e.Value[n][j] = q
					default: // one value, vector leaves
						e.Value[n][tr.Output] = q
					}
					values = append(values, q)
				}
				continue
			}
			th, err := IntThreshold(nd.Threshold, nd.Inclusive, fe.Float32, s, inputBits)
			if err != nil {
				return nil, fmt.Errorf("tree %d node %d: %w", t, old, err)
			}
			e.Feature[n], e.Threshold[n], e.Left[n] = nd.Feature, th, newIdx[nd.Yes]
			if newIdx[nd.No] != e.Left[n]+1 {
				return nil, fmt.Errorf("internal error: tree %d node %d: children not adjacent", t, old)
			}
			thresholds = append(thresholds, th)
		}
	}
	return finish(fe, e, scale, thresholds, values)
}

// finish quantizes the base scores, sets the widths and validates e.
func finish(fe *FloatEnsemble, e *Ensemble, scale float64, thresholds, values []int64) (*Ensemble, error) {
	top := MaxThreshold(e.InputBits)
	e.Base = make([]int64, e.Outputs)
	for k, b := range fe.Base {
		if e.Outputs == 1 {
			b -= fe.Cut
		}
		q, err := roundScaled(b, scale)
		if err != nil {
			return nil, fmt.Errorf("base score %d = %g: %w", k, b, err)
		}
		e.Base[k] = q
	}
	e.FeatureBits = UBits(int64(e.Features - 1))
	if !e.Heap {
		e.ChildBits = UBits(int64(e.Nodes() - 1))
	}
	e.ThresholdBits = SBits(append(thresholds, top)...)
	e.ValueBits = SBits(values...)
	e.BaseBits = SBits(e.Base...)
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return e, nil
}

// quantizeHeap lays e out as complete binary trees (Heap): tree t's node at
// local position i has its children at 2i+1 (Yes) and 2i+2 (No); a leaf
// above the last level is copied into its whole subtree.
func quantizeHeap(fe *FloatEnsemble, e *Ensemble, s int64, scale float64) (*Ensemble, error) {
	N := e.Nodes()
	top := MaxThreshold(e.InputBits)
	e.Feature, e.Threshold, e.Left, e.Value = make([]int, N), make([]int64, N), nil, make([][]int64, N)
	for n := range N {
		e.Threshold[n], e.Value[n] = top, make([]int64, e.LeafWidth)
	}
	var thresholds, values []int64
	for t := range fe.Trees {
		tr := &fe.Trees[t]
		root := e.Root(t)
		var place func(old, pos, depth int) error
		place = func(old, pos, depth int) error {
			nd := &tr.Nodes[old]
			if nd.Leaf {
				q := make([]int64, e.LeafWidth)
				for j, v := range nd.Value {
					r, err := roundScaled(v, scale)
					if err != nil {
						return fmt.Errorf("tree %d node %d: leaf value %g: %w", tr.ID, tr.id(old), v, err)
					}
					if e.LeafWidth == len(nd.Value) {
						q[j] = r
					} else {
						q[tr.Output] = r
					}
					values = append(values, r)
				}
				// The leaf and its copies down to the last level.
				for first, width := pos, 1; first < e.NodesPerTree; first, width = 2*first+1, 2*width {
					for p := first; p < first+width; p++ {
						e.Value[root+p] = q
					}
				}
				return nil
			}
			if depth >= e.Depth {
				return fmt.Errorf("internal error: tree %d node %d below the depth", tr.ID, tr.id(old))
			}
			th, err := IntThreshold(nd.Threshold, nd.Inclusive, fe.Float32, s, e.InputBits)
			if err != nil {
				return fmt.Errorf("tree %d node %d: %w", tr.ID, tr.id(old), err)
			}
			e.Feature[root+pos], e.Threshold[root+pos] = nd.Feature, th
			thresholds = append(thresholds, th)
			if err := place(nd.Yes, 2*pos+1, depth+1); err != nil {
				return err
			}
			return place(nd.No, 2*pos+2, depth+1)
		}
		if err := place(0, 0, 0); err != nil {
			return nil, err
		}
	}
	return finish(fe, e, scale, thresholds, values)
}

func roundScaled(v, scale float64) (int64, error) {
	r := math.Round(v * scale)
	if math.IsNaN(r) || math.Abs(r) >= 1<<(MaxBits-1) {
		return 0, errors.New("does not fit 47 bits at this scale; lower the scale bits")
	}
	return int64(r), nil
}
