package verifier

import (
	"crypto/ed25519"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/zkeval/zkeval/envelope"
	"github.com/zkeval/zkeval/internal/jsonfile"
)

// Opened is an attestation file opened for checking: the statement's
// bytes and what is known of their signature.
type Opened struct {
	Statement []byte
	// SignedBy is the key id of the --signer key whose signature verified;
	// "" when none was required.
	SignedBy string
	// Warning is set for an envelope whose signature was not checked.
	Warning string
}

// Open returns the statement in data, an attestation file named file: a
// bare in-toto statement, or a DSSE envelope (envelope.Open). With signer
// set, data must be an envelope with a signature by that key; without it,
// an envelope's signature is not checked and Warning says so. Errors wrap
// ErrInvalid.
func Open(data []byte, file string, signer ed25519.PublicKey) (*Opened, error) {
	if !envelope.IsEnvelope(data) {
		if signer != nil {
			id, _ := envelope.KeyID(signer)
			return nil, invalid("%s is a bare statement, not a DSSE envelope, so it carries no signature by key %s", file, id)
		}
		return &Opened{Statement: data}, nil
	}
	// encoding/json keeps the last of repeated keys and matches keys
	// without regard to case; other readers of the envelope do not. Refuse
	// both, as for the statement, so that the payload checked here is the
	// one every reader of the envelope sees.
	if err := jsonfile.ExactKeys(data, &dsse.Envelope{}); err != nil {
		return nil, invalid("%s: not a DSSE envelope: %v", file, err)
	}
	payload, _, err := envelope.Open(data, file, signer)
	if err != nil {
		return nil, invalid("%v", err)
	}
	o := &Opened{Statement: payload}
	if signer != nil {
		o.SignedBy, _ = envelope.KeyID(signer)
	} else {
		o.Warning = "the DSSE envelope's signature was not checked: pass --signer LAB.pub"
	}
	return o, nil
}
