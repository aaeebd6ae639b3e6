package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/zkeval/zkeval/registry/client"
)

// logJSON is what verify --receipt checked.
type logJSON struct {
	Log         string `json:"log"`
	Index       uint64 `json:"index"`
	TreeSize    uint64 `json:"treeSize"`
	PublishedAt string `json:"publishedAt"`
	// LatestSize is the size of the checkpoint fetched with --log, which
	// was checked consistent with the receipt's; 0 without --log.
	LatestSize uint64 `json:"latestSize,omitempty"`
}

// checkReceipt checks the --receipt of the attestation bytes att, verified
// with the verifying key of SHA-256 vkSHA256: offline against --log-key,
// then, with --log, the consistency of the log's latest checkpoint with the
// receipt's. A check that fails wraps client.ErrCheck (exit status 1); a
// log that cannot be reached is an I/O error.
func (in *verifyInputs) checkReceipt(file string, att []byte, vkSHA256 string) (*logJSON, error) {
	data, err := readBounded(in.receiptPath, "receipt")
	if err != nil {
		return nil, ioErr(err)
	}
	rec, err := client.ParseReceipt(data, in.receiptPath)
	if err != nil {
		// A receipt that does not parse is a malformed input file (3), as
		// a malformed attestation or key is.
		return nil, ioErr(err)
	}
	key, err := client.ReadLogKey(in.logKeyPath)
	if err != nil {
		return nil, ioErr(err)
	}
	res, err := client.VerifyReceipt(rec, key, att, vkSHA256)
	if err != nil {
		return nil, &exitError{code: exitInvalid, err: fmt.Errorf("%s: receipt %s: %w", file, in.receiptPath, err)}
	}
	lj := &logJSON{Log: res.Checkpoint.Origin, Index: rec.Index, TreeSize: res.Checkpoint.Size, PublishedAt: res.Entry.PublishedAt.Format(time.RFC3339)}
	if in.logURL == "" {
		return lj, nil
	}
	c, err := client.New(in.logURL, nil)
	if err != nil {
		return nil, usageErr("--log: %v", err)
	}
	latest, _, err := c.Checkpoint(in.cmd.Context(), key)
	if err == nil {
		err = c.CheckConsistency(in.cmd.Context(), res.Checkpoint, latest)
	}
	if err != nil {
		err = fmt.Errorf("%s: log %s: %w", file, in.logURL, err)
		if errors.Is(err, client.ErrCheck) {
			return nil, &exitError{code: exitInvalid, err: err}
		}
		return nil, ioErr(err)
	}
	lj.LatestSize = latest.Size
	return lj, nil
}

func printLog(w io.Writer, lj *logJSON) {
	if lj == nil {
		return
	}
	fmt.Fprintf(w, "  transparency log  entry %d of log %s, published %s (the log's time); included in its signed checkpoint of %s\n", lj.Index, printable(lj.Log), lj.PublishedAt, entries(lj.TreeSize))
	if lj.LatestSize != 0 {
		fmt.Fprintf(w, "                    the log's latest checkpoint (%s) is consistent with it\n", entries(lj.LatestSize))
	}
}

// entries is "1 entry" or "N entries".
func entries[N ~int | ~uint64](n N) string { return countOf(n, "entry", "entries") }
