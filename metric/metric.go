// Package metric defines the metrics zkeval proves over the confusion counts
// of a whole benchmark: accuracy; per-class precision, recall (true positive
// rate), false positive rate and F1; their unweighted (macro) averages; and,
// for a binary task with a group attribute, the group fairness metrics of
// Fairlearn (https://fairlearn.org, fairlearn.metrics): demographic parity
// difference and ratio, equal opportunity difference and equalized odds
// difference, all "between groups" (largest minus smallest, or smallest over
// largest, over every group the benchmark names).
//
// Each metric is defined once, in two forms that tests hold equal:
//   - Value, the exact rational value (math/big) from the counts, written
//     the way the definitions above read;
//   - Pairs, the inequalities that decide a claim "metric >= p/q" or
//     "metric <= p/q" without division, generic over an Arith so that the
//     same code runs on exact integers (Exact), on intervals (Interval,
//     which sizes the circuit's range checks) and on circuit variables.
//
// Counts. For G groups (one when the benchmark has no group attribute) and K
// classes: TP[g][c] is the number of samples of group g labelled c and
// predicted c; Pred[g][c] the number of samples of group g predicted c;
// Pos[g][c] the number labelled c (public: it follows from the benchmark).
// A claim reads some of TP and Pred through its Counts; Pos is a constant.
//
// Conventions where a ratio has no samples (scikit-learn's zero_division=0
// and Fairlearn's between-groups aggregation):
//   - precision of a class never predicted is 0;
//   - demographic parity ratio when no group has a positive prediction is 1
//     (every group's selection rate is 0, so the rates are equal);
//   - metrics whose denominator is fixed by the benchmark (recall, false
//     positive rate, F1, group rates) are refused by claim.Resolve when that
//     denominator is 0, e.g. recall of a class the benchmark never labels;
//   - macro means are taken over every class of the benchmark, so
//     claim.Resolve refuses them when a class is never labelled (scikit-learn
//     would average over the classes labelled or predicted only).
package metric

import (
	"fmt"
	"math/big"
	"sort"
)

// Kinds of metric.
const (
	KindOverall  = "overall"  // accuracy
	KindClass    = "class"    // needs a class
	KindMacro    = "macro"    // mean over classes
	KindFairness = "fairness" // needs a group attribute and a binary task
)

// Def describes one metric.
type Def struct {
	Name string
	Kind string
	// Comparisons lists the comparisons a claim may use: fairness
	// differences bound a gap from above ("<="), ratios from below (">=").
	Comparisons []string
	// Source is where the definition comes from.
	Source string
}

// Defs lists the metrics, in documentation order.
var Defs = []Def{
	{"accuracy", KindOverall, both, "share of samples whose prediction equals the label"},
	{"precision", KindClass, both, "scikit-learn precision_score, zero_division=0"},
	{"recall", KindClass, both, "scikit-learn recall_score (true positive rate)"},
	{"fpr", KindClass, both, "false positive rate FP/(FP+TN)"},
	{"f1", KindClass, both, "scikit-learn f1_score: 2TP/(2TP+FP+FN)"},
	{"macro_precision", KindMacro, both, "scikit-learn precision_score(average='macro', zero_division=0)"},
	{"macro_recall", KindMacro, both, "scikit-learn recall_score(average='macro')"},
	{"macro_fpr", KindMacro, both, "unweighted mean of the per-class false positive rates"},
	{"macro_f1", KindMacro, both, "scikit-learn f1_score(average='macro')"},
	{"demographic_parity_difference", KindFairness, []string{"<="}, "fairlearn.metrics.demographic_parity_difference"},
	{"demographic_parity_ratio", KindFairness, []string{">="}, "fairlearn.metrics.demographic_parity_ratio"},
	{"equal_opportunity_difference", KindFairness, []string{"<="}, "fairlearn.metrics.equal_opportunity_difference"},
	{"equalized_odds_difference", KindFairness, []string{"<="}, "fairlearn.metrics.equalized_odds_difference"},
}

var both = []string{">=", "<="}

// Lookup returns the definition of the metric name, or false.
func Lookup(name string) (Def, bool) {
	for _, d := range Defs {
		if d.Name == name {
			return d, true
		}
	}
	return Def{}, false
}

// Names returns every metric name.
func Names() []string {
	n := make([]string, len(Defs))
	for i, d := range Defs {
		n[i] = d.Name
	}
	return n
}

// Target is a resolved claim target: a metric and the indices it reads.
type Target struct {
	Metric string
	// Class is the class of a per-class metric, -1 otherwise.
	Class int
	// Positive is the positive class of a fairness metric, -1 otherwise.
	Positive int
	// ByGroup is set for fairness metrics, which compare the groups.
	ByGroup bool
}

// Labels is the public side of the counts: Pos[g][c] samples of group g
// labelled c, shape [groups][classes], at least one group and one class.
type Labels struct {
	Pos [][]int64
}

// NewLabels counts the labels per group and class. groups may be nil (one
// group); otherwise groups[i] in [0, numGroups) is sample i's group.
func NewLabels(labels, groups []int, numClasses, numGroups int) Labels {
	numGroups = max(numGroups, 1)
	pos := make([][]int64, numGroups)
	for g := range pos {
		pos[g] = make([]int64, numClasses)
	}
	for i, c := range labels {
		g := 0
		if groups != nil {
			g = groups[i]
		}
		pos[g][c]++
	}
	return Labels{Pos: pos}
}

// Groups returns the number of groups; Classes the number of classes.
func (l Labels) Groups() int  { return len(l.Pos) }
func (l Labels) Classes() int { return len(l.Pos[0]) }

// N returns the number of samples of group g (every sample when g < 0).
func (l Labels) N(g int) int64 {
	var n int64
	for c := range l.Pos[0] {
		n += l.PosOf(g, c)
	}
	return n
}

// PosOf returns the number of samples of group g (every group when g < 0)
// labelled c.
func (l Labels) PosOf(g, c int) int64 {
	if g >= 0 {
		return l.Pos[g][c]
	}
	var n int64
	for _, row := range l.Pos {
		n += row[c]
	}
	return n
}

// Count kinds.
const (
	TP   = "tp"        // labelled and predicted the class
	Pred = "predicted" // predicted the class
)

// Count names one count a claim reads: the number of samples of Group (all
// groups when -1) that are of Kind for Class (all classes when -1).
type Count struct {
	Kind  string
	Group int
	Class int
}

// Name writes the count with the benchmark's names, e.g.
// "tp[class=bad,group=female]", or "correct" for the true positives of every
// class (the correct predictions).
func (c Count) Name(classes, groups []string) string {
	s := c.Kind
	if c.Kind == TP && c.Class < 0 {
		s = "correct" // true positives over every class: the correct predictions
	}
	var sel []string
	if c.Class >= 0 {
		sel = append(sel, "class="+classes[c.Class])
	}
	if c.Group >= 0 {
		sel = append(sel, "group="+groups[c.Group])
	}
	if len(sel) > 0 {
		s += "[" + sel[0]
		for _, x := range sel[1:] {
			s += "," + x
		}
		s += "]"
	}
	return s
}

// Max returns the largest value the count can take on a benchmark with
// these labels: the samples labelled Class (TP) or all samples (Pred) of the
// selected groups.
func (c Count) Max(l Labels) int64 {
	var m int64
	for g := range l.Pos {
		if c.Group >= 0 && g != c.Group {
			continue
		}
		if c.Kind == Pred {
			m += l.N(g)
			continue
		}
		for k := range l.Pos[g] {
			if c.Class < 0 || k == c.Class {
				m += l.Pos[g][k]
			}
		}
	}
	return m
}

// Counts returns the counts a claim on t reads, in a fixed order; the
// circuit publishes them, in this order, when the claim's value is
// revealed.
func Counts(t Target, l Labels) []Count {
	K, G := l.Classes(), l.Groups()
	switch t.Metric {
	case "accuracy":
		return []Count{{TP, -1, -1}}
	case "recall":
		return []Count{{TP, -1, t.Class}}
	case "precision", "fpr", "f1":
		return []Count{{TP, -1, t.Class}, {Pred, -1, t.Class}}
	case "macro_recall":
		cs := make([]Count, K)
		for c := range cs {
			cs[c] = Count{TP, -1, c}
		}
		return cs
	case "macro_precision", "macro_fpr", "macro_f1":
		var cs []Count
		for c := 0; c < K; c++ {
			cs = append(cs, Count{TP, -1, c}, Count{Pred, -1, c})
		}
		return cs
	case "demographic_parity_difference", "demographic_parity_ratio":
		cs := make([]Count, G)
		for g := range cs {
			cs[g] = Count{Pred, g, t.Positive}
		}
		return cs
	case "equal_opportunity_difference":
		cs := make([]Count, G)
		for g := range cs {
			cs[g] = Count{TP, g, t.Positive}
		}
		return cs
	case "equalized_odds_difference":
		var cs []Count
		for g := 0; g < G; g++ {
			cs = append(cs, Count{TP, g, t.Positive}, Count{Pred, g, t.Positive})
		}
		return cs
	}
	panic("metric: unknown metric " + t.Metric)
}

// NeedsPredictions reports whether any of the counts reads predicted
// classes (Pred), rather than only whether each prediction is correct.
func NeedsPredictions(cs []Count) bool {
	for _, c := range cs {
		if c.Kind == Pred {
			return true
		}
	}
	return false
}

// Table holds a model's counts on a benchmark, shape [groups][classes].
type Table struct {
	TP, Pred [][]int64
}

// Tally counts predictions: pred[i] is sample i's predicted class, labels
// and groups (nil for one group) as in NewLabels.
func Tally(pred, labels, groups []int, numClasses, numGroups int) Table {
	numGroups = max(numGroups, 1)
	t := Table{TP: make([][]int64, numGroups), Pred: make([][]int64, numGroups)}
	for g := range t.TP {
		t.TP[g] = make([]int64, numClasses)
		t.Pred[g] = make([]int64, numClasses)
	}
	for i, p := range pred {
		g := 0
		if groups != nil {
			g = groups[i]
		}
		t.Pred[g][p]++
		if p == labels[i] {
			t.TP[g][p]++
		}
	}
	return t
}

// Of returns the value of count c in the table.
func (t Table) Of(c Count) int64 {
	src := t.TP
	if c.Kind == Pred {
		src = t.Pred
	}
	var v int64
	for g := range src {
		if c.Group >= 0 && g != c.Group {
			continue
		}
		for k := range src[g] {
			if c.Class < 0 || k == c.Class {
				v += src[g][k]
			}
		}
	}
	return v
}

// Values returns the values of cs in the table.
func (t Table) Values(cs []Count) []int64 {
	v := make([]int64, len(cs))
	for i, c := range cs {
		v[i] = t.Of(c)
	}
	return v
}

// Value returns the exact value of the metric of t, given the values v of
// Counts(t, l) in order. It returns an error when v has the wrong length.
func Value(t Target, l Labels, v []int64) (*big.Rat, error) {
	cs := Counts(t, l)
	if len(v) != len(cs) {
		return nil, fmt.Errorf("metric %s: %d counts, want %d", t.Metric, len(v), len(cs))
	}
	K, G := l.Classes(), l.Groups()
	ratio := func(a, b int64) *big.Rat {
		if b == 0 {
			return new(big.Rat)
		}
		return big.NewRat(a, b)
	}
	mean := func(terms []*big.Rat) *big.Rat {
		s := new(big.Rat)
		for _, x := range terms {
			s.Add(s, x)
		}
		return s.Quo(s, big.NewRat(int64(len(terms)), 1))
	}
	spread := func(rates []*big.Rat) *big.Rat {
		lo, hi := minMax(rates)
		return new(big.Rat).Sub(hi, lo)
	}
	N := l.N(-1)
	switch t.Metric {
	case "accuracy":
		return ratio(v[0], N), nil
	case "recall":
		return ratio(v[0], l.PosOf(-1, t.Class)), nil
	case "precision":
		return ratio(v[0], v[1]), nil
	case "fpr":
		return ratio(v[1]-v[0], N-l.PosOf(-1, t.Class)), nil
	case "f1":
		return ratio(2*v[0], v[1]+l.PosOf(-1, t.Class)), nil
	case "macro_recall":
		terms := make([]*big.Rat, K)
		for c := range terms {
			terms[c] = ratio(v[c], l.PosOf(-1, c))
		}
		return mean(terms), nil
	case "macro_precision", "macro_fpr", "macro_f1":
		terms := make([]*big.Rat, K)
		for c := range terms {
			tp, pr := v[2*c], v[2*c+1]
			switch t.Metric {
			case "macro_precision":
				terms[c] = ratio(tp, pr)
			case "macro_fpr":
				terms[c] = ratio(pr-tp, N-l.PosOf(-1, c))
			default:
				terms[c] = ratio(2*tp, pr+l.PosOf(-1, c))
			}
		}
		return mean(terms), nil
	case "demographic_parity_difference", "demographic_parity_ratio":
		rates := make([]*big.Rat, G)
		for g := range rates {
			rates[g] = ratio(v[g], l.N(g))
		}
		if t.Metric == "demographic_parity_difference" {
			return spread(rates), nil
		}
		lo, hi := minMax(rates)
		if hi.Sign() == 0 {
			return big.NewRat(1, 1), nil
		}
		return new(big.Rat).Quo(lo, hi), nil
	case "equal_opportunity_difference":
		rates := make([]*big.Rat, G)
		for g := range rates {
			rates[g] = ratio(v[g], l.PosOf(g, t.Positive))
		}
		return spread(rates), nil
	case "equalized_odds_difference":
		tpr := make([]*big.Rat, G)
		fpr := make([]*big.Rat, G)
		for g := 0; g < G; g++ {
			tp, pr := v[2*g], v[2*g+1]
			tpr[g] = ratio(tp, l.PosOf(g, t.Positive))
			fpr[g] = ratio(pr-tp, l.N(g)-l.PosOf(g, t.Positive))
		}
		a, b := spread(tpr), spread(fpr)
		if a.Cmp(b) >= 0 {
			return a, nil
		}
		return b, nil
	}
	return nil, fmt.Errorf("metric: unknown metric %q", t.Metric)
}

func minMax(r []*big.Rat) (lo, hi *big.Rat) {
	s := append([]*big.Rat(nil), r...)
	sort.Slice(s, func(i, j int) bool { return s[i].Cmp(s[j]) < 0 })
	return s[0], s[len(s)-1]
}

// Holds reports whether value v satisfies "v comparison threshold".
func Holds(v *big.Rat, comparison string, threshold *big.Rat) bool {
	if comparison == ">=" {
		return v.Cmp(threshold) >= 0
	}
	return v.Cmp(threshold) <= 0
}
