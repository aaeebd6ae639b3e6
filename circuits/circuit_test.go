package circuits

import (
	"math/big"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/circuits/argmax"
	"github.com/zkeval/zkeval/circuits/freivalds"
	"github.com/zkeval/zkeval/circuits/relu"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/internal/testfixture"
	"github.com/zkeval/zkeval/model"
)

func synth(t *testing.T, seed int64, n int) (*model.Model, *benchmark.Benchmark) {
	m := testfixture.Model(seed)
	require.NoError(t, m.Validate())
	return m, testfixture.Benchmark(m, seed, n)
}

func correctCount(t *testing.T, m *model.Model, b *benchmark.Benchmark) int64 {
	var c int64
	for s, x := range b.X {
		logits, err := m.Eval(x)
		require.NoError(t, err)
		if model.Argmax(logits) == b.Labels[s] {
			c++
		}
	}
	return c
}

type fixture struct {
	spec   *Spec
	m      *model.Model
	salt   *big.Int
	commit *big.Int
	count  int64
}

func newFixture(t *testing.T, claims []claim.Shape) *fixture {
	m, b := synth(t, 1, 20)
	spec, err := NewSpec(m, b, claims)
	require.NoError(t, err)
	salt := big.NewInt(123456789)
	cm, err := commitment.Commit(m, salt)
	require.NoError(t, err)
	return &fixture{spec: spec, m: m, salt: salt, commit: cm, count: correctCount(t, m, b)}
}

// accuracy returns the one claim shape "accuracy cmp T".
func accuracy(cmp string, reveal bool) []claim.Shape {
	return []claim.Shape{{Metric: "accuracy", Comparison: cmp, Reveal: reveal}}
}

// assign returns the witness of f's single accuracy claim with threshold
// bound/n (so bound is the count the claim needs) and revealed count.
func assign(f *fixture, bound, count int64) *EvalCircuit {
	return assignModel(f, f.m, f.salt, bound, count)
}

// assignModel is assign with another model or salt as the secret inputs.
func assignModel(f *fixture, m *model.Model, salt *big.Int, bound, count int64) *EvalCircuit {
	in := ClaimInput{P: big.NewInt(bound), Q: big.NewInt(int64(f.spec.Bench.Len()))}
	if f.spec.Claims[0].Reveal {
		in.Counts = []int64{count}
	}
	a, err := Assignment(f.spec, m, salt, f.commit, []ClaimInput{in})
	if err != nil {
		panic(err)
	}
	return a
}

var compiled sync.Map // *Spec -> constraint.ConstraintSystem

func solve(t *testing.T, f *fixture, a *EvalCircuit, opts ...solver.Option) error {
	t.Helper()
	var cs constraint.ConstraintSystem
	if c, ok := compiled.Load(f.spec); ok {
		cs = c.(constraint.ConstraintSystem)
	} else {
		var err error
		cs, err = frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, New(f.spec))
		require.NoError(t, err)
		compiled.Store(f.spec, cs)
	}
	w, err := frontend.NewWitness(a, ecc.BN254.ScalarField())
	require.NoError(t, err)
	_, err = cs.Solve(w, opts...)
	return err
}

func TestCircuitAcceptsHonestWitness(t *testing.T) {
	f := newFixture(t, accuracy(">=", true))
	require.Greater(t, f.count, int64(0))
	require.Less(t, f.count, int64(20))
	require.NoError(t, solve(t, f, assign(f, f.count, f.count)))
	require.NoError(t, solve(t, f, assign(f, f.count-3, f.count)))
}

func TestCircuitRejectsWrongWitness(t *testing.T) {
	f := newFixture(t, accuracy(">=", true))
	t.Run("over-claimed threshold", func(t *testing.T) {
		require.Error(t, solve(t, f, assign(f, f.count+1, f.count)))
	})
	t.Run("wrong revealed count", func(t *testing.T) {
		require.Error(t, solve(t, f, assign(f, f.count, f.count+1)))
		require.Error(t, solve(t, f, assign(f, f.count-1, f.count-1)))
	})
	t.Run("opening does not match commitment", func(t *testing.T) {
		require.Error(t, solve(t, f, assignModel(f, f.m, big.NewInt(42), f.count, f.count)))
	})
	t.Run("another model", func(t *testing.T) {
		other, _ := synth(t, 2, 1)
		require.Error(t, solve(t, f, assignModel(f, other, f.salt, f.count, f.count)))
	})
}

// tamper wraps a hint so that, on its k-th call, output j is changed by f.
func tamper(h solver.Hint, call, j int, f func(field, v *big.Int)) solver.Hint {
	// gnark's solver runs hints on several goroutines: the counter is
	// atomic, so that exactly one call (the call-th to arrive) is tampered.
	var n atomic.Int64
	return func(field *big.Int, in, out []*big.Int) error {
		if err := h(field, in, out); err != nil {
			return err
		}
		if n.Add(1)-1 == int64(call) && j < len(out) {
			f(field, out[j])
		}
		return nil
	}
}

func addOne(field, v *big.Int)  { v.Add(v, big.NewInt(1)).Mod(v, field) }
func flipBit(field, v *big.Int) { v.Xor(v, big.NewInt(1)) }

func TestCircuitRejectsTamperedHints(t *testing.T) {
	f := newFixture(t, accuracy(">=", true))
	honest := assign(f, f.count, f.count)
	cases := []struct {
		name string
		hint solver.Hint
		call int
		out  int
		f    func(field, v *big.Int)
	}{
		{"dense accumulator +1 (second layer)", freivalds.DenseHint, 0, 3, addOne},
		{"dense accumulator +1 (last layer)", freivalds.DenseHint, 1, 5, addOne},
		{"relu sign flipped", relu.SignHint, 4, 1, flipBit},
		{"relu sign flipped (second layer)", relu.SignHint, 25, 0, flipBit},
		{"argmax one-hot moved", argmax.Hint, 7, 0, flipBit},
		{"argmax one-hot moved (other output)", argmax.Hint, 8, 2, flipBit},
	}
	// A consistent one-hot that names another class on every sample.
	rotate := func(field *big.Int, in, out []*big.Int) error {
		if err := argmax.Hint(field, in, out); err != nil {
			return err
		}
		first := new(big.Int).Set(out[0])
		for i := 0; i+1 < len(out); i++ {
			out[i].Set(out[i+1])
		}
		out[len(out)-1].Set(first)
		return nil
	}
	t.Run("argmax one-hot rotated", func(t *testing.T) {
		require.Error(t, solve(t, f, honest, solver.OverrideHint(solver.GetHintID(argmax.Hint), rotate)))
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			evil := tamper(tc.hint, tc.call, tc.out, tc.f)
			err := solve(t, f, honest, solver.OverrideHint(solver.GetHintID(tc.hint), evil))
			require.Error(t, err)
		})
	}
}

// TestArgmaxOneHot: the circuit sets o[label] to 1 minus the other outputs
// of the argmax hint, so a hint with two ones (o[label] = -1 on a wrongly
// classified sample, or a second winner on a correct one) or with none
// (every sample counted correct) fails.
func TestArgmaxOneHot(t *testing.T) {
	f := newFixture(t, accuracy(">=", true))
	honest := assign(f, f.count, f.count)
	twoOnes := func(field *big.Int, in, out []*big.Int) error {
		if err := argmax.Hint(field, in, out); err != nil {
			return err
		}
		for i := range out {
			if out[i].Sign() != 0 {
				out[(i+1)%len(out)].SetInt64(1)
				return nil
			}
		}
		return nil
	}
	none := func(field *big.Int, in, out []*big.Int) error {
		for i := range out {
			out[i].SetInt64(0)
		}
		return nil
	}
	for name, h := range map[string]solver.Hint{"two ones": twoOnes, "none": none} {
		require.Error(t, solve(t, f, honest, solver.OverrideHint(solver.GetHintID(argmax.Hint), h)), name)
		require.Error(t, solve(t, f, assign(f, f.count, int64(f.spec.Bench.Len())), solver.OverrideHint(solver.GetHintID(argmax.Hint), h)), name)
	}
}

func TestCircuitHiddenCount(t *testing.T) {
	f := newFixture(t, accuracy(">=", false))
	require.NoError(t, solve(t, f, assign(f, f.count, 0)))
	require.Error(t, solve(t, f, assign(f, f.count+1, 0)))
}

func TestCircuitAtMost(t *testing.T) {
	f := newFixture(t, accuracy("<=", true))
	require.NoError(t, solve(t, f, assign(f, f.count, f.count)))
	require.Error(t, solve(t, f, assign(f, f.count-1, f.count)))
}

// withLookup returns a copy of the fixture's spec whose ReLU layers use the
// lookup table wherever it fits.
func withLookup(t *testing.T, f *fixture) *fixture {
	g := *f
	sp := *f.spec
	sp.ReLU = append([]string{}, sp.ReLU...)
	sp.ReLUTable = append([]Range{}, sp.ReLUTable...)
	ranges, err := MeasureAccRanges(f.m, sp.Bench)
	require.NoError(t, err)
	n := 0
	for l := range sp.ReLU {
		if sp.ReLU[l] != "" && ranges[l].Entries() <= 1<<(MaxLookupBits+1) {
			sp.ReLU[l] = ReLULookup
			sp.ReLUTable[l] = ranges[l]
			sp.AccBits = append([]int{}, sp.AccBits...)
			sp.AccBits[l] = max(sp.AccBits[l], desc.SignedBits(ranges[l].Lo, ranges[l].Hi))
			n++
		}
	}
	require.NotZero(t, n, "fixture has no layer small enough for the lookup table")
	require.NoError(t, sp.Validate())
	g.spec = &sp
	return &g
}

func TestReLULookupGadget(t *testing.T) {
	f := withLookup(t, newFixture(t, accuracy(">=", true)))
	honest := assign(f, f.count, f.count)
	require.NoError(t, solve(t, f, honest))
	require.Error(t, solve(t, f, assign(f, f.count, f.count+1)))
	evil := tamper(freivalds.DenseHint, 0, 3, addOne)
	require.Error(t, solve(t, f, honest, solver.OverrideHint(solver.GetHintID(freivalds.DenseHint), evil)))
}

// TestAccumulatorWidthIsEnforced declares a width below what the benchmark
// needs (for range checks, whose width is widened to a multiple of the
// base, one base less; for the lookup table, a range one rounding step
// narrower at either end): both ReLU gadgets must then reject the honest
// witness, which shows the declared width is a real bound.
func TestAccumulatorWidthIsEnforced(t *testing.T) {
	base := newFixture(t, accuracy(">=", true))
	lookup := withLookup(t, base)
	require.Equal(t, ReLULookup, lookup.spec.ReLU[0])
	step := int64(1) << TableRoundingBits
	for _, c := range []struct {
		f      *fixture
		lo, hi int64
	}{{base, 0, 0}, {lookup, step, 0}, {lookup, 0, -step}} {
		g := *c.f
		sp := *c.f.spec
		sp.AccBits = append([]int{}, sp.AccBits...)
		sp.ReLUTable = append([]Range{}, sp.ReLUTable...)
		if sp.ReLU[0] == ReLURange {
			sp.AccBits[0] = widen(sp.AccBits[0], sp.RangeBase) - sp.RangeBase
			require.Positive(t, sp.AccBits[0])
		} else {
			sp.ReLUTable[0].Lo += c.lo
			sp.ReLUTable[0].Hi += c.hi
			require.NoError(t, sp.Validate())
		}
		g.spec = &sp
		require.Error(t, solve(t, &g, assign(&g, g.count, g.count)), "gadget %s, table %v", sp.ReLU[0], sp.ReLUTable)
	}
}

// TestReLUTableRange checks that the table covers the measured
// accumulators, rounded outward, and that Validate rejects malformed
// ranges.
func TestReLUTableRange(t *testing.T) {
	f := withLookup(t, newFixture(t, accuracy(">=", true)))
	lo, hi, err := measureAcc(f.m, f.spec.Bench)
	require.NoError(t, err)
	step := int64(1) << TableRoundingBits
	r := f.spec.ReLUTable[0]
	require.True(t, r.Lo <= lo[0] && lo[0] < r.Lo+step && r.Lo%step == 0, "%v, least accumulator %d", r, lo[0])
	require.True(t, r.Hi >= hi[0] && hi[0] > r.Hi-step && r.Hi%step == 0, "%v, greatest accumulator %d", r, hi[0])
	require.Equal(t, Range{}, f.spec.ReLUTable[len(f.spec.ReLUTable)-1])
	bound := int64(1) << f.spec.AccBits[0]
	for name, mut := range map[string]func(*Spec){
		"missing":                  func(s *Spec) { s.ReLUTable = s.ReLUTable[1:] },
		"on a layer without table": func(s *Spec) { s.ReLUTable[len(s.ReLUTable)-1] = Range{Lo: -step, Hi: step} },
		"not rounded":              func(s *Spec) { s.ReLUTable[0].Hi++ },
		"empty":                    func(s *Spec) { s.ReLUTable[0] = Range{Lo: step, Hi: 0} },
		"beyond the width":         func(s *Spec) { s.ReLUTable[0].Lo = -(bound + step) / step * step },
		"too many entries": func(s *Spec) {
			s.AccBits[0] = MaxLookupBits + 2
			s.ReLUTable[0] = Range{Lo: -1 << (MaxLookupBits + 1), Hi: 0}
		},
	} {
		sp := *f.spec
		sp.AccBits = append([]int{}, sp.AccBits...)
		sp.ReLUTable = append([]Range{}, sp.ReLUTable...)
		mut(&sp)
		require.Error(t, sp.Validate(), name)
	}
}

// TestArgmaxTieGoesToFirstIndex uses a model whose first two outputs are
// always equal: the prediction is class 0 (first maximal index) on every
// sample, natively and in the circuit, so samples labelled 1 count as wrong.
func TestArgmaxTieGoesToFirstIndex(t *testing.T) {
	m, b := synth(t, 1, 12)
	last := &m.Layers[len(m.Layers)-1]
	last.W[1] = append([]int64{}, last.W[0]...)
	last.B[1] = last.B[0]
	last.B[2] = -1 << 40 // class 2 never wins
	for s := range b.Labels {
		b.Labels[s] = s % 2
	}
	for _, x := range b.X {
		out, err := m.Eval(x)
		require.NoError(t, err)
		require.Equal(t, out[0], out[1])
		require.Equal(t, 0, model.Argmax(out))
	}
	spec, err := NewSpec(m, b, accuracy(">=", true))
	require.NoError(t, err)
	salt := big.NewInt(99)
	cm, err := commitment.Commit(m, salt)
	require.NoError(t, err)
	f := &fixture{spec: spec, m: m, salt: salt, commit: cm, count: correctCount(t, m, b)}
	require.Equal(t, int64(6), f.count)
	require.NoError(t, solve(t, f, assign(f, 6, 6)))
	require.Error(t, solve(t, f, assign(f, 7, 7)))
	// A one-hot hint that names class 1 on ties (the last maximal index) is
	// rejected.
	lastMax := func(field *big.Int, in, out []*big.Int) error {
		if err := argmax.Hint(field, in, out); err != nil {
			return err
		}
		if out[0].Sign() != 0 && in[0].Cmp(in[1]) == 0 {
			out[0].SetInt64(0)
			out[1].SetInt64(1)
		}
		return nil
	}
	require.Error(t, solve(t, f, assign(f, 6, 6), solver.OverrideHint(solver.GetHintID(argmax.Hint), lastMax)))
}

// TestFirstLayerFreivalds runs the circuit with the first layer checked by
// a Freivalds check (the strategy for large image benchmarks): an honest
// witness passes, a tampered first-layer accumulator or a wrong count fails.
func TestFirstLayerFreivalds(t *testing.T) {
	base := newFixture(t, accuracy(">=", true))
	require.Equal(t, FirstLayerLinear, base.spec.FirstLayer)
	f := *base
	sp := *base.spec
	sp.FirstLayer = FirstLayerFreivalds
	f.spec = &sp
	honest := assign(&f, f.count, f.count)
	require.NoError(t, solve(t, &f, honest))
	require.Error(t, solve(t, &f, assign(&f, f.count+1, f.count+1)))
	for call := 0; call < 3; call++ {
		evil := tamper(freivalds.DenseHint, call, 2, addOne)
		require.Error(t, solve(t, &f, honest, solver.OverrideHint(solver.GetHintID(freivalds.DenseHint), evil)), "dense call %d", call)
	}
	// The copies of rᵀW's columns and of rᵀb are held to what they copy.
	for _, call := range []int{0, sp.Shape.Layers[0].In} {
		evil := tamper(freivalds.CopyHint, call, 0, addOne)
		require.Error(t, solve(t, &f, honest, solver.OverrideHint(solver.GetHintID(freivalds.CopyHint), evil)), "copy call %d", call)
	}
}

// TestFreivaldsCost pins the Freivalds check's cost on real MNIST images
// with the first layer hinted: per layer, out-2 powers of ρ, (out-1)·(in+1)
// products for rᵀW and rᵀb (r_0 = 1), in+1 copies when the inputs are
// constants, and per sample out-1 products, one equality and, with variable
// inputs, in products. Nothing else: in particular no constraint that
// gnark's R1CS builder adds to shorten a long linear combination.
func TestFreivaldsCost(t *testing.T) {
	m, b := mnistTiny(t, 40)
	spec, err := NewSpec(m, b, accuracy(">=", true))
	require.NoError(t, err)
	spec.FirstLayer = FirstLayerFreivalds
	bd, err := Profile(spec)
	require.NoError(t, err)
	want := 0
	for l, ls := range spec.Shape.Layers {
		want += ls.Out - 2 + (ls.Out-1)*(ls.In+1) + b.Len()*ls.Out
		if l == 0 {
			want += ls.In + 1
		} else {
			want += b.Len() * ls.In
		}
	}
	require.Equal(t, want, bd.PerGadget[GadgetFreivalds])
}
