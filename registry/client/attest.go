package client

import (
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/envelope"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/verifier"
)

// ErrSignature is wrapped (with verifier.ErrInvalid) by CheckAttestation's
// errors about the envelope's signature: a bare statement where a signed
// envelope is required, or no signature by an expected key.
var ErrSignature = errors.New("signature check failed")

// StatementOf decodes the statement of an attestation (a bare statement or
// a DSSE envelope) without checking anything but its format: for display,
// and to find the verifying key it names.
func StatementOf(att []byte) (*attestation.Statement, error) {
	payload := att
	if envelope.IsEnvelope(att) {
		p, _, err := envelope.Open(att, "attestation", nil)
		if err != nil {
			return nil, err
		}
		payload = p
	}
	if attestation.IsSharded(payload) {
		return nil, fmt.Errorf("a sharded attestation: this log accepts single-proof attestations only")
	}
	return attestation.Parse(payload, "attestation")
}

// CheckAllowed checks that att is a DSSE envelope with a signature by one
// of allowed, and returns that key. Errors wrap ErrSignature and
// verifier.ErrInvalid.
func CheckAllowed(att []byte, allowed []ed25519.PublicKey) (ed25519.PublicKey, error) {
	if !envelope.IsEnvelope(att) {
		return nil, fmt.Errorf("%w: %w: a bare statement carries no signature: this log accepts only DSSE envelopes signed by a listed lab key", verifier.ErrInvalid, ErrSignature)
	}
	for _, k := range allowed {
		if _, _, err := envelope.Open(att, "attestation", k); err == nil {
			return k, nil
		}
	}
	_, signedBy, _ := envelope.Open(att, "attestation", nil)
	return nil, fmt.Errorf("%w: %w: no signature in the envelope (signatures by key ids %v) verifies with any of the %d lab keys this log accepts", verifier.ErrInvalid, ErrSignature, signedBy, len(allowed))
}

// Checked is an attestation that verified, as the log and its auditors
// check it.
type Checked struct {
	Result *verifier.Result
	// SignedBy is the key id (DSSE SHA-256 key id) of the key whose
	// signature on the envelope verified; "" for a bare statement.
	SignedBy string
	// Signer is that key.
	Signer ed25519.PublicKey
}

// CheckAttestation runs the checks of `zkeval verify ATT --vk VK`
// (package verifier: the proof, every digest, the circuit description and
// id, the claims) on att with the verifying key vk, and, for a DSSE
// envelope, checks its signature with one of signers. A bare statement
// needs no signer unless requireSigned is set; an envelope must carry a
// signature by one of signers. Errors wrap verifier.ErrInvalid.
func CheckAttestation(att, vk []byte, signers []ed25519.PublicKey, requireSigned bool) (*Checked, error) {
	if len(att) > MaxAttestation {
		return nil, fmt.Errorf("%w: the attestation is %d bytes; the limit is %d", verifier.ErrInvalid, len(att), MaxAttestation)
	}
	if len(vk) > MaxVerifyingKey {
		return nil, fmt.Errorf("%w: the verifying key is %d bytes; the limit is %d", verifier.ErrInvalid, len(vk), MaxVerifyingKey)
	}
	isEnv := envelope.IsEnvelope(att)
	if !isEnv && requireSigned {
		return nil, fmt.Errorf("%w: %w: a bare statement carries no signature: this log accepts only DSSE envelopes signed by a listed lab key", verifier.ErrInvalid, ErrSignature)
	}
	if isEnv && len(signers) == 0 {
		return nil, fmt.Errorf("%w: %w: a DSSE envelope needs the public key of its signer, so that its signature can be checked (zkeval publish --signer LAB.pub)", verifier.ErrInvalid, ErrSignature)
	}
	var opened *verifier.Opened
	var signer ed25519.PublicKey
	if !isEnv {
		o, err := verifier.Open(att, "attestation", nil)
		if err != nil {
			return nil, err
		}
		opened = o
	} else {
		var firstErr error
		for _, s := range signers {
			o, err := verifier.Open(att, "attestation", s)
			if err == nil {
				opened, signer = o, s
				break
			}
			if firstErr == nil {
				firstErr = err
			}
		}
		if opened == nil {
			if len(signers) > 1 {
				return nil, fmt.Errorf("%w: %w: no signature in the envelope verifies with any of the %d listed lab keys (first: %v)", verifier.ErrInvalid, ErrSignature, len(signers), firstErr)
			}
			return nil, fmt.Errorf("%w: %w", ErrSignature, firstErr)
		}
	}
	if attestation.IsSharded(opened.Statement) {
		return nil, fmt.Errorf("%w: a sharded attestation: this log accepts single-proof attestations only", verifier.ErrInvalid)
	}
	st, err := attestation.Parse(opened.Statement, "attestation")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", verifier.ErrInvalid, err)
	}
	got := keys.Digest(vk)
	if want := st.Predicate.Proof.VerifyingKey["sha256"]; want != got {
		return nil, fmt.Errorf("%w: the verifying key checked has SHA-256 %s, but the attestation was made for verifying key %s: use the key it names", verifier.ErrInvalid, got, want)
	}
	res, err := verifier.Verify(st, vk, "the verifying key (SHA-256 "+got+")", verifier.Options{AttestationFile: "attestation"})
	if err != nil {
		if !errors.Is(err, verifier.ErrInvalid) {
			err = fmt.Errorf("%w: %v", verifier.ErrInvalid, err)
		}
		return nil, err
	}
	c := &Checked{Result: res, Signer: signer}
	if signer != nil {
		c.SignedBy, _ = envelope.KeyID(signer)
	}
	return c, nil
}
