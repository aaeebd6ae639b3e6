package attestation

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/internal/jsonfile"
)

// ShardedPredicateType is the URI of zkeval's predicate for an evaluation
// proven in shards: one Groth16 proof per shard of the benchmark, all made
// with the keys of one shard circuit, and, when a claim hides its value,
// one proof of the totals circuit.
//
// v0.3 binds each shard's samples by a challenge and a polynomial
// fingerprint (package circuits, ShardCircuit) instead of the Poseidon2
// digest of v0.1 and v0.2, whose shard circuit this zkeval no longer
// builds: ParseSharded refuses those versions (ErrShardedVersion).
const ShardedPredicateType = "https://github.com/zkeval/zkeval/attestation/eval-sharded/v0.3"

// ShardedPredicateTypesOld are the sharded predicates before v0.3, whose
// proofs bind the samples by a Poseidon2 digest.
var ShardedPredicateTypesOld = []string{
	"https://github.com/zkeval/zkeval/attestation/eval-sharded/v0.1",
	"https://github.com/zkeval/zkeval/attestation/eval-sharded/v0.2",
}

// ErrShardedVersion is returned for a sharded attestation or shard file
// of a version this zkeval no longer verifies: wrapped by ParseSharded's
// error, and the sentinel of ReadShardFile's *ShardFileVersionError.
var ErrShardedVersion = errors.New("sharded attestation of an old version")

// ShardFileFormatsOld are the shard file formats before v2, whose proofs
// bind the shard's samples by a Poseidon2 digest.
var ShardFileFormatsOld = []string{"zkeval-shard-proof/v1"}

// ShardFileVersionError is ReadShardFile's error for a shard file of an
// old format (one of ShardFileFormatsOld). It matches ErrShardedVersion
// (errors.Is).
type ShardFileVersionError struct {
	Path   string
	Format string
}

// Detail says what the file is and what to do, without its path.
func (e *ShardFileVersionError) Detail() string {
	return fmt.Sprintf("shard file of format %s (made by an older zkeval, which bound samples by a digest); prove the shard again with this zkeval", e.Format)
}

func (e *ShardFileVersionError) Error() string        { return e.Path + ": " + e.Detail() }
func (e *ShardFileVersionError) Is(target error) bool { return target == ErrShardedVersion }

// ShardFileFormat names a shard proof file: what `zkeval prove --shard`
// writes and `zkeval combine` reads. v2: challenge and fingerprint.
const ShardFileFormat = "zkeval-shard-proof/v2"

// ShardedStatement is an in-toto Statement v1 with the sharded predicate.
type ShardedStatement struct {
	Type          string           `json:"_type"`
	Subject       []Subject        `json:"subject"`
	PredicateType string           `json:"predicateType"`
	Predicate     ShardedPredicate `json:"predicate"`
}

// ShardedPredicate is an evaluation proven in shards. Claims are over the
// whole benchmark: a revealed claim's counts are the sums of the shards'
// counts. LabelCounts are the benchmark's label counts per group and class
// (the sums of the shards' label counts, which their proofs state).
type ShardedPredicate struct {
	Model       ModelInfo      `json:"model"`
	Benchmark   BenchmarkInfo  `json:"benchmark"`
	Claims      []Claim        `json:"claims"`
	LabelCounts [][]int64      `json:"labelCounts"`
	Shards      ShardSet       `json:"shards"`
	Totals      *TotalsProof   `json:"totals,omitempty"`
	Producer    ProducerInfo   `json:"producer"`
	ProvedAt    time.Time      `json:"provedAt"`
	Notes       map[string]any `json:"notes,omitempty"`
}

// ShardSet is the shards' proofs and the circuit and keys they share.
type ShardSet struct {
	// Size is the number of slots of every shard, Count the number of
	// shards: ceil(samples / Size).
	Size         int               `json:"size"`
	Count        int               `json:"count"`
	Circuit      ShardCircuitInfo  `json:"circuit"`
	Setup        SetupInfo         `json:"setup"`
	VerifyingKey map[string]string `json:"verifyingKey"` // {"sha256": hex}
	Proofs       []ShardProof      `json:"proofs"`
}

// ShardCircuitInfo describes the shard circuit: its id (SHA-256 of Public)
// and public description.
type ShardCircuitInfo struct {
	ID          string     `json:"id"`
	Public      desc.Shard `json:"public"`
	Constraints int        `json:"constraints"`
	PublicCount int        `json:"publicInputs"`
}

// ShardProof is one shard's proof and the public values it proves:
// Index, the Challenge its commitment drew and the shard's Fingerprint at
// it (0x hex field elements; see circuits.ShardCircuit and
// commitment.ShardFingerprint), the real
// Samples (the sum of LabelCounts), LabelCounts [group][class], the
// revealed Counts and, when claims hide values, CountsCommitment.
type ShardProof struct {
	Index            int       `json:"index"`
	Samples          int       `json:"samples"`
	Challenge        string    `json:"challenge"`
	Fingerprint      string    `json:"fingerprint"`
	LabelCounts      [][]int64 `json:"labelCounts"`
	Counts           []Count   `json:"counts,omitempty"`
	CountsCommitment string    `json:"countsCommitment,omitempty"`
	Bytes            []byte    `json:"bytes"`
}

// TotalsProof is the proof of the totals circuit, which shows, without
// revealing them, that the counts the shards committed to sum to totals
// meeting every hidden claim.
//
// Setup says where the totals keys come from: the totals circuit depends
// on the number of shards and the label counts, so its keys come from a
// setup (single-party, or a ceremony of its own) apart from the shard
// circuit's.
type TotalsProof struct {
	ID           string            `json:"id"`
	Public       desc.Totals       `json:"public"`
	Constraints  int               `json:"constraints"`
	Setup        SetupInfo         `json:"setup"`
	VerifyingKey map[string]string `json:"verifyingKey"`
	Bytes        []byte            `json:"bytes"`
}

// ShardFile is one shard's proof as `zkeval prove --shard` writes it, with
// everything `zkeval combine` checks it against: the model, the whole
// benchmark, the claims (with their thresholds), the circuit, the setup and
// the verifying key (whose bytes it carries, so that combine can check the
// proof). Secret holds the opening of the commitment to the hidden counts:
// a shard file is the lab's, not for publication.
type ShardFile struct {
	Format          string            `json:"format"`
	Model           ModelInfo         `json:"model"`
	Benchmark       BenchmarkInfo     `json:"benchmark"`
	Claims          []Claim           `json:"claims"`
	Count           int               `json:"count"`
	Circuit         ShardCircuitInfo  `json:"circuit"`
	Setup           SetupInfo         `json:"setup"`
	VerifyingKey    map[string]string `json:"verifyingKey"`
	VerifyingKeyRaw []byte            `json:"verifyingKeyBytes"`
	Proof           ShardProof        `json:"proof"`
	Secret          *ShardSecret      `json:"secret,omitempty"`
	Producer        ProducerInfo      `json:"producer"`
	ProvedAt        time.Time         `json:"provedAt"`
}

// ShardSecret opens a shard's commitment to its hidden counts.
type ShardSecret struct {
	HiddenCounts []int64 `json:"hiddenCounts"`
	Salt         string  `json:"salt"` // 0x hex field element
}

// Marshal encodes the statement as indented JSON.
func (s *ShardedStatement) Marshal() ([]byte, error) { return jsonfile.Indent(s) }

// IsSharded reports whether data is a statement with the sharded
// predicate type.
func IsSharded(data []byte) bool {
	var head struct {
		PredicateType string `json:"predicateType"`
	}
	return json.Unmarshal(data, &head) == nil && (head.PredicateType == ShardedPredicateType || slices.Contains(ShardedPredicateTypesOld, head.PredicateType))
}

// ParseSharded decodes a sharded statement strictly (see Parse).
func ParseSharded(data []byte, source string) (*ShardedStatement, error) {
	var head struct {
		PredicateType string `json:"predicateType"`
	}
	if json.Unmarshal(data, &head) == nil && slices.Contains(ShardedPredicateTypesOld, head.PredicateType) {
		return nil, fmt.Errorf("%w: %s: predicate type %s binds its shards' samples by a Poseidon2 digest, which this zkeval no longer verifies (it reads %s); prove the shards again with this zkeval and combine them", ErrShardedVersion, source, head.PredicateType, ShardedPredicateType)
	}
	var s ShardedStatement
	if err := strictDecode(data, source, docKind{what: "zkeval sharded attestation"}, &s); err != nil {
		return nil, err
	}
	if err := checkHeader(source, s.Type, s.PredicateType, ShardedPredicateType, ShardedPredicateTypesOld[0], s.Subject, s.Predicate.Model, s.Predicate.Benchmark, s.Predicate.Claims); err != nil {
		return nil, err
	}
	p := &s.Predicate
	switch {
	case len(p.Shards.Proofs) == 0:
		return nil, fmt.Errorf("%s: predicate.shards.proofs is empty", source)
	case p.Shards.VerifyingKey["sha256"] == "":
		return nil, fmt.Errorf("%s: predicate.shards.verifyingKey.sha256 is missing", source)
	}
	return &s, nil
}

// ReadShardFile reads and parses a shard proof file strictly. A file of
// an old format is a *ShardFileVersionError.
func ReadShardFile(path string) (*ShardFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var head struct {
		Format string `json:"format"`
	}
	if json.Unmarshal(data, &head) == nil && slices.Contains(ShardFileFormatsOld, head.Format) {
		return nil, &ShardFileVersionError{Path: path, Format: head.Format}
	}
	var f ShardFile
	if err := strictDecode(data, path, docKind{what: "zkeval shard proof"}, &f); err != nil {
		return nil, err
	}
	if f.Format != ShardFileFormat {
		return nil, fmt.Errorf("%s: format %q, want %q", path, f.Format, ShardFileFormat)
	}
	// Shard files written before predicate v0.3 name the comparator
	// "comparison"; read both, never both at once.
	legacy := len(f.Claims) > 0 && f.Claims[0].LegacyComparison != ""
	if err := normalizeClaims(f.Claims, legacy, path); err != nil {
		return nil, err
	}
	return &f, nil
}
