// Package client is the verifier side of the zkeval transparency log: the
// entry and receipt formats, offline checks of a receipt (checkpoint
// signature, inclusion), consistency between checkpoints, an HTTP client
// of the log (publish, fetch) and the auditor that re-verifies every
// entry. It never imports the server (package registry) or its storage.
//
// The log is a C2SP tlog-tiles log (https://c2sp.org/tlog-tiles) run by
// Tessera; checkpoints are C2SP signed notes (https://c2sp.org/signed-note)
// in the tlog-checkpoint format (https://c2sp.org/tlog-checkpoint), signed
// with an Ed25519 key; proofs are RFC 6962 (section 2.1) Merkle audit and
// consistency proofs. Parsing and proof checking are done by
// golang.org/x/mod/sumdb/note, transparency-dev/formats and
// transparency-dev/merkle.
package client

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/transparency-dev/merkle/rfc6962"
)

// EntryFormat names the format of a log entry.
const EntryFormat = "zkeval-log-entry/v1"

// ReceiptFormat names the format of a receipt.
const ReceiptFormat = "zkeval-log-receipt/v1"

// MaxAttestation bounds the attestation a log accepts, in bytes (47 KiB).
// An attestation is a few kilobytes. The bound comes from C2SP tlog-tiles,
// whose entries are at most 65,535 bytes: an entry holds the attestation
// in base64 (4/3 of its size) and about 300 bytes more.
const MaxAttestation = 47 << 10

// MaxVerifyingKey bounds the verifying key a log accepts, in bytes: a
// verifying key holds one G1 point per public input and is a few kilobytes.
const MaxVerifyingKey = 1 << 20

// MaxSubmission bounds a whole submission (the JSON body of POST /add, 2
// MiB): an attestation and a verifying key at their bounds, base64-encoded,
// and the rest of the object. A longer body is refused with 413 before it
// is read whole.
const MaxSubmission = 2 << 20

// Entry is one leaf of the log: an attestation (a bare in-toto statement
// or a DSSE envelope, byte for byte as submitted), the SHA-256 of the
// verifying key it was checked with (the log serves the key at
// /vk/SHA256), the public key whose signature on the envelope the log
// checked (absent for a bare statement), and the time the log appended it
// (the log's word, not covered by the lab's signature).
type Entry struct {
	Format       string            `json:"format"`
	Attestation  []byte            `json:"attestation"` // base64 in JSON
	VerifyingKey map[string]string `json:"verifyingKey"`
	// Signer is the Ed25519 public key (32 bytes, base64 in JSON) whose
	// DSSE signature on the attestation the log checked.
	Signer      []byte    `json:"signer,omitempty"`
	PublishedAt time.Time `json:"publishedAt"`
}

// Marshal encodes the entry as the bytes the log stores as its leaf.
func (e *Entry) Marshal() ([]byte, error) { return json.Marshal(e) }

// AttestationSHA256 is the hex SHA-256 of the attestation bytes: the
// identity by which the log finds a resubmitted attestation.
func (e *Entry) AttestationSHA256() string { return Digest(e.Attestation) }

// Digest is the hex SHA-256 of data.
func Digest(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// ParseEntry decodes a leaf. Unknown fields, trailing data and another
// format are errors.
func ParseEntry(data []byte) (*Entry, error) {
	var e Entry
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("log entry: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("log entry: data after the JSON object")
	}
	if e.Format != EntryFormat {
		return nil, fmt.Errorf("log entry: format %q; want %q", e.Format, EntryFormat)
	}
	if len(e.Attestation) == 0 {
		return nil, fmt.Errorf("log entry: no attestation")
	}
	if d := e.VerifyingKey["sha256"]; len(d) != 64 || len(e.VerifyingKey) != 1 {
		return nil, fmt.Errorf("log entry: verifyingKey must be {\"sha256\": 64 hex digits}")
	}
	if len(e.Signer) != 0 && len(e.Signer) != 32 {
		return nil, fmt.Errorf("log entry: signer is %d bytes; an Ed25519 public key has 32", len(e.Signer))
	}
	return &e, nil
}

// LeafHash is the RFC 6962 leaf hash of an entry's bytes: SHA-256(0x00 ||
// data).
func LeafHash(data []byte) []byte { return rfc6962.DefaultHasher.HashLeaf(data) }

// Receipt is what the log hands back for a published attestation: the
// entry's index and bytes, a checkpoint signed by the log that commits to
// it, and the inclusion proof of the entry in the checkpoint's tree.
type Receipt struct {
	Format string `json:"format"`
	// Log is the log's origin (the first line of its checkpoints).
	Log   string `json:"log"`
	Index uint64 `json:"index"`
	// Entry is the leaf, byte for byte (base64 in JSON).
	Entry []byte `json:"entry"`
	// Checkpoint is the signed note, as served at /checkpoint.
	Checkpoint string `json:"checkpoint"`
	// InclusionProof holds the RFC 6962 audit path of Entry at Index in
	// the tree of Checkpoint, leaf to root (each hash base64 in JSON).
	InclusionProof [][]byte `json:"inclusionProof"`
	// Duplicate is set when the attestation was already in the log: Index
	// is its first entry.
	Duplicate bool `json:"duplicate,omitempty"`
}

// ParseReceipt decodes a receipt strictly.
func ParseReceipt(data []byte, source string) (*Receipt, error) {
	var r Receipt
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%s: not a zkeval log receipt: %w", source, err)
	}
	if r.Format != ReceiptFormat {
		return nil, fmt.Errorf("%s: format %q; want %q", source, r.Format, ReceiptFormat)
	}
	return &r, nil
}
