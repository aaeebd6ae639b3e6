package ceremony

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/envelope"
	"github.com/zkeval/zkeval/internal/testfixture"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/prover"
)

var tmpRoot string

func TestMain(m *testing.M) {
	// Phase-2 initialisation dominates; share it between the tests.
	memo.m = map[string]any{}
	code := m.Run()
	if tmpRoot != "" {
		os.RemoveAll(tmpRoot)
	}
	os.Exit(code)
}

var (
	beacon1 = bytes.Repeat([]byte{0x5a}, 32)
	beacon2 = bytes.Repeat([]byte{0xa5}, 32)
	other   = bytes.Repeat([]byte{0x33}, 32)
)

const claimText = "accuracy >= 0.5"

// world is one three-party ceremony (A), a second ceremony of the same
// circuit that reuses A's phase 1 (B), a ceremony of another circuit (a
// different benchmark) on A's phase 1 (C), and a stale contribution to
// phase 2 of A.
type world struct {
	m             *model.Model
	salt          *big.Int
	cm            *big.Int
	benchA        *benchmark.Benchmark
	benchC        *benchmark.Benchmark
	specA, specC  *circuits.Spec
	dirA          string // sealed
	keysA         string
	dirB, keysB   string
	dirC, keysC   string
	phase1Dir     string          // A after its first contribution
	stale2        Contribution    // phase 2, computed on contribution 4
	stale2Dir     string          // A after contribution 4, and stale2
	contributions []*Contribution // A's, as Contribute returned them
	sealA         *SealResult
	sealStateA    string // A's seal state, saved by StartPhase2
	unsealedA     string // A after its last phase-2 contribution, before the seal

	attOnce sync.Once
	attA    *attestation.Statement // proven with keysA
}

var (
	once   sync.Once
	shared *world
)

func spec(t *testing.T, m *model.Model, b *benchmark.Benchmark) *circuits.Spec {
	cl, err := claim.Parse(claimText)
	require.NoError(t, err)
	s, err := circuits.NewSpec(m, b, []claim.Shape{cl.Shape(true)})
	require.NoError(t, err)
	return s
}

// keyOf is the test signing key of a participant, drawn from the name.
func keyOf(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("zkeval ceremony test key " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

// trusting returns the verifier's list of trusted participants for names.
func trusting(names ...string) []Participant {
	var ps []Participant
	for _, n := range names {
		pub := keyOf(n).Public().(ed25519.PublicKey)
		id, _ := envelope.KeyID(pub)
		ps = append(ps, Participant{Name: n, Key: pub, KeyID: id})
	}
	return ps
}

func contribute(t *testing.T, dir, name string) *Contribution {
	t.Helper()
	c, err := Contribute(dir, name, keyOf(name), ContributeOptions{})
	require.NoError(t, err)
	return c
}

func get(t *testing.T) *world {
	once.Do(func() { shared = build(t) })
	if shared == nil {
		t.Fatal("the shared ceremony could not be built")
	}
	return shared
}

func build(t *testing.T) *world {
	// The shared world outlives the first test; TestMain removes it.
	tmp, err := os.MkdirTemp("", "ceremony-test-")
	require.NoError(t, err)
	tmpRoot = tmp
	w := &world{m: testfixture.Model(1), salt: big.NewInt(424242)}
	w.cm, err = commitment.Commit(w.m, w.salt)
	require.NoError(t, err)
	w.benchA = testfixture.Benchmark(w.m, 1, 12)
	w.benchC = testfixture.Benchmark(w.m, 2, 8)
	w.specA, w.specC = spec(t, w.m, w.benchA), spec(t, w.m, w.benchC)

	w.dirA = filepath.Join(tmp, "A")
	_, err = Init(w.specA, w.dirA, InitOptions{})
	require.NoError(t, err)
	w.contributions = append(w.contributions, contribute(t, w.dirA, "lab"))
	w.phase1Dir = copyDir(t, w.dirA, filepath.Join(tmp, "phase1"))
	w.contributions = append(w.contributions, contribute(t, w.dirA, "auditor A"), contribute(t, w.dirA, "regulator"))

	w.sealStateA = filepath.Join(tmp, "A.sealstate")
	_, err = StartPhase2(w.specA, w.dirA, beacon1, "test beacon 1", Phase2Options{SaveSealState: w.sealStateA})
	require.NoError(t, err)
	w.contributions = append(w.contributions, contribute(t, w.dirA, "lab"))
	w.stale2Dir = copyDir(t, w.dirA, filepath.Join(tmp, "stale2"))
	w.contributions = append(w.contributions, contribute(t, w.dirA, "auditor A"), contribute(t, w.dirA, "regulator"))
	w.stale2 = *contribute(t, w.stale2Dir, "mallory")

	w.unsealedA = copyDir(t, w.dirA, filepath.Join(tmp, "unsealedA"))
	w.keysA = filepath.Join(tmp, "keysA")
	w.sealA, err = Seal(w.specA, w.dirA, beacon2, "test beacon 2", w.keysA, SealOptions{})
	require.NoError(t, err)

	// B: same circuit, A's phase 1, its own phase 2.
	w.dirB, w.keysB = filepath.Join(tmp, "B"), filepath.Join(tmp, "keysB")
	_, err = Init(w.specA, w.dirB, InitOptions{Phase1From: w.dirA})
	require.NoError(t, err)
	contribute(t, w.dirB, "another lab")
	_, err = Seal(w.specA, w.dirB, beacon2, "test beacon 2", w.keysB, SealOptions{})
	require.NoError(t, err)

	// C: another benchmark, A's phase 1.
	w.dirC, w.keysC = filepath.Join(tmp, "C"), filepath.Join(tmp, "keysC")
	_, err = Init(w.specC, w.dirC, InitOptions{Phase1From: w.dirA})
	require.NoError(t, err)
	contribute(t, w.dirC, "lab")
	_, err = Seal(w.specC, w.dirC, beacon2, "test beacon 2", w.keysC, SealOptions{})
	require.NoError(t, err)
	return w
}

func copyDir(t *testing.T, src, dst string) string {
	t.Helper()
	if dst == "" {
		dst = t.TempDir()
	}
	require.NoError(t, os.MkdirAll(dst, 0o755))
	entries, err := os.ReadDir(src)
	require.NoError(t, err)
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644))
	}
	return dst
}

func readM(t *testing.T, dir string) *Manifest {
	m, _, err := ReadManifest(dir)
	require.NoError(t, err)
	return m
}

// edit rewrites a manifest without the checks of the package's steps, and
// signs every contribution again with its participant's test key: the
// attacker of these tests holds every key, so that what is tested is the
// check behind the signatures (TestSignatureCoversTheRecord tests them).
func edit(t *testing.T, dir string, f func(m *Manifest)) {
	m := readM(t, dir)
	f(m)
	for i := range m.Contributions {
		c := &m.Contributions[i]
		require.NoError(t, c.sign(m, keyOf(c.Participant)))
	}
	_, err := writeManifest(dir, m)
	require.NoError(t, err)
}

// editUnsigned rewrites a manifest without signing anything again.
func editUnsigned(t *testing.T, dir string, f func(m *Manifest)) {
	m := readM(t, dir)
	f(m)
	_, err := writeManifest(dir, m)
	require.NoError(t, err)
}

func (w *world) attestationA(t *testing.T) *attestation.Statement {
	w.attOnce.Do(func() { w.attA = prove(t, w, w.benchA, w.keysA) })
	require.NotNil(t, w.attA)
	return w.attA
}

func prove(t *testing.T, w *world, b *benchmark.Benchmark, keysDir string) *attestation.Statement {
	cl, err := claim.Parse(claimText)
	require.NoError(t, err)
	st, err := prover.Prove(&prover.Request{Model: w.m, Salt: w.salt, Benchmark: b, Claims: []prover.Claimed{{Claim: cl, Reveal: true}}, KeysDir: keysDir}, w.cm)
	require.NoError(t, err)
	return st
}

func vkOf(t *testing.T, keysDir string) []byte {
	vk, err := os.ReadFile(filepath.Join(keysDir, keys.VerifyingKeyFile))
	require.NoError(t, err)
	return vk
}

// requireContribErr checks that err names contribution index (0: the
// phase-2 initial state) and that its message says why.
func requireContribErr(t *testing.T, err error, index int, why ...string) {
	t.Helper()
	require.Error(t, err)
	var ce *ContributionError
	require.True(t, errors.As(err, &ce), "want a ContributionError, got %v", err)
	require.Equal(t, index, ce.Index, "%v", err)
	require.ErrorIs(t, err, ErrInvalid)
	for _, s := range why {
		require.Contains(t, err.Error(), s)
	}
}

func TestThreePartyCeremony(t *testing.T) {
	w := get(t)
	rep, err := Verify(w.specA, w.dirA, VerifyOptions{Beacon: beacon2, KeysDir: w.keysA})
	require.NoError(t, err)
	require.Equal(t, StageSealed, rep.Stage)
	require.True(t, rep.KeysChecked)

	// The transcript lists every contribution with the hash its participant
	// published, in order.
	m := rep.Manifest
	require.Len(t, m.Contributions, 6)
	names := []string{"lab", "auditor A", "regulator", "lab", "auditor A", "regulator"}
	for i, c := range m.Contributions {
		require.Equal(t, i+1, c.Index)
		require.Equal(t, names[i], c.Participant)
		require.Equal(t, 1+i/3, c.Phase)
		require.Equal(t, w.contributions[i].SHA256, c.SHA256)
		sha, size, err := fileDigest(filepath.Join(w.dirA, c.File), -1)
		require.NoError(t, err)
		require.Equal(t, c.SHA256, sha)
		require.Equal(t, c.Bytes, size)
		if i > 0 && c.Phase == m.Contributions[i-1].Phase {
			require.Equal(t, m.Contributions[i-1].SHA256, c.PreviousSHA256)
		}
	}
	require.Equal(t, m.Phase2.Initial.SHA256, m.Contributions[3].PreviousSHA256)
	require.Equal(t, phase1Size(m.Phase1.Size, true), m.Contributions[0].Bytes)
	require.Equal(t, uint64(4096), m.Phase1.Size)

	// The transcript digest is the SHA-256 of ceremony.json.
	data, err := os.ReadFile(filepath.Join(w.dirA, ManifestFile))
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	require.Equal(t, hex.EncodeToString(sum[:]), rep.TranscriptSHA256())
	require.Equal(t, w.sealA.Report.TranscriptSHA256(), rep.TranscriptSHA256())
	meta, err := keys.ReadMeta(w.keysA)
	require.NoError(t, err)
	require.Equal(t, keys.Ceremony, meta.SetupKind)
	require.Equal(t, map[string]string{"sha256": rep.TranscriptSHA256()}, meta.Transcript)
	require.Equal(t, rep.VerifyingKeySHA256, meta.Files[keys.VerifyingKeyFile])
	require.Equal(t, m.Circuit.ConstraintSystemSHA256, meta.Files[keys.ConstraintsFile])
	require.Equal(t, m.Circuit.ConstraintSystemSHA256, rep.ConstraintSystemSHA256)

	// Every contribution is signed by its participant's key.
	for i, c := range m.Contributions {
		id, _ := envelope.KeyID(keyOf(names[i]).Public().(ed25519.PublicKey))
		require.Equal(t, id, c.Signature.KeyID)
	}

	// The sealed keys prove and verify, and the attestation records the
	// ceremony and the constraint system.
	st := w.attestationA(t)
	require.Equal(t, keys.Ceremony, st.Predicate.Setup.Kind)
	require.Equal(t, rep.TranscriptSHA256(), st.Predicate.Setup.Transcript["sha256"])
	require.Equal(t, m.Circuit.ConstraintSystemSHA256, st.Predicate.Circuit.ConstraintSystem["sha256"])
	vk := vkOf(t, w.keysA)
	require.NoError(t, verifyProof(t, w, st, vk))

	// The key's provenance checks from the attestation alone, the benchmark
	// and the transcript.
	prov, err := CheckKeyProvenance(w.dirA, st, w.benchA, vk, VerifyOptions{Trusted: trusting("auditor A")})
	require.NoError(t, err)
	require.Equal(t, rep.TranscriptSHA256(), prov.TranscriptSHA256())
	require.True(t, prov.Trust.Checked, prov.Trust.Reason)
	require.Equal(t, []string{"auditor A (phase 1)", "auditor A (phase 2)"}, prov.Trust.Trusted)

	// Sealing again with the same beacon rewrites the same keys.
	again := t.TempDir()
	res2, err := Seal(w.specA, w.dirA, beacon2, "test beacon 2", again, SealOptions{})
	require.NoError(t, err)
	require.Equal(t, meta.Files, res2.Meta.Files)
}

func TestVerifyMidCeremony(t *testing.T) {
	w := get(t)
	rep, err := Verify(w.specA, w.phase1Dir, VerifyOptions{})
	require.NoError(t, err)
	require.Equal(t, StagePhase1, rep.Stage)
	require.Len(t, rep.Manifest.Contributions, 1)
	require.Empty(t, rep.TranscriptSHA256())
	// Phase 2 open.
	rep, err = Verify(w.specA, w.stale2Dir, VerifyOptions{})
	require.NoError(t, err)
	require.Equal(t, StagePhase2, rep.Stage)
	require.Len(t, rep.Manifest.Contributions, 5)
}

func TestPhase1ReusedByAnotherCircuit(t *testing.T) {
	w := get(t)
	mA, mC := readM(t, w.dirA), readM(t, w.dirC)
	require.Equal(t, mA.Phase1, mC.Phase1)
	require.Equal(t, mA.Contributions[:3], mC.Contributions[:3])
	require.NotEqual(t, mA.Circuit.ID, mC.Circuit.ID)
	st := prove(t, w, w.benchC, w.keysC)
	require.NoError(t, verifyProof(t, w, st, vkOf(t, w.keysC)))
	rep, err := CheckKeyProvenance(w.dirC, st, w.benchC, vkOf(t, w.keysC), VerifyOptions{Trusted: trusting("regulator", "lab")})
	require.NoError(t, err)
	// The phase-1 signatures of A's participants hold in C: they sign the
	// powers of tau, which C reuses.
	require.True(t, rep.Trust.Checked, rep.Trust.Reason)
	require.Equal(t, []string{"lab (phase 1)", "regulator (phase 1)", "lab (phase 2)"}, rep.Trust.Trusted)
}

func TestKeysOfDifferentCeremoniesDoNotMix(t *testing.T) {
	w := get(t)
	stA, stB := w.attestationA(t), prove(t, w, w.benchA, w.keysB)
	vkA, vkB := vkOf(t, w.keysA), vkOf(t, w.keysB)
	require.NotEqual(t, vkA, vkB)

	// The pairing check itself fails across ceremonies.
	for _, c := range []struct {
		st *attestation.Statement
		vk []byte
	}{{stA, vkB}, {stB, vkA}} {
		vk, err := keys.ParseVerifyingKey(c.vk, "vk")
		require.NoError(t, err)
		proof := groth16.NewProof(ecc.BN254)
		_, err = proof.ReadFrom(bytes.NewReader(c.st.Predicate.Proof.Bytes))
		require.NoError(t, err)
		pub, err := circuits.PublicAssignment(c.st.Predicate.Circuit.Public, w.cm, claimInputs(t, c.st))
		require.NoError(t, err)
		pw, err := frontend.NewWitness(pub, ecc.BN254.ScalarField(), frontend.PublicOnly())
		require.NoError(t, err)
		require.Error(t, groth16.Verify(proof, vk, pw))

	}

	// A transcript vouches only for its own key and attestations.
	_, err := CheckKeyProvenance(w.dirA, stB, w.benchA, vkB, VerifyOptions{})
	require.ErrorIs(t, err, ErrInvalid)
	require.Contains(t, err.Error(), "sealed verifying key")
	_, err = CheckKeyProvenance(w.dirA, stB, w.benchA, vkA, VerifyOptions{})
	require.ErrorIs(t, err, ErrInvalid)
	require.Contains(t, err.Error(), "names transcript")
}

// verifyProof checks an attestation's Groth16 proof against vk with the
// public inputs rebuilt from its fields (package verifier does more, and is
// tested with ceremonies in setup_status_test.go).
func verifyProof(t *testing.T, w *world, st *attestation.Statement, vk []byte) error {
	key, err := keys.ParseVerifyingKey(vk, "vk")
	require.NoError(t, err)
	proof, err := keys.ParseProof(st.Predicate.Proof.Bytes)
	require.NoError(t, err)
	pub, err := circuits.PublicAssignment(st.Predicate.Circuit.Public, w.cm, claimInputs(t, st))
	require.NoError(t, err)
	pw, err := frontend.NewWitness(pub, ecc.BN254.ScalarField(), frontend.PublicOnly())
	require.NoError(t, err)
	return groth16.Verify(proof, key, pw)
}

// claimInputs rebuilds the public inputs of an attestation's claims.
func claimInputs(t *testing.T, st *attestation.Statement) []circuits.ClaimInput {
	var in []circuits.ClaimInput
	for _, ac := range st.Predicate.Claims {
		r, ok := new(big.Rat).SetString(ac.Threshold)
		require.True(t, ok)
		ci := circuits.ClaimInput{P: r.Num(), Q: r.Denom()}
		for _, c := range ac.Counts {
			ci.Counts = append(ci.Counts, c.Value)
		}
		in = append(in, ci)
	}
	return in
}

func TestStaleContributionRejected(t *testing.T) {
	w := get(t)
	t.Run("phase 2", func(t *testing.T) {
		dir := copyDir(t, w.dirA, "")
		data, err := os.ReadFile(filepath.Join(w.stale2Dir, w.stale2.File))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, w.stale2.File), data, 0o644))
		edit(t, dir, func(m *Manifest) {
			c := w.stale2
			c.Index = 7
			m.Contributions = append(m.Contributions, c)
			m.Seal = nil
		})
		_, err = Verify(w.specA, dir, VerifyOptions{})
		requireContribErr(t, err, 7, "phase 2", `"mallory"`, "stale", `contribution 4 by "lab"`, `contribution 6 by "regulator"`)
	})
	t.Run("refused when the manifest moved", func(t *testing.T) {
		// The in-place contributor sees the manifest change under it.
		dir := copyDir(t, w.stale2Dir, "")
		data, err := os.ReadFile(filepath.Join(dir, ManifestFile))
		require.NoError(t, err)
		m := readM(t, dir)
		m.Contributions[0].Participant = "someone else"
		require.NoError(t, updateManifest(dir, data, m))
		require.ErrorIs(t, updateManifest(dir, data, m), errChanged)
	})
}

func flip(t *testing.T, path string, off int64) {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	if off < 0 {
		off += int64(len(data))
	}
	data[off] ^= 0x01
	require.NoError(t, os.WriteFile(path, data, 0o644))
}

// restamp records a file's new digest and size in the manifest, as an
// attacker who controls the manifest would.
func restamp(t *testing.T, dir string, index int) {
	edit(t, dir, func(m *Manifest) {
		c := &m.Contributions[index-1]
		sha, size, err := fileDigest(filepath.Join(dir, c.File), -1)
		require.NoError(t, err)
		c.SHA256, c.Bytes = sha, size
	})
}

func TestAlteredContributionRejected(t *testing.T) {
	w := get(t)
	for _, index := range []int{2, 5} {
		c := readM(t, w.dirA).Contributions[index-1]
		t.Run("flipped byte, contribution "+c.File, func(t *testing.T) {
			dir := copyDir(t, w.dirA, "")
			flip(t, filepath.Join(dir, c.File), c.Bytes/2)
			_, err := Verify(w.specA, dir, VerifyOptions{})
			requireContribErr(t, err, index, "altered", c.Participant)
		})
	}
	t.Run("flipped byte, manifest restamped, middle contribution", func(t *testing.T) {
		// The next contribution no longer extends the altered file.
		dir := copyDir(t, w.dirA, "")
		c := readM(t, dir).Contributions[1]
		flip(t, filepath.Join(dir, c.File), c.Bytes/2)
		restamp(t, dir, 2)
		_, err := Verify(w.specA, dir, VerifyOptions{})
		requireContribErr(t, err, 3, "not in this transcript")
	})
	for index, off := range map[int]int64{3: 400, 6: -200} {
		{
			t.Run("flipped byte, manifest restamped, last contribution of its phase", func(t *testing.T) {
				// Only gnark's checks can tell.
				dir := copyDir(t, w.dirA, "")
				c := readM(t, dir).Contributions[index-1]
				flip(t, filepath.Join(dir, c.File), off)
				restamp(t, dir, index)
				edit(t, dir, func(m *Manifest) {
					m.Seal = nil
					if index == 3 {
						m.Phase2, m.Contributions = nil, m.Contributions[:3]
						m.Phase1.Beacon, m.Phase1.ClosedAt, m.Phase1.ResultSHA256, m.Phase1.BeaconSource = "", nil, "", ""
					}
				})
				_, err := Verify(w.specA, dir, VerifyOptions{})
				requireContribErr(t, err, index)
				require.Regexp(t, "gnark rejects the contribution|does not decode", err.Error())
			})
		}
	}
	t.Run("the contributor refuses an altered latest state", func(t *testing.T) {
		dir := copyDir(t, w.stale2Dir, "")
		c := readM(t, dir).Contributions[4]
		flip(t, filepath.Join(dir, c.File), c.Bytes/2)
		_, err := Contribute(dir, "careful", keyOf("careful"), ContributeOptions{})
		requireContribErr(t, err, 5, "altered")
	})
	t.Run("a contribution computed on an altered file", func(t *testing.T) {
		// The coordinator hands out an altered copy of contribution 5 (a
		// changed challenge still decodes), the participant contributes on
		// it, and the original file is put back.
		dir := copyDir(t, w.stale2Dir, "")
		m := readM(t, dir)
		c := m.Contributions[4]
		orig, err := os.ReadFile(filepath.Join(dir, c.File))
		require.NoError(t, err)
		flip(t, filepath.Join(dir, c.File), -1)
		restamp(t, dir, 5)
		contribute(t, dir, "victim")
		require.NoError(t, os.WriteFile(filepath.Join(dir, c.File), orig, 0o644))
		edit(t, dir, func(m2 *Manifest) { m2.Contributions[4] = c })
		_, err = Verify(w.specA, dir, VerifyOptions{})
		requireContribErr(t, err, 6, `"victim"`, "not in this transcript")
	})
}

func TestTruncatedContributionRejected(t *testing.T) {
	w := get(t)
	for _, index := range []int{3, 6} {
		c := readM(t, w.dirA).Contributions[index-1]
		truncate := func(t *testing.T) string {
			dir := copyDir(t, w.dirA, "")
			require.NoError(t, os.Truncate(filepath.Join(dir, c.File), c.Bytes-100))
			return dir
		}
		t.Run("file "+c.File, func(t *testing.T) {
			_, err := Verify(w.specA, truncate(t), VerifyOptions{})
			requireContribErr(t, err, index, "truncated")
		})
		t.Run("file and manifest "+c.File, func(t *testing.T) {
			dir := truncate(t)
			restamp(t, dir, index)
			_, err := Verify(w.specA, dir, VerifyOptions{})
			requireContribErr(t, err, index, "the manifest records")
		})
	}
	t.Run("missing file", func(t *testing.T) {
		dir := copyDir(t, w.dirA, "")
		c := readM(t, dir).Contributions[4]
		require.NoError(t, os.Remove(filepath.Join(dir, c.File)))
		_, err := Verify(w.specA, dir, VerifyOptions{})
		var ce *ContributionError
		require.True(t, errors.As(err, &ce))
		require.Equal(t, 5, ce.Index)
		require.ErrorIs(t, err, os.ErrNotExist)
		require.NotErrorIs(t, err, ErrInvalid)
	})
}

func TestTranscriptOfAnotherCircuitRejected(t *testing.T) {
	w := get(t)
	t.Run("another benchmark", func(t *testing.T) {
		_, err := Verify(w.specC, w.dirA, VerifyOptions{})
		require.ErrorIs(t, err, ErrInvalid)
		require.Contains(t, err.Error(), "another benchmark")
	})
	t.Run("relabelled transcript", func(t *testing.T) {
		// A's transcript claiming to be C's: the phase-2 files are not C's.
		dir := copyDir(t, w.dirA, "")
		mC := readM(t, w.dirC)
		edit(t, dir, func(m *Manifest) { m.Circuit = mC.Circuit; m.Seal = nil })
		_, err := Verify(w.specC, dir, VerifyOptions{})
		requireContribErr(t, err, 0, "another circuit")
	})
	t.Run("from the published description", func(t *testing.T) {
		m := readM(t, w.dirA)
		_, err := SpecFromPublic(*m.Circuit.Public, w.benchC)
		require.ErrorIs(t, err, ErrInvalid)
		require.Contains(t, err.Error(), "another benchmark")
		s, err := SpecFromPublic(*m.Circuit.Public, w.benchA)
		require.NoError(t, err)
		require.Equal(t, w.specA.ID(), s.ID())
	})
}

// TestUnenforceableDescriptionRefused: a description whose bounds the
// circuit cannot enforce (here an accumulator wider than any check the
// circuit makes) is refused by every ceremony step: rebuilding the spec,
// init, phase 2, contribute, verify and seal.
func TestUnenforceableDescriptionRefused(t *testing.T) {
	w := get(t)
	pub := w.specA.Public()
	pub.AccBits = append([]int(nil), pub.AccBits...)
	pub.AccBits[len(pub.AccBits)-1] = 95
	_, err := SpecFromPublic(pub, w.benchA)
	require.ErrorIs(t, err, ErrInvalid)
	require.Contains(t, err.Error(), "accumulatorBits")

	bad := *w.specA
	bad.AccBits = pub.AccBits
	_, err = Init(&bad, filepath.Join(t.TempDir(), "c"), InitOptions{})
	require.ErrorIs(t, err, ErrInvalid)
	dir := copyDir(t, w.dirA, "")
	_, err = StartPhase2(&bad, dir, other, "", Phase2Options{})
	require.ErrorIs(t, err, ErrInvalid)
	_, err = Verify(&bad, dir, VerifyOptions{})
	require.ErrorIs(t, err, ErrInvalid)
	_, err = Seal(&bad, dir, other, "", t.TempDir(), SealOptions{})
	require.ErrorIs(t, err, ErrInvalid)
	// A transcript whose manifest carries such a description takes no
	// contribution.
	edit(t, dir, func(m *Manifest) {
		id := pub.ID()
		m.Circuit.Public, m.Circuit.ID, m.Seal = &pub, hex.EncodeToString(id[:]), nil
	})
	_, err = Contribute(dir, "mallory", keyOf("mallory"), ContributeOptions{})
	require.ErrorIs(t, err, ErrInvalid)
	require.Contains(t, err.Error(), "refuses")
}

func TestWrongBeaconRejected(t *testing.T) {
	w := get(t)
	t.Run("verify", func(t *testing.T) {
		_, err := Verify(w.specA, w.dirA, VerifyOptions{Beacon: other})
		require.ErrorIs(t, err, ErrInvalid)
		require.Contains(t, err.Error(), "wrong beacon")
	})
	t.Run("seal again", func(t *testing.T) {
		dir := copyDir(t, w.dirA, "")
		_, err := Seal(w.specA, dir, other, "test", t.TempDir(), SealOptions{})
		require.ErrorIs(t, err, ErrInvalid)
		require.Contains(t, err.Error(), "already sealed")
	})
	t.Run("seal beacon altered in the manifest", func(t *testing.T) {
		dir := copyDir(t, w.dirA, "")
		edit(t, dir, func(m *Manifest) { m.Seal.Beacon = hex.EncodeToString(other) })
		_, err := Verify(w.specA, dir, VerifyOptions{})
		require.ErrorIs(t, err, ErrInvalid)
		require.Contains(t, err.Error(), "the beacon or the sealed keys were altered")
	})
	t.Run("phase-1 beacon altered in the manifest", func(t *testing.T) {
		dir := copyDir(t, w.dirA, "")
		edit(t, dir, func(m *Manifest) { m.Phase1.Beacon = hex.EncodeToString(other) })
		_, err := Verify(w.specA, dir, VerifyOptions{})
		require.ErrorIs(t, err, ErrInvalid)
		require.Contains(t, err.Error(), "phase-1 beacon or result was altered")
	})
	t.Run("malformed", func(t *testing.T) {
		_, err := ParseBeacon("xyz")
		require.Error(t, err)
		_, err = ParseBeacon("0x0102")
		require.Error(t, err)
		b, err := ParseBeacon("0x" + hex.EncodeToString(beacon1))
		require.NoError(t, err)
		require.Equal(t, beacon1, b)
	})
}

func TestStepsOutOfOrder(t *testing.T) {
	w := get(t)
	_, err := Contribute(w.dirA, "late", keyOf("late"), ContributeOptions{})
	require.ErrorIs(t, err, ErrState)
	_, err = StartPhase2(w.specA, w.dirA, beacon1, "", Phase2Options{})
	require.ErrorIs(t, err, ErrState)
	_, err = Contribute(w.stale2Dir, "confused", keyOf("confused"), ContributeOptions{Phase: 1})
	require.ErrorIs(t, err, ErrState)
	_, err = Init(w.specA, w.dirA, InitOptions{})
	require.ErrorIs(t, err, ErrState)
	_, err = Contribute(w.stale2Dir, " padded", keyOf("padded"), ContributeOptions{})
	require.Error(t, err)
	_, err = Contribute(w.stale2Dir, "keyless", nil, ContributeOptions{})
	require.ErrorContains(t, err, "contributions are signed")

	fresh := filepath.Join(t.TempDir(), "c")
	_, err = Init(w.specA, fresh, InitOptions{})
	require.NoError(t, err)
	_, err = StartPhase2(w.specA, fresh, beacon1, "", Phase2Options{})
	require.ErrorIs(t, err, ErrState)
	_, err = Seal(w.specA, fresh, beacon2, "", t.TempDir(), SealOptions{})
	require.ErrorIs(t, err, ErrState)
	_, err = Init(w.specA, t.TempDir()+"/x", InitOptions{Phase1From: fresh})
	require.ErrorIs(t, err, ErrState)
}

func TestManifestChecks(t *testing.T) {
	w := get(t)
	good, err := os.ReadFile(filepath.Join(w.dirA, ManifestFile))
	require.NoError(t, err)
	_, err = ParseManifest(good)
	require.NoError(t, err)
	for name, f := range map[string]func(m *Manifest){
		"path traversal":       func(m *Manifest) { m.Contributions[0].File = "../../etc/passwd" },
		"hidden file":          func(m *Manifest) { m.Contributions[0].File = ".x" },
		"duplicate file":       func(m *Manifest) { m.Contributions[1].File = m.Contributions[0].File },
		"circuit id":           func(m *Manifest) { m.Circuit.ID = strings.Repeat("0", 64) },
		"size not power of 2":  func(m *Manifest) { m.Phase1.Size = 4095 },
		"size too small":       func(m *Manifest) { m.Phase1.Size = 1024 },
		"index":                func(m *Manifest) { m.Contributions[2].Index = 9 },
		"phase order":          func(m *Manifest) { m.Contributions[4].Phase = 1 },
		"empty name":           func(m *Manifest) { m.Contributions[0].Participant = "" },
		"short seal beacon":    func(m *Manifest) { m.Seal.Beacon = "00" },
		"format":               func(m *Manifest) { m.Format = "v0" },
		"seal without phase 2": func(m *Manifest) { m.Phase2 = nil },
	} {
		t.Run(name, func(t *testing.T) {
			m, err := ParseManifest(good)
			require.NoError(t, err)
			f(m)
			data, err := m.encode()
			require.NoError(t, err)
			_, err = ParseManifest(data)
			require.ErrorIs(t, err, ErrInvalid)
		})
	}
	_, err = ParseManifest(append(bytes.TrimSpace(good[:len(good)-2]), []byte(`,"extra":1}`)...))
	require.ErrorIs(t, err, ErrInvalid)
}

func TestEncodingLayout(t *testing.T) {
	w := get(t)
	m := readM(t, w.dirA)
	for _, c := range m.Contributions {
		f, err := os.Open(filepath.Join(w.dirA, c.File))
		require.NoError(t, err)
		if c.Phase == 1 {
			require.NoError(t, checkPhase1Layout(f, c.Bytes, m.Phase1.Size))
			require.Error(t, checkPhase1Layout(f, c.Bytes, m.Phase1.Size*2))
		} else {
			s, ch, err := readPhase2Shape(f, c.Bytes)
			require.NoError(t, err)
			require.Equal(t, challengeSize, ch)
			require.Equal(t, c.Bytes, s.size(ch))
			require.Len(t, s.CKK, 1) // the circuit's one commitment
		}
		ch, err := challengeOf(f, c.Bytes)
		require.NoError(t, err)
		require.Equal(t, c.PreviousSHA256, ch)
		f.Close()
	}
	f, err := os.Open(filepath.Join(w.dirA, m.Phase2.Initial.File))
	require.NoError(t, err)
	defer f.Close()
	s, ch, err := readPhase2Shape(f, m.Phase2.Initial.Bytes)
	require.NoError(t, err)
	require.Equal(t, 0, ch)
	require.Equal(t, m.Phase2.Initial.Bytes, s.size(0))
	_, _, err = readPhase2Shape(f, m.Phase2.Initial.Bytes-1)
	require.Error(t, err)
}
