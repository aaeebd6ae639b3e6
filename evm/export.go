package evm

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/solidity"
	"golang.org/x/crypto/sha3"

	"github.com/zkeval/zkeval/attestation"
)

// PragmaVersion is the Solidity version range the exported contract
// declares: its inline assembly uses the "memory-safe" annotation (solc
// 0.8.13 and later). Tests compile it with the solc that evm/evmtest pins.
const PragmaVersion = "^0.8.13"

// ErrCommitments is returned (wrapped) by Export for a verifying key with
// more than one in-circuit commitment, which gnark's Solidity verifier does
// not support.
var ErrCommitments = fmt.Errorf("gnark's Solidity verifier supports at most one in-circuit commitment")

// Layout describes the verifier contract of one verifying key: the number
// of public inputs its verifyProof takes and the length of the proof bytes.
type Layout struct {
	Inputs      int // public inputs, the length of verifyProof's uint256[] argument
	Commitments int // in-circuit commitments (0 or 1)
	ProofBytes  int // 256, plus 128 with a commitment (the commitment and its proof of knowledge)
}

// Signature is the canonical signature of the contract's verifyProof
// function, whose first four Keccak-256 bytes are its selector.
func (l Layout) Signature() string {
	return fmt.Sprintf("verifyProof(bytes,uint256[%d])", l.Inputs)
}

// LayoutOf returns the contract layout of a BN254 verifying key, or an error
// wrapping ErrCommitments.
func LayoutOf(vk groth16.VerifyingKey) (Layout, error) {
	k, ok := vk.(*groth16bn254.VerifyingKey)
	if !ok {
		return Layout{}, fmt.Errorf("the verifying key is not a BN254 Groth16 key")
	}
	nc := len(k.CommitmentKeys)
	if nc > 1 || len(k.PublicAndCommitmentCommitted) != nc {
		return Layout{}, fmt.Errorf("%w; this key has %d", ErrCommitments, nc)
	}
	l := Layout{Inputs: k.NbPublicWitness() - nc, Commitments: nc, ProofBytes: 256}
	if nc > 0 {
		l.ProofBytes += 64*nc + 64
	}
	return l, nil
}

// Export writes the Solidity verifier contract of vk (gnark's ExportSolidity,
// with Keccak-256 as the commitment's hash to field, so that it accepts
// proofs made for attestation.TargetSolidity), preceded by a comment that
// names the key by its SHA-256 vkSHA256 and documents the calldata layout.
// It returns the layout, or an error wrapping ErrCommitments.
func Export(w io.Writer, vk groth16.VerifyingKey, vkSHA256 string) (Layout, error) {
	l, err := LayoutOf(vk)
	if err != nil {
		return l, err
	}
	var body bytes.Buffer
	if err := vk.ExportSolidity(&body,
		solidity.WithHashToFieldFunction(sha3.NewLegacyKeccak256()),
		solidity.WithPragmaVersion(PragmaVersion),
	); err != nil {
		return l, fmt.Errorf("export the Solidity verifier: %w", err)
	}
	var hdr strings.Builder
	line := func(format string, a ...any) {
		if format == "" {
			hdr.WriteString("//\n")
			return
		}
		fmt.Fprintf(&hdr, "// "+format+"\n", a...)
	}
	line("zkeval attestation verifier: Groth16 over BN254, made by `zkeval export solidity`")
	line("(gnark's ExportSolidity) from the verifying key with SHA-256")
	line("%s.", vkSHA256)
	line("")
	line("It accepts only proofs made with `zkeval prove --target %s`, whose", attestation.TargetSolidity)
	line("in-circuit commitment is hashed to the field with Keccak-256.")
	line("")
	line("Call %s; it returns nothing and reverts", l.Signature())
	line("(ProofInvalid, CommitmentInvalid or PublicInputNotInField) when the proof")
	line("does not hold for the inputs. `zkeval export calldata ATTESTATION.json")
	line("--vk VERIFYING.key` prints the calldata of a verified attestation.")
	line("")
	if l.Commitments > 0 {
		line("proof, %d bytes, each coordinate 32 bytes big-endian: A.x A.y | B.x1 B.x0", l.ProofBytes)
		line("B.y1 B.y0 | C.x C.y | commitment D.x D.y | its proof of knowledge x y.")
	} else {
		line("proof, %d bytes, each coordinate 32 bytes big-endian: A.x A.y | B.x1 B.x0", l.ProofBytes)
		line("B.y1 B.y0 | C.x C.y.")
	}
	line("input, %d field elements, in the circuit's order (predicate.proof.publicInputs):", l.Inputs)
	line("  input[0]  the model commitment (predicate.model.commitment)")
	line("  input[1]  the benchmark's SHA-256, its first 16 bytes as an integer")
	line("  input[2]  the benchmark's SHA-256, its last 16 bytes as an integer")
	line("  input[3]  the circuit id, its last 31 bytes as an integer")
	line("  then, for each claim of predicate.claims in order, its threshold p/q as")
	line("  p and q, and for a revealed claim the counts its value is computed from;")
	line("  `zkeval export calldata --json` names every input.")
	line("")
	line("The contract checks the proof against these inputs and nothing else: that")
	line("they are the attestation's own fields (the circuit description, the")
	line("claims as written) is what `zkeval verify` checks off chain. A contract")
	line("acting on a claim reads its threshold and counts from input[], which the")
	line("proof binds, and calls the verifier deployed from this key.")
	line("")
	if _, err := io.WriteString(w, hdr.String()); err != nil {
		return l, err
	}
	if _, err := w.Write(body.Bytes()); err != nil {
		return l, err
	}
	return l, nil
}
