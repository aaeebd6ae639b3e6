package ceremony

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/zkeval/zkeval/envelope"
)

// ContributionPayloadType is the DSSE payload type of a signed contribution
// statement.
const ContributionPayloadType = "application/vnd.zkeval.ceremony-contribution+json"

// ContributionStatementType names the statement format inside the payload.
const ContributionStatementType = "zkeval-ceremony-contribution/v1"

// Signature is a participant's signature over their contribution: a DSSE
// signature (the Ed25519 signature of DSSE's pre-authentication encoding of
// ContributionPayloadType and the statement's JSON), so that the manifest's
// record rebuilds into a DSSE envelope any DSSE verifier checks. KeyID is
// the OpenSSH-style SHA-256 fingerprint of PublicKey, as `zkeval keygen`
// prints it; PublicKey (32 bytes) and Sig (64 bytes) are standard base64.
type Signature struct {
	KeyID     string `json:"keyId"`
	PublicKey string `json:"publicKey"`
	Sig       string `json:"sig"`
}

// ContributionStatement is what a participant signs: the contribution's
// SHA-256 and the SHA-256 of the state it extends, its phase and time, the
// participant's name, and what the contribution belongs to. A phase-2
// contribution names the circuit id. A phase-1 contribution names the
// phase-1 size instead: phase 1 is shared by every circuit whose ceremony
// reuses it (Init with Phase1From), and its hash chain from the empty state
// of that size already fixes every state before it; a circuit id there
// would tie the powers of tau to one circuit.
type ContributionStatement struct {
	Type           string `json:"type"`
	Phase          int    `json:"phase"`
	Phase1Size     uint64 `json:"phase1Size,omitempty"`
	CircuitID      string `json:"circuitId,omitempty"`
	Participant    string `json:"participant"`
	SHA256         string `json:"sha256"`
	PreviousSHA256 string `json:"previousSha256"`
	Time           string `json:"time"` // RFC 3339, UTC, seconds
}

// Statement returns the statement c's signature covers, in transcript m.
func (c *Contribution) Statement(m *Manifest) ContributionStatement {
	s := ContributionStatement{Type: ContributionStatementType, Phase: c.Phase, Participant: c.Participant,
		SHA256: c.SHA256, PreviousSHA256: c.PreviousSHA256, Time: c.Time.UTC().Format(time.RFC3339)}
	if c.Phase == 1 {
		s.Phase1Size = m.Phase1.Size
	} else {
		s.CircuitID = m.Circuit.ID
	}
	return s
}

// Payload returns the statement's JSON, the DSSE payload that is signed.
func (s ContributionStatement) Payload() []byte {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err) // strings and integers only
	}
	return b
}

// sign signs c (whose every other field is set) with priv.
func (c *Contribution) sign(m *Manifest, priv ed25519.PrivateKey) error {
	pub := priv.Public().(ed25519.PublicKey)
	id, err := envelope.KeyID(pub)
	if err != nil {
		return err
	}
	sig := envelope.SignDetached(priv, ContributionPayloadType, c.Statement(m).Payload())
	c.Signature = Signature{KeyID: id, PublicKey: base64.StdEncoding.EncodeToString(pub), Sig: base64.StdEncoding.EncodeToString(sig)}
	return nil
}

// PublicKey decodes the signature's public key.
func (s Signature) publicKey() (ed25519.PublicKey, error) {
	pub, err := base64.StdEncoding.Strict().DecodeString(s.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize || base64.StdEncoding.EncodeToString(pub) != s.PublicKey {
		return nil, fmt.Errorf("signature.publicKey is not a 32-byte Ed25519 key in standard base64")
	}
	return pub, nil
}

// verifySignature checks that c is signed by the key it records, and that
// the key id is that key's.
func (c *Contribution) verifySignature(m *Manifest) error {
	s := c.Signature
	pub, err := s.publicKey()
	if err != nil {
		return err
	}
	if id, _ := envelope.KeyID(pub); id != s.KeyID {
		return fmt.Errorf("signature.keyId %q is not the id of its public key (%s)", s.KeyID, id)
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(s.Sig)
	if err != nil || len(sig) != ed25519.SignatureSize || base64.StdEncoding.EncodeToString(sig) != s.Sig {
		return fmt.Errorf("signature.sig is not a 64-byte Ed25519 signature in standard base64")
	}
	if !envelope.VerifyDetached(pub, ContributionPayloadType, c.Statement(m).Payload(), sig) {
		return fmt.Errorf("the signature by key %s does not verify: the contribution's name, phase, time, digests or circuit were changed after it was signed, or it was signed for another ceremony", s.KeyID)
	}
	return nil
}
