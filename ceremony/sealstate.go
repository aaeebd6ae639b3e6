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
	"os"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"

	"github.com/zkeval/zkeval/internal/atomicfile"
)

// SealStateFormat names the format of a seal-state file.
const SealStateFormat = "zkeval-ceremony-seal-state/v1"

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
// Layout: the line "zkeval-ceremony-seal-state/v1\n"; a big-endian uint32
// length and that many bytes of JSON header (sealStateHeader); the points and
// integers below in gnark-crypto's BN254 encoding, uncompressed; the SHA-256
// of all the bytes before it.
//
//	[α]₁, [β]₁ (G1), [β]₂ (G2)
//	A, B (G1, one per wire), B (G2, one per wire), VKK (G1)
//	number of commitments (uint64), then each commitment's basis CKK[i] (G1)
//	PublicAndCommitmentCommitted, flattened into one []uint64: the number
//	of rows, then each row's length and values
type sealStateHeader struct {
	CircuitID           string `json:"circuitId"`
	Phase1Size          uint64 `json:"phase1Size"`
	Phase1ResultSHA256  string `json:"phase1ResultSha256"`
	Phase2InitialSHA256 string `json:"phase2InitialSha256"`
}

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

// writeSealState writes the seal state of a phase-2 start to path
// atomically: nothing is left at path when it fails.
func writeSealState(path string, h sealStateHeader, commons *mpcsetup.SrsCommons, ev *mpcsetup.Phase2Evaluations) error {
	hdr, err := json.Marshal(h)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, 0o600, func(f *os.File) error {
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
		vals := []any{&commons.G1.AlphaTau[0], &commons.G1.BetaTau[0], &commons.G2.Beta,
			ev.G1.A, ev.G1.B, ev.G2.B, ev.G1.VKK, uint64(len(ev.G1.CKK))}
		for _, ckk := range ev.G1.CKK {
			vals = append(vals, ckk)
		}
		vals = append(vals, flatten(ev.PublicAndCommitmentCommitted))
		for _, v := range vals {
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
}

// readSealState reads a seal-state file and checks its SHA-256 trailer and
// that its header is want. Points are decoded without subgroup checks: the
// file is local and digest-checked.
func readSealState(path string, want sealStateHeader) (*sealState, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := fi.Size()
	if size < int64(len(SealStateFormat))+1+4+sha256.Size {
		return nil, fmt.Errorf("seal state %s: %d bytes, too short to be a seal-state file", path, size)
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
		return nil, fmt.Errorf("seal state %s is damaged (its SHA-256 trailer does not match its contents); seal without it", path)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	r := bufio.NewReaderSize(io.LimitReader(f, size-sha256.Size), 1<<20)
	line, err := r.ReadString('\n')
	if err != nil || line != SealStateFormat+"\n" {
		return nil, fmt.Errorf("seal state %s is not a %s file", path, SealStateFormat)
	}
	var n uint32
	if err := binary.Read(r, binary.BigEndian, &n); err != nil || int64(n) > size {
		return nil, fmt.Errorf("seal state %s: bad header length", path)
	}
	hdr := make([]byte, n)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, fmt.Errorf("seal state %s: %w", path, err)
	}
	s := new(sealState)
	dec := json.NewDecoder(bytes.NewReader(hdr))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s.header); err != nil {
		return nil, fmt.Errorf("seal state %s: header: %w", path, err)
	}
	if s.header != want {
		return nil, fmt.Errorf("seal state %s belongs to another phase 2 (circuit %s, phase-1 size %d, phase-1 result %s, initial state %s), not to this transcript's (circuit %s, size %d, result %s, initial state %s)",
			path, s.header.CircuitID, s.header.Phase1Size, s.header.Phase1ResultSHA256, s.header.Phase2InitialSHA256,
			want.CircuitID, want.Phase1Size, want.Phase1ResultSHA256, want.Phase2InitialSHA256)
	}
	cd := curve.NewDecoder(r, curve.NoSubgroupChecks())
	// Every slice's declared length is checked against the bytes left
	// before gnark's decoder allocates it, so that a bad length is an
	// error, not an allocation of gigabytes.
	body := size - sha256.Size - int64(len(line)) - 4 - int64(n)
	decode := func(v any, elem int64) error {
		if elem > 0 {
			b, err := r.Peek(4)
			if err != nil {
				return fmt.Errorf("seal state %s: %w", path, err)
			}
			l, left := int64(binary.BigEndian.Uint32(b)), body-cd.BytesRead()-4
			if l*elem > left {
				return fmt.Errorf("seal state %s: a slice of %d elements does not fit in the %d bytes left", path, l, left)
			}
		}
		if err := cd.Decode(v); err != nil {
			return fmt.Errorf("seal state %s: %w", path, err)
		}
		return nil
	}
	const g1, g2 = curve.SizeOfG1AffineUncompressed, curve.SizeOfG2AffineUncompressed
	var nc uint64
	ev := &s.evals
	for _, d := range []struct {
		v    any
		elem int64
	}{{&s.alpha1, 0}, {&s.beta1, 0}, {&s.beta2, 0}, {&ev.G1.A, g1}, {&ev.G1.B, g1}, {&ev.G2.B, g2}, {&ev.G1.VKK, g1}, {&nc, 0}} {
		if err := decode(d.v, d.elem); err != nil {
			return nil, err
		}
	}
	if nc > 1<<10 || len(ev.G1.B) != len(ev.G1.A) || len(ev.G2.B) != len(ev.G1.A) {
		return nil, fmt.Errorf("seal state %s: inconsistent lengths", path)
	}
	ev.G1.CKK = make([][]curve.G1Affine, nc)
	for i := range ev.G1.CKK {
		if err := decode(&ev.G1.CKK[i], g1); err != nil {
			return nil, err
		}
	}
	var flat []uint64
	if err := decode(&flat, 8); err != nil {
		return nil, err
	}
	if ev.PublicAndCommitmentCommitted, err = unflatten(flat); err != nil {
		return nil, fmt.Errorf("seal state %s: %w", path, err)
	}
	if rest, _ := io.Copy(io.Discard, r); rest != 0 {
		return nil, fmt.Errorf("seal state %s: %d bytes after the encoded state", path, rest)
	}
	return s, nil
}

// flatten encodes rows of indices as one slice: the number of rows, then
// each row's length and values.
func flatten(a [][]int) []uint64 {
	out := []uint64{uint64(len(a))}
	for _, row := range a {
		out = append(out, uint64(len(row)))
		for _, v := range row {
			out = append(out, uint64(v))
		}
	}
	return out
}

// unflatten decodes what flatten encodes.
func unflatten(f []uint64) ([][]int, error) {
	bad := errors.New("malformed committed-wire indices")
	if len(f) == 0 || f[0] > uint64(len(f)) {
		return nil, bad
	}
	out := make([][]int, f[0])
	i := 1
	for k := range out {
		if i >= len(f) || f[i] > uint64(len(f)-i-1) {
			return nil, bad
		}
		l := int(f[i])
		i++
		out[k] = make([]int, l)
		for j := range out[k] {
			if f[i] > 1<<40 {
				return nil, bad
			}
			out[k][j] = int(f[i])
			i++
		}
	}
	if i != len(f) {
		return nil, bad
	}
	return out, nil
}

// sealStateFor returns the header a seal state of transcript m must carry.
func sealStateFor(m *Manifest) (sealStateHeader, error) {
	if m.Phase2 == nil || m.Phase1.ResultSHA256 == "" {
		return sealStateHeader{}, errors.New("phase 2 is not open")
	}
	return sealStateHeader{CircuitID: m.Circuit.ID, Phase1Size: m.Phase1.Size,
		Phase1ResultSHA256: m.Phase1.ResultSHA256, Phase2InitialSHA256: m.Phase2.Initial.SHA256}, nil
}
