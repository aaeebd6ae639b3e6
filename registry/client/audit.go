package client

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/envelope"
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
	Index uint64 `json:"index"`
	Valid bool   `json:"valid"`
	// Unsupported: the entry is neither valid nor invalid as far as this
	// zkeval goes: its circuit version or predicate type is one this
	// zkeval does not verify (an entry appended by another release);
	// Error says which, and Needs what verifies it.
	Unsupported bool   `json:"unsupported,omitempty"`
	Needs       string `json:"needs,omitempty"`
	Error       string `json:"error,omitempty"`
	// Setup is the status of a valid entry's setup: single-party or
	// ceremony-claimed-not-checked (an audit checks no ceremony
	// transcript, and the proof does not bind the setup kind).
	Setup       verifier.SetupStatus `json:"setup,omitempty"`
	SingleParty bool                 `json:"singleParty,omitempty"`
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
	// Unsupported counts entries this zkeval cannot check (another circuit
	// version or predicate type); they are listed in Unsupported.
	UnsupportedCount int `json:"unsupportedCount"`
	// SingleParty counts valid entries whose keys come from a single-party
	// setup (whoever ran it can forge proofs).
	SingleParty int `json:"singleParty"`
	// CeremonyUnchecked counts valid entries that claim a ceremony's keys:
	// the claim is not checked (the proof does not bind it, and an audit
	// checks no transcript), so whoever made the keys may forge proofs, as
	// with single-party keys.
	CeremonyUnchecked int `json:"ceremonyUnchecked"`
	// PreviousSize is the size of the checkpoint of the state file (0 on
	// a first audit); the log was checked consistent with it.
	PreviousSize uint64 `json:"previousSize"`
	// Consistent: the tree extends the previous checkpoint's, and the
	// entries served hash to the checkpoint's root.
	Consistent bool           `json:"consistent"`
	Checkpoint string         `json:"checkpoint"`
	Failures   []AuditedEntry `json:"failures"`
	// Unsupported lists the entries this zkeval cannot check.
	Unsupported []AuditedEntry `json:"unsupported"`
}

// DefaultMaxAuditSize bounds the entries an audit fetches when
// Client.MaxAuditSize is 0: a checkpoint claiming more is refused before
// anything is fetched (a log's signature does not make its size honest).
const DefaultMaxAuditSize = 1 << 28

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
	rep := &AuditReport{Log: cp.Origin, Size: cp.Size, Checkpoint: string(raw), Failures: []AuditedEntry{}, Unsupported: []AuditedEntry{}}
	limit := c.MaxAuditSize
	if limit == 0 {
		limit = DefaultMaxAuditSize
	}
	if cp.Size > limit {
		return nil, fmt.Errorf("log %s: its checkpoint claims %d entries, more than this audit fetches (%d)", cp.Origin, cp.Size, limit)
	}
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
	// Verdicts are tallied as they come (the valid ones are not kept), so
	// memory follows the entries in flight, not the checkpoint's size.
	var mu sync.Mutex
	tally := func(r AuditedEntry) {
		mu.Lock()
		defer mu.Unlock()
		rep.Entries++
		switch {
		case r.Valid:
			rep.Valid++
			switch r.Setup {
			case verifier.SetupSingleParty:
				rep.SingleParty++
			case verifier.SetupCeremonyClaimed:
				rep.CeremonyUnchecked++
			}
		case r.Unsupported:
			rep.UnsupportedCount++
			rep.Unsupported = append(rep.Unsupported, r)
		default:
			rep.Invalid++
			rep.Failures = append(rep.Failures, r)
		}
	}
	vks := &vkCache{c: c, keys: map[string]*vkResult{}}
	jobs := make(chan job)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				tally(auditEntry(ctx, vks, j.idx, j.data))
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
	byIndex := func(a, b AuditedEntry) int { return cmp.Compare(a.Index, b.Index) }
	slices.SortFunc(rep.Failures, byIndex)
	slices.SortFunc(rep.Unsupported, byIndex)
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
	if needs, why := unsupported(e.Attestation); needs != "" {
		out.Unsupported, out.Needs, out.Error = true, needs, why
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
	out.Setup = checked.Result.Setup.Status
	out.SingleParty = out.Setup == verifier.SetupSingleParty
	return out
}

// unsupported says whether att is an attestation this zkeval cannot check
// (a predicate type it does not read, or a circuit version it does not
// verify), and then what would check it and why; "" otherwise.
func unsupported(att []byte) (needs, why string) {
	payload := att
	if envelope.IsEnvelope(att) {
		p, _, err := envelope.Open(att, "attestation", nil)
		if err != nil {
			return "", ""
		}
		payload = p
	}
	var head struct {
		PredicateType string `json:"predicateType"`
		Predicate     struct {
			Circuit struct {
				Public struct {
					Version string `json:"version"`
				} `json:"public"`
			} `json:"circuit"`
		} `json:"predicate"`
	}
	if json.Unmarshal(payload, &head) != nil {
		return "", ""
	}
	switch head.PredicateType {
	case attestation.PredicateType, attestation.PredicateTypeV02:
	case attestation.ShardedPredicateType, attestation.ShardedPredicateTypesOld[0], attestation.ShardedPredicateTypesOld[1]:
		return "", "" // refused as invalid: the log takes single proofs
	default:
		if strings.HasPrefix(head.PredicateType, "https://github.com/zkeval/zkeval/attestation/") {
			return "a zkeval that reads predicate type " + head.PredicateType, fmt.Sprintf("predicate type %q; this zkeval reads %q", head.PredicateType, attestation.PredicateType)
		}
		return "", ""
	}
	if v := head.Predicate.Circuit.Public.Version; v != circuits.Version && strings.HasPrefix(v, "zkeval-eval-circuit/") {
		return "a zkeval that verifies circuit version " + v, fmt.Sprintf("circuit version %q; this zkeval verifies %q", v, circuits.Version)
	}
	return "", ""
}

// NewState is the state to keep after an audit of cp.
func NewState(rep *AuditReport) *State {
	return &State{Format: StateFormat, Log: rep.Log, Checkpoint: rep.Checkpoint}
}
