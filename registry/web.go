package registry

import (
	"bytes"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/transparency-dev/formats/log"

	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/envelope"
	"github.com/zkeval/zkeval/verifier"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.New("").ParseFS(templateFS, "templates/*.html"))

// View is an entry as the web page shows it: every field comes from the
// entry, whose attestation the log verified before appending it.
type View struct {
	Index       uint64
	PublishedAt string
	// ModelCommitment is the model's Poseidon2 commitment (0x hex).
	ModelCommitment string
	ModelName       string
	Benchmark       string // "mnist/test, 10000 samples"
	BenchmarkDigest string // hex SHA-256
	// Official says how the benchmark compares with the official data
	// zkeval knows (verifier.OfficialData); "" when it knows none for its
	// name.
	Official   string
	IsOfficial bool
	Claims     []ClaimView
	SetupKind  string
	// SinglePartyWarning is the setup's caveat: keys from a single-party
	// setup, or a ceremony claimed but not checked.
	SinglePartyWarning string
	Signer             string // DSSE key id, "" for a bare statement
	VerifyingKey       string // hex SHA-256
	Envelope           bool
}

// ClaimView is one claim: its text and its value, or "hidden".
type ClaimView struct {
	Text  string
	Value string
}

var officialCache sync.Map // "name/split/samples/digest" -> string

func officialData(name, split string, samples int, digest string) string {
	k := strings.Join([]string{name, split, strconv.Itoa(samples), digest}, "\x00")
	if v, ok := officialCache.Load(k); ok {
		return v.(string)
	}
	v := verifier.OfficialData(name, split, samples, digest)
	officialCache.Store(k, v)
	return v
}

func (it *Item) view() *View {
	v := &View{Index: it.Index, PublishedAt: it.Entry.PublishedAt.UTC().Format(time.RFC3339), VerifyingKey: it.Entry.VerifyingKey["sha256"], Envelope: envelope.IsEnvelope(it.Entry.Attestation)}
	if len(it.Entry.Signer) == 32 {
		v.Signer, _ = envelope.KeyID(it.Entry.Signer)
	}
	st := it.Statement
	if st == nil {
		return v
	}
	p := &st.Predicate
	v.ModelCommitment, v.ModelName = p.Model.Commitment, p.Model.Name
	v.Benchmark = p.Benchmark.Name + "/" + p.Benchmark.Split + ", " + itoa(p.Benchmark.Samples) + " samples"
	v.BenchmarkDigest = p.Benchmark.Digest["sha256"]
	v.Official = officialData(p.Benchmark.Name, p.Benchmark.Split, p.Benchmark.Samples, v.BenchmarkDigest)
	v.IsOfficial = v.Official != "" && !strings.HasPrefix(v.Official, "NOT ") && !strings.HasPrefix(v.Official, "named ") && !strings.HasPrefix(v.Official, "could not")
	for _, c := range p.Claims {
		text := claim.Shape{Metric: c.Metric, Class: c.Class, Group: c.Group, Positive: c.Positive}.Key() + " " + c.Comparison + " " + c.Threshold
		val := "hidden"
		if !c.Hidden {
			val = c.Value
		}
		v.Claims = append(v.Claims, ClaimView{Text: text, Value: val})
	}
	// The log checks no ceremony transcript: a ceremony is the
	// attestation's word (the proof does not bind setup.kind).
	switch verifier.StatedSetup(st).Status {
	case verifier.SetupSingleParty:
		v.SetupKind = "single-party"
		v.SinglePartyWarning = "single-party setup: whoever ran it can forge proofs for this circuit; development only"
	default:
		v.SetupKind = "ceremony claimed, not checked"
		v.SinglePartyWarning = verifier.ClaimedWarning + "; the log checks no ceremony transcript (check one with zkeval verify --transcript)"
	}
	return v
}

func itoa(n int) string { return strconv.Itoa(n) }

func (l *Log) webRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", l.handleList)
	mux.HandleFunc("GET /entry/{index}", l.handleEntry)
}

type listPage struct {
	Origin          string
	Size            int
	Shown           []*View
	Model           string
	BenchmarkDigest string
	Filtered        bool
	// FilterError says why a filter value was refused; no entry is
	// listed then.
	FilterError string
}

// normalizeFilters puts the filter values in the form the entries hold
// them: the model commitment as lower-case 0x hex (with or without 0x in
// the query), the benchmark digest as 64 lower-case hex digits. It
// returns a message naming the value that is neither.
func normalizeFilters(model, bench string) (string, string, string) {
	if model != "" {
		h := strings.ToLower(model)
		h = strings.TrimPrefix(h, "0x")
		if !isHex(h) || len(h) > 64 {
			return model, bench, fmt.Sprintf("Model commitment %q is not a commitment: want hex digits (up to 64, with or without 0x), as zkeval commit prints.", model)
		}
		model = "0x" + h
	}
	if bench != "" {
		h := strings.ToLower(bench)
		if !isHex(h) || len(h) != 64 {
			return model, bench, fmt.Sprintf("Benchmark digest %q is not a SHA-256: want 64 hex digits.", bench)
		}
		bench = h
	}
	return model, bench, ""
}

// isHex: s is one or more lower-case hex digits.
func isHex(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return s != ""
}

// sameHex compares two hex values, ignoring case, a 0x prefix and
// leading zero digits.
func sameHex(a, b string) bool {
	norm := func(s string) string {
		s = strings.TrimPrefix(strings.ToLower(s), "0x")
		return strings.TrimLeft(s, "0")
	}
	return norm(a) == norm(b)
}

func (l *Log) handleList(w http.ResponseWriter, r *http.Request) {
	model := strings.TrimSpace(r.URL.Query().Get("model"))
	bench := strings.TrimSpace(r.URL.Query().Get("benchmark"))
	items := l.Items()
	pg := listPage{Origin: l.origin, Size: len(items), Model: model, BenchmarkDigest: bench, Filtered: model != "" || bench != ""}
	model, bench, pg.FilterError = normalizeFilters(model, bench)
	if pg.FilterError != "" {
		w.WriteHeader(http.StatusBadRequest)
		render(w, "list.html", pg)
		return
	}
	for i := len(items) - 1; i >= 0; i-- { // newest first
		v := items[i].view()
		if model != "" && !sameHex(v.ModelCommitment, model) {
			continue
		}
		if bench != "" && !strings.EqualFold(v.BenchmarkDigest, bench) {
			continue
		}
		pg.Shown = append(pg.Shown, v)
	}
	render(w, "list.html", pg)
}

type entryPage struct {
	Origin      string
	View        *View
	Checkpoint  string
	TreeSize    uint64
	Root        string
	Proof       []string
	Statement   string
	Attestation string
	ProofError  string
}

func (l *Log) handleEntry(w http.ResponseWriter, r *http.Request) {
	idx, ok := parseIndex(r.PathValue("index"))
	it, found := l.Item(idx)
	if !ok || !found {
		w.WriteHeader(http.StatusNotFound)
		render(w, "notfound.html", struct{ Origin, Index string }{l.origin, r.PathValue("index")})
		return
	}
	pg := entryPage{Origin: l.origin, View: it.view(), Attestation: indentJSON(it.Entry.Attestation)}
	payload := it.Entry.Attestation
	if pg.View.Envelope {
		if p, _, err := envelope.Open(payload, "attestation", nil); err == nil {
			payload = p
		}
	}
	pg.Statement = indentJSON(payload)
	rec, err := l.Receipt(r.Context(), idx)
	if err != nil {
		pg.ProofError = err.Error()
	} else {
		pg.Checkpoint = rec.Checkpoint
		cp := &log.Checkpoint{}
		if _, err := cp.Unmarshal(noteText([]byte(rec.Checkpoint))); err == nil {
			pg.TreeSize, pg.Root = cp.Size, hex.EncodeToString(cp.Hash)
		}
		for _, h := range rec.InclusionProof {
			pg.Proof = append(pg.Proof, hex.EncodeToString(h))
		}
	}
	render(w, "entry.html", pg)
}

func indentJSON(data []byte) string {
	var b bytes.Buffer
	if json.Indent(&b, data, "", "  ") != nil {
		return base64.StdEncoding.EncodeToString(data)
	}
	return b.String()
}

func render(w http.ResponseWriter, name string, data any) {
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, name, data); err != nil {
		http.Error(w, "rendering the page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	_, _ = w.Write(b.Bytes())
}
