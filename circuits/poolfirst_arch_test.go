package circuits

import (
	"fmt"
	"math/big"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/circuits/conv"
	"github.com/zkeval/zkeval/circuits/internal/fieldint"
	"github.com/zkeval/zkeval/circuits/pool"
	"github.com/zkeval/zkeval/circuits/relu"
	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/internal/testfixture"
	"github.com/zkeval/zkeval/model"
)

// rvLayer describes one spatial layer of a test model: weights are drawn
// for convolutions.
type rvLayer struct {
	kind string
	win  model.Window
	outC int
	relu bool
}

// rvModel builds an integer CNN over [c][h][w] inputs from layers, kernels
// in [-wmax, wmax], biases in [bmin, bmax], then a dense layer to 3 classes.
func rvModel(t *testing.T, seed int64, in model.Dims, ls []rvLayer, wmax, bmin, bmax int64) *model.Model {
	t.Helper()
	rng := rand.New(rand.NewSource(seed))
	r := func(lo, hi int64) int64 { return lo + rng.Int63n(hi-lo+1) }
	m := &model.Model{Name: "poolfirst", InputSize: in.Size(), InputScale: 255, ScaleBits: 4, Input: &in}
	cur := in
	for i, l := range ls {
		sl := model.SpatialLayer{Kind: l.kind, Name: fmt.Sprint(i), In: cur, Window: l.win, ReLU: l.relu}
		if l.kind == model.KindConv2D {
			sl.OutC = l.outC
			for o := 0; o < l.outC; o++ {
				row := make([]int64, cur.C*l.win.KH*l.win.KW)
				for j := range row {
					row[j] = r(-wmax, wmax)
				}
				sl.W = append(sl.W, row)
				sl.B = append(sl.B, r(bmin, bmax))
			}
		}
		out, err := model.SpatialOut(l.kind, cur, l.win, l.outC)
		require.NoError(t, err)
		m.Spatial = append(m.Spatial, sl)
		cur = out
	}
	d := model.Layer{Name: "dense"}
	for o := 0; o < 3; o++ {
		row := make([]int64, cur.Size())
		for j := range row {
			row[j] = r(-3, 3)
		}
		d.W = append(d.W, row)
		d.B = append(d.B, r(-5, 5))
	}
	m.Layers = []model.Layer{d}
	require.NoError(t, m.Validate())
	return m
}

func w(kh, kw, sh, sw, pt, pl, pb, pr int) model.Window {
	return model.Window{KH: kh, KW: kw, SH: sh, SW: sw, PadTop: pt, PadLeft: pl, PadBottom: pb, PadRight: pr}
}

type rvCase struct {
	name       string
	in         model.Dims
	ls         []rvLayer
	wmax       int64
	bmin, bmax int64
	poolFirst  []int // layers expected to be desc.PoolFirst
}

var rvCases = []rvCase{
	{"window 1", model.Dims{C: 1, H: 5, W: 5}, []rvLayer{
		{model.KindConv2D, w(3, 3, 1, 1, 1, 1, 1, 1), 2, true},
		{model.KindMaxPool, w(1, 1, 1, 1, 0, 0, 0, 0), 0, false}}, 4, -300, 300, []int{0}},
	{"stride > kernel, padded", model.Dims{C: 1, H: 7, W: 7}, []rvLayer{
		{model.KindConv2D, w(2, 2, 1, 1, 0, 0, 0, 0), 2, true},
		{model.KindMaxPool, w(2, 2, 3, 3, 1, 1, 1, 1), 0, false}}, 4, -300, 300, []int{0}},
	{"maxpool then maxpool then conv+pool", model.Dims{C: 1, H: 6, W: 6}, []rvLayer{
		{model.KindConv2D, w(3, 3, 1, 1, 1, 1, 1, 1), 3, true},
		{model.KindMaxPool, w(2, 2, 2, 2, 0, 0, 0, 0), 0, false},
		{model.KindMaxPool, w(2, 2, 1, 1, 0, 0, 0, 0), 0, false},
		{model.KindConv2D, w(2, 2, 1, 1, 0, 0, 0, 0), 2, true},
		{model.KindMaxPool, w(1, 1, 1, 1, 0, 0, 0, 0), 0, false}}, 3, -200, 200, []int{0, 3}},
	{"conv without relu then maxpool", model.Dims{C: 1, H: 6, W: 6}, []rvLayer{
		{model.KindConv2D, w(3, 3, 1, 1, 0, 0, 0, 0), 2, false},
		{model.KindMaxPool, w(2, 2, 2, 2, 0, 0, 0, 0), 0, false}}, 4, -300, 300, nil},
	{"mostly negative windows", model.Dims{C: 1, H: 6, W: 6}, []rvLayer{
		{model.KindConv2D, w(3, 3, 1, 1, 1, 1, 1, 1), 2, true},
		{model.KindMaxPool, w(3, 3, 2, 2, 1, 1, 1, 1), 0, false}}, 4, -6000, -2000, []int{0}},
	{"wide accumulators (2^40 weights)", model.Dims{C: 1, H: 4, W: 4}, []rvLayer{
		{model.KindConv2D, w(2, 2, 1, 1, 0, 0, 0, 0), 2, true},
		{model.KindMaxPool, w(2, 2, 1, 1, 0, 0, 0, 0), 0, false}}, 1 << 40, -(1 << 44), 1 << 44, []int{0}},
}

// TestPoolFirstArchitectures: for each strange architecture, the
// evaluation circuit's logits equal native model.Eval's, the exact count
// is accepted and one more refused; the shard circuit agrees slot by slot
// and refuses tampered max-pool hints (including a negative maximum
// replaced by a smaller negative input, whose ReLU is the same 0).
func TestPoolFirstArchitectures(t *testing.T) {
	for i, c := range rvCases {
		t.Run(c.name, func(t *testing.T) {
			m := rvModel(t, int64(10+i), c.in, c.ls, c.wmax, c.bmin, c.bmax)
			b := testfixture.Benchmark(m, 5, 6) // pixels in [0, 255], labels the argmax shifted every third sample
			sh := m.Shape().Spatial
			var pf []int
			for k := range sh {
				if desc.PoolFirst(sh, k) {
					pf = append(pf, k)
				}
			}
			require.Equal(t, c.poolFirst, pf)
			spec, err := NewSpec(m, b, accuracy(">=", true))
			require.NoError(t, err)
			t.Logf("spatialAccBits %v base %d", spec.SpatialAccBits, spec.RangeBase)
			salt := big.NewInt(17)
			cm, err := commitment.Commit(m, salt)
			require.NoError(t, err)
			f := &fixture{spec: spec, m: m, salt: salt, commit: cm, count: correctCount(t, m, b)}
			requireLogitsMatchNative(t, f, m, b)

			// Shard circuit.
			sf := newShardFixture(t, m, b, 4, "accuracy >= 0")
			t.Logf("shard spatialAccBits %v base %d", sf.spec.Desc.SpatialAccBits, sf.spec.Desc.RangeBase)
			checkShardsAgree(t, sf)
			if len(pf) > 0 {
				var cases []tamperCase
				if c.name != "window 1" { // a window of one input has no smaller input
					cases = append(cases,
						tamperCase{name: "maximum a smaller input", hint: pool.MaxHint, edit: smallerMax},
						tamperCase{name: "negative maximum a smaller negative input", hint: pool.MaxHint, edit: smallerNegMax})
				}
				if c.name == "stride > kernel, padded" {
					// Accumulator 1 (row 0, column 1) is read by no window.
					cases = append(cases, tamperCase{name: "unread conv accumulator+1", hint: conv.Hint, match: convMatch(sh[0]), edit: addOneTo(1)})
				}
				cases = append(cases, tamperCase{name: "relu sign 1 on a negative value", hint: relu.SignHint, edit: func(fl *big.Int, in, out []*big.Int) bool {
					for i, v := range in {
						if signedOf(fl, v) < 0 {
							out[i].SetInt64(1)
							return true
						}
					}
					return false
				}})
				runTamperCases(t, sf, append(cases, []tamperCase{
					{name: "maximum+1", hint: pool.MaxHint, edit: addOneTo(0)},
					{name: "maximum minus 2^(k+1)", hint: pool.MaxHint, edit: func(fl *big.Int, _, out []*big.Int) bool {
						k := sf.spec.Desc.SpatialAccBits[pf[0]]
						out[0].Sub(out[0], new(big.Int).Lsh(big.NewInt(1), uint(k+1))).Mod(out[0], fl)
						return true
					}},
				}...))
			}
		})
	}
}

// smallerNegMax sets the first window whose maximum is negative and holds
// a smaller input to that smaller input (the ReLU's output stays 0).
func smallerNegMax(fl *big.Int, in, out []*big.Int) bool {
	pos := 0
	for k := range out {
		n := int(in[pos].Int64())
		m := signedOf(fl, out[k])
		if m < 0 {
			for _, v := range in[pos+1 : pos+1+n] {
				if x := signedOf(fl, v); x < m {
					fieldint.FromSigned(fl, x, out[k])
					return true
				}
			}
		}
		pos += 1 + n
	}
	return false
}

// TestPoolFirstBitsRange: every k poolFirstBits may return, across
// bases, measured widths and sample counts, lies in
// [measured, widen(measured+1)-1].
func TestPoolFirstBitsRange(t *testing.T) {
	p := model.SpatialShape{Kind: model.KindMaxPool, In: model.Dims{C: 1, H: 4, W: 4}, Out: model.Dims{C: 1, H: 2, W: 2}, Window: w(2, 2, 2, 2, 0, 0, 0, 0)}
	for base := MinRangeBase; base <= MaxRangeBase; base++ {
		for meas := 1; meas <= 62; meas++ {
			for _, n := range []int{1, 2, 1000} {
				k := poolFirstBits(p, meas, base, n)
				require.GreaterOrEqual(t, k, meas)
				require.LessOrEqual(t, k, widen(meas+1, base)-1)
			}
		}
	}
}
