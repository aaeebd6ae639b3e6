// Package relu is the ReLU gadget of the evaluation circuit, in two forms
// that enforce the same function and bound:
//
//   - Range: a hinted sign bit s, h = s·z and one range check
//     0 <= 2h - z < 2^k, which holds only with 2h - z = |z|, so h = max(z, 0)
//     and |z| < 2^k.
//   - Lookup: a log-derivative lookup (Haböck 2022,
//     https://eprint.iacr.org/2022/1530; gnark std/lookup/logderivlookup)
//     of z - Lo in the constant table of max(v, 0) for v in [Lo, Hi], which
//     succeeds only for z in [Lo, Hi].
//
// Both read z as the exact integer it stands for only when the public
// description bounds that integer far below the field (desc.Public.Bounds).
package relu

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/lookup/logderivlookup"

	"github.com/zkeval/zkeval/circuits/internal/fieldint"
	"github.com/zkeval/zkeval/desc"
)

// Hints returns the gadget's hints, for registration with
// solver.RegisterHint; circuits.RegisterHints registers every gadget's
// hints in one place.
func Hints() []solver.Hint { return []solver.Hint{SignHint} }

// Range returns max(z, 0) for every value of z ([n][width]) and enforces
// |z| < 2^bits. Per value: a hinted s with s·(1-s) = 0, h = s·z, and a
// range check 0 <= 2h - z < 2^bits, which forces s = 1 when z > 0 and
// s = 0 when z < 0. Cost: 2 constraints plus one range check of bits.
func Range(api frontend.API, rc frontend.Rangechecker, z [][]frontend.Variable, bits int) [][]frontend.Variable {
	h := make([][]frontend.Variable, len(z))
	for s, zs := range z {
		sign, err := api.Compiler().NewHint(SignHint, len(zs), zs...)
		if err != nil {
			panic(err)
		}
		h[s] = make([]frontend.Variable, len(zs))
		for i := range zs {
			api.AssertIsBoolean(sign[i])
			h[s][i] = api.Mul(sign[i], zs[i])
			rc.Check(api.Sub(api.Mul(h[s][i], 2), zs[i]), bits)
		}
	}
	return h
}

// NewTable returns the constant table T[i] = max(i + r.Lo, 0) for i in
// [0, r.Hi - r.Lo]. Create it before the circuit's first multicommit call,
// so that its deferred argument joins the circuit's single commitment.
func NewTable(api frontend.API, r desc.Range) logderivlookup.Table {
	t := logderivlookup.New(api)
	for v := r.Lo; v <= r.Hi; v++ {
		t.Insert(max(v, 0))
	}
	return t
}

// Lookup returns max(z, 0) for every value of z by looking up z - r.Lo in
// t, a table of NewTable(api, r). A query succeeds only when z lies in
// [r.Lo, r.Hi], and the result is the table's entry, so the bound comes
// with the lookup. Cost: 2 constraints per value plus one per entry of the
// table.
func Lookup(api frontend.API, t logderivlookup.Table, z [][]frontend.Variable, r desc.Range) [][]frontend.Variable {
	h := make([][]frontend.Variable, len(z))
	for s, zs := range z {
		inds := make([]frontend.Variable, len(zs))
		for i, v := range zs {
			inds[i] = api.Sub(v, r.Lo)
		}
		h[s] = t.Lookup(inds...)
	}
	return h
}

// SignHint outputs, for each input z, 1 if z > 0 (as a signed integer)
// and 0 otherwise. The circuit checks each output (see Range).
func SignHint(field *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) != len(outputs) {
		return errors.New("relu hint: inputs and outputs differ in length")
	}
	for i, z := range inputs {
		v, err := fieldint.ToSigned(field, z)
		if err != nil {
			return fmt.Errorf("relu hint: input %d: %w", i, err)
		}
		if v > 0 {
			outputs[i].SetInt64(1)
		} else {
			outputs[i].SetInt64(0)
		}
	}
	return nil
}
