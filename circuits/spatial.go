package circuits

import (
	"github.com/consensys/gnark/frontend"

	"github.com/zkeval/zkeval/circuits/conv"
	"github.com/zkeval/zkeval/circuits/pool"
	"github.com/zkeval/zkeval/circuits/relu"
	"github.com/zkeval/zkeval/circuits/signed"
	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/model"
)

// This file wires the spatial layers of a convolutional network (model
// .Shape.Spatial) into the evaluation circuit, one gadget package per kind:
// circuits/conv for a convolution, then circuits/relu (Range) for its ReLU
// or circuits/signed for its bound without one; circuits/pool for max and
// sum pooling. Their outputs, flattened [C][H][W] row-major, are the first
// dense layer's inputs, which freivalds.Dense checks as variables.

// publishSpatialBits returns the bound each spatial layer's gadget enforces
// (desc.Public.SpatialAccBits), from the measured widths (|v| <
// 2^measured[k]): a convolution with ReLU its measured width widened to a
// multiple of base (relu.Range checks |acc| < 2^k), one without ReLU k
// with k+1 a multiple of base (package signed); a pool the bound its input's
// bound implies (desc.PoolBits), which its gadget keeps.
func publishSpatialBits(sh model.Shape, measured []int, inputBits, base int) []int {
	k := make([]int, len(sh.Spatial))
	m := inputBits
	for i, l := range sh.Spatial {
		switch {
		case model.Linear(l.Kind) && l.ReLU:
			k[i] = widen(measured[i], base)
		case model.Linear(l.Kind):
			k[i] = widen(measured[i]+1, base) - 1
		default:
			k[i] = desc.PoolBits(l, m)
		}
		if k[i] > MaxAccBits {
			k[i] = max(measured[i], 1)
		}
		m = k[i]
	}
	return k
}

// newSpatialVars allocates each convolution's kernels [OutC][C·KH·KW] and
// biases [OutC]; nil for pooling layers.
func newSpatialVars(sh model.Shape) (w [][][]frontend.Variable, b [][]frontend.Variable) {
	for _, l := range sh.Spatial {
		if !model.Linear(l.Kind) {
			w, b = append(w, nil), append(b, nil)
			continue
		}
		k := make([][]frontend.Variable, l.Out.C)
		for o := range k {
			k[o] = make([]frontend.Variable, l.FanIn())
		}
		w, b = append(w, k), append(b, make([]frontend.Variable, l.Out.C))
	}
	return w, b
}

// spatialLayers runs the spatial layers of p on x ([n][InputSize]: the
// benchmark's samples as circuit constants, or a shard's as variables
// within [-2^InputBits, 2^InputBits), which the shard circuit enforces),
// with kernels cw and biases cb, and returns the first dense layer's
// inputs. Every value is bounded as SpatialAccBits states: a
// convolution's accumulators by its ReLU's range check (|acc| < 2^k) or by
// package signed; a max pool's outputs equal one of their inputs; a sum
// pool's are sums of bounded values (desc.PoolBits). A convolution over
// variables costs one product more per input activation (package conv).
func spatialLayers(api frontend.API, rc frontend.Rangechecker, sp Public, cw [][][]frontend.Variable, cb [][]frontend.Variable, x [][]frontend.Variable) [][]frontend.Variable {
	act := x
	m := sp.InputBits
	// nonneg: the current values lie in [0, 2^m) (a ReLU's outputs, and
	// pools of them), else in [-2^m, 2^m).
	nonneg := false
	for k, l := range sp.Shape.Spatial {
		bits := sp.SpatialAccBits[k]
		switch l.Kind {
		case model.KindConv2D:
			acc := conv.Conv2D(api, cw[k], cb[k], act, l.In, l.Window)
			if l.ReLU {
				act = relu.Range(api, rc, acc, bits)
			} else {
				signed.CheckAll(api, rc, acc, bits)
				act = acc
			}
			nonneg = l.ReLU
		case model.KindMaxPool:
			// Inputs within [-2^m, 2^m), or [0, 2^m), enforced by the
			// layer before.
			act = pool.Max(api, rc, act, l.In, l.Window, maxDiffBits(m, nonneg))
		default:
			act = pool.Sum(api, act, l.In, l.Window, l.Kind)
		}
		m = bits
	}
	return act
}

// maxDiffBits returns the width of a max pool's differences for inputs
// within [0, 2^m) (nonneg) or [-2^m, 2^m).
func maxDiffBits(m int, nonneg bool) int {
	if nonneg {
		return m
	}
	return m + 1
}

// spatialRangeChecks lists the range checks of the spatial layers for the
// published bounds bits (publishSpatialBits) and n samples: |acc| on k bits
// for a convolution with ReLU, acc + 2^k on k+1 without, and per window
// input of a max pool over inputs within 2^m, m bits after a ReLU, m+1
// otherwise.
func spatialRangeChecks(sh model.Shape, bits []int, inputBits int, n int64) []rangeCheck {
	var cs []rangeCheck
	m := inputBits
	nonneg := false
	for k, l := range sh.Spatial {
		if model.Linear(l.Kind) {
			nonneg = l.ReLU
		}
		switch {
		case l.Kind == model.KindConv2D && l.ReLU:
			cs = append(cs, rangeCheck{bits: bits[k], count: n * int64(l.Out.Size()), exact: true})
		case l.Kind == model.KindConv2D:
			cs = append(cs, rangeCheck{bits: bits[k] + 1, count: n * int64(l.Out.Size()), exact: true})
		case l.Kind == model.KindMaxPool:
			// One check per window input (fewer at a padded border).
			cs = append(cs, rangeCheck{bits: maxDiffBits(m, nonneg), count: n * int64(l.Out.Size()) * int64(l.KH*l.KW), exact: true})
		}
		m = bits[k]
	}
	return cs
}

// chooseSpatialRangeBase is ChooseRangeBase for a convolutional network:
// the table width that minimises the cost of the dense layers' checks and
// of the spatial layers' checks at the bounds each width publishes.
func chooseSpatialRangeBase(sh model.Shape, accBits []int, relu []string, n int, full bool, spatialMeasured []int, inputBits int) int {
	return bestRangeBase(rangeChecks(sh, accBits, relu, n, full), sh, spatialMeasured, inputBits, n)
}

// bestRangeBase returns the table width that minimises the cost of fixed
// and of the spatial layers' checks on n samples at the bounds each width
// publishes (publishSpatialBits; none for an MLP).
func bestRangeBase(fixed []rangeCheck, sh model.Shape, spatialMeasured []int, inputBits int, n int) int {
	best, bestCost := 0, int64(0)
	for b := MinRangeBase; b <= MaxRangeBase; b++ {
		cs := fixed
		if len(sh.Spatial) > 0 {
			cs = append(append([]rangeCheck(nil), fixed...), spatialRangeChecks(sh, publishSpatialBits(sh, spatialMeasured, inputBits, b), inputBits, int64(n))...)
		}
		if c := rangeCost(cs, b); best == 0 || c < bestCost {
			best, bestCost = b, c
		}
	}
	return best
}
