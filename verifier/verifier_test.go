package verifier_test

import (
	"encoding/hex"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/internal/testfixture"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/prover"
	"github.com/zkeval/zkeval/verifier"
)

// world is one setup and one proof, shared by the tests (setup is the slow
// part).
type world struct {
	m      *model.Model
	b      *benchmark.Benchmark
	salt   *big.Int
	commit *big.Int
	dir    string
	st     *attestation.Statement
	vk     []byte
	count  int64
}

var (
	once     sync.Once
	shared   *world
	setupErr error
)

func makeWorld(t *testing.T, seed int64, n int, claimText string, reveal bool) *world {
	return makeWorldClaims(t, seed, n, []string{claimText}, reveal)
}

func makeWorldClaims(t *testing.T, seed int64, n int, claimTexts []string, reveal bool) *world {
	t.Helper()
	w := &world{m: testfixture.Model(seed)}
	w.b = testfixture.Benchmark(w.m, seed, n)
	w.salt = big.NewInt(987654321 + seed)
	var err error
	w.commit, err = commitment.Commit(w.m, w.salt)
	require.NoError(t, err)
	var claims []prover.Claimed
	for _, ct := range claimTexts {
		cl, err := claim.Parse(ct)
		require.NoError(t, err)
		claims = append(claims, prover.Claimed{Claim: cl, Reveal: reveal})
	}
	shapes, _, err := prover.Shapes(claims)
	require.NoError(t, err)
	spec, err := circuits.NewSpec(w.m, w.b, shapes)
	require.NoError(t, err)
	w.dir = t.TempDir()
	_, err = keys.SetupSingleParty(spec, w.dir, nil)
	require.NoError(t, err)
	w.st, err = prover.Prove(&prover.Request{Model: w.m, Salt: w.salt, Benchmark: w.b, Claims: claims, KeysDir: w.dir}, w.commit)
	require.NoError(t, err)
	w.vk, err = os.ReadFile(filepath.Join(w.dir, keys.VerifyingKeyFile))
	require.NoError(t, err)
	ev, err := prover.Evaluate(w.m, w.b)
	require.NoError(t, err)
	w.count = ev.Correct
	return w
}

func get(t *testing.T) *world {
	once.Do(func() {
		shared = makeWorld(t, 1, 24, "accuracy >= 0.5", true)
	})
	if shared == nil {
		t.Fatal("shared setup failed")
	}
	return shared
}

// clone deep-copies a statement through its JSON encoding.
func clone(t *testing.T, st *attestation.Statement) *attestation.Statement {
	data, err := st.Marshal()
	require.NoError(t, err)
	c, err := attestation.Parse(data, "clone")
	require.NoError(t, err)
	return c
}

func TestValidAttestationVerifies(t *testing.T) {
	w := get(t)
	res, err := verifier.Verify(w.st, w.vk, "vk", verifier.Options{Benchmark: w.b})
	require.NoError(t, err)
	require.True(t, res.BenchmarkChecked)
	require.Len(t, res.Claims, 1)
	require.Equal(t, big.NewRat(w.count, 24).String(), res.Claims[0].Value.String())
	require.Equal(t, w.count, res.Claims[0].Counts[0].Value)
	require.Equal(t, "correct", res.Claims[0].Counts[0].Name)
	require.Contains(t, res.Warnings[0], "single-party")
	require.Equal(t, verifier.SetupSingleParty, res.Setup.Status)
	// The attestation survives its own file encoding.
	res, err = verifier.Verify(clone(t, w.st), w.vk, "vk", verifier.Options{})
	require.NoError(t, err)
	require.False(t, res.BenchmarkChecked)
}

func TestTamperedAttestationsFail(t *testing.T) {
	w := get(t)
	cases := map[string]func(st *attestation.Statement){
		"raised threshold": func(st *attestation.Statement) {
			st.Predicate.Claims[0].Threshold = "0.99"
		},
		"raised threshold, still below the value": func(st *attestation.Statement) { st.Predicate.Claims[0].Threshold = "0.55" },
		"inflated value and count": func(st *attestation.Statement) {
			st.Predicate.Claims[0].Value = big.NewRat(w.count+1, 24).RatString()
			st.Predicate.Claims[0].Counts[0].Value++
		},
		"inflated value only": func(st *attestation.Statement) {
			st.Predicate.Claims[0].Value = big.NewRat(w.count+1, 24).RatString()
		},
		"count renamed": func(st *attestation.Statement) { st.Predicate.Claims[0].Counts[0].Name = "tp[class=c0]" },
		"label counts changed": func(st *attestation.Statement) {
			lc := st.Predicate.Circuit.Public.LabelCounts[0]
			lc[0], lc[1] = lc[0]+1, lc[1]-1
			id := st.Predicate.Circuit.Public.ID()
			st.Predicate.Circuit.ID = hex.EncodeToString(id[:])
		},
		"another model commitment": func(st *attestation.Statement) {
			other, err := commitment.Commit(testfixture.Model(2), w.salt)
			require.NoError(t, err)
			st.Predicate.Model.Commitment = commitment.FormatElement(other)
			st.Subject[0].Digest[attestation.SubjectDigestAlg] = commitment.FormatElement(other)[2:]
		},
		"subject differs from commitment": func(st *attestation.Statement) {
			st.Subject[0].Digest[attestation.SubjectDigestAlg] = "00" + st.Subject[0].Digest[attestation.SubjectDigestAlg][2:]
		},
		"another benchmark digest": func(st *attestation.Statement) {
			d, err := testfixture.Benchmark(w.m, 5, 24).Digest()
			require.NoError(t, err)
			st.Predicate.Benchmark.Digest["sha256"] = hex.EncodeToString(d[:])
			st.Predicate.Circuit.Public.BenchmarkDigest = hex.EncodeToString(d[:])
			id := st.Predicate.Circuit.Public.ID()
			st.Predicate.Circuit.ID = hex.EncodeToString(id[:])
		},
		"circuit id not matching description": func(st *attestation.Statement) {
			st.Predicate.Circuit.Public.AccBits[0]++
		},
		"fewer samples": func(st *attestation.Statement) {
			st.Predicate.Benchmark.Samples = 23
			st.Predicate.Circuit.Public.Samples = 23
			id := st.Predicate.Circuit.Public.ID()
			st.Predicate.Circuit.ID = hex.EncodeToString(id[:])
		},
		"hidden instead of revealed": func(st *attestation.Statement) {
			st.Predicate.Claims[0].Value = ""
			st.Predicate.Claims[0].Counts = nil
			st.Predicate.Claims[0].Hidden = true
		},
		"claim added": func(st *attestation.Statement) {
			st.Predicate.Claims = append(st.Predicate.Claims, st.Predicate.Claims[0])
		},
		"flipped proof byte": func(st *attestation.Statement) { st.Predicate.Proof.Bytes[40] ^= 1 },
		"truncated proof":    func(st *attestation.Statement) { st.Predicate.Proof.Bytes = st.Predicate.Proof.Bytes[:100] },
		"other vk digest":    func(st *attestation.Statement) { st.Predicate.Proof.VerifyingKey["sha256"] = keys.Digest([]byte("x")) },
		"comparison flipped": func(st *attestation.Statement) { st.Predicate.Claims[0].Comparison = "<=" },
		"unknown setup kind": func(st *attestation.Statement) { st.Predicate.Setup.Kind = "trusted" },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			st := clone(t, w.st)
			mutate(st)
			_, err := verifier.Verify(st, w.vk, "vk", verifier.Options{})
			require.ErrorIs(t, err, verifier.ErrInvalid)
		})
	}
}

// TestDescriptionBoundsChecked: a description whose bounds the circuit
// cannot enforce (a chain of wide accumulators, a missing input bound, a
// table outside its layer's bound) is refused before the proof is looked
// at, with the circuit id recomputed so that only validation can refuse it.
func TestDescriptionBoundsChecked(t *testing.T) {
	w := get(t)
	for name, mutate := range map[string]func(p *circuits.Public){
		"accumulator wider than the circuit allows": func(p *circuits.Public) { p.AccBits[len(p.AccBits)-1] = 95 },
		"no input bound": func(p *circuits.Public) { p.InputBits = 0 },
	} {
		t.Run(name, func(t *testing.T) {
			st := clone(t, w.st)
			mutate(&st.Predicate.Circuit.Public)
			id := st.Predicate.Circuit.Public.ID()
			st.Predicate.Circuit.ID = hex.EncodeToString(id[:])
			_, err := verifier.Verify(st, w.vk, "vk", verifier.Options{})
			require.ErrorIs(t, err, verifier.ErrInvalid)
			require.ErrorContains(t, err, "circuit description")
		})
	}
}

func TestWrongKeyOrBenchmarkFails(t *testing.T) {
	w := get(t)
	t.Run("flipped verifying key byte", func(t *testing.T) {
		vk := append([]byte{}, w.vk...)
		vk[len(vk)/2] ^= 0x10
		_, err := verifier.Verify(w.st, vk, "vk", verifier.Options{})
		require.ErrorIs(t, err, verifier.ErrInvalid)
	})
	t.Run("another circuit's verifying key, digest swapped in", func(t *testing.T) {
		other := makeWorld(t, 3, 24, "accuracy >= 0.5", true)
		st := clone(t, w.st)
		st.Predicate.Proof.VerifyingKey["sha256"] = keys.Digest(other.vk)
		_, err := verifier.Verify(st, other.vk, "vk", verifier.Options{})
		require.ErrorIs(t, err, verifier.ErrInvalid)
		// and that circuit's proof does not verify with this key
		st = clone(t, other.st)
		st.Predicate.Proof.VerifyingKey["sha256"] = keys.Digest(w.vk)
		_, err = verifier.Verify(st, w.vk, "vk", verifier.Options{})
		require.ErrorIs(t, err, verifier.ErrInvalid)
	})
	t.Run("another benchmark file", func(t *testing.T) {
		_, err := verifier.Verify(w.st, w.vk, "vk", verifier.Options{Benchmark: testfixture.Benchmark(w.m, 9, 24)})
		require.ErrorIs(t, err, verifier.ErrInvalid)
	})
	t.Run("benchmark prefix", func(t *testing.T) {
		p, err := w.b.Prefix(23)
		require.NoError(t, err)
		_, err = verifier.Verify(w.st, w.vk, "vk", verifier.Options{Benchmark: p})
		require.ErrorIs(t, err, verifier.ErrInvalid)
	})
}

func TestHiddenCount(t *testing.T) {
	w := makeWorld(t, 4, 12, "accuracy >= 1/3", false)
	res, err := verifier.Verify(w.st, w.vk, "vk", verifier.Options{})
	require.NoError(t, err)
	require.True(t, res.Claims[0].Hidden)
	require.Empty(t, w.st.Predicate.Claims[0].Value)
	st := clone(t, w.st)
	st.Predicate.Claims[0].Hidden = false
	st.Predicate.Claims[0].Value = "1"
	st.Predicate.Claims[0].Counts = []attestation.Count{{Name: "correct", Value: 12}}
	_, err = verifier.Verify(st, w.vk, "vk", verifier.Options{})
	require.ErrorIs(t, err, verifier.ErrInvalid)
}

// BenchmarkVerify times a whole Verify call (parsing the verifying key with
// point checks, rebuilding the public inputs, the pairing check) on a small
// circuit; Groth16 verification cost does not depend on the circuit's size,
// only on its number of public inputs and commitments.
func BenchmarkVerify(b *testing.B) {
	t := &testing.T{}
	w := get(t)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := verifier.Verify(w.st, w.vk, "vk", verifier.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
