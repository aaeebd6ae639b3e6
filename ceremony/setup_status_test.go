package ceremony_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/ceremony"
	"github.com/zkeval/zkeval/internal/jsonfile"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/verifier"
)

// The setup status an attestation gets never says more than was checked:
// single-party; a ceremony the attestation claims, not checked; a ceremony
// checked against its transcript with contributors the verifier trusts.
func TestSetupStatusNeverOverstates(t *testing.T) {
	w := ceremony.GetTestWorld(t)
	vk, err := os.ReadFile(filepath.Join(w.Keys, keys.VerifyingKeyFile))
	require.NoError(t, err)
	verify := func(t *testing.T) *verifier.Result {
		res, err := verifier.Verify(w.Attestation, vk, "vk", verifier.Options{Benchmark: w.Bench})
		require.NoError(t, err)
		return res
	}

	t.Run("claimed, not checked, without a transcript", func(t *testing.T) {
		res := verify(t)
		require.Equal(t, verifier.SetupCeremonyClaimed, res.Setup.Status)
		require.Contains(t, res.Warnings, res.Setup.Warning)
		require.Contains(t, res.Setup.Warning, "forge proofs")
		require.False(t, res.Setup.TranscriptChecked)
	})
	t.Run("claimed, not checked, with a transcript and no trusted key", func(t *testing.T) {
		res := verify(t)
		tc := &verifier.TranscriptChecker{Dir: w.Dir}
		_, err := tc.Check(res, w.Bench, vk)
		require.NoError(t, err)
		require.Equal(t, verifier.SetupCeremonyClaimed, res.Setup.Status)
		require.True(t, res.Setup.TranscriptChecked)
		require.Contains(t, res.Setup.Reason, "no trusted participant given")
		require.Len(t, res.Warnings, 1, "the stated caveat is replaced, not repeated")
		require.Len(t, res.Setup.Beacons, 2)
		require.False(t, res.Setup.Beacons[0].Checkable, "a free-text beacon source")
	})
	t.Run("checked, naming the trusted contributors", func(t *testing.T) {
		res := verify(t)
		tc := &verifier.TranscriptChecker{Dir: w.Dir, Trusted: ceremony.TrustingForTest("regulator")}
		_, err := tc.Check(res, w.Bench, vk)
		require.NoError(t, err)
		require.Equal(t, verifier.SetupCeremonyChecked, res.Setup.Status)
		require.Equal(t, []string{"regulator (phase 1)", "regulator (phase 2)"}, res.Setup.TrustedContributors)
		require.Empty(t, res.Warnings)
		// The result is kept for the next attestation of the same keys.
		res2 := verify(t)
		_, err = tc.Check(res2, w.Bench, vk)
		require.NoError(t, err)
		require.Equal(t, verifier.SetupCeremonyChecked, res2.Setup.Status)
	})

	// Attack 2: single-party keys relabelled "ceremony", naming the real
	// transcript's digest. Without a transcript the attestation gets the
	// claimed-not-checked caveat (at least the single-party one); with it,
	// it is invalid.
	t.Run("single-party keys relabelled ceremony", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "keys")
		_, err := keys.SetupSingleParty(w.Spec, dir, nil)
		require.NoError(t, err)
		meta, err := keys.ReadMeta(dir)
		require.NoError(t, err)
		meta.SetupKind = keys.Ceremony
		meta.Transcript = map[string]string{"sha256": w.Attestation.Predicate.Setup.Transcript["sha256"]}
		data, err := jsonfile.Indent(meta)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, keys.MetaFile), data, 0o644))
		st := w.Prove(t, dir)
		require.Equal(t, keys.Ceremony, st.Predicate.Setup.Kind)
		fakeVK, err := os.ReadFile(filepath.Join(dir, keys.VerifyingKeyFile))
		require.NoError(t, err)

		res, err := verifier.Verify(st, fakeVK, "vk", verifier.Options{Benchmark: w.Bench})
		require.NoError(t, err, "the proof itself is valid")
		require.Equal(t, verifier.SetupCeremonyClaimed, res.Setup.Status)
		require.Contains(t, res.Setup.Warning, "as with single-party keys")

		tc := &verifier.TranscriptChecker{Dir: w.Dir, Trusted: ceremony.TrustingForTest("regulator")}
		_, err = tc.Check(res, w.Bench, fakeVK)
		require.ErrorIs(t, err, verifier.ErrInvalid)
		require.ErrorIs(t, err, ceremony.ErrInvalid)
		require.ErrorContains(t, err, "sealed verifying key")
	})
}
