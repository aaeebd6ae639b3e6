package attestation

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func minimal(t *testing.T) string {
	st := &Statement{
		Type:          StatementType,
		Subject:       []Subject{{Name: "m", Digest: map[string]string{SubjectDigestAlg: "01"}}},
		PredicateType: PredicateType,
		Predicate: Predicate{
			Model:     ModelInfo{Commitment: "0x01", CommitmentScheme: "s"},
			Benchmark: BenchmarkInfo{Name: "b", Split: "test", Samples: 3, Digest: map[string]string{"sha256": "aa"}},
			Claims:    []Claim{{Metric: "accuracy", Comparison: ">=", Threshold: "0.5", Value: "2/3", Counts: []Count{{Name: "correct", Value: 2}}}},
			Circuit:   CircuitInfo{ID: "cc", ConstraintSystem: map[string]string{"sha256": "ee"}},
			Proof:     ProofInfo{System: "groth16", Curve: "bn254", VerifyingKey: map[string]string{"sha256": "dd"}, Bytes: []byte{1}},
		},
	}
	data, err := st.Marshal()
	require.NoError(t, err)
	_, err = Parse(data, "ok.json")
	require.NoError(t, err)
	return string(data)
}

// TestParseRejectsLooseKeys: encoding/json matches keys without regard to
// case and keeps the last of repeated keys, where most other JSON readers
// keep the exact key (and jq, Python or JavaScript the last exact one). An
// attestation with "threshold": "0.99" followed by "Threshold": "0.5" was
// verified as "accuracy >= 0.5" while every other reader saw 0.99.
func TestParseRejectsLooseKeys(t *testing.T) {
	s := minimal(t)
	thr := `"threshold": "0.5",`
	require.Contains(t, s, thr)
	for name, bad := range map[string]string{
		"case-variant duplicate": strings.Replace(s, thr, `"threshold": "0.99", "Threshold": "0.5",`, 1),
		"exact duplicate":        strings.Replace(s, thr, `"threshold": "0.99", "threshold": "0.5",`, 1),
		"case variant alone":     strings.Replace(s, thr, `"Threshold": "0.5",`, 1),
		"duplicate proof bytes":  strings.Replace(s, `"bytes":`, `"bytes": "AQ==", "bytes":`, 1),
		"duplicate in a map":     strings.Replace(s, `"sha256": "aa"`, `"sha256": "bb", "sha256": "aa"`, 1),
		"duplicate in a digest":  strings.Replace(s, `"sha256": "ee"`, `"sha256": "ff", "sha256": "ee"`, 1),
		"case-variant top level": strings.Replace(s, `"predicateType":`, `"PredicateType": "x", "predicateType":`, 1),
	} {
		require.NotEqual(t, s, bad, name)
		_, err := Parse([]byte(bad), "bad.json")
		require.Error(t, err, name)
		require.ErrorContains(t, err, "bad.json", name)
	}
	// encoding/json also folds the Kelvin sign (U+212A) onto "k".
	_, err := Parse([]byte(strings.Replace(s, `"kind": ""`, `"kind": "", "\u212aind": "x"`, 1)), "kelvin.json")
	require.Error(t, err)
}

// TestParseRefusesInvalidUTF8: encoding/json turned a byte that is not
// UTF-8 (here in the benchmark's name) into U+FFFD, so verify printed and
// checked another text than the file holds.
func TestParseRefusesInvalidUTF8(t *testing.T) {
	ok := minimal(t)
	bad := strings.Replace(ok, `"name": "b"`, "\"name\": \"b\xff\"", 1)
	require.NotEqual(t, ok, bad)
	_, err := Parse([]byte(bad), "bad.json")
	require.ErrorContains(t, err, "bad.json: not a zkeval attestation: byte ")
	require.ErrorContains(t, err, "is not UTF-8")
	i := strings.Index(bad, "\xff")
	require.ErrorContains(t, err, "byte "+strconv.Itoa(i)+" ")
}

// TestParseRefusesFieldsNoProofCovers: the predicate once had a free-form
// "notes" object that the proof did not bind and verify did not show; an
// attestation holding it, or any other field zkeval does not know, is
// refused rather than carried along unseen.
func TestParseRefusesFieldsNoProofCovers(t *testing.T) {
	s := minimal(t)
	for name, bad := range map[string]string{
		"notes":            strings.Replace(s, `"provedAt":`, `"notes": {"audited by": "Big Four firm"}, "provedAt":`, 1),
		"unknown in model": strings.Replace(s, `"commitment":`, `"license": "MIT", "commitment":`, 1),
	} {
		require.NotEqual(t, s, bad, name)
		_, err := Parse([]byte(bad), "bad.json")
		require.ErrorContains(t, err, "unknown field", name)
	}
	// The constraint-system digest is required.
	_, err := Parse([]byte(strings.Replace(s, `"sha256": "ee"`, `"md5": "ee"`, 1)), "cs.json")
	require.ErrorContains(t, err, "predicate.circuit.constraintSystem.sha256 is missing")
}
