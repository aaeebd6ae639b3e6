package circuits

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync/atomic"
	"testing"

	csbn254 "github.com/consensys/gnark/constraint/bn254"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/circuits/activation"
	"github.com/zkeval/zkeval/circuits/argmax"
	"github.com/zkeval/zkeval/circuits/conv"
	"github.com/zkeval/zkeval/circuits/freivalds"
	"github.com/zkeval/zkeval/circuits/internal/fieldint"
	"github.com/zkeval/zkeval/circuits/pool"
	"github.com/zkeval/zkeval/circuits/relu"
	"github.com/zkeval/zkeval/model"
	mact "github.com/zkeval/zkeval/model/activation"
)

// tamperCase is a dishonest hint for the shard circuit: every call of hint
// whose inputs satisfy match (nil: every call) returns the honest outputs
// edited by edit, which reports whether it changed one. The edit is a
// function of the call's inputs only, so the binding pass (bindShard) and
// the solve see the same witness, the challenge is the one that witness
// draws, and only the gadget that checks the hint can refuse it.
type tamperCase struct {
	name  string
	hint  solver.Hint
	match func(in []*big.Int) bool
	edit  func(fl *big.Int, in, out []*big.Int) bool
}

// everyCall returns c as a solver option, and the number of calls it has
// changed.
func everyCall(c tamperCase) (solver.Option, *atomic.Int64) {
	var n atomic.Int64
	return solver.OverrideHint(solver.GetHintID(c.hint), func(fl *big.Int, in, out []*big.Int) error {
		if err := c.hint(fl, in, out); err != nil {
			return err
		}
		if (c.match == nil || c.match(in)) && c.edit(fl, in, out) {
			n.Add(1)
		}
		return nil
	}), &n
}

// uncounted returns shard i's samples with every slot marked as padding
// (cell 0): the circuit runs the model and the argmax on each of them, but
// the counts are zero whatever it predicts, so that a tampered hint that
// changes a prediction is refused by the gadget that checks the hint, not
// by a count.
func (f *shardFixture) uncounted(t *testing.T, i int) *ShardInput {
	t.Helper()
	s, err := f.spec.Desc.Layout().Of(f.b, i)
	require.NoError(t, err)
	for k := range s.Cell {
		s.Cell[k] = 0
	}
	in, err := EvalShard(f.spec, f.m, i, s, big.NewInt(int64(2000+i)))
	require.NoError(t, err)
	return in
}

// rangeRefusals are the errors of the log-derivative count hints for a
// value outside the range or table it is checked against (circuits/
// rangecheck's, gnark's std/lookup/logderivlookup's): an honest solver
// stops there, before the argument's constraint, which a prover with
// another count hint meets.
var rangeRefusals = []string{"rangecheck: value ", "logderivarg count: query element not in table"}

// unsatisfied returns the id of the constraint err reports unsatisfied; it
// fails the test when err is not a constraint's.
func unsatisfied(t *testing.T, err error) int {
	t.Helper()
	var u *csbn254.UnsatisfiedConstraintError
	require.ErrorAs(t, err, &u, "the error is not an unsatisfied constraint: %v", err)
	return u.CID
}

// bindingConstraints returns the ids of the constraints that bind in's
// samples to the public values, Challenge = r and the fingerprint's, each
// found by solving the honest bound input with that value off by one.
func (f *shardFixture) bindingConstraints(t *testing.T, in *ShardInput) map[int]string {
	t.Helper()
	b := f.bound(t, in)
	require.NoError(t, f.solve(t, b), "the honest bound input")
	c := copyInput(b)
	c.Challenge = new(big.Int).Add(b.Challenge, big.NewInt(1))
	ids := map[int]string{unsatisfied(t, f.solve(t, c)): "Challenge = r"}
	c = copyInput(b)
	c.Fingerprint = new(big.Int).Add(b.Fingerprint, big.NewInt(1))
	ids[unsatisfied(t, f.solve(t, c))] = "the fingerprint"
	require.Len(t, ids, 2)
	return ids
}

// runTamperCases solves shard 0's samples (uncounted) with each case's
// hint and requires a refusal by a constraint other than the binding ones
// (or by a range check's or lookup's count hint, rangeRefusals), after a
// control: the same samples with a no-op override solve. The case
// must have changed some call.
func runTamperCases(t *testing.T, f *shardFixture, cases []tamperCase) {
	t.Helper()
	in := f.uncounted(t, 0)
	binding := f.bindingConstraints(t, in)
	noop, calls := everyCall(tamperCase{hint: argmax.Hint, edit: func(*big.Int, []*big.Int, []*big.Int) bool { return true }})
	require.NoError(t, f.solveOpts(t, copyInput(in), []solver.Option{noop}), "control: a no-op override solves")
	require.NotZero(t, calls.Load())
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opt, changed := everyCall(c)
			err := f.solveOpts(t, copyInput(in), []solver.Option{opt})
			require.NotZero(t, changed.Load(), "the tamper changed no call")
			require.Error(t, err)
			var u *csbn254.UnsatisfiedConstraintError
			if !errors.As(err, &u) {
				ok := false
				for _, r := range rangeRefusals {
					ok = ok || strings.Contains(err.Error(), r)
				}
				require.True(t, ok, "refused neither by a constraint nor by a range check or lookup: %v", err)
				return
			}
			require.NotContains(t, binding, u.CID, "refused by the binding (%s), not by the gadget: %v", binding[u.CID], err)
		})
	}
}

// convMatch matches the convolution hint's calls for spatial layer l (by
// its input dimensions and output channels).
func convMatch(l model.SpatialShape) func(in []*big.Int) bool {
	return func(in []*big.Int) bool {
		return in[0].Int64() == int64(l.In.C) && in[1].Int64() == int64(l.In.H) && in[2].Int64() == int64(l.In.W) && in[11].Int64() == int64(l.Out.C)
	}
}

// denseMatch matches the dense hint's calls for a layer of these sizes.
func denseMatch(l model.LayerShape) func(in []*big.Int) bool {
	return func(in []*big.Int) bool { return in[0].Int64() == int64(l.In) && in[1].Int64() == int64(l.Out) }
}

// addOneTo adds one to output j.
func addOneTo(j int) func(fl *big.Int, in, out []*big.Int) bool {
	return func(fl *big.Int, _, out []*big.Int) bool { addOne(fl, out[j]); return true }
}

func signedOf(fl, v *big.Int) int64 {
	x, err := fieldint.ToSigned(fl, v)
	if err != nil {
		panic(err)
	}
	return x
}

// smallerMax sets the first window's maximum whose window holds a smaller
// input to the largest such input (the hint's inputs: per window its
// length, then its values).
func smallerMax(fl *big.Int, in, out []*big.Int) bool {
	pos := 0
	for k := range out {
		n := int(in[pos].Int64())
		m := signedOf(fl, out[k])
		var below int64
		found := false
		for _, v := range in[pos+1 : pos+1+n] {
			if x := signedOf(fl, v); x < m && (!found || x > below) {
				below, found = x, true
			}
		}
		if found {
			fieldint.FromSigned(fl, below, out[k])
			return true
		}
		pos += 1 + n
	}
	return false
}

// flipSmallestSign flips the sign bit of the non-zero input of least
// magnitude: the ReLU's output moves by that magnitude only.
func flipSmallestSign(fl *big.Int, in, out []*big.Int) bool {
	best := -1
	var mag int64
	for i, v := range in {
		x := signedOf(fl, v)
		x = max(x, -x)
		if x != 0 && (best < 0 || x < mag) {
			best, mag = i, x
		}
	}
	if best < 0 {
		return false
	}
	out[best].SetInt64(1 - out[best].Int64())
	return true
}

// rotateOneHot moves the argmax's one to the previous index (cyclically).
func rotateOneHot(_ *big.Int, _, out []*big.Int) bool {
	first := new(big.Int).Set(out[0])
	for i := 0; i+1 < len(out); i++ {
		out[i].Set(out[i+1])
	}
	out[len(out)-1].Set(first)
	return true
}

// shiftedQuotient adds d to the first quotient of a FloorShiftHint call
// with shift s that stays within [lo, hi], so that a table lookup would
// still succeed and only the remainder's check refuses it.
func shiftedQuotient(s int, d, lo, hi int64) tamperCase {
	return tamperCase{
		hint:  activation.FloorShiftHint,
		match: func(in []*big.Int) bool { return in[0].Int64() == int64(s) },
		edit: func(fl *big.Int, _, out []*big.Int) bool {
			for _, o := range out {
				if q := signedOf(fl, o) + d; q >= lo && q <= hi {
					fieldint.FromSigned(fl, q, o)
					return true
				}
			}
			return false
		},
	}
}

// cnnTamperCases: each convolution's accumulator (the first over the
// secret images), the max pools' maxima one too large and one window's
// maximum replaced by a smaller input of it, a ReLU sign, the argmax's
// one-hot and the dense layer's accumulator.
func cnnTamperCases(m *model.Model) []tamperCase {
	var cases []tamperCase
	sh := m.Shape()
	hasMax := false
	for k, l := range sh.Spatial {
		switch l.Kind {
		case model.KindConv2D:
			cases = append(cases, tamperCase{name: fmt.Sprintf("conv %d accumulator+1", k), hint: conv.Hint, match: convMatch(l), edit: addOneTo(3)})
		case model.KindMaxPool:
			hasMax = true
		}
	}
	if hasMax {
		// Hint calls are per sample and name no layer: every max pool
		// is tampered.
		cases = append(cases,
			tamperCase{name: "max pool maximum+1", hint: pool.MaxHint, edit: addOneTo(0)},
			tamperCase{name: "max pool maximum a smaller input", hint: pool.MaxHint, edit: smallerMax})
	}
	last := sh.Layers[len(sh.Layers)-1]
	return append(cases,
		tamperCase{name: "relu sign flipped", hint: relu.SignHint, edit: flipSmallestSign},
		tamperCase{name: "argmax one-hot rotated", hint: argmax.Hint, edit: rotateOneHot},
		tamperCase{name: "dense (Freivalds) accumulator+1", hint: freivalds.DenseHint, match: denseMatch(last), edit: addOneTo(1)})
}

// actTamperCases: the quotient of layer 0's table activation or
// LeakyRelu one up and one down.
func actTamperCases(t *testing.T, f *shardFixture) []tamperCase {
	a := f.m.Layers[0].Act
	require.NotNil(t, a)
	var cases []tamperCase
	for _, d := range []int64{1, -1} {
		var c tamperCase
		switch {
		case a.IsTable():
			r := f.spec.Desc.ActTable[0]
			require.Positive(t, a.Shift, "a table activation without a rescale has no quotient")
			c = shiftedQuotient(a.Shift, d, r.Lo, r.Hi)
		case a.Kind == mact.LeakyRelu:
			k := int64(1) << f.spec.Desc.AccBits[0]
			c = shiftedQuotient(mact.LeakyShift, d, -k, k-1)
		default:
			t.Fatalf("no tamper case for %s", a.Kind)
		}
		c.name = a.Kind + " quotient"
		if d > 0 {
			c.name += "+1"
		} else {
			c.name += "-1"
		}
		cases = append(cases, c)
	}
	return cases
}
