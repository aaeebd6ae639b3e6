package quantize

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/model/onnx"
)

func mnist(t *testing.T, n int) (*model.FloatModel, *benchmark.Benchmark) {
	fm, err := onnx.Import("../testdata/models/mnist_mlp_784_8_10.onnx")
	require.NoError(t, err)
	full, err := benchmark.MNISTTest()
	require.NoError(t, err)
	b, err := full.Prefix(n)
	require.NoError(t, err)
	return fm, b
}

func TestAutomaticScaleIsSmallestWithinTolerance(t *testing.T) {
	fm, b := mnist(t, 2000)
	rep, err := Run(fm, b, Options{})
	require.NoError(t, err)
	require.True(t, rep.Automatic)
	require.Empty(t, rep.Warning)
	tol := int64(ToleranceCounts) * int64(b.Len()) / 10000 // 0.05 points in samples
	d := rep.QuantCorrect - rep.FloatCorrect
	require.LessOrEqual(t, d*d, tol*tol, "chosen scale must be within 0.05 points")
	// every smaller scale tried was outside the tolerance
	for _, tr := range rep.Trials {
		if tr.ScaleBits < rep.ScaleBits {
			dd := tr.Correct - rep.FloatCorrect
			require.Greater(t, dd*dd, tol*tol, "scale 2^%d was within tolerance but not chosen", tr.ScaleBits)
		}
	}
	// the report's counts are the model's own
	var correct, agree int64
	for s, x := range b.X {
		out, err := rep.Model.Eval(x)
		require.NoError(t, err)
		if model.Argmax(out) == b.Labels[s] {
			correct++
		}
		xf := make([]float64, len(x))
		for i, v := range x {
			xf[i] = float64(v) / 255
		}
		y, err := fm.Forward(xf)
		require.NoError(t, err)
		if model.Argmax(y) == model.Argmax(out) {
			agree++
		}
	}
	require.Equal(t, rep.QuantCorrect, correct)
	require.Equal(t, rep.Agree, agree)
	require.Len(t, rep.Layers, 2)
	require.Positive(t, rep.Layers[0].AccBits)
	require.GreaterOrEqual(t, rep.Layers[0].WorstBits, rep.Layers[0].AccBits)
}

func TestExplicitScaleWarnsWhenAccuracyMoves(t *testing.T) {
	fm, b := mnist(t, 2000)
	rep, err := Run(fm, b, Options{ScaleBits: 1})
	require.NoError(t, err)
	require.Equal(t, 1, rep.ScaleBits)
	require.Contains(t, rep.Warning, "more than 0.05 percentage points")
}

func TestInputScaleMustMatchBenchmark(t *testing.T) {
	fm, b := mnist(t, 10)
	_, err := Run(fm, b, Options{InputScale: 256})
	require.ErrorContains(t, err, "differs from the benchmark's feature scale 1/255")
}

func TestWithoutBenchmarkDefaults(t *testing.T) {
	fm, _ := mnist(t, 1)
	rep, err := Run(fm, nil, Options{})
	require.NoError(t, err)
	require.Equal(t, DefaultBits, rep.ScaleBits)
	require.Equal(t, int64(DefaultInput), rep.InputScale)
}

func tabular(t *testing.T, data, schema string) *benchmark.Benchmark {
	t.Helper()
	s, err := benchmark.ReadSchema("../testdata/tabular/" + schema)
	require.NoError(t, err)
	f, err := os.Open("../testdata/tabular/" + data)
	require.NoError(t, err)
	defer f.Close()
	load := benchmark.LoadARFF
	if strings.HasSuffix(data, ".csv") {
		load = benchmark.LoadCSVSchema
	}
	b, err := load(f, data, s, "test")
	require.NoError(t, err)
	return b
}

// Below FullAgreementBelow samples the automatic scale is the smallest that
// keeps every decision equal to float. On the German credit test split the
// 58-16-2 MLP reaches its float accuracy already at 2^5 with two decisions
// changed (they cancel out), so the count rule alone would pick a scale that
// changes decisions.
func TestSmallBenchmarkNeedsFullAgreement(t *testing.T) {
	b := tabular(t, "credit-g.arff", "credit-g.schema.json")
	require.Less(t, b.Len(), FullAgreementBelow)
	fm, err := onnx.Import("../testdata/tabular/credit_g_mlp_58_16_2.onnx")
	require.NoError(t, err)
	rep, err := Run(fm, b, Options{})
	require.NoError(t, err)
	require.True(t, rep.Automatic)
	require.True(t, rep.FullAgreement)
	require.Empty(t, rep.Warning)
	require.Equal(t, int64(b.Len()), rep.Agree)
	require.Equal(t, rep.FloatCorrect, rep.QuantCorrect)
	require.Equal(t, 10, rep.ScaleBits)
	countOnly := 0
	for _, tr := range rep.Trials {
		if tr.ScaleBits < rep.ScaleBits {
			require.Less(t, tr.Agree, int64(b.Len()), "2^%d keeps every decision but was not chosen", tr.ScaleBits)
			if tr.Correct == rep.FloatCorrect && countOnly == 0 {
				countOnly = tr.ScaleBits
			}
		}
	}
	require.Equal(t, 5, countOnly, "the count rule would have stopped at 2^5")

	var out bytes.Buffer
	rep.Print(&out)
	require.Contains(t, out.String(), "the smallest that keeps every prediction equal to float")

	// The other committed tabular models reach full agreement too.
	bc := tabular(t, "breast_cancer.csv", "breast_cancer.schema.json")
	for _, c := range []struct {
		onnx string
		b    *benchmark.Benchmark
	}{
		{"credit_g_logreg_58_2.onnx", b},
		{"credit_g_logreg_58_2.onnx", tabular(t, "credit-g.arff", "credit-g-age.schema.json")},
		{"breast_cancer_logreg_30_2.onnx", bc},
		{"breast_cancer_mlp_30_16_2.onnx", bc},
	} {
		fm, err := onnx.Import("../testdata/tabular/" + c.onnx)
		require.NoError(t, err)
		rep, err := Run(fm, c.b, Options{})
		require.NoError(t, err)
		require.Equal(t, int64(c.b.Len()), rep.Agree, c.onnx)
	}
}

// At and above FullAgreementBelow samples the rule is unchanged: the
// smallest scale within 0.05 points of float accuracy.
func TestLargeBenchmarkKeepsCountRule(t *testing.T) {
	fm, b := mnist(t, FullAgreementBelow)
	rep, err := Run(fm, b, Options{})
	require.NoError(t, err)
	require.False(t, rep.FullAgreement)
	require.Equal(t, rep.FloatCorrect, rep.QuantCorrect)
}

// An automatic scale chosen on a handful of samples is printed with a note
// saying how to check it; on a benchmark of FewSamples or more, or with a
// given scale, no note.
func TestFewSamplesNote(t *testing.T) {
	print := func(r Report) string {
		var out bytes.Buffer
		r.Print(&out)
		return out.String()
	}
	few := Report{Automatic: true, Samples: 4, ScaleBits: 4, FullAgreement: true}
	require.Contains(t, print(few), "NOTE         the scale was chosen on 4 samples only")
	require.Contains(t, print(few), "--scale-bits 4")
	many := few
	many.Samples = FewSamples
	require.NotContains(t, print(many), "NOTE")
	given := few
	given.Automatic = false
	require.NotContains(t, print(given), "NOTE")
}
