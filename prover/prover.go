// Package prover builds the witness, checks the claim natively, proves with
// Groth16 and assembles the attestation.
package prover

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/witness"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/evm"
	"github.com/zkeval/zkeval/internal/progress"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/metric"
	"github.com/zkeval/zkeval/model"
)

// Version is the producer version written into attestations.
var Version = "0.1.0"

// ErrClaimFalse is returned (wrapped) when the claim does not hold natively:
// no proof is attempted.
var ErrClaimFalse = errors.New("claim does not hold")

// ErrOpening is returned (wrapped) when the salt and the model do not hash
// to the commitment that the opening names.
var ErrOpening = errors.New("the opening does not open the model")

// Request is what a proof needs.
type Request struct {
	Model     *model.Model
	Salt      *big.Int // the opening
	Benchmark *benchmark.Benchmark
	Claims    []Claimed
	KeysDir   string // written by setup or a ceremony
	Progress  *progress.Reporter
	// Target is the proof's target, attestation.TargetGo (also when empty)
	// or attestation.TargetSolidity (a proof the Solidity verifier of
	// `zkeval export solidity` accepts too).
	Target string
}

// Claimed is one claim of a request and whether its value is revealed.
type Claimed struct {
	Claim  *claim.Claim
	Reveal bool
}

// Shapes returns the claims' public shapes, in claim.Sort order, and the
// claims in the same order. It returns an error when a claim repeats.
func Shapes(cs []Claimed) ([]claim.Shape, []Claimed, error) {
	type pair struct {
		s claim.Shape
		c Claimed
	}
	ps := make([]pair, len(cs))
	shapes := make([]claim.Shape, len(cs))
	for i, c := range cs {
		ps[i] = pair{c.Claim.Shape(c.Reveal), c}
		shapes[i] = ps[i].s
	}
	if len(cs) == 0 {
		return nil, nil, fmt.Errorf("no claim given; pass at least one --claim")
	}
	if err := claim.Sort(shapes); err != nil {
		return nil, nil, err
	}
	sorted := make([]Claimed, len(cs))
	for i, s := range shapes {
		for _, p := range ps {
			if p.s == s {
				sorted[i] = p.c
			}
		}
	}
	return shapes, sorted, nil
}

// Evaluation is the native result on a benchmark.
type Evaluation struct {
	Predictions []int // [samples] the first maximal output of each sample
	Correct     int64
	Samples     int
	Table       metric.Table
}

// Evaluate runs the model natively on every sample and tallies its
// predictions (first maximal output, as in the circuit) per group and
// class.
func Evaluate(m *model.Model, b *benchmark.Benchmark) (*Evaluation, error) {
	if err := circuits.CheckCompatible(m, b); err != nil {
		return nil, err
	}
	ev := &Evaluation{Samples: b.Len(), Predictions: make([]int, b.Len())}
	for i, x := range b.X {
		out, err := m.Eval(x)
		if err != nil {
			return nil, fmt.Errorf("sample %d: %w", i, err)
		}
		ev.Predictions[i] = model.Argmax(out)
		if ev.Predictions[i] == b.Labels[i] {
			ev.Correct++
		}
	}
	var groups []int
	if b.HasGroups() {
		groups = b.Groups
	}
	ev.Table = metric.Tally(ev.Predictions, b.Labels, groups, len(b.ClassNames), len(b.GroupNames))
	return ev, nil
}

// Checked is a claim checked natively: the counts it reads, its exact
// value and whether it holds.
type Checked struct {
	Claimed
	Target metric.Target
	Counts []int64
	Value  *big.Rat
	Holds  bool
}

// Check evaluates each claim of spec (in spec order, cs as Shapes returns
// them) on the native evaluation. It returns an error only when the two
// definitions of a metric (metric.Value and metric.Pairs) disagree, which
// is a bug.
func Check(spec *circuits.Spec, cs []Claimed, ev *Evaluation) ([]Checked, error) {
	return check(spec.Targets(), spec.Labels(), cs, ev)
}

// check is Check on resolved targets and the benchmark's label counts.
func check(targets []metric.Target, labels metric.Labels, cs []Claimed, ev *Evaluation) ([]Checked, error) {
	out := make([]Checked, len(cs))
	for k, c := range cs {
		t := targets[k]
		counts := ev.Table.Values(metric.Counts(t, labels))
		v, err := metric.Value(t, labels, counts)
		if err != nil {
			return nil, err
		}
		holds := metric.Holds(v, c.Claim.Comparison, c.Claim.Threshold)
		p, q := c.Claim.Fraction()
		if byPairs := metric.HoldsByPairs(t, labels, counts, c.Claim.Comparison, p, q); byPairs != holds {
			return nil, fmt.Errorf("internal error: %s: the value %s says %v, the circuit's inequalities say %v", c.Claim, v.RatString(), holds, byPairs)
		}
		out[k] = Checked{Claimed: c, Target: t, Counts: counts, Value: v, Holds: holds}
	}
	return out, nil
}

// Prove checks the opening and the claims natively, then proves and returns
// the attestation. Errors: a wrapped ErrClaimFalse when a claim is false
// (naming each false claim with its true value), an error when the opening
// does not open to the model's commitment, when a claim does not fit the
// benchmark, when the keys were made for another circuit, when proving
// fails, or an *evm.UnknownTargetError for a target zkeval does not make.
func Prove(req *Request, expectCommitment *big.Int) (*attestation.Statement, error) {
	pr := req.Progress
	m, b := req.Model, req.Benchmark
	target := evm.Normalize(req.Target)
	proveOpts, err := evm.ProverOptions(target)
	if err != nil {
		return nil, err
	}
	if err := circuits.CheckCompatible(m, b); err != nil {
		return nil, err
	}
	shapes, claims, err := Shapes(req.Claims)
	if err != nil {
		return nil, err
	}
	cm, err := commitment.Commit(m, req.Salt)
	if err != nil {
		return nil, err
	}
	if expectCommitment != nil && cm.Cmp(expectCommitment) != 0 {
		return nil, fmt.Errorf("%w: Poseidon2(salt, model) = %s, but the opening names commitment %s; use the opening that `zkeval commit` wrote for this model file", ErrOpening, commitment.FormatElement(cm), commitment.FormatElement(expectCommitment))
	}

	done := pr.Start("native evaluation")
	ev, err := Evaluate(m, b)
	if err != nil {
		return nil, err
	}
	done(fmt.Sprintf("%d/%d correct", ev.Correct, ev.Samples))
	spec, err := circuits.NewSpec(m, b, shapes)
	if err != nil {
		return nil, err
	}
	checked, err := Check(spec, claims, ev)
	if err != nil {
		return nil, err
	}
	if err := falseClaims(checked); err != nil {
		return nil, err
	}

	meta, err := keys.ReadMeta(req.KeysDir)
	if err != nil {
		return nil, err
	}
	id := spec.ID()
	if meta.CircuitID != hex.EncodeToString(id[:]) {
		return nil, keysMismatch(req.KeysDir, meta.Public, spec, id)
	}
	done = pr.Start("load keys")
	cs, pk, err := keys.LoadProver(req.KeysDir, meta)
	if err != nil {
		return nil, err
	}
	done("")

	inputs := make([]circuits.ClaimInput, len(checked))
	for k, c := range checked {
		p, q := c.Claim.Fraction()
		inputs[k] = circuits.ClaimInput{P: p, Q: q}
		if c.Reveal {
			inputs[k].Counts = c.Counts
		}
	}
	assign, err := circuits.Assignment(spec, m, req.Salt, cm, inputs)
	if err != nil {
		return nil, err
	}
	pv, err := proveAssignment(pr, "prove (Groth16, BN254)", cs, pk, assign, proveOpts...)
	if err != nil {
		return nil, err
	}

	// Check the proof against the keys directory's verifying key before
	// writing anything: keys that do not belong together (a damaged or
	// forged setup) would otherwise give an attestation no one can verify.
	if err := selfVerify(req.KeysDir, meta, pv.proof, pv.pub, target); err != nil {
		return nil, err
	}
	pubInputs, err := PublicInputs(pv.pub)
	if err != nil {
		return nil, err
	}
	vkDigest := meta.Files[keys.VerifyingKeyFile]

	names := spec.Names()
	acs := make([]attestation.Claim, len(checked))
	for k, c := range checked {
		cl := c.Claim
		ac := attestation.Claim{Metric: cl.Metric, Class: cl.Class, Group: cl.Group, Positive: cl.Positive, Comparison: cl.Comparison, Threshold: cl.Text}
		if c.Reveal {
			ac.Value = c.Value.RatString()
			for j, ct := range metric.Counts(c.Target, spec.Labels()) {
				ac.Counts = append(ac.Counts, attestation.Count{Name: ct.Name(names.Classes, names.Groups), Value: c.Counts[j]})
			}
		} else {
			ac.Hidden = true
		}
		acs[k] = ac
	}
	setup := attestation.SetupInfo{Kind: meta.SetupKind, Transcript: meta.Transcript}
	st := &attestation.Statement{
		Type:          attestation.StatementType,
		Subject:       []attestation.Subject{{Name: subjectName(m), Digest: map[string]string{attestation.SubjectDigestAlg: fmt.Sprintf("%064x", cm)}}},
		PredicateType: attestation.PredicateType,
		Predicate: attestation.Predicate{
			Model:     attestation.ModelInfo{Name: m.Name, Commitment: commitment.FormatElement(cm), CommitmentScheme: commitment.Scheme},
			Benchmark: attestation.BenchmarkInfo{Name: b.Name, Split: b.Split, Samples: b.Len(), Digest: map[string]string{"sha256": hex.EncodeToString(spec.Digest[:])}},
			Claims:    acs,
			Circuit: attestation.CircuitInfo{ID: hex.EncodeToString(id[:]), Public: spec.Public(), Constraints: cs.GetNbConstraints(), PublicCount: len(pubInputs),
				ConstraintSystem: map[string]string{"sha256": meta.Files[keys.ConstraintsFile]}},
			Setup: setup,
			Proof: attestation.ProofInfo{System: "groth16", Curve: "bn254", VerifyingKey: map[string]string{"sha256": vkDigest},
				PublicInputs: pubInputs, Bytes: pv.bytes, Target: target},
			Producer: attestation.ProducerInfo{Name: "zkeval", Version: Version},
			ProvedAt: time.Now().UTC().Truncate(time.Second),
		},
	}
	pr.Printf("proof: %d bytes, %d constraints, prove %.2f s\n", len(pv.bytes), cs.GetNbConstraints(), pv.took.Seconds())
	return st, nil
}

// keysMismatch explains why the keys in dir (for the circuit pub) do not fit
// spec.
func keysMismatch(dir string, pub circuits.Public, spec *circuits.Spec, id [32]byte) error {
	want := spec.Public()
	if slices.Equal(pub.Claims, want.Claims) || pub.BenchmarkDigest != want.BenchmarkDigest || !slices.Equal(pub.AccBits, want.AccBits) || pub.Shape.String() != want.Shape.String() {
		widths := fmt.Sprintf("accumulator bits %v", spec.AccBits)
		if spec.Shape.Trees != nil {
			widths = fmt.Sprintf("features within ±2^%d", spec.InputBits)
		}
		return fmt.Errorf("the keys in %s are for another circuit (id %s…); this model, benchmark and claims need circuit %x… (%s, %s, %s); run `zkeval setup` with them",
			dir, short(hex.EncodeToString(func() []byte { i := pub.ID(); return i[:] }())), id[:6], spec.Shape.String(), spec.Bench.String(), widths)
	}
	return fmt.Errorf("the keys in %s prove the claims %s; this proof asks for %s. Claims fix only their metric, selectors, comparison and whether the value is revealed (--claim) or hidden (--hidden-claim); thresholds are free. Make keys with the same claims, or prove the claims the keys were made for",
		dir, shapeList(pub.Claims), shapeList(want.Claims))
}

func shapeList(ss []claim.Shape) string {
	var parts []string
	for _, s := range ss {
		parts = append(parts, "\""+s.String()+"\"")
	}
	return strings.Join(parts, ", ")
}

func subjectName(m *model.Model) string {
	if m.Name != "" {
		return m.Name
	}
	return "model"
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// PublicInputs returns the public witness as 0x-prefixed hex elements, in
// circuit order.
func PublicInputs(pub witness.Witness) ([]string, error) {
	vec, ok := pub.Vector().(fr.Vector)
	if !ok {
		return nil, fmt.Errorf("public witness is not a BN254 vector")
	}
	out := make([]string, len(vec))
	for i := range vec {
		var b big.Int
		vec[i].BigInt(&b)
		out[i] = commitment.FormatElement(&b)
	}
	return out, nil
}

// DeterminedHidden returns, for each hidden claim of spec whose value the
// counts revealed by its other claims (with the public label counts)
// determine, a warning naming it: such a claim is not hidden.
func DeterminedHidden(spec *circuits.Spec) []string {
	reveal := make([]bool, len(spec.Claims))
	var revealed []string
	for k, sh := range spec.Claims {
		if reveal[k] = sh.Reveal; sh.Reveal {
			revealed = append(revealed, sh.Key()+" "+sh.Comparison+" T")
		}
	}
	var out []string
	for k, det := range metric.DeterminedHidden(spec.Targets(), reveal, spec.Labels()) {
		if det {
			sh := spec.Claims[k]
			out = append(out, fmt.Sprintf("the value of the hidden claim %s %s T follows from the counts revealed for %s and the public label counts: it is not secret; hide those claims too (--hidden-claim or --hide-count) if it must be", sh.Key(), sh.Comparison, strings.Join(revealed, ", ")))
		}
	}
	return out
}

// selfVerify checks proof against the verifying key of keys directory dir,
// whose SHA-256 must be the one meta records, as a verifier of target does.
func selfVerify(dir string, meta *keys.Meta, proof groth16.Proof, pub witness.Witness, target string) error {
	vk, err := keys.LoadVerifyingKey(dir, meta)
	if err != nil {
		return err
	}
	if target == attestation.TargetSolidity {
		if _, err := evm.LayoutOf(vk); err != nil {
			return fmt.Errorf("target %s: %w", target, err)
		}
	}
	opts, err := evm.VerifierOptions(target)
	if err != nil {
		return err
	}
	if err := groth16.Verify(proof, vk, pub, opts...); err != nil {
		return fmt.Errorf("the proof does not verify with %s (%v): the proving and verifying keys of %s do not belong together, so no attestation is written; make the keys again", filepath.Join(dir, keys.VerifyingKeyFile), err, dir)
	}
	return nil
}

// falseClaims returns a wrapped ErrClaimFalse naming each claim of checked
// that does not hold with its true value, or nil when all hold.
func falseClaims(checked []Checked) error {
	var false_ []string
	for _, c := range checked {
		if !c.Holds {
			false_ = append(false_, fmt.Sprintf("%s is %s (%s), not %s the claimed %s", c.Claim.Key(), claim.FormatRat(c.Value), c.Value.RatString(), map[string]string{">=": "at least", "<=": "at most"}[c.Claim.Comparison], c.Claim.Text))
		}
	}
	if len(false_) > 0 {
		return fmt.Errorf("%w: %s; no proof was made", ErrClaimFalse, strings.Join(false_, "; "))
	}
	return nil
}
