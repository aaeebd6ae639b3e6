package registry

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/envelope"
	"github.com/zkeval/zkeval/registry/client"
)

// webLog is a log with four entries: two bare statements, a DSSE envelope
// and a hidden claim with its own verifying key.
func webLog(t *testing.T) (*testLog, map[string]string) {
	f := loadFixture(t)
	hidden, err := os.ReadFile("testdata/att_hidden.json")
	require.NoError(t, err)
	vkHidden, err := os.ReadFile("testdata/vk_hidden.key")
	require.NoError(t, err)
	tl := newTestLog(t, nil)
	ctx := context.Background()
	labPub, labPriv, _ := ed25519.GenerateKey(rand.Reader)
	env, _ := envelope.Sign(f.att2, labPriv)
	for _, s := range []struct{ att, vk, signer []byte }{{f.att, f.vk, nil}, {f.att2, f.vk, nil}, {env, f.vk, labPub}, {hidden, vkHidden, nil}} {
		_, err := tl.client.Publish(ctx, s.att, s.vk, s.signer)
		require.NoError(t, err)
	}
	st, err := client.StatementOf(f.att)
	require.NoError(t, err)
	keyID, _ := envelope.KeyID(labPub)
	return tl, map[string]string{
		"model":     st.Predicate.Model.Commitment,
		"benchmark": st.Predicate.Benchmark.Digest["sha256"],
		"keyID":     keyID,
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// TestWebPageHTML checks the pages' HTML without a browser.
func TestWebPageHTML(t *testing.T) {
	tl, ids := webLog(t)
	code, body := get(t, tl.srv.URL+"/")
	require.Equal(t, 200, code)
	require.Equal(t, 4, strings.Count(body, `<tr class="entry"`))
	require.Contains(t, body, ids["model"])
	require.Contains(t, body, "accuracy &gt;= 0.25: <strong>hidden</strong>")
	require.Contains(t, body, "accuracy &gt;= 0.5: <strong>1/2</strong>")
	require.Equal(t, 4, strings.Count(body, `class="warning"`), "each single-party entry carries the warning")
	require.Contains(t, body, "not an official set known to zkeval")
	require.NotContains(t, body, "<script")

	// The claim of what was verified is exact, and each row names its
	// signer.
	require.NotContains(t, body, "signature were verified")
	require.Contains(t, body, "for a DSSE envelope, its signature")
	require.Contains(t, body, "not\nrecomputed from the data")
	require.Contains(t, body, "<th>Signer</th>")
	require.Equal(t, 3, strings.Count(body, `<td class="signer">unsigned</td>`))
	require.Contains(t, body, `<td class="signer">DSSE key id <code class="hash">`+strings.ReplaceAll(ids["keyID"], "+", "&#43;"))

	code, body = get(t, tl.srv.URL+"/?benchmark="+strings.Repeat("0", 64))
	require.Equal(t, 200, code)
	require.Contains(t, body, "0 of 4 entries match")

	// The model filter takes the commitment with or without 0x, in any
	// case; a malformed value is refused with a message, not "0 match".
	_, withPrefix := get(t, tl.srv.URL+"/?model="+ids["model"])
	n := strings.Count(withPrefix, `<tr class="entry"`)
	require.Positive(t, n)
	for _, m := range []string{strings.TrimPrefix(ids["model"], "0x"), strings.ToUpper(strings.TrimPrefix(ids["model"], "0x"))} {
		code, body = get(t, tl.srv.URL+"/?model="+m)
		require.Equal(t, 200, code)
		require.Equal(t, n, strings.Count(body, `<tr class="entry"`), m)
	}
	for q, msg := range map[string]string{
		"model=0xnothex":            "is not a commitment",
		"benchmark=abc":             "is not a SHA-256: want 64 hex digits",
		"benchmark=" + ids["model"]: "is not a SHA-256",
	} {
		code, body = get(t, tl.srv.URL+"/?"+q)
		require.Equal(t, http.StatusBadRequest, code, q)
		require.Contains(t, body, `id="filter-error"`, q)
		require.Contains(t, body, msg, q)
		require.NotContains(t, body, "match", q)
		require.Zero(t, strings.Count(body, `<tr class="entry"`), q)
	}

	code, body = get(t, tl.srv.URL+"/entry/2")
	require.Equal(t, 200, code)
	require.Contains(t, body, "signed by key <code>"+strings.ReplaceAll(ids["keyID"], "+", "&#43;"))
	require.Contains(t, body, "tree of <strong>4</strong> entries")
	require.Contains(t, body, "DSSE envelope as published")

	code, _ = get(t, tl.srv.URL+"/entry/99")
	require.Equal(t, 404, code)
}

// chromium finds Debian's chromium; the test does not install it (.ci/run
// does).
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("chromium is not installed, so the web page is not tested in a browser: install Debian's chromium (apt-get install chromium; .ci/run does) to run this test")
	return ""
}

// TestWebPageBrowser drives headless Chromium, with JavaScript disabled,
// through the list, the filters and an entry's page.
func TestWebPageBrowser(t *testing.T) {
	bin := chromium(t)
	tl, ids := webLog(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.Flag("disable-gpu", true))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// Start the browser, then bound the rest of the test.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("about:blank")))
	_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	require.NoError(t, err)
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		require.NoError(t, err, sel)
		return strings.TrimSpace(s)
	}

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(tl.srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#entries")),
	))
	rows, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll("tr.entry")))
	require.NoError(t, err)
	var ids4 []string
	for _, n := range rows {
		ids4 = append(ids4, n.AttributeValue("id"))
	}
	require.Equal(t, []string{"entry-3", "entry-2", "entry-1", "entry-0"}, ids4, "newest first")
	table := text("#entries")
	require.Contains(t, table, ids["model"])
	require.Contains(t, table, "accuracy >= 0.25: hidden")
	require.Contains(t, table, "accuracy >= 0.5: 1/2")
	require.Contains(t, table, "single-party setup: whoever ran it can forge proofs")
	require.Contains(t, table, "not an official set known to zkeval")

	// The filter form, filled in and submitted by a click (a GET form: no
	// script).
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#benchmark"), ids["benchmark"]),
		chromedp.Click(chromedp.CSS("#filter")),
		chromedp.WaitVisible(chromedp.CSS("#count")),
	))
	require.Equal(t, "4 of 4 entries match.", text("#count"))
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(tl.srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#model")),
		chromedp.SendKeys(chromedp.CSS("#model"), "0x00"),
		chromedp.Click(chromedp.CSS("#filter")),
		chromedp.WaitVisible(chromedp.CSS("#count")),
	))
	require.Equal(t, "0 of 4 entries match.", text("#count"))
	require.Contains(t, text("#none"), "No entries match these filters")

	// An entry's page, reached by its link.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(tl.srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#entries")),
		chromedp.Click(chromedp.CSS(`#entry-1 a[href="/entry/1"]`)),
		chromedp.WaitVisible(chromedp.CSS("#inclusion")),
	))
	require.Contains(t, text("#inclusion"), "Entry 1 is included in the tree of 4 entries")
	require.Len(t, strings.Fields(text("#proof")), 2, "the audit path of leaf 1 in a tree of 4 has 2 hashes")
	st := text("#statement")
	require.Contains(t, st, `"predicateType"`)
	require.Contains(t, st, ids["model"])
}

// TestWebPageOneEntry: one entry is "1 entry", on the index and the
// entry's page.
func TestWebPageOneEntry(t *testing.T) {
	f := loadFixture(t)
	tl := newTestLog(t, nil)
	_, err := tl.client.Publish(context.Background(), f.att, f.vk, nil)
	require.NoError(t, err)
	_, body := get(t, tl.srv.URL+"/")
	require.Contains(t, body, "</code>: 1 entry.")
	_, body = get(t, tl.srv.URL+"/?benchmark="+strings.Repeat("0", 64))
	require.Contains(t, body, "0 of 1 entry matches.")
	_, body = get(t, tl.srv.URL+"/entry/0")
	require.Contains(t, body, "tree of <strong>1</strong> entry with root")
}
