package evm_test

import (
	"bytes"
	"encoding/hex"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/evm"
	"github.com/zkeval/zkeval/internal/testfixture"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/prover"
)

type world struct {
	st, goSt *attestation.Statement // the same claims, target solidity and go
	vk       []byte
	commit   *big.Int
}

var (
	once   sync.Once
	shared *world
)

// get proves two claims on the small fixture, one revealed and one hidden,
// for both targets with one single-party setup.
func get(t *testing.T) *world {
	t.Helper()
	once.Do(func() {
		m := testfixture.Model(1)
		b := testfixture.Benchmark(m, 1, 9)
		b.Labels[0] = 0
		var claims []prover.Claimed
		for _, c := range []struct {
			text   string
			reveal bool
		}{{"accuracy >= 1/2", true}, {"recall[class=a] >= 0", false}} {
			cl, err := claim.Parse(c.text)
			require.NoError(t, err)
			claims = append(claims, prover.Claimed{Claim: cl, Reveal: c.reveal})
		}
		shapes, _, err := prover.Shapes(claims)
		require.NoError(t, err)
		spec, err := circuits.NewSpec(m, b, shapes)
		require.NoError(t, err)
		dir := t.TempDir()
		_, err = keys.SetupSingleParty(spec, dir, nil)
		require.NoError(t, err)
		salt := big.NewInt(77)
		w := &world{}
		w.commit, err = commitment.Commit(m, salt)
		require.NoError(t, err)
		req := &prover.Request{Model: m, Salt: salt, Benchmark: b, Claims: claims, KeysDir: dir, Target: attestation.TargetSolidity}
		w.st, err = prover.Prove(req, w.commit)
		require.NoError(t, err)
		req.Target = ""
		w.goSt, err = prover.Prove(req, w.commit)
		require.NoError(t, err)
		w.vk, err = os.ReadFile(filepath.Join(dir, keys.VerifyingKeyFile))
		require.NoError(t, err)
		shared = w
	})
	if shared == nil {
		t.Fatal("shared setup failed")
	}
	return shared
}

func TestSelector(t *testing.T) {
	// ERC-20's transfer, the best-known selector.
	s := evm.Selector("transfer(address,uint256)")
	require.Equal(t, "a9059cbb", hex.EncodeToString(s[:]))
}

// The ABI encoding of verifyProof(bytes, uint256[2]) on small values, word
// by word (Solidity ABI specification: a static array is encoded in place in
// the head; bytes go to the tail, after their offset in the head).
func TestCalldataLayout(t *testing.T) {
	c := &evm.Call{Proof: bytes.Repeat([]byte{0xab}, 40), Inputs: []*big.Int{big.NewInt(7), big.NewInt(0x100)}}
	require.Equal(t, "verifyProof(bytes,uint256[2])", c.Signature())
	data, err := c.Calldata()
	require.NoError(t, err)
	sel := c.Selector()
	want := hex.EncodeToString(sel[:]) +
		word(0x60) + // proof's offset: after the three head words
		word(7) + word(0x100) +
		word(40) + strings.Repeat("ab", 40) + strings.Repeat("00", 24)
	require.Equal(t, want, hex.EncodeToString(data))

	c.Inputs[1] = fr.Modulus()
	_, err = c.Calldata()
	require.ErrorContains(t, err, "PublicInputNotInField")
}

func word(v int64) string {
	var b [32]byte
	big.NewInt(v).FillBytes(b[:])
	return hex.EncodeToString(b[:])
}

func TestExport(t *testing.T) {
	w := get(t)
	vk, err := keys.ParseVerifyingKey(w.vk, "vk")
	require.NoError(t, err)
	var buf bytes.Buffer
	l, err := evm.Export(&buf, vk, keys.Digest(w.vk))
	require.NoError(t, err)
	n := len(w.st.Predicate.Proof.PublicInputs)
	require.Equal(t, evm.Layout{Inputs: n, Commitments: 1, ProofBytes: 384}, l)
	sol := buf.String()
	require.Contains(t, sol, keys.Digest(w.vk))
	require.Contains(t, sol, "pragma solidity "+evm.PragmaVersion+";")
	require.Contains(t, sol, "contract Verifier")
	require.Contains(t, sol, "uint256["+big.NewInt(int64(n)).String()+"] calldata input")
	// Keccak-256 is the commitment's hash to field, as the solidity target proves.
	require.Contains(t, sol, "keccak256(")
	require.NotContains(t, sol, "sha256(")
}

// The calldata of the solidity attestation: its proof re-encoded, its
// inputs the attestation's list, each input named by its place in the
// circuit: the names are checked against the values the circuit fixes.
func TestCallOf(t *testing.T) {
	w := get(t)
	call, err := evm.CallOf(w.st)
	require.NoError(t, err)
	require.Len(t, call.Proof, 384)
	pub := w.st.Predicate.Circuit.Public
	names, err := evm.InputNames(pub)
	require.NoError(t, err)
	require.Len(t, names, len(call.Inputs))
	require.Len(t, call.Inputs, len(w.st.Predicate.Proof.PublicInputs))

	byName := map[string]*big.Int{}
	for i, n := range names {
		byName[n] = call.Inputs[i]
	}
	require.Len(t, byName, len(names), "names are distinct")
	d, err := hex.DecodeString(pub.BenchmarkDigest)
	require.NoError(t, err)
	var digest [32]byte
	copy(digest[:], d)
	halves := circuits.DigestElements(digest)
	id := pub.ID()
	cl := w.st.Predicate.Claims
	want := map[string]*big.Int{
		"model commitment":                                        w.commit,
		"benchmark sha256, first 16 bytes":                        halves[0],
		"benchmark sha256, last 16 bytes":                         halves[1],
		"circuit id, last 31 bytes":                               circuits.IDElement(id),
		"claims[0] accuracy >= T: threshold numerator p":          big.NewInt(1),
		"claims[0] accuracy >= T: threshold denominator q":        big.NewInt(2),
		"claims[0] accuracy >= T: correct":                        big.NewInt(cl[0].Counts[0].Value),
		"claims[1] recall[class=a] >= T: threshold numerator p":   big.NewInt(0),
		"claims[1] recall[class=a] >= T: threshold denominator q": big.NewInt(1),
	}
	require.Equal(t, "accuracy", cl[0].Metric)
	require.Equal(t, "correct", cl[0].Counts[0].Name)
	require.True(t, cl[1].Hidden)
	require.Len(t, names, len(want))
	for n, v := range want {
		require.Contains(t, byName, n)
		require.Zero(t, v.Cmp(byName[n]), "%s: %s, want %s", n, byName[n], v)
	}

	data, err := call.Calldata()
	require.NoError(t, err)
	require.Len(t, data, 4+32*(len(names)+1)+32+384)

	_, err = evm.CallOf(w.goSt)
	require.ErrorIs(t, err, evm.ErrNotSolidity)
	require.ErrorContains(t, err, "--target solidity")
}

func TestTargets(t *testing.T) {
	for _, target := range []string{"", attestation.TargetGo, attestation.TargetSolidity} {
		_, err := evm.ProverOptions(target)
		require.NoError(t, err)
		_, err = evm.VerifierOptions(target)
		require.NoError(t, err)
	}
	var ut *evm.UnknownTargetError
	_, err := evm.ProverOptions("Solidity")
	require.ErrorAs(t, err, &ut)
	_, err = evm.VerifierOptions("evm")
	require.ErrorAs(t, err, &ut)
}
