// Package shard splits a benchmark into shards of equal size and lays out
// the elements whose fingerprint names a shard's samples. It is plain Go:
// package commitment computes the fingerprint natively
// (commitment.ShardFingerprint) and the shard circuit
// (circuits.ShardCircuit) recomputes it with the same layout, so the two
// sides agree bit for bit; the commitment to a shard's hidden counts is
// commitment.CountsCommitment.
//
// # Shards
//
// A benchmark of N samples split at size S has ceil(N/S) shards; shard i
// holds samples [i·S, min((i+1)·S, N)). Every shard has S slots: the last
// one's unused slots are padding, which the elements mark as such and
// which counts for nothing in the circuit.
//
// # Elements and fingerprint
//
// A shard's samples are encoded as the m = 2 + L field elements
//
//	e = [Tag, L, index, packed features..., packed cells...]
//
// where L is the number of elements after it and index the shard's index.
// Features: for each of the S slots, its F features x (padding: zeros) are
// offset to u = x + 2^n (n = inputBits, so u in [0, 2^(n+1)) for
// -2^n <= x < 2^n) and packed little-endian, PerElement(n+1) to an element;
// each slot starts a new element. Cells: each slot's cell, 0 for padding and
// 1 + g·K + y for a sample of group g and label y (K classes), packed the
// same way with width CellWidth, the cells of all slots one after another.
// The circuit range-checks every u and derives every cell from booleans, so
// the packing is injective: e determines the features, the labels, the
// groups and which slots are real.
//
// The public value is the fingerprint F(r) = Σ_j e_j·r^j over the BN254
// scalar field at a challenge r that the shard circuit draws from its
// Groth16 commitment to the samples (see circuits.ShardCircuit for the
// soundness argument: Schwartz 1980, Zippel 1979; gnark's commitment
// extension, https://eprint.iacr.org/2022/1072).
package shard

import (
	"fmt"
	"math/big"
	"math/bits"
)

// TagString is the domain separation tag of a shard's element list (v2:
// fingerprinted; v1 was hashed with Poseidon2).
const TagString = "zkeval/shard-samples/v2"

// CountsTagString is the domain separation tag of a commitment to a shard's
// hidden counts.
const CountsTagString = "zkeval/shard-counts/v1"

// PackBits is the number of bits each packed element may use (the same
// packing as the model commitment's, package commitment).
const PackBits = 250

// PerElement returns how many values of width w fit one element.
func PerElement(w int) int { return PackBits / w }

// MaxSize bounds the shard size.
const MaxSize = 1 << 20

// Tag returns TagString as a big-endian integer.
func Tag() *big.Int { return new(big.Int).SetBytes([]byte(TagString)) }

// CountsTag returns CountsTagString as a big-endian integer.
func CountsTag() *big.Int { return new(big.Int).SetBytes([]byte(CountsTagString)) }

// Count returns the number of shards of size size for n samples.
func Count(n, size int) int {
	if size < 1 || n < 1 {
		return 0
	}
	return (n + size - 1) / size
}

// Span returns the samples [start, end) of shard i.
func Span(n, size, i int) (start, end int) {
	start = i * size
	return start, min(start+size, n)
}

// Layout fixes the encoding of one shard: the shard size, the number of
// features per sample, the input bound n (features within [-2^n, 2^n)) and
// the number of cells (groups × classes).
type Layout struct {
	Size      int
	Features  int
	InputBits int
	Cells     int
}

// FeatureWidth is the width of a packed, offset feature: n+1 bits.
func (l Layout) FeatureWidth() int { return l.InputBits + 1 }

// CellWidth is the width of a packed cell (values 0 to Cells).
func (l Layout) CellWidth() int { return max(1, bits.Len(uint(l.Cells))) }

// FeatureElements is the number of elements holding one slot's features.
func (l Layout) FeatureElements() int {
	p := PerElement(l.FeatureWidth())
	return (l.Features + p - 1) / p
}

// CellElements is the number of elements holding the cells of all slots.
func (l Layout) CellElements() int {
	p := PerElement(l.CellWidth())
	return (l.Size + p - 1) / p
}

// Elements is L: the number of elements after the tag and L.
func (l Layout) Elements() int { return 1 + l.Size*l.FeatureElements() + l.CellElements() }

// Validate checks that the layout is one the circuit can enforce.
func (l Layout) Validate() error {
	switch {
	case l.Size < 1 || l.Size > MaxSize:
		return fmt.Errorf("shard size %d outside [1, %d]", l.Size, MaxSize)
	case l.Features < 1:
		return fmt.Errorf("shard layout: %d features", l.Features)
	case l.InputBits < 1 || l.InputBits+1 > PackBits:
		return fmt.Errorf("shard layout: inputBits %d", l.InputBits)
	case l.Cells < 1 || l.Cells >= 1<<32:
		return fmt.Errorf("shard layout: %d cells", l.Cells)
	}
	return nil
}

// Slots are one shard's samples as the circuit takes them: X[s] the
// features and Cell[s] the cell of slot s (0 for padding), len Size each.
type Slots struct {
	X    [][]int64
	Cell []int
}

// Fill returns the slots of a shard holding samples x with cell values
// cells (1 + g·K + y each), padded with zero features and cell 0.
func (l Layout) Fill(x [][]int64, cells []int) (*Slots, error) {
	if len(x) != len(cells) || len(x) > l.Size || len(x) == 0 {
		return nil, fmt.Errorf("shard: %d samples and %d cells for a shard of %d slots", len(x), len(cells), l.Size)
	}
	lo, hi := -(int64(1) << l.InputBits), int64(1)<<l.InputBits
	s := &Slots{X: make([][]int64, l.Size), Cell: make([]int, l.Size)}
	zero := make([]int64, l.Features)
	for i := range s.X {
		if i >= len(x) {
			s.X[i] = zero
			continue
		}
		if len(x[i]) != l.Features {
			return nil, fmt.Errorf("shard: sample %d has %d features, want %d", i, len(x[i]), l.Features)
		}
		for j, v := range x[i] {
			if v < lo || v >= hi {
				return nil, fmt.Errorf("shard: sample %d feature %d = %d outside [-2^%d, 2^%d), the inputBits of the keys; the keys were made for another benchmark", i, j, v, l.InputBits, l.InputBits)
			}
		}
		if cells[i] < 1 || cells[i] > l.Cells {
			return nil, fmt.Errorf("shard: sample %d has cell %d outside [1, %d]", i, cells[i], l.Cells)
		}
		s.X[i], s.Cell[i] = x[i], cells[i]
	}
	return s, nil
}

// ElementsOf returns the full element list of shard index with these slots:
// [Tag, L, index, features..., cells...].
func (l Layout) ElementsOf(index int, s *Slots) []*big.Int {
	out := []*big.Int{Tag(), big.NewInt(int64(l.Elements())), big.NewInt(int64(index))}
	fw := l.FeatureWidth()
	off := new(big.Int).Lsh(big.NewInt(1), uint(l.InputBits))
	for _, x := range s.X {
		out = append(out, pack(len(x), fw, func(j int) *big.Int { return new(big.Int).Add(big.NewInt(x[j]), off) })...)
	}
	out = append(out, pack(len(s.Cell), l.CellWidth(), func(j int) *big.Int { return big.NewInt(int64(s.Cell[j])) })...)
	return out
}

// pack packs n values of width w, PerElement(w) to an element,
// little-endian.
func pack(n, w int, val func(int) *big.Int) []*big.Int {
	p := PerElement(w)
	var out []*big.Int
	for start := 0; start < n; start += p {
		e := new(big.Int)
		for j := min(start+p, n) - 1; j >= start; j-- {
			e.Lsh(e, uint(w))
			e.Add(e, val(j))
		}
		out = append(out, e)
	}
	return out
}

// Cells returns each sample's cell, 1 + g·K + y for group g (0 without a
// group attribute) and label y of K classes.
func Cells(labels, groups []int, classes int) []int {
	c := make([]int, len(labels))
	for i, y := range labels {
		g := 0
		if groups != nil {
			g = groups[i]
		}
		c[i] = 1 + g*classes + y
	}
	return c
}
