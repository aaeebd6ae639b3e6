// Package tree is the gadget that evaluates a secret tree ensemble
// (package model/tree) on constant samples, at a cost per sample that grows
// with the trees' depth, not with their node count.
//
// The committed node table (feature, threshold, left child and leaf values
// of every node, secret variables) is held in log-derivative lookup tables
// indexed by node (Haböck 2022, https://eprint.iacr.org/2022/1530; gnark
// std/lookup/logderivlookup): one of node words W = L + 2^lb·T +
// 2^(lb+tb)·f, which pack a node's feature f, threshold T and left child L
// (see Walk for why the hinted split of a word is the committed one), and
// one per leaf value. The samples' features are read through a Features
// reader: Dense, a constant table of every feature indexed by s·F + f, or
// Sparse, a constant table of the samples' runs of equal consecutive
// features (an MNIST image has about 147 runs for 784 pixels). For each
// tree and sample, Walk follows the path from the tree's root for Depth
// steps, as model/tree.Ensemble.Eval does. At each step it looks up the
// current node's word (at the root, a constant index, it reads the table's
// variables directly), reads x = x[s][f], and takes a hinted branch bit b
// (1 when x <= T), which it checks with one range check: r = T - x when
// b = 1 and r = x - T - 1 when b = 0 must satisfy 0 <= r < 2^cmpBits. The
// next node is L + 1 - b. At the end it looks up the reached node's leaf
// values.
//
// Why it is sound: every lookup returns the table's entry at the queried
// index (a lookup of an index outside the table cannot be satisfied), so
// the words and leaf values are those of the committed node at each step;
// NewTable range-checks every feature index into [0, F), every threshold
// and every child index to their widths; Walk's argument pins the split of
// each word to the committed f, T and L, so the read is x[s][f] of the
// right sample; and with |x| and |T| far below the field, the wrong branch
// bit would need r = -(T - x) - 1 < 0 or r = T - x < 0 to pass a range
// check of cmpBits bits, which no field element p - |r| does. So the path,
// and the leaf reached, are the native walk's.
//
// Cost per tree and sample, for depth D and w leaf values (with
// circuits/rangecheck, one constraint per range check): D-1 word lookups
// and splits (3 constraints each), D feature reads (2 constraints dense, 4
// sparse), D branches (3 constraints with the range check), w value
// lookups (2 each; Reach leaves them to the caller). The node table adds a
// few constraints per node; the dense table 1 per feature, the sparse one
// 1 per run.
package tree

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/lookup/logderivlookup"

	"github.com/zkeval/zkeval/circuits/internal/fieldint"
)

// Hints returns the gadget's hints, for registration with
// solver.RegisterHint; circuits.RegisterHints registers every gadget's
// hints in one place.
func Hints() []solver.Hint { return []solver.Hint{BranchHint, WordHint, RunHint, CountHint} }

// Nodes is a node table: Feature, Threshold and Left [nodes] and Value
// [nodes][LeafWidth], as in model/tree.Ensemble. An empty Left selects the
// heap layout: the children of a tree's local node i are 2i+1 and 2i+2. A
// nil Value makes a table for Reach only (no leaf-value tables).
type Nodes struct {
	Feature, Threshold, Left []frontend.Variable
	Value                    [][]frontend.Variable
}

// Table is a node table in lookup tables: one of node words (see Walk),
// one per leaf value.
type Table struct {
	nodes Nodes
	heap  bool
	feats Features
	// Node words W = L + 2^lb·T + 2^(lb+tb)·f (T + 2^tb·f in the heap
	// layout).
	lb, tb int
	word   logderivlookup.Table
	value  []logderivlookup.Table
}

// NewTable inserts the node table into lookup tables and range-checks
// every feature index into [0, features) (f and features-1-f on
// featureBits bits, 2^featureBits >= features), every threshold to its
// signed width thresholdBits and every child index below 2^(lb-1) (lb as
// in Walk). Walks read features with feats and check branches on cmpBits
// bits. Create it before the
// circuit's first multicommit call, so that its deferred arguments join
// the circuit's single commitment.
func NewTable(api frontend.API, rc frontend.Rangechecker, nodes Nodes, feats Features, features, featureBits, thresholdBits, cmpBits int) (*Table, error) {
	n := len(nodes.Feature)
	heap := len(nodes.Left) == 0
	if n == 0 || len(nodes.Threshold) != n || (!heap && len(nodes.Left) != n) || (nodes.Value != nil && len(nodes.Value) != n) {
		return nil, fmt.Errorf("tree gadget: node table columns of %d, %d, %d and %d entries", len(nodes.Feature), len(nodes.Threshold), len(nodes.Left), len(nodes.Value))
	}
	if features < 1 || features > 1<<featureBits {
		return nil, fmt.Errorf("tree gadget: %d features do not fit %d bits", features, featureBits)
	}
	if thresholdBits < 2 || thresholdBits > 62 || cmpBits < 1 || cmpBits > 62 {
		return nil, fmt.Errorf("tree gadget: thresholds of %d bits, comparisons of %d bits", thresholdBits, cmpBits)
	}
	lo, xb := feats.Bounds()
	t := &Table{nodes: nodes, heap: heap, feats: feats, word: logderivlookup.New(api)}
	// A committed child index lies in [0, 2^(lb-1)) and one that walks
	// on in [-1, n-1]: they differ by less than 2^lb. A committed threshold
	// lies within thresholdBits and one that passes a comparison with a read
	// feature x in [lo, lo + 2^xb) in [x - 2^cmpBits, x + 2^cmpBits): they
	// differ by less than 2^(thresholdBits-1) + |lo| + 2^xb + 2^cmpBits,
	// below 2^tb (see Walk).
	t.lb = bitsFor(int64(n)) + 1
	t.tb = max(bitsFor(max(lo, -lo)), xb, cmpBits, thresholdBits) + 3
	if t.lb+t.tb+featureBits+2 > 200 {
		return nil, fmt.Errorf("tree gadget: node words of %d bits", t.lb+t.tb+featureBits)
	}
	if sp, ok := feats.(*Sparse); ok {
		// Walk's argument for a sparse read: its key equation times
		// 2^(lb+tb) must hold over the integers.
		if b := t.lb + t.tb + sp.KeyBits() + max(featureBits, xb) + 4; b > 250 {
			return nil, fmt.Errorf("tree gadget: a sparse read's key equation of %d bits", b)
		}
	}
	w := 0
	if nodes.Value != nil {
		w = len(nodes.Value[0])
	}
	for range w {
		t.value = append(t.value, logderivlookup.New(api))
	}
	for i := range n {
		if nodes.Value != nil && len(nodes.Value[i]) != w {
			return nil, fmt.Errorf("tree gadget: node %d has %d leaf values, node 0 %d", i, len(nodes.Value[i]), w)
		}
		rc.Check(nodes.Feature[i], featureBits)
		rc.Check(api.Sub(features-1, nodes.Feature[i]), featureBits)
		rc.Check(api.Add(nodes.Threshold[i], pow2(thresholdBits-1)), thresholdBits)
		var l frontend.Variable
		if !heap {
			l = nodes.Left[i]
			rc.Check(l, t.lb-1)
		}
		t.word.Insert(t.pack(api, nodes.Feature[i], nodes.Threshold[i], l))
		for j := range w {
			t.value[j].Insert(nodes.Value[i][j])
		}
	}
	return t, nil
}

// bitsFor returns the least k >= 1 with v < 2^k.
func bitsFor(v int64) int {
	k := 1
	for k < 62 && v >= int64(1)<<k {
		k++
	}
	return k
}

func pow2(k int) *big.Int { return new(big.Int).Lsh(big.NewInt(1), uint(k)) }

// pack returns the node word of (f, T, L).
func (t *Table) pack(api frontend.API, f, th, l frontend.Variable) frontend.Variable {
	if t.heap {
		return api.Add(th, api.Mul(f, pow2(t.tb)))
	}
	return api.Add(l, api.Mul(th, pow2(t.lb)), api.Mul(f, pow2(t.lb+t.tb)))
}

// Walk follows the path of sample s for depth steps from node root, a
// constant index, and returns the leaf values of the node reached. Each
// branch is checked with a range check of cmpBits bits (see the package
// documentation): cmpBits must bound |T - x| + 1 for every threshold and
// feature and stay far below the field's size.
//
// At each step after the first it looks up the current node n's word
// W = L + 2^lb·T + 2^(lb+tb)·f in one table and splits it with a hint
// (WordHint) into f, T and L, which it checks only by W = L + 2^lb·T +
// 2^(lb+tb)·f. The split is the committed one (f0, T0, L0): L + 1 - b is
// the next node, a lookup index in [0, n) with b a bit, so L lies in
// [-1, n-1], as L0 does, a window narrower than 2^lb; T - x (or x - T - 1)
// is range-checked on cmpBits bits and the read feature x lies within the
// reader's Bounds (2^xb wide) whatever f is, so T lies, as T0 does, in a
// window narrower than 2^tb. Then:
//   - Dense: s·F + f must be an index of the feature table, so f is a
//     small integer and W = L + 2^lb·T + 2^(lb+tb)·f holds over the
//     integers, far below the field: any other split would move L or T by
//     a multiple of 2^lb or 2^tb.
//   - Sparse: f is not range-checked, but the read's key equation is:
//     with p = s·F + f, Start = p - a and End = p + e (a, e range-checked
//     on rb bits) and the value v range-checked, Start + 2^sb·End +
//     2^(2sb)·v = K for a key K of the set. Multiplying by 2^(lb+tb) and
//     putting 2^(lb+tb)·f = W - L - 2^lb·T gives
//     (1 + 2^sb)·(2^(lb+tb)·s·F + W - L - 2^lb·T) =
//     2^(lb+tb)·(K + a - 2^sb·e - 2^(2sb)·v) in the field, where every
//     term is an integer of at most lb + tb + KeyBits + max(fb, vb) + 4
//     bits, which NewTable keeps below 250: the equation holds over the
//     integers. Modulo 2^(lb+tb), with 1 + 2^sb odd, L + 2^lb·T is W's
//     low lb + tb bits, as L0 + 2^lb·T0 is, and the windows make L = L0
//     and T = T0; so 2^(lb+tb)·(f - f0) = 0 and f = f0.
//
// So f is the committed feature index, in [0, F), and the read is
// x[s][f].
func (t *Table) Walk(api frontend.API, rc frontend.Rangechecker, s, root, depth, cmpBits int) []frontend.Variable {
	if len(t.value) == 0 {
		panic("tree gadget: Walk on a table made without leaf values")
	}
	n := t.Reach(api, rc, s, root, depth, cmpBits)
	vals := make([]frontend.Variable, len(t.value))
	for j := range t.value {
		vals[j] = t.value[j].Lookup(n)[0]
	}
	return vals
}

// Reach is Walk without the leaf values: it returns the index of the node
// reached, which the caller must look up in a table of the nodes (as Walk
// looks up the leaf values; a table of per-node predictions for a single
// tree): that lookup is what holds the last step's child index L to the
// table (see Walk).
func (t *Table) Reach(api frontend.API, rc frontend.Rangechecker, s, root, depth, cmpBits int) frontend.Variable {
	var n, local frontend.Variable = root, 0
	for step := range depth {
		var f, th, l frontend.Variable
		switch {
		case step == 0:
			f, th = t.nodes.Feature[root], t.nodes.Threshold[root]
			if !t.heap {
				l = t.nodes.Left[root]
			}
		default:
			w := t.word.Lookup(n)[0]
			heap := 0
			if t.heap {
				heap = 1
			}
			parts, err := api.Compiler().NewHint(WordHint, 3, w, t.lb, t.tb, heap)
			if err != nil {
				panic(err)
			}
			f, th, l = parts[0], parts[1], parts[2]
			api.AssertIsEqual(w, t.pack(api, f, th, l))
		}
		x := t.feats.Read(api, rc, s, f)
		d := api.Sub(th, x)
		b := Branch(api, rc, d, cmpBits)
		if t.heap {
			// Children 2i+1 (left) and 2i+2: a linear step, no lookup.
			local = api.Sub(api.Add(api.Mul(local, 2), 2), b)
			n = api.Add(root, local)
		} else {
			n = api.Sub(api.Add(l, 1), b)
		}
	}
	return n
}

// WordHint splits a node word W = L + 2^lb·T + 2^(lb+tb)·f (inputs W, lb,
// tb and heap, 1 for the heap layout's W = T + 2^tb·f) into f, T (signed,
// tb bits) and L (unsigned, lb bits; 0 in the heap layout). Walk checks
// the split.
func WordHint(field *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) != 4 || len(outputs) != 3 {
		return errors.New("tree word hint: want 4 inputs and 3 outputs")
	}
	for _, v := range inputs[1:] {
		if !v.IsInt64() || v.Int64() < 0 || v.Int64() > 100 {
			return errors.New("tree word hint: malformed widths")
		}
	}
	lb, tb, heap := uint(inputs[1].Int64()), uint(inputs[2].Int64()), inputs[3].Int64() == 1
	w := new(big.Int).Set(inputs[0])
	// A node word is small and non-negative except for a negative T in
	// the heap layout's low bits: read it as a signed integer.
	if w.Cmp(new(big.Int).Rsh(field, 1)) > 0 {
		w.Sub(w, field)
	}
	l := new(big.Int)
	if !heap {
		l.And(w, new(big.Int).Sub(pow2(int(lb)), big.NewInt(1)))
		w.Sub(w, l).Rsh(w, lb)
	}
	th := new(big.Int).And(w, new(big.Int).Sub(pow2(int(tb)), big.NewInt(1)))
	if th.Cmp(pow2(int(tb-1))) >= 0 {
		th.Sub(th, pow2(int(tb)))
	}
	w.Sub(w, th).Rsh(w, tb)
	outputs[0].Set(w)
	outputs[1].Mod(th, field)
	outputs[2].Set(l)
	return nil
}

// Branch returns a bit b, 1 exactly when d >= 0, for a d with
// -2^cmpBits <= d < 2^cmpBits: a hinted boolean b and a range check of
// r = 2·b·d - d - 1 + b (d when b = 1, -d-1 when b = 0) on cmpBits bits.
// Cost: 2 constraints and one range check.
func Branch(api frontend.API, rc frontend.Rangechecker, d frontend.Variable, cmpBits int) frontend.Variable {
	bs, err := api.Compiler().NewHint(BranchHint, 1, d)
	if err != nil {
		panic(err)
	}
	b := bs[0]
	api.AssertIsBoolean(b)
	r := api.Sub(api.Add(api.Mul(api.Mul(b, d), 2), b), api.Add(d, 1))
	rc.Check(r, cmpBits)
	return b
}

// BranchHint outputs 1 when its input, read as a signed integer, is at
// least 0, else 0. The circuit checks it (see Branch).
func BranchHint(field *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) != 1 || len(outputs) != 1 {
		return errors.New("tree branch hint: want one input and one output")
	}
	v, err := fieldint.ToSigned(field, inputs[0])
	if err != nil {
		return fmt.Errorf("tree branch hint: %w", err)
	}
	if v >= 0 {
		outputs[0].SetInt64(1)
	} else {
		outputs[0].SetInt64(0)
	}
	return nil
}
