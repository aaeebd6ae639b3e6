package circuits

import (
	"math"
	"math/big"
	"sync/atomic"
	"testing"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/circuits/argmax"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/internal/testfixture"
	"github.com/zkeval/zkeval/metric"
	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/model/onnx"
)

// creditClaims are claims of every metric on the German credit test split
// (classes good, bad; groups of sex male, female).
var creditClaims = []string{
	"accuracy >= 0",
	"precision[class=bad] >= 0",
	"recall[class=bad] >= 0",
	"fpr[class=good] <= 1",
	"f1[class=bad] >= 0",
	"macro_precision >= 0",
	"macro_recall >= 0",
	"macro_fpr <= 1",
	"macro_f1 >= 0",
	"demographic_parity_difference[group=sex] <= 1",
	"demographic_parity_ratio[group=sex,positive=good] >= 0",
	"equal_opportunity_difference[group=sex,positive=good] <= 1",
	"equalized_odds_difference[group=sex] <= 1",
}

// credit returns the 58-16-2 MLP trained with PyTorch on the German credit
// train split, quantized at 2^10 (the scale the quantizer picks for it),
// and the test split.
func credit(t *testing.T) (*model.Model, *benchmark.Benchmark) {
	b, err := testfixture.Tabular("../testdata/tabular", "credit-g.arff", "credit-g.schema.json")
	require.NoError(t, err)
	fm, err := onnx.Import("../testdata/tabular/credit_g_mlp_58_16_2.onnx")
	require.NoError(t, err)
	m, err := model.Quantize(fm, 10, b.InputScale)
	require.NoError(t, err)
	return m, b
}

// plain computes a metric from predictions with the textbook formulas
// (scikit-learn and Fairlearn definitions), in floating point, sample by
// sample, independently of package metric.
func plain(name string, cls, pos int, pred, labels, groups []int, groupCount, classCount int) float64 {
	rate := func(keep func(i int) bool, hit func(i int) bool) float64 {
		n, h := 0, 0
		for i := range pred {
			if keep(i) {
				n++
				if hit(i) {
					h++
				}
			}
		}
		if n == 0 {
			return 0
		}
		return float64(h) / float64(n)
	}
	all := func(int) bool { return true }
	perClass := func(metric string, c int) float64 {
		prec := rate(func(i int) bool { return pred[i] == c }, func(i int) bool { return labels[i] == c })
		rec := rate(func(i int) bool { return labels[i] == c }, func(i int) bool { return pred[i] == c })
		switch metric {
		case "precision":
			return prec
		case "recall":
			return rec
		case "fpr":
			return rate(func(i int) bool { return labels[i] != c }, func(i int) bool { return pred[i] == c })
		default: // f1
			if prec+rec == 0 {
				return 0
			}
			return 2 * prec * rec / (prec + rec)
		}
	}
	spread := func(f func(g int) float64) (lo, hi float64) {
		lo, hi = math.Inf(1), math.Inf(-1)
		for g := 0; g < groupCount; g++ {
			v := f(g)
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		return
	}
	sel := func(g int) float64 {
		return rate(func(i int) bool { return groups[i] == g }, func(i int) bool { return pred[i] == pos })
	}
	tpr := func(g int) float64 {
		return rate(func(i int) bool { return groups[i] == g && labels[i] == pos }, func(i int) bool { return pred[i] == pos })
	}
	fpr := func(g int) float64 {
		return rate(func(i int) bool { return groups[i] == g && labels[i] != pos }, func(i int) bool { return pred[i] == pos })
	}
	switch name {
	case "accuracy":
		return rate(all, func(i int) bool { return pred[i] == labels[i] })
	case "precision", "recall", "fpr", "f1":
		return perClass(name, cls)
	case "macro_precision", "macro_recall", "macro_fpr", "macro_f1":
		s := 0.0
		for c := 0; c < classCount; c++ {
			s += perClass(name[len("macro_"):], c)
		}
		return s / float64(classCount)
	case "demographic_parity_difference":
		lo, hi := spread(sel)
		return hi - lo
	case "demographic_parity_ratio":
		lo, hi := spread(sel)
		return lo / hi
	case "equal_opportunity_difference":
		lo, hi := spread(tpr)
		return hi - lo
	case "equalized_odds_difference":
		a, b := spread(tpr)
		c, d := spread(fpr)
		return math.Max(b-a, d-c)
	}
	panic(name)
}

type claimFixture struct {
	fixture
	claims []*claim.Claim
	counts [][]int64
	values []*big.Rat
}

// newClaimFixture builds the circuit of the credit model with the given
// claims, all revealed or all hidden, and the native counts and values of
// each claim.
func newClaimFixture(t *testing.T, texts []string, reveal bool) *claimFixture {
	m, b := credit(t)
	var shapes []claim.Shape
	byKey := map[string]*claim.Claim{}
	for _, s := range texts {
		c, err := claim.Parse(s)
		require.NoError(t, err)
		shapes = append(shapes, c.Shape(reveal))
		byKey[c.Key()+c.Comparison] = c
	}
	spec, err := NewSpec(m, b, shapes)
	require.NoError(t, err)
	salt := big.NewInt(31337)
	cm, err := commitment.Commit(m, salt)
	require.NoError(t, err)
	f := &claimFixture{fixture: fixture{spec: spec, m: m, salt: salt, commit: cm}}
	pred := predictions(t, m, b)
	tab := metric.Tally(pred, b.Labels, b.Groups, len(b.ClassNames), len(b.GroupNames))
	for k, sh := range spec.Claims {
		f.claims = append(f.claims, byKey[sh.Key()+sh.Comparison])
		cs := tab.Values(metric.Counts(spec.Targets()[k], spec.Labels()))
		v, err := metric.Value(spec.Targets()[k], spec.Labels(), cs)
		require.NoError(t, err)
		f.counts = append(f.counts, cs)
		f.values = append(f.values, v)
	}
	return f
}

func predictions(t *testing.T, m *model.Model, b *benchmark.Benchmark) []int {
	pred := make([]int, b.Len())
	for i, x := range b.X {
		out, err := m.Eval(x)
		require.NoError(t, err)
		pred[i] = model.Argmax(out)
	}
	return pred
}

// inputs returns the claims' public inputs with thresholds th (the claims'
// own when nil) and counts (f's own when nil).
func (f *claimFixture) inputs(th []*big.Rat, counts [][]int64) []ClaimInput {
	in := make([]ClaimInput, len(f.claims))
	for k, c := range f.claims {
		r := c.Threshold
		if th != nil {
			r = th[k]
		}
		in[k] = ClaimInput{P: new(big.Int).Set(r.Num()), Q: new(big.Int).Set(r.Denom())}
		if f.spec.Claims[k].Reveal {
			in[k].Counts = f.counts[k]
			if counts != nil {
				in[k].Counts = counts[k]
			}
		}
	}
	return in
}

func (f *claimFixture) solve(t *testing.T, in []ClaimInput, opts ...solver.Option) error {
	a, err := Assignment(f.spec, f.m, f.salt, f.commit, in)
	require.NoError(t, err)
	return solve(t, &f.fixture, a, opts...)
}

// TestMetricsOnGermanCredit proves every metric on the real German credit
// test split with the real model and checks, for each claim: that the
// counts the circuit accepts give the value an independent floating-point
// computation gives (scikit-learn and Fairlearn formulas); that a threshold
// at the exact value proves; that a threshold the smallest step past the
// value (2^-40) fails both natively and in the circuit; and that each
// revealed count off by one fails.
func TestMetricsOnGermanCredit(t *testing.T) {
	f := newClaimFixture(t, creditClaims, true)
	b := f.spec.Bench
	pred := predictions(t, f.m, b)
	require.True(t, f.spec.NeedsPredictions())
	for k, c := range f.claims {
		tg := f.spec.Targets()[k]
		want := plain(c.Metric, tg.Class, tg.Positive, pred, b.Labels, b.Groups, len(b.GroupNames), len(b.ClassNames))
		got, _ := f.values[k].Float64()
		require.InDelta(t, want, got, 1e-12, "%s", c.Key())
		t.Logf("%-58s %s = %.4f", c.Key(), f.values[k].RatString(), got)
	}

	// Every claim at its exact value: the honest witness.
	exact := append([]*big.Rat(nil), f.values...)
	require.NoError(t, f.solve(t, f.inputs(exact, nil)))

	eps := big.NewRat(1, 1<<40)
	for k, c := range f.claims {
		th := append([]*big.Rat(nil), exact...)
		if c.Comparison == ">=" {
			th[k] = new(big.Rat).Add(exact[k], eps)
		} else {
			th[k] = new(big.Rat).Sub(exact[k], eps)
		}
		require.False(t, metric.Holds(f.values[k], c.Comparison, th[k]), c.Key())
		p, q := th[k].Num(), th[k].Denom()
		require.False(t, metric.HoldsByPairs(f.spec.Targets()[k], f.spec.Labels(), f.counts[k], c.Comparison, p, q), c.Key())
		require.Error(t, f.solve(t, f.inputs(th, nil)), "%s %s %s proved", c.Key(), c.Comparison, th[k].RatString())

		f.requireOffCountsFail(t, k, -1, 1)
	}
}

// requireOffCountsFail requires that the witness fails with any one of
// claim k's revealed counts moved by any of deltas.
func (f *claimFixture) requireOffCountsFail(t *testing.T, k int, deltas ...int64) {
	t.Helper()
	for j := range f.counts[k] {
		for _, d := range deltas {
			counts := make([][]int64, len(f.counts))
			for i := range counts {
				counts[i] = append([]int64(nil), f.counts[i]...)
			}
			counts[k][j] += d
			require.Error(t, f.solve(t, f.inputs(nil, counts)), "%s count %d %+d", f.claims[k].Key(), j, d)
		}
	}
}

// TestHiddenMetricClaims proves fairness claims without revealing their
// values: the public inputs are the thresholds alone, and an over-claim
// still fails.
func TestHiddenMetricClaims(t *testing.T) {
	texts := []string{"accuracy >= 0", "demographic_parity_difference[group=sex] <= 1", "recall[class=bad] >= 0"}
	f := newClaimFixture(t, texts, false)
	exact := append([]*big.Rat(nil), f.values...)
	in := f.inputs(exact, nil)
	for _, x := range in {
		require.Nil(t, x.Counts)
	}
	require.NoError(t, f.solve(t, in))
	for k := range exact {
		th := append([]*big.Rat(nil), exact...)
		if f.claims[k].Comparison == ">=" {
			th[k] = new(big.Rat).Add(exact[k], big.NewRat(1, 1000))
		} else {
			th[k] = new(big.Rat).Sub(exact[k], big.NewRat(1, 1000))
		}
		require.Error(t, f.solve(t, f.inputs(th, nil)), f.claims[k].Key())
	}
}

// TestFullArgmaxRejectsTamperedPredictions: when claims read predicted
// classes, the whole one-hot prediction is constrained: moving it to any
// other class, on one sample or on all, fails.
func TestFullArgmaxRejectsTamperedPredictions(t *testing.T) {
	f := newClaimFixture(t, []string{"precision[class=bad] >= 0", "demographic_parity_difference[group=sex] <= 1"}, true)
	in := f.inputs(nil, nil)
	require.NoError(t, f.solve(t, in))
	swap := func(field *big.Int, inp, out []*big.Int) error {
		if err := argmax.Hint(field, inp, out); err != nil {
			return err
		}
		out[0], out[1] = out[1], out[0]
		return nil
	}
	require.Error(t, f.solve(t, in, solver.OverrideHint(solver.GetHintID(argmax.Hint), swap)))
	for _, call := range []int{0, 17, 200} {
		for j := 0; j < 2; j++ {
			evil := tamper(argmax.Hint, call, j, flipBit)
			require.Error(t, f.solve(t, in, solver.OverrideHint(solver.GetHintID(argmax.Hint), evil)), "call %d output %d", call, j)
		}
	}
	// A prediction moved on one sample changes the counts: even with the
	// counts that prediction would give, the argmax check fails.
	other := append([]int(nil), predictions(t, f.m, f.spec.Bench)...)
	other[5] = 1 - other[5]
	tab := metric.Tally(other, f.spec.Bench.Labels, f.spec.Bench.Groups, 2, 2)
	counts := make([][]int64, len(f.claims))
	for k := range f.claims {
		counts[k] = tab.Values(metric.Counts(f.spec.Targets()[k], f.spec.Labels()))
	}
	moveOne := func(field *big.Int, inp, out []*big.Int) error {
		return argmax.Hint(field, inp, out)
	}
	var n atomic.Int64 // hints run on several goroutines
	moved := func(field *big.Int, inp, out []*big.Int) error {
		if err := moveOne(field, inp, out); err != nil {
			return err
		}
		if n.Add(1)-1 == 5 {
			out[0], out[1] = out[1], out[0]
		}
		return nil
	}
	require.Error(t, f.solve(t, f.inputs(nil, counts), solver.OverrideHint(solver.GetHintID(argmax.Hint), moved)))
}
