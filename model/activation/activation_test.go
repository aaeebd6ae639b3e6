package activation

import (
	"math"
	"math/big"
	"testing"
)

var mnistScale = big.NewInt(255 << 8) // 8-bit pixels at /255, weights at 2^8

// TestGoldenEntries pins table entries: a change of the rounding or of the
// series changes circuits (and their ids), so it must show up here. The
// values were checked against the float functions (TestEntriesMatchFloat)
// and by hand, e.g. tanh at q = -3000, shift 5: x = (-3000·32 + 16)/65280
// = -1.470343..., tanh(x)·256 = -230.44..., entry -230.
func TestGoldenEntries(t *testing.T) {
	qs := []int64{-100000, -3000, -1, 0, 1, 7, 2041, 99999}
	for _, c := range []struct {
		spec Spec
		want []int64
	}{
		{Spec{Kind: Tanh, OutBits: 8, Shift: 5}, []int64{-256, -230, 0, 0, 0, 1, 195, 256}},
		{Spec{Kind: Sigmoid, OutBits: 8, Shift: 5}, []int64{0, 48, 128, 128, 128, 128, 187, 256}},
		{Spec{Kind: Gelu, OutBits: 12, Shift: 0}, []int64{-394, -91, 0, 0, 0, 0, 66, 5881}},
		{Spec{Kind: HardSwish, OutBits: 8, Shift: 5}, []int64{0, -96, 0, 0, 0, 0, 171, 12549}},
		{Spec{Kind: HardSigmoid, OutBits: 8, Shift: 5, HardAlpha: float64(float32(0.2)), HardBeta: 0.5}, []int64{0, 53, 128, 128, 128, 128, 179, 256}},
	} {
		if err := c.spec.Validate(); err != nil {
			t.Fatal(err)
		}
		for i, q := range qs {
			if got := c.spec.Entry(q, mnistScale); got != c.want[i] {
				t.Errorf("%s: Entry(%d) = %d, want %d", c.spec.Kind, q, got, c.want[i])
			}
		}
	}
}

// TestEntriesMatchFloat compares every entry of wide index ranges with the
// float64 function: they agree within 1/2 plus float64's error, and
// exactly where the float value is not near a half-integer.
func TestEntriesMatchFloat(t *testing.T) {
	for _, s := range []Spec{
		{Kind: Tanh, OutBits: 8, Shift: 5}, {Kind: Sigmoid, OutBits: 10, Shift: 3},
		{Kind: Gelu, OutBits: 8, Shift: 4}, {Kind: HardSwish, OutBits: 8, Shift: 5},
		{Kind: HardSigmoid, OutBits: 6, Shift: 2, HardAlpha: 1.0 / 6, HardBeta: 0.5},
	} {
		tab := s.Table(-2500, 2500, mnistScale)
		for i, e := range tab {
			q := int64(i) - 2500
			x := (float64(q)*math.Ldexp(1, s.Shift) + math.Ldexp(0.5, s.Shift)*b2f(s.Shift > 0)) / 65280
			f := s.Float(x) * math.Ldexp(1, s.OutBits)
			if math.Abs(float64(e)-f) > 0.5+1e-9 {
				t.Fatalf("%s: Entry(%d) = %d, float %g", s.Kind, q, e, f)
			}
			if frac := math.Abs(f - math.Trunc(f)); math.Abs(frac-0.5) > 1e-6 && float64(e) != math.Copysign(math.Floor(math.Abs(f)+0.5), f) {
				t.Fatalf("%s: Entry(%d) = %d, but float %g rounds otherwise", s.Kind, q, e, f)
			}
			if e != s.Entry(q, mnistScale) {
				t.Fatalf("%s: Table and Entry differ at %d", s.Kind, q)
			}
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// TestRationalTiesRoundAwayFromZero: hard swish and hard sigmoid are exact,
// so half-integers occur, and round away from zero.
func TestRationalTiesRoundAwayFromZero(t *testing.T) {
	s := Spec{Kind: HardSigmoid, OutBits: 1, HardAlpha: 0.25, HardBeta: 0.5}
	// x = 1 (q = 1 at scale 1): 0.75·2 = 1.5 -> 2.
	if got := s.Entry(1, big.NewInt(1)); got != 2 {
		t.Errorf("hardSigmoid(1)·2 = 1.5 rounds to %d, want 2", got)
	}
	h := Spec{Kind: HardSwish, OutBits: 1}
	// x = -1: -1·(1/3) = -1/3, ·2 = -0.667 -> -1; x = -3/2 at scale 2: -1.5·0.25·2 = -0.75 -> -1.
	if got := h.Entry(-1, big.NewInt(1)); got != -1 {
		t.Errorf("hardSwish(-1)·2: %d, want -1", got)
	}
}

func TestLeaky(t *testing.T) {
	a, err := LeakyAlpha(0.01)
	if err != nil || a != 655 {
		t.Fatalf("LeakyAlpha(0.01) = %d, %v; want 655", a, err)
	}
	for _, c := range [][2]int64{{5, 5}, {0, 0}, {-1, -1}, {-100, -1}, {-101, -2}, {-65536, -655}, {-65537, -656}} {
		if got := Leaky(c[0], a); got != c[1] {
			t.Errorf("Leaky(%d) = %d, want %d (floor)", c[0], got, c[1])
		}
	}
	for _, bad := range []float64{-0.1, 1.5, math.NaN()} {
		if _, err := LeakyAlpha(bad); err == nil {
			t.Errorf("LeakyAlpha(%g) accepted", bad)
		}
	}
}

// TestIntervalHoldsEntries: every entry of a table lies within Interval,
// which Bounds and CheckBounds use in place of the table.
func TestIntervalHoldsEntries(t *testing.T) {
	for _, s := range []Spec{
		{Kind: Tanh, OutBits: 8, Shift: 5}, {Kind: Sigmoid, OutBits: 8, Shift: 5},
		{Kind: Gelu, OutBits: 8, Shift: 5}, {Kind: HardSwish, OutBits: 8, Shift: 5},
		{Kind: HardSigmoid, OutBits: 8, Shift: 5, HardAlpha: 0.2, HardBeta: 0.5},
	} {
		for _, r := range [][2]int64{{-5000, 5000}, {-5000, -4000}, {100, 900}} {
			lo, hi := s.Interval(big.NewInt(r[0]<<s.Shift), big.NewInt((r[1]+1)<<s.Shift-1), mnistScale)
			for i, e := range s.Table(r[0], r[1], mnistScale) {
				if big.NewInt(e).Cmp(lo) < 0 || big.NewInt(e).Cmp(hi) > 0 {
					t.Fatalf("%s: entry %d of index %d outside [%s, %s]", s.Kind, e, r[0]+int64(i), lo, hi)
				}
			}
		}
	}
}

func TestValidate(t *testing.T) {
	for _, bad := range []Spec{
		{Kind: "swish", OutBits: 8},
		{Kind: Tanh, OutBits: 0},
		{Kind: Tanh, OutBits: 8, Shift: -1},
		{Kind: Tanh, OutBits: 8, Alpha: 3},
		{Kind: LeakyRelu, Alpha: 1<<16 + 1},
		{Kind: LeakyRelu, Alpha: 3, OutBits: 8},
		{Kind: Sigmoid, OutBits: 8, HardAlpha: 0.2},
		{Kind: HardSigmoid, OutBits: 8, HardAlpha: math.Inf(1)},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestChooseShift(t *testing.T) {
	// S = 65280 (bit length 16), outputs at 2^8: 2^5·2^10 <= S < 2^6·2^10.
	if got := ChooseShift(mnistScale, 8); got != 5 {
		t.Errorf("ChooseShift = %d, want 5", got)
	}
	if got := ChooseShift(big.NewInt(100), 8); got != 0 {
		t.Errorf("ChooseShift(100) = %d, want 0", got)
	}
}
