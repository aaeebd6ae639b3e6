package verifier_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/prover"
	"github.com/zkeval/zkeval/verifier"
)

// proveTarget proves w's claim again, with its keys, for target.
func proveTarget(t *testing.T, w *world, target string) *attestation.Statement {
	t.Helper()
	cl, err := claim.Parse("accuracy >= 0.5")
	require.NoError(t, err)
	st, err := prover.Prove(&prover.Request{Model: w.m, Salt: w.salt, Benchmark: w.b, Claims: []prover.Claimed{{Claim: cl, Reveal: true}}, KeysDir: w.dir, Target: target}, w.commit)
	require.NoError(t, err)
	return st
}

// Both proof targets verify with the same keys, each only as what it is:
// the proof itself fixes its commitment's hash to field, so relabelling an
// attestation's target makes it invalid.
func TestProofTargets(t *testing.T) {
	w := makeWorld(t, 1, 24, "accuracy >= 0.5", true) // its own keys directory, which proveTarget reads
	require.Equal(t, attestation.TargetGo, w.st.Predicate.Proof.Target, "the default target")
	sol := proveTarget(t, w, attestation.TargetSolidity)
	require.Equal(t, attestation.TargetSolidity, sol.Predicate.Proof.Target)
	require.NotEqual(t, w.st.Predicate.Proof.Bytes, sol.Predicate.Proof.Bytes)

	for _, st := range []*attestation.Statement{w.st, sol} {
		res, err := verifier.Verify(clone(t, st), w.vk, "vk", verifier.Options{})
		require.NoError(t, err)
		require.Equal(t, st.Predicate.Proof.Target, res.Target)
	}

	t.Run("no target is go", func(t *testing.T) {
		st := clone(t, w.st)
		st.Predicate.Proof.Target = ""
		res, err := verifier.Verify(st, w.vk, "vk", verifier.Options{})
		require.NoError(t, err)
		require.Equal(t, attestation.TargetGo, res.Target)
		st = clone(t, sol)
		st.Predicate.Proof.Target = ""
		_, err = verifier.Verify(st, w.vk, "vk", verifier.Options{})
		require.ErrorIs(t, err, verifier.ErrInvalid)
		require.ErrorContains(t, err, `the proof was made for target "solidity"`)
	})
	t.Run("solidity proof labelled go", func(t *testing.T) {
		st := clone(t, sol)
		st.Predicate.Proof.Target = attestation.TargetGo
		_, err := verifier.Verify(st, w.vk, "vk", verifier.Options{})
		require.ErrorIs(t, err, verifier.ErrInvalid)
		require.ErrorContains(t, err, `predicate.proof.target is "go", but the proof was made for target "solidity"`)
	})
	t.Run("go proof labelled solidity", func(t *testing.T) {
		st := clone(t, w.st)
		st.Predicate.Proof.Target = attestation.TargetSolidity
		_, err := verifier.Verify(st, w.vk, "vk", verifier.Options{})
		require.ErrorIs(t, err, verifier.ErrInvalid)
		require.ErrorContains(t, err, `predicate.proof.target is "solidity", but the proof was made for target "go"`)
	})
	t.Run("unknown target", func(t *testing.T) {
		st := clone(t, sol)
		st.Predicate.Proof.Target = "evm"
		_, err := verifier.Verify(st, w.vk, "vk", verifier.Options{})
		require.ErrorIs(t, err, verifier.ErrInvalid)
		require.ErrorContains(t, err, `unknown proof target "evm"`)
	})
	t.Run("flipped byte of a solidity proof", func(t *testing.T) {
		st := clone(t, sol)
		st.Predicate.Proof.Bytes[40] ^= 1
		_, err := verifier.Verify(st, w.vk, "vk", verifier.Options{})
		require.ErrorIs(t, err, verifier.ErrInvalid)
	})
	t.Run("raised threshold on a solidity proof", func(t *testing.T) {
		st := clone(t, sol)
		st.Predicate.Claims[0].Threshold = "0.55"
		_, err := verifier.Verify(st, w.vk, "vk", verifier.Options{})
		require.ErrorIs(t, err, verifier.ErrInvalid)
		require.ErrorContains(t, err, "does not verify")
	})
}

// The target is checked before anything else: no keys are needed.
func TestProveRefusesUnknownTarget(t *testing.T) {
	w := get(t)
	cl, err := claim.Parse("accuracy >= 0.5")
	require.NoError(t, err)
	_, err = prover.Prove(&prover.Request{Model: w.m, Salt: w.salt, Benchmark: w.b, Claims: []prover.Claimed{{Claim: cl, Reveal: true}}, KeysDir: t.TempDir(), Target: "evm"}, w.commit)
	require.ErrorContains(t, err, `unknown proof target "evm"`)
}
