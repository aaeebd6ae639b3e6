package freivalds_test

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"

	"github.com/zkeval/zkeval/circuits/freivalds"
	"github.com/zkeval/zkeval/circuits/internal/fieldint"
	"github.com/zkeval/zkeval/circuits/internal/gadgettest"
)

// denseCircuit computes freivalds.Dense over secret weights W [2][3], B [2]
// and samples X [3][3] (variables, or the constants of constX), and
// asserts the products equal Acc.
type denseCircuit struct {
	W      [2][3]frontend.Variable
	B      [2]frontend.Variable
	X      [3][3]frontend.Variable
	Acc    [3][2]frontend.Variable `gnark:",public"`
	constX [][]int64
}

func (c *denseCircuit) Define(api frontend.API) error {
	w := [][]frontend.Variable{c.W[0][:], c.W[1][:]}
	a := make([][]frontend.Variable, 3)
	for s := range a {
		if c.constX != nil {
			a[s] = make([]frontend.Variable, 3)
			for i, v := range c.constX[s] {
				a[s][i] = v
			}
		} else {
			a[s] = c.X[s][:]
		}
	}
	acc := freivalds.Dense(api, w, c.B[:], a)
	for s := range acc {
		for o := range acc[s] {
			api.AssertIsEqual(acc[s][o], c.Acc[s][o])
		}
	}
	return nil
}

var (
	w = [2][3]int64{{3, -1, 4}, {-5, 9, 2}}
	b = [2]int64{6, -5}
	x = [][]int64{{1, 2, 3}, {-4, 0, 7}, {255, 128, 0}}
)

func fe(v int64) *big.Int {
	r := new(big.Int)
	fieldint.FromSigned(ecc.BN254.ScalarField(), v, r)
	return r
}

// assignment returns the witness with the true products plus delta at
// sample ds, output do.
func assignment(ds, do int, delta int64) *denseCircuit {
	c := &denseCircuit{}
	for o := range w {
		for i := range w[o] {
			c.W[o][i] = fe(w[o][i])
		}
		c.B[o] = fe(b[o])
	}
	for s := range x {
		for i := range x[s] {
			c.X[s][i] = fe(x[s][i])
		}
		for o := range w {
			acc := b[o]
			for i := range x[s] {
				acc += w[o][i] * x[s][i]
			}
			if s == ds && o == do {
				acc += delta
			}
			c.Acc[s][o] = fe(acc)
		}
	}
	return c
}

func TestDense(t *testing.T) {
	for name, c := range map[string]*denseCircuit{"variable samples": {}, "constant samples": {constX: x}} {
		t.Run(name, func(t *testing.T) {
			gadgettest.Valid(t, c, assignment(0, 0, 0))
			gadgettest.Invalid(t, c, assignment(0, 0, 1), assignment(2, 1, -1))
		})
	}
}

// TestDenseTamperedHint: a hint whose products are off by one, or whose
// samples are swapped, is caught by the check, whatever the public Acc
// says (it follows the tampered hint here).
func TestDenseTamperedHint(t *testing.T) {
	offByOne := func(f *big.Int, in, out []*big.Int) error {
		if err := freivalds.DenseHint(f, in, out); err != nil {
			return err
		}
		out[len(out)-1].Add(out[len(out)-1], big.NewInt(1))
		return nil
	}
	swapped := func(f *big.Int, in, out []*big.Int) error {
		if err := freivalds.DenseHint(f, in, out); err != nil {
			return err
		}
		out[0], out[2] = out[2], out[0]
		out[1], out[3] = out[3], out[1]
		return nil
	}
	for name, c := range map[string]*denseCircuit{"variable samples": {}, "constant samples": {constX: x}} {
		t.Run(name, func(t *testing.T) {
			e, s := gadgettest.Solve(t, c, assignment(2, 1, 1), gadgettest.Override{Of: freivalds.DenseHint, Evil: offByOne})
			if e == nil || s == nil {
				t.Errorf("off-by-one product accepted: engine %v, solver %v", e, s)
			}
			sw := assignment(0, 0, 0)
			sw.Acc[0], sw.Acc[1] = sw.Acc[1], sw.Acc[0]
			e, s = gadgettest.Solve(t, c, sw, gadgettest.Override{Of: freivalds.DenseHint, Evil: swapped})
			if e == nil || s == nil {
				t.Errorf("swapped samples accepted: engine %v, solver %v", e, s)
			}
		})
	}
	// The copy hint that keeps the constant-sample check short.
	copyEvil := func(f *big.Int, in, out []*big.Int) error {
		if err := freivalds.CopyHint(f, in, out); err != nil {
			return err
		}
		out[0].Add(out[0], big.NewInt(1))
		return nil
	}
	// gnark's test engine sees no constants, so only the compiled circuit
	// takes the constant-sample path that uses it.
	if _, s := gadgettest.Solve(t, &denseCircuit{constX: x}, assignment(0, 0, 0), gadgettest.Override{Of: freivalds.CopyHint, Evil: copyEvil}); s == nil {
		t.Error("R1CS solver accepted a tampered copy")
	}
}

func init() { solver.RegisterHint(freivalds.Hints()...) }
