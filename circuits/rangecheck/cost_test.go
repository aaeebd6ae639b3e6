package rangecheck_test

import (
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/zkeval/zkeval/circuits/rangecheck"
)

type costCircuit struct {
	V      []frontend.Variable
	widths []int
	base   int
}

func (c *costCircuit) Define(api frontend.API) error {
	rc := rangecheck.New(api, c.base)
	for i, v := range c.V {
		rc.Check(v, c.widths[i])
	}
	return nil
}

// TestCostMatches compares Cost with the compiled R1CS (minus the
// commitment's own constraints: measured on an empty-check circuit... the
// multicommit adds 1 mask constraint).
func TestCostMatches(t *testing.T) {
	for _, tc := range []struct {
		base   int
		counts map[int]int64
	}{
		{4, map[int]int64{4: 10}},
		{4, map[int]int64{3: 7, 10: 5, 9: 3}},
		{6, map[int]int64{2: 1, 13: 4, 12: 9, 1: 3}},
		{8, map[int]int64{16: 20, 17: 2, 8: 3, 5: 1}},
	} {
		c := &costCircuit{base: tc.base}
		for w, n := range tc.counts {
			for range n {
				c.widths = append(c.widths, w)
				c.V = append(c.V, nil)
			}
		}
		cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, c)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("base %d counts %v: compiled %d constraints, Cost %d", tc.base, tc.counts, cs.GetNbConstraints(), rangecheck.Cost(tc.base, tc.counts))
	}
}
