package rangecheck_test

import (
	"errors"
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/zkeval/zkeval/circuits/internal/gadgettest"
	"github.com/zkeval/zkeval/circuits/rangecheck"
)

const base = 4

func init() { solver.RegisterHint(rangecheck.Hints()...) }

// circuit checks A on 4 bits (one limb), B on 3 (a narrower table), C on
// 10 (limbs 4, 4 and a top limb of 2 bits), D on 9 (top limb of 1 bit, a
// boolean) and the linear expression A + B on 5 (limbs of 4 and 1 bits).
type circuit struct {
	A, B, C, D frontend.Variable
}

func (c *circuit) Define(api frontend.API) error {
	rc := rangecheck.New(api, base)
	rc.Check(c.A, 4)
	rc.Check(c.B, 3)
	rc.Check(c.C, 10)
	rc.Check(c.D, 9)
	rc.Check(api.Add(c.A, c.B), 5)
	if rangecheck.New(api, base) != rc {
		return errors.New("a second New made a second checker")
	}
	return nil
}

func asg(a, b, c, d any) *circuit { return &circuit{A: a, B: b, C: c, D: d} }

func TestBounds(t *testing.T) {
	p := ecc.BN254.ScalarField()
	neg := func(v int64) *big.Int { return new(big.Int).Sub(p, big.NewInt(v)) }
	gadgettest.Valid(t, &circuit{},
		asg(0, 0, 0, 0),
		asg(15, 7, 1023, 511), // every value at its largest
		asg(9, 5, 600, 256),
	)
	gadgettest.Invalid(t, &circuit{},
		asg(16, 0, 0, 0),     // one past 4 bits
		asg(0, 8, 0, 0),      // one past 3 bits: the narrower table
		asg(0, 0, 1024, 0),   // one past 10 bits
		asg(0, 0, 0, 512),    // one past 9 bits: the boolean top limb
		asg(neg(1), 0, 0, 0), // -1
		asg(0, 0, neg(1), 0),
		asg(0, 0, 0, neg(1)),
		asg(0, 0, new(big.Int).Lsh(big.NewInt(1), 200), 0),
	)
}

// A tampered decomposition (a limb moved by 2^base, compensated in the
// next) or tampered counts are refused.
func TestTamperedHints(t *testing.T) {
	a := asg(3, 2, 600, 300)
	gadgettest.Tampered(t, &circuit{}, a, gadgettest.Override{Of: rangecheck.DecomposeHint,
		Evil: func(f *big.Int, in, out []*big.Int) error {
			if err := rangecheck.DecomposeHint(f, in, out); err != nil {
				return err
			}
			// Keep the sum: the low limb plus 2^base, the next one less 1.
			out[0].Add(out[0], big.NewInt(1<<base))
			out[1].Sub(out[1], big.NewInt(1))
			out[1].Mod(out[1], f)
			return nil
		}})
	gadgettest.Tampered(t, &circuit{}, a, gadgettest.Override{Of: rangecheck.DecomposeHint,
		Evil: func(f *big.Int, in, out []*big.Int) error {
			if err := rangecheck.DecomposeHint(f, in, out); err != nil {
				return err
			}
			// Keep the sum with a wrapped limb: the low limb less 2^base
			// (a field element near p), the next one plus 1.
			out[0].Sub(out[0], big.NewInt(1<<base)).Mod(out[0], f)
			out[1].Add(out[1], big.NewInt(1))
			return nil
		}})
	gadgettest.Tampered(t, &circuit{}, a, gadgettest.Override{Of: rangecheck.DecomposeHint,
		Evil: func(f *big.Int, in, out []*big.Int) error {
			if err := rangecheck.DecomposeHint(f, in, out); err != nil {
				return err
			}
			out[0].Add(out[0], big.NewInt(1)) // the sum is off by one
			return nil
		}})
	gadgettest.Tampered(t, &circuit{}, a, gadgettest.Override{Of: rangecheck.CountHint,
		Evil: func(f *big.Int, in, out []*big.Int) error {
			if err := rangecheck.CountHint(f, in, out); err != nil {
				return err
			}
			out[0].Add(out[0], big.NewInt(1)) // one more 0 than queried
			return nil
		}})
}

// An out-of-range value with the counts forged to balance the identity
// (the hint's refusal bypassed) is still refused by the argument.
func TestOutOfRangeWithForgedCounts(t *testing.T) {
	a := asg(16, 2, 600, 300)
	e, s := gadgettest.Solve(t, &circuit{}, a, gadgettest.Override{Of: rangecheck.CountHint,
		Evil: func(f *big.Int, in, out []*big.Int) error {
			for i := range out {
				out[i].SetInt64(0)
			}
			for _, q := range in[1:] {
				if q.IsInt64() && q.Int64() < int64(len(out)) {
					out[q.Int64()].Add(out[q.Int64()], big.NewInt(1))
				} else {
					out[0].Add(out[0], big.NewInt(1)) // count the stray value as a 0
				}
			}
			return nil
		}})
	if e == nil || s == nil {
		t.Fatalf("a 5-bit value passed a 4-bit check with forged counts: engine %v, solver %v", e, s)
	}
}

// Cost matches the compiled circuit: the checks' constraints are the
// difference between the circuit and one without checks.
func TestCost(t *testing.T) {
	field := ecc.BN254.ScalarField()
	full, err := frontend.Compile(field, r1cs.NewBuilder, &circuit{})
	if err != nil {
		t.Fatal(err)
	}
	none, err := frontend.Compile(field, r1cs.NewBuilder, &empty{})
	if err != nil {
		t.Fatal(err)
	}
	// 4 bits and the 5-bit sum (widths 4 and 5), 3 bits, 10 and 9 bits.
	want := rangecheck.Cost(base, map[int]int64{4: 1, 5: 1, 3: 1, 10: 1, 9: 1})
	// The commitment itself adds a fixed few (its mask and the challenge's
	// hash-to-field): measure it with a one-check circuit of a known cost.
	one, err := frontend.Compile(field, r1cs.NewBuilder, &single{})
	if err != nil {
		t.Fatal(err)
	}
	fixed := int64(one.GetNbConstraints()-none.GetNbConstraints()) - rangecheck.Cost(base, map[int]int64{4: 1})
	got := int64(full.GetNbConstraints()-none.GetNbConstraints()) - fixed
	if got != want {
		t.Errorf("the checks cost %d constraints, Cost says %d", got, want)
	}
	// Per the package doc: tables of 4 bits (17), 3 bits (9) and 2 bits
	// (5); one query each for A and B; A+B: a limb of 4 bits, a boolean and
	// its recomposition (3); C: 3 limbs (4, 4, 2 bits) and its
	// recomposition (4); D: 2 limbs of 4 bits, a boolean and its
	// recomposition (4).
	if doc := int64(17 + 9 + 5 + 1 + 1 + 3 + 4 + 4); want != doc {
		t.Errorf("Cost = %d, the documented model gives %d", want, doc)
	}
}

type empty struct{ A, B, C, D frontend.Variable }

func (c *empty) Define(api frontend.API) error {
	api.AssertIsEqual(c.A, c.A)
	return nil
}

type single struct{ A, B, C, D frontend.Variable }

func (c *single) Define(api frontend.API) error {
	rangecheck.New(api, base).Check(c.A, 4)
	return nil
}
