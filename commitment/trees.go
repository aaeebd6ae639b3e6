package commitment

import (
	"fmt"
	"math/big"

	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/model/tree"
)

// TreeTagString is the domain separation tag of a tree ensemble's
// commitment: its hash input is
//
//	[TreeTag, L, salt, TreeHeaderElements(shape)..., packed table...]
//
// with the packing of package commitment (see TreeLayout). The distinct tag
// keeps a tree ensemble's commitment apart from any network's.
const TreeTagString = "zkeval/tree-commitment/v1"

// TreeTag returns the tree commitment's tag as an integer.
func TreeTag() *big.Int { return new(big.Int).SetBytes([]byte(TreeTagString)) }

// Tree segments, in hash order.
const (
	TreeFeature   = "feature"
	TreeThreshold = "threshold"
	TreeLeft      = "left"
	TreeValue     = "value"
	TreeBase      = "base"
)

// TreeSegment is a run of values of a tree ensemble packed with one width:
// signed values v are offset to v + 2^(Width-1), unsigned ones packed as
// they are; either way each packed value lies in [0, 2^Width), which the
// circuit range-checks.
type TreeSegment struct {
	Name   string
	Width  int
	Signed bool
	Count  int
}

// TreeLayout returns the packing segments of a tree ensemble, in hash
// order: every node's feature (FeatureBits, unsigned), threshold
// (ThresholdBits, signed), left child (ChildBits, unsigned; absent in the
// heap layout), the leaf
// values node by node (ValueBits, signed, LeafWidth per node), then the
// base scores (BaseBits, signed).
func TreeLayout(s *tree.Shape) []TreeSegment {
	n := s.Nodes()
	segs := []TreeSegment{
		{TreeFeature, s.FeatureBits, false, n},
		{TreeThreshold, s.ThresholdBits, true, n},
		{TreeLeft, s.ChildBits, false, n},
		{TreeValue, s.ValueBits, true, n * s.LeafWidth},
		{TreeBase, s.BaseBits, true, s.Outputs},
	}
	if s.Heap {
		// No child column; the header's child bits (0) say so.
		segs = append(segs[:2], segs[3:]...)
	}
	return segs
}

// TreeHeaderElements encodes a tree ensemble's public shape in three
// elements of 40-bit fields (little-endian): input size, input scale and
// leaf scale bits; trees, depth, nodes per tree, classes, outputs and leaf
// width; the threshold domain bits and the five widths.
func TreeHeaderElements(s model.Shape) []*big.Int {
	pack := func(vals ...int64) *big.Int {
		e := new(big.Int)
		for j := len(vals) - 1; j >= 0; j-- {
			e.Lsh(e, 40)
			e.Add(e, big.NewInt(vals[j]))
		}
		return e
	}
	t := s.Trees
	return []*big.Int{
		pack(int64(s.InputSize), s.InputScale, int64(s.ScaleBits)),
		pack(int64(t.Trees), int64(t.Depth), int64(t.NodesPerTree), int64(t.Classes), int64(t.Outputs), int64(t.LeafWidth)),
		pack(int64(t.InputBits), int64(t.FeatureBits), int64(t.ThresholdBits), int64(t.ChildBits), int64(t.ValueBits), int64(t.BaseBits)),
	}
}

// TreeSegmentValues returns the values of one segment of e, in packing
// order.
func TreeSegmentValues(e *tree.Ensemble, seg TreeSegment) []int64 {
	var out []int64
	switch seg.Name {
	case TreeFeature:
		for _, f := range e.Feature {
			out = append(out, int64(f))
		}
	case TreeThreshold:
		out = append(out, e.Threshold...)
	case TreeLeft:
		for _, l := range e.Left {
			out = append(out, int64(l))
		}
	case TreeValue:
		for _, v := range e.Value {
			out = append(out, v...)
		}
	case TreeBase:
		out = append(out, e.Base...)
	}
	return out
}

// treeElements is Elements for a tree ensemble.
func treeElements(m *model.Model, salt *big.Int) ([]*big.Int, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	s := m.Shape()
	body := []*big.Int{new(big.Int).Set(salt)}
	body = append(body, TreeHeaderElements(s)...)
	for _, seg := range TreeLayout(s.Trees) {
		vals := TreeSegmentValues(m.Trees, seg)
		if len(vals) != seg.Count {
			return nil, fmt.Errorf("commitment: tree segment %s has %d values, want %d", seg.Name, len(vals), seg.Count)
		}
		var off int64
		if seg.Signed {
			off = int64(1) << (seg.Width - 1)
		}
		p := PerElement(seg.Width)
		for start := 0; start < len(vals); start += p {
			e := new(big.Int)
			end := min(start+p, len(vals))
			for j := end - 1; j >= start; j-- {
				u := vals[j] + off
				if u < 0 || u >= int64(1)<<seg.Width {
					return nil, fmt.Errorf("commitment: tree segment %s value %d = %d outside its %d-bit width", seg.Name, j, vals[j], seg.Width)
				}
				e.Lsh(e, uint(seg.Width))
				e.Add(e, big.NewInt(u))
			}
			body = append(body, e)
		}
	}
	return append([]*big.Int{TreeTag(), big.NewInt(int64(len(body)))}, body...), nil
}
