package circuits

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/hash/poseidon2"

	"github.com/zkeval/zkeval/circuits/rangecheck"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/metric"
	"github.com/zkeval/zkeval/shard"
)

// TotalsSpec fixes a totals circuit (TotalsCircuit).
type TotalsSpec struct {
	Desc    desc.Totals
	targets []metric.Target
	hidden  []metric.Count
}

// NewTotalsSpec checks a totals description and returns its spec.
func NewTotalsSpec(d desc.Totals) (*TotalsSpec, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("totals circuit: %w", err)
	}
	ts, hidden, err := d.Targets()
	if err != nil {
		return nil, err
	}
	return &TotalsSpec{Desc: d, targets: ts, hidden: hidden}, nil
}

// Targets returns the resolved hidden claims, in order.
func (s *TotalsSpec) Targets() []metric.Target { return s.targets }

// Hidden returns the counts every shard commits to, in order.
func (s *TotalsSpec) Hidden() []metric.Count { return s.hidden }

// TotalsCircuit proves that the counts the shards committed to sum to
// totals meeting every hidden claim.
//
// Public inputs, in witness order: CircuitID (IDElement of the totals
// description's id), Commitments [shards] (each shard's CountsCommitment),
// Thresholds [claims] (p, q of each hidden claim's threshold p/q).
//
// Secret inputs: Counts [shards][hidden counts] and Salts [shards], the
// openings of the commitments.
//
// It enforces: each commitment opens to its counts (Poseidon2, package
// shard); each count within [0, 2^CountBits); every hidden claim over the
// sums, with the label counts as constants, exactly as the evaluation
// circuit checks claims (metric.Pairs, range-checked differences,
// thresholds within ThresholdBits).
type TotalsCircuit struct {
	CircuitID   frontend.Variable      `gnark:",public"`
	Commitments []frontend.Variable    `gnark:",public"`
	Thresholds  [][2]frontend.Variable `gnark:",public"`
	Counts      [][]frontend.Variable
	Salts       []frontend.Variable

	spec *TotalsSpec
}

// NewTotals returns a totals circuit for spec with its variables allocated.
func NewTotals(spec *TotalsSpec) *TotalsCircuit {
	d := spec.Desc
	c := &TotalsCircuit{spec: spec, Commitments: make([]frontend.Variable, d.Shards), Thresholds: make([][2]frontend.Variable, len(d.Claims)),
		Counts: make([][]frontend.Variable, d.Shards), Salts: make([]frontend.Variable, d.Shards)}
	for i := range c.Counts {
		c.Counts[i] = make([]frontend.Variable, len(spec.hidden))
	}
	return c
}

// Define implements frontend.Circuit.
func (c *TotalsCircuit) Define(api frontend.API) error {
	sp := c.spec
	if sp == nil {
		return fmt.Errorf("totals circuit has no spec; build it with circuits.NewTotals")
	}
	d := sp.Desc
	rc := rangecheck.New(api, d.RangeBase)
	api.AssertIsEqual(c.CircuitID, IDElement(d.ID()))
	totals := make([][]frontend.Variable, len(sp.hidden))
	for i := range c.Counts {
		h, err := poseidon2.New(api)
		if err != nil {
			return err
		}
		h.Write(shard.CountsTag(), 1+len(sp.hidden), c.Salts[i])
		for j, v := range c.Counts[i] {
			rc.Check(v, d.CountBits)
			h.Write(v)
			totals[j] = append(totals[j], v)
		}
		api.AssertIsEqual(h.Sum(), c.Commitments[i])
	}
	sums := make(map[metric.Count]frontend.Variable, len(sp.hidden))
	for j, ct := range sp.hidden {
		sums[ct] = sum(api, totals[j])
	}
	labels := d.Labels()
	ar := arith{api}
	tb := widen(claim.ThresholdBits, d.RangeBase)
	for k, sh := range d.Claims {
		t := sp.targets[k]
		cs := metric.Counts(t, labels)
		vals := make([]frontend.Variable, len(cs))
		for j, ct := range cs {
			vals[j] = sums[ct]
		}
		p, q := c.Thresholds[k][0], c.Thresholds[k][1]
		rc.Check(p, tb)
		rc.Check(api.Sub(q, 1), tb)
		w := widen(metric.DifferenceBits(t, labels, tb), d.RangeBase)
		if w > MaxClaimBits+d.RangeBase {
			return fmt.Errorf("claim %s needs %d-bit range checks", sh, w)
		}
		for _, pr := range metric.Pairs[frontend.Variable](ar, t, labels, vals) {
			rc.Check(metric.Difference[frontend.Variable](ar, pr, sh.Comparison, p, q), w)
		}
	}
	return nil
}

// TotalsInput is the totals circuit's witness: each shard's commitment,
// hidden counts and salt, and each hidden claim's threshold.
type TotalsInput struct {
	Commitments []*big.Int
	Counts      [][]int64
	Salts       []*big.Int
	Thresholds  [][2]*big.Int
}

// TotalsAssignment returns a full witness assignment.
func TotalsAssignment(spec *TotalsSpec, in *TotalsInput) (*TotalsCircuit, error) {
	c := NewTotals(spec)
	if len(in.Counts) != len(c.Counts) || len(in.Salts) != len(c.Salts) {
		return nil, fmt.Errorf("totals: %d shards' counts and %d salts for %d shards", len(in.Counts), len(in.Salts), len(c.Counts))
	}
	for i, row := range in.Counts {
		if len(row) != len(spec.hidden) {
			return nil, fmt.Errorf("totals: shard %d has %d hidden counts, want %d", i, len(row), len(spec.hidden))
		}
		for j, v := range row {
			c.Counts[i][j] = v
		}
		c.Salts[i] = in.Salts[i]
	}
	if err := c.setPublic(in); err != nil {
		return nil, err
	}
	return c, nil
}

// TotalsPublicAssignment returns an assignment of the public inputs only.
func TotalsPublicAssignment(spec *TotalsSpec, in *TotalsInput) (*TotalsCircuit, error) {
	d := spec.Desc
	c := &TotalsCircuit{spec: spec, Commitments: make([]frontend.Variable, d.Shards), Thresholds: make([][2]frontend.Variable, len(d.Claims))}
	if err := c.setPublic(in); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *TotalsCircuit) setPublic(in *TotalsInput) error {
	c.CircuitID = IDElement(c.spec.Desc.ID())
	if len(in.Commitments) != len(c.Commitments) || len(in.Thresholds) != len(c.Thresholds) {
		return fmt.Errorf("totals: %d commitments and %d thresholds; the circuit has %d and %d", len(in.Commitments), len(in.Thresholds), len(c.Commitments), len(c.Thresholds))
	}
	for i, v := range in.Commitments {
		c.Commitments[i] = v
	}
	for k, th := range in.Thresholds {
		c.Thresholds[k] = [2]frontend.Variable{th[0], th[1]}
	}
	return nil
}

// ID returns the totals circuit's id, the SHA-256 of its description.
func (s *TotalsSpec) ID() [32]byte { return s.Desc.ID() }
