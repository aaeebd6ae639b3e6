// Package evm makes zkeval proofs checkable by an Ethereum contract: it
// exports a verifying key as gnark's Solidity Groth16 verifier, chooses the
// prover and verifier options of a proof target (attestation.TargetGo or
// attestation.TargetSolidity), and encodes an attestation's proof and public
// inputs as the contract's calldata (Solidity ABI,
// https://docs.soliditylang.org/en/latest/abi-spec.html).
//
// The contract checks the Groth16 proof, with its one in-circuit commitment
// (BSB22), against the public inputs it is given, and nothing else: that
// those inputs are the attestation's own fields (the circuit id recomputed
// from the circuit description, the model commitment, the benchmark digest,
// the thresholds and the revealed counts) is what zkeval verify checks off
// chain. A contract that acts on a claim reads its threshold and counts from
// the inputs the proof binds (InputNames says which is which).
package evm

import (
	"fmt"

	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/solidity"

	"github.com/zkeval/zkeval/attestation"
)

// Targets lists the proof targets zkeval makes, the default first.
var Targets = []string{attestation.TargetGo, attestation.TargetSolidity}

// UnknownTargetError is returned for a proof target zkeval does not make.
type UnknownTargetError struct{ Target string }

func (e *UnknownTargetError) Error() string {
	return fmt.Sprintf("unknown proof target %q; zkeval makes %q (the default, for zkeval verify) and %q (for zkeval verify and the contract of `zkeval export solidity`)", e.Target, attestation.TargetGo, attestation.TargetSolidity)
}

// Normalize returns the target an attestation's proof.target names: "" (an
// attestation written before targets were recorded) is TargetGo.
func Normalize(target string) string {
	if target == "" {
		return attestation.TargetGo
	}
	return target
}

// ProverOptions returns gnark's Groth16 prover options for target ("" is
// TargetGo), or an *UnknownTargetError.
func ProverOptions(target string) ([]backend.ProverOption, error) {
	switch Normalize(target) {
	case attestation.TargetGo:
		return nil, nil
	case attestation.TargetSolidity:
		return []backend.ProverOption{solidity.WithProverTargetSolidityVerifier(backend.GROTH16)}, nil
	}
	return nil, &UnknownTargetError{Target: target}
}

// VerifierOptions returns gnark's Groth16 verifier options for target (""
// is TargetGo), or an *UnknownTargetError.
func VerifierOptions(target string) ([]backend.VerifierOption, error) {
	switch Normalize(target) {
	case attestation.TargetGo:
		return nil, nil
	case attestation.TargetSolidity:
		return []backend.VerifierOption{solidity.WithVerifierTargetSolidityVerifier(backend.GROTH16)}, nil
	}
	return nil, &UnknownTargetError{Target: target}
}
