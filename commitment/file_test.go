package commitment

import (
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/internal/testfixture"
)

func TestWriteAndReadFiles(t *testing.T) {
	dir := t.TempDir()
	m := testfixture.Model(1)
	salt := big.NewInt(12345)
	c, err := Commit(m, salt)
	require.NoError(t, err)
	cp, op := filepath.Join(dir, "c.json"), filepath.Join(dir, "o.json")
	require.NoError(t, WriteFiles(cp, op, m, salt, c))

	s, c2, err := ReadOpening(op)
	require.NoError(t, err)
	assert.Equal(t, 0, s.Cmp(salt))
	assert.Equal(t, 0, c2.Cmp(c))
	pub, c3, err := ReadPublic(cp)
	require.NoError(t, err)
	assert.Equal(t, 0, c3.Cmp(c))
	assert.Equal(t, m.Shape(), pub.Shape)
	st, err := os.Stat(op)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	// Reading one file as the other says which is which.
	_, _, err = ReadOpening(cp)
	require.ErrorContains(t, err, "c.json: this file is zkeval-commitment/v1, not zkeval-opening/v1")
	_, _, err = ReadPublic(op)
	require.ErrorContains(t, err, "o.json: this file is zkeval-opening/v1, not zkeval-commitment/v1")
}

func TestWriteFilesNeverOverwritesAnOpening(t *testing.T) {
	dir := t.TempDir()
	m := testfixture.Model(1)
	cp, op := filepath.Join(dir, "c.json"), filepath.Join(dir, "o.json")
	require.NoError(t, os.WriteFile(op, []byte("old opening"), 0o600))
	err := WriteFiles(cp, op, m, big.NewInt(1), big.NewInt(2))
	require.ErrorIs(t, err, fs.ErrExist)
	got, _ := os.ReadFile(op)
	assert.Equal(t, "old opening", string(got))
	_, err = os.Stat(cp)
	assert.ErrorIs(t, err, fs.ErrNotExist, "no commitment without its opening")
}

func TestWriteFilesAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	m := testfixture.Model(1)
	// The commitment cannot be written: the opening must not appear either.
	err := WriteFiles(filepath.Join(dir, "nodir", "c.json"), filepath.Join(dir, "o.json"), m, big.NewInt(1), big.NewInt(2))
	require.Error(t, err)
	es, _ := os.ReadDir(dir)
	assert.Empty(t, es)
	// The same path for both.
	err = WriteFiles(filepath.Join(dir, "x.json"), filepath.Join(dir, "x.json"), m, big.NewInt(1), big.NewInt(2))
	require.ErrorContains(t, err, "different files")
	es, _ = os.ReadDir(dir)
	assert.Empty(t, es)
}

func TestReadOpeningErrors(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "o.json")
	for name, tc := range map[string]struct{ content, want string }{
		"truncated": {`{"format": "zkeval-opening/v1", "sch`, "o.json: not valid zkeval-opening/v1: the JSON ends early"},
		"bad salt":  {`{"format":"zkeval-opening/v1","scheme":"` + Scheme + `","commitment":"0x1","salt":"0xzz"}`, `o.json: field salt: "0xzz" is not a 0x-prefixed hex field element; the opening is damaged`},
		"scheme":    {`{"format":"zkeval-opening/v1","scheme":"other","commitment":"0x1","salt":"0x1"}`, `scheme "other"`},
	} {
		require.NoError(t, os.WriteFile(p, []byte(tc.content), 0o600))
		_, _, err := ReadOpening(p)
		if assert.Error(t, err, name) {
			assert.Contains(t, err.Error(), tc.want, name)
		}
	}
}
