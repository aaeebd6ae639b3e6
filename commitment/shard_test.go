package commitment

import (
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/shard"
)

// TestShardPacking: the shard fingerprint packs as the model commitment does,
// and its elements stay below the field.
func TestShardPacking(t *testing.T) {
	require.Equal(t, PackBits, shard.PackBits)
	l := shard.Layout{Size: 2, Features: 30, InputBits: 8, Cells: 4}
	s, err := l.Fill([][]int64{make([]int64, 30)}, []int{3})
	require.NoError(t, err)
	for i := range s.X[0] {
		s.X[0][i] = 255
	}
	el := l.ElementsOf(5, s)
	require.Len(t, el, 2+l.Elements())
	require.Equal(t, big.NewInt(5), el[2])
	// 27 features of 9 bits in the first element of slot 0, 3 in its second.
	require.Equal(t, 2, l.FeatureElements())
	require.Equal(t, big.NewInt(255+256), new(big.Int).And(el[3], big.NewInt(511)))
	r := big.NewInt(987654321987654321)
	d1, err := ShardFingerprint(l, 5, s, r)
	require.NoError(t, err)
	slow, err := Fingerprint(el, r)
	require.NoError(t, err)
	require.Equal(t, slow, d1, "the packed fast path agrees with the element list")
	d2, err := ShardFingerprint(l, 4, s, r)
	require.NoError(t, err)
	require.NotEqual(t, d1, d2, "the index is fingerprinted")
	s.X[0][29]--
	d3, err := ShardFingerprint(l, 5, s, r)
	require.NoError(t, err)
	require.NotEqual(t, d1, d3)
	slow, err = Fingerprint(l.ElementsOf(5, s), r)
	require.NoError(t, err)
	require.Equal(t, slow, d3)
	_, err = ShardFingerprint(l, 5, s, new(big.Int).Lsh(big.NewInt(1), 255))
	require.Error(t, err, "a challenge outside the field")
}
