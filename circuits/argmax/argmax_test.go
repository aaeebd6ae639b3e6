package argmax_test

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/zkeval/zkeval/circuits/rangecheck"

	"github.com/zkeval/zkeval/circuits/argmax"
	"github.com/zkeval/zkeval/circuits/internal/fieldint"
	"github.com/zkeval/zkeval/circuits/internal/gadgettest"
)

// k bounds every compared logit: the reference within [-2^(k-2), 2^(k-2)),
// differences within [0, 2^(k-1)).
const k = 10

const (
	refTop  = int64(1)<<(k-2) - 1 // the largest reference logit
	diffTop = int64(1)<<(k-1) - 1 // the largest difference
)

func fe(v int64) *big.Int {
	x := new(big.Int)
	fieldint.FromSigned(ecc.BN254.ScalarField(), v, x)
	return x
}

func vec(vs ...int64) [4]frontend.Variable {
	var out [4]frontend.Variable
	for i, v := range vs {
		out[i] = fe(v)
	}
	return out
}

// isCircuit asserts argmax.Is(V, label) = Want.
type isCircuit struct {
	V     [4]frontend.Variable
	Want  frontend.Variable
	label int
}

func (c *isCircuit) Define(api frontend.API) error {
	api.AssertIsEqual(argmax.Is(api, rangecheck.New(api, 4), c.V[:], c.label, k), c.Want)
	return nil
}

func TestIs(t *testing.T) {
	for _, label := range []int{0, 1, 2, 3} {
		// Ties go to the first maximal index: outputs 1 and 2 tie.
		v := vec(3, 9, 9, -4)
		want := int64(0)
		if label == 1 {
			want = 1
		}
		gadgettest.Valid(t, &isCircuit{label: label}, &isCircuit{V: v, Want: fe(want)})
		gadgettest.Invalid(t, &isCircuit{label: label}, &isCircuit{V: v, Want: fe(1 - want)})
	}
	// Bounds: the label's logit within [-2^(k-2), 2^(k-2)), each difference
	// within [0, 2^(k-1)); one past either fails.
	gadgettest.Valid(t, &isCircuit{label: 0},
		&isCircuit{V: vec(refTop, refTop-diffTop, 0, 0), Want: 1},
		&isCircuit{V: vec(-refTop-1, -refTop-1, -refTop-1, -refTop-1), Want: 1},
	)
	gadgettest.Invalid(t, &isCircuit{label: 0},
		&isCircuit{V: vec(refTop+1, 0, 0, 0), Want: 1},                // reference one past the top
		&isCircuit{V: vec(refTop+1, 0, 0, 0), Want: 0},                // whatever the prediction
		&isCircuit{V: vec(-refTop-2, -refTop-2, -600, -600), Want: 1}, // reference one past the bottom
		&isCircuit{V: vec(refTop, refTop-diffTop-1, 0, 0), Want: 1},   // a difference one past
	)
}

// rotate moves the hint's one-hot to the next index.
func rotate(f *big.Int, in, out []*big.Int) error {
	if err := argmax.Hint(f, in, out); err != nil {
		return err
	}
	first := new(big.Int).Set(out[len(out)-1])
	for i := len(out) - 1; i > 0; i-- {
		out[i].Set(out[i-1])
	}
	out[0].Set(first)
	return nil
}

// zero claims no index is maximal.
func zero(f *big.Int, in, out []*big.Int) error {
	for i := range out {
		out[i].SetInt64(0)
	}
	return nil
}

// last picks the last maximal index instead of the first.
func last(f *big.Int, in, out []*big.Int) error {
	best, bestV := 0, int64(0)
	for i, v := range in {
		x, err := fieldint.ToSigned(f, v)
		if err != nil {
			return err
		}
		if i == 0 || x >= bestV {
			best, bestV = i, x
		}
	}
	for i := range out {
		out[i].SetInt64(0)
	}
	out[best].SetInt64(1)
	return nil
}

func TestIsTamperedHint(t *testing.T) {
	gadgettest.Tampered(t, &isCircuit{label: 1}, &isCircuit{V: vec(3, 9, 2, -4), Want: 1}, gadgettest.Override{Of: argmax.Hint, Evil: rotate})
	gadgettest.Tampered(t, &isCircuit{label: 0}, &isCircuit{V: vec(3, 9, 2, -4), Want: 0}, gadgettest.Override{Of: argmax.Hint, Evil: rotate})
	// A hint that names no index leaves o[label] = 1: the label claimed
	// as the prediction when it is not.
	gadgettest.Tampered(t, &isCircuit{label: 0}, &isCircuit{V: vec(3, 9, 2, -4), Want: 0}, gadgettest.Override{Of: argmax.Hint, Evil: zero})
	// A tie resolved to the last index would make label 2 the prediction.
	gadgettest.Tampered(t, &isCircuit{label: 2}, &isCircuit{V: vec(3, 9, 9, -4), Want: 0}, gadgettest.Override{Of: argmax.Hint, Evil: last})
}

// oneHotCircuit asserts argmax.OneHot(V) = Want.
type oneHotCircuit struct {
	V, Want [4]frontend.Variable
}

func (c *oneHotCircuit) Define(api frontend.API) error {
	o := argmax.OneHot(api, rangecheck.New(api, 4), c.V[:], k)
	for i := range o {
		api.AssertIsEqual(o[i], c.Want[i])
	}
	return nil
}

func TestOneHot(t *testing.T) {
	gadgettest.Valid(t, &oneHotCircuit{},
		&oneHotCircuit{V: vec(3, 9, 9, -4), Want: vec(0, 1, 0, 0)},
		&oneHotCircuit{V: vec(-5, -5, -5, -5), Want: vec(1, 0, 0, 0)},
		&oneHotCircuit{V: vec(refTop, refTop-diffTop, 0, 0), Want: vec(1, 0, 0, 0)},
	)
	gadgettest.Invalid(t, &oneHotCircuit{},
		&oneHotCircuit{V: vec(3, 9, 9, -4), Want: vec(0, 0, 1, 0)},                    // the later of a tie
		&oneHotCircuit{V: vec(3, 9, 9, -4), Want: vec(1, 0, 0, 0)},                    // not maximal
		&oneHotCircuit{V: vec(refTop+1, 0, 0, 0), Want: vec(1, 0, 0, 0)},              // the predicted logit one past its bound
		&oneHotCircuit{V: vec(refTop, refTop-diffTop-1, 0, 0), Want: vec(1, 0, 0, 0)}, // a difference one past
		&oneHotCircuit{V: vec(3, 9, 9, -4), Want: vec(0, 1, 1, 0)},                    // not one-hot
	)
}

func TestOneHotTamperedHint(t *testing.T) {
	honest := &oneHotCircuit{V: vec(3, 9, 9, -4), Want: vec(0, 1, 0, 0)}
	for name, evil := range map[string]func(*big.Int, []*big.Int, []*big.Int) error{"rotated": rotate, "no index": zero, "last of a tie": last} {
		t.Run(name, func(t *testing.T) {
			gadgettest.Tampered(t, &oneHotCircuit{}, honest, gadgettest.Override{Of: argmax.Hint, Evil: evil})
		})
	}
}

func init() {
	solver.RegisterHint(rangecheck.Hints()...)
	solver.RegisterHint(argmax.Hints()...)
}
