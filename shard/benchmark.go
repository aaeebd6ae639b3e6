package shard

import (
	"fmt"
	"math/big"
	"runtime"
	"sync"

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

// Digests returns the digest of every shard of b, in order, computed on
// every CPU.
func (l Layout) Digests(b *benchmark.Benchmark) ([]*big.Int, error) {
	n := Count(b.Len(), l.Size)
	out := make([]*big.Int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				s, err := l.Of(b, i)
				if err == nil {
					out[i], err = l.Digest(i, s)
				}
				errs[i] = err
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("shard %d: %w", i, err)
		}
	}
	return out, nil
}
