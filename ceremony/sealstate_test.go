package ceremony

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/keys"
)

// The seal state StartPhase2 saved gives, without phase 1 or
// Phase2.Initialize, exactly the keys a full Seal gives.
func TestSealWithState(t *testing.T) {
	w := get(t)
	dir := copyDir(t, w.unsealedA, "")
	out := filepath.Join(t.TempDir(), "keys")
	res, err := Seal(w.specA, dir, beacon2, "test beacon 2", out, SealOptions{SealState: w.sealStateA})
	require.NoError(t, err)
	assert.Equal(t, w.sealA.Meta.Files[keys.VerifyingKeyFile], res.Meta.Files[keys.VerifyingKeyFile])
	assert.Equal(t, w.sealA.Meta.Files[keys.ProvingKeyFile], res.Meta.Files[keys.ProvingKeyFile])
	assert.Equal(t, w.sealA.Meta.Files[keys.ConstraintsFile], res.Meta.Files[keys.ConstraintsFile])
	rep, err := Verify(w.specA, dir, VerifyOptions{KeysDir: out})
	require.NoError(t, err)
	assert.True(t, rep.KeysChecked)
}

// A seal state belongs to one phase 2: another transcript's is refused,
// naming both.
func TestSealStateOfAnotherTranscript(t *testing.T) {
	w := get(t)
	dir := copyDir(t, w.dirC, "")
	_, err := Seal(w.specC, dir, beacon2, "", filepath.Join(t.TempDir(), "keys"), SealOptions{SealState: w.sealStateA})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "was made for another transcript")
	assert.Contains(t, err.Error(), w.sealStateA)
}

// A damaged or truncated seal state is refused before decoding, and no keys
// are written.
func TestSealStateDamaged(t *testing.T) {
	w := get(t)
	data, err := os.ReadFile(w.sealStateA)
	require.NoError(t, err)
	for name, bad := range map[string][]byte{
		"flipped":   flipped(data, len(data)/2),
		"truncated": data[:len(data)-100],
		"tiny":      data[:10],
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state")
			require.NoError(t, os.WriteFile(path, bad, 0o600))
			out := filepath.Join(t.TempDir(), "keys")
			_, err := Seal(w.specA, copyDir(t, w.unsealedA, ""), beacon2, "", out, SealOptions{SealState: path})
			require.Error(t, err)
			assert.Regexp(t, "damaged|too short", err.Error())
			assert.NoDirExists(t, out)
		})
	}
}

// A forged seal state (consistent trailer, altered evaluations) makes Seal
// produce keys the transcript does not yield; Verify, which recomputes
// everything from the transcript, rejects them.
func TestSealStateForgedIsCaughtByVerify(t *testing.T) {
	w := get(t)
	want, err := sealStateFor(mustManifest(t, w.unsealedA))
	require.NoError(t, err)
	st, err := readSealState(w.sealStateA, want)
	require.NoError(t, err)
	i := 0
	for st.evals.G1.A[i].IsInfinity() {
		i++
	}
	_, _, g1, _ := curve.Generators()
	st.evals.G1.A[i].Add(&st.evals.G1.A[i], &g1)
	forged := filepath.Join(t.TempDir(), "forged")
	require.NoError(t, writeSealState(forged, st.header, st.commons(), &st.evals))

	dir := copyDir(t, w.unsealedA, "")
	res, err := Seal(w.specA, dir, beacon2, "", filepath.Join(t.TempDir(), "keys"), SealOptions{SealState: forged})
	require.NoError(t, err, "Seal trusts its seal state")
	assert.NotEqual(t, w.sealA.Meta.Files[keys.ProvingKeyFile], res.Meta.Files[keys.ProvingKeyFile])
	_, err = Verify(w.specA, dir, VerifyOptions{})
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrInvalid), "%v", err)
	assert.Contains(t, err.Error(), "it was sealed from a seal state")

	// Sealing again without the state, with the same beacon, records the
	// keys the transcript yields; the transcript then verifies.
	out := filepath.Join(t.TempDir(), "keys")
	res2, err := Seal(w.specA, dir, beacon2, "", out, SealOptions{})
	require.NoError(t, err)
	require.NotNil(t, res2.Resealed)
	assert.Equal(t, res.Meta.Files[keys.ProvingKeyFile], res2.Resealed.ProvingKeySHA256)
	assert.Equal(t, w.sealA.Meta.Files[keys.ProvingKeyFile], res2.Meta.Files[keys.ProvingKeyFile])
	assert.False(t, res2.Report.Manifest.Seal.FromSealState)
	_, err = Verify(w.specA, dir, VerifyOptions{KeysDir: out})
	require.NoError(t, err)
	// A transcript sealed from the transcript alone is never resealed.
	_, err = Seal(w.specA, dir, beacon2, "", filepath.Join(t.TempDir(), "k3"), SealOptions{SealState: forged})
	require.Error(t, err)
}

// The seal state binds the whole phase 1 it was made from: a transcript
// whose phase-1 beacon or contributions were altered afterwards is refused.
func TestSealStateBindsPhase1(t *testing.T) {
	w := get(t)
	for name, tc := range map[string]struct {
		alter func(m *Manifest)
		field string
	}{
		"beacon":               {func(m *Manifest) { m.Phase1.Beacon = "00" + m.Phase1.Beacon[2:] }, "its phase-1 beacon is"},
		"contribution dropped": {func(m *Manifest) { m.Contributions = m.Contributions[1:] }, "its number of phase-1 contributions is 3, the transcript's 2"},
		"contribution altered": {func(m *Manifest) { m.Contributions[1].SHA256 = strings.Repeat("ab", 32) }, "its phase-1 contribution 2 has SHA-256"},
	} {
		alter := tc.alter
		t.Run(name, func(t *testing.T) {
			m := mustManifest(t, w.unsealedA)
			alter(m)
			want, err := sealStateFor(m)
			require.NoError(t, err)
			_, err = readSealState(w.sealStateA, want)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "was made for another transcript")
			assert.Contains(t, err.Error(), tc.field)
		})
	}
}

// A seal state is only ever written to a new file.
func TestSealStateNeverReplaces(t *testing.T) {
	w := get(t)
	st, err := readSealState(w.sealStateA, mustHeader(t, w.unsealedA))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "existing")
	require.NoError(t, os.WriteFile(path, []byte("keep me"), 0o600))
	err = writeSealState(path, st.header, st.commons(), &st.evals)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "already exists")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "keep me", string(data))
}

// When Init cannot write its seal state, it leaves no ceremony directory.
func TestInitSealStateFailureLeavesNothing(t *testing.T) {
	w := get(t)
	dir := filepath.Join(t.TempDir(), "new")
	_, err := Init(w.specA, dir, InitOptions{Phase1From: w.dirA, SaveSealState: filepath.Join(t.TempDir(), "missing", "state")})
	require.Error(t, err)
	assert.NoDirExists(t, dir)
}

// The gnark version a seal state records is the one go.mod pins.
func TestGnarkVersion(t *testing.T) {
	data, err := os.ReadFile("../go.mod")
	require.NoError(t, err)
	assert.Contains(t, string(data), "github.com/consensys/gnark "+GnarkVersion+"\n")
}

func mustHeader(t *testing.T, dir string) sealStateHeader {
	t.Helper()
	h, err := sealStateFor(mustManifest(t, dir))
	require.NoError(t, err)
	return h
}

func TestSaveSealStateNeedsPhase2(t *testing.T) {
	w := get(t)
	_, err := Init(w.specA, filepath.Join(t.TempDir(), "new"), InitOptions{SaveSealState: filepath.Join(t.TempDir(), "s")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "reused phase 1")
}

func flipped(data []byte, i int) []byte {
	out := append([]byte(nil), data...)
	out[i] ^= 1
	return out
}

func mustManifest(t *testing.T, dir string) *Manifest {
	t.Helper()
	m, _, err := ReadManifest(dir)
	require.NoError(t, err)
	return m
}

// A seal state whose trailer matches but whose declared slice length
// exceeds the file is an error, not a huge allocation.
func TestSealStateHugeLength(t *testing.T) {
	w := get(t)
	data, err := os.ReadFile(w.sealStateA)
	require.NoError(t, err)
	body := append([]byte(nil), data[:len(data)-sha256.Size]...)
	hdrLen := int(binary.BigEndian.Uint32(body[len(SealStateFormat)+1:]))
	off := len(SealStateFormat) + 1 + 4 + hdrLen + 2*curve.SizeOfG1AffineUncompressed + curve.SizeOfG2AffineUncompressed
	binary.BigEndian.PutUint32(body[off:], 0xFFFFFFFF)
	sum := sha256.Sum256(body)
	path := filepath.Join(t.TempDir(), "state")
	require.NoError(t, os.WriteFile(path, append(body, sum[:]...), 0o600))
	want, err := sealStateFor(mustManifest(t, w.unsealedA))
	require.NoError(t, err)
	_, err = readSealState(path, want)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "does not fit")
}

// A G2 point on the curve but outside its prime-order subgroup (the
// cofactor of BN254's G2 is large) is refused, as gnark refuses it in keys.
func TestSealStateG2OutsideSubgroup(t *testing.T) {
	w := get(t)
	want := mustHeader(t, w.unsealedA)
	st, err := readSealState(w.sealStateA, want)
	require.NoError(t, err)
	var u curve.E2
	u.A0.SetUint64(7)
	u.A1.SetUint64(11)
	bad := curve.MapToCurve2(&u) // on the twist, before the cofactor is cleared
	require.True(t, bad.IsOnCurve())
	require.False(t, bad.IsInSubGroup())
	st.evals.G2.B[len(st.evals.G2.B)/2] = bad
	path := filepath.Join(t.TempDir(), "state")
	require.NoError(t, writeSealState(path, st.header, st.commons(), &st.evals))
	_, err = readSealState(path, want)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not in the prime-order subgroup")
}
