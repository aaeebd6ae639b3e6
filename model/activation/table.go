package activation

import (
	"fmt"
	"math/big"
	"runtime"
	"sync"
)

// ExtraResolutionBits: ChooseShift makes one table step span at most
// 2^-(OutBits+ExtraResolutionBits) of the activation's input x = acc/S, so
// that the step moves f(x) by at most a quarter of the output's unit
// 2^-OutBits for slopes up to 1 (hard swish, whose slope reaches 1.5, by at
// most 3/8).
const ExtraResolutionBits = 2

// ChooseShift returns the table shift for an accumulator scale S and an
// output at scale 2^outBits: the largest s >= 0 with
// 2^s·2^(outBits+ExtraResolutionBits) <= S.
func ChooseShift(scale *big.Int, outBits int) int {
	return max(0, scale.BitLen()-1-outBits-ExtraResolutionBits)
}

// Entry returns the table entry of index q for an accumulator at scale
// scale (see the package documentation). s must be a valid table spec.
func (s *Spec) Entry(q int64, scale *big.Int) int64 {
	// x = (q·2^Shift + c) / scale as an exact rational.
	num := new(big.Int).Lsh(big.NewInt(q), uint(s.Shift))
	if s.Shift > 0 {
		num.Add(num, new(big.Int).Lsh(big.NewInt(1), uint(s.Shift-1)))
	}
	x := new(big.Rat).SetFrac(num, scale)
	switch s.Kind {
	case HardSigmoid, HardSwish:
		return roundRat(s.rational(x), s.OutBits)
	}
	xf := new(big.Float).SetPrec(Prec).SetRat(x)
	var y *big.Float
	switch s.Kind {
	case Tanh:
		y = tanhBig(xf)
	case Sigmoid:
		y = sigmoidBig(xf)
	case Gelu:
		y = geluBig(xf)
	default:
		panic("activation: Entry of kind " + s.Kind)
	}
	return roundFloat(y, s.OutBits)
}

// rational computes HardSigmoid or HardSwish exactly.
func (s *Spec) rational(x *big.Rat) *big.Rat {
	a, b := big.NewRat(1, 6), big.NewRat(1, 2)
	if s.Kind == HardSigmoid {
		a = new(big.Rat).SetFloat64(s.HardAlpha)
		b = new(big.Rat).SetFloat64(s.HardBeta)
	}
	h := new(big.Rat).Mul(a, x)
	h.Add(h, b)
	if h.Sign() < 0 {
		h.SetInt64(0)
	}
	if h.Cmp(big.NewRat(1, 1)) > 0 {
		h.SetInt64(1)
	}
	if s.Kind == HardSwish {
		h.Mul(h, x)
	}
	return h
}

// roundRat returns round(v·2^bits), half away from zero.
func roundRat(v *big.Rat, bits int) int64 {
	t := new(big.Rat).Mul(v, new(big.Rat).SetInt(new(big.Int).Lsh(big.NewInt(1), uint(bits))))
	neg := t.Sign() < 0
	t.Abs(t)
	t.Add(t, big.NewRat(1, 2))
	q := new(big.Int).Quo(t.Num(), t.Denom())
	if neg {
		q.Neg(q)
	}
	return clampInt64(q)
}

// roundFloat returns round(v·2^bits), half away from zero.
func roundFloat(v *big.Float, bits int) int64 {
	t := new(big.Float).SetPrec(Prec).SetMantExp(v, bits)
	neg := t.Sign() < 0
	t.Abs(t)
	t.Add(t, big.NewFloat(0.5))
	q, _ := t.Int(nil) // truncates toward zero
	if neg {
		q.Neg(q)
	}
	return clampInt64(q)
}

func clampInt64(q *big.Int) int64 {
	if !q.IsInt64() {
		// Unreachable for valid specs: |f(x)| <= max(1, |x|) and x
		// comes from an int64 accumulator.
		panic(fmt.Sprintf("activation: table entry %s does not fit int64", q))
	}
	return q.Int64()
}

func newF() *big.Float { return new(big.Float).SetPrec(Prec) }

// expBig returns e^x: x halved m times to |r| <= 1/2, the Taylor series of
// e^r summed until a term is below 2^-(Prec+8), then squared m times.
func expBig(x *big.Float) *big.Float {
	r := newF().Set(x)
	m := 0
	half := big.NewFloat(0.5)
	for new(big.Float).Abs(r).Cmp(half) > 0 {
		r.SetMantExp(r, -1)
		m++
	}
	sum := newF().SetInt64(1)
	term := newF().SetInt64(1)
	eps := newF().SetMantExp(big.NewFloat(1), -(Prec + 8))
	for n := int64(1); ; n++ {
		term.Mul(term, r)
		term.Quo(term, newF().SetInt64(n))
		sum.Add(sum, term)
		if new(big.Float).Abs(term).Cmp(eps) < 0 {
			break
		}
	}
	for range m {
		sum.Mul(sum, sum)
	}
	return sum
}

// tanhBig returns tanh(x) = (e^(2x) - 1)/(e^(2x) + 1), ±1 beyond |x| > 64.
func tanhBig(x *big.Float) *big.Float {
	if x.Cmp(big.NewFloat(64)) > 0 {
		return newF().SetInt64(1)
	}
	if x.Cmp(big.NewFloat(-64)) < 0 {
		return newF().SetInt64(-1)
	}
	e := expBig(newF().SetMantExp(x, 1))
	n := newF().Sub(e, big.NewFloat(1))
	d := newF().Add(e, big.NewFloat(1))
	return n.Quo(n, d)
}

// sigmoidBig returns 1/(1 + e^-x), 1 and 0 beyond |x| > 128.
func sigmoidBig(x *big.Float) *big.Float {
	if x.Cmp(big.NewFloat(128)) > 0 {
		return newF().SetInt64(1)
	}
	if x.Cmp(big.NewFloat(-128)) < 0 {
		return newF()
	}
	e := expBig(newF().Neg(x))
	e.Add(e, big.NewFloat(1))
	return newF().Quo(newF().SetInt64(1), e)
}

// piDigits is π to 100 decimal places.
const piDigits = "3.1415926535897932384626433832795028841971693993751058209749445923078164062862089986280348253421170679"

var (
	constOnce               sync.Once
	twoOverSqrtPi, invSqrt2 *big.Float
)

func consts() {
	constOnce.Do(func() {
		const p = Prec + 100
		pi, _, err := big.ParseFloat(piDigits, 10, p, big.ToNearestEven)
		if err != nil {
			panic(err)
		}
		sp := new(big.Float).SetPrec(p).Sqrt(pi)
		twoOverSqrtPi = new(big.Float).SetPrec(p).Quo(new(big.Float).SetPrec(p).SetInt64(2), sp)
		s2 := new(big.Float).SetPrec(p).Sqrt(new(big.Float).SetPrec(p).SetInt64(2))
		invSqrt2 = new(big.Float).SetPrec(p).Quo(new(big.Float).SetPrec(p).SetInt64(1), s2)
	})
}

// erfBig returns erf(x) by its Maclaurin series at |x| <= ErfCut, computed
// at Prec+100 bits (the terms reach e^(x^2) < 2^93), and sign(x) beyond.
func erfBig(x *big.Float) *big.Float {
	consts()
	if x.Cmp(big.NewFloat(ErfCut)) > 0 {
		return newF().SetInt64(1)
	}
	if x.Cmp(big.NewFloat(-ErfCut)) < 0 {
		return newF().SetInt64(-1)
	}
	const p = Prec + 100
	xx := new(big.Float).SetPrec(p).Set(x)
	x2 := new(big.Float).SetPrec(p).Mul(xx, xx)
	pow := new(big.Float).SetPrec(p).Set(xx) // (-1)^n x^(2n+1)/n!
	sum := new(big.Float).SetPrec(p).Set(xx)
	eps := new(big.Float).SetPrec(p).SetMantExp(big.NewFloat(1), -(Prec + 16))
	t := new(big.Float).SetPrec(p)
	for n := int64(1); ; n++ {
		pow.Mul(pow, x2)
		pow.Quo(pow, new(big.Float).SetPrec(p).SetInt64(-n))
		t.Quo(pow, new(big.Float).SetPrec(p).SetInt64(2*n+1))
		sum.Add(sum, t)
		if n > 8 && new(big.Float).Abs(t).Cmp(eps) < 0 {
			break
		}
	}
	sum.Mul(sum, twoOverSqrtPi)
	return newF().Set(sum)
}

// geluBig returns x/2·(1 + erf(x/√2)).
func geluBig(x *big.Float) *big.Float {
	consts()
	z := newF().Mul(x, invSqrt2)
	e := erfBig(z)
	e.Add(e, big.NewFloat(1))
	e.Mul(e, x)
	return e.SetMantExp(e, -1)
}

// Interval returns an interval [lo, hi] that holds every output of the
// activation for accumulators in [accLo, accHi] at scale scale, computed
// from the kinds' bounds (|tanh| <= 1; sigmoid, hard sigmoid in [0, 1];
// GELU and hard swish within [-1, max(x, 0)] for x = acc/scale; LeakyRelu
// between its input and 0), never from the table itself, so that it is
// cheap to compute from a public description.
func (s *Spec) Interval(accLo, accHi, scale *big.Int) (lo, hi *big.Int) {
	one := new(big.Int).Lsh(big.NewInt(1), uint(s.OutBits))
	switch s.Kind {
	case LeakyRelu:
		// floor(acc·Alpha/2^16) >= acc for acc < 0 and Alpha <= 2^16.
		return new(big.Int).Set(accLo), new(big.Int).Set(accHi)
	case Tanh:
		return new(big.Int).Neg(one), one
	case Sigmoid, HardSigmoid:
		return big.NewInt(0), one
	}
	// Gelu, HardSwish: f(x) <= max(x, 0) + 1/2 rounding; x_q <= (acc +
	// 2^Shift)/scale.
	top := new(big.Int).Lsh(big.NewInt(1), uint(s.Shift))
	top.Add(top, accHi)
	if top.Sign() < 0 {
		top.SetInt64(0)
	}
	top.Lsh(top, uint(s.OutBits))
	top.Quo(top, scale)
	top.Add(top, big.NewInt(1))
	return new(big.Int).Neg(one), top
}

// Table returns the entries of indices lo..hi (hi-lo+1 of them), computed
// in parallel; the result does not depend on the order of computation.
func (s *Spec) Table(lo, hi int64, scale *big.Int) []int64 {
	n := hi - lo + 1
	if n <= 0 {
		return nil
	}
	out := make([]int64, n)
	workers := int64(max(1, min(runtime.GOMAXPROCS(0), 8)))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				out[i] = s.Entry(lo+i, scale)
			}
		}()
	}
	wg.Wait()
	return out
}

// Memo caches Entry for one layer's spec and scale; it is safe for
// concurrent use.
type Memo struct {
	spec  *Spec
	scale *big.Int
	mu    sync.Mutex
	m     map[int64]int64
}

// NewMemo returns a cache of s.Entry at scale.
func NewMemo(s *Spec, scale *big.Int) *Memo {
	return &Memo{spec: s, scale: scale, m: map[int64]int64{}}
}

// Entry returns the spec's entry of index q.
func (c *Memo) Entry(q int64) int64 {
	c.mu.Lock()
	v, ok := c.m[q]
	c.mu.Unlock()
	if ok {
		return v
	}
	v = c.spec.Entry(q, c.scale)
	c.mu.Lock()
	c.m[q] = v
	c.mu.Unlock()
	return v
}

// Apply returns the integer output for an accumulator acc (see the package
// documentation): Leaky for LeakyRelu, the entry of floor(acc/2^Shift) for
// the table kinds.
func (c *Memo) Apply(acc int64) int64 {
	if c.spec.Kind == LeakyRelu {
		return Leaky(acc, c.spec.Alpha)
	}
	return c.Entry(acc >> uint(c.spec.Shift))
}
