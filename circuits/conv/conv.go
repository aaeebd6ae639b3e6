// Package conv is the gadget for a 2-D convolution over a batch of samples
// (model.KindConv2D): the prover computes every accumulator in a hint, and
// the circuit checks all of a sample's accumulators at once with a
// Freivalds-style random linear combination (Freivalds 1977) over output
// channels and positions, its randomness drawn from the circuit's single
// commitment (gnark std/multicommit) to the kernels, biases and hinted
// accumulators.
//
// With ρ from the commitment, r_o = ρ^o for the output channels and
// t_p = ρ^(OutC·p) for the output positions, so that r_o·t_p = ρ^(o+OutC·p)
// runs over distinct powers, the check of sample s is
//
//	Σ_{o,p} r_o·t_p·acc[o][p] = (Σ_o r_o·b_o)·(Σ_p t_p) + Σ_q V[q]·a[q]
//
// where V[q] = Σ t_p·u[c,i,j] over the output positions p and kernel taps
// (c,i,j) that read input position q, and u[c,i,j] = Σ_o r_o·W[o][c,i,j].
// u, V and the coefficients r_o·t_p depend only on ρ and the kernels: they
// are computed once for all samples (OutC·fanIn + P·fanIn + OutC·P
// products). Per sample the check costs OutC·P products for the left side
// and one per input activation for the right (none when the inputs are
// circuit constants), against OutC·P·fanIn for the plain convolution: the
// cost grows with the activations, not with the multiply-adds.
//
// Soundness: for a sample whose hinted accumulators differ from the true
// ones, both sides differ by a non-zero polynomial of degree below OutC·P in
// ρ, so the check passes with probability at most OutC·P/|F| per sample
// (Schwartz–Zippel), for ρ drawn after the kernels, biases, accumulators and
// inputs are fixed (the inputs are constants, or values the gadgets before
// determine uniquely from committed values). The check holds modulo the
// field; the gadget that consumes acc (a ReLU, or a range check) bounds it,
// and the public description bounds the exact integer
// (desc.Public.SpatialBounds), for acc to equal the integer convolution.
package conv

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/multicommit"

	"github.com/zkeval/zkeval/circuits/internal/fieldint"
	"github.com/zkeval/zkeval/model"
)

// HintChunk is the number of samples one Hint call computes.
const HintChunk = 64

// Hints returns the gadget's hints, for registration with
// solver.RegisterHint (circuits.RegisterHints registers every gadget's).
func Hints() []solver.Hint { return []solver.Hint{Hint} }

// Conv2D returns acc[s] = conv(W, b, a[s]) for every sample s: w has shape
// [OutC][In.C·KH·KW] (each kernel [C][KH][KW] row-major), b [OutC], a
// [n][In.C·In.H·In.W] ([C][H][W] row-major) and acc [n][OutC·H'·W'] with
// [OutC][H'][W'] row-major, positions in the padding reading zero, exactly as
// model.Model.Eval computes a model.KindConv2D layer before its ReLU. See
// the package documentation for the check and its cost. It panics when the
// shapes do not fit (the caller validates the description first).
func Conv2D(api frontend.API, w [][]frontend.Variable, b []frontend.Variable, a [][]frontend.Variable, in model.Dims, win model.Window) [][]frontend.Variable {
	outC := len(w)
	out, err := model.SpatialOut(model.KindConv2D, in, win, outC)
	if err != nil {
		panic(fmt.Sprintf("conv: %v", err))
	}
	fan := in.C * win.KH * win.KW
	var flatW []frontend.Variable
	for _, row := range w {
		if len(row) != fan {
			panic(fmt.Sprintf("conv: kernel of %d weights, want %d", len(row), fan))
		}
		flatW = append(flatW, row...)
	}
	n, p := len(a), out.H*out.W
	acc := make([][]frontend.Variable, n)
	head := []frontend.Variable{in.C, in.H, in.W, win.KH, win.KW, win.SH, win.SW, win.PadTop, win.PadLeft, win.PadBottom, win.PadRight, outC}
	for start := 0; start < n; start += HintChunk {
		end := min(start+HintChunk, n)
		inputs := append(append([]frontend.Variable{}, head...), end-start)
		inputs = append(inputs, flatW...)
		inputs = append(inputs, b...)
		for s := start; s < end; s++ {
			if len(a[s]) != in.Size() {
				panic(fmt.Sprintf("conv: sample of %d values, want %d", len(a[s]), in.Size()))
			}
			inputs = append(inputs, a[s]...)
		}
		res, err := api.Compiler().NewHint(Hint, (end-start)*outC*p, inputs...)
		if err != nil {
			panic(err)
		}
		for s := start; s < end; s++ {
			acc[s] = res[(s-start)*outC*p : (s-start+1)*outC*p]
		}
	}
	committed := append([]frontend.Variable{}, flatW...)
	committed = append(committed, b...)
	for s := range acc {
		committed = append(committed, acc[s]...)
	}
	c := &check{w: w, b: b, a: a, acc: acc, in: in, win: win, out: out}
	multicommit.WithCommitment(api, c.run, committed...)
	return acc
}

type check struct {
	w      [][]frontend.Variable
	b      []frontend.Variable
	a, acc [][]frontend.Variable
	in     model.Dims
	win    model.Window
	out    model.Dims
}

func (c *check) run(api frontend.API, rho frontend.Variable) error {
	outC, p := c.out.C, c.out.H*c.out.W
	kk := c.win.KH * c.win.KW
	fan := c.in.C * kk
	r := make([]frontend.Variable, outC)
	r[0] = 1
	for o := 1; o < outC; o++ {
		r[o] = api.Mul(r[o-1], rho)
	}
	sigma := api.Mul(r[outC-1], rho) // ρ^OutC
	t := make([]frontend.Variable, p)
	t[0] = 1
	for q := 1; q < p; q++ {
		t[q] = api.Mul(t[q-1], sigma)
	}
	// u[c,i,j] = Σ_o r_o·W[o][c,i,j].
	u := make([]frontend.Variable, fan)
	for k := range u {
		var s frontend.Variable = 0
		for o := 0; o < outC; o++ {
			s = api.Add(s, api.Mul(r[o], c.w[o][k]))
		}
		u[k] = s
	}
	// bias term (Σ_o r_o·b_o)·(Σ_p t_p).
	var rb, tsum frontend.Variable = 0, 0
	for o := 0; o < outC; o++ {
		rb = api.Add(rb, api.Mul(r[o], c.b[o]))
	}
	for q := 0; q < p; q++ {
		tsum = api.Add(tsum, t[q])
	}
	bias := api.Mul(rb, tsum)
	// V[q] over the input positions.
	terms := make([][]frontend.Variable, c.in.Size())
	for oy := 0; oy < c.out.H; oy++ {
		for ox := 0; ox < c.out.W; ox++ {
			tp := t[oy*c.out.W+ox]
			y0, x0 := oy*c.win.SH-c.win.PadTop, ox*c.win.SW-c.win.PadLeft
			for ch := 0; ch < c.in.C; ch++ {
				for i := 0; i < c.win.KH; i++ {
					y := y0 + i
					if y < 0 || y >= c.in.H {
						continue
					}
					for j := 0; j < c.win.KW; j++ {
						x := x0 + j
						if x < 0 || x >= c.in.W {
							continue
						}
						q := (ch*c.in.H+y)*c.in.W + x
						terms[q] = append(terms[q], api.Mul(tp, u[ch*kk+i*c.win.KW+j]))
					}
				}
			}
		}
	}
	v := make([]frontend.Variable, len(terms))
	for q, ts := range terms {
		switch len(ts) {
		case 0:
			v[q] = 0
		case 1:
			v[q] = ts[0]
		default:
			v[q] = api.Add(ts[0], ts[1], ts[2:]...)
		}
	}
	// coefficients r_o·t_p.
	coef := make([]frontend.Variable, outC*p)
	for o := 0; o < outC; o++ {
		for q := 0; q < p; q++ {
			switch {
			case o == 0:
				coef[q] = t[q]
			case q == 0:
				coef[o*p] = r[o]
			default:
				coef[o*p+q] = api.Mul(r[o], t[q])
			}
		}
	}
	for s := range c.a {
		lhs := make([]frontend.Variable, 0, len(coef))
		for k, cf := range coef {
			lhs = append(lhs, api.Mul(cf, c.acc[s][k]))
		}
		rhs := []frontend.Variable{bias}
		for q, vq := range v {
			if cv, ok := api.Compiler().ConstantValue(c.a[s][q]); ok && cv.Sign() == 0 {
				continue
			}
			rhs = append(rhs, api.Mul(vq, c.a[s][q]))
		}
		api.AssertIsEqual(sum(api, lhs), sum(api, rhs))
	}
	return nil
}

func sum(api frontend.API, v []frontend.Variable) frontend.Variable {
	switch len(v) {
	case 0:
		return 0
	case 1:
		return v[0]
	}
	return api.Add(v[0], v[1], v[2:]...)
}

// Hint computes the accumulators of a convolution for a chunk of samples
// in int64 arithmetic. Inputs: C, H, W, KH, KW, SH, SW, PadTop, PadLeft,
// PadBottom, PadRight, OutC, n, then the kernels ([OutC][C·KH·KW]), the
// biases ([OutC]) and the samples ([n][C·H·W]), each a signed integer.
// Outputs: [n][OutC·H'·W']. The circuit checks the outputs (see Conv2D); an
// honest prover's values fit int64 because the public description bounds
// them (desc.MaxAccBits).
func Hint(field *big.Int, inputs, outputs []*big.Int) error {
	const head = 13
	if len(inputs) < head {
		return errors.New("conv hint: missing header")
	}
	h := make([]int, head)
	for i := range h {
		if !inputs[i].IsInt64() || inputs[i].Int64() < 0 || inputs[i].Int64() > model.MaxSpatialDim {
			return fmt.Errorf("conv hint: header value %d out of range", i)
		}
		h[i] = int(inputs[i].Int64())
	}
	in := model.Dims{C: h[0], H: h[1], W: h[2]}
	win := model.Window{KH: h[3], KW: h[4], SH: h[5], SW: h[6], PadTop: h[7], PadLeft: h[8], PadBottom: h[9], PadRight: h[10]}
	outC, n := h[11], h[12]
	out, err := model.SpatialOut(model.KindConv2D, in, win, outC)
	if err != nil {
		return fmt.Errorf("conv hint: %w", err)
	}
	fan := in.C * win.KH * win.KW
	if len(inputs) != head+outC*fan+outC+n*in.Size() || len(outputs) != n*out.Size() {
		return fmt.Errorf("conv hint: %d inputs and %d outputs do not fit the layer for %d samples", len(inputs), len(outputs), n)
	}
	vals := make([]int64, len(inputs)-head)
	for i := range vals {
		v, err := fieldint.ToSigned(field, inputs[head+i])
		if err != nil {
			return fmt.Errorf("conv hint: input %d: %w", i, err)
		}
		vals[i] = v
	}
	l := model.SpatialLayer{Kind: model.KindConv2D, In: in, Window: win, OutC: outC, W: make([][]int64, outC), B: vals[outC*fan : outC*fan+outC]}
	for o := range l.W {
		l.W[o] = vals[o*fan : (o+1)*fan]
	}
	a := vals[outC*fan+outC:]
	for s := 0; s < n; s++ {
		y := l.Accumulate(a[s*in.Size() : (s+1)*in.Size()])
		for k, v := range y {
			fieldint.FromSigned(field, v, outputs[s*out.Size()+k])
		}
	}
	return nil
}
