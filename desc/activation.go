package desc

import (
	"fmt"
	"math/big"
)

// MaxActTableBits bounds an activation table to 2^MaxActTableBits entries:
// every entry is computed with math/big by setup, the prover and every
// ceremony step.
const MaxActTableBits = 17

// MaxLeakyAccBits bounds AccBits of a LeakyRelu layer, so that acc·Alpha
// (Alpha <= 2^16) stays within int64 natively.
const MaxLeakyAccBits = 46

// validateActivations checks the activations of the layers against the
// table ranges and the enforced bounds.
func (p Public) validateActivations() error {
	layers := p.Shape.Layers
	any := false
	for _, ls := range layers {
		any = any || ls.Act != nil
	}
	if !any {
		if len(p.ActTable) != 0 {
			return fmt.Errorf("activationTableRanges: %d ranges, but no layer has an activation other than ReLU", len(p.ActTable))
		}
		return nil
	}
	if len(p.ActTable) != len(layers) {
		return fmt.Errorf("activationTableRanges: %d ranges for %d layers", len(p.ActTable), len(layers))
	}
	last := len(layers) - 1
	for l, ls := range layers {
		r := p.ActTable[l]
		a := ls.Act
		if l == last && a != nil {
			return fmt.Errorf("shape.layers[%d].activation: the last layer's %s is not supported: the argmax reads the last layer's accumulators", l, a.Kind)
		}
		if !a.IsTable() {
			if r != (Range{}) {
				return fmt.Errorf("activationTableRanges[%d]: layer %d has no table activation but a table range [%d, %d]", l, l, r.Lo, r.Hi)
			}
			if a != nil && p.AccBits[l] > MaxLeakyAccBits {
				return fmt.Errorf("accumulatorBits[%d]: %d; a leakyRelu layer takes at most %d", l, p.AccBits[l], MaxLeakyAccBits)
			}
			continue
		}
		k := p.AccBits[l]
		lo, hi := p.ActAccRange(l)
		bound := new(big.Int).Lsh(big.NewInt(1), uint(k))
		// In big integers: Hi - Lo and (Hi+1)·2^Shift overflow int64 for a
		// crafted range.
		width := new(big.Int).Sub(big.NewInt(r.Hi), big.NewInt(r.Lo))
		if r.Lo > r.Hi || width.Cmp(big.NewInt(1<<MaxActTableBits)) >= 0 || lo.Cmp(hi) > 0 || lo.Cmp(new(big.Int).Neg(bound)) < 0 || hi.Cmp(bound) >= 0 {
			return fmt.Errorf("activationTableRanges[%d]: [%d, %d] with shift %d must have Lo <= Hi, at most 2^%d entries, and cover accumulators within [-2^%d, 2^%d) (the layer's accumulatorBits)", l, r.Lo, r.Hi, a.Shift, MaxActTableBits, k, k)
		}
		// Every entry must fit the int64 of native inference (the next
		// layer's inputs): GELU and hard swish grow with their input.
		if ob := p.ActOutBits(l); ob > MaxAccBits {
			return fmt.Errorf("shape.layers[%d].activation: %s outputs up to 2^%d at outBits %d over the table's range; at most 2^%d: lower outBits or the accumulators' scale", l, a.Kind, ob, a.OutBits, MaxAccBits)
		}
	}
	return nil
}

// ActAccRange returns the accumulators a table activation of layer l
// accepts, [Lo·2^Shift, (Hi+1)·2^Shift - 1] for ActTable[l] = [Lo, Hi].
func (p Public) ActAccRange(l int) (lo, hi *big.Int) {
	s := uint(p.Shape.Layers[l].Act.Shift)
	r := p.ActTable[l]
	lo = new(big.Int).Lsh(big.NewInt(r.Lo), s)
	hi = new(big.Int).Add(big.NewInt(r.Hi), big.NewInt(1)) // Hi+1 in big: Hi may be MaxInt64
	hi.Lsh(hi, s)
	return lo, hi.Sub(hi, big.NewInt(1))
}

// ActOutBits returns m with |out| <= 2^m for every output of layer l's
// table activation, from the kind's bound (activation.Spec.Interval) over
// the table's accumulators; the next layer's input bound.
func (p Public) ActOutBits(l int) int {
	lo, hi := p.ActAccRange(l)
	olo, ohi := p.Shape.Layers[l].Act.Interval(lo, hi, p.Shape.LayerScale(l))
	return max(1, olo.BitLen(), ohi.BitLen())
}
