// Package tree is the gadget that evaluates a secret tree ensemble
// (package model/tree) on constant samples, at a cost per sample that grows
// with the trees' depth, not with their node count.
//
// The committed node table (feature, threshold, left child and leaf values
// of every node, secret variables) is held in log-derivative lookup tables
// indexed by node (Haböck 2022, https://eprint.iacr.org/2022/1530; gnark
// std/lookup/logderivlookup), one per column, and the benchmark's features
// in one constant table indexed by s·F + f. For each tree and sample, Walk
// follows the path from the tree's root for Depth steps, as
// model/tree.Ensemble.Eval does. At each step it looks up the current
// node's feature f, threshold T and left child L (at the root, a constant
// index, it reads the table's variables directly), looks up x = x[s][f] in
// the feature table, and takes a hinted branch bit b (1 when x <= T), which
// it checks with one range check: r = T - x when b = 1 and r = x - T - 1
// when b = 0 must satisfy 0 <= r < 2^cmpBits. The next node is
// L + 1 - b. At the end it looks up the reached node's leaf values.
//
// Why it is sound: every lookup returns the table's entry at the queried
// index (a lookup of an index outside the table cannot be satisfied), so
// f, T, L and the leaf values are those of the committed node at each
// step; NewTable range-checks every feature index into [0, F), so the
// feature lookup reads x[s][f] of the right sample; and with |x| and |T|
// far below the field (their bounds are published: the benchmark's
// inputBits, the thresholds' packed width, within desc.MaxValueBits), the
// wrong branch bit would need r = -(T - x) - 1 < 0 or r = T - x < 0 to pass a
// range check of cmpBits bits, which no field element p - |r| does. So the
// path, and the leaf reached, are the native walk's.
//
// Cost per tree and sample, for depth D and w leaf values: D feature
// lookups, 3(D-1) node lookups (2(D-1) in the heap layout, whose next node
// 2i+2-b is linear), D range checks, 2D constraints for the branch, w
// value lookups; each lookup about 2 constraints. The tables add
// about 2 constraints per node and column and 1 per feature entry.
package tree

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/lookup/logderivlookup"

	"github.com/zkeval/zkeval/circuits/internal/fieldint"
)

// Hints returns the gadget's hints, for registration with
// solver.RegisterHint; circuits.RegisterHints registers every gadget's
// hints in one place.
func Hints() []solver.Hint { return []solver.Hint{BranchHint} }

// Nodes is a node table: Feature, Threshold and Left [nodes] and Value
// [nodes][LeafWidth], as in model/tree.Ensemble. An empty Left selects the
// heap layout: the children of a tree's local node i are 2i+1 and 2i+2.
type Nodes struct {
	Feature, Threshold, Left []frontend.Variable
	Value                    [][]frontend.Variable
}

// Table is a node table in lookup tables, one per column.
type Table struct {
	nodes                    Nodes
	heap                     bool
	feature, threshold, left logderivlookup.Table
	value                    []logderivlookup.Table
}

// NewTable inserts the node table into lookup tables and range-checks
// every feature index into [0, features): f and features-1-f on
// featureBits bits (2^featureBits >= features). Create it before the
// circuit's first multicommit call, so that its deferred arguments join
// the circuit's single commitment.
func NewTable(api frontend.API, rc frontend.Rangechecker, nodes Nodes, features, featureBits int) (*Table, error) {
	n := len(nodes.Feature)
	heap := len(nodes.Left) == 0
	if n == 0 || len(nodes.Threshold) != n || (!heap && len(nodes.Left) != n) || len(nodes.Value) != n {
		return nil, fmt.Errorf("tree gadget: node table columns of %d, %d, %d and %d entries", len(nodes.Feature), len(nodes.Threshold), len(nodes.Left), len(nodes.Value))
	}
	if features < 1 || features > 1<<featureBits {
		return nil, fmt.Errorf("tree gadget: %d features do not fit %d bits", features, featureBits)
	}
	w := len(nodes.Value[0])
	t := &Table{nodes: nodes, heap: heap, feature: logderivlookup.New(api), threshold: logderivlookup.New(api)}
	if !heap {
		t.left = logderivlookup.New(api)
	}
	for range w {
		t.value = append(t.value, logderivlookup.New(api))
	}
	for i := range n {
		if len(nodes.Value[i]) != w {
			return nil, fmt.Errorf("tree gadget: node %d has %d leaf values, node 0 %d", i, len(nodes.Value[i]), w)
		}
		rc.Check(nodes.Feature[i], featureBits)
		rc.Check(api.Sub(features-1, nodes.Feature[i]), featureBits)
		t.feature.Insert(nodes.Feature[i])
		t.threshold.Insert(nodes.Threshold[i])
		if !heap {
			t.left.Insert(nodes.Left[i])
		}
		for j := range w {
			t.value[j].Insert(nodes.Value[i][j])
		}
	}
	return t, nil
}

// NewFeatures returns the constant table of the samples' features,
// x[s][f] at index s·F + f, F = len(x[0]).
func NewFeatures(api frontend.API, x [][]int64) logderivlookup.Table {
	t := logderivlookup.New(api)
	for _, xs := range x {
		for _, v := range xs {
			t.Insert(v)
		}
	}
	return t
}

// Walk follows the path of sample s (whose features are at s·features in
// feats) for depth steps from node root, a constant index, and returns the
// leaf values of the node reached. Each branch is checked with a range
// check of cmpBits bits (see the package documentation): cmpBits must
// bound |T - x| + 1 for every threshold and feature and stay far below the
// field's size.
func (t *Table) Walk(api frontend.API, rc frontend.Rangechecker, feats logderivlookup.Table, s, features, root, depth, cmpBits int) []frontend.Variable {
	var n, local frontend.Variable = root, 0
	for step := range depth {
		var f, th, l frontend.Variable
		switch {
		case step == 0:
			f, th = t.nodes.Feature[root], t.nodes.Threshold[root]
			if !t.heap {
				l = t.nodes.Left[root]
			}
		default:
			f, th = t.feature.Lookup(n)[0], t.threshold.Lookup(n)[0]
			if !t.heap {
				l = t.left.Lookup(n)[0]
			}
		}
		x := feats.Lookup(api.Add(s*features, f))[0]
		d := api.Sub(th, x)
		b := Branch(api, rc, d, cmpBits)
		if t.heap {
			// Children 2i+1 (left) and 2i+2: a linear step, no lookup.
			local = api.Sub(api.Add(api.Mul(local, 2), 2), b)
			n = api.Add(root, local)
		} else {
			n = api.Sub(api.Add(l, 1), b)
		}
	}
	vals := make([]frontend.Variable, len(t.value))
	for j := range t.value {
		vals[j] = t.value[j].Lookup(n)[0]
	}
	return vals
}

// Branch returns a bit b, 1 exactly when d >= 0, for a d with
// -2^cmpBits <= d < 2^cmpBits: a hinted boolean b and a range check of
// r = 2·b·d - d - 1 + b (d when b = 1, -d-1 when b = 0) on cmpBits bits.
// Cost: 2 constraints and one range check.
func Branch(api frontend.API, rc frontend.Rangechecker, d frontend.Variable, cmpBits int) frontend.Variable {
	bs, err := api.Compiler().NewHint(BranchHint, 1, d)
	if err != nil {
		panic(err)
	}
	b := bs[0]
	api.AssertIsBoolean(b)
	r := api.Sub(api.Add(api.Mul(api.Mul(b, d), 2), b), api.Add(d, 1))
	rc.Check(r, cmpBits)
	return b
}

// BranchHint outputs 1 when its input, read as a signed integer, is at
// least 0, else 0. The circuit checks it (see Branch).
func BranchHint(field *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) != 1 || len(outputs) != 1 {
		return errors.New("tree branch hint: want one input and one output")
	}
	v, err := fieldint.ToSigned(field, inputs[0])
	if err != nil {
		return fmt.Errorf("tree branch hint: %w", err)
	}
	if v >= 0 {
		outputs[0].SetInt64(1)
	} else {
		outputs[0].SetInt64(0)
	}
	return nil
}
