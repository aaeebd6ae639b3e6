package envelope

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSignAndOpen(t *testing.T) {
	dir := t.TempDir()
	id, err := GenerateKey(filepath.Join(dir, "lab.key"), filepath.Join(dir, "lab.pub"))
	require.NoError(t, err)
	_, err = GenerateKey(filepath.Join(dir, "lab.key"), filepath.Join(dir, "other.pub"))
	require.ErrorContains(t, err, "never overwrites")
	priv, err := ReadPrivateKey(filepath.Join(dir, "lab.key"))
	require.NoError(t, err)
	pub, err := ReadPublicKey(filepath.Join(dir, "lab.pub"))
	require.NoError(t, err)

	stmt := []byte(`{"_type":"https://in-toto.io/Statement/v1"}`)
	env, err := Sign(stmt, priv)
	require.NoError(t, err)
	require.True(t, IsEnvelope(env))
	require.False(t, IsEnvelope(stmt))

	got, ids, err := Open(env, "env", pub)
	require.NoError(t, err)
	require.Equal(t, stmt, got)
	require.Equal(t, []string{id}, ids)

	// another key does not verify
	_, err = GenerateKey(filepath.Join(dir, "o.key"), filepath.Join(dir, "o.pub"))
	require.NoError(t, err)
	other, err := ReadPublicKey(filepath.Join(dir, "o.pub"))
	require.NoError(t, err)
	_, _, err = Open(env, "env", other)
	require.ErrorIs(t, err, ErrSignature)

	// a changed payload does not verify
	var e map[string]any
	require.NoError(t, json.Unmarshal(env, &e))
	e["payload"] = "e30=" // "{}"
	bad, err := json.Marshal(e)
	require.NoError(t, err)
	_, _, err = Open(bad, "env", pub)
	require.ErrorIs(t, err, ErrSignature)

	// a changed payload type is refused
	e["payloadType"] = "text/plain"
	bad, err = json.Marshal(e)
	require.NoError(t, err)
	_, _, err = Open(bad, "env", pub)
	require.ErrorContains(t, err, "payloadType")
}
