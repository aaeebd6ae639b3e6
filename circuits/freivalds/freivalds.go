// Package freivalds is the gadget for a dense layer's product over a batch
// of samples: the prover computes acc[s] = W·a[s] + b in a hint, and the
// circuit checks every sample at once with Freivalds' randomised check
// (Freivalds 1977), its randomness drawn from the circuit's single
// commitment (gnark std/multicommit) to W, b and the hinted acc.
//
// The check holds modulo the field: it proves acc[s][o] ≡ (W·a[s] + b)[o]
// (mod p). It does not bound acc; the gadget that consumes acc (a ReLU, or
// package signed) must bound it, and the public description must bound the
// exact integer (desc.Public.Bounds), for acc to equal the integer product.
package freivalds

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/multicommit"

	"github.com/zkeval/zkeval/circuits/internal/fieldint"
)

// HintChunk is the number of samples one DenseHint call computes.
const HintChunk = 256

// Hints returns the gadget's hints, for registration with
// solver.RegisterHint; circuits.RegisterHints registers every gadget's
// hints in one place.
func Hints() []solver.Hint { return []solver.Hint{DenseHint, CopyHint} }

// Dense returns acc[s] = W·a[s] + b for every sample s, with w of shape
// [out][in], b [out] and a [n][in]. acc is computed by DenseHint and
// checked: for r_o = ρ^o (r_0 = 1), with ρ derived from the commitment to
// W, b and the hinted acc, Σ_o r_o·acc[s][o] = (rᵀW)·a[s] + rᵀb for every
// sample s. A wrong acc passes with probability at most about
// i·(out-1)·n/|F| for the circuit's i-th multicommit check, whose ρ is the
// i-th power of the one committed value (Schwartz–Zippel: each sample's
// difference is a non-zero polynomial of degree out-1 in ρ). When a[s] are constants, (rᵀW)·a[s] is a linear
// combination and costs no constraint; per sample the check costs out
// constraints (plus in when a[s] are variables), against in·out for the
// plain product.
func Dense(api frontend.API, w [][]frontend.Variable, b []frontend.Variable, a [][]frontend.Variable) [][]frontend.Variable {
	out := len(w)
	in := 0
	if out > 0 {
		in = len(w[0])
	}
	n := len(a)
	acc := make([][]frontend.Variable, n)
	var flatW []frontend.Variable
	for _, row := range w {
		flatW = append(flatW, row...)
	}
	for start := 0; start < n; start += HintChunk {
		end := min(start+HintChunk, n)
		inputs := []frontend.Variable{in, out, end - start}
		inputs = append(inputs, flatW...)
		inputs = append(inputs, b...)
		for s := start; s < end; s++ {
			inputs = append(inputs, a[s]...)
		}
		res, err := api.Compiler().NewHint(DenseHint, (end-start)*out, inputs...)
		if err != nil {
			panic(err)
		}
		for s := start; s < end; s++ {
			acc[s] = res[(s-start)*out : (s-start+1)*out]
		}
	}

	committed := append([]frontend.Variable{}, flatW...)
	committed = append(committed, b...)
	for s := range acc {
		committed = append(committed, acc[s]...)
	}
	f := &check{w: w, b: b, a: a, acc: acc, in: in, out: out, constIn: allConstant(api, a)}
	multicommit.WithCommitment(api, f.run, committed...)
	return acc
}

// check holds one layer's Freivalds check, run once the commitment is
// known.
type check struct {
	w       [][]frontend.Variable
	b       []frontend.Variable
	a, acc  [][]frontend.Variable
	in, out int
	// constIn is set when every a[s][i] is a constant.
	constIn bool
}

func (f *check) run(api frontend.API, rho frontend.Variable) error {
	w, b, a, acc, in, out, n := f.w, f.b, f.a, f.acc, f.in, f.out, len(f.a)
	// r_0 = 1 saves one product per sample on the left-hand side.
	r := make([]frontend.Variable, out)
	r[0] = 1
	for o := 1; o < out; o++ {
		r[o] = api.Mul(r[o-1], rho)
	}
	u := make([]frontend.Variable, in)
	for i := 0; i < in; i++ {
		var t frontend.Variable = 0
		for o := 0; o < out; o++ {
			t = api.Add(t, api.Mul(r[o], w[o][i]))
		}
		u[i] = t
	}
	var rb frontend.Variable = 0
	for o := 0; o < out; o++ {
		rb = api.Add(rb, api.Mul(r[o], b[o]))
	}
	if f.constIn {
		// With constant inputs the right-hand side is a linear combination
		// of u and rb; as single variables (one constraint each, once) they
		// keep it at one term per non-zero input, below the length at which
		// gnark's R1CS builder spends a constraint to shorten it.
		for i := range u {
			u[i] = single(api, u[i])
		}
		rb = single(api, rb)
	}
	for s := 0; s < n; s++ {
		lhs := frontend.Variable(0)
		for o := 0; o < out; o++ {
			lhs = api.Add(lhs, api.Mul(r[o], acc[s][o]))
		}
		rhs := rb
		for i := 0; i < in; i++ {
			rhs = api.Add(rhs, api.Mul(u[i], a[s][i]))
		}
		api.AssertIsEqual(lhs, rhs)
	}
	return nil
}

// allConstant reports whether every a[s][i] is a constant.
func allConstant(api frontend.API, a [][]frontend.Variable) bool {
	for _, as := range a {
		for _, v := range as {
			if _, ok := api.Compiler().ConstantValue(v); !ok {
				return false
			}
		}
	}
	return true
}

// single returns a new variable held equal to v by one constraint, so that
// linear combinations that use v hold one term for it instead of v's terms.
func single(api frontend.API, v frontend.Variable) frontend.Variable {
	res, err := api.Compiler().NewHint(CopyHint, 1, v)
	if err != nil {
		panic(err)
	}
	api.AssertIsEqual(res[0], v)
	return res[0]
}

// DenseHint computes acc = W·a + b for n samples in int64 arithmetic.
// Inputs: in, out, n, then W ([out][in] row-major), b ([out]), then a
// ([n][in]), each a signed integer. Outputs: acc ([n][out]). The circuit
// checks the outputs (see Dense); an honest prover's values fit int64
// because the public description bounds them (desc.MaxAccBits).
func DenseHint(field *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) < 3 {
		return errors.New("dense hint: missing header")
	}
	in, out, n := int(inputs[0].Int64()), int(inputs[1].Int64()), int(inputs[2].Int64())
	if len(inputs) != 3+out*in+out+n*in || len(outputs) != n*out {
		return fmt.Errorf("dense hint: %d inputs and %d outputs do not fit %dx%d for %d samples", len(inputs), len(outputs), out, in, n)
	}
	vals := make([]int64, len(inputs)-3)
	for i := range vals {
		v, err := fieldint.ToSigned(field, inputs[3+i])
		if err != nil {
			return fmt.Errorf("dense hint: input %d: %w", i, err)
		}
		vals[i] = v
	}
	w, b, a := vals[:out*in], vals[out*in:out*in+out], vals[out*in+out:]
	for s := 0; s < n; s++ {
		x := a[s*in : (s+1)*in]
		for o := 0; o < out; o++ {
			acc := b[o]
			row := w[o*in : (o+1)*in]
			for i, xi := range x {
				acc += row[i] * xi
			}
			fieldint.FromSigned(field, acc, outputs[s*out+o])
		}
	}
	return nil
}

// CopyHint outputs its inputs unchanged. The circuit holds each output equal
// to its input (see single).
func CopyHint(_ *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) != len(outputs) {
		return errors.New("copy hint: inputs and outputs differ in length")
	}
	for i, v := range inputs {
		outputs[i].Set(v)
	}
	return nil
}
