package dirlock

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLockExcludes(t *testing.T) {
	dir := t.TempDir()
	var inside, most atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := Lock(dir, 10*time.Second)
			require.NoError(t, err)
			n := inside.Add(1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(5 * time.Millisecond)
			inside.Add(-1)
			unlock()
		}()
	}
	wg.Wait()
	require.EqualValues(t, 1, most.Load())
}

func TestLockTimesOut(t *testing.T) {
	dir := t.TempDir()
	unlock, err := Lock(dir, time.Second)
	require.NoError(t, err)
	_, err = Lock(dir, 100*time.Millisecond)
	require.ErrorIs(t, err, ErrBusy)
	unlock()
	unlock2, err := Lock(dir, time.Second)
	require.NoError(t, err)
	unlock2()
}
