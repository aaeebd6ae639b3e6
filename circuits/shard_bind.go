package circuits

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"sync"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/hash_to_field"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/constraint"
	csbn254 "github.com/consensys/gnark/constraint/bn254"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	fcs "github.com/consensys/gnark/frontend/cs"

	"github.com/zkeval/zkeval/commitment"
)

// randomizeHintName is the hint with which gnark's R1CS builder draws the
// random mask it adds to a commitment (frontend/cs/r1cs, Commit).
const randomizeHintName = "github.com/consensys/gnark/internal/hints.Randomize"

// ErrBind is returned when the shard's challenge cannot be derived before
// proving.
var ErrBind = errors.New("shard binding")

// BindShard makes the shard's public Challenge and Fingerprint known
// before proving. Both are public inputs, but Challenge is the hash of the
// circuit's Groth16 commitment (BSB22, https://eprint.iacr.org/2022/1072),
// computed inside groth16.Prove. gnark v0.16.1 computes that commitment
// deterministically from the committed wires and the proving key's
// commitment key, except for one random mask the R1CS builder adds
// (hints.Randomize). So BindShard draws a fresh mask, solves cs once for
// assign with the mask fixed and the commitment computed as groth16.Prove
// computes it (pk.CommitmentKeys[i].Commit, then hash_to_field with
// constraint.CommitmentDst over constraint.SerializeCommitment), records
// the root commitment (the fingerprint callback is the circuit's first,
// so it receives the root itself), and lets that pass fail at the
// Challenge assertion. It sets in.Challenge, in.Fingerprint
// (commitment.ShardFingerprint of in.Slots) and the same values in
// assign, and returns the prover option that fixes the same mask in
// groth16.Prove. The mask stays fresh per proof and secret, so the
// commitment stays hiding. Errors wrap ErrBind, or are the solver's error
// when the witness fails before the commitment.
func BindShard(cs constraint.ConstraintSystem, pk groth16.ProvingKey, spec *ShardSpec, assign *ShardCircuit, in *ShardInput) ([]backend.ProverOption, error) {
	mask, err := rand.Int(rand.Reader, ecc.BN254.ScalarField())
	if err != nil {
		return nil, err
	}
	return bindShardGroth16(cs, pk, mask, spec, assign, in)
}

// bindShardGroth16 is BindShard with the given commitment mask.
func bindShardGroth16(cs constraint.ConstraintSystem, pk groth16.ProvingKey, mask *big.Int, spec *ShardSpec, assign *ShardCircuit, in *ShardInput) ([]backend.ProverOption, error) {
	r1, ok := cs.(*csbn254.R1CS)
	if !ok {
		return nil, fmt.Errorf("%w: the constraint system is %T, not a BN254 R1CS", ErrBind, cs)
	}
	pkb, ok := pk.(*groth16bn254.ProvingKey)
	if !ok {
		return nil, fmt.Errorf("%w: the proving key is %T, not a BN254 Groth16 key", ErrBind, pk)
	}
	info, ok := r1.CommitmentInfo.(constraint.Groth16Commitments)
	if !ok || len(info) != 1 || len(pkb.CommitmentKeys) != 1 {
		return nil, fmt.Errorf("%w: the shard circuit must have exactly one Groth16 commitment and its key", ErrBind)
	}
	var mu sync.Mutex
	h := hash_to_field.New([]byte(constraint.CommitmentDst))
	commit := func(_ *big.Int, inputs, out []*big.Int) error {
		i := int(inputs[0].Int64())
		inputs = inputs[1:]
		if i != 0 {
			return fmt.Errorf("commitment %d of 1", i)
		}
		hashed := inputs[:len(info[i].PublicAndCommitmentCommitted)]
		committed := inputs[len(hashed):]
		vals := make([]fr.Element, len(committed))
		for j, v := range committed {
			vals[j].SetBigInt(v)
		}
		d, err := pkb.CommitmentKeys[i].Commit(vals)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		h.Reset()
		h.Write(constraint.SerializeCommitment(d.Marshal(), hashed, (fr.Bits-1)/8+1))
		sum := h.Sum(nil)
		n := min(fr.Bytes, h.Size())
		var res fr.Element
		res.SetBytes(sum[:n])
		res.BigInt(out[0])
		return nil
	}
	maskOpt, err := bindShard(cs, commit, mask, spec, assign, in)
	if err != nil {
		return nil, err
	}
	return []backend.ProverOption{backend.WithSolverOptions(maskOpt)}, nil
}

// bindShard is BindShard with the commitment computed by commit (a
// replacement of gnark's bsb22 placeholder hint); it returns the solver
// option fixing the mask.
func bindShard(cs constraint.ConstraintSystem, commit solver.Hint, mask *big.Int, spec *ShardSpec, assign *ShardCircuit, in *ShardInput, extra ...solver.Option) (solver.Option, error) {
	maskOpt, err := fixedMask(mask)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	var root *big.Int
	record := func(mod *big.Int, inputs, out []*big.Int) error {
		if err := commit(mod, inputs, out); err != nil {
			return err
		}
		mu.Lock()
		root = new(big.Int).Set(out[0])
		mu.Unlock()
		return nil
	}
	assign.Challenge, assign.Fingerprint = 0, 0
	w, err := frontend.NewWitness(assign, ecc.BN254.ScalarField())
	if err != nil {
		return nil, fmt.Errorf("witness: %w", err)
	}
	opts := append(append([]solver.Option(nil), extra...), solver.OverrideHint(solver.GetHintID(fcs.Bsb22CommitmentComputePlaceholder), record), maskOpt)
	_, solveErr := cs.Solve(w, opts...)
	if root == nil {
		if solveErr != nil {
			return nil, fmt.Errorf("shard %d: the witness fails before its commitment: %w", in.Index, solveErr)
		}
		return nil, fmt.Errorf("%w: shard %d: the solver never computed the commitment", ErrBind, in.Index)
	}
	if solveErr == nil {
		return nil, fmt.Errorf("%w: shard %d: a zero Challenge was accepted", ErrBind, in.Index)
	}
	f, err := commitment.ShardFingerprint(spec.Desc.Layout(), in.Index, in.Slots, root)
	if err != nil {
		return nil, fmt.Errorf("shard %d: %w", in.Index, err)
	}
	in.Challenge, in.Fingerprint = root, f
	assign.Challenge, assign.Fingerprint = root, f
	return maskOpt, nil
}

// fixedMask returns the solver option that makes gnark's commitment mask
// hint output mask.
func fixedMask(mask *big.Int) (solver.Option, error) {
	for _, fn := range solver.GetRegisteredHints() {
		if solver.GetHintName(fn) == randomizeHintName {
			return solver.OverrideHint(solver.GetHintID(fn), func(_ *big.Int, inputs, out []*big.Int) error {
				if len(inputs) != 0 {
					return fmt.Errorf("the commitment mask hint takes no input")
				}
				for i := range out {
					out[i].Set(mask)
				}
				return nil
			}), nil
		}
	}
	return nil, fmt.Errorf("%w: gnark's commitment mask hint %s is not registered; this gnark version draws its commitments differently", ErrBind, randomizeHintName)
}
