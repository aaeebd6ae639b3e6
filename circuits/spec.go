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
	"encoding/hex"
	"fmt"
	"math/big"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/metric"
	"github.com/zkeval/zkeval/model"
)

// The public description's names, kept here for the circuit's callers
// (package desc holds them, with no gnark dependency).
type (
	// Public is the circuit's public description (desc.Public).
	Public = desc.Public
	// Range is an integer range [Lo, Hi] (desc.Range).
	Range = desc.Range
	// ClaimError is the error for a claim that does not fit the benchmark
	// (desc.ClaimError).
	ClaimError = desc.ClaimError
)

// See package desc.
const (
	Version             = desc.Version
	ReLURange           = desc.ReLURange
	ReLULookup          = desc.ReLULookup
	FirstLayerLinear    = desc.FirstLayerLinear
	FirstLayerFreivalds = desc.FirstLayerFreivalds
	TableRoundingBits   = desc.TableRoundingBits
	MaxLookupBits       = desc.MaxLookupBits
	MinRangeBase        = desc.MinRangeBase
	MaxRangeBase        = desc.MaxRangeBase
	MaxAccBits          = desc.MaxAccBits
	MaxClaimBits        = desc.MaxClaimBits
)

// Spec fixes a circuit: the model's public shape, the bounds the circuit
// enforces, the benchmark and the claim shape. Two provers with equal specs
// compile the same constraint system. Its fields mean what desc.Public's
// fields of the same names mean.
type Spec struct {
	Shape model.Shape
	// InputBits n: every feature x of the benchmark satisfies
	// -2^n <= x < 2^n.
	InputBits int
	// AccBits[l] = k: the circuit enforces -2^k <= acc < 2^k for every
	// accumulator of layer l; NewSpec measures the accumulators on the
	// benchmark and rounds k up to the width its check is cheapest at.
	AccBits []int
	// SpatialAccBits[k]: the bound on spatial layer k's values
	// (desc.Public.SpatialAccBits, which says what the circuit enforces of
	// it); NewSpec publishes each convolution's bound with
	// publishSpatialBits and each pool's from its input's
	// (desc.PoolBits). Nil for an MLP.
	SpatialAccBits []int
	// ReLU[l] names the ReLU gadget of layer l (ReLURange or ReLULookup),
	// "" for a layer without ReLU. NewSpec picks the cheaper one.
	ReLU []string
	// ReLUTable[l], for a layer with ReLULookup, is the range [Lo, Hi] of
	// its accumulators that the lookup table covers: measured on the
	// benchmark like AccBits and rounded outward to multiples of
	// 2^TableRoundingBits. The zero Range for the other layers.
	ReLUTable []Range
	// ActTable[l], for a layer with a table activation, is its table's
	// index range (desc.Public.ActTable); nil without such layers.
	ActTable []Range
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
// (sorted into claim.Sort order). The accumulators are measured on the
// benchmark with the model's native inference, and each layer's published
// bound AccBits is the measured width rounded up to the width its check is
// cheapest at (see publishBits); the bounds are part of the public
// description. It returns an error when the model and the benchmark
// disagree on input size, scale or classes, a value exceeds the bounds of
// model.CheckBounds, or a claim does not fit the benchmark (a *ClaimError;
// see claim.Resolve).
func NewSpec(m *model.Model, b *benchmark.Benchmark, claims []claim.Shape) (*Spec, error) {
	if m.Trees != nil {
		return newTreeSpec(m, b, claims)
	}
	// The claims first: they need only the benchmark's labels, and a claim
	// that does not fit should not wait for the model's native inference.
	s := &Spec{Shape: m.Shape(), Bench: b, Claims: append([]claim.Shape(nil), claims...)}
	if err := claim.Sort(s.Claims); err != nil {
		return nil, err
	}
	if err := s.resolveClaims(); err != nil {
		return nil, err
	}
	lo, hi, slo, shi, err := measureAll(m, b)
	if err != nil {
		return nil, err
	}
	measured, ranges := accBits(lo, hi), accRanges(lo, hi)
	if s.Digest, err = b.Digest(); err != nil {
		return nil, err
	}
	flo, fhi := b.FeatureRange()
	s.InputBits = desc.SignedBits(flo, fhi)
	s.ReLU = ChooseReLU(s.Shape, ranges, b.Len())
	s.ReLUTable = make([]Range, len(ranges))
	for l, g := range s.ReLU {
		if g == ReLULookup {
			s.ReLUTable[l] = ranges[l]
		}
	}
	s.FirstLayer = ChooseFirstLayer(s.Shape, b)
	s.RangeBase = ChooseRangeBase(s.Shape, measured, s.ReLU, b.Len(), s.NeedsPredictions())
	s.AccBits = publishBits(measured, s.ReLU, s.ReLUTable, s.RangeBase)
	if len(s.Shape.Spatial) > 0 {
		s.FirstLayer = FirstLayerFreivalds
		sm := accBits(slo, shi)
		s.RangeBase = chooseSpatialRangeBase(s.Shape, measured, s.ReLU, b.Len(), s.NeedsPredictions(), sm, s.InputBits)
		s.AccBits = publishBits(measured, s.ReLU, s.ReLUTable, s.RangeBase)
		s.SpatialAccBits = publishSpatialBits(s.Shape, sm, s.InputBits, s.RangeBase, b.Len())
	}
	if err := s.setActivations(lo, hi); err != nil {
		return nil, err
	}
	return s, s.Validate()
}

// publishBits returns the bound each layer's gadget enforces, from the
// measured widths (|acc| < 2^measured[l]):
//   - a lookup layer: the least k with its table range within [-2^k, 2^k);
//   - a ReLU range layer: measured widened to a multiple of base (the check
//     of |acc| costs the same up to that width);
//   - a layer without ReLU before the last: k with k+1, the width of its
//     check (package signed), a multiple of base;
//   - the last layer without ReLU: the argmax's bound k (package argmax:
//     the reference logit within 2^(k-2), differences within 2^(k-1)), with
//     k-1, the width of its checks, a multiple of base;
//
// each at most MaxAccBits.
func publishBits(measured []int, gadgets []string, tables []Range, base int) []int {
	k := make([]int, len(measured))
	last := len(measured) - 1
	for l, m := range measured {
		switch {
		case gadgets[l] == ReLULookup:
			k[l] = max(m, desc.SignedBits(tables[l].Lo, tables[l].Hi))
		case gadgets[l] == ReLURange:
			k[l] = widen(m, base)
		case l == last:
			k[l] = widen(m+1, base) + 1
			if k[l] > MaxAccBits {
				k[l] = m + 2
			}
		default:
			k[l] = widen(m+1, base) - 1
		}
		if k[l] > MaxAccBits {
			k[l] = m
		}
	}
	return k
}

// ArgmaxBound returns the bound k the argmax gadget enforces on the logits
// it compares (see package argmax): the last layer's AccBits when it has no
// ReLU; when it has one (its outputs already within [0, 2^AccBits)), or
// for a tree ensemble (leaf sums within [-2^LogitBits, 2^LogitBits)), the
// least k >= that width + 2 with k-1 a multiple of base.
func (s *Spec) ArgmaxBound() int {
	if s.Shape.Trees != nil {
		// Leaf sums within [-2^L, 2^L) by the description's worst case.
		return widen(s.Shape.Trees.LogitBits()+1, s.RangeBase) + 1
	}
	last := len(s.Shape.Layers) - 1
	k := s.AccBits[last]
	if s.ReLU[last] == "" {
		return k
	}
	return widen(k+1, s.RangeBase) + 1
}

// CheckCompatible reports whether model m can run on benchmark b.
func CheckCompatible(m *model.Model, b *benchmark.Benchmark) error {
	if m.InputSize != b.NumFeatures {
		return fmt.Errorf("the model takes %d input features but benchmark %s has %d", m.InputSize, b.Name, b.NumFeatures)
	}
	if m.InputScale != b.InputScale {
		if m.Trees != nil {
			// A tree's thresholds are made exact for the benchmark's scale
			// at import: --input-scale does not apply.
			return fmt.Errorf("the model's thresholds were made exact for features at scale 1/%d but benchmark %s stores features at scale 1/%d; import the model again with --benchmark set to this benchmark", m.InputScale, b.Name, b.InputScale)
		}
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
	lo, hi, _, _, err = measureAll(m, b)
	return lo, hi, err
}

// measureAll is measureAcc returning also, per spatial layer, the least
// and greatest of its values (see model.Trace.Spatial).
func measureAll(m *model.Model, b *benchmark.Benchmark) (lo, hi, slo, shi []int64, err error) {
	if err := CheckCompatible(m, b); err != nil {
		return nil, nil, nil, nil, err
	}
	flo, fhi := b.FeatureRange()
	if _, err := m.CheckBounds(flo, fhi); err != nil {
		return nil, nil, nil, nil, err
	}
	lo, hi = make([]int64, len(m.Layers)), make([]int64, len(m.Layers))
	slo, shi = make([]int64, len(m.Spatial)), make([]int64, len(m.Spatial))
	for i, x := range b.X {
		t, err := m.EvalTrace(x)
		if err != nil {
			return nil, nil, nil, nil, fmt.Errorf("sample %d: %w", i, err)
		}
		for l, a := range t.Acc {
			for _, v := range a {
				lo[l], hi[l] = min(lo[l], v), max(hi[l], v)
			}
		}
		for k, a := range t.Spatial {
			for _, v := range a {
				slo[k], shi[k] = min(slo[k], v), max(shi[k], v)
			}
		}
	}
	return lo, hi, slo, shi, nil
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

// Validate checks the spec's public description (desc.Public.Validate:
// well formed, and every integer the circuit forms bounded below
// 2^desc.MaxValueBits) and that the benchmark is the one it describes: its
// size, input width and scale, classes, and features within InputBits,
// which the description's bounds assume and which, being circuit
// constants, no constraint checks.
func (s *Spec) Validate() error {
	if s.Bench == nil || s.Bench.Len() == 0 {
		return fmt.Errorf("spec: empty benchmark")
	}
	if len(s.Shape.Layers) == 0 && s.Shape.Trees == nil {
		return fmt.Errorf("spec: no layer")
	}
	if s.Bench.NumFeatures != s.Shape.InputSize || s.Bench.InputScale != s.Shape.InputScale || len(s.Bench.ClassNames) != s.Shape.NumClasses() {
		return fmt.Errorf("spec: benchmark %s (%d features at scale 1/%d, %d classes) does not fit the model (%d inputs at scale 1/%d, %d outputs)",
			s.Bench.Name, s.Bench.NumFeatures, s.Bench.InputScale, len(s.Bench.ClassNames), s.Shape.InputSize, s.Shape.InputScale, s.Shape.NumClasses())
	}
	if err := s.resolveClaims(); err != nil {
		return err
	}
	if d, err := s.Bench.Digest(); err != nil {
		return fmt.Errorf("spec: %w", err)
	} else if d != s.Digest {
		return fmt.Errorf("spec: the benchmark given has SHA-256 %x, but the description names benchmark %x", d, s.Digest)
	}
	if err := s.Public().Validate(); err != nil {
		return fmt.Errorf("spec: %w", err)
	}
	flo, fhi := s.Bench.FeatureRange()
	if k := desc.SignedBits(flo, fhi); k > s.InputBits {
		return fmt.Errorf("spec: benchmark %s has features in [%d, %d], beyond the description's inputBits %d (features within [-2^%d, 2^%d))", s.Bench.Name, flo, fhi, s.InputBits, s.InputBits, s.InputBits)
	}
	return nil
}

// resolveClaims checks the claims against the benchmark and caches their
// targets and the benchmark's label counts.
func (s *Spec) resolveClaims() error {
	b := s.Bench
	s.labels = metric.NewLabels(b.Labels, b.Groups, len(b.ClassNames), len(b.GroupNames))
	ts, err := desc.ResolveShapes(s.Claims, s.Names(), s.labels)
	if err != nil {
		return err
	}
	s.targets = ts
	return nil
}

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

// Public returns the spec's public description.
func (s *Spec) Public() Public {
	return Public{Version: Version, Shape: s.Shape, InputBits: s.InputBits, AccBits: s.AccBits, SpatialAccBits: s.SpatialAccBits, ReLU: s.ReLU, ReLUTable: s.ReLUTable, ActTable: s.ActTable, RangeBase: s.RangeBase, FirstLayer: s.FirstLayer,
		BenchmarkDigest: hex.EncodeToString(s.Digest[:]), Samples: s.Bench.Len(),
		Classes: s.Bench.ClassNames, GroupAttribute: s.Bench.GroupAttribute, Groups: s.Bench.GroupNames, LabelCounts: s.labels.Pos, Claims: s.Claims}
}

// ID returns the circuit id: SHA-256 of the JSON encoding of Public.
func (s *Spec) ID() [32]byte {
	return s.Public().ID()
}

// IDElement maps a circuit id to the field: its last 31 bytes, big-endian.
func IDElement(id [32]byte) *big.Int { return desc.IDElement(id) }

// DigestElements maps a SHA-256 digest to two field elements, the big-endian
// integers of its first and last 16 bytes.
func DigestElements(d [32]byte) [2]*big.Int { return desc.DigestElements(d) }
