//go:build !unix

package safefile

import "os"

// openFile opens path read-only; Open checks what was opened with Fstat.
func openFile(path string, follow bool) (*os.File, error) { return os.Open(path) }
