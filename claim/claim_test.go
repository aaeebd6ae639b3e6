package claim

import (
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/metric"
)

func TestParse(t *testing.T) {
	c, err := Parse("accuracy >= 0.95")
	require.NoError(t, err)
	require.Equal(t, "accuracy", c.Metric)
	p, q := c.Fraction()
	require.Equal(t, "19", p.String())
	require.Equal(t, "20", q.String())
	require.Equal(t, "accuracy >= 0.95", c.String())

	c, err = Parse("  Recall [ class = bad ]<=97/100 ")
	require.NoError(t, err)
	require.Equal(t, Shape{Metric: "recall", Class: "bad", Comparison: "<=", Reveal: true}, c.Shape(true))
	require.Equal(t, "recall[class=bad] <= 97/100", c.String())

	c, err = Parse("demographic_parity_ratio[group=sex,positive=good] >= 0.8")
	require.NoError(t, err)
	require.Equal(t, "demographic_parity_ratio[group=sex,positive=good]", c.Key())
	require.Equal(t, big.NewRat(4, 5), c.Threshold)

	// a class name with a space
	c, err = Parse("precision[class=no default] >= 1/3")
	require.NoError(t, err)
	require.Equal(t, "no default", c.Class)
}

func TestParseErrors(t *testing.T) {
	cases := map[string]string{
		"":                                     "write it as",
		"accuracy":                             "write it as",
		"accuracy > 0.9":                       "write it as",
		"auc >= 0.5":                           "unknown metric \"auc\"",
		"recall >= 0.5":                        "recall is per class",
		"recall[group=sex] >= 0.5":             "takes only class",
		"accuracy[class=a] >= 0.5":             "takes no selector",
		"recall[colour=red] >= 0.5":            "unknown selector",
		"recall[class] >= 0.5":                 "not KEY=VALUE",
		"recall[class=a,class=b] >= 0.5":       "given twice",
		"demographic_parity_difference >= 0.1": "name the benchmark's group attribute",
		"demographic_parity_difference[group=sex] >= 0.1": "use <=",
		"demographic_parity_ratio[group=sex] <= 0.8":      "use >=",
		"accuracy >= 1.5":                    "outside [0, 1]",
		"accuracy >= -0.1":                   "not a decimal",
		"accuracy >= 0.9e1":                  "not a decimal",
		"accuracy >= abc":                    "not a decimal",
		"accuracy >= 1/0":                    "not a number",
		"accuracy >= 1/36893488147419103232": "below 2^64",
		// a bracket in the threshold is the threshold's fault, not a selector's
		"accuracy >= 0.5[":        `threshold "0.5[" is not a decimal`,
		"accuracy >= 0.5[x]":      `threshold "0.5[x]" is not a decimal`,
		"recall[] >= 0.5":         "not KEY=VALUE",
		"recall[class=bad,] >= 1": "not KEY=VALUE",
	}
	for s, want := range cases {
		_, err := Parse(s)
		require.ErrorContains(t, err, want, s)
	}
}

func TestSort(t *testing.T) {
	ss := []Shape{
		{Metric: "recall", Class: "b", Comparison: ">="},
		{Metric: "accuracy", Comparison: "<="},
		{Metric: "accuracy", Comparison: ">="},
	}
	require.NoError(t, Sort(ss))
	require.Equal(t, "accuracy", ss[0].Metric)
	require.Equal(t, "<=", ss[0].Comparison)
	require.Equal(t, "recall", ss[2].Metric)
	require.ErrorContains(t, Sort([]Shape{{Metric: "accuracy", Comparison: ">="}, {Metric: "accuracy", Comparison: ">=", Reveal: true}}), "appears twice")
}

func TestResolve(t *testing.T) {
	// classes good, bad; groups male, female; labels: male 3 good 1 bad,
	// female 2 good 0 bad.
	labels := []int{0, 0, 0, 1, 0, 0}
	groups := []int{0, 0, 0, 0, 1, 1}
	l := metric.NewLabels(labels, groups, 2, 2)
	n := Names{Classes: []string{"good", "bad"}, GroupAttribute: "sex", Groups: []string{"male", "female"}}
	resolve := func(s string) (metric.Target, error) {
		c, err := Parse(s)
		require.NoError(t, err)
		return Resolve(c.Shape(true), n, l)
	}
	tg, err := resolve("recall[class=bad] >= 0.1")
	require.NoError(t, err)
	require.Equal(t, 1, tg.Class)
	tg, err = resolve("demographic_parity_difference[group=sex] <= 0.5")
	require.NoError(t, err)
	require.Equal(t, 1, tg.Positive) // the second class by default
	tg, err = resolve("demographic_parity_difference[group=sex,positive=good] <= 0.5")
	require.NoError(t, err)
	require.Equal(t, 0, tg.Positive)

	for s, want := range map[string]string{
		"recall[class=ugly] >= 0.1":                             `no class "ugly"; its classes are "good", "bad"`,
		"demographic_parity_ratio[group=age] >= 0.8":            `group attribute is "sex", not "age"`,
		"equal_opportunity_difference[group=sex] <= 0.2":        `group "female" has no sample labelled "bad"`,
		"demographic_parity_ratio[group=sex,positive=x] >= 0.8": `no class "x"`,
	} {
		_, err := resolve(s)
		require.ErrorContains(t, err, want, s)
	}

	// No group attribute; a class never labelled.
	l1 := metric.NewLabels([]int{0, 0, 1}, nil, 3, 0)
	n1 := Names{Classes: []string{"a", "b", "c"}}
	for s, want := range map[string]string{
		"demographic_parity_difference[group=sex] <= 0.1": "has no group attribute",
		"recall[class=c] >= 0":                            `no sample of the benchmark is labelled "c"`,
		"f1[class=c] >= 0":                                `labelled "c"`,
		"macro_recall >= 0.5":                             `labelled "c"`,
		// scikit-learn leaves out a class neither labelled nor predicted;
		// the proven mean over all 3 classes would differ from it.
		"macro_precision <= 0.5": `macro_precision: no sample of the benchmark is labelled "c"`,
	} {
		c, err := Parse(s)
		require.NoError(t, err)
		_, err = Resolve(c.Shape(false), n1, l1)
		require.ErrorContains(t, err, want, s)
	}
	// precision of a class never labelled is defined (0 or TP/predicted)
	c, _ := Parse("precision[class=c] <= 0.5")
	_, err = Resolve(c.Shape(false), n1, l1)
	require.NoError(t, err)
	// fairness on a task of three classes
	l3 := metric.NewLabels([]int{0, 1, 2, 0}, []int{0, 0, 1, 1}, 3, 2)
	n3 := Names{Classes: []string{"a", "b", "c"}, GroupAttribute: "sex", Groups: []string{"m", "f"}}
	c, _ = Parse("demographic_parity_difference[group=sex] <= 0.5")
	_, err = Resolve(c.Shape(false), n3, l3)
	require.ErrorContains(t, err, "binary task")
}

func TestFormatRat(t *testing.T) {
	require.Equal(t, "0.9712", FormatRat(big.NewRat(9712, 10000)))
	require.Equal(t, "1.0000", FormatRat(big.NewRat(7, 7)))
	require.Equal(t, "≈0.6667", FormatRat(big.NewRat(2, 3)))
	require.Equal(t, "≈0.1182", FormatRat(big.NewRat(13, 110)))
	require.Equal(t, "≈0.7633", FormatRat(big.NewRat(229, 300)))
	require.Equal(t, "0.0000", FormatRat(new(big.Rat)))
}
