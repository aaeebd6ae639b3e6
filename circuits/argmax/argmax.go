// Package argmax is the gadget that proves a prediction: the first maximal
// index of a sample's logits (the tie rule of model.Argmax), from a hinted
// one-hot vector and range-checked differences.
//
// Both forms take a bound k and enforce it on every logit they compare:
// the reference logit (the label's for Is, the predicted class's for
// OneHot) within [-2^(k-2), 2^(k-2)) (package signed), and each difference
// they compare within [0, 2^(k-1)), so every compared logit lies in
// (-3·2^(k-2), 2^(k-2)) ⊂ [-2^k, 2^k). The differences are read as the
// exact integers they stand for when the logits are exact integers far
// below the field (desc.Public.Bounds): a negative difference is then a
// field element above p - 2^(k-1), which no check of k-1 bits passes.
package argmax

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"

	"github.com/zkeval/zkeval/circuits/internal/fieldint"
	"github.com/zkeval/zkeval/circuits/signed"
)

// Hints returns the gadget's hints, for registration with
// solver.RegisterHint; circuits.RegisterHints registers every gadget's
// hints in one place.
func Hints() []solver.Hint { return []solver.Hint{Hint} }

// Is returns a variable equal to 1 when label is the first maximal index
// of v, and 0 otherwise. The hint gives a one-hot o of the first maximal
// index; with d_j = v[label] - v[j] - [j < label], each j ≠ label
// range-checks q_j = (o[label] - o[j])·d_j - o[j] >= 0 on k-1 bits:
// when o[label] = 1 every other output is beaten (strictly below for j
// before the label); when o[j] = 1 output j beats the label (d_j <= -1).
// o[label] is not taken from the hint but set to 1 - Σ_{j≠label} o[j]: with
// every o[j] boolean, o[label] boolean makes o one-hot, with no constraint
// for the sum. v[label] is bounded to [-2^(k-2), 2^(k-2)). The logits
// compared are v[label] and every other one when the label is predicted,
// v[label] and the predicted one otherwise (the statement needs no other).
// Cost: K booleans, K-1 products and K range checks of k-1 bits.
func Is(api frontend.API, rc frontend.Rangechecker, v []frontend.Variable, label, k int) frontend.Variable {
	bits := k - 1
	signed.Check(api, rc, v[label], k-2)
	o, err := api.Compiler().NewHint(Hint, len(v), v...)
	if err != nil {
		panic(err)
	}
	var sum frontend.Variable = 0
	for j := range o {
		if j != label {
			api.AssertIsBoolean(o[j])
			sum = api.Add(sum, o[j])
		}
	}
	o[label] = api.Sub(1, sum)
	api.AssertIsBoolean(o[label])
	for j := range v {
		if j == label {
			continue
		}
		d := api.Sub(v[label], v[j])
		if j < label {
			d = api.Sub(d, 1)
		}
		q := api.Sub(api.Mul(api.Sub(o[label], o[j]), d), o[j])
		rc.Check(q, bits)
	}
	return o[label]
}

// OneHot returns the one-hot o of the first maximal index of v. The hint
// gives o; the circuit checks that o is one-hot (booleans summing to 1),
// computes m = Σ_j o_j·v_j (the chosen output), bounds it to
// [-2^(k-2), 2^(k-2)) and range-checks, for every j,
// d_j = m - v_j - Σ_{i>j} o_i >= 0 on k-1 bits: with o at c, this says
// v_c >= v_j for j >= c and v_c > v_j for j < c, so c is the first maximal
// index. Cost: 2K+1 constraints and K+1 range checks of k-1 bits.
func OneHot(api frontend.API, rc frontend.Rangechecker, v []frontend.Variable, k int) []frontend.Variable {
	bits := k - 1
	o, err := api.Compiler().NewHint(Hint, len(v), v...)
	if err != nil {
		panic(err)
	}
	var total frontend.Variable = 0
	terms := make([]frontend.Variable, len(v))
	for j := range o {
		api.AssertIsBoolean(o[j])
		total = api.Add(total, o[j])
		terms[j] = api.Mul(o[j], v[j])
	}
	api.AssertIsEqual(total, 1)
	m := terms[0]
	if len(terms) > 1 {
		m = api.Add(terms[0], terms[1], terms[2:]...)
	}
	signed.Check(api, rc, m, k-2)
	var after frontend.Variable = 0 // Σ_{i>j} o_i
	for j := len(v) - 1; j >= 0; j-- {
		rc.Check(api.Sub(api.Sub(m, v[j]), after), bits)
		after = api.Add(after, o[j])
	}
	return o
}

// Hint outputs the one-hot encoding of the first maximal input (the tie
// rule of model.Argmax). The circuit checks it (see Is and OneHot).
func Hint(field *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) != len(outputs) || len(inputs) == 0 {
		return errors.New("argmax hint: inputs and outputs differ in length")
	}
	best, bestV := 0, int64(0)
	for i, z := range inputs {
		v, err := fieldint.ToSigned(field, z)
		if err != nil {
			return fmt.Errorf("argmax hint: input %d: %w", i, err)
		}
		if i == 0 || v > bestV {
			best, bestV = i, v
		}
	}
	for i := range outputs {
		outputs[i].SetInt64(0)
	}
	outputs[best].SetInt64(1)
	return nil
}
