package attestation

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestShardedOldVersionsRefused: sharded attestations of predicates v0.1
// and v0.2, and shard files of format v1 (Poseidon2 digests), are refused
// with ErrShardedVersion, an error naming the version and saying to prove
// again.
func TestShardedOldVersionsRefused(t *testing.T) {
	for _, pt := range ShardedPredicateTypesOld {
		data := []byte(`{"_type": "https://in-toto.io/Statement/v1", "subject": [], "predicateType": "` + pt + `", "predicate": {"shards": {"proofs": [{"index": 0, "digest": "0x01"}]}}}`)
		require.True(t, IsSharded(data))
		_, err := ParseSharded(data, "old.json")
		require.Error(t, err)
		require.True(t, errors.Is(err, ErrShardedVersion), "%v", err)
		require.Contains(t, err.Error(), pt)
		require.Contains(t, err.Error(), "prove the shards again")
	}
	path := filepath.Join(t.TempDir(), "shard-00000.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"format": "zkeval-shard-proof/v1", "proof": {"digest": "0x01"}}`), 0o600))
	_, err := ReadShardFile(path)
	require.True(t, errors.Is(err, ErrShardedVersion), "%v", err)
	require.True(t, strings.Contains(err.Error(), "zkeval-shard-proof/v1") && strings.Contains(err.Error(), "prove the shard again"), "%v", err)
}
