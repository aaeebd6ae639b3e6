// Command zkeval proves, in zero knowledge, that a committed model reaches
// stated scores on a whole benchmark, and verifies such attestations.
//
// Exit codes:
//
//	0  success (for verify: the attestation is valid)
//	1  prove: the claim is false; verify: the attestation is invalid, which
//	   includes an attestation or verifying key that is malformed, truncated
//	   or not the one the attestation names
//	2  usage error: an unknown command or flag, a missing or malformed
//	   argument or flag value, an output path that is also an input
//	3  input/output error: a file is missing, unreadable or cannot be
//	   written; an input file other than verify's attestation and verifying
//	   key is malformed, or the inputs do not fit each other (a model and a
//	   benchmark of different widths, an opening of another model, keys made
//	   for another circuit)
//
// A command that fails writes no output file.
package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/consensys/gnark/logger"
	"github.com/spf13/cobra"

	"github.com/zkeval/zkeval/internal/atomicfile"
	"github.com/zkeval/zkeval/model/onnx"
	"github.com/zkeval/zkeval/prover"
	"github.com/zkeval/zkeval/registry/client"
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
	case errors.Is(err, verifier.ErrInvalid), errors.Is(err, prover.ErrClaimFalse), errors.Is(err, client.ErrCheck):
		return exitInvalid
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission):
		return exitIO
	case isCobraUsage(err):
		return exitUsage
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

Flow: benchmark import -> model import -> commit -> setup -> prove -> verify.
"zkeval COMMAND --help" describes each step.

Exit codes:
  0  success; for verify, the attestation is valid
  1  prove: the claim is false (no attestation is written);
     verify: the attestation is invalid or malformed, or the verifying key
     is not the one it names
  2  usage error (unknown command or flag, missing argument, bad value)
  3  a file is missing, unreadable, malformed or cannot be written, or the
     inputs do not fit each other
A command that fails leaves no output file behind.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       prover.Version,
	}
	root.PersistentFlags().BoolP("verbose", "v", false, "also print gnark's own log lines (JSON) on stderr")
	root.PersistentFlags().String("cpuprofile", "", "write a CPU profile of the command to this file (runtime/pprof format, for go tool pprof)")
	root.PersistentPreRunE = func(c *cobra.Command, _ []string) error {
		path, _ := c.Flags().GetString("cpuprofile")
		if path == "" {
			return nil
		}
		var err error
		stopProfile, err = startCPUProfile(path)
		return err
	}
	root.PersistentPostRunE = func(*cobra.Command, []string) error {
		return endCPUProfile(true)
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{code: exitUsage, err: fmt.Errorf("%w (see `%s --help`)", err, c.CommandPath())}
	})
	root.AddCommand(newModelCmd(), newCircuitCmd(), newBenchmarkCmd(), newCommitCmd(), newSetupCmd(), newProveCmd(), newCombineCmd(), newVerifyCmd(), newCeremonyCmd(), newKeygenCmd(), newSignCmd(), newExportCmd(), newPublishCmd(), newLogCmd())
	return root
}

func main() {
	// gnark logs to stdout by default; keep stdout for results.
	logger.SetOutput(os.Stderr)
	root := newRootCmd()
	stdout := &countingWriter{w: os.Stdout}
	root.SetOut(stdout)
	if cmd, err := root.ExecuteC(); err != nil {
		endCPUProfile(false)
		fmt.Fprintf(os.Stderr, "zkeval: %s\n", printable(err.Error()))
		if j, _ := cmd.Flags().GetBool("json"); j && stdout.n == 0 {
			// The command wrote no result of its own: the error is the
			// result.
			_ = writeJSON(os.Stdout, newErrorJSON(err))
		}
		os.Exit(exitCode(err))
	}
}

// errorJSON is the --json result of a command that fails without writing
// one of its own.
type errorJSON struct {
	Error    string `json:"error"`
	ExitCode int    `json:"exitCode"`
	// Unsupported lists the unsupported nodes of an ONNX model.
	Unsupported []onnx.Unsupported `json:"unsupported,omitempty"`
}

func newErrorJSON(err error) errorJSON {
	j := errorJSON{Error: err.Error(), ExitCode: exitCode(err)}
	var oe *onnx.Error
	if errors.As(err, &oe) {
		j.Unsupported = oe.Unsupported
	}
	return j
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// stopProfile, when a CPU profile runs, stops it; keep says whether to keep
// the file (a failed command leaves none behind).
var stopProfile func(keep bool) error

// endCPUProfile stops the CPU profile, if one runs.
func endCPUProfile(keep bool) error {
	if stopProfile == nil {
		return nil
	}
	stop := stopProfile
	stopProfile = nil
	return stop(keep)
}

// startCPUProfile starts a CPU profile for path, which must not exist: the
// profile goes to a temporary file, and the returned function stops it and,
// when keep, copies it to path without replacing anything (a failed command
// leaves no profile, and no existing file is ever touched).
func startCPUProfile(path string) (func(keep bool) error, error) {
	if _, err := os.Lstat(path); err == nil {
		return nil, usageErr("--cpuprofile %s already exists; remove it or give a new file name", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, ioErr(fmt.Errorf("--cpuprofile %s: %w", path, err))
	}
	if err := checkParent(path); err != nil {
		return nil, ioErr(fmt.Errorf("--cpuprofile %s: %w", path, err))
	}
	// The temporary file lives in the system's temporary directory, not
	// beside path: a command that wants an empty output directory (ceremony
	// init) must not find it there.
	f, err := os.CreateTemp("", "zkeval-cpuprofile-*")
	if err != nil {
		return nil, ioErr(fmt.Errorf("--cpuprofile: %w", err))
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, ioErr(fmt.Errorf("--cpuprofile %s: %w", path, err))
	}
	return func(keep bool) error {
		pprof.StopCPUProfile()
		defer os.Remove(f.Name())
		err := f.Close()
		if !keep {
			return nil
		}
		if err == nil {
			// O_EXCL fails when path exists: an output the command wrote
			// there is never replaced.
			err = copyNew(f.Name(), path)
		}
		if err != nil {
			// The command itself succeeded; its exit status says so.
			fmt.Fprintf(os.Stderr, "warning: --cpuprofile %s: the profile was not kept: %s\n", printable(path), printable(err.Error()))
		}
		return nil
	}, nil
}

// copyNew copies src to path, which must not exist (atomicfile's
// CommitNew); nothing is left at path when it fails.
func copyNew(src, path string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	p, err := atomicfile.Prepare(path, 0o644, func(f *os.File) error {
		_, err := io.Copy(f, in)
		return err
	})
	if err != nil {
		return err
	}
	return p.CommitNew()
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
