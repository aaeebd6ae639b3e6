package groth16batch_test

import (
	"errors"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	bn254 "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/zkeval/zkeval/internal/groth16batch"
)

// committed proves Y = W·W + X and, multiplied by c, a BSB22 commitment to
// W and the public X (so the key commits to a public input, as the shard
// circuit's does), c·Y = c·(W·W + X).
type committed struct {
	X, Y frontend.Variable `gnark:",public"`
	W    frontend.Variable
}

func (c *committed) Define(api frontend.API) error {
	r, err := api.(frontend.Committer).Commit(c.W, c.X)
	if err != nil {
		return err
	}
	y := api.Add(api.Mul(c.W, c.W), c.X)
	api.AssertIsEqual(c.Y, y)
	api.AssertIsEqual(api.Mul(r, c.Y), api.Mul(r, y))
	return nil
}

// plain proves Y = W·W + X, with no commitment.
type plain struct {
	X, Y frontend.Variable `gnark:",public"`
	W    frontend.Variable
}

func (c *plain) Define(api frontend.API) error {
	api.AssertIsEqual(c.Y, api.Add(api.Mul(c.W, c.W), c.X))
	return nil
}

type batch struct {
	vk      *groth16bn254.VerifyingKey
	proofs  []*groth16bn254.Proof
	publics []fr.Vector
}

// prove sets up circuit and makes n valid proofs of it.
func prove(t *testing.T, circuit frontend.Circuit, n int, assign func(i int) frontend.Circuit) batch {
	t.Helper()
	cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, circuit)
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := groth16.Setup(cs)
	if err != nil {
		t.Fatal(err)
	}
	b := batch{vk: vk.(*groth16bn254.VerifyingKey)}
	for i := range n {
		w, err := frontend.NewWitness(assign(i), ecc.BN254.ScalarField())
		if err != nil {
			t.Fatal(err)
		}
		p, err := groth16.Prove(cs, pk, w)
		if err != nil {
			t.Fatalf("proof %d: %v", i, err)
		}
		pw, err := w.Public()
		if err != nil {
			t.Fatal(err)
		}
		if err := groth16.Verify(p, vk, pw); err != nil {
			t.Fatalf("proof %d does not verify alone: %v", i, err)
		}
		b.proofs = append(b.proofs, p.(*groth16bn254.Proof))
		b.publics = append(b.publics, pw.Vector().(fr.Vector))
	}
	return b
}

// committedBatch returns n valid proofs of committed.
func committedBatch(t *testing.T, n int) batch {
	t.Helper()
	return prove(t, &committed{}, n, func(i int) frontend.Circuit {
		return &committed{X: i + 3, Y: (7*i+11)*(7*i+11) + i + 3, W: 7*i + 11}
	})
}

func (b batch) verify() error { return groth16batch.Verify(b.vk, b.proofs, b.publics) }

// clone copies the proofs (points by value) and public witnesses.
func (b batch) clone() batch {
	c := batch{vk: b.vk}
	for i := range b.proofs {
		p := *b.proofs[i]
		p.Commitments = append(p.Commitments[:0:0], p.Commitments...)
		c.proofs = append(c.proofs, &p)
		c.publics = append(c.publics, append(fr.Vector(nil), b.publics[i]...))
	}
	return c
}

func TestValidBatch(t *testing.T) {
	b := committedBatch(t, 6)
	if len(b.vk.PublicAndCommitmentCommitted) != 1 || len(b.vk.PublicAndCommitmentCommitted[0]) != 1 {
		t.Fatalf("the test key should commit to one public input: %v", b.vk.PublicAndCommitmentCommitted)
	}
	if err := b.verify(); err != nil {
		t.Fatalf("valid batch: %v", err)
	}
	for n := 0; n <= 2; n++ {
		c := b.clone()
		c.proofs, c.publics = c.proofs[:n], c.publics[:n]
		if err := c.verify(); err != nil {
			t.Errorf("valid batch of %d: %v", n, err)
		}
	}
	p := prove(t, &plain{}, 3, func(i int) frontend.Circuit { return &plain{X: i, Y: 25 + i, W: 5} })
	if err := p.verify(); err != nil {
		t.Errorf("valid batch without commitment: %v", err)
	}
	p.publics[2][1].SetUint64(26)
	if err := p.verify(); !errors.Is(err, groth16batch.ErrBatchInvalid) {
		t.Errorf("batch without commitment, a public input changed: %v, want ErrBatchInvalid", err)
	}
}

// TestTamperedBatch changes one thing in one proof of a valid batch, for
// every proof and thing; gnark's own Verify must refuse the changed proof
// too (else the test's tamper would not be one).
func TestTamperedBatch(t *testing.T) {
	b := committedBatch(t, 4)
	var one fr.Element
	one.SetOne()
	tampers := map[string]func(c batch, i int){
		"A from another proof":   func(c batch, i int) { c.proofs[i].Ar = c.proofs[(i+1)%4].Ar },
		"B from another proof":   func(c batch, i int) { c.proofs[i].Bs = c.proofs[(i+1)%4].Bs },
		"Krs from another proof": func(c batch, i int) { c.proofs[i].Krs = c.proofs[(i+1)%4].Krs },
		"Krs doubled":            func(c batch, i int) { c.proofs[i].Krs.Double(&c.proofs[i].Krs) },
		"commitment from another proof": func(c batch, i int) {
			c.proofs[i].Commitments[0] = c.proofs[(i+1)%4].Commitments[0]
		},
		"proof of knowledge from another proof": func(c batch, i int) { c.proofs[i].CommitmentPok = c.proofs[(i+1)%4].CommitmentPok },
		"public X plus one":                     func(c batch, i int) { c.publics[i][0].Add(&c.publics[i][0], &one) },
		"public Y plus one":                     func(c batch, i int) { c.publics[i][1].Add(&c.publics[i][1], &one) },
		"publics of another proof":              func(c batch, i int) { c.publics[i] = c.publics[(i+1)%4] },
	}
	for name, tamper := range tampers {
		for i := range b.proofs {
			c := b.clone()
			tamper(c, i)
			if err := groth16bn254.Verify(c.proofs[i], c.vk, c.publics[i]); err == nil {
				t.Fatalf("%s, proof %d: gnark accepts it: not a tamper", name, i)
			}
			if err := c.verify(); err == nil {
				t.Errorf("%s, proof %d: the batch verifies", name, i)
			}
		}
	}
}

// TestCompensatingTamper swaps a point between two proofs, or moves a
// public input's difference from one proof to another: sums over the
// proofs stay the same, so a batch without random exponents would accept.
func TestCompensatingTamper(t *testing.T) {
	b := committedBatch(t, 3)
	swaps := map[string]func(c batch){
		"Krs swapped": func(c batch) { c.proofs[0].Krs, c.proofs[1].Krs = c.proofs[1].Krs, c.proofs[0].Krs },
		"proofs of knowledge swapped": func(c batch) {
			c.proofs[0].CommitmentPok, c.proofs[2].CommitmentPok = c.proofs[2].CommitmentPok, c.proofs[0].CommitmentPok
		},
		"Y moved by one": func(c batch) {
			var one fr.Element
			one.SetOne()
			c.publics[0][1].Add(&c.publics[0][1], &one)
			c.publics[1][1].Sub(&c.publics[1][1], &one)
		},
	}
	for name, swap := range swaps {
		for run := range 3 {
			c := b.clone()
			swap(c)
			if err := c.verify(); !errors.Is(err, groth16batch.ErrBatchInvalid) {
				t.Errorf("%s (run %d): %v, want ErrBatchInvalid", name, run, err)
			}
		}
	}
}

func TestWrongKeyAndShapes(t *testing.T) {
	b := committedBatch(t, 2)
	other := committedBatch(t, 1)
	c := b.clone()
	c.vk = other.vk
	if err := c.verify(); !errors.Is(err, groth16batch.ErrBatchInvalid) {
		t.Errorf("another setup's key: %v, want ErrBatchInvalid", err)
	}
	c = b.clone()
	c.publics[1] = c.publics[1][:1]
	if err := c.verify(); err == nil || errors.Is(err, groth16batch.ErrBatchInvalid) {
		t.Errorf("a public input missing: %v, want a shape error", err)
	}
	c = b.clone()
	c.proofs[0].Commitments = nil
	if err := c.verify(); err == nil || errors.Is(err, groth16batch.ErrBatchInvalid) {
		t.Errorf("a commitment missing: %v, want a shape error", err)
	}
	if err := groth16batch.Verify(b.vk, b.proofs, b.publics[:1]); err == nil {
		t.Error("fewer public witnesses than proofs: accepted")
	}
}

// TestPointOutsideSubgroup puts into one proof a B on the twist but
// outside the order-r subgroup (gnark-crypto's map to the curve without
// clearing the cofactor), and a commitment off the curve: each is refused
// before any pairing, as gnark's Verify refuses it.
func TestPointOutsideSubgroup(t *testing.T) {
	b := committedBatch(t, 2)
	var u bn254.E2
	u.A0.SetUint64(5)
	u.A1.SetUint64(9)
	bad := bn254.MapToCurve2(&u)
	if !bad.IsOnCurve() || bad.IsInSubGroup() {
		t.Fatal("the test point should be on the twist and outside the subgroup")
	}
	c := b.clone()
	c.proofs[1].Bs = bad
	if err := groth16bn254.Verify(c.proofs[1], c.vk, c.publics[1]); err == nil {
		t.Fatal("gnark accepts B outside the subgroup")
	}
	if err := c.verify(); err == nil || errors.Is(err, groth16batch.ErrBatchInvalid) {
		t.Errorf("B outside the subgroup: %v, want a subgroup error", err)
	}
	c = b.clone()
	c.proofs[0].Commitments[0].Y.SetUint64(3)
	if err := c.verify(); err == nil || errors.Is(err, groth16batch.ErrBatchInvalid) {
		t.Errorf("commitment off the curve: %v, want a subgroup error", err)
	}
}
