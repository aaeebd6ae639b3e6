package commitment

import (
	"fmt"
	"math/big"
	"runtime"
	"sync"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/shard"
)

// ShardDigest returns the Poseidon2 digest of shard index with these
// slots, over the elements shard.Layout.ElementsOf gives.
func ShardDigest(l shard.Layout, index int, s *shard.Slots) (*big.Int, error) {
	if len(s.X) != l.Size || len(s.Cell) != l.Size {
		return nil, fmt.Errorf("shard: %d slots, want %d", len(s.X), l.Size)
	}
	return Hash(l.ElementsOf(index, s))
}

// ShardDigests returns the digest of every shard of b, in order, computed
// on every CPU.
func ShardDigests(l shard.Layout, b *benchmark.Benchmark) ([]*big.Int, error) {
	n := shard.Count(b.Len(), l.Size)
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
					out[i], err = ShardDigest(l, i, s)
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

// CountsCommitment returns Poseidon2(shard.CountsTag, L, salt, counts...),
// L = 1 + len(counts): the hiding commitment to a shard's hidden counts.
func CountsCommitment(salt *big.Int, counts []int64) (*big.Int, error) {
	elems := []*big.Int{shard.CountsTag(), big.NewInt(int64(1 + len(counts))), salt}
	for i, c := range counts {
		if c < 0 {
			return nil, fmt.Errorf("shard: count %d is negative", i)
		}
		elems = append(elems, big.NewInt(c))
	}
	return Hash(elems)
}
