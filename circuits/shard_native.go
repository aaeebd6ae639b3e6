package circuits

import (
	"fmt"
	"math/big"
	"reflect"

	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/metric"
	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/shard"
)

// EvalShard runs m natively on every slot of a shard, as the shard circuit
// does, and returns the shard's public values (label counts, revealed
// counts) and its hidden counts, with the commitment to them for
// countsSalt. Challenge and Fingerprint are left nil: BindShard sets them
// from the proving key and the full witness. It returns an error naming the slot when a value leaves the
// bounds of the description (the keys were measured on another benchmark
// or model), so that no proof is attempted that cannot succeed.
func EvalShard(spec *ShardSpec, m *model.Model, index int, slots *shard.Slots, countsSalt *big.Int) (*ShardInput, error) {
	d := spec.Desc
	if sh := m.Shape(); !reflect.DeepEqual(sh, d.Shape) {
		return nil, fmt.Errorf("the model's shape %s is not the shard circuit's %s", sh.String(), d.Shape.String())
	}
	if lay := d.Layout(); len(slots.X) != lay.Size || len(slots.Cell) != lay.Size {
		return nil, fmt.Errorf("shard %d: %d slots, want %d", index, len(slots.X), lay.Size)
	}
	pub := d.Public()
	G, K := d.NumGroups(), len(d.Classes)
	var pred, labels, groups []int
	for s, x := range slots.X {
		t, err := m.EvalTrace(x)
		if err != nil {
			return nil, fmt.Errorf("slot %d: %w", s, err)
		}
		if err := withinBounds(pub, t); err != nil {
			return nil, fmt.Errorf("slot %d of shard %d: %w; the keys were made for bounds measured on another benchmark or model: make keys with this one", s, index, err)
		}
		if slots.Cell[s] == 0 {
			continue
		}
		c := slots.Cell[s] - 1
		pred = append(pred, model.Argmax(t.Out))
		labels = append(labels, c%K)
		groups = append(groups, c/K)
	}
	tab := metric.Tally(pred, labels, groups, K, G)
	l := metric.NewLabels(labels, groups, K, G)
	in := &ShardInput{Index: index, Slots: slots}
	for g := range G {
		in.LabelCounts = append(in.LabelCounts, l.Pos[g]...)
	}
	in.Revealed = tab.Values(spec.revealed)
	var err error
	if len(spec.hidden) > 0 {
		in.Hidden = tab.Values(spec.hidden)
		in.CountsSalt = countsSalt
		if in.CountsCm, err = commitment.CountsCommitment(countsSalt, in.Hidden); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// withinBounds checks a trace against the bounds the circuit of p
// enforces, layer by layer as the forward pass's gadgets do: each spatial
// layer's values within SpatialAccBits (a convolution's ReLU |v| < 2^k,
// otherwise -2^k <= v < 2^k; for a convolution pooled before its ReLU,
// desc.PoolFirst, every accumulator |v| < 2^k, which implies the circuit's
// |M| < 2^k on each window's maximum and differences below 2^(k+1)), each
// dense layer's accumulators within its
// ReLU table or ReLU range, its activation's table range (ActAccRange) or
// LeakyRelu range, its signed bound, and the logits within the argmax's.
func withinBounds(p Public, t *model.Trace) error {
	for k, vals := range t.Spatial {
		l, bits := p.Shape.Spatial[k], p.SpatialAccBits[k]
		b := int64(1) << bits
		lo := -b
		if l.ReLU {
			lo = -b + 1 // relu.Range: |v| < 2^k
		}
		for i, v := range vals {
			if v < lo || v >= b {
				return fmt.Errorf("spatial layer %d (%s) value %d: %d outside [%d, 2^%d)", k, l.Kind, i, v, lo, bits)
			}
		}
	}
	accBits, gadgets, tables := p.AccBits, p.ReLU, p.ReLUTable
	for l, acc := range t.Acc {
		k := int64(1) << accBits[l]
		a := p.Shape.Layers[l].Act
		var alo, ahi int64
		if a.IsTable() {
			blo, bhi := p.ActAccRange(l) // within ±2^62 (Validate)
			alo, ahi = blo.Int64(), bhi.Int64()
		}
		for o, v := range acc {
			switch {
			case a.IsTable():
				if v < alo || v > ahi {
					return fmt.Errorf("layer %d output %d: accumulator %d outside the %s table's [%d, %d]", l, o, v, a.Kind, alo, ahi)
				}
			case a != nil || gadgets[l] == ReLURange:
				if v <= -k || v >= k {
					return fmt.Errorf("layer %d output %d: accumulator %d outside (-2^%d, 2^%d)", l, o, v, accBits[l], accBits[l])
				}
			case gadgets[l] == ReLULookup:
				if v < tables[l].Lo || v > tables[l].Hi {
					return fmt.Errorf("layer %d output %d: accumulator %d outside the lookup table's [%d, %d]", l, o, v, tables[l].Lo, tables[l].Hi)
				}
			case l == len(t.Acc)-1:
				// The argmax bounds the logits it compares: the
				// predicted one within [-2^(k-2), 2^(k-2)), differences
				// below 2^(k-1); every logit within 2^(k-2) suffices.
				q := int64(1) << (accBits[l] - 2)
				if v < -q || v >= q {
					return fmt.Errorf("layer %d output %d: logit %d outside [-2^%d, 2^%d)", l, o, v, accBits[l]-2, accBits[l]-2)
				}
			default:
				if v < -k || v >= k {
					return fmt.Errorf("layer %d output %d: accumulator %d outside [-2^%d, 2^%d)", l, o, v, accBits[l], accBits[l])
				}
			}
		}
	}
	return nil
}
