package ceremony

import (
	"encoding/binary"
	"fmt"
	"io"
	"sync"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
)

// gnark's update proof (gnark-crypto ecc/bn254/mpcsetup.UpdateProof) holds
// the contribution's commitment [x]₁ and a proof of knowledge of x; its
// Verify refuses only x = 0. A contribution with x = 1 leaves the state as
// it was and still verifies, so one person can write a transcript of many
// "contributions" whose secrets are all public. Any x that is a small
// integer is as public (anyone finds it by trying), so a contribution whose
// commitment is ±k·G for 1 ≤ k ≤ trivialBound is refused.
const trivialBound = 1 << 16

var smallMultiples = syncOnceTable()

func syncOnceTable() func() map[[curve.SizeOfG1AffineCompressed]byte]int64 {
	return sync.OnceValue(buildSmallMultiples)
}

func buildSmallMultiples() map[[curve.SizeOfG1AffineCompressed]byte]int64 {
	_, _, g, _ := curve.Generators()
	jac := make([]curve.G1Jac, trivialBound)
	jac[0].FromAffine(&g)
	for k := 1; k < trivialBound; k++ {
		jac[k].Set(&jac[k-1]).AddMixed(&g)
	}
	aff := curve.BatchJacobianToAffineG1(jac)
	m := make(map[[curve.SizeOfG1AffineCompressed]byte]int64, 2*trivialBound)
	for k := range aff {
		m[aff[k].Bytes()] = int64(k + 1)
		var neg curve.G1Affine
		neg.Neg(&aff[k])
		m[neg.Bytes()] = -int64(k + 1)
	}
	return m
}

// trivialFactor returns k when the compressed G1 point b is k·G with
// 1 ≤ |k| ≤ trivialBound.
func trivialFactor(b []byte) (int64, bool) {
	var key [curve.SizeOfG1AffineCompressed]byte
	copy(key[:], b)
	k, ok := smallMultiples()[key]
	return k, ok
}

// checkUpdateProofs refuses a contribution file whose update proofs commit
// to a trivial secret: phase 1's proofs for τ, α and β open the file;
// phase 2's proofs for δ and each commitment's σ come just before the
// challenge, after the parameters (gnark Phase2.WriteTo).
func checkUpdateProofs(f io.ReaderAt, size int64, phase int) error {
	type proof struct {
		what string
		off  int64
	}
	var proofs []proof
	if phase == 1 {
		proofs = []proof{{"τ", 0}, {"α", proofSize}, {"β", 2 * proofSize}}
	} else {
		var b [2]byte
		if _, err := f.ReadAt(b[:], 0); err != nil {
			return err
		}
		nc := int64(binary.BigEndian.Uint16(b[:]))
		end := size - 1 - challengeSize
		start := end - (1+nc)*proofSize
		if start < 2 {
			return fmt.Errorf("too short to hold its update proofs")
		}
		proofs = append(proofs, proof{"δ", start})
		for i := range nc {
			proofs = append(proofs, proof{fmt.Sprintf("σ[%d]", i), start + (1+i)*proofSize})
		}
	}
	buf := make([]byte, g1Size)
	for _, p := range proofs {
		if _, err := f.ReadAt(buf, p.off); err != nil {
			return err
		}
		if k, ok := trivialFactor(buf); ok {
			return fmt.Errorf("its update of %s multiplies by %d, a value anyone can find: a contribution must multiply by a secret random value (this one adds no secret, and a transcript of such contributions gives keys anyone can forge proofs with)", p.what, k)
		}
	}
	return nil
}
