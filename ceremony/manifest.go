package ceremony

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/zkeval/zkeval/internal/jsonfile"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/internal/atomicfile"
)

// ManifestFile is the name of the manifest inside a ceremony directory.
const ManifestFile = "ceremony.json"

// Format is the manifest format written and read by this version.
const Format = "zkeval-ceremony/v1"

// MaxPhase1Size bounds the phase-1 size N: 2^28 is the largest FFT domain of
// the BN254 scalar field (its 2-adicity).
const MaxPhase1Size = 1 << 28

// Limits on participant names and beacons.
const (
	MaxNameLen     = 100
	MinBeaconBytes = 16
	MaxBeaconBytes = 1024
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
// id hashes (circuits.Public), and its number of constraints.
type Circuit struct {
	ID          string          `json:"id"`
	Public      circuits.Public `json:"public"`
	Constraints int             `json:"constraints"`
}

// Phase1Info describes phase 1 ("powers of tau"). Size is the FFT domain
// size N, a power of two at least the circuit's number of constraints; a
// phase-1 contribution file is 192·N + 265 bytes. InitialSHA256 is the
// SHA-256 of the gnark encoding of the empty phase-1 state of size N, on
// which the first contribution is computed. Once phase 1 is closed, Beacon
// (hex) is the public random beacon applied to it, and ResultSHA256 the
// SHA-256 of the gnark encoding of the resulting SRS commons.
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
// records in the file as the contribution's challenge.
type Contribution struct {
	Index          int       `json:"index"`
	Phase          int       `json:"phase"`
	Participant    string    `json:"participant"`
	File           string    `json:"file"`
	SHA256         string    `json:"sha256"`
	Bytes          int64     `json:"bytes"`
	PreviousSHA256 string    `json:"previousSha256"`
	Time           time.Time `json:"time"`
}

// SealInfo records the final step: the beacon applied to phase 2 and the
// SHA-256 of the keys it yields, the verifying key in gnark's compressed
// encoding (WriteTo) and the proving key in its raw encoding (WriteRawTo),
// as in a keys directory.
type SealInfo struct {
	Beacon             string    `json:"beacon"`
	BeaconSource       string    `json:"beaconSource,omitempty"`
	SealedAt           time.Time `json:"sealedAt"`
	VerifyingKeySHA256 string    `json:"verifyingKeySha256"`
	ProvingKeySHA256   string    `json:"provingKeySha256"`
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

// ReadManifest reads and checks dir/ceremony.json. It also returns the
// file's bytes, whose SHA-256 is the transcript digest once sealed.
func ReadManifest(dir string) (*Manifest, []byte, error) {
	path := filepath.Join(dir, ManifestFile)
	data, err := os.ReadFile(path)
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
// (format, circuit id, sizes, names, order of contributions and stages).
// Errors wrap ErrInvalid.
func ParseManifest(data []byte) (*Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, invalid("not a ceremony manifest: %v", err)
	}
	if dec.More() {
		return nil, invalid("trailing data after the manifest")
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	return &m, nil
}

func (m *Manifest) check() error {
	if m.Format != Format {
		return invalid("format %q; this zkeval reads %q", m.Format, Format)
	}
	id := m.Circuit.Public.ID()
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
	if !isDigest(m.Phase1.InitialSHA256) {
		return invalid("phase1.initialSha256 is not a SHA-256 digest")
	}
	closed := m.Phase1.ResultSHA256 != ""
	if closed != (m.Phase1.Beacon != "") || closed != (m.Phase1.ClosedAt != nil) {
		return invalid("phase 1 must record its beacon, closing time and result together")
	}
	if closed {
		if _, err := ParseBeacon(m.Phase1.Beacon); err != nil {
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
		if _, err := ParseBeacon(m.Seal.Beacon); err != nil {
			return invalid("seal beacon: %v", err)
		}
		if !isDigest(m.Seal.VerifyingKeySHA256) || !isDigest(m.Seal.ProvingKeySHA256) {
			return invalid("seal: key digests must be SHA-256 hex")
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

// ParseBeacon decodes a beacon given in hex (an optional 0x prefix
// allowed): 16 to 1,024 bytes, for instance a drand round's 32-byte
// randomness.
func ParseBeacon(s string) ([]byte, error) {
	h := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "0x"), "0X")
	b, err := hex.DecodeString(h)
	if err != nil {
		return nil, fmt.Errorf("beacon %q is not hex: %v", s, err)
	}
	if len(b) < MinBeaconBytes || len(b) > MaxBeaconBytes {
		return nil, fmt.Errorf("beacon of %d bytes; give %d to %d bytes of public randomness in hex", len(b), MinBeaconBytes, MaxBeaconBytes)
	}
	return b, nil
}

// encode returns the manifest's file bytes: indented JSON and a newline.
func (m *Manifest) encode() ([]byte, error) {
	return jsonfile.Indent(m)
}

// writeManifest writes dir/ceremony.json atomically and returns its bytes.
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
