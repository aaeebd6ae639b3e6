package ceremony

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	cmpc "github.com/consensys/gnark-crypto/ecc/bn254/mpcsetup"

	"github.com/zkeval/zkeval/internal/jsonfile"
)

// The cost of the trust checks, for BENCHMARKS.md:
//
//	go test ./ceremony -run '^$' -bench 'Signature|Trivial|G2Subgroup' -benchtime 20x

func benchManifest(b *testing.B) (*Manifest, *Contribution) {
	m := &Manifest{Format: Format, Phase1: Phase1Info{Size: 1 << 20}}
	m.Circuit.ID = strings.Repeat("ab", 32)
	sha := sha256.Sum256([]byte("state"))
	c := &Contribution{Index: 4, Phase: 2, Participant: "A participant's name", File: "phase2-0001-0123456789ab.bin", SHA256: hex.EncodeToString(sha[:]),
		Bytes: 64714351, PreviousSHA256: hex.EncodeToString(sha[:]), Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := c.sign(m, keyOf("bench")); err != nil {
		b.Fatal(err)
	}
	return m, c
}

// BenchmarkContributionSignatureVerify: what Verify (and every manifest
// read) spends per contribution on its signature; reports the bytes the
// signature adds to the manifest.
func BenchmarkContributionSignatureVerify(b *testing.B) {
	m, c := benchManifest(b)
	m.Contributions = []Contribution{*c}
	with, err := jsonfile.Indent(m)
	if err != nil {
		b.Fatal(err)
	}
	i := bytes.Index(with, []byte(`,`+"\n"+`      "signature"`))
	j := bytes.Index(with[i:], []byte("\n      }")) + len("\n      }")
	b.ResetTimer()
	for range b.N {
		if err := c.verifySignature(m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(j), "manifest-bytes/signature")
}

func BenchmarkContributionSign(b *testing.B) {
	m, c := benchManifest(b)
	for range b.N {
		if err := c.sign(m, keyOf("bench")); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTrivialTableBuild: the table of ±k·G, 1 ≤ k ≤ 2^16, built once
// per process by the first identity check.
func BenchmarkTrivialTableBuild(b *testing.B) {
	for range b.N {
		smallMultiples = syncOnceTable()
		if _, ok := trivialFactor(make([]byte, g1Size)); ok {
			b.Fatal("zero bytes are not a small multiple")
		}
	}
}

// BenchmarkTrivialLookup: one update proof's check once the table is built.
func BenchmarkTrivialLookup(b *testing.B) {
	var s fr.Element
	s.SetRandom()
	p := cmpc.UpdateValues(&s, make([]byte, 32), 0)
	var buf bytes.Buffer
	p.WriteTo(&buf)
	trivialFactor(buf.Bytes()[:g1Size])
	b.ResetTimer()
	for range b.N {
		if _, ok := trivialFactor(buf.Bytes()[:g1Size]); ok {
			b.Fatal("a random contribution is not trivial")
		}
	}
}

// BenchmarkG2SubgroupBatch: the seal state's subgroup check, per 2^16 G2
// points (a seal state holds one per wire).
func BenchmarkG2SubgroupBatch(b *testing.B) {
	const n = 1 << 16
	_, _, _, g2 := curve.Generators()
	jac := make([]curve.G2Jac, n)
	jac[0].FromAffine(&g2)
	for k := 1; k < n; k++ {
		jac[k].Set(&jac[k-1]).AddMixed(&g2)
	}
	pts := make([]curve.G2Affine, n)
	for k := range jac {
		pts[k].FromJacobian(&jac[k])
	}
	b.ResetTimer()
	for range b.N {
		if !curve.IsInSubGroupBatchG2(pts) {
			b.Fatal("multiples of the generator are in the subgroup")
		}
	}
}
