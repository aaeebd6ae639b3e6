// Package verifier checks zkeval attestations: it recomputes every public
// input from the attestation's own fields (never trusting its list of public
// inputs), checks the digests it names, and verifies the Groth16 proof. It
// opens DSSE envelopes and checks their signer (Open), and says how far the
// attestation's setup was checked (Setup: single-party, a ceremony claimed
// but not checked, or a ceremony checked against its transcript with
// contributors the verifier trusts; TranscriptChecker).
package verifier

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/frontend"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/metric"
)

// ErrInvalid is wrapped by every error that means "the attestation does not
// hold" (as opposed to a file that cannot be read).
var ErrInvalid = errors.New("invalid attestation")

// Options tunes Verify.
type Options struct {
	// Benchmark, when set, is checked against the attestation's benchmark
	// digest by recomputing the digest from its samples.
	Benchmark *benchmark.Benchmark
	// BenchmarkFile names Benchmark's file in errors.
	BenchmarkFile string
	// AttestationFile names the attestation's file in errors.
	AttestationFile string
}

// ClaimResult is one verified claim.
type ClaimResult struct {
	Text   string // "recall[class=bad] >= 0.4"
	Shape  claim.Shape
	Words  string              // what the metric measures (claim.Describe)
	Hidden bool                // the value is not revealed
	Value  *big.Rat            // the proven exact value, when revealed
	Counts []attestation.Count // the proven counts, when revealed
	// Determined is set on a hidden claim whose value the counts revealed
	// by the other claims (with the public label counts) determine.
	Determined bool
	// Rates gives each group's rates for a revealed fairness claim
	// (claim.GroupRates), "" otherwise.
	Rates string
}

// Result is a successful verification.
type Result struct {
	Statement          *attestation.Statement
	Claims             []ClaimResult
	VerifyingKeySHA256 string
	BenchmarkChecked   bool
	// Setup says where the keys come from, as far as it was checked: by
	// Verify from the attestation alone, by TranscriptChecker.Check from a
	// ceremony transcript.
	Setup       *Setup
	Warnings    []string
	Elapsed     time.Duration // time of the whole check
	PairingTime time.Duration // time of groth16.Verify alone
	// Target is the proof's target (attestation.TargetGo or
	// TargetSolidity), which the proof was checked with.
	Target string
}

// CheckError is an ErrInvalid that holds its evidence: the check that
// failed and, where the check compares two values, the value expected and
// the value found, as tessera's client errors keep both roots. Every error
// of Verify and VerifySharded that wraps ErrInvalid is a *CheckError;
// errors.As retrieves it.
type CheckError struct {
	// File is the attestation file, when the caller named it
	// (Options.AttestationFile).
	File string
	// Check names the check, e.g. "verifying key", "circuit id",
	// "benchmark digest", "claim value", "public input", "proof"; see the
	// Check* constants.
	Check string
	// Expected and Actual are the compared values, as written in the
	// message; both empty for a check that is not a comparison (a field
	// that does not parse, say).
	Expected, Actual string
	// Detail is the whole message, without the file.
	Detail string
}

// Checks named by CheckError.Check.
const (
	CheckFormat          = "format"           // a field that does not parse or is not canonical
	CheckProofSystem     = "proof system"     // groth16/bn254 and the proof target
	CheckVerifyingKey    = "verifying key"    // the key's SHA-256 against the attestation's
	CheckCircuitID       = "circuit id"       // the stated id against the description's hash
	CheckCircuitVersion  = "circuit version"  // the description's version against this zkeval's
	CheckDescription     = "description"      // the circuit description's own checks (desc.Validate)
	CheckBenchmark       = "benchmark digest" // the benchmark's digest, name and size
	CheckModelCommitment = "model commitment" // the commitment and the subject
	CheckClaim           = "claim"            // a claim's shape, counts and value
	CheckPublicInput     = "public input"     // the stated public inputs against the rebuilt ones
	CheckProof           = "proof"            // the Groth16 pairing check
	CheckShards          = "shards"           // a sharded attestation's coverage and shard proofs
)

func (e *CheckError) Error() string {
	if e.File != "" {
		return ErrInvalid.Error() + ": " + e.File + ": " + e.Detail
	}
	return ErrInvalid.Error() + ": " + e.Detail
}

// Is reports that a CheckError is an ErrInvalid.
func (e *CheckError) Is(target error) bool { return target == ErrInvalid }

// invalid returns a CheckError of a check that is not a comparison.
func invalid(format string, a ...any) error {
	return &CheckError{Check: CheckFormat, Detail: fmt.Sprintf(format, a...)}
}

// mismatch returns a CheckError of check, in which expected and actual
// differ; the message is format's.
func mismatch(check, expected, actual, format string, a ...any) error {
	return &CheckError{Check: check, Expected: expected, Actual: actual, Detail: fmt.Sprintf(format, a...)}
}

// failed returns a CheckError of check that compares nothing.
func failed(check, format string, a ...any) error {
	return &CheckError{Check: check, Detail: fmt.Sprintf(format, a...)}
}

// Verify checks st against the verifying key bytes vkData. It returns a
// Result when everything checks, and an error wrapping ErrInvalid when the
// proof, a digest, the circuit id or a claim does not check.
func Verify(st *attestation.Statement, vkData []byte, vkSource string, opt Options) (*Result, error) {
	res, err := verify(st, vkData, vkSource, opt)
	if ce := (*CheckError)(nil); errors.As(err, &ce) && opt.AttestationFile != "" && ce.File == "" {
		c := *ce
		c.File = opt.AttestationFile
		return nil, &c
	}
	return res, err
}

func verify(st *attestation.Statement, vkData []byte, vkSource string, opt Options) (*Result, error) {
	t0 := time.Now()
	p := &st.Predicate
	res := &Result{Statement: st, VerifyingKeySHA256: keys.Digest(vkData)}

	if p.Proof.System != "groth16" || p.Proof.Curve != "bn254" {
		return nil, mismatch(CheckProofSystem, "groth16/bn254", p.Proof.System+"/"+p.Proof.Curve, "proof system %s/%s; zkeval verifies groth16/bn254", p.Proof.System, p.Proof.Curve)
	}
	if want := p.Proof.VerifyingKey["sha256"]; want != res.VerifyingKeySHA256 {
		return nil, mismatch(CheckVerifyingKey, want, res.VerifyingKeySHA256, "verifying key %s has SHA-256 %s, but the attestation was made for verifying key %s", vkSource, res.VerifyingKeySHA256, want)
	}
	if len(p.Proof.VerifyingKey) != 1 {
		return nil, invalid("the verifying key is named by %d digests; it must be named by its sha256 alone", len(p.Proof.VerifyingKey))
	}
	vk, err := keys.ParseVerifyingKey(vkData, vkSource)
	if err != nil {
		return nil, invalid("%v", err)
	}

	// Circuit id: recomputed from the public description.
	pubDesc := p.Circuit.Public
	if err := checkPrintable(st); err != nil {
		return nil, err
	}
	id := pubDesc.ID()
	if hex.EncodeToString(id[:]) != p.Circuit.ID {
		return nil, mismatch(CheckCircuitID, hex.EncodeToString(id[:]), p.Circuit.ID, "circuit id %s does not match the circuit description in the attestation (which hashes to %x)", p.Circuit.ID, id)
	}
	if pubDesc.Version != circuits.Version {
		return nil, mismatch(CheckCircuitVersion, circuits.Version, pubDesc.Version, "circuit version %q; this zkeval verifies %q", pubDesc.Version, circuits.Version)
	}
	// The whole description, its bounds included: a description whose
	// bounds let the circuit's integers reach the field's size is refused,
	// whatever the proof.
	if err := pubDesc.Validate(); err != nil {
		return nil, failed(CheckDescription, "circuit description: %v", err)
	}

	// Benchmark digest.
	bd := p.Benchmark.Digest["sha256"]
	if len(p.Benchmark.Digest) != 1 {
		return nil, invalid("the benchmark is named by %d digests; it must be named by its sha256 alone, which the proof covers", len(p.Benchmark.Digest))
	}
	if bd != pubDesc.BenchmarkDigest {
		return nil, mismatch(CheckBenchmark, pubDesc.BenchmarkDigest, bd, "benchmark digest %s differs from the circuit's benchmark %s", bd, pubDesc.BenchmarkDigest)
	}
	if pubDesc.Samples < 1 {
		return nil, invalid("the circuit description has %d samples; a benchmark has at least 1", pubDesc.Samples)
	}
	if p.Benchmark.Samples != pubDesc.Samples {
		return nil, mismatch(CheckBenchmark, fmt.Sprint(pubDesc.Samples), fmt.Sprint(p.Benchmark.Samples), "benchmark has %d samples but the circuit evaluates %d", p.Benchmark.Samples, pubDesc.Samples)
	}
	digestBytes, err := hex.DecodeString(bd)
	if err != nil || len(digestBytes) != 32 {
		return nil, invalid("benchmark digest %q is not 32 bytes of hex", bd)
	}
	var digest [32]byte
	copy(digest[:], digestBytes)
	if opt.Benchmark != nil {
		d, err := opt.Benchmark.Digest()
		if err != nil {
			return nil, err
		}
		file := "the benchmark file given"
		if opt.BenchmarkFile != "" {
			file = "benchmark file " + opt.BenchmarkFile
		}
		if d != digest {
			return nil, mismatch(CheckBenchmark, bd, hex.EncodeToString(d[:]), "%s (%s/%s, %d samples) has digest %x, but the attestation is about benchmark %s (%s/%s, %d samples)",
				file, opt.Benchmark.Name, opt.Benchmark.Split, opt.Benchmark.Len(), d, bd, p.Benchmark.Name, p.Benchmark.Split, p.Benchmark.Samples)
		}
		if p.Benchmark.Name != opt.Benchmark.Name || p.Benchmark.Split != opt.Benchmark.Split {
			return nil, mismatch(CheckBenchmark, opt.Benchmark.Name+"/"+opt.Benchmark.Split, p.Benchmark.Name+"/"+p.Benchmark.Split, "the attestation names benchmark %s/%s, but the benchmark it was proven on, %s (whose digest it carries), is %s/%s",
				p.Benchmark.Name, p.Benchmark.Split, file, opt.Benchmark.Name, opt.Benchmark.Split)
		}
		res.BenchmarkChecked = true
	}

	// Model commitment.
	cm, err := commitment.ParseElement(p.Model.Commitment)
	if err != nil {
		return nil, invalid("model commitment: %v", err)
	}
	if p.Model.CommitmentScheme != commitment.Scheme {
		return nil, mismatch(CheckModelCommitment, commitment.Scheme, p.Model.CommitmentScheme, "commitment scheme %q; zkeval verifies %q", p.Model.CommitmentScheme, commitment.Scheme)
	}
	if p.Model.Commitment != commitment.FormatElement(cm) {
		return nil, invalid("model commitment %q is not written canonically (want %s)", p.Model.Commitment, commitment.FormatElement(cm))
	}
	if len(st.Subject) != 1 || st.Subject[0].Digest[attestation.SubjectDigestAlg] != fmt.Sprintf("%064x", cm) {
		return nil, mismatch(CheckModelCommitment, fmt.Sprintf("%064x", cm), st.Subject[0].Digest[attestation.SubjectDigestAlg], "the subject digest does not equal the model commitment")
	}
	// The subject is what in-toto tooling matches artifacts against: any
	// other digest in it would be a claim about an artifact nothing proves.
	if len(st.Subject[0].Digest) != 1 {
		return nil, invalid("the subject has %d digests; it must hold only the model commitment (%s)", len(st.Subject[0].Digest), attestation.SubjectDigestAlg)
	}

	// Claims.
	labels, targets, err := pubDesc.Resolve()
	if err != nil {
		return nil, failed(CheckDescription, "circuit description: %v", err)
	}
	if len(p.Claims) != len(pubDesc.Claims) {
		return nil, mismatch(CheckClaim, fmt.Sprint(len(pubDesc.Claims)), fmt.Sprint(len(p.Claims)), "%d claims, but the circuit proves %d", len(p.Claims), len(pubDesc.Claims))
	}
	names := claim.Names{Classes: pubDesc.Classes, GroupAttribute: pubDesc.GroupAttribute, Groups: pubDesc.Groups}
	inputs := make([]circuits.ClaimInput, len(p.Claims))
	for k, ac := range p.Claims {
		cr, in, err := checkClaim(k, ac, pubDesc.Claims[k], targets[k], names, labels)
		if err != nil {
			return nil, err
		}
		res.Claims = append(res.Claims, cr)
		inputs[k] = in
	}
	reveal := make([]bool, len(pubDesc.Claims))
	for k, sh := range pubDesc.Claims {
		reveal[k] = sh.Reveal
	}
	for k, det := range metric.DeterminedHidden(targets, reveal, labels) {
		res.Claims[k].Determined = det
	}

	// Public witness, rebuilt from the fields above.
	assign, err := circuits.PublicAssignment(pubDesc, cm, inputs)
	if err != nil {
		return nil, invalid("%v", err)
	}
	pw, err := frontend.NewWitness(assign, ecc.BN254.ScalarField(), frontend.PublicOnly())
	if err != nil {
		return nil, fmt.Errorf("public witness: %w", err)
	}
	proof, err := keys.ParseProof(p.Proof.Bytes)
	if err != nil {
		return nil, failed(CheckProof, "proof bytes do not decode as a BN254 Groth16 proof: %v", err)
	}
	tv := time.Now()
	if res.Target, err = verifyProof(proof, vk, pw, p.Proof.Target); err != nil {
		return nil, err
	}
	res.PairingTime = time.Since(tv)
	if err := checkPublicInputs(p.Proof.PublicInputs, p.Circuit.PublicCount, pw); err != nil {
		return nil, err
	}

	if err := checkDigestField("predicate.circuit.constraintSystem", p.Circuit.ConstraintSystem); err != nil {
		return nil, err
	}
	if err := checkSetupInfo("predicate.setup", p.Setup); err != nil {
		return nil, err
	}
	res.setSetup(statedSetup(st))
	res.Elapsed = time.Since(t0)
	return res, nil
}

// checkDigestField checks a digest set that must name its object by its
// SHA-256 alone, in lowercase hex.
func checkDigestField(name string, d map[string]string) error {
	v, ok := d["sha256"]
	if len(d) != 1 || !ok || len(v) != 64 || strings.ToLower(v) != v {
		return invalid("%s must be {\"sha256\": 64 lowercase hex digits}, not %v", name, d)
	}
	if _, err := hex.DecodeString(v); err != nil {
		return invalid("%s.sha256 %q is not hex", name, v)
	}
	return nil
}

// checkClaim checks attestation claim k against the circuit's claim shape
// and returns what was proven and the claim's public inputs.
func checkClaim(k int, ac attestation.Claim, shape claim.Shape, t metric.Target, names claim.Names, labels metric.Labels) (ClaimResult, circuits.ClaimInput, error) {
	var in circuits.ClaimInput
	sh := claim.Shape{Metric: ac.Metric, Class: ac.Class, Group: ac.Group, Positive: ac.Positive, Comparison: ac.Comparison}
	text := sh.Key() + " " + ac.Comparison + " " + ac.Threshold
	cl, err := claim.Parse(text)
	if err != nil {
		return ClaimResult{}, in, invalid("claim %d: %v", k, err)
	}
	// The claim's fields must be the parsed claim's own, so that a reader of
	// the JSON sees the claim that was checked.
	if got := cl.Shape(shape.Reveal); got != (claim.Shape{Metric: ac.Metric, Class: ac.Class, Group: ac.Group, Positive: ac.Positive, Comparison: ac.Comparison, Reveal: shape.Reveal}) || ac.Threshold != cl.Text {
		return ClaimResult{}, in, invalid("claim %d (%s) is not written canonically (want %s)", k, text, cl)
	}
	if got := cl.Shape(shape.Reveal); got != shape {
		return ClaimResult{}, in, mismatch(CheckClaim, shape.String(), cl.String(), "claim %d is %q, but the circuit proves %q there", k, cl, shape)
	}
	in.P, in.Q = cl.Fraction()
	cr := ClaimResult{Text: cl.String(), Shape: shape, Words: claim.Describe(t, names, labels)}
	if !shape.Reveal {
		if !ac.Hidden || ac.Value != "" || len(ac.Counts) != 0 {
			return cr, in, invalid("claim %s: the circuit hides its value, but the attestation states one", cl)
		}
		cr.Hidden = true
		return cr, in, nil
	}
	if ac.Hidden {
		return cr, in, invalid("claim %s: the circuit reveals its value, but the attestation says hidden", cl)
	}
	cs := metric.Counts(t, labels)
	if len(ac.Counts) != len(cs) {
		return cr, in, invalid("claim %s: %d counts; its value is computed from %d", cl, len(ac.Counts), len(cs))
	}
	in.Counts = make([]int64, len(cs))
	for j, c := range cs {
		name := c.Name(names.Classes, names.Groups)
		if ac.Counts[j].Name != name {
			return cr, in, invalid("claim %s: count %d is named %q, want %q", cl, j, ac.Counts[j].Name, name)
		}
		if v := ac.Counts[j].Value; v < 0 || v > c.Max(labels) {
			return cr, in, invalid("claim %s: count %s = %d outside [0, %d]", cl, name, v, c.Max(labels))
		}
		in.Counts[j] = ac.Counts[j].Value
	}
	v, err := metric.Value(t, labels, in.Counts)
	if err != nil {
		return cr, in, invalid("claim %s: %v", cl, err)
	}
	if ac.Value != v.RatString() {
		return cr, in, mismatch(CheckClaim, v.RatString(), ac.Value, "claim %s: value %q, but its counts give %s", cl, ac.Value, v.RatString())
	}
	if !metric.Holds(v, cl.Comparison, cl.Threshold) {
		return cr, in, failed(CheckClaim, "claim %s: the stated value %s does not satisfy it", cl, ac.Value)
	}
	cr.Value, cr.Counts = v, ac.Counts
	cr.Rates = claim.GroupRates(t, names, labels, in.Counts)
	return cr, in, nil
}

// checkPublicInputs checks that the attestation's list of public inputs, which
// the verifier never uses, is the list it rebuilt, and that their stated
// count (predicate.circuit.publicInputs) is its length, so that a reader of
// the JSON (or another verifier that takes the list as given) sees the
// inputs that were checked.
func checkPublicInputs(stated []string, count int, pw witness.Witness) error {
	pub, err := pw.Public()
	if err != nil {
		return fmt.Errorf("public witness: %w", err)
	}
	vec, ok := pub.Vector().(fr.Vector)
	if !ok {
		return fmt.Errorf("public witness is not a BN254 vector")
	}
	if len(stated) != len(vec) {
		return mismatch(CheckPublicInput, fmt.Sprint(len(vec)), fmt.Sprint(len(stated)), "the attestation lists %d public inputs; the circuit has %d", len(stated), len(vec))
	}
	if count != len(vec) {
		return mismatch(CheckPublicInput, fmt.Sprint(len(vec)), fmt.Sprint(count), "predicate.circuit.publicInputs is %d; the circuit has %d public inputs", count, len(vec))
	}
	for i := range vec {
		var b big.Int
		vec[i].BigInt(&b)
		if want := commitment.FormatElement(&b); stated[i] != want {
			return mismatch(CheckPublicInput, want, stated[i], "public input %d is %s in the attestation, but the attestation's own fields give %s", i, stated[i], want)
		}
	}
	return nil
}

// groth16Verify is groth16.Verify with a panic (gnark indexes the public
// witness with the key's lists) turned into an error.
func groth16Verify(proof groth16.Proof, vk groth16.VerifyingKey, pw witness.Witness, opts ...backend.VerifierOption) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("verification failed: %v", p)
		}
	}()
	return groth16.Verify(proof, vk, pw, opts...)
}

// checkPrintable refuses an attestation whose words, which verify prints,
// hold a rune a terminal does not print as itself: a control character
// (newline, escape sequences that move the cursor or hide text), a format
// character (bidirectional overrides) or a space other than U+0020. The
// benchmark's name and split are covered by no proof, and class and group
// names are whatever the benchmark's author chose; printed raw, either
// could draw a fake claim line, or erase the real one, under VALID.
func checkPrintable(st *attestation.Statement) error {
	p := &st.Predicate
	check := func(name, s string) error {
		for _, r := range s {
			if !unicode.IsPrint(r) {
				return invalid("%s %q holds the unprintable character %U; zkeval refuses text that could rewrite what it prints", name, s, r)
			}
		}
		return nil
	}
	type field struct{ name, value string }
	fields := []field{
		{"predicate.model.name", p.Model.Name},
		{"predicate.producer.name", p.Producer.Name},
		{"predicate.producer.version", p.Producer.Version},
		{"predicate.benchmark.name", p.Benchmark.Name},
		{"predicate.benchmark.split", p.Benchmark.Split},
		{"predicate.circuit.public.groupAttribute", p.Circuit.Public.GroupAttribute},
	}
	for i, s := range st.Subject {
		fields = append(fields, field{fmt.Sprintf("subject[%d].name", i), s.Name})
	}
	for i, c := range p.Circuit.Public.Classes {
		fields = append(fields, field{fmt.Sprintf("predicate.circuit.public.classes[%d]", i), c})
	}
	for i, g := range p.Circuit.Public.Groups {
		fields = append(fields, field{fmt.Sprintf("predicate.circuit.public.groups[%d]", i), g})
	}
	for k, c := range p.Claims {
		f := fmt.Sprintf("predicate.claims[%d].", k)
		fields = append(fields,
			field{f + "metric", c.Metric},
			field{f + "class", c.Class},
			field{f + "group", c.Group},
			field{f + "positive", c.Positive},
			field{f + "comparator", c.Comparison},
			field{f + "threshold", c.Threshold},
			field{f + "value", c.Value})
		for j, n := range c.Counts {
			fields = append(fields, field{fmt.Sprintf("%scounts[%d].name", f, j), n.Name})
		}
	}
	for _, f := range fields {
		if err := check(f.name, f.value); err != nil {
			return err
		}
	}
	return nil
}
