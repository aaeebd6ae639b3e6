package desc

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/bits"

	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/metric"
	"github.com/zkeval/zkeval/shard"
)

// TotalsVersion is the totals circuit's version; it enters the circuit id.
const TotalsVersion = "zkeval-shard-totals-circuit/v2"

// Totals is the public description of the totals circuit: the small
// circuit that opens every shard's commitment to its hidden counts (package
// shard), sums them and proves that the sums meet every hidden claim,
// without revealing a shard's counts or the sums. It depends on the shard
// circuit (ShardID), the number of shards and the benchmark's label counts,
// which are its constants.
//
// Bounds: every opened count is range-checked to CountBits, so that it is
// within [0, 2^CountBits) with 2^CountBits > ShardSize; the sums are then
// below Shards·2^CountBits, and the claims' inequalities are range-checked
// as in the evaluation circuit (metric.DifferenceBits, at most
// MaxClaimBits).
type Totals struct {
	Version        string        `json:"version"`
	ShardID        string        `json:"shardCircuitId"`
	Shards         int           `json:"shards"`
	ShardSize      int           `json:"shardSize"`
	CountBits      int           `json:"countBits"`
	RangeBase      int           `json:"rangeCheckBaseBits"`
	Classes        []string      `json:"classes"`
	GroupAttribute string        `json:"groupAttribute,omitempty"`
	Groups         []string      `json:"groups,omitempty"`
	LabelCounts    [][]int64     `json:"labelCounts"`
	Claims         []claim.Shape `json:"claims"`
	// HiddenCounts is the number of counts each shard commits to
	// (desc.Shard.ExposedCounts' hidden list).
	HiddenCounts int `json:"hiddenCounts"`
}

// CountBits returns the width that holds every count of a shard of size
// samples: the least b with size < 2^b.
func CountBits(size int) int { return bits.Len(uint(size)) }

// NewTotals returns the totals description for the hidden claims of the
// shard circuit s, n shards and the benchmark's label counts.
func NewTotals(s Shard, shards int, labels metric.Labels) (Totals, error) {
	_, hidden, err := s.ExposedCounts()
	if err != nil {
		return Totals{}, err
	}
	var hc []claim.Shape
	for _, c := range s.Claims {
		if !c.Reveal {
			hc = append(hc, c)
		}
	}
	id := s.ID()
	t := Totals{Version: TotalsVersion, ShardID: hex.EncodeToString(id[:]), Shards: shards, ShardSize: s.ShardSize, CountBits: CountBits(s.ShardSize),
		RangeBase: 8, Classes: s.Classes, GroupAttribute: s.GroupAttribute, Groups: s.Groups, LabelCounts: labels.Pos, Claims: hc, HiddenCounts: len(hidden)}
	return t, t.Validate()
}

// ID returns the totals circuit's id: SHA-256 of its JSON encoding.
func (t Totals) ID() [32]byte {
	data, err := json.Marshal(t)
	if err != nil {
		panic(err)
	}
	return sha256.Sum256(data)
}

// Labels returns the label counts.
func (t Totals) Labels() metric.Labels { return metric.Labels{Pos: t.LabelCounts} }

// Validate checks the description: its version, at least one hidden claim,
// the shards' size and number against the label counts (which must sum to
// more than (Shards-1)·ShardSize and at most Shards·ShardSize), CountBits,
// and the claims against the label counts (ResolveShapes).
func (t Totals) Validate() error {
	if t.Version != TotalsVersion {
		return fmt.Errorf("totals circuit version %q; this zkeval builds and verifies %q", t.Version, TotalsVersion)
	}
	if len(t.Claims) == 0 || t.HiddenCounts < 1 {
		return fmt.Errorf("totals circuit: no hidden claim")
	}
	if t.ShardSize < 1 || t.ShardSize > shard.MaxSize || t.Shards < 1 || t.Shards > 1<<20 {
		return fmt.Errorf("totals circuit: %d shards of %d", t.Shards, t.ShardSize)
	}
	if t.CountBits != CountBits(t.ShardSize) {
		return fmt.Errorf("countBits %d; shards of %d need %d", t.CountBits, t.ShardSize, CountBits(t.ShardSize))
	}
	if t.RangeBase < MinRangeBase || t.RangeBase > MaxRangeBase {
		return fmt.Errorf("rangeCheckBaseBits: %d outside [%d, %d]", t.RangeBase, MinRangeBase, MaxRangeBase)
	}
	G := max(len(t.Groups), 1)
	if len(t.LabelCounts) != G {
		return fmt.Errorf("labelCounts: %d rows for %d groups", len(t.LabelCounts), G)
	}
	var n int64
	for g, row := range t.LabelCounts {
		if len(row) != len(t.Classes) {
			return fmt.Errorf("labelCounts[%d]: %d entries for %d classes", g, len(row), len(t.Classes))
		}
		for _, v := range row {
			if v < 0 {
				return fmt.Errorf("labelCounts[%d]: negative", g)
			}
			if v > math.MaxInt64-n {
				return fmt.Errorf("labelCounts[%d]: the counts sum past 2^63", g)
			}
			n += v
		}
	}
	if n <= int64(t.Shards-1)*int64(t.ShardSize) || n > int64(t.Shards)*int64(t.ShardSize) {
		return fmt.Errorf("labelCounts sum to %d samples, which %d shards of %d do not hold", n, t.Shards, t.ShardSize)
	}
	_, hidden, err := t.Targets()
	if err != nil {
		return err
	}
	if len(hidden) != t.HiddenCounts {
		return fmt.Errorf("hiddenCounts %d; the hidden claims read %d", t.HiddenCounts, len(hidden))
	}
	for _, c := range t.Claims {
		if c.Reveal {
			return fmt.Errorf("totals circuit: claim %s is revealed; it proves hidden claims only", c)
		}
	}
	return nil
}

// Targets resolves the hidden claims and returns them with the list of
// hidden counts every shard commits to, in order (the hidden list of
// Shard.ExposedCounts).
func (t Totals) Targets() ([]metric.Target, []metric.Count, error) {
	names := claim.Names{Classes: t.Classes, GroupAttribute: t.GroupAttribute, Groups: t.Groups}
	ts, err := ResolveShapes(t.Claims, names, t.Labels())
	if err != nil {
		return nil, nil, err
	}
	return ts, unionCounts(ts, t.Labels()), nil
}
