package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/zkeval/zkeval/registry/client"
)

// Handler serves the log:
//
//	POST /add              submit {"attestation", "verifyingKey", "signer"} (base64
//	                       fields; see Submission); 200 with a client.Receipt, or
//	                       4xx with {"error", "status"} and nothing appended
//	GET  /checkpoint       the latest signed checkpoint (C2SP tlog-tiles)
//	GET  /tile/...         Merkle tree tiles and, under /tile/entries/, entry
//	                       bundles (C2SP tlog-tiles)
//	GET  /vk/SHA256        a verifying key, by its SHA-256
//	GET  /receipt/INDEX    the receipt of entry INDEX against the latest checkpoint
//	GET  /                 the web page: published attestations, with filters
//	GET  /entry/INDEX      the web page of one entry
func (l *Log) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /add", l.handleAdd)
	fs := http.FileServer(http.Dir(filepath.Join(l.cfg.Dir, "log")))
	mux.Handle("GET /checkpoint", cache("no-cache", fs))
	mux.Handle("GET /tile/", l.tiles())
	mux.HandleFunc("GET /vk/{digest}", l.handleVK)
	mux.HandleFunc("GET /receipt/{index}", l.handleReceipt)
	l.webRoutes(mux)
	return mux
}

func cache(value string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", value)
		h.ServeHTTP(w, r)
	})
}

// tilePath matches the paths of the C2SP tlog-tiles layout under /tile/:
// a level (0 to 63) or "entries", the tile index in three-digit groups, the
// non-final ones prefixed "x", and for a partial tile ".p/WIDTH" (1 to 255).
var tilePath = regexp.MustCompile(`^/tile/(entries|[0-9]|[1-5][0-9]|6[0-3])/(?:x[0-9]{3}/)*[0-9]{3}(\.p/(?:[1-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5]))?$`)

// tiles serves tiles and entry bundles from the log's directory: only
// paths of the tlog-tiles layout (any other, ".." in any encoding
// included, is 404), only regular files (no directory listings); full
// tiles never change and are cached for good, partial ones are not.
func (l *Log) tiles() http.Handler {
	root := filepath.Join(l.cfg.Dir, "log")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := tilePath.FindStringSubmatch(r.URL.Path)
		if m == nil || r.URL.Path != path.Clean(r.URL.Path) {
			http.NotFound(w, r)
			return
		}
		f, err := os.Open(filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(r.URL.Path, "/"))))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			http.NotFound(w, r)
			return
		}
		if m[2] == "" {
			w.Header().Set("Cache-Control", "max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		http.ServeContent(w, r, "", fi.ModTime(), f)
	})
}

// ErrorBody is the JSON body of a refusal.
type ErrorBody struct {
	Error  string `json:"error"`
	Status int    `json:"status"`
}

func writeError(w http.ResponseWriter, status int, reason string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(ErrorBody{Error: reason, Status: status})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func (l *Log) handleAdd(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, client.MaxSubmission))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the submission is larger than %d bytes, the limit of this log (an attestation of at most %d bytes and a verifying key of at most %d, in base64)", client.MaxSubmission, client.MaxAttestation, client.MaxVerifyingKey))
			return
		}
		writeError(w, http.StatusBadRequest, "reading the submission: "+err.Error())
		return
	}
	var s Submission
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		writeError(w, http.StatusBadRequest, "the submission is not a JSON object {\"attestation\", \"verifyingKey\", \"signer\"} with base64 values: "+err.Error())
		return
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, "the submission has data after its JSON object")
		return
	}
	rec, err := l.Submit(r.Context(), &s)
	if err != nil {
		var re *RejectError
		if errors.As(err, &re) {
			writeError(w, re.Status, re.Reason)
			return
		}
		slog.Error("append failed", "err", err)
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, rec)
}

func (l *Log) handleVK(w http.ResponseWriter, r *http.Request) {
	vk, err := l.VerifyingKey(r.PathValue("digest"))
	if err != nil {
		writeError(w, http.StatusNotFound, "no verifying key with SHA-256 "+strconv.Quote(r.PathValue("digest")))
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Cache-Control", "max-age=31536000, immutable")
	_, _ = w.Write(vk)
}

func parseIndex(s string) (uint64, bool) {
	i, err := strconv.ParseUint(s, 10, 64)
	return i, err == nil
}

func (l *Log) handleReceipt(w http.ResponseWriter, r *http.Request) {
	idx, ok := parseIndex(r.PathValue("index"))
	if !ok {
		writeError(w, http.StatusBadRequest, "not an entry index: "+strconv.Quote(r.PathValue("index")))
		return
	}
	rec, err := l.Receipt(r.Context(), idx)
	if err != nil {
		var re *RejectError
		if errors.As(err, &re) {
			writeError(w, re.Status, re.Reason)
			return
		}
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, rec)
}
