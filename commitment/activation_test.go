package commitment

import (
	"math"
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/model/activation"
)

// TestActivationParametersBound: the commitment binds each activation's
// parameters, not only its kind: models that differ only in LeakyRelu's
// slope (0 is ReLU, 2^16 the identity), a table's output scale and shift,
// or HardSigmoid's alpha and beta compute different functions and get
// different commitments under the same salt.
func TestActivationParametersBound(t *testing.T) {
	mk := func(a *activation.Spec) *model.Model {
		m := &model.Model{Name: "m", InputSize: 2, InputScale: 1, ScaleBits: 4, Layers: []model.Layer{
			{W: [][]int64{{3, -5}, {7, 1}}, B: []int64{-9, 4}, Act: a},
			{W: [][]int64{{1, 2}, {-2, 1}}, B: []int64{5, -5}},
		}}
		require.NoError(t, m.Validate())
		return m
	}
	salt := big.NewInt(42)
	for _, p := range [][2]*activation.Spec{
		{{Kind: activation.LeakyRelu, Alpha: 0}, {Kind: activation.LeakyRelu, Alpha: 1 << 16}},
		{{Kind: activation.Tanh, OutBits: 1, Shift: 0}, {Kind: activation.Tanh, OutBits: 24, Shift: 62}},
		{{Kind: activation.Tanh, OutBits: 4, Shift: 3}, {Kind: activation.Tanh, OutBits: 4, Shift: 4}},
		{{Kind: activation.HardSigmoid, OutBits: 8, HardAlpha: 0.2, HardBeta: 0.5}, {Kind: activation.HardSigmoid, OutBits: 8, HardAlpha: -1000, HardBeta: 1}},
		{{Kind: activation.HardSigmoid, OutBits: 8, HardAlpha: 0.2, HardBeta: 0.5}, {Kind: activation.HardSigmoid, OutBits: 8, HardAlpha: 0.5, HardBeta: 0.2}},
	} {
		c1, err := Commit(mk(p[0]), salt)
		require.NoError(t, err)
		c2, err := Commit(mk(p[1]), salt)
		require.NoError(t, err)
		require.NotEqual(t, 0, c1.Cmp(c2), "%+v and %+v share a commitment", *p[0], *p[1])
	}
	// A ReLU-only model's header is unchanged: no parameter elements.
	relu := mk(nil)
	relu.Layers[0].ReLU = true
	require.Len(t, HeaderElements(relu.Shape()), 2+2)
}

// TestNegativeZeroParameter: -0 and +0 are one parameter (Validate takes
// -0 as zero), so they give one commitment.
func TestNegativeZeroParameter(t *testing.T) {
	mk := func(a *activation.Spec) *model.Model {
		m := &model.Model{Name: "m", InputSize: 2, InputScale: 1, ScaleBits: 4, Layers: []model.Layer{
			{W: [][]int64{{3, -5}, {7, 1}}, B: []int64{-9, 4}, Act: a},
			{W: [][]int64{{1, 2}, {-2, 1}}, B: []int64{5, -5}},
		}}
		require.NoError(t, m.Validate())
		return m
	}
	salt := big.NewInt(42)
	c1, err := Commit(mk(&activation.Spec{Kind: activation.Tanh, OutBits: 8, Shift: 2}), salt)
	require.NoError(t, err)
	c2, err := Commit(mk(&activation.Spec{Kind: activation.Tanh, OutBits: 8, Shift: 2, HardAlpha: math.Copysign(0, -1)}), salt)
	require.NoError(t, err)
	require.Equal(t, 0, c1.Cmp(c2))
}
