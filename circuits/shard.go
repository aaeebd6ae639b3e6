package circuits

import (
	"fmt"
	"math/big"
	"reflect"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/hash/poseidon2"
	"github.com/consensys/gnark/std/multicommit"

	"github.com/zkeval/zkeval/circuits/argmax"
	"github.com/zkeval/zkeval/circuits/rangecheck"
	"github.com/zkeval/zkeval/metric"
	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/shard"
)

// ShardCircuit evaluates a committed model on one shard of a benchmark
// whose samples are secret inputs, bound by a public polynomial
// fingerprint.
//
// Public inputs, in witness order: Commitment (the model commitment),
// CircuitID (IDElement of the shard description's id), Index (the shard's
// index), Challenge (the point r that the circuit's commitment draws),
// Fingerprint (Σ_j e_j·r^j over the element list e of package shard for
// Index and the slots), LabelCounts ([groups·classes], group-major: the
// real samples of each cell), Counts (the values of ShardSpec.Revealed in
// order) and CountsCommitment (one element when ShardSpec.Hidden is not
// empty: the Poseidon2 commitment of package shard to the hidden counts,
// none otherwise).
//
// Secret inputs: X [size][in] the slots' features, Cell [size][cells] each
// slot's cell as booleans (all zero for padding), W, B, CW, CB and Salt as
// in EvalCircuit, CountsSalt (one element when there are hidden counts).
//
// What it enforces: the model commitment as EvalCircuit does; every feature
// within [-2^n, 2^n) (n = InputBits, a range check of x + 2^n on n+1 bits,
// which also makes the packing injective); every Cell row boolean with a
// boolean sum (so the cell value Σ (c+1)·Cell[s][c] is in [0, cells]
// and determines the row); the sample binding (below); every layer as
// EvalCircuit does (the same forward pass: convolutions, pools, ReLU,
// activation tables, LeakyRelu, dense layers), the first layer's product,
// a convolution's or a dense layer's, checked over variable inputs (X is
// in the commitment that draws its randomness); the prediction of every
// slot (argmax.OneHot); and the counts:
// TP[g][k] = Σ_s Cell[s][gK+k]·o[s][k], Pred[g][k] =
// Σ_s (Σ_k' Cell[s][gK+k'])·o[s][k], LabelCounts[gK+k] = Σ_s Cell[s][gK+k].
// A padding slot has a zero Cell row, so it counts nowhere.
//
// # Sample binding
//
// X and Cell enter the circuit's Groth16 commitment (gnark's BSB22
// extension: a Pedersen commitment with a proof of knowledge, Botrel and
// El Housni 2022, https://eprint.iacr.org/2022/1072) through
// std/multicommit, by the first callback, so r = Challenge is the hash of
// that commitment. The circuit asserts Challenge = r and
// Fingerprint = Σ_j e_j·r^j (Horner's rule, one constraint per element),
// where e is [Tag, L, Index, packed features..., packed cells...] as in
// package shard: m = 2 + L elements. The verifier recomputes the
// fingerprint at Challenge from the public benchmark's shard Index
// (commitment.ShardFingerprint). Soundness: e is an injective encoding of
// (Index, X, Cell) (range checks, one-hot cells, fixed m), and X, Cell are
// fixed by the commitment before r is derived from it, so for a witness
// whose elements e' differ from the benchmark's e, the nonzero polynomial
// Σ_j (e'_j − e_j)·z^j of degree < m vanishes at r with probability at
// most m/|F| (Schwartz 1980, Zippel 1979) per commitment the prover tries:
// about 2^-239 for a 1,000-image MNIST shard (m ≈ 30,000, |F| ≈ 2^254).
type ShardCircuit struct {
	Commitment       frontend.Variable   `gnark:",public"`
	CircuitID        frontend.Variable   `gnark:",public"`
	Index            frontend.Variable   `gnark:",public"`
	Challenge        frontend.Variable   `gnark:",public"`
	Fingerprint      frontend.Variable   `gnark:",public"`
	LabelCounts      []frontend.Variable `gnark:",public"`
	Counts           []frontend.Variable `gnark:",public"`
	CountsCommitment []frontend.Variable `gnark:",public"`

	X          [][]frontend.Variable
	Cell       [][]frontend.Variable
	W          [][][]frontend.Variable
	B          [][]frontend.Variable
	CW         [][][]frontend.Variable
	CB         [][]frontend.Variable
	Salt       frontend.Variable
	CountsSalt []frontend.Variable

	spec *ShardSpec
}

// NewShard returns a shard circuit for spec with its variables allocated.
func NewShard(spec *ShardSpec) *ShardCircuit {
	d := spec.Desc
	c := &ShardCircuit{spec: spec}
	for _, ls := range d.Shape.Layers {
		w := make([][]frontend.Variable, ls.Out)
		for o := range w {
			w[o] = make([]frontend.Variable, ls.In)
		}
		c.W = append(c.W, w)
		c.B = append(c.B, make([]frontend.Variable, ls.Out))
	}
	c.CW, c.CB = newSpatialVars(d.Shape)
	c.X = make([][]frontend.Variable, d.ShardSize)
	c.Cell = make([][]frontend.Variable, d.ShardSize)
	for s := range c.X {
		c.X[s] = make([]frontend.Variable, d.Shape.InputSize)
		c.Cell[s] = make([]frontend.Variable, spec.Cells())
	}
	c.allocPublic(spec)
	return c
}

func (c *ShardCircuit) allocPublic(spec *ShardSpec) {
	c.LabelCounts = make([]frontend.Variable, spec.Cells())
	c.Counts = make([]frontend.Variable, len(spec.revealed))
	if len(spec.hidden) > 0 {
		c.CountsCommitment = make([]frontend.Variable, 1)
		c.CountsSalt = make([]frontend.Variable, 1)
	}
}

// Define implements frontend.Circuit.
func (c *ShardCircuit) Define(api frontend.API) error {
	sp := c.spec
	if sp == nil {
		return fmt.Errorf("shard circuit has no spec; build it with circuits.NewShard")
	}
	d := sp.Desc
	// As in EvalCircuit: the circuit is sound only for descriptions whose
	// bounds it enforces; compile nothing else.
	if err := d.Validate(); err != nil {
		return fmt.Errorf("shard circuit: %w", err)
	}
	// As in EvalCircuit: the range checker and the lookup tables first, so
	// that their deferred arguments join the single commitment.
	rc := rangecheck.New(api, d.RangeBase)
	fw := newForward(api, sp.Public())
	// The samples' binding: the element list of package shard, whose
	// fingerprint at the commitment's challenge is public. X and Cell are
	// committed here, first, so that they are fixed before any challenge
	// is drawn (the first layer's check, conv or Freivalds, draws after X); the
	// callback is the first one registered, so it receives the root
	// commitment itself (std/multicommit: callback i gets root^(i+1)),
	// which the prover derives before proving (BindShard).
	elems, err := c.shardElements(api, rc)
	if err != nil {
		return err
	}
	committed := make([]frontend.Variable, 0, len(c.X)*(d.Shape.InputSize+sp.Cells()))
	for _, xs := range c.X {
		committed = append(committed, xs...)
	}
	for _, row := range c.Cell {
		committed = append(committed, row...)
	}
	multicommit.WithCommitment(api, func(api frontend.API, r frontend.Variable) error {
		api.AssertIsEqual(c.Challenge, r)
		api.AssertIsEqual(hornerVars(api, elems, r), c.Fingerprint)
		return nil
	}, committed...)

	api.AssertIsEqual(c.CircuitID, IDElement(sp.ID()))
	ev := &EvalCircuit{Commitment: c.Commitment, W: c.W, B: c.B, CW: c.CW, CB: c.CB, Salt: c.Salt, spec: &Spec{Shape: d.Shape}}
	if err := ev.checkCommitment(api, rc); err != nil {
		return err
	}

	// shardElements bounds every feature to [-2^InputBits, 2^InputBits),
	// the input bound of the description's worst cases (the first spatial
	// or dense layer's).
	act := fw.run(api, rc, netVars{W: c.W, B: c.B, CW: c.CW, CB: c.CB}, c.X, nil)
	return c.checkCounts(api, rc, act)
}

// shardElements range-checks every feature, makes every Cell row one-hot
// or zero, and returns the element list of package shard:
// [Tag, L, Index, packed features..., packed cells...].
func (c *ShardCircuit) shardElements(api frontend.API, rc frontend.Rangechecker) ([]frontend.Variable, error) {
	lay := c.spec.Desc.Layout()
	fw, cw := lay.FeatureWidth(), lay.CellWidth()
	off := new(big.Int).Lsh(big.NewInt(1), uint(lay.InputBits))
	elems := []frontend.Variable{shard.Tag(), lay.Elements(), c.Index}
	for _, xs := range c.X {
		u := make([]frontend.Variable, len(xs))
		for j, x := range xs {
			u[j] = api.Add(x, off)
			rc.Check(u[j], fw)
		}
		elems = append(elems, packVars(api, u, fw)...)
	}
	cells := make([]frontend.Variable, len(c.Cell))
	for s, row := range c.Cell {
		terms := make([]frontend.Variable, len(row))
		var real frontend.Variable = 0
		for k, b := range row {
			api.AssertIsBoolean(b)
			real = api.Add(real, b)
			terms[k] = api.Mul(b, k+1)
		}
		api.AssertIsBoolean(real)
		cells[s] = sum(api, terms)
	}
	elems = append(elems, packVars(api, cells, cw)...)
	if len(elems) != 2+lay.Elements() {
		return nil, fmt.Errorf("shard circuit: %d elements, the layout has %d", len(elems), 2+lay.Elements())
	}
	return elems, nil
}

// hornerVars returns Σ_j elems[j]·r^j, one multiplication per element
// (Horner's rule, from the last element down).
func hornerVars(api frontend.API, elems []frontend.Variable, r frontend.Variable) frontend.Variable {
	var f frontend.Variable = 0
	for j := len(elems) - 1; j >= 0; j-- {
		if j == len(elems)-1 {
			f = elems[j]
			continue
		}
		f = api.Add(api.Mul(f, r), elems[j])
	}
	return f
}

// packVars packs values of width w little-endian, shard.PerElement(w)
// to an element, as package shard does.
func packVars(api frontend.API, vals []frontend.Variable, w int) []frontend.Variable {
	p := shard.PerElement(w)
	var out []frontend.Variable
	for start := 0; start < len(vals); start += p {
		end := min(start+p, len(vals))
		terms := make([]frontend.Variable, 0, end-start)
		for j := start; j < end; j++ {
			terms = append(terms, api.Mul(vals[j], new(big.Int).Lsh(big.NewInt(1), uint(w*(j-start)))))
		}
		out = append(out, sum(api, terms))
	}
	return out
}

// checkCounts proves every slot's prediction and the shard's counts.
func (c *ShardCircuit) checkCounts(api frontend.API, rc frontend.Rangechecker, out [][]frontend.Variable) error {
	sp := c.spec
	d := sp.Desc
	G, K := d.NumGroups(), len(d.Classes)
	bound := sp.ArgmaxBound()
	exposed := append(append([]metric.Count(nil), sp.revealed...), sp.hidden...)
	needTP, needPred := needCells(exposed, G, K)

	tp := make([][]frontend.Variable, G)
	pred := make([][]frontend.Variable, G)
	tpTerms := make([][][]frontend.Variable, G)
	predTerms := make([][][]frontend.Variable, G)
	posTerms := make([][][]frontend.Variable, G)
	for g := range G {
		tp[g], pred[g] = make([]frontend.Variable, K), make([]frontend.Variable, K)
		tpTerms[g], predTerms[g], posTerms[g] = make([][]frontend.Variable, K), make([][]frontend.Variable, K), make([][]frontend.Variable, K)
	}
	for s := range out {
		o := argmax.OneHot(api, rc, out[s], bound)
		for g := range G {
			row := c.Cell[s][g*K : (g+1)*K]
			inGroup := sum(api, row)
			for k := range K {
				posTerms[g][k] = append(posTerms[g][k], row[k])
				if needTP[g][k] {
					tpTerms[g][k] = append(tpTerms[g][k], api.Mul(row[k], o[k]))
				}
				if needPred[g][k] {
					predTerms[g][k] = append(predTerms[g][k], api.Mul(inGroup, o[k]))
				}
			}
		}
	}
	for g := range G {
		for k := range K {
			tp[g][k], pred[g][k] = sum(api, tpTerms[g][k]), sum(api, predTerms[g][k])
			api.AssertIsEqual(c.LabelCounts[g*K+k], sum(api, posTerms[g][k]))
		}
	}
	count := func(ct metric.Count) frontend.Variable {
		src := tp
		if ct.Kind == metric.Pred {
			src = pred
		}
		var terms []frontend.Variable
		for g := range G {
			for k := range K {
				if (ct.Group < 0 || g == ct.Group) && (ct.Class < 0 || k == ct.Class) {
					terms = append(terms, src[g][k])
				}
			}
		}
		return sum(api, terms)
	}
	for j, ct := range sp.revealed {
		api.AssertIsEqual(c.Counts[j], count(ct))
	}
	if len(sp.hidden) > 0 {
		h, err := poseidon2.New(api)
		if err != nil {
			return err
		}
		h.Write(shard.CountsTag(), 1+len(sp.hidden), c.CountsSalt[0])
		for _, ct := range sp.hidden {
			h.Write(count(ct))
		}
		api.AssertIsEqual(h.Sum(), c.CountsCommitment[0])
	}
	return nil
}

// needCells returns which TP and Pred cells the counts read.
func needCells(cs []metric.Count, G, K int) (tp, pred [][]bool) {
	tp, pred = make([][]bool, G), make([][]bool, G)
	for g := range G {
		tp[g], pred[g] = make([]bool, K), make([]bool, K)
	}
	for _, ct := range cs {
		dst := tp
		if ct.Kind == metric.Pred {
			dst = pred
		}
		for g := range G {
			for k := range K {
				if (ct.Group < 0 || g == ct.Group) && (ct.Class < 0 || k == ct.Class) {
					dst[g][k] = true
				}
			}
		}
	}
	return tp, pred
}

// ShardInput is one shard's values: its index, slots, the counts it
// reveals (ShardSpec.Revealed), and, when there are hidden counts, their
// values and the commitment's salt.
type ShardInput struct {
	Index       int
	Slots       *shard.Slots
	Challenge   *big.Int
	Fingerprint *big.Int
	LabelCounts []int64
	Revealed    []int64
	Hidden      []int64
	CountsSalt  *big.Int
	CountsCm    *big.Int
}

// ShardAssignment returns a full witness assignment of the shard circuit.
func ShardAssignment(spec *ShardSpec, m *model.Model, salt, commit *big.Int, in *ShardInput) (*ShardCircuit, error) {
	if sh := m.Shape(); !reflect.DeepEqual(sh, spec.Desc.Shape) {
		return nil, fmt.Errorf("the model's shape %s is not the shard circuit's %s", sh.String(), spec.Desc.Shape.String())
	}
	c := NewShard(spec)
	c.Salt = salt
	assignNet(m, netVars{W: c.W, B: c.B, CW: c.CW, CB: c.CB})
	if len(in.Slots.X) != spec.Desc.ShardSize {
		return nil, fmt.Errorf("shard %d: %d slots, want %d", in.Index, len(in.Slots.X), spec.Desc.ShardSize)
	}
	for s, xs := range in.Slots.X {
		for j, v := range xs {
			c.X[s][j] = v
		}
		for k := range c.Cell[s] {
			c.Cell[s][k] = 0
			if in.Slots.Cell[s] == k+1 {
				c.Cell[s][k] = 1
			}
		}
	}
	if len(spec.hidden) > 0 {
		c.CountsSalt[0] = in.CountsSalt
	}
	if err := c.setPublic(spec, commit, in); err != nil {
		return nil, err
	}
	return c, nil
}

// ShardPublicAssignment returns an assignment of the public inputs only.
func ShardPublicAssignment(spec *ShardSpec, commit *big.Int, in *ShardInput) (*ShardCircuit, error) {
	c := &ShardCircuit{}
	c.allocPublic(spec)
	c.CountsSalt = nil
	if err := c.setPublic(spec, commit, in); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *ShardCircuit) setPublic(spec *ShardSpec, commit *big.Int, in *ShardInput) error {
	c.Commitment = commit
	c.CircuitID = IDElement(spec.ID())
	c.Index = in.Index
	c.Challenge, c.Fingerprint = in.Challenge, in.Fingerprint
	if in.Challenge == nil || in.Fingerprint == nil {
		// Not yet bound (ShardBinder sets both): zero, which no proof
		// accepts.
		c.Challenge, c.Fingerprint = 0, 0
	}
	if len(in.LabelCounts) != len(c.LabelCounts) || len(in.Revealed) != len(c.Counts) {
		return fmt.Errorf("shard %d: %d label counts and %d revealed counts; the circuit has %d and %d", in.Index, len(in.LabelCounts), len(in.Revealed), len(c.LabelCounts), len(c.Counts))
	}
	for i, v := range in.LabelCounts {
		c.LabelCounts[i] = v
	}
	for i, v := range in.Revealed {
		c.Counts[i] = v
	}
	if len(c.CountsCommitment) > 0 {
		if in.CountsCm == nil {
			return fmt.Errorf("shard %d: the circuit commits to hidden counts, but no commitment was given", in.Index)
		}
		c.CountsCommitment[0] = in.CountsCm
	}
	return nil
}
