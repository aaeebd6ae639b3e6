// Package activation is the gadget of the hidden activations other than
// ReLU (package model/activation gives their integer semantics):
//
//   - Table: a table activation (tanh, sigmoid, GELU, hard sigmoid, hard
//     swish). With shift s > 0, the index q = floor(acc/2^s) is hinted and
//     the remainder acc - q·2^s is range-checked in [0, 2^s) (a rescale
//     whose rounding is constrained); q - Lo is then looked up (a
//     log-derivative lookup, Haböck 2022, https://eprint.iacr.org/2022/1530;
//     gnark std/lookup/logderivlookup) in the constant table of
//     Entry(Lo..Hi). The lookup succeeds only for Lo <= q <= Hi, so it
//     bounds acc to [Lo·2^s, (Hi+1)·2^s) and its result is the entry.
//   - Leaky: LeakyRelu, out = acc for acc >= 0 and floor(acc·Alpha/2^16)
//     otherwise: the ReLU range gadget (package relu) gives h = max(acc, 0)
//     and enforces |acc| < 2^k; the negative part n = acc - h is scaled by
//     the constant Alpha, the quotient q = floor(n·Alpha/2^16) is hinted,
//     and the circuit checks 0 <= n·Alpha - q·2^16 < 2^16 and
//     -2^k <= q < 2^k; out = h + q.
//
// Both read acc as the exact integer it stands for only when the public
// description bounds it far below the field (desc.Public.Bounds): then
// the equalities modulo p between values of at most k+17 bits hold for
// integers, and the hinted quotient is the floor.
package activation

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/lookup/logderivlookup"

	"github.com/zkeval/zkeval/circuits/internal/fieldint"
	"github.com/zkeval/zkeval/circuits/relu"
	"github.com/zkeval/zkeval/desc"
	mact "github.com/zkeval/zkeval/model/activation"
)

// Hints returns the gadget's hints, for registration with
// solver.RegisterHint; circuits.RegisterHints registers every gadget's
// hints in one place.
func Hints() []solver.Hint { return []solver.Hint{FloorShiftHint} }

// NewTable returns the constant table of entries (Entry(Lo), ...,
// Entry(Hi), from mact.Spec.Table). Create it before the circuit's first
// multicommit call, so that its deferred argument joins the circuit's
// single commitment.
func NewTable(api frontend.API, entries []int64) logderivlookup.Table {
	t := logderivlookup.New(api)
	for _, v := range entries {
		t.Insert(v)
	}
	return t
}

// Table returns the activation of every accumulator of acc ([n][width]):
// the entry of q = floor(acc/2^shift) in t, a table of NewTable over the
// index range r. It enforces r.Lo·2^shift <= acc < (r.Hi+1)·2^shift.
// Cost per value: 2 constraints for the lookup, plus, with shift > 0, one
// range check of shift bits; plus one constraint per entry of the table.
func Table(api frontend.API, rc frontend.Rangechecker, t logderivlookup.Table, acc [][]frontend.Variable, shift int, r desc.Range) [][]frontend.Variable {
	out := make([][]frontend.Variable, len(acc))
	for s, zs := range acc {
		idx := make([]frontend.Variable, len(zs))
		q := zs
		if shift > 0 {
			in := append([]frontend.Variable{shift}, zs...)
			var err error
			q, err = api.Compiler().NewHint(FloorShiftHint, len(zs), in...)
			if err != nil {
				panic(err)
			}
			for i := range zs {
				rem := api.Sub(zs[i], api.Mul(q[i], new(big.Int).Lsh(big.NewInt(1), uint(shift))))
				rc.Check(rem, shift)
			}
		}
		for i := range zs {
			idx[i] = api.Sub(q[i], r.Lo)
		}
		out[s] = t.Lookup(idx...)
	}
	return out
}

// Leaky returns LeakyRelu of every accumulator of acc with slope
// alpha/2^mact.LeakyShift (0 <= alpha <= 2^16) and enforces |acc| < 2^bits
// (bits <= desc.MaxLeakyAccBits). Cost per value: the ReLU range gadget's
// 2 constraints and range check of bits, plus range checks of 16 and
// bits+1 bits.
func Leaky(api frontend.API, rc frontend.Rangechecker, acc [][]frontend.Variable, bits int, alpha int64) [][]frontend.Variable {
	h := relu.Range(api, rc, acc, bits)
	off := new(big.Int).Lsh(big.NewInt(1), uint(bits))
	unit := new(big.Int).Lsh(big.NewInt(1), mact.LeakyShift)
	out := make([][]frontend.Variable, len(acc))
	for s, zs := range acc {
		scaled := make([]frontend.Variable, len(zs))
		for i := range zs {
			scaled[i] = api.Mul(api.Sub(zs[i], h[s][i]), alpha)
		}
		in := append([]frontend.Variable{mact.LeakyShift}, scaled...)
		q, err := api.Compiler().NewHint(FloorShiftHint, len(zs), in...)
		if err != nil {
			panic(err)
		}
		out[s] = make([]frontend.Variable, len(zs))
		for i := range zs {
			rc.Check(api.Sub(scaled[i], api.Mul(q[i], unit)), mact.LeakyShift)
			rc.Check(api.Add(q[i], off), bits+1)
			out[s][i] = api.Add(h[s][i], q[i])
		}
	}
	return out
}

// FloorShiftHint outputs floor(v / 2^s) for each input v after the first,
// s, reading each as a signed integer. The circuit checks each output's
// remainder (see Table and Leaky).
func FloorShiftHint(field *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) != len(outputs)+1 {
		return errors.New("activation hint: want the shift and one input per output")
	}
	if !inputs[0].IsInt64() || inputs[0].Int64() < 0 || inputs[0].Int64() > 62 {
		return fmt.Errorf("activation hint: shift %s outside [0, 62]", inputs[0])
	}
	s := uint(inputs[0].Int64())
	for i, z := range inputs[1:] {
		v, err := fieldint.ToSigned(field, z)
		if err != nil {
			return fmt.Errorf("activation hint: input %d: %w", i, err)
		}
		fieldint.FromSigned(field, v>>s, outputs[i])
	}
	return nil
}
