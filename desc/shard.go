package desc

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/metric"
	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/shard"
)

// ShardVersion is the shard circuit's version; it enters the shard
// circuit's id, so changing its constraints must change it.
const ShardVersion = "zkeval-shard-circuit/v3"

// Shard is the public description of a shard circuit: the circuit that
// evaluates a committed model on one shard of ShardSize samples, which are
// secret inputs bound by a public fingerprint at the circuit's Groth16
// commitment challenge (package shard, circuits.ShardCircuit), and
// exposes the shard's label counts and the counts its claims read. One
// shard circuit, hence one setup, serves every shard of every benchmark
// with these names, within these bounds. Its fields mean what Public's
// fields of the same names mean, with one difference:
//
//   - InputBits n: the features are secret inputs of the shard circuit,
//     so the circuit itself enforces -2^n <= x < 2^n, by a range check of
//     x + 2^n on n+1 bits where it packs them for the digest.
//
// The first layer (a convolution or pool of a convolutional network, else
// the first dense layer) reads these variable inputs: a convolution's and a
// dense layer's products are checked with their randomised checks over
// variable inputs (circuits/conv, circuits/freivalds), and the prediction
// is always the full argmax. SpatialAccBits and ActTable are absent from
// the JSON of a model without spatial layers or activations other than
// ReLU, so such a description encodes as it did before they existed.
type Shard struct {
	Version        string        `json:"version"`
	Shape          model.Shape   `json:"shape"`
	InputBits      int           `json:"inputBits"`
	AccBits        []int         `json:"accumulatorBits"`
	SpatialAccBits []int         `json:"spatialAccumulatorBits,omitempty"`
	ReLU           []string      `json:"reluGadgets"`
	ReLUTable      []Range       `json:"reluTableRanges"`
	ActTable       []Range       `json:"activationTableRanges,omitempty"`
	RangeBase      int           `json:"rangeCheckBaseBits"`
	ShardSize      int           `json:"shardSize"`
	Classes        []string      `json:"classes"`
	GroupAttribute string        `json:"groupAttribute,omitempty"`
	Groups         []string      `json:"groups,omitempty"`
	Claims         []claim.Shape `json:"claims"`
}

// ID returns the shard circuit's id: SHA-256 of the JSON encoding of s.
func (s Shard) ID() [32]byte {
	data, err := json.Marshal(s)
	if err != nil {
		panic(err) // plain structs always marshal
	}
	return sha256.Sum256(data)
}

// Names returns the class and group names.
func (s Shard) Names() claim.Names {
	return claim.Names{Classes: s.Classes, GroupAttribute: s.GroupAttribute, Groups: s.Groups}
}

// NumGroups returns the number of groups (1 without a group attribute).
func (s Shard) NumGroups() int { return max(len(s.Groups), 1) }

// Layout returns the digest layout of the shards.
func (s Shard) Layout() shard.Layout {
	return shard.Layout{Size: s.ShardSize, Features: s.Shape.InputSize, InputBits: s.InputBits, Cells: s.NumGroups() * len(s.Classes)}
}

// Public returns a Public with the same model, bounds and gadgets (the
// first layer always FirstLayerFreivalds), for the checks and the forward
// pass the two circuits share: a benchmark of one sample per cell and no
// digest, which the shard circuit has not.
func (s Shard) Public() Public {
	G, K := s.NumGroups(), len(s.Classes)
	lc := make([][]int64, G)
	for g := range lc {
		lc[g] = make([]int64, K)
		for k := range lc[g] {
			lc[g][k] = 1
		}
	}
	return Public{Version: Version, Shape: s.Shape, InputBits: s.InputBits, AccBits: s.AccBits, SpatialAccBits: s.SpatialAccBits,
		ReLU: s.ReLU, ReLUTable: s.ReLUTable, ActTable: s.ActTable, RangeBase: s.RangeBase, FirstLayer: FirstLayerFreivalds, BenchmarkDigest: "", Samples: G * K,
		Classes: s.Classes, GroupAttribute: s.GroupAttribute, Groups: s.Groups, LabelCounts: lc, Claims: s.Claims}
}

// Validate checks the description as Public.Validate does (well formed,
// every integer the circuit forms below 2^MaxValueBits given InputBits,
// the weight widths, SpatialAccBits, AccBits and the activation tables),
// plus the shard layout (shard.Layout:
// size within [1, shard.MaxSize]) and the claims' names. The claims are
// resolved against the names only: whether each fits the benchmark's label
// counts (a recall of a class never labelled) is checked on the totals of
// the shards (ResolveShapes).
func (s Shard) Validate() error {
	if s.Version != ShardVersion {
		return fmt.Errorf("shard circuit version %q; this zkeval builds and verifies %q", s.Version, ShardVersion)
	}
	if len(s.Classes) > benchmark.MaxClasses || len(s.Groups) > benchmark.MaxGroups {
		return fmt.Errorf("%d classes and %d groups: too many", len(s.Classes), len(s.Groups))
	}
	if s.Shape.Trees != nil {
		return fmt.Errorf("shape: a tree ensemble; the shard circuit (%s) proves neural networks only", ShardVersion)
	}
	if err := s.Public().Validate(); err != nil {
		return err
	}
	return s.Layout().Validate()
}

// Targets resolves the claims against the names (see Validate).
func (s Shard) Targets() ([]metric.Target, error) {
	p := s.Public()
	return ResolveShapes(s.Claims, s.Names(), metric.Labels{Pos: p.LabelCounts})
}

// ExposedCounts returns the counts a shard makes public (the revealed
// claims' counts) and those it commits to (the hidden claims' counts),
// each without repeats, in the order the claims first read them. They
// depend only on the claims' shapes and the numbers of classes and groups.
func (s Shard) ExposedCounts() (revealed, hidden []metric.Count, err error) {
	ts, err := s.Targets()
	if err != nil {
		return nil, nil, err
	}
	l := metric.Labels{Pos: s.Public().LabelCounts}
	var rt, ht []metric.Target
	for k, sh := range s.Claims {
		if sh.Reveal {
			rt = append(rt, ts[k])
		} else {
			ht = append(ht, ts[k])
		}
	}
	revealed, hidden = unionCounts(rt, l), unionCounts(ht, l)
	return revealed, hidden, nil
}

// NeedsPredictions reports whether some exposed count reads predicted
// classes.
func (s Shard) NeedsPredictions() bool {
	r, h, err := s.ExposedCounts()
	if err != nil {
		return true
	}
	return metric.NeedsPredictions(r) || metric.NeedsPredictions(h)
}

// unionCounts returns the counts the targets read, without repeats, in the
// order they first read them.
func unionCounts(ts []metric.Target, l metric.Labels) []metric.Count {
	var list []metric.Count
	for _, t := range ts {
	next:
		for _, c := range metric.Counts(t, l) {
			for _, d := range list {
				if c == d {
					continue next
				}
			}
			list = append(list, c)
		}
	}
	return list
}
