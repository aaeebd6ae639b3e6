// Package envelope signs attestations in a DSSE envelope (Dead Simple
// Signing Envelope, https://github.com/secure-systems-lab/dsse) with an
// Ed25519 key (RFC 8032), through go-securesystemslib's dsse package, and
// verifies such envelopes. The payload is the in-toto statement with payload
// type "application/vnd.in-toto+json", as the in-toto attestation framework
// specifies.
//
// Keys are files: the private key as PKCS #8 PEM ("PRIVATE KEY", mode
// 0600), the public key as PKIX PEM ("PUBLIC KEY"). A key id is the
// OpenSSH-style SHA-256 fingerprint of the public key ("SHA256:" and
// unpadded base64), as dsse.SHA256KeyID computes it.
package envelope

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/zkeval/zkeval/internal/atomicfile"
	"github.com/zkeval/zkeval/internal/safefile"
)

// PayloadType is the DSSE payload type of an in-toto statement.
const PayloadType = "application/vnd.in-toto+json"

// ErrSignature is wrapped when an envelope's signature does not verify.
var ErrSignature = errors.New("signature does not verify")

type ed25519SignerVerifier struct {
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
}

func (s *ed25519SignerVerifier) Sign(_ context.Context, data []byte) ([]byte, error) {
	if s.priv == nil {
		return nil, errors.New("no private key")
	}
	return ed25519.Sign(s.priv, data), nil
}

func (s *ed25519SignerVerifier) Verify(_ context.Context, data, sig []byte) error {
	if !ed25519.Verify(s.pub, data, sig) {
		return ErrSignature
	}
	return nil
}

func (s *ed25519SignerVerifier) KeyID() (string, error) { return dsse.SHA256KeyID(s.pub) }

func (s *ed25519SignerVerifier) Public() crypto.PublicKey { return s.pub }

// GenerateKey writes a new Ed25519 key pair: privPath (PKCS #8 PEM, mode
// 0600) and pubPath (PKIX PEM). It refuses to overwrite either file.
func GenerateKey(privPath, pubPath string) (keyID string, err error) {
	if privPath == pubPath {
		return "", fmt.Errorf("the private and public key paths are both %s; give two files", privPath)
	}
	for _, p := range []string{privPath, pubPath} {
		if _, err := os.Stat(p); err == nil {
			return "", fmt.Errorf("%s already exists; zkeval never overwrites a key", p)
		}
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", err
	}
	pder, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	if err := atomicfile.WriteFile(privPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return "", err
	}
	if err := atomicfile.WriteFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pder}), 0o644); err != nil {
		os.Remove(privPath)
		return "", err
	}
	return dsse.SHA256KeyID(pub)
}

// maxKeyFile bounds a key file: an Ed25519 key in PEM is about 120 bytes.
const maxKeyFile = 64 << 10

func readPEM(path, want string) ([]byte, error) {
	// Only a regular file: a FIFO would block, a device never end.
	data, err := safefile.ReadFileFollow(path, maxKeyFile, "key file")
	if err != nil {
		return nil, err
	}
	b, _ := pem.Decode(data)
	if b == nil || b.Type != want {
		return nil, fmt.Errorf("%s: not a PEM %q block; make keys with `zkeval keygen`", path, want)
	}
	return b.Bytes, nil
}

// ReadPrivateKey reads an Ed25519 private key written by GenerateKey.
func ReadPrivateKey(path string) (ed25519.PrivateKey, error) {
	der, err := readPEM(path, "PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an Ed25519 key; zkeval signs with Ed25519", path)
	}
	return priv, nil
}

// ReadPublicKey reads an Ed25519 public key written by GenerateKey.
func ReadPublicKey(path string) (ed25519.PublicKey, error) {
	der, err := readPEM(path, "PUBLIC KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an Ed25519 key", path)
	}
	return pub, nil
}

// Sign wraps the statement bytes in a DSSE envelope signed with priv.
func Sign(statement []byte, priv ed25519.PrivateKey) ([]byte, error) {
	sv := &ed25519SignerVerifier{priv: priv, pub: priv.Public().(ed25519.PublicKey)}
	es, err := dsse.NewEnvelopeSigner(sv)
	if err != nil {
		return nil, err
	}
	env, err := es.SignPayload(context.Background(), PayloadType, statement)
	if err != nil {
		return nil, err
	}
	data, err := json.MarshalIndent(env, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// IsEnvelope reports whether data looks like a DSSE envelope (a JSON object
// with payloadType, payload and signatures) rather than a bare statement.
func IsEnvelope(data []byte) bool {
	var probe struct {
		PayloadType *string          `json:"payloadType"`
		Payload     *string          `json:"payload"`
		Signatures  *json.RawMessage `json:"signatures"`
	}
	return json.Unmarshal(data, &probe) == nil && probe.PayloadType != nil && probe.Payload != nil && probe.Signatures != nil
}

// Open parses a DSSE envelope and returns its payload and the key ids of
// its signatures. With pub set, at least one signature must verify with it
// (else an error wrapping ErrSignature); without it, no signature is
// checked, and the caller must say so.
func Open(data []byte, source string, pub ed25519.PublicKey) (payload []byte, keyIDs []string, err error) {
	var env dsse.Envelope
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil {
		return nil, nil, fmt.Errorf("%s: not a DSSE envelope: %w", source, err)
	}
	if env.PayloadType != PayloadType {
		return nil, nil, fmt.Errorf("%s: payloadType %q; want %q", source, env.PayloadType, PayloadType)
	}
	for _, s := range env.Signatures {
		keyIDs = append(keyIDs, s.KeyID)
	}
	if pub == nil {
		payload, err = env.DecodeB64Payload()
		if err != nil {
			return nil, nil, fmt.Errorf("%s: payload: %w", source, err)
		}
		return payload, keyIDs, nil
	}
	ev, err := dsse.NewEnvelopeVerifier(&ed25519SignerVerifier{pub: pub})
	if err != nil {
		return nil, nil, err
	}
	_, payload, err = ev.VerifyAndDecode(context.Background(), &env)
	if err != nil {
		id, _ := dsse.SHA256KeyID(pub)
		return nil, nil, fmt.Errorf("%s: %w: no signature in the envelope verifies with key %s (signatures by %v)", source, ErrSignature, id, keyIDs)
	}
	return payload, keyIDs, nil
}

// KeyID returns the key id of a public key.
func KeyID(pub ed25519.PublicKey) (string, error) { return dsse.SHA256KeyID(pub) }

// SignDetached returns the DSSE signature of payload with payloadType: the
// Ed25519 signature of its pre-authentication encoding (DSSE PAE), the bytes
// a DSSE envelope's signature covers. A record that keeps the payload, its
// type and this signature can be checked by any DSSE verifier.
func SignDetached(priv ed25519.PrivateKey, payloadType string, payload []byte) []byte {
	return ed25519.Sign(priv, dsse.PAE(payloadType, payload))
}

// VerifyDetached checks a signature made by SignDetached.
func VerifyDetached(pub ed25519.PublicKey, payloadType string, payload, sig []byte) bool {
	return len(pub) == ed25519.PublicKeySize && ed25519.Verify(pub, dsse.PAE(payloadType, payload), sig)
}
