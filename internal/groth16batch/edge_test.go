package groth16batch_test

import (
	"errors"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	bn254 "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/frontend"

	"github.com/zkeval/zkeval/internal/groth16batch"
)

// multiCommit commits to several public inputs, in an order other than
// their declaration, and to a secret between them.
type multiCommit struct {
	X, Y, Z frontend.Variable `gnark:",public"`
	W       frontend.Variable
}

func (c *multiCommit) Define(api frontend.API) error {
	r, err := api.(frontend.Committer).Commit(c.Z, c.W, c.X, c.Y)
	if err != nil {
		return err
	}
	s := api.Add(api.Mul(c.W, c.W), c.X, c.Z)
	api.AssertIsEqual(api.Mul(r, c.Y), api.Mul(r, s))
	return nil
}

// secretCommit commits to a secret only (no public input committed).
type secretCommit struct {
	X, Y frontend.Variable `gnark:",public"`
	W    frontend.Variable
}

func (c *secretCommit) Define(api frontend.API) error {
	r, err := api.(frontend.Committer).Commit(c.W)
	if err != nil {
		return err
	}
	s := api.Add(api.Mul(c.W, c.W), c.X)
	api.AssertIsEqual(api.Mul(r, c.Y), api.Mul(r, s))
	return nil
}

// twoCommits makes two BSB22 commitments.
type twoCommits struct {
	X, Y frontend.Variable `gnark:",public"`
	W, V frontend.Variable
}

func (c *twoCommits) Define(api frontend.API) error {
	cm := api.(frontend.Committer)
	r1, err := cm.Commit(c.W, c.X)
	if err != nil {
		return err
	}
	r2, err := cm.Commit(c.V)
	if err != nil {
		return err
	}
	s := api.Add(api.Mul(c.W, c.W), c.X, c.V)
	api.AssertIsEqual(api.Mul(r1, r2, c.Y), api.Mul(r1, r2, s))
	return nil
}

// gnarkOK reports whether gnark's own Verify accepts proof i.
func gnarkOK(b batch, i int) bool {
	pub := append(fr.Vector(nil), b.publics[i]...)
	return groth16bn254.Verify(b.proofs[i], b.vk, pub) == nil
}

// The commitment hash is gnark's exactly: several committed public inputs
// in another order than declared, or none (a secret-only commitment).
func TestBatchCommitmentHashVariants(t *testing.T) {
	mc := prove(t, &multiCommit{}, 4, func(i int) frontend.Circuit {
		w := 5*i + 2
		return &multiCommit{X: i + 1, Z: 3 * i, W: w, Y: w*w + i + 1 + 3*i}
	})
	t.Logf("multiCommit committed: %v", mc.vk.PublicAndCommitmentCommitted)
	if err := mc.verify(); err != nil {
		t.Errorf("valid multi-public commitment batch refused: %v", err)
	}
	sc := prove(t, &secretCommit{}, 3, func(i int) frontend.Circuit {
		return &secretCommit{X: i, W: 9, Y: 81 + i}
	})
	t.Logf("secretCommit committed: %v", sc.vk.PublicAndCommitmentCommitted)
	if err := sc.verify(); err != nil {
		t.Errorf("valid secret-only commitment batch refused: %v", err)
	}
	// A committed public input changed: gnark and the batch both refuse.
	c := mc.clone()
	var one fr.Element
	one.SetOne()
	c.publics[2][2].Add(&c.publics[2][2], &one) // Z
	if gnarkOK(c, 2) {
		t.Fatal("not a tamper")
	}
	if err := c.verify(); err == nil {
		t.Error("committed public Z changed: batch accepts")
	}
}

// A key with two commitments is refused as unsupported (caller falls back).
func TestBatchTwoCommitments(t *testing.T) {
	b := prove(t, &twoCommits{}, 2, func(i int) frontend.Circuit {
		return &twoCommits{X: i, W: 4, V: 7, Y: 16 + i + 7}
	})
	if err := b.verify(); !errors.Is(err, groth16batch.ErrUnsupported) {
		t.Errorf("two commitments: %v, want ErrUnsupported", err)
	}
}

// The key's committed-input list changed: both refuse (the hash differs).
func TestBatchCommittedListMismatch(t *testing.T) {
	b := committedBatch(t, 3)
	vk := *b.vk
	vk.PublicAndCommitmentCommitted = [][]int{{2}}
	c := b.clone()
	c.vk = &vk
	if gnarkOK(c, 0) {
		t.Fatal("gnark accepts: not a tamper")
	}
	if err := c.verify(); err == nil {
		t.Error("committed list [[2]] instead of [[1]]: batch accepts")
	}
	vk2 := *b.vk
	vk2.PublicAndCommitmentCommitted = [][]int{{1, 1}}
	c.vk = &vk2
	if err := c.verify(); err == nil {
		t.Error("committed list [[1 1]]: batch accepts")
	}
	// Commitment keys missing, or a commitment list without a key.
	vk3 := *b.vk
	vk3.CommitmentKeys = nil
	c.vk = &vk3
	if err := c.verify(); err == nil || errors.Is(err, groth16batch.ErrBatchInvalid) {
		t.Errorf("no commitment key: %v, want a key error", err)
	}
}

// The point at infinity in each place of one proof, and a whole proof at
// infinity.
func TestBatchInfinity(t *testing.T) {
	b := committedBatch(t, 3)
	var o1 bn254.G1Affine
	var o2 bn254.G2Affine
	set := map[string]func(p *groth16bn254.Proof){
		"A":   func(p *groth16bn254.Proof) { p.Ar = o1 },
		"B":   func(p *groth16bn254.Proof) { p.Bs = o2 },
		"C":   func(p *groth16bn254.Proof) { p.Krs = o1 },
		"D":   func(p *groth16bn254.Proof) { p.Commitments[0] = o1 },
		"pok": func(p *groth16bn254.Proof) { p.CommitmentPok = o1 },
		"D and pok": func(p *groth16bn254.Proof) {
			p.Commitments[0] = o1
			p.CommitmentPok = o1
		},
		"A and B": func(p *groth16bn254.Proof) { p.Ar, p.Bs = o1, o2 },
		"all": func(p *groth16bn254.Proof) {
			p.Ar, p.Bs, p.Krs, p.Commitments[0], p.CommitmentPok = o1, o2, o1, o1, o1
		},
	}
	for name, f := range set {
		for i := range 3 {
			c := b.clone()
			f(c.proofs[i])
			if gnarkOK(c, i) {
				t.Errorf("%s at infinity in proof %d: gnark accepts", name, i)
				continue
			}
			if err := c.verify(); err == nil {
				t.Errorf("%s at infinity in proof %d: batch accepts", name, i)
			}
		}
	}
}

// Compensations that keep every sum over the batch: a Krs difference moved
// from one proof to another, a commitment difference moved (its pok kept),
// a (commitment, pok) pair swapped whole, A and B swapped as a pair
// between proofs, and negating A and B (valid for gnark too: malleability).
func TestBatchCompensations(t *testing.T) {
	b := committedBatch(t, 3)
	var g bn254.G1Affine
	_, _, g, _ = bn254.Generators()
	moves := map[string]func(c batch){
		"Krs +g/-g": func(c batch) {
			c.proofs[0].Krs.Add(&c.proofs[0].Krs, &g)
			c.proofs[1].Krs.Sub(&c.proofs[1].Krs, &g)
		},
		"D +g/-g": func(c batch) {
			c.proofs[0].Commitments[0].Add(&c.proofs[0].Commitments[0], &g)
			c.proofs[2].Commitments[0].Sub(&c.proofs[2].Commitments[0], &g)
		},
		"pok +g/-g": func(c batch) {
			c.proofs[1].CommitmentPok.Add(&c.proofs[1].CommitmentPok, &g)
			c.proofs[2].CommitmentPok.Sub(&c.proofs[2].CommitmentPok, &g)
		},
		"(D, pok) swapped": func(c batch) {
			c.proofs[0].Commitments[0], c.proofs[1].Commitments[0] = c.proofs[1].Commitments[0], c.proofs[0].Commitments[0]
			c.proofs[0].CommitmentPok, c.proofs[1].CommitmentPok = c.proofs[1].CommitmentPok, c.proofs[0].CommitmentPok
		},
		"(A, B) swapped": func(c batch) {
			c.proofs[0].Ar, c.proofs[1].Ar = c.proofs[1].Ar, c.proofs[0].Ar
			c.proofs[0].Bs, c.proofs[1].Bs = c.proofs[1].Bs, c.proofs[0].Bs
		},
		"(A, B, C) swapped, publics kept": func(c batch) {
			c.proofs[0].Ar, c.proofs[1].Ar = c.proofs[1].Ar, c.proofs[0].Ar
			c.proofs[0].Bs, c.proofs[1].Bs = c.proofs[1].Bs, c.proofs[0].Bs
			c.proofs[0].Krs, c.proofs[1].Krs = c.proofs[1].Krs, c.proofs[0].Krs
		},
		"publics swapped": func(c batch) { c.publics[0], c.publics[1] = c.publics[1], c.publics[0] },
	}
	for name, mv := range moves {
		for run := range 5 {
			c := b.clone()
			mv(c)
			bad := 0
			for i := range c.proofs {
				if !gnarkOK(c, i) {
					bad++
				}
			}
			if bad == 0 {
				t.Fatalf("%s: gnark accepts every proof: not a tamper", name)
			}
			if err := c.verify(); err == nil {
				t.Errorf("%s (run %d): batch accepts %d proofs gnark refuses", name, run, bad)
			}
		}
	}
	// Negated A and B: gnark accepts; the batch must accept too.
	c := b.clone()
	c.proofs[1].Ar.Neg(&c.proofs[1].Ar)
	c.proofs[1].Bs.Neg(&c.proofs[1].Bs)
	if !gnarkOK(c, 1) {
		t.Fatal("gnark refuses (-A, -B)")
	}
	if err := c.verify(); err != nil {
		t.Errorf("(-A, -B), valid for gnark: batch refuses: %v", err)
	}
	// The same valid proof twice, and a batch of one duplicated 50 times.
	c = b.clone()
	c.proofs[2], c.publics[2] = c.proofs[0], c.publics[0]
	if err := c.verify(); err != nil {
		t.Errorf("a valid proof twice: %v", err)
	}
	var ps []*groth16bn254.Proof
	var xs []fr.Vector
	for range 50 {
		ps, xs = append(ps, b.proofs[1]), append(xs, b.publics[1])
	}
	if err := groth16batch.Verify(b.vk, ps, xs); err != nil {
		t.Errorf("50 copies of a valid proof: %v", err)
	}
	xs[49] = b.publics[0]
	if err := groth16batch.Verify(b.vk, ps, xs); err == nil {
		t.Error("50 copies, the last with another proof's publics: accepted")
	}
}

// Verify does not change the caller's proofs or public witnesses.
func TestBatchNoMutation(t *testing.T) {
	b := committedBatch(t, 3)
	c := b.clone()
	if err := c.verify(); err != nil {
		t.Fatal(err)
	}
	for i := range b.proofs {
		if b.proofs[i].Ar != c.proofs[i].Ar || b.proofs[i].Krs != c.proofs[i].Krs || b.proofs[i].Bs != c.proofs[i].Bs || len(c.publics[i]) != len(b.publics[i]) || cap(c.publics[i]) < len(c.publics[i]) {
			t.Errorf("proof %d changed", i)
		}
		for j := range b.publics[i] {
			if !b.publics[i][j].Equal(&c.publics[i][j]) {
				t.Errorf("public %d of proof %d changed", j, i)
			}
		}
	}
	_ = ecc.BN254
}

// A large batch (its MSMs take other window sizes and gnark-crypto's
// batch-affine buckets) of repeated points, some at infinity: valid stays
// valid, a moved Krs difference is refused.
func TestBatchLargeRepeated(t *testing.T) {
	if testing.Short() {
		t.Skip()
	}
	b := committedBatch(t, 4)
	n := 6000
	mk := func() ([]*groth16bn254.Proof, []fr.Vector) {
		ps := make([]*groth16bn254.Proof, n)
		xs := make([]fr.Vector, n)
		for i := range n {
			p := *b.proofs[i%4]
			p.Commitments = append(p.Commitments[:0:0], p.Commitments...)
			ps[i], xs[i] = &p, b.publics[i%4]
		}
		return ps, xs
	}
	ps, xs := mk()
	if err := groth16batch.Verify(b.vk, ps, xs); err != nil {
		t.Fatalf("%d valid (repeated) proofs: %v", n, err)
	}
	var g bn254.G1Affine
	_, _, g, _ = bn254.Generators()
	ps, xs = mk()
	ps[17].Krs.Add(&ps[17].Krs, &g)
	ps[4001].Krs.Sub(&ps[4001].Krs, &g)
	if err := groth16batch.Verify(b.vk, ps, xs); err == nil {
		t.Error("Krs difference moved between two of 6000: accepted")
	}
	ps, xs = mk()
	ps[5999].CommitmentPok = bn254.G1Affine{}
	if err := groth16batch.Verify(b.vk, ps, xs); err == nil {
		t.Error("pok at infinity in one of 6000: accepted")
	}
}

// TestCommittedIndexOutOfRange gives the key a committed public input
// index outside the public inputs: an error, not a panic.
func TestCommittedIndexOutOfRange(t *testing.T) {
	for _, idx := range []int{0, 3, -1} {
		b := committedBatch(t, 1)
		vk := *b.vk
		vk.PublicAndCommitmentCommitted = [][]int{{idx}}
		if err := groth16batch.Verify(&vk, b.proofs, b.publics); err == nil || errors.Is(err, groth16batch.ErrBatchInvalid) {
			t.Errorf("committed index %d: %v, want a key error", idx, err)
		}
	}
}
