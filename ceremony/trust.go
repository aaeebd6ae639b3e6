package ceremony

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/zkeval/zkeval/envelope"
	"github.com/zkeval/zkeval/internal/safefile"
)

// A transcript names its participants, but a name is only what whoever
// wrote the manifest typed. What a verifier can rely on is a signature by a
// key the verifier already holds for a person it trusts to have destroyed
// their randomness. The keys are sound when one participant of phase 1 and
// one of phase 2 did so (Bowe, Gabizon and Miers 2017; α, β and τ come from
// phase 1, δ and the commitment key's σ from phase 2, and knowing τ alone
// is enough to forge proofs). So a ceremony counts as checked, for a
// verifier, only when at least one phase-1 contribution and at least one
// phase-2 contribution are signed by keys that verifier trusts.

// Participant is a contributor a verifier trusts: the verifier's name for
// them and the Ed25519 public key it holds for them (`zkeval keygen`).
type Participant struct {
	Name  string
	Key   ed25519.PublicKey
	KeyID string
	File  string // where the key was read from
}

// ErrParticipant is wrapped by errors in how a trusted participant is
// written (NAME=KEY.pub, a valid name, one name per key); an error reading
// the key file does not wrap it.
var ErrParticipant = errors.New("trusted participants")

// ReadParticipant parses NAME=KEY.pub and reads the public key file.
func ReadParticipant(spec string) (Participant, error) {
	return readParticipant(spec, "")
}

func readParticipant(spec, base string) (Participant, error) {
	name, path, ok := strings.Cut(spec, "=")
	name, path = strings.TrimSpace(name), strings.TrimSpace(path)
	if !ok || name == "" || path == "" {
		return Participant{}, fmt.Errorf("%w: %q: give NAME=KEY.pub (the participant's public key from zkeval keygen)", ErrParticipant, spec)
	}
	if err := CheckName(name); err != nil {
		return Participant{}, fmt.Errorf("%w: %v", ErrParticipant, err)
	}
	if base != "" && !filepath.IsAbs(path) {
		path = filepath.Join(base, path)
	}
	pub, err := envelope.ReadPublicKey(path)
	if err != nil {
		return Participant{}, fmt.Errorf("trusted participant %s: %w", name, err)
	}
	id, err := envelope.KeyID(pub)
	if err != nil {
		return Participant{}, err
	}
	return Participant{Name: name, Key: pub, KeyID: id, File: path}, nil
}

// ReadParticipantsFile reads a file of trusted participants: one NAME=KEY.pub
// per line, key paths relative to the file's directory; blank lines and
// lines starting with # are skipped.
func ReadParticipantsFile(path string) ([]Participant, error) {
	data, err := safefile.ReadFileFollow(path, 1<<20, "participants file")
	if err != nil {
		return nil, err
	}
	var out []Participant
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p, err := readParticipant(line, filepath.Dir(path))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		out = append(out, p)
	}
	return out, sc.Err()
}

// CheckParticipants refuses a list in which one key is given two names.
func CheckParticipants(ps []Participant) error {
	byKey := map[string]string{}
	for _, p := range ps {
		if other, ok := byKey[p.KeyID]; ok && other != p.Name {
			return fmt.Errorf("%w: key %s is given as both %q and %q", ErrParticipant, p.KeyID, other, p.Name)
		}
		byKey[p.KeyID] = p.Name
	}
	return nil
}

// ContributionTrust says who signed a contribution and whether the
// verifier trusts that key.
type ContributionTrust struct {
	Index       int    `json:"index"`
	Phase       int    `json:"phase"`
	Participant string `json:"participant"` // the name the transcript records
	KeyID       string `json:"keyId"`
	// TrustedAs is the verifier's name for the signing key, when it is a
	// trusted key; "" when the contribution is only named.
	TrustedAs string `json:"trustedAs,omitempty"`
}

// Trust is a verifier's assessment of a transcript's contributors.
type Trust struct {
	Contributions []ContributionTrust `json:"contributions"`
	// Checked: the transcript is sealed, and each phase has at least one
	// contribution signed by a trusted key.
	Checked bool `json:"checked"`
	// Trusted names the trusted contributions, "alice (phase 1)".
	Trusted []string `json:"trusted"`
	// Reason says what Checked rests on, or why the ceremony is not
	// checked.
	Reason string `json:"reason"`
}

// Assess says which contributions of m are signed by a trusted key. The
// signatures themselves were checked when m was parsed.
func Assess(m *Manifest, trusted []Participant) *Trust {
	byKey := map[string]string{}
	for _, p := range trusted {
		byKey[p.KeyID] = p.Name
	}
	t := &Trust{Contributions: []ContributionTrust{}, Trusted: []string{}}
	var perPhase [3][]string
	for _, c := range m.Contributions {
		ct := ContributionTrust{Index: c.Index, Phase: c.Phase, Participant: c.Participant, KeyID: c.Signature.KeyID, TrustedAs: byKey[c.Signature.KeyID]}
		t.Contributions = append(t.Contributions, ct)
		if ct.TrustedAs != "" {
			perPhase[c.Phase] = append(perPhase[c.Phase], ct.TrustedAs)
			t.Trusted = append(t.Trusted, fmt.Sprintf("%s (phase %d)", ct.TrustedAs, c.Phase))
		}
	}
	var missing []string
	for phase := 1; phase <= 2; phase++ {
		if len(perPhase[phase]) == 0 {
			missing = append(missing, fmt.Sprintf("phase %d", phase))
		}
	}
	switch {
	case len(trusted) == 0:
		t.Reason = "no trusted participant given (--participant NAME=KEY.pub): every contribution is only named, and its name is whatever the manifest says"
	case m.Seal == nil:
		t.Reason = fmt.Sprintf("the transcript is not sealed (%s)", m.Stage())
	case len(missing) > 0:
		t.Reason = fmt.Sprintf("no %s contribution is signed by a key you trust; the keys are sound only if one participant of each phase destroyed their randomness", strings.Join(missing, " or "))
	default:
		t.Checked = true
		t.Reason = fmt.Sprintf("the keys are sound if one of the trusted phase-1 contributors (%s) and one of the trusted phase-2 contributors (%s) destroyed their randomness", quoted(dedupe(perPhase[1])), quoted(dedupe(perPhase[2])))
	}
	return t
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func quoted(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
