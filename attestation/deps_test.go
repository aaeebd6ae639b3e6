package attestation_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoGnarkDependency: the attestation format is plain data; tools that
// only read attestations must not link gnark.
func TestNoGnarkDependency(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/zkeval/zkeval/attestation").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "github.com/consensys/") {
			t.Fatalf("package attestation depends on %s", p)
		}
	}
}
