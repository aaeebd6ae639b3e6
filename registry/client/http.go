package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/transparency-dev/formats/log"
	tclient "github.com/transparency-dev/tessera/client"
)

// RefusedError is a submission the log refused, with its HTTP status and
// the log's reason.
type RefusedError struct {
	Status int
	Reason string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("the log refused the attestation (HTTP %d %s): %s", e.Status, http.StatusText(e.Status), e.Reason)
}

// Client talks to a zkeval log over HTTP.
type Client struct {
	// MaxAuditSize bounds the entries Audit fetches (0:
	// DefaultMaxAuditSize).
	MaxAuditSize uint64

	base    *url.URL
	http    *http.Client
	fetcher *tclient.HTTPFetcher
}

// MaxResponse bounds any response body the client reads, in bytes: the
// largest thing a log serves is an entry bundle, 256 entries of at most
// 65,535 bytes each with their 2-byte lengths (C2SP tlog-tiles), under 17
// MiB. A longer body is an error, so a log cannot exhaust the client's
// memory.
const MaxResponse = 256*(2+65535) + 1<<10

// Timeouts of the default HTTP client: a log that does not answer, or
// answers too slowly, is an error rather than a hang.
const (
	// DialTimeout bounds connecting to the log.
	DialTimeout = 30 * time.Second
	// ResponseHeaderTimeout bounds the wait for a response's headers (a
	// publish waits for a checkpoint covering the entry).
	ResponseHeaderTimeout = 2 * time.Minute
	// RequestTimeout bounds a whole request, body included.
	RequestTimeout = 5 * time.Minute
)

// NewHTTPClient is the HTTP client New uses when given none: the timeouts
// above, and response bodies capped at MaxResponse bytes.
func NewHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: DialTimeout, KeepAlive: 30 * time.Second}).DialContext
	tr.ResponseHeaderTimeout = ResponseHeaderTimeout
	tr.TLSHandshakeTimeout = DialTimeout
	return &http.Client{Timeout: RequestTimeout, Transport: capBodies{tr, MaxResponse}}
}

// capBodies caps every response body at max bytes: reading past it is an
// error (not a silent truncation).
type capBodies struct {
	rt  http.RoundTripper
	max int64
}

func (c capBodies) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.rt.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &cappedBody{rc: resp.Body, left: c.max, url: req.URL.String()}
	return resp, nil
}

type cappedBody struct {
	rc   io.ReadCloser
	left int64
	url  string
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One more byte tells a body of exactly the cap from a longer one.
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, fmt.Errorf("GET %s: the response is longer than %d bytes, the most a log serves", b.url, MaxResponse)
		}
		if err == nil {
			err = io.ErrNoProgress
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }

// New returns a client of the log at rawURL (http or https). A nil hc is
// NewHTTPClient(): timeouts and capped response bodies.
func New(rawURL string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("log URL %q: want http://HOST[:PORT][/PATH] or https://...", rawURL)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	if hc == nil {
		hc = NewHTTPClient()
	}
	f, err := tclient.NewHTTPFetcher(u, hc)
	if err != nil {
		return nil, err
	}
	return &Client{base: u, http: hc, fetcher: f}, nil
}

// URL is the log's base URL.
func (c *Client) URL() string { return c.base.String() }

func (c *Client) get(ctx context.Context, p string, limit int64) ([]byte, error) {
	u := c.base.JoinPath(p)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d: %s", u, resp.StatusCode, bytes.TrimSpace(data[:min(len(data), 500)]))
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("GET %s: more than %d bytes", u, limit)
	}
	return data, nil
}

// Publish submits an attestation with its verifying key (nil when the log
// already holds it) and, for a DSSE envelope, its signer's Ed25519 public
// key. A refusal is a *RefusedError.
func (c *Client) Publish(ctx context.Context, att, vk, signer []byte) (*Receipt, error) {
	body, err := json.Marshal(struct {
		Attestation  []byte `json:"attestation"`
		VerifyingKey []byte `json:"verifyingKey,omitempty"`
		Signer       []byte `json:"signer,omitempty"`
	}{att, vk, signer})
	if err != nil {
		return nil, err
	}
	u := c.base.JoinPath("add")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("POST %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		var eb struct {
			Error string `json:"error"`
		}
		reason := string(bytes.TrimSpace(data))
		if json.Unmarshal(data, &eb) == nil && eb.Error != "" {
			reason = eb.Error
		}
		return nil, &RefusedError{Status: resp.StatusCode, Reason: reason}
	}
	return ParseReceipt(data, "the log's answer")
}

// Checkpoint fetches the latest checkpoint and checks its signature.
func (c *Client) Checkpoint(ctx context.Context, key *LogKey) (*log.Checkpoint, []byte, error) {
	raw, err := c.fetcher.ReadCheckpoint(ctx)
	if err != nil {
		return nil, nil, err
	}
	cp, err := OpenCheckpoint(raw, key)
	if err != nil {
		return nil, nil, err
	}
	return cp, raw, nil
}

// ConsistencyProof fetches, from the tiles of the tree of size larger, the
// proof that it extends the tree of size smaller.
func (c *Client) ConsistencyProof(ctx context.Context, smaller, larger uint64) ([][]byte, error) {
	if smaller == 0 || smaller == larger {
		return nil, nil
	}
	pb, err := tclient.NewProofBuilder(ctx, larger, c.fetcher.ReadTile)
	if err != nil {
		return nil, err
	}
	return pb.ConsistencyProof(ctx, smaller, larger)
}

// CheckConsistency checks that newer extends older, fetching the proof.
func (c *Client) CheckConsistency(ctx context.Context, older, newer *log.Checkpoint) error {
	if older.Size == 0 {
		return nil
	}
	if newer.Size < older.Size {
		return VerifyConsistency(older, newer, nil)
	}
	p, err := c.ConsistencyProof(ctx, older.Size, newer.Size)
	if err != nil {
		return fmt.Errorf("fetching the consistency proof from %d to %d entries: %w", older.Size, newer.Size, err)
	}
	return VerifyConsistency(older, newer, p)
}

// Bundle fetches entry bundle i (entries 256·i to 256·i+255) of the tree
// of size size.
func (c *Client) Bundle(ctx context.Context, i, size uint64) ([][]byte, error) {
	b, err := tclient.GetEntryBundle(ctx, c.fetcher.ReadEntryBundle, i, size)
	if err != nil {
		return nil, err
	}
	return b.Entries, nil
}

// VerifyingKey fetches the verifying key with SHA-256 digest and checks
// its digest.
func (c *Client) VerifyingKey(ctx context.Context, digest string) ([]byte, error) {
	data, err := c.get(ctx, "vk/"+url.PathEscape(digest), MaxVerifyingKey)
	if err != nil {
		return nil, err
	}
	if got := Digest(data); got != digest {
		return nil, &CheckError{Check: "verifying key digest", Expected: "SHA-256 " + digest, Actual: "SHA-256 " + got}
	}
	return data, nil
}
