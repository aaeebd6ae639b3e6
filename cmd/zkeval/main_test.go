package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/zkeval/zkeval/ceremony"
	"github.com/zkeval/zkeval/internal/jsonfile"
)

// The scripts in testdata/script run the real zkeval binary (this test
// binary, dispatched to main by testscript) in a scratch directory each.
// Their environment holds:
//
//	REPO  the repository root (for testdata/models, testdata/onnx, testdata/mnist)
//	FIX   a shared, read-only directory made once per test run by running
//	      the MNIST happy path up to an attestation (see buildFixture); its
//	      Groth16 setup is the slow step, so every script reuses it
//
// Commands added to the script language:
//
//	zk CODE ARGS...        run zkeval ARGS, want exit status CODE, no panic,
//	                       and on failure one "zkeval: " error line on stderr
//	json [KEY=VALUE...]    stdout is one JSON object and nothing else; each
//	                       top-level KEY holds the JSON VALUE
//	flip FILE OFFSET       flip the low bit of byte OFFSET (negative: from the end)
//	truncate FILE SIZE     cut FILE to SIZE bytes
//	flipproof FILE BYTE    flip a bit of byte BYTE (negative: from the end) of
//	                       an attestation's proof
//	setjson FILE PATH JSON set a field of a JSON file (PATH like predicate/claims/0/value)
//	idx KIND FILE N BYTES  write an IDX file (KIND images or labels) whose
//	                       header announces N items, followed by BYTES bytes
//	notemp [DIR]           no temporary file (.NAME.tmp-*) is left in DIR (default .)
//	envjson NAME FILE PATH set $NAME to the string at PATH (a/b/0) in the JSON FILE
//	                       (FILE may be stdout)
//	mkfifo PATH            make a named pipe
//	replace FILE OLD NEW   replace the first OLD in FILE by NEW, failing if
//	                       OLD is absent
//	setmanifest FILE PATH JSON  set a field of a ceremony manifest and write it
//	                       back in its canonical encoding (signatures untouched)
//	freeport NAME          set $NAME to a free TCP port of 127.0.0.1
//	waithttp URL           wait up to 30 s until URL answers 200
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"zkeval": main})
}

func TestScripts(t *testing.T) {
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	fixDir := t.TempDir()
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			if err := fixture.build(repo, fixDir); err != nil {
				return err
			}
			env.Setenv("REPO", repo)
			env.Setenv("FIX", fixDir)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"zk":          cmdZK,
			"json":        cmdJSON,
			"flip":        cmdFlip,
			"truncate":    cmdTruncate,
			"flipproof":   cmdFlipProof,
			"setjson":     cmdSetJSON,
			"idx":         cmdIDX,
			"notemp":      cmdNoTemp,
			"envjson":     cmdEnvJSON,
			"mkfifo":      cmdMkfifo,
			"replace":     cmdReplace,
			"setmanifest": cmdSetManifest,
			"freeport":    cmdFreePort,
			"waithttp":    cmdWaitHTTP,
		},
	})
}

// fixture runs the MNIST happy path once: benchmark import (12 images),
// model import, commit, setup and prove, keeping each step's stdout and
// stderr as STEP.stdout and STEP.stderr.
var fixture onceFixture

type onceFixture struct {
	once sync.Once
	err  error
}

func (f *onceFixture) build(repo, dir string) error {
	f.once.Do(func() { f.err = buildFixture(repo, dir) })
	return f.err
}

func buildFixture(repo, dir string) error {
	bin, err := exec.LookPath("zkeval")
	if err != nil {
		return err
	}
	steps := []struct {
		name string
		args []string
	}{
		{"bench", []string{"benchmark", "import", "mnist", "--limit", "12", "-o", "b12.bench"}},
		{"import", []string{"model", "import", filepath.Join(repo, "testdata/models/mnist_mlp_784_8_10.onnx"), "--benchmark", "b12.bench", "-o", "m.zkm"}},
		{"commit", []string{"commit", "m.zkm", "-o", "c.json", "--opening", "o.json"}},
		{"setup", []string{"setup", "--model", "m.zkm", "--benchmark", "b12.bench", "-o", "keys"}},
		{"prove", []string{"prove", "--model", "m.zkm", "--opening", "o.json", "--commitment", "c.json", "--benchmark", "b12.bench",
			"--keys", "keys", "--claim", "accuracy >= 0.5", "-o", "att.json"}},
	}
	for _, s := range steps {
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(bin, s.args...)
		cmd.Dir, cmd.Stdout, cmd.Stderr = dir, &stdout, &stderr
		err := cmd.Run()
		if werr := os.WriteFile(filepath.Join(dir, s.name+".stdout"), stdout.Bytes(), 0o644); werr != nil {
			return werr
		}
		if werr := os.WriteFile(filepath.Join(dir, s.name+".stderr"), stderr.Bytes(), 0o644); werr != nil {
			return werr
		}
		if err != nil {
			return fmt.Errorf("fixture step %s (zkeval %s): %v\n%s", s.name, strings.Join(s.args, " "), err, stderr.String())
		}
	}
	return nil
}

func cmdZK(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("zk checks the exit status itself; do not negate it")
	}
	if len(args) < 1 {
		ts.Fatalf("usage: zk CODE ARGS...")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("zk: bad exit code %q", args[0])
	}
	err = ts.Exec("zkeval", args[1:]...)
	got := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("zkeval did not run: %v", err)
		}
		got = ee.ExitCode()
	}
	stderr := ts.ReadFile("stderr")
	if strings.Contains(stderr, "panic:") || strings.Contains(stderr, "goroutine ") {
		ts.Fatalf("zkeval panicked")
	}
	if got != want {
		ts.Fatalf("zkeval exited with status %d, want %d", got, want)
	}
	if want != 0 {
		var errLines []string
		for _, l := range strings.Split(stderr, "\n") {
			if strings.HasPrefix(l, "zkeval: ") {
				errLines = append(errLines, l)
			}
		}
		if len(errLines) != 1 {
			ts.Fatalf("want exactly one \"zkeval: \" error line on stderr, got %d", len(errLines))
		}
	}
}

func cmdJSON(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("json does not support !")
	}
	out := ts.ReadFile("stdout")
	dec := json.NewDecoder(strings.NewReader(out))
	var obj map[string]json.RawMessage
	if err := dec.Decode(&obj); err != nil {
		ts.Fatalf("stdout is not a JSON object: %v", err)
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err == nil || err.Error() != "EOF" {
		ts.Fatalf("stdout holds more than one JSON value")
	}
	for _, kv := range args {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			ts.Fatalf("json: want KEY=VALUE, got %q", kv)
		}
		got, ok := obj[k]
		if !ok {
			ts.Fatalf("json: stdout has no key %q", k)
		}
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			ts.Fatalf("json: %v", err)
		}
		if err := json.Unmarshal([]byte(v), &w); err != nil {
			ts.Fatalf("json: value for %s is not JSON: %v", k, err)
		}
		if fmt.Sprint(g) != fmt.Sprint(w) {
			ts.Fatalf("json: %s is %s, want %s", k, got, v)
		}
	}
}

func cmdFlip(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: flip FILE OFFSET")
	}
	path := ts.MkAbs(args[0])
	data, err := os.ReadFile(path)
	ts.Check(err)
	off, err := strconv.Atoi(args[1])
	ts.Check(err)
	if off < 0 {
		off += len(data)
	}
	if off < 0 || off >= len(data) {
		ts.Fatalf("flip: offset %s outside the %d-byte file", args[1], len(data))
	}
	data[off] ^= 1
	ts.Check(os.WriteFile(path, data, 0o644))
}

func cmdTruncate(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: truncate FILE SIZE")
	}
	n, err := strconv.ParseInt(args[1], 10, 64)
	ts.Check(err)
	ts.Check(os.Truncate(ts.MkAbs(args[0]), n))
}

func readJSONFile(ts *testscript.TestScript, path string) map[string]any {
	data, err := os.ReadFile(path)
	ts.Check(err)
	var v map[string]any
	ts.Check(json.Unmarshal(data, &v))
	return v
}

func writeJSONFile(ts *testscript.TestScript, path string, v any) {
	data, err := json.MarshalIndent(v, "", "  ")
	ts.Check(err)
	ts.Check(os.WriteFile(path, data, 0o644))
}

func cmdFlipProof(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: flipproof FILE BYTE")
	}
	path := ts.MkAbs(args[0])
	st := readJSONFile(ts, path)
	proof := st["predicate"].(map[string]any)["proof"].(map[string]any)
	raw, err := base64.StdEncoding.DecodeString(proof["bytes"].(string))
	ts.Check(err)
	i, err := strconv.Atoi(args[1])
	ts.Check(err)
	if i < 0 {
		i += len(raw)
	}
	if i < 0 || i >= len(raw) {
		ts.Fatalf("flipproof: byte %d outside the %d-byte proof", i, len(raw))
	}
	raw[i] ^= 1
	proof["bytes"] = raw // re-encoded as base64
	writeJSONFile(ts, path, st)
}

func cmdSetJSON(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: setjson FILE PATH JSON")
	}
	path := ts.MkAbs(args[0])
	root := readJSONFile(ts, path)
	var val any
	ts.Check(json.Unmarshal([]byte(args[2]), &val))
	keys := strings.Split(args[1], "/")
	var cur any = root
	for i, k := range keys {
		last := i == len(keys)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				c[k] = val
			} else {
				cur = c[k]
			}
		case []any:
			j, err := strconv.Atoi(k)
			if err != nil || j < 0 || j >= len(c) {
				ts.Fatalf("setjson: bad index %q", k)
			}
			if last {
				c[j] = val
			} else {
				cur = c[j]
			}
		default:
			ts.Fatalf("setjson: %s: not an object or array", strings.Join(keys[:i], "/"))
		}
	}
	writeJSONFile(ts, path, root)
}

func cmdIDX(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 {
		ts.Fatalf("usage: idx images|labels FILE N BYTES")
	}
	n, err := strconv.ParseUint(args[2], 10, 32)
	ts.Check(err)
	body, err := strconv.Atoi(args[3])
	ts.Check(err)
	var hdr []uint32
	switch args[0] {
	case "images":
		hdr = []uint32{2051, uint32(n), 28, 28}
	case "labels":
		hdr = []uint32{2049, uint32(n)}
	default:
		ts.Fatalf("idx: kind %q: want images or labels", args[0])
	}
	var buf bytes.Buffer
	for _, h := range hdr {
		ts.Check(binary.Write(&buf, binary.BigEndian, h))
	}
	for i := range body {
		buf.WriteByte(byte(i % 10)) // valid labels, dim pixels
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), buf.Bytes(), 0o644))
}

func cmdNoTemp(ts *testscript.TestScript, neg bool, args []string) {
	dir := ts.MkAbs(".")
	if len(args) == 1 {
		dir = ts.MkAbs(args[0])
	}
	entries, err := os.ReadDir(dir)
	ts.Check(err)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") && strings.Contains(e.Name(), ".tmp-") {
			ts.Fatalf("temporary file %s left behind in %s", e.Name(), dir)
		}
	}
}

func cmdEnvJSON(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: envjson NAME FILE PATH")
	}
	var cur any
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[1])), &cur))
	for _, k := range strings.Split(args[2], "/") {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[k]
		case []any:
			j, err := strconv.Atoi(k)
			if err != nil || j < 0 || j >= len(c) {
				ts.Fatalf("envjson: bad index %q", k)
			}
			cur = c[j]
		default:
			ts.Fatalf("envjson: %s: no such field", args[2])
		}
	}
	s, ok := cur.(string)
	if !ok {
		ts.Fatalf("envjson: %s is %v, not a string", args[2], cur)
	}
	ts.Setenv(args[0], s)
}

func cmdMkfifo(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: mkfifo PATH")
	}
	ts.Check(syscall.Mkfifo(ts.MkAbs(args[0]), 0o644))
}

func cmdReplace(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: replace FILE OLD NEW")
	}
	path := ts.MkAbs(args[0])
	data, err := os.ReadFile(path)
	ts.Check(err)
	if !strings.Contains(string(data), args[1]) {
		ts.Fatalf("replace: %q not in %s", args[1], args[0])
	}
	ts.Check(os.WriteFile(path, []byte(strings.Replace(string(data), args[1], args[2], 1)), 0o644))
}

func cmdSetManifest(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: setmanifest FILE PATH JSON")
	}
	cmdSetJSON(ts, false, args)
	path := ts.MkAbs(args[0])
	data, err := os.ReadFile(path)
	ts.Check(err)
	var m ceremony.Manifest
	ts.Check(json.Unmarshal(data, &m))
	out, err := jsonfile.Indent(&m)
	ts.Check(err)
	ts.Check(os.WriteFile(path, out, 0o644))
}
