// Package safefile opens files that zkeval reads from others (ceremony
// transcripts, keys, public keys) so that a hostile file can neither hang
// the process nor make it read without bound: only regular files are
// opened (a symbolic link, FIFO, device or directory is refused before it
// is read, and opening never blocks), and a file's size is checked against
// a stated maximum before any byte is read.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ErrNotRegular is wrapped when a path is not a regular file.
var ErrNotRegular = errors.New("not a regular file")

// NotRegularError names the path and what it is instead.
type NotRegularError struct {
	Path string
	Mode fs.FileMode
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is %s, not a regular file; zkeval reads only regular files here (no symbolic link, FIFO or device)", e.Path, kind(e.Mode))
}

// Unwrap returns ErrNotRegular.
func (e *NotRegularError) Unwrap() error { return ErrNotRegular }

// ErrTooLarge is wrapped when a file is larger than the maximum stated for it.
var ErrTooLarge = errors.New("file too large")

// TooLargeError names the file, its size and the maximum.
type TooLargeError struct {
	Path      string
	Size, Max int64
	What      string
}

func (e *TooLargeError) Error() string {
	what := e.What
	if what == "" {
		what = "file of this kind"
	}
	return fmt.Sprintf("%s has %d bytes, more than the %d bytes any %s may have", e.Path, e.Size, e.Max, what)
}

// Unwrap returns ErrTooLarge.
func (e *TooLargeError) Unwrap() error { return ErrTooLarge }

func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a directory"
	}
	return "not a regular file"
}

// Open opens path for reading if it is a regular file, without following a
// symbolic link and without blocking (a FIFO put in its place is refused,
// never waited on), and checks that its size is at most max bytes (no
// bound when max < 0). what names the kind of file in the error. It
// returns the file and its size; the caller closes the file.
func Open(path string, max int64, what string) (*os.File, int64, error) {
	return open(path, max, what, false)
}

// OpenFollow is Open for a path the user names on the command line (a key
// file, say): a symbolic link is followed, but what it leads to must be a
// regular file, opened without blocking and checked as Open checks it.
func OpenFollow(path string, max int64, what string) (*os.File, int64, error) {
	return open(path, max, what, true)
}

func open(path string, max int64, what string, follow bool) (*os.File, int64, error) {
	// Lstat (or Stat) first: a clear error for a link or a FIFO without
	// opening it.
	stat := os.Lstat
	if follow {
		stat = os.Stat
	}
	fi, err := stat(path)
	if err != nil {
		// The caller opens the file: say so, whichever call found the
		// error first.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			pe.Op = "open"
		}
		return nil, 0, err
	}
	if !fi.Mode().IsRegular() {
		return nil, 0, &NotRegularError{Path: path, Mode: fi.Mode()}
	}
	f, err := openFile(path, follow)
	if err != nil {
		return nil, 0, err
	}
	// Then Fstat the open file: whatever was swapped in between is what
	// is checked and read.
	fi, err = f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, 0, &NotRegularError{Path: path, Mode: fi.Mode()}
	}
	if max >= 0 && fi.Size() > max {
		f.Close()
		return nil, 0, &TooLargeError{Path: path, Size: fi.Size(), Max: max, What: what}
	}
	return f, fi.Size(), nil
}

// ReadFile reads a regular file of at most max bytes whole (see Open).
func ReadFile(path string, max int64, what string) ([]byte, error) {
	return readFile(path, max, what, false)
}

// ReadFileFollow reads a file of at most max bytes whole, following a
// symbolic link (see OpenFollow).
func ReadFileFollow(path string, max int64, what string) ([]byte, error) {
	return readFile(path, max, what, true)
}

func readFile(path string, max int64, what string, follow bool) ([]byte, error) {
	f, size, err := open(path, max, what, follow)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The file may grow after Fstat: read at most max+1 bytes.
	limit := max
	if limit < 0 {
		limit = size
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if max >= 0 && int64(len(data)) > max {
		return nil, &TooLargeError{Path: path, Size: int64(len(data)), Max: max, What: what}
	}
	return data, nil
}
