package prover_test

import (
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/internal/testfixture"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/prover"
	"github.com/zkeval/zkeval/verifier"
)

// TestResumeKeepsShardOfOtherKeys: two setups of the same shard circuit
// (same circuit id, different keys). A shard file proven with keys B fits
// ShardFileFits for a run with keys A, so `prove --shards --resume --keys A`
// keeps it as "this run's" (its help: "same model commitment, keys,
// benchmark and claims").
func TestResumeKeepsShardOfOtherKeys(t *testing.T) {
	m := testfixture.Model(1)
	b := testfixture.Benchmark(m, 1, 8)
	salt := big.NewInt(77)
	claims := parseClaims(t, "accuracy >= 1/2")
	cm, err := commitment.Commit(m, salt)
	require.NoError(t, err)
	keysA := setupShards(t, m, b, 3, claims)
	keysB := setupShards(t, m, b, 3, claims)
	metaA, err := keys.ReadShardMeta(keysA)
	require.NoError(t, err)
	metaB, err := keys.ReadShardMeta(keysB)
	require.NoError(t, err)
	require.Equal(t, metaA.CircuitID, metaB.CircuitID)
	require.NotEqual(t, metaA.Files[keys.VerifyingKeyFile], metaB.Files[keys.VerifyingKeyFile])

	f, err := prover.ProveShard(&prover.ShardRequest{Request: prover.Request{Model: m, Salt: salt, Benchmark: b, Claims: claims, KeysDir: keysB}, Index: 0}, cm)
	require.NoError(t, err)
	path := writeShard(t, f, filepath.Join(t.TempDir(), prover.ShardFileName(0)))
	back, err := attestation.ReadShardFile(path)
	require.NoError(t, err)
	if err := prover.ShardFileFits(back, 0, &prover.Request{Model: m, Benchmark: b, Claims: claims, KeysDir: keysA}, cm); err == nil {
		t.Errorf("a shard file proven with keys B (verifying key %s) fits a --resume run with keys A (verifying key %s)", back.VerifyingKey["sha256"], metaA.Files[keys.VerifyingKeyFile])
	}
}

// TestLoadedKeysReplacedMidRun: the in-process runner loads the keys once
// (LoadShardKeys); when the keys directory is replaced by another setup of
// the same circuit (setup --force) before a later shard, ProveShard proves
// with the loaded old keys, checks the proof with the loaded old verifying
// key, and writes the new directory's verifying key (digest and bytes)
// into the shard file: its "changed while proving" check compares the disk
// with the disk's metadata, not with the loaded keys. combine then refuses
// the run's own shard.
func TestLoadedKeysReplacedMidRun(t *testing.T) {
	m := testfixture.Model(1)
	b := testfixture.Benchmark(m, 1, 8)
	salt := big.NewInt(77)
	claims := parseClaims(t, "accuracy >= 1/2")
	cm, err := commitment.Commit(m, salt)
	require.NoError(t, err)
	keysA := setupShards(t, m, b, 3, claims)
	keysB := setupShards(t, m, b, 3, claims)
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
	dir := t.TempDir()
	var files []string
	for i := range 3 {
		req := &prover.ShardRequest{Request: prover.Request{Model: m, Salt: salt, Benchmark: b, Claims: claims, KeysDir: keysA}, Index: i}
		if i == 1 {
			req.Keys = k // the runner's keys, loaded before the replacement
		}
		f, err := prover.ProveShard(req, cm)
		if i == 1 && err != nil {
			t.Logf("refused (as wanted): %v", err)
			return
		}
		require.NoError(t, err)
		files = append(files, writeShard(t, f, filepath.Join(dir, prover.ShardFileName(i))))
	}
	res, err := prover.Combine(&prover.CombineRequest{Files: files, Benchmark: b, BenchmarkFile: "b.bench", KeysDir: keysA})
	if err == nil {
		// as the CLI's combine does after combining
		_, err = verifier.VerifySharded(res.Statement, res.VerifyingKey, "vk", verifier.ShardOptions{Benchmark: b})
	}
	t.Errorf("keys replaced between LoadShardKeys and shard 1's proof: ProveShard wrote shard 1's file with the new verifying key and a proof of the old keys; combine says: %v", err)
}
