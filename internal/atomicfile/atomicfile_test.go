package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFileReplaces(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	require.NoError(t, WriteFile(p, []byte("old"), 0o644))
	require.NoError(t, WriteFile(p, []byte("new"), 0o600))
	got, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "new", string(got))
	st, err := os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	assert.Equal(t, []string{"f"}, entries(t, dir))
}

func TestFailedFillLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	err := Write(p, 0o644, func(f *os.File) error {
		_, _ = f.Write([]byte("partial"))
		return errors.New("disk full")
	})
	require.ErrorContains(t, err, "write "+p+": disk full")
	assert.Empty(t, entries(t, dir))
}

func TestMissingDirectory(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "nodir", "f")
	err := WriteFile(p, []byte("x"), 0o644)
	require.Error(t, err)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.Equal(t, "write "+p+": directory "+filepath.Join(dir, "nodir")+" does not exist", err.Error())
	assert.NotContains(t, err.Error(), ".tmp-", "the temporary file is not named")
}

func TestTargetIsDirectory(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "d"), 0o755))
	err := WriteFile(filepath.Join(dir, "d"), []byte("x"), 0o644)
	require.ErrorContains(t, err, "it is a directory")
	assert.Equal(t, []string{"d"}, entries(t, dir))
}

func TestCommitNewNeverReplaces(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "secret")
	require.NoError(t, os.WriteFile(p, []byte("keep me"), 0o600))
	pend, err := Prepare(p, 0o600, func(f *os.File) error { _, err := f.Write([]byte("other")); return err })
	require.NoError(t, err)
	err = pend.CommitNew()
	require.ErrorIs(t, err, fs.ErrExist)
	got, _ := os.ReadFile(p)
	assert.Equal(t, "keep me", string(got))
	assert.Equal(t, []string{"secret"}, entries(t, dir), "the temporary file is removed")

	q := filepath.Join(dir, "fresh")
	pend, err = Prepare(q, 0o600, func(f *os.File) error { _, err := f.Write([]byte("new")); return err })
	require.NoError(t, err)
	require.NoError(t, pend.CommitNew())
	got, _ = os.ReadFile(q)
	assert.Equal(t, "new", string(got))
	assert.Equal(t, []string{"fresh", "secret"}, entries(t, dir))
}

func TestAbort(t *testing.T) {
	dir := t.TempDir()
	pend, err := Prepare(filepath.Join(dir, "f"), 0o644, func(f *os.File) error { return nil })
	require.NoError(t, err)
	names := entries(t, dir)
	require.Len(t, names, 1)
	assert.True(t, strings.HasPrefix(names[0], ".f.tmp-"))
	pend.Abort()
	pend.Abort() // idempotent
	assert.Empty(t, entries(t, dir))
	require.Error(t, pend.Commit(), "an aborted file cannot be committed")
}
