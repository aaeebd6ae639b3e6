package desc

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/metric"
)

func shardDesc() Shard {
	p := chain(8, 20, 20)
	return Shard{Version: ShardVersion, Shape: p.Shape, InputBits: p.InputBits, AccBits: p.AccBits, ReLU: p.ReLU, ReLUTable: p.ReLUTable,
		RangeBase: p.RangeBase, ShardSize: 3, Classes: p.Classes,
		Claims: []claim.Shape{{Metric: "accuracy", Comparison: ">=", Reveal: true}, {Metric: "precision", Class: "b", Comparison: ">="}}}
}

func TestShardValidate(t *testing.T) {
	require.NoError(t, shardDesc().Validate())
	for name, c := range map[string]struct {
		edit func(*Shard)
		want string
	}{
		"another version":      {func(s *Shard) { s.Version = Version }, "shard circuit version"},
		"no shard size":        {func(s *Shard) { s.ShardSize = 0 }, "shard size 0"},
		"no input bound":       {func(s *Shard) { s.InputBits = 0 }, "inputBits: 0"},
		"accumulator too wide": {func(s *Shard) { s.AccBits[1] = 63 }, "accumulatorBits[1]"},
		"unknown class":        {func(s *Shard) { s.Claims[1].Class = "z" }, "z"},
		"logits of one bit":    {func(s *Shard) { s.AccBits[1] = 1 }, "accumulatorBits[1]: 1; the last layer has no ReLU"},
	} {
		t.Run(name, func(t *testing.T) {
			s := shardDesc()
			c.edit(&s)
			require.ErrorContains(t, s.Validate(), c.want)
		})
	}
}

func TestExposedCounts(t *testing.T) {
	r, h, err := shardDesc().ExposedCounts()
	require.NoError(t, err)
	require.Equal(t, []metric.Count{{Kind: metric.TP, Group: -1, Class: -1}}, r)
	require.Equal(t, []metric.Count{{Kind: metric.TP, Group: -1, Class: 1}, {Kind: metric.Pred, Group: -1, Class: 1}}, h)
}

func TestTotalsValidate(t *testing.T) {
	s := shardDesc()
	tot, err := NewTotals(s, 2, metric.Labels{Pos: [][]int64{{2, 3}}})
	require.NoError(t, err)
	require.Len(t, tot.Claims, 1)
	require.Equal(t, 2, tot.CountBits)
	_, err = NewTotals(s, 2, metric.Labels{Pos: [][]int64{{1, 2}}})
	require.ErrorContains(t, err, "do not hold", "3 samples are one shard, not two")
	_, err = NewTotals(s, 2, metric.Labels{Pos: [][]int64{{7, 0}}})
	require.Error(t, err)
	bad := tot
	bad.CountBits = 1
	require.ErrorContains(t, bad.Validate(), "countBits")
}

// TestShardJSONWithoutSpatial: a description of an MLP with ReLU encodes
// without the spatial and activation fields, as it did before the shard
// circuit proved convolutional networks (ceremony transcripts record it).
func TestShardJSONWithoutSpatial(t *testing.T) {
	data, err := json.Marshal(shardDesc())
	require.NoError(t, err)
	var keys map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(data, &keys))
	require.NotContains(t, keys, "spatialAccumulatorBits")
	require.NotContains(t, keys, "activationTableRanges")
	require.Contains(t, keys, "accumulatorBits")
}

// TestShardSpatialValidate: a shard description of a LeNet-5 validates
// with the spatial bounds of the evaluation description, and the same
// checks refuse a wrong pool bound, missing widths and a width past
// MaxAccBits.
func TestShardSpatialValidate(t *testing.T) {
	p := lenetPublic()
	p.ReLU, p.ReLUTable, p.RangeBase = []string{""}, []Range{{}}, 8
	s := Shard{Version: ShardVersion, Shape: p.Shape, InputBits: p.InputBits, AccBits: p.AccBits, SpatialAccBits: p.SpatialAccBits,
		ReLU: p.ReLU, ReLUTable: p.ReLUTable, RangeBase: p.RangeBase, ShardSize: 4,
		Classes: []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}, Claims: []claim.Shape{{Metric: "accuracy", Comparison: ">=", Reveal: true}}}
	require.NoError(t, s.Validate())
	for name, c := range map[string]struct {
		edit func(*Shard)
		want string
	}{
		"pool bound":     {func(s *Shard) { s.SpatialAccBits = []int{20, 21, 36, 38} }, "spatialAccumulatorBits[1]"},
		"missing widths": {func(s *Shard) { s.SpatialAccBits = nil }, "spatialAccumulatorBits: 0 widths for 4 spatial layers"},
		"too wide":       {func(s *Shard) { s.SpatialAccBits[0] = 63 }, "spatialAccumulatorBits[0]: 63 outside"},
	} {
		t.Run(name, func(t *testing.T) {
			s := s
			s.SpatialAccBits = append([]int(nil), s.SpatialAccBits...)
			c.edit(&s)
			require.ErrorContains(t, s.Validate(), c.want)
		})
	}
}
