package ceremony

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"slices"
	"strings"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
	"github.com/consensys/gnark/constraint"
	cs "github.com/consensys/gnark/constraint/bn254"

	"github.com/zkeval/zkeval/internal/atomicfile"
	"github.com/zkeval/zkeval/internal/progress"
	"github.com/zkeval/zkeval/internal/safefile"
)

// SealStateFormat names the format of a seal-state file.
const SealStateFormat = "zkeval-ceremony-seal-state/v2"

// A seal state is what Seal needs beyond the transcript's files, kept by the
// party that ran StartPhase2 so that Seal need not verify phase 1 again nor
// rerun gnark's Phase2.Initialize, the slow step (about an hour of CPU for a
// circuit of 2^20 constraints; see bench/ceremony-results.md):
//
//   - the circuit's phase-2 evaluations (gnark Phase2Evaluations: the
//     constraint polynomials of every wire at τ in G1 and G2, the
//     public-input and commitment bases);
//   - the three phase-1 values the keys take from the SRS commons ([α]₁,
//     [β]₁, [β]₂) and the phase-1 size N.
//
// It is a local file, not part of the transcript, and Seal trusts it: it is
// bound to the circuit id, the phase-1 result and the phase-2 initial state
// that the manifest records, and checked against its own trailing SHA-256
// (which finds a damaged file, not a forged one). Keys sealed from a forged
// state differ from those the transcript yields, so `ceremony verify`, which
// recomputes everything from the transcript and compares the sealed keys'
// digests, rejects them; run it after sealing.
//
// The header binds the state to everything of the transcript it was made
// from that Seal does not check again: the circuit id, the phase-1 size,
// every phase-1 contribution, the phase-1 beacon and result, and the
// phase-2 initial state; and to the gnark version.
//
// Layout: the line "zkeval-ceremony-seal-state/v2\n"; a big-endian uint32
// length and that many bytes of JSON header (sealStateHeader); the points
// below in gnark-crypto's BN254 encoding, uncompressed (each slice after its
// uint32 length); the SHA-256 of all the bytes before it.
//
//	[α]₁, [β]₁ (G1), [β]₂ (G2)
//	A, B (G1, one per wire), B (G2, one per wire), VKK (G1)
//
// The rest of gnark's Phase2Evaluations is not stored: the commitment bases
// CKK equal the SigmaCKK of the transcript's initial state (σ = 1 there), and
// the committed-wire indices follow from the compiled circuit.
type sealStateHeader struct {
	// Gnark is the gnark version whose Phase2.Initialize made the state and
	// whose Phase2.Seal reads it (GnarkVersion); a state of another version
	// is refused.
	Gnark               string   `json:"gnark"`
	CircuitID           string   `json:"circuitId"`
	Phase1Size          uint64   `json:"phase1Size"`
	Phase1Contributions []string `json:"phase1Contributions"` // SHA-256 of each, in order
	Phase1Beacon        string   `json:"phase1Beacon"`
	Phase1ResultSHA256  string   `json:"phase1ResultSha256"`
	Phase2InitialSHA256 string   `json:"phase2InitialSha256"`
}

// GnarkVersion is the version of gnark this package is built and tested
// with (go.mod pins it; a test checks the two agree).
const GnarkVersion = "v0.16.1"

// sealState is a decoded seal-state file.
type sealState struct {
	header sealStateHeader
	alpha1 curve.G1Affine
	beta1  curve.G1Affine
	beta2  curve.G2Affine
	evals  mpcsetup.Phase2Evaluations
}

// commons returns SRS commons holding what gnark's Phase2.Seal reads from
// them in gnark v0.16.1 ([α]₁ = AlphaTau[0], [β]₁ = BetaTau[0], [β]₂, and N
// as len(AlphaTau)); the other powers are left zero. TestSealWithState
// checks that the keys equal those sealed from the full commons.
func (s *sealState) commons() *mpcsetup.SrsCommons {
	c := new(mpcsetup.SrsCommons)
	c.G1.AlphaTau = make([]curve.G1Affine, s.header.Phase1Size)
	c.G1.AlphaTau[0] = s.alpha1
	c.G1.BetaTau = []curve.G1Affine{s.beta1}
	c.G2.Beta = s.beta2
	return c
}

// saveSealState writes the seal state of transcript m (phase 2 just
// opened, from commons and evals) to path, reporting progress on pr.
func saveSealState(path string, m *Manifest, commons *mpcsetup.SrsCommons, ev *mpcsetup.Phase2Evaluations, pr *progress.Reporter) error {
	h, err := sealStateFor(m)
	if err != nil {
		return err
	}
	done := pr.Start("write the seal state to " + path)
	if err := writeSealState(path, h, commons, ev); err != nil {
		return fmt.Errorf("seal state %s: %w", path, err)
	}
	done("")
	return nil
}

// writeSealState writes the seal state of a phase-2 start to path
// atomically: nothing is left at path when it fails.
func writeSealState(path string, h sealStateHeader, commons *mpcsetup.SrsCommons, ev *mpcsetup.Phase2Evaluations) error {
	hdr, err := json.Marshal(h)
	if err != nil {
		return err
	}
	p, err := atomicfile.Prepare(path, 0o600, func(f *os.File) error {
		sum := sha256.New()
		bw := bufio.NewWriterSize(io.MultiWriter(f, sum), 1<<20)
		if _, err := io.WriteString(bw, SealStateFormat+"\n"); err != nil {
			return err
		}
		if err := binary.Write(bw, binary.BigEndian, uint32(len(hdr))); err != nil {
			return err
		}
		if _, err := bw.Write(hdr); err != nil {
			return err
		}
		enc := curve.NewEncoder(bw, curve.RawEncoding())
		for _, v := range []any{&commons.G1.AlphaTau[0], &commons.G1.BetaTau[0], &commons.G2.Beta, ev.G1.A, ev.G1.B, ev.G2.B, ev.G1.VKK} {
			if err := enc.Encode(v); err != nil {
				return err
			}
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		_, err := f.Write(sum.Sum(nil))
		return err
	})
	if err != nil {
		return err
	}
	// Only a new file: nothing is ever replaced.
	if err := p.CommitNew(); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s already exists; remove it or choose another name", path)
		}
		return err
	}
	return nil
}

func notSealState(path string) error {
	return fmt.Errorf("%s is not a seal-state file (%s): give the file that phase 2 wrote with --save-seal-state, or seal without --seal-state", path, SealStateFormat)
}

// readSealState reads a seal-state file and checks its SHA-256 trailer,
// that its header is want, and that every point is on its curve and in its
// prime-order subgroup.
func readSealState(path string, want sealStateHeader) (*sealState, error) {
	// A FIFO or device would block or never end: only a regular file (or
	// a link to one: the path is the user's), of bounded size.
	f, size, err := safefile.OpenFollow(path, DefaultMaxStateBytes, "seal-state file")
	if errors.Is(err, safefile.ErrNotRegular) {
		return nil, notSealState(path)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if size < int64(len(SealStateFormat))+1+4+sha256.Size {
		return nil, fmt.Errorf("seal state %s: %d bytes, too short to be a seal-state file: seal without --seal-state", path, size)
	}
	magic := make([]byte, len(SealStateFormat)+1)
	if _, err := io.ReadFull(f, magic); err != nil || string(magic) != SealStateFormat+"\n" {
		if strings.HasPrefix(string(magic), "zkeval-ceremony-seal-state/") {
			return nil, fmt.Errorf("seal state %s is in another format than this zkeval's (%s): seal without --seal-state", path, SealStateFormat)
		}
		return nil, notSealState(path)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	// First pass: the trailer, so that a damaged file never reaches the
	// decoder.
	h := sha256.New()
	if _, err := io.Copy(h, bufio.NewReaderSize(io.LimitReader(f, size-sha256.Size), 1<<20)); err != nil {
		return nil, fmt.Errorf("seal state %s: %w", path, err)
	}
	trailer := make([]byte, sha256.Size)
	if _, err := io.ReadFull(f, trailer); err != nil {
		return nil, fmt.Errorf("seal state %s: %w", path, err)
	}
	if !bytes.Equal(trailer, h.Sum(nil)) {
		return nil, fmt.Errorf("seal state %s is damaged (its SHA-256 trailer does not match its contents): seal without --seal-state", path)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	r := bufio.NewReaderSize(io.LimitReader(f, size-sha256.Size), 1<<20)
	line, err := r.ReadString('\n')
	if err != nil || line != SealStateFormat+"\n" {
		return nil, notSealState(path)
	}
	damaged := func(what string, err error) error {
		return fmt.Errorf("seal state %s: %s: %v; the file is damaged or not made by this zkeval: seal without --seal-state", path, what, err)
	}
	var n uint32
	if err := binary.Read(r, binary.BigEndian, &n); err != nil || int64(n) > size {
		return nil, damaged("header", errors.New("bad length"))
	}
	hdr := make([]byte, n)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, damaged("header", err)
	}
	s := new(sealState)
	dec := json.NewDecoder(bytes.NewReader(hdr))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s.header); err != nil {
		return nil, damaged("header", err)
	}
	if dec.More() {
		return nil, damaged("header", errors.New("bytes after the JSON header"))
	}
	if s.header.Gnark == "" {
		return nil, fmt.Errorf("seal state %s is in another format than this zkeval's (its header names no gnark version): seal without --seal-state", path)
	}
	if s.header.Gnark != want.Gnark {
		return nil, fmt.Errorf("seal state %s was made with gnark %s; this zkeval uses gnark %s, whose keys may differ: seal without --seal-state", path, s.header.Gnark, want.Gnark)
	}
	if d := headerDiff(s.header, want); d != "" {
		return nil, fmt.Errorf("seal state %s was made for another transcript than this one: %s. Give the state saved when this transcript's phase 2 opened, or seal without --seal-state (if the transcript itself was altered, ceremony verify names the altered file)", path, d)
	}
	// Points are decoded without gnark-crypto's subgroup checks, which
	// also skip the curve equation; the loops below check that every point
	// is on its curve (for G1 of BN254 that is the subgroup too) and that
	// every G2 point is in the subgroup.
	cd := curve.NewDecoder(r, curve.NoSubgroupChecks())
	// Every slice's declared length is checked against the bytes left
	// before gnark's decoder allocates it, so that a bad length is an
	// error, not an allocation of gigabytes.
	body := size - sha256.Size - int64(len(line)) - 4 - int64(n)
	const g1, g2 = curve.SizeOfG1AffineUncompressed, curve.SizeOfG2AffineUncompressed
	ev := &s.evals
	for _, d := range []struct {
		what string
		v    any
		elem int64
	}{{"[α]₁", &s.alpha1, 0}, {"[β]₁", &s.beta1, 0}, {"[β]₂", &s.beta2, 0}, {"A", &ev.G1.A, g1}, {"B in G1", &ev.G1.B, g1}, {"B in G2", &ev.G2.B, g2}, {"VKK", &ev.G1.VKK, g1}} {
		if d.elem > 0 {
			b, err := r.Peek(4)
			if err != nil {
				return nil, damaged(d.what, err)
			}
			l, left := int64(binary.BigEndian.Uint32(b)), body-cd.BytesRead()-4
			if l*d.elem > left {
				return nil, damaged(d.what, fmt.Errorf("a slice of %d points does not fit in the %d bytes left", l, left))
			}
		}
		if err := cd.Decode(d.v); err != nil {
			return nil, damaged(d.what, err)
		}
	}
	if rest, _ := io.Copy(io.Discard, r); rest != 0 {
		return nil, damaged("end", fmt.Errorf("%d bytes after the encoded state", rest))
	}
	if len(ev.G1.B) != len(ev.G1.A) || len(ev.G2.B) != len(ev.G1.A) {
		return nil, damaged("lengths", fmt.Errorf("%d, %d and %d wires in A, B (G1) and B (G2)", len(ev.G1.A), len(ev.G1.B), len(ev.G2.B)))
	}
	g1s := append([]curve.G1Affine{s.alpha1, s.beta1}, ev.G1.VKK...)
	for _, set := range [][]curve.G1Affine{g1s, ev.G1.A, ev.G1.B} {
		for i := range set {
			if !set[i].IsOnCurve() {
				return nil, damaged("points", errors.New("a G1 point is not on the curve"))
			}
		}
	}
	for _, set := range [][]curve.G2Affine{{s.beta2}, ev.G2.B} {
		for i := range set {
			if !set[i].IsOnCurve() {
				return nil, damaged("points", errors.New("a G2 point is not on the curve"))
			}
		}
	}
	// On the curve is not enough in G2, whose cofactor is large: a point
	// outside the prime-order subgroup would give keys outside it. The
	// check is gnark-crypto's, as gnark's key decoder runs it: batched, with
	// an error probability below 2^-64.
	if !curve.IsInSubGroupBatchG2(append([]curve.G2Affine{s.beta2}, ev.G2.B...)) {
		return nil, damaged("points", errors.New("a G2 point is not in the prime-order subgroup"))
	}
	return s, nil
}

// completeEvals fills in the parts of the phase-2 evaluations a seal state
// does not store, from the compiled circuit and the transcript's initial
// phase-2 state, and checks the stored parts' lengths against the circuit.
func (s *sealState) completeEvals(path string, r1cs *cs.R1CS, initial *mpcsetup.Phase2) error {
	nbInternal, nbSecret, nbPublic := r1cs.GetNbVariables()
	wires := nbInternal + nbSecret + nbPublic
	commitments, ok := r1cs.CommitmentInfo.(constraint.Groth16Commitments)
	if !ok {
		return fmt.Errorf("the circuit's commitment information is not Groth16's")
	}
	ev := &s.evals
	if len(ev.G1.A) != wires || len(ev.G1.VKK) != nbPublic+len(commitments) || len(initial.Parameters.G1.SigmaCKK) != len(commitments) {
		return fmt.Errorf("seal state %s does not fit the circuit (%d wires and %d public-input bases in the state, %d and %d in the circuit): it is damaged or not made by this zkeval; seal without --seal-state",
			path, len(ev.G1.A), len(ev.G1.VKK), wires, nbPublic+len(commitments))
	}
	ev.PublicAndCommitmentCommitted = commitments.GetPublicAndCommitmentCommitted(commitments.CommitmentIndexes(), nbPublic)
	ev.G1.CKK = make([][]curve.G1Affine, len(commitments))
	for i := range commitments {
		ev.G1.CKK[i] = slices.Clone(initial.Parameters.G1.SigmaCKK[i])
	}
	return nil
}

// sealStateFor returns the header a seal state of transcript m must carry.
func sealStateFor(m *Manifest) (sealStateHeader, error) {
	if m.Phase2 == nil || m.Phase1.ResultSHA256 == "" {
		return sealStateHeader{}, errors.New("phase 2 is not open")
	}
	h := sealStateHeader{Gnark: GnarkVersion, CircuitID: m.Circuit.ID, Phase1Size: m.Phase1.Size, Phase1Contributions: []string{},
		Phase1Beacon: m.Phase1.Beacon, Phase1ResultSHA256: m.Phase1.ResultSHA256, Phase2InitialSHA256: m.Phase2.Initial.SHA256}
	for _, c := range m.Contributions {
		if c.Phase == 1 {
			h.Phase1Contributions = append(h.Phase1Contributions, c.SHA256)
		}
	}
	if len(h.Phase1Contributions) == 0 {
		return sealStateHeader{}, errors.New("phase 1 has no contribution")
	}
	return h, nil
}

// headerDiff names the first field in which a seal state's header differs
// from the transcript's, or returns "".
func headerDiff(got, want sealStateHeader) string {
	type field struct {
		name      string
		got, want any
	}
	for _, f := range []field{
		{"circuit id", got.CircuitID, want.CircuitID},
		{"phase-1 size", got.Phase1Size, want.Phase1Size},
		{"number of phase-1 contributions", len(got.Phase1Contributions), len(want.Phase1Contributions)},
	} {
		if f.got != f.want {
			return fmt.Sprintf("its %s is %v, the transcript's %v", f.name, f.got, f.want)
		}
	}
	for i := range got.Phase1Contributions {
		if got.Phase1Contributions[i] != want.Phase1Contributions[i] {
			return fmt.Sprintf("its phase-1 contribution %d has SHA-256 %s, the transcript's %s", i+1, got.Phase1Contributions[i], want.Phase1Contributions[i])
		}
	}
	for _, f := range []field{
		{"phase-1 beacon", got.Phase1Beacon, want.Phase1Beacon},
		{"phase-1 result SHA-256", got.Phase1ResultSHA256, want.Phase1ResultSHA256},
		{"phase-2 initial state SHA-256", got.Phase2InitialSHA256, want.Phase2InitialSHA256},
	} {
		if f.got != f.want {
			return fmt.Sprintf("its %s is %v, the transcript's %v", f.name, f.got, f.want)
		}
	}
	if !reflect.DeepEqual(got, want) {
		return "their headers differ"
	}
	return ""
}
