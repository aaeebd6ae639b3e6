package ceremony

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"

	"github.com/zkeval/zkeval/internal/atomicfile"
	"github.com/zkeval/zkeval/internal/dirlock"
	"github.com/zkeval/zkeval/internal/safefile"
	"github.com/zkeval/zkeval/keys"
)

// InitOptions tunes Init.
type InitOptions struct {
	Options
	// Phase1From, when set, is a ceremony directory whose phase 1 is closed:
	// its phase-1 contributions, beacon and result are verified and copied,
	// and phase 2 starts at once.
	Phase1From string
	// SaveSealState, with Phase1From, is a file to write the seal state to
	// (see Phase2Options.SaveSealState).
	SaveSealState string
}

// Init compiles the circuit of spec and creates the ceremony directory dir
// (which must be empty or absent) with phase 1 open, sized to the circuit;
// with opt.Phase1From it reuses a closed phase 1 and opens phase 2. Errors
// wrap ErrInvalid when the reused phase 1 does not verify or is too small.
func Init(spec Target, dir string, opt InitOptions) (*Manifest, error) {
	if err := checkSpec(spec); err != nil {
		return nil, err
	}
	pr := opt.Progress
	if opt.SaveSealState != "" && opt.Phase1From == "" {
		return nil, fmt.Errorf("a seal state can only be saved when phase 2 opens, with a reused phase 1")
	}
	if err := emptyDir(dir); err != nil {
		return nil, err
	}
	r1cs, err := compile(spec, pr)
	if err != nil {
		return nil, err
	}
	csSHA, _, err := constraintSystemDigest(r1cs)
	if err != nil {
		return nil, err
	}
	c := describe(spec)
	c.Constraints, c.ConstraintSystemSHA256 = r1cs.GetNbConstraints(), csSHA
	m := &Manifest{Format: Format, Circuit: c, Contributions: []Contribution{}}
	if opt.Phase1From == "" {
		m.Phase1.Size = ecc.NextPowerOfTwo(uint64(max(r1cs.GetNbConstraints(), 2)))
		if m.Phase1.Size > MaxPhase1Size {
			return nil, fmt.Errorf("the circuit has %d constraints; gnark's BN254 setup supports at most 2^28", r1cs.GetNbConstraints())
		}
		if m.Phase1.InitialSHA256, err = emptyPhase1SHA256(m.Phase1.Size); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		if _, err := writeManifest(dir, m); err != nil {
			return nil, err
		}
		return m, nil
	}

	src, srcData, err := ReadManifest(opt.Phase1From)
	if err != nil {
		return nil, err
	}
	if err := opt.checkLimits(src); err != nil {
		return nil, fmt.Errorf("%s: %w", opt.Phase1From, err)
	}
	if src.Phase1.ResultSHA256 == "" {
		return nil, stateErr("phase 1 of %s is still open; close it with a beacon (StartPhase2) before reusing it", opt.Phase1From)
	}
	if uint64(r1cs.GetNbConstraints()) > src.Phase1.Size {
		return nil, invalid("phase 1 of %s has size %d, but this circuit has %d constraints", opt.Phase1From, src.Phase1.Size, r1cs.GetNbConstraints())
	}
	st, err := check(opt.Phase1From, src, srcData, checkParams{pr: pr, opt: opt.Options})
	if err != nil {
		return nil, fmt.Errorf("phase 1 of %s: %w", opt.Phase1From, err)
	}
	m.Phase1 = src.Phase1
	for _, c := range src.Contributions {
		if c.Phase != 1 {
			break
		}
		m.Contributions = append(m.Contributions, c)
	}
	start, err := phase2Start(spec, r1cs, st.commons, m.Phase1.ResultSHA256, pr)
	if err != nil {
		return nil, err
	}
	m.Phase2 = &Phase2Info{Initial: FileRef{SHA256: start.sha}}
	// The seal state first: when it cannot be written, no directory is
	// left half-made.
	if opt.SaveSealState != "" {
		if err := saveSealState(opt.SaveSealState, m, st.commons, start.evals, pr); err != nil {
			return nil, err
		}
	}
	_, statErr := os.Stat(dir)
	existed := statErr == nil
	ok := false
	defer func() {
		if !ok {
			removeCreated(dir, existed)
			if opt.SaveSealState != "" {
				os.Remove(opt.SaveSealState)
			}
		}
	}()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	for _, c := range m.Contributions {
		if err := copyFile(filepath.Join(opt.Phase1From, c.File), filepath.Join(dir, c.File)); err != nil {
			return nil, err
		}
	}
	ref, err := writeState(dir, "phase2-0000", start.initial)
	if err != nil {
		return nil, err
	}
	if ref.SHA256 != start.sha {
		return nil, fmt.Errorf("the phase-2 initial state written to %s has SHA-256 %s, not %s", dir, ref.SHA256, start.sha)
	}
	m.Phase2 = &Phase2Info{Initial: ref}
	if _, err := writeManifest(dir, m); err != nil {
		return nil, err
	}
	ok = true
	return m, nil
}

// removeCreated removes what a failed Init wrote into dir, which was empty
// or absent before (emptyDir): its entries, and dir itself unless it
// existed.
func removeCreated(dir string, existed bool) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
	if !existed {
		os.Remove(dir)
	}
}

// ContributeOptions tunes Contribute.
type ContributeOptions struct {
	Options
	// Phase, when 1 or 2, makes Contribute refuse unless that phase is open.
	Phase int
}

// Contribute adds participant's contribution to the open phase of the
// ceremony in dir: it reads the latest state (checking its size and SHA-256
// against the manifest), lets gnark draw fresh randomness from crypto/rand,
// update the state and prove knowledge of the update, writes the new state,
// signs the contribution with key (see ContributionStatement) and records
// it in the manifest. The randomness lives only in gnark's Contribute and
// is not written anywhere. It returns the contribution, whose SHA256 the
// participant publishes, with the id of the key that signed it.
//
// Participants contribute one at a time on the same directory. The
// manifest is replaced under the directory's lock, and only if it is still
// the one the contribution was computed from: when another participant
// contributed meanwhile, Contribute discards its file and returns an error
// wrapping ErrState (the contribution was computed on a stale state and
// must be made again), so that no contribution is ever lost.
func Contribute(dir, participant string, key ed25519.PrivateKey, opt ContributeOptions) (*Contribution, error) {
	pr := opt.Progress
	if err := CheckName(participant); err != nil {
		return nil, err
	}
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("contributions are signed: give the participant's Ed25519 private key (zkeval keygen)")
	}
	m, data, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	if err := opt.checkLimits(m); err != nil {
		return nil, err
	}
	// A contribution to a circuit whose description states bounds the
	// circuit cannot enforce would help seal keys for an unsound circuit.
	if err := m.Circuit.validate(); err != nil {
		return nil, invalid("the transcript in %s describes a circuit zkeval refuses: %v", dir, err)
	}
	phase := 1
	switch m.Stage() {
	case StageSealed:
		return nil, stateErr("the ceremony in %s is sealed; it takes no more contributions", dir)
	case StagePhase2:
		phase = 2
	}
	if opt.Phase != 0 && opt.Phase != phase {
		return nil, stateErr("the ceremony in %s is in phase %d, not phase %d", dir, phase, opt.Phase)
	}
	var last *Contribution
	for i := range m.Contributions {
		if m.Contributions[i].Phase == phase {
			last = &m.Contributions[i]
		}
	}
	c := Contribution{Index: len(m.Contributions) + 1, Phase: phase, Participant: participant}
	var state interface {
		io.WriterTo
		Contribute()
	}
	done := pr.Start(fmt.Sprintf("read the latest phase-%d state", phase))
	if phase == 1 {
		n := m.Phase1.Size
		p := new(mpcsetup.Phase1)
		if last == nil {
			p = mpcsetup.NewPhase1(n)
			c.PreviousSHA256, err = hashOf(p)
			if err != nil {
				return nil, err
			}
			if c.PreviousSHA256 != m.Phase1.InitialSHA256 {
				return nil, invalid("phase1.initialSha256 %s is not the empty phase-1 state of size %d (%s)", m.Phase1.InitialSHA256, n, c.PreviousSHA256)
			}
		} else {
			isIO, err := loadState(dir, ref(last), p, func(f *os.File, size int64) error { return checkPhase1Layout(f, size, n) })
			if err != nil {
				return nil, wrapContrib(last, isIO, err)
			}
			c.PreviousSHA256 = last.SHA256
		}
		state = p
	} else {
		p := new(mpcsetup.Phase2)
		prev := m.Phase2.Initial
		if last != nil {
			prev = ref(last)
		}
		isIO, err := loadState(dir, prev, p, func(f *os.File, size int64) error {
			_, _, err := readPhase2Shape(f, size)
			return err
		})
		if err != nil {
			if last != nil {
				return nil, wrapContrib(last, isIO, err)
			}
			return nil, &ContributionError{Phase: 2, File: prev.File, Err: err, io: isIO}
		}
		c.PreviousSHA256 = prev.SHA256
		state = p
	}
	done("")

	done = pr.Start(fmt.Sprintf("contribute to phase %d (gnark mpcsetup)", phase))
	state.Contribute()
	var challenge []byte
	switch p := state.(type) {
	case *mpcsetup.Phase1:
		challenge = p.Challenge
	case *mpcsetup.Phase2:
		challenge = p.Challenge
	}
	if hex.EncodeToString(challenge) != c.PreviousSHA256 {
		return nil, invalid("the latest phase-%d state is not in gnark's canonical encoding (its hash %x differs from its file's SHA-256 %s)", phase, challenge, c.PreviousSHA256)
	}
	done("")
	done = pr.Start("write the contribution")
	r, err := writeState(dir, fmt.Sprintf("phase%d-%04d", phase, m.Count(phase)+1), state)
	if err != nil {
		return nil, err
	}
	c.File, c.SHA256, c.Bytes, c.Time = r.File, r.SHA256, r.Bytes, now()
	if err := c.sign(m, key); err != nil {
		os.Remove(filepath.Join(dir, r.File))
		return nil, err
	}
	m.Contributions = append(m.Contributions, c)
	if err := updateManifest(dir, data, m); err != nil {
		os.Remove(filepath.Join(dir, r.File))
		if errors.Is(err, errChanged) {
			return nil, stateErr("the manifest of %s changed while the contribution was computed (another participant contributed); this contribution was computed on a stale state and was discarded: contribute again", dir)
		}
		return nil, err
	}
	done(fmt.Sprintf("contribution %d, sha256 %s", c.Index, c.SHA256))
	return &c, nil
}

// Phase2Options tunes StartPhase2.
type Phase2Options struct {
	Options
	// SaveSealState, when set, is a file to write the seal state to (see
	// SealOptions.SealState): the party that will seal keeps it so that
	// Seal need not rerun Phase2.Initialize. The file is local, about
	// 256 bytes per wire, and not part of the transcript.
	SaveSealState string
}

// StartPhase2 closes phase 1 of the ceremony in dir with beacon (public
// randomness announced after the last phase-1 contribution; source says
// where it comes from), after verifying every phase-1 contribution, and
// writes the phase-2 initial state of spec's circuit. Errors wrap ErrState
// when phase 1 is not open or has no contribution, and ErrInvalid when the
// transcript does not verify or is for another circuit. With
// opt.SaveSealState it also writes the seal state for Seal.
func StartPhase2(spec Target, dir string, beacon []byte, source string, opt Phase2Options) (*Manifest, error) {
	if err := checkSpec(spec); err != nil {
		return nil, err
	}
	m, data, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	if m.Stage() != StagePhase1 {
		return nil, stateErr("phase 1 of %s is already closed", dir)
	}
	if m.Count(1) == 0 {
		return nil, stateErr("phase 1 of %s has no contribution yet", dir)
	}
	if _, err := ParseBeacon(hex.EncodeToString(beacon)); err != nil {
		return nil, err
	}
	if err := CheckBeaconSource(source); err != nil {
		return nil, err
	}
	if err := opt.checkLimits(m); err != nil {
		return nil, err
	}
	st, err := check(dir, m, data, checkParams{spec: spec, closeBeacon: beacon, pr: opt.Progress, opt: opt.Options})
	if err != nil {
		return nil, err
	}
	ref, err := writeState(dir, "phase2-0000", st.last)
	if err != nil {
		return nil, err
	}
	t := now()
	m.Phase1.Beacon, m.Phase1.BeaconSource, m.Phase1.ClosedAt, m.Phase1.ResultSHA256 = hex.EncodeToString(beacon), source, &t, st.commonsSHA
	m.Phase2 = &Phase2Info{Initial: ref}
	if opt.SaveSealState != "" {
		if err := saveSealState(opt.SaveSealState, m, st.commons, st.evals, opt.Progress); err != nil {
			os.Remove(filepath.Join(dir, ref.File))
			return nil, err
		}
	}
	if err := updateManifest(dir, data, m); err != nil {
		os.Remove(filepath.Join(dir, ref.File))
		if opt.SaveSealState != "" {
			os.Remove(opt.SaveSealState)
		}
		return nil, err
	}
	return m, nil
}

// SealResult is a sealed ceremony and its keys.
type SealResult struct {
	Report *Report
	// Meta describes the keys directory written for an evaluation
	// circuit; ShardMeta the shard keys directory written (a shard
	// circuit) or completed (a totals circuit).
	Meta      *keys.Meta
	ShardMeta *keys.ShardMeta
	// Resealed, when set, gives the key digests an earlier seal from a seal
	// state had recorded, which the transcript does not yield; the seal now
	// records the keys it yields.
	Resealed *SealResealed
}

// SealResealed names the keys of a replaced seal.
type SealResealed struct {
	VerifyingKeySHA256, ProvingKeySHA256 string
}

// SealOptions tunes Seal.
type SealOptions struct {
	Options
	// SealState, when set, is a seal-state file that StartPhase2 wrote
	// (Phase2Options.SaveSealState) for this transcript. Seal then takes
	// the phase-2 evaluations and the phase-1 values from it instead of
	// verifying phase 1 again and rerunning Phase2.Initialize; it still
	// checks every file's digest and the challenge chain, verifies every
	// phase-2 contribution and recompiles the circuit. The file is trusted
	// (see the seal-state format): run Verify afterwards, as anyone can.
	SealState string
}

// Seal verifies the whole transcript in dir, applies beacon (public
// randomness announced after the last phase-2 contribution; source says
// where it comes from) with gnark's Phase2.Seal, records the seal in the
// manifest and writes the keys directory keysOut with setup kind "ceremony"
// and transcript {"sha256": transcript digest}. Sealing a sealed transcript
// again with the same beacon only rewrites the keys; with another beacon it
// fails with ErrInvalid. With opt.SealState it trusts that file for phase 1
// and the phase-2 evaluations (see SealOptions).
func Seal(spec Target, dir string, beacon []byte, source, keysOut string, opt SealOptions) (*SealResult, error) {
	if err := checkSpec(spec); err != nil {
		return nil, err
	}
	m, data, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	if _, err := ParseBeacon(hex.EncodeToString(beacon)); err != nil {
		return nil, err
	}
	if err := CheckBeaconSource(source); err != nil {
		return nil, err
	}
	if err := opt.checkLimits(m); err != nil {
		return nil, err
	}
	switch m.Stage() {
	case StagePhase1:
		return nil, stateErr("phase 1 of %s is still open; close it with a beacon and run phase 2 first", dir)
	case StagePhase2:
		if m.Count(2) == 0 {
			return nil, stateErr("phase 2 of %s has no contribution yet", dir)
		}
	case StageSealed:
		if got := hex.EncodeToString(beacon); got != m.Seal.Beacon {
			return nil, invalid("wrong beacon: %s is already sealed with beacon %s, not %s; a transcript is sealed once", dir, m.Seal.Beacon, got)
		}
	}
	cp := checkParams{spec: spec, sealBeacon: beacon, pr: opt.Progress, statePath: opt.SealState, opt: opt.Options}
	cp.resealing = m.Seal != nil && m.Seal.FromSealState && opt.SealState == ""
	if opt.SealState != "" {
		if err := matchCircuit(spec, m); err != nil {
			return nil, err
		}
		want, err := sealStateFor(m)
		if err != nil {
			return nil, stateErr("%s: %v", dir, err)
		}
		done := opt.Progress.Start("read the seal state " + opt.SealState)
		if cp.state, err = readSealState(opt.SealState, want); err != nil {
			return nil, err
		}
		done("")
	}
	st, err := check(dir, m, data, cp)
	if err != nil {
		return nil, err
	}
	var resealed *SealResealed
	if cp.resealing && (st.vkSHA != m.Seal.VerifyingKeySHA256 || st.pkSHA != m.Seal.ProvingKeySHA256) {
		// The earlier seal, from a seal state, recorded keys this
		// transcript does not yield: record the ones it yields.
		resealed = &SealResealed{VerifyingKeySHA256: m.Seal.VerifyingKeySHA256, ProvingKeySHA256: m.Seal.ProvingKeySHA256}
		source = m.Seal.BeaconSource
		m.Seal = nil
	}
	if m.Seal == nil {
		m.Seal = &SealInfo{Beacon: hex.EncodeToString(beacon), BeaconSource: source, SealedAt: now(),
			VerifyingKeySHA256: st.vkSHA, ProvingKeySHA256: st.pkSHA, ProvingKeyBytes: st.pkBytes, FromSealState: opt.SealState != ""}
		if err := updateManifest(dir, data, m); err != nil {
			if errors.Is(err, errChanged) {
				return nil, stateErr("the manifest of %s changed during the seal; run it again", dir)
			}
			return nil, err
		}
		if st.data, err = m.encode(); err != nil {
			return nil, err
		}
		st.m = m
	}
	rep := st.report()
	meta, smeta, err := writeKeys(spec, keysOut, st, map[string]string{"sha256": rep.ManifestSHA256}, opt.Progress)
	if err != nil {
		return nil, err
	}
	return &SealResult{Report: rep, Meta: meta, ShardMeta: smeta, Resealed: resealed}, nil
}

// errChanged: the manifest is no longer the one a step read.
var errChanged = errors.New("the manifest changed")

// manifestLockWait bounds how long a step waits for another step's
// manifest update (a read, a compare and a rename) to finish.
const manifestLockWait = 30 * time.Second

// updateManifest replaces dir's manifest with m if it still holds old, the
// bytes the step read: under the directory's lock, so that two steps that
// read the same manifest cannot both replace it (compare-and-swap). When it
// changed, the error wraps errChanged.
func updateManifest(dir string, old []byte, m *Manifest) error {
	unlock, err := dirlock.Lock(dir, manifestLockWait)
	if err != nil {
		return err
	}
	defer unlock()
	cur, err := safefile.ReadFile(filepath.Join(dir, ManifestFile), MaxManifestBytes, "ceremony manifest")
	if err != nil {
		return err
	}
	if !bytes.Equal(cur, old) {
		return fmt.Errorf("%w: %s changed during this step (a contribution was added?); run it again", errChanged, dir)
	}
	if testHookLocked != nil {
		testHookLocked()
	}
	_, err = writeManifest(dir, m)
	return err
}

// testHookLocked, when set, runs while updateManifest holds the lock.
var testHookLocked func()

func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return stateErr("%s is not empty; a ceremony starts in a new directory", dir)
	}
	return nil
}

// copyFile hard-links src to dst, or copies it.
func copyFile(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, _, err := safefile.Open(src, -1, "ceremony file")
	if err != nil {
		return err
	}
	defer in.Close()
	return atomicfile.Write(dst, 0o644, func(f *os.File) error {
		_, err := io.Copy(f, in)
		return err
	})
}
