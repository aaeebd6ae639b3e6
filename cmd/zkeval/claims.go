package main

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/prover"
)

// claimFlags are the claim flags of setup, prove and the ceremony commands.
type claimFlags struct {
	revealed, hidden []string
	hideAll          bool
}

// claimSyntax documents the claim syntax in command help.
const claimSyntax = `Claims: METRIC[SELECTORS] >= T or METRIC[SELECTORS] <= T, T an exact decimal
(0.95) or fraction (19/20) in [0, 1]. Metrics:
  accuracy
  precision[class=C]  recall[class=C]  fpr[class=C]  f1[class=C]
  macro_precision  macro_recall  macro_fpr  macro_f1
  demographic_parity_difference[group=A]   (<= only)
  demographic_parity_ratio[group=A]        (>= only)
  equal_opportunity_difference[group=A]    (<= only)
  equalized_odds_difference[group=A]       (<= only)
C is a class name of the benchmark, A its group attribute; fairness metrics
need a binary task and take an optional positive=C (default: the second
class), e.g. demographic_parity_ratio[group=sex,positive=good] >= 0.8.
Macro means need every class labelled at least once. --claim reveals the
counts the claim's value is computed from, and so its exact value;
--hidden-claim proves only the threshold; --hide-count hides every claim.
Revealed counts can determine a hidden claim's value (fpr[class=C] fixes
precision[class=C]); setup and prove warn when they do.`

// add registers --claim, --hidden-claim and --hide-count. For setup and
// ceremonies only the claims' shapes count (thresholds are chosen at prove
// time).
func (f *claimFlags) add(c *cobra.Command, shapesOnly bool) {
	claimHelp := "a claim whose value is revealed, e.g. \"recall[class=bad] >= 0.4\"; repeat for several (quote each)"
	hiddenHelp := "a claim whose value stays secret (only the threshold is proven); repeatable"
	hideHelp := "hide the value of every claim"
	if shapesOnly {
		claimHelp = "a claim shape, e.g. \"recall[class=bad] >= 0\": its metric, selectors and comparison fix the circuit, its threshold is ignored (chosen at prove time); repeatable (default \"accuracy >= 0\")"
		hiddenHelp = "a claim shape whose value the circuit keeps secret; repeatable"
		hideHelp = "make every claim's value secret"
	}
	c.Flags().StringArrayVar(&f.revealed, "claim", nil, claimHelp)
	c.Flags().StringArrayVar(&f.hidden, "hidden-claim", nil, hiddenHelp)
	c.Flags().BoolVar(&f.hideAll, "hide-count", false, hideHelp)
}

// changed reports whether any claim flag was given.
func (f *claimFlags) changed(c *cobra.Command) bool {
	return c.Flags().Changed("claim") || c.Flags().Changed("hidden-claim") || c.Flags().Changed("hide-count")
}

// parse returns the claims, or "accuracy >= 0" when none is given and
// defaultAccuracy is set. Errors are usage errors naming the flag.
func (f *claimFlags) parse(defaultAccuracy bool) ([]prover.Claimed, error) {
	var out []prover.Claimed
	for _, s := range f.revealed {
		c, err := claim.Parse(s)
		if err != nil {
			return nil, usageErr("--claim: %v", err)
		}
		out = append(out, prover.Claimed{Claim: c, Reveal: !f.hideAll})
	}
	for _, s := range f.hidden {
		c, err := claim.Parse(s)
		if err != nil {
			return nil, usageErr("--hidden-claim: %v", err)
		}
		out = append(out, prover.Claimed{Claim: c})
	}
	if len(out) == 0 {
		if !defaultAccuracy {
			return nil, usageErr("no claim: pass at least one --claim (or --hidden-claim), e.g. --claim \"accuracy >= 0.95\"")
		}
		c, _ := claim.Parse("accuracy >= 0")
		out = append(out, prover.Claimed{Claim: c, Reveal: !f.hideAll})
	}
	if _, _, err := prover.Shapes(out); err != nil {
		return nil, usageErr("%v", err)
	}
	return out, nil
}

// fromShapes turns published claim shapes back into claims with threshold
// 0, for rebuilding a circuit.
func fromShapes(ss []claim.Shape) []prover.Claimed {
	out := make([]prover.Claimed, len(ss))
	for i, s := range ss {
		out[i] = prover.Claimed{Claim: &claim.Claim{Metric: s.Metric, Class: s.Class, Group: s.Group, Positive: s.Positive, Comparison: s.Comparison, Text: "0"}, Reveal: s.Reveal}
	}
	return out
}

// claimText writes an attestation claim as the lab wrote it.
func claimText(c attestation.Claim) string {
	s := claim.Shape{Metric: c.Metric, Class: c.Class, Group: c.Group, Positive: c.Positive}
	return s.Key() + " " + c.Comparison + " " + c.Threshold
}

// claimValue writes a claim's value: "0.6166 (37/60; tp[class=bad] 37)" or
// "hidden".
func claimValue(c attestation.Claim) string {
	if c.Hidden {
		return "value hidden"
	}
	v, ok := new(big.Rat).SetString(c.Value)
	if !ok {
		return "value " + c.Value
	}
	var parts []string
	for _, n := range c.Counts {
		parts = append(parts, fmt.Sprintf("%s %d", n.Name, n.Value))
	}
	return fmt.Sprintf("value %s (%s; %s)", claim.FormatRat(v), c.Value, strings.Join(parts, ", "))
}
