package client

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

// ErrCheck is wrapped by every CheckError: the log, a receipt or an entry
// does not hold (as opposed to a file or URL that cannot be read).
var ErrCheck = errors.New("transparency log check failed")

// CheckError says which check failed, what it expected and what it found.
type CheckError struct {
	// Check names the check: "checkpoint signature", "inclusion",
	// "consistency", "entry attestation", "entry verifying key", ...
	Check    string
	Expected string
	Actual   string
	// Err is the underlying error, if any.
	Err error
}

func (e *CheckError) Error() string {
	var b strings.Builder
	b.WriteString(e.Check)
	b.WriteString(" check failed")
	if e.Expected != "" || e.Actual != "" {
		fmt.Fprintf(&b, ": expected %s, got %s", e.Expected, e.Actual)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

func (e *CheckError) Unwrap() []error { return []error{ErrCheck, e.Err} }

// LogKey is the log's public key: a note verifier key,
// "<origin>+<key hash>+<base64 Ed25519 key>" (golang.org/x/mod/sumdb/note).
type LogKey struct {
	note.Verifier
	Text string
}

// ParseLogKey parses a note verifier key; source names it in errors.
func ParseLogKey(text, source string) (*LogKey, error) {
	text = strings.TrimSpace(text)
	v, err := note.NewVerifier(text)
	if err != nil {
		return nil, fmt.Errorf("%s: not a log public key (want ORIGIN+HASH+KEY, as `zkeval log keygen` writes): %w", source, err)
	}
	return &LogKey{Verifier: v, Text: text}, nil
}

// ReadLogKey reads a log public key file.
func ReadLogKey(path string) (*LogKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(data) > 4096 {
		return nil, fmt.Errorf("%s: %d bytes, too long for a log public key", path, len(data))
	}
	return ParseLogKey(string(data), path)
}

// OpenCheckpoint checks that raw is a checkpoint of the log of key,
// signed by it, and returns it.
func OpenCheckpoint(raw []byte, key *LogKey) (*log.Checkpoint, error) {
	cp, _, _, err := log.ParseCheckpoint(raw, key.Name(), key.Verifier)
	if err != nil {
		return nil, &CheckError{Check: "checkpoint signature", Expected: fmt.Sprintf("a checkpoint of log %q signed by key %s", key.Name(), key.Text), Actual: firstLine(raw), Err: err}
	}
	return cp, nil
}

func firstLine(raw []byte) string {
	line, _, _ := bytes.Cut(raw, []byte("\n"))
	if len(line) > 80 {
		line = line[:80]
	}
	return fmt.Sprintf("a note whose first line is %q", line)
}

// VerifyInclusion checks that the leaf data is at index in the tree of cp,
// by the RFC 6962 audit path p.
func VerifyInclusion(cp *log.Checkpoint, index uint64, data []byte, p [][]byte) error {
	if index >= cp.Size {
		return &CheckError{Check: "inclusion", Expected: fmt.Sprintf("an index below the checkpoint's size %d", cp.Size), Actual: fmt.Sprintf("index %d", index)}
	}
	err := proof.VerifyInclusion(rfc6962.DefaultHasher, index, cp.Size, LeafHash(data), p, cp.Hash)
	if err != nil {
		got := "an audit path that does not apply"
		if root, rerr := proof.RootFromInclusionProof(rfc6962.DefaultHasher, index, cp.Size, LeafHash(data), p); rerr == nil {
			got = "root " + b64(root)
		}
		return &CheckError{Check: "inclusion", Expected: fmt.Sprintf("entry %d to lead to root %s of tree size %d", index, b64(cp.Hash), cp.Size), Actual: got, Err: err}
	}
	return nil
}

// VerifyConsistency checks that the tree of newer extends the tree of
// older, by the RFC 6962 consistency proof p.
func VerifyConsistency(older, newer *log.Checkpoint, p [][]byte) error {
	if newer.Size < older.Size {
		return &CheckError{Check: "consistency", Expected: fmt.Sprintf("a tree of at least %d entries (the checkpoint seen before)", older.Size), Actual: fmt.Sprintf("%d entries: the log shrank", newer.Size)}
	}
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, older.Size, newer.Size, p, older.Hash, newer.Hash); err != nil {
		return &CheckError{Check: "consistency",
			Expected: fmt.Sprintf("tree %d (root %s) to extend tree %d (root %s)", newer.Size, b64(newer.Hash), older.Size, b64(older.Hash)),
			Actual:   "a proof that does not connect them: the log rewrote its history", Err: err}
	}
	return nil
}

// ReceiptResult is a receipt that checked.
type ReceiptResult struct {
	Checkpoint *log.Checkpoint
	Entry      *Entry
}

// VerifyReceipt checks a receipt offline: the checkpoint is signed by the
// log's key, the entry is included at the receipt's index, the entry holds
// exactly the attestation bytes att and names the verifying key whose
// SHA-256 is vkSHA256.
// The receipt's log field must be the checkpoint's origin.
func VerifyReceipt(r *Receipt, key *LogKey, att []byte, vkSHA256 string) (*ReceiptResult, error) {
	cp, err := OpenCheckpoint([]byte(r.Checkpoint), key)
	if err != nil {
		return nil, err
	}
	if r.Log != cp.Origin {
		return nil, &CheckError{Check: "receipt log", Expected: fmt.Sprintf("the receipt's log field to be the checkpoint's origin %q", cp.Origin), Actual: fmt.Sprintf("%q", r.Log)}
	}
	return checkReceipt(r, cp, att, vkSHA256)
}

// CheckReceiptUnsigned checks what of a receipt can be checked without the
// log's key: the entry holds exactly att and names the verifying key
// vkSHA256, and the inclusion proof leads from it to the root of the
// receipt's checkpoint, whose signature is NOT checked (VerifyReceipt
// checks it). It tells a log that answered with another entry, or a proof
// for another tree, from one that did not.
func CheckReceiptUnsigned(r *Receipt, att []byte, vkSHA256 string) (*ReceiptResult, error) {
	text := []byte(r.Checkpoint)
	if i := bytes.Index(text, []byte("\n\n")); i >= 0 {
		text = text[:i+1]
	}
	cp := &log.Checkpoint{}
	if _, err := cp.Unmarshal(text); err != nil {
		return nil, &CheckError{Check: "receipt checkpoint", Expected: "a tlog-checkpoint note", Actual: firstLine([]byte(r.Checkpoint)), Err: err}
	}
	if r.Log != cp.Origin {
		return nil, &CheckError{Check: "receipt log", Expected: fmt.Sprintf("the receipt's log field to be the checkpoint's origin %q", cp.Origin), Actual: fmt.Sprintf("%q", r.Log)}
	}
	return checkReceipt(r, cp, att, vkSHA256)
}

func checkReceipt(r *Receipt, cp *log.Checkpoint, att []byte, vkSHA256 string) (*ReceiptResult, error) {
	if err := VerifyInclusion(cp, r.Index, r.Entry, r.InclusionProof); err != nil {
		return nil, err
	}
	e, err := ParseEntry(r.Entry)
	if err != nil {
		return nil, &CheckError{Check: "entry format", Expected: EntryFormat, Actual: "an entry that does not parse", Err: err}
	}
	if got, want := e.AttestationSHA256(), Digest(att); got != want {
		return nil, &CheckError{Check: "entry attestation", Expected: "the attestation with SHA-256 " + want, Actual: "an entry holding the attestation with SHA-256 " + got}
	}
	if got := e.VerifyingKey["sha256"]; got != vkSHA256 {
		return nil, &CheckError{Check: "entry verifying key", Expected: "verifying key SHA-256 " + vkSHA256, Actual: got}
	}
	return &ReceiptResult{Checkpoint: cp, Entry: e}, nil
}

func b64(h []byte) string { return base64.StdEncoding.EncodeToString(h) }
