package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

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

// printable escapes, as Go writes them in a quoted string ("\x1b",
// "\n", "\u202e"), the runes of s that a terminal does not print as
// themselves: control and format characters and spaces other than U+0020;
// bytes that are not UTF-8 become U+FFFD.
// Errors quote text from the files they name; a hostile file must not be
// able to move the cursor and rewrite what zkeval printed before (an
// INVALID line turned into VALID).
func printable(s string) string {
	if utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsPrint(r) {
			b.WriteRune(r)
			continue
		}
		q := strconv.QuoteRune(r)
		b.WriteString(q[1 : len(q)-1])
	}
	return b.String()
}

// HeavyGCPercent is the garbage collector target (GOGC) of prove, which
// holds a proving key and constraint system: 25 instead of Go's 100 keeps
// the heap closer to the live set. Measured on the 1,000-image MNIST prove:
// peak RSS 1.86 GiB at 100, 1.52 GiB at 25, no slower; on the 10,000-image
// prove 4.8 GiB (6.2 GiB at 100 in an earlier run). Setup keeps Go's
// default: it compiles the circuit, which a low target slows by half.
const HeavyGCPercent = 25

// lowerGCTarget applies HeavyGCPercent unless the GOGC environment variable
// chooses otherwise.
func lowerGCTarget() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(HeavyGCPercent)
	}
}

// countOf is "1 one" or "N many": a count with its noun, singular or
// plural.
func countOf[N ~int | ~uint64](n N, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
