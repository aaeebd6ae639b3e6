package main

import (
	"encoding/json"
	"io"

	"github.com/consensys/gnark/logger"
	"github.com/spf13/cobra"

	"github.com/zkeval/zkeval/internal/progress"
)

// reporter returns the progress reporter of a command: stderr, silent under
// --json or --quiet.
func reporter(cmd *cobra.Command) *progress.Reporter {
	if quiet(cmd) {
		return &progress.Reporter{}
	}
	return &progress.Reporter{W: cmd.ErrOrStderr()}
}

func quiet(cmd *cobra.Command) bool {
	j, _ := cmd.Flags().GetBool("json")
	q, _ := cmd.Flags().GetBool("quiet")
	return j || q
}

// setupGnarkLog sends gnark's own log lines (JSON, one per line) to stderr
// with --verbose, and silences them otherwise: zkeval's progress lines say
// the same in words, and stdout carries results only.
func setupGnarkLog(cmd *cobra.Command) {
	if v, _ := cmd.Flags().GetBool("verbose"); !v || quiet(cmd) {
		logger.Disable()
		return
	}
	logger.SetOutput(cmd.ErrOrStderr())
}

func addJSONFlag(cmd *cobra.Command) {
	cmd.Flags().Bool("json", false, "print a JSON result on stdout; no progress on stderr")
}

func addQuietFlag(cmd *cobra.Command) {
	cmd.Flags().BoolP("quiet", "q", false, "no progress on stderr")
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
