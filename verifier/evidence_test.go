package verifier_test

import (
	"encoding/hex"
	"errors"
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/verifier"
)

// TestErrorsCarryEvidence: a refused attestation's error is a
// *verifier.CheckError naming the check that failed, with the value
// expected and the value found, and the attestation file when given.
func TestErrorsCarryEvidence(t *testing.T) {
	w := get(t)
	good := clone(t, w.st)
	wantID := good.Predicate.Circuit.ID
	for name, tc := range map[string]struct {
		mutate           func(st *attestation.Statement)
		check            string
		expected, actual string
	}{
		"other vk digest": {
			func(st *attestation.Statement) { st.Predicate.Proof.VerifyingKey["sha256"] = keys.Digest([]byte("x")) },
			verifier.CheckVerifyingKey, keys.Digest([]byte("x")), keys.Digest(w.vk),
		},
		"circuit id": {
			func(st *attestation.Statement) { st.Predicate.Circuit.ID = hex.EncodeToString(make([]byte, 32)) },
			verifier.CheckCircuitID, wantID, hex.EncodeToString(make([]byte, 32)),
		},
		"inflated value": {
			func(st *attestation.Statement) { st.Predicate.Claims[0].Value = big.NewRat(w.count+1, 24).RatString() },
			verifier.CheckClaim, big.NewRat(w.count, 24).RatString(), big.NewRat(w.count+1, 24).RatString(),
		},
		"flipped proof byte": {
			func(st *attestation.Statement) { st.Predicate.Proof.Bytes[40] ^= 1 },
			verifier.CheckProof, "", "",
		},
	} {
		t.Run(name, func(t *testing.T) {
			st := clone(t, w.st)
			tc.mutate(st)
			_, err := verifier.Verify(st, w.vk, "vk", verifier.Options{AttestationFile: "att.json"})
			require.ErrorIs(t, err, verifier.ErrInvalid)
			var ce *verifier.CheckError
			require.True(t, errors.As(err, &ce), "%T: %v", err, err)
			require.Equal(t, tc.check, ce.Check)
			require.Equal(t, "att.json", ce.File)
			require.Contains(t, err.Error(), "att.json: ")
			if tc.expected != "" || tc.actual != "" {
				require.Equal(t, tc.expected, ce.Expected)
				require.Equal(t, tc.actual, ce.Actual)
			}
		})
	}
}
