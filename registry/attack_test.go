package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/tessera"
	"golang.org/x/mod/sumdb/note"

	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/registry/client"
)

// relabel rewrites a field of a bare statement's predicate.
func relabel(t testing.TB, att []byte, edit func(p map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(att, &m))
	edit(m["predicate"].(map[string]any))
	out, err := json.Marshal(m)
	require.NoError(t, err)
	return out
}

// The proof does not bind setup.kind: single-party keys relabelled as a
// ceremony's still verify, and must be shown and counted as a ceremony
// claimed but not checked, never as a ceremony.
func TestCeremonyRelabelNotTrusted(t *testing.T) {
	f := loadFixture(t)
	forged := relabel(t, f.att, func(p map[string]any) {
		p["setup"] = map[string]any{"kind": "ceremony", "transcript": map[string]any{"sha256": strings.Repeat("ab", 32)}}
	})
	tl := newTestLog(t, nil)
	ctx := context.Background()
	_, err := tl.client.Publish(ctx, forged, f.vk, nil)
	require.NoError(t, err, "the log accepts it: the proof does not cover the setup kind")
	_, err = tl.client.Publish(ctx, f.att2, nil, nil)
	require.NoError(t, err)

	for _, page := range []string{"/", "/entry/0"} {
		code, body := get(t, tl.srv.URL+page)
		require.Equal(t, http.StatusOK, code)
		require.Contains(t, body, "ceremony claimed, not checked", page)
		require.Contains(t, body, "may know the setup&#39;s secrets", page)
	}

	rep, err := client.Audit(ctx, tl.client, tl.key, nil)
	require.NoError(t, err)
	require.Equal(t, 2, rep.Valid)
	require.Equal(t, 1, rep.SingleParty)
	require.Equal(t, 1, rep.CeremonyUnchecked)
}

// appendRaw appends an entry without the log's checks: an entry appended
// by another release of zkeval.
func appendRaw(t testing.TB, tl *testLog, e *client.Entry) {
	t.Helper()
	data, err := e.Marshal()
	require.NoError(t, err)
	ctx := context.Background()
	_, _, err = tl.awaiter.Await(ctx, tl.appender.Add(ctx, tessera.NewEntry(data)))
	require.NoError(t, err)
}

// An entry of another circuit version is not checkable by this zkeval:
// counted apart, with the version it needs, and not invalid.
func TestAuditOtherCircuitVersion(t *testing.T) {
	f := loadFixture(t)
	tl := newTestLog(t, nil)
	ctx := context.Background()
	_, err := tl.client.Publish(ctx, f.att, f.vk, nil)
	require.NoError(t, err)
	old := relabel(t, f.att2, func(p map[string]any) {
		p["circuit"].(map[string]any)["public"].(map[string]any)["version"] = "zkeval-eval-circuit/v7"
	})
	require.NotEqual(t, "zkeval-eval-circuit/v7", circuits.Version)
	appendRaw(t, tl, &client.Entry{Format: client.EntryFormat, Attestation: old, VerifyingKey: map[string]string{"sha256": client.Digest(f.vk)}, PublishedAt: time.Now().UTC().Truncate(time.Second)})

	rep, err := client.Audit(ctx, tl.client, tl.key, nil)
	require.NoError(t, err)
	require.Equal(t, 2, rep.Entries)
	require.Equal(t, 1, rep.Valid)
	require.Equal(t, 0, rep.Invalid, "%+v", rep.Failures)
	require.Equal(t, 1, rep.UnsupportedCount)
	require.Len(t, rep.Unsupported, 1)
	require.Equal(t, uint64(1), rep.Unsupported[0].Index)
	require.Contains(t, rep.Unsupported[0].Needs, "zkeval-eval-circuit/v7")
}

// signedCheckpoint is a checkpoint of size n signed by skey.
func signedCheckpoint(t testing.TB, skey string, n uint64) []byte {
	t.Helper()
	s, err := note.NewSigner(skey)
	require.NoError(t, err)
	body := log.Checkpoint{Origin: "zkeval.test/log", Size: n, Hash: bytes.Repeat([]byte{7}, 32)}.Marshal()
	cp, err := note.Sign(&note.Note{Text: string(body)}, s)
	require.NoError(t, err)
	return cp
}

// A malicious log: a signed checkpoint of 2^62 entries is refused before
// anything is fetched (it panicked allocating the verdicts), and a body
// longer than any a log serves is an error, not exhausted memory.
func TestAuditMaliciousLog(t *testing.T) {
	skey, key := newLogKey(t)
	huge := signedCheckpoint(t, skey, 1<<62)
	var long bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if long {
			_, _ = w.Write(huge)
			chunk := bytes.Repeat([]byte("x"), 1<<20)
			for range 40 {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
			return
		}
		_, _ = w.Write(huge)
	}))
	defer srv.Close()
	c, err := client.New(srv.URL, nil)
	require.NoError(t, err)
	_, err = client.Audit(context.Background(), c, key, nil)
	require.ErrorContains(t, err, "claims 4611686018427387904 entries, more than this audit fetches")

	long = true
	_, err = client.Audit(context.Background(), c, key, nil)
	require.ErrorContains(t, err, "longer than")
}

// /tile/ serves tlog-tiles paths only: no other file of the log's
// directory (".." in any encoding), no listings; only full tiles are
// cached for good.
func TestTilePaths(t *testing.T) {
	f := loadFixture(t)
	tl := newTestLog(t, nil)
	_, err := tl.client.Publish(context.Background(), f.att, f.vk, nil)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(tl.dir, "log", "tile", "5"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(tl.dir, "log", "tile", "5", "000"), []byte("full"), 0o644))

	for _, p := range []string{"/tile/%2e%2e/.state/treeState", "/tile/%2E%2E/checkpoint", "/tile/", "/tile/0/", "/tile/entries/", "/tile/0/000.p", "/tile/64/000", "/tile/0/000.p/256", "/tile/0//000"} {
		resp, err := http.Get(tl.srv.URL + p)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusNotFound, resp.StatusCode, p)
	}
	for p, cache := range map[string]string{"/tile/0/000.p/1": "no-cache", "/tile/entries/000.p/1": "no-cache", "/tile/5/000": "max-age=31536000, immutable"} {
		resp, err := http.Get(tl.srv.URL + p)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, p)
		require.Equal(t, cache, resp.Header.Get("Cache-Control"), p)
	}
}

// The checks a publisher makes of the log's answer without its key, and
// the receipt's log field with it.
func TestReceiptChecksWithoutKey(t *testing.T) {
	f := loadFixture(t)
	tl := newTestLog(t, nil)
	ctx := context.Background()
	r, err := tl.client.Publish(ctx, f.att, f.vk, nil)
	require.NoError(t, err)
	r2, err := tl.client.Publish(ctx, f.att2, nil, nil)
	require.NoError(t, err)
	_, err = client.CheckReceiptUnsigned(r2, f.att2, client.Digest(f.vk))
	require.NoError(t, err)

	var ce *client.CheckError
	_, err = client.CheckReceiptUnsigned(r, f.att2, client.Digest(f.vk))
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "entry attestation", ce.Check)
	bad := *r2
	bad.InclusionProof = [][]byte{bytes.Clone(r2.InclusionProof[0])}
	bad.InclusionProof[0][0] ^= 1
	_, err = client.CheckReceiptUnsigned(&bad, f.att2, client.Digest(f.vk))
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "inclusion", ce.Check)

	other := *r2
	other.Log = "zkeval.test/other"
	_, err = client.VerifyReceipt(&other, tl.key, f.att2, client.Digest(f.vk))
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "receipt log", ce.Check)
}
