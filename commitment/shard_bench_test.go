package commitment

import (
	"math/big"
	"testing"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/shard"
)

// BenchmarkShardFingerprints: what a verifier given the benchmark
// recomputes for the target run, the fingerprints of the 10
// shards of 1,000 official MNIST test images (784 features of 9 bits, 10
// cells: 30,002 elements per shard), slots included.
func BenchmarkShardFingerprints(b *testing.B) {
	bench, err := benchmark.MNISTTest()
	if err != nil {
		b.Fatal(err)
	}
	l := shard.Layout{Size: 1000, Features: 784, InputBits: 8, Cells: 10}
	challenges := make([]*big.Int, shard.Count(bench.Len(), l.Size))
	for i := range challenges {
		challenges[i] = new(big.Int).Lsh(big.NewInt(int64(i+3)), 200)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := ShardFingerprints(l, bench, challenges); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkShardFingerprint: one 1,000-image shard on one core.
func BenchmarkShardFingerprint(b *testing.B) {
	bench, err := benchmark.MNISTTest()
	if err != nil {
		b.Fatal(err)
	}
	l := shard.Layout{Size: 1000, Features: 784, InputBits: 8, Cells: 10}
	s, err := l.Of(bench, 3)
	if err != nil {
		b.Fatal(err)
	}
	r := new(big.Int).Lsh(big.NewInt(12345), 200)
	b.ResetTimer()
	for b.Loop() {
		if _, err := ShardFingerprint(l, 3, s, r); err != nil {
			b.Fatal(err)
		}
	}
}
