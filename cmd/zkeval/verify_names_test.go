package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerifyEscapesFileNames: verify prints each attestation's file name;
// names may come from a glob over a directory someone else fills, so one
// holding an escape sequence or a newline must not reach the terminal as
// such (it could draw a VALID line, or erase one).
func TestVerifyEscapesFileNames(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "a\x1b[1A\x1b[2K\rVALID  b.json")
	nl := filepath.Join(dir, "c\nVALID  d.json")
	for _, f := range []string{bad, nl} {
		if err := os.WriteFile(f, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	vk := filepath.Join(dir, "vk")
	if err := os.WriteFile(vk, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"verify", bad, "--vk", vk},
		{"verify", bad, nl, filepath.Join(dir, "missing\x1b[2K.json"), "--vk", vk},
	} {
		var out, errOut bytes.Buffer
		root := newRootCmd()
		root.SetArgs(args)
		root.SetOut(&out)
		root.SetErr(&errOut)
		if err := root.Execute(); err == nil {
			t.Fatalf("%q: no error", args)
		}
		got := out.String() + errOut.String()
		if strings.ContainsAny(got, "\x1b\r") {
			t.Errorf("%q printed an escape or a carriage return:\n%s", args, got)
		}
		for _, line := range strings.Split(got, "\n") {
			if strings.HasPrefix(line, "VALID") {
				t.Errorf("%q printed a line starting with VALID: %q", args, line)
			}
		}
	}
}
