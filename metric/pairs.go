package metric

import (
	"fmt"
	"math/big"
)

// Arith is the arithmetic Pairs runs on: exact integers (Exact), intervals
// (Interval) or circuit variables (package circuits).
type Arith[T any] interface {
	Const(v *big.Int) T
	Add(a, b T) T
	Sub(a, b T) T
	Mul(a, b T) T
	// IsZero returns 1 when a is 0 and 0 otherwise.
	IsZero(a T) T
}

// Pair is one inequality of a claim. For thresholds t = p/q (q > 0), a claim
// "metric >= t" holds exactly when q·X - p·Y >= 0 for every pair, and a claim
// "metric <= t" exactly when p·Y - q·X >= 0 for every pair. Y is never
// negative; X may be, for differences between groups.
type Pair[T any] struct{ X, Y T }

// MaxFairnessGroups bounds the groups a fairness claim compares: it checks
// every ordered pair of groups, G·(G-1) inequalities.
const MaxFairnessGroups = 16

// Pairs returns the inequalities of a claim on t, given the values v of
// Counts(t, l) in order. It panics when len(v) is not len(Counts(t, l)) or
// t is not resolved against l (Resolve checks both).
//
// The metric values are ratios X/Y; a mean of K ratios is compared through
// one fraction over their common denominator (the least common multiple
// when the denominators are constants, their product otherwise); a
// difference "largest minus smallest rate over groups <= t" through every
// ordered pair of groups (g, h): rate_g - rate_h <= t; a ratio "smallest
// over largest >= t" through rate_g >= t·rate_h for every ordered pair.
func Pairs[T any](a Arith[T], t Target, l Labels, v []T) []Pair[T] {
	cs := Counts(t, l)
	if len(v) != len(cs) {
		panic(fmt.Sprintf("metric %s: %d counts, want %d", t.Metric, len(v), len(cs)))
	}
	K, G := l.Classes(), l.Groups()
	k := func(x int64) T { return a.Const(big.NewInt(x)) }
	N := l.N(-1)
	switch t.Metric {
	case "accuracy":
		return []Pair[T]{{v[0], k(N)}}
	case "recall":
		return []Pair[T]{{v[0], k(l.PosOf(-1, t.Class))}}
	case "precision":
		return []Pair[T]{{v[0], a.Add(v[1], a.IsZero(v[1]))}}
	case "fpr":
		return []Pair[T]{{a.Sub(v[1], v[0]), k(N - l.PosOf(-1, t.Class))}}
	case "f1":
		return []Pair[T]{{a.Add(v[0], v[0]), a.Add(v[1], k(l.PosOf(-1, t.Class)))}}
	case "macro_recall", "macro_fpr":
		// Constant denominators: one fraction over their lcm.
		num := make([]T, K)
		den := make([]*big.Int, K)
		for c := 0; c < K; c++ {
			if t.Metric == "macro_recall" {
				num[c], den[c] = v[c], big.NewInt(l.PosOf(-1, c))
			} else {
				num[c], den[c] = a.Sub(v[2*c+1], v[2*c]), big.NewInt(N-l.PosOf(-1, c))
			}
		}
		L := big.NewInt(1)
		for _, d := range den {
			g := new(big.Int).GCD(nil, nil, L, d)
			L.Mul(L, new(big.Int).Quo(d, g))
		}
		var x T
		for c := 0; c < K; c++ {
			term := a.Mul(num[c], a.Const(new(big.Int).Quo(L, den[c])))
			if c == 0 {
				x = term
			} else {
				x = a.Add(x, term)
			}
		}
		return []Pair[T]{{x, a.Const(new(big.Int).Mul(L, big.NewInt(int64(K))))}}
	case "macro_precision", "macro_f1":
		// Variable denominators: Σ_c X_c·Π_{d≠c} Y_d over K·Π_d Y_d.
		num := make([]T, K)
		den := make([]T, K)
		for c := 0; c < K; c++ {
			tp, pr := v[2*c], v[2*c+1]
			if t.Metric == "macro_precision" {
				num[c], den[c] = tp, a.Add(pr, a.IsZero(pr))
			} else {
				num[c], den[c] = a.Add(tp, tp), a.Add(pr, k(l.PosOf(-1, c)))
			}
		}
		// prefix[c] = Π_{d<c} Y_d, suffix[c] = Π_{d>c} Y_d.
		prefix := make([]T, K+1)
		suffix := make([]T, K+1)
		prefix[0], suffix[K] = k(1), k(1)
		for c := 0; c < K; c++ {
			prefix[c+1] = a.Mul(prefix[c], den[c])
		}
		for c := K - 1; c >= 0; c-- {
			suffix[c] = a.Mul(suffix[c+1], den[c])
		}
		var x T
		for c := 0; c < K; c++ {
			term := a.Mul(num[c], a.Mul(prefix[c], suffix[c+1]))
			if c == 0 {
				x = term
			} else {
				x = a.Add(x, term)
			}
		}
		return []Pair[T]{{x, a.Mul(prefix[K], k(int64(K)))}}
	case "demographic_parity_difference", "demographic_parity_ratio", "equal_opportunity_difference":
		num := v
		den := make([]int64, G)
		for g := range den {
			if t.Metric == "equal_opportunity_difference" {
				den[g] = l.PosOf(g, t.Positive)
			} else {
				den[g] = l.N(g)
			}
		}
		if t.Metric == "demographic_parity_ratio" {
			return ratioPairs(a, num, den)
		}
		return gapPairs(a, num, den)
	case "equalized_odds_difference":
		tp := make([]T, G)
		fp := make([]T, G)
		pos := make([]int64, G)
		neg := make([]int64, G)
		for g := 0; g < G; g++ {
			tp[g], fp[g] = v[2*g], a.Sub(v[2*g+1], v[2*g])
			pos[g] = l.PosOf(g, t.Positive)
			neg[g] = l.N(g) - pos[g]
		}
		return append(gapPairs(a, tp, pos), gapPairs(a, fp, neg)...)
	}
	panic("metric: unknown metric " + t.Metric)
}

// gapPairs returns, for rates num[g]/den[g] with constant den, the pairs of
// rate_g - rate_h <= t for every ordered pair g ≠ h.
func gapPairs[T any](a Arith[T], num []T, den []int64) []Pair[T] {
	var ps []Pair[T]
	for g := range num {
		for h := range num {
			if g == h {
				continue
			}
			x := a.Sub(a.Mul(num[g], a.Const(big.NewInt(den[h]))), a.Mul(num[h], a.Const(big.NewInt(den[g]))))
			ps = append(ps, Pair[T]{x, a.Const(new(big.Int).Mul(big.NewInt(den[g]), big.NewInt(den[h])))})
		}
	}
	return ps
}

// ratioPairs returns, for rates num[g]/den[g] with constant den, the pairs
// of rate_g >= t·rate_h for every ordered pair g ≠ h.
func ratioPairs[T any](a Arith[T], num []T, den []int64) []Pair[T] {
	var ps []Pair[T]
	for g := range num {
		for h := range num {
			if g == h {
				continue
			}
			ps = append(ps, Pair[T]{a.Mul(num[g], a.Const(big.NewInt(den[h]))), a.Mul(num[h], a.Const(big.NewInt(den[g])))})
		}
	}
	return ps
}

// Exact is Arith on integers.
type Exact struct{}

func (Exact) Const(v *big.Int) *big.Int  { return new(big.Int).Set(v) }
func (Exact) Add(a, b *big.Int) *big.Int { return new(big.Int).Add(a, b) }
func (Exact) Sub(a, b *big.Int) *big.Int { return new(big.Int).Sub(a, b) }
func (Exact) Mul(a, b *big.Int) *big.Int { return new(big.Int).Mul(a, b) }
func (Exact) IsZero(a *big.Int) *big.Int {
	if a.Sign() == 0 {
		return big.NewInt(1)
	}
	return big.NewInt(0)
}

// HoldsByPairs decides "metric comparison p/q" from the counts v with the
// inequalities of Pairs, on exact integers. q must be positive.
func HoldsByPairs(t Target, l Labels, v []int64, comparison string, p, q *big.Int) bool {
	bv := make([]*big.Int, len(v))
	for i, x := range v {
		bv[i] = big.NewInt(x)
	}
	for _, pr := range Pairs[*big.Int](Exact{}, t, l, bv) {
		d := Difference(Exact{}, pr, comparison, p, q)
		if d.Sign() < 0 {
			return false
		}
	}
	return true
}

// Difference returns q·X - p·Y for ">=" and p·Y - q·X for "<=": the value
// that is not negative exactly when the pair holds.
func Difference[T any](a Arith[T], pr Pair[T], comparison string, p, q T) T {
	if comparison == ">=" {
		return a.Sub(a.Mul(q, pr.X), a.Mul(p, pr.Y))
	}
	return a.Sub(a.Mul(p, pr.Y), a.Mul(q, pr.X))
}

// Interval is a closed range of integers, for bounding the values of Pairs.
type Interval struct{ Lo, Hi *big.Int }

// Intervals is Arith on intervals.
type Intervals struct{}

func (Intervals) Const(v *big.Int) Interval {
	return Interval{new(big.Int).Set(v), new(big.Int).Set(v)}
}
func (Intervals) Add(a, b Interval) Interval {
	return Interval{new(big.Int).Add(a.Lo, b.Lo), new(big.Int).Add(a.Hi, b.Hi)}
}
func (Intervals) Sub(a, b Interval) Interval {
	return Interval{new(big.Int).Sub(a.Lo, b.Hi), new(big.Int).Sub(a.Hi, b.Lo)}
}
func (Intervals) Mul(a, b Interval) Interval {
	ps := []*big.Int{
		new(big.Int).Mul(a.Lo, b.Lo), new(big.Int).Mul(a.Lo, b.Hi),
		new(big.Int).Mul(a.Hi, b.Lo), new(big.Int).Mul(a.Hi, b.Hi),
	}
	lo, hi := ps[0], ps[0]
	for _, x := range ps[1:] {
		if x.Cmp(lo) < 0 {
			lo = x
		}
		if x.Cmp(hi) > 0 {
			hi = x
		}
	}
	return Interval{lo, hi}
}
func (Intervals) IsZero(Interval) Interval { return Interval{big.NewInt(0), big.NewInt(1)} }

// DifferenceBits returns the least w such that every Difference of a claim
// on t, for any counts the benchmark allows and any threshold p/q with
// 0 <= p, q < 2^thresholdBits, lies in (-2^w, 2^w). The circuit range-checks
// each Difference to w bits.
func DifferenceBits(t Target, l Labels, thresholdBits int) int {
	cs := Counts(t, l)
	v := make([]Interval, len(cs))
	for i, c := range cs {
		v[i] = Interval{big.NewInt(0), big.NewInt(c.Max(l))}
	}
	th := Interval{big.NewInt(0), new(big.Int).Lsh(big.NewInt(1), uint(thresholdBits))}
	w := 1
	for _, pr := range Pairs[Interval](Intervals{}, t, l, v) {
		for _, cmp := range []string{">=", "<="} {
			d := Difference[Interval](Intervals{}, pr, cmp, th, th)
			for _, e := range []*big.Int{d.Lo, d.Hi} {
				w = max(w, new(big.Int).Abs(e).BitLen())
			}
		}
	}
	return w
}
