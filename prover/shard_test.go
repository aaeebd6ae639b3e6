package prover_test

import (
	"encoding/hex"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/internal/jsonfile"
	"github.com/zkeval/zkeval/internal/testfixture"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/metric"
	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/prover"
	"github.com/zkeval/zkeval/shard"
	"github.com/zkeval/zkeval/verifier"
)

// shardRun is a 3-shard run of the 6-5-4-3 fixture over 8 samples (shards
// of 3, 3 and 2), with a revealed and a hidden claim.
type shardRun struct {
	m      *model.Model
	b      *benchmark.Benchmark
	salt   *big.Int
	cm     *big.Int
	keys   string
	claims []prover.Claimed
	dir    string
}

func parseClaims(t *testing.T, texts ...string) []prover.Claimed {
	var cs []prover.Claimed
	for _, s := range texts {
		reveal := s[0] != '!'
		if !reveal {
			s = s[1:]
		}
		c, err := claim.Parse(s)
		require.NoError(t, err)
		cs = append(cs, prover.Claimed{Claim: c, Reveal: reveal})
	}
	return cs
}

func setupShards(t *testing.T, m *model.Model, b *benchmark.Benchmark, size int, claims []prover.Claimed) string {
	shapes, _, err := prover.Shapes(claims)
	require.NoError(t, err)
	spec, err := circuits.NewShardSpec(m, b, shapes, size)
	require.NoError(t, err)
	var ts *circuits.TotalsSpec
	if len(spec.Hidden()) > 0 {
		td, err := desc.NewTotals(spec.Desc, shard.Count(b.Len(), size), metric.NewLabels(b.Labels, nil, len(b.ClassNames), 0))
		require.NoError(t, err)
		ts, err = circuits.NewTotalsSpec(td)
		require.NoError(t, err)
	}
	dir := filepath.Join(t.TempDir(), "keys")
	_, err = keys.SetupShards(spec, ts, dir, nil)
	require.NoError(t, err)
	return dir
}

func newShardRun(t *testing.T) *shardRun {
	m := testfixture.Model(1)
	b := testfixture.Benchmark(m, 1, 8)
	r := &shardRun{m: m, b: b, salt: big.NewInt(77), claims: parseClaims(t, "accuracy >= 1/2", "!precision[class=b] >= 0")}
	var err error
	r.cm, err = commitment.Commit(m, r.salt)
	require.NoError(t, err)
	r.keys = setupShards(t, m, b, 3, r.claims)
	r.dir = t.TempDir()
	for i := range 3 {
		r.prove(t, i, r.dir)
	}
	return r
}

// prove writes shard i's file into dir.
func (r *shardRun) prove(t *testing.T, i int, dir string) string {
	f, err := prover.ProveShard(&prover.ShardRequest{Request: prover.Request{Model: r.m, Salt: r.salt, Benchmark: r.b, Claims: r.claims, KeysDir: r.keys}, Index: i}, r.cm)
	require.NoError(t, err)
	return writeShard(t, f, filepath.Join(dir, prover.ShardFileName(i)))
}

func writeShard(t *testing.T, f *attestation.ShardFile, path string) string {
	data, err := jsonfile.Indent(f)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return path
}

func (r *shardRun) files() []string {
	var fs []string
	for i := range 3 {
		fs = append(fs, filepath.Join(r.dir, prover.ShardFileName(i)))
	}
	return fs
}

// combine combines files and verifies the result as the CLI does.
func (r *shardRun) combine(t *testing.T, files []string) (*prover.Combined, error) {
	res, err := prover.Combine(&prover.CombineRequest{Files: files, Benchmark: r.b, BenchmarkFile: "b.bench", KeysDir: r.keys})
	if err != nil {
		return nil, err
	}
	_, err = verifier.VerifySharded(res.Statement, res.VerifyingKey, "vk", verifier.ShardOptions{Benchmark: r.b, TotalsVK: res.TotalsVerifyingKey, TotalsVKSource: "tvk"})
	return res, err
}

func TestShardsAgreeWithSingleProofCounts(t *testing.T) {
	r := newShardRun(t)
	res, err := r.combine(t, r.files())
	require.NoError(t, err)
	ev, err := prover.Evaluate(r.m, r.b)
	require.NoError(t, err)
	p := res.Statement.Predicate
	require.Equal(t, 3, p.Shards.Count)
	require.Equal(t, []attestation.Count{{Name: "correct", Value: ev.Correct}}, p.Claims[0].Counts)
	require.Equal(t, big.NewRat(ev.Correct, 8).RatString(), p.Claims[0].Value)
	require.True(t, p.Claims[1].Hidden)
	require.NotNil(t, p.Totals)
	// Without the benchmark: everything but the digests is checked.
	vr, err := verifier.VerifySharded(res.Statement, res.VerifyingKey, "vk", verifier.ShardOptions{TotalsVK: res.TotalsVerifyingKey})
	require.NoError(t, err)
	require.False(t, vr.BenchmarkChecked)
	require.Contains(t, vr.Warnings, verifier.SamplesUncheckedWarning(res.Statement))
	require.Contains(t, verifier.SamplesUncheckedWarning(res.Statement), "samples NOT checked")
	vb, err := verifier.VerifySharded(res.Statement, res.VerifyingKey, "vk", verifier.ShardOptions{Benchmark: r.b, TotalsVK: res.TotalsVerifyingKey})
	require.NoError(t, err)
	require.True(t, vb.BenchmarkChecked)
	require.NotContains(t, vb.Warnings, verifier.SamplesUncheckedWarning(res.Statement))
	// Repeated runs of a shard give other proofs, all valid.
	again := r.prove(t, 1, t.TempDir())
	files := r.files()
	files[1] = again
	_, err = r.combine(t, files)
	require.NoError(t, err)
}

func TestCombineRefusesBadShards(t *testing.T) {
	r := newShardRun(t)
	copyTo := func(src, dst string) string {
		data, err := os.ReadFile(src)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(dst, data, 0o600))
		return dst
	}
	edit := func(src string, f func(*attestation.ShardFile)) string {
		sf, err := attestation.ReadShardFile(src)
		require.NoError(t, err)
		f(sf)
		return writeShard(t, sf, filepath.Join(t.TempDir(), filepath.Base(src)))
	}
	fs := r.files()
	other := t.TempDir()
	for name, c := range map[string]struct {
		files []string
		want  string
	}{
		"missing":    {[]string{fs[0], fs[2]}, "shard 1 of 3 missing"},
		"duplicated": {[]string{fs[0], fs[1], fs[2], copyTo(fs[1], filepath.Join(other, "copy.json"))}, "is shard 1 again"},
		"renamed in place of another": {[]string{fs[0], copyTo(fs[0], filepath.Join(other, prover.ShardFileName(1))), fs[2]},
			"holds shard 0, whose file is shard-00000.json"},
		"corrupted JSON": {[]string{fs[0], fs[1], copyTo("shard_test.go", filepath.Join(other, prover.ShardFileName(2)))}, "unreadable or corrupted"},
		"another model": {[]string{fs[0], fs[1], edit(fs[2], func(f *attestation.ShardFile) { f.Model.Commitment = "0x05" })},
			"a foreign shard: proven for another model"},
		"another benchmark": {[]string{fs[0], edit(fs[1], func(f *attestation.ShardFile) { f.Benchmark.Digest["sha256"] = "00" }), fs[2]},
			"proven on benchmark"},
		"other claims": {[]string{edit(fs[0], func(f *attestation.ShardFile) { f.Claims[0].Threshold = "0.6" }), fs[1], fs[2]},
			"a foreign shard: proven for other claims"},
		"other keys": {[]string{fs[0], fs[1], edit(fs[2], func(f *attestation.ShardFile) { f.VerifyingKey["sha256"] = "ab" })},
			"a foreign shard"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := r.combine(t, c.files)
			require.ErrorIs(t, err, prover.ErrShard)
			require.ErrorContains(t, err, c.want)
		})
	}
	t.Run("a shard file of an old format", func(t *testing.T) {
		old := edit(fs[0], func(f *attestation.ShardFile) { f.Format = "zkeval-shard-proof/v1" })
		_, err := r.combine(t, []string{old, fs[1], fs[2]})
		require.ErrorIs(t, err, attestation.ErrShardedVersion)
		var fe *prover.ShardFileError
		require.ErrorAs(t, err, &fe)
		require.Equal(t, old+": shard file of format zkeval-shard-proof/v1 (made by an older zkeval, which bound samples by a digest); prove the shard again with this zkeval", err.Error())
	})
	t.Run("corrupted proof", func(t *testing.T) {
		bad := edit(fs[1], func(f *attestation.ShardFile) { f.Proof.Bytes[40] ^= 1 })
		_, err := r.combine(t, []string{fs[0], bad, fs[2]})
		var se *verifier.ShardError
		require.ErrorAs(t, err, &se)
		require.Equal(t, 1, se.Index)
	})
	t.Run("a count changed", func(t *testing.T) {
		bad := edit(fs[2], func(f *attestation.ShardFile) { f.Proof.Counts[0].Value-- })
		_, err := r.combine(t, []string{fs[0], fs[1], bad})
		var se *verifier.ShardError
		require.ErrorAs(t, err, &se)
		require.Equal(t, 2, se.Index)
	})
	t.Run("a hidden count opening changed", func(t *testing.T) {
		bad := edit(fs[0], func(f *attestation.ShardFile) { f.Secret.HiddenCounts[0]++ })
		_, err := r.combine(t, []string{bad, fs[1], fs[2]})
		require.ErrorContains(t, err, "do not open its counts commitment")
	})
	t.Run("a shard of another slice", func(t *testing.T) {
		// Shard 1 proven on another benchmark with the same names (the
		// same model and keys), its benchmark relabelled as ours: its
		// digest is not our shard 1's.
		b2 := testfixture.Benchmark(r.m, 2, 8)
		r2 := *r
		r2.b = b2
		src := r2.prove(t, 1, t.TempDir())
		d, err := r.b.Digest()
		require.NoError(t, err)
		forged := edit(src, func(f *attestation.ShardFile) { f.Benchmark.Digest["sha256"] = hex.EncodeToString(d[:]) })
		_, err = r.combine(t, []string{fs[0], forged, fs[2]})
		var se *verifier.ShardError
		require.ErrorAs(t, err, &se)
		require.Equal(t, 1, se.Index)
		// The error states the challenge, the benchmark's fingerprint at
		// it and the proof's, each where its words say.
		f, err2 := attestation.ReadShardFile(forged)
		require.NoError(t, err2)
		ch, err2 := commitment.ParseElement(f.Proof.Challenge)
		require.NoError(t, err2)
		challenges := make([]*big.Int, 3)
		for i := range challenges {
			challenges[i] = ch
		}
		want, err2 := commitment.ShardFingerprints(f.Circuit.Public.Layout(), r.b, challenges)
		require.NoError(t, err2)
		require.NotEqual(t, f.Proof.Fingerprint, commitment.FormatElement(want[1]))
		require.ErrorContains(t, err, fmt.Sprintf("at its challenge %s, shard 1 of the benchmark file given has fingerprint %s; the proof states %s: this proof is about other samples",
			f.Proof.Challenge, commitment.FormatElement(want[1]), f.Proof.Fingerprint))
	})
}

// TestVerifyRefusesShuffledShards: the same shard twice in place of
// another, or two shards swapped, fails with and without the benchmark.
func TestVerifyRefusesShuffledShards(t *testing.T) {
	r := newShardRun(t)
	res, err := r.combine(t, r.files())
	require.NoError(t, err)
	check := func(st *attestation.ShardedStatement, b *benchmark.Benchmark) error {
		_, err := verifier.VerifySharded(st, res.VerifyingKey, "vk", verifier.ShardOptions{Benchmark: b, TotalsVK: res.TotalsVerifyingKey})
		return err
	}
	clone := func() *attestation.ShardedStatement {
		data, err := res.Statement.Marshal()
		require.NoError(t, err)
		st, err := attestation.ParseSharded(data, "x")
		require.NoError(t, err)
		return st
	}
	for _, b := range []*benchmark.Benchmark{r.b, nil} {
		st := clone()
		st.Predicate.Shards.Proofs[1] = st.Predicate.Shards.Proofs[0]
		st.Predicate.Shards.Proofs[1].Index = 1
		require.ErrorIs(t, check(st, b), verifier.ErrInvalid, "shard 0 in place of shard 1")

		st = clone()
		ps := st.Predicate.Shards.Proofs
		ps[0], ps[1] = ps[1], ps[0]
		ps[0].Index, ps[1].Index = 0, 1
		require.ErrorIs(t, check(st, b), verifier.ErrInvalid, "shards 0 and 1 swapped")

		st = clone()
		st.Predicate.Claims[0].Counts[0].Value++
		require.ErrorIs(t, check(st, b), verifier.ErrInvalid, "a total that is not the sum")

		st = clone()
		st.Predicate.Shards.Proofs = st.Predicate.Shards.Proofs[:2]
		st.Predicate.Shards.Count = 2
		require.ErrorIs(t, check(st, b), verifier.ErrInvalid, "a shard dropped")
	}
}
