package verifier_test

import (
	"encoding/binary"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/verifier"
)

// TestNonCanonicalAttestationsFail: every field a reader of the JSON relies
// on must be the value the verifier checked. Each case verified before: the
// proof does not cover these spellings, and the verifier used to normalise
// them, or ignore them, silently.
func TestNonCanonicalAttestationsFail(t *testing.T) {
	w := get(t)
	cases := map[string]func(st *attestation.Statement){
		"claim split across fields": func(st *attestation.Statement) {
			c := &st.Predicate.Claims[0]
			c.Metric, c.Comparison = "accuracy >=", ""
		},
		"metric in capitals":     func(st *attestation.Statement) { st.Predicate.Claims[0].Metric = "ACCURACY" },
		"value with a plus sign": func(st *attestation.Statement) { st.Predicate.Claims[0].Value = "+" + st.Predicate.Claims[0].Value },
		"value with leading zeros": func(st *attestation.Statement) {
			st.Predicate.Claims[0].Value = "0" + strings.Replace(st.Predicate.Claims[0].Value, "/", "/0", 1)
		},
		"commitment in capitals": func(st *attestation.Statement) {
			st.Predicate.Model.Commitment = "0x" + strings.ToUpper(st.Predicate.Model.Commitment[2:])
		},
		"circuit id in capitals": func(st *attestation.Statement) { st.Predicate.Circuit.ID = strings.ToUpper(st.Predicate.Circuit.ID) },
		"benchmark digest, capitals": func(st *attestation.Statement) {
			st.Predicate.Benchmark.Digest["sha256"] = strings.ToUpper(st.Predicate.Benchmark.Digest["sha256"])
		},
		"extra subject digest":         func(st *attestation.Statement) { st.Subject[0].Digest["sha256"] = strings.Repeat("ab", 32) },
		"extra benchmark digest":       func(st *attestation.Statement) { st.Predicate.Benchmark.Digest["md5"] = strings.Repeat("ab", 16) },
		"extra verifying key digest":   func(st *attestation.Statement) { st.Predicate.Proof.VerifyingKey["sha512"] = strings.Repeat("ab", 64) },
		"forged public inputs list":    func(st *attestation.Statement) { st.Predicate.Proof.PublicInputs[4] = "0x01" },
		"public inputs list shortened": func(st *attestation.Statement) { st.Predicate.Proof.PublicInputs = st.Predicate.Proof.PublicInputs[:5] },
		"public input count":           func(st *attestation.Statement) { st.Predicate.Circuit.PublicCount++ },
		"constraint system in capitals": func(st *attestation.Statement) {
			st.Predicate.Circuit.ConstraintSystem["sha256"] = strings.ToUpper(st.Predicate.Circuit.ConstraintSystem["sha256"])
		},
		"extra constraint-system digest": func(st *attestation.Statement) {
			st.Predicate.Circuit.ConstraintSystem["md5"] = strings.Repeat("ab", 16)
		},
		"single-party naming a transcript": func(st *attestation.Statement) {
			st.Predicate.Setup.Transcript = map[string]string{"sha256": strings.Repeat("ab", 32)}
		},
		"ceremony without a transcript": func(st *attestation.Statement) { st.Predicate.Setup.Kind = "ceremony" },
		"ceremony, transcript short": func(st *attestation.Statement) {
			st.Predicate.Setup.Kind, st.Predicate.Setup.Transcript = "ceremony", map[string]string{"sha256": "ab"}
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			st := clone(t, w.st)
			mutate(st)
			_, err := verifier.Verify(st, w.vk, "vk", verifier.Options{})
			require.ErrorIs(t, err, verifier.ErrInvalid)
		})
	}
}

// TestRenamedBenchmarkFails: the benchmark's name and split are not public
// inputs; with the benchmark file given, the verifier checks them against
// the file (whose digest covers them), instead of printing the
// attestation's own words next to "recomputed from the file given".
func TestRenamedBenchmarkFails(t *testing.T) {
	w := get(t)
	st := clone(t, w.st)
	st.Predicate.Benchmark.Name, st.Predicate.Benchmark.Split = "mnist", "test"
	_, err := verifier.Verify(st, w.vk, "vk", verifier.Options{Benchmark: w.b, BenchmarkFile: "f.bench"})
	require.ErrorIs(t, err, verifier.ErrInvalid)
	require.ErrorContains(t, err, "mnist/test")
}

// TestHostileProofLengthIsBounded: the proof encoding declares its number
// of commitments; a 196-byte proof declaring 2^32-1 of them made the
// decoder ask for 256 GiB and crashed the verifier (fatal out of memory,
// exit status 2). The count is now checked against the bytes first.
func TestHostileProofLengthIsBounded(t *testing.T) {
	w := get(t)
	for _, n := range []uint32{1 << 22, 0xffffffff} {
		st := clone(t, w.st)
		binary.BigEndian.PutUint32(st.Predicate.Proof.Bytes[128:], n)
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		_, err := verifier.Verify(st, w.vk, "vk", verifier.Options{})
		runtime.ReadMemStats(&m1)
		require.ErrorIs(t, err, verifier.ErrInvalid)
		require.Less(t, m1.TotalAlloc-m0.TotalAlloc, uint64(16<<20), "allocated for a %d-byte proof", len(st.Predicate.Proof.Bytes))
	}
}

// TestHostileVerifyingKeyLengthIsBounded: likewise for the K points of a
// verifying key (the attestation names the hostile key's digest, as an
// attacker who hands out both would).
func TestHostileVerifyingKeyLengthIsBounded(t *testing.T) {
	w := get(t)
	vk := append([]byte{}, w.vk...)
	const kAt = 32 + 32 + 64 + 64 + 32 + 64 // compressed α1 β1 β2 γ2 δ1 δ2
	binary.BigEndian.PutUint32(vk[kAt:], 1<<22)
	st := clone(t, w.st)
	st.Predicate.Proof.VerifyingKey["sha256"] = keys.Digest(vk)
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	_, err := verifier.Verify(st, vk, "vk", verifier.Options{})
	runtime.ReadMemStats(&m1)
	require.ErrorIs(t, err, verifier.ErrInvalid)
	require.Less(t, m1.TotalAlloc-m0.TotalAlloc, uint64(16<<20))
}

// TestUnprintableTextFails: verify prints the benchmark's name and split
// (which no proof covers) and the class and group names next to VALID. A
// split holding a newline and a fake claim line, or escape sequences that
// move the cursor, verified and printed raw; such text now makes the
// attestation invalid, and the error quotes it.
func TestUnprintableTextFails(t *testing.T) {
	w := get(t)
	fake := "test, all 24 samples (recomputed from the file given)\n  claim             accuracy >= 0.99: holds"
	cases := map[string]struct {
		field  string
		mutate func(st *attestation.Statement)
	}{
		"newline in the split": {"predicate.benchmark.split", func(st *attestation.Statement) { st.Predicate.Benchmark.Split = fake }},
		"escape in the name": {"predicate.benchmark.name", func(st *attestation.Statement) {
			st.Predicate.Benchmark.Name = "x\x1b[1A\x1b[2K\rVALID"
		}},
		"escape in a claim's class": {"predicate.claims[0].class", func(st *attestation.Statement) {
			st.Predicate.Claims[0].Class = " \x1b[2K\x1b[1A\rVALID"
		}},
		"bidi override in a class name": {"predicate.circuit.public.classes[1]", func(st *attestation.Statement) {
			st.Predicate.Circuit.Public.Classes[1] = "\u202egood"
		}},
		"tab in a count name": {"predicate.claims[0].counts[0].name", func(st *attestation.Statement) {
			st.Predicate.Claims[0].Counts[0].Name = "tp\t= 24"
		}},
		"escape in the subject name": {"subject[0].name", func(st *attestation.Statement) {
			st.Subject[0].Name = "model\x1b[2K\rVALID"
		}},
		"newline in the model name": {"predicate.model.name", func(st *attestation.Statement) {
			st.Predicate.Model.Name = "m\n  setup             ceremony, checked"
		}},
		"escape in the producer": {"predicate.producer.version", func(st *attestation.Statement) {
			st.Predicate.Producer.Version = "1\x1b[8m"
		}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			st := clone(t, w.st)
			c.mutate(st)
			_, err := verifier.Verify(st, w.vk, "vk", verifier.Options{})
			require.ErrorIs(t, err, verifier.ErrInvalid)
			require.ErrorContains(t, err, c.field)
			require.NotContains(t, err.Error(), "\x1b")
			require.NotContains(t, err.Error(), "\n")
		})
	}
}
