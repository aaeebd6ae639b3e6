package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/prover"
	"github.com/zkeval/zkeval/shard"
)

// checkWhole is the runner's check before it starts any shard command:
// the keys fit the model, benchmark and claims, and the claims hold
// natively over the whole benchmark, as the single-proof prove checks
// (a false claim stops here, exit status 1).
func checkWhole(cmd *cobra.Command, a shardProveArgs, m *model.Model, b *benchmark.Benchmark, claims []prover.Claimed) error {
	shapes, _, err := prover.Shapes(claims)
	if err != nil {
		return ioErr(err)
	}
	if _, _, err := prover.ShardSetup(a.keysDir, m, b, shapes); err != nil {
		return ioErr(err)
	}
	if _, err := prover.CheckWhole(&prover.Request{Model: m, Benchmark: b, Claims: claims, KeysDir: a.keysDir, Progress: reporter(cmd)}); err != nil {
		if errors.Is(err, prover.ErrClaimFalse) {
			return err
		}
		return ioErr(err)
	}
	return nil
}

// parseShardList parses "all" or "0,3,5-7" for n shards.
func parseShardList(s string, n int) ([]int, error) {
	if s == "all" {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out, nil
	}
	var out []int
	seen := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err1 := strconv.Atoi(lo)
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.Atoi(hi)
		}
		if err1 != nil || err2 != nil || a < 0 || b < a || b >= n {
			return nil, fmt.Errorf("--shards %q: %q is not a shard or range of shards within 0 to %d", s, part, n-1)
		}
		for i := a; i <= b; i++ {
			if !seen[i] {
				seen[i] = true
				out = append(out, i)
			}
		}
	}
	return out, nil
}

// childArgs returns the command line of this prove command for one shard:
// every flag given, except --shards and --parallel (and those that name an
// output of this process), with --shard I.
func childArgs(cmd *cobra.Command, i int) []string {
	args := []string{"prove"}
	cmd.Flags().Visit(func(f *pflag.Flag) {
		switch f.Name {
		case "shards", "parallel", "shard", "cpuprofile", "json":
			return
		}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			for _, v := range sv.GetSlice() {
				args = append(args, "--"+f.Name+"="+v)
			}
			return
		}
		args = append(args, "--"+f.Name+"="+f.Value.String())
	})
	return append(args, "--shard="+strconv.Itoa(i))
}

// runShards is the local runner: it runs `zkeval prove ... --shard I`,
// the same command a cluster's pod runs (deploy/), for every shard asked,
// P at a time, and reports each.
func runShards(cmd *cobra.Command, sf *shardFlags, a shardProveArgs, claims []prover.Claimed) error {
	meta, err := keys.ReadShardMeta(a.keysDir)
	if err != nil {
		return ioErr(err)
	}
	b, err := benchmark.ReadFile(a.benchPath)
	if err != nil {
		return ioErr(err)
	}
	n := shard.Count(b.Len(), meta.Shard.ShardSize)
	list, err := parseShardList(sf.shards, n)
	if err != nil {
		return usageErr("%v", err)
	}
	m, err := model.ReadFile(a.modelPath)
	if err != nil {
		return ioErr(err)
	}
	if err := checkWhole(cmd, a, m, b, claims); err != nil {
		return err
	}
	// The opening is read here only when this process needs it: the shard
	// commands of --parallel P read it themselves.
	in := &shardInputs{m: m, b: b}
	if sf.resume || sf.parallel == 1 {
		if err := in.readOpening(a); err != nil {
			return err
		}
	}
	var skipped []int
	if !sf.resume {
		if err := refuseExisting(a.out, list); err != nil {
			return err
		}
	}
	if sf.resume {
		if list, skipped, err = pendingShards(cmd, a, in, claims, list, n); err != nil {
			return err
		}
		if len(list) == 0 {
			return runnerDone(cmd, a, claims, nil, skipped, n)
		}
	}
	if sf.parallel == 1 {
		return runShardsHere(cmd, a, in, claims, list, skipped, n)
	}
	self, err := selfPath()
	if err != nil {
		return ioErr(err)
	}
	ew := runnerLog(cmd)
	echo := childArgs(cmd, 0)
	echo = echo[:len(echo)-1]
	for k, arg := range echo {
		if name, v, ok := strings.Cut(arg, "="); ok && strings.HasPrefix(name, "--") {
			echo[k] = name + "=" + shellQuote(v)
		} else {
			echo[k] = shellQuote(arg)
		}
	}
	fmt.Fprintf(ew, "proving %d of %d shards, %d at a time, each with: %s %s --shard=I\n", len(list), n, sf.parallel, shellQuote(filepath.Base(self)), strings.Join(echo, " "))
	type result struct {
		i   int
		err error
		out []byte
		dur time.Duration
	}
	// SIGINT or SIGTERM to the runner stops it: no further shard starts,
	// each running shard command receives the same signal (it dies before
	// its file is renamed into place, so no shard file is half-written),
	// the runner waits for them and exits with 128 + the signal's number.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var caught atomic.Value
	go func() {
		select {
		case sig := <-sigs:
			caught.Store(sig)
			cancel()
		case <-ctx.Done():
		}
	}()
	jobs := make(chan int)
	results := make(chan result)
	var wg sync.WaitGroup
	for range sf.parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if ctx.Err() != nil {
					continue
				}
				t0 := time.Now()
				c := exec.CommandContext(ctx, self, childArgs(cmd, i)...)
				c.Env = append(os.Environ(), runnerChildEnv+"=1")
				c.Cancel = func() error {
					sig, _ := caught.Load().(os.Signal)
					if sig == nil {
						sig = syscall.SIGTERM
					}
					return c.Process.Signal(sig)
				}
				// A shard command that ignores the signal is killed.
				c.WaitDelay = 10 * time.Second
				var buf bytes.Buffer
				c.Stdout, c.Stderr = &buf, &buf
				err := c.Run()
				results <- result{i, err, buf.Bytes(), time.Since(t0)}
			}
		}()
	}
	go func() {
		for _, i := range list {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		close(results)
	}()
	var failed, stopped []string
	for r := range results {
		if r.err != nil && ctx.Err() != nil {
			stopped = append(stopped, strconv.Itoa(r.i))
			fmt.Fprintf(ew, "shard %d stopped after %.1f s (%v); no file written\n", r.i, r.dur.Seconds(), r.err)
			continue
		}
		if r.err != nil {
			failed = append(failed, strconv.Itoa(r.i))
			fmt.Fprintf(ew, "shard %d FAILED after %.1f s (%v):\n%s\n", r.i, r.dur.Seconds(), r.err, strings.TrimSpace(string(r.out)))
			continue
		}
		fmt.Fprintf(ew, "shard %d done in %.1f s: %s\n", r.i, r.dur.Seconds(), filepath.Join(a.out, prover.ShardFileName(r.i)))
	}
	if sig, ok := caught.Load().(syscall.Signal); ok {
		return &exitError{code: 128 + int(sig), err: fmt.Errorf("stopped by %s: %d running shard commands were sent %s and have exited (%s); no file was written for them; the shard files already written stay in %s; prove the rest with the same command and --resume", sigName(sig), len(stopped), sigName(sig), orNone(stopped), a.out)}
	}
	if len(failed) > 0 {
		return ioErr(fmt.Errorf("%d of %d shards failed (%s); rerun them alone with --shards %s", len(failed), len(list), strings.Join(failed, ","), strings.Join(failed, ",")))
	}
	return runnerDone(cmd, a, claims, list, skipped, n)
}

// sigName names a signal as a shell user knows it: SIGINT, SIGTERM.
func sigName(sig os.Signal) string {
	switch sig {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return sig.String()
}

// runShardsHere proves the shards of list one after another in this
// process, with the keys loaded once (for the LeNet-5 shards of 100
// images, loading takes about 13 s of each shard command's 75 s). SIGINT
// or SIGTERM stops it at once with 128 + the signal's number: the shard
// being proven is abandoned before its file is written (a file is written
// whole or not at all), and the files already written stay for --resume.
func runShardsHere(cmd *cobra.Command, a shardProveArgs, in *shardInputs, claims []prover.Claimed, list, skipped []int, n int) error {
	ew := runnerLog(cmd)
	var mu sync.Mutex // held while a shard file is written, and for current and written
	written, current := 0, -1
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		sig := <-sigs
		mu.Lock()
		what := "before any shard was proven"
		if current >= 0 {
			what = fmt.Sprintf("shard %d, being proven, was abandoned (no file written for it)", current)
		}
		kept := "no shard file was written"
		if written > 0 {
			verb := "stay"
			if written == 1 {
				verb = "stays"
			}
			kept = fmt.Sprintf("the %s written %s in %s", countOf(written, "shard file", "shard files"), verb, a.out)
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "zkeval: stopped by %s: %s; %s; prove the rest with the same command and --resume\n", sigName(sig), what, kept)
		code := 1
		if s, ok := sig.(syscall.Signal); ok {
			code = 128 + int(s)
		}
		os.Exit(code)
	}()
	fmt.Fprintf(ew, "proving %d of %d shards one after another in this process\n", len(list), n)
	done := reporter(cmd).Start("load keys (once for all shards)")
	k, err := prover.LoadShardKeys(a.keysDir)
	if err != nil {
		return ioErr(err)
	}
	done("")
	var failed []string
	for _, i := range list {
		t0 := time.Now()
		mu.Lock()
		current = i
		mu.Unlock()
		f, err := proveOneShard(cmd, a, in, claims, i, true, k)
		if errors.Is(err, prover.ErrKeysChanged) {
			return ioErr(fmt.Errorf("shard %d: %w; the %s written by this run are of the keys loaded before", i, err, countOf(written, "shard file", "shard files")))
		}
		var path string
		if err == nil {
			mu.Lock()
			path, _, err = writeShardFile(a, i, f, true)
			if err == nil {
				written++
			}
			mu.Unlock()
		}
		if err != nil {
			failed = append(failed, strconv.Itoa(i))
			fmt.Fprintf(ew, "shard %d FAILED after %.1f s: %v\n", i, time.Since(t0).Seconds(), err)
			continue
		}
		fmt.Fprintf(ew, "shard %d done in %.1f s: %s\n", i, time.Since(t0).Seconds(), path)
	}
	if len(failed) > 0 {
		return ioErr(fmt.Errorf("%d of %d shards failed (%s); rerun them alone with --shards %s", len(failed), len(list), strings.Join(failed, ","), strings.Join(failed, ",")))
	}
	return runnerDone(cmd, a, claims, list, skipped, n)
}

// refuseExisting refuses a run without --resume whose -o directory already
// holds a file (or anything else) at the path of a shard asked for: hours of
// proofs are not overwritten by a command that forgot --resume.
func refuseExisting(dir string, list []int) error {
	var there []string
	for _, i := range list {
		if _, err := os.Lstat(filepath.Join(dir, prover.ShardFileName(i))); err == nil {
			there = append(there, strconv.Itoa(i))
		}
	}
	if len(there) == 0 {
		return nil
	}
	shown := there
	if len(shown) > 8 {
		shown = append(shown[:8:8], "...")
	}
	return ioErr(fmt.Errorf("%s already holds the files of %s of the %d shards asked for (%s); the runner does not overwrite them: add --resume to keep those that are this run's and prove the rest, or move them away to prove every shard again", dir, countOf(len(there), "shard", "shards"), len(list), strings.Join(shown, ", ")))
}

// pendingShards splits list into the shards whose file is not yet in the
// -o directory and those whose file there is this run's (kept). A file there that is not this run's shard (another model
// commitment, keys, benchmark or claims, not a shard file, a symbolic link
// or other non-regular file, or a shard file numbered beyond the run's n
// shards, which combine would refuse) is an error: proving again would
// overwrite it, or combine refuse it. Other files are left alone, as
// combine ignores them.
func pendingShards(cmd *cobra.Command, a shardProveArgs, in *shardInputs, claims []prover.Claimed, list []int, n int) (todo, kept []int, err error) {
	check, err := prover.NewShardFileCheck(&prover.Request{Model: in.m, Benchmark: in.b, Claims: claims, KeysDir: a.keysDir}, in.cm)
	if err != nil {
		return nil, nil, ioErr(err)
	}
	if ents, err := os.ReadDir(a.out); err == nil {
		for _, e := range ents {
			var i int
			if _, err := fmt.Sscanf(e.Name(), "shard-%05d.json", &i); err == nil && e.Name() == prover.ShardFileName(i) && i >= n {
				return nil, nil, ioErr(fmt.Errorf("--resume: %s: this run has %d shards, 0 to %d, and combine would refuse this file: move it away", filepath.Join(a.out, e.Name()), n, n-1))
			}
		}
	}
	for _, i := range list {
		path := filepath.Join(a.out, prover.ShardFileName(i))
		st, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			todo = append(todo, i)
			continue
		}
		if err == nil && !st.Mode().IsRegular() {
			return nil, nil, ioErr(fmt.Errorf("--resume: %s is not a regular file (%s); combine takes regular files only: move it away", path, fileKind(st.Mode())))
		}
		f, err := attestation.ReadShardFile(path)
		if err == nil {
			err = check.Fits(f, i)
		}
		if err != nil {
			return nil, nil, ioErr(fmt.Errorf("--resume: %s is not this run's shard %d: %v; move it away, and --resume proves that shard again", path, i, err))
		}
		kept = append(kept, i)
	}
	are := "are"
	if len(kept) == 1 {
		are = "is"
	}
	fmt.Fprintf(runnerLog(cmd), "--resume: %d of the %d shards asked for %s already in %s and not proven again (combine checks their proofs)\n", len(kept), len(list), are, a.out)
	return todo, kept, nil
}

// fileKind names a file mode's type in words.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	default:
		return "a " + m.Type().String() + " file"
	}
}

// runnerDone reports a finished runner: the files proven and skipped
// (--resume), as JSON with --json, else one line with the next command.
func runnerDone(cmd *cobra.Command, a shardProveArgs, claims []prover.Claimed, proven, skipped []int, n int) error {
	if j, _ := cmd.Flags().GetBool("json"); j {
		return writeJSON(cmd.OutOrStdout(), map[string]any{"dir": a.out, "shards": n, "proven": orEmpty(proven), "skipped": orEmpty(skipped)})
	}
	next := fmt.Sprintf("zkeval combine %s --benchmark %s", a.out, a.benchPath)
	for _, c := range claims {
		if !c.Reveal {
			next += " --keys " + a.keysDir
			break
		}
	}
	next += " -o ATTESTATION.json"
	if len(proven)+len(skipped) < n {
		next = "prove the other shards, then " + next
	}
	head := fmt.Sprintf("proved %s into %s", countOf(len(proven), "shard", "shards"), a.out)
	switch {
	case len(proven) == 0:
		head = fmt.Sprintf("every shard asked for is already in %s (%s kept by --resume)", a.out, countOf(len(skipped), "shard", "shards"))
	case len(skipped) > 0:
		head += fmt.Sprintf(", beside %s kept by --resume", countOf(len(skipped), "shard", "shards"))
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s; next: %s\n", head, next)
	return nil
}

func orEmpty(l []int) []int {
	if l == nil {
		return []int{}
	}
	return l
}

// runnerLog is where the runner's progress lines go: stderr, or nowhere
// with --json or --quiet.
func runnerLog(cmd *cobra.Command) io.Writer {
	if quiet(cmd) {
		return io.Discard
	}
	return cmd.ErrOrStderr()
}

// selfPath returns the program to run for a shard: this one, as it was
// invoked (os.Args[0], looked up in PATH when it is a bare name), else the
// running executable.
func selfPath() (string, error) {
	if a := os.Args[0]; strings.ContainsRune(a, filepath.Separator) {
		return filepath.Abs(a)
	} else if p, err := exec.LookPath(a); err == nil {
		return p, nil
	}
	return os.Executable()
}

// orNone joins the shard numbers, or says none.
func orNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return "shards " + strings.Join(l, ",")
}

// shellQuote quotes s for a POSIX shell when it holds anything but
// letters, digits and -_=./,:+@%: the echoed command can be pasted.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=./,:+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
