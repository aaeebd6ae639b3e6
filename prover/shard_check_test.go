package prover_test

import (
	"fmt"
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/internal/testfixture"
	"github.com/zkeval/zkeval/prover"
)

// A claim false over the whole benchmark stops ProveShard before any proof,
// with Prove's error (ErrClaimFalse, the true value), whichever shard is
// asked; CheckWhole gives the same, and nil for a claim that holds.
func TestProveShardChecksWholeBenchmark(t *testing.T) {
	m := testfixture.Model(1)
	b := testfixture.Benchmark(m, 1, 8)
	salt := big.NewInt(77)
	cm, err := commitment.Commit(m, salt)
	require.NoError(t, err)
	keysDir := setupShards(t, m, b, 3, parseClaims(t, "accuracy >= 1/2"))

	ev, err := prover.Evaluate(m, b)
	require.NoError(t, err)
	require.Less(t, ev.Correct, int64(b.Len()), "the fixture must miss a sample for this test")
	want := fmt.Sprintf("(%s), not at least the claimed", ratString(ev.Correct, int64(b.Len())))

	holds := prover.Request{Model: m, Salt: salt, Benchmark: b, Claims: parseClaims(t, fmt.Sprintf("accuracy >= %d/%d", ev.Correct, b.Len())), KeysDir: keysDir}
	_, err = prover.CheckWhole(&holds)
	require.NoError(t, err)

	false_ := holds
	false_.Claims = parseClaims(t, fmt.Sprintf("accuracy >= %d/%d", ev.Correct+1, b.Len()))
	_, err = prover.CheckWhole(&false_)
	require.ErrorIs(t, err, prover.ErrClaimFalse)
	require.ErrorContains(t, err, want)
	for i := range 3 {
		f, err := prover.ProveShard(&prover.ShardRequest{Request: false_, Index: i}, cm)
		require.ErrorIs(t, err, prover.ErrClaimFalse, "shard %d", i)
		require.ErrorContains(t, err, "no proof was made")
		require.Nil(t, f)
	}
}

func ratString(p, q int64) string {
	return new(big.Rat).SetFrac64(p, q).RatString()
}
