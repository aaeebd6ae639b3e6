// Package registry is the server side of the zkeval transparency log: a
// Tessera log (POSIX storage driver, C2SP tlog-tiles layout) whose entries
// are verified attestations, with the verifying keys they were checked
// with stored by SHA-256 beside them, its HTTP API (http.go) and its web
// page (web.go). Checkpoints are signed notes made with an Ed25519 note key
// (golang.org/x/mod/sumdb/note). The verifier side (receipts, proofs,
// audits) is package registry/client, which this package uses for the
// formats and for the one attestation check that the log and its auditors
// share (client.CheckAttestation).
package registry

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/tessera"
	tclient "github.com/transparency-dev/tessera/client"
	"github.com/transparency-dev/tessera/storage/posix"
	"golang.org/x/mod/sumdb/note"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/internal/atomicfile"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/registry/client"
)

// Config configures a log.
type Config struct {
	// Dir holds the log: Dir/log is the Tessera POSIX tree (checkpoint,
	// tile/, entries/), Dir/vk the verifying keys by SHA-256.
	Dir string
	// SignerKey is the note signer key (`zkeval log keygen`), whose name
	// is the log's origin.
	SignerKey string
	// AllowedSigners, when not empty, puts the log in allow-list mode: it
	// accepts only DSSE envelopes signed by one of these lab keys.
	AllowedSigners []ed25519.PublicKey
	// CheckpointInterval is how often a new checkpoint is published while
	// entries arrive (default 200 ms); a publish returns once a checkpoint
	// covers its entry.
	CheckpointInterval time.Duration
	// Now gives the publication time (default time.Now).
	Now func() time.Time
}

// RejectError is a submission the log refuses: an HTTP status in the 4xx
// range and the reason. Nothing is appended.
type RejectError struct {
	Status int
	Reason string
}

func (e *RejectError) Error() string {
	return fmt.Sprintf("refused (%d %s): %s", e.Status, http.StatusText(e.Status), e.Reason)
}

func reject(status int, format string, a ...any) error {
	return &RejectError{Status: status, Reason: fmt.Sprintf(format, a...)}
}

// Item is one entry of the log as the web page and the API show it.
type Item struct {
	Index     uint64
	Data      []byte // the leaf
	Entry     *client.Entry
	Statement *attestation.Statement
}

// Log is a running transparency log.
type Log struct {
	cfg      Config
	origin   string
	verifier note.Verifier
	appender *tessera.Appender
	shutdown func(context.Context) error
	reader   tessera.LogReader
	awaiter  *tessera.PublicationAwaiter
	cancel   context.CancelFunc

	mu      sync.Mutex
	byAtt   map[string]uint64    // attestation SHA-256 -> index
	pending map[string]*inflight // attestation SHA-256 -> submission in progress
	items   map[uint64]*Item
}

type inflight struct {
	done    chan struct{}
	receipt *client.Receipt
	err     error
}

// Open opens (or creates) the log in cfg.Dir and starts appending. After a
// crash it waits for Tessera to integrate every entry it had sequenced, then
// reads the whole log to find resubmitted attestations.
func Open(ctx context.Context, cfg Config) (*Log, error) {
	if cfg.CheckpointInterval == 0 {
		cfg.CheckpointInterval = 200 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	signer, err := note.NewSigner(cfg.SignerKey)
	if err != nil {
		return nil, fmt.Errorf("log signing key: %w", err)
	}
	if err := checkOwnLog(cfg.Dir, cfg.SignerKey, signer.Name()); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(cfg.Dir, "vk"), 0o755); err != nil {
		return nil, err
	}
	driver, err := posix.New(ctx, posix.Config{Path: filepath.Join(cfg.Dir, "log")})
	if err != nil {
		return nil, fmt.Errorf("log storage %s: %w", cfg.Dir, err)
	}
	lctx, cancel := context.WithCancel(context.Background())
	opts := tessera.NewAppendOptions().
		WithCheckpointSigner(signer).
		WithCheckpointInterval(cfg.CheckpointInterval).
		WithCheckpointRepublishInterval(time.Minute).
		WithBatching(256, 20*time.Millisecond)
	appender, shutdown, reader, err := tessera.NewAppender(lctx, driver, opts)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("log storage %s: %w", cfg.Dir, err)
	}
	l := &Log{
		cfg: cfg, origin: signer.Name(), appender: appender, shutdown: shutdown, reader: reader, cancel: cancel,
		byAtt: map[string]uint64{}, pending: map[string]*inflight{}, items: map[uint64]*Item{},
	}
	l.awaiter = tessera.NewPublicationAwaiter(lctx, reader.ReadCheckpoint, 10*time.Millisecond)
	if err := l.load(ctx); err != nil {
		cancel()
		return nil, err
	}
	return l, nil
}

// ErrForeignLog is returned by Open for a directory holding a log whose
// checkpoint does not verify with the signer key given: serving it would
// let another key sign that log's tree.
var ErrForeignLog = errors.New("the directory holds another log")

// checkOwnLog checks that the checkpoint already in dir, if any, is signed
// by the key skey under origin.
func checkOwnLog(dir, skey, origin string) error {
	raw, err := os.ReadFile(filepath.Join(dir, "log", "checkpoint"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("log storage %s: %w", dir, err)
	}
	v, err := verifierOf(skey)
	if err != nil {
		return fmt.Errorf("log signing key: %w", err)
	}
	if _, _, _, err := log.ParseCheckpoint(raw, origin, v); err != nil {
		first, _, _ := strings.Cut(string(raw), "\n")
		return fmt.Errorf("%w: %s holds the log %q, whose checkpoint does not verify with the key of log %q (%v); serve it with the key that made it, or choose another --dir", ErrForeignLog, dir, first, origin, err)
	}
	return nil
}

// verifierOf derives the note verifier of a note signer key
// ("PRIVATE+KEY+name+hash+base64(0x01 || Ed25519 seed)",
// golang.org/x/mod/sumdb/note).
func verifierOf(skey string) (note.Verifier, error) {
	parts := strings.SplitN(strings.TrimPrefix(skey, "PRIVATE+KEY+"), "+", 3)
	if len(parts) != 3 {
		return nil, errors.New("not a note signer key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return nil, errors.New("not an Ed25519 note signer key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(parts[0], pub)
	if err != nil {
		return nil, err
	}
	return note.NewVerifier(vkey)
}

// Origin is the log's origin line.
func (l *Log) Origin() string { return l.origin }

// load waits until every sequenced entry is integrated and published, then
// reads the log.
func (l *Log) load(ctx context.Context) error {
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var size uint64
	for {
		next, err := l.reader.NextIndex(wctx)
		if err != nil {
			return fmt.Errorf("log storage %s: %w", l.cfg.Dir, err)
		}
		cp, err := l.reader.ReadCheckpoint(wctx)
		if err == nil {
			c := &log.Checkpoint{}
			if _, err := c.Unmarshal(noteText(cp)); err == nil && c.Size >= next {
				size = c.Size
				break
			}
		} else if !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("log storage %s: %w", l.cfg.Dir, err)
		}
		select {
		case <-wctx.Done():
			return fmt.Errorf("log storage %s: the log did not publish a checkpoint covering its %d sequenced entries within 60 s", l.cfg.Dir, next)
		case <-time.After(20 * time.Millisecond):
		}
	}
	for i := uint64(0); i < size; i += 256 {
		b, err := tclient.GetEntryBundle(ctx, l.reader.ReadEntryBundle, i/256, size)
		if err != nil {
			return fmt.Errorf("log storage %s: entry bundle %d: %w", l.cfg.Dir, i/256, err)
		}
		for j, data := range b.Entries {
			idx := i + uint64(j)
			it, err := newItem(idx, data)
			if err != nil {
				return fmt.Errorf("log storage %s: entry %d: %w", l.cfg.Dir, idx, err)
			}
			l.record(it)
		}
	}
	return nil
}

// noteText is the body of a signed note (the text before the blank line).
func noteText(n []byte) []byte {
	for i := 0; i+1 < len(n); i++ {
		if n[i] == '\n' && n[i+1] == '\n' {
			return n[:i+1]
		}
	}
	return n
}

func newItem(idx uint64, data []byte) (*Item, error) {
	e, err := client.ParseEntry(data)
	if err != nil {
		return nil, err
	}
	it := &Item{Index: idx, Data: data, Entry: e}
	if st, err := client.StatementOf(e.Attestation); err == nil {
		it.Statement = st
	}
	return it, nil
}

// record adds an item; the first entry of an attestation is the one
// resubmissions return.
func (l *Log) record(it *Item) {
	l.items[it.Index] = it
	d := it.Entry.AttestationSHA256()
	if old, ok := l.byAtt[d]; !ok || it.Index < old {
		l.byAtt[d] = it.Index
	}
}

// Close stops the log, integrating what it has sequenced.
func (l *Log) Close(ctx context.Context) error {
	err := l.shutdown(ctx)
	l.cancel()
	return err
}

// Submission is what a lab publishes: the attestation, its verifying key
// (which may be left out when the log already holds the key the attestation
// names) and, for a DSSE envelope outside allow-list mode, the public key
// of its signer.
type Submission struct {
	Attestation  []byte `json:"attestation"`
	VerifyingKey []byte `json:"verifyingKey,omitempty"`
	Signer       []byte `json:"signer,omitempty"`
}

// Submit verifies s and appends it, or returns the receipt of the entry
// that already holds the same attestation bytes. It returns once a
// checkpoint covering the entry is published. Refusals are *RejectError.
func (l *Log) Submit(ctx context.Context, s *Submission) (*client.Receipt, error) {
	if len(s.Attestation) == 0 {
		return nil, reject(http.StatusBadRequest, "no attestation in the submission")
	}
	if len(s.Attestation) > client.MaxAttestation {
		return nil, reject(http.StatusRequestEntityTooLarge, "the attestation is %d bytes; this log takes attestations of at most %d bytes", len(s.Attestation), client.MaxAttestation)
	}
	// Every answer, "duplicate" included, follows the same checks as a new
	// entry: a resubmission with a wrong verifying key, without its signer
	// or by a lab off the allow-list is refused as it would be the first
	// time.
	checked, vk, err := l.check(s)
	if err != nil {
		return nil, err
	}
	d := client.Digest(s.Attestation)
	l.mu.Lock()
	if idx, ok := l.byAtt[d]; ok {
		l.mu.Unlock()
		r, err := l.Receipt(ctx, idx)
		if r != nil {
			r.Duplicate = true
		}
		return r, err
	}
	if p, ok := l.pending[d]; ok {
		l.mu.Unlock()
		select {
		case <-p.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if p.err != nil {
			return nil, p.err
		}
		r := *p.receipt
		r.Duplicate = true
		return &r, nil
	}
	p := &inflight{done: make(chan struct{})}
	l.pending[d] = p
	l.mu.Unlock()

	p.receipt, p.err = l.add(ctx, s, checked, vk)
	l.mu.Lock()
	delete(l.pending, d)
	l.mu.Unlock()
	close(p.done)
	return p.receipt, p.err
}

// check runs every check of a submission (allow-list, signature, the
// attestation against the verifying key it carries or the log holds) and
// returns what verified and the verifying key used.
func (l *Log) check(s *Submission) (*client.Checked, []byte, error) {
	st, err := client.StatementOf(s.Attestation)
	if err != nil {
		return nil, nil, reject(http.StatusUnprocessableEntity, "%v", err)
	}
	if len(l.cfg.AllowedSigners) > 0 {
		// Allow-list mode: refuse what no listed key signed before anything
		// else, so that an unlisted lab learns nothing more.
		if _, err := client.CheckAllowed(s.Attestation, l.cfg.AllowedSigners); err != nil {
			return nil, nil, reject(http.StatusForbidden, "%v", err)
		}
	}
	vkDigest := st.Predicate.Proof.VerifyingKey["sha256"]
	vk := s.VerifyingKey
	if vk == nil {
		if vk, err = l.VerifyingKey(vkDigest); err != nil {
			return nil, nil, reject(http.StatusUnprocessableEntity, "unknown verifying key: the attestation names verifying key SHA-256 %q, which this log does not hold; submit the key with the attestation", vkDigest)
		}
	}
	signers := l.cfg.AllowedSigners
	allowList := len(signers) > 0
	if !allowList && len(s.Signer) > 0 {
		if len(s.Signer) != ed25519.PublicKeySize {
			return nil, nil, reject(http.StatusBadRequest, "signer: %d bytes; an Ed25519 public key has %d", len(s.Signer), ed25519.PublicKeySize)
		}
		signers = []ed25519.PublicKey{ed25519.PublicKey(s.Signer)}
	}
	checked, err := client.CheckAttestation(s.Attestation, vk, signers, allowList)
	if err != nil {
		status := http.StatusUnprocessableEntity
		if allowList && errors.Is(err, client.ErrSignature) {
			status = http.StatusForbidden
		}
		return nil, nil, reject(status, "%v", err)
	}
	return checked, vk, nil
}

func (l *Log) add(ctx context.Context, s *Submission, checked *client.Checked, vk []byte) (*client.Receipt, error) {
	if err := l.storeVerifyingKey(vk); err != nil {
		return nil, err
	}
	e := &client.Entry{
		Format:       client.EntryFormat,
		Attestation:  s.Attestation,
		VerifyingKey: map[string]string{"sha256": checked.Result.VerifyingKeySHA256},
		Signer:       []byte(checked.Signer),
		PublishedAt:  l.cfg.Now().UTC().Truncate(time.Second),
	}
	data, err := e.Marshal()
	if err != nil {
		return nil, err
	}
	if len(data) > 1<<16-1 {
		return nil, reject(http.StatusRequestEntityTooLarge, "the log entry would be %d bytes; C2SP tlog-tiles entries hold at most 65535", len(data))
	}
	// Once handed to Tessera the entry will be sequenced whether or not the
	// submitter waits: record it even when the request is cancelled, so
	// that a resubmission finds it and the page lists it.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
	defer cancel()
	idx, cpRaw, err := l.awaiter.Await(actx, l.appender.Add(actx, tessera.NewEntry(data)))
	if err != nil {
		return nil, fmt.Errorf("appending to the log: %w", err)
	}
	it := &Item{Index: idx.Index, Data: data, Entry: e, Statement: checked.Result.Statement}
	l.mu.Lock()
	l.record(it)
	l.mu.Unlock()
	return l.receiptAt(ctx, it, cpRaw)
}

// Receipt returns the receipt of entry idx against the latest checkpoint.
func (l *Log) Receipt(ctx context.Context, idx uint64) (*client.Receipt, error) {
	l.mu.Lock()
	it, ok := l.items[idx]
	l.mu.Unlock()
	if !ok {
		return nil, reject(http.StatusNotFound, "no entry %d", idx)
	}
	cp, err := l.reader.ReadCheckpoint(ctx)
	if err != nil {
		return nil, err
	}
	return l.receiptAt(ctx, it, cp)
}

func (l *Log) receiptAt(ctx context.Context, it *Item, cpRaw []byte) (*client.Receipt, error) {
	cp := &log.Checkpoint{}
	if _, err := cp.Unmarshal(noteText(cpRaw)); err != nil {
		return nil, fmt.Errorf("the log's checkpoint: %w", err)
	}
	pb, err := tclient.NewProofBuilder(ctx, cp.Size, l.reader.ReadTile)
	if err != nil {
		return nil, err
	}
	p, err := pb.InclusionProof(ctx, it.Index)
	if err != nil {
		return nil, err
	}
	return &client.Receipt{Format: client.ReceiptFormat, Log: l.origin, Index: it.Index, Entry: it.Data, Checkpoint: string(cpRaw), InclusionProof: p}, nil
}

// Items returns the entries, by index.
func (l *Log) Items() []*Item {
	l.mu.Lock()
	out := make([]*Item, 0, len(l.items))
	for _, it := range l.items {
		out = append(out, it)
	}
	l.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out
}

// Item returns entry idx.
func (l *Log) Item(idx uint64) (*Item, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	it, ok := l.items[idx]
	return it, ok
}

func (l *Log) vkPath(digest string) (string, error) {
	if len(digest) != 64 {
		return "", fmt.Errorf("not a SHA-256: %q", digest)
	}
	for _, c := range digest {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", fmt.Errorf("not a lower-case hex SHA-256: %q", digest)
		}
	}
	return filepath.Join(l.cfg.Dir, "vk", digest), nil
}

// VerifyingKey returns the stored verifying key with SHA-256 digest.
func (l *Log) VerifyingKey(digest string) ([]byte, error) {
	p, err := l.vkPath(digest)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(p)
}

func (l *Log) storeVerifyingKey(vk []byte) error {
	p, err := l.vkPath(keys.Digest(vk))
	if err != nil {
		return err
	}
	if _, err := os.Stat(p); err == nil {
		return nil
	}
	return atomicfile.WriteFile(p, vk, 0o644)
}
