package onnx

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/model"
)

// testBench returns the test split that the committed models were
// evaluated on: "mnist" (the official test set), "credit-g" or
// "breast-cancer" (the schemas' test splits).
func testBench(t *testing.T, data string) *benchmark.Benchmark {
	t.Helper()
	if data == "mnist" {
		b, err := benchmark.MNISTTest()
		require.NoError(t, err)
		return b
	}
	files, ok := map[string][2]string{
		"credit-g":      {"credit-g.arff", "credit-g.schema.json"},
		"breast-cancer": {"breast_cancer.csv", "breast_cancer.schema.json"},
	}[data]
	require.True(t, ok, "unknown data set %q", data)
	file, schema := files[0], files[1]
	s, err := benchmark.ReadSchema("../../testdata/tabular/" + schema)
	require.NoError(t, err)
	f, err := os.Open("../../testdata/tabular/" + file)
	require.NoError(t, err)
	defer f.Close()
	load := benchmark.LoadARFF
	if strings.HasSuffix(file, ".csv") {
		load = benchmark.LoadCSVSchema
	}
	b, err := load(f, file, s, "test")
	require.NoError(t, err)
	return b
}

// floatPredictions runs the imported float model on every sample.
func floatPredictions(t *testing.T, m *model.FloatModel, b *benchmark.Benchmark) []int {
	t.Helper()
	require.Equal(t, b.NumFeatures, m.InputSize)
	out := make([]int, b.Len())
	x := make([]float64, b.NumFeatures)
	for s, row := range b.X {
		for i, v := range row {
			x[i] = float64(v) / float64(b.InputScale)
		}
		y, err := m.Forward(x)
		require.NoError(t, err)
		out[s] = model.Argmax(y)
	}
	return out
}

// TestSklearnModelsPredictAsSklearn imports the ONNX-ML graphs written by
// testdata/sklearn/export_sklearn.py and checks that zkeval's float model
// predicts, on every test sample, the class scikit-learn's predict gave
// (recorded in the sidecar).
func TestSklearnModelsPredictAsSklearn(t *testing.T) {
	paths, err := filepath.Glob("../../testdata/sklearn/*.json")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(paths), 3)
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".json")
		t.Run(name, func(t *testing.T) {
			var side struct {
				Data            string `json:"data"`
				TestCorrect     int    `json:"testCorrect"`
				TestPredictions []int  `json:"testPredictions"`
				Classes         []int  `json:"classes"`
			}
			raw, err := os.ReadFile(p)
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(raw, &side))
			data := side.Data
			if strings.HasPrefix(data, "MNIST") {
				data = "mnist"
			}
			m, err := Import(strings.TrimSuffix(p, ".json") + ".onnx")
			require.NoError(t, err)
			for k, c := range side.Classes {
				assert.Equal(t, k, c, "the classes are the benchmark's class ids")
			}
			b := testBench(t, data)
			require.Len(t, side.TestPredictions, b.Len())
			got := floatPredictions(t, m, b)
			differ, correct := 0, 0
			for s := range got {
				if got[s] != side.TestPredictions[s] {
					differ++
				}
				if got[s] == b.Labels[s] {
					correct++
				}
			}
			assert.Zero(t, differ, "samples whose prediction differs from scikit-learn's")
			assert.Equal(t, side.TestCorrect, correct)
		})
	}
}

// TestTorchVariantsKeepTheirAccuracy imports the committed PyTorch models of
// the new kinds (heads, one-output, BatchNorm, input normalisation) and
// checks that zkeval's float64 import scores what the training script
// measured with a float64 copy of the PyTorch model.
func TestTorchVariantsKeepTheirAccuracy(t *testing.T) {
	cases := []struct {
		file, data string
		want       int
	}{
		{"tabular/credit_g_mlp_softmax_58_16_2.onnx", "credit-g", 229},
		{"tabular/credit_g_logreg_sigmoid_58_1.onnx", "credit-g", 226},
		{"tabular/breast_cancer_mlp_bn_30_16_2.onnx", "breast-cancer", 165},
		{"tabular/breast_cancer_mlp_logit_30_16_1.onnx", "breast-cancer", 168},
		{"models/mnist_mlp_bn_norm_784_8_10.onnx", "mnist", 9023},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			m, err := Import("../../testdata/" + c.file)
			require.NoError(t, err)
			assert.NotEmpty(t, m.Steps)
			b := testBench(t, c.data)
			correct := 0
			for s, p := range floatPredictions(t, m, b) {
				if p == b.Labels[s] {
					correct++
				}
			}
			assert.Equal(t, c.want, correct)
		})
	}
}
