package circuits

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestProfileAttributesEveryConstraint(t *testing.T) {
	f := newFixture(t, accuracy(">=", true))
	b, err := Profile(f.spec)
	require.NoError(t, err)
	sum := 0
	for _, v := range b.PerGadget {
		sum += v
	}
	require.Equal(t, b.Total, sum)
	t.Log("\n" + b.String())
	require.Zero(t, b.PerGadget[GadgetOther], "constraints outside any known gadget")
	for _, g := range []string{GadgetCommitment, GadgetFreivalds, GadgetReLU, GadgetArgmax, GadgetRange} {
		require.Positive(t, b.PerGadget[g], g)
	}
}
