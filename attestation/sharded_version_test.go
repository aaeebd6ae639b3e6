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
	var ve *ShardFileVersionError
	require.ErrorAs(t, err, &ve)
	require.Equal(t, ShardFileVersionError{Path: path, Format: "zkeval-shard-proof/v1"}, *ve)
	// The path once, the file called a shard file, what to do.
	require.Equal(t, path+": shard file of format zkeval-shard-proof/v1 (made by an older zkeval, which bound samples by a digest); prove the shard again with this zkeval", err.Error())
	require.Equal(t, 1, strings.Count(err.Error(), path))
}
