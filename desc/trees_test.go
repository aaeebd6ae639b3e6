package desc

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/model/tree"
)

// trees returns a well-formed description of 100 trees of depth 4 on 58
// features at scale 1/1024 (the German credit XGBoost model's shape).
func trees() Public {
	ts := &tree.Shape{Trees: 100, Depth: 4, NodesPerTree: 31, Classes: 2, Outputs: 1, LeafWidth: 1, InputBits: 13,
		FeatureBits: 6, ThresholdBits: 14, ChildBits: 12, ValueBits: 7, BaseBits: 2}
	return Public{Version: Version, InputBits: 13, RangeBase: 14, Samples: 4,
		Shape:           model.Shape{InputSize: 58, InputScale: 1024, ScaleBits: 7, Trees: ts},
		BenchmarkDigest: strings.Repeat("ab", 32), Classes: []string{"good", "bad"}, LabelCounts: [][]int64{{2, 2}},
		Claims: []claim.Shape{{Metric: "accuracy", Comparison: ">=", Reveal: true}}}
}

func TestTreesValidate(t *testing.T) {
	p := trees()
	require.NoError(t, p.Validate())
	b, err := p.TreeBounds()
	require.NoError(t, err)
	// |T - x| + 1 <= 2^13 + 2^13: 14 bits; 100 leaf values of 7 bits and a
	// 2-bit base: 100·64 + 2 < 2^13.
	require.Equal(t, TreeBound{CompareBits: 14, LogitBits: 13}, b)
	for name, c := range map[string]struct {
		edit func(p *Public)
		want string
	}{
		"network fields":             {func(p *Public) { p.AccBits = []int{20} }, "has no accumulatorBits"},
		"first layer":                {func(p *Public) { p.FirstLayer = FirstLayerLinear }, "has no accumulatorBits"},
		"benchmark past the domain":  {func(p *Public) { p.InputBits = 14 }, "beyond the 13 bits"},
		"child bits not the table's": {func(p *Public) { p.Shape.Trees.ChildBits = 11 }, "child bits 11"},
		"feature bits":               {func(p *Public) { p.Shape.Trees.FeatureBits = 5 }, "feature bits 5"},
		"too wide thresholds":        {func(p *Public) { p.Shape.Trees.ThresholdBits = 16 }, "threshold bits 16"},
		"too wide values":            {func(p *Public) { p.Shape.Trees.ValueBits = 49 }, "value bits 49"},
		"one margin, three classes": {func(p *Public) {
			p.Shape.Trees.Classes = 3
			p.Classes = []string{"a", "b", "c"}
			p.LabelCounts = [][]int64{{2, 1, 1}}
		}, "outputs 1 for 3 classes"},
		"classes": {func(p *Public) { p.Classes = []string{"a", "b", "c"}; p.LabelCounts = [][]int64{{2, 1, 1}} }, "classes: 3 names for a model of 2 outputs"},
	} {
		t.Run(name, func(t *testing.T) {
			p := trees()
			ts := *p.Shape.Trees
			p.Shape.Trees = &ts
			c.edit(&p)
			require.ErrorContains(t, p.Validate(), c.want)
		})
	}
}
