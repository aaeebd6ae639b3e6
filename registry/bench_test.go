//go:build benchlog

package registry

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/registry/client"
)

// TestBenchLog (make bench-log) publishes BENCH_LOG_N (default 1,000)
// distinct attestations at once to a log server process on loopback,
// records the publish latencies, then times an audit of the whole log: in
// process (client.Audit) and, with ZKEVAL_BIN set, the CLI (zkeval log
// audit). With BENCH_LOG_OUT set it writes the figures there (Markdown).
func TestBenchLog(t *testing.T) {
	n := 1000
	if s := os.Getenv("BENCH_LOG_N"); s != "" {
		_, err := fmt.Sscan(s, &n)
		require.NoError(t, err)
	}
	f := loadFixture(t)
	skey, key := newLogKey(t)
	tmp := t.TempDir()
	srv := startChild(t, filepath.Join(tmp, "log"), skey)

	t0 := time.Now()
	lat := publishConcurrently(t, srv.c, f.att, f.vk, n)
	wall := time.Since(t0)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }

	ctx := context.Background()
	t1 := time.Now()
	rep, err := client.Audit(ctx, srv.c, key, nil)
	auditIn := time.Since(t1)
	require.NoError(t, err)
	require.Equal(t, n, rep.Entries)
	require.Equal(t, n, rep.Valid)

	cli := "not run (set ZKEVAL_BIN)"
	if bin := os.Getenv("ZKEVAL_BIN"); bin != "" {
		pub := filepath.Join(tmp, "log.pub")
		require.NoError(t, os.WriteFile(pub, []byte(key.Text+"\n"), 0o644))
		t2 := time.Now()
		out, err := exec.Command(bin, "log", "audit", srv.c.URL(), "--log-key", pub).CombinedOutput()
		cliTime := time.Since(t2)
		require.NoError(t, err, "%s", out)
		require.Contains(t, string(out), fmt.Sprintf("entries     %d: %d valid, 0 invalid", n, n))
		cli = fmt.Sprintf("%.2f s", cliTime.Seconds())
	}
	host, _ := os.Hostname()
	res := fmt.Sprintf(`| figure | value |
|---|---|
| attestations published at once | %d (distinct DSSE envelopes of one tiny attestation, each verified in full) |
| all acknowledged after | %.2f s |
| publish latency p50 | %.0f ms |
| publish latency p99 | %.0f ms |
| publish latency max | %.0f ms |
| audit of %d entries, in process (client.Audit) | %.2f s |
| audit of %d entries, zkeval log audit (CLI, whole process) | %s |
| machine | %s, %d CPUs (GOMAXPROCS), %s/%s |
`, n, wall.Seconds(), ms(pct(0.50)), ms(pct(0.99)), ms(lat[len(lat)-1]), n, auditIn.Seconds(), n, cli, host, runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)
	t.Log("\n" + res)
	if out := os.Getenv("BENCH_LOG_OUT"); out != "" {
		require.NoError(t, os.WriteFile(out, []byte(strings.TrimSpace(res)+"\n"), 0o644))
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
