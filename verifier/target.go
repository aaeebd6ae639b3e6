package verifier

import (
	"errors"

	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/witness"

	"github.com/zkeval/zkeval/evm"
)

// verifyProof checks proof with the hash to field of target (the
// attestation's predicate.proof.target; "" is attestation.TargetGo) and
// returns the target. When the proof does not verify but would with
// another target, the error says that the attestation names the wrong
// target: the proof itself fixes its target, so a relabelled attestation
// never verifies.
func verifyProof(proof groth16.Proof, vk groth16.VerifyingKey, pw witness.Witness, target string) (string, error) {
	opts, err := evm.VerifierOptions(target)
	var ut *evm.UnknownTargetError
	if errors.As(err, &ut) {
		return "", invalid("predicate.proof.target: %v", err)
	}
	if err != nil {
		return "", err
	}
	t := evm.Normalize(target)
	err = groth16Verify(proof, vk, pw, opts...)
	if err == nil {
		return t, nil
	}
	for _, other := range evm.Targets {
		if other == t {
			continue
		}
		o, oerr := evm.VerifierOptions(other)
		if oerr == nil && groth16Verify(proof, vk, pw, o...) == nil {
			return "", mismatch(CheckProofSystem, other, t, "predicate.proof.target is %q, but the proof was made for target %q; it does not verify as %q", t, other, t)
		}
	}
	return "", failed(CheckProof, "the Groth16 proof does not verify against this verifying key and the attestation's public inputs (proof target %s): %v", t, err)
}
