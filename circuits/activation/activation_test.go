package activation_test

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/zkeval/zkeval/circuits/rangecheck"

	"github.com/zkeval/zkeval/circuits/activation"
	"github.com/zkeval/zkeval/circuits/internal/fieldint"
	"github.com/zkeval/zkeval/circuits/internal/gadgettest"
	"github.com/zkeval/zkeval/circuits/relu"
	"github.com/zkeval/zkeval/desc"
	mact "github.com/zkeval/zkeval/model/activation"
)

func init() {
	solver.RegisterHint(rangecheck.Hints()...)
	solver.RegisterHint(activation.Hints()...)
	solver.RegisterHint(relu.Hints()...)
}

// The test table: tanh with outputs at scale 2^4, accumulators at scale
// 2^5, indices floor(acc/2^shift) in [-4, 3].
var (
	scale   = big.NewInt(32)
	indices = desc.Range{Lo: -4, Hi: 3}
)

func spec(shift int) *mact.Spec { return &mact.Spec{Kind: mact.Tanh, OutBits: 4, Shift: shift} }

type tableCircuit struct {
	Z, H  [5]frontend.Variable
	shift int
}

func (c *tableCircuit) Define(api frontend.API) error {
	t := activation.NewTable(api, spec(c.shift).Table(indices.Lo, indices.Hi, scale))
	h := activation.Table(api, rangecheck.New(api, 4), t, [][]frontend.Variable{c.Z[:]}, c.shift, indices)
	for i := range c.H {
		api.AssertIsEqual(h[0][i], c.H[i])
	}
	return nil
}

func field(vs ...int64) [5]frontend.Variable {
	var out [5]frontend.Variable
	for i, v := range vs {
		x := new(big.Int)
		fieldint.FromSigned(ecc.BN254.ScalarField(), v, x)
		out[i] = x
	}
	return out
}

// tableAssign assigns z and the honest outputs (model/activation's).
func tableAssign(shift int, z ...int64) *tableCircuit {
	m := mact.NewMemo(spec(shift), scale)
	var h []int64
	for _, v := range z {
		h = append(h, m.Apply(v))
	}
	return &tableCircuit{Z: field(z...), H: field(h...), shift: shift}
}

func TestTable(t *testing.T) {
	for _, shift := range []int{0, 3} {
		lo, hi := indices.Lo<<shift, (indices.Hi+1)<<shift-1 // the accumulators accepted
		c := &tableCircuit{shift: shift}
		gadgettest.Valid(t, c, tableAssign(shift, lo, -1, 0, 2, hi))
		wrong := tableAssign(shift, lo, -1, 0, 2, hi)
		if shift == 0 {
			wrong.H[2] = 2
		} else {
			wrong.H[2] = 0
		}
		// One past the bound on either side: the honest output of the
		// next index does not exist in the table.
		pastHi := &tableCircuit{Z: field(lo, -1, 0, 2, hi+1), H: tableAssign(shift, lo, -1, 0, 2, hi).H, shift: shift}
		pastHi.H[4] = mact.NewMemo(spec(shift), scale).Apply(hi + 1)
		pastLo := &tableCircuit{Z: field(lo-1, -1, 0, 2, hi), H: tableAssign(shift, lo, -1, 0, 2, hi).H, shift: shift}
		pastLo.H[0] = mact.NewMemo(spec(shift), scale).Apply(lo - 1)
		gadgettest.Invalid(t, c, wrong, pastHi, pastLo)
	}
}

// forged checks that an assignment whose outputs follow a tampered hint
// fails under that hint, in the test engine and the compiled solver: the
// hint's outputs are bound by constraints, not only by the outputs
// agreeing with an honest run.
func forged(t *testing.T, c, a frontend.Circuit, o gadgettest.Override) {
	t.Helper()
	e, s := gadgettest.Solve(t, c, a, o)
	if e == nil {
		t.Errorf("test engine accepted a forged witness")
	}
	if s == nil {
		t.Errorf("R1CS solver accepted a forged witness")
	}
}

// shiftBy returns FloorShiftHint with output k moved by d (in the field).
func shiftBy(k int, d *big.Int) solver.Hint {
	return func(f *big.Int, in, out []*big.Int) error {
		if err := activation.FloorShiftHint(f, in, out); err != nil {
			return err
		}
		out[k].Add(out[k], d).Mod(out[k], f)
		return nil
	}
}

// TestTableTamperedRescale: a hinted index off by one either way leaves a
// remainder outside [0, 2^shift), even with outputs that follow the
// tampered index (its table entry); an index moved by 1/2^shift in the
// field keeps a small remainder but leaves the table.
func TestTableTamperedRescale(t *testing.T) {
	f := ecc.BN254.ScalarField()
	z := []int64{-32, -1, 0, 2, 31}
	memo := mact.NewMemo(spec(3), scale)
	for name, d := range map[string]int64{"index one up": 1, "index one down": -1} {
		t.Run(name, func(t *testing.T) {
			a := tableAssign(3, z...)
			a.H[2] = field(memo.Entry(0 + d))[0] // z = 0 has index 0
			forged(t, &tableCircuit{shift: 3}, a, gadgettest.Override{Of: activation.FloorShiftHint, Evil: shiftBy(2, big.NewInt(d))})
		})
	}
	inv := new(big.Int).ModInverse(big.NewInt(8), f)
	gadgettest.Tampered(t, &tableCircuit{shift: 3}, tableAssign(3, z...), gadgettest.Override{Of: activation.FloorShiftHint, Evil: shiftBy(3, inv)})
}

const bits = 10

type leakyCircuit struct {
	Z, H [5]frontend.Variable
}

const alpha = 655 // 0.01·2^16, rounded

func (c *leakyCircuit) Define(api frontend.API) error {
	h := activation.Leaky(api, rangecheck.New(api, 4), [][]frontend.Variable{c.Z[:]}, bits, alpha)
	for i := range c.H {
		api.AssertIsEqual(h[0][i], c.H[i])
	}
	return nil
}

func leakyAssign(z ...int64) *leakyCircuit {
	var h []int64
	for _, v := range z {
		h = append(h, mact.Leaky(v, alpha))
	}
	return &leakyCircuit{Z: field(z...), H: field(h...)}
}

func TestLeaky(t *testing.T) {
	top := int64(1)<<bits - 1
	gadgettest.Valid(t, &leakyCircuit{}, leakyAssign(5, -7, 0, top, -top), leakyAssign(-100, -101, 1, -1, -1000))
	wrong := leakyAssign(5, -7, 0, top, -top)
	wrong.H[1] = field(-7)[0] // the identity instead of LeakyRelu
	roundedUp := leakyAssign(5, -100, 0, top, -top)
	roundedUp.H[1] = field(mact.Leaky(-100, alpha) + 1)[0] // rounding toward zero instead of floor
	gadgettest.Invalid(t, &leakyCircuit{},
		wrong, roundedUp,
		leakyAssign(5, -7, 0, top+1, -top), // |acc| = 2^bits: one past the bound
		leakyAssign(5, -7, 0, top, -top-1),
	)
}

// TestLeakyTampered: a quotient off by one (outputs following it), a
// quotient moved by 1/2^16 in the field (remainder still small, quotient
// out of its range), or a sign read wrong, fails.
func TestLeakyTampered(t *testing.T) {
	f := ecc.BN254.ScalarField()
	z := []int64{5, -100, 0, 9, -3}
	honest := leakyAssign(z...)
	for name, d := range map[string]int64{"quotient one up": 1, "quotient one down": -1} {
		t.Run(name, func(t *testing.T) {
			a := leakyAssign(z...)
			a.H[1] = field(mact.Leaky(-100, alpha) + d)[0]
			forged(t, &leakyCircuit{}, a, gadgettest.Override{Of: activation.FloorShiftHint, Evil: shiftBy(1, big.NewInt(d))})
		})
	}
	t.Run("quotient wrapped", func(t *testing.T) {
		// -100·655 = -65500 = -1·2^16 + 36: moving the quotient by
		// 1/2^16 leaves the remainder 35, in range.
		inv := new(big.Int).ModInverse(big.NewInt(1<<16), f)
		a := leakyAssign(z...)
		h := field(mact.Leaky(-100, alpha))[0].(*big.Int)
		a.H[1] = new(big.Int).Add(h, inv).Mod(new(big.Int).Add(h, inv), f)
		forged(t, &leakyCircuit{}, a, gadgettest.Override{Of: activation.FloorShiftHint, Evil: shiftBy(1, inv)})
	})
	evilSign := func(f *big.Int, in, out []*big.Int) error {
		if err := relu.SignHint(f, in, out); err != nil {
			return err
		}
		out[1].SetInt64(1) // -100 read as positive
		return nil
	}
	gadgettest.Tampered(t, &leakyCircuit{}, honest, gadgettest.Override{Of: relu.SignHint, Evil: evilSign})
}

func TestFloorShiftHint(t *testing.T) {
	f := ecc.BN254.ScalarField()
	in := []*big.Int{big.NewInt(3), new(big.Int), new(big.Int), new(big.Int)}
	for i, v := range []int64{-9, -8, 15} {
		fieldint.FromSigned(f, v, in[i+1])
	}
	out := []*big.Int{new(big.Int), new(big.Int), new(big.Int)}
	if err := activation.FloorShiftHint(f, in, out); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int64{-2, -1, 1} {
		if got, _ := fieldint.ToSigned(f, out[i]); got != want {
			t.Errorf("floor(%d/8): got %d, want %d", []int64{-9, -8, 15}[i], got, want)
		}
	}
	if err := activation.FloorShiftHint(f, in[:2], out); err == nil {
		t.Error("a hint with mismatched lengths must fail")
	}
}
