package circuits

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/metric"
	"github.com/zkeval/zkeval/shard"
)

// TestTotalsCircuit: the totals of three shards' hidden counts prove a
// claim at its exact value and refuse one just past it, a count changed
// under its commitment, a count one past its bound and a commitment of
// another shard.
func TestTotalsCircuit(t *testing.T) {
	m, b := synth(t, 1, 8)
	f := newShardFixture(t, m, b, 3, "!accuracy >= 0")
	n := shard.Count(b.Len(), 3)
	l := metric.NewLabels(b.Labels, nil, 3, 0)
	td, err := desc.NewTotals(f.spec.Desc, n, l)
	require.NoError(t, err)
	ts, err := NewTotalsSpec(td)
	require.NoError(t, err)
	in := &TotalsInput{}
	var correct int64
	for i := range n {
		si := f.input(t, i)
		in.Commitments = append(in.Commitments, si.CountsCm)
		in.Counts = append(in.Counts, si.Hidden)
		in.Salts = append(in.Salts, si.CountsSalt)
		correct += si.Hidden[0]
	}
	cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, NewTotals(ts))
	require.NoError(t, err)
	solve := func(in *TotalsInput, p, q int64) error {
		in.Thresholds = [][2]*big.Int{{big.NewInt(p), big.NewInt(q)}}
		a, err := TotalsAssignment(ts, in)
		require.NoError(t, err)
		w, err := frontend.NewWitness(a, ecc.BN254.ScalarField())
		require.NoError(t, err)
		_, err = cs.Solve(w)
		return err
	}
	N := int64(b.Len())
	require.NoError(t, solve(in, correct, N))
	require.Error(t, solve(in, correct+1, N), "accuracy one sample past the truth")

	cp := func() *TotalsInput {
		c := *in
		c.Counts = [][]int64{}
		for _, row := range in.Counts {
			c.Counts = append(c.Counts, append([]int64(nil), row...))
		}
		c.Commitments = append([]*big.Int(nil), in.Commitments...)
		return &c
	}
	bad := cp()
	bad.Counts[0][0]++
	require.Error(t, solve(bad, correct, N), "a count changed under its commitment")

	bad = cp()
	bad.Commitments[1] = in.Commitments[0]
	require.Error(t, solve(bad, correct, N), "another shard's commitment")

	// A count of 2^CountBits (one past its bound) with a commitment that
	// opens to it: refused by the range check, even though the sum it
	// gives would satisfy the claim.
	bad = cp()
	bad.Counts[2][0] = int64(1) << td.CountBits
	cm, err := commitment.CountsCommitment(bad.Salts[2], bad.Counts[2])
	require.NoError(t, err)
	bad.Commitments[2] = cm
	require.Error(t, solve(bad, correct, N))
	bad.Counts[2][0] = int64(1)<<td.CountBits - 1
	bad.Commitments[2], err = commitment.CountsCommitment(bad.Salts[2], bad.Counts[2])
	require.NoError(t, err)
	require.NoError(t, solve(bad, correct, N), "within the bound, the circuit alone does not know the shard's size; the shard proofs bind the counts")
}
