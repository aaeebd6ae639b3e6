package circuits

import (
	"math/big"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/std/rangecheck"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/benchmark"
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
	w, err := frontend.NewWitness(a, ecc.BN254.ScalarField())
	require.NoError(t, err)
	_, err = cs.Solve(w, opts...)
	return err
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
// (the last one padded with two slots) each solve, and their counts sum to
// the counts of the whole benchmark.
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
	t.Run("another shard's digest", func(t *testing.T) {
		in := copyInput(first)
		in.Digest = f.input(t, 1).Digest
		require.Error(t, f.solve(t, in))
	})
	t.Run("another index", func(t *testing.T) {
		in := copyInput(first)
		in.Index = 1
		require.Error(t, f.solve(t, in), "the digest binds the index")
	})
	t.Run("a padding slot counted", func(t *testing.T) {
		in := copyInput(last)
		in.Slots.Cell[2] = 1 // the digest still says padding
		require.Error(t, f.solve(t, in))
	})
	t.Run("a feature one past its bound", func(t *testing.T) {
		// x = 2^n packs as 2^(n+1), which spills into the next feature's
		// bits; even with the digest of that packing, the range check
		// fails.
		in := copyInput(first)
		in.Slots.X[0][0] = int64(1) << lay.InputBits
		d, err := commitment.ShardDigest(lay, 0, in.Slots)
		require.NoError(t, err)
		in.Digest = d
		require.Error(t, f.solve(t, in))
		in.Slots.X[0][0] = -(int64(1) << lay.InputBits) - 1
		in.Digest, err = commitment.ShardDigest(lay, 0, in.Slots)
		require.NoError(t, err)
		require.Error(t, f.solve(t, in))
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

// digestCircuit is the shard circuit's digest check alone: the range
// checks of the features, the cell booleans and the Poseidon2 digest.
type digestCircuit struct {
	Index  frontend.Variable `gnark:",public"`
	Digest frontend.Variable `gnark:",public"`
	X      [][]frontend.Variable
	Cell   [][]frontend.Variable
	spec   *ShardSpec
}

func (d *digestCircuit) Define(api frontend.API) error {
	c := &ShardCircuit{Index: d.Index, Digest: d.Digest, X: d.X, Cell: d.Cell, spec: d.spec}
	return c.checkDigest(api, rangecheck.New(api, rangecheck.WithBaseLength(d.spec.Desc.RangeBase)))
}

// TestShardDigestGadget: the packing of the digest is injective only with
// the features' range checks. Moving 2^(n+1) from one feature's offset
// value to the next one's bit field keeps the packed element, hence the
// digest, but needs a feature one past its bound: refused.
func TestShardDigestGadget(t *testing.T) {
	m, b := synth(t, 1, 7)
	f := newShardFixture(t, m, b, 3, "accuracy >= 0")
	lay := f.spec.Desc.Layout()
	s, err := lay.Of(b, 0)
	require.NoError(t, err)
	dg, err := commitment.ShardDigest(lay, 0, s)
	require.NoError(t, err)
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
		d.Index, d.Digest = index, digest
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
	same, err := commitment.ShardDigest(lay, 0, &shard.Slots{X: x, Cell: s.Cell})
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
	dg3, err := commitment.ShardDigest(lay, 0, &shard.Slots{X: s.X, Cell: cells})
	require.NoError(t, err)
	c3.Digest = dg3
	c3.Cell[0][0], c3.Cell[0][1] = 1, 1
	require.Error(t, run(c3))
	c3.Cell[0][0], c3.Cell[0][1], c3.Cell[0][2] = 0, 0, 1
	require.NoError(t, run(c3))
}
