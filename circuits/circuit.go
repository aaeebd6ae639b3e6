package circuits

import (
	"encoding/hex"
	"fmt"
	"math/big"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/hash/poseidon2"
	"github.com/consensys/gnark/std/lookup/logderivlookup"
	"github.com/consensys/gnark/std/multicommit"
	"github.com/consensys/gnark/std/rangecheck"

	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/metric"
	"github.com/zkeval/zkeval/model"
)

// HintChunk is the number of samples one DenseHint call computes.
const HintChunk = 256

// EvalCircuit is the evaluation circuit for one Spec.
//
// Public inputs, in witness order: Commitment (the model commitment),
// BenchmarkDigest (the two 128-bit halves of the benchmark's SHA-256),
// CircuitID (IDElement of the spec's id), then for each claim, in the order
// of Spec.Claims, its threshold p/q (reduced, 0 <= p, 1 <= q <= 2^64) and,
// when the claim is revealed, the counts it reads (metric.Counts).
//
// Secret inputs: W [layer][out][in], B [layer][out] and Salt.
type EvalCircuit struct {
	Commitment      frontend.Variable    `gnark:",public"`
	BenchmarkDigest [2]frontend.Variable `gnark:",public"`
	CircuitID       frontend.Variable    `gnark:",public"`
	Claims          []ClaimVars

	W    [][][]frontend.Variable
	B    [][]frontend.Variable
	Salt frontend.Variable

	spec *Spec
}

// ClaimVars are one claim's public inputs: Threshold = (p, q) for the
// threshold p/q, and Counts, the values of metric.Counts in order when the
// claim is revealed (empty when it is hidden).
type ClaimVars struct {
	Threshold [2]frontend.Variable `gnark:",public"`
	Counts    []frontend.Variable  `gnark:",public"`
}

// ClaimInput is one claim's public values: its reduced threshold P/Q and,
// for a revealed claim, the counts it reads (nil when hidden).
type ClaimInput struct {
	P, Q   *big.Int
	Counts []int64
}

// New returns a circuit for spec with its variables allocated, ready to be
// compiled.
func New(spec *Spec) *EvalCircuit {
	c := &EvalCircuit{spec: spec}
	for _, ls := range spec.Shape.Layers {
		w := make([][]frontend.Variable, ls.Out)
		for o := range w {
			w[o] = make([]frontend.Variable, ls.In)
		}
		c.W = append(c.W, w)
		c.B = append(c.B, make([]frontend.Variable, ls.Out))
	}
	c.Claims = claimVars(spec)
	return c
}

func claimVars(spec *Spec) []ClaimVars {
	cv := make([]ClaimVars, len(spec.Claims))
	for k, sh := range spec.Claims {
		if sh.Reveal {
			cv[k].Counts = make([]frontend.Variable, len(metric.Counts(spec.targets[k], spec.labels)))
		}
	}
	return cv
}

// Spec returns the circuit's spec.
func (c *EvalCircuit) Spec() *Spec { return c.spec }

// Define implements frontend.Circuit.
func (c *EvalCircuit) Define(api frontend.API) error {
	sp := c.spec
	if sp == nil {
		return fmt.Errorf("circuit has no spec; build it with circuits.New")
	}
	// The range checker must be created before the first multicommit call:
	// its deferred commitment then runs first and joins the single
	// commitment of the circuit.
	rc := rangecheck.New(api, rangecheck.WithBaseLength(sp.RangeBase))
	// Lookup tables likewise defer their argument; create them up front.
	tables := make([]logderivlookup.Table, len(sp.Shape.Layers))
	for l := range sp.Shape.Layers {
		if sp.ReLU[l] == ReLULookup {
			tables[l] = reluTable(api, sp.ReLUTable[l])
		}
	}

	api.AssertIsEqual(c.CircuitID, IDElement(sp.ID()))
	dg := DigestElements(sp.Digest)
	api.AssertIsEqual(c.BenchmarkDigest[0], dg[0])
	api.AssertIsEqual(c.BenchmarkDigest[1], dg[1])

	if err := c.checkCommitment(api, rc); err != nil {
		return err
	}

	n := sp.Bench.Len()
	// act[s] holds the current layer's inputs for sample s.
	var act [][]frontend.Variable
	for l, ls := range sp.Shape.Layers {
		var acc [][]frontend.Variable
		switch {
		case l == 0 && sp.FirstLayer == FirstLayerLinear:
			// No randomness touches these accumulators: they are fixed
			// by the first layer's weights, which the commitment check
			// pins (and which the range checker's commitment covers
			// through their limbs). Later Freivalds checks use them only
			// through values determined by these weights.
			acc = denseConstant(api, c.W[0], c.B[0], sp.Bench.X)
		case l == 0:
			acc = dense(api, c.W[0], c.B[0], constants(sp.Bench.X), ls.In, ls.Out)
		default:
			acc = dense(api, c.W[l], c.B[l], act, ls.In, ls.Out)
		}
		switch {
		case ls.ReLU && tables[l] != nil:
			act = reluLookup(api, tables[l], acc, sp.ReLUTable[l])
		case ls.ReLU:
			act = relu(api, rc, acc, widen(sp.AccBits[l], sp.RangeBase))
		default:
			act = acc
		}
	}

	c.checkClaims(api, rc, act[:n])
	return nil
}

// checkCommitment range-checks every weight and bias to its declared width,
// packs them as package commitment does, and asserts that the Poseidon2 hash
// of the salt and the packed values equals the public commitment.
func (c *EvalCircuit) checkCommitment(api frontend.API, rc frontend.Rangechecker) error {
	sh := c.spec.Shape
	body := []frontend.Variable{c.Salt}
	for _, h := range commitment.HeaderElements(sh) {
		body = append(body, h)
	}
	for _, seg := range commitment.Layout(sh) {
		var vals []frontend.Variable
		if seg.Bias {
			vals = c.B[seg.Layer]
		} else {
			for _, row := range c.W[seg.Layer] {
				vals = append(vals, row...)
			}
		}
		off := new(big.Int).Lsh(big.NewInt(1), uint(seg.Width-1))
		p := commitment.PerElement(seg.Width)
		for start := 0; start < len(vals); start += p {
			end := min(start+p, len(vals))
			var e frontend.Variable = 0
			for j := start; j < end; j++ {
				u := api.Add(vals[j], off)
				rc.Check(u, seg.Width)
				e = api.Add(e, api.Mul(u, new(big.Int).Lsh(big.NewInt(1), uint(seg.Width*(j-start)))))
			}
			body = append(body, e)
		}
	}
	h, err := poseidon2.New(api)
	if err != nil {
		return err
	}
	h.Write(commitment.Tag(), len(body))
	h.Write(body...)
	api.AssertIsEqual(h.Sum(), c.Commitment)
	return nil
}

// constants converts the benchmark's features to circuit constants.
func constants(x [][]int64) [][]frontend.Variable {
	a := make([][]frontend.Variable, len(x))
	for s, xs := range x {
		a[s] = make([]frontend.Variable, len(xs))
		for i, v := range xs {
			a[s][i] = v
		}
	}
	return a
}

// denseConstant returns the first layer's accumulators acc[s] = W·x[s] + b
// as linear combinations of the secret weights with the benchmark's constant
// features as coefficients: they cost no constraint, and the gadgets that
// use them (ReLU, argmax) constrain them directly. Zero features add no
// term.
func denseConstant(api frontend.API, w [][]frontend.Variable, b []frontend.Variable, x [][]int64) [][]frontend.Variable {
	acc := make([][]frontend.Variable, len(x))
	for s, xs := range x {
		acc[s] = make([]frontend.Variable, len(w))
		for o, row := range w {
			terms := make([]frontend.Variable, 0, len(xs)+1)
			terms = append(terms, b[o])
			for i, v := range xs {
				switch v {
				case 0:
				case 1:
					terms = append(terms, row[i])
				default:
					terms = append(terms, api.Mul(row[i], v))
				}
			}
			if len(terms) == 1 {
				acc[s][o] = terms[0]
			} else {
				acc[s][o] = api.Add(terms[0], terms[1], terms[2:]...)
			}
		}
	}
	return acc
}

// dense returns acc[s] = W·a[s] + b for every sample, computed by DenseHint
// and checked with a Freivalds check: for r_o = ρ^o, with ρ derived from
// the circuit's commitment to W, b and the hinted acc,
// Σ_o r_o·acc[s][o] = (rᵀW)·a[s] + rᵀb for every sample s. A wrong acc passes
// with probability at most (out-1)·n/|F| (Freivalds 1977; Schwartz–Zippel:
// each sample's difference is a non-zero polynomial of degree out-1 in ρ).
// When a[s] are constants, (rᵀW)·a[s] is a linear combination and costs no
// constraint; per sample the check costs out constraints (plus in when a[s]
// are variables), against in·out for the plain product.
func dense(api frontend.API, w [][]frontend.Variable, b []frontend.Variable, a [][]frontend.Variable, in, out int) [][]frontend.Variable {
	n := len(a)
	acc := make([][]frontend.Variable, n)
	var flatW []frontend.Variable
	for _, row := range w {
		flatW = append(flatW, row...)
	}
	for start := 0; start < n; start += HintChunk {
		end := min(start+HintChunk, n)
		inputs := []frontend.Variable{in, out, end - start}
		inputs = append(inputs, flatW...)
		inputs = append(inputs, b...)
		for s := start; s < end; s++ {
			inputs = append(inputs, a[s]...)
		}
		res, err := api.Compiler().NewHint(DenseHint, (end-start)*out, inputs...)
		if err != nil {
			panic(err)
		}
		for s := start; s < end; s++ {
			acc[s] = res[(s-start)*out : (s-start+1)*out]
		}
	}

	committed := append([]frontend.Variable{}, flatW...)
	committed = append(committed, b...)
	for s := range acc {
		committed = append(committed, acc[s]...)
	}
	f := &freivalds{w: w, b: b, a: a, acc: acc, in: in, out: out, constIn: allConstant(api, a)}
	multicommit.WithCommitment(api, f.check, committed...)
	return acc
}

// freivalds holds one layer's Freivalds check, run once the commitment is
// known.
type freivalds struct {
	w       [][]frontend.Variable
	b       []frontend.Variable
	a, acc  [][]frontend.Variable
	in, out int
	// constIn is set when every a[s][i] is a constant.
	constIn bool
}

func (f *freivalds) check(api frontend.API, rho frontend.Variable) error {
	w, b, a, acc, in, out, n := f.w, f.b, f.a, f.acc, f.in, f.out, len(f.a)
	// r_0 = 1 saves one product per sample on the left-hand side.
	r := make([]frontend.Variable, out)
	r[0] = 1
	for o := 1; o < out; o++ {
		r[o] = api.Mul(r[o-1], rho)
	}
	u := make([]frontend.Variable, in)
	for i := 0; i < in; i++ {
		var t frontend.Variable = 0
		for o := 0; o < out; o++ {
			t = api.Add(t, api.Mul(r[o], w[o][i]))
		}
		u[i] = t
	}
	var rb frontend.Variable = 0
	for o := 0; o < out; o++ {
		rb = api.Add(rb, api.Mul(r[o], b[o]))
	}
	if f.constIn {
		// With constant inputs the right-hand side is a linear combination
		// of u and rb; as single variables (one constraint each, once) they
		// keep it at one term per non-zero input, below the length at which
		// gnark's R1CS builder spends a constraint to shorten it.
		for i := range u {
			u[i] = single(api, u[i])
		}
		rb = single(api, rb)
	}
	for s := 0; s < n; s++ {
		lhs := frontend.Variable(0)
		for o := 0; o < out; o++ {
			lhs = api.Add(lhs, api.Mul(r[o], acc[s][o]))
		}
		rhs := rb
		for i := 0; i < in; i++ {
			rhs = api.Add(rhs, api.Mul(u[i], a[s][i]))
		}
		api.AssertIsEqual(lhs, rhs)
	}
	return nil
}

// allConstant reports whether every a[s][i] is a constant.
func allConstant(api frontend.API, a [][]frontend.Variable) bool {
	for _, as := range a {
		for _, v := range as {
			if _, ok := api.Compiler().ConstantValue(v); !ok {
				return false
			}
		}
	}
	return true
}

// single returns a new variable held equal to v by one constraint, so that
// linear combinations that use v hold one term for it instead of v's terms.
func single(api frontend.API, v frontend.Variable) frontend.Variable {
	res, err := api.Compiler().NewHint(CopyHint, 1, v)
	if err != nil {
		panic(err)
	}
	api.AssertIsEqual(res[0], v)
	return res[0]
}

// relu returns max(z, 0) for every value. Per value: a hinted s with
// s·(1-s) = 0, h = s·z, and a range check 0 <= 2h - z < 2^bits (that is,
// 2h - z = |z|), which forces s = 1 when z > 0 and s = 0 when z < 0.
// Cost: 2 constraints plus one range check of bits.
func relu(api frontend.API, rc frontend.Rangechecker, z [][]frontend.Variable, bits int) [][]frontend.Variable {
	h := make([][]frontend.Variable, len(z))
	for s, zs := range z {
		sign, err := api.Compiler().NewHint(ReLUSignHint, len(zs), zs...)
		if err != nil {
			panic(err)
		}
		h[s] = make([]frontend.Variable, len(zs))
		for i := range zs {
			api.AssertIsBoolean(sign[i])
			h[s][i] = api.Mul(sign[i], zs[i])
			rc.Check(api.Sub(api.Mul(h[s][i], 2), zs[i]), bits)
		}
	}
	return h
}

// reluTable returns the constant table T[i] = max(i + r.Lo, 0) for i in
// [0, r.Hi - r.Lo].
func reluTable(api frontend.API, r Range) logderivlookup.Table {
	t := logderivlookup.New(api)
	for v := r.Lo; v <= r.Hi; v++ {
		t.Insert(max(v, 0))
	}
	return t
}

// reluLookup returns max(z, 0) for every value by looking up z - r.Lo in
// the constant table of reluTable, with the log-derivative lookup argument
// (Haböck 2022, https://eprint.iacr.org/2022/1530) that gnark's
// logderivlookup implements. A query succeeds only when z lies in
// [r.Lo, r.Hi] and the result is the table's entry, so the range check
// comes with the lookup. Cost: 2 constraints per value plus one per entry
// of the table.
func reluLookup(api frontend.API, t logderivlookup.Table, z [][]frontend.Variable, r Range) [][]frontend.Variable {
	h := make([][]frontend.Variable, len(z))
	for s, zs := range z {
		inds := make([]frontend.Variable, len(zs))
		for i, v := range zs {
			inds[i] = api.Sub(v, r.Lo)
		}
		h[s] = t.Lookup(inds...)
	}
	return h
}

// argmaxIs returns a variable equal to 1 when label is the first maximal
// index of v, and 0 otherwise. The hint gives a one-hot o of the first
// maximal index; with d_j = v[label] - v[j] - [j < label], each j ≠ label
// range-checks q_j = (o[label] - o[j])·d_j - o[j] >= 0 on bits bits (at
// least two more than the outputs' width, so |d_j| + 1 fits):
// when o[label] = 1 every other output is beaten (strictly below for j
// before the label); when o[j] = 1 output j beats the label (d_j <= -1).
// o[label] is not taken from the hint but set to 1 - Σ_{j≠label} o[j]: with
// every o[j] boolean, o[label] boolean makes o one-hot, with no constraint
// for the sum.
func argmaxIs(api frontend.API, rc frontend.Rangechecker, v []frontend.Variable, label, bits int) frontend.Variable {
	o, err := api.Compiler().NewHint(ArgmaxHint, len(v), v...)
	if err != nil {
		panic(err)
	}
	var sum frontend.Variable = 0
	for j := range o {
		if j != label {
			api.AssertIsBoolean(o[j])
			sum = api.Add(sum, o[j])
		}
	}
	o[label] = api.Sub(1, sum)
	api.AssertIsBoolean(o[label])
	for j := range v {
		if j == label {
			continue
		}
		d := api.Sub(v[label], v[j])
		if j < label {
			d = api.Sub(d, 1)
		}
		q := api.Sub(api.Mul(api.Sub(o[label], o[j]), d), o[j])
		rc.Check(q, bits)
	}
	return o[label]
}

// Assignment returns a full witness assignment for the circuit of spec.
func Assignment(spec *Spec, m *model.Model, salt, commit *big.Int, claims []ClaimInput) (*EvalCircuit, error) {
	c := New(spec)
	c.Salt = salt
	for l := range m.Layers {
		for o, row := range m.Layers[l].W {
			for i, v := range row {
				c.W[l][o][i] = v
			}
			c.B[l][o] = m.Layers[l].B[o]
		}
	}
	if err := c.setPublic(spec.ID(), spec.Digest, commit, claims); err != nil {
		return nil, err
	}
	return c, nil
}

// PublicAssignment returns an assignment of the public inputs only, for
// building a public witness with frontend.PublicOnly. It needs only the
// circuit's public description, not the benchmark samples.
func PublicAssignment(p Public, commit *big.Int, claims []ClaimInput) (*EvalCircuit, error) {
	d, err := hex.DecodeString(p.BenchmarkDigest)
	if err != nil || len(d) != 32 {
		return nil, fmt.Errorf("benchmark digest %q is not 32 bytes of hex", p.BenchmarkDigest)
	}
	var digest [32]byte
	copy(digest[:], d)
	c := &EvalCircuit{Claims: make([]ClaimVars, len(p.Claims))}
	for k, sh := range p.Claims {
		if sh.Reveal {
			if k >= len(claims) {
				break
			}
			c.Claims[k].Counts = make([]frontend.Variable, len(claims[k].Counts))
		}
	}
	if err := c.setPublic(p.ID(), digest, commit, claims); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *EvalCircuit) setPublic(id, digest [32]byte, commit *big.Int, claims []ClaimInput) error {
	c.Commitment = commit
	dg := DigestElements(digest)
	c.BenchmarkDigest = [2]frontend.Variable{dg[0], dg[1]}
	c.CircuitID = IDElement(id)
	if len(claims) != len(c.Claims) {
		return fmt.Errorf("%d claim inputs for a circuit of %d claims", len(claims), len(c.Claims))
	}
	for k, in := range claims {
		if in.P == nil || in.Q == nil {
			return fmt.Errorf("claim %d: threshold missing", k)
		}
		c.Claims[k].Threshold = [2]frontend.Variable{in.P, in.Q}
		if len(in.Counts) != len(c.Claims[k].Counts) {
			return fmt.Errorf("claim %d: %d revealed counts, the circuit has %d", k, len(in.Counts), len(c.Claims[k].Counts))
		}
		for j, v := range in.Counts {
			c.Claims[k].Counts[j] = v
		}
	}
	return nil
}
