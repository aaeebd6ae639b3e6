package commitment

import (
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/internal/testfixture"
)

// TestHeaderIsInjective: the header packs the input size, the input scale
// and the scale bits into 40-bit fields of one element, so two shapes that
// differ only in those fields must never give the same header, and hence
// the same commitment to the same weights. An input scale of 2^40 or more
// would carry into the scale-bits field: (scale s + 2^40, scale bits b - 1)
// packs like (s, b). Such shapes are refused.
func TestHeaderIsInjective(t *testing.T) {
	m := testfixture.Model(1) // input scale 255, scale bits 6
	salt := big.NewInt(7)
	c, err := Commit(m, salt)
	require.NoError(t, err)

	alias := *m
	alias.InputScale = m.InputScale + 1<<40
	alias.ScaleBits = m.ScaleBits - 1
	require.NotEqual(t, m.Shape(), alias.Shape())
	ca, err := Commit(&alias, salt)
	if err == nil {
		require.NotEqual(t, 0, c.Cmp(ca), "two shapes, one commitment: %v and %v", m.Shape(), alias.Shape())
	}
	require.Error(t, err, "an input scale of 2^40 or more must be refused")
}
