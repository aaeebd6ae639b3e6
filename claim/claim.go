// Package claim parses claims such as "accuracy >= 0.97",
// "recall[class=bad] >= 2/5" or
// "demographic_parity_difference[group=sex] <= 0.25", resolves them against
// a benchmark's classes and groups, and keeps their thresholds exact:
// a threshold is a decimal (0.97) or a fraction (97/100) in [0, 1], held as
// a reduced fraction p/q; no floating point enters the claim path.
//
// Syntax: METRIC[SELECTORS] COMPARISON THRESHOLD, where METRIC is one of
// metric.Names(), COMPARISON is ">=" or "<=", and SELECTORS (with their
// brackets) are present only for metrics that take them:
//   - class=NAME for precision, recall, fpr and f1 (a class of the
//     benchmark, by name);
//   - group=ATTRIBUTE for the fairness metrics (the benchmark's group
//     attribute), and optionally positive=NAME, the class counted as the
//     positive outcome (default: the benchmark's second class, as
//     scikit-learn's and Fairlearn's pos_label=1).
package claim

import (
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/zkeval/zkeval/metric"
)

// ThresholdBits bounds a threshold's reduced numerator and denominator:
// both are below 2^ThresholdBits (any decimal of up to 19 places fits).
const ThresholdBits = 64

// MaxClaims bounds the claims of one proof.
const MaxClaims = 32

// Claim is a parsed claim.
type Claim struct {
	Metric     string
	Class      string   // class=NAME, or ""
	Group      string   // group=ATTRIBUTE, or ""
	Positive   string   // positive=NAME, or "" (the default)
	Comparison string   // ">=" or "<="
	Threshold  *big.Rat // in [0, 1]
	Text       string   // the threshold as written
}

var claimRE = regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(\[([^\]]*)\])?\s*(>=|<=)\s*(\S+)\s*$`)
var decimalRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)
var fractionRE = regexp.MustCompile(`^[0-9]+/[0-9]+$`)

// Parse reads a claim (see the package documentation for the syntax). Errors
// say what is wrong and what is accepted. Names of classes and groups are
// checked later, against a benchmark, by Resolve.
func Parse(s string) (*Claim, error) {
	m := claimRE.FindStringSubmatch(s)
	if m == nil {
		return nil, fmt.Errorf("claim %q: write it as \"METRIC >= THRESHOLD\" or \"METRIC <= THRESHOLD\", e.g. \"accuracy >= 0.97\" or \"recall[class=bad] >= 0.4\"", s)
	}
	name := strings.ToLower(m[1])
	def, ok := metric.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("claim %q: unknown metric %q; supported: %s", s, m[1], strings.Join(metric.Names(), ", "))
	}
	c := &Claim{Metric: name, Comparison: m[4], Text: m[5]}
	if m[2] != "" { // brackets after the metric, even empty ones
		for _, kv := range strings.Split(m[3], ",") {
			k, v, ok := strings.Cut(kv, "=")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if !ok || v == "" {
				return nil, fmt.Errorf("claim %q: selector %q is not KEY=VALUE (class=NAME, group=ATTRIBUTE or positive=NAME)", s, strings.TrimSpace(kv))
			}
			var dst *string
			switch k {
			case "class":
				dst = &c.Class
			case "group":
				dst = &c.Group
			case "positive":
				dst = &c.Positive
			default:
				return nil, fmt.Errorf("claim %q: unknown selector %q; use class=NAME, group=ATTRIBUTE or positive=NAME", s, k)
			}
			if *dst != "" {
				return nil, fmt.Errorf("claim %q: selector %s given twice", s, k)
			}
			*dst = v
		}
	}
	switch def.Kind {
	case metric.KindClass:
		if c.Group != "" || c.Positive != "" {
			return nil, fmt.Errorf("claim %q: %s takes only class=NAME", s, name)
		}
		if c.Class == "" {
			return nil, fmt.Errorf("claim %q: %s is per class; name one, e.g. %s[class=NAME]", s, name, name)
		}
	case metric.KindFairness:
		if c.Group == "" {
			return nil, fmt.Errorf("claim %q: %s compares groups; name the benchmark's group attribute, e.g. %s[group=sex]", s, name, name)
		}
		if c.Class != "" {
			return nil, fmt.Errorf("claim %q: %s takes group=ATTRIBUTE and optionally positive=NAME, not class", s, name)
		}
	default:
		if c.Class != "" || c.Group != "" || c.Positive != "" {
			return nil, fmt.Errorf("claim %q: %s takes no selector", s, name)
		}
	}
	if !slices.Contains(def.Comparisons, c.Comparison) {
		why := "a difference between groups is bounded from above"
		if strings.HasSuffix(name, "_ratio") {
			why = "a ratio between groups is bounded from below"
		}
		return nil, fmt.Errorf("claim %q: %s claims use %s (%s)", s, name, def.Comparisons[0], why)
	}
	t, err := ParseThreshold(m[5])
	if err != nil {
		return nil, fmt.Errorf("claim %q: %w", s, err)
	}
	c.Threshold = t
	return c, nil
}

// ParseThreshold parses a decimal or fraction in [0, 1] exactly. Its reduced
// numerator and denominator must be below 2^ThresholdBits.
func ParseThreshold(s string) (*big.Rat, error) {
	if !decimalRE.MatchString(s) && !fractionRE.MatchString(s) {
		return nil, fmt.Errorf("threshold %q is not a decimal (0.97) or a fraction (97/100)", s)
	}
	if len(s) > 64 {
		return nil, fmt.Errorf("threshold %q is longer than 64 characters", s)
	}
	t, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, fmt.Errorf("threshold %q is not a number", s)
	}
	if t.Sign() < 0 || t.Cmp(big.NewRat(1, 1)) > 0 {
		return nil, fmt.Errorf("threshold %s is outside [0, 1]", s)
	}
	if t.Num().BitLen() > ThresholdBits || t.Denom().BitLen() > ThresholdBits {
		return nil, fmt.Errorf("threshold %s is %s in lowest terms; numerator and denominator must be below 2^%d", s, t.RatString(), ThresholdBits)
	}
	return t, nil
}

// Key writes the claim's metric and selectors, e.g. "recall[class=bad]".
func (c *Claim) Key() string { return c.Shape(false).Key() }

// String returns the claim as written canonically, e.g.
// "recall[class=bad] >= 0.4".
func (c *Claim) String() string { return c.Key() + " " + c.Comparison + " " + c.Text }

// Shape returns the claim's public shape.
func (c *Claim) Shape(reveal bool) Shape {
	return Shape{Metric: c.Metric, Class: c.Class, Group: c.Group, Positive: c.Positive, Comparison: c.Comparison, Reveal: reveal}
}

// Fraction returns the threshold's reduced numerator p and denominator q.
func (c *Claim) Fraction() (p, q *big.Int) {
	return new(big.Int).Set(c.Threshold.Num()), new(big.Int).Set(c.Threshold.Denom())
}

// Shape is the public shape of a claim: everything but the threshold, which
// is a public input chosen at prove time. Reveal says whether the counts
// the value is computed from (and so the value) are public inputs.
type Shape struct {
	Metric     string `json:"metric"`
	Class      string `json:"class,omitempty"`
	Group      string `json:"group,omitempty"`
	Positive   string `json:"positive,omitempty"`
	Comparison string `json:"comparison"`
	Reveal     bool   `json:"reveal"`
}

// Key writes the shape's metric and selectors, e.g. "recall[class=bad]" or
// "demographic_parity_difference[group=sex,positive=good]".
func (s Shape) Key() string {
	var sel []string
	if s.Class != "" {
		sel = append(sel, "class="+s.Class)
	}
	if s.Group != "" {
		sel = append(sel, "group="+s.Group)
	}
	if s.Positive != "" {
		sel = append(sel, "positive="+s.Positive)
	}
	if len(sel) == 0 {
		return s.Metric
	}
	return s.Metric + "[" + strings.Join(sel, ",") + "]"
}

// String writes "recall[class=bad] >= T (value revealed)".
func (s Shape) String() string {
	r := "value hidden"
	if s.Reveal {
		r = "value revealed"
	}
	return s.Key() + " " + s.Comparison + " T (" + r + ")"
}

// JoinShapes writes shapes with String, separated by "; ".
func JoinShapes(ss []Shape) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = s.String()
	}
	return strings.Join(parts, "; ")
}

// Sort puts shapes in their canonical order (by key, then comparison), the
// order of the circuit's claims, and returns an error when one repeats.
func Sort(shapes []Shape) error {
	sort.SliceStable(shapes, func(i, j int) bool {
		if shapes[i].Key() != shapes[j].Key() {
			return shapes[i].Key() < shapes[j].Key()
		}
		return shapes[i].Comparison < shapes[j].Comparison
	})
	for i := 1; i < len(shapes); i++ {
		if shapes[i].Key() == shapes[i-1].Key() && shapes[i].Comparison == shapes[i-1].Comparison {
			return fmt.Errorf("claim %s %s T appears twice (thresholds aside); give each claim once", shapes[i].Key(), shapes[i].Comparison)
		}
	}
	if len(shapes) > MaxClaims {
		return fmt.Errorf("%d claims; one proof carries at most %d", len(shapes), MaxClaims)
	}
	return nil
}

// Names are the class and group names a shape is resolved against.
type Names struct {
	Classes        []string
	GroupAttribute string   // "" when the benchmark has none
	Groups         []string // empty when the benchmark has none
}

// Resolve turns a shape into a metric target for a benchmark with these
// names and label counts, with an error naming the class or group and
// saying what to do when the shape does not fit: an unknown class or group
// attribute, a fairness metric on a benchmark without groups or with more
// than two classes, or a metric whose fixed denominator is 0 on this
// benchmark (a class never labelled, a group without samples).
func Resolve(s Shape, n Names, l metric.Labels) (metric.Target, error) {
	t := metric.Target{Metric: s.Metric, Class: -1, Positive: -1}
	def, ok := metric.Lookup(s.Metric)
	if !ok {
		return t, fmt.Errorf("unknown metric %q; supported: %s", s.Metric, strings.Join(metric.Names(), ", "))
	}
	if !slices.Contains(def.Comparisons, s.Comparison) {
		return t, fmt.Errorf("%s: comparison %q; use %s", s.Key(), s.Comparison, strings.Join(def.Comparisons, " or "))
	}
	class := func(name string) (int, error) {
		i := slices.Index(n.Classes, name)
		if i < 0 {
			return 0, fmt.Errorf("%s: the benchmark has no class %q; its classes are %s", s.Key(), name, quoteList(n.Classes))
		}
		return i, nil
	}
	switch def.Kind {
	case metric.KindOverall:
		if s.Class != "" || s.Group != "" || s.Positive != "" {
			return t, fmt.Errorf("%s takes no selector", s.Metric)
		}
	case metric.KindClass:
		if s.Group != "" || s.Positive != "" || s.Class == "" {
			return t, fmt.Errorf("%s: a per-class metric takes exactly class=NAME", s.Key())
		}
		c, err := class(s.Class)
		if err != nil {
			return t, err
		}
		t.Class = c
		pos := l.PosOf(-1, c)
		switch {
		case (s.Metric == "recall" || s.Metric == "f1") && pos == 0:
			return t, fmt.Errorf("%s: no sample of the benchmark is labelled %q, so %s is undefined; claim another class or use precision", s.Key(), s.Class, s.Metric)
		case s.Metric == "fpr" && pos == l.N(-1):
			return t, fmt.Errorf("%s: every sample of the benchmark is labelled %q, so its false positive rate is undefined", s.Key(), s.Class)
		}
	case metric.KindMacro:
		if s.Class != "" || s.Group != "" || s.Positive != "" {
			return t, fmt.Errorf("%s takes no selector", s.Metric)
		}
		for c, name := range n.Classes {
			pos := l.PosOf(-1, c)
			switch {
			case (s.Metric == "macro_recall" || s.Metric == "macro_f1") && pos == 0:
				return t, fmt.Errorf("%s: no sample of the benchmark is labelled %q, so its %s is undefined; a macro average needs every class", s.Metric, name, strings.TrimPrefix(s.Metric, "macro_"))
			case s.Metric == "macro_precision" && pos == 0:
				// scikit-learn averages over the classes that are labelled
				// or predicted: whether this class counts (with precision
				// 0) or not depends on the model's predictions, while the
				// proven mean always divides by every class.
				return t, fmt.Errorf("%s: no sample of the benchmark is labelled %q, so scikit-learn's macro average counts it only if the model predicts it; a macro average needs every class labelled: claim precision[class=C] per class instead", s.Metric, name)
			case s.Metric == "macro_fpr" && pos == l.N(-1):
				return t, fmt.Errorf("%s: every sample is labelled %q, so false positive rates are undefined", s.Metric, name)
			}
		}
	case metric.KindFairness:
		t.ByGroup = true
		if s.Class != "" || s.Group == "" {
			return t, fmt.Errorf("%s: a fairness metric takes group=ATTRIBUTE and optionally positive=NAME", s.Key())
		}
		if n.GroupAttribute == "" {
			return t, fmt.Errorf("%s: the benchmark has no group attribute; import it with one (a schema's \"group\" for CSV and ARFF) to make fairness claims", s.Key())
		}
		if s.Group != n.GroupAttribute {
			return t, fmt.Errorf("%s: the benchmark's group attribute is %q, not %q", s.Key(), n.GroupAttribute, s.Group)
		}
		if len(n.Classes) != 2 {
			return t, fmt.Errorf("%s: fairness metrics need a binary task; the benchmark has %d classes", s.Key(), len(n.Classes))
		}
		if len(n.Groups) < 2 || len(n.Groups) > metric.MaxFairnessGroups {
			return t, fmt.Errorf("%s: %d groups; fairness metrics compare between 2 and %d groups", s.Key(), len(n.Groups), metric.MaxFairnessGroups)
		}
		t.Positive = 1
		if s.Positive != "" {
			c, err := class(s.Positive)
			if err != nil {
				return t, err
			}
			t.Positive = c
		}
		for g, gname := range n.Groups {
			pos, all := l.PosOf(g, t.Positive), l.N(g)
			switch {
			case all == 0:
				return t, fmt.Errorf("%s: group %q has no sample in the benchmark, so its rates are undefined", s.Key(), gname)
			case s.Metric != "demographic_parity_difference" && s.Metric != "demographic_parity_ratio" && pos == 0:
				return t, fmt.Errorf("%s: group %q has no sample labelled %q, so its true positive rate is undefined", s.Key(), gname, n.Classes[t.Positive])
			case s.Metric == "equalized_odds_difference" && pos == all:
				return t, fmt.Errorf("%s: every sample of group %q is labelled %q, so its false positive rate is undefined", s.Key(), gname, n.Classes[t.Positive])
			}
		}
	}
	return t, nil
}

func quoteList(xs []string) string {
	if len(xs) > 12 {
		return strings.Join(quoteAll(xs[:12]), ", ") + fmt.Sprintf(", … (%d in all)", len(xs))
	}
	return strings.Join(quoteAll(xs), ", ")
}

func quoteAll(xs []string) []string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = fmt.Sprintf("%q", x)
	}
	return q
}

// FormatRat writes a non-negative rational with 4 decimal places: exactly
// when it has at most 4 ("0.9712"), else rounded to the nearest and marked
// "≈" ("≈0.1182" for 13/110), so that the decimal never passes for the
// exact value, which is the fraction.
func FormatRat(r *big.Rat) string {
	x := new(big.Int).Mul(r.Num(), big.NewInt(10000))
	q, rem := new(big.Int).QuoRem(x, r.Denom(), new(big.Int))
	approx := ""
	if rem.Sign() != 0 {
		approx = "≈"
		if new(big.Int).Lsh(rem, 1).Cmp(r.Denom()) >= 0 {
			q.Add(q, big.NewInt(1))
		}
	}
	i, f := new(big.Int).QuoRem(q, big.NewInt(10000), new(big.Int))
	return fmt.Sprintf("%s%s.%04d", approx, i, f.Int64())
}
