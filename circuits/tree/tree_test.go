package tree_test

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/stretchr/testify/require"
	"github.com/zkeval/zkeval/circuits/rangecheck"

	"github.com/zkeval/zkeval/circuits/internal/fieldint"
	"github.com/zkeval/zkeval/circuits/internal/gadgettest"
	ctree "github.com/zkeval/zkeval/circuits/tree"
	"github.com/zkeval/zkeval/model/tree"
)

func init() {
	solver.RegisterHint(rangecheck.Hints()...)
	solver.RegisterHint(ctree.Hints()...)
}

const (
	inputBits = 3 // features within [-8, 8)
	cmpBits   = 4 // |T - x| + 1 <= 16 for T in [-9, 7]
)

// ensemble: two trees of depth 2 on three features (the third unused; a
// count that is not a power of two, so that the upper bound of a feature
// index is a check of its own). In tree 0 the inner node
// 2 has two leaves of the same value, so a wrong branch there changes no
// output: only the branch check can catch it.
func ensemble(t *testing.T) *tree.Ensemble {
	top := tree.MaxThreshold(inputBits)
	e := &tree.Ensemble{Features: 3}
	e.Shape = tree.Shape{Trees: 2, Depth: 2, NodesPerTree: 5, Classes: 2, Outputs: 2, LeafWidth: 1, InputBits: inputBits,
		FeatureBits: 2, ThresholdBits: 5, ChildBits: 4, ValueBits: 6, BaseBits: 2}
	e.Feature = []int{0, 0, 1, 0, 0, 1, 0, 0, 0, 0}
	e.Threshold = []int64{2, top, -3, top, top, 0, top, top, top, top}
	e.Left = []int{1, 1, 3, 3, 4, 6, 6, 7, 8, 9}
	e.Value = [][]int64{{0}, {10}, {0}, {20}, {20}, {0}, {1}, {2}, {0}, {0}}
	e.Base = []int64{0, 0}
	require.NoError(t, e.Validate())
	return e
}

var samples = [][]int64{{2, 5, 0}, {3, -3, 1}, {7, 7, 2}, {-8, 0, 3}}

// walkCircuit asserts that sample s reaches, in tree t, a leaf of value
// Want[s][t].
type walkCircuit struct {
	Nodes ctree.Nodes
	Want  [][]frontend.Variable `gnark:",public"`

	x                   [][]int64
	npt, depth, feature int
	sparse              bool
}

func (c *walkCircuit) Define(api frontend.API) error {
	rc := rangecheck.New(api, 4)
	var feats ctree.Features
	var err error
	if c.sparse {
		feats, err = ctree.NewSparse(api, c.x, 2)
	} else {
		feats, err = ctree.NewDense(api, c.x)
	}
	if err != nil {
		return err
	}
	tbl, err := ctree.NewTable(api, rc, c.Nodes, feats, c.feature, 2, 5, cmpBits)
	if err != nil {
		return err
	}
	for s := range c.x {
		for t := range c.Want[s] {
			v := tbl.Walk(api, rc, s, t*c.npt, c.depth, cmpBits)
			api.AssertIsEqual(v[0], c.Want[s][t])
		}
	}
	return nil
}

// sparseReads selects the reader of the circuits that circuit makes;
// bothReaders runs a test with each.
var sparseReads bool

func bothReaders(t *testing.T, f func(t *testing.T)) {
	for _, sp := range []bool{false, true} {
		name := "dense"
		if sp {
			name = "sparse"
		}
		t.Run(name, func(t *testing.T) {
			sparseReads = sp
			defer func() { sparseReads = false }()
			f(t)
		})
	}
}

func fe(v int64) *big.Int {
	x := new(big.Int)
	fieldint.FromSigned(ecc.BN254.ScalarField(), v, x)
	return x
}

// circuit returns the empty circuit for x and an assignment of e with the
// leaf values the native walk reaches.
func circuit(t *testing.T, e *tree.Ensemble, x [][]int64) (*walkCircuit, *walkCircuit) {
	n := e.Nodes()
	shape := func() *walkCircuit {
		c := &walkCircuit{x: x, npt: e.NodesPerTree, depth: e.Depth, feature: e.Features, sparse: sparseReads}
		c.Nodes = ctree.Nodes{Feature: make([]frontend.Variable, n), Threshold: make([]frontend.Variable, n), Left: make([]frontend.Variable, len(e.Left)), Value: make([][]frontend.Variable, n)}
		for i := range n {
			c.Nodes.Value[i] = make([]frontend.Variable, 1)
		}
		c.Want = make([][]frontend.Variable, len(x))
		for s := range x {
			c.Want[s] = make([]frontend.Variable, e.Trees)
		}
		return c
	}
	a := shape()
	for i := range n {
		a.Nodes.Feature[i], a.Nodes.Threshold[i] = fe(int64(e.Feature[i])), fe(e.Threshold[i])
		if !e.Heap {
			a.Nodes.Left[i] = fe(int64(e.Left[i]))
		}
		a.Nodes.Value[i][0] = fe(e.Value[i][0])
	}
	for s, xs := range x {
		leaves, err := e.Leaves(xs)
		if err != nil {
			// A sample outside the domain still walks natively.
			t.Logf("sample %d: %v", s, err)
		}
		for tr := range e.Trees {
			v := int64(0)
			if err == nil {
				v = e.Value[leaves[tr]][0]
			}
			a.Want[s][tr] = fe(v)
		}
	}
	return shape(), a
}

func TestWalk(t *testing.T) {
	bothReaders(t, func(t *testing.T) {
		e := ensemble(t)
		c, a := circuit(t, e, samples)
		require.Equal(t, []any{fe(10), fe(2)}, []any{a.Want[0][0], a.Want[0][1]})
		require.Equal(t, []any{fe(20), fe(1)}, []any{a.Want[1][0], a.Want[1][1]})
		gadgettest.Valid(t, c, a)

		// A wrong witness: a leaf value other than the one reached.
		_, bad := circuit(t, e, samples)
		bad.Want[2][1] = fe(1)
		gadgettest.Invalid(t, c, bad)

		// A wrong table: the leaf reached holds another value than claimed.
		_, bad = circuit(t, e, samples)
		bad.Nodes.Value[7][0] = fe(3)
		gadgettest.Invalid(t, c, bad)
	})
}

// flipAtZero flips the branch when the threshold equals the feature: the
// boundary, where x <= T holds.
func flipAtZero(f *big.Int, in, out []*big.Int) error {
	if err := ctree.BranchHint(f, in, out); err != nil {
		return err
	}
	if in[0].Sign() == 0 {
		out[0].SetInt64(0)
	}
	return nil
}

// flipAll takes every branch the wrong way.
func flipAll(f *big.Int, in, out []*big.Int) error {
	if err := ctree.BranchHint(f, in, out); err != nil {
		return err
	}
	out[0].SetInt64(1 - out[0].Int64())
	return nil
}

// notBoolean answers 2 where it should answer 1.
func notBoolean(f *big.Int, in, out []*big.Int) error {
	if err := ctree.BranchHint(f, in, out); err != nil {
		return err
	}
	out[0].Lsh(out[0], 1)
	return nil
}

func TestWalkTamperedHint(t *testing.T) {
	bothReaders(t, func(t *testing.T) {
		e := ensemble(t)
		// Sample 1 meets tree 0's node 2 at its threshold (x1 = -3 = T): a
		// wrong branch there reaches a leaf of the same value (20), so only the
		// branch check stands in the way.
		x := [][]int64{{3, -3, 0}}
		c, a := circuit(t, e, x)
		require.Equal(t, fe(20), a.Want[0][0])
		gadgettest.Tampered(t, c, a, gadgettest.Override{Of: ctree.BranchHint, Evil: flipAtZero})
		// A wrong path all along, and a hint that is not a bit.
		c, a = circuit(t, e, samples)
		gadgettest.Tampered(t, c, a, gadgettest.Override{Of: ctree.BranchHint, Evil: flipAll})
		gadgettest.Tampered(t, c, a, gadgettest.Override{Of: ctree.BranchHint, Evil: notBoolean})
	})
}

// TestWalkBounds: the branch check holds |T - x| + 1 within 2^cmpBits.
// Features within [-8, 8) and thresholds within [-9, 7] pass; a feature
// one past (-9), or a threshold one past (8), cannot be proven.
func TestWalkBounds(t *testing.T) {
	bothReaders(t, func(t *testing.T) {
		e := ensemble(t)
		c, a := circuit(t, e, [][]int64{{-8, 7, 0}, {7, -8, 0}})
		gadgettest.Valid(t, c, a)
		c, a = circuit(t, e, [][]int64{{-9, 0, 0}}) // a leaf's T - x = 7 + 9 = 16
		gadgettest.Invalid(t, c, a)

		e2 := ensemble(t)
		e2.Threshold[0] = -9 // x - T - 1 = 7 + 9 - 1 = 15 for x = 7: still in
		c, a = circuit(t, e2, [][]int64{{7, 0, 0}})
		gadgettest.Valid(t, c, a)
		c, a = circuit(t, e2, [][]int64{{7, 0, 0}})
		a.Nodes.Threshold[0] = fe(-10) // one past: 16
		gadgettest.Invalid(t, c, a)
	})
}

// TestTableFeatureBound: a feature index must lie in [0, features).
func TestTableFeatureBound(t *testing.T) {
	bothReaders(t, func(t *testing.T) {
		e := ensemble(t)
		c, a := circuit(t, e, samples)
		a.Nodes.Feature[8] = fe(3) // a padding node, never read: only the bound check catches it (3 < 2^2)
		gadgettest.Invalid(t, c, a)
		_, a = circuit(t, e, samples)
		a.Nodes.Feature[8] = fe(-1)
		gadgettest.Invalid(t, c, a)
	})
}

// heapEnsemble is ensemble in the heap layout: 7 nodes per tree, children
// 2i+1 and 2i+2, leaves above the last level copied into their subtrees.
func heapEnsemble(t *testing.T) *tree.Ensemble {
	top := tree.MaxThreshold(inputBits)
	e := &tree.Ensemble{Features: 3}
	e.Shape = tree.Shape{Trees: 2, Depth: 2, NodesPerTree: 7, Classes: 2, Outputs: 2, LeafWidth: 1, InputBits: inputBits,
		FeatureBits: 2, ThresholdBits: 5, ChildBits: 0, Heap: true, ValueBits: 6, BaseBits: 2}
	e.Feature = []int{0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0}
	e.Threshold = []int64{2, top, -3, top, top, top, top, 0, top, top, top, top, top, top}
	e.Value = [][]int64{{0}, {10}, {0}, {10}, {10}, {20}, {20}, {0}, {1}, {2}, {1}, {1}, {2}, {2}}
	e.Base = []int64{0, 0}
	require.NoError(t, e.Validate())
	return e
}

// TestWalkHeap: the heap layout computes the same leaves as the linked one,
// and its branches are checked the same way.
func TestWalkHeap(t *testing.T) {
	bothReaders(t, func(t *testing.T) {
		e, h := ensemble(t), heapEnsemble(t)
		for _, x := range samples {
			a, err := e.Eval(x)
			require.NoError(t, err)
			b, err := h.Eval(x)
			require.NoError(t, err)
			require.Equal(t, a, b)
		}
		c, a := circuit(t, h, samples)
		gadgettest.Valid(t, c, a)
		_, bad := circuit(t, h, samples)
		bad.Want[1][0] = fe(10)
		gadgettest.Invalid(t, c, bad)
		c, a = circuit(t, h, [][]int64{{3, -3, 0}})
		require.Equal(t, fe(20), a.Want[0][0])
		gadgettest.Tampered(t, c, a, gadgettest.Override{Of: ctree.BranchHint, Evil: flipAtZero})
		c, a = circuit(t, h, samples)
		gadgettest.Tampered(t, c, a, gadgettest.Override{Of: ctree.BranchHint, Evil: flipAll})
	})
}
