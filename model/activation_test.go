package model

import (
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/model/activation"
)

// actFloat is a 2-3-2 float model with the given hidden activation.
func actFloat(a *activation.FloatSpec) *FloatModel {
	return &FloatModel{Name: "act", InputSize: 2, Layers: []FloatLayer{
		{Name: "l0", W: [][]float64{{0.5, -1}, {1.25, 0.75}, {-0.3, 0.2}}, B: []float64{0.1, -0.2, 0}, Act: a},
		{Name: "l1", W: [][]float64{{1, -1, 0.5}, {-0.5, 1, 1}}, B: []float64{0, 0.05}},
	}}
}

func TestQuantizeActivations(t *testing.T) {
	m, err := Quantize(actFloat(&activation.FloatSpec{Kind: activation.Tanh}), 8, 16)
	require.NoError(t, err)
	a := m.Layers[0].Act
	require.Equal(t, activation.Tanh, a.Kind)
	require.Equal(t, 8, a.OutBits)
	// S_0 = 16·2^8 = 2^12; shift = 12 - 8 - 2 = 2.
	require.Equal(t, 2, a.Shift)
	// Layer 1 reads outputs at 2^8: its accumulators are at 2^16, not
	// 16·2^16.
	require.Equal(t, big.NewInt(1<<16), m.LayerScale(1))
	require.Equal(t, int64(round(0.05*(1<<16))), m.Layers[1].B[1])

	// Eval: layer 0's accumulators go through the table.
	x := []int64{16, -8} // (1, -0.5)
	tr, err := m.EvalTrace(x)
	require.NoError(t, err)
	memo := activation.NewMemo(a, m.LayerScale(0))
	var h []int64
	for _, v := range tr.Acc[0] {
		h = append(h, memo.Apply(v))
	}
	for o, row := range m.Layers[1].W {
		s := m.Layers[1].B[o]
		for i, w := range row {
			s += w * h[i]
		}
		require.Equal(t, s, tr.Acc[1][o])
	}

	// Leaky keeps the scale.
	lm, err := Quantize(actFloat(&activation.FloatSpec{Kind: activation.LeakyRelu, Slope: 0.1}), 8, 16)
	require.NoError(t, err)
	require.Equal(t, int64(6554), lm.Layers[0].Act.Alpha)
	require.Equal(t, big.NewInt(16<<16), lm.LayerScale(1))
}

func round(v float64) float64 {
	if v < 0 {
		return -round(-v)
	}
	return float64(int64(v + 0.5))
}

func TestActivationFileRoundTrip(t *testing.T) {
	m, err := Quantize(actFloat(&activation.FloatSpec{Kind: activation.HardSigmoid, HardAlpha: float64(float32(1.0 / 6)), HardBeta: 0.5}), 6, 16)
	require.NoError(t, err)
	dir := t.TempDir()
	path := filepath.Join(dir, "m.zkm")
	require.NoError(t, WriteFile(path, m, nil))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Contains(t, string(data), `"format":"`+FileFormatV2+`"`)
	back, err := ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, m.Layers[0].Act, back.Layers[0].Act)
	for _, x := range [][]int64{{16, -8}, {-40, 3}, {0, 0}} {
		a, err := m.Eval(x)
		require.NoError(t, err)
		b, err := back.Eval(x)
		require.NoError(t, err)
		require.Equal(t, a, b)
	}
	// A v1 file that names an activation is refused: a reader of v1
	// would evaluate the layer without it.
	v1 := strings.Replace(string(data), FileFormatV2, FileFormat, 1)
	_, err = Parse([]byte(v1), "old.zkm")
	require.ErrorContains(t, err, "activation")
	// A ReLU-only model is still written as v1.
	plain, err := Quantize(actFloat(nil), 6, 16)
	require.NoError(t, err)
	require.NoError(t, WriteFile(path+"1", plain, nil))
	data, err = os.ReadFile(path + "1")
	require.NoError(t, err)
	require.Contains(t, string(data), `"format":"`+FileFormat+`"`)
}

func TestCheckBoundsThroughActivation(t *testing.T) {
	m, err := Quantize(actFloat(&activation.FloatSpec{Kind: activation.Gelu}), 8, 16)
	require.NoError(t, err)
	bits, err := m.CheckBounds(-64, 64)
	require.NoError(t, err)
	require.Len(t, bits, 2)
}

func TestLastLayerActivationRefused(t *testing.T) {
	fm := actFloat(nil)
	fm.Layers[1].Act = &activation.FloatSpec{Kind: activation.Tanh}
	_, err := Quantize(fm, 8, 16)
	require.ErrorContains(t, err, "must end with a dense layer")
}
