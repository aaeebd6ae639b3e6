package circuits

import (
	"encoding/hex"
	"fmt"
	"math/big"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/hash/poseidon2"

	"github.com/zkeval/zkeval/circuits/rangecheck"
	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/metric"
	"github.com/zkeval/zkeval/model"
)

// EvalCircuit is the evaluation circuit for one Spec.
//
// Public inputs, in witness order: Commitment (the model commitment),
// BenchmarkDigest (the two 128-bit halves of the benchmark's SHA-256),
// CircuitID (IDElement of the spec's id), then for each claim, in the order
// of Spec.Claims, its threshold p/q (reduced, 0 <= p, 1 <= q <= 2^64) and,
// when the claim is revealed, the counts it reads (metric.Counts).
//
// Secret inputs: W [layer][out][in], B [layer][out] and Salt; for a tree
// ensemble (Spec.Shape.Trees), Salt and Trees instead of W and B.
type EvalCircuit struct {
	Commitment      frontend.Variable    `gnark:",public"`
	BenchmarkDigest [2]frontend.Variable `gnark:",public"`
	CircuitID       frontend.Variable    `gnark:",public"`
	Claims          []ClaimVars

	W [][][]frontend.Variable
	B [][]frontend.Variable
	// CW [spatial layer][OutC][C·KH·KW] and CB [spatial layer][OutC]: the
	// convolutions' kernels and biases (nil for pooling layers).
	CW    [][][]frontend.Variable
	CB    [][]frontend.Variable
	Salt  frontend.Variable
	Trees TreeVars

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
	if spec.Shape.Trees != nil {
		c.Trees = newTreeVars(spec.Shape.Trees)
	}
	c.CW, c.CB = newSpatialVars(spec.Shape)
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
	// The circuit is sound only for descriptions whose bounds it enforces;
	// compile nothing else, whoever the caller.
	if err := sp.Validate(); err != nil {
		return err
	}
	if sp.Shape.Trees != nil {
		return c.defineTrees(api)
	}
	// The range checker must be created before the first multicommit call:
	// its deferred commitment then runs first and joins the single
	// commitment of the circuit. Lookup tables likewise defer their
	// argument; newForward creates them up front.
	rc := rangecheck.New(api, sp.RangeBase)
	fw := newForward(api, sp.Public())

	api.AssertIsEqual(c.CircuitID, IDElement(sp.ID()))
	dg := DigestElements(sp.Digest)
	api.AssertIsEqual(c.BenchmarkDigest[0], dg[0])
	api.AssertIsEqual(c.BenchmarkDigest[1], dg[1])

	if err := c.checkCommitment(api, rc); err != nil {
		return err
	}

	n := sp.Bench.Len()
	// The samples are circuit constants, within InputBits (Spec.Validate
	// checks them against the description).
	var first func() [][]frontend.Variable
	if sp.FirstLayer == FirstLayerLinear {
		// No randomness touches these accumulators: they are fixed by the
		// first layer's weights, which the commitment check pins (and
		// which the range checker's commitment covers: they are among its
		// queries).
		first = func() [][]frontend.Variable { return denseConstant(api, c.W[0], c.B[0], sp.Bench.X) }
	}
	var x [][]frontend.Variable
	if first == nil || len(sp.Shape.Spatial) > 0 {
		x = constants(sp.Bench.X)
	}
	act := fw.run(api, rc, netVars{W: c.W, B: c.B, CW: c.CW, CB: c.CB}, x, first)
	return c.checkClaims(api, rc, n, logitOutcomes(api, rc, act[:n], sp.ArgmaxBound()))
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
		b, w := c.B, c.W
		if seg.Spatial {
			b, w = c.CB, c.CW
		}
		if seg.Bias {
			vals = b[seg.Layer]
		} else {
			for _, row := range w[seg.Layer] {
				vals = append(vals, row...)
			}
		}
		off := new(big.Int).Lsh(big.NewInt(1), uint(seg.Width-1))
		body = append(body, packChecked(api, rc, vals, off, seg.Width)...)
	}
	return assertCommitment(api, commitment.Tag(), body, c.Commitment)
}

// packChecked range-checks every v + off on width bits (so that packing is
// injective) and packs them little-endian, commitment.PerElement(width) to
// an element, as package commitment packs natively.
func packChecked(api frontend.API, rc frontend.Rangechecker, vals []frontend.Variable, off frontend.Variable, width int) []frontend.Variable {
	var out []frontend.Variable
	p := commitment.PerElement(width)
	for start := 0; start < len(vals); start += p {
		end := min(start+p, len(vals))
		var e frontend.Variable = 0
		for j := start; j < end; j++ {
			u := api.Add(vals[j], off)
			rc.Check(u, width)
			e = api.Add(e, api.Mul(u, new(big.Int).Lsh(big.NewInt(1), uint(width*(j-start)))))
		}
		out = append(out, e)
	}
	return out
}

// assertCommitment asserts that the Poseidon2 hash of tag, len(body) and
// body (package commitment's Merkle–Damgård encoding) equals want.
func assertCommitment(api frontend.API, tag frontend.Variable, body []frontend.Variable, want frontend.Variable) error {
	h, err := poseidon2.New(api)
	if err != nil {
		return err
	}
	h.Write(tag, len(body))
	h.Write(body...)
	api.AssertIsEqual(h.Sum(), want)
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

// Assignment returns a full witness assignment for the circuit of spec.
func Assignment(spec *Spec, m *model.Model, salt, commit *big.Int, claims []ClaimInput) (*EvalCircuit, error) {
	c := New(spec)
	c.Salt = salt
	if m.Trees != nil {
		c.Trees.assign(m.Trees)
	}
	assignNet(m, netVars{W: c.W, B: c.B, CW: c.CW, CB: c.CB})
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
