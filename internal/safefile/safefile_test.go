package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestOpenRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	reg := filepath.Join(dir, "f")
	require.NoError(t, os.WriteFile(reg, []byte("hello"), 0o644))
	link := filepath.Join(dir, "link")
	require.NoError(t, os.Symlink(reg, link))
	zero := filepath.Join(dir, "zero")
	require.NoError(t, os.Symlink("/dev/zero", zero))
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))

	data, err := ReadFile(reg, 5, "test file")
	require.NoError(t, err)
	require.Equal(t, "hello", string(data))

	done := make(chan struct{})
	go func() {
		defer close(done)
		for name, path := range map[string]string{"link": link, "link to /dev/zero": zero, "FIFO": fifo, "device": "/dev/zero", "directory": dir} {
			_, err := ReadFile(path, 1<<20, "test file")
			require.ErrorIs(t, err, ErrNotRegular, name)
			var nr *NotRegularError
			require.True(t, errors.As(err, &nr))
			require.Contains(t, err.Error(), path)
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("opening a FIFO or device blocked")
	}
}

func TestOpenChecksTheSizeFirst(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big")
	require.NoError(t, os.WriteFile(path, make([]byte, 100), 0o644))
	_, err := ReadFile(path, 99, "test file")
	require.ErrorIs(t, err, ErrTooLarge)
	require.Contains(t, err.Error(), "100 bytes, more than the 99 bytes any test file may have")
	f, size, err := Open(path, 100, "test file")
	require.NoError(t, err)
	require.EqualValues(t, 100, size)
	f.Close()
	_, err = ReadFile(filepath.Join(t.TempDir(), "missing"), 10, "")
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestOpenFollowTakesALinkToARegularFileOnly(t *testing.T) {
	dir := t.TempDir()
	reg := filepath.Join(dir, "f")
	require.NoError(t, os.WriteFile(reg, []byte("key"), 0o644))
	link := filepath.Join(dir, "link")
	require.NoError(t, os.Symlink(reg, link))
	data, err := ReadFileFollow(link, 10, "key file")
	require.NoError(t, err)
	require.Equal(t, "key", string(data))
	zero := filepath.Join(dir, "zero")
	require.NoError(t, os.Symlink("/dev/zero", zero))
	_, err = ReadFileFollow(zero, 10, "key file")
	require.ErrorIs(t, err, ErrNotRegular)
}
