// Package atomicfile writes files so that readers see either the old content
// or the complete new content, never a partial file.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFile writes data to path through a temporary file in the same
// directory, synced and then renamed over path. On any error the temporary
// file is removed and path is left untouched. perm applies to the new file.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return Write(path, perm, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}

// Write is WriteFile for content produced by a callback writing to f.
func Write(path string, perm os.FileMode, fill func(f *os.File) error) error {
	p, err := Prepare(path, perm, fill)
	if err != nil {
		return err
	}
	return p.Commit()
}

// Pending is a complete temporary file waiting to be moved into place, so
// that several files can be prepared first and then published together.
type Pending struct {
	path, tmp string
	done      bool
}

// Prepare writes the content produced by fill to a synced temporary file in
// path's directory, with permissions perm. Nothing is visible at path until
// Commit or CommitNew; on error nothing is left behind.
func Prepare(path string, perm os.FileMode, fill func(f *os.File) error) (p *Pending, err error) {
	dir := filepath.Dir(path)
	if err := checkDir(path, dir); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, unwrapPath(err))
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = fill(tmp); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, unwrapPath(err))
	}
	if err = tmp.Chmod(perm); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, unwrapPath(err))
	}
	if err = tmp.Sync(); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, unwrapPath(err))
	}
	if err = tmp.Close(); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, unwrapPath(err))
	}
	return &Pending{path: path, tmp: tmp.Name()}, nil
}

// Commit renames the temporary file over the destination, replacing any
// file there.
func (p *Pending) Commit() error {
	if p.done {
		return fmt.Errorf("write %s: already committed", p.path)
	}
	p.done = true
	if err := os.Rename(p.tmp, p.path); err != nil {
		os.Remove(p.tmp)
		return fmt.Errorf("write %s: %w", p.path, unwrapPath(err))
	}
	syncDir(filepath.Dir(p.path))
	return nil
}

// CommitNew moves the temporary file to the destination only if no file is
// there yet; otherwise it fails with an error wrapping fs.ErrExist and leaves
// the existing file alone.
func (p *Pending) CommitNew() error {
	if p.done {
		return fmt.Errorf("write %s: already committed", p.path)
	}
	p.done = true
	defer os.Remove(p.tmp)
	if err := os.Link(p.tmp, p.path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s already exists: %w", p.path, fs.ErrExist)
		}
		// A file system without hard links: check, then rename.
		if _, serr := os.Lstat(p.path); serr == nil {
			return fmt.Errorf("%s already exists: %w", p.path, fs.ErrExist)
		}
		if err := os.Rename(p.tmp, p.path); err != nil {
			return fmt.Errorf("write %s: %w", p.path, unwrapPath(err))
		}
	}
	syncDir(filepath.Dir(p.path))
	return nil
}

// Abort removes the temporary file of a Pending that was not committed.
func (p *Pending) Abort() {
	if p != nil && !p.done {
		p.done = true
		os.Remove(p.tmp)
	}
}

// checkDir reports a missing or non-directory parent in words that name the
// destination rather than the temporary file.
func checkDir(path, dir string) error {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return notExistError(fmt.Sprintf("write %s: directory %s does not exist", path, dir))
	case err != nil:
		return fmt.Errorf("write %s: %w", path, unwrapPath(err))
	case !st.IsDir():
		return fmt.Errorf("write %s: %s is not a directory", path, dir)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("write %s: it is a directory; give a file name", path)
	}
	return nil
}

// unwrapPath drops the *fs.PathError layer, whose path would name the
// temporary file.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// syncDir makes a rename durable where the platform can sync a directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

// notExistError reads as its text and matches fs.ErrNotExist.
type notExistError string

func (e notExistError) Error() string        { return string(e) }
func (e notExistError) Is(target error) bool { return target == fs.ErrNotExist }
