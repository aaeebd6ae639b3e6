// Package commitment computes the hiding, binding commitment to a quantized
// model: a Poseidon2 hash over BN254 of a random salt and the packed weights.
// Package circuits recomputes the same hash inside the circuit; both sides use
// the layout defined here, so they agree bit for bit.
//
// The hash input is a sequence of BN254 scalar field elements:
//
//	[Tag, L, salt, header(shape)..., packed weights and biases...]
//
// where Tag is the big-endian integer of the ASCII string
// "zkeval/model-commitment/v1", L is the number of elements that follow it,
// and the header encodes the public shape (see HeaderElements). Poseidon2
// (Grassi, Khovratovich, Schofnegger, 2023, https://eprint.iacr.org/2023/323)
// is used in gnark-crypto's Merkle–Damgård mode, which adds no padding; the
// tag and the length make the encoding prefix-free.
//
// Packing (see Layout): each convolution, then each dense layer, contributes
// two segments, its weights in row-major [out][in] order (a convolution's
// [OutC][C·KH·KW]) and its biases [out]. A value v of a segment of
// width k (two's complement, -2^(k-1) <= v < 2^(k-1)) is offset to
// u = v + 2^(k-1) in [0, 2^k), and PerElement(k) consecutive offsets are packed
// little-endian into one element, sum_j u_j·2^(k·j), which stays below 2^250.
// The circuit range-checks every u to k bits, so the packing is injective.
package commitment

import (
	"crypto/rand"
	"fmt"
	"math"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/poseidon2"

	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/model/activation"
)

// Scheme names the commitment scheme in files and attestations.
const Scheme = "poseidon2-bn254/zkeval-model-v1"

// TagString is the domain separation tag, hashed as its big-endian integer.
const TagString = "zkeval/model-commitment/v1"

// PackBits is the number of bits each packed element may use.
const PackBits = 250

// Segment is a run of values packed with one width.
type Segment struct {
	Layer int // layer index (of Shape.Spatial when Spatial is set)
	// Spatial: the segment is a convolution's (model.Shape.Spatial).
	Spatial bool
	Bias    bool // false: weights [out][in] row-major; true: biases [out]
	Width   int  // two's complement bit width k
	Count   int  // number of values
}

// PerElement returns how many values of width k fit one element.
func PerElement(width int) int { return PackBits / width }

// Layout returns the packing segments for a shape, in hash order.
func Layout(s model.Shape) []Segment {
	segs := spatialSegments(s)
	for l, ls := range s.Layers {
		segs = append(segs,
			Segment{Layer: l, Width: ls.WeightBits, Count: ls.In * ls.Out},
			Segment{Layer: l, Bias: true, Width: ls.BiasBits, Count: ls.Out})
	}
	return segs
}

// Tag returns the domain separation tag as an integer.
func Tag() *big.Int { return new(big.Int).SetBytes([]byte(TagString)) }

// HeaderElements encodes the public shape: one element holding the input
// size, input scale, scale bits and spatial layer count (zero for an MLP),
// one holding the dense layer count, one per dense layer holding in, out,
// activation (0 none, 1 ReLU, activation.Code for the others), weight bits
// and bias bits, then three per spatial layer (see spatial.go), each field
// 40 bits wide (little-endian), then two per dense layer with an activation
// other than ReLU, its parameters (activationHeader).
func HeaderElements(s model.Shape) []*big.Int {
	pack := func(vals ...int64) *big.Int {
		e := new(big.Int)
		for j := len(vals) - 1; j >= 0; j-- {
			e.Lsh(e, 40)
			e.Add(e, big.NewInt(vals[j]))
		}
		return e
	}
	h := []*big.Int{pack(int64(s.InputSize), s.InputScale, int64(s.ScaleBits), int64(len(s.Spatial))), big.NewInt(int64(len(s.Layers)))}
	for _, l := range s.Layers {
		relu := int64(0)
		if l.ReLU {
			relu = 1
		}
		if l.Act != nil {
			// 2 and up: the activation's kind (activation.Code); its
			// parameters follow the spatial layers (activationHeader).
			relu = activation.Code(l.Act.Kind)
		}
		h = append(h, pack(int64(l.In), int64(l.Out), relu, int64(l.WeightBits), int64(l.BiasBits)))
	}
	for _, l := range s.Spatial {
		h = append(h, spatialHeader(l)...)
	}
	for _, l := range s.Layers {
		if l.Act != nil {
			h = append(h, activationHeader(l.Act)...)
		}
	}
	return h
}

// activationHeader binds an activation's parameters, so that a commitment
// names the function each layer computes, not only its kind: one element
// packing Alpha, OutBits and Shift (40 bits each, little-endian), and one
// holding the IEEE-754 bits of HardAlpha and HardBeta (64 bits each). The
// layer's kind code in its own element says that these two follow, so the
// header stays parseable and the encoding injective.
func activationHeader(a *activation.Spec) []*big.Int {
	p := new(big.Int).SetInt64(int64(a.Shift))
	p.Lsh(p, 40).Add(p, big.NewInt(int64(a.OutBits)))
	p.Lsh(p, 40).Add(p, big.NewInt(a.Alpha))
	// -0 and +0 are one parameter (Validate and the tables treat them
	// alike): hash +0 for both, so that a model has one commitment.
	canon := func(f float64) uint64 {
		if f == 0 {
			return 0
		}
		return math.Float64bits(f)
	}
	hard := new(big.Int).SetUint64(canon(a.HardBeta))
	hard.Lsh(hard, 64).Add(hard, new(big.Int).SetUint64(canon(a.HardAlpha)))
	return []*big.Int{p, hard}
}

// NumPacked returns the number of packed weight elements for a shape.
func NumPacked(s model.Shape) int {
	n := 0
	for _, seg := range Layout(s) {
		p := PerElement(seg.Width)
		n += (seg.Count + p - 1) / p
	}
	return n
}

// SegmentValues returns the values of one segment of m, in packing order.
func SegmentValues(m *model.Model, seg Segment) []int64 {
	var b []int64
	var w [][]int64
	if seg.Spatial {
		b, w = m.Spatial[seg.Layer].B, m.Spatial[seg.Layer].W
	} else {
		b, w = m.Layers[seg.Layer].B, m.Layers[seg.Layer].W
	}
	if seg.Bias {
		return b
	}
	vals := make([]int64, 0, seg.Count)
	for _, row := range w {
		vals = append(vals, row...)
	}
	return vals
}

// Elements returns the full hash input for m and salt.
func Elements(m *model.Model, salt *big.Int) ([]*big.Int, error) {
	if m.Trees != nil {
		return treeElements(m, salt)
	}
	s := m.Shape()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	body := []*big.Int{new(big.Int).Set(salt)}
	body = append(body, HeaderElements(s)...)
	for _, seg := range Layout(s) {
		vals := SegmentValues(m, seg)
		if len(vals) != seg.Count {
			return nil, fmt.Errorf("commitment: layer %d has %d values, want %d", seg.Layer, len(vals), seg.Count)
		}
		off := new(big.Int).Lsh(big.NewInt(1), uint(seg.Width-1))
		p := PerElement(seg.Width)
		for start := 0; start < len(vals); start += p {
			e := new(big.Int)
			end := min(start+p, len(vals))
			for j := end - 1; j >= start; j-- {
				e.Lsh(e, uint(seg.Width))
				e.Add(e, new(big.Int).Add(big.NewInt(vals[j]), off))
			}
			body = append(body, e)
		}
	}
	return append([]*big.Int{Tag(), big.NewInt(int64(len(body)))}, body...), nil
}

// Hash returns the Poseidon2 Merkle–Damgård hash of the elements, each
// written as its 32-byte big-endian encoding. Every element must be below
// the BN254 scalar field modulus.
func Hash(elems []*big.Int) (*big.Int, error) {
	h := poseidon2.NewMerkleDamgardHasher()
	for i, e := range elems {
		if e.Sign() < 0 || e.Cmp(fr.Modulus()) >= 0 {
			return nil, fmt.Errorf("commitment: element %d is outside the BN254 scalar field", i)
		}
		var b [32]byte
		e.FillBytes(b[:])
		if _, err := h.Write(b[:]); err != nil {
			return nil, err
		}
	}
	return new(big.Int).SetBytes(h.Sum(nil)), nil
}

// Commit returns the commitment to m with the given salt.
func Commit(m *model.Model, salt *big.Int) (*big.Int, error) {
	if salt.Sign() < 0 || salt.Cmp(fr.Modulus()) >= 0 {
		return nil, fmt.Errorf("commitment: salt is outside the BN254 scalar field")
	}
	elems, err := Elements(m, salt)
	if err != nil {
		return nil, err
	}
	return Hash(elems)
}

// NewSalt draws a uniformly random salt from the BN254 scalar field with
// crypto/rand.
func NewSalt() (*big.Int, error) {
	return rand.Int(rand.Reader, fr.Modulus())
}
