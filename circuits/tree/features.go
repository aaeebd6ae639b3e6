package tree

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/lookup/logderivlookup"
	"github.com/consensys/gnark/std/multicommit"
)

// Features reads the constant samples' features at a variable feature
// index: x[s][f] for the constant sample s.
type Features interface {
	// Read returns x[s][f]. For f in [0, F) it is exactly x[s][f]; for any
	// f at all (a prover's choice) it returns a value within Bounds, and
	// the reader's constraints pin f as Table.Walk's argument needs
	// (Dense: s·F + f must be an index of its table; Sparse: see there).
	Read(api frontend.API, rc frontend.Rangechecker, s int, f frontend.Variable) frontend.Variable
	// Bounds returns lo and bits: every value Read returns lies in
	// [lo, lo + 2^bits), whatever the prover does.
	Bounds() (lo int64, bits int)
}

// valueRange returns the least value of x and the width of [lo, max]:
// the least k with max - lo < 2^k.
func valueRange(x [][]int64) (lo int64, bits int) {
	lo, hi := x[0][0], x[0][0]
	for _, xs := range x {
		for _, v := range xs {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	bits = 1
	for bits < 62 && hi-lo >= int64(1)<<bits {
		bits++
	}
	return lo, bits
}

// Dense is the constant table of every feature, x[s][f] at index s·F + f
// (gnark's std/lookup/logderivlookup): one constraint per feature in the
// table, two per read. A read at any index returns one of the table's
// values, so Bounds is the samples' own range.
type Dense struct {
	t        logderivlookup.Table
	features int
	lo       int64
	bits     int
}

// NewDense returns the dense table of x ([samples][features]; every row as
// long as the first).
func NewDense(api frontend.API, x [][]int64) (*Dense, error) {
	if len(x) == 0 || len(x[0]) == 0 {
		return nil, errors.New("tree gadget: no features")
	}
	d := &Dense{t: logderivlookup.New(api), features: len(x[0])}
	for s, xs := range x {
		if len(xs) != d.features {
			return nil, fmt.Errorf("tree gadget: sample %d has %d features, sample 0 %d", s, len(xs), d.features)
		}
		for _, v := range xs {
			d.t.Insert(v)
		}
	}
	d.lo, d.bits = valueRange(x)
	return d, nil
}

// Read implements Features.
func (d *Dense) Read(api frontend.API, _ frontend.Rangechecker, s int, f frontend.Variable) frontend.Variable {
	return d.t.Lookup(api.Add(s*d.features, f))[0]
}

// Bounds implements Features.
func (d *Dense) Bounds() (int64, int) { return d.lo, d.bits }

// DenseCost and SparseCost estimate the constraints of each reader for
// samples x and reads reads (a range check is one query, one constraint), so
// that a circuit can take the cheaper one; both are functions of public
// data only.
func DenseCost(x [][]int64, reads int64) int64 {
	return int64(len(x))*int64(len(x[0])) + 2*reads
}

// SparseCost: see DenseCost.
func SparseCost(x [][]int64, reads int64) int64 {
	return int64(len(Runs(x))) + 4*reads
}

// Run is a run of equal consecutive features of one sample: positions
// [Start, End] (global positions s·F + f) all hold Value.
type Run struct {
	Start, End int64
	Value      int64
}

// Runs returns the maximal runs of equal consecutive features of every
// sample, in order of position; runs never cross from one sample to the
// next.
func Runs(x [][]int64) []Run {
	var rs []Run
	for s, xs := range x {
		base := int64(s) * int64(len(xs))
		for f := 0; f < len(xs); {
			g := f
			for g+1 < len(xs) && xs[g+1] == xs[f] {
				g++
			}
			rs = append(rs, Run{Start: base + int64(f), End: base + int64(g), Value: xs[f]})
			f = g + 1
		}
	}
	return rs
}

// Sparse is the set of the samples' runs of equal consecutive features
// (Runs), each packed into one constant key K = Start + 2^sb·End +
// 2^(2sb)·(Value - lo): a read of position p = s·F + f takes a hinted run
// (Start, End, Value), proves that its packed key is one of the set's with
// a log-derivative argument of its own (build), range-checks p - Start and
// End - p on rb bits (2^rb >= F) and Value - lo on vb bits. On MNIST a
// sample has about 147 runs, not 784 features: 1 constraint per run in the
// set, 4 per read (the key's inverse and three range-check queries).
//
// Why it is sound, for a read at a small f (0 <= f < F; Walk's argument
// gives it, see Table.Walk): p is then in [0, S·F), Start lies in
// (p - 2^rb, p] and End in [p, p + 2^rb), windows narrower than 2^sb
// (2^(sb-2) >= S·F and sb >= rb + 2), and Value - lo in [0, 2^vb), so the
// packed sum is an integer below 2^(2sb+vb) < p whose parts lie in their
// fields, and it equals a key only with that run's own Start, End and
// Value (without the check of Value, an End moved within its window and a
// Value that is a large field element would keep the honest run's key);
// and Start <= p <= End puts p inside the run, the one run that holds it.
// The read is then x[s][f]. Whatever f is, the value read lies within
// Bounds (Value - lo is range-checked). Sparse does not range-check f
// itself: at the root f is a committed feature index, and after it Walk
// proves f is the committed one from the key's equation (see Table.Walk),
// which NewTable sizes to hold over the integers (KeyBits).
type Sparse struct {
	keys     []*big.Int
	queries  []frontend.Variable
	commit   []frontend.Variable
	features int
	lo       int64
	vb, rb   int
	sb       int
	// packed holds each sample's features, offset by lo, vb bits each,
	// packed into field elements for the run hint.
	packed [][]*big.Int
}

// NewSparse returns the run table of x ([samples][features]); its range
// checks are runBits wide, at least what the feature count needs (a caller
// may widen them to its range-check base).
func NewSparse(api frontend.API, x [][]int64, runBits int) (*Sparse, error) {
	if len(x) == 0 || len(x[0]) == 0 {
		return nil, errors.New("tree gadget: no features")
	}
	F := len(x[0])
	for s, xs := range x {
		if len(xs) != F {
			return nil, fmt.Errorf("tree gadget: sample %d has %d features, sample 0 %d", s, len(xs), F)
		}
	}
	lo, vb := valueRange(x)
	if vb > 62 {
		return nil, fmt.Errorf("tree gadget: features of %d bits", vb)
	}
	valueBits := vb
	rb := bitsFor(int64(F - 1))
	if runBits < rb || runBits > 32 {
		return nil, fmt.Errorf("tree gadget: %d features need run checks of %d bits, not %d", F, rb, runBits)
	}
	total := int64(len(x)) * int64(F)
	sb := 2
	for total > int64(1)<<(sb-2) || runBits+2 > sb {
		sb++
	}
	if 2*sb+valueBits > 200 {
		return nil, fmt.Errorf("tree gadget: %d positions and %d-bit values do not pack", total, valueBits)
	}
	sp := &Sparse{features: F, lo: lo, vb: valueBits, rb: runBits, sb: sb}
	api.Compiler().Defer(sp.build)
	for _, r := range Runs(x) {
		sp.keys = append(sp.keys, sp.pack(r.Start, r.End, r.Value-lo))
	}
	per := 248 / valueBits
	for _, xs := range x {
		var words []*big.Int
		for i := 0; i < F; i += per {
			w := new(big.Int)
			for k := min(i+per, F) - 1; k >= i; k-- {
				w.Lsh(w, uint(valueBits))
				w.Add(w, big.NewInt(xs[k]-lo))
			}
			words = append(words, w)
		}
		sp.packed = append(sp.packed, words)
	}
	return sp, nil
}

func (sp *Sparse) pack(start, end, v int64) *big.Int {
	k := big.NewInt(v)
	k.Lsh(k, uint(sp.sb))
	k.Add(k, big.NewInt(end))
	k.Lsh(k, uint(sp.sb))
	return k.Add(k, big.NewInt(start))
}

// Bounds implements Features.
func (sp *Sparse) Bounds() (int64, int) { return sp.lo, sp.vb }

// KeyBits returns the width of the packed keys, 2·sb + vb: Table.Walk's
// argument needs it to size the key's equation.
func (sp *Sparse) KeyBits() int { return 2*sp.sb + sp.vb }

// SparseValueBits returns the width of the range check of each value a
// Sparse reader over x reads.
func SparseValueBits(x [][]int64) int {
	_, b := valueRange(x)
	return b
}

// Read implements Features (see Sparse).
func (sp *Sparse) Read(api frontend.API, rc frontend.Rangechecker, s int, f frontend.Variable) frontend.Variable {
	in := []frontend.Variable{f, sp.features, sp.vb, s * sp.features}
	for _, w := range sp.packed[s] {
		in = append(in, w)
	}
	out, err := api.Compiler().NewHint(RunHint, 3, in...)
	if err != nil {
		panic(err)
	}
	start, end, v := out[0], out[1], out[2]
	shift := new(big.Int).Lsh(big.NewInt(1), uint(sp.sb))
	shift2 := new(big.Int).Lsh(big.NewInt(1), uint(2*sp.sb))
	sp.queries = append(sp.queries, api.Add(start, api.Mul(end, shift), api.Mul(v, shift2)))
	sp.commit = append(sp.commit, start, end, v, f)
	p := api.Add(s*sp.features, f)
	rc.Check(api.Sub(p, start), sp.rb)
	rc.Check(api.Sub(end, p), sp.rb)
	// v is bounded too: the packed key is then an integer below
	// 2^(2sb+vb) < p whose parts lie in their fields, so it names one
	// (start, end, value) triple, and the value read lies within Bounds.
	// Without this check a prover could move end within its window and
	// compensate with a v that is a large field element, keeping the key
	// of the honest run while reading any value.
	rc.Check(v, sp.vb)
	return api.Add(v, sp.lo)
}

// build is the log-derivative argument (Haböck 2022,
// https://eprint.iacr.org/2022/1530) that every query is one of the keys:
// with multiplicities m_i (CountHint) and a challenge a drawn from the
// circuit's single commitment (std/multicommit) over the queries' parts
// and the multiplicities, sum_i m_i/(a - K_i) = sum_j 1/(a - Q_j). The keys
// are constants: 1 constraint per key, 1 per query.
func (sp *Sparse) build(api frontend.API) error {
	if len(sp.queries) == 0 {
		return nil
	}
	in := make([]frontend.Variable, 0, 1+len(sp.keys)+len(sp.queries))
	in = append(in, len(sp.keys))
	for _, k := range sp.keys {
		in = append(in, k)
	}
	in = append(in, sp.queries...)
	m, err := api.Compiler().NewHint(CountHint, len(sp.keys), in...)
	if err != nil {
		return err
	}
	multicommit.WithCommitment(api, func(api frontend.API, a frontend.Variable) error {
		left := make([]frontend.Variable, len(sp.keys))
		for i, k := range sp.keys {
			left[i] = api.DivUnchecked(m[i], api.Sub(a, k))
		}
		right := make([]frontend.Variable, len(sp.queries))
		for j, q := range sp.queries {
			right[j] = api.Inverse(api.Sub(a, q))
		}
		api.AssertIsEqual(sumTree(api, left), sumTree(api, right))
		return nil
	}, append(append([]frontend.Variable(nil), sp.commit...), m...)...)
	return nil
}

// sumTree adds vs pairwise, level by level.
func sumTree(api frontend.API, vs []frontend.Variable) frontend.Variable {
	for len(vs) > 1 {
		next := make([]frontend.Variable, 0, (len(vs)+1)/2)
		for i := 0; i+1 < len(vs); i += 2 {
			next = append(next, api.Add(vs[i], vs[i+1]))
		}
		if len(vs)%2 == 1 {
			next = append(next, vs[len(vs)-1])
		}
		vs = next
	}
	return vs[0]
}

// CountHint counts how often each key occurs among the queries. Inputs:
// the key count n, the n keys, then the queries; outputs: n counts. A
// query that is no key is an error (the circuit could not be satisfied).
func CountHint(_ *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) < 1 || !inputs[0].IsInt64() {
		return errors.New("tree count hint: malformed inputs")
	}
	n := int(inputs[0].Int64())
	if n != len(outputs) || len(inputs) < 1+n {
		return errors.New("tree count hint: malformed inputs")
	}
	idx := make(map[string]int, n)
	for i, k := range inputs[1 : 1+n] {
		idx[string(k.Bytes())] = i
	}
	counts := make([]int64, n)
	for j, q := range inputs[1+n:] {
		i, ok := idx[string(q.Bytes())]
		if !ok {
			return fmt.Errorf("tree count hint: query %d is not in the table", j)
		}
		counts[i]++
	}
	for i, c := range counts {
		outputs[i].SetInt64(c)
	}
	return nil
}

// RunHint finds the run that holds feature f of a sample. Inputs: f, the
// feature count F, the value width vb, the sample's first position s·F,
// then the sample's features offset by lo, 248/vb of them per element (the
// first in the low bits). Outputs: the run's first and last positions and
// its value (offset by lo). The circuit checks all three (see Sparse).
func RunHint(_ *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) < 5 || len(outputs) != 3 {
		return errors.New("tree run hint: want at least 5 inputs and 3 outputs")
	}
	for _, v := range inputs[1:4] {
		if !v.IsInt64() {
			return errors.New("tree run hint: malformed inputs")
		}
	}
	F, vb, base := inputs[1].Int64(), inputs[2].Int64(), inputs[3].Int64()
	if vb < 1 || vb > 62 || F < 1 {
		return errors.New("tree run hint: malformed inputs")
	}
	per := 248 / vb
	if int64(len(inputs)-4) != (F+per-1)/per {
		return fmt.Errorf("tree run hint: %d packed elements for %d features", len(inputs)-4, F)
	}
	if !inputs[0].IsInt64() || inputs[0].Int64() < 0 || inputs[0].Int64() >= F {
		return fmt.Errorf("tree run hint: feature %s outside [0, %d)", inputs[0], F)
	}
	f := inputs[0].Int64()
	xs := make([]int64, F)
	mask := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(vb)), big.NewInt(1))
	for i := int64(0); i < F; i += per {
		w := new(big.Int).Set(inputs[4+i/per])
		for k := i; k < min(i+per, F); k++ {
			xs[k] = new(big.Int).And(w, mask).Int64()
			w.Rsh(w, uint(vb))
		}
	}
	// Walk the runs of the sample up to the one holding f.
	start := int64(0)
	for {
		end := start
		for end+1 < F && xs[end+1] == xs[start] {
			end++
		}
		if f <= end {
			outputs[0].SetInt64(base + start)
			outputs[1].SetInt64(base + end)
			outputs[2].SetInt64(xs[start])
			return nil
		}
		start = end + 1
	}
}
