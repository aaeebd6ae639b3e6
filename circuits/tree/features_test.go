package tree_test

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark/frontend"
	"github.com/stretchr/testify/require"
	"github.com/zkeval/zkeval/circuits/rangecheck"

	"github.com/zkeval/zkeval/circuits/internal/gadgettest"
	ctree "github.com/zkeval/zkeval/circuits/tree"
)

// readX: three samples of five features with runs of equal values, so
// that a neighbouring run, a run of another sample and a run of the same
// value are all at hand.
var readX = [][]int64{{0, 0, 3, 3, 0}, {0, 5, 5, 5, 5}, {7, 0, 0, 0, 2}}

// readCircuit asserts Want[i] = x[S[i]][F[i]] through the sparse reader.
type readCircuit struct {
	F    []frontend.Variable
	Want []frontend.Variable `gnark:",public"`
	s    []int
}

func (c *readCircuit) Define(api frontend.API) error {
	rc := rangecheck.New(api, 4)
	sp, err := ctree.NewSparse(api, readX, 3)
	if err != nil {
		return err
	}
	for i := range c.F {
		api.AssertIsEqual(sp.Read(api, rc, c.s[i], c.F[i]), c.Want[i])
	}
	return nil
}

func readAll() (*readCircuit, *readCircuit) {
	c := &readCircuit{}
	a := &readCircuit{}
	for s, xs := range readX {
		for f, v := range xs {
			c.s = append(c.s, s)
			c.F, c.Want = append(c.F, nil), append(c.Want, nil)
			a.F, a.Want = append(a.F, f), append(a.Want, v)
		}
	}
	a.s = c.s
	return c, a
}

func TestRuns(t *testing.T) {
	require.Equal(t, []ctree.Run{{0, 1, 0}, {2, 3, 3}, {4, 4, 0}, {5, 5, 0}, {6, 9, 5}, {10, 10, 7}, {11, 13, 0}, {14, 14, 2}}, ctree.Runs(readX))
}

// runOf answers like RunHint for global position p of readX, whatever p
// is: a hint that does what a cheating prover would.
func runOf(p int64) (j int, r ctree.Run, ok bool) {
	for j, r := range ctree.Runs(readX) {
		if r.Start <= p && p <= r.End {
			return j, r, true
		}
	}
	return 0, ctree.Run{}, false
}

func evilRun(pick func(p int64) (int, ctree.Run)) func(*big.Int, []*big.Int, []*big.Int) error {
	return func(field *big.Int, in, out []*big.Int) error {
		f := new(big.Int).Set(in[0])
		if f.Cmp(new(big.Int).Rsh(field, 1)) > 0 { // a negative f
			f.Sub(f, field)
		}
		p := f.Int64() + in[3].Int64()
		_, r := pick(p)
		out[0].SetInt64(r.Start)
		out[1].SetInt64(r.End)
		out[2].SetInt64(r.Value)
		return nil
	}
}

// moveCount moves one occurrence from the first counted key to the next.
func moveCount(field *big.Int, in, out []*big.Int) error {
	if err := ctree.CountHint(field, in, out); err != nil {
		return err
	}
	for i := range out {
		if out[i].Sign() > 0 {
			out[i].Sub(out[i], big.NewInt(1))
			out[(i+1)%len(out)].Add(out[(i+1)%len(out)], big.NewInt(1))
			return nil
		}
	}
	return nil
}

func TestSparseRead(t *testing.T) {
	c, a := readAll()
	gadgettest.Valid(t, c, a)

	// A wrong witness: another value than the feature's.
	_, bad := readAll()
	bad.Want[3] = 0
	gadgettest.Invalid(t, c, bad)

	// Tampered hints: the run next to the right one (value 0 where the
	// feature is 3); the right run with another value; the right value
	// with the run of another sample.
	runs := ctree.Runs(readX)
	gadgettest.Tampered(t, c, a, gadgettest.Override{Of: ctree.RunHint, Evil: evilRun(func(p int64) (int, ctree.Run) {
		j, _, _ := runOf(p)
		j = (j + 1) % len(runs)
		return j, runs[j]
	})})
	gadgettest.Tampered(t, c, a, gadgettest.Override{Of: ctree.RunHint, Evil: evilRun(func(p int64) (int, ctree.Run) {
		j, r, _ := runOf(p)
		r.Value++
		return j, r
	})})
	gadgettest.Tampered(t, c, a, gadgettest.Override{Of: ctree.RunHint, Evil: evilRun(func(p int64) (int, ctree.Run) {
		j, r, _ := runOf(p)
		if p == 1 { // x[0][1] = 0: answer sample 2's run of zeros, [11, 13]
			return 6, runs[6]
		}
		return j, r
	})})
	// Tampered multiplicities: the set argument fails.
	gadgettest.Tampered(t, c, a, gadgettest.Override{Of: ctree.CountHint, Evil: moveCount})
}

// TestSparseReadAnyF: the reader does not range-check f (Walk pins it to
// the committed feature from the key's equation: TestSparseWalkMovedFeature).
// On its own it reads the position s·F + f whatever f is: f = 7 of sample
// 0 reads x[1][2] and f = -1 of sample 1 reads x[0][4]; but a position
// outside the samples has no run, and no read returns a value outside
// Bounds (TestSparseReadKeyPreservingForgery).
func TestSparseReadAnyF(t *testing.T) {
	anyRun := gadgettest.Override{Of: ctree.RunHint, Evil: evilRun(func(p int64) (int, ctree.Run) {
		j, r, _ := runOf(p)
		return j, r
	})}
	c := &readCircuit{F: []frontend.Variable{nil}, Want: []frontend.Variable{nil}, s: []int{0}}
	for _, ok := range []*readCircuit{
		{F: []frontend.Variable{7}, Want: []frontend.Variable{5}, s: []int{0}},  // x[1][2]
		{F: []frontend.Variable{-1}, Want: []frontend.Variable{0}, s: []int{1}}, // x[0][4]
	} {
		c.s = ok.s
		e, s := gadgettest.Solve(t, c, ok, anyRun)
		require.NoError(t, e)
		require.NoError(t, s)
	}
	// Position 15, past the last sample: no run holds it.
	c.s = []int{2}
	a := &readCircuit{F: []frontend.Variable{5}, Want: []frontend.Variable{2}, s: []int{2}}
	e, s := gadgettest.Solve(t, c, a, anyRun)
	require.Error(t, e)
	require.Error(t, s)
}

// otherSplit returns a WordHint that splits the node word into other
// parts of the same sum, or (with same false) another word's parts.
func otherSplit(dl, dt, df int64, same bool) func(*big.Int, []*big.Int, []*big.Int) error {
	return func(field *big.Int, in, out []*big.Int) error {
		if err := ctree.WordHint(field, in, out); err != nil {
			return err
		}
		lb, tb := in[1].Int64(), in[2].Int64()
		heap := in[3].Int64() == 1
		l, th, f := big.NewInt(dl), big.NewInt(dt), big.NewInt(df)
		if same {
			// Keep L + 2^lb·T + 2^(lb+tb)·f: move one unit up or down.
			switch {
			case dl != 0 && !heap:
				th.SetInt64(-dl)
				l.Lsh(l, uint(lb))
			case dt != 0:
				f.SetInt64(-dt)
				th.Lsh(th, uint(tb))
			}
		}
		out[0].Add(out[0], f).Mod(out[0], field)
		out[1].Add(out[1], th).Mod(out[1], field)
		if !heap {
			out[2].Add(out[2], l).Mod(out[2], field)
		}
		return nil
	}
}

// TestWordTampered: every other split of a node word, and every split of
// another word, fails.
func TestWordTampered(t *testing.T) {
	bothReaders(t, func(t *testing.T) {
		for _, h := range []*struct {
			name string
			heap bool
		}{{"linked", false}, {"heap", true}} {
			e := ensemble(t)
			if h.heap {
				e = heapEnsemble(t)
			}
			c, a := circuit(t, e, samples)
			gadgettest.Valid(t, c, a)
			if !h.heap {
				// L + 2^lb, T - 1: the same word.
				gadgettest.Tampered(t, c, a, gadgettest.Override{Of: ctree.WordHint, Evil: otherSplit(1, 0, 0, true)})
				gadgettest.Tampered(t, c, a, gadgettest.Override{Of: ctree.WordHint, Evil: otherSplit(-1, 0, 0, true)})
				gadgettest.Tampered(t, c, a, gadgettest.Override{Of: ctree.WordHint, Evil: otherSplit(1, 0, 0, false)})
			}
			// T + 2^tb, f - 1 and T - 2^tb, f + 1: the same word.
			gadgettest.Tampered(t, c, a, gadgettest.Override{Of: ctree.WordHint, Evil: otherSplit(0, 1, 0, true)})
			gadgettest.Tampered(t, c, a, gadgettest.Override{Of: ctree.WordHint, Evil: otherSplit(0, -1, 0, true)})
			// Another word: another feature, another threshold.
			gadgettest.Tampered(t, c, a, gadgettest.Override{Of: ctree.WordHint, Evil: otherSplit(0, 0, 1, false)})
			gadgettest.Tampered(t, c, a, gadgettest.Override{Of: ctree.WordHint, Evil: otherSplit(0, 1, 0, false)})
		}
	})
}

// TestTableWordBounds: a child index or a threshold one past its width
// cannot enter the table.
func TestTableWordBounds(t *testing.T) {
	bothReaders(t, func(t *testing.T) {
		e := ensemble(t)
		c, a := circuit(t, e, samples)
		a.Nodes.Threshold[8] = fe(16) // a padding node, never read: 5-bit thresholds lie in [-16, 16)
		gadgettest.Invalid(t, c, a)
		_, a = circuit(t, e, samples)
		a.Nodes.Threshold[8] = fe(15)
		gadgettest.Valid(t, c, a)
		_, a = circuit(t, e, samples)
		a.Nodes.Left[8] = fe(16) // 10 nodes: child indices below 2^4
		gadgettest.Invalid(t, c, a)
		_, a = circuit(t, e, samples)
		a.Nodes.Left[8] = fe(15)
		gadgettest.Valid(t, c, a)
	})
}
