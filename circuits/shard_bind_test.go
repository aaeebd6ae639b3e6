package circuits

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/shard"
)

// TestShardGroth16Binding: with real Groth16 keys (BN254), the challenge
// BindShard derives is the one groth16.Prove draws (the proof verifies
// with it as a public input), every proof draws a fresh one (fresh mask),
// and a pixel or a cell bit changed while the honest run's Challenge is
// kept fails to prove, even with the fingerprint of the changed samples at
// that challenge; so does an honest witness with the fingerprint or the
// challenge off by one.
func TestShardGroth16Binding(t *testing.T) {
	m, b := synth(t, 1, 7)
	f := newShardFixture(t, m, b, 3, "accuracy >= 0")
	lay := f.spec.Desc.Layout()
	cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, NewShard(f.spec))
	require.NoError(t, err)
	pk, vk, err := groth16.Setup(cs)
	require.NoError(t, err)

	mask := big.NewInt(424242)
	maskOpt, err := fixedMask(mask)
	require.NoError(t, err)
	prove := func(in *ShardInput, bind bool) (*ShardCircuit, error) {
		a, err := ShardAssignment(f.spec, f.m, f.salt, f.commit, in)
		require.NoError(t, err)
		if !bind {
			// The honest run's mask, so that only the committed
			// samples can change the challenge.
			w, err := frontend.NewWitness(a, ecc.BN254.ScalarField())
			require.NoError(t, err)
			_, err = groth16.Prove(cs, pk, w, backend.WithSolverOptions(maskOpt))
			return a, err
		}
		opts, err := bindShardGroth16(cs, pk, mask, f.spec, a, in)
		if err != nil {
			return nil, err
		}
		w, err := frontend.NewWitness(a, ecc.BN254.ScalarField())
		require.NoError(t, err)
		proof, err := groth16.Prove(cs, pk, w, opts...)
		if err != nil {
			return nil, err
		}
		pub, err := w.Public()
		require.NoError(t, err)
		return a, groth16.Verify(proof, vk, pub)
	}

	honest := f.input(t, 0)
	require.NoError(t, func() error { _, err := prove(honest, true); return err }())
	require.NotNil(t, honest.Challenge)
	want, err := commitment.ShardFingerprint(lay, 0, honest.Slots, honest.Challenge)
	require.NoError(t, err)
	require.Equal(t, want, honest.Fingerprint)

	// The same witness proven again with the same mask: the same
	// challenge, and the proof verifies without binding again.
	_, err = prove(copyInput(honest), false)
	require.NoError(t, err)

	// BindShard draws a fresh mask per proof.
	fresh := f.input(t, 0)
	a, err := ShardAssignment(f.spec, f.m, f.salt, f.commit, fresh)
	require.NoError(t, err)
	opts, err := BindShard(cs, pk, f.spec, a, fresh)
	require.NoError(t, err)
	w, err := frontend.NewWitness(a, ecc.BN254.ScalarField())
	require.NoError(t, err)
	proof, err := groth16.Prove(cs, pk, w, opts...)
	require.NoError(t, err)
	pub, err := w.Public()
	require.NoError(t, err)
	require.NoError(t, groth16.Verify(proof, vk, pub))
	require.NotEqual(t, honest.Challenge, fresh.Challenge, "a fresh mask per proof")

	// Changed samples with the honest run's public values.
	changed := func(edit func(*shard.Slots)) *ShardInput {
		sl := copyInput(honest).Slots
		edit(sl)
		c, err := EvalShard(f.spec, f.m, 0, sl, nil)
		require.NoError(t, err)
		c.Challenge = honest.Challenge
		c.Fingerprint, err = commitment.ShardFingerprint(lay, 0, sl, honest.Challenge)
		require.NoError(t, err)
		return c
	}
	pixel := changed(func(s *shard.Slots) { s.X[1][2] ^= 1 })
	_, err = prove(pixel, false)
	require.Error(t, err, "a pixel changed")
	cell := changed(func(s *shard.Slots) { s.Cell[0] = s.Cell[0]%lay.Cells + 1 })
	_, err = prove(cell, false)
	require.Error(t, err, "a cell bit changed")

	off := copyInput(honest)
	off.Fingerprint = new(big.Int).Add(honest.Fingerprint, big.NewInt(1))
	_, err = prove(off, false)
	require.Error(t, err, "fingerprint off by one")
	off = copyInput(honest)
	off.Challenge = new(big.Int).Add(honest.Challenge, big.NewInt(1))
	off.Fingerprint, err = commitment.ShardFingerprint(lay, 0, honest.Slots, off.Challenge)
	require.NoError(t, err)
	_, err = prove(off, false)
	require.Error(t, err, "challenge off by one")
}
