package metric

import (
	"math/big"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"
)

// randomCase draws labels, groups and predictions for n samples.
func randomCase(rng *rand.Rand, n, K, G int) (pred, labels, groups []int) {
	for i := 0; i < n; i++ {
		labels = append(labels, rng.Intn(K))
		groups = append(groups, rng.Intn(G))
		p := labels[i]
		if rng.Intn(3) == 0 {
			p = rng.Intn(K)
		}
		pred = append(pred, p)
	}
	return
}

// targets lists every metric on a task of K classes and G groups.
func targets(K, G int) []Target {
	var ts []Target
	for _, d := range Defs {
		switch d.Kind {
		case KindClass:
			for c := 0; c < K; c++ {
				ts = append(ts, Target{Metric: d.Name, Class: c, Positive: -1})
			}
		case KindFairness:
			if K == 2 && G >= 2 {
				ts = append(ts, Target{Metric: d.Name, Class: -1, Positive: 1, ByGroup: true}, Target{Metric: d.Name, Class: -1, Positive: 0, ByGroup: true})
			}
		default:
			ts = append(ts, Target{Metric: d.Name, Class: -1, Positive: -1})
		}
	}
	return ts
}

// defined reports whether every fixed denominator of t is positive (what
// claim.Resolve checks).
func defined(t Target, l Labels) bool {
	N := l.N(-1)
	for c := 0; c < l.Classes(); c++ {
		if (t.Class == c || t.Class < 0 && !t.ByGroup) && (l.PosOf(-1, c) == 0 || l.PosOf(-1, c) == N) {
			return false
		}
	}
	if t.ByGroup {
		for g := 0; g < l.Groups(); g++ {
			if p := l.PosOf(g, t.Positive); p == 0 || p == l.N(g) {
				return false
			}
		}
	}
	return true
}

// TestPairsDecideLikeValue checks, on random counts, that the division-free
// inequalities of Pairs accept a threshold exactly when the exact value
// meets it: at the value itself, and one smallest step away on each side.
func TestPairsDecideLikeValue(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	checked := 0
	for iter := 0; iter < 300; iter++ {
		K := 2 + rng.Intn(3)
		G := 1 + rng.Intn(3)
		if iter%2 == 0 {
			K = 2
		}
		pred, labels, groups := randomCase(rng, 5+rng.Intn(60), K, G)
		l := NewLabels(labels, groups, K, G)
		tab := Tally(pred, labels, groups, K, G)
		for _, tg := range targets(K, G) {
			if !defined(tg, l) {
				continue
			}
			v := tab.Values(Counts(tg, l))
			val, err := Value(tg, l, v)
			require.NoError(t, err)
			eps := big.NewRat(1, 1<<40)
			for _, th := range []*big.Rat{val, new(big.Rat).Add(val, eps), new(big.Rat).Sub(val, eps)} {
				if th.Sign() < 0 {
					continue
				}
				def, _ := Lookup(tg.Metric)
				for _, cmp := range def.Comparisons {
					want := Holds(val, cmp, th)
					got := HoldsByPairs(tg, l, v, cmp, th.Num(), th.Denom())
					require.Equal(t, want, got, "%+v %s %s (value %s, counts %v)", tg, cmp, th.RatString(), val.RatString(), v)
					checked++
				}
			}
		}
	}
	require.Greater(t, checked, 5000)
}

// TestDifferenceBitsBound checks that every difference stays inside the
// width DifferenceBits gives, for extreme thresholds.
func TestDifferenceBitsBound(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for iter := 0; iter < 100; iter++ {
		K, G := 2, 1+rng.Intn(3)
		pred, labels, groups := randomCase(rng, 10+rng.Intn(50), K, G)
		l := NewLabels(labels, groups, K, G)
		tab := Tally(pred, labels, groups, K, G)
		maxT := new(big.Int).Lsh(big.NewInt(1), 64)
		for _, tg := range targets(K, G) {
			if !defined(tg, l) {
				continue
			}
			w := DifferenceBits(tg, l, 64)
			v := tab.Values(Counts(tg, l))
			bv := make([]*big.Int, len(v))
			for i, x := range v {
				bv[i] = big.NewInt(x)
			}
			for _, pr := range Pairs[*big.Int](Exact{}, tg, l, bv) {
				for _, th := range [][2]*big.Int{{big.NewInt(0), maxT}, {maxT, maxT}, {maxT, big.NewInt(1)}} {
					for _, cmp := range []string{">=", "<="} {
						d := Difference[*big.Int](Exact{}, pr, cmp, th[0], th[1])
						require.Less(t, new(big.Int).Abs(d).BitLen(), w+1, "%+v", tg)
						require.LessOrEqual(t, new(big.Int).Abs(d).BitLen(), w)
					}
				}
			}
		}
	}
}

// TestValueByHand checks Value against values worked out by hand on a
// small binary task with two groups.
func TestValueByHand(t *testing.T) {
	// group 0: labels 1,1,0,0 predicted 1,0,1,0; group 1: labels 1,0,0 predicted 1,1,1
	labels := []int{1, 1, 0, 0, 1, 0, 0}
	pred := []int{1, 0, 1, 0, 1, 1, 1}
	groups := []int{0, 0, 0, 0, 1, 1, 1}
	l := NewLabels(labels, groups, 2, 2)
	tab := Tally(pred, labels, groups, 2, 2)
	val := func(tg Target) string {
		v, err := Value(tg, l, tab.Values(Counts(tg, l)))
		require.NoError(t, err)
		return v.RatString()
	}
	c1 := func(m string) Target { return Target{Metric: m, Class: 1, Positive: -1} }
	fair := func(m string) Target { return Target{Metric: m, Class: -1, Positive: 1, ByGroup: true} }
	require.Equal(t, "3/7", val(Target{Metric: "accuracy", Class: -1, Positive: -1}))
	require.Equal(t, "2/3", val(c1("recall")))    // tp 2 of 3 labelled 1
	require.Equal(t, "2/5", val(c1("precision"))) // tp 2 of 5 predicted 1
	require.Equal(t, "3/4", val(c1("fpr")))       // 3 of 4 negatives predicted 1
	require.Equal(t, "1/2", val(c1("f1")))        // 2·2/(5+3)
	// selection rates 2/4 and 3/3: difference 1/2, ratio 1/2
	require.Equal(t, "1/2", val(fair("demographic_parity_difference")))
	require.Equal(t, "1/2", val(fair("demographic_parity_ratio")))
	// TPR 1/2 and 1/1: 1/2; FPR 1/2 and 2/2: 1/2
	require.Equal(t, "1/2", val(fair("equal_opportunity_difference")))
	require.Equal(t, "1/2", val(fair("equalized_odds_difference")))
	// class 0: recall 1/4 (1 of 4 labelled 0 predicted 0), precision 1/2
	require.Equal(t, "11/24", val(Target{Metric: "macro_recall", Class: -1, Positive: -1})) // (1/4+2/3)/2
	require.Equal(t, "9/20", val(Target{Metric: "macro_precision", Class: -1, Positive: -1}))
	// no prediction of class 0 at all: precision 0 by convention
	none := Tally([]int{1, 1, 1}, []int{0, 1, 1}, nil, 2, 1)
	l2 := NewLabels([]int{0, 1, 1}, nil, 2, 1)
	v, err := Value(Target{Metric: "precision", Class: 0, Positive: -1}, l2, none.Values(Counts(Target{Metric: "precision", Class: 0}, l2)))
	require.NoError(t, err)
	require.Equal(t, "0", v.RatString())
	require.True(t, HoldsByPairs(Target{Metric: "precision", Class: 0}, l2, []int64{0, 0}, "<=", big.NewInt(0), big.NewInt(1)))
	require.False(t, HoldsByPairs(Target{Metric: "precision", Class: 0}, l2, []int64{0, 0}, ">=", big.NewInt(1), big.NewInt(100)))
}

func TestDetermined(t *testing.T) {
	// Binary task, two groups: the label counts are public.
	l := NewLabels([]int{0, 1, 1, 0, 1}, []int{0, 0, 1, 1, 1}, 2, 2)
	tp1 := Count{TP, -1, 1}
	pred1 := Count{Pred, -1, 1}
	tp0 := Count{TP, -1, 0}
	// Alone, nothing is determined.
	require.False(t, Determined([]Count{tp1}, nil, l))
	// A count revealed by another claim is determined.
	require.True(t, Determined([]Count{tp1}, []Count{tp1, pred1}, l))
	// tp and predicted of one class fix the other class's tp in a binary
	// task: tp0 = Pos0 - (pred1 - tp1).
	require.True(t, Determined([]Count{tp0}, []Count{tp1, pred1}, l))
	// ...but not when only tp1 is known.
	require.False(t, Determined([]Count{tp0}, []Count{tp1}, l))
	// Per-group counts sum to the overall count.
	require.True(t, Determined([]Count{{Pred, -1, 1}}, []Count{{Pred, 0, 1}, {Pred, 1, 1}}, l))
	require.False(t, Determined([]Count{{Pred, 0, 1}}, []Count{{Pred, -1, 1}}, l))
}
