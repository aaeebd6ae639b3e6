package circuits

import (
	"crypto/sha256"
	"fmt"
	"math/big"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	fcs "github.com/consensys/gnark/frontend/cs"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/test"
	"github.com/stretchr/testify/require"
	"github.com/zkeval/zkeval/circuits/rangecheck"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/circuits/argmax"
	"github.com/zkeval/zkeval/circuits/freivalds"
	"github.com/zkeval/zkeval/circuits/relu"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/metric"
	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/shard"
)

type shardFixture struct {
	spec   *ShardSpec
	m      *model.Model
	b      *benchmark.Benchmark
	salt   *big.Int
	commit *big.Int
}

func newShardFixture(t *testing.T, m *model.Model, b *benchmark.Benchmark, size int, texts ...string) *shardFixture {
	var shapes []claim.Shape
	for _, s := range texts {
		reveal := s[0] != '!'
		if !reveal {
			s = s[1:]
		}
		c, err := claim.Parse(s)
		require.NoError(t, err)
		shapes = append(shapes, c.Shape(reveal))
	}
	spec, err := NewShardSpec(m, b, shapes, size)
	require.NoError(t, err)
	salt := big.NewInt(987654321)
	cm, err := commitment.Commit(m, salt)
	require.NoError(t, err)
	return &shardFixture{spec: spec, m: m, b: b, salt: salt, commit: cm}
}

// input returns the honest values of shard i.
func (f *shardFixture) input(t *testing.T, i int) *ShardInput {
	s, err := f.spec.Desc.Layout().Of(f.b, i)
	require.NoError(t, err)
	in, err := EvalShard(f.spec, f.m, i, s, big.NewInt(int64(1000+i)))
	require.NoError(t, err)
	return in
}

var shardCompiled sync.Map // *ShardSpec -> constraint.ConstraintSystem

func (f *shardFixture) solve(t *testing.T, in *ShardInput, edit ...func(*ShardCircuit)) error {
	t.Helper()
	return f.solveOpts(t, in, nil, edit...)
}

// solveOpts is solve with solver options (hint overrides).
func (f *shardFixture) solveOpts(t *testing.T, in *ShardInput, opts []solver.Option, edit ...func(*ShardCircuit)) error {
	t.Helper()
	var cs constraint.ConstraintSystem
	if c, ok := shardCompiled.Load(f.spec); ok {
		cs = c.(constraint.ConstraintSystem)
	} else {
		var err error
		cs, err = frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, NewShard(f.spec))
		require.NoError(t, err)
		shardCompiled.Store(f.spec, cs)
	}
	a, err := ShardAssignment(f.spec, f.m, f.salt, f.commit, in)
	require.NoError(t, err)
	for _, e := range edit {
		e(a)
	}
	// The caller's options (tampered hints) apply to the binding pass too,
	// so that a tampered hint meets its gadget's check, not a challenge
	// drawn from other committed values. A tampered hint must therefore be
	// a function of its inputs (everyCall), not of a count of its calls:
	// both passes must see the same witness.
	extra := opts
	opts = append(append([]solver.Option(nil), extra...), solver.OverrideHint(solver.GetHintID(fcs.Bsb22CommitmentComputePlaceholder), testCommit))
	if in.Challenge == nil {
		// Bind as the prover does, with testCommit for the commitment.
		if _, err := bindShard(cs, testCommit, testMask, f.spec, a, copyInput(in), extra...); err != nil {
			return err
		}
	}
	mask, err := fixedMask(testMask)
	require.NoError(t, err)
	opts = append(opts, mask)
	w, err := frontend.NewWitness(a, ecc.BN254.ScalarField())
	require.NoError(t, err)
	_, err = cs.Solve(w, opts...)
	return err
}

var testMask = big.NewInt(7)

// testCommit stands in for the Groth16 commitment in solver-only tests:
// a deterministic hash (SHA-256, reduced) of everything committed.
func testCommit(mod *big.Int, in, out []*big.Int) error {
	h := sha256.New()
	for _, v := range in {
		h.Write(v.Bytes())
		h.Write([]byte{0})
	}
	out[0].SetBytes(h.Sum(nil))
	out[0].Mod(out[0], mod)
	return nil
}

// bound returns in with its challenge and fingerprint set as the prover
// sets them (with testCommit).
func (f *shardFixture) bound(t *testing.T, in *ShardInput) *ShardInput {
	t.Helper()
	c := copyInput(in)
	cs, ok := shardCompiled.Load(f.spec)
	if !ok {
		require.NoError(t, f.solve(t, in))
		cs, _ = shardCompiled.Load(f.spec)
	}
	a, err := ShardAssignment(f.spec, f.m, f.salt, f.commit, c)
	require.NoError(t, err)
	_, err = bindShard(cs.(constraint.ConstraintSystem), testCommit, testMask, f.spec, a, c)
	require.NoError(t, err)
	return c
}

func copyInput(in *ShardInput) *ShardInput {
	c := *in
	c.LabelCounts = append([]int64(nil), in.LabelCounts...)
	c.Revealed = append([]int64(nil), in.Revealed...)
	c.Hidden = append([]int64(nil), in.Hidden...)
	sl := &shard.Slots{Cell: append([]int(nil), in.Slots.Cell...)}
	for _, x := range in.Slots.X {
		sl.X = append(sl.X, append([]int64(nil), x...))
	}
	c.Slots = sl
	return &c
}

// TestShardsAgreeWithWholeBenchmark: three shards of a 7-sample benchmark
// (the last one padded with two slots) each solve, their counts sum to the
// counts of the whole benchmark, and every slot's logits are native
// code's (checkShardsAgree).
func TestShardsAgreeWithWholeBenchmark(t *testing.T) {
	m, b := synth(t, 1, 7)
	f := newShardFixture(t, m, b, 3, "accuracy >= 0", "precision[class=b] >= 0")
	require.Equal(t, []metric.Count{{Kind: metric.TP, Group: -1, Class: -1}, {Kind: metric.TP, Group: -1, Class: 1}, {Kind: metric.Pred, Group: -1, Class: 1}}, f.spec.Revealed())
	n := shard.Count(b.Len(), 3)
	require.Equal(t, 3, n)
	sum := make([]int64, len(f.spec.Revealed()))
	labels := make([]int64, 3)
	for i := range n {
		in := f.input(t, i)
		require.NoError(t, f.solve(t, in), "shard %d", i)
		for j, v := range in.Revealed {
			sum[j] += v
		}
		for j, v := range in.LabelCounts {
			labels[j] += v
		}
	}
	var pred []int
	for _, x := range b.X {
		out, err := m.Eval(x)
		require.NoError(t, err)
		pred = append(pred, model.Argmax(out))
	}
	tab := metric.Tally(pred, b.Labels, nil, 3, 1)
	require.Equal(t, tab.Values(f.spec.Revealed()), sum)
	require.Equal(t, metric.NewLabels(b.Labels, nil, 3, 1).Pos[0], labels)
	checkShardsAgree(t, f)
}

// TestShardRejects: every public value and every binding of the shard
// circuit fails when changed.
func TestShardRejects(t *testing.T) {
	m, b := synth(t, 1, 7)
	f := newShardFixture(t, m, b, 3, "accuracy >= 0", "!recall[class=b] >= 0")
	lay := f.spec.Desc.Layout()
	last := f.input(t, 2) // one real sample, two padding slots
	require.NoError(t, f.solve(t, last))
	first := f.input(t, 0)
	require.NoError(t, f.solve(t, first))

	t.Run("revealed count off by one", func(t *testing.T) {
		for _, d := range []int64{-1, 1} {
			in := copyInput(first)
			in.Revealed[0] += d
			require.Error(t, f.solve(t, in))
		}
	})
	t.Run("label count off by one", func(t *testing.T) {
		in := copyInput(first)
		in.LabelCounts[0]++
		require.Error(t, f.solve(t, in))
	})
	t.Run("hidden counts commitment", func(t *testing.T) {
		in := copyInput(first)
		in.CountsCm = new(big.Int).Add(in.CountsCm, big.NewInt(1))
		require.Error(t, f.solve(t, in))
		in = copyInput(first)
		in.Hidden[0]++
		cm, err := commitment.CountsCommitment(in.CountsSalt, in.Hidden)
		require.NoError(t, err)
		in.CountsCm = cm
		require.Error(t, f.solve(t, in), "a commitment to counts the shard does not have")
	})
	t.Run("fingerprint and challenge", func(t *testing.T) {
		in := f.bound(t, first)
		require.NoError(t, f.solve(t, in), "the honest binding")
		c := copyInput(in)
		c.Fingerprint = new(big.Int).Add(in.Fingerprint, big.NewInt(1))
		require.Error(t, f.solve(t, c), "fingerprint off by one")
		c = copyInput(in)
		c.Challenge = new(big.Int).Add(in.Challenge, big.NewInt(1))
		var err error
		c.Fingerprint, err = commitment.ShardFingerprint(lay, 0, in.Slots, c.Challenge)
		require.NoError(t, err)
		require.Error(t, f.solve(t, c), "challenge off by one, fingerprint consistent with it")
		c = copyInput(in)
		c.Fingerprint = f.bound(t, f.input(t, 1)).Fingerprint
		require.Error(t, f.solve(t, c), "another shard's fingerprint")
	})
	t.Run("another index", func(t *testing.T) {
		in := f.bound(t, first)
		in.Index = 1
		require.Error(t, f.solve(t, in), "the fingerprint binds the index")
	})
	t.Run("a pixel or a cell bit changed, public values of the honest run", func(t *testing.T) {
		in := f.bound(t, first)
		// The changed samples, with their own counts and their
		// fingerprint at the honest challenge: only the commitment (the
		// challenge is drawn after X and Cell) refuses them.
		changed := func(edit func(*shard.Slots)) *ShardInput {
			sl := copyInput(in).Slots
			edit(sl)
			c, err := EvalShard(f.spec, f.m, 0, sl, in.CountsSalt)
			require.NoError(t, err)
			require.NoError(t, f.solve(t, c), "the changed samples, bound honestly, solve")
			c.Challenge = in.Challenge
			c.Fingerprint, err = commitment.ShardFingerprint(lay, 0, sl, in.Challenge)
			require.NoError(t, err)
			return c
		}
		pixel := changed(func(s *shard.Slots) {
			if s.X[0][0]+1 < int64(1)<<lay.InputBits {
				s.X[0][0]++
			} else {
				s.X[0][0]--
			}
		})
		require.Error(t, f.solve(t, pixel), "a pixel changed")
		cell := changed(func(s *shard.Slots) { s.Cell[0] = s.Cell[0]%lay.Cells + 1 })
		require.Error(t, f.solve(t, cell), "a cell bit changed")
	})
	t.Run("a padding slot counted", func(t *testing.T) {
		in := f.bound(t, last)
		in.Slots.Cell[2] = 1 // the fingerprint still says padding
		require.Error(t, f.solve(t, in))
	})
	t.Run("a feature one past its bound", func(t *testing.T) {
		// x = 2^n packs as 2^(n+1), which spills into the next feature's
		// bits; even with the fingerprint of that packing, the range
		// check fails
		// (the fingerprint of that packing at the challenge, computed
		// on the elements, since ShardFingerprint refuses such values).
		for _, x := range []int64{int64(1) << lay.InputBits, -(int64(1) << lay.InputBits) - 1} {
			in := f.bound(t, first)
			in.Slots.X[0][0] = x
			var err error
			in.Fingerprint, err = commitment.Fingerprint(lay.ElementsOf(0, in.Slots), in.Challenge)
			require.NoError(t, err)
			require.Error(t, f.solve(t, in))
		}
	})
	t.Run("a sample in two cells", func(t *testing.T) {
		in := copyInput(first)
		require.NoError(t, f.solve(t, in))
		require.Error(t, f.solve(t, in, func(c *ShardCircuit) {
			c.Cell[0][0], c.Cell[0][1], c.Cell[0][2] = 0, 1, 1
		}))
	})
	t.Run("another model", func(t *testing.T) {
		other, _ := synth(t, 2, 1)
		in := copyInput(first)
		require.Error(t, f.solve(t, in, func(c *ShardCircuit) {
			for l := range other.Layers {
				for o, row := range other.Layers[l].W {
					for i, v := range row {
						c.W[l][o][i] = v
					}
				}
			}
		}))
	})
}

// TestShardMLPTamperedHints: over a dense network, the first layer's
// Freivalds-checked accumulator (over the secret features) one too large,
// a ReLU sign flipped and the argmax's one-hot rotated are each refused by
// their gadget.
func TestShardMLPTamperedHints(t *testing.T) {
	m, b := synth(t, 1, 7)
	f := newShardFixture(t, m, b, 3, "accuracy >= 0", "!recall[class=b] >= 0")
	sh := m.Shape()
	for _, l := range sh.Layers[1:] {
		require.NotEqual(t, [2]int{sh.Layers[0].In, sh.Layers[0].Out}, [2]int{l.In, l.Out}, "the match must name the first layer only")
	}
	require.True(t, sh.Layers[0].ReLU)
	require.Equal(t, ReLURange, f.spec.Desc.ReLU[0])
	runTamperCases(t, f, []tamperCase{
		{name: "dense 0 (Freivalds) accumulator+1", hint: freivalds.DenseHint, match: denseMatch(sh.Layers[0]), edit: addOneTo(0)},
		{name: "relu sign flipped", hint: relu.SignHint, edit: flipSmallestSign},
		{name: "argmax one-hot rotated", hint: argmax.Hint, edit: rotateOneHot},
	})
}

// TestShardOnGermanCredit: every metric kind on real data with groups:
// three shards of the first 30 test applicants sum to the counts of the
// whole slice, for every claim.
func TestShardOnGermanCredit(t *testing.T) {
	m, full := credit(t)
	b, err := full.Prefix(30)
	require.NoError(t, err)
	var texts []string
	for i, c := range creditClaims {
		if i%3 == 2 {
			c = "!" + c
		}
		texts = append(texts, c)
	}
	f := newShardFixture(t, m, b, 10, texts...)
	require.NotEmpty(t, f.spec.Hidden())
	pred := predictions(t, m, b)
	tab := metric.Tally(pred, b.Labels, b.Groups, 2, 2)
	sumR := make([]int64, len(f.spec.Revealed()))
	sumH := make([]int64, len(f.spec.Hidden()))
	for i := range 3 {
		in := f.input(t, i)
		require.NoError(t, f.solve(t, in), "shard %d", i)
		for j, v := range in.Revealed {
			sumR[j] += v
		}
		for j, v := range in.Hidden {
			sumH[j] += v
		}
	}
	require.Equal(t, tab.Values(f.spec.Revealed()), sumR)
	require.Equal(t, tab.Values(f.spec.Hidden()), sumH)
}

// digestCircuit is the shard circuit's element list and fingerprint
// alone, at a public point R: the range checks of the features, the cell
// booleans and Horner's rule (the commitment that draws R in the shard
// circuit is tested by TestShardRejects and the prover's tests).
type digestCircuit struct {
	Index  frontend.Variable `gnark:",public"`
	R      frontend.Variable `gnark:",public"`
	Digest frontend.Variable `gnark:",public"`
	X      [][]frontend.Variable
	Cell   [][]frontend.Variable
	spec   *ShardSpec
}

func (d *digestCircuit) Define(api frontend.API) error {
	c := &ShardCircuit{Index: d.Index, X: d.X, Cell: d.Cell, spec: d.spec}
	elems, err := c.shardElements(api, rangecheck.New(api, d.spec.Desc.RangeBase))
	if err != nil {
		return err
	}
	api.AssertIsEqual(hornerVars(api, elems, d.R), d.Digest)
	return nil
}

// TestShardDigestGadget: the circuit's fingerprint is the native one
// (commitment.ShardFingerprint); the packing is injective only with the
// features' range checks. Moving 2^(n+1) from one feature's offset value
// to the next one's bit field keeps the packed element, hence the
// fingerprint, but needs a feature one past its bound: refused.
func TestShardDigestGadget(t *testing.T) {
	m, b := synth(t, 1, 7)
	f := newShardFixture(t, m, b, 3, "accuracy >= 0")
	lay := f.spec.Desc.Layout()
	s, err := lay.Of(b, 0)
	require.NoError(t, err)
	point, _ := new(big.Int).SetString("1234567890123456789012345678901234567890", 10)
	digest := func(index int, sl *shard.Slots) (*big.Int, error) {
		return commitment.Fingerprint(lay.ElementsOf(index, sl), point)
	}
	dg, err := digest(0, s)
	require.NoError(t, err)
	fast, err := commitment.ShardFingerprint(lay, 0, s, point)
	require.NoError(t, err)
	require.Equal(t, dg, fast)
	mk := func() *digestCircuit {
		d := &digestCircuit{spec: f.spec, X: make([][]frontend.Variable, lay.Size), Cell: make([][]frontend.Variable, lay.Size)}
		for i := range d.X {
			d.X[i] = make([]frontend.Variable, lay.Features)
			d.Cell[i] = make([]frontend.Variable, lay.Cells)
		}
		return d
	}
	assign := func(x [][]int64, cells []int, index int, digest *big.Int) *digestCircuit {
		d := mk()
		d.Index, d.Digest, d.R = index, digest, point
		for i := range x {
			for j, v := range x[i] {
				d.X[i][j] = v
			}
			for k := range d.Cell[i] {
				d.Cell[i][k] = 0
				if cells[i] == k+1 {
					d.Cell[i][k] = 1
				}
			}
		}
		return d
	}
	cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, mk())
	require.NoError(t, err)
	run := func(a *digestCircuit) error {
		w, err := frontend.NewWitness(a, ecc.BN254.ScalarField())
		require.NoError(t, err)
		_, err = cs.Solve(w)
		return err
	}
	require.NoError(t, run(assign(s.X, s.Cell, 0, dg)))
	require.Error(t, run(assign(s.X, s.Cell, 1, dg)), "another index")

	x := make([][]int64, len(s.X))
	for i := range s.X {
		x[i] = append([]int64(nil), s.X[i]...)
	}
	x[0][0] += int64(1) << (lay.InputBits + 1) // one past the bound and beyond
	x[0][1]--
	require.GreaterOrEqual(t, x[0][0], int64(1)<<lay.InputBits)
	same, err := digest(0, &shard.Slots{X: x, Cell: s.Cell})
	require.NoError(t, err)
	require.Equal(t, dg, same, "the tampered features pack to the same element")
	require.Error(t, run(assign(x, s.Cell, 0, dg)))

	// A cell value reached with two booleans (cells 1 and 2 sum to the
	// value 3 of cell 3) is refused by the boolean sum.
	c3 := assign(s.X, s.Cell, 0, dg)
	for k := range c3.Cell[0] {
		c3.Cell[0][k] = 0
	}
	cells := append([]int(nil), s.Cell...)
	cells[0] = 3
	dg3, err := digest(0, &shard.Slots{X: s.X, Cell: cells})
	require.NoError(t, err)
	c3.Digest = dg3
	c3.Cell[0][0], c3.Cell[0][1] = 1, 1
	require.Error(t, run(c3))
	c3.Cell[0][0], c3.Cell[0][1], c3.Cell[0][2] = 0, 0, 1
	require.NoError(t, run(c3))

	// The test engine agrees.
	assert := test.NewAssert(t)
	assert.CheckCircuit(mk(), test.WithCurves(ecc.BN254), test.WithValidAssignment(assign(s.X, s.Cell, 0, dg)), test.WithInvalidAssignment(assign(s.X, s.Cell, 0, new(big.Int).Add(dg, big.NewInt(1)))), test.NoFuzzing(), test.NoSerializationChecks())
}

// TestShardLogitBits: a description whose logits (the last layer, without
// ReLU) have accumulatorBits 1 is refused with the field's name, where
// compiling it panicked inside the argmax gadget; the least bound allowed,
// 2, compiles.
func TestShardLogitBits(t *testing.T) {
	m, b := synth(t, 1, 7)
	f := newShardFixture(t, m, b, 3, "accuracy >= 0")
	d := f.spec.Desc
	last := len(d.AccBits) - 1
	require.Empty(t, d.ReLU[last])
	d.AccBits = append([]int(nil), d.AccBits...)
	d.AccBits[last] = 1
	_, err := NewShardSpecFrom(d)
	require.ErrorContains(t, err, fmt.Sprintf("accumulatorBits[%d]: 1; the last layer has no ReLU", last))
	d.AccBits[last] = 2
	spec, err := NewShardSpecFrom(d)
	require.NoError(t, err)
	_, err = frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, NewShard(spec))
	require.NoError(t, err)
}
