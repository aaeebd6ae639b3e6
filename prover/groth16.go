package prover

import (
	"bytes"
	"fmt"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"

	"github.com/zkeval/zkeval/internal/progress"
)

// proved is a Groth16 proof over BN254 with its public witness, its
// encoding (gnark WriteTo) and how long proving took.
type proved struct {
	proof groth16.Proof
	pub   witness.Witness
	bytes []byte
	took  time.Duration
}

// proveAssignment builds the witness of assign (full and public) and
// proves it with cs and pk, reporting the two steps to pr ("witness", then
// title). Every circuit of the package (evaluation, shard, totals) is
// proven through it.
func proveAssignment(pr *progress.Reporter, title string, cs constraint.ConstraintSystem, pk groth16.ProvingKey, assign frontend.Circuit, opts ...backend.ProverOption) (*proved, error) {
	done := pr.Start("witness")
	full, err := frontend.NewWitness(assign, ecc.BN254.ScalarField())
	if err != nil {
		return nil, fmt.Errorf("witness: %w", err)
	}
	pub, err := full.Public()
	if err != nil {
		return nil, err
	}
	done("")
	done = pr.Start(title)
	t0 := time.Now()
	proof, err := groth16.Prove(cs, pk, full, opts...)
	if err != nil {
		return nil, fmt.Errorf("prove: %w", err)
	}
	done("")
	p := &proved{proof: proof, pub: pub, took: time.Since(t0)}
	var buf bytes.Buffer
	if _, err := proof.WriteTo(&buf); err != nil {
		return nil, err
	}
	p.bytes = buf.Bytes()
	return p, nil
}
