package ceremony

import (
	"encoding/hex"
	"fmt"
	"os"
	"sync"

	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
	cs "github.com/consensys/gnark/constraint/bn254"

	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/internal/progress"
)

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
	pkBytes    int64
	vkSHA      string
	csSHA      string
	csBytes    int64
}

func (s *state) report() *Report {
	return &Report{Dir: s.dir, Manifest: s.m, Stage: s.m.Stage(), ManifestSHA256: Digest(s.data), VerifyingKeySHA256: s.vkSHA, ProvingKeySHA256: s.pkSHA,
		ProvingKeyBytes: s.pkBytes, ConstraintSystemSHA256: s.csSHA}
}

type checkParams struct {
	spec        Target // nil: check phase 1 only
	closeBeacon []byte // close an open phase 1 with this beacon
	sealBeacon  []byte // seal an unsealed phase 2 with this beacon
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
	opt       Options
}

// check verifies the transcript m (read from dir, data its bytes).
func check(dir string, m *Manifest, data []byte, p checkParams) (*state, error) {
	pr := p.pr
	st := &state{dir: dir, m: m, data: data}
	if err := p.opt.checkLimits(m); err != nil {
		return nil, err
	}
	if p.spec != nil {
		if err := matchCircuit(p.spec, m); err != nil {
			return nil, err
		}
	}
	withPhase2 := p.spec != nil
	if withPhase2 {
		// The circuit first: it is what the transcript must be for, and
		// its size bounds the phase-2 files, checked before any is read.
		if err := compileFor(st, p); err != nil {
			return nil, err
		}
	}
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
	start, err := phase2Start(p.spec, st.r1cs, st.commons, st.commonsSHA, pr)
	if err != nil {
		return nil, err
	}
	st.evals, st.last = start.evals, start.initial
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
	m, r1cs := st.m, st.r1cs
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
	st.evals, st.last = &p.state.evals, initial
	return nil
}

// compileFor compiles p.spec's circuit into st.r1cs and checks it against
// the transcript: its number of constraints, the SHA-256 of its encoding
// (what the circuit id's description compiles to with this zkeval and
// gnark), and that the phase-2 initial state's recorded size fits it.
func compileFor(st *state, p checkParams) error {
	m := st.m
	r1cs, err := compile(p.spec, p.pr)
	if err != nil {
		return err
	}
	if r1cs.GetNbConstraints() != m.Circuit.Constraints {
		return invalid("the circuit compiles here to %d constraints, but the transcript records %d", r1cs.GetNbConstraints(), m.Circuit.Constraints)
	}
	done := p.pr.Start("hash the constraint system")
	sha, n, err := constraintSystemDigest(r1cs)
	if err != nil {
		return err
	}
	done(fmt.Sprintf("%d bytes", n))
	if sha != m.Circuit.ConstraintSystemSHA256 {
		return invalid("the circuit compiles here to a constraint system with SHA-256 %s, but the transcript records %s: the circuit description is the same, but the constraints are not (another zkeval or gnark compiled it, or the record was altered)", sha, m.Circuit.ConstraintSystemSHA256)
	}
	st.csSHA, st.csBytes = sha, n
	if m.Phase2 != nil {
		if max := maxPhase2Bytes(r1cs, m.Phase1.Size); m.Phase2.Initial.Bytes > max {
			return &ContributionError{Phase: 2, File: m.Phase2.Initial.File, Err: fmt.Errorf("the manifest records %d bytes, more than a phase-2 state of this circuit can have (%d): the phase-2 transcript belongs to another circuit, or the record was altered", m.Phase2.Initial.Bytes, max)}
		}
	}
	st.r1cs = r1cs
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
	if st.pkSHA, st.pkBytes, err = streamDigestN(st.pk.WriteRawTo); err != nil {
		return nil, err
	}
	done("")
	if m.Seal != nil && !p.resealing && (st.vkSHA != m.Seal.VerifyingKeySHA256 || st.pkSHA != m.Seal.ProvingKeySHA256 || st.pkBytes != m.Seal.ProvingKeyBytes) {
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
func matchCircuit(spec Target, m *Manifest) error {
	id := spec.ID()
	if hex.EncodeToString(id[:]) == m.Circuit.ID {
		return nil
	}
	if _, ok := spec.(*circuits.Spec); ok && m.Circuit.Public != nil {
		return invalid("the transcript is for circuit %s, but the model, benchmark and claim shape given make circuit %x: %s", m.Circuit.ID, id, mismatch(spec, m))
	}
	return invalid("the transcript is for %s %s, but the description given makes %s %x: %s", m.Circuit.Kind(), m.Circuit.ID, what(spec), id, mismatch(spec, m))
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
		f, isIO, err := openState(dir, r)
		if err != nil {
			return &ContributionError{Phase: 2, File: r.File, Err: err, io: isIO}
		}
		sha, err := digestOf(f)
		f.Close()
		if err != nil {
			return &ContributionError{Phase: 2, File: r.File, Err: err, io: true}
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
		// The file is opened only if it is a regular file of the size
		// the manifest records; then its challenge and update proofs are
		// read, and it is hashed, from the same open file.
		f, isIO, err := openState(dir, ref(c))
		if err != nil {
			return wrapContrib(c, isIO, err)
		}
		ch, chErr := challengeOf(f, c.Bytes)
		trivialErr := checkUpdateProofs(f, c.Bytes, c.Phase)
		sha, err := digestOf(f)
		f.Close()
		if err != nil {
			return wrapContrib(c, true, err)
		}
		if sha != c.SHA256 {
			return contribErr(c, &errDigest{got: sha, want: c.SHA256})
		}
		if chErr != nil {
			return contribErr(c, chErr)
		}
		if trivialErr != nil {
			return contribErr(c, trivialErr)
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
	if len(shas) == 0 {
		if beacon != nil {
			return nil, "", stateErr("phase 1 has no contribution to close")
		}
		// No file whose presence would justify building a state of size
		// n: its digest is streamed instead.
		done := pr.Start(fmt.Sprintf("phase 1: hash the empty state of size %d", n))
		sha, err := emptyPhase1SHA256(n)
		if err != nil {
			return nil, "", err
		}
		done("")
		if sha != m.Phase1.InitialSHA256 {
			return nil, "", invalid("phase1.initialSha256 %s is not the empty phase-1 state of size %d (%s)", m.Phase1.InitialSHA256, n, sha)
		}
		return nil, "", nil
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
func phase2Start(spec Target, r1cs *cs.R1CS, commons *mpcsetup.SrsCommons, commonsSHA string, pr *progress.Reporter) (*start, error) {
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

func compile(spec Target, pr *progress.Reporter) (*cs.R1CS, error) {
	done := pr.Start("compile the " + what(spec))
	ccs, err := compileTarget(spec)
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
