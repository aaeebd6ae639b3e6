// Package ceremony makes the Groth16 keys of an evaluation circuit with a
// multi-party ceremony, keeps its transcript, and checks it.
//
// # Why
//
// A Groth16 key pair (Groth 2016, "On the Size of Pairing-based
// Non-interactive Arguments", https://eprint.iacr.org/2016/260) is derived
// from secret values (τ, α, β, δ, and σ for the circuit's Pedersen
// commitment). Whoever knows them can forge proofs. The ceremony of Bowe,
// Gabizon and Miers 2017 ("Scalable Multi-party Computation for zk-SNARK
// Parameters in the Random Beacon Model", https://eprint.iacr.org/2017/1050)
// splits them among participants: each contribution multiplies the secrets
// by fresh random values and proves knowledge of them, and the keys are
// sound as long as one participant of phase 1 and one of phase 2 destroyed
// their randomness. Every cryptographic step is gnark's
// backend/groth16/bn254/mpcsetup (Phase1, Phase2, their Contribute, Verify,
// Initialize and Seal), which supports circuits with a commitment (api.Commit,
// used by the range checks and the Freivalds checks); this package adds the
// transcript, its files and the checks that name a failing contribution.
//
// # Steps
//
//  1. Init compiles the circuit and opens phase 1 ("powers of tau") of size
//     N, the least power of two at least the number of constraints; or it
//     reuses the closed phase 1 of another ceremony of size at least that.
//  2. Contribute, once per participant, in turn, on the latest state.
//  3. StartPhase2 closes phase 1 with a public random beacon and derives the
//     circuit-specific phase-2 initial state (gnark Phase2.Initialize).
//  4. Contribute again, once per participant, to phase 2.
//  5. Seal applies a second beacon and writes a keys directory (package
//     keys) with setup kind "ceremony" and the transcript digest; attestations
//     made with those keys record both.
//
// Verify checks a transcript at any stage. A beacon is public randomness
// that nobody can know before the last contribution of its phase, fixed in
// advance (for instance "the drand round after 2026-06-01T12:00Z"); its
// source is recorded with it.
//
// # Directory
//
//	ceremony.json               the manifest (Manifest)
//	phase1-NNNN-XXXXXXXXXXXX.bin  phase-1 contribution NNNN (gnark Phase1.WriteTo), 192·N + 265 bytes
//	phase2-0000-XXXXXXXXXXXX.bin  the phase-2 initial state (gnark Phase2.WriteTo)
//	phase2-NNNN-XXXXXXXXXXXX.bin  phase-2 contribution NNNN
//
// XXXXXXXXXXXX is the first 12 hex digits of the file's SHA-256. The SHA-256
// of a state file is also gnark's hash of the state, and the next
// contribution embeds it as its challenge: the files form a hash chain that
// the manifest records (sha256, previousSha256). A participant publishes the
// SHA-256 of their contribution and finds it in Verify's list.
//
// # Transcript digest
//
// The transcript digest is the SHA-256 of the bytes of ceremony.json as Seal
// writes it (`sha256sum DIR/ceremony.json`). The sealed manifest holds the
// circuit id and public description, the phase-1 size and initial-state
// digest, the phase-1 beacon and result digest, the phase-2 initial-state
// digest, every contribution (participant, phase, file, SHA-256, size,
// previous SHA-256, time), the seal beacon and the SHA-256 of the sealed
// verifying and proving keys; the digest therefore fixes every file of the
// transcript, both beacons and the keys.
//
// # Checking
//
// Verify needs the circuit, which it recompiles (keys.Compile) from the
// benchmark and the model's public shape and accumulator widths; the model's
// weights play no part (SpecFromPublic takes shape and widths from the
// transcript's published description). It first checks the manifest, then
// the size and SHA-256 of every file and the chain of challenges (which
// finds a contribution computed on a stale or foreign state), then runs
// gnark's checks one contribution at a time, in order: Phase1.Verify,
// Phase1.Seal with the phase-1 beacon (which must give the recorded result),
// Phase2.Initialize from the recompiled circuit (which must give the recorded
// initial state: a transcript of another circuit fails here), Phase2.Verify,
// and Phase2.Seal with the seal beacon (which must give the recorded keys).
// This is the loop of gnark's VerifyPhase1 and VerifyPhase2, run step by step
// so that an error names its contribution and only two states are in memory.
//
// # Cost
//
// Phase-1 files take 192·N bytes each. gnark's Phase2.Initialize, run by
// StartPhase2, Verify and Seal, converts the phase-1 powers to Lagrange form
// with group FFTs, O(N log N) scalar multiplications, and dominates their
// time. The party that runs StartPhase2 can keep its result in a local seal
// state (Phase2Options.SaveSealState) and seal from it (SealOptions): Seal
// then runs no Initialize and no phase-1 check. Verify always recomputes.
package ceremony

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
	cs "github.com/consensys/gnark/constraint/bn254"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/internal/atomicfile"
	"github.com/zkeval/zkeval/internal/progress"
	"github.com/zkeval/zkeval/keys"
)

// Options are common to the steps.
type Options struct {
	// Progress, when set, receives one line per long step.
	Progress *progress.Reporter
}

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
func Init(spec *circuits.Spec, dir string, opt InitOptions) (*Manifest, error) {
	pr := opt.Progress
	if err := checkSpec(spec); err != nil {
		return nil, err
	}
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
	id := spec.ID()
	m := &Manifest{Format: Format, Circuit: Circuit{ID: hex.EncodeToString(id[:]), Public: spec.Public(), Constraints: r1cs.GetNbConstraints()},
		Contributions: []Contribution{}}
	if opt.Phase1From == "" {
		m.Phase1.Size = ecc.NextPowerOfTwo(uint64(max(r1cs.GetNbConstraints(), 2)))
		if m.Phase1.Size > MaxPhase1Size {
			return nil, fmt.Errorf("the circuit has %d constraints; gnark's BN254 setup supports at most 2^28", r1cs.GetNbConstraints())
		}
		if m.Phase1.InitialSHA256, err = hashOf(mpcsetup.NewPhase1(m.Phase1.Size)); err != nil {
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
	if src.Phase1.ResultSHA256 == "" {
		return nil, stateErr("phase 1 of %s is still open; close it with a beacon (StartPhase2) before reusing it", opt.Phase1From)
	}
	if uint64(r1cs.GetNbConstraints()) > src.Phase1.Size {
		return nil, invalid("phase 1 of %s has size %d, but this circuit has %d constraints", opt.Phase1From, src.Phase1.Size, r1cs.GetNbConstraints())
	}
	st, err := check(opt.Phase1From, src, srcData, checkParams{pr: pr})
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
// update the state and prove knowledge of the update, and writes the new
// state and the manifest. The randomness lives only in gnark's Contribute
// and is not written anywhere. It returns the contribution, whose SHA256 the
// participant publishes.
//
// Participants contribute one at a time on the same directory. When the
// manifest changed while the contribution was computed (another participant
// contributed meanwhile), Contribute discards its file and returns an error
// wrapping ErrState: the contribution was computed on a stale state and must
// be made again.
func Contribute(dir, participant string, opt ContributeOptions) (*Contribution, error) {
	pr := opt.Progress
	if err := CheckName(participant); err != nil {
		return nil, err
	}
	m, data, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	// A contribution to a circuit whose description states bounds the
	// circuit cannot enforce would help seal keys for an unsound circuit.
	if err := m.Circuit.Public.Validate(); err != nil {
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
	cur, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil || !bytes.Equal(cur, data) {
		os.Remove(filepath.Join(dir, r.File))
		if err != nil {
			return nil, err
		}
		return nil, stateErr("the manifest of %s changed while the contribution was computed (another participant contributed); this contribution was computed on a stale state and was discarded: contribute again", dir)
	}
	m.Contributions = append(m.Contributions, c)
	if _, err := writeManifest(dir, m); err != nil {
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
func StartPhase2(spec *circuits.Spec, dir string, beacon []byte, source string, opt Phase2Options) (*Manifest, error) {
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
	st, err := check(dir, m, data, checkParams{spec: spec, closeBeacon: beacon, pr: opt.Progress})
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
	if err := rewriteManifest(dir, data, m); err != nil {
		os.Remove(filepath.Join(dir, ref.File))
		if opt.SaveSealState != "" {
			os.Remove(opt.SaveSealState)
		}
		return nil, err
	}
	return m, nil
}

// VerifyOptions tunes Verify.
type VerifyOptions struct {
	Options
	// Beacon, when set, must be the beacon the transcript was sealed with.
	Beacon []byte
	// KeysDir, when set, must hold the keys the transcript sealed, with
	// setup kind "ceremony" and the transcript digest.
	KeysDir string
}

// Report is a verified transcript.
type Report struct {
	Dir      string
	Manifest *Manifest
	Stage    Stage
	// ManifestSHA256 is the SHA-256 of ceremony.json: the transcript digest
	// once sealed.
	ManifestSHA256     string
	VerifyingKeySHA256 string // sealed transcripts only
	ProvingKeySHA256   string // sealed transcripts only
	KeysChecked        bool   // VerifyOptions.KeysDir was checked
	Elapsed            time.Duration
}

// TranscriptSHA256 returns the transcript digest, or "" before the seal.
func (r *Report) TranscriptSHA256() string {
	if r.Stage != StageSealed {
		return ""
	}
	return r.ManifestSHA256
}

// Verify checks the ceremony transcript in dir against the circuit of spec,
// at whatever stage it is (see the package documentation for the checks).
// It returns an error wrapping ErrInvalid when anything does not check; a
// failing contribution is reported as a *ContributionError naming its index,
// phase, participant and file.
func Verify(spec *circuits.Spec, dir string, opt VerifyOptions) (*Report, error) {
	t0 := time.Now()
	if err := checkSpec(spec); err != nil {
		return nil, err
	}
	m, data, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	if opt.Beacon != nil {
		if m.Seal == nil {
			return nil, invalid("the transcript is not sealed (%s), so it has no beacon to compare", m.Stage())
		}
		if got := hex.EncodeToString(opt.Beacon); got != m.Seal.Beacon {
			return nil, invalid("wrong beacon: the transcript was sealed with beacon %s, not with the beacon given, %s", m.Seal.Beacon, got)
		}
	}
	st, err := check(dir, m, data, checkParams{spec: spec, pr: opt.Progress})
	if err != nil {
		return nil, err
	}
	rep := st.report()
	if opt.KeysDir != "" {
		if err := checkKeys(opt.KeysDir, rep); err != nil {
			return nil, err
		}
		rep.KeysChecked = true
	}
	rep.Elapsed = time.Since(t0)
	return rep, nil
}

// SealResult is a sealed ceremony and its keys.
type SealResult struct {
	Report *Report
	Meta   *keys.Meta
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
func Seal(spec *circuits.Spec, dir string, beacon []byte, source, keysOut string, opt SealOptions) (*SealResult, error) {
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
	cp := checkParams{spec: spec, sealBeacon: beacon, pr: opt.Progress, statePath: opt.SealState}
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
			VerifyingKeySHA256: st.vkSHA, ProvingKeySHA256: st.pkSHA, FromSealState: opt.SealState != ""}
		if err := rewriteManifest(dir, data, m); err != nil {
			return nil, err
		}
		if st.data, err = os.ReadFile(filepath.Join(dir, ManifestFile)); err != nil {
			return nil, err
		}
		st.m = m
	}
	rep := st.report()
	meta, err := keys.Write(keysOut, spec, st.r1cs, st.pk, st.vk, keys.Ceremony, map[string]string{"sha256": rep.ManifestSHA256}, opt.Progress)
	if err != nil {
		return nil, err
	}
	if meta.Files[keys.VerifyingKeyFile] != st.vkSHA || meta.Files[keys.ProvingKeyFile] != st.pkSHA {
		return nil, fmt.Errorf("the keys written to %s do not have the digests the seal recorded", keysOut)
	}
	return &SealResult{Report: rep, Meta: meta, Resealed: resealed}, nil
}

// checkSpec validates a spec a ceremony step was given: its description,
// bounds included (desc.Public.Validate), and the benchmark against it.
// Errors wrap ErrInvalid.
func checkSpec(spec *circuits.Spec) error {
	if err := spec.Validate(); err != nil {
		return invalid("circuit description: %v", err)
	}
	return nil
}

// SpecFromPublic rebuilds a circuit spec from a published circuit
// description (a transcript's or an attestation's) and the benchmark, whose
// digest and size must be the ones the description names. The model's
// weights are not needed: the circuit depends only on its public shape and
// accumulator widths. Errors wrap ErrInvalid.
func SpecFromPublic(pub circuits.Public, b *benchmark.Benchmark) (*circuits.Spec, error) {
	if pub.Version != circuits.Version {
		return nil, invalid("circuit version %q; this zkeval builds %q", pub.Version, circuits.Version)
	}
	d, err := b.Digest()
	if err != nil {
		return nil, err
	}
	if hex.EncodeToString(d[:]) != pub.BenchmarkDigest {
		return nil, invalid("the benchmark given (%s) has SHA-256 %x, but the circuit evaluates benchmark %s: another benchmark", b.String(), d, pub.BenchmarkDigest)
	}
	spec := &circuits.Spec{Bench: b, Digest: d}
	copyPublic(spec, pub)
	if err := spec.Validate(); err != nil {
		return nil, invalid("%v", err)
	}
	if got, want := spec.ID(), pub.ID(); got != want {
		return nil, invalid("the circuit description does not rebuild to itself (id %x, want %x)", got, want)
	}
	return spec, nil
}

// copyPublic sets every field of spec that Public has under the same name
// and type (the model shape, accumulator widths, gadget choices and claim
// shape): Spec.Public is this copy's inverse, which SpecFromPublic checks
// through the circuit id.
func copyPublic(spec *circuits.Spec, pub circuits.Public) {
	dst, src := reflect.ValueOf(spec).Elem(), reflect.ValueOf(pub)
	for i := 0; i < dst.NumField(); i++ {
		f := dst.Type().Field(i)
		if v := src.FieldByName(f.Name); v.IsValid() && v.Type().AssignableTo(f.Type) && f.IsExported() {
			dst.Field(i).Set(v)
		}
	}
}

// CheckKeyProvenance checks that vkData, the verifying key of an attestation
// whose circuit is pub and whose setup record is setup, was sealed by the
// ceremony transcript in dir: the transcript verifies for that circuit
// (recompiled from pub and the benchmark b), its sealed verifying key is
// vkData, and its digest is the one the attestation records. Errors wrap
// ErrInvalid.
func CheckKeyProvenance(dir string, pub circuits.Public, b *benchmark.Benchmark, setup attestation.SetupInfo, vkData []byte, opt Options) (*Report, error) {
	if setup.Kind != keys.Ceremony {
		return nil, invalid("the attestation records setup kind %q, so it names no ceremony transcript", setup.Kind)
	}
	want := setup.Transcript["sha256"]
	if want == "" {
		return nil, invalid("the attestation records a ceremony but no transcript digest")
	}
	spec, err := SpecFromPublic(pub, b)
	if err != nil {
		return nil, err
	}
	rep, err := Verify(spec, dir, VerifyOptions{Options: opt})
	if err != nil {
		return nil, err
	}
	if rep.Stage != StageSealed {
		return nil, invalid("the transcript in %s is not sealed (%s)", dir, rep.Stage)
	}
	if got := keys.Digest(vkData); got != rep.VerifyingKeySHA256 {
		return nil, invalid("the verifying key given has SHA-256 %s, but the ceremony in %s sealed verifying key %s", got, dir, rep.VerifyingKeySHA256)
	}
	if want != rep.ManifestSHA256 {
		return nil, invalid("the attestation names transcript %s, but %s has SHA-256 %s", want, filepath.Join(dir, ManifestFile), rep.ManifestSHA256)
	}
	return rep, nil
}

// checkKeys compares a keys directory with a sealed report.
func checkKeys(dir string, rep *Report) error {
	if rep.Stage != StageSealed {
		return invalid("the transcript is not sealed (%s); it has no keys to compare", rep.Stage)
	}
	meta, err := keys.ReadMeta(dir)
	if err != nil {
		return err
	}
	switch {
	case meta.CircuitID != rep.Manifest.Circuit.ID:
		return invalid("keys %s are for circuit %s, the transcript for %s", dir, meta.CircuitID, rep.Manifest.Circuit.ID)
	case meta.SetupKind != keys.Ceremony:
		return invalid("keys %s record setup kind %q", dir, meta.SetupKind)
	case meta.Transcript["sha256"] != rep.ManifestSHA256:
		return invalid("keys %s name transcript %s, but the transcript's digest is %s", dir, meta.Transcript["sha256"], rep.ManifestSHA256)
	}
	for name, want := range map[string]string{keys.VerifyingKeyFile: rep.VerifyingKeySHA256, keys.ProvingKeyFile: rep.ProvingKeySHA256} {
		got, _, err := fileDigest(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if got != want {
			return invalid("%s has SHA-256 %s, but the ceremony sealed %s", filepath.Join(dir, name), got, want)
		}
	}
	return nil
}

// state is what check establishes.
type state struct {
	dir        string
	m          *Manifest
	data       []byte
	commons    *mpcsetup.SrsCommons
	commonsSHA string
	r1cs       *cs.R1CS
	evals      *mpcsetup.Phase2Evaluations
	last       *mpcsetup.Phase2 // the last phase-2 state (the initial one when none)
	pk         groth16.ProvingKey
	vk         groth16.VerifyingKey
	pkSHA      string
	vkSHA      string
}

func (s *state) report() *Report {
	return &Report{Dir: s.dir, Manifest: s.m, Stage: s.m.Stage(), ManifestSHA256: Digest(s.data), VerifyingKeySHA256: s.vkSHA, ProvingKeySHA256: s.pkSHA}
}

type checkParams struct {
	spec        *circuits.Spec // nil: check phase 1 only
	closeBeacon []byte         // close an open phase 1 with this beacon
	sealBeacon  []byte         // seal an unsealed phase 2 with this beacon
	// state, when set (Seal only), replaces the phase-1 checks and
	// Phase2.Initialize: the commons and evaluations come from it, read
	// from statePath.
	state     *sealState
	statePath string
	// resealing: the transcript was sealed from a seal state and is sealed
	// again without one; the keys the transcript yields replace the
	// recorded ones when they differ.
	resealing bool
	pr        *progress.Reporter
}

// check verifies the transcript m (read from dir, data its bytes).
func check(dir string, m *Manifest, data []byte, p checkParams) (*state, error) {
	pr := p.pr
	st := &state{dir: dir, m: m, data: data}
	if p.spec != nil {
		if err := matchCircuit(p.spec, m); err != nil {
			return nil, err
		}
	}
	withPhase2 := p.spec != nil
	done := pr.Start("check files and digests")
	if err := prepass(dir, m, withPhase2); err != nil {
		return nil, err
	}
	done("")

	if p.state != nil {
		if err := startFromState(st, p); err != nil {
			return nil, err
		}
		return checkPhase2(st, p)
	}

	// Phase 1.
	beacon1 := p.closeBeacon
	if m.Phase1.ResultSHA256 != "" {
		beacon1, _ = ParseBeacon(m.Phase1.Beacon)
	}
	var err error
	if st.commons, st.commonsSHA, err = verifyPhase1(dir, m, beacon1, pr); err != nil {
		return nil, err
	}
	if m.Phase1.ResultSHA256 != "" && st.commonsSHA != m.Phase1.ResultSHA256 {
		return nil, invalid("closing phase 1 with the recorded beacon %s gives SRS commons with SHA-256 %s, but the transcript records %s: the phase-1 beacon or result was altered", m.Phase1.Beacon, st.commonsSHA, m.Phase1.ResultSHA256)
	}
	if !withPhase2 || st.commons == nil || (m.Phase2 == nil && p.closeBeacon == nil) {
		return st, nil
	}

	// Phase 2.
	start, err := phase2Start(p.spec, nil, st.commons, st.commonsSHA, pr)
	if err != nil {
		return nil, err
	}
	st.r1cs, st.evals, st.last = start.r1cs, start.evals, start.initial
	if start.r1cs.GetNbConstraints() != m.Circuit.Constraints {
		return nil, invalid("the circuit compiles here to %d constraints, but the transcript records %d", start.r1cs.GetNbConstraints(), m.Circuit.Constraints)
	}
	if m.Phase2 == nil {
		return st, nil // StartPhase2 writes the initial state
	}
	if start.sha != m.Phase2.Initial.SHA256 {
		return nil, &ContributionError{Phase: 2, File: m.Phase2.Initial.File, Err: fmt.Errorf("SHA-256 %s is not that of the initial state this circuit and phase 1 yield (%s): the phase-2 transcript belongs to another circuit or another phase 1", m.Phase2.Initial.SHA256, start.sha)}
	}
	return checkPhase2(st, p)
}

// startFromState sets st's circuit, commons, evaluations and initial
// phase-2 state from p.state and the transcript's initial-state file (whose
// digest prepass checked), instead of verifying phase 1 and rerunning
// Phase2.Initialize.
func startFromState(st *state, p checkParams) error {
	m := st.m
	r1cs, err := compile(p.spec, p.pr)
	if err != nil {
		return err
	}
	if r1cs.GetNbConstraints() != m.Circuit.Constraints {
		return invalid("the circuit compiles here to %d constraints, but the transcript records %d", r1cs.GetNbConstraints(), m.Circuit.Constraints)
	}
	initial := new(mpcsetup.Phase2)
	done := p.pr.Start("read the phase-2 initial state")
	if isIO, err := loadState(st.dir, m.Phase2.Initial, initial, nil); err != nil {
		return &ContributionError{Phase: 2, File: m.Phase2.Initial.File, Err: err, io: isIO}
	}
	done("")
	if err := p.state.completeEvals(p.statePath, r1cs, initial); err != nil {
		return err
	}
	st.commons, st.commonsSHA = p.state.commons(), m.Phase1.ResultSHA256
	st.r1cs, st.evals, st.last = r1cs, &p.state.evals, initial
	return nil
}

// checkPhase2 verifies the phase-2 contributions in order from st.last and,
// when a seal beacon is known, seals.
func checkPhase2(st *state, p checkParams) (*state, error) {
	m, dir, pr := st.m, st.dir, p.pr
	var err error
	shape := shapeOf(st.last)
	prev := st.last
	n2 := m.Count(2)
	k := 0
	for i := range m.Contributions {
		c := &m.Contributions[i]
		if c.Phase != 2 {
			continue
		}
		k++
		done := pr.Start(fmt.Sprintf("verify phase-2 contribution %d/%d (%s)", k, n2, c.Participant))
		next := new(mpcsetup.Phase2)
		isIO, err := loadState(dir, ref(c), next, func(f *os.File, size int64) error {
			got, ch, err := readPhase2Shape(f, size)
			if err != nil {
				return err
			}
			if !got.equal(shape) || ch != challengeSize {
				return fmt.Errorf("its layout (%s, %d-byte challenge) is not this circuit's (%s)", got, ch, shape)
			}
			return nil
		})
		if err != nil {
			return nil, wrapContrib(c, isIO, err)
		}
		if err := safely(func() error { return prev.Verify(next) }); err != nil {
			return nil, contribErr(c, fmt.Errorf("gnark rejects the contribution: %w", err))
		}
		prev = next
		done("")
	}
	st.last = prev

	// Seal.
	beacon2 := p.sealBeacon
	if m.Seal != nil {
		beacon2, _ = ParseBeacon(m.Seal.Beacon)
	}
	if beacon2 == nil {
		return st, nil
	}
	if n2 == 0 {
		return nil, stateErr("phase 2 has no contribution to seal")
	}
	done := pr.Start("seal phase 2 with the beacon")
	err = safely(func() error {
		st.pk, st.vk = prev.Seal(st.commons, st.evals, beacon2)
		return nil
	})
	if err != nil {
		return nil, invalid("seal: %v", err)
	}
	if st.vkSHA, err = streamDigest(st.vk.WriteTo); err != nil {
		return nil, err
	}
	if st.pkSHA, err = streamDigest(st.pk.WriteRawTo); err != nil {
		return nil, err
	}
	done("")
	if m.Seal != nil && !p.resealing && (st.vkSHA != m.Seal.VerifyingKeySHA256 || st.pkSHA != m.Seal.ProvingKeySHA256) {
		if p.state != nil {
			return nil, invalid("sealing with the seal state %s gives verifying key %s and proving key %s, but the transcript records %s and %s: that seal state is damaged or forged; seal without --seal-state",
				p.statePath, st.vkSHA, st.pkSHA, m.Seal.VerifyingKeySHA256, m.Seal.ProvingKeySHA256)
		}
		if m.Seal.FromSealState {
			return nil, invalid("sealing phase 2 with the recorded beacon %s gives verifying key %s and proving key %s, but the transcript records %s and %s; it was sealed from a seal state, which may have been damaged: whoever sealed it can seal it again without --seal-state, with the same beacon, to record the keys the transcript yields",
				m.Seal.Beacon, st.vkSHA, st.pkSHA, m.Seal.VerifyingKeySHA256, m.Seal.ProvingKeySHA256)
		}
		return nil, invalid("sealing phase 2 with the recorded beacon %s gives verifying key %s and proving key %s, but the transcript records %s and %s: the beacon or the sealed keys were altered",
			m.Seal.Beacon, st.vkSHA, st.pkSHA, m.Seal.VerifyingKeySHA256, m.Seal.ProvingKeySHA256)
	}
	return st, nil
}

// matchCircuit checks that the transcript is for spec's circuit.
func matchCircuit(spec *circuits.Spec, m *Manifest) error {
	id := spec.ID()
	if hex.EncodeToString(id[:]) == m.Circuit.ID {
		return nil
	}
	got, want := spec.Public(), m.Circuit.Public
	why := "another circuit"
	switch {
	case got.BenchmarkDigest != want.BenchmarkDigest:
		why = fmt.Sprintf("another benchmark: the transcript's circuit evaluates benchmark %s (%d samples), the one given is %s (%d samples)", want.BenchmarkDigest, want.Samples, got.BenchmarkDigest, got.Samples)
	case got.Shape.String() != want.Shape.String():
		why = fmt.Sprintf("another model shape: the transcript's is %s, the one given %s", want.Shape.String(), got.Shape.String())
	case fmt.Sprint(got.AccBits) != fmt.Sprint(want.AccBits):
		why = fmt.Sprintf("other accumulator widths: the transcript's are %v, the model given needs %v", want.AccBits, got.AccBits)
	case fmt.Sprint(got.Claims) != fmt.Sprint(want.Claims):
		why = fmt.Sprintf("other claims: the transcript's are %s, the ones given %s", claim.JoinShapes(want.Claims), claim.JoinShapes(got.Claims))
	case got.Version != want.Version:
		why = fmt.Sprintf("another circuit version: %s, this zkeval builds %s", want.Version, got.Version)
	}
	return invalid("the transcript is for circuit %s, but the model, benchmark and claim shape given make circuit %x: %s", m.Circuit.ID, id, why)
}

// prepass checks, without cryptography, the size and SHA-256 of every file
// and the chain of challenges; phase 2 only when withPhase2.
func prepass(dir string, m *Manifest, withPhase2 bool) error {
	type known struct{ sha, what string }
	var chain []known
	prev := known{m.Phase1.InitialSHA256, "the empty phase-1 state"}
	chain = append(chain, prev)
	phase := 1
	startPhase2 := func() error {
		r := m.Phase2.Initial
		sha, size, err := fileDigest(filepath.Join(dir, r.File))
		if err != nil {
			return &ContributionError{Phase: 2, File: r.File, Err: err, io: true}
		}
		if size != r.Bytes {
			return &ContributionError{Phase: 2, File: r.File, Err: fmt.Errorf("%d bytes, but the manifest records %d (truncated or altered)", size, r.Bytes)}
		}
		if sha != r.SHA256 {
			return &ContributionError{Phase: 2, File: r.File, Err: &errDigest{got: sha, want: r.SHA256}}
		}
		phase = 2
		prev = known{r.SHA256, "the phase-2 initial state"}
		chain = []known{prev}
		return nil
	}
	for i := range m.Contributions {
		c := &m.Contributions[i]
		if c.Phase == 2 && phase == 1 {
			if !withPhase2 {
				return nil
			}
			if err := startPhase2(); err != nil {
				return err
			}
		}
		want := phase1Size(m.Phase1.Size, true)
		if c.Phase == 2 {
			want = m.Phase2.Initial.Bytes + challengeSize
		}
		if c.Bytes != want {
			return contribErr(c, fmt.Errorf("the manifest records %d bytes, but a phase-%d contribution of this ceremony has %d", c.Bytes, c.Phase, want))
		}
		path := filepath.Join(dir, c.File)
		f, err := os.Open(path)
		if err != nil {
			return wrapContrib(c, true, err)
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return wrapContrib(c, true, err)
		}
		if fi.Size() != c.Bytes {
			f.Close()
			return contribErr(c, fmt.Errorf("%d bytes, but the manifest records %d (truncated or altered)", fi.Size(), c.Bytes))
		}
		ch, chErr := challengeOf(f, fi.Size())
		f.Close()
		sha, _, err := fileDigest(path)
		if err != nil {
			return wrapContrib(c, true, err)
		}
		if sha != c.SHA256 {
			return contribErr(c, &errDigest{got: sha, want: c.SHA256})
		}
		if chErr != nil {
			return contribErr(c, chErr)
		}
		if ch != prev.sha {
			for _, k := range chain[:len(chain)-1] {
				if k.sha == ch {
					return contribErr(c, fmt.Errorf("computed on a stale state: it extends %s (SHA-256 %s), not the latest state before it, %s (SHA-256 %s); two participants contributed on the same state and only the first one counts", k.what, k.sha, prev.what, prev.sha))
				}
			}
			return contribErr(c, fmt.Errorf("computed on a state that is not in this transcript (its challenge is %s, but the latest state before it, %s, has SHA-256 %s): an altered copy of that file, or another ceremony's", ch, prev.what, prev.sha))
		}
		if c.PreviousSHA256 != ch {
			return contribErr(c, fmt.Errorf("the manifest records previousSha256 %s, but the file extends %s", c.PreviousSHA256, ch))
		}
		prev = known{c.SHA256, fmt.Sprintf("contribution %d by %q", c.Index, c.Participant)}
		chain = append(chain, prev)
	}
	if withPhase2 && phase == 1 && m.Phase2 != nil {
		return startPhase2()
	}
	return nil
}

// verifyPhase1 runs gnark's phase-1 checks on every phase-1 contribution in
// order and, when beacon is set, closes phase 1 with it (gnark
// Phase1.Seal), returning the SRS commons and their SHA-256.
func verifyPhase1(dir string, m *Manifest, beacon []byte, pr *progress.Reporter) (*mpcsetup.SrsCommons, string, error) {
	n := m.Phase1.Size
	var shas []string
	for _, c := range m.Contributions {
		if c.Phase == 1 {
			shas = append(shas, c.SHA256)
		}
	}
	key := fmt.Sprintf("%d/%v/%x", n, shas, beacon)
	if beacon != nil {
		if v, ok := memo.get(key); ok {
			r := v.(*phase1Result)
			return r.commons, r.sha, nil
		}
	}
	done := pr.Start(fmt.Sprintf("phase 1: rebuild the empty state of size %d", n))
	prev := mpcsetup.NewPhase1(n)
	sha, err := hashOf(prev)
	if err != nil {
		return nil, "", err
	}
	if sha != m.Phase1.InitialSHA256 {
		return nil, "", invalid("phase1.initialSha256 %s is not the empty phase-1 state of size %d (%s)", m.Phase1.InitialSHA256, n, sha)
	}
	done("")
	k := 0
	for i := range m.Contributions {
		c := &m.Contributions[i]
		if c.Phase != 1 {
			break
		}
		k++
		done := pr.Start(fmt.Sprintf("verify phase-1 contribution %d/%d (%s)", k, len(shas), c.Participant))
		next := new(mpcsetup.Phase1)
		isIO, err := loadState(dir, ref(c), next, func(f *os.File, size int64) error { return checkPhase1Layout(f, size, n) })
		if err != nil {
			return nil, "", wrapContrib(c, isIO, err)
		}
		if err := safely(func() error { return prev.Verify(next) }); err != nil {
			return nil, "", contribErr(c, fmt.Errorf("gnark rejects the contribution: %w", err))
		}
		prev = next
		done("")
	}
	if beacon == nil {
		return nil, "", nil
	}
	if k == 0 {
		return nil, "", stateErr("phase 1 has no contribution to close")
	}
	done = pr.Start("close phase 1 with the beacon")
	var commons mpcsetup.SrsCommons
	if err := safely(func() error { commons = prev.Seal(beacon); return nil }); err != nil {
		return nil, "", invalid("phase-1 seal: %v", err)
	}
	if sha, err = hashOf(&commons); err != nil {
		return nil, "", err
	}
	done("")
	memo.put(key, &phase1Result{commons: &commons, sha: sha})
	return &commons, sha, nil
}

type phase1Result struct {
	commons *mpcsetup.SrsCommons
	sha     string
}

// start is a circuit's phase-2 starting point.
type start struct {
	r1cs    *cs.R1CS
	initial *mpcsetup.Phase2
	evals   *mpcsetup.Phase2Evaluations
	sha     string
}

// phase2Start compiles spec (unless r1cs is given) and runs gnark's
// Phase2.Initialize on the phase-1 result.
func phase2Start(spec *circuits.Spec, r1cs *cs.R1CS, commons *mpcsetup.SrsCommons, commonsSHA string, pr *progress.Reporter) (*start, error) {
	id := spec.ID()
	key := fmt.Sprintf("%x/%s", id, commonsSHA)
	if v, ok := memo.get(key); ok {
		return v.(*start), nil
	}
	var err error
	if r1cs == nil {
		if r1cs, err = compile(spec, pr); err != nil {
			return nil, err
		}
	}
	n := len(commons.G1.AlphaTau)
	if r1cs.GetNbConstraints() > n {
		return nil, invalid("phase 1 has size %d, but the circuit has %d constraints", n, r1cs.GetNbConstraints())
	}
	done := pr.Start(fmt.Sprintf("phase 2: initialise from the circuit (%d constraints) and phase 1 (gnark Phase2.Initialize)", r1cs.GetNbConstraints()))
	s := &start{r1cs: r1cs, initial: new(mpcsetup.Phase2)}
	err = safely(func() error {
		ev := s.initial.Initialize(r1cs, commons)
		s.evals = &ev
		return nil
	})
	if err != nil {
		return nil, invalid("phase-2 initialisation: %v", err)
	}
	if s.sha, err = hashOf(s.initial); err != nil {
		return nil, err
	}
	done("")
	memo.put(key, s)
	return s, nil
}

func compile(spec *circuits.Spec, pr *progress.Reporter) (*cs.R1CS, error) {
	done := pr.Start("compile the circuit")
	ccs, err := keys.Compile(spec)
	if err != nil {
		return nil, err
	}
	r, ok := ccs.(*cs.R1CS)
	if !ok {
		return nil, fmt.Errorf("compile: %T is not a BN254 R1CS", ccs)
	}
	done(fmt.Sprintf("%d constraints", r.GetNbConstraints()))
	return r, nil
}

// safely runs f, turning a panic in gnark into an error.
func safely(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	return f()
}

func ref(c *Contribution) FileRef { return FileRef{File: c.File, SHA256: c.SHA256, Bytes: c.Bytes} }

func wrapContrib(c *Contribution, isIO bool, err error) error {
	e := contribErr(c, err)
	e.io = isIO
	return e
}

// rewriteManifest writes m unless the manifest changed since it was read as
// old.
func rewriteManifest(dir string, old []byte, m *Manifest) error {
	cur, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return err
	}
	if !bytes.Equal(cur, old) {
		return stateErr("the manifest of %s changed during this step (a contribution was added?); run it again", dir)
	}
	_, err = writeManifest(dir, m)
	return err
}

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
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return atomicfile.Write(dst, 0o644, func(f *os.File) error {
		_, err := io.Copy(f, in)
		return err
	})
}

// memo caches, within a process, the two costly results that depend only on
// digests already checked: a closed phase 1 (keyed by its size, the SHA-256
// of every contribution and the beacon) and a phase-2 starting point (keyed
// by the circuit id and the phase-1 result's SHA-256). It is off unless
// enabled (tests enable it); the cached values are never modified.
var memo cache

type cache struct {
	mu sync.Mutex
	m  map[string]any
}

func (c *cache) get(key string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[key]
	return v, ok
}

func (c *cache) put(key string, v any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m != nil {
		c.m[key] = v
	}
}
