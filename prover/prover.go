// Package prover builds the witness, checks the claim natively, proves with
// Groth16 and assembles the attestation.
package prover

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/frontend"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/internal/progress"
	"github.com/zkeval/zkeval/keys"
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
	Claim     *claim.Claim
	Reveal    bool   // publish the exact count (default) or only the bound
	KeysDir   string // written by setup or a ceremony
	Progress  *progress.Reporter
}

// Evaluation is the native result on a benchmark.
type Evaluation struct {
	Correct int64
	Samples int
}

// Evaluate runs the model natively on every sample and counts correct
// predictions (first maximal output, as in the circuit).
func Evaluate(m *model.Model, b *benchmark.Benchmark) (*Evaluation, error) {
	if err := circuits.CheckCompatible(m, b); err != nil {
		return nil, err
	}
	ev := &Evaluation{Samples: b.Len()}
	for i, x := range b.X {
		out, err := m.Eval(x)
		if err != nil {
			return nil, fmt.Errorf("sample %d: %w", i, err)
		}
		if model.Argmax(out) == b.Labels[i] {
			ev.Correct++
		}
	}
	return ev, nil
}

// ClaimShape returns the circuit claim shape of a claim.
func ClaimShape(c *claim.Claim, reveal bool) circuits.ClaimShape {
	return circuits.ClaimShape{Metric: c.Metric, Comparison: circuits.Comparison(c.Comparison), Reveal: reveal}
}

// Prove checks the opening and the claim natively, then proves and returns
// the attestation. Errors: a wrapped ErrClaimFalse when the claim is false,
// an error when the opening does not open to the model's commitment, when
// the keys were made for another circuit, or when proving fails.
func Prove(req *Request, expectCommitment *big.Int) (*attestation.Statement, error) {
	pr := req.Progress
	m, b, cl := req.Model, req.Benchmark, req.Claim
	if err := circuits.CheckCompatible(m, b); err != nil {
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
	if !cl.Holds(ev.Correct, ev.Samples) {
		rel := "below"
		if cl.Comparison == "<=" {
			rel = "above"
		}
		return nil, fmt.Errorf("%w: %s is %s (%d/%d), %s the claimed %s; no proof was made", ErrClaimFalse, cl.Metric, claim.FormatRatio(ev.Correct, ev.Samples), ev.Correct, ev.Samples, rel, cl.Text)
	}

	spec, err := circuits.NewSpec(m, b, ClaimShape(cl, req.Reveal))
	if err != nil {
		return nil, err
	}
	meta, err := keys.ReadMeta(req.KeysDir)
	if err != nil {
		return nil, err
	}
	id := spec.ID()
	if meta.CircuitID != hex.EncodeToString(id[:]) {
		if kc := meta.Public.Claim; kc.Metric == cl.Metric && string(kc.Comparison) == cl.Comparison && kc.Reveal != req.Reveal {
			if kc.Reveal {
				return nil, fmt.Errorf("the keys in %s were made for a circuit that reveals the exact count; drop --hide-count, or make keys with `zkeval setup --hide-count`", req.KeysDir)
			}
			return nil, fmt.Errorf("the keys in %s were made with --hide-count (the circuit proves only the threshold); pass --hide-count to prove", req.KeysDir)
		}
		if kc := meta.Public.Claim; kc.Metric == cl.Metric && string(kc.Comparison) != cl.Comparison {
			return nil, fmt.Errorf("the keys in %s prove claims of the form %q; this claim is %q: make keys for it with `zkeval setup --claim %q`", req.KeysDir, kc.Metric+" "+string(kc.Comparison)+" T", cl.String(), cl.String())
		}
		return nil, fmt.Errorf("the keys in %s are for another circuit (id %s…); this model, benchmark and claim shape need circuit %x… (%s, %s, accumulator bits %v, %s %s%s); run `zkeval setup` with them",
			req.KeysDir, short(meta.CircuitID), id[:6], spec.Shape.String(), b.String(), spec.AccBits, cl.Metric, cl.Comparison, revealWord(req.Reveal))
	}
	done = pr.Start("load keys")
	cs, pk, err := keys.LoadProver(req.KeysDir, meta)
	if err != nil {
		return nil, err
	}
	done("")

	bound := cl.Bound(b.Len())
	count := int64(0)
	if req.Reveal {
		count = ev.Correct
	}
	done = pr.Start("witness")
	full, err := frontend.NewWitness(circuits.Assignment(spec, m, req.Salt, cm, bound, count), ecc.BN254.ScalarField())
	if err != nil {
		return nil, fmt.Errorf("witness: %w", err)
	}
	pub, err := full.Public()
	if err != nil {
		return nil, err
	}
	done("")
	done = pr.Start("prove (Groth16, BN254)")
	t0 := time.Now()
	proof, err := groth16.Prove(cs, pk, full)
	if err != nil {
		return nil, fmt.Errorf("prove: %w", err)
	}
	done("")
	proveTime := time.Since(t0)

	var pbuf bytes.Buffer
	if _, err := proof.WriteTo(&pbuf); err != nil {
		return nil, err
	}
	pubInputs, err := PublicInputs(pub)
	if err != nil {
		return nil, err
	}
	vkDigest := meta.Files[keys.VerifyingKeyFile]

	c := attestation.Claim{Metric: cl.Metric, Comparison: cl.Comparison, Threshold: cl.Text, Bound: bound}
	if req.Reveal {
		c.Value = fmt.Sprintf("%d/%d", ev.Correct, ev.Samples)
	} else {
		c.Hidden = true
	}
	setup := attestation.SetupInfo{Kind: meta.SetupKind, Transcript: meta.Transcript}
	st := &attestation.Statement{
		Type:          attestation.StatementType,
		Subject:       []attestation.Subject{{Name: subjectName(m), Digest: map[string]string{attestation.SubjectDigestAlg: fmt.Sprintf("%064x", cm)}}},
		PredicateType: attestation.PredicateType,
		Predicate: attestation.Predicate{
			Model:     attestation.ModelInfo{Name: m.Name, Commitment: commitment.FormatElement(cm), CommitmentScheme: commitment.Scheme},
			Benchmark: attestation.BenchmarkInfo{Name: b.Name, Split: b.Split, Samples: b.Len(), Digest: map[string]string{"sha256": hex.EncodeToString(spec.Digest[:])}},
			Claims:    []attestation.Claim{c},
			Circuit:   attestation.CircuitInfo{ID: hex.EncodeToString(id[:]), Public: spec.Public(), Constraints: cs.GetNbConstraints(), PublicCount: len(pubInputs)},
			Setup:     setup,
			Proof: attestation.ProofInfo{System: "groth16", Curve: "bn254", VerifyingKey: map[string]string{"sha256": vkDigest},
				PublicInputs: pubInputs, Bytes: pbuf.Bytes()},
			Producer: attestation.ProducerInfo{Name: "zkeval", Version: Version},
			ProvedAt: time.Now().UTC().Truncate(time.Second),
		},
	}
	pr.Printf("proof: %d bytes, %d constraints, prove %.2f s\n", pbuf.Len(), cs.GetNbConstraints(), proveTime.Seconds())
	return st, nil
}

func subjectName(m *model.Model) string {
	if m.Name != "" {
		return m.Name
	}
	return "model"
}

func revealWord(r bool) string {
	if r {
		return ", count revealed"
	}
	return ", count hidden"
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
