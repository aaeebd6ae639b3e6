package model

import (
	"errors"
	"fmt"
	"math"
	"math/big"

	"github.com/zkeval/zkeval/model/activation"
	"github.com/zkeval/zkeval/model/tree"
)

// MaxAccumulatorBits bounds the magnitude of every accumulator, |W·a + b| <
// 2^MaxAccumulatorBits. It keeps native int64 arithmetic exact and keeps every
// value the circuit range-checks far below the BN254 scalar field (254 bits).
const MaxAccumulatorBits = 62

// Layer is one quantized dense layer: acc = W·a + B, then max(acc, 0) when
// ReLU is set. Integer arithmetic is exact: there is no rounding or rescaling
// between layers, so the accumulator of layer l has fixed-point scale
// InputScale·2^(ScaleBits·(l+1)).
type Layer struct {
	Name string
	// W has shape [out][in] and fixed-point scale 2^ScaleBits.
	W [][]int64
	// B has shape [out] and the layer's accumulator scale.
	B []int64
	// ReLU reports whether max(acc, 0) is applied.
	ReLU bool
	// Act, when not nil, is the layer's activation other than ReLU (then
	// ReLU is false); see package activation for its integer semantics.
	// A table activation's output is at scale 2^Act.OutBits, which
	// becomes the next layer's input scale (see LayerScale).
	Act *activation.Spec

	// memo caches Act's table entries (see PrepareActivations).
	memo *activation.Memo
}

// In returns the layer's input width.
func (l *Layer) In() int {
	if len(l.W) == 0 {
		return 0
	}
	return len(l.W[0])
}

// Out returns the layer's output width.
func (l *Layer) Out() int { return len(l.W) }

// Model is a fixed-point quantized feed-forward network. Inputs are integer
// features at scale InputScale (the float feature is x/InputScale); weights
// are at scale 2^ScaleBits.
type Model struct {
	Name       string
	InputSize  int
	InputScale int64
	ScaleBits  int
	// Input and Spatial are the input layout [C][H][W] and the
	// convolution and pooling layers applied before the dense layers
	// (see SpatialLayer); nil for an MLP.
	Input   *Dims
	Spatial []SpatialLayer
	Layers  []Layer
	// Trees, when set, makes the model a tree ensemble (see package
	// model/tree): it has no layers, InputSize is its feature count and
	// ScaleBits the scale of its leaf values.
	Trees *tree.Ensemble
}

// LayerScale returns the fixed-point scale of dense layer l's accumulator
// as an exact integer: S_0 = InputScale·2^(ScaleBits·(c+1)), with c the
// number of convolutions before the dense layers, and S_l = I_l·2^ScaleBits,
// where the layer's input scale I_l is S_(l-1), or 2^OutBits when layer
// l-1 has a table activation. Without table activations it is
// InputScale·2^(ScaleBits·(c+l+1)).
func (m *Model) LayerScale(l int) *big.Int {
	return LayerScale(m.InputScale, m.ScaleBits, m.NumConv(), func(i int) *activation.Spec { return m.Layers[i].Act }, l)
}

// LayerScale computes Model.LayerScale from the input scale, the scale
// bits, the number of convolutions before the dense layers and each dense
// layer's activation (act(i), nil for none or ReLU); package desc and the
// circuits compute it from a public shape the same way.
func LayerScale(inputScale int64, scaleBits, convs int, act func(i int) *activation.Spec, l int) *big.Int {
	s := new(big.Int).Lsh(big.NewInt(inputScale), uint(scaleBits*convs))
	for i := 0; i <= l; i++ {
		if i > 0 {
			if a := act(i - 1); a.IsTable() {
				s = new(big.Int).Lsh(big.NewInt(1), uint(a.OutBits))
			}
		}
		s = new(big.Int).Lsh(s, uint(scaleBits))
	}
	return s
}

// PrepareActivations sets up each layer's cache of table entries; Quantize
// and Parse call it. Eval works without it, more slowly.
func (m *Model) PrepareActivations() {
	for l := range m.Layers {
		if a := m.Layers[l].Act; a != nil {
			m.Layers[l].memo = activation.NewMemo(a, m.LayerScale(l))
		} else {
			m.Layers[l].memo = nil
		}
	}
}

// Quantize converts a float model to fixed point: weights become
// round(w·2^scaleBits) and the bias of layer l becomes round(b·S_l), with S_l
// the layer's accumulator scale (see Layer); rounding is half away from zero.
// Inputs are integer features with denominator inputScale.
//
// It returns an error when scaleBits is outside [1, 24], inputScale < 1, the
// model is empty or inconsistent, or a quantized value does not fit the
// accumulator bound (see CheckBounds).
func Quantize(fm *FloatModel, scaleBits int, inputScale int64) (*Model, error) {
	if scaleBits < 1 || scaleBits > 24 {
		return nil, fmt.Errorf("quantize: scale bits %d out of range; use 1 to 24", scaleBits)
	}
	if inputScale < 1 {
		return nil, fmt.Errorf("quantize: input scale %d must be a positive integer (the features' fixed-point denominator, e.g. 255 for 8-bit pixels)", inputScale)
	}
	if fm == nil || len(fm.Layers) == 0 {
		return nil, errors.New("quantize: the model has no dense layer")
	}
	m := &Model{Name: fm.Name, InputSize: fm.InputSize, InputScale: inputScale, ScaleBits: scaleBits, Input: fm.Input}
	div, err := quantizeSpatial(fm, m)
	if err != nil {
		return nil, err
	}
	wScale := math.Ldexp(1, scaleBits)
	for l, fl := range fm.Layers {
		lay := Layer{Name: fl.Name, ReLU: fl.ReLU, W: make([][]int64, fl.Out()), B: make([]int64, fl.Out())}
		m.Layers = append(m.Layers, lay) // for LayerScale; replaced below
		scale := m.LayerScale(l)
		if fl.Act != nil {
			a, err := quantizeAct(fl.Act, scaleBits, scale)
			if err != nil {
				return nil, fmt.Errorf("quantize: layer %d (%s): %w", l, fl.Name, err)
			}
			lay.Act = a
		}
		bScale, _ := new(big.Float).SetInt(scale).Float64()
		for o := range fl.W {
			if len(fl.W[o]) != fl.In() {
				return nil, fmt.Errorf("quantize: layer %d (%s): row %d has %d weights, want %d", l, fl.Name, o, len(fl.W[o]), fl.In())
			}
			lay.W[o] = make([]int64, len(fl.W[o]))
			for i, w := range fl.W[o] {
				if l == 0 {
					// The sum pools' 1/(KH·KW) since the last convolution.
					w /= div
				}
				q, err := roundToInt64(w * wScale)
				if err != nil {
					return nil, fmt.Errorf("quantize: layer %d (%s): weight [%d][%d] = %g: %w", l, fl.Name, o, i, w, err)
				}
				lay.W[o][i] = q
			}
			var b float64
			if o < len(fl.B) {
				b = fl.B[o]
			}
			q, err := roundToInt64(b * bScale)
			if err != nil {
				return nil, fmt.Errorf("quantize: layer %d (%s): bias [%d] = %g at scale %g: %w", l, fl.Name, o, b, bScale, err)
			}
			lay.B[o] = q
		}
		m.Layers[l] = lay
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	m.PrepareActivations()
	return m, nil
}

func roundToInt64(v float64) (int64, error) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, errors.New("not a finite number")
	}
	r := math.Round(v)
	if math.Abs(r) >= 1<<52 {
		return 0, fmt.Errorf("%g does not fit 52 bits exactly; lower the scale bits", r)
	}
	return int64(r), nil
}

// Validate checks the model's shapes and scales and that every accumulator
// stays below 2^MaxAccumulatorBits for any input in [0, 2^(8·?)...]. It checks
// shapes only; CheckBounds checks magnitudes for a given input range.
func (m *Model) Validate() error {
	if m.Trees != nil {
		return m.validateTrees()
	}
	if m.InputSize < 1 {
		return fmt.Errorf("model: input size %d must be positive", m.InputSize)
	}
	if m.InputScale < 1 || m.InputScale > MaxShapeField {
		return fmt.Errorf("model: input scale %d must be positive and below 2^40", m.InputScale)
	}
	if m.ScaleBits < 1 || m.ScaleBits > 24 {
		return fmt.Errorf("model: scale bits %d out of range [1, 24]", m.ScaleBits)
	}
	if len(m.Layers) == 0 {
		return errors.New("model: no dense layer")
	}
	in, err := m.validateSpatial()
	if err != nil {
		return err
	}
	for l := range m.Layers {
		lay := &m.Layers[l]
		if lay.Out() < 1 {
			return fmt.Errorf("model: layer %d (%s) has no output", l, lay.Name)
		}
		if len(lay.B) != lay.Out() {
			return fmt.Errorf("model: layer %d (%s) has %d biases for %d outputs", l, lay.Name, len(lay.B), lay.Out())
		}
		for o := range lay.W {
			if len(lay.W[o]) != in {
				return fmt.Errorf("model: layer %d (%s) row %d has %d weights; the layer's input has %d values", l, lay.Name, o, len(lay.W[o]), in)
			}
		}
		if lay.Act != nil {
			if lay.ReLU {
				return bothActivations(l, lay.Name, lay.Act.Kind)
			}
			if err := lay.Act.Validate(); err != nil {
				return fmt.Errorf("model: layer %d (%s): %w", l, lay.Name, err)
			}
		}
		in = lay.Out()
	}
	if in < 2 {
		return fmt.Errorf("model: the last layer has %d output; a classifier needs at least 2 classes", in)
	}
	if last := &m.Layers[len(m.Layers)-1]; last.Act != nil {
		return lastActivation(last.Name, last.Act.Kind)
	}
	return nil
}

// CheckActivations checks what of a float model's activations does not
// depend on the scale: at most one activation per dense layer, and none
// on the last layer. Quantize and Validate check the same; this lets a
// caller report these errors before trying scales.
func (fm *FloatModel) CheckActivations() error {
	for l := range fm.Layers {
		lay := &fm.Layers[l]
		if lay.Act != nil && lay.ReLU {
			return bothActivations(l, lay.Name, lay.Act.Kind)
		}
	}
	if n := len(fm.Layers); n > 0 && fm.Layers[n-1].Act != nil {
		return lastActivation(fm.Layers[n-1].Name, fm.Layers[n-1].Act.Kind)
	}
	return nil
}

func bothActivations(l int, name, kind string) error {
	return fmt.Errorf("model: layer %d (%s) has both ReLU and activation %s; zkeval takes one activation per dense layer: drop one of them, or put a dense layer between them", l, name, kind)
}

func lastActivation(name, kind string) error {
	return fmt.Errorf("model: the last layer (%s) has activation %s; the prediction is the argmax of the last layer's accumulators, so the model must end with a dense layer (a final Softmax, LogSoftmax or Sigmoid is dropped at import)", name, kind)
}

// NumClasses returns the width of the last layer.
func (m *Model) NumClasses() int {
	if m.Trees != nil {
		return m.Trees.Classes
	}
	return m.Layers[len(m.Layers)-1].Out()
}

// BitsOf returns the number of bits of |v|: the least k with |v| < 2^k.
func BitsOf(v int64) int {
	if v < 0 {
		v = -v
	}
	n := 0
	for v > 0 {
		n++
		v >>= 1
	}
	return n
}

// WeightBits returns the least k such that every weight w of layer l satisfies
// -2^(k-1) <= w < 2^(k-1) (two's complement width), at least 2.
func (m *Model) WeightBits(l int) int { return signedWidth(m.Layers[l].W...) }

// BiasBits returns the two's complement width of layer l's biases, at least 2.
func (m *Model) BiasBits(l int) int { return signedWidth(m.Layers[l].B) }

func signedWidth(rows ...[]int64) int {
	k := 2
	for _, r := range rows {
		for _, v := range r {
			for v < -(int64(1)<<(k-1)) || v >= int64(1)<<(k-1) {
				k++
			}
		}
	}
	return k
}

// CheckBounds returns, per layer, the worst-case bit width of |acc| over every
// input whose features lie in [minIn, maxIn], computed with exact big-integer
// interval arithmetic. It fails, naming the layer, when a bound reaches
// 2^MaxAccumulatorBits: int64 evaluation could then overflow.
func (m *Model) CheckBounds(minIn, maxIn int64) ([]int, error) {
	_, d, err := m.CheckAllBounds(minIn, maxIn)
	return d, err
}

// CheckAllBounds is CheckBounds returning also, per spatial layer, the
// worst-case bit width of its values (a convolution's accumulators before
// the ReLU, a pool's outputs).
func (m *Model) CheckAllBounds(minIn, maxIn int64) (spatial, dense []int, err error) {
	lo := make([]*big.Int, m.InputSize)
	hi := make([]*big.Int, m.InputSize)
	for i := range lo {
		lo[i], hi[i] = big.NewInt(minIn), big.NewInt(maxIn)
	}
	if len(m.Spatial) > 0 {
		if spatial, lo, hi, err = m.checkSpatialBounds(lo, hi, minIn, maxIn); err != nil {
			return nil, nil, err
		}
	}
	limit := new(big.Int).Lsh(big.NewInt(1), MaxAccumulatorBits)
	bitsPer := make([]int, len(m.Layers))
	for l := range m.Layers {
		lay := &m.Layers[l]
		nlo := make([]*big.Int, lay.Out())
		nhi := make([]*big.Int, lay.Out())
		t := new(big.Int)
		for o := range lay.W {
			a, b := big.NewInt(lay.B[o]), big.NewInt(lay.B[o])
			for i, w := range lay.W[o] {
				bw := big.NewInt(w)
				if w >= 0 {
					a.Add(a, t.Mul(bw, lo[i]))
					b.Add(b, t.Mul(bw, hi[i]))
				} else {
					a.Add(a, t.Mul(bw, hi[i]))
					b.Add(b, t.Mul(bw, lo[i]))
				}
			}
			for _, v := range []*big.Int{a, b} {
				if new(big.Int).Abs(v).Cmp(limit) >= 0 {
					return nil, nil, fmt.Errorf("model: layer %d (%s) output %d can reach %s (%d bits) for inputs in [%d, %d]; exact evaluation needs < 2^%d: lower the scale bits", l, lay.Name, o, v, new(big.Int).Abs(v).BitLen(), minIn, maxIn, MaxAccumulatorBits)
				}
				if n := new(big.Int).Abs(v).BitLen(); n > bitsPer[l] {
					bitsPer[l] = n
				}
			}
			if lay.ReLU {
				if a.Sign() < 0 {
					a.SetInt64(0)
				}
				if b.Sign() < 0 {
					b.SetInt64(0)
				}
			}
			if lay.Act != nil {
				if lay.Act.Kind == activation.LeakyRelu && new(big.Int).Abs(a).BitLen() > 46 {
					return nil, nil, fmt.Errorf("model: layer %d (%s) output %d can reach %s (%d bits); LeakyRelu's exact form needs |acc| < 2^46: lower the scale bits", l, lay.Name, o, a, a.BitLen())
				}
				a, b = lay.Act.Interval(a, b, m.LayerScale(l))
				// The outputs are the next layer's int64 inputs (GELU and
				// hard swish grow with their input).
				for _, v := range []*big.Int{a, b} {
					if new(big.Int).Abs(v).Cmp(limit) >= 0 {
						return nil, nil, fmt.Errorf("model: layer %d (%s) output %d: its %s can reach %s (%d bits) for inputs in [%d, %d]; exact evaluation needs < 2^%d: lower the scale bits or the activation's output bits", l, lay.Name, o, lay.Act.Kind, v, new(big.Int).Abs(v).BitLen(), minIn, maxIn, MaxAccumulatorBits)
					}
				}
			}
			nlo[o], nhi[o] = a, b
		}
		lo, hi = nlo, nhi
	}
	return spatial, bitsPer, nil
}

// quantizeAct returns the integer form of a float activation for a layer
// whose accumulator has scale scale: LeakyRelu's slope as
// activation.LeakyAlpha; a table kind with its output at scale
// 2^min(scaleBits, 16) and the shift activation.ChooseShift.
func quantizeAct(fa *activation.FloatSpec, scaleBits int, scale *big.Int) (*activation.Spec, error) {
	a := &activation.Spec{Kind: fa.Kind}
	if fa.Kind == activation.LeakyRelu {
		alpha, err := activation.LeakyAlpha(fa.Slope)
		if err != nil {
			return nil, err
		}
		a.Alpha = alpha
	} else {
		a.OutBits = min(scaleBits, 16)
		a.Shift = activation.ChooseShift(scale, a.OutBits)
		a.HardAlpha, a.HardBeta = fa.HardAlpha, fa.HardBeta
	}
	return a, a.Validate()
}
