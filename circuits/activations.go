package circuits

import (
	"fmt"
	"sync"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/lookup/logderivlookup"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/circuits/activation"
	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/model"
	mact "github.com/zkeval/zkeval/model/activation"
)

// This file wires the activations other than ReLU (package
// model/activation; gadget circuits/activation) into the evaluation
// circuit: their table ranges and bounds in the spec, and their gadgets.

// ActTableRoundingBits: the bounds of an activation table's index range
// are multiples of 2^ActTableRoundingBits, so that the range reveals
// little about the model beyond the published bounds.
const ActTableRoundingBits = 6

// setActivations fills ActTable and the AccBits of the layers with an
// activation other than ReLU from the measured accumulators lo, hi:
//   - a table layer: the index range [floor(lo/2^s), floor(hi/2^s)],
//     rounded outward to multiples of 2^ActTableRoundingBits, and the
//     least k with the accumulators it accepts within [-2^k, 2^k);
//   - a LeakyRelu layer: measured bits widened to a multiple of the range
//     check's base, as for the ReLU range gadget (at most
//     desc.MaxLeakyAccBits).
func (s *Spec) setActivations(lo, hi []int64) error {
	has := false
	for _, ls := range s.Shape.Layers {
		has = has || ls.Act != nil
	}
	if !has {
		return nil
	}
	s.ActTable = make([]Range, len(s.Shape.Layers))
	for l, ls := range s.Shape.Layers {
		a := ls.Act
		switch {
		case a == nil:
		case !a.IsTable():
			m := max(1, model.BitsOf(lo[l]), model.BitsOf(hi[l]))
			k := widen(m, s.RangeBase)
			if k > desc.MaxLeakyAccBits {
				k = m
			}
			s.AccBits[l] = k
		default:
			r, err := actTableRange(l, a, lo[l], hi[l], s.Bench.Name)
			if err != nil {
				return err
			}
			s.ActTable[l] = r
			p := Public{Shape: s.Shape, ActTable: s.ActTable}
			alo, ahi := p.ActAccRange(l)
			if !alo.IsInt64() || !ahi.IsInt64() {
				return fmt.Errorf("layer %d: its %s table covers accumulators beyond 62 bits; lower the scale bits", l, a.Kind)
			}
			s.AccBits[l] = desc.SignedBits(alo.Int64(), ahi.Int64())
		}
	}
	return nil
}

// ActTableError is the error of a layer whose activation table would
// hold more than 2^desc.MaxActTableBits entries for the accumulators
// measured on a benchmark.
type ActTableError struct {
	Layer   int
	Kind    string // activation kind (package model/activation)
	Entries int64  // entries the table would need
	Bench   string // benchmark name
	// QLo and QHi are the least and greatest index floor(acc/2^Shift)
	// measured.
	QLo, QHi int64
	Shift    int
}

func (e *ActTableError) Error() string {
	return fmt.Sprintf("layer %d: its %s table would need %d entries for the accumulators measured on benchmark %s (indices %d to %d at shift %d), more than the 2^%d allowed; lower the scale bits or keep the activation's inputs smaller (e.g. with BatchNorm before it)",
		e.Layer, e.Kind, e.Entries, e.Bench, e.QLo, e.QHi, e.Shift, desc.MaxActTableBits)
}

// actTableRange returns the index range of layer l's table for the
// accumulators in [lo, hi]: [floor(lo/2^s), floor(hi/2^s)] rounded outward
// to multiples of 2^ActTableRoundingBits. It fails with an *ActTableError
// beyond 2^desc.MaxActTableBits entries.
func actTableRange(l int, a *mact.Spec, lo, hi int64, bench string) (Range, error) {
	q := int64(1) << ActTableRoundingBits
	qlo, qhi := lo>>uint(a.Shift), hi>>uint(a.Shift)
	r := Range{Lo: floorTo(qlo, q), Hi: floorTo(qhi, q) + q - 1}
	if r.Entries() > 1<<desc.MaxActTableBits {
		return r, &ActTableError{Layer: l, Kind: a.Kind, Entries: r.Entries(), Bench: bench, QLo: qlo, QHi: qhi, Shift: a.Shift}
	}
	return r, nil
}

// MeasureTables is MeasureAccBits returning also, per dense layer of m,
// the number of entries of the activation table the circuit builds for
// m on b (0 for a layer without one): what setup would need, computed
// before any circuit is. It fails with an *ActTableError when a table
// would hold more than 2^desc.MaxActTableBits entries.
func MeasureTables(m *model.Model, b *benchmark.Benchmark) (bits []int, entries []int64, err error) {
	lo, hi, err := measureAcc(m, b)
	if err != nil {
		return nil, nil, err
	}
	entries = make([]int64, len(m.Layers))
	for l := range m.Layers {
		if a := m.Layers[l].Act; a.IsTable() {
			r, err := actTableRange(l, a, lo[l], hi[l], b.Name)
			if err != nil {
				return nil, nil, err
			}
			entries[l] = r.Entries()
		}
	}
	return accBits(lo, hi), entries, nil
}

// floorTo rounds v down to a multiple of q.
func floorTo(v, q int64) int64 {
	r := v % q
	if r < 0 {
		r += q
	}
	return v - r
}

// actTables holds the activation tables of a circuit, created before the
// first multicommit call.
type actTables []logderivlookup.Table

// newActTables builds the table of every table layer of p (entries from
// tableEntries).
func newActTables(api frontend.API, p Public) actTables {
	t := make(actTables, len(p.Shape.Layers))
	for l, ls := range p.Shape.Layers {
		if ls.Act.IsTable() {
			t[l] = activation.NewTable(api, tableEntries(p, l))
		}
	}
	return t
}

// applyActivation applies layer l's activation other than ReLU to its
// accumulators, enforcing the layer's bound; ok is false when the layer
// has none.
func (t actTables) apply(api frontend.API, rc frontend.Rangechecker, sp Public, l int, acc [][]frontend.Variable) (out [][]frontend.Variable, ok bool) {
	a := sp.Shape.Layers[l].Act
	switch {
	case a == nil:
		return nil, false
	case a.IsTable():
		return activation.Table(api, rc, t[l], acc, a.Shift, sp.ActTable[l]), true
	default:
		return activation.Leaky(api, rc, acc, sp.AccBits[l], a.Alpha), true
	}
}

// tableCache keeps the entries of recently built tables: compiling,
// profiling and checking a circuit build the same tables more than once.
var tableCache sync.Map // string -> []int64

// tableEntries returns layer l's table, Entry(Lo..Hi) at the layer's
// scale.
func tableEntries(p Public, l int) []int64 {
	a := p.Shape.Layers[l].Act
	r := p.ActTable[l]
	scale := p.Shape.LayerScale(l)
	key := fmt.Sprintf("%+v|%s|%d|%d", *a, scale, r.Lo, r.Hi)
	if v, ok := tableCache.Load(key); ok {
		return v.([]int64)
	}
	e := a.Table(r.Lo, r.Hi, scale)
	tableCache.Store(key, e)
	return e
}
