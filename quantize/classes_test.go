package quantize

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/model"
)

// twoFeature returns a 2-2 float model whose prediction is class 0 when
// x0 > x1, class 1 otherwise, and a benchmark of 10 samples with 7 of class
// "good" (0) and 3 of "bad" (1), labelled as the model predicts.
func twoFeature() (*model.FloatModel, *benchmark.Benchmark) {
	fm := &model.FloatModel{Name: "t", InputSize: 2, Layers: []model.FloatLayer{
		{Name: "fc", W: [][]float64{{1, -1}, {-1, 1}}, B: []float64{0, 0}}}}
	b := &benchmark.Benchmark{Name: "t", Split: "test", NumFeatures: 2, InputScale: 4, ClassNames: []string{"good", "bad"}}
	for i := 0; i < 10; i++ {
		if i < 7 {
			b.X = append(b.X, []int64{4, int64(i % 3)})
			b.Labels = append(b.Labels, 0)
		} else {
			b.X = append(b.X, []int64{0, 4})
			b.Labels = append(b.Labels, 1)
		}
	}
	return fm, b
}

func TestClassCountMismatch(t *testing.T) {
	fm, b := twoFeature()
	fm.Layers[0].W = append(fm.Layers[0].W, []float64{0, 0})
	fm.Layers[0].B = append(fm.Layers[0].B, 0)
	_, err := Run(fm, b, Options{})
	require.ErrorIs(t, err, ErrClassCount)
	assert.Contains(t, err.Error(), "the model has 3 outputs but benchmark t/test (10 samples, 2 features, 2 classes) has 2 classes (0=good, 1=bad)")
}

func TestMajorityWarning(t *testing.T) {
	fm, b := twoFeature()
	rep, err := Run(fm, b, Options{})
	require.NoError(t, err)
	assert.Equal(t, int64(10), rep.FloatCorrect)
	assert.Equal(t, "good", rep.MajorityClass)
	assert.Equal(t, int64(7), rep.MajorityCorrect)
	assert.Empty(t, rep.LabelWarning)

	// The same model with its classes swapped, as a benchmark read with
	// the other class order would score it: 0/10, below 7/10.
	fm.Layers[0].W[0], fm.Layers[0].W[1] = fm.Layers[0].W[1], fm.Layers[0].W[0]
	rep, err = Run(fm, b, Options{})
	require.NoError(t, err)
	assert.Equal(t, int64(0), rep.FloatCorrect)
	assert.Contains(t, rep.LabelWarning, `float accuracy 0/10 (0.00%) is below the majority-class rate 7/10 (70.00%, always predicting "good")`)
	assert.Contains(t, rep.LabelWarning, "The benchmark's classes are 0=good, 1=bad")
	var out strings.Builder
	rep.Print(&out)
	assert.Contains(t, out.String(), "\nWARNING      float accuracy 0/10")
	assert.Contains(t, out.String(), "\nclasses      0=good, 1=bad (output k is class k)\n")
}

func TestClassLabelsMustMatch(t *testing.T) {
	fm, b := twoFeature()
	fm.ClassLabels = []string{"good", "bad"}
	_, err := Run(fm, b, Options{})
	require.NoError(t, err)
	fm.ClassLabels = []string{"0", "1"} // class ids, not names
	_, err = Run(fm, b, Options{})
	require.NoError(t, err)
	fm.ClassLabels = []string{"bad", "good"}
	_, err = Run(fm, b, Options{})
	require.ErrorIs(t, err, ErrClassNames)
	assert.Contains(t, err.Error(), "the model's class labels are 0=bad, 1=good, in this order, but benchmark t/test has classes 0=good, 1=bad; import the benchmark with the model's order (for CSV: --classes bad,good")
	fm.ClassLabels = []string{"yes", "no"}
	_, err = Run(fm, b, Options{})
	require.ErrorIs(t, err, ErrClassNames)
	assert.Contains(t, err.Error(), "retrain the model on labels in the benchmark's order")
}
