package desc

import (
	"fmt"

	"github.com/zkeval/zkeval/model"
)

// Validate checks that the description is well formed and that every bound
// it states keeps the circuit's integers below 2^MaxValueBits (Bounds). Its
// errors name the field (and layer) at fault. Setup, every ceremony step
// and verify run it, so no such step accepts a description the circuit
// cannot enforce.
func (p Public) Validate() error {
	if p.Version != Version {
		return fmt.Errorf("circuit version %q; this zkeval builds and verifies %q", p.Version, Version)
	}
	if p.IsTrees() {
		return p.validateTrees()
	}
	if err := p.Shape.Validate(); err != nil {
		return err
	}
	if p.InputBits < 1 || p.InputBits > MaxInputBits {
		return fmt.Errorf("inputBits: %d outside [1, %d]", p.InputBits, MaxInputBits)
	}
	if _, _, err := p.SpatialBounds(); err != nil {
		return err
	}
	if len(p.Shape.Spatial) > 0 && p.FirstLayer != FirstLayerFreivalds {
		return fmt.Errorf("firstLayer: %q; the first dense layer of a convolutional network reads computed activations, checked with %q", p.FirstLayer, FirstLayerFreivalds)
	}
	layers := p.Shape.Layers
	if len(p.AccBits) != len(layers) {
		return fmt.Errorf("accumulatorBits: %d widths for %d layers", len(p.AccBits), len(layers))
	}
	for l, k := range p.AccBits {
		if k < 1 || k > MaxAccBits {
			return fmt.Errorf("accumulatorBits[%d]: %d outside [1, %d]", l, k, MaxAccBits)
		}
	}
	if len(p.ReLU) != len(layers) {
		return fmt.Errorf("reluGadgets: %d gadgets for %d layers", len(p.ReLU), len(layers))
	}
	for l, g := range p.ReLU {
		switch {
		case !layers[l].ReLU && g == "":
		case layers[l].ReLU && (g == ReLURange || g == ReLULookup):
		default:
			return fmt.Errorf("reluGadgets[%d]: gadget %q does not fit the layer (relu %v)", l, g, layers[l].ReLU)
		}
	}
	if last := len(layers) - 1; last >= 0 && p.ReLU[last] == "" && p.AccBits[last] < MinLogitBits {
		return fmt.Errorf("accumulatorBits[%d]: %d; the last layer has no ReLU, so this is the argmax's bound on the logits, which needs at least %d bits: raise it", last, p.AccBits[last], MinLogitBits)
	}
	if len(p.ReLUTable) != len(layers) {
		return fmt.Errorf("reluTableRanges: %d ranges for %d layers", len(p.ReLUTable), len(layers))
	}
	for l, r := range p.ReLUTable {
		if p.ReLU[l] != ReLULookup {
			if r != (Range{}) {
				return fmt.Errorf("reluTableRanges[%d]: layer %d has no ReLU lookup table but a table range [%d, %d]", l, l, r.Lo, r.Hi)
			}
			continue
		}
		q := int64(1) << TableRoundingBits
		k := p.AccBits[l]
		if r.Lo > 0 || r.Hi < 0 || r.Lo%q != 0 || r.Hi%q != 0 || r.Lo < -(int64(1)<<k) || r.Hi >= int64(1)<<k || r.Hi-r.Lo >= 1<<(MaxLookupBits+1) {
			return fmt.Errorf("reluTableRanges[%d]: [%d, %d] must hold 0, lie within [-2^%d, 2^%d) (the layer's accumulatorBits), have bounds multiple of 2^%d and at most 2^%d entries", l, r.Lo, r.Hi, k, k, TableRoundingBits, MaxLookupBits+1)
		}
	}
	if err := p.validateActivations(); err != nil {
		return err
	}
	if p.FirstLayer != FirstLayerLinear && p.FirstLayer != FirstLayerFreivalds {
		return fmt.Errorf("firstLayer: %q; want %q or %q", p.FirstLayer, FirstLayerLinear, FirstLayerFreivalds)
	}
	if p.RangeBase < MinRangeBase || p.RangeBase > MaxRangeBase {
		return fmt.Errorf("rangeCheckBaseBits: %d outside [%d, %d]", p.RangeBase, MinRangeBase, MaxRangeBase)
	}
	if p.Samples < 1 {
		return fmt.Errorf("samples: %d; a benchmark has at least 1", p.Samples)
	}
	if n := p.MinConstraints(); n > MaxConstraints {
		return fmt.Errorf("shape: its weights and %d samples make a circuit of at least %d constraints (one per weight and per activation of each sample), more than the 2^28 any setup holds", p.Samples, n)
	}
	if err := distinct("classes", p.Classes); err != nil {
		return err
	}
	if err := distinct("groups", p.Groups); err != nil {
		return err
	}
	if _, err := p.Bounds(); err != nil {
		return err
	}

	if _, _, err := p.Resolve(); err != nil {
		return err
	}
	return nil
}

// MaxConstraints bounds a circuit's size: 2^28 constraints, the largest
// Groth16 domain over BN254 that a phase 1 of zkeval's ceremony serves.
const MaxConstraints = 1 << 28

// MinConstraints returns a lower bound on the number of constraints of the
// described circuit, computable before anything is allocated: every weight
// and bias is range-checked, and every activation of every sample costs at
// least one constraint. Validate refuses a description above
// MaxConstraints, so that no step builds a circuit it cannot set up.
func (p Public) MinConstraints() int64 {
	const over = MaxConstraints + 1
	var w, a int64
	for _, l := range p.Shape.Spatial {
		if l.FanIn() > MaxConstraints || l.Out.Size() > MaxConstraints {
			return over
		}
		if model.Linear(l.Kind) {
			w += int64(l.FanIn())*int64(l.Out.C) + int64(l.Out.C)
		}
		a += int64(l.Out.Size())
		if w > MaxConstraints || a > MaxConstraints {
			return over
		}
	}
	for _, l := range p.Shape.Layers {
		if l.In > MaxConstraints || l.Out > MaxConstraints {
			return over
		}
		w += int64(l.In)*int64(l.Out) + int64(l.Out)
		a += int64(l.Out)
		if w > MaxConstraints || a > MaxConstraints {
			return over
		}
	}
	if p.Samples > 0 && a > MaxConstraints/int64(p.Samples) {
		return over
	}
	return w + a*int64(p.Samples)
}

func distinct(field string, names []string) error {
	seen := map[string]int{}
	for i, n := range names {
		if j, ok := seen[n]; ok {
			return fmt.Errorf("%s[%d] and %s[%d] are both %q; names must be distinct", field, j, field, i, n)
		}
		seen[n] = i
	}
	return nil
}
