package evmtest

import (
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/internal/testfixture"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/prover"
)

// fixture holds real attestations of the small test model (a 6-5-4-3 ReLU
// MLP on 9 samples, 6 of them classified correctly), all made with
// single-party keys.
type fixture struct {
	vk       []byte                 // keys of the circuit proving "accuracy >= T", revealed
	a        *attestation.Statement // accuracy >= 1/2, salt 5, target solidity
	b        *attestation.Statement // accuracy >= 1/3, salt 6 (another commitment), target solidity
	goTarget *attestation.Statement // as a, target go
	vk3      []byte                 // keys of a circuit of three revealed claims
	c3       *attestation.Statement // its attestation, target solidity
}

func makeFixture(t *testing.T) *fixture {
	t.Helper()
	m := testfixture.Model(1)
	b := testfixture.Benchmark(m, 1, 9)
	b.Labels[0] = 0 // every class labelled at least once
	fx := &fixture{}
	var dir string
	dir, fx.vk = setup(t, m, b, "accuracy >= 0")
	fx.a = prove(t, m, b, dir, 5, attestation.TargetSolidity, "accuracy >= 1/2")
	fx.b = prove(t, m, b, dir, 6, attestation.TargetSolidity, "accuracy >= 1/3")
	fx.goTarget = prove(t, m, b, dir, 5, attestation.TargetGo, "accuracy >= 1/2")
	three := []string{"accuracy >= 0", "recall[class=a] >= 0", "precision[class=b] >= 0"}
	dir, fx.vk3 = setup(t, m, b, three...)
	fx.c3 = prove(t, m, b, dir, 5, attestation.TargetSolidity, three...)
	return fx
}

func parseClaims(t *testing.T, texts []string) []prover.Claimed {
	t.Helper()
	var cs []prover.Claimed
	for _, s := range texts {
		cl, err := claim.Parse(s)
		require.NoError(t, err)
		cs = append(cs, prover.Claimed{Claim: cl, Reveal: true})
	}
	return cs
}

// setup makes single-party keys for the claims' shapes (thresholds are
// free) and returns their directory and verifying key.
func setup(t *testing.T, m *model.Model, b *benchmark.Benchmark, claims ...string) (string, []byte) {
	t.Helper()
	shapes, _, err := prover.Shapes(parseClaims(t, claims))
	require.NoError(t, err)
	spec, err := circuits.NewSpec(m, b, shapes)
	require.NoError(t, err)
	dir := t.TempDir()
	_, err = keys.SetupSingleParty(spec, dir, nil)
	require.NoError(t, err)
	vk, err := os.ReadFile(filepath.Join(dir, keys.VerifyingKeyFile))
	require.NoError(t, err)
	return dir, vk
}

func prove(t *testing.T, m *model.Model, b *benchmark.Benchmark, dir string, salt int64, target string, claims ...string) *attestation.Statement {
	t.Helper()
	s := big.NewInt(salt)
	cm, err := commitment.Commit(m, s)
	require.NoError(t, err)
	st, err := prover.Prove(&prover.Request{Model: m, Salt: s, Benchmark: b, Claims: parseClaims(t, claims), KeysDir: dir, Target: target}, cm)
	require.NoError(t, err)
	require.Equal(t, target, st.Predicate.Proof.Target)
	return st
}

func frModulus() *big.Int { return fr.Modulus() }
