// Package desc is the public description of an evaluation circuit: the
// model's public shape, the bounds the circuit enforces on every
// intermediate value, the gadget choices, the benchmark's digest, names and
// label counts, and the claims' shapes. It is plain Go (no gnark), shared by
// the circuit (package circuits), the attestation format, the verifier and
// the ceremony: a verifier that holds only an attestation checks the
// description with Validate, and the circuit id (ID) binds it.
//
// # Bounds
//
// Every bound the circuit's soundness relies on is stated here and enforced
// inside the circuit (see README, "What the proof enforces"):
//
//   - InputBits n: every benchmark feature x satisfies -2^n <= x < 2^n. In
//     the evaluation circuit the features are constants, so setup and every
//     ceremony step check this against the benchmark itself. In a shard
//     circuit (Shard) they are secret inputs, and the circuit enforces the
//     bound: a range check of x + 2^n on n+1 bits, where it packs them for
//     the shard's fingerprint (which the check also makes injective).
//
//   - WeightBits and BiasBits (model.LayerShape): two's complement widths,
//     range-checked in the circuit where the weights are packed for the
//     commitment.
//
//   - AccBits[l] = k: every accumulator of layer l satisfies
//     -2^k <= acc < 2^k, enforced by the layer's gadget: a lookup table over
//     ReLUTable[l] ⊆ [-2^k, 2^k), a ReLU range check of |acc| < 2^k, or, for
//     a layer without ReLU before the last, a range check of acc + 2^k on
//     k+1 bits. For the last layer without ReLU the bound holds for every
//     logit the argmax compares (the ones the statement depends on): the
//     reference logit (the label's, or the predicted class's) is checked
//     within [-2^(k-2), 2^(k-2)) and each compared difference within
//     [0, 2^(k-1)).
//
//   - For a layer with an activation other than ReLU (model/activation):
//     LeakyRelu bounds |acc| < 2^k like the ReLU range check, and a table
//     activation bounds acc by its table range ActTable[l] (see ActTable),
//     within [-2^k, 2^k). The next layer's inputs are then bounded by the
//     table's output bound (ActOutBits), computed from the description.
//
//   - SpatialAccBits[k] = k', for a convolutional network's spatial layer k
//     (model.Shape.Spatial): a convolution's accumulators satisfy
//     -2^k' <= acc < 2^k', enforced by its ReLU range check (|acc| < 2^k')
//     or, without ReLU, a range check of acc + 2^k' on k'+1 bits; with ReLU
//     and a max pool after it (PoolFirst), the circuit pools first and
//     enforces |M| < 2^k' on each window's maximum M (the ReLU after the
//     pool), every accumulator a window reads within 2^(k'+1) below M; a max
//     pool's outputs equal one of their inputs (circuits/pool), so they keep
//     their inputs' bound, and a sum pool's are sums of KH·KW bounded inputs:
//     for pools k' is the bound the inputs' implies (PoolBits), which
//     SpatialBounds requires. The first dense layer reads the last spatial
//     layer's bound.
//
// The same bounds, with the same meaning, describe a shard circuit (Shard),
// whose Validate runs the same checks; the totals circuit (Totals) bounds
// each opened count by CountBits.
//
// Validate then computes, from these bounds alone, the worst case of every
// integer the circuit forms (Bounds) and refuses a description in which any
// could reach MaxValueBits: below that, an integer and its residue modulo
// the BN254 scalar field p (p > 2^253) determine each other, so the checks
// made on field elements hold for the exact integers of model.Eval.
package desc

import (
	"crypto/sha256"
	"encoding/json"
	"math/big"

	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/model"
)

// Version is the circuit version; it enters the circuit id, so changing the
// constraints of the circuit must change it.
const Version = "zkeval-eval-circuit/v9"

// ReLU gadgets.
const (
	// ReLURange: a hinted sign bit, a product and a range check of |z|.
	ReLURange = "range"
	// ReLULookup: a lookup in the constant table of max(z, 0).
	ReLULookup = "lookup"
)

// First-layer strategies.
const (
	// FirstLayerLinear: each accumulator is a linear combination of the
	// secret weights with the constant features as coefficients; no
	// constraint, but the compiled system stores every term.
	FirstLayerLinear = "linear"
	// FirstLayerFreivalds: hinted accumulators checked with a Freivalds
	// check; out constraints per sample, small terms.
	FirstLayerFreivalds = "freivalds"
)

// TableRoundingBits: the bounds of a ReLU lookup table's range are multiples
// of 2^TableRoundingBits, so that the range reveals little about the model
// beyond AccBits.
const TableRoundingBits = 12

// MaxLookupBits bounds the ReLU lookup table to 2^(MaxLookupBits+1) entries.
const MaxLookupBits = 20

// MinRangeBase and MaxRangeBase bound the range-check table: 2^base entries.
const (
	MinRangeBase = 4
	MaxRangeBase = 18
)

// MaxAccBits bounds AccBits: accumulators stay within int64 for the native
// evaluation (model.MaxAccumulatorBits).
const MaxAccBits = model.MaxAccumulatorBits

// MinLogitBits bounds AccBits of the last layer when it has no ReLU: its
// accumulators are the logits, and AccBits k is then the bound of the
// argmax gadget (circuits/argmax), which bounds the predicted logit to
// [-2^(k-2), 2^(k-2)) and range-checks differences on k-1 bits, so it needs
// k-2 >= 0.
const MinLogitBits = 2

// MaxInputBits bounds InputBits: features are int64.
const MaxInputBits = 62

// MaxClaimBits bounds the range checks of a claim's inequalities, far below
// the BN254 scalar field's 254 bits, so that a negative difference can never
// pass as a positive one.
const MaxClaimBits = 240

// MaxValueBits bounds the magnitude of every integer the circuit forms from
// the model's values (accumulators, the values its gadgets derive from them,
// and their differences): |v| < 2^MaxValueBits. Two integers below it differ
// by less than 2^(MaxValueBits+1) < p, the BN254 scalar field's modulus
// (p > 2^253), so no two of them share a residue modulo p.
const MaxValueBits = 250

// Range is the integer range [Lo, Hi].
type Range struct {
	Lo int64 `json:"lo"`
	Hi int64 `json:"hi"`
}

// Entries returns the number of entries of a lookup table over r.
func (r Range) Entries() int64 { return r.Hi - r.Lo + 1 }

// Public is the JSON form of everything in a circuit's spec except the
// samples, which the benchmark digest names. It is what an attestation
// publishes and what the circuit id hashes.
type Public struct {
	Version string      `json:"version"`
	Shape   model.Shape `json:"shape"`
	// InputBits n: every feature x of the benchmark satisfies
	// -2^n <= x < 2^n.
	InputBits int `json:"inputBits"`
	// AccBits[l] = k: the circuit enforces -2^k <= acc < 2^k for every
	// accumulator of layer l (for the last layer without ReLU, every logit
	// the argmax compares; see the package documentation).
	AccBits []int `json:"accumulatorBits"`
	// SpatialAccBits[k] = k': the bound -2^k' <= v < 2^k' on spatial layer
	// k's values (model.Shape.Spatial; see SpatialBounds). For a
	// convolution with ReLU followed by a max pool (PoolFirst) the circuit
	// enforces it on each window's maximum, holds every accumulator a window
	// reads within 2^(k'+1) below that maximum, and leaves an accumulator
	// no window reads to the worst case (SpatialBound.WorstBits). Absent
	// for an MLP.
	SpatialAccBits []int `json:"spatialAccumulatorBits,omitempty"`
	// ReLU[l] names layer l's ReLU gadget (ReLURange or ReLULookup), ""
	// for a layer without ReLU.
	ReLU []string `json:"reluGadgets"`
	// ReLUTable[l], for a ReLULookup layer, is the range [Lo, Hi] its
	// table covers, within [-2^AccBits[l], 2^AccBits[l]); the zero Range
	// for the other layers.
	ReLUTable []Range `json:"reluTableRanges"`
	// ActTable[l], for a layer with a table activation (Shape.Layers[l].Act,
	// package model/activation), is the range [Lo, Hi] of the table's
	// index q = floor(acc / 2^Shift) the circuit's table covers: the lookup
	// enforces Lo <= q <= Hi and a range check 0 <= acc - q·2^Shift <
	// 2^Shift, so Lo·2^Shift <= acc < (Hi+1)·2^Shift, within
	// [-2^AccBits[l], 2^AccBits[l]). The zero Range for the other layers;
	// nil when no layer has an activation other than ReLU.
	ActTable []Range `json:"activationTableRanges,omitempty"`
	// RangeBase is the width of the range-check table (2^RangeBase
	// entries).
	RangeBase       int    `json:"rangeCheckBaseBits"`
	FirstLayer      string `json:"firstLayer"`
	BenchmarkDigest string `json:"benchmarkSha256"`
	Samples         int    `json:"samples"`
	// Classes, GroupAttribute, Groups and LabelCounts ([group][class]
	// samples) are the benchmark's, so that a verifier without the
	// benchmark can print each claim's value from its revealed counts.
	Classes        []string      `json:"classes"`
	GroupAttribute string        `json:"groupAttribute,omitempty"`
	Groups         []string      `json:"groups,omitempty"`
	LabelCounts    [][]int64     `json:"labelCounts"`
	Claims         []claim.Shape `json:"claims"`
}

// ID returns the circuit id: SHA-256 of the JSON encoding of p.
func (p Public) ID() [32]byte {
	data, err := json.Marshal(p)
	if err != nil {
		panic(err) // plain structs always marshal
	}
	return sha256.Sum256(data)
}

// IDElement maps a circuit id to the field: its last 31 bytes, big-endian.
func IDElement(id [32]byte) *big.Int { return new(big.Int).SetBytes(id[1:]) }

// DigestElements maps a SHA-256 digest to two field elements, the big-endian
// integers of its first and last 16 bytes.
func DigestElements(d [32]byte) [2]*big.Int {
	return [2]*big.Int{new(big.Int).SetBytes(d[:16]), new(big.Int).SetBytes(d[16:])}
}

// SignedBits returns the least k >= 1 with -2^k <= lo and hi < 2^k: the
// bound AccBits and InputBits state for values in [lo, hi].
func SignedBits(lo, hi int64) int {
	k := 1
	for k < 63 && (lo < -(int64(1)<<k) || hi >= int64(1)<<k) {
		k++
	}
	return k
}
