package circuits

import (
	"github.com/zkeval/zkeval/circuits/rangecheck"
	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/model"
	mact "github.com/zkeval/zkeval/model/activation"
)

// rangeCheck is a class of range checks: count checks of bits each; exact
// checks must keep their width (packed weights), the others may be widened
// to a multiple of the base, which keeps them sound (every bound stays far
// below the field) and keeps the checks in the base table rather than a
// table of their own width each.
type rangeCheck struct {
	bits  int
	count int64
	exact bool
}

// widen rounds bits up to a multiple of base.
func widen(bits, base int) int { return (bits + base - 1) / base * base }

// rangeCost estimates the R1CS constraints of the range checker
// (circuits/rangecheck.Cost) for the given checks and base: every check not
// marked exact is widened to a multiple of the base first, as the circuit
// widens it.
func rangeCost(checks []rangeCheck, base int) int64 {
	counts := map[int]int64{}
	for _, c := range checks {
		bits := c.bits
		if !c.exact {
			bits = widen(bits, base)
		}
		counts[bits] += c.count
	}
	return rangecheck.Cost(base, counts)
}

// rangeChecks lists the range checks the circuit of a spec makes, for
// accumulator widths accBits (measured or published: a ReLU range layer
// checks |acc| on accBits bits, a layer without ReLU acc + 2^k on k+1 bits,
// the argmax its differences on k+1 bits of the last layer's k; all but the
// packed weights are widened to the base). full says whether the argmax
// proves whole predictions (argmax.OneHot, K checks per sample) or only
// correctness (argmax.Is, K-1).
func rangeChecks(sh model.Shape, accBits []int, relu []string, n int, full bool) []rangeCheck {
	var cs []rangeCheck
	for _, seg := range commitment.Layout(sh) {
		cs = append(cs, rangeCheck{bits: seg.Width, count: int64(seg.Count), exact: true})
	}
	last := len(sh.Layers) - 1
	for l, ls := range sh.Layers {
		switch {
		case ls.Act != nil:
			cs = append(cs, actRangeChecks(ls, accBits[l], int64(n), false)...)
		case relu[l] == ReLURange:
			cs = append(cs, rangeCheck{bits: accBits[l], count: int64(n) * int64(ls.Out)})
		case relu[l] == "" && l < last:
			cs = append(cs, rangeCheck{bits: accBits[l] + 1, count: int64(n) * int64(ls.Out)})
		}
	}
	// The argmax: one check of the reference logit and one per difference
	// (K-1, or K for whole predictions), of k-1 bits for its bound k
	// (measured widths: the logits need m+1 bits).
	perSample := int64(sh.Layers[last].Out)
	if full {
		perSample++
	}
	cs = append(cs, rangeCheck{bits: accBits[last] + 1, count: int64(n) * perSample})
	return cs
}

// ChooseRangeBase returns the table width that minimises rangeCost.
func ChooseRangeBase(sh model.Shape, accBits []int, relu []string, n int, full bool) int {
	checks := rangeChecks(sh, accBits, relu, n, full)
	best, bestCost := MinRangeBase, rangeCost(checks, MinRangeBase)
	for b := MinRangeBase + 1; b <= MaxRangeBase; b++ {
		if c := rangeCost(checks, b); c < bestCost {
			best, bestCost = b, c
		}
	}
	return best
}

// specRangeChecks lists the range checks the circuit of spec makes, at the
// widths its published bounds give.
func specRangeChecks(spec *Spec) []rangeCheck {
	if spec.Shape.Trees != nil {
		cs := spec.treeRangeChecks()
		cs[len(cs)-1].bits = spec.ArgmaxBound() - 1
		return cs
	}
	var cs []rangeCheck
	for _, seg := range commitment.Layout(spec.Shape) {
		cs = append(cs, rangeCheck{bits: seg.Width, count: int64(seg.Count), exact: true})
	}
	n := int64(spec.Bench.Len())
	cs = append(cs, spatialRangeChecks(spec.Shape, spec.SpatialAccBits, spec.InputBits, n)...)
	last := len(spec.Shape.Layers) - 1
	for l, ls := range spec.Shape.Layers {
		switch {
		case ls.Act != nil:
			cs = append(cs, actRangeChecks(ls, spec.AccBits[l], n, true)...)
		case spec.ReLU[l] == ReLURange:
			cs = append(cs, rangeCheck{bits: spec.AccBits[l], count: n * int64(ls.Out), exact: true})
		case spec.ReLU[l] == "" && l < last:
			cs = append(cs, rangeCheck{bits: spec.AccBits[l] + 1, count: n * int64(ls.Out), exact: true})
		}
	}
	perSample := int64(spec.Shape.Layers[last].Out)
	if spec.NeedsPredictions() {
		perSample++
	}
	cs = append(cs, rangeCheck{bits: spec.ArgmaxBound() - 1, count: n * perSample, exact: true})
	return cs
}

// actRangeChecks lists the range checks of an activation other than ReLU
// (package circuits/activation) on n samples: a table's remainder on Shift
// bits (none at shift 0); LeakyRelu's |acc| on k bits, remainder on 16 and
// quotient on k+1.
func actRangeChecks(ls model.LayerShape, k int, n int64, exact bool) []rangeCheck {
	c := n * int64(ls.Out)
	if ls.Act.IsTable() {
		if ls.Act.Shift == 0 {
			return nil
		}
		return []rangeCheck{{bits: ls.Act.Shift, count: c, exact: exact}}
	}
	return []rangeCheck{{bits: k, count: c, exact: exact}, {bits: mact.LeakyShift, count: c, exact: exact}, {bits: k + 1, count: c, exact: exact}}
}
