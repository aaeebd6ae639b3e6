package registry

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/zkeval/zkeval/envelope"
	"github.com/zkeval/zkeval/registry/client"
)

type fixture struct {
	att, att2, vk []byte
}

func loadFixture(t testing.TB) fixture {
	t.Helper()
	read := func(p string) []byte {
		d, err := os.ReadFile("testdata/" + p)
		require.NoError(t, err)
		return d
	}
	return fixture{att: read("att.json"), att2: read("att2.json"), vk: read("vk.key")}
}

type testLog struct {
	*Log
	dir    string
	skey   string
	key    *client.LogKey
	srv    *httptest.Server
	client *client.Client
}

func newLogKey(t testing.TB) (skey string, key *client.LogKey) {
	t.Helper()
	s, v, err := note.GenerateKey(rand.Reader, "zkeval.test/log")
	require.NoError(t, err)
	key, err = client.ParseLogKey(v, "test key")
	require.NoError(t, err)
	return s, key
}

func startLog(t testing.TB, dir, skey string, allow []ed25519.PublicKey) *testLog {
	t.Helper()
	l, err := Open(context.Background(), Config{Dir: dir, SignerKey: skey, AllowedSigners: allow})
	require.NoError(t, err)
	srv := httptest.NewServer(l.Handler())
	c, err := client.New(srv.URL, srv.Client())
	require.NoError(t, err)
	tl := &testLog{Log: l, dir: dir, skey: skey, srv: srv, client: c}
	t.Cleanup(func() { srv.Close(); _ = l.Close(context.Background()) })
	return tl
}

func newTestLog(t testing.TB, allow []ed25519.PublicKey) *testLog {
	skey, key := newLogKey(t)
	tl := startLog(t, t.TempDir(), skey, allow)
	tl.key = key
	return tl
}

func (tl *testLog) size(t testing.TB) uint64 {
	t.Helper()
	cp, _, err := tl.client.Checkpoint(context.Background(), tl.key)
	require.NoError(t, err)
	return cp.Size
}

func TestPublishReceipt(t *testing.T) {
	f := loadFixture(t)
	tl := newTestLog(t, nil)
	ctx := context.Background()
	r, err := tl.client.Publish(ctx, f.att, f.vk, nil)
	require.NoError(t, err)
	require.Equal(t, uint64(0), r.Index)
	require.False(t, r.Duplicate)
	res, err := client.VerifyReceipt(r, tl.key, f.att, client.Digest(f.vk))
	require.NoError(t, err)
	require.Equal(t, uint64(1), res.Checkpoint.Size)

	r2, err := tl.client.Publish(ctx, f.att2, nil, nil) // the log holds the key now
	require.NoError(t, err)
	require.Equal(t, uint64(1), r2.Index)
	_, err = client.VerifyReceipt(r2, tl.key, f.att2, client.Digest(f.vk))
	require.NoError(t, err)

	// The receipt of another attestation, or for another key, does not check.
	_, err = client.VerifyReceipt(r2, tl.key, f.att, client.Digest(f.vk))
	var ce *client.CheckError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "entry attestation", ce.Check)
	_, err = client.VerifyReceipt(r2, tl.key, f.att2, strings.Repeat("0", 64))
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "entry verifying key", ce.Check)

	// A tampered proof or entry fails inclusion; another log key fails the
	// signature.
	bad := *r2
	bad.InclusionProof = [][]byte{bytes.Clone(r2.InclusionProof[0])}
	bad.InclusionProof[0][3] ^= 1
	_, err = client.VerifyReceipt(&bad, tl.key, f.att2, client.Digest(f.vk))
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "inclusion", ce.Check)
	require.ErrorIs(t, err, client.ErrCheck)
	_, other := newLogKey(t)
	_, err = client.VerifyReceipt(r2, other, f.att2, client.Digest(f.vk))
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "checkpoint signature", ce.Check)

	// Dedupe: the same bytes again are the same entry.
	r3, err := tl.client.Publish(ctx, f.att, f.vk, nil)
	require.NoError(t, err)
	require.Equal(t, uint64(0), r3.Index)
	require.True(t, r3.Duplicate)
	require.Equal(t, uint64(2), tl.size(t))

	// The verifying key is served by digest.
	vk, err := tl.client.VerifyingKey(ctx, client.Digest(f.vk))
	require.NoError(t, err)
	require.Equal(t, f.vk, vk)
}

// flipProof flips a bit of the proof bytes of a bare statement.
func flipProof(t testing.TB, att []byte) []byte {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(att, &m))
	proof := m["predicate"].(map[string]any)["proof"].(map[string]any)
	b := []byte(proof["bytes"].(string))
	// Flip a base64 character in the middle (A <-> B changes one bit).
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	proof["bytes"] = string(b)
	out, err := json.MarshalIndent(m, "", "  ")
	require.NoError(t, err)
	return out
}

func post(t testing.TB, url string, body io.Reader) (int, string) {
	t.Helper()
	resp, err := http.Post(url+"/add", "application/json", body)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

func submission(t testing.TB, att, vk, signer []byte) []byte {
	b, err := json.Marshal(Submission{Attestation: att, VerifyingKey: vk, Signer: signer})
	require.NoError(t, err)
	return b
}

func TestRefusals(t *testing.T) {
	f := loadFixture(t)
	tl := newTestLog(t, nil)
	ctx := context.Background()
	_, err := tl.client.Publish(ctx, f.att, f.vk, nil)
	require.NoError(t, err)

	labPub, labPriv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	env, err := envelope.Sign(f.att2, labPriv)
	require.NoError(t, err)
	otherPub, _, _ := ed25519.GenerateKey(rand.Reader)

	full := submission(t, f.att2, f.vk, nil)
	cases := []struct {
		name   string
		body   io.Reader
		status int
		reason string
	}{
		{"garbage", strings.NewReader("\x00\x01garbage"), 400, "not a JSON object"},
		{"truncated JSON", bytes.NewReader(full[:len(full)/2]), 400, "not a JSON object"},
		{"unknown field", strings.NewReader(`{"attestation":"e30=","x":1}`), 400, "unknown field"},
		{"no attestation", strings.NewReader(`{}`), 400, "no attestation"},
		{"not a statement", bytes.NewReader(submission(t, []byte(`{"a":1}`), f.vk, nil)), 422, "attestation"},
		{"100 MB body", io.LimitReader(zeros{}, 100<<20), 413, "larger than"},
		{"flipped proof byte", bytes.NewReader(submission(t, flipProof(t, f.att2), f.vk, nil)), 422, "invalid attestation"},
		{"unknown verifying key", bytes.NewReader(submission(t, bytes.Replace(f.att2, []byte(client.Digest(f.vk)), []byte(strings.Repeat("ab", 32)), 1), nil, nil)), 422, "unknown verifying key"},
		{"wrong verifying key", bytes.NewReader(submission(t, f.att2, append(bytes.Clone(f.vk), 0), nil)), 422, "invalid attestation"},
		{"envelope without signer", bytes.NewReader(submission(t, env, f.vk, nil)), 422, "public key of its signer"},
		{"envelope, another signer", bytes.NewReader(submission(t, env, f.vk, otherPub)), 422, "no signature in the envelope verifies"},
		{"short signer key", bytes.NewReader(submission(t, env, f.vk, labPub[:5])), 400, "Ed25519"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := post(t, tl.srv.URL, c.body)
			require.Equal(t, c.status, status, body)
			require.Contains(t, body, c.reason)
			require.Equal(t, uint64(1), tl.size(t), "nothing appended")
		})
	}
	// The log still serves and appends.
	r, err := tl.client.Publish(ctx, env, f.vk, labPub)
	require.NoError(t, err)
	require.Equal(t, uint64(1), r.Index)
	e, err := client.ParseEntry(r.Entry)
	require.NoError(t, err)
	require.Equal(t, []byte(labPub), e.Signer)
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestAllowList(t *testing.T) {
	f := loadFixture(t)
	labPub, labPriv, _ := ed25519.GenerateKey(rand.Reader)
	_, strangerPriv, _ := ed25519.GenerateKey(rand.Reader)
	tl := newTestLog(t, []ed25519.PublicKey{labPub})
	ctx := context.Background()

	_, err := tl.client.Publish(ctx, f.att, f.vk, nil)
	var re *client.RefusedError
	require.ErrorAs(t, err, &re)
	require.Equal(t, http.StatusForbidden, re.Status)
	require.Contains(t, re.Reason, "only DSSE envelopes signed by a listed lab key")

	stranger, _ := envelope.Sign(f.att, strangerPriv)
	_, err = tl.client.Publish(ctx, stranger, f.vk, nil)
	require.ErrorAs(t, err, &re)
	require.Equal(t, http.StatusForbidden, re.Status)
	require.Contains(t, re.Reason, "verifies with any of the 1 lab keys this log accepts")
	// Unlisted and naming a key the log does not hold: still 403, first.
	_, err = tl.client.Publish(ctx, stranger, nil, nil)
	require.ErrorAs(t, err, &re)
	require.Equal(t, http.StatusForbidden, re.Status)
	require.Equal(t, uint64(0), tl.size(t))

	signed, _ := envelope.Sign(f.att, labPriv)
	r, err := tl.client.Publish(ctx, signed, f.vk, nil)
	require.NoError(t, err)
	e, _ := client.ParseEntry(r.Entry)
	require.Equal(t, []byte(labPub), e.Signer)

	// A signed envelope of an invalid statement is refused as invalid.
	bad, _ := envelope.Sign(flipProof(t, f.att2), labPriv)
	_, err = tl.client.Publish(ctx, bad, f.vk, nil)
	require.ErrorAs(t, err, &re)
	require.Equal(t, http.StatusUnprocessableEntity, re.Status)
}

func TestAuditAndRestart(t *testing.T) {
	f := loadFixture(t)
	skey, key := newLogKey(t)
	dir := t.TempDir()
	tl := startLog(t, dir, skey, nil)
	tl.key = key
	ctx := context.Background()
	labPub, labPriv, _ := ed25519.GenerateKey(rand.Reader)
	env, _ := envelope.Sign(f.att, labPriv)
	for _, a := range [][]byte{f.att, f.att2} {
		_, err := tl.client.Publish(ctx, a, f.vk, nil)
		require.NoError(t, err)
	}
	_, err := tl.client.Publish(ctx, env, f.vk, labPub)
	require.NoError(t, err)

	rep, err := client.Audit(ctx, tl.client, key, nil)
	require.NoError(t, err)
	require.Equal(t, 3, rep.Entries)
	require.Equal(t, 3, rep.Valid)
	require.Equal(t, 0, rep.Invalid)
	require.Equal(t, 3, rep.SingleParty)
	require.True(t, rep.Consistent)
	state := client.NewState(rep)

	// Restart on the same directory: the entries are there, a
	// resubmission finds its entry, the new checkpoint is consistent with
	// the one audited.
	tl.srv.Close()
	require.NoError(t, tl.Close(ctx))
	tl2 := startLog(t, dir, skey, nil)
	r, err := tl2.client.Publish(ctx, f.att2, f.vk, nil)
	require.NoError(t, err)
	require.True(t, r.Duplicate)
	require.Equal(t, uint64(1), r.Index)
	att3 := flipProof(t, f.att) // invalid: refused
	_, err = tl2.client.Publish(ctx, att3, f.vk, nil)
	require.Error(t, err)
	env2, _ := envelope.Sign(f.att2, labPriv)
	_, err = tl2.client.Publish(ctx, env2, f.vk, labPub)
	require.NoError(t, err)
	rep2, err := client.Audit(ctx, tl2.client, key, state)
	require.NoError(t, err)
	require.Equal(t, uint64(3), rep2.PreviousSize)
	require.Equal(t, 4, rep2.Valid)

	// A state from another history (a checkpoint of a forked log with the
	// same key) fails the consistency check with its evidence.
	fork := startLog(t, t.TempDir(), skey, nil)
	_, err = fork.client.Publish(ctx, f.att2, f.vk, nil)
	require.NoError(t, err)
	forkRep, err := client.Audit(ctx, fork.client, key, nil)
	require.NoError(t, err)
	_, err = client.Audit(ctx, tl2.client, key, client.NewState(forkRep))
	var ce *client.CheckError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "consistency", ce.Check)
	require.True(t, errors.Is(err, client.ErrCheck))
}

// TestDuplicateIsChecked: a resubmission is checked as a first submission
// is before the log answers "duplicate".
func TestDuplicateIsChecked(t *testing.T) {
	f := loadFixture(t)
	vkOther, err := os.ReadFile("testdata/vk_hidden.key")
	require.NoError(t, err)
	skey, key := newLogKey(t)
	dir := t.TempDir()
	labPub, labPriv, _ := ed25519.GenerateKey(rand.Reader)
	strangerPub, _, _ := ed25519.GenerateKey(rand.Reader)
	tl := startLog(t, dir, skey, nil)
	tl.key = key
	ctx := context.Background()
	env, _ := envelope.Sign(f.att, labPriv)
	for _, s := range []struct{ att, signer []byte }{{f.att, nil}, {env, labPub}} {
		_, err := tl.client.Publish(ctx, s.att, f.vk, s.signer)
		require.NoError(t, err)
	}
	var re *client.RefusedError
	// The wrong verifying key: refused, with one "verifying key" per fact.
	_, err = tl.client.Publish(ctx, f.att, vkOther, nil)
	require.ErrorAs(t, err, &re)
	require.Equal(t, http.StatusUnprocessableEntity, re.Status)
	require.Contains(t, re.Reason, "the verifying key checked has SHA-256 "+client.Digest(vkOther))
	require.NotContains(t, re.Reason, "verifying key verifying key")
	// The envelope without its signer's key, or with another key.
	_, err = tl.client.Publish(ctx, env, f.vk, nil)
	require.ErrorAs(t, err, &re)
	require.Equal(t, http.StatusUnprocessableEntity, re.Status)
	require.Contains(t, re.Reason, "--signer LAB.pub")
	_, err = tl.client.Publish(ctx, env, f.vk, strangerPub)
	require.ErrorAs(t, err, &re)
	require.Equal(t, http.StatusUnprocessableEntity, re.Status)
	// The right inputs: the same entry.
	r, err := tl.client.Publish(ctx, env, f.vk, labPub)
	require.NoError(t, err)
	require.True(t, r.Duplicate)
	require.Equal(t, uint64(1), r.Index)
	require.Equal(t, uint64(2), tl.size(t))

	// The same directory in allow-list mode for another lab: the entries
	// already there are no way around the list.
	tl.srv.Close()
	require.NoError(t, tl.Close(ctx))
	tl2 := startLog(t, dir, skey, []ed25519.PublicKey{strangerPub})
	tl2.key = key
	for _, a := range [][]byte{f.att, env} {
		_, err = tl2.client.Publish(ctx, a, f.vk, nil)
		require.ErrorAs(t, err, &re)
		require.Equal(t, http.StatusForbidden, re.Status)
	}
	require.Equal(t, uint64(2), tl2.size(t))
}

// TestForeignLogDirectory: a directory holding a log is served only with
// the key that signs its checkpoints.
func TestForeignLogDirectory(t *testing.T) {
	f := loadFixture(t)
	skey, _ := newLogKey(t)
	dir := t.TempDir()
	tl := startLog(t, dir, skey, nil)
	_, err := tl.client.Publish(context.Background(), f.att, f.vk, nil)
	require.NoError(t, err)
	tl.srv.Close()
	require.NoError(t, tl.Close(context.Background()))
	before, err := os.ReadFile(dir + "/log/checkpoint")
	require.NoError(t, err)

	// Another key, with the same origin and with another one.
	other, _ := newLogKey(t)
	s2, _, err := note.GenerateKey(rand.Reader, "zkeval.test/other")
	require.NoError(t, err)
	for _, k := range []string{other, s2} {
		_, err = Open(context.Background(), Config{Dir: dir, SignerKey: k})
		require.ErrorIs(t, err, ErrForeignLog)
		require.Contains(t, err.Error(), `holds the log "zkeval.test/log"`)
		require.Contains(t, err.Error(), "serve it with the key that made it")
	}
	after, err := os.ReadFile(dir + "/log/checkpoint")
	require.NoError(t, err)
	require.Equal(t, before, after, "the checkpoint is left as it was")

	// Its own key still opens it.
	tl2 := startLog(t, dir, skey, nil)
	require.Len(t, tl2.Items(), 1)
}
