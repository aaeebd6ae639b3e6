package evm

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"golang.org/x/crypto/sha3"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/keys"
)

// ErrNotSolidity is returned (wrapped) by CallOf for an attestation whose
// proof was not made for the Solidity verifier.
var ErrNotSolidity = errors.New("the proof was not made for the Solidity verifier")

// Call is one call of the verifier contract's verifyProof(bytes proof,
// uint256[N] input).
type Call struct {
	Proof  []byte     // the proof as the contract reads it (gnark's MarshalSolidity)
	Inputs []*big.Int // [N] the public inputs, in circuit order, each below the BN254 scalar field's modulus
}

// CallOf returns the contract call of an attestation whose proof was made
// for attestation.TargetSolidity: its proof and its list of public inputs,
// which zkeval's verifier checks against the attestation's own fields, so
// st must have passed verifier.Verify. It returns an error wrapping
// ErrNotSolidity for another target, and an error when the proof or an
// input does not decode.
func CallOf(st *attestation.Statement) (*Call, error) {
	p := &st.Predicate.Proof
	if t := Normalize(p.Target); t != attestation.TargetSolidity {
		return nil, fmt.Errorf("%w: its target is %q; the contract would revert. Prove again with `zkeval prove --target %s` (same keys)", ErrNotSolidity, t, attestation.TargetSolidity)
	}
	proof, err := keys.ParseProof(p.Bytes)
	if err != nil {
		return nil, fmt.Errorf("predicate.proof.bytes: %w", err)
	}
	c := &Call{}
	if c.Proof, err = SolidityProof(proof); err != nil {
		return nil, err
	}
	for i, s := range p.PublicInputs {
		v, err := commitment.ParseElement(s)
		if err != nil {
			return nil, fmt.Errorf("predicate.proof.publicInputs[%d]: %w", i, err)
		}
		c.Inputs = append(c.Inputs, v)
	}
	return c, nil
}

// SolidityProof returns proof in the contract's encoding (gnark's
// MarshalSolidity: uncompressed points, 32-byte big-endian coordinates, G2
// coordinates imaginary part first).
func SolidityProof(proof groth16.Proof) ([]byte, error) {
	p, ok := proof.(*groth16bn254.Proof)
	if !ok {
		return nil, fmt.Errorf("the proof is not a BN254 Groth16 proof")
	}
	if len(p.Commitments) > 1 {
		return nil, fmt.Errorf("%w; this proof has %d", ErrCommitments, len(p.Commitments))
	}
	return p.MarshalSolidity(), nil
}

// Signature is the signature of the function the call calls.
func (c *Call) Signature() string {
	return fmt.Sprintf("verifyProof(bytes,uint256[%d])", len(c.Inputs))
}

// Selector returns the function selector: the first four bytes of the
// Keccak-256 of Signature.
func (c *Call) Selector() [4]byte { return Selector(c.Signature()) }

// Selector returns the selector of the function with the canonical
// signature sig: the first four bytes of its Keccak-256.
func Selector(sig string) [4]byte {
	h := sha3.NewLegacyKeccak256()
	h.Write([]byte(sig))
	var s [4]byte
	copy(s[:], h.Sum(nil))
	return s
}

// Arguments returns the ABI encoding of the call's arguments, without the
// selector: the head holds the offset of proof (32·(N+1)) and the N inputs
// as 32-byte big-endian words (a static array is encoded in place); the
// tail holds proof's length as a word and its bytes, zero-padded to a
// multiple of 32. It returns an error when an input is not a field element.
func (c *Call) Arguments() ([]byte, error) {
	n := len(c.Inputs)
	padded := (len(c.Proof) + 31) / 32 * 32
	out := make([]byte, 32*(n+1)+32+padded)
	new(big.Int).SetInt64(int64(32 * (n + 1))).FillBytes(out[:32])
	for i, v := range c.Inputs {
		if v.Sign() < 0 || v.Cmp(fr.Modulus()) >= 0 {
			return nil, fmt.Errorf("public input %d (%s) is not an element of the BN254 scalar field; the contract would revert with PublicInputNotInField", i, v)
		}
		v.FillBytes(out[32*(i+1) : 32*(i+2)])
	}
	tail := out[32*(n+1):]
	new(big.Int).SetInt64(int64(len(c.Proof))).FillBytes(tail[:32])
	copy(tail[32:], c.Proof)
	return out, nil
}

// Calldata returns the whole calldata: the selector, then Arguments.
func (c *Call) Calldata() ([]byte, error) {
	args, err := c.Arguments()
	if err != nil {
		return nil, err
	}
	sel := c.Selector()
	return append(sel[:], args...), nil
}
