package prover_test

import (
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/internal/testfixture"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/prover"
)

func TestProveChecksNativelyFirst(t *testing.T) {
	m := testfixture.Model(1)
	b := testfixture.Benchmark(m, 1, 9) // 6 of 9 correct by construction
	ev, err := prover.Evaluate(m, b)
	require.NoError(t, err)
	require.Equal(t, int64(6), ev.Correct)
	salt := big.NewInt(5)
	cm, err := commitment.Commit(m, salt)
	require.NoError(t, err)
	dir := t.TempDir() // no keys: every case below must fail before loading them

	t.Run("false claim names the true value", func(t *testing.T) {
		cl, err := claim.Parse("accuracy >= 0.7")
		require.NoError(t, err)
		_, err = prover.Prove(&prover.Request{Model: m, Salt: salt, Benchmark: b, Claims: []prover.Claimed{{Claim: cl, Reveal: true}}, KeysDir: dir}, cm)
		require.ErrorIs(t, err, prover.ErrClaimFalse)
		require.Contains(t, err.Error(), "accuracy is ≈0.6667 (2/3), not at least the claimed 0.7")
	})
	t.Run("false upper claim", func(t *testing.T) {
		cl, err := claim.Parse("accuracy <= 1/2")
		require.NoError(t, err)
		_, err = prover.Prove(&prover.Request{Model: m, Salt: salt, Benchmark: b, Claims: []prover.Claimed{{Claim: cl, Reveal: true}}, KeysDir: dir}, cm)
		require.ErrorIs(t, err, prover.ErrClaimFalse)
		require.Contains(t, err.Error(), "not at most the claimed 1/2")
	})
	t.Run("opening of another commitment", func(t *testing.T) {
		cl, err := claim.Parse("accuracy >= 0.5")
		require.NoError(t, err)
		_, err = prover.Prove(&prover.Request{Model: m, Salt: big.NewInt(6), Benchmark: b, Claims: []prover.Claimed{{Claim: cl, Reveal: true}}, KeysDir: dir}, cm)
		require.ErrorContains(t, err, "the opening does not open the model")
	})
	t.Run("another model with this opening", func(t *testing.T) {
		cl, err := claim.Parse("accuracy >= 0")
		require.NoError(t, err)
		_, err = prover.Prove(&prover.Request{Model: testfixture.Model(2), Salt: salt, Benchmark: b, Claims: []prover.Claimed{{Claim: cl, Reveal: true}}, KeysDir: dir}, cm)
		require.ErrorContains(t, err, "the opening does not open the model")
	})
}

func TestProveRejectsKeysOfAnotherCircuit(t *testing.T) {
	m := testfixture.Model(1)
	b := testfixture.Benchmark(m, 1, 9)
	cl, err := claim.Parse("accuracy >= 0.5")
	require.NoError(t, err)
	// keys for the first 8 samples only: another benchmark, another circuit
	short, err := b.Prefix(8)
	require.NoError(t, err)
	spec, err := circuits.NewSpec(m, short, []claim.Shape{cl.Shape(true)})
	require.NoError(t, err)
	dir := t.TempDir()
	_, err = keys.SetupSingleParty(spec, dir, nil)
	require.NoError(t, err)
	salt := big.NewInt(5)
	cm, err := commitment.Commit(m, salt)
	require.NoError(t, err)
	_, err = prover.Prove(&prover.Request{Model: m, Salt: salt, Benchmark: b, Claims: []prover.Claimed{{Claim: cl, Reveal: true}}, KeysDir: dir}, cm)
	require.ErrorContains(t, err, "are for another circuit")
	// and the hidden-count circuit differs from the revealed one
	_, err = prover.Prove(&prover.Request{Model: m, Salt: salt, Benchmark: short, Claims: []prover.Claimed{{Claim: cl, Reveal: false}}, KeysDir: dir}, cm)
	require.ErrorContains(t, err, "value hidden")
	// the matching request proves
	st, err := prover.Prove(&prover.Request{Model: m, Salt: salt, Benchmark: short, Claims: []prover.Claimed{{Claim: cl, Reveal: true}}, KeysDir: dir}, cm)
	require.NoError(t, err)
	require.Equal(t, "single-party", st.Predicate.Setup.Kind)
}

func TestDeterminedHidden(t *testing.T) {
	m := testfixture.Model(1)
	b := testfixture.Benchmark(m, 1, 9)
	shape := func(s string, reveal bool) claim.Shape {
		c, err := claim.Parse(s)
		require.NoError(t, err)
		return c.Shape(reveal)
	}
	b.Labels[0] = 0 // every class labelled at least once
	spec, err := circuits.NewSpec(m, b, []claim.Shape{
		shape("precision[class=a] >= 0", true),
		shape("recall[class=a] >= 0", false), // tp[class=a] is revealed by precision
		shape("accuracy >= 0", false),        // needs the other classes' tp
	})
	require.NoError(t, err)
	w := prover.DeterminedHidden(spec)
	require.Len(t, w, 1)
	require.Contains(t, w[0], "hidden claim recall[class=a] >= T follows from the counts revealed for precision[class=a] >= T")
}

// Keys whose proving and verifying keys come from different setups of the
// same circuit: prove checks its proof with the directory's verifying key
// and writes no attestation.
func TestProveRefusesMismatchedKeys(t *testing.T) {
	m := testfixture.Model(1)
	b := testfixture.Benchmark(m, 1, 6)
	cl, err := claim.Parse("accuracy >= 0")
	require.NoError(t, err)
	spec, err := circuits.NewSpec(m, b, []claim.Shape{cl.Shape(true)})
	require.NoError(t, err)
	dirA, dirB := t.TempDir(), t.TempDir()
	metaA, err := keys.SetupSingleParty(spec, dirA, nil)
	require.NoError(t, err)
	_, err = keys.SetupSingleParty(spec, dirB, nil)
	require.NoError(t, err)
	// A's proving key with B's verifying key, the digests made consistent.
	vkB, err := os.ReadFile(filepath.Join(dirB, keys.VerifyingKeyFile))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dirA, keys.VerifyingKeyFile), vkB, 0o644))
	metaA.Files[keys.VerifyingKeyFile] = keys.Digest(vkB)
	data, err := json.MarshalIndent(metaA, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dirA, keys.MetaFile), data, 0o644))

	salt := big.NewInt(5)
	cm, err := commitment.Commit(m, salt)
	require.NoError(t, err)
	_, err = prover.Prove(&prover.Request{Model: m, Salt: salt, Benchmark: b, Claims: []prover.Claimed{{Claim: cl, Reveal: true}}, KeysDir: dirA}, cm)
	require.ErrorContains(t, err, "do not belong together")
	// B's own keys prove.
	_, err = prover.Prove(&prover.Request{Model: m, Salt: salt, Benchmark: b, Claims: []prover.Claimed{{Claim: cl, Reveal: true}}, KeysDir: dirB}, cm)
	require.NoError(t, err)
}
