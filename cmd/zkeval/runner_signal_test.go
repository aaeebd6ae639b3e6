package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRunnerForwardsSignal starts the local runner (prove --shards all
// --parallel 2) on the tiny CSV benchmark with its opening file replaced
// by a named pipe, so that each shard command blocks reading it; sends
// SIGTERM to the runner alone; and checks that the runner exits with
// 128+15 after its shard commands have exited: once it is gone, no process
// holds the pipe open for reading (a non-blocking open for writing fails
// with ENXIO), and no shard file was written.
func TestRunnerForwardsSignal(t *testing.T) {
	if _, err := exec.LookPath("zkeval"); err != nil {
		t.Skip("zkeval is not in PATH (set up by TestMain)")
	}
	dir := t.TempDir()
	tiny, err := os.ReadFile("testdata/script/shards_tiny.txtar")
	if err != nil {
		t.Fatal(err)
	}
	_, csv, ok := strings.Cut(string(tiny), "-- t.csv --\n")
	if !ok {
		t.Fatal("shards_tiny.txtar holds no t.csv")
	}
	csv, _, _ = strings.Cut(csv, "-- ")
	if err := os.WriteFile(filepath.Join(dir, "t.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	repo, _ := filepath.Abs("../..")
	run := func(args ...string) {
		t.Helper()
		c := exec.Command("zkeval", args...)
		c.Dir = dir
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("zkeval %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("benchmark", "import", "csv", "t.csv", "--name", "tiny", "-o", "t.bench")
	run("model", "import", filepath.Join(repo, "testdata/onnx/mlp_opset13.onnx"), "--benchmark", "t.bench", "-o", "t.zkm")
	run("commit", "t.zkm", "-o", "c.json", "--opening", "real-o.json")
	run("setup", "--model", "t.zkm", "--benchmark", "t.bench", "--shard-size", "4", "-o", "keys")
	fifo := filepath.Join(dir, "o.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}

	runner := exec.Command("zkeval", "prove", "--model", "t.zkm", "--opening", "o.json", "--benchmark", "t.bench", "--keys", "keys",
		"--claim", "accuracy >= 0.2", "--shards", "all", "--parallel", "2", "-o", "out")
	runner.Dir = dir
	var stderr bytes.Buffer
	runner.Stderr = &stderr
	if err := runner.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- runner.Wait() }()

	// Wait until a shard command opens the pipe for reading; keep a writer
	// open (writing nothing), so that it then blocks in its read.
	var w int
	for deadline := time.Now().Add(60 * time.Second); ; {
		w, err = syscall.Open(fifo, syscall.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("the runner exited (%v) before a shard command started:\n%s", err, &stderr)
		default:
		}
		if time.Now().After(deadline) {
			_ = runner.Process.Kill()
			t.Fatalf("no shard command opened %s within 60 s:\n%s", fifo, &stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // let the second shard command reach the pipe too
	if err := runner.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err = <-exited:
	case <-time.After(60 * time.Second):
		_ = runner.Process.Kill()
		t.Fatalf("the runner did not exit within 60 s of SIGTERM:\n%s", &stderr)
	}
	syscall.Close(w)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 128+int(syscall.SIGTERM) {
		t.Fatalf("runner: %v, want exit status %d\n%s", err, 128+int(syscall.SIGTERM), &stderr)
	}
	if !strings.Contains(stderr.String(), "zkeval: stopped by SIGTERM") {
		t.Errorf("stderr does not say the runner was stopped:\n%s", &stderr)
	}
	if r, err := syscall.Open(fifo, syscall.O_WRONLY|syscall.O_NONBLOCK, 0); !errors.Is(err, syscall.ENXIO) {
		if err == nil {
			syscall.Close(r)
		}
		t.Fatalf("after the runner exited, opening %s for writing gave %v, want ENXIO: a shard command still reads it\n%s", fifo, err, &stderr)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "out", "shard-*.json")); len(m) > 0 {
		t.Errorf("shard files written after SIGTERM: %v", m)
	}
}
