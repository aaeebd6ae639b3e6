package ceremony

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/internal/atomicfile"
	"github.com/zkeval/zkeval/internal/jsonfile"
	"github.com/zkeval/zkeval/internal/safefile"
)

// ManifestFile is the name of the manifest inside a ceremony directory.
const ManifestFile = "ceremony.json"

// Format is the manifest format written and read by this version. Format
// v1 had unsigned contributions and is refused.
const Format = "zkeval-ceremony/v2"

// MaxPhase1Size bounds the phase-1 size N: 2^28 is the largest FFT domain of
// the BN254 scalar field (its 2-adicity).
const MaxPhase1Size = 1 << 28

// Limits on participant names, beacons and the manifest itself.
const (
	MaxNameLen     = 100
	MinBeaconBytes = 16
	MaxBeaconBytes = 1024
	// MaxManifestBytes bounds ceremony.json, which is read whole: a
	// contribution takes about 700 bytes of it.
	MaxManifestBytes = 16 << 20
	// MaxContributions bounds the contributions of one transcript.
	MaxContributions = 10000
)

// Manifest is the ceremony transcript's index, ceremony.json. Every file it
// names lies in the same directory and is named with its SHA-256 and size.
type Manifest struct {
	Format        string         `json:"format"`
	Circuit       Circuit        `json:"circuit"`
	Phase1        Phase1Info     `json:"phase1"`
	Phase2        *Phase2Info    `json:"phase2,omitempty"`
	Contributions []Contribution `json:"contributions"`
	Seal          *SealInfo      `json:"seal,omitempty"`
}

// Circuit names the circuit of phase 2: its id, the public description the
// id hashes, its number of constraints, and the SHA-256 of its compiled
// constraint system in gnark's encoding (the constraints.r1cs of a keys
// directory). The description is exactly one of Public (an evaluation
// circuit, circuits.Public), Shard (a shard circuit, desc.Shard) and
// Totals (a totals circuit, desc.Totals); see Target. The id binds the
// description and the circuit version; the constraint-system digest binds
// what the compiler made of them, which Verify recompiles and compares.
type Circuit struct {
	ID                     string           `json:"id"`
	Public                 *circuits.Public `json:"public,omitempty"`
	Shard                  *desc.Shard      `json:"shard,omitempty"`
	Totals                 *desc.Totals     `json:"totals,omitempty"`
	Constraints            int              `json:"constraints"`
	ConstraintSystemSHA256 string           `json:"constraintSystemSha256"`
}

// Phase1Info describes phase 1 ("powers of tau"). Size is the FFT domain
// size N, a power of two at least the circuit's number of constraints; a
// phase-1 contribution file is 192·N + 265 bytes. InitialSHA256 is the
// SHA-256 of the gnark encoding of the empty phase-1 state of size N, on
// which the first contribution is computed. Once phase 1 is closed, Beacon
// (hex) is the public random beacon applied to it, BeaconSource where that
// value comes from (see DescribeBeacon), and ResultSHA256 the SHA-256 of the
// gnark encoding of the resulting SRS commons.
type Phase1Info struct {
	Size          uint64     `json:"size"`
	InitialSHA256 string     `json:"initialSha256"`
	Beacon        string     `json:"beacon,omitempty"`
	BeaconSource  string     `json:"beaconSource,omitempty"`
	ClosedAt      *time.Time `json:"closedAt,omitempty"`
	ResultSHA256  string     `json:"resultSha256,omitempty"`
}

// Phase2Info describes phase 2: the initial state that gnark's
// Phase2.Initialize derives from the circuit and the phase-1 result, kept
// as a file so that contributors need nothing else.
type Phase2Info struct {
	Initial FileRef `json:"initial"`
}

// FileRef names a file of the ceremony directory with its SHA-256 and size.
type FileRef struct {
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
}

// Contribution is one participant's contribution. Index counts from 1 over
// the whole transcript (phase 1, then phase 2). SHA256 is the digest of the
// contribution file, which is also the gnark hash of the state it holds;
// PreviousSHA256 is the digest of the state it was computed on, which gnark
// records in the file as the contribution's challenge. Signature is the
// participant's Ed25519 signature over the contribution (see
// ContributionStatement): the name is the participant's own claim, the key
// is what a verifier can trust.
type Contribution struct {
	Index          int       `json:"index"`
	Phase          int       `json:"phase"`
	Participant    string    `json:"participant"`
	File           string    `json:"file"`
	SHA256         string    `json:"sha256"`
	Bytes          int64     `json:"bytes"`
	PreviousSHA256 string    `json:"previousSha256"`
	Time           time.Time `json:"time"`
	Signature      Signature `json:"signature"`
}

// SealInfo records the final step: the beacon applied to phase 2, where it
// comes from, and the SHA-256 and size of the keys it yields, the verifying
// key in gnark's compressed encoding (WriteTo) and the proving key in its
// raw encoding (WriteRawTo), as in a keys directory.
type SealInfo struct {
	Beacon             string    `json:"beacon"`
	BeaconSource       string    `json:"beaconSource,omitempty"`
	SealedAt           time.Time `json:"sealedAt"`
	VerifyingKeySHA256 string    `json:"verifyingKeySha256"`
	ProvingKeySHA256   string    `json:"provingKeySha256"`
	ProvingKeyBytes    int64     `json:"provingKeyBytes"`
	// FromSealState records that the seal was computed from a seal state
	// (SealOptions.SealState) rather than from the transcript alone.
	FromSealState bool `json:"fromSealState,omitempty"`
}

// Stage is where a ceremony stands.
type Stage string

// The stages of a ceremony, in order.
const (
	StagePhase1 Stage = "phase 1 open"
	StagePhase2 Stage = "phase 2 open"
	StageSealed Stage = "sealed"
)

// Stage returns the manifest's stage.
func (m *Manifest) Stage() Stage {
	switch {
	case m.Seal != nil:
		return StageSealed
	case m.Phase2 != nil:
		return StagePhase2
	}
	return StagePhase1
}

// Count returns the number of contributions to phase (1 or 2).
func (m *Manifest) Count(phase int) int {
	n := 0
	for _, c := range m.Contributions {
		if c.Phase == phase {
			n++
		}
	}
	return n
}

// Sentinel errors; every error of this package that means "the transcript
// does not check" wraps ErrInvalid.
var (
	// ErrInvalid: the transcript, a contribution, a beacon or a key does not
	// check.
	ErrInvalid = errors.New("invalid ceremony transcript")
	// ErrState: the step does not fit the ceremony's stage (contributing to
	// a sealed ceremony, sealing before phase 2, ...), or another
	// contribution was added meanwhile.
	ErrState = errors.New("ceremony step out of order")
)

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
}

func stateErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrState, fmt.Sprintf(format, a...))
}

// ContributionError reports the contribution that failed and why. It wraps
// ErrInvalid, except when the file cannot be read (then it wraps the I/O
// error only).
type ContributionError struct {
	Index       int // 1-based position in the transcript; 0 for phase 2's initial state
	Phase       int
	Participant string
	File        string
	Err         error
	io          bool
}

func (e *ContributionError) Error() string {
	if e.Index == 0 {
		return fmt.Sprintf("phase-%d initial state (%s): %v", e.Phase, e.File, e.Err)
	}
	return fmt.Sprintf("contribution %d (phase %d, participant %q, file %s): %v", e.Index, e.Phase, e.Participant, e.File, e.Err)
}

// Unwrap returns ErrInvalid and the cause.
func (e *ContributionError) Unwrap() []error {
	if e.io {
		return []error{e.Err}
	}
	return []error{ErrInvalid, e.Err}
}

func contribErr(c *Contribution, err error) *ContributionError {
	return &ContributionError{Index: c.Index, Phase: c.Phase, Participant: c.Participant, File: c.File, Err: err}
}

// ReadManifest reads and checks dir/ceremony.json, a regular file of at
// most MaxManifestBytes. It also returns the file's bytes, whose SHA-256 is
// the transcript digest once sealed.
func ReadManifest(dir string) (*Manifest, []byte, error) {
	path := filepath.Join(dir, ManifestFile)
	data, err := safefile.ReadFile(path, MaxManifestBytes, "ceremony manifest")
	if errors.Is(err, safefile.ErrNotRegular) || errors.Is(err, safefile.ErrTooLarge) {
		return nil, nil, invalid("ceremony directory %s: %v", dir, err)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("ceremony directory %s: %w", dir, err)
	}
	m, err := ParseManifest(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, data, nil
}

// ParseManifest decodes a manifest strictly and checks its consistency
// (format, circuit id, sizes, names, signatures, order of contributions and
// stages). It applies the attestation parsers' rules: UTF-8, no unknown
// field, no trailing data, every key exactly once and in its own case; and
// the bytes must be the manifest's canonical encoding (as Seal writes it),
// so that one ceremony has one transcript digest. Errors wrap ErrInvalid.
func ParseManifest(data []byte) (*Manifest, error) {
	if len(data) > MaxManifestBytes {
		return nil, invalid("a manifest of %d bytes; a ceremony manifest has at most %d", len(data), MaxManifestBytes)
	}
	if !utf8.Valid(data) {
		return nil, invalid("not a ceremony manifest: not UTF-8 text")
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		if k := jsonfile.Kind(data); strings.HasPrefix(k, "zkeval-ceremony/") && k != Format {
			return nil, invalid("format %q; this zkeval reads %q (format v1 transcripts have unsigned contributions: run the ceremony again with this zkeval)", k, Format)
		}
		return nil, invalid("not a ceremony manifest: %s", jsonfile.Describe(err))
	}
	if dec.More() {
		return nil, invalid("trailing data after the manifest")
	}
	if err := jsonfile.ExactKeys(data, &m); err != nil {
		return nil, invalid("not a ceremony manifest: %v", err)
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	canon, err := m.encode()
	if err != nil {
		return nil, invalid("manifest: %v", err)
	}
	if !bytes.Equal(canon, data) {
		return nil, invalid("the manifest is not in its canonical form (first difference at byte %d): a transcript has one encoding, so that its SHA-256 names one ceremony; zkeval writes it so, and a manifest edited by hand or re-indented is refused", firstDiff(canon, data))
	}
	return &m, nil
}

func firstDiff(a, b []byte) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

func (m *Manifest) check() error {
	if m.Format != Format {
		if m.Format == "zkeval-ceremony/v1" {
			return invalid("format %q; this zkeval reads %q (format v1 transcripts have unsigned contributions: run the ceremony again with this zkeval)", m.Format, Format)
		}
		return invalid("format %q; this zkeval reads %q", m.Format, Format)
	}
	id, err := m.Circuit.descID()
	if err != nil {
		return err
	}
	if hex.EncodeToString(id[:]) != m.Circuit.ID {
		return invalid("circuit id %s does not match the circuit description, which hashes to %x (altered, or written by a zkeval whose circuit description differs)", m.Circuit.ID, id)
	}
	n := m.Phase1.Size
	if n < 2 || n > MaxPhase1Size || n&(n-1) != 0 {
		return invalid("phase-1 size %d is not a power of two in [2, 2^28]", n)
	}
	if m.Circuit.Constraints < 1 || uint64(m.Circuit.Constraints) > n {
		return invalid("the circuit has %d constraints but phase 1 has size %d", m.Circuit.Constraints, n)
	}
	if !isDigest(m.Circuit.ConstraintSystemSHA256) {
		return invalid("circuit.constraintSystemSha256 is not a SHA-256 digest")
	}
	if len(m.Contributions) > MaxContributions {
		return invalid("%d contributions; a transcript has at most %d", len(m.Contributions), MaxContributions)
	}
	if !isDigest(m.Phase1.InitialSHA256) {
		return invalid("phase1.initialSha256 is not a SHA-256 digest")
	}
	closed := m.Phase1.ResultSHA256 != ""
	if closed != (m.Phase1.Beacon != "") || closed != (m.Phase1.ClosedAt != nil) {
		return invalid("phase 1 must record its beacon, closing time and result together")
	}
	if closed {
		if err := checkRecordedBeacon(m.Phase1.Beacon, m.Phase1.BeaconSource); err != nil {
			return invalid("phase-1 beacon: %v", err)
		}
		if !isDigest(m.Phase1.ResultSHA256) {
			return invalid("phase1.resultSha256 is not a SHA-256 digest")
		}
	}
	if m.Phase2 != nil {
		if !closed {
			return invalid("phase 2 started but phase 1 is not closed")
		}
		if err := checkFileRef(m.Phase2.Initial); err != nil {
			return invalid("phase2.initial: %v", err)
		}
	}
	if m.Seal != nil {
		if m.Phase2 == nil {
			return invalid("sealed without phase 2")
		}
		if err := checkRecordedBeacon(m.Seal.Beacon, m.Seal.BeaconSource); err != nil {
			return invalid("seal beacon: %v", err)
		}
		if !isDigest(m.Seal.VerifyingKeySHA256) || !isDigest(m.Seal.ProvingKeySHA256) {
			return invalid("seal: key digests must be SHA-256 hex")
		}
		if m.Seal.ProvingKeyBytes <= 0 {
			return invalid("seal: proving key size %d", m.Seal.ProvingKeyBytes)
		}
		if m.Count(1) == 0 || m.Count(2) == 0 {
			return invalid("sealed with no contribution to phase 1 or phase 2")
		}
	}
	files := map[string]bool{ManifestFile: true}
	if m.Phase2 != nil {
		files[m.Phase2.Initial.File] = true
	}
	last := 1
	for i, c := range m.Contributions {
		if c.Index != i+1 {
			return invalid("contribution %d has index %d", i+1, c.Index)
		}
		if c.Phase != 1 && c.Phase != 2 {
			return invalid("contribution %d: phase %d", c.Index, c.Phase)
		}
		if c.Phase < last {
			return invalid("contribution %d: a phase-1 contribution after phase 2 began", c.Index)
		}
		last = c.Phase
		if c.Phase == 2 && m.Phase2 == nil {
			return invalid("contribution %d: a phase-2 contribution before phase 2 began", c.Index)
		}
		if err := CheckName(c.Participant); err != nil {
			return invalid("contribution %d: %v", c.Index, err)
		}
		if err := checkFileRef(FileRef{File: c.File, SHA256: c.SHA256, Bytes: c.Bytes}); err != nil {
			return invalid("contribution %d: %v", c.Index, err)
		}
		if !isDigest(c.PreviousSHA256) {
			return invalid("contribution %d: previousSha256 is not a SHA-256 digest", c.Index)
		}
		if files[c.File] {
			return invalid("contribution %d: file %s is named twice", c.Index, c.File)
		}
		files[c.File] = true
		if err := c.verifySignature(m); err != nil {
			return &ContributionError{Index: c.Index, Phase: c.Phase, Participant: c.Participant, File: c.File, Err: err}
		}
	}
	return nil
}

func checkFileRef(f FileRef) error {
	if err := checkFileName(f.File); err != nil {
		return err
	}
	if !isDigest(f.SHA256) {
		return fmt.Errorf("file %s: sha256 %q is not a SHA-256 digest", f.File, f.SHA256)
	}
	if f.Bytes <= 0 {
		return fmt.Errorf("file %s: size %d", f.File, f.Bytes)
	}
	return nil
}

// checkFileName accepts plain file names: no directories, no "..", no
// hidden files, printable ASCII.
func checkFileName(name string) error {
	if name == "" || name != filepath.Base(name) || strings.ContainsAny(name, `/\:`) || strings.HasPrefix(name, ".") || name == ManifestFile {
		return fmt.Errorf("file name %q is not a plain file name of the ceremony directory", name)
	}
	for _, r := range name {
		if r < 0x21 || r > 0x7e {
			return fmt.Errorf("file name %q has characters outside printable ASCII", name)
		}
	}
	return nil
}

func isDigest(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// CheckName checks a participant name: 1 to 100 characters, printable, no
// leading or trailing space.
func CheckName(name string) error {
	if name == "" {
		return errors.New("empty participant name")
	}
	if len([]rune(name)) > MaxNameLen {
		return fmt.Errorf("participant name longer than %d characters", MaxNameLen)
	}
	if strings.TrimSpace(name) != name {
		return fmt.Errorf("participant name %q has leading or trailing space", name)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("participant name %q has a non-printable character", name)
		}
	}
	return nil
}

// encode returns the manifest's file bytes: indented JSON and a newline.
func (m *Manifest) encode() ([]byte, error) {
	return jsonfile.Indent(m)
}

// writeManifest writes dir/ceremony.json atomically and returns its bytes.
// Steps that change an existing manifest go through updateManifest, which
// holds the directory's lock.
func writeManifest(dir string, m *Manifest) ([]byte, error) {
	data, err := m.encode()
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, ManifestFile), data, 0o644); err != nil {
		return nil, err
	}
	return data, nil
}

// Digest returns the lowercase hex SHA-256 of data.
func Digest(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

func now() time.Time { return time.Now().UTC().Truncate(time.Second) }
