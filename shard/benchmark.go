package shard

import (
	"fmt"

	"github.com/zkeval/zkeval/benchmark"
)

// Of returns the slots of shard i of b for layout l (l.Size its shard size).
func (l Layout) Of(b *benchmark.Benchmark, i int) (*Slots, error) {
	n := Count(b.Len(), l.Size)
	if i < 0 || i >= n {
		return nil, fmt.Errorf("shard %d: benchmark %s has %d shards of %d samples (0 to %d)", i, b.Name, n, l.Size, n-1)
	}
	start, end := Span(b.Len(), l.Size, i)
	var groups []int
	if b.HasGroups() {
		groups = b.Groups[start:end]
	}
	return l.Fill(b.X[start:end], Cells(b.Labels[start:end], groups, len(b.ClassNames)))
}
