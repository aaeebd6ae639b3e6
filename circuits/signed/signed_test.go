package signed_test

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark/constraint/solver"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/zkeval/zkeval/circuits/rangecheck"

	"github.com/zkeval/zkeval/circuits/internal/gadgettest"
	"github.com/zkeval/zkeval/circuits/signed"
)

const k = 10

type circuit struct {
	V frontend.Variable
}

func (c *circuit) Define(api frontend.API) error {
	signed.Check(api, rangecheck.New(api, 4), c.V, k)
	return nil
}

func val(v *big.Int) *circuit { return &circuit{V: v} }

func TestCheckBounds(t *testing.T) {
	p := ecc.BN254.ScalarField()
	two := func(e int) *big.Int { return new(big.Int).Lsh(big.NewInt(1), uint(e)) }
	neg := func(v *big.Int) *big.Int { return new(big.Int).Sub(p, v) } // -v in the field
	one := big.NewInt(1)

	gadgettest.Valid(t, &circuit{},
		val(big.NewInt(0)),
		val(new(big.Int).Sub(two(k), one)), // 2^k - 1, the largest
		val(neg(two(k))),                   // -2^k, the smallest
		val(neg(one)),
	)
	gadgettest.Invalid(t, &circuit{},
		val(two(k)),                             // one past the top
		val(neg(new(big.Int).Add(two(k), one))), // one past the bottom
		val(two(k+1)),
		val(new(big.Int).Rsh(p, 1)), // a huge value: the wrap-around region
		val(new(big.Int).Sub(p, two(200))),
	)
}

func init() { solver.RegisterHint(rangecheck.Hints()...) }
