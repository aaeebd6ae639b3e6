package circuits

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark/frontend"

	"github.com/zkeval/zkeval/circuits/argmax"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/metric"
)

// outcome returns, for sample s of label y, a bit that is 1 exactly when
// the model predicts y and, when full is set, the whole prediction as a
// one-hot vector (o[y] is then the bit).
type outcome func(s, y int, full bool) (hit frontend.Variable, o []frontend.Variable)

// logitOutcomes is the outcome of the argmax of the outputs out[s] of the
// last layer: when full is not set (no claim reads predicted classes:
// accuracy, recall), argmax.Is, a bit that is 1 exactly when the label is
// the first maximal output; otherwise argmax.OneHot, the whole prediction.
func logitOutcomes(api frontend.API, rc frontend.Rangechecker, out [][]frontend.Variable, bound int) outcome {
	return func(s, y int, full bool) (frontend.Variable, []frontend.Variable) {
		if full {
			o := argmax.OneHot(api, rc, out[s], bound)
			return o[y], o
		}
		return argmax.Is(api, rc, out[s], y, bound), nil
	}
}

// checkClaims proves every claim of the spec over the predictions of the
// n samples, given by predict (logitOutcomes for a network).
//
// The confusion counts TP[g][c] and Pred[g][c] are then sums of those bits
// over the samples, whose labels and groups are circuit constants: linear
// combinations, no constraint.
//
// Claims: each claim's counts (metric.Counts) are asserted equal to its
// public counts when revealed; its threshold p/q is range-checked
// (0 <= p < 2^tb, 1 <= q <= 2^tb, tb = ThresholdBits widened to a multiple
// of the range-check base); and every inequality of metric.Pairs is
// enforced as a range check 0 <= q·X - p·Y < 2^w (or p·Y - q·X), with w from
// metric.DifferenceBits, so that a false claim, whose difference is
// negative, would need a field element both below 2^w and equal to the
// field modulus minus at most 2^w: impossible since 2^(w+1) is far below
// the modulus (w <= MaxClaimBits).
func (c *EvalCircuit) checkClaims(api frontend.API, rc frontend.Rangechecker, n int, predict outcome) error {
	sp := c.spec
	labels := sp.labels
	G, K := labels.Groups(), labels.Classes()
	full := sp.NeedsPredictions()

	tpTerms := make([][][]frontend.Variable, G)
	predTerms := make([][][]frontend.Variable, G)
	for g := 0; g < G; g++ {
		tpTerms[g] = make([][]frontend.Variable, K)
		predTerms[g] = make([][]frontend.Variable, K)
	}
	for s := range n {
		g, y := 0, sp.Bench.Labels[s]
		if sp.Bench.HasGroups() {
			g = sp.Bench.Groups[s]
		}
		hit, o := predict(s, y, full)
		tpTerms[g][y] = append(tpTerms[g][y], hit)
		for p := range o {
			predTerms[g][p] = append(predTerms[g][p], o[p])
		}
	}
	tp := make([][]frontend.Variable, G)
	pred := make([][]frontend.Variable, G)
	for g := 0; g < G; g++ {
		tp[g] = make([]frontend.Variable, K)
		pred[g] = make([]frontend.Variable, K)
		for k := 0; k < K; k++ {
			tp[g][k] = sum(api, tpTerms[g][k])
			pred[g][k] = sum(api, predTerms[g][k])
		}
	}
	count := func(ct metric.Count) frontend.Variable {
		src := tp
		if ct.Kind == metric.Pred {
			src = pred
		}
		var terms []frontend.Variable
		for g := 0; g < G; g++ {
			if ct.Group >= 0 && g != ct.Group {
				continue
			}
			for k := 0; k < K; k++ {
				if ct.Class < 0 || k == ct.Class {
					terms = append(terms, src[g][k])
				}
			}
		}
		return sum(api, terms)
	}

	ar := arith{api}
	tb := widen(claim.ThresholdBits, sp.RangeBase)
	for k, sh := range sp.Claims {
		t := sp.targets[k]
		cs := metric.Counts(t, labels)
		vals := make([]frontend.Variable, len(cs))
		for j, ct := range cs {
			vals[j] = count(ct)
			if sh.Reveal {
				api.AssertIsEqual(c.Claims[k].Counts[j], vals[j])
			}
		}
		p, q := c.Claims[k].Threshold[0], c.Claims[k].Threshold[1]
		rc.Check(p, tb)
		rc.Check(api.Sub(q, 1), tb)
		// The verifier derives p and q from the claim's text (both below
		// 2^ThresholdBits); the width is sized for anything the range checks
		// above let through, so the circuit is sound on its own.
		w := widen(metric.DifferenceBits(t, labels, tb), sp.RangeBase)
		if w > MaxClaimBits {
			// desc.ResolveShapes leaves the margin that keeps this from
			// happening; a check this wide could pass a negative value.
			return fmt.Errorf("%s: its inequalities need %d-bit range checks, more than %d", sh.Key(), w, MaxClaimBits)
		}
		for _, pr := range metric.Pairs[frontend.Variable](ar, t, labels, vals) {
			rc.Check(metric.Difference[frontend.Variable](ar, pr, sh.Comparison, p, q), w)
		}
	}
	return nil
}

// sum returns the sum of xs (0 when empty) as one linear expression.
func sum(api frontend.API, xs []frontend.Variable) frontend.Variable {
	switch len(xs) {
	case 0:
		return 0
	case 1:
		return xs[0]
	default:
		return api.Add(xs[0], xs[1], xs[2:]...)
	}
}

// arith is metric.Arith on circuit variables.
type arith struct{ api frontend.API }

func (a arith) Const(v *big.Int) frontend.Variable { return new(big.Int).Set(v) }
func (a arith) Add(x, y frontend.Variable) frontend.Variable {
	return a.api.Add(x, y)
}
func (a arith) Sub(x, y frontend.Variable) frontend.Variable {
	return a.api.Sub(x, y)
}
func (a arith) Mul(x, y frontend.Variable) frontend.Variable {
	return a.api.Mul(x, y)
}
func (a arith) IsZero(x frontend.Variable) frontend.Variable { return a.api.IsZero(x) }
