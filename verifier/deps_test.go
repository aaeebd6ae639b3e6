package verifier_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestVerifierDependencies keeps the verifier small and separate: it must
// not link the ONNX parser (package model/onnx and the protobuf runtime
// under it) nor the prover. The list comes from the go command itself
// (go list -deps), so a new import anywhere below the verifier is caught.
func TestVerifierDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/zkeval/zkeval/verifier").Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list -deps: %v\n%s", err, stderr)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 || !slices.Contains(deps, "github.com/zkeval/zkeval/verifier") {
		t.Fatalf("go list -deps gave an unexpected list: %q", deps)
	}
	forbidden := []string{
		"github.com/zkeval/zkeval/model/onnx",
		"github.com/zkeval/zkeval/prover",
		"github.com/advancedclimatesystems/gonnx",
		"google.golang.org/protobuf",
		"github.com/gogo/protobuf",
		"github.com/golang/protobuf",
	}
	for _, d := range deps {
		for _, f := range forbidden {
			if d == f || strings.HasPrefix(d, f+"/") {
				t.Errorf("the verifier links %s (through %s); it must not", f, d)
			}
		}
	}
}
