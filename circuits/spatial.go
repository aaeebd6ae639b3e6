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
//
// A convolution with ReLU followed by a max pool is evaluated pool first
// (maxPoolReLU): relu(max_j a_j) = max_j relu(a_j) for integers, so the
// ReLU runs on the pooled values (a quarter as many for 2x2 pools) and the
// raw accumulators get no check of their own. Why the pool's checks stay
// sound without one is argued at maxPoolReLU.

// publishSpatialBits returns the bound each spatial layer's gadget enforces
// (desc.Public.SpatialAccBits), from the measured widths (|v| <
// 2^measured[k]): a convolution with ReLU its measured width widened to a
// multiple of base (relu.Range checks |acc| < 2^k), one without ReLU k
// with k+1 a multiple of base (package signed), one evaluated pool first
// (desc.PoolFirst) the width whose checks on n samples cost least
// (poolFirstBits: k+1 bits per window input, k bits per pooled value); a
// pool the bound its input's bound implies (desc.PoolBits), which its
// gadget keeps.
func publishSpatialBits(sh model.Shape, measured []int, inputBits, base, n int) []int {
	k := make([]int, len(sh.Spatial))
	m := inputBits
	for i, l := range sh.Spatial {
		switch {
		case desc.PoolFirst(sh.Spatial, i):
			k[i] = poolFirstBits(sh.Spatial[i+1], measured[i], base, n)
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

// poolFirstBits returns the bound k >= measured to publish for a
// convolution evaluated pool first with the max pool p after it, on n
// samples: of measured up to measured+1 widened to a multiple of base, less
// one, the k whose checks (KH·KW of k+1 bits and one of k bits per pool
// output, with the tables they need) cost least at base.
func poolFirstBits(p model.SpatialShape, measured, base, n int) int {
	best, bestCost := 0, int64(0)
	for k := max(measured, 1); k <= widen(measured+1, base)-1; k++ {
		c := rangeCost(maxPoolReLUChecks(p, k, int64(n)), base)
		if best == 0 || c < bestCost {
			best, bestCost = k, c
		}
	}
	return best
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
// inputs. Every value a later layer reads is bounded as SpatialAccBits
// states: a convolution's accumulators by its ReLU's range check (|acc| <
// 2^k) or by package signed; a max pool's outputs equal one of their
// inputs; a sum pool's are sums of bounded values (desc.PoolBits); a
// convolution with ReLU and the max pool after it (desc.PoolFirst) by the ReLU
// on each pooled value (maxPoolReLU). A convolution over variables costs
// one product more per input activation (package conv).
func spatialLayers(api frontend.API, rc frontend.Rangechecker, sp Public, cw [][][]frontend.Variable, cb [][]frontend.Variable, x [][]frontend.Variable) [][]frontend.Variable {
	act := x
	m := sp.InputBits
	// nonneg: the current values lie in [0, 2^m) (a ReLU's outputs, and
	// pools of them), else in [-2^m, 2^m).
	nonneg := false
	sh := sp.Shape.Spatial
	for k := 0; k < len(sh); k++ {
		l, bits := sh[k], sp.SpatialAccBits[k]
		switch l.Kind {
		case model.KindConv2D:
			acc := conv.Conv2D(api, cw[k], cb[k], act, l.In, l.Window)
			switch {
			case desc.PoolFirst(sh, k):
				// The max pool of layer k+1 runs here, on the raw
				// accumulators; its published bound is bits
				// (desc.PoolBits of a max pool keeps its input's), which
				// the ReLU after it enforces.
				k++
				act = maxPoolReLU(api, rc, acc, sh[k].In, sh[k].Window, bits)
			case l.ReLU:
				act = relu.Range(api, rc, acc, bits)
			default:
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
		m = sp.SpatialAccBits[k]
	}
	return act
}

// maxPoolReLU returns relu(max) of every window (in, win) of the raw
// convolution accumulators acc ([n][In.C·In.H·In.W]), which equals the max
// pool of their ReLU exactly, and enforces the convolution's published
// bound bits on each window's maximum: pool.Max with differences of bits+1
// bits, then relu.Range(bits) on the pooled values. The raw accumulators
// get no range check of their own; the checks stay sound because:
//
//   - each accumulator is an exact integer of magnitude below 2^W, W the
//     convolution's worst case C·KH·KW·2^(wb−1)·2^m + 2^(bb−1)
//     (desc.SpatialBound.WorstBits): conv.Conv2D checks it against the
//     kernels (committed, their widths range-checked by the commitment's
//     packing) and inputs already bounded to 2^m, and desc.Public.Validate
//     keeps W+2 below desc.MaxValueBits = 250, far below the field (p >
//     2^253);
//   - the hinted maximum M of a window equals one of its accumulators
//     (pool.Max's product), so it is such an integer too, and each
//     difference M − a_j is an integer of magnitude below 2^(W+1); a
//     negative one is the field element p − |M − a_j| > 2^253 − 2^249,
//     which no range check of bits+1 <= MaxAccBits+1 = 63 bits accepts, so
//     0 <= M − a_j < 2^(bits+1): M is the integer maximum of the window;
//   - relu.Range enforces |M| < 2^bits and returns max(M, 0), which lies in
//     [0, 2^bits): the bound desc.PoolBits gives the max pool, on which the
//     next layer's worst case rests. Every accumulator the pool reads lies
//     within (M − 2^(bits+1), M], so within (−3·2^bits, 2^bits).
//
// An honest prover's accumulators satisfy |a| < 2^bits (the published bound,
// which withinBounds and the measured widths ensure), so M satisfies it and
// every difference lies below 2^(bits+1). A window of one input gives M = a
// with a zero difference; positions in the padding are skipped as pool.Max
// skips them, and every window holds at least one input (model.Window
// .OutDims refuses pads not smaller than the kernel).
func maxPoolReLU(api frontend.API, rc frontend.Rangechecker, acc [][]frontend.Variable, in model.Dims, win model.Window, bits int) [][]frontend.Variable {
	return relu.Range(api, rc, pool.Max(api, rc, acc, in, win, bits+1), bits)
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
// otherwise; a convolution evaluated pool first (desc.PoolFirst) with the pool
// after it, maxPoolReLUChecks.
func spatialRangeChecks(sh model.Shape, bits []int, inputBits int, n int64) []rangeCheck {
	var cs []rangeCheck
	m := inputBits
	nonneg := false
	sp := sh.Spatial
	for k := 0; k < len(sp); k++ {
		l := sp[k]
		if model.Linear(l.Kind) {
			nonneg = l.ReLU
		}
		switch {
		case desc.PoolFirst(sp, k):
			cs = append(cs, maxPoolReLUChecks(sp[k+1], bits[k], n)...)
			k++
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

// maxPoolReLUChecks lists the range checks of maxPoolReLU for the max pool
// p over accumulators of bound k, on n samples: per window input its
// difference on k+1 bits (fewer at a padded border), per output the
// ReLU's |M| on k bits.
func maxPoolReLUChecks(p model.SpatialShape, k int, n int64) []rangeCheck {
	out := n * int64(p.Out.Size())
	return []rangeCheck{
		{bits: k + 1, count: out * int64(p.KH*p.KW), exact: true},
		{bits: k, count: out, exact: true},
	}
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
			cs = append(append([]rangeCheck(nil), fixed...), spatialRangeChecks(sh, publishSpatialBits(sh, spatialMeasured, inputBits, b, n), inputBits, int64(n))...)
		}
		if c := rangeCost(cs, b); best == 0 || c < bestCost {
			best, bestCost = b, c
		}
	}
	return best
}
