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
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/metric"
	"github.com/zkeval/zkeval/model"
)

// Version is the circuit version; it enters the circuit id, so changing the
// constraints of the circuit must change it.
const Version = "zkeval-eval-circuit/v5"

// Spec fixes a circuit: the model's public shape, the accumulator bit widths,
// the benchmark and the claim shape. Two provers with equal specs compile the
// same constraint system.
type Spec struct {
	Shape model.Shape
	// AccBits[l] bounds layer l's accumulators: |acc| < 2^AccBits[l] for every
	// sample of the benchmark. The circuit range-checks with these widths.
	AccBits []int
	// ReLU[l] names the ReLU gadget of layer l (ReLURange or ReLULookup),
	// "" for a layer without ReLU. NewSpec picks the cheaper one.
	ReLU []string
	// ReLUTable[l], for a layer with ReLULookup, is the range [Lo, Hi] of
	// its accumulators that the lookup table covers: measured on the
	// benchmark like AccBits and rounded outward to multiples of
	// 2^TableRoundingBits. The zero Range for the other layers.
	ReLUTable []Range
	// FirstLayer says how the first layer's accumulators are built:
	// FirstLayerLinear or FirstLayerFreivalds.
	FirstLayer string
	// RangeBase is the width of the range-check table (2^RangeBase entries);
	// checks other than the packed weights are widened to a multiple of it.
	RangeBase int
	Bench     *benchmark.Benchmark
	Digest    [32]byte
	// Claims are the claims' shapes, in claim.Sort order.
	Claims []claim.Shape

	labels  metric.Labels
	targets []metric.Target
}

// NewSpec derives a spec from a model, a benchmark and the claims' shapes
// (sorted into claim.Sort order). AccBits are measured on the benchmark with
// the model's native inference; they are part of the public architecture.
// It returns an error when the model and the benchmark disagree on input
// size, scale or classes, a value exceeds the bounds of model.CheckBounds,
// or a claim does not fit the benchmark (a *ClaimError; see claim.Resolve).
func NewSpec(m *model.Model, b *benchmark.Benchmark, claims []claim.Shape) (*Spec, error) {
	// The claims first: they need only the benchmark's labels, and a claim
	// that does not fit should not wait for the model's native inference.
	s := &Spec{Shape: m.Shape(), Bench: b, Claims: append([]claim.Shape(nil), claims...)}
	if err := claim.Sort(s.Claims); err != nil {
		return nil, err
	}
	if err := s.resolveClaims(); err != nil {
		return nil, err
	}
	lo, hi, err := measureAcc(m, b)
	if err != nil {
		return nil, err
	}
	acc, ranges := accBits(lo, hi), accRanges(lo, hi)
	if s.Digest, err = b.Digest(); err != nil {
		return nil, err
	}
	s.AccBits = acc
	s.ReLU = ChooseReLU(s.Shape, ranges, b.Len())
	s.ReLUTable = make([]Range, len(ranges))
	for l, g := range s.ReLU {
		if g == ReLULookup {
			s.ReLUTable[l] = ranges[l]
		}
	}
	s.FirstLayer = ChooseFirstLayer(s.Shape, b)
	s.RangeBase = ChooseRangeBase(s.Shape, acc, s.ReLU, b.Len(), s.NeedsPredictions())
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
	lo, hi, err := measureAcc(m, b)
	if err != nil {
		return nil, err
	}
	return accBits(lo, hi), nil
}

// MeasureAccRanges runs m on every sample of b and returns, per layer, the
// least range [Lo, Hi] with bounds multiple of 2^TableRoundingBits that
// holds 0 and every accumulator of every sample.
func MeasureAccRanges(m *model.Model, b *benchmark.Benchmark) ([]Range, error) {
	lo, hi, err := measureAcc(m, b)
	if err != nil {
		return nil, err
	}
	return accRanges(lo, hi), nil
}

// measureAcc returns, per layer, the least and the greatest accumulator of
// m over the samples of b (0 when all are positive, resp. negative).
func measureAcc(m *model.Model, b *benchmark.Benchmark) (lo, hi []int64, err error) {
	if err := CheckCompatible(m, b); err != nil {
		return nil, nil, err
	}
	flo, fhi := b.FeatureRange()
	if _, err := m.CheckBounds(flo, fhi); err != nil {
		return nil, nil, err
	}
	lo, hi = make([]int64, len(m.Layers)), make([]int64, len(m.Layers))
	for i, x := range b.X {
		t, err := m.EvalTrace(x)
		if err != nil {
			return nil, nil, fmt.Errorf("sample %d: %w", i, err)
		}
		for l, a := range t.Acc {
			for _, v := range a {
				lo[l], hi[l] = min(lo[l], v), max(hi[l], v)
			}
		}
	}
	return lo, hi, nil
}

func accBits(lo, hi []int64) []int {
	acc := make([]int, len(lo))
	for l := range acc {
		acc[l] = max(1, model.BitsOf(lo[l]), model.BitsOf(hi[l]))
	}
	return acc
}

func accRanges(lo, hi []int64) []Range {
	r := make([]Range, len(lo))
	q := int64(1) << TableRoundingBits
	for l := range r {
		// lo <= 0 <= hi: round both away from zero.
		r[l] = Range{Lo: -((-lo[l] + q - 1) / q * q), Hi: (hi[l] + q - 1) / q * q}
	}
	return r
}

// Range is the integer range [Lo, Hi].
type Range struct {
	Lo int64 `json:"lo"`
	Hi int64 `json:"hi"`
}

// TableRoundingBits: the bounds of a ReLU lookup table's range are multiples
// of 2^TableRoundingBits, so that the range reveals little about the model
// beyond AccBits.
const TableRoundingBits = 12

// ReLU gadgets.
const (
	// ReLURange: a hinted sign bit, a product and a range check of |z|.
	ReLURange = "range"
	// ReLULookup: a lookup in the constant table of max(z, 0).
	ReLULookup = "lookup"
)

// MaxLookupBits bounds the ReLU lookup table to 2^(MaxLookupBits+1) entries.
const MaxLookupBits = 20

// Entries returns the number of entries of a lookup table over r.
func (r Range) Entries() int64 { return r.Hi - r.Lo + 1 }

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

// MaxLinearTerms bounds the number of terms (non-zero features times the
// layer's outputs, over all samples) for which the first layer is built as
// linear combinations. gnark's builder holds about 200 bytes per term while
// compiling (measured: 8.4M terms, 2.9 GiB peak for 1,000 MNIST images), so
// past this bound the Freivalds check is used instead.
const MaxLinearTerms = 16_000_000

// ChooseFirstLayer picks the first layer's strategy for a benchmark.
func ChooseFirstLayer(sh model.Shape, b *benchmark.Benchmark) string {
	var nnz int64
	for _, x := range b.X {
		for _, v := range x {
			if v != 0 {
				nnz++
			}
		}
	}
	if nnz*int64(sh.Layers[0].Out) <= MaxLinearTerms {
		return FirstLayerLinear
	}
	return FirstLayerFreivalds
}

// ChooseReLU picks each ReLU layer's gadget: the lookup table over the
// layer's range (ranges[l], see MeasureAccRanges) when its fixed cost, one
// constraint per entry, is repaid by saving about 3 constraints on each of
// the layer's n·out activations, else range checks. Both are sound; the
// choice only moves cost.
func ChooseReLU(sh model.Shape, ranges []Range, n int) []string {
	g := make([]string, len(sh.Layers))
	for l, ls := range sh.Layers {
		if !ls.ReLU {
			continue
		}
		e := ranges[l].Entries()
		g[l] = ReLURange
		if e <= 1<<(MaxLookupBits+1) && e < 3*int64(n)*int64(ls.Out) {
			g[l] = ReLULookup
		}
	}
	return g
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
	if len(s.ReLU) != len(s.Shape.Layers) {
		return fmt.Errorf("spec: %d ReLU gadgets for %d layers", len(s.ReLU), len(s.Shape.Layers))
	}
	for l, g := range s.ReLU {
		switch {
		case !s.Shape.Layers[l].ReLU && g == "":
		case s.Shape.Layers[l].ReLU && g == ReLURange:
		case s.Shape.Layers[l].ReLU && g == ReLULookup:
		default:
			return fmt.Errorf("spec: layer %d: ReLU gadget %q does not fit the layer (relu %v)", l, g, s.Shape.Layers[l].ReLU)
		}
	}
	if len(s.ReLUTable) != len(s.Shape.Layers) {
		return fmt.Errorf("spec: %d ReLU table ranges for %d layers", len(s.ReLUTable), len(s.Shape.Layers))
	}
	for l, r := range s.ReLUTable {
		if s.ReLU[l] != ReLULookup {
			if r != (Range{}) {
				return fmt.Errorf("spec: layer %d has no ReLU lookup table but a table range [%d, %d]", l, r.Lo, r.Hi)
			}
			continue
		}
		q := int64(1) << TableRoundingBits
		bound := (int64(1)<<s.AccBits[l] + q - 1) / q * q
		if r.Lo > r.Hi || r.Lo%q != 0 || r.Hi%q != 0 || r.Lo < -bound || r.Hi > bound || r.Hi >= r.Lo+1<<(MaxLookupBits+1) {
			return fmt.Errorf("spec: layer %d: ReLU table range [%d, %d] is not within ±2^%d with bounds multiple of 2^%d and at most 2^%d entries", l, r.Lo, r.Hi, s.AccBits[l], TableRoundingBits, MaxLookupBits+1)
		}
	}
	if s.FirstLayer != FirstLayerLinear && s.FirstLayer != FirstLayerFreivalds {
		return fmt.Errorf("spec: first-layer strategy %q; want %q or %q", s.FirstLayer, FirstLayerLinear, FirstLayerFreivalds)
	}
	if s.RangeBase < MinRangeBase || s.RangeBase > MaxRangeBase {
		return fmt.Errorf("spec: range-check base %d outside [%d, %d]", s.RangeBase, MinRangeBase, MaxRangeBase)
	}
	return s.resolveClaims()
}

// resolveClaims checks the claims against the benchmark and caches their
// targets and the benchmark's label counts.
func (s *Spec) resolveClaims() error {
	b := s.Bench
	s.labels = metric.NewLabels(b.Labels, b.Groups, len(b.ClassNames), len(b.GroupNames))
	ts, err := resolveShapes(s.Claims, s.Names(), s.labels)
	if err != nil {
		return err
	}
	s.targets = ts
	return nil
}

// resolveShapes checks that shapes are at least one, in canonical order
// (claim.Sort) and each fit the benchmark's names and label counts
// (claim.Resolve) within MaxClaimBits, and returns their targets. Spec and
// Public share it, so that a prover and a verifier accept the same claims.
func resolveShapes(shapes []claim.Shape, names claim.Names, l metric.Labels) ([]metric.Target, error) {
	if len(shapes) == 0 {
		return nil, fmt.Errorf("claims: none; a proof carries at least one")
	}
	sorted := append([]claim.Shape(nil), shapes...)
	if err := claim.Sort(sorted); err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	for i := range sorted {
		if sorted[i] != shapes[i] {
			return nil, fmt.Errorf("claims: not in canonical order (claim.Sort)")
		}
	}
	ts := make([]metric.Target, len(shapes))
	for i, c := range shapes {
		t, err := claim.Resolve(c, names, l)
		if err != nil {
			return nil, &ClaimError{err}
		}
		if w := metric.DifferenceBits(t, l, claim.ThresholdBits+MaxRangeBase); w > MaxClaimBits {
			return nil, fmt.Errorf("%s over %d samples and %d classes needs %d-bit range checks, more than the %d this circuit allows; claim a per-class metric instead", c.Key(), l.N(-1), l.Classes(), w, MaxClaimBits)
		}
		ts[i] = t
	}
	return ts, nil
}

// ClaimError is NewSpec's error for a claim that does not fit the benchmark
// (an unknown class or group attribute, a class never labelled; see
// claim.Resolve), as opposed to a model and benchmark that do not fit.
type ClaimError struct{ Err error }

func (e *ClaimError) Error() string { return e.Err.Error() }
func (e *ClaimError) Unwrap() error { return e.Err }

// MaxClaimBits bounds the range checks of a claim's inequalities, far below
// the BN254 scalar field's 254 bits, so that a negative difference can never
// pass as a positive one.
const MaxClaimBits = 240

// Names returns the benchmark's class and group names.
func (s *Spec) Names() claim.Names {
	return claim.Names{Classes: s.Bench.ClassNames, GroupAttribute: s.Bench.GroupAttribute, Groups: s.Bench.GroupNames}
}

// Labels returns the benchmark's label counts per group and class.
func (s *Spec) Labels() metric.Labels { return s.labels }

// Targets returns the resolved claims, in the order of Claims.
func (s *Spec) Targets() []metric.Target { return s.targets }

// NeedsPredictions reports whether some claim reads predicted classes
// (then the circuit proves each sample's full argmax, not only whether it
// equals the label).
func (s *Spec) NeedsPredictions() bool {
	for _, t := range s.targets {
		if metric.NeedsPredictions(metric.Counts(t, s.labels)) {
			return true
		}
	}
	return false
}

// Public is the JSON form of everything in a spec except the samples, which
// the benchmark digest names. It is what an attestation publishes and what
// the circuit id hashes.
type Public struct {
	Version         string      `json:"version"`
	Shape           model.Shape `json:"shape"`
	AccBits         []int       `json:"accumulatorBits"`
	ReLU            []string    `json:"reluGadgets"`
	ReLUTable       []Range     `json:"reluTableRanges"`
	RangeBase       int         `json:"rangeCheckBaseBits"`
	FirstLayer      string      `json:"firstLayer"`
	BenchmarkDigest string      `json:"benchmarkSha256"`
	Samples         int         `json:"samples"`
	// Classes, GroupAttribute, Groups and LabelCounts ([group][class]
	// samples) are the benchmark's, so that a verifier without the
	// benchmark can print each claim's value from its revealed counts.
	Classes        []string      `json:"classes"`
	GroupAttribute string        `json:"groupAttribute,omitempty"`
	Groups         []string      `json:"groups,omitempty"`
	LabelCounts    [][]int64     `json:"labelCounts"`
	Claims         []claim.Shape `json:"claims"`
}

// Public returns the spec's public description.
func (s *Spec) Public() Public {
	return Public{Version: Version, Shape: s.Shape, AccBits: s.AccBits, ReLU: s.ReLU, ReLUTable: s.ReLUTable, RangeBase: s.RangeBase, FirstLayer: s.FirstLayer,
		BenchmarkDigest: hex.EncodeToString(s.Digest[:]), Samples: s.Bench.Len(),
		Classes: s.Bench.ClassNames, GroupAttribute: s.Bench.GroupAttribute, Groups: s.Bench.GroupNames, LabelCounts: s.labels.Pos, Claims: s.Claims}
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

// Resolve checks the description's benchmark names, label counts and
// claims, and returns the label counts and the resolved claims, for a
// verifier that has only the description. Errors name the field at fault.
func (p Public) Resolve() (metric.Labels, []metric.Target, error) {
	var l metric.Labels
	K := len(p.Classes)
	if K < 1 || K > benchmark.MaxClasses {
		return l, nil, fmt.Errorf("classes: %d; want between 1 and %d", K, benchmark.MaxClasses)
	}
	if K != p.Shape.NumClasses() {
		return l, nil, fmt.Errorf("classes: %d names for a model of %d outputs", K, p.Shape.NumClasses())
	}
	G := max(len(p.Groups), 1)
	if (p.GroupAttribute == "") != (len(p.Groups) == 0) {
		return l, nil, fmt.Errorf("groupAttribute %q with %d groups: give both or neither", p.GroupAttribute, len(p.Groups))
	}
	if len(p.LabelCounts) != G {
		return l, nil, fmt.Errorf("labelCounts: %d rows for %d groups", len(p.LabelCounts), G)
	}
	var total int64
	for g, row := range p.LabelCounts {
		if len(row) != K {
			return l, nil, fmt.Errorf("labelCounts[%d]: %d entries for %d classes", g, len(row), K)
		}
		for c, v := range row {
			if v < 0 || v > int64(p.Samples) {
				return l, nil, fmt.Errorf("labelCounts[%d][%d] = %d outside [0, %d]", g, c, v, p.Samples)
			}
			total += v
		}
	}
	if total != int64(p.Samples) {
		return l, nil, fmt.Errorf("labelCounts sum to %d, but the circuit has %d samples", total, p.Samples)
	}
	l.Pos = p.LabelCounts
	ts, err := resolveShapes(p.Claims, claim.Names{Classes: p.Classes, GroupAttribute: p.GroupAttribute, Groups: p.Groups}, l)
	if err != nil {
		return l, nil, err
	}
	return l, ts, nil
}
