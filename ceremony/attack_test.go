package ceremony

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	cmpc "github.com/consensys/gnark-crypto/ecc/bn254/mpcsetup"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/keys"
)

// The attacks of a review, each refused with a clear error or reported as
// not checked, and none hanging: each test runs its step under a deadline.

// within runs f and fails the test if it takes longer than d (a hang).
func within(t *testing.T, d time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("the step did not return within %s", d)
	}
}

// forgeIdentity appends to the open phase of dir a contribution that
// multiplies every secret by 1, with valid update proofs, signed by name's
// key: gnark's own checks accept it.
func forgeIdentity(t *testing.T, dir, name string) (prevFile, nextFile string) {
	t.Helper()
	m := readM(t, dir)
	phase := 1
	if m.Phase2 != nil {
		phase = 2
	}
	var prev []byte
	var prevRef string
	var last *Contribution
	for i := range m.Contributions {
		if m.Contributions[i].Phase == phase {
			last = &m.Contributions[i]
		}
	}
	switch {
	case last != nil:
		prevRef = last.File
	case phase == 2:
		prevRef = m.Phase2.Initial.File
	}
	if prevRef != "" {
		var err error
		prev, err = os.ReadFile(filepath.Join(dir, prevRef))
		require.NoError(t, err)
	} else {
		var buf bytes.Buffer
		_, err := mpcsetup.NewPhase1(m.Phase1.Size).WriteTo(&buf)
		require.NoError(t, err)
		prev = buf.Bytes()
	}
	challenge := sha256.Sum256(prev)
	prevCh := int(prev[len(prev)-1])
	if prevCh != 0 {
		prevCh = challengeSize // a contribution ends with [32][challenge]
	}
	var one fr.Element
	one.SetOne()
	proof := func(dst byte) []byte {
		p := cmpc.UpdateValues(&one, challenge[:], dst)
		var b bytes.Buffer
		_, err := p.WriteTo(&b)
		require.NoError(t, err)
		return b.Bytes()
	}
	var next []byte
	if phase == 1 {
		next = append(next, proof(mpcsetup.DST_TAU)...)
		next = append(next, proof(mpcsetup.DST_ALPHA)...)
		next = append(next, proof(mpcsetup.DST_BETA)...)
		next = append(next, prev[3*proofSize:len(prev)-1-prevCh]...)
	} else {
		nc := int(prev[0])<<8 | int(prev[1])
		end := len(prev) - 1 - prevCh - (1+nc)*proofSize
		next = append(next, prev[:end]...)
		next = append(next, proof(mpcsetup.DST_DELTA)...)
		for i := range nc {
			next = append(next, proof(mpcsetup.DST_SIGMA+byte(i))...)
		}
	}
	next = append(next, challengeSize)
	next = append(next, challenge[:]...)
	sum := sha256.Sum256(next)
	sha := hex.EncodeToString(sum[:])
	c := Contribution{Index: len(m.Contributions) + 1, Phase: phase, Participant: name, File: fmt.Sprintf("phase%d-%04d-%s.bin", phase, m.Count(phase)+1, sha[:12]),
		SHA256: sha, Bytes: int64(len(next)), PreviousSHA256: hex.EncodeToString(challenge[:]), Time: now()}
	require.NoError(t, os.WriteFile(filepath.Join(dir, c.File), next, 0o644))
	require.NoError(t, c.sign(m, keyOf(name)))
	m.Contributions = append(m.Contributions, c)
	_, err := writeManifest(dir, m)
	require.NoError(t, err)
	return prevRef, c.File
}

// Attack 1: one person fakes a "multi-party" ceremony with contributions
// that multiply by 1, under the names of well-known organisations. gnark's
// update proofs accept them; the transcript is refused, naming the
// contribution.
func TestIdentityContributionRefused(t *testing.T) {
	w := get(t)
	t.Run("phase 1", func(t *testing.T) {
		dir := copyDir(t, w.phase1Dir, "")
		prevFile, nextFile := forgeIdentity(t, dir, "Ethereum Foundation")
		// gnark's own check accepts it: the refusal is ours.
		prev, next := new(mpcsetup.Phase1), new(mpcsetup.Phase1)
		for file, st := range map[string]*mpcsetup.Phase1{prevFile: prev, nextFile: next} {
			data, err := os.ReadFile(filepath.Join(dir, file))
			require.NoError(t, err)
			_, err = st.ReadFrom(bytes.NewReader(data))
			require.NoError(t, err)
		}
		require.NoError(t, prev.Verify(next), "gnark accepts an update by 1")
		var err error
		within(t, time.Minute, func() { _, err = Verify(w.specA, dir, VerifyOptions{}) })
		requireContribErr(t, err, 2, `"Ethereum Foundation"`, "multiplies by 1, a value anyone can find")
	})
	t.Run("phase 2", func(t *testing.T) {
		dir := copyDir(t, w.stale2Dir, "")
		forgeIdentity(t, dir, "Zcash Foundation")
		var err error
		within(t, time.Minute, func() { _, err = Verify(w.specA, dir, VerifyOptions{}) })
		requireContribErr(t, err, 6, `"Zcash Foundation"`, "update of δ multiplies by 1")
	})
	t.Run("a contribution on a forged one is refused too", func(t *testing.T) {
		dir := copyDir(t, w.phase1Dir, "")
		forgeIdentity(t, dir, "Ethereum Foundation")
		_, err := Contribute(dir, "honest", keyOf("honest"), ContributeOptions{})
		require.NoError(t, err, "a contributor checks only digests")
		_, err = Verify(w.specA, dir, VerifyOptions{})
		requireContribErr(t, err, 2, "multiplies by 1")
	})
	t.Run("small multiples are as public", func(t *testing.T) {
		for _, k := range []int64{1, -1, 2, 1000, -65536, 65536} {
			var s fr.Element
			s.SetInt64(k)
			p := cmpc.UpdateValues(&s, make([]byte, 32), 0)
			var b bytes.Buffer
			_, err := p.WriteTo(&b)
			require.NoError(t, err)
			got, ok := trivialFactor(b.Bytes()[:g1Size])
			require.True(t, ok, "%d", k)
			require.Equal(t, k, got)
		}
		var s fr.Element
		s.SetInt64(65537)
		p := cmpc.UpdateValues(&s, make([]byte, 32), 0)
		var b bytes.Buffer
		_, err := p.WriteTo(&b)
		require.NoError(t, err)
		_, ok := trivialFactor(b.Bytes()[:g1Size])
		require.False(t, ok)
	})
}

// Attack 1, the part signatures answer: a transcript whose every
// contribution was made by one key under well-known names verifies (each
// contribution is a real one), but it is not checked for a verifier that
// trusts the real organisations' keys, nor for one that trusts no key.
func TestOnePersonCeremonyIsNotChecked(t *testing.T) {
	w := get(t)
	dir := copyDir(t, w.dirA, "")
	names := []string{"Ethereum Foundation", "Zcash Foundation", "Ethereum Foundation", "Zcash Foundation", "Ethereum Foundation", "Zcash Foundation"}
	m := readM(t, dir)
	for i := range m.Contributions {
		c := &m.Contributions[i]
		c.Participant = names[i]
		require.NoError(t, c.sign(m, keyOf("mallory")))
	}
	_, err := writeManifest(dir, m)
	require.NoError(t, err)

	rep, err := Verify(w.specA, dir, VerifyOptions{})
	require.NoError(t, err)
	require.False(t, rep.Trust.Checked)
	require.Contains(t, rep.Trust.Reason, "no trusted participant given")

	rep, err = Verify(w.specA, dir, VerifyOptions{Trusted: trusting("Ethereum Foundation", "Zcash Foundation")})
	require.NoError(t, err)
	require.False(t, rep.Trust.Checked)
	require.Contains(t, rep.Trust.Reason, "no phase 1 or phase 2 contribution is signed by a key you trust")
	for _, c := range rep.Trust.Contributions {
		require.Empty(t, c.TrustedAs, "contribution %d is only named", c.Index)
	}

	// Trusting the key that really signed says who that is.
	rep, err = Verify(w.specA, dir, VerifyOptions{Trusted: trusting("mallory")})
	require.NoError(t, err)
	require.True(t, rep.Trust.Checked)
	require.Equal(t, "mallory", rep.Trust.Contributions[0].TrustedAs)
	require.Equal(t, "Ethereum Foundation", rep.Trust.Contributions[0].Participant)

	// One trusted phase is not enough: knowing τ (phase 1) alone forges.
	rep, err = Verify(w.specA, w.dirA, VerifyOptions{Trusted: trusting("nobody", "lab")})
	require.NoError(t, err)
	require.True(t, rep.Trust.Checked)
	m2 := readM(t, w.dirA)
	only1 := copyDir(t, w.dirA, "")
	edit(t, only1, func(m *Manifest) {
		for i := range m.Contributions {
			if m.Contributions[i].Phase == 2 {
				m.Contributions[i].Participant = "someone"
			}
		}
	})
	rep, err = Verify(w.specA, only1, VerifyOptions{Trusted: trusting("lab", "auditor A")})
	require.NoError(t, err)
	require.False(t, rep.Trust.Checked, "%v", m2.Contributions)
	require.Contains(t, rep.Trust.Reason, "no phase 2 contribution is signed by a key you trust")
}

// A signature covers the record: a name, time or digest changed after the
// contribution was signed is refused when the manifest is read, and so is a
// signature copied onto another contribution.
func TestSignatureCoversTheRecord(t *testing.T) {
	w := get(t)
	for name, f := range map[string]func(m *Manifest){
		"name rewritten after the seal": func(m *Manifest) { m.Contributions[1].Participant = "Ethereum Foundation" },
		"time changed":                  func(m *Manifest) { m.Contributions[2].Time = m.Contributions[2].Time.Add(time.Hour) },
		"signature moved":               func(m *Manifest) { m.Contributions[4].Signature = m.Contributions[3].Signature },
		"key id of another key": func(m *Manifest) {
			m.Contributions[0].Signature.KeyID = m.Contributions[1].Signature.KeyID
		},
		"key replaced": func(m *Manifest) {
			m.Contributions[0].Signature.PublicKey = m.Contributions[1].Signature.PublicKey
			m.Contributions[0].Signature.KeyID = m.Contributions[1].Signature.KeyID
		},
		"no signature": func(m *Manifest) { m.Contributions[5].Signature = Signature{} },
	} {
		t.Run(name, func(t *testing.T) {
			dir := copyDir(t, w.dirA, "")
			editUnsigned(t, dir, f)
			_, err := Verify(w.specA, dir, VerifyOptions{})
			require.ErrorIs(t, err, ErrInvalid)
			var ce *ContributionError
			require.True(t, errors.As(err, &ce), "%v", err)
			require.Regexp(t, "signature", err.Error())
		})
	}
	t.Run("a phase-2 signature names the circuit", func(t *testing.T) {
		m := readM(t, w.dirA)
		c := m.Contributions[3]
		st := c.Statement(m)
		require.Equal(t, m.Circuit.ID, st.CircuitID)
		m.Circuit.ID = strings.Repeat("0", 64)
		require.Error(t, c.verifySignature(m))
	})
}

// Attack 3: files that hang or exhaust memory. Each is refused at once.
func TestHostileFilesRefusedWithoutHanging(t *testing.T) {
	w := get(t)
	m := readM(t, w.dirA)
	// lastPhase2 is the file of a transcript's last phase-2 contribution.
	lastPhase2 := func(t *testing.T, dir string) string {
		cs := readM(t, dir).Contributions
		return filepath.Join(dir, cs[len(cs)-1].File)
	}
	for name, tc := range map[string]struct {
		setup func(t *testing.T, dir string)
		index int
		want  string
	}{
		"phase-2 file a link to /dev/zero": {func(t *testing.T, dir string) {
			require.NoError(t, os.Remove(lastPhase2(t, dir)))
			require.NoError(t, os.Symlink("/dev/zero", lastPhase2(t, dir)))
		}, 6, "is a symbolic link, not a regular file"},
		"contribution replaced by a FIFO": {func(t *testing.T, dir string) {
			require.NoError(t, os.Remove(lastPhase2(t, dir)))
			require.NoError(t, syscall.Mkfifo(lastPhase2(t, dir), 0o644))
		}, 6, "is a FIFO, not a regular file"},
		"phase-1 file a link to a regular copy": {func(t *testing.T, dir string) {
			f := filepath.Join(dir, m.Contributions[0].File)
			require.NoError(t, os.Rename(f, f+".orig"))
			require.NoError(t, os.Symlink(f+".orig", f))
		}, 1, "is a symbolic link"},
		"initial state a link to /dev/zero": {func(t *testing.T, dir string) {
			f := filepath.Join(dir, m.Phase2.Initial.File)
			require.NoError(t, os.Remove(f))
			require.NoError(t, os.Symlink("/dev/zero", f))
		}, 0, "is a symbolic link"},
		"ceremony.json a link to /dev/zero": {func(t *testing.T, dir string) {
			f := filepath.Join(dir, ManifestFile)
			require.NoError(t, os.Remove(f))
			require.NoError(t, os.Symlink("/dev/zero", f))
		}, -1, "ceremony.json is a symbolic link, not a regular file"},
		"ceremony.json a FIFO": {func(t *testing.T, dir string) {
			f := filepath.Join(dir, ManifestFile)
			require.NoError(t, os.Remove(f))
			require.NoError(t, syscall.Mkfifo(f, 0o644))
		}, -1, "ceremony.json is a FIFO"},
		"ceremony.json too large": {func(t *testing.T, dir string) {
			f := filepath.Join(dir, ManifestFile)
			require.NoError(t, os.Truncate(f, MaxManifestBytes+1))
		}, -1, "more than the 16777216 bytes"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := copyDir(t, w.dirA, "")
			tc.setup(t, dir)
			var err error
			within(t, 30*time.Second, func() { _, err = Verify(w.specA, dir, VerifyOptions{}) })
			require.ErrorIs(t, err, ErrInvalid)
			require.Contains(t, err.Error(), tc.want)
			if tc.index >= 0 {
				var ce *ContributionError
				require.True(t, errors.As(err, &ce), "%v", err)
				require.Equal(t, tc.index, ce.Index)
			}
			if tc.index == 6 {
				// The contributor, too, refuses without blocking.
				dir2 := copyDir(t, w.stale2Dir, "")
				tc.setup(t, dir2)
				within(t, 30*time.Second, func() { _, err = Contribute(dir2, "next", keyOf("next"), ContributeOptions{}) })
				require.ErrorContains(t, err, "not a regular file")
			}
		})
	}
}

// Attack 3: a 1.5 KB manifest that declares a phase 1 of size 2^26 (about
// 25 GB of memory for gnark's empty state) is refused before anything of
// that size is allocated; with the limit raised, the files it needs must
// be there first.
func TestHugeDeclaredPhase1RefusedBeforeAllocation(t *testing.T) {
	w := get(t)
	dir := copyDir(t, w.phase1Dir, "")
	m := readM(t, dir)
	huge := *m
	huge.Phase1.Size = 1 << 26
	huge.Contributions = []Contribution{}
	_, err := writeManifest(dir, &huge)
	require.NoError(t, err)
	data, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	require.NoError(t, err)
	require.Less(t, len(data), 4096)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	within(t, 30*time.Second, func() { _, err = Verify(w.specA, dir, VerifyOptions{}) })
	require.ErrorIs(t, err, ErrInvalid)
	require.Contains(t, err.Error(), "declares a phase 1 of size 67108864 (2^26), more than the 16777216 (2^24) this step accepts")
	within(t, 30*time.Second, func() { _, err = Contribute(dir, "victim", keyOf("victim"), ContributeOptions{}) })
	require.ErrorContains(t, err, "more than the 16777216")

	// With the limit raised, a declared contribution must be there, of its
	// size, before anything of size 2^26 is built.
	opt := Options{MaxPhase1Size: MaxPhase1Size}
	huge.Contributions = m.Contributions[:1]
	huge.Contributions[0].Bytes = phase1Size(huge.Phase1.Size, true)
	require.NoError(t, huge.Contributions[0].sign(&huge, keyOf(huge.Contributions[0].Participant)))
	_, err = writeManifest(dir, &huge)
	require.NoError(t, err)
	within(t, 30*time.Second, func() { _, err = Verify(w.specA, dir, VerifyOptions{Options: opt}) })
	requireContribErr(t, err, 1, "but the manifest records")
	runtime.ReadMemStats(&after)
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(512<<20), "the steps allocated more than 512 MiB")
}

// Attack 4: the manifest is parsed as strictly as an attestation, so that
// one ceremony has one transcript digest.
func TestManifestStrict(t *testing.T) {
	w := get(t)
	good, err := os.ReadFile(filepath.Join(w.dirA, ManifestFile))
	require.NoError(t, err)
	name := `"participant": "lab",`
	require.Contains(t, string(good), name)
	var loose bytes.Buffer
	require.NoError(t, json.Indent(&loose, good, "", "    "))
	var compact bytes.Buffer
	require.NoError(t, json.Compact(&compact, good))
	for what, tc := range map[string]struct{ data, want string }{
		"duplicate key":              {strings.Replace(string(good), name, `"participant": "Ethereum Foundation", `+name, 1), "appears twice"},
		"case variant beside it":     {strings.Replace(string(good), name, `"PARTICIPANT": "Ethereum Foundation", `+name, 1), `key .contributions[0].PARTICIPANT: write it as "participant"`},
		"case variant after it":      {strings.Replace(string(good), name, name+` "PARTICIPANT": "Ethereum Foundation",`, 1), "differ only in case"},
		"case variant alone":         {strings.Replace(string(good), name, `"Participant": "lab",`, 1), `write it as "participant"`},
		"re-indented":                {loose.String(), "not in its canonical form"},
		"compact":                    {compact.String() + "\n", "not in its canonical form"},
		"trailing space":             {string(good) + " ", "not in its canonical form"},
		"unknown field":              {strings.Replace(string(good), name, `"note": "x", `+name, 1), "unknown field"},
		"not UTF-8":                  {strings.Replace(string(good), `"lab"`, "\"lab\xff\"", 1), "not UTF-8"},
		"format v1":                  {strings.Replace(string(good), Format, "zkeval-ceremony/v1", 1), "format v1 transcripts have unsigned contributions"},
		"beacon written another way": {strings.Replace(string(good), `"beacon": "a5a5`, `"beacon": "A5a5`, 1), "lowercase hex"},
	} {
		t.Run(what, func(t *testing.T) {
			require.NotEqual(t, string(good), tc.data)
			_, err := ParseManifest([]byte(tc.data))
			require.ErrorIs(t, err, ErrInvalid)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// Contributions are appended by compare-and-swap under the directory's
// lock: of two steps that read the same manifest, exactly one replaces it.
func TestManifestUpdateIsCompareAndSwap(t *testing.T) {
	w := get(t)
	dir := copyDir(t, w.stale2Dir, "")
	old, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	require.NoError(t, err)
	m1, m2 := readM(t, dir), readM(t, dir)
	m1.Phase1.BeaconSource, m2.Phase1.BeaconSource = "first", "second"

	entered, release := make(chan struct{}), make(chan struct{})
	testHookLocked = func() {
		testHookLocked = nil // the second step runs no hook
		close(entered)
		<-release
	}
	defer func() { testHookLocked = nil }()
	var err1, err2 error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); err1 = updateManifest(dir, old, m1) }()
	<-entered
	// The first step holds the lock between its compare and its write;
	// the second, started now, must wait for it and then see the change.
	wg.Add(1)
	go func() { defer wg.Done(); err2 = updateManifest(dir, old, m2) }()
	time.Sleep(200 * time.Millisecond)
	close(release)
	wg.Wait()
	require.NoError(t, err1)
	require.ErrorIs(t, err2, errChanged)
	require.Equal(t, "first", readM(t, dir).Phase1.BeaconSource)
}

// Two participants contributing at once: one succeeds, the other is told
// to contribute again, and no contribution is lost.
func TestConcurrentContributionsLoseNothing(t *testing.T) {
	w := get(t)
	dir := copyDir(t, w.stale2Dir, "")
	before := len(readM(t, dir).Contributions)
	var wg sync.WaitGroup
	results := make([]*Contribution, 2)
	errs := make([]error, 2)
	for i, name := range []string{"alice", "bob"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = Contribute(dir, name, keyOf(name), ContributeOptions{})
		}()
	}
	within(t, 2*time.Minute, wg.Wait)
	m := readM(t, dir)
	ok := 0
	for i := range errs {
		if errs[i] == nil {
			ok++
			require.Equal(t, results[i].SHA256, m.Contributions[len(m.Contributions)-1].SHA256)
		} else {
			require.ErrorIs(t, errs[i], ErrState)
			require.Contains(t, errs[i].Error(), "contribute again")
		}
	}
	require.Equal(t, ok, len(m.Contributions)-before, "every success is in the manifest")
	require.GreaterOrEqual(t, ok, 1)
	_, err := Verify(w.specA, dir, VerifyOptions{})
	require.NoError(t, err)
}

// The constraint system the circuit compiles to is recorded and checked.
func TestConstraintSystemDigestChecked(t *testing.T) {
	w := get(t)
	dir := copyDir(t, w.dirA, "")
	edit(t, dir, func(m *Manifest) { m.Circuit.ConstraintSystemSHA256 = strings.Repeat("ab", 32) })
	_, err := Verify(w.specA, dir, VerifyOptions{})
	require.ErrorIs(t, err, ErrInvalid)
	require.Contains(t, err.Error(), "compiles here to a constraint system with SHA-256")
}

// --keys checks the whole keys directory, not only the two key digests.
func TestKeysDirectoryCheckedWhole(t *testing.T) {
	w := get(t)
	metaOf := func(t *testing.T, dir string) map[string]any {
		data, err := os.ReadFile(filepath.Join(dir, keys.MetaFile))
		require.NoError(t, err)
		var v map[string]any
		require.NoError(t, json.Unmarshal(data, &v))
		return v
	}
	writeMeta := func(t *testing.T, dir string, v map[string]any) {
		data, err := json.MarshalIndent(v, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, keys.MetaFile), data, 0o644))
	}
	for name, tc := range map[string]struct {
		alter func(t *testing.T, dir string)
		want  string
	}{
		"constraint count": {func(t *testing.T, dir string) {
			v := metaOf(t, dir)
			v["constraints"] = 1
			writeMeta(t, dir, v)
		}, "constraints is 1"},
		"public description": {func(t *testing.T, dir string) {
			v := metaOf(t, dir)
			v["public"].(map[string]any)["samples"] = 13
			writeMeta(t, dir, v)
		}, "public: the circuit description differs"},
		"an extra file": {func(t *testing.T, dir string) {
			v := metaOf(t, dir)
			v["files"].(map[string]any)["extra"] = strings.Repeat("ab", 32)
			writeMeta(t, dir, v)
		}, "files is"},
		"constraints.r1cs altered": {func(t *testing.T, dir string) {
			flip(t, filepath.Join(dir, keys.ConstraintsFile), 100)
		}, "constraints.r1cs has SHA-256"},
		"verifying key a link": {func(t *testing.T, dir string) {
			f := filepath.Join(dir, keys.VerifyingKeyFile)
			require.NoError(t, os.Rename(f, f+".orig"))
			require.NoError(t, os.Symlink(f+".orig", f))
		}, "is a symbolic link"},
		"proving key longer": {func(t *testing.T, dir string) {
			f, err := os.OpenFile(filepath.Join(dir, keys.ProvingKeyFile), os.O_APPEND|os.O_WRONLY, 0)
			require.NoError(t, err)
			_, err = f.Write([]byte{0})
			require.NoError(t, err)
			require.NoError(t, f.Close())
		}, "proving.key has"},
	} {
		t.Run(name, func(t *testing.T) {
			kd := copyDir(t, w.keysA, "")
			tc.alter(t, kd)
			_, err := Verify(w.specA, w.dirA, VerifyOptions{KeysDir: kd})
			require.ErrorIs(t, err, ErrInvalid)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestDescribeBeacon(t *testing.T) {
	quicknet := "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"
	b32 := strings.Repeat("ab", 32)
	// Round 1,000,001 of quicknet: 3,000,000 s after its genesis.
	emitted := time.Unix(1692803367+3000000, 0).UTC()
	b := DescribeBeacon(b32, "drand:"+quicknet+":1000001", emitted.Add(-time.Minute))
	require.True(t, b.Checkable)
	require.Equal(t, emitted, *b.Emitted)
	require.False(t, b.Early)
	require.Contains(t, b.How, "https://api.drand.sh/"+quicknet+"/public/1000001")
	b = DescribeBeacon(b32, "drand:"+quicknet+":1000001", emitted.Add(time.Minute))
	require.True(t, b.Early, "the round was public before the last contribution")

	b = DescribeBeacon(b32, "ethereum:block:20000000", time.Time{})
	require.True(t, b.Checkable)
	require.Contains(t, b.How, "Ethereum mainnet block 20000000")
	for src, want := range map[string]string{
		"":                             "no source recorded: not checkable",
		"test beacon":                  "free text: not checkable",
		"drand:xyz:5":                  "other than drand:CHAIN_HASH:ROUND",
		"ethereum:block:-1":            "other than ethereum:block:HEIGHT",
		"drand:" + quicknet + ":0":     "other than drand:CHAIN_HASH:ROUND",
		"bitcoin:block:800000:extra":   "free text",
		"drand:" + quicknet + ":12345": "", // checkable, but of 16 bytes below
	} {
		beacon := b32
		if want == "" {
			beacon, want = strings.Repeat("ab", 16), "drand randomness has 32 bytes"
		}
		b := DescribeBeacon(beacon, src, time.Time{})
		require.False(t, b.Checkable, src)
		require.Contains(t, b.How, want, src)
	}
	require.Error(t, CheckBeaconSource("a\nb"))
	require.Error(t, CheckBeaconSource(strings.Repeat("x", MaxBeaconSourceLen+1)))
}

// The empty phase-1 state's digest, streamed without building the state,
// is gnark's.
func TestEmptyPhase1Digest(t *testing.T) {
	for _, n := range []uint64{2, 4096} {
		want, err := hashOf(mpcsetup.NewPhase1(n))
		require.NoError(t, err)
		got, err := emptyPhase1SHA256(n)
		require.NoError(t, err)
		require.Equal(t, want, got, "n = %d", n)
	}
}
