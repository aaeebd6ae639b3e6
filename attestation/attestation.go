// Package attestation defines zkeval's attestation format: an in-toto
// Statement v1 (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md)
// whose subject is the committed model and whose predicate records the
// benchmark, the claims, the circuit, the setup and the Groth16 proof.
// Predicate field names follow the in-toto guidance (lowerCamelCase,
// RFC 3339 timestamps); dataset and metric names follow the Hugging Face
// model-index conventions (dataset name and split; metric type and value).
package attestation

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/internal/atomicfile"
	"github.com/zkeval/zkeval/internal/jsonfile"
)

// StatementType is the in-toto Statement v1 type URI.
const StatementType = "https://in-toto.io/Statement/v1"

// PredicateType is the URI of zkeval's evaluation predicate. v0.3 names
// each claim's comparison "comparator", as the in-toto eval-result
// predicate does (in-toto/attestation#575; docs/predicate.md compares the
// two).
const PredicateType = "https://github.com/zkeval/zkeval/attestation/eval/v0.3"

// PredicateTypeV02 is the previous predicate, which Parse still reads: the
// same fields, with each claim's comparator written "comparison".
const PredicateTypeV02 = "https://github.com/zkeval/zkeval/attestation/eval/v0.2"

// SubjectDigestAlg names the model commitment in the subject's digest set.
const SubjectDigestAlg = "poseidon2-bn254"

// Statement is an in-toto Statement v1 with zkeval's predicate.
type Statement struct {
	Type          string    `json:"_type"`
	Subject       []Subject `json:"subject"`
	PredicateType string    `json:"predicateType"`
	Predicate     Predicate `json:"predicate"`
}

// Subject is an in-toto resource descriptor.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// Predicate is the evaluation attestation.
type Predicate struct {
	Model     ModelInfo     `json:"model"`
	Benchmark BenchmarkInfo `json:"benchmark"`
	Claims    []Claim       `json:"claims"`
	Circuit   CircuitInfo   `json:"circuit"`
	Setup     SetupInfo     `json:"setup"`
	Proof     ProofInfo     `json:"proof"`
	Producer  ProducerInfo  `json:"producer"`
	ProvedAt  time.Time     `json:"provedAt"`
}

// ModelInfo names the model commitment and its scheme. The commitment is
// also the statement's subject digest.
type ModelInfo struct {
	Name             string `json:"name,omitempty"`
	Commitment       string `json:"commitment"` // 0x-prefixed hex field element
	CommitmentScheme string `json:"commitmentScheme"`
}

// BenchmarkInfo identifies the benchmark by its canonical encoding's digest.
type BenchmarkInfo struct {
	Name    string            `json:"name"`
	Split   string            `json:"split"`
	Samples int               `json:"samples"`
	Digest  map[string]string `json:"digest"` // {"sha256": hex}
}

// Claim is one proven claim, written as the lab wrote it: the metric, its
// selectors (class, group attribute, positive class), the comparison and the
// threshold (an exact decimal or fraction). When the claim is revealed,
// Counts are the counts its value is computed from (public inputs of the
// proof) and Value the exact value they give, a reduced fraction; when it is
// hidden, Hidden is true and both are absent.
type Claim struct {
	Metric   string `json:"metric"`
	Class    string `json:"class,omitempty"`
	Group    string `json:"group,omitempty"`
	Positive string `json:"positive,omitempty"`
	// Comparison is the comparator, ">=" or "<=", written "comparator" as
	// the in-toto eval-result predicate writes it.
	Comparison string `json:"comparator"`
	// LegacyComparison is the comparator as predicates before v0.3 (and
	// sharded predicates before v0.2) wrote it, "comparison". Parsing moves
	// it to Comparison; it is never written.
	LegacyComparison string  `json:"comparison,omitempty"`
	Threshold        string  `json:"threshold"`
	Value            string  `json:"value,omitempty"`
	Counts           []Count `json:"counts,omitempty"`
	Hidden           bool    `json:"hidden,omitempty"`
}

// Count is one revealed count, e.g. {"name": "tp[class=bad]", "value": 37}.
type Count struct {
	Name  string `json:"name"`
	Value int64  `json:"value"`
}

// CircuitInfo describes the circuit: its id (SHA-256 of Public), its
// public description, from which anyone can recompile it given the
// benchmark, and the SHA-256 of the compiled constraint system ({"sha256":
// hex}, the constraints.r1cs of the keys directory): the id binds the
// description, the constraint-system digest what the compiler made of it,
// which `zkeval verify --transcript` recompiles and compares.
type CircuitInfo struct {
	ID               string            `json:"id"`
	Public           desc.Public       `json:"public"`
	Constraints      int               `json:"constraints"`
	PublicCount      int               `json:"publicInputs"`
	ConstraintSystem map[string]string `json:"constraintSystem"`
}

// SetupInfo records how the proving and verifying keys were made.
type SetupInfo struct {
	Kind       string            `json:"kind"` // SetupSingleParty or SetupCeremony
	Transcript map[string]string `json:"transcript,omitempty"`
}

// Setup kinds.
const (
	SetupSingleParty = "single-party"
	SetupCeremony    = "ceremony"
)

// ProofInfo holds the proof and names the verifying key by digest.
type ProofInfo struct {
	System       string            `json:"system"` // "groth16"
	Curve        string            `json:"curve"`  // "bn254"
	VerifyingKey map[string]string `json:"verifyingKey"`
	PublicInputs []string          `json:"publicInputs"`
	Bytes        []byte            `json:"bytes"` // base64 in JSON
	// Target names the verifiers the proof is made for: TargetGo or
	// TargetSolidity. Attestations written before the field existed have
	// none, which means TargetGo.
	Target string `json:"target,omitempty"`
}

// Proof targets. The proof's in-circuit commitment (BSB22, as gnark
// implements it) is hashed to a field element for its challenge; the target
// fixes that hash, and a proof verifies only with the hash it was made
// with.
const (
	// TargetGo proofs use gnark's default hash to field (RFC 9380
	// expand_message_xmd with SHA-256, domain "bsb22-commitment"): zkeval
	// verify accepts them, the Solidity verifier contract does not.
	TargetGo = "go"
	// TargetSolidity proofs use Keccak-256 reduced modulo the scalar field,
	// as gnark's Solidity verifier contract computes it: both zkeval verify
	// and the contract of `zkeval export solidity` accept them.
	TargetSolidity = "solidity"
)

// ProducerInfo names the software that produced the attestation.
type ProducerInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Marshal encodes the statement as indented JSON.
func (s *Statement) Marshal() ([]byte, error) {
	return jsonfile.Indent(s)
}

// WriteFile writes the statement atomically.
func (s *Statement) WriteFile(path string) error {
	data, err := s.Marshal()
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, data, 0o644)
}

// Parse decodes a statement strictly: bytes that are not UTF-8, unknown
// fields, trailing data, a wrong _type or predicateType, or missing fields
// are errors naming source.
func Parse(data []byte, source string) (*Statement, error) {
	var s Statement
	var head struct {
		Format string `json:"format"`
	}
	if json.Unmarshal(data, &head) == nil && (head.Format == ShardFileFormat || slices.Contains(ShardFileFormatsOld, head.Format)) {
		return nil, fmt.Errorf("%s: a shard file (%s) of `zkeval prove --shard`, not an attestation: `zkeval combine SHARDS_DIR --benchmark FILE.bench -o ATTESTATION.json` makes the attestation to verify", source, head.Format)
	}
	if err := strictDecode(data, source, docKind{what: "zkeval attestation", long: "zkeval attestation (in-toto Statement v1 JSON)",
		hint: "; attestations are written by `zkeval prove` (sharded ones by `zkeval combine`)", trailing: "statement"}, &s); err != nil {
		return nil, err
	}
	if err := checkHeader(source, s.Type, s.PredicateType, PredicateType, PredicateTypeV02, s.Subject, s.Predicate.Model, s.Predicate.Benchmark, s.Predicate.Claims); err != nil {
		return nil, err
	}
	p := &s.Predicate
	switch {
	case p.Circuit.ID == "":
		return nil, fmt.Errorf("%s: predicate.circuit.id is missing", source)
	case p.Circuit.ConstraintSystem["sha256"] == "":
		return nil, fmt.Errorf("%s: predicate.circuit.constraintSystem.sha256 is missing", source)
	case len(p.Proof.Bytes) == 0:
		return nil, fmt.Errorf("%s: predicate.proof.bytes is missing", source)
	case p.Proof.VerifyingKey["sha256"] == "":
		return nil, fmt.Errorf("%s: predicate.proof.verifyingKey.sha256 is missing", source)
	}
	return &s, nil
}

// normalizeClaims checks that each claim names its comparator under the
// key its version uses ("comparison" when legacy, else "comparator"), and
// moves a legacy one to Comparison. A statement never holds both keys.
func normalizeClaims(claims []Claim, legacy bool, source string) error {
	for k := range claims {
		c := &claims[k]
		switch {
		case legacy && c.Comparison != "":
			return fmt.Errorf("%s: predicate.claims[%d].comparator: this predicate version writes the comparator as \"comparison\"", source, k)
		case legacy:
			c.Comparison, c.LegacyComparison = c.LegacyComparison, ""
		case c.LegacyComparison != "":
			return fmt.Errorf("%s: predicate.claims[%d].comparison: this predicate version writes the comparator as \"comparator\"", source, k)
		}
		if c.Comparison == "" {
			return fmt.Errorf("%s: predicate.claims[%d].comparator is missing", source, k)
		}
	}
	return nil
}

// ReadFile reads and parses a statement file.
func ReadFile(path string) (*Statement, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(data, path)
}

// checkHeader checks what every zkeval statement holds, single-proof or
// sharded: the in-toto statement type, the predicate type (want, or the
// legacy one it still reads, whose claims normalizeClaims moves), one
// subject named by its model commitment, the model commitment, the
// benchmark digest and at least one claim.
func checkHeader(source, typ, predicateType, want, legacy string, subject []Subject, model ModelInfo, bench BenchmarkInfo, claims []Claim) error {
	switch {
	case typ != StatementType:
		return fmt.Errorf("%s: _type is %q, want %q", source, typ, StatementType)
	case predicateType != want && predicateType != legacy:
		return fmt.Errorf("%s: predicateType is %q; this zkeval reads %q (and %q)", source, predicateType, want, legacy)
	}
	if err := normalizeClaims(claims, predicateType == legacy, source); err != nil {
		return err
	}
	switch {
	case len(subject) != 1 || subject[0].Digest[SubjectDigestAlg] == "":
		return fmt.Errorf("%s: subject must be one model with a %q digest", source, SubjectDigestAlg)
	case model.Commitment == "":
		return fmt.Errorf("%s: predicate.model.commitment is missing", source)
	case bench.Digest["sha256"] == "":
		return fmt.Errorf("%s: predicate.benchmark.digest.sha256 is missing", source)
	case len(claims) == 0:
		return fmt.Errorf("%s: predicate.claims is empty", source)
	}
	return nil
}

// docKind names a kind of document in strictDecode's errors: what it is,
// long (default what) in decoding errors, hint after "this file is a
// zkeval-... file, not a ...", and trailing (default what) for data after
// it.
type docKind struct{ what, long, hint, trailing string }

// strictDecode decodes data, read from source, into v: UTF-8 text, no
// unknown, repeated or case-folded keys, no trailing data. Go matches keys
// without regard to case and keeps the last of repeated ones; other readers
// do not, so both are refused, and every reader of a verified document sees
// the values that were verified.
func strictDecode(data []byte, source string, k docKind, v any) error {
	if k.long == "" {
		k.long = k.what
	}
	if k.trailing == "" {
		k.trailing = k.what
	}
	// JSON is UTF-8 (RFC 8259); encoding/json replaces each invalid byte
	// with U+FFFD, where other readers refuse the file or keep the byte.
	if !utf8.Valid(data) {
		off := 0
		for off < len(data) {
			r, n := utf8.DecodeRune(data[off:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			off += n
		}
		return fmt.Errorf("%s: not a %s: byte %d is not UTF-8; JSON is UTF-8 text", source, k.what, off)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if kind := jsonfile.Kind(data); strings.HasPrefix(kind, "zkeval-") {
			return fmt.Errorf("%s: this file is %s, not a %s%s", source, kind, k.what, k.hint)
		}
		return fmt.Errorf("%s: not a %s: %s", source, k.long, jsonfile.Describe(err))
	}
	if dec.More() {
		return fmt.Errorf("%s: trailing data after the %s", source, k.trailing)
	}
	if err := jsonfile.ExactKeys(data, v); err != nil {
		return fmt.Errorf("%s: not a %s: %v", source, k.what, err)
	}
	return nil
}
