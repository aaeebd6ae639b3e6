package shard

import (
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCountAndSpan(t *testing.T) {
	require.Equal(t, 10, Count(10000, 1000))
	require.Equal(t, 3, Count(8, 3))
	require.Equal(t, 1, Count(2, 5))
	require.Equal(t, 0, Count(0, 5))
	s, e := Span(8, 3, 2)
	require.Equal(t, [2]int{6, 8}, [2]int{s, e})
}

func TestFillPadsAndRefuses(t *testing.T) {
	l := Layout{Size: 3, Features: 2, InputBits: 8, Cells: 6}
	require.NoError(t, l.Validate())
	s, err := l.Fill([][]int64{{1, 2}}, []int{6})
	require.NoError(t, err)
	require.Equal(t, []int{6, 0, 0}, s.Cell)
	require.Equal(t, []int64{0, 0}, s.X[2])
	_, err = l.Fill([][]int64{{256, 0}}, []int{1})
	require.ErrorContains(t, err, "outside [-2^8, 2^8)")
	_, err = l.Fill([][]int64{{-257, 0}}, []int{1})
	require.Error(t, err)
	_, err = l.Fill([][]int64{{0, 0}}, []int{7})
	require.ErrorContains(t, err, "cell 7 outside [1, 6]")
	_, err = l.Fill(make([][]int64, 4), make([]int, 4))
	require.Error(t, err, "more samples than slots")
	require.Error(t, Layout{Size: 0, Features: 2, InputBits: 8, Cells: 1}.Validate())
}

func TestElementsLayout(t *testing.T) {
	l := Layout{Size: 2, Features: 28, InputBits: 8, Cells: 10}
	require.Equal(t, 9, l.FeatureWidth())
	require.Equal(t, 4, l.CellWidth())
	require.Equal(t, 2, l.FeatureElements()) // 27 + 1
	require.Equal(t, 1, l.CellElements())
	require.Equal(t, 1+2*2+1, l.Elements())
	s, err := l.Fill([][]int64{make([]int64, 28), make([]int64, 28)}, []int{3, 10})
	require.NoError(t, err)
	s.X[1][27] = -256
	el := l.ElementsOf(4, s)
	require.Len(t, el, 2+l.Elements())
	// Slot 1's second element holds its 28th feature alone: -256 + 256.
	require.Equal(t, int64(0), el[6].Int64())
	// Cells packed little-endian, 4 bits each: 3 | 10 << 4.
	require.Equal(t, big.NewInt(3+10<<4), el[7])
	require.Equal(t, CountsTag().Cmp(Tag()) != 0, true)
}
