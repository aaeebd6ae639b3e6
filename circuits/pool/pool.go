// Package pool is the gadget for the pooling layers of a convolutional
// network: max pooling with a hinted maximum, and sum pooling (average
// pooling with its 1/(KH·KW) folded into the next layer's weights, see
// model.KindAvgPool), which is linear and costs no constraint.
//
// Max pooling: for each window of inputs x_1..x_k (positions in the padding
// skipped, as model.Model.Eval does), the prover supplies m in a hint, and
// the circuit enforces
//
//   - m equals one input: Π_j (m − x_j) = 0, k−1 products (the field has no
//     zero divisors, so some factor is zero);
//   - m is no smaller than any input: 0 <= m − x_j < 2^d for every j, by
//     range checks of d bits.
//
// Soundness rests on the inputs being integers far below the field: for
// inputs x_j with |x_j| < 2^B, B <= desc.MaxValueBits − 2, and d <=
// desc.MaxValueBits (Max refuses a wider d), every difference m − x_j
// is an integer in (−2^(B+1), 2^(B+1)) (m equals some x_j), and a
// negative one is the field element p − |m − x_j| > 2^253 − 2^249 > 2^d,
// which the range check refuses: m is then the integer maximum of the
// window. The width d must cover the honest differences; the callers
// (circuits/spatial.go) use two bounds:
//
//   - inputs the gadget before them bounds to an interval of width 2^d:
//     d = m+1 for −2^m <= x < 2^m, d = m for the outputs of a ReLU,
//     0 <= x < 2^m; m then lies in the inputs' interval;
//   - the raw accumulators of a convolution with ReLU, pooled before the
//     ReLU (max and ReLU commute on integers): exact integers below the
//     convolution's worst case by construction (checked products of
//     bounded inputs and range-checked weights, below 2^(MaxValueBits−2)
//     by desc.Public.Validate), d = k+1 for the convolution's published
//     bound k, and the ReLU after the pool enforces |m| < 2^k.
package pool

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"

	"github.com/zkeval/zkeval/circuits/internal/fieldint"
	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/model"
)

// Hints returns the gadget's hints, for registration with
// solver.RegisterHint (circuits.RegisterHints registers every gadget's).
func Hints() []solver.Hint { return []solver.Hint{MaxHint} }

// windows returns, for each output position [C][H'][W'] row-major, the
// input indices its window reads.
func windows(in model.Dims, win model.Window, kind string) [][]int {
	out, err := model.SpatialOut(kind, in, win, 0)
	if err != nil {
		panic(fmt.Sprintf("pool: %v", err))
	}
	idx := make([][]int, 0, out.Size())
	for c := 0; c < out.C; c++ {
		for oy := 0; oy < out.H; oy++ {
			for ox := 0; ox < out.W; ox++ {
				var ws []int
				for i := 0; i < win.KH; i++ {
					y := oy*win.SH - win.PadTop + i
					if y < 0 || y >= in.H {
						continue
					}
					for j := 0; j < win.KW; j++ {
						x := ox*win.SW - win.PadLeft + j
						if x < 0 || x >= in.W {
							continue
						}
						ws = append(ws, (c*in.H+y)*in.W+x)
					}
				}
				idx = append(idx, ws)
			}
		}
	}
	return idx
}

// Max returns the max pooling of every sample a[s] ([n][In.C·In.H·In.W],
// [C][H][W] row-major), [n][C·H'·W'], for integer inputs below
// 2^(desc.MaxValueBits−2) whose honest differences within a window lie
// below 2^diffBits (see the package documentation). Cost per output: one
// hinted value, k−1 products and k range checks of diffBits bits, for a
// window of k inputs. It panics for diffBits outside [1,
// desc.MaxValueBits], where a negative difference could pass.
func Max(api frontend.API, rc frontend.Rangechecker, a [][]frontend.Variable, in model.Dims, win model.Window, diffBits int) [][]frontend.Variable {
	if diffBits < 1 || diffBits > desc.MaxValueBits {
		panic(fmt.Sprintf("pool: differences of %d bits, want [1, %d]", diffBits, desc.MaxValueBits))
	}
	ws := windows(in, win, model.KindMaxPool)
	res := make([][]frontend.Variable, len(a))
	for s, as := range a {
		if len(as) != in.Size() {
			panic(fmt.Sprintf("pool: sample of %d values, want %d", len(as), in.Size()))
		}
		// One hint call per sample: its inputs are the windows, each
		// prefixed by its length.
		inputs := make([]frontend.Variable, 0, len(ws)*(1+win.KH*win.KW))
		for _, w := range ws {
			inputs = append(inputs, len(w))
			for _, i := range w {
				inputs = append(inputs, as[i])
			}
		}
		m, err := api.Compiler().NewHint(MaxHint, len(ws), inputs...)
		if err != nil {
			panic(err)
		}
		for k, w := range ws {
			var prod frontend.Variable = 1
			for j, i := range w {
				d := api.Sub(m[k], as[i])
				rc.Check(d, diffBits)
				if j == 0 {
					prod = d
				} else {
					prod = api.Mul(prod, d)
				}
			}
			api.AssertIsEqual(prod, 0)
		}
		res[s] = m
	}
	return res
}

// Sum returns the sum pooling of every sample (see Max for the shapes):
// each output the sum of its window's inputs, positions in the padding
// counting as zero. It is linear and adds no constraint; for inputs within
// ±2^bits the outputs lie within ±KH·KW·2^bits (desc.PoolBits).
func Sum(api frontend.API, a [][]frontend.Variable, in model.Dims, win model.Window, kind string) [][]frontend.Variable {
	ws := windows(in, win, kind)
	res := make([][]frontend.Variable, len(a))
	for s, as := range a {
		res[s] = make([]frontend.Variable, len(ws))
		for k, w := range ws {
			terms := make([]frontend.Variable, len(w))
			for j, i := range w {
				terms[j] = as[i]
			}
			switch len(terms) {
			case 1:
				res[s][k] = terms[0]
			default:
				res[s][k] = api.Add(terms[0], terms[1], terms[2:]...)
			}
		}
	}
	return res
}

// MaxHint outputs the maximum of each window as a signed integer. Inputs:
// for each window, its length k then its k values. The circuit checks each
// output (see Max).
func MaxHint(field *big.Int, inputs, outputs []*big.Int) error {
	pos := 0
	for k := range outputs {
		if pos >= len(inputs) || !inputs[pos].IsInt64() || inputs[pos].Int64() < 1 || int64(len(inputs)-pos-1) < inputs[pos].Int64() {
			return errors.New("max hint: malformed window list")
		}
		n := int(inputs[pos].Int64())
		var best int64
		for j := 0; j < n; j++ {
			v, err := fieldint.ToSigned(field, inputs[pos+1+j])
			if err != nil {
				return fmt.Errorf("max hint: window %d: %w", k, err)
			}
			if j == 0 || v > best {
				best = v
			}
		}
		fieldint.FromSigned(field, best, outputs[k])
		pos += 1 + n
	}
	if pos != len(inputs) {
		return errors.New("max hint: inputs left over")
	}
	return nil
}
