// Package gadgettest checks gadget circuits under tampered hints, with both
// gnark's test engine and the compiled R1CS solver, so that a gadget's
// soundness does not rest on one of them.
package gadgettest

import (
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/test"
)

// Override replaces hint Of with Evil while solving.
type Override struct {
	Of, Evil solver.Hint
}

// Valid and Invalid check assignments with test.NewAssert(t).CheckCircuit
// on BN254 with Groth16's R1CS (the test engine, then the compiled solver).
func Valid(t *testing.T, c frontend.Circuit, assignments ...frontend.Circuit) {
	t.Helper()
	var opts []test.TestingOption
	for _, a := range assignments {
		opts = append(opts, test.WithValidAssignment(a))
	}
	check(t, c, opts...)
}

// Invalid checks that every assignment fails (see Valid).
func Invalid(t *testing.T, c frontend.Circuit, assignments ...frontend.Circuit) {
	t.Helper()
	var opts []test.TestingOption
	for _, a := range assignments {
		opts = append(opts, test.WithInvalidAssignment(a))
	}
	check(t, c, opts...)
}

func check(t *testing.T, c frontend.Circuit, opts ...test.TestingOption) {
	t.Helper()
	opts = append(opts, test.WithCurves(ecc.BN254), test.WithBackends(backend.GROTH16), test.NoFuzzing(), test.NoSerializationChecks())
	test.NewAssert(t).CheckCircuit(c, opts...)
}

// Solve solves assignment a of circuit c with the hints of overrides
// replaced, in the test engine and with the compiled R1CS, and returns
// their two errors.
func Solve(t *testing.T, c, a frontend.Circuit, overrides ...Override) (engine, compiled error) {
	t.Helper()
	field := ecc.BN254.ScalarField()
	var eopts []test.TestEngineOption
	var sopts []solver.Option
	for _, o := range overrides {
		id := solver.GetHintID(o.Of)
		eopts = append(eopts, test.WithReplacementHint(id, o.Evil))
		sopts = append(sopts, solver.OverrideHint(id, o.Evil))
	}
	engine = test.IsSolved(c, a, field, eopts...)
	cs, err := frontend.Compile(field, r1cs.NewBuilder, c)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	w, err := frontend.NewWitness(a, field)
	if err != nil {
		t.Fatalf("witness: %v", err)
	}
	_, compiled = cs.Solve(w, sopts...)
	return engine, compiled
}

// Tampered checks that assignment a, valid with honest hints, fails with
// the hints of overrides replaced, in both the test engine and the
// compiled R1CS solver.
func Tampered(t *testing.T, c, a frontend.Circuit, overrides ...Override) {
	t.Helper()
	if e, s := Solve(t, c, a); e != nil || s != nil {
		t.Fatalf("the assignment must be valid with honest hints: engine %v, solver %v", e, s)
	}
	e, s := Solve(t, c, a, overrides...)
	if e == nil {
		t.Errorf("test engine accepted a tampered hint")
	}
	if s == nil {
		t.Errorf("R1CS solver accepted a tampered hint")
	}
}
