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

// defineSpatial runs the spatial layers on the benchmark's samples (circuit
// constants) and returns the first dense layer's inputs. Every value is
// bounded as SpatialAccBits states: a convolution's accumulators by its
// ReLU's range check (|acc| < 2^k) or by package signed; a max pool's
// outputs equal one of their inputs; a sum pool's are sums of bounded
// values (desc.PoolBits).
func (c *EvalCircuit) defineSpatial(api frontend.API, rc frontend.Rangechecker) [][]frontend.Variable {
	sp := c.spec
	act := constants(sp.Bench.X)
	m := sp.InputBits
	for k, l := range sp.Shape.Spatial {
		bits := sp.SpatialAccBits[k]
		switch l.Kind {
		case model.KindConv2D:
			acc := conv.Conv2D(api, c.CW[k], c.CB[k], act, l.In, l.Window)
			if l.ReLU {
				act = relu.Range(api, rc, acc, bits)
			} else {
				signed.CheckAll(api, rc, acc, bits)
				act = acc
			}
		case model.KindMaxPool:
			// Inputs within [-2^m, 2^m), enforced by the layer before.
			act = pool.Max(api, rc, act, l.In, l.Window, m)
		default:
			act = pool.Sum(api, act, l.In, l.Window, l.Kind)
		}
		m = bits
	}
	return act
}
