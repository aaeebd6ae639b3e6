package tree

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/lookup/logderivlookup"
)

// Features reads the constant samples' features at a variable feature
// index: x[s][f] for the constant sample s.
type Features interface {
	// Read returns x[s][f]. For f in [0, F) it is exactly x[s][f]; for any
	// f at all (a prover's choice) it lies within Bounds, which is what
	// Walk's argument needs (see the package documentation).
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
// samples x and reads reads (range checks at about 2 constraints each), so
// that a circuit can take the cheaper one; both are functions of public
// data only.
func DenseCost(x [][]int64, reads int64) int64 {
	return int64(len(x))*int64(len(x[0])) + 2*reads
}

// SparseCost: see DenseCost.
func SparseCost(x [][]int64, reads int64) int64 {
	return int64(len(Runs(x))) + 9*reads
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

// Sparse is the table of the samples' runs of equal consecutive features
// (Runs): a read of position p = s·F + f takes a hinted run j, looks up
// its packed entry K_j = Start + 2^sb·End + 2^(2sb)·(Value - lo) in a
// constant table (index j), checks the hinted Start, End and Value
// against it, and range-checks f, p - Start and End - p on rb bits
// (2^rb >= F). On MNIST a sample has about 147 runs, not 784 features:
// one constraint per run in the table, about 9 per read.
//
// Why it is sound: f < 2^rb puts p in [0, S·F + 2^rb); then Start lies in
// (p - 2^rb, p] and End in [p, p + 2^rb), windows narrower than 2^sb
// (2^(sb-2) >= S·F and sb >= rb + 2), so the packed sum equals K_j (as
// integers, far below the field) only with run j's own Start, End and
// Value; and Start <= p <= End puts p inside run j, the one run that
// holds it. A read returns the feature at p: x[s][f] for f < F, a feature
// of sample s+1 for f in [F, 2^rb) (Walk's node words rule that out), and
// is never outside the samples' range.
type Sparse struct {
	t        logderivlookup.Table
	features int
	lo       int64
	vb, rb   int
	sb       int
	// packed holds each sample's features, offset by lo, vb bits each,
	// packed into field elements for the run hint; first is the index of
	// each sample's first run.
	packed [][]*big.Int
	first  []int
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
	sp := &Sparse{t: logderivlookup.New(api), features: F, lo: lo, vb: valueBits, rb: runBits, sb: sb}
	runs := Runs(x)
	s := -1
	for j, r := range runs {
		if r.Start%int64(F) == 0 {
			s++
			sp.first = append(sp.first, j)
		}
		sp.t.Insert(sp.pack(r.Start, r.End, r.Value-lo))
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

// Read implements Features (see Sparse).
func (sp *Sparse) Read(api frontend.API, rc frontend.Rangechecker, s int, f frontend.Variable) frontend.Variable {
	in := []frontend.Variable{f, sp.features, sp.vb, sp.first[s], s * sp.features}
	for _, w := range sp.packed[s] {
		in = append(in, w)
	}
	out, err := api.Compiler().NewHint(RunHint, 4, in...)
	if err != nil {
		panic(err)
	}
	j, start, end, v := out[0], out[1], out[2], out[3]
	k := sp.t.Lookup(j)[0]
	shift := new(big.Int).Lsh(big.NewInt(1), uint(sp.sb))
	shift2 := new(big.Int).Lsh(big.NewInt(1), uint(2*sp.sb))
	api.AssertIsEqual(k, api.Add(start, api.Mul(end, shift), api.Mul(v, shift2)))
	p := api.Add(s*sp.features, f)
	rc.Check(f, sp.rb)
	rc.Check(api.Sub(p, start), sp.rb)
	rc.Check(api.Sub(end, p), sp.rb)
	return api.Add(v, sp.lo)
}

// RunHint finds the run that holds feature f of a sample. Inputs: f, the
// feature count F, the value width vb, the index of the sample's first
// run, the sample's first position s·F, then the sample's features offset
// by lo, 248/vb of them per element (the first in the low bits). Outputs:
// the run's index, its first and last positions and its value (offset by
// lo). The circuit checks all four (see Sparse).
func RunHint(_ *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) < 6 || len(outputs) != 4 {
		return errors.New("tree run hint: want at least 6 inputs and 4 outputs")
	}
	for _, v := range inputs[1:5] {
		if !v.IsInt64() {
			return errors.New("tree run hint: malformed inputs")
		}
	}
	F, vb, first, base := inputs[1].Int64(), inputs[2].Int64(), inputs[3].Int64(), inputs[4].Int64()
	if vb < 1 || vb > 62 || F < 1 {
		return errors.New("tree run hint: malformed inputs")
	}
	per := 248 / vb
	if int64(len(inputs)-5) != (F+per-1)/per {
		return fmt.Errorf("tree run hint: %d packed elements for %d features", len(inputs)-5, F)
	}
	if !inputs[0].IsInt64() || inputs[0].Int64() < 0 || inputs[0].Int64() >= F {
		return fmt.Errorf("tree run hint: feature %s outside [0, %d)", inputs[0], F)
	}
	f := inputs[0].Int64()
	xs := make([]int64, F)
	mask := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(vb)), big.NewInt(1))
	for i := int64(0); i < F; i += per {
		w := new(big.Int).Set(inputs[5+i/per])
		for k := i; k < min(i+per, F); k++ {
			xs[k] = new(big.Int).And(w, mask).Int64()
			w.Rsh(w, uint(vb))
		}
	}
	// Walk the runs of the sample up to the one holding f.
	j, start := first, int64(0)
	for {
		end := start
		for end+1 < F && xs[end+1] == xs[start] {
			end++
		}
		if f <= end {
			outputs[0].SetInt64(j)
			outputs[1].SetInt64(base + start)
			outputs[2].SetInt64(base + end)
			outputs[3].SetInt64(xs[start])
			return nil
		}
		j, start = j+1, end+1
	}
}
