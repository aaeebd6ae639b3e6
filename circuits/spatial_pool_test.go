package circuits

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/stretchr/testify/require"
	"github.com/zkeval/zkeval/circuits/rangecheck"

	"github.com/zkeval/zkeval/circuits/internal/fieldint"
	"github.com/zkeval/zkeval/circuits/internal/gadgettest"
	"github.com/zkeval/zkeval/circuits/pool"
	"github.com/zkeval/zkeval/circuits/relu"
	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/model"
)

// A convolution's raw accumulators [1][3][3] under a max pool with 2x2
// windows, stride 2, padded one row and column at the end: four windows of
// 4, 2, 2 and 1 inputs (x0 x1 x3 x4; x2 x5; x6 x7; x8).
var (
	prIn  = model.Dims{C: 1, H: 3, W: 3}
	prWin = model.Window{KH: 2, KW: 2, SH: 2, SW: 2, PadBottom: 1, PadRight: 1}
)

// poolReLUCircuit is maxPoolReLU at the convolution bound Bits, its outputs
// public.
type poolReLUCircuit struct {
	Bits int `gnark:"-"`
	X    [9]frontend.Variable
	H    [4]frontend.Variable `gnark:",public"`
}

func (c *poolReLUCircuit) Define(api frontend.API) error {
	h := maxPoolReLU(api, rangecheck.New(api, 4), [][]frontend.Variable{c.X[:]}, prIn, prWin, c.Bits)
	for k := range c.H {
		api.AssertIsEqual(h[0][k], c.H[k])
	}
	return nil
}

func feBig(v *big.Int) *big.Int {
	return new(big.Int).Mod(v, ecc.BN254.ScalarField())
}

func poolReLUAssign(bits int, x [9]*big.Int, h [4]*big.Int) *poolReLUCircuit {
	c := &poolReLUCircuit{Bits: bits}
	for i, v := range x {
		c.X[i] = feBig(v)
	}
	for k, v := range h {
		c.H[k] = feBig(v)
	}
	return c
}

func bigs[T int64 | int](v ...T) []*big.Int {
	r := make([]*big.Int, len(v))
	for i, x := range v {
		r[i] = big.NewInt(int64(x))
	}
	return r
}

func prAssign(bits int, x [9]int64, h [4]int64) *poolReLUCircuit {
	return poolReLUAssign(bits, [9]*big.Int(bigs(x[:]...)), [4]*big.Int(bigs(h[:]...)))
}

// nativeReLUMax is the native order: the convolution's ReLU, then
// model's max pooling.
func nativeReLUMax(t *testing.T, x [9]int64) [4]int64 {
	t.Helper()
	var r [9]int64
	for i, v := range x {
		r[i] = max(v, 0)
	}
	l := model.SpatialLayer{Kind: model.KindMaxPool, In: prIn, Window: prWin}
	m := &model.Model{Name: "t", InputSize: 9, InputScale: 1, ScaleBits: 1, Input: &prIn, Spatial: []model.SpatialLayer{l}}
	out, err := m.EvalSpatial(r[:])
	require.NoError(t, err)
	return [4]int64(out)
}

// TestMaxPoolReLU: pooling the raw accumulators then applying the ReLU
// gives the native ReLU-then-pool outputs, including a window of one input
// and windows whose inputs are all negative; a wrong output, a maximum one
// past the bound k (either sign) and an accumulator one past the
// difference bound 2^(k+1) below its window's maximum fail.
func TestMaxPoolReLU(t *testing.T) {
	const k = 8
	x := [9]int64{-255, 255, 7, 3, -9, -7, -1, -5, -200}
	h := nativeReLUMax(t, x)
	require.Equal(t, [4]int64{255, 7, 0, 0}, h)
	// The circuit's bound on an accumulator a window reads is its maximum
	// less 2^(k+1)−1: 255 − 511 = −256, past the honest |a| < 2^k but
	// bounded all the same.
	wide := x
	wide[4] = 255 - (1<<(k+1) - 1)
	gadgettest.Valid(t, &poolReLUCircuit{Bits: k},
		prAssign(k, x, h),
		prAssign(k, wide, nativeReLUMax(t, wide)),
		prAssign(k, [9]int64{-3, -3, -3, -3, -3, -3, -3, -3, -255}, [4]int64{}),
		prAssign(k, [9]int64{0, 0, 0, 0, 0, 0, 0, 0, 255}, [4]int64{0, 0, 0, 255}))
	gadgettest.Invalid(t, &poolReLUCircuit{Bits: k},
		// Not relu(max): the ReLU of another input, a value above every
		// input, the negative maximum itself instead of 0.
		prAssign(k, x, [4]int64{3, 7, 0, 0}),
		prAssign(k, x, [4]int64{255, 8, 0, 0}),
		prAssign(k, x, [4]int64{255, 7, -1, 0}),
		// One past the bound: a window's maximum 2^k, or −2^k (the ReLU's
		// |M| < 2^k), and an accumulator 2^(k+1) below its window's
		// maximum (the pool's difference on k+1 bits).
		prAssign(k, [9]int64{0, 0, 0, 0, 0, 0, 0, 0, 256}, [4]int64{0, 0, 0, 256}),
		prAssign(k, [9]int64{0, 0, 0, 0, 0, 0, 0, 0, -256}, [4]int64{}),
		prAssign(k, [9]int64{-255, 255, 7, 3, 255 - 1<<(k+1), -7, -1, -5, -200}, h),
	)
}

// poolReLUTamper solves x under bound k with the hint of each case
// replaced, the public outputs h following the tampered hint, and
// requires both the test engine and the compiled R1CS to refuse it.
func poolReLUTamper(t *testing.T, k int, x [9]*big.Int, cases map[string]struct {
	o gadgettest.Override
	h [4]*big.Int
}) {
	t.Helper()
	for name, tc := range cases {
		e, s := gadgettest.Solve(t, &poolReLUCircuit{Bits: k}, poolReLUAssign(k, x, tc.h), tc.o)
		if e == nil || s == nil {
			t.Errorf("%s accepted: engine %v, solver %v", name, e, s)
		}
	}
}

// editMax returns MaxHint with output j changed by f.
func editMax(j int, f func(fl, m *big.Int)) solver.Hint {
	return func(fl *big.Int, in, out []*big.Int) error {
		if err := pool.MaxHint(fl, in, out); err != nil {
			return err
		}
		f(fl, out[j])
		return nil
	}
}

// setTo sets a hinted value to v.
func setTo(v int64) func(fl, m *big.Int) {
	return func(fl, m *big.Int) { fieldint.FromSigned(fl, v, m) }
}

// TestMaxPoolReLUTamperedHints: a tampered pooled maximum (a smaller
// input, one more than the maximum, the maximum wrapped below by the
// difference width or by 2^200, a smaller negative input whose ReLU is the
// same 0) and a tampered ReLU sign on a pooled value are each refused by
// the gadget's constraints (the public outputs follow the tampered hint).
func TestMaxPoolReLUTamperedHints(t *testing.T) {
	const k = 8
	x := [9]*big.Int(bigs[int64](-255, 255, 7, 3, -9, -7, -1, -5, -200))
	h := func(v ...int64) [4]*big.Int { return [4]*big.Int(bigs(v...)) }
	flipSign := func(j int, v int64) solver.Hint {
		return func(fl *big.Int, in, out []*big.Int) error {
			if err := relu.SignHint(fl, in, out); err != nil {
				return err
			}
			out[j].SetInt64(v)
			return nil
		}
	}
	wrap := func(by *big.Int) func(fl, m *big.Int) {
		return func(fl, m *big.Int) { m.Sub(m, by).Mod(m, fl) }
	}
	type tc = struct {
		o gadgettest.Override
		h [4]*big.Int
	}
	poolReLUTamper(t, k, x, map[string]tc{
		"maximum a smaller input": {gadgettest.Override{Of: pool.MaxHint, Evil: editMax(0, setTo(-9))}, h(0, 7, 0, 0)},
		"maximum+1":               {gadgettest.Override{Of: pool.MaxHint, Evil: editMax(1, func(_, m *big.Int) { m.Add(m, big.NewInt(1)) })}, h(255, 8, 0, 0)},
		"maximum wrapped below by 2^(k+1)": {gadgettest.Override{Of: pool.MaxHint, Evil: editMax(1, wrap(big.NewInt(1<<(k+1))))},
			[4]*big.Int{big.NewInt(255), big.NewInt(0), big.NewInt(0), big.NewInt(0)}},
		"maximum wrapped below by 2^200": {gadgettest.Override{Of: pool.MaxHint, Evil: editMax(1, wrap(new(big.Int).Lsh(big.NewInt(1), 200)))}, h(255, 0, 0, 0)},
		// −5 is an input of window 2 (max −1): its ReLU is 0 as well, so
		// only the pool's difference check refuses it.
		"negative maximum a smaller input": {gadgettest.Override{Of: pool.MaxHint, Evil: editMax(2, setTo(-5))}, h(255, 7, 0, 0)},
		// The pooled values are 255, 7, −1, −200: the ReLU's sign hint
		// sees only them.
		"relu sign of a positive pooled value": {gadgettest.Override{Of: relu.SignHint, Evil: flipSign(1, 0)}, h(255, 0, 0, 0)},
		"relu sign of a negative pooled value": {gadgettest.Override{Of: relu.SignHint, Evil: flipSign(2, 1)}, h(255, 7, -1, 0)},
	})
}

// TestMaxPoolReLUWidestBound: at the widest bound a description may
// declare (k = MaxAccBits, differences on k+1 bits), an accumulator of
// 2^200 (far past k, as a convolution's worst case may be) hidden behind a
// hinted maximum of 5, another input of its window, is refused: the
// difference 5 − 2^200 wraps to a field element near p, far above
// 2^(k+1), whatever k the description declares. The bound's own edge:
// a maximum of 2^k − 1 passes, 2^k fails.
func TestMaxPoolReLUWidestBound(t *testing.T) {
	k := desc.MaxAccBits
	x := [9]*big.Int(bigs[int64](3, 5, 1, 2, 3, 0, -3, -1, 4))
	h := [4]*big.Int(bigs[int64](5, 1, 0, 4))
	// The hint's maxima, fixed (pool.MaxHint reads int64 inputs only).
	fixed := gadgettest.Override{Of: pool.MaxHint, Evil: func(fl *big.Int, _, out []*big.Int) error {
		for j, v := range []int64{5, 1, -1, 4} {
			fieldint.FromSigned(fl, v, out[j])
		}
		return nil
	}}
	// Control: with x0 = 3 the fixed maxima are the honest ones.
	e, s := gadgettest.Solve(t, &poolReLUCircuit{Bits: k}, poolReLUAssign(k, x, h), fixed)
	require.NoError(t, e)
	require.NoError(t, s)
	x[0] = new(big.Int).Lsh(big.NewInt(1), 200)
	e, s = gadgettest.Solve(t, &poolReLUCircuit{Bits: k}, poolReLUAssign(k, x, h), fixed)
	if e == nil || s == nil {
		t.Errorf("a maximum below an input of its window accepted at the widest bound: engine %v, solver %v", e, s)
	}
	top := new(big.Int).Lsh(big.NewInt(1), uint(k))
	x[0] = new(big.Int).Sub(top, big.NewInt(1))
	gadgettest.Valid(t, &poolReLUCircuit{Bits: k}, poolReLUAssign(k, x, [4]*big.Int{x[0], big.NewInt(1), big.NewInt(0), big.NewInt(4)}))
	x[0] = top
	gadgettest.Invalid(t, &poolReLUCircuit{Bits: k}, poolReLUAssign(k, x, [4]*big.Int{x[0], big.NewInt(1), big.NewInt(0), big.NewInt(4)}))
}
