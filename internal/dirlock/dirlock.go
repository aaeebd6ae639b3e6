// Package dirlock serialises the steps that rewrite a directory's index
// file (a ceremony's manifest) between processes: a step takes the lock,
// compares the index with what it read, writes the new one and releases
// the lock, so that no two steps can both succeed on the same old index.
//
// On Unix the lock is flock(2) on a lock file inside the directory: the
// kernel releases it when the process ends, so a crashed step leaves no
// stale lock. Elsewhere the lock is the exclusive creation of that file.
package dirlock

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"
)

// Name is the lock file created in the directory.
const Name = ".lock"

// ErrBusy is wrapped when the lock is not free within the timeout.
var ErrBusy = errors.New("directory locked by another step")

// Lock takes the lock of dir, waiting at most timeout, and returns the
// function that releases it.
func Lock(dir string, timeout time.Duration) (unlock func(), err error) {
	path := filepath.Join(dir, Name)
	deadline := time.Now().Add(timeout)
	for {
		unlock, busy, err := try(path)
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !busy {
			return unlock, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%w: %s is held by another process (waited %s)", ErrBusy, path, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
