package ceremony

import (
	"testing"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/circuits"
)

// What the external tests (package ceremony_test, which may import package
// verifier) use of the shared ceremonies.

// TestWorld is the sealed three-party ceremony A of the shared world.
type TestWorld struct {
	Spec        *circuits.Spec
	Bench       *benchmark.Benchmark
	Dir, Keys   string
	Attestation *attestation.Statement // proven with Keys
	// Prove proves the world's claim with another keys directory.
	Prove func(t *testing.T, keysDir string) *attestation.Statement
}

// GetTestWorld returns the shared world, built once per test binary.
func GetTestWorld(t *testing.T) *TestWorld {
	w := get(t)
	return &TestWorld{Spec: w.specA, Bench: w.benchA, Dir: w.dirA, Keys: w.keysA, Attestation: w.attestationA(t),
		Prove: func(t *testing.T, keysDir string) *attestation.Statement { return prove(t, w, w.benchA, keysDir) }}
}

// TrustingForTest is the list of trusted participants for names.
func TrustingForTest(names ...string) []Participant { return trusting(names...) }
