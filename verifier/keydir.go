package verifier

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// KeyDir finds verifying keys by their SHA-256, the digest an attestation
// names its verifying key by (predicate.proof.verifyingKey.sha256).
type KeyDir struct {
	Dir    string
	Files  int               // regular files hashed
	byHash map[string]string // lowercase hex SHA-256 -> path
}

// NoKeyError is Lookup's error when no file of the directory has the
// digest asked for.
type NoKeyError struct {
	Dir    string
	Digest string
	Files  int
}

func (e *NoKeyError) Error() string {
	return fmt.Sprintf("no file in %s has SHA-256 %s (%d files hashed)", e.Dir, e.Digest, e.Files)
}

// IndexKeys hashes every regular file directly in dir, once; subdirectories
// (and anything that is not a regular file) are skipped. Symbolic links are
// followed; dangling ones are skipped. Files are read in name order, so that of several files with the
// same content the first name is the one Lookup returns.
func IndexKeys(dir string) (*KeyDir, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	kd := &KeyDir{Dir: dir, byHash: map[string]string{}}
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		st, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // a dangling symbolic link
		}
		if err != nil {
			return nil, err
		}
		if !st.Mode().IsRegular() {
			continue
		}
		d, err := fileDigest(path)
		if err != nil {
			return nil, err
		}
		kd.Files++
		if _, dup := kd.byHash[d]; !dup {
			kd.byHash[d] = path
		}
	}
	return kd, nil
}

func fileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Lookup returns the path and the bytes of the file whose SHA-256 is digest
// (lowercase hex). The bytes are checked against digest again, so that a
// file changed since IndexKeys is not taken for the key. The error is a
// *NoKeyError when no file has the digest.
func (kd *KeyDir) Lookup(digest string) (path string, data []byte, err error) {
	path, ok := kd.byHash[digest]
	if !ok {
		return "", nil, &NoKeyError{Dir: kd.Dir, Digest: digest, Files: kd.Files}
	}
	data, err = os.ReadFile(path)
	if err != nil {
		return "", nil, err
	}
	if s := sha256.Sum256(data); hex.EncodeToString(s[:]) != digest {
		return "", nil, fmt.Errorf("%s changed while zkeval read it: its SHA-256 is no longer %s", path, digest)
	}
	return path, data, nil
}
