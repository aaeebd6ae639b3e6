package claim

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/zkeval/zkeval/metric"
)

// Describe says in words what the metric of a resolved claim measures on a
// benchmark with these names and label counts, e.g. for recall[class=bad]:
// "of the 60 samples labelled "bad", the share the model predicts "bad"
// (true positive rate)".
func Describe(t metric.Target, n Names, l metric.Labels) string {
	N := l.N(-1)
	cls := func(c int) string { return fmt.Sprintf("%q", n.Classes[c]) }
	switch t.Metric {
	case "accuracy":
		return fmt.Sprintf("of all %d samples, the share whose predicted class is the label", N)
	case "recall":
		return fmt.Sprintf("of the %d samples labelled %s, the share the model predicts %s (true positive rate)", l.PosOf(-1, t.Class), cls(t.Class), cls(t.Class))
	case "precision":
		return fmt.Sprintf("of the samples the model predicts %s, the share labelled %s (0 if it never predicts %s)", cls(t.Class), cls(t.Class), cls(t.Class))
	case "fpr":
		return fmt.Sprintf("of the %d samples not labelled %s, the share the model predicts %s (false positive rate)", N-l.PosOf(-1, t.Class), cls(t.Class), cls(t.Class))
	case "f1":
		return fmt.Sprintf("harmonic mean of precision and recall for class %s: 2·TP / (predicted %s + labelled %s)", cls(t.Class), cls(t.Class), cls(t.Class))
	case "macro_precision", "macro_recall", "macro_fpr", "macro_f1":
		return fmt.Sprintf("unweighted mean of the per-class %s over the %d classes", map[string]string{
			"macro_precision": "precision", "macro_recall": "recall", "macro_fpr": "false positive rate", "macro_f1": "F1"}[t.Metric], l.Classes())
	case "demographic_parity_difference":
		return fmt.Sprintf("largest minus smallest share of samples predicted %s (selection rate) among the groups of %q (%s)", cls(t.Positive), n.GroupAttribute, groupSizes(n, l, -1, "samples"))
	case "demographic_parity_ratio":
		return fmt.Sprintf("smallest divided by largest share of samples predicted %s (selection rate) among the groups of %q (%s; 1 when no sample is predicted %s)", cls(t.Positive), n.GroupAttribute, groupSizes(n, l, -1, "samples"), cls(t.Positive))
	case "equal_opportunity_difference":
		return fmt.Sprintf("largest minus smallest true positive rate for %s among the groups of %q (%s)", cls(t.Positive), n.GroupAttribute, groupSizes(n, l, t.Positive, "labelled "+cls(t.Positive)))
	case "equalized_odds_difference":
		return fmt.Sprintf("the larger of two gaps among the groups of %q (%s): in true positive rate and in false positive rate for %s (largest minus smallest)", n.GroupAttribute, groupSizes(n, l, t.Positive, "labelled "+cls(t.Positive)), cls(t.Positive))
	}
	return t.Metric
}

// groupSizes writes each group's sample count (class < 0) or its count of
// samples labelled class, and, for a class, the group's size: "male 34 of
// 208, female 16 of 92 labelled "bad"".
func groupSizes(n Names, l metric.Labels, class int, what string) string {
	var parts []string
	for g, name := range n.Groups {
		if class < 0 {
			parts = append(parts, fmt.Sprintf("%s %d", name, l.N(g)))
		} else {
			parts = append(parts, fmt.Sprintf("%s %d of %d", name, l.PosOf(g, class), l.N(g)))
		}
	}
	return strings.Join(parts, ", ") + " " + what
}

// GroupRates writes, for a revealed fairness claim, each group's rates from
// the claim's counts (in metric.Counts order), e.g. `selection rate of
// "good": male 145/208 ≈0.6971, female 71/92 ≈0.7717`; "" for other
// metrics.
func GroupRates(t metric.Target, n Names, l metric.Labels, counts []int64) string {
	if !t.ByGroup || len(counts) != len(metric.Counts(t, l)) {
		return ""
	}
	cls := fmt.Sprintf("%q", n.Classes[t.Positive])
	list := func(num func(g int) int64, den func(g int) int64) string {
		var parts []string
		for g, name := range n.Groups {
			d := den(g)
			v := "undefined"
			if d > 0 {
				v = FormatRat(big.NewRat(num(g), d))
			}
			parts = append(parts, fmt.Sprintf("%s %d/%d %s", name, num(g), d, v))
		}
		return strings.Join(parts, ", ")
	}
	pos := func(g int) int64 { return l.PosOf(g, t.Positive) }
	neg := func(g int) int64 { return l.N(g) - l.PosOf(g, t.Positive) }
	switch t.Metric {
	case "demographic_parity_difference", "demographic_parity_ratio":
		return "selection rate of " + cls + ": " + list(func(g int) int64 { return counts[g] }, l.N)
	case "equal_opportunity_difference":
		return "true positive rate for " + cls + ": " + list(func(g int) int64 { return counts[g] }, pos)
	case "equalized_odds_difference":
		return "true positive rate for " + cls + ": " + list(func(g int) int64 { return counts[2*g] }, pos) +
			"; false positive rate: " + list(func(g int) int64 { return counts[2*g+1] - counts[2*g] }, neg)
	}
	return ""
}
