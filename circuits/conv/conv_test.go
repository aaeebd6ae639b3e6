package conv_test

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"

	"github.com/zkeval/zkeval/circuits/conv"
	"github.com/zkeval/zkeval/circuits/internal/fieldint"
	"github.com/zkeval/zkeval/circuits/internal/gadgettest"
	"github.com/zkeval/zkeval/model"
)

// A 2-channel 3x3 input, two 2x2 kernels, stride 1, padded one row on top
// and one column on the right: output [2][3][3].
var (
	in  = model.Dims{C: 2, H: 3, W: 3}
	win = model.Window{KH: 2, KW: 2, SH: 1, SW: 1, PadTop: 1, PadRight: 1}
	w   = [][]int64{{3, -1, 4, 1, -5, 9, 2, -6}, {5, 3, -5, 8, 9, -7, 9, 3}}
	b   = []int64{6, -5}
	x   = [][]int64{
		{1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 255, -3, 7, 1, 1, 2, 200, 5},
		{-4, 0, 7, 128, 0, 0, 3, 3, 3, 9, 8, 7, 6, 5, 4, 3, 2, 1},
	}
)

const nOut = 18

type convCircuit struct {
	W      [2][8]frontend.Variable
	B      [2]frontend.Variable
	X      [2][18]frontend.Variable
	Acc    [2][nOut]frontend.Variable `gnark:",public"`
	constX bool
}

func (c *convCircuit) Define(api frontend.API) error {
	ws := [][]frontend.Variable{c.W[0][:], c.W[1][:]}
	a := make([][]frontend.Variable, 2)
	for s := range a {
		if c.constX {
			a[s] = make([]frontend.Variable, 18)
			for i, v := range x[s] {
				a[s][i] = v
			}
		} else {
			a[s] = c.X[s][:]
		}
	}
	acc := conv.Conv2D(api, ws, c.B[:], a, in, win)
	for s := range acc {
		for k := range acc[s] {
			api.AssertIsEqual(acc[s][k], c.Acc[s][k])
		}
	}
	return nil
}

func fe(v int64) *big.Int {
	r := new(big.Int)
	fieldint.FromSigned(ecc.BN254.ScalarField(), v, r)
	return r
}

// assignment returns the witness with the true accumulators (those of
// model's native evaluation) plus delta at sample ds, index dk.
func assignment(ds, dk int, delta int64) *convCircuit {
	c := &convCircuit{}
	l := model.SpatialLayer{Kind: model.KindConv2D, In: in, Window: win, OutC: 2, W: w, B: b}
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
		acc := l.Accumulate(x[s])
		if len(acc) != nOut {
			panic("output size")
		}
		for k, v := range acc {
			if s == ds && k == dk {
				v += delta
			}
			c.Acc[s][k] = fe(v)
		}
	}
	return c
}

func TestConv2D(t *testing.T) {
	// One accumulator by hand: sample 0, channel 1, position (0, 0): the
	// kernel's top row falls in the padding, its bottom row reads input
	// row 0, columns 0 and 1 of both channels.
	l := model.SpatialLayer{Kind: model.KindConv2D, In: in, Window: win, OutC: 2, W: w, B: b}
	acc := l.Accumulate(x[0])
	if want := int64(-5 + (-5)*1 + 8*2 + 9*0 + 3*255); acc[9] != want {
		t.Fatalf("acc[1][0][0] = %d, want %d", acc[9], want)
	}
	for name, c := range map[string]*convCircuit{"variable inputs": {}, "constant inputs": {constX: true}} {
		t.Run(name, func(t *testing.T) {
			gadgettest.Valid(t, c, assignment(-1, 0, 0))
			gadgettest.Invalid(t, c, assignment(0, 0, 1), assignment(1, 17, -1), assignment(1, 9, 1<<40))
		})
	}
}

// TestConv2DTamperedHint: a hint whose accumulators are off by one, or
// whose output channels are swapped, is caught, whatever the public Acc says
// (it follows the tampered hint here).
func TestConv2DTamperedHint(t *testing.T) {
	offByOne := func(f *big.Int, inp, out []*big.Int) error {
		if err := conv.Hint(f, inp, out); err != nil {
			return err
		}
		out[len(out)-1].Add(out[len(out)-1], big.NewInt(1))
		return nil
	}
	swapped := func(f *big.Int, inp, out []*big.Int) error {
		if err := conv.Hint(f, inp, out); err != nil {
			return err
		}
		for k := 0; k < 9; k++ {
			out[k], out[9+k] = out[9+k], out[k]
		}
		return nil
	}
	for name, c := range map[string]*convCircuit{"variable inputs": {}, "constant inputs": {constX: true}} {
		t.Run(name, func(t *testing.T) {
			e, s := gadgettest.Solve(t, c, assignment(1, nOut-1, 1), gadgettest.Override{Of: conv.Hint, Evil: offByOne})
			if e == nil || s == nil {
				t.Errorf("off-by-one accumulator accepted: engine %v, solver %v", e, s)
			}
			sw := assignment(-1, 0, 0)
			for k := 0; k < 9; k++ {
				sw.Acc[0][k], sw.Acc[0][9+k] = sw.Acc[0][9+k], sw.Acc[0][k]
			}
			e, s = gadgettest.Solve(t, c, sw, gadgettest.Override{Of: conv.Hint, Evil: swapped})
			if e == nil || s == nil {
				t.Errorf("swapped channels accepted: engine %v, solver %v", e, s)
			}
		})
	}
}

func init() { solver.RegisterHint(conv.Hints()...) }
