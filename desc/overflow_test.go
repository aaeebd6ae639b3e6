package desc

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/metric"
)

// TestTotalsLabelCountsSumWraps: label counts whose int64 sum would wrap
// (2^63-1 + 2^63-1 + 4 + 2 = 2^64 + 4, read as 4 samples, which 2 shards
// of 3 hold) are refused.
func TestTotalsLabelCountsSumWraps(t *testing.T) {
	s := shardDesc()
	tot, err := NewTotals(s, 2, metric.Labels{Pos: [][]int64{{2, 3}}})
	require.NoError(t, err)
	tot.Groups = []string{"g0", "g1"}
	tot.GroupAttribute = "g"
	tot.LabelCounts = [][]int64{{math.MaxInt64, math.MaxInt64}, {4, 2}}
	require.ErrorContains(t, tot.Validate(), "sum past 2^63")
}

// TestTreesLabelCountsSumWraps: a tree description (no constraint-count
// cap on samples) whose label counts, each within [0, samples], would sum
// to samples only after wrapping (3S + 2 = 2^64 + S) is refused.
func TestTreesLabelCountsSumWraps(t *testing.T) {
	p := trees()
	p.Samples = math.MaxInt64
	p.GroupAttribute = "g"
	p.Groups = []string{"g0", "g1"}
	S := int64(math.MaxInt64)
	p.LabelCounts = [][]int64{{S, S}, {S, 2}}
	require.ErrorContains(t, p.Validate(), "sum past 2^63")
}
