package relu_test

import (
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/zkeval/zkeval/circuits/rangecheck"

	"github.com/zkeval/zkeval/circuits/internal/fieldint"
	"github.com/zkeval/zkeval/circuits/internal/gadgettest"
	"github.com/zkeval/zkeval/circuits/relu"
	"github.com/zkeval/zkeval/desc"
)

const bits = 10

// rangeCircuit computes relu.Range of Z and asserts it equals H.
type rangeCircuit struct {
	Z, H [5]frontend.Variable
}

func (c *rangeCircuit) Define(api frontend.API) error {
	h := relu.Range(api, rangecheck.New(api, 4), [][]frontend.Variable{c.Z[:]}, bits)
	for i := range c.H {
		api.AssertIsEqual(h[0][i], c.H[i])
	}
	return nil
}

// field returns the field elements of signed integers.
func field(vs ...int64) [5]frontend.Variable {
	var out [5]frontend.Variable
	for i, v := range vs {
		x := new(big.Int)
		fieldint.FromSigned(ecc.BN254.ScalarField(), v, x)
		out[i] = x
	}
	return out
}

func rangeAssign(z, h []int64) *rangeCircuit {
	return &rangeCircuit{Z: field(z...), H: field(h...)}
}

func TestRange(t *testing.T) {
	top := int64(1)<<bits - 1
	gadgettest.Valid(t, &rangeCircuit{},
		rangeAssign([]int64{5, -7, 0, top, -top}, []int64{5, 0, 0, top, 0}),
	)
	gadgettest.Invalid(t, &rangeCircuit{},
		// A wrong output (the identity instead of ReLU).
		rangeAssign([]int64{5, -7, 0, top, -top}, []int64{5, -7, 0, top, -top}),
		// One past the bound, on either side: |z| = 2^bits.
		rangeAssign([]int64{5, -7, 0, top + 1, -top}, []int64{5, 0, 0, top + 1, 0}),
		rangeAssign([]int64{5, -7, 0, top, -top - 1}, []int64{5, 0, 0, top, 0}),
	)
}

func TestRangeTamperedSign(t *testing.T) {
	honest := rangeAssign([]int64{5, -7, 0, 9, -3}, []int64{5, 0, 0, 9, 0})
	for name, flip := range map[string]func(i int, z int64, out *big.Int){
		"positive read as negative": func(i int, z int64, out *big.Int) {
			if z > 0 {
				out.SetInt64(0)
			}
		},
		"negative read as positive": func(i int, z int64, out *big.Int) {
			if z < 0 {
				out.SetInt64(1)
			}
		},
		"sign not a bit": func(i int, z int64, out *big.Int) {
			if i == 0 {
				out.SetInt64(2)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			evil := func(f *big.Int, in, out []*big.Int) error {
				if err := relu.SignHint(f, in, out); err != nil {
					return err
				}
				for i, v := range in {
					z, err := fieldint.ToSigned(f, v)
					if err != nil {
						return err
					}
					flip(i, z, out[i])
				}
				return nil
			}
			// The hinted sign is not an output of the circuit, so the
			// tampered sign must break a constraint whatever H says.
			gadgettest.Tampered(t, &rangeCircuit{}, honest, gadgettest.Override{Of: relu.SignHint, Evil: evil})
		})
	}
}

var table = desc.Range{Lo: -16, Hi: 15}

type lookupCircuit struct {
	Z, H [5]frontend.Variable
}

func (c *lookupCircuit) Define(api frontend.API) error {
	tb := relu.NewTable(api, table)
	h := relu.Lookup(api, tb, [][]frontend.Variable{c.Z[:]}, table)
	for i := range c.H {
		api.AssertIsEqual(h[0][i], c.H[i])
	}
	return nil
}

func lookupAssign(z, h []int64) *lookupCircuit {
	return &lookupCircuit{Z: field(z...), H: field(h...)}
}

func TestLookup(t *testing.T) {
	gadgettest.Valid(t, &lookupCircuit{},
		lookupAssign([]int64{5, -7, 0, 15, -16}, []int64{5, 0, 0, 15, 0}),
	)
	gadgettest.Invalid(t, &lookupCircuit{},
		lookupAssign([]int64{5, -7, 0, 15, -16}, []int64{5, -7, 0, 15, 0}), // wrong output
		lookupAssign([]int64{5, -7, 0, 16, -16}, []int64{5, 0, 0, 16, 0}),  // one past Hi
		lookupAssign([]int64{5, -7, 0, 15, -17}, []int64{5, 0, 0, 15, 0}),  // one past Lo
	)
}

// TestLookupTamperedMultiplicities replaces the multiplicities that the
// log-derivative argument's hint counts (gnark's logderivarg) with ones
// that move a query's count to another entry: the argument must refuse.
// (The looked-up values themselves come from a solver blueprint, not a
// hint; a wrong value in H is TestLookup's wrong output.)
func TestLookupTamperedMultiplicities(t *testing.T) {
	var count solver.Hint
	for _, h := range solver.GetRegisteredHints() {
		if strings.HasSuffix(solver.GetHintName(h), "logderivarg.countHint") {
			count = h
		}
	}
	if count == nil {
		t.Fatal("gnark's log-derivative count hint is not registered under the expected name")
	}
	evil := func(f *big.Int, in, out []*big.Int) error {
		if err := count(f, in, out); err != nil {
			return err
		}
		for i := range out {
			if out[i].Sign() > 0 {
				out[i].Sub(out[i], big.NewInt(1))
				out[(i+1)%len(out)].Add(out[(i+1)%len(out)], big.NewInt(1))
				return nil
			}
		}
		return nil
	}
	honest := lookupAssign([]int64{5, -7, 0, 15, -16}, []int64{5, 0, 0, 15, 0})
	if e, s := gadgettest.Solve(t, &lookupCircuit{}, honest); e != nil || s != nil {
		t.Fatalf("honest: %v %v", e, s)
	}
	if _, s := gadgettest.Solve(t, &lookupCircuit{}, honest, gadgettest.Override{Of: count, Evil: evil}); s == nil {
		t.Fatal("R1CS solver accepted tampered multiplicities")
	}
}

func init() {
	solver.RegisterHint(rangecheck.Hints()...)
	solver.RegisterHint(relu.Hints()...)
}

// spyTable records the indexes Lookup queries and returns them as the
// looked-up values.
type spyTable struct{ queried []frontend.Variable }

func (s *spyTable) Insert(frontend.Variable) int { return 0 }
func (s *spyTable) Lookup(inds ...frontend.Variable) []frontend.Variable {
	s.queried = append(s.queried, inds...)
	return inds
}

// spyCircuit checks that relu.Lookup queries the table at exactly z - Lo:
// the lookup argument bounds z only through that index, so an index
// computed any other way (a hint, say) would leave z unbounded.
type spyCircuit struct {
	Z [5]frontend.Variable
}

func (c *spyCircuit) Define(api frontend.API) error {
	spy := &spyTable{}
	h := relu.Lookup(api, spy, [][]frontend.Variable{c.Z[:]}, table)
	if len(spy.queried) != len(c.Z) {
		return fmt.Errorf("%d queries for %d values", len(spy.queried), len(c.Z))
	}
	for i := range c.Z {
		api.AssertIsEqual(spy.queried[i], api.Sub(c.Z[i], table.Lo))
		api.AssertIsEqual(h[0][i], spy.queried[i])
	}
	return nil
}

func TestLookupQueriesTheValue(t *testing.T) {
	// 1000 lies far outside the table: only the table's argument, queried
	// at z - Lo, refuses it in the real gadget.
	gadgettest.Valid(t, &spyCircuit{}, &spyCircuit{Z: field(5, -7, 0, 1000, -16)})
}
