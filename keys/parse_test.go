package keys

import (
	"bytes"
	"encoding/binary"
	"io"
	"runtime"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/stretchr/testify/require"
)

// committing is a tiny circuit with one public input and a commitment, so
// that its proof and verifying key hold every part of the encoding.
type committing struct {
	X frontend.Variable `gnark:",public"`
	Y frontend.Variable
}

func (c *committing) Define(api frontend.API) error {
	cm, err := api.Compiler().(frontend.Committer).Commit(c.Y)
	if err != nil {
		return err
	}
	api.AssertIsDifferent(cm, 0)
	api.AssertIsEqual(api.Mul(c.Y, c.Y), c.X)
	return nil
}

func encode(t *testing.T, w func(io.Writer) (int64, error)) []byte {
	var b bytes.Buffer
	_, err := w(&b)
	require.NoError(t, err)
	return b.Bytes()
}

// TestParseBoundsDeclaredLengths: ParseVerifyingKey and ParseProof accept
// both point encodings, refuse every truncation, and refuse declared
// lengths the data cannot hold before the decoder allocates for them
// (gnark-crypto's decoder allocates a declared slice length up front: 2^32-1
// points is 256 GiB, a fatal out-of-memory error).
func TestParseBoundsDeclaredLengths(t *testing.T) {
	cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &committing{})
	require.NoError(t, err)
	pk, vk, err := groth16.Setup(cs)
	require.NoError(t, err)
	w, err := frontend.NewWitness(&committing{X: 9, Y: 3}, ecc.BN254.ScalarField())
	require.NoError(t, err)
	proof, err := groth16.Prove(cs, pk, w)
	require.NoError(t, err)

	for _, vkData := range [][]byte{encode(t, vk.WriteTo), encode(t, vk.WriteRawTo)} {
		_, err := ParseVerifyingKey(vkData, "vk")
		require.NoError(t, err)
		for n := 0; n < len(vkData); n += 7 {
			_, err := ParseVerifyingKey(vkData[:n], "vk")
			require.Error(t, err, "truncated to %d bytes", n)
		}
	}
	for _, pd := range [][]byte{encode(t, proof.WriteTo), encode(t, proof.WriteRawTo)} {
		_, err := ParseProof(pd)
		require.NoError(t, err)
		for n := 0; n < len(pd); n++ {
			_, err := ParseProof(pd[:n])
			require.Error(t, err, "truncated to %d bytes", n)
		}
		_, err = ParseProof(append(append([]byte{}, pd...), 0))
		require.ErrorContains(t, err, "trailing")
	}

	hostile := func(data []byte, at int) []byte {
		d := append([]byte{}, data...)
		binary.BigEndian.PutUint32(d[at:], 0xffffffff)
		return d
	}
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	vkc := encode(t, vk.WriteTo)
	const kAt = 32 + 32 + 64 + 64 + 32 + 64
	_, err = ParseVerifyingKey(hostile(vkc, kAt), "vk")
	require.ErrorContains(t, err, "declares 4294967295 K points")
	nK := int(binary.BigEndian.Uint32(vkc[kAt:]))
	_, err = ParseVerifyingKey(hostile(vkc, kAt+4+32*nK), "vk")
	require.ErrorContains(t, err, "declares 4294967295 committed public input lists")
	_, err = ParseProof(hostile(encode(t, proof.WriteTo), 32+64+32))
	require.ErrorContains(t, err, "declares 4294967295 commitments")
	runtime.ReadMemStats(&m1)
	require.Less(t, m1.TotalAlloc-m0.TotalAlloc, uint64(16<<20))
}

// FuzzParse checks that ParseVerifyingKey and ParseProof never panic,
// whatever the bytes.
func FuzzParse(f *testing.F) {
	cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &committing{})
	if err != nil {
		f.Fatal(err)
	}
	pk, vk, err := groth16.Setup(cs)
	if err != nil {
		f.Fatal(err)
	}
	w, err := frontend.NewWitness(&committing{X: 9, Y: 3}, ecc.BN254.ScalarField())
	if err != nil {
		f.Fatal(err)
	}
	proof, err := groth16.Prove(cs, pk, w)
	if err != nil {
		f.Fatal(err)
	}
	t := &testing.T{}
	for _, seed := range [][]byte{encode(t, vk.WriteTo), encode(t, vk.WriteRawTo), encode(t, proof.WriteTo), encode(t, proof.WriteRawTo), {}} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ParseVerifyingKey(data, "vk")
		_, _ = ParseProof(data)
	})
}

// TestParseRejectsBadCommittedIndices: the verifying key lists, per
// commitment, the public inputs it commits to. gnark's decoder panicked on
// an index above the int range, and groth16.Verify indexed the public
// witness with the others unchecked (index 0 or past the end: a panic), so
// a hostile key crashed `zkeval verify`. Such keys are now refused.
func TestParseRejectsBadCommittedIndices(t *testing.T) {
	cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &committing{})
	require.NoError(t, err)
	_, vk, err := groth16.Setup(cs)
	require.NoError(t, err)
	good := encode(t, vk.WriteTo)
	const kAt = 32 + 32 + 64 + 64 + 32 + 64
	listsAt := kAt + 4 + 32*int(binary.BigEndian.Uint32(good[kAt:]))
	require.Equal(t, uint32(1), binary.BigEndian.Uint32(good[listsAt:]), "one commitment")
	require.Equal(t, uint32(0), binary.BigEndian.Uint32(good[listsAt+4:]), "committing to no public input")
	for _, idx := range []uint64{1<<64 - 1, 1 << 63, 0, 2, 1000} {
		bad := append([]byte{}, good[:listsAt+4]...)
		bad = binary.BigEndian.AppendUint32(bad, 1)
		bad = binary.BigEndian.AppendUint64(bad, idx)
		bad = append(bad, good[listsAt+8:]...)
		require.NotPanics(t, func() {
			_, err = ParseVerifyingKey(bad, "vk")
		}, "index %d", idx)
		require.Error(t, err, "index %d", idx)
	}
	// Index 1 (the one public input) is well formed.
	ok := append([]byte{}, good[:listsAt+4]...)
	ok = binary.BigEndian.AppendUint32(ok, 1)
	ok = binary.BigEndian.AppendUint64(ok, 1)
	ok = append(ok, good[listsAt+8:]...)
	_, err = ParseVerifyingKey(ok, "vk")
	require.NoError(t, err)
}
