package circuits

import (
	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/model"
)

// rangeCheck is a class of range checks: count checks of bits each; exact
// checks must keep their width (packed weights), the others may be widened
// to a multiple of the base, which keeps them sound (every bound stays far
// below the field) and removes the extra limb gnark adds for a partial one.
type rangeCheck struct {
	bits  int
	count int64
	exact bool
}

// widen rounds bits up to a multiple of base.
func widen(bits, base int) int { return (bits + base - 1) / base * base }

// rangeCost estimates the R1CS constraints of gnark's rangecheck for the
// given checks and base: one recomposition per check, one per limb (plus
// one for a partial top limb), and 2^base for the table.
func rangeCost(checks []rangeCheck, base int) int64 {
	total := int64(1) << base
	for _, c := range checks {
		bits := c.bits
		if !c.exact {
			bits = widen(bits, base)
		}
		limbs := int64((bits + base - 1) / base)
		if int(limbs)*base > bits {
			limbs++
		}
		total += c.count * (1 + limbs)
	}
	return total
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
	for l, ls := range sh.Layers {
		switch relu[l] {
		case ReLURange:
			cs = append(cs, rangeCheck{bits: accBits[l], count: int64(n) * int64(ls.Out)})
		case "":
			cs = append(cs, rangeCheck{bits: accBits[l] + 1, count: int64(n) * int64(ls.Out)})
		}
	}
	last := len(sh.Layers) - 1
	perSample := int64(sh.Layers[last].Out - 1)
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
