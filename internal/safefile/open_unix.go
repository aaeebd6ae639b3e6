//go:build unix

package safefile

import (
	"os"
	"syscall"
)

// openFile opens path read-only; O_NOFOLLOW (unless follow) refuses a
// symbolic link put in place after Lstat, and O_NONBLOCK makes opening a
// FIFO return at once (it has no effect on reading a regular file).
func openFile(path string, follow bool) (*os.File, error) {
	flags := os.O_RDONLY | syscall.O_NONBLOCK
	if !follow {
		flags |= syscall.O_NOFOLLOW
	}
	return os.OpenFile(path, flags, 0)
}
