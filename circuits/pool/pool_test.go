package pool_test

import (
	"fmt"
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/stretchr/testify/assert"
	"github.com/zkeval/zkeval/circuits/rangecheck"

	"github.com/zkeval/zkeval/circuits/internal/fieldint"
	"github.com/zkeval/zkeval/circuits/internal/gadgettest"
	"github.com/zkeval/zkeval/circuits/pool"
	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/model"
)

const bits = 8

// A [1][3][3] input, 2x2 windows, stride 2, padded one row and column at the
// end: four windows of 4, 2, 2 and 1 inputs.
var (
	in  = model.Dims{C: 1, H: 3, W: 3}
	win = model.Window{KH: 2, KW: 2, SH: 2, SW: 2, PadBottom: 1, PadRight: 1}
)

type maxCircuit struct {
	X [9]frontend.Variable
	M [4]frontend.Variable `gnark:",public"`
}

func (c *maxCircuit) Define(api frontend.API) error {
	// Inputs within [−2^8, 2^8): differences below 2^9.
	m := pool.Max(api, rangecheck.New(api, 4), [][]frontend.Variable{c.X[:]}, in, win, bits+1)
	for k := range c.M {
		api.AssertIsEqual(m[0][k], c.M[k])
	}
	return nil
}

func fe(v int64) *big.Int {
	r := new(big.Int)
	fieldint.FromSigned(ecc.BN254.ScalarField(), v, r)
	return r
}

func assign(x [9]int64, m [4]int64) *maxCircuit {
	c := &maxCircuit{}
	for i, v := range x {
		c.X[i] = fe(v)
	}
	for k, v := range m {
		c.M[k] = fe(v)
	}
	return c
}

// nativeMax is model's max pooling of x.
func nativeMax(x [9]int64) [4]int64 {
	l := model.SpatialLayer{Kind: model.KindMaxPool, In: in, Window: win}
	m := &model.Model{Name: "t", InputSize: 9, InputScale: 1, ScaleBits: 1, Input: &in, Spatial: []model.SpatialLayer{l}}
	tr, err := m.EvalSpatial(x[:])
	if err != nil {
		panic(err)
	}
	return [4]int64(tr)
}

func TestMax(t *testing.T) {
	// Window 0 reads x0, x1, x3, x4; window 1 x2, x5; window 2 x6, x7;
	// window 3 x8. The bound's extremes −2^8 and 2^8−1 share window 0.
	x := [9]int64{-256, 255, 7, 3, -9, -7, 0, 0, -1}
	m := nativeMax(x)
	if m != [4]int64{255, 7, 0, -1} {
		t.Fatalf("native max pooling %v", m)
	}
	gadgettest.Valid(t, &maxCircuit{}, assign(x, m), assign([9]int64{-3, -3, -3, -3, -3, -3, -3, -3, -3}, [4]int64{-3, -3, -3, -3}))
	gadgettest.Invalid(t, &maxCircuit{},
		// Not the maximum: another input of the window, or a value above
		// every input.
		assign(x, [4]int64{3, 7, 0, -1}),
		assign(x, [4]int64{255, 8, 0, -1}),
		assign(x, [4]int64{255, 7, 0, 0}),
		// One past the bound: the difference 255 − (−257) needs 10 bits.
		assign([9]int64{-257, 255, 7, 3, -9, -7, 0, 0, -1}, m),
	)
}

// TestMaxTamperedHint: a hint that returns a smaller input of the window,
// or one more than the maximum, fails whatever the public M says (it follows
// the hint here).
func TestMaxTamperedHint(t *testing.T) {
	x := [9]int64{-256, 255, 7, 3, -9, -7, 0, 0, -1}
	second := func(f *big.Int, inp, out []*big.Int) error {
		if err := pool.MaxHint(f, inp, out); err != nil {
			return err
		}
		out[0].Set(inp[4]) // x4 = −9, an input of window 0 but not its maximum
		return nil
	}
	plusOne := func(f *big.Int, inp, out []*big.Int) error {
		if err := pool.MaxHint(f, inp, out); err != nil {
			return err
		}
		out[1].Add(out[1], big.NewInt(1))
		return nil
	}
	// The maximum minus 2^9, the width of the difference checks: each
	// difference m − x is then negative and wraps to a field element near
	// p, which the range checks refuse.
	wrapped := func(f *big.Int, inp, out []*big.Int) error {
		if err := pool.MaxHint(f, inp, out); err != nil {
			return err
		}
		out[0].Sub(out[0], big.NewInt(1<<(bits+1))).Mod(out[0], f)
		return nil
	}
	for name, tc := range map[string]struct {
		evil solver.Hint
		m    [4]int64
	}{
		"smaller input":     {second, [4]int64{-9, 7, 0, -1}},
		"above every input": {plusOne, [4]int64{255, 8, 0, -1}},
		"wrapped below":     {wrapped, [4]int64{255 - 1<<(bits+1), 7, 0, -1}},
	} {
		e, s := gadgettest.Solve(t, &maxCircuit{}, assign(x, tc.m), gadgettest.Override{Of: pool.MaxHint, Evil: tc.evil})
		if e == nil || s == nil {
			t.Errorf("%s accepted: engine %v, solver %v", name, e, s)
		}
	}
}

type wideCircuit struct {
	D int `gnark:"-"`
	X [9]frontend.Variable
}

func (c *wideCircuit) Define(api frontend.API) error {
	pool.Max(api, rangecheck.New(api, 4), [][]frontend.Variable{c.X[:]}, in, win, c.D)
	return nil
}

// TestMaxRefusesWideDifferences: a difference width past
// desc.MaxValueBits, where a negative difference of integers below
// 2^(MaxValueBits−2) could wrap into the checked range, or below 1, is
// refused when the circuit is built; MaxValueBits itself is accepted.
func TestMaxRefusesWideDifferences(t *testing.T) {
	compile := func(d int) (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("%v", r)
			}
		}()
		_, err = frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &wideCircuit{D: d})
		return err
	}
	for _, d := range []int{0, desc.MaxValueBits + 1, 253} {
		assert.ErrorContains(t, compile(d), fmt.Sprintf("pool: differences of %d bits, want [1, %d]", d, desc.MaxValueBits), "width %d", d)
	}
	assert.NoError(t, compile(desc.MaxValueBits))
}

type sumCircuit struct {
	X [9]frontend.Variable
	S [4]frontend.Variable `gnark:",public"`
}

func (c *sumCircuit) Define(api frontend.API) error {
	s := pool.Sum(api, [][]frontend.Variable{c.X[:]}, in, win, model.KindAvgPool)
	for k := range c.S {
		api.AssertIsEqual(s[0][k], c.S[k])
	}
	return nil
}

func TestSum(t *testing.T) {
	x := [9]int64{1, 2, 3, 4, 5, 6, 7, 8, 9}
	l := model.SpatialLayer{Kind: model.KindAvgPool, In: in, Window: win}
	m := &model.Model{Name: "t", InputSize: 9, InputScale: 1, ScaleBits: 1, Input: &in, Spatial: []model.SpatialLayer{l}}
	s, err := m.EvalSpatial(x[:])
	if err != nil {
		t.Fatal(err)
	}
	if [4]int64(s) != [4]int64{12, 9, 15, 9} {
		t.Fatalf("native sum pooling %v", s)
	}
	a := &sumCircuit{}
	for i, v := range x {
		a.X[i] = v
	}
	for k, v := range s {
		a.S[k] = v
	}
	gadgettest.Valid(t, &sumCircuit{}, a)
	bad := *a
	bad.S[3] = 10
	gadgettest.Invalid(t, &sumCircuit{}, &bad)
}

func init() {
	solver.RegisterHint(rangecheck.Hints()...)
	solver.RegisterHint(pool.Hints()...)
}
