package prover_test

import (
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/internal/testfixture"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/prover"
)

// twoSetups makes two shard setups of the same circuit (same circuit id,
// different keys) for a one-layer model on 8 samples, shards of 3.
func twoSetups(t *testing.T) (r resumeRun, keysA, keysB string) {
	t.Helper()
	r.m = testfixture.Model(1)
	r.b = testfixture.Benchmark(r.m, 1, 8)
	r.salt = big.NewInt(77)
	r.claims = parseClaims(t, "accuracy >= 1/2")
	var err error
	r.cm, err = commitment.Commit(r.m, r.salt)
	require.NoError(t, err)
	keysA = setupShards(t, r.m, r.b, 3, r.claims)
	keysB = setupShards(t, r.m, r.b, 3, r.claims)
	metaA, err := keys.ReadShardMeta(keysA)
	require.NoError(t, err)
	metaB, err := keys.ReadShardMeta(keysB)
	require.NoError(t, err)
	require.Equal(t, metaA.CircuitID, metaB.CircuitID)
	require.NotEqual(t, metaA.Files[keys.VerifyingKeyFile], metaB.Files[keys.VerifyingKeyFile])
	return r, keysA, keysB
}

type resumeRun struct {
	m      *model.Model
	b      *benchmark.Benchmark
	salt   *big.Int
	claims []prover.Claimed
	cm     *big.Int
}

// TestResumeRefusesShardOfOtherKeys: a shard file proven with keys B, of
// the same circuit as keys A (same circuit id), is not a shard of a
// --resume run with keys A (the check compares the verifying key's
// digest and the setup, not only the circuit id).
func TestResumeRefusesShardOfOtherKeys(t *testing.T) {
	r, keysA, keysB := twoSetups(t)
	m, b, salt, claims, cm := r.m, r.b, r.salt, r.claims, r.cm
	f, err := prover.ProveShard(&prover.ShardRequest{Request: prover.Request{Model: m, Salt: salt, Benchmark: b, Claims: claims, KeysDir: keysB}, Index: 0}, cm)
	require.NoError(t, err)
	path := writeShard(t, f, filepath.Join(t.TempDir(), prover.ShardFileName(0)))
	back, err := attestation.ReadShardFile(path)
	require.NoError(t, err)
	checkA, err := prover.NewShardFileCheck(&prover.Request{Model: m, Benchmark: b, Claims: claims, KeysDir: keysA}, cm)
	require.NoError(t, err)
	require.ErrorContains(t, checkA.Fits(back, 0), "verifyingKey.sha256")
	checkB, err := prover.NewShardFileCheck(&prover.Request{Model: m, Benchmark: b, Claims: claims, KeysDir: keysB}, cm)
	require.NoError(t, err)
	require.NoError(t, checkB.Fits(back, 0))
}

// TestLoadedKeysReplacedMidRun: the in-process runner loads the keys once
// (LoadShardKeys); when the keys directory is then overwritten by another
// setup of the same circuit (setup --force), ProveShard with the loaded
// keys must refuse (else it would write a proof of the old keys beside the
// new verifying key, which combine then refuses).
func TestLoadedKeysReplacedMidRun(t *testing.T) {
	r, keysA, keysB := twoSetups(t)
	m, b, salt, claims, cm := r.m, r.b, r.salt, r.claims, r.cm
	k, err := prover.LoadShardKeys(keysA)
	require.NoError(t, err)
	// Another setup of the same circuit written over keysA.
	ents, err := os.ReadDir(keysB)
	require.NoError(t, err)
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join(keysB, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(keysA, e.Name()), data, 0o644))
	}
	// Loaded from the directory as it is now: proven.
	req := &prover.ShardRequest{Request: prover.Request{Model: m, Salt: salt, Benchmark: b, Claims: claims, KeysDir: keysA}, Index: 0}
	_, err = prover.ProveShard(req, cm)
	require.NoError(t, err)
	// The runner's keys, loaded before the replacement: refused.
	req.Index, req.Keys = 1, k
	_, err = prover.ProveShard(req, cm)
	require.ErrorContains(t, err, "changed since its keys were loaded")
}
