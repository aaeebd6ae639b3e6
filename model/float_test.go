package model

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestForwardErrors(t *testing.T) {
	m := &FloatModel{InputSize: 2, Layers: []FloatLayer{{W: [][]float64{{1, 2}}, B: []float64{0}}}}
	_, err := m.Forward([]float64{1})
	assert.ErrorContains(t, err, "input has 1 features, the model takes 2")
	m.Layers[0].B = nil
	_, err = m.Forward([]float64{1, 2})
	assert.Error(t, err)
	m.Layers[0] = FloatLayer{W: [][]float64{{1}}, B: []float64{0}}
	_, err = m.Forward([]float64{1, 2})
	assert.Error(t, err)
	_, err = (&FloatModel{}).Forward(nil)
	assert.Error(t, err)
	m = &FloatModel{InputSize: 2, Layers: []FloatLayer{{W: [][]float64{{1, 2}, {-1, -2}}, B: []float64{1, 1}, ReLU: true}}}
	y, err := m.Forward([]float64{1, 1})
	require.NoError(t, err)
	assert.Equal(t, []float64{4, 0}, y)
}
