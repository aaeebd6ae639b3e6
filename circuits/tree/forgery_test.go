package tree_test

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/circuits/internal/gadgettest"
	ctree "github.com/zkeval/zkeval/circuits/tree"
	"github.com/zkeval/zkeval/model/tree"
)

// sparseSB is NewSparse's choice of the key's field width sb.
func sparseSB(total int64, runBits int) int {
	sb := 2
	for total > int64(1)<<(sb-2) || runBits+2 > sb {
		sb++
	}
	return sb
}

// shiftedRun is a RunHint that, for reads of feature index target
// (target < 0: every read), answers the honest run's Start, End + shift and
// the value V - shift/2^sb (mod p): the packed key
// Start + 2^sb·End' + 2^(2sb)·V' is then exactly the honest run's key, and
// End' stays within its range-check window when End + shift - p < 2^rb.
// Only the range check of the value refuses it.
func shiftedRun(target, shift int64, sb int) func(*big.Int, []*big.Int, []*big.Int) error {
	return func(field *big.Int, in, out []*big.Int) error {
		if err := ctree.RunHint(field, in, out); err != nil {
			return err
		}
		if target >= 0 && in[0].Int64() != target {
			return nil
		}
		out[1].Add(out[1], big.NewInt(shift))
		inv := new(big.Int).ModInverse(new(big.Int).Lsh(big.NewInt(1), uint(sb)), field)
		out[2].Sub(out[2], new(big.Int).Mul(big.NewInt(shift), inv)).Mod(out[2], field)
		return nil
	}
}

// TestSparseReadKeyPreservingForgery: a read of x[0][2] = 3 answered with
// the honest run's key split differently (End + 1, and a value 3 - 1/2^sb
// in the field) fails in the test engine and in the compiled solver.
func TestSparseReadKeyPreservingForgery(t *testing.T) {
	field := ecc.BN254.ScalarField()
	sb := sparseSB(15, 3) // readX: 3 samples of 5 features, runBits 3
	require.Equal(t, 6, sb)
	c := &readCircuit{F: []frontend.Variable{nil}, Want: []frontend.Variable{nil}, s: []int{0}}
	inv := new(big.Int).ModInverse(new(big.Int).Lsh(big.NewInt(1), uint(sb)), field)
	forged := new(big.Int).Sub(big.NewInt(3), inv)
	forged.Mod(forged, field)
	a := &readCircuit{F: []frontend.Variable{2}, Want: []frontend.Variable{forged}, s: []int{0}}
	e, s := gadgettest.Solve(t, c, a, gadgettest.Override{Of: ctree.RunHint, Evil: shiftedRun(-1, 1, sb)})
	require.Error(t, e, "test engine accepted a value outside the reader's bounds")
	require.Error(t, s, "compiled solver accepted a value outside the reader's bounds")
}

// forgeryEnsemble: one tree of depth 2 in the linked layout.
//
//	node 0: x0 <= 0 ? node 1 : node 2
//	node 1: x1 <= 0 ? node 3 (leaf 10) : node 4 (leaf 20)
//	node 2: leaf 5
func forgeryEnsemble(t *testing.T) *tree.Ensemble {
	top := tree.MaxThreshold(inputBits)
	e := &tree.Ensemble{Features: 3}
	e.Shape = tree.Shape{Trees: 1, Depth: 2, NodesPerTree: 5, Classes: 2, Outputs: 2, LeafWidth: 1, InputBits: inputBits,
		FeatureBits: 2, ThresholdBits: 5, ChildBits: 3, ValueBits: 6, BaseBits: 2}
	e.Feature = []int{0, 1, 0, 0, 0}
	e.Threshold = []int64{0, 0, top, top, top}
	e.Left = []int{1, 3, 2, 3, 4}
	e.Value = [][]int64{{0}, {0}, {5}, {10}, {20}}
	e.Base = []int64{0, 0}
	require.NoError(t, e.Validate())
	return e
}

// shiftedSplit is a WordHint that answers L + k and T - k/2^lb (mod p) for
// every node word: the same word W = L + 2^lb·T + 2^(lb+tb)·f.
func shiftedSplit(k int64) func(*big.Int, []*big.Int, []*big.Int) error {
	return func(field *big.Int, in, out []*big.Int) error {
		if err := ctree.WordHint(field, in, out); err != nil {
			return err
		}
		inv := new(big.Int).ModInverse(new(big.Int).Lsh(big.NewInt(1), uint(in[1].Int64())), field)
		out[1].Sub(out[1], new(big.Int).Mul(big.NewInt(k), inv)).Mod(out[1], field)
		out[2].Add(out[2], big.NewInt(k)).Mod(out[2], field)
		return nil
	}
}

// TestSparseWalkJointForgery: the joint forgery of a node word's split
// (L + 1, T - 1/2^lb) and of the read it compares against (End moved, the
// value lowered by 1/2^lb, the run's key unchanged) keeps T - x and so the
// branch bit, but would move the walk to another node: leaf 20 where the
// walk reaches leaf 10. The range check of the read value refuses it, with
// the sparse reader as with the dense one.
func TestSparseWalkJointForgery(t *testing.T) {
	for _, sparse := range []bool{true, false} {
		sparseReads = sparse
		e := forgeryEnsemble(t)
		x := [][]int64{{-1, -2, 0}}
		c, a := circuit(t, e, x)
		require.Equal(t, fe(10), a.Want[0][0], "the walk reaches leaf 3 (10)")
		gadgettest.Valid(t, c, a)
		lb := 4              // bitsFor(5 nodes) + 1
		sb := sparseSB(3, 2) // 1 sample of 3 features, runBits 2
		_, bad := circuit(t, e, x)
		bad.Want[0][0] = fe(20)
		ee, se := gadgettest.Solve(t, c, bad,
			gadgettest.Override{Of: ctree.WordHint, Evil: shiftedSplit(1)},
			gadgettest.Override{Of: ctree.RunHint, Evil: shiftedRun(1, int64(1)<<(sb-lb), sb)})
		require.Error(t, ee, "sparse=%v: test engine accepted the wrong leaf", sparse)
		require.Error(t, se, "sparse=%v: compiled solver accepted the wrong leaf", sparse)
	}
	sparseReads = false
}

// TestSparseWalkMovedFeature: a split of a node word with L + 1 and
// f - 1/2^(lb+tb) (mod p), the same word, would read another position (a
// huge one) and walk to another node. The sparse reader does not
// range-check f: the key's equation does the work (Table.Walk), so the
// honest run for the committed f no longer fits the moved position, and
// the run of a neighbouring position does not either.
func TestSparseWalkMovedFeature(t *testing.T) {
	sparseReads = true
	defer func() { sparseReads = false }()
	field := ecc.BN254.ScalarField()
	e := forgeryEnsemble(t)
	x := [][]int64{{-1, -2, 0}}
	c, a := circuit(t, e, x)
	gadgettest.Valid(t, c, a)
	moved := func(_ *big.Int, in, out []*big.Int) error {
		if err := ctree.WordHint(field, in, out); err != nil {
			return err
		}
		lb, tb := in[1].Int64(), in[2].Int64()
		inv := new(big.Int).ModInverse(new(big.Int).Lsh(big.NewInt(1), uint(lb+tb)), field)
		out[0].Sub(out[0], inv).Mod(out[0], field)
		out[2].Add(out[2], big.NewInt(1))
		return nil
	}
	// The run hint answers the committed feature's run (the reader's hint
	// cannot find a run for a huge position).
	honestRun := func(field *big.Int, in, out []*big.Int) error {
		in2 := append([]*big.Int(nil), in...)
		if !in[0].IsInt64() || in[0].Int64() >= 3 {
			in2[0] = big.NewInt(1) // node 1 reads feature 1
		}
		return ctree.RunHint(field, in2, out)
	}
	for _, want := range []int64{10, 20} {
		_, bad := circuit(t, e, x)
		bad.Want[0][0] = fe(want)
		ee, se := gadgettest.Solve(t, c, bad,
			gadgettest.Override{Of: ctree.WordHint, Evil: moved},
			gadgettest.Override{Of: ctree.RunHint, Evil: honestRun})
		require.Error(t, ee, "leaf %d: test engine accepted a moved feature index", want)
		require.Error(t, se, "leaf %d: compiled solver accepted a moved feature index", want)
	}
}
