package verifier_test

import (
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/internal/testfixture"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/model/onnx"
	"github.com/zkeval/zkeval/prover"
	"github.com/zkeval/zkeval/verifier"
)

// TestCreditClaims proves, on the real German credit test split with the
// real 58-16-2 model, accuracy and recall (revealed) and a demographic
// parity claim (hidden) in one proof, verifies it, and checks that each
// tampered claim fails.
func TestCreditClaims(t *testing.T) {
	b, err := testfixture.Tabular("../testdata/tabular", "credit-g.arff", "credit-g.schema.json")
	require.NoError(t, err)
	fm, err := onnx.Import("../testdata/tabular/credit_g_mlp_58_16_2.onnx")
	require.NoError(t, err)
	m, err := model.Quantize(fm, 10, b.InputScale)
	require.NoError(t, err)
	parse := func(s string, reveal bool) prover.Claimed {
		c, err := claim.Parse(s)
		require.NoError(t, err)
		return prover.Claimed{Claim: c, Reveal: reveal}
	}
	claims := []prover.Claimed{
		parse("recall[class=bad] >= 0.5", true),
		parse("demographic_parity_difference[group=sex] <= 0.1", false),
		parse("accuracy >= 0.74", true),
	}
	shapes, _, err := prover.Shapes(claims)
	require.NoError(t, err)
	spec, err := circuits.NewSpec(m, b, shapes)
	require.NoError(t, err)
	dir := t.TempDir()
	_, err = keys.SetupSingleParty(spec, dir, nil)
	require.NoError(t, err)
	salt := big.NewInt(2718281828)
	cm, err := commitment.Commit(m, salt)
	require.NoError(t, err)
	st, err := prover.Prove(&prover.Request{Model: m, Salt: salt, Benchmark: b, Claims: claims, KeysDir: dir}, cm)
	require.NoError(t, err)
	vk, err := os.ReadFile(filepath.Join(dir, keys.VerifyingKeyFile))
	require.NoError(t, err)

	res, err := verifier.Verify(st, vk, "vk", verifier.Options{Benchmark: b})
	require.NoError(t, err)
	require.Len(t, res.Claims, 3)
	// canonical order: accuracy, demographic parity, recall
	require.Equal(t, "accuracy >= 0.74", res.Claims[0].Text)
	require.Equal(t, "229/300", res.Claims[0].Value.RatString())
	require.True(t, res.Claims[1].Hidden)
	require.Contains(t, res.Claims[1].Words, `largest minus smallest share of samples predicted "bad" (selection rate) among the groups of "sex" (male 208, female 92 samples)`)
	require.Equal(t, "50/87", res.Claims[2].Value.RatString())
	require.Equal(t, []attestation.Count{{Name: "tp[class=bad]", Value: 50}}, res.Claims[2].Counts)

	cases := map[string]func(st *attestation.Statement){
		"hidden claim's threshold lowered": func(st *attestation.Statement) { st.Predicate.Claims[1].Threshold = "0.05" },
		"recall count raised": func(st *attestation.Statement) {
			st.Predicate.Claims[2].Counts[0].Value = 60
			st.Predicate.Claims[2].Value = "20/29"
		},
		"recall for the other class": func(st *attestation.Statement) { st.Predicate.Claims[2].Class = "good" },
		"claims swapped": func(st *attestation.Statement) {
			c := st.Predicate.Claims
			c[0], c[2] = c[2], c[0]
		},
		"claim dropped": func(st *attestation.Statement) { st.Predicate.Claims = st.Predicate.Claims[:2] },
		"positive class changed": func(st *attestation.Statement) {
			st.Predicate.Claims[1].Positive = "good"
		},
		"another group attribute": func(st *attestation.Statement) { st.Predicate.Claims[1].Group = "age" },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			c := clone(t, st)
			mutate(c)
			_, err := verifier.Verify(c, vk, "vk", verifier.Options{})
			require.ErrorIs(t, err, verifier.ErrInvalid)
		})
	}
}
