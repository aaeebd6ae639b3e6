// Package rangecheck is the circuits' range checker: Check(v, bits) proves
// 0 <= v < 2^bits, as a frontend.Rangechecker, by a log-derivative lookup
// (Haböck 2022, https://eprint.iacr.org/2022/1530) of v, or of its limbs,
// in constant tables [0, 2^w), with the challenge drawn from the circuit's
// single commitment (gnark's std/multicommit, Groth16's BSB22 commitment).
//
// It does what gnark's std/rangecheck does, at a lower R1CS cost:
//   - A check of at most base bits queries v itself (a linear expression
//     of committed wires: the commitment binds it), with no hinted copy
//     and no recomposition constraint: one constraint, the query's
//     inverse, where gnark's checker spends two.
//   - A check of w < base bits, and the top limb of a wider check
//     (bits - base·(limbs-1) bits), queries the table of its own width
//     instead of a second, shifted query into the base table; each width
//     used costs its table once (2^w constraints).
//   - A check of more than base bits splits v with a hint (DecomposeHint)
//     into limbs of base bits, low first, asserts their recomposition (one
//     constraint) and queries every limb.
//
// Cost in R1CS (Cost): one constraint per limb queried, one per check of
// more than one limb, 2^w + 1 per table width w used. A check of 0 bits is
// an assertion that v = 0, of 1 bit AssertIsBoolean.
//
// Why it is sound: for each width w the circuit asserts
// Σ_{i<2^w} m_i/(a - i) = Σ_j 1/(a - q_j) over that width's queries q_j,
// with hinted multiplicities m_i (CountHint) and a challenge a drawn from a
// commitment to every query and multiplicity. Two sums of simple fractions
// that agree at a random a are the same rational function except with
// probability about (2^w + #queries)/|F| (Schwartz 1980, Zippel 1979), and
// the right side's poles are then the left side's: every q_j is one of
// 0..2^w-1, the field's characteristic being far above the number of
// queries (Haböck 2022, Lemma 5). A decomposed check asserts
// v = Σ l_k·2^(base·k) with every limb within its width, so v is an
// integer below 2^bits < |F|.
//
// One checker serves a circuit: New returns the one already made for the
// circuit when there is one. Create it before the circuit's first
// multicommit call, so that its deferred argument joins the circuit's
// single commitment; no Check may be made after the circuit's deferred
// functions start.
package rangecheck

import (
	"errors"
	"fmt"
	"math/big"
	"slices"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/multicommit"
)

// MaxBits is the widest check: 2^MaxBits stays below BN254's scalar
// field, so a decomposed value is the integer its limbs say.
const MaxBits = 250

// MinBase and MaxBase bound the limb width (the base table is 2^base).
const (
	MinBase = 2
	MaxBase = 20
)

// Hints returns the gadget's hints, for registration with
// solver.RegisterHint; circuits.RegisterHints registers every gadget's
// hints in one place.
func Hints() []solver.Hint { return []solver.Hint{DecomposeHint, CountHint} }

type keyValueStore interface {
	SetKeyValue(key, value any)
	GetKeyValue(key any) any
}

type storeKey struct{}

type query struct {
	v    frontend.Variable
	bits int
}

// Checker is a range checker (frontend.Rangechecker) over tables of the
// given base width; see the package documentation.
type Checker struct {
	api    frontend.API
	base   int
	checks []query
	closed bool
}

// New returns the circuit's range checker with limbs of base bits
// (MinBase <= base <= MaxBase), making it on the first call for a
// circuit. It panics when base is out of range or when the circuit
// already has a checker of another base (a programming error).
func New(api frontend.API, base int) *Checker {
	if base < MinBase || base > MaxBase {
		panic(fmt.Sprintf("rangecheck: base of %d bits, want %d to %d", base, MinBase, MaxBase))
	}
	kv, ok := api.Compiler().(keyValueStore)
	if ok {
		if c, ok := kv.GetKeyValue(storeKey{}).(*Checker); ok {
			if c.base != base {
				panic(fmt.Sprintf("rangecheck: the circuit's checker has a base of %d bits, not %d", c.base, base))
			}
			return c
		}
	}
	c := &Checker{api: api, base: base}
	if ok {
		kv.SetKeyValue(storeKey{}, c)
	}
	api.Compiler().Defer(c.commit)
	return c
}

// Check asserts 0 <= v < 2^bits (0 <= bits <= MaxBits). It panics on a
// width out of range or after the checker's argument was built.
func (c *Checker) Check(v frontend.Variable, bits int) {
	if c.closed {
		panic("rangecheck: Check after the circuit's deferred functions ran")
	}
	switch {
	case bits < 0 || bits > MaxBits:
		panic(fmt.Sprintf("rangecheck: a check of %d bits (at most %d)", bits, MaxBits))
	case bits == 0:
		c.api.AssertIsEqual(v, 0)
	case bits == 1:
		c.api.AssertIsBoolean(v)
	default:
		c.checks = append(c.checks, query{v: v, bits: bits})
	}
}

// limbs returns the number of limbs of a check of bits bits and the width
// of its top limb.
func limbs(bits, base int) (n, top int) {
	n = (bits + base - 1) / base
	return n, bits - base*(n-1)
}

// Cost returns the R1CS constraints of the argument for checks counted by
// width (counts[bits] checks of bits bits, bits >= 2) with limbs of base
// bits: one per limb queried (a top limb of one bit is a boolean instead),
// one per check of more than one limb, 2^w + 1 per table width w used.
func Cost(base int, counts map[int]int64) int64 {
	var total int64
	tables := map[int]bool{}
	for bits, n := range counts {
		if n == 0 {
			continue
		}
		if bits <= 1 {
			total += n
			continue
		}
		k, top := limbs(bits, base)
		if top > 1 { // a top limb of one bit is a boolean, no table
			tables[top] = true
		}
		if k > 1 {
			tables[base] = true
			total += n // the recomposition
		}
		total += n * int64(k)
	}
	for w := range tables {
		total += int64(1)<<w + 1
	}
	return total
}

// commit builds the argument: limbs for the wide checks, then one
// log-derivative identity per table width, all under one challenge.
func (c *Checker) commit(api frontend.API) error {
	if c.closed {
		return nil
	}
	c.closed = true
	if len(c.checks) == 0 {
		return nil
	}
	byWidth := map[int][]frontend.Variable{}
	for _, q := range c.checks {
		n, top := limbs(q.bits, c.base)
		if n == 1 {
			byWidth[q.bits] = append(byWidth[q.bits], q.v)
			continue
		}
		ls, err := api.Compiler().NewHint(DecomposeHint, n, q.bits, c.base, q.v)
		if err != nil {
			return err
		}
		var sum frontend.Variable = 0
		for k, l := range ls {
			sum = api.Add(sum, api.Mul(l, new(big.Int).Lsh(big.NewInt(1), uint(c.base*k))))
			switch {
			case k < n-1:
				byWidth[c.base] = append(byWidth[c.base], l)
			case top == 1:
				api.AssertIsBoolean(l)
			default:
				byWidth[top] = append(byWidth[top], l)
			}
		}
		api.AssertIsEqual(sum, q.v)
	}
	widths := make([]int, 0, len(byWidth))
	for w := range byWidth {
		widths = append(widths, w)
	}
	slices.Sort(widths)
	var committed []frontend.Variable
	mults := make(map[int][]frontend.Variable, len(widths))
	for _, w := range widths {
		qs := byWidth[w]
		in := append([]frontend.Variable{w}, qs...)
		m, err := api.Compiler().NewHint(CountHint, 1<<w, in...)
		if err != nil {
			return err
		}
		mults[w] = m
		for _, q := range qs {
			if _, isConst := api.Compiler().ConstantValue(q); !isConst {
				committed = append(committed, q)
			}
		}
		committed = append(committed, m...)
	}
	multicommit.WithCommitment(api, func(api frontend.API, a frontend.Variable) error {
		for _, w := range widths {
			m := mults[w]
			left := make([]frontend.Variable, len(m))
			for i := range m {
				left[i] = api.DivUnchecked(m[i], api.Sub(a, i))
			}
			qs := byWidth[w]
			right := make([]frontend.Variable, len(qs))
			for j, q := range qs {
				right[j] = api.Inverse(api.Sub(a, q))
			}
			api.AssertIsEqual(sumAll(api, left), sumAll(api, right))
		}
		return nil
	}, committed...)
	return nil
}

// sumAll adds vs, 256 terms at a time (linear: no constraint).
func sumAll(api frontend.API, vs []frontend.Variable) frontend.Variable {
	for len(vs) > 1 {
		next := make([]frontend.Variable, 0, (len(vs)+255)/256)
		for i := 0; i < len(vs); i += 256 {
			chunk := vs[i:min(i+256, len(vs))]
			if len(chunk) == 1 {
				next = append(next, chunk[0])
				continue
			}
			next = append(next, api.Add(chunk[0], chunk[1], chunk[2:]...))
		}
		vs = next
	}
	return vs[0]
}

// DecomposeHint splits a value into limbs. Inputs: the check's width bits,
// the base and the value; outputs: ceil(bits/base) limbs of base bits, low
// first (the value's low bits; the circuit checks the recomposition and
// every limb).
func DecomposeHint(_ *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) != 3 || !inputs[0].IsInt64() || !inputs[1].IsInt64() {
		return errors.New("rangecheck decompose hint: want the width, the base and a value")
	}
	bits, base := int(inputs[0].Int64()), int(inputs[1].Int64())
	if base < MinBase || base > MaxBase || bits < 2 || bits > MaxBits {
		return fmt.Errorf("rangecheck decompose hint: width %d, base %d", bits, base)
	}
	if n, _ := limbs(bits, base); n != len(outputs) {
		return fmt.Errorf("rangecheck decompose hint: %d outputs for %d limbs", len(outputs), n)
	}
	mask := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(base)), big.NewInt(1))
	v := new(big.Int).Set(inputs[2])
	for i := range outputs {
		outputs[i].And(v, mask)
		v.Rsh(v, uint(base))
	}
	return nil
}

// CountHint counts the queries of one table. Inputs: the width w, then
// the queries; outputs: 2^w counts, of each value 0..2^w-1. A query
// outside the table is an error: no assignment could satisfy the circuit.
func CountHint(_ *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) < 1 || !inputs[0].IsInt64() {
		return errors.New("rangecheck count hint: malformed inputs")
	}
	w := inputs[0].Int64()
	if w < 2 || w > MaxBase || len(outputs) != 1<<w {
		return fmt.Errorf("rangecheck count hint: a table of %d bits with %d outputs", w, len(outputs))
	}
	counts := make([]int64, len(outputs))
	for j, q := range inputs[1:] {
		if !q.IsInt64() || q.Int64() < 0 || q.Int64() >= int64(len(outputs)) {
			return fmt.Errorf("rangecheck: value %s (check %d of width %d) is not below 2^%d", q, j, w, w)
		}
		counts[q.Int64()]++
	}
	for i, n := range counts {
		outputs[i].SetInt64(n)
	}
	return nil
}
