// Package groth16batch checks many BN254 Groth16 proofs of one verifying
// key at once, as gnark's groth16.Verify checks each (gnark v0.16.1,
// backend/groth16/bn254: the BSB22 commitment of Botrel and El Housni,
// "Constraint system commitments", its hash into the public inputs and its
// proof of knowledge), with one final exponentiation for the whole batch.
//
// Each proof i's checks are two pairing equations in G_T, of prime order r:
//
//	E_i = e(A_i, B_i) · e(Krs_i, −δ) · e(L_i, −γ) · e(α, β)^−1 = 1
//	P_i = e(D_i, −σG) · e(K_i, G)                            = 1
//
// with L_i = K_0 + Σ_j x_ij·K_j + D_i (x_i the public inputs followed by
// the hash of the commitment D_i) and K_i the commitment's proof of
// knowledge. Verify draws independent random 128-bit ρ_i and τ_i after
// reading the proofs and checks the single product
//
//	Π_i E_i^ρ_i · P_i^τ_i = 1,
//
// evaluated as N + 5 Miller loops (one per proof, the rest aggregated by
// multi-scalar multiplications) and one final exponentiation. This is the
// small exponents test of Bellare, Garay and Rabin ("Fast batch
// verification for modular exponentiation and digital signatures",
// EUROCRYPT 1998): when some E_j or P_j is not 1, the others fixed, at most
// one value of ρ_j (or τ_j) modulo r makes the product 1, so an invalid
// batch passes with probability at most 2^-128. Without the random
// exponents it would not be sound: two proofs that swap their Krs leave
// Σ Krs_i unchanged.
//
// Verify says only whether every proof is valid; a caller that needs to
// name the invalid proof checks them one by one (gnark's groth16.Verify)
// after a failed batch.
package groth16batch

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"runtime"
	"sync"

	"github.com/consensys/gnark-crypto/ecc"
	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/hash_to_field"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/constraint"
)

// ErrBatchInvalid is returned when the batch's pairing product is not 1:
// at least one proof is invalid (check each to find which).
var ErrBatchInvalid = errors.New("the batch of Groth16 proofs does not verify: at least one proof is invalid")

// ErrUnsupported is returned for a verifying key with more than one BSB22
// commitment, which this batch does not handle (check each proof alone).
var ErrUnsupported = errors.New("batch verification takes verifying keys with at most one BSB22 commitment")

// exponentBits is the size of the random exponents ρ_i and τ_i.
const exponentBits = 128

// Verify checks proofs[i] against the public inputs publics[i] (the public
// witness without the constant one wire, as gnark's groth16.Verify takes
// it), all with vk. It returns nil when every proof is valid (an invalid
// one passes with probability at most 2^-128), ErrBatchInvalid when the
// batch's pairing product is not 1, ErrUnsupported for a key with several
// commitments, or an error naming the first proof whose shape (number of
// public inputs or commitments) or points (not in their subgroup) do not
// fit the key. No proof is nil.
func Verify(vk *groth16bn254.VerifyingKey, proofs []*groth16bn254.Proof, publics []fr.Vector) error {
	n := len(proofs)
	if len(publics) != n {
		return fmt.Errorf("%d proofs but %d public witnesses", n, len(publics))
	}
	if n == 0 {
		return nil
	}
	m := len(vk.PublicAndCommitmentCommitted)
	if m > 1 {
		return ErrUnsupported
	}
	if len(vk.CommitmentKeys) != m {
		return fmt.Errorf("invalid verifying key: %d commitment keys, expected %d", len(vk.CommitmentKeys), m)
	}
	nbPublic := len(vk.G1.K) - 1 - m // without the one wire and the commitment hash
	if nbPublic < 0 {
		return fmt.Errorf("invalid verifying key: %d points K for %d commitments", len(vk.G1.K), m)
	}
	for _, committed := range vk.PublicAndCommitmentCommitted {
		for _, j := range committed {
			if j < 1 || j > nbPublic {
				return fmt.Errorf("invalid verifying key: the commitment commits to public input %d of %d", j, nbPublic)
			}
		}
	}
	for i, p := range proofs {
		if len(p.Commitments) != m {
			return fmt.Errorf("proof %d: %d commitments, expected %d", i, len(p.Commitments), m)
		}
		if len(publics[i]) != nbPublic {
			return fmt.Errorf("proof %d: %d public inputs, expected %d", i, len(publics[i]), nbPublic)
		}
	}

	// Per proof: subgroup checks, the commitment's hash (the last public
	// input), and the random exponents.
	x := make([]fr.Vector, n)
	rho := make([]fr.Element, n)
	tau := make([]fr.Element, n)
	errs := make([]error, n)
	parallel(n, func(i int) {
		p := proofs[i]
		if !p.Ar.IsInSubGroup() || !p.Bs.IsInSubGroup() || !p.Krs.IsInSubGroup() {
			errs[i] = fmt.Errorf("proof %d: a point is not in its subgroup", i)
			return
		}
		x[i] = append(append(fr.Vector(nil), publics[i]...), make(fr.Vector, m)...)
		if m == 1 {
			if !p.Commitments[0].IsInSubGroup() || !p.CommitmentPok.IsInSubGroup() {
				errs[i] = fmt.Errorf("proof %d: the commitment or its proof of knowledge is not in G1", i)
				return
			}
			x[i][nbPublic] = commitmentHash(&p.Commitments[0], vk.PublicAndCommitmentCommitted[0], publics[i])
		}
		if errs[i] = randomExponent(&rho[i]); errs[i] != nil {
			return
		}
		errs[i] = randomExponent(&tau[i])
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}

	// The aggregated points.
	var rhoSum fr.Element
	for i := range rho {
		rhoSum.Add(&rhoSum, &rho[i])
	}
	kCoeff := make([]fr.Element, len(vk.G1.K)) // Σ_i ρ_i·(1, x_i)
	kCoeff[0] = rhoSum
	for i := range x {
		for j := range x[i] {
			var t fr.Element
			t.Mul(&rho[i], &x[i][j])
			kCoeff[j+1].Add(&kCoeff[j+1], &t)
		}
	}
	g1 := make([]curve.G1Affine, 0, n+5)
	g2 := make([]curve.G2Affine, 0, n+5)
	ra := make([]curve.G1Affine, n)
	parallel(n, func(i int) {
		var e big.Int
		ra[i].ScalarMultiplication(&proofs[i].Ar, rho[i].BigInt(&e))
	})
	for i := range proofs {
		g1 = append(g1, ra[i])
		g2 = append(g2, proofs[i].Bs)
	}
	krs, err := msm(func(i int) curve.G1Affine { return proofs[i].Krs }, rho)
	if err != nil {
		return err
	}
	var l curve.G1Jac
	if _, err := l.MultiExp(vk.G1.K, kCoeff, ecc.MultiExpConfig{}); err != nil {
		return err
	}
	var alpha curve.G1Affine
	var e big.Int
	alpha.ScalarMultiplication(&vk.G1.Alpha, rhoSum.BigInt(&e))
	alpha.Neg(&alpha)
	var deltaNeg, gammaNeg curve.G2Affine
	deltaNeg.Neg(&vk.G2.Delta)
	gammaNeg.Neg(&vk.G2.Gamma)
	if m == 1 {
		d, err := msm(func(i int) curve.G1Affine { return proofs[i].Commitments[0] }, rho)
		if err != nil {
			return err
		}
		var dj curve.G1Jac
		dj.FromAffine(&d)
		l.AddAssign(&dj)
		dTau, err := msm(func(i int) curve.G1Affine { return proofs[i].Commitments[0] }, tau)
		if err != nil {
			return err
		}
		pok, err := msm(func(i int) curve.G1Affine { return proofs[i].CommitmentPok }, tau)
		if err != nil {
			return err
		}
		ck := vk.CommitmentKeys[0]
		g1 = append(g1, dTau, pok)
		g2 = append(g2, ck.GSigmaNeg, ck.G)
	}
	var la curve.G1Affine
	la.FromJacobian(&l)
	g1 = append(g1, krs, la, alpha)
	g2 = append(g2, deltaNeg, gammaNeg, vk.G2.Beta)

	ok, err := pairingCheck(g1, g2)
	if err != nil {
		return err
	}
	if !ok {
		return ErrBatchInvalid
	}
	return nil
}

// commitmentHash is the public input gnark derives from a BSB22
// commitment: the hash to the field (RFC 9380's expand_message_xmd with
// SHA-256, gnark-crypto's hash_to_field, domain constraint.CommitmentDst)
// of the uncompressed commitment followed by the public inputs it commits
// to (committed holds their 1-based wire indices).
func commitmentHash(d *curve.G1Affine, committed []int, public fr.Vector) fr.Element {
	h := hash_to_field.New([]byte(constraint.CommitmentDst))
	h.Write(d.Marshal())
	for _, j := range committed {
		b := public[j-1].Marshal()
		h.Write(b)
	}
	sum := h.Sum(nil)
	k := min(h.Size(), fr.Bytes)
	var out fr.Element
	out.SetBytes(sum[:k])
	return out
}

// randomExponent sets z to a uniform nonzero integer below 2^128.
func randomExponent(z *fr.Element) error {
	var b [exponentBits / 8]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			return fmt.Errorf("random exponent: %w", err)
		}
		z.SetBytes(b[:])
		if !z.IsZero() {
			return nil
		}
	}
}

// msm returns Σ_i s_i·p(i).
func msm(p func(int) curve.G1Affine, s []fr.Element) (curve.G1Affine, error) {
	pts := make([]curve.G1Affine, len(s))
	for i := range pts {
		pts[i] = p(i)
	}
	var out curve.G1Affine
	_, err := out.MultiExp(pts, s, ecc.MultiExpConfig{})
	return out, err
}

// pairingCheck reports whether Π e(g1[k], g2[k]) = 1, with the Miller
// loops split over the cores and one final exponentiation.
func pairingCheck(g1 []curve.G1Affine, g2 []curve.G2Affine) (bool, error) {
	parts := min(runtime.GOMAXPROCS(0), len(g1))
	ml := make([]curve.GT, parts)
	errs := make([]error, parts)
	parallel(parts, func(k int) {
		lo, hi := k*len(g1)/parts, (k+1)*len(g1)/parts
		ml[k], errs[k] = curve.MillerLoop(g1[lo:hi], g2[lo:hi])
	})
	if err := errors.Join(errs...); err != nil {
		return false, err
	}
	prod := ml[0]
	for k := 1; k < parts; k++ {
		prod.Mul(&prod, &ml[k])
	}
	res := curve.FinalExponentiation(&prod)
	return res.IsOne(), nil
}

// parallel runs f(0) … f(n-1) on as many goroutines as there are cores.
func parallel(n int, f func(int)) {
	w := min(runtime.GOMAXPROCS(0), n)
	var wg sync.WaitGroup
	for k := range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := k; i < n; i += w {
				f(i)
			}
		}()
	}
	wg.Wait()
}
