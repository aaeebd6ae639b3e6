package circuits

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/lookup/logderivlookup"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/circuits/argmax"
	"github.com/zkeval/zkeval/circuits/rangecheck"
	ctree "github.com/zkeval/zkeval/circuits/tree"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/model"
	mtree "github.com/zkeval/zkeval/model/tree"
)

// TreeVars are a tree ensemble's secret inputs, as in model/tree.Ensemble:
// Feature, Threshold and Left [nodes], Value [nodes][LeafWidth] and Base
// [Outputs]. A network's circuit leaves them empty.
type TreeVars struct {
	Feature, Threshold, Left []frontend.Variable
	Value                    [][]frontend.Variable
	Base                     []frontend.Variable
}

func newTreeVars(s *mtree.Shape) TreeVars {
	n := s.Nodes()
	nl := n
	if s.Heap {
		nl = 0
	}
	v := TreeVars{Feature: make([]frontend.Variable, n), Threshold: make([]frontend.Variable, n), Left: make([]frontend.Variable, nl),
		Value: make([][]frontend.Variable, n), Base: make([]frontend.Variable, s.Outputs)}
	for i := range v.Value {
		v.Value[i] = make([]frontend.Variable, s.LeafWidth)
	}
	return v
}

func (v *TreeVars) assign(e *mtree.Ensemble) {
	for i, l := range e.Left {
		v.Left[i] = l
	}
	for i := range e.Feature {
		v.Feature[i], v.Threshold[i] = e.Feature[i], e.Threshold[i]
		for j, x := range e.Value[i] {
			v.Value[i][j] = x
		}
	}
	for k, b := range e.Base {
		v.Base[k] = b
	}
}

// defineTrees is Define for a tree ensemble: the commitment to the whole
// node table, then for every sample and tree the path gadget
// (circuits/tree.Table.Walk), each output the sum of its base and the leaf
// values reached, then the claims on the outputs' argmax (for a one-margin
// model, of (0, margin): class 1 exactly when the margin is above 0).
//
// Bounds: thresholds, leaf values and base scores are range-checked to
// their published widths where they are packed for the commitment, feature
// indices into [0, features) by the gadget, features are constants within
// inputBits; each comparison is range-checked to desc's CompareBits
// (widened to the range-check base), and the scores are sums of bounded
// values, within [-2^LogitBits, 2^LogitBits) by construction, so the
// argmax's checks on LogitBits+1 bits are sound (desc.Public.TreeBounds
// keeps all of it below 2^desc.MaxValueBits).
func (c *EvalCircuit) defineTrees(api frontend.API) error {
	sp := c.spec
	ts := sp.Shape.Trees
	bounds, err := sp.Public().TreeBounds()
	if err != nil {
		return err
	}
	rc := rangecheck.New(api, sp.RangeBase)
	tv := &c.Trees
	cmp := widen(bounds.CompareBits, sp.RangeBase)
	var feats ctree.Features
	if sp.sparseFeatures() {
		feats, err = ctree.NewSparse(api, sp.Bench.X, sp.runBits())
	} else {
		feats, err = ctree.NewDense(api, sp.Bench.X)
	}
	if err != nil {
		return err
	}
	nodes := ctree.Nodes{Feature: tv.Feature, Threshold: tv.Threshold, Left: tv.Left, Value: tv.Value}
	if sp.PredictionsPerNode() {
		nodes.Value = nil // predictions per node instead (nodePredictions)
	}
	tbl, err := ctree.NewTable(api, rc, nodes,
		feats, sp.Shape.InputSize, ts.FeatureBits, ts.ThresholdBits, cmp)
	if err != nil {
		return err
	}

	api.AssertIsEqual(c.CircuitID, IDElement(sp.ID()))
	dg := DigestElements(sp.Digest)
	api.AssertIsEqual(c.BenchmarkDigest[0], dg[0])
	api.AssertIsEqual(c.BenchmarkDigest[1], dg[1])
	if err := c.checkTreeCommitment(api, rc); err != nil {
		return err
	}

	n := sp.Bench.Len()
	if sp.PredictionsPerNode() {
		// One tree: a sample's scores are its leaf's, so each node's
		// prediction is proven once and a sample looks it up.
		pred := newNodePredictions(api, rc, tv, ts, sp.ArgmaxBound())
		return c.checkClaims(api, rc, n, func(s, y int, full bool) (frontend.Variable, []frontend.Variable) {
			return pred.lookup(tbl.Reach(api, rc, s, 0, ts.Depth, cmp), y, full)
		})
	}
	out := make([][]frontend.Variable, n)
	for s := range out {
		leaves := make([][]frontend.Variable, ts.Trees)
		for t := range leaves {
			leaves[t] = tbl.Walk(api, rc, s, t*ts.NodesPerTree, ts.Depth, cmp)
		}
		out[s] = treeLogits(api, ts, tv.Base, leaves)
	}
	return c.checkClaims(api, rc, n, logitOutcomes(api, rc, out, sp.ArgmaxBound()))
}

// treeLogits returns the argmax's input for the leaf values reached,
// leaves[t] in tree t: each output's base score plus the leaf values that
// feed it (Shape.OutputOf), or (0, margin) for a one-margin model (class 1
// exactly when the margin is above 0).
func treeLogits(api frontend.API, ts *mtree.Shape, base []frontend.Variable, leaves [][]frontend.Variable) []frontend.Variable {
	terms := make([][]frontend.Variable, ts.Outputs)
	for k := range terms {
		terms[k] = []frontend.Variable{base[k]}
	}
	for t, vals := range leaves {
		for j, v := range vals {
			k := ts.OutputOf(t, j)
			terms[k] = append(terms[k], v)
		}
	}
	scores := make([]frontend.Variable, ts.Outputs)
	for k := range scores {
		scores[k] = sum(api, terms[k])
	}
	if ts.Outputs == 1 {
		return []frontend.Variable{0, scores[0]}
	}
	return scores
}

// nodePredictions holds a single tree's prediction at every node: the
// one-hot argmax (argmax.OneHot, proven once per node) of the node's
// scores, its base scores plus its leaf values, in one lookup table per
// class (column k holds o[node][k], indexed by node). A sample that
// reaches node n predicts class y exactly when column y holds 1 at n: one
// lookup instead of the leaf values' and the argmax's per sample. Each
// column is indexed by the node alone, so a lookup also holds n to
// [0, nodes), which Walk's argument needs of the node reached.
type nodePredictions struct {
	api  frontend.API
	o    [][]frontend.Variable // [nodes][classes]
	cols []logderivlookup.Table
}

func newNodePredictions(api frontend.API, rc frontend.Rangechecker, tv *TreeVars, ts *mtree.Shape, bound int) *nodePredictions {
	p := &nodePredictions{api: api, o: make([][]frontend.Variable, len(tv.Value))}
	for i, vals := range tv.Value {
		p.o[i] = argmax.OneHot(api, rc, treeLogits(api, ts, tv.Base, [][]frontend.Variable{vals}), bound)
	}
	p.cols = make([]logderivlookup.Table, len(p.o[0]))
	return p
}

// column returns the lookup table of class k, made on first use (a column
// no sample reads costs nothing).
func (p *nodePredictions) column(k int) logderivlookup.Table {
	if p.cols[k] == nil {
		p.cols[k] = logderivlookup.New(p.api)
		for _, o := range p.o {
			p.cols[k].Insert(o[k])
		}
	}
	return p.cols[k]
}

// lookup is an outcome for a sample of label y that reached node n.
func (p *nodePredictions) lookup(n frontend.Variable, y int, full bool) (frontend.Variable, []frontend.Variable) {
	if !full {
		return p.column(y).Lookup(n)[0], nil
	}
	o := make([]frontend.Variable, len(p.cols))
	for k := range o {
		o[k] = p.column(k).Lookup(n)[0]
	}
	return o[y], o
}

// checkTreeCommitment range-checks every value of the node table to its
// published width, packs them as package commitment does
// (commitment.TreeLayout) and asserts that the Poseidon2 hash of the tag,
// the length, the salt, the header and the packed values equals the public
// commitment.
func (c *EvalCircuit) checkTreeCommitment(api frontend.API, rc frontend.Rangechecker) error {
	sh := c.spec.Shape
	tv := &c.Trees
	body := []frontend.Variable{c.Salt}
	for _, h := range commitment.TreeHeaderElements(sh) {
		body = append(body, h)
	}
	for _, seg := range commitment.TreeLayout(sh.Trees) {
		var vals []frontend.Variable
		switch seg.Name {
		case commitment.TreeFeature:
			vals = tv.Feature
		case commitment.TreeThreshold:
			vals = tv.Threshold
		case commitment.TreeLeft:
			vals = tv.Left
		case commitment.TreeValue:
			for _, v := range tv.Value {
				vals = append(vals, v...)
			}
		case commitment.TreeBase:
			vals = tv.Base
		}
		if len(vals) != seg.Count {
			return fmt.Errorf("tree segment %s: %d values, want %d", seg.Name, len(vals), seg.Count)
		}
		var off frontend.Variable = 0
		if seg.Signed {
			off = new(big.Int).Lsh(big.NewInt(1), uint(seg.Width-1))
		}
		body = append(body, packChecked(api, rc, vals, off, seg.Width)...)
	}
	return assertCommitment(api, commitment.TreeTag(), body, c.Commitment)
}

// newTreeSpec is NewSpec for a tree ensemble: the claims, the benchmark's
// digest and feature width (InputBits, which must lie within the model's
// threshold domain), and the range-check base that minimises the cost.
func newTreeSpec(m *model.Model, b *benchmark.Benchmark, claims []claim.Shape) (*Spec, error) {
	s := &Spec{Shape: m.Shape(), Bench: b, Claims: append([]claim.Shape(nil), claims...)}
	if err := claim.Sort(s.Claims); err != nil {
		return nil, err
	}
	if err := s.resolveClaims(); err != nil {
		return nil, err
	}
	if err := CheckCompatible(m, b); err != nil {
		return nil, err
	}
	var err error
	if s.Digest, err = b.Digest(); err != nil {
		return nil, err
	}
	flo, fhi := b.FeatureRange()
	s.InputBits = desc.SignedBits(flo, fhi)
	if s.InputBits > m.Trees.InputBits {
		return nil, fmt.Errorf("benchmark %s has features in [%d, %d], beyond the ±2^%d within which the model's thresholds were made exact; import the model again with this benchmark (zkeval model import --benchmark)", b.Name, flo, fhi, m.Trees.InputBits)
	}
	checks := s.treeRangeChecks()
	s.RangeBase = MinRangeBase
	best := rangeCost(checks, MinRangeBase)
	for base := MinRangeBase + 1; base <= MaxRangeBase; base++ {
		if c := rangeCost(checks, base); c < best {
			s.RangeBase, best = base, c
		}
	}
	return s, s.Validate()
}

// treeRangeChecks lists the range checks of a tree ensemble's circuit: the
// packed table, the feature-index bounds, one comparison per tree, step and
// sample, and the argmax.
func (s *Spec) treeRangeChecks() []rangeCheck {
	ts := s.Shape.Trees
	var cs []rangeCheck
	for _, seg := range commitment.TreeLayout(ts) {
		cs = append(cs, rangeCheck{bits: seg.Width, count: int64(seg.Count), exact: true})
	}
	cs = append(cs, rangeCheck{bits: ts.FeatureBits, count: 2 * int64(ts.Nodes()), exact: true},
		rangeCheck{bits: ts.ThresholdBits, count: int64(ts.Nodes()), exact: true})
	if !ts.Heap {
		cs = append(cs, rangeCheck{bits: ts.ChildBits, count: int64(ts.Nodes()), exact: true})
	}
	p := s.Public()
	if b, err := p.TreeBounds(); err == nil {
		cs = append(cs, rangeCheck{bits: b.CompareBits, count: s.treeReads()})
	}
	if s.sparseFeatures() {
		cs = append(cs, rangeCheck{bits: s.runBits(), count: 2 * s.treeReads()},
			rangeCheck{bits: ctree.SparseValueBits(s.Bench.X), count: s.treeReads(), exact: true})
	}
	// The argmax: the reference logit and one check per difference, once
	// per node for a single tree (argmax.OneHot), else per sample.
	k := int64(ts.Classes)
	if s.NeedsPredictions() || s.PredictionsPerNode() {
		k++
	}
	n := int64(s.Bench.Len())
	if s.PredictionsPerNode() {
		n = int64(ts.Nodes())
	}
	cs = append(cs, rangeCheck{bits: ts.LogitBits() + 1, count: n * k})
	return cs
}

// rangeCheckList lists the range checks of the spec's circuit.
func (s *Spec) rangeCheckList() []rangeCheck {
	if s.Shape.Trees != nil {
		return s.treeRangeChecks()
	}
	return rangeChecks(s.Shape, s.AccBits, s.ReLU, s.Bench.Len(), s.NeedsPredictions())
}

// PredictionsPerNode reports whether the circuit proves a single tree's
// prediction once per node and has each sample look up its leaf's
// (nodePredictions) rather than an argmax per sample: for one tree with no
// more nodes than samples (an argmax costs about the same per node as per
// sample, and a lookup replaces the leaf values' lookups), a function of
// public data only.
func (s *Spec) PredictionsPerNode() bool {
	ts := s.Shape.Trees
	return ts != nil && ts.Trees == 1 && ts.Nodes() <= s.Bench.Len()
}

// treeReads returns the feature reads of a tree ensemble's circuit: one
// per tree, step and sample.
func (s *Spec) treeReads() int64 {
	ts := s.Shape.Trees
	return int64(s.Bench.Len()) * int64(ts.Trees) * int64(ts.Depth)
}

// sparseFeatures reports whether a tree ensemble's circuit reads the
// samples' features from the table of their runs (circuits/tree.Sparse)
// rather than from the table of every feature (circuits/tree.Dense): the
// cheaper of the two for this benchmark and shape, a function of public
// data only.
func (s *Spec) sparseFeatures() bool {
	x, reads := s.Bench.X, s.treeReads()
	return ctree.SparseCost(x, reads) < ctree.DenseCost(x, reads)
}

// runBits returns the width of the sparse reader's range checks: what the
// feature count needs, widened to the range-check base (a narrower check
// costs as much or more).
func (s *Spec) runBits() int {
	b := desc.SignedBits(0, int64(s.Shape.InputSize-1))
	if s.RangeBase > 0 {
		b = widen(b, s.RangeBase)
	}
	return b
}

// TreeFeatureReads describes how a tree ensemble's circuit reads the
// samples' features, for `zkeval circuit`.
func (s *Spec) TreeFeatureReads() string {
	if s.sparseFeatures() {
		return fmt.Sprintf("from a constant set of the samples' %d runs of equal consecutive features (the run hinted, its packed key proven a member of the set, the position range-checked into the run on %d bits, the value to the samples' range)", len(ctree.Runs(s.Bench.X)), s.runBits())
	}
	return fmt.Sprintf("from a constant table of all %d features", s.Bench.Len()*s.Shape.InputSize)
}
