// Command zkeval proves, in zero knowledge, that a committed model reaches
// stated scores on a whole benchmark, and verifies such attestations.
//
// Exit codes: 0 success (for verify: the attestation is valid); 1 the claim
// is false or the attestation does not verify; 2 usage error; 3 input/output
// error (a file is missing, unreadable, malformed or cannot be written).
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/consensys/gnark/logger"
	"github.com/spf13/cobra"

	"github.com/zkeval/zkeval/prover"
	"github.com/zkeval/zkeval/verifier"
)

// Exit codes.
const (
	exitOK      = 0
	exitInvalid = 1
	exitUsage   = 2
	exitIO      = 3
)

// exitError carries an exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, a ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, a...)}
}

func ioErr(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: exitIO, err: err}
}

func exitCode(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, verifier.ErrInvalid), errors.Is(err, prover.ErrClaimFalse):
		return exitInvalid
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission):
		return exitIO
	}
	return exitIO
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "zkeval",
		Short: "Zero-knowledge evaluation attestations for neural networks",
		Long: `zkeval proves, with one Groth16 proof, that a committed model reaches a stated
score on every sample of a public benchmark, without revealing a weight; and it
verifies such attestations in milliseconds.

Flow: model import -> benchmark import -> commit -> setup -> prove -> verify.

Exit codes: 0 success or valid; 1 false claim or invalid attestation;
2 usage error; 3 input/output error.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       prover.Version,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{code: exitUsage, err: fmt.Errorf("%w (see `%s --help`)", err, c.CommandPath())}
	})
	root.AddCommand(newModelCmd(), newBenchmarkCmd(), newCommitCmd(), newSetupCmd(), newProveCmd(), newVerifyCmd())
	return root
}

func main() {
	// gnark logs to stdout by default; keep stdout for results.
	logger.SetOutput(os.Stderr)
	root := newRootCmd()
	err := root.Execute()
	if err != nil {
		code := exitCode(err)
		var ee *exitError
		if !errors.As(err, &ee) && isCobraUsage(err) {
			code = exitUsage
		}
		fmt.Fprintf(os.Stderr, "zkeval: %v\n", err)
		os.Exit(code)
	}
}

// isCobraUsage recognises cobra's own argument and flag errors.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "accepts ", "requires at least", "requires at most", "received ", "unknown flag", "required flag", "unknown shorthand"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
