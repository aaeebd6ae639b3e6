package circuits

import (
	"fmt"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/metric"
	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/shard"
)

// ShardSpec fixes a shard circuit (ShardCircuit): its public description
// and what the circuit derives from it.
type ShardSpec struct {
	Desc desc.Shard

	targets          []metric.Target
	revealed, hidden []metric.Count
}

// NewShardSpec derives the shard circuit for model m, shards of size
// samples and the claims' shapes (sorted into claim.Sort order), measuring
// the bounds on every sample of b (and on the all-zero padding slot) as
// NewSpec does, spatial layers and activation tables included: one setup
// then serves every shard of b. Errors are NewSpec's, plus a shard size
// outside [1, shard.MaxSize].
func NewShardSpec(m *model.Model, b *benchmark.Benchmark, claims []claim.Shape, size int) (*ShardSpec, error) {
	if m.Trees != nil {
		return nil, fmt.Errorf("model %q is a tree ensemble, which the shard circuit (%s) does not prove; prove the benchmark in one circuit (without --shard-size)", m.Name, desc.ShardVersion)
	}
	if size < 1 || size > shard.MaxSize {
		return nil, fmt.Errorf("shard size %d outside [1, %d]", size, shard.MaxSize)
	}
	shapes := append([]claim.Shape(nil), claims...)
	if err := claim.Sort(shapes); err != nil {
		return nil, err
	}
	// The claims must fit the whole benchmark (a recall of a class it never
	// labels is refused here, not after every shard is proven).
	if _, _, err := ResolveOnBenchmark(shapes, b); err != nil {
		return nil, err
	}
	// The bounds hold for every sample and for the all-zero padding slot.
	padded := *b
	padded.X = append(append(make([][]int64, 0, len(b.X)+1), b.X...), make([]int64, b.NumFeatures))
	lo, hi, slo, shi, err := measureAll(m, &padded)
	if err != nil {
		return nil, err
	}
	measured, ranges := accBits(lo, hi), accRanges(lo, hi)
	flo, fhi := b.FeatureRange()
	d := desc.Shard{Version: desc.ShardVersion, Shape: m.Shape(), InputBits: desc.SignedBits(flo, fhi), ShardSize: size,
		Classes: b.ClassNames, GroupAttribute: b.GroupAttribute, Groups: b.GroupNames, Claims: shapes}
	d.ReLU = ChooseReLU(d.Shape, ranges, size)
	d.ReLUTable = make([]Range, len(ranges))
	for l, g := range d.ReLU {
		if g == ReLULookup {
			d.ReLUTable[l] = ranges[l]
		}
	}
	sm := accBits(slo, shi)
	d.RangeBase = chooseShardRangeBase(d.Shape, measured, d.ReLU, size, d.InputBits, sm)
	d.AccBits = publishBits(measured, d.ReLU, d.ReLUTable, d.RangeBase)
	if len(d.Shape.Spatial) > 0 {
		d.SpatialAccBits = publishSpatialBits(d.Shape, sm, d.InputBits, d.RangeBase, size)
	}
	// The activations' bounds and tables as NewSpec sets them.
	act := &Spec{Shape: d.Shape, AccBits: d.AccBits, RangeBase: d.RangeBase, Bench: b}
	if err := act.setActivations(lo, hi); err != nil {
		return nil, err
	}
	d.AccBits, d.ActTable = act.AccBits, act.ActTable
	return NewShardSpecFrom(d)
}

// NewShardSpecFrom checks a published shard description (desc.Shard.Validate)
// and returns its spec.
func NewShardSpecFrom(d desc.Shard) (*ShardSpec, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("shard circuit: %w", err)
	}
	ts, err := d.Targets()
	if err != nil {
		return nil, err
	}
	r, h, err := d.ExposedCounts()
	if err != nil {
		return nil, err
	}
	return &ShardSpec{Desc: d, targets: ts, revealed: r, hidden: h}, nil
}

// BenchmarkLabels returns the label counts of the whole benchmark b, per
// group when it has groups.
func BenchmarkLabels(b *benchmark.Benchmark) metric.Labels {
	var groups []int
	if b.HasGroups() {
		groups = b.Groups
	}
	return metric.NewLabels(b.Labels, groups, len(b.ClassNames), len(b.GroupNames))
}

// ResolveOnBenchmark resolves claim shapes, in the order given, against
// the whole benchmark b (its class and group names and its label counts),
// as a shard's claims are resolved: the benchmark's labels and the
// targets. Errors are desc.ResolveShapes's (a class or group b does not
// have, a rate over a class it never labels).
func ResolveOnBenchmark(shapes []claim.Shape, b *benchmark.Benchmark) (metric.Labels, []metric.Target, error) {
	l := BenchmarkLabels(b)
	names := claim.Names{Classes: b.ClassNames, GroupAttribute: b.GroupAttribute, Groups: b.GroupNames}
	ts, err := desc.ResolveShapes(shapes, names, l)
	if err != nil {
		return metric.Labels{}, nil, err
	}
	return l, ts, nil
}

// Revealed returns the counts every shard makes public, in order.
func (s *ShardSpec) Revealed() []metric.Count { return s.revealed }

// Hidden returns the counts every shard commits to, in order.
func (s *ShardSpec) Hidden() []metric.Count { return s.hidden }

// Targets returns the resolved claims, in the order of Desc.Claims.
func (s *ShardSpec) Targets() []metric.Target { return s.targets }

// ID returns the shard circuit's id.
func (s *ShardSpec) ID() [32]byte { return s.Desc.ID() }

// Cells returns the number of (group, class) cells.
func (s *ShardSpec) Cells() int { return s.Desc.NumGroups() * len(s.Desc.Classes) }

// chooseShardRangeBase is ChooseRangeBase with the shard circuit's range
// checks: those of the evaluation circuit with full predictions (spatial
// layers at the bounds each width publishes, as chooseSpatialRangeBase
// counts them), plus one check of inputBits+1 bits per feature (exact: the
// packing relies on it).
func chooseShardRangeBase(sh model.Shape, accBits []int, relu []string, n, inputBits int, spatialMeasured []int) int {
	checks := rangeChecks(sh, accBits, relu, n, true)
	checks = append(checks, rangeCheck{bits: inputBits + 1, count: int64(n) * int64(sh.InputSize), exact: true})
	return bestRangeBase(checks, sh, spatialMeasured, inputBits, n)
}

// ArgmaxBound returns the bound the argmax gadget enforces on the logits it
// compares, as Spec.ArgmaxBound does for the same description.
func (s *ShardSpec) ArgmaxBound() int {
	d := s.Desc
	return (&Spec{Shape: d.Shape, AccBits: d.AccBits, ReLU: d.ReLU, RangeBase: d.RangeBase}).ArgmaxBound()
}

// Public returns the evaluation description with the shard circuit's
// model, bounds and gadgets (desc.Shard.Public), which the forward pass
// reads.
func (s *ShardSpec) Public() Public {
	return s.Desc.Public()
}
