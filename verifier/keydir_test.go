package verifier_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/zkeval/zkeval/verifier"
)

func TestKeyDir(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	hexSum := func(data string) string {
		s := sha256.Sum256([]byte(data))
		return hex.EncodeToString(s[:])
	}
	write("b.vk", "key one")
	write("a.vk", "key one") // same content: the first name wins
	write("c.vk", "key two")
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	write("sub/d.vk", "key three") // subdirectories are skipped
	if err := os.Symlink("nothere", filepath.Join(dir, "dangling.vk")); err != nil {
		t.Fatal(err)
	}

	kd, err := verifier.IndexKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	if kd.Files != 3 {
		t.Errorf("hashed %d files, want 3", kd.Files)
	}
	path, data, err := kd.Lookup(hexSum("key one"))
	if err != nil || path != filepath.Join(dir, "a.vk") || string(data) != "key one" {
		t.Errorf("Lookup(key one) = %q, %q, %v", path, data, err)
	}
	if _, data, err := kd.Lookup(hexSum("key two")); err != nil || string(data) != "key two" {
		t.Errorf("Lookup(key two) = %q, %v", data, err)
	}
	var nk *verifier.NoKeyError
	if _, _, err := kd.Lookup(hexSum("key three")); !errors.As(err, &nk) || nk.Digest != hexSum("key three") || nk.Files != 3 {
		t.Errorf("Lookup(key three): %v, want a NoKeyError naming its digest", err)
	}
	// A file changed after indexing is not taken for the key it was.
	write("c.vk", "key changed")
	if _, _, err := kd.Lookup(hexSum("key two")); err == nil {
		t.Errorf("Lookup of a changed file: no error")
	}
	if _, err := verifier.IndexKeys(filepath.Join(dir, "nothere")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("IndexKeys(missing dir): %v", err)
	}
}
