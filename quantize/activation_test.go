package quantize

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/model/activation"
)

// actMLP returns a 784-4-10 model for MNIST whose first layer computes
// c·(k+1)·(sum of the pixels)/4 - 1 for output k, then act.
func actMLP(c float64, act *activation.FloatSpec) *model.FloatModel {
	l0 := model.FloatLayer{Name: "fc1", W: make([][]float64, 4), B: make([]float64, 4), Act: act}
	for k := range l0.W {
		l0.W[k] = make([]float64, 784)
		for i := range l0.W[k] {
			l0.W[k][i] = c * float64(k+1) / 4
		}
		l0.B[k] = -1
	}
	l1 := model.FloatLayer{Name: "fc2", W: make([][]float64, 10), B: make([]float64, 10)}
	for o := range l1.W {
		l1.W[o] = []float64{float64(o%3) - 1, float64(o%2) - 0.5, float64(o) / 10, 0.25}
	}
	return &model.FloatModel{Name: "act", InputSize: 784, Layers: []model.FloatLayer{l0, l1}}
}

// TestTableSizeCheckedAtImport: the activation table's size, which setup
// limits to 2^desc.MaxActTableBits entries, is checked when the model is
// quantized on a benchmark: a scale whose table is too large is refused,
// and the table of an accepted one is reported.
func TestTableSizeCheckedAtImport(t *testing.T) {
	_, b := mnist(t, 20)
	// Inputs of tanh range over about 3 to 25: 2^(f+2) entries per unit.
	fm := actMLP(0.1, &activation.FloatSpec{Kind: activation.Tanh})
	_, err := Run(fm, b, Options{ScaleBits: 12})
	var te *circuits.ActTableError
	require.True(t, errors.As(err, &te), "got %v", err)
	require.Equal(t, 0, te.Layer)
	require.Greater(t, te.Entries, int64(1)<<desc.MaxActTableBits)
	require.ErrorContains(t, err, "scale 2^12: layer 0: its tanh table would need")

	rep, err := Run(fm, b, Options{ScaleBits: 4})
	require.NoError(t, err)
	lr := rep.Layers[0]
	require.Positive(t, lr.TableEntries)
	require.LessOrEqual(t, lr.TableEntries, int64(1)<<desc.MaxActTableBits)
	require.NotNil(t, lr.TableShift)
	require.Equal(t, rep.Model.Layers[0].Act.Shift, *lr.TableShift)
	require.Equal(t, 4, lr.TableOutBits)
	require.Contains(t, lr.ActivationRule, fmt.Sprintf("lookup table: input step 2^%d/", *lr.TableShift))
	require.Contains(t, lr.ActivationRule, fmt.Sprintf("(shift %d: index floor(acc/2^%d)), output rounded to 2^-4; %d entries for the benchmark's accumulators (at most 2^17)", *lr.TableShift, *lr.TableShift, lr.TableEntries))

	// So large that even the smallest automatic scale is refused, saying
	// why.
	_, err = Run(actMLP(20, &activation.FloatSpec{Kind: activation.Tanh}), b, Options{})
	require.ErrorContains(t, err, "no scale in [4, 16] keeps the model's activation tables within 2^17 entries: at 2^4, layer 0: its tanh table would need")

	// Without a benchmark, the report says that setup checks the size.
	rep, err = Run(fm, nil, Options{ScaleBits: 12})
	require.NoError(t, err)
	require.Contains(t, rep.Layers[0].ActivationRule, "its size (at most 2^17 entries) is checked at setup")
	require.Zero(t, rep.Layers[0].TableEntries)
}

// TestActivationRules: what the report says the circuit computes.
func TestActivationRules(t *testing.T) {
	rep, err := Run(actMLP(0.01, &activation.FloatSpec{Kind: activation.LeakyRelu, Slope: 0.01}), nil, Options{ScaleBits: 8})
	require.NoError(t, err)
	lr := rep.Layers[0]
	require.Equal(t, int64(655), lr.LeakyAlpha)
	require.Equal(t, 0.01, lr.LeakySlope)
	require.Equal(t, "exact, slope 0.01 → 655/2^16 = 0.00999451 (the nearest multiple of 2^-16); negative accumulators give floor(acc·655/2^16), rounded down", lr.ActivationRule)

	// GELU: erf, through a table, at the inputs' scale 2^10·2^8.
	rep, err = Run(actMLP(0.01, &activation.FloatSpec{Kind: activation.Gelu}), nil, Options{ScaleBits: 8, InputScale: 1024})
	require.NoError(t, err)
	require.Equal(t, "GELU with erf (not the tanh approximation), through a lookup table: input step 2^-10 (shift 8: index floor(acc/2^8)), output rounded to 2^-8; its size (at most 2^17 entries) is checked at setup, on the benchmark's accumulators: give --benchmark to check it now", rep.Layers[0].ActivationRule)
	// The worst case is over [0, 1], here [0, 1024], not [0, 255].
	require.Equal(t, [2]int64{0, 1024}, rep.WorstFeatures)
	var out bytes.Buffer
	rep.Print(&out)
	require.Contains(t, out.String(), "* worst case with these weights over features assumed in [0, 1] (no benchmark given): integers [0, 1024] at scale 1/1024")
	require.Contains(t, out.String(), "activation   layer 0 gelu: GELU with erf")
	require.Equal(t, 1, bytes.Count(out.Bytes(), []byte("inputs at scale")), "the input scale is printed once:\n%s", out.String())
}

// TestStructureBeforeScale: errors that no scale fixes are reported as
// themselves, not as a failed scale search.
func TestStructureBeforeScale(t *testing.T) {
	_, b := mnist(t, 20)
	both := actMLP(0.01, &activation.FloatSpec{Kind: activation.Tanh})
	both.Layers[0].ReLU = true
	last := actMLP(0.01, nil)
	last.Layers[1].Act = &activation.FloatSpec{Kind: activation.Sigmoid}
	for name, c := range map[string]struct {
		fm   *model.FloatModel
		want string
	}{
		"ReLU and tanh": {both, "layer 0 (fc1) has both ReLU and activation tanh; zkeval takes one activation per dense layer"},
		"last layer":    {last, "the last layer (fc2) has activation sigmoid"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Run(c.fm, b, Options{})
			require.ErrorContains(t, err, c.want)
			require.NotContains(t, err.Error(), "no scale")
		})
	}
}

// TestAutomaticScaleStopsAtTableLimit: the automatic search stops at the
// first scale whose table is too large, and the warning and the trials say
// so.
func TestAutomaticScaleStopsAtTableLimit(t *testing.T) {
	_, b := mnist(t, 20)
	fm := actMLP(0.1, &activation.FloatSpec{Kind: activation.Tanh})
	// Outputs 0 and 1 differ by 2^-40 per (positive) input: float always
	// predicts 1, every quantized model 0, so no scale keeps the
	// predictions and the search runs on to the table limit.
	for o := range fm.Layers[1].W {
		for i := range fm.Layers[1].W[o] {
			switch o {
			case 0:
				fm.Layers[1].W[o][i] = 0.5
			case 1:
				fm.Layers[1].W[o][i] = 0.5 + 1.0/(1<<40)
			default:
				fm.Layers[1].W[o][i] = -1
			}
		}
	}
	rep, err := Run(fm, b, Options{})
	require.NoError(t, err)
	last := rep.Trials[len(rep.Trials)-1]
	require.True(t, last.TableTooLarge, "trials %+v", rep.Trials)
	require.Less(t, last.ScaleBits, MaxAutoBits)
	require.Less(t, rep.ScaleBits, last.ScaleBits)
	require.Contains(t, rep.Warning, fmt.Sprintf("; scales 2^%d and above were skipped: layer 0: its tanh table would need", last.ScaleBits))
	var out bytes.Buffer
	rep.Print(&out)
	require.Contains(t, out.String(), fmt.Sprintf("  2^%d: activation table over 2^17 entries\n", last.ScaleBits))
}
