package model

import (
	"fmt"

	"github.com/zkeval/zkeval/model/activation"
)

// Trace holds every accumulator of one inference: Acc[l] has shape [out_l]
// and is the value W·a + B of layer l before its ReLU or activation. Out is the network's
// output: the last layer's accumulator, after its ReLU if it has one.
type Trace struct {
	// Spatial[k] holds spatial layer k's values: a convolution's
	// accumulators before its ReLU, a pool's outputs, [C][H][W] row-major.
	Spatial [][]int64
	Acc     [][]int64
	Out     []int64
}

// Eval runs exact integer inference on one sample x (shape [InputSize]) and
// returns the outputs (shape [classes]; the last layer's accumulator, after
// its ReLU if it has one). It is
// the native twin of the circuit: same integers, no rounding.
//
// The caller must have checked magnitudes with CheckBounds for the input
// range; Eval returns an error only for a wrong input length.
func (m *Model) Eval(x []int64) ([]int64, error) {
	t, err := m.EvalTrace(x)
	if err != nil {
		return nil, err
	}
	return t.Out, nil
}

// EvalTrace is Eval returning every layer's accumulator.
func (m *Model) EvalTrace(x []int64) (*Trace, error) {
	if len(x) != m.InputSize {
		return nil, fmt.Errorf("model: input has %d features, the model takes %d", len(x), m.InputSize)
	}
	if m.Trees != nil {
		out, err := m.Trees.Eval(x)
		if err != nil {
			return nil, err
		}
		return &Trace{Out: out}, nil
	}
	t := &Trace{Acc: make([][]int64, len(m.Layers))}
	a := x
	if len(m.Spatial) > 0 {
		t.Spatial, a = m.evalSpatial(x)
	}
	for l := range m.Layers {
		lay := &m.Layers[l]
		acc := make([]int64, lay.Out())
		for o, row := range lay.W {
			s := lay.B[o]
			for i, w := range row {
				if w != 0 && a[i] != 0 {
					s += w * a[i]
				}
			}
			acc[o] = s
		}
		t.Acc[l] = acc
		switch {
		case lay.ReLU:
			h := make([]int64, len(acc))
			for i, v := range acc {
				if v > 0 {
					h[i] = v
				}
			}
			a = h
		case lay.Act != nil:
			memo := lay.memo
			if memo == nil {
				memo = activation.NewMemo(lay.Act, m.LayerScale(l))
			}
			h := make([]int64, len(acc))
			for i, v := range acc {
				h[i] = memo.Apply(v)
			}
			a = h
		default:
			a = acc
		}
	}
	t.Out = a
	return t, nil
}

// Argmax returns the first index of the maximal value (ties go to the lowest
// index), the rule the circuit enforces. It returns -1 for an empty slice.
func Argmax[T int64 | float64](v []T) int {
	best := -1
	for i, x := range v {
		if best < 0 || x > v[best] {
			best = i
		}
	}
	return best
}
