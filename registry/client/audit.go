package client

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"sync"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/zkeval/zkeval/internal/atomicfile"
	"github.com/zkeval/zkeval/verifier"
)

// StateFormat names the format of an auditor's state file.
const StateFormat = "zkeval-log-audit-state/v1"

// State is what an auditor keeps between audits: the last checkpoint it
// checked, signed by the log.
type State struct {
	Format     string `json:"format"`
	Log        string `json:"log"`
	Checkpoint string `json:"checkpoint"`
}

// ReadState reads a state file; a missing file is a nil state (the first
// audit).
func ReadState(path string) (*State, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var s State
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil || s.Format != StateFormat {
		return nil, fmt.Errorf("%s: not a zkeval audit state file (%v)", path, err)
	}
	return &s, nil
}

// WriteState writes a state file atomically.
func WriteState(path string, s *State) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(data, '\n'), 0o644)
}

// AuditedEntry is the verdict on one entry.
type AuditedEntry struct {
	Index       uint64 `json:"index"`
	Valid       bool   `json:"valid"`
	Error       string `json:"error,omitempty"`
	SingleParty bool   `json:"singleParty,omitempty"`
}

// AuditReport is the outcome of an audit.
type AuditReport struct {
	Log string `json:"log"`
	// Size is the size of the checkpoint audited; Entries the entries read
	// (all of them).
	Size    uint64 `json:"size"`
	Entries int    `json:"entries"`
	Valid   int    `json:"valid"`
	Invalid int    `json:"invalid"`
	// SingleParty counts valid entries whose keys come from a single-party
	// setup (whoever ran it can forge proofs).
	SingleParty int `json:"singleParty"`
	// PreviousSize is the size of the checkpoint of the state file (0 on
	// a first audit); the log was checked consistent with it.
	PreviousSize uint64 `json:"previousSize"`
	// Consistent: the tree extends the previous checkpoint's, and the
	// entries served hash to the checkpoint's root.
	Consistent bool           `json:"consistent"`
	Checkpoint string         `json:"checkpoint"`
	Failures   []AuditedEntry `json:"failures"`
}

// Audit checks the whole log: the latest checkpoint is signed by key; it
// is consistent with prev (the state of the last audit, nil on the first);
// the entries it serves hash to the checkpoint's root; and every entry's
// attestation verifies (CheckAttestation, with the verifying key the log
// serves for it, checked against the digest the entry names, and the
// envelope's signature against the signer the entry names). A log that
// fails a check of the tree (signature, consistency, root) is an error
// (a *CheckError); invalid entries are counted and listed in the report.
func Audit(ctx context.Context, c *Client, key *LogKey, prev *State) (*AuditReport, error) {
	cp, raw, err := c.Checkpoint(ctx, key)
	if err != nil {
		return nil, err
	}
	rep := &AuditReport{Log: cp.Origin, Size: cp.Size, Checkpoint: string(raw), Failures: []AuditedEntry{}}
	if prev != nil {
		old, err := OpenCheckpoint([]byte(prev.Checkpoint), key)
		if err != nil {
			return nil, fmt.Errorf("the state file's checkpoint: %w", err)
		}
		if err := c.CheckConsistency(ctx, old, cp); err != nil {
			return nil, err
		}
		rep.PreviousSize = old.Size
	}

	rf := compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	rng := rf.NewEmptyRange(0)
	results := make([]AuditedEntry, cp.Size)
	vks := &vkCache{c: c, keys: map[string]*vkResult{}}
	jobs := make(chan job)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				results[j.idx] = auditEntry(ctx, vks, j.idx, j.data)
			}
		}()
	}
	var fetchErr error
	for b := uint64(0); b*256 < cp.Size && fetchErr == nil; b++ {
		entries, err := c.Bundle(ctx, b, cp.Size)
		if err != nil {
			fetchErr = fmt.Errorf("fetching entry bundle %d: %w", b, err)
			break
		}
		want := min(uint64(256), cp.Size-b*256)
		if uint64(len(entries)) != want {
			fetchErr = &CheckError{Check: "entry bundle", Expected: fmt.Sprintf("%d entries in bundle %d", want, b), Actual: fmt.Sprintf("%d", len(entries))}
			break
		}
		for i, data := range entries {
			if err := rng.Append(LeafHash(data), nil); err != nil {
				fetchErr = err
				break
			}
			jobs <- job{b*256 + uint64(i), data}
		}
	}
	close(jobs)
	wg.Wait()
	if fetchErr != nil {
		return nil, fetchErr
	}
	root, err := rng.GetRootHash(nil)
	if err != nil {
		return nil, err
	}
	if cp.Size == 0 {
		root = rfc6962.DefaultHasher.EmptyRoot()
	}
	if !bytes.Equal(root, cp.Hash) {
		return nil, &CheckError{Check: "tree root", Expected: fmt.Sprintf("the %d entries served to hash to the checkpoint's root %s", cp.Size, b64(cp.Hash)), Actual: "root " + b64(root)}
	}
	rep.Consistent = true
	for _, r := range results {
		rep.Entries++
		if r.Valid {
			rep.Valid++
			if r.SingleParty {
				rep.SingleParty++
			}
		} else {
			rep.Invalid++
			rep.Failures = append(rep.Failures, r)
		}
	}
	return rep, nil
}

type job struct {
	idx  uint64
	data []byte
}

type vkResult struct {
	once sync.Once
	data []byte
	err  error
}

type vkCache struct {
	c    *Client
	mu   sync.Mutex
	keys map[string]*vkResult
}

func (v *vkCache) get(ctx context.Context, digest string) ([]byte, error) {
	v.mu.Lock()
	r, ok := v.keys[digest]
	if !ok {
		r = &vkResult{}
		v.keys[digest] = r
	}
	v.mu.Unlock()
	r.once.Do(func() { r.data, r.err = v.c.VerifyingKey(ctx, digest) })
	return r.data, r.err
}

func auditEntry(ctx context.Context, vks *vkCache, idx uint64, data []byte) AuditedEntry {
	out := AuditedEntry{Index: idx}
	e, err := ParseEntry(data)
	if err != nil {
		out.Error = err.Error()
		return out
	}
	vk, err := vks.get(ctx, e.VerifyingKey["sha256"])
	if err != nil {
		out.Error = "verifying key: " + err.Error()
		return out
	}
	var signers []ed25519.PublicKey
	if len(e.Signer) > 0 {
		signers = []ed25519.PublicKey{ed25519.PublicKey(e.Signer)}
	}
	checked, err := CheckAttestation(e.Attestation, vk, signers, false)
	if err != nil {
		out.Error = err.Error()
		return out
	}
	out.Valid = true
	out.SingleParty = checked.Result.Setup.Status == verifier.SetupSingleParty
	return out
}

// NewState is the state to keep after an audit of cp.
func NewState(rep *AuditReport) *State {
	return &State{Format: StateFormat, Log: rep.Log, Checkpoint: rep.Checkpoint}
}
