package desc

import (
	"fmt"
	"math/big"
)

// IsTrees reports whether the description is of a tree ensemble
// (Shape.Trees set): then the network fields (accumulatorBits,
// reluGadgets, reluTableRanges, firstLayer) are empty, and the bounds are
// those of TreeBounds.
func (p Public) IsTrees() bool { return p.Shape.Trees != nil }

// TreeBound is the worst case of a tree ensemble's values, computed from
// the public description alone.
type TreeBound struct {
	// CompareBits: every comparison of a feature x (|x| <= 2^InputBits)
	// with a threshold T (ThresholdBits wide) is checked as a value
	// 0 <= r < 2^CompareBits, r = T - x when x <= T and x - T - 1
	// otherwise.
	CompareBits int
	// LogitBits k: every score satisfies -2^k <= s < 2^k (at most
	// TreesPerOutput leaf values of ValueBits plus a base of BaseBits).
	LogitBits int
}

// TreeBounds returns a tree ensemble's worst cases and refuses a
// description in which an integer the circuit forms could reach
// 2^MaxValueBits: the comparison values, the scores and the argmax's
// differences of scores (below 2^(LogitBits+2)).
func (p Public) TreeBounds() (TreeBound, error) {
	t := p.Shape.Trees
	// r < 2^(ThresholdBits-1) + 2^InputBits.
	r := new(big.Int).Lsh(big.NewInt(1), uint(t.ThresholdBits-1))
	r.Add(r, new(big.Int).Lsh(big.NewInt(1), uint(p.InputBits)))
	r.Sub(r, big.NewInt(1))
	b := TreeBound{CompareBits: r.BitLen(), LogitBits: t.LogitBits()}
	if b.CompareBits >= MaxValueBits || b.LogitBits+2 >= MaxValueBits {
		return b, fmt.Errorf("trees: comparisons of %d bits and scores of %d bits reach 2^%d", b.CompareBits, b.LogitBits, MaxValueBits)
	}
	return b, nil
}

// validateTrees is Validate for a tree ensemble.
func (p Public) validateTrees() error {
	if err := p.Shape.Validate(); err != nil {
		return err
	}
	if p.InputBits < 1 || p.InputBits > MaxInputBits {
		return fmt.Errorf("inputBits: %d outside [1, %d]", p.InputBits, MaxInputBits)
	}
	if p.InputBits > p.Shape.Trees.InputBits {
		return fmt.Errorf("inputBits: %d, beyond the %d bits within which the model's thresholds are exact (shape.trees.thresholdDomainBits); import the model against this benchmark", p.InputBits, p.Shape.Trees.InputBits)
	}
	if len(p.AccBits) != 0 || len(p.ReLU) != 0 || len(p.ReLUTable) != 0 || len(p.ActTable) != 0 || p.FirstLayer != "" {
		return fmt.Errorf("a tree ensemble's description has no accumulatorBits, reluGadgets, reluTableRanges or firstLayer")
	}
	if p.RangeBase < MinRangeBase || p.RangeBase > MaxRangeBase {
		return fmt.Errorf("rangeCheckBaseBits: %d outside [%d, %d]", p.RangeBase, MinRangeBase, MaxRangeBase)
	}
	if p.Samples < 1 {
		return fmt.Errorf("samples: %d; a benchmark has at least 1", p.Samples)
	}
	if _, err := p.TreeBounds(); err != nil {
		return err
	}
	if _, _, err := p.Resolve(); err != nil {
		return err
	}
	return nil
}
