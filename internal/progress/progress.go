// Package progress reports long phases (compile, setup, prove) with their
// elapsed time on a writer, normally standard error.
package progress

import (
	"fmt"
	"io"
	"time"
)

// Reporter prints phase lines; a nil *Reporter or one with a nil writer is
// silent.
type Reporter struct {
	W io.Writer
}

// Start prints "phase..." and returns a function that prints the phase's
// elapsed seconds and an optional detail when called.
func (r *Reporter) Start(phase string) func(detail string) time.Duration {
	t0 := time.Now()
	r.Printf("%s...\n", phase)
	return func(detail string) time.Duration {
		d := time.Since(t0)
		if detail != "" {
			detail = ": " + detail
		}
		r.Printf("%s done in %.2f s%s\n", phase, d.Seconds(), detail)
		return d
	}
}

// Printf writes a formatted line when the reporter is active.
func (r *Reporter) Printf(format string, a ...any) {
	if r == nil || r.W == nil {
		return
	}
	fmt.Fprintf(r.W, format, a...)
}
