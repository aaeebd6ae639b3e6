package verifier_test

import (
	"fmt"
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
	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/model/onnx"
	"github.com/zkeval/zkeval/prover"
	"github.com/zkeval/zkeval/verifier"
)

// TestActivationModelsProveAndVerify takes each real breast cancer MLP of
// testdata/tabular with a hidden activation other than ReLU (LeakyRelu,
// Tanh, Sigmoid, GELU in its Erf form and as the opset-20 op, HardSwish,
// HardSigmoid) through setup, prove and verify on the first 6 test
// samples, and checks that a raised count fails verification.
func TestActivationModelsProveAndVerify(t *testing.T) {
	full, err := testfixture.Tabular("../testdata/tabular", "breast_cancer.csv", "breast_cancer.schema.json")
	require.NoError(t, err)
	b, err := full.Prefix(6)
	require.NoError(t, err)
	for _, c := range []struct {
		name  string
		scale int // the scale model import chooses on the test split
	}{{"tanh", 4}, {"leakyrelu", 5}, {"sigmoid", 4}, {"gelu", 5}, {"gelu_op20", 5}, {"hardswish", 4}, {"hardsigmoid", 4}} {
		t.Run(c.name, func(t *testing.T) {
			fm, err := onnx.Import(fmt.Sprintf("../testdata/tabular/breast_cancer_mlp_%s_30_16_2.onnx", c.name))
			require.NoError(t, err)
			m, err := model.Quantize(fm, c.scale, b.InputScale)
			require.NoError(t, err)
			require.NotNil(t, m.Layers[0].Act)
			ev, err := prover.Evaluate(m, b)
			require.NoError(t, err)
			cl, err := claim.Parse("accuracy >= 1/2")
			require.NoError(t, err)
			claims := []prover.Claimed{{Claim: cl, Reveal: true}}
			spec, err := circuits.NewSpec(m, b, []claim.Shape{cl.Shape(true)})
			require.NoError(t, err)
			dir := t.TempDir()
			_, err = keys.SetupSingleParty(spec, dir, nil)
			require.NoError(t, err)
			salt := big.NewInt(31337)
			cm, err := commitment.Commit(m, salt)
			require.NoError(t, err)
			st, err := prover.Prove(&prover.Request{Model: m, Salt: salt, Benchmark: b, Claims: claims, KeysDir: dir}, cm)
			require.NoError(t, err)
			vk, err := os.ReadFile(filepath.Join(dir, keys.VerifyingKeyFile))
			require.NoError(t, err)
			res, err := verifier.Verify(st, vk, "vk", verifier.Options{Benchmark: b})
			require.NoError(t, err)
			require.Equal(t, big.NewRat(ev.Correct, 6).RatString(), res.Claims[0].Value.RatString())

			bad := *st
			bad.Predicate.Claims = append(bad.Predicate.Claims[:0:0], st.Predicate.Claims...)
			bad.Predicate.Claims[0].Counts = append(bad.Predicate.Claims[0].Counts[:0:0], st.Predicate.Claims[0].Counts...)
			bad.Predicate.Claims[0].Counts[0].Value--
			bad.Predicate.Claims[0].Value = big.NewRat(ev.Correct-1, 6).RatString()
			_, err = verifier.Verify(&bad, vk, "vk", verifier.Options{Benchmark: b})
			require.ErrorContains(t, err, "proof", "a lowered count must not verify")
		})
	}
}
