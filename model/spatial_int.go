package model

import (
	"fmt"
	"math"
	"math/big"
)

// SpatialLayer is one quantized spatial layer (see the Kind constants).
// A convolution's weights have scale 2^ScaleBits and its bias the scale of
// its accumulator: the k-th linear layer of the model (convolutions and dense
// layers counted together, from 0) has accumulator scale
// InputScale·2^(ScaleBits·(k+1)), with no rescaling in between. Pooling
// keeps the scale: a sum pool's 1/(KH·KW) is folded into the next linear
// layer's weights (see KindAvgPool).
type SpatialLayer struct {
	Kind string
	Name string
	In   Dims
	Window
	OutC int
	// W has shape [OutC][In.C·KH·KW] (kernel [C][KH][KW] row-major), B
	// [OutC]; nil for pooling.
	W [][]int64
	B []int64
	// ReLU reports whether max(acc, 0) is applied (convolution only).
	ReLU bool
}

// Out returns the layer's output shape (zero Dims when malformed).
func (l *SpatialLayer) Out() Dims {
	d, _ := SpatialOut(l.Kind, l.In, l.Window, l.OutC)
	return d
}

// numLinearSpatial returns the number of convolutions.
func numLinearSpatial[T any](ls []T, kind func(int) string) int {
	n := 0
	for k := range ls {
		if Linear(kind(k)) {
			n++
		}
	}
	return n
}

// NumConv returns the number of convolution layers.
func (m *Model) NumConv() int {
	return numLinearSpatial(m.Spatial, func(k int) string { return m.Spatial[k].Kind })
}

// SpatialScale returns the fixed-point scale of spatial layer k's output
// (a convolution's accumulator, or a pool's values), as an exact integer:
// InputScale·2^(ScaleBits·c) with c the number of convolutions up to and
// including layer k.
func (m *Model) SpatialScale(k int) *big.Int {
	c := 0
	for j := 0; j <= k; j++ {
		if Linear(m.Spatial[j].Kind) {
			c++
		}
	}
	s := new(big.Int).Lsh(big.NewInt(1), uint(m.ScaleBits*c))
	return s.Mul(s, big.NewInt(m.InputScale))
}

// quantizeSpatial quantizes fm's spatial layers into m (whose ScaleBits and
// InputScale are set) and returns the divisor still to fold into the first
// dense layer's weights (the product of the sum pools' window sizes since
// the last convolution).
func quantizeSpatial(fm *FloatModel, m *Model) (float64, error) {
	div := 1.0
	wScale := math.Ldexp(1, m.ScaleBits)
	for k := range fm.Spatial {
		fl := &fm.Spatial[k]
		l := SpatialLayer{Kind: fl.Kind, Name: fl.Name, In: fl.In, Window: fl.Window, OutC: fl.OutC, ReLU: fl.ReLU}
		switch fl.Kind {
		case KindConv2D:
			m.Spatial = append(m.Spatial, l) // for SpatialScale
			bScale, _ := new(big.Float).SetInt(m.SpatialScale(len(m.Spatial) - 1)).Float64()
			l.W = make([][]int64, len(fl.W))
			l.B = make([]int64, len(fl.W))
			for o, row := range fl.W {
				l.W[o] = make([]int64, len(row))
				for i, w := range row {
					q, err := roundToInt64(w / div * wScale)
					if err != nil {
						return 0, fmt.Errorf("quantize: spatial layer %d (%s): weight [%d][%d] = %g: %w", k, fl.Name, o, i, w, err)
					}
					l.W[o][i] = q
				}
				var b float64
				if o < len(fl.B) {
					b = fl.B[o]
				}
				q, err := roundToInt64(b * bScale)
				if err != nil {
					return 0, fmt.Errorf("quantize: spatial layer %d (%s): bias [%d] = %g at scale %g: %w", k, fl.Name, o, b, bScale, err)
				}
				l.B[o] = q
			}
			m.Spatial[len(m.Spatial)-1] = l
			div = 1
			continue
		case KindAvgPool, KindGlobalAvgPool:
			div *= float64(fl.KH * fl.KW)
		}
		m.Spatial = append(m.Spatial, l)
	}
	return div, nil
}

// evalSpatial runs the quantized spatial layers on x and returns every
// layer's values (a convolution's accumulators before its ReLU, a pool's
// outputs) and the flattened input of the dense layers.
func (m *Model) evalSpatial(x []int64) ([][]int64, []int64) {
	vals := make([][]int64, len(m.Spatial))
	a := x
	for k := range m.Spatial {
		l := &m.Spatial[k]
		out := l.Out()
		y := make([]int64, out.Size())
		switch l.Kind {
		case KindConv2D:
			y = conv(a, l.In, l.Window, l.W, l.B, out)
			vals[k] = y
			if l.ReLU {
				h := make([]int64, len(y))
				for i, v := range y {
					h[i] = max(v, 0)
				}
				y = h
			}
		case KindMaxPool:
			for c := 0; c < out.C; c++ {
				for oy := 0; oy < out.H; oy++ {
					for ox := 0; ox < out.W; ox++ {
						first, mx := true, int64(0)
						eachTapC(l.In, l.Window, c, oy, ox, func(_, idx int) {
							if first || a[idx] > mx {
								mx, first = a[idx], false
							}
						})
						y[(c*out.H+oy)*out.W+ox] = mx
					}
				}
			}
			vals[k] = y
		case KindAvgPool, KindGlobalAvgPool:
			for c := 0; c < out.C; c++ {
				for oy := 0; oy < out.H; oy++ {
					for ox := 0; ox < out.W; ox++ {
						var s int64
						eachTapC(l.In, l.Window, c, oy, ox, func(_, idx int) { s += a[idx] })
						y[(c*out.H+oy)*out.W+ox] = s
					}
				}
			}
			vals[k] = y
		}
		a = y
	}
	return vals, a
}

// validateSpatial checks the quantized spatial layers' shapes and returns
// the dense part's input width.
func (m *Model) validateSpatial() (int, error) {
	n := len(m.Spatial)
	kinds, ins, wins, outCs, names := make([]string, n), make([]Dims, n), make([]Window, n), make([]int, n), make([]string, n)
	for k := range m.Spatial {
		l := &m.Spatial[k]
		kinds[k], ins[k], wins[k], outCs[k], names[k] = l.Kind, l.In, l.Window, l.OutC, l.Name
		switch {
		case l.Kind == KindConv2D:
			if len(l.W) != l.OutC || len(l.B) != l.OutC {
				return 0, fmt.Errorf("model: spatial layer %d (%s): %d kernels and %d biases for %d output channels", k, l.Name, len(l.W), len(l.B), l.OutC)
			}
			for o, row := range l.W {
				if len(row) != l.In.C*l.KH*l.KW {
					return 0, fmt.Errorf("model: spatial layer %d (%s): kernel %d has %d weights; a %dx%d kernel over %d channels has %d", k, l.Name, o, len(row), l.KH, l.KW, l.In.C, l.In.C*l.KH*l.KW)
				}
			}
		case l.W != nil || l.B != nil || l.ReLU || l.OutC != 0:
			return 0, fmt.Errorf("model: spatial layer %d (%s): a %s layer has no weights, biases, ReLU or output channel count", k, l.Name, l.Kind)
		}
	}
	w, err := validateSpatialChain(m.Input, kinds, ins, wins, outCs, names, m.InputSize)
	if err != nil {
		return 0, fmt.Errorf("model: %w", err)
	}
	return w, nil
}

// SpatialWeightBits returns the two's complement width of convolution k's
// weights (at least 2); 0 for pooling.
func (m *Model) SpatialWeightBits(k int) int {
	if !Linear(m.Spatial[k].Kind) {
		return 0
	}
	return signedWidth(m.Spatial[k].W...)
}

// SpatialBiasBits returns the two's complement width of convolution k's
// biases (at least 2); 0 for pooling.
func (m *Model) SpatialBiasBits(k int) int {
	if !Linear(m.Spatial[k].Kind) {
		return 0
	}
	return signedWidth(m.Spatial[k].B)
}

// checkSpatialBounds propagates the intervals [lo, hi] of the input through
// the spatial layers with exact big-integer interval arithmetic and
// returns, per layer, the bit width of the largest |value| (a convolution's
// accumulator, a pool's output) and the intervals of the dense part's
// input. It fails, naming the layer, when a value can reach
// 2^MaxAccumulatorBits.
func (m *Model) checkSpatialBounds(lo, hi []*big.Int, minIn, maxIn int64) ([]int, []*big.Int, []*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), MaxAccumulatorBits)
	bits := make([]int, len(m.Spatial))
	t := new(big.Int)
	for k := range m.Spatial {
		l := &m.Spatial[k]
		out := l.Out()
		nlo, nhi := make([]*big.Int, out.Size()), make([]*big.Int, out.Size())
		for c := 0; c < out.C; c++ {
			for oy := 0; oy < out.H; oy++ {
				for ox := 0; ox < out.W; ox++ {
					var a, b *big.Int
					switch l.Kind {
					case KindConv2D:
						a, b = big.NewInt(l.B[c]), big.NewInt(l.B[c])
						row := l.W[c]
						eachTap(l.In, l.Window, oy, ox, func(ic, tp, idx int) {
							w := row[ic*l.KH*l.KW+tp]
							bw := big.NewInt(w)
							if w >= 0 {
								a.Add(a, t.Mul(bw, lo[idx]))
								b.Add(b, t.Mul(bw, hi[idx]))
							} else {
								a.Add(a, t.Mul(bw, hi[idx]))
								b.Add(b, t.Mul(bw, lo[idx]))
							}
						})
					case KindMaxPool:
						eachTapC(l.In, l.Window, c, oy, ox, func(_, idx int) {
							if a == nil {
								a, b = new(big.Int).Set(lo[idx]), new(big.Int).Set(hi[idx])
								return
							}
							if lo[idx].Cmp(a) > 0 {
								a.Set(lo[idx])
							}
							if hi[idx].Cmp(b) > 0 {
								b.Set(hi[idx])
							}
						})
					default:
						a, b = new(big.Int), new(big.Int)
						eachTapC(l.In, l.Window, c, oy, ox, func(_, idx int) {
							a.Add(a, lo[idx])
							b.Add(b, hi[idx])
						})
					}
					for _, v := range []*big.Int{a, b} {
						abs := new(big.Int).Abs(v)
						if abs.Cmp(limit) >= 0 {
							return nil, nil, nil, fmt.Errorf("model: spatial layer %d (%s, %s) output channel %d can reach %s (%d bits) for inputs in [%d, %d]; exact evaluation needs < 2^%d: lower the scale bits", k, l.Name, l.Kind, c, v, abs.BitLen(), minIn, maxIn, MaxAccumulatorBits)
						}
						bits[k] = max(bits[k], abs.BitLen())
					}
					if l.ReLU {
						if a.Sign() < 0 {
							a.SetInt64(0)
						}
						if b.Sign() < 0 {
							b.SetInt64(0)
						}
					}
					i := (c*out.H+oy)*out.W + ox
					nlo[i], nhi[i] = a, b
				}
			}
		}
		lo, hi = nlo, nhi
	}
	return bits, lo, hi, nil
}

// Accumulate returns a convolution layer's accumulators for input a (shape
// In, row-major), before its ReLU: the values Eval computes and the
// circuit's hint (package circuits/conv) supplies.
func (l *SpatialLayer) Accumulate(a []int64) []int64 {
	return conv(a, l.In, l.Window, l.W, l.B, l.Out())
}

// EvalSpatial runs the spatial layers alone on x and returns their
// flattened output, the input of the dense layers. It fails for an input of
// the wrong length.
func (m *Model) EvalSpatial(x []int64) ([]int64, error) {
	if len(x) != m.InputSize {
		return nil, fmt.Errorf("model: input has %d features, the model takes %d", len(x), m.InputSize)
	}
	_, out := m.evalSpatial(x)
	return out, nil
}
