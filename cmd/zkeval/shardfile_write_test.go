package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/attestation"
)

// The runner writes a shard file only where none is: a file that appeared
// at the path while it proved (another command writing into the same
// directory) is left alone, and the error says so. A lone shard command
// replaces its file and reports it.
func TestWriteShardFileNeverReplacesForTheRunner(t *testing.T) {
	dir := t.TempDir()
	a := shardProveArgs{out: filepath.Join(dir, "shards")}
	f := &attestation.ShardFile{Count: 5}

	path, replaced, err := writeShardFile(a, 3, f, true)
	require.NoError(t, err)
	require.False(t, replaced)
	first, err := os.ReadFile(path)
	require.NoError(t, err)

	f2 := &attestation.ShardFile{Count: 6}
	_, _, err = writeShardFile(a, 3, f2, true)
	require.ErrorIs(t, err, fs.ErrExist)
	require.ErrorContains(t, err, "appeared while this run proved shard 3")
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, first, after, "the file already there was changed")
	ents, err := os.ReadDir(a.out)
	require.NoError(t, err)
	require.Len(t, ents, 1, "a temporary file was left behind")

	_, replaced, err = writeShardFile(a, 3, f2, false)
	require.NoError(t, err)
	require.True(t, replaced)
	after, err = os.ReadFile(path)
	require.NoError(t, err)
	require.NotEqual(t, first, after)
}
