// Package circuits holds the gnark circuit that proves a committed model's
// score on a whole benchmark, its gadgets and its hints.
//
// The statement (see EvalCircuit): for the secret weights W, biases B and
// salt, Poseidon2(salt, pack(W, B)) equals the public model commitment, and
// for every sample x_i of the benchmark, whose features and labels are
// circuit constants, pred_i = argmax f_W(x_i) is computed with exact integer
// semantics (package model), and the number of i with pred_i = label_i meets
// the claim's bound. The benchmark digest and a circuit id are public inputs
// held equal to constants, so a proof and verifying key cannot be re-used for
// another benchmark or circuit.
package circuits

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/model"
)

// Version is the circuit version; it enters the circuit id, so changing the
// constraints of the circuit must change it.
const Version = "zkeval-eval-circuit/v1"

// Comparison is a claim's direction.
type Comparison string

// The supported comparisons.
const (
	AtLeast Comparison = ">="
	AtMost  Comparison = "<="
)

// ClaimShape is the public shape of a claim: the metric, the comparison and
// whether the exact value is a public input. Only "accuracy" exists in this
// version; its value is the count of correct predictions.
type ClaimShape struct {
	Metric     string     `json:"metric"`
	Comparison Comparison `json:"comparison"`
	Reveal     bool       `json:"reveal"`
}

// Spec fixes a circuit: the model's public shape, the accumulator bit widths,
// the benchmark and the claim shape. Two provers with equal specs compile the
// same constraint system.
type Spec struct {
	Shape model.Shape
	// AccBits[l] bounds layer l's accumulators: |acc| < 2^AccBits[l] for every
	// sample of the benchmark. The circuit range-checks with these widths.
	AccBits []int
	Bench   *benchmark.Benchmark
	Digest  [32]byte
	Claim   ClaimShape
}

// NewSpec derives a spec from a model and a benchmark. AccBits are measured
// on the benchmark with the model's native inference; they are part of the
// public architecture. It returns an error when the model and the benchmark
// disagree on input size, scale or classes, or a value exceeds the bounds of
// model.CheckBounds.
func NewSpec(m *model.Model, b *benchmark.Benchmark, claim ClaimShape) (*Spec, error) {
	acc, err := MeasureAccBits(m, b)
	if err != nil {
		return nil, err
	}
	d, err := b.Digest()
	if err != nil {
		return nil, err
	}
	s := &Spec{Shape: m.Shape(), AccBits: acc, Bench: b, Digest: d, Claim: claim}
	return s, s.Validate()
}

// CheckCompatible reports whether model m can run on benchmark b.
func CheckCompatible(m *model.Model, b *benchmark.Benchmark) error {
	if m.InputSize != b.NumFeatures {
		return fmt.Errorf("the model takes %d input features but benchmark %s has %d", m.InputSize, b.Name, b.NumFeatures)
	}
	if m.InputScale != b.InputScale {
		return fmt.Errorf("the model was quantized for inputs at scale 1/%d but benchmark %s stores features at scale 1/%d; re-import the model with --input-scale %d", m.InputScale, b.Name, b.InputScale, b.InputScale)
	}
	if m.NumClasses() != len(b.ClassNames) {
		return fmt.Errorf("the model has %d outputs but benchmark %s has %d classes", m.NumClasses(), b.Name, len(b.ClassNames))
	}
	return nil
}

// MeasureAccBits runs m on every sample of b and returns, per layer, the
// least k with |acc| < 2^k over all samples (at least 1).
func MeasureAccBits(m *model.Model, b *benchmark.Benchmark) ([]int, error) {
	if err := CheckCompatible(m, b); err != nil {
		return nil, err
	}
	lo, hi := featureRange(b)
	if _, err := m.CheckBounds(lo, hi); err != nil {
		return nil, err
	}
	acc := make([]int, len(m.Layers))
	for l := range acc {
		acc[l] = 1
	}
	for i, x := range b.X {
		t, err := m.EvalTrace(x)
		if err != nil {
			return nil, fmt.Errorf("sample %d: %w", i, err)
		}
		for l, a := range t.Acc {
			for _, v := range a {
				if k := model.BitsOf(v); k > acc[l] {
					acc[l] = k
				}
			}
		}
	}
	return acc, nil
}

func featureRange(b *benchmark.Benchmark) (lo, hi int64) {
	for i, x := range b.X {
		for j, v := range x {
			if (i == 0 && j == 0) || v < lo {
				lo = v
			}
			if (i == 0 && j == 0) || v > hi {
				hi = v
			}
		}
	}
	return lo, hi
}

// MaxAccBits bounds Spec.AccBits so that every range-checked value stays far
// below the field.
const MaxAccBits = model.MaxAccumulatorBits

// Validate checks the spec's consistency.
func (s *Spec) Validate() error {
	if err := s.Shape.Validate(); err != nil {
		return err
	}
	if s.Bench == nil || s.Bench.Len() == 0 {
		return fmt.Errorf("spec: empty benchmark")
	}
	if s.Bench.NumFeatures != s.Shape.InputSize || s.Bench.InputScale != s.Shape.InputScale || len(s.Bench.ClassNames) != s.Shape.NumClasses() {
		return fmt.Errorf("spec: benchmark %s (%d features at scale 1/%d, %d classes) does not fit the model (%d inputs at scale 1/%d, %d outputs)",
			s.Bench.Name, s.Bench.NumFeatures, s.Bench.InputScale, len(s.Bench.ClassNames), s.Shape.InputSize, s.Shape.InputScale, s.Shape.NumClasses())
	}
	if len(s.AccBits) != len(s.Shape.Layers) {
		return fmt.Errorf("spec: %d accumulator widths for %d layers", len(s.AccBits), len(s.Shape.Layers))
	}
	for l, k := range s.AccBits {
		if k < 1 || k > MaxAccBits {
			return fmt.Errorf("spec: layer %d accumulator width %d outside [1, %d]", l, k, MaxAccBits)
		}
	}
	if s.Claim.Metric != "accuracy" {
		return fmt.Errorf("spec: unknown metric %q; this version proves \"accuracy\"", s.Claim.Metric)
	}
	if s.Claim.Comparison != AtLeast && s.Claim.Comparison != AtMost {
		return fmt.Errorf("spec: comparison %q; use >= or <=", s.Claim.Comparison)
	}
	return nil
}

// Public is the JSON form of everything in a spec except the samples, which
// the benchmark digest names. It is what an attestation publishes and what
// the circuit id hashes.
type Public struct {
	Version         string      `json:"version"`
	Shape           model.Shape `json:"shape"`
	AccBits         []int       `json:"accumulatorBits"`
	BenchmarkDigest string      `json:"benchmarkSha256"`
	Samples         int         `json:"samples"`
	Claim           ClaimShape  `json:"claim"`
}

// Public returns the spec's public description.
func (s *Spec) Public() Public {
	return Public{Version: Version, Shape: s.Shape, AccBits: s.AccBits, BenchmarkDigest: hex.EncodeToString(s.Digest[:]), Samples: s.Bench.Len(), Claim: s.Claim}
}

// ID returns the circuit id: SHA-256 of the JSON encoding of Public.
func (s *Spec) ID() [32]byte {
	return s.Public().ID()
}

// ID returns SHA-256 of the JSON encoding of p.
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

// CountBits is the width of the range check on count differences for n
// samples.
func CountBits(n int) int { return model.BitsOf(int64(n)) + 1 }
