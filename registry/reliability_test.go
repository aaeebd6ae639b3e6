package registry

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/envelope"
	"github.com/zkeval/zkeval/internal/atomicfile"
	"github.com/zkeval/zkeval/registry/client"
)

// The test binary doubles as a log server process (for kill -9): with
// ZKEVAL_TEST_LOG_DIR set it serves that log on 127.0.0.1, writes the
// address to DIR.addr and runs until killed.
func TestMain(m *testing.M) {
	if dir := os.Getenv("ZKEVAL_TEST_LOG_DIR"); dir != "" {
		if err := serveChild(dir, os.Getenv("ZKEVAL_TEST_LOG_KEY")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

func serveChild(dir, skey string) error {
	l, err := Open(context.Background(), Config{Dir: dir, SignerKey: skey})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(dir+".addr", []byte(ln.Addr().String()), 0o644); err != nil {
		return err
	}
	return http.Serve(ln, l.Handler())
}

type child struct {
	cmd *exec.Cmd
	c   *client.Client
	// done is closed when the process has exited, with its status in err.
	done chan struct{}
	err  error
}

// startChild runs a log server process on dir and waits until it serves.
func startChild(t *testing.T, dir, skey string) *child {
	t.Helper()
	_ = os.Remove(dir + ".addr")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "ZKEVAL_TEST_LOG_DIR="+dir, "ZKEVAL_TEST_LOG_KEY="+skey)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	ch := &child{cmd: cmd, done: make(chan struct{})}
	go func() { ch.err = cmd.Wait(); close(ch.done) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-ch.done })
	deadline := time.Now().Add(60 * time.Second)
	for {
		addr, err := os.ReadFile(dir + ".addr")
		if err == nil {
			c, err := client.New("http://"+string(addr), &http.Client{Timeout: 60 * time.Second})
			require.NoError(t, err)
			ch.c = c
			return ch
		}
		select {
		case <-ch.done:
			t.Fatalf("the log server exited: %v", ch.err)
		case <-time.After(20 * time.Millisecond):
		}
		require.True(t, time.Now().Before(deadline), "the log server did not start within 60 s")
	}
}

// signedCopies makes n distinct attestations: att in DSSE envelopes signed
// by n lab keys. Each is a valid attestation that the log verifies in full
// (proof, digests, signature).
func signedCopies(t testing.TB, att []byte, n int) (envs [][]byte, signers []ed25519.PublicKey) {
	t.Helper()
	for i := 0; i < n; i++ {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		require.NoError(t, err)
		env, err := envelope.Sign(att, priv)
		require.NoError(t, err)
		envs = append(envs, env)
		signers = append(signers, pub)
	}
	return envs, signers
}

// TestKillMidBurst kills the log server (SIGKILL) in the middle of a burst
// of publishes, restarts it, and checks that every acknowledged entry is
// there and that the new checkpoint is consistent with every checkpoint
// handed out before.
func TestKillMidBurst(t *testing.T) {
	f := loadFixture(t)
	skey, key := newLogKey(t)
	dir := filepath.Join(t.TempDir(), "log")
	const n, killAfter = 48, 16
	envs, signers := signedCopies(t, f.att, n)

	srv := startChild(t, dir, skey)
	ctx := context.Background()
	var mu sync.Mutex
	var acked []*client.Receipt
	ackedIdx := map[int]bool{}
	killed := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r, err := srv.c.Publish(ctx, envs[i], f.vk, signers[i])
			if err != nil {
				return // refused or cut by the kill: not acknowledged
			}
			mu.Lock()
			acked = append(acked, r)
			ackedIdx[i] = true
			if len(acked) == killAfter {
				once.Do(func() {
					require.NoError(t, srv.cmd.Process.Kill()) // SIGKILL
					close(killed)
				})
			}
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	select {
	case <-killed:
	default:
		t.Fatalf("only %d of %d publishes were acknowledged before the burst ended", len(acked), n)
	}
	<-srv.done
	require.GreaterOrEqual(t, len(acked), killAfter)
	t.Logf("%d of %d publishes acknowledged before SIGKILL", len(acked), n)

	srv2 := startChild(t, dir, skey)
	latest, _, err := srv2.c.Checkpoint(ctx, key)
	require.NoError(t, err)
	for _, r := range acked {
		res, err := client.VerifyReceipt(r, key, mustEntry(t, r).Attestation, client.Digest(f.vk))
		require.NoError(t, err)
		// The entry is in the restarted log, at its index, byte for byte.
		b, err := srv2.c.Bundle(ctx, r.Index/256, latest.Size)
		require.NoError(t, err)
		require.Equal(t, r.Entry, b[r.Index%256], "entry %d", r.Index)
		// The new checkpoint extends the one handed out with the receipt.
		require.NoError(t, srv2.c.CheckConsistency(ctx, res.Checkpoint, latest), "entry %d", r.Index)
	}
	// Every attestation published again: each is in the log exactly once.
	for i := 0; i < n; i++ {
		_, err := srv2.c.Publish(ctx, envs[i], f.vk, signers[i])
		require.NoError(t, err)
	}
	rep, err := client.Audit(ctx, srv2.c, key, nil)
	require.NoError(t, err)
	require.Equal(t, n, rep.Entries, "each attestation exactly once")
	require.Equal(t, n, rep.Valid)
}

func mustEntry(t testing.TB, r *client.Receipt) *client.Entry {
	e, err := client.ParseEntry(r.Entry)
	require.NoError(t, err)
	return e
}

// publishConcurrently publishes n distinct attestations at once and
// returns each publish's latency.
func publishConcurrently(t testing.TB, c *client.Client, att, vk []byte, n int) []time.Duration {
	envs, signers := signedCopies(t, att, n)
	lat := make([]time.Duration, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			t0 := time.Now()
			_, errs[i] = c.Publish(context.Background(), envs[i], vk, signers[i])
			lat[i] = time.Since(t0)
		}(i)
	}
	close(start)
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return lat
}

// TestConcurrentPublishes publishes distinct attestations at once, then the
// same ones again at once: each is in the log exactly once and the log
// audits clean. (make bench-log does it with 1,000.)
func TestConcurrentPublishes(t *testing.T) {
	f := loadFixture(t)
	tl := newTestLog(t, nil)
	const n = 64
	publishConcurrently(t, tl.client, f.att, f.vk, n)
	// The same bytes again, concurrently and twice each: duplicates only.
	envs, signers := signedCopies(t, f.att2, 8)
	var wg sync.WaitGroup
	idx := make([][2]uint64, len(envs))
	for i := range envs {
		for k := 0; k < 2; k++ {
			wg.Add(1)
			go func(i, k int) {
				defer wg.Done()
				r, err := tl.client.Publish(context.Background(), envs[i], nil, signers[i])
				require.NoError(t, err)
				idx[i][k] = r.Index
			}(i, k)
		}
	}
	wg.Wait()
	for i := range idx {
		require.Equal(t, idx[i][0], idx[i][1], "both publishes of attestation %d got the same entry", i)
	}
	rep, err := client.Audit(context.Background(), tl.client, tl.key, nil)
	require.NoError(t, err)
	require.Equal(t, n+len(envs), rep.Entries)
	require.Equal(t, rep.Entries, rep.Valid)
	seen := map[string]bool{}
	size := tl.size(t)
	for b := uint64(0); b*256 < size; b++ {
		entries, err := tl.client.Bundle(context.Background(), b, size)
		require.NoError(t, err)
		for _, data := range entries {
			d := mustEntryData(t, data).AttestationSHA256()
			require.False(t, seen[d], "attestation %s appears twice", d)
			seen[d] = true
		}
	}
	require.Len(t, seen, n+len(envs))
}

func mustEntryData(t testing.TB, data []byte) *client.Entry {
	e, err := client.ParseEntry(data)
	require.NoError(t, err)
	return e
}
