package claim

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseAndBound(t *testing.T) {
	c, err := Parse("accuracy >= 0.95")
	require.NoError(t, err)
	require.Equal(t, int64(950), c.Bound(1000))
	require.Equal(t, int64(9500), c.Bound(10000))
	require.Equal(t, int64(3), c.Bound(3)) // 0.95*3 = 2.85 -> 3
	require.True(t, c.Holds(950, 1000))
	require.False(t, c.Holds(949, 1000))

	c, err = Parse("accuracy<=97/100")
	require.NoError(t, err)
	require.Equal(t, int64(2), c.Bound(3)) // 2.91 -> 2
	require.True(t, c.Holds(2, 3))
	require.False(t, c.Holds(3, 3))
}

func TestParseErrors(t *testing.T) {
	for _, s := range []string{"", "accuracy", "accuracy > 0.9", "recall >= 0.5", "accuracy >= 1.5", "accuracy >= -0.1", "accuracy >= 0.9e1", "accuracy >= abc", "accuracy >= 1/0"} {
		_, err := Parse(s)
		require.Error(t, err, s)
	}
}

func TestFormatRatio(t *testing.T) {
	require.Equal(t, "0.9712", FormatRatio(9712, 10000))
	require.Equal(t, "1.0000", FormatRatio(7, 7))
	require.Equal(t, "0.6666", FormatRatio(2, 3))
}
