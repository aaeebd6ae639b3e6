package quantize

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/model"
)

func mnist(t *testing.T, n int) (*model.FloatModel, *benchmark.Benchmark) {
	fm, err := model.ImportONNX("../testdata/models/mnist_mlp_784_8_10.onnx")
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
