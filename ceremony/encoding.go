package ceremony

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
	"github.com/consensys/gnark/constraint"
	cs "github.com/consensys/gnark/constraint/bn254"

	"github.com/zkeval/zkeval/internal/safefile"
)

// Sizes in gnark's compressed encodings (curve.Encoder) of BN254 points, of
// an mpcsetup.UpdateProof (a G1 commitment and a G2 proof of knowledge), and
// of a SHA-256 challenge.
const (
	g1Size        = curve.SizeOfG1AffineCompressed
	g2Size        = curve.SizeOfG2AffineCompressed
	proofSize     = g1Size + g2Size
	challengeSize = sha256.Size
)

// phase1Size is the encoded size of a phase-1 state of size n (gnark
// Phase1.WriteTo): three update proofs, n as a uint64, [β]₂, [τ¹..τ²ⁿ⁻²]₁,
// [τ¹..τⁿ⁻¹]₂, [βτ⁰..βτⁿ⁻¹]₁, [ατ⁰..ατⁿ⁻¹]₁, and the challenge (one length
// byte, then 32 bytes for a contribution or none for the empty state).
// That is 192·n + 265 bytes for a contribution.
func phase1Size(n uint64, contributed bool) int64 {
	s := 3*proofSize + 8 + g2Size + (2*int64(n)-2)*g1Size + (int64(n)-1)*g2Size + 2*int64(n)*g1Size + 1
	if contributed {
		s += challengeSize
	}
	return s
}

// phase1SizeOffset is the offset of n in a phase-1 encoding.
const phase1SizeOffset = 3 * proofSize

// checkPhase1Layout checks, before decoding, that the file declares size n:
// gnark allocates the vectors from the declared size.
func checkPhase1Layout(f io.ReaderAt, size int64, n uint64) error {
	if want := phase1Size(n, true); size != want {
		return fmt.Errorf("%d bytes; a phase-1 contribution of size %d has %d bytes (truncated or altered)", size, n, want)
	}
	var b [8]byte
	if _, err := f.ReadAt(b[:], phase1SizeOffset); err != nil {
		return err
	}
	if got := binary.BigEndian.Uint64(b[:]); got != n {
		return fmt.Errorf("declares phase-1 size %d, the ceremony has size %d", got, n)
	}
	return nil
}

// phase2Shape is the layout of a phase-2 state (gnark Phase2.WriteTo): the
// number of commitments, the lengths of the vectors PKK and Z, and of each
// commitment's σ-scaled basis.
type phase2Shape struct {
	PKK, Z int
	CKK    []int
}

func shapeOf(p *mpcsetup.Phase2) phase2Shape {
	s := phase2Shape{PKK: len(p.Parameters.G1.PKK), Z: len(p.Parameters.G1.Z)}
	for _, c := range p.Parameters.G1.SigmaCKK {
		s.CKK = append(s.CKK, len(c))
	}
	return s
}

func (s phase2Shape) equal(o phase2Shape) bool {
	if s.PKK != o.PKK || s.Z != o.Z || len(s.CKK) != len(o.CKK) {
		return false
	}
	for i := range s.CKK {
		if s.CKK[i] != o.CKK[i] {
			return false
		}
	}
	return true
}

func (s phase2Shape) String() string {
	return fmt.Sprintf("%d private-wire points, %d quotient points, %d commitment bases of sizes %v", s.PKK, s.Z, len(s.CKK), s.CKK)
}

// size returns the encoded size of a phase-2 state of shape s with a
// challenge of challenge bytes.
func (s phase2Shape) size(challenge int) int64 {
	c := int64(len(s.CKK))
	n := int64(2) + g1Size + 4 + int64(s.PKK)*g1Size + 4 + int64(s.Z)*g1Size + g2Size
	for _, k := range s.CKK {
		n += 4 + int64(k)*g1Size
	}
	n += c*g2Size + proofSize + c*proofSize + 1 + int64(challenge)
	return n
}

// readPhase2Shape walks the length prefixes of a phase-2 encoding without
// decoding points, checking each declared length against the bytes that
// remain, so that a hostile file cannot make the decoder allocate more than
// its own size.
func readPhase2Shape(f io.ReaderAt, size int64) (phase2Shape, int, error) {
	var s phase2Shape
	var b [4]byte
	read := func(off int64, n int) (uint32, error) {
		if off+int64(n) > size {
			return 0, errors.New("truncated")
		}
		if _, err := f.ReadAt(b[:n], off); err != nil {
			return 0, err
		}
		if n == 2 {
			return uint32(binary.BigEndian.Uint16(b[:2])), nil
		}
		if n == 1 {
			return uint32(b[0]), nil
		}
		return binary.BigEndian.Uint32(b[:4]), nil
	}
	vec := func(off int64) (int, int64, error) {
		l, err := read(off, 4)
		if err != nil {
			return 0, 0, err
		}
		end := off + 4 + int64(l)*g1Size
		if end > size {
			return 0, 0, fmt.Errorf("declares a vector of %d points past the end of the file (truncated)", l)
		}
		return int(l), end, nil
	}
	c, err := read(0, 2)
	if err != nil {
		return s, 0, err
	}
	off := int64(2 + g1Size)
	if s.PKK, off, err = vec(off); err != nil {
		return s, 0, err
	}
	if s.Z, off, err = vec(off); err != nil {
		return s, 0, err
	}
	off += g2Size
	for range c {
		var k int
		if k, off, err = vec(off); err != nil {
			return s, 0, err
		}
		s.CKK = append(s.CKK, k)
	}
	off += int64(c)*g2Size + proofSize + int64(c)*proofSize
	ch, err := read(off, 1)
	if err != nil {
		return s, 0, err
	}
	if off+1+int64(ch) != size {
		return s, 0, fmt.Errorf("%d bytes, but its layout (%s) needs %d (truncated or altered)", size, s, off+1+int64(ch))
	}
	return s, int(ch), nil
}

// challengeOf reads the 32-byte challenge that ends a contribution file:
// the SHA-256 of the state it was computed on.
func challengeOf(f io.ReaderAt, size int64) (string, error) {
	if size < challengeSize+1 {
		return "", errors.New("too short to hold a challenge")
	}
	var b [challengeSize + 1]byte
	if _, err := f.ReadAt(b[:], size-challengeSize-1); err != nil {
		return "", err
	}
	if b[0] != challengeSize {
		return "", fmt.Errorf("its challenge has %d bytes, not %d", b[0], challengeSize)
	}
	return hex.EncodeToString(b[1:]), nil
}

// hashOf returns the hex SHA-256 of v's encoding: for a phase-1 or phase-2
// state it is gnark's own hash of that state, the challenge the next
// contribution records.
func hashOf(v io.WriterTo) (string, error) { return streamDigest(v.WriteTo) }

// openState opens dir/ref.File for reading: only a regular file (a
// symbolic link, FIFO or device is refused without blocking), and only when
// its size is the ref.Bytes the manifest records, checked before any byte
// is read. The returned bool is true for errors reading the file, as
// opposed to a file that is not the one the manifest records.
func openState(dir string, ref FileRef) (*os.File, bool, error) {
	path := filepath.Join(dir, ref.File)
	f, size, err := safefile.Open(path, ref.Bytes, "")
	var tl *safefile.TooLargeError
	switch {
	case errors.As(err, &tl):
		return nil, false, fmt.Errorf("%d bytes, but the manifest records %d (altered)", tl.Size, ref.Bytes)
	case errors.Is(err, safefile.ErrNotRegular):
		return nil, false, err
	case err != nil:
		return nil, true, err
	}
	if size != ref.Bytes {
		f.Close()
		return nil, false, fmt.Errorf("%d bytes, but the manifest records %d (truncated or altered)", size, ref.Bytes)
	}
	return f, false, nil
}

// digestOf returns the hex SHA-256 of an open file's whole content.
func digestOf(f *os.File) (string, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	h := sha256.New()
	if _, err := io.Copy(h, bufio.NewReaderSize(f, 1<<20)); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// fileDigest returns the hex SHA-256 and the size of a regular file of at
// most max bytes (see safefile.Open).
func fileDigest(path string, max int64) (string, int64, error) {
	f, size, err := safefile.Open(path, max, "")
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	sha, err := digestOf(f)
	return sha, size, err
}

// fullReader makes every Read fill its buffer (gnark's ReadBytesShort reads
// the challenge with one Read call).
type fullReader struct{ r io.Reader }

func (f fullReader) Read(p []byte) (int, error) {
	n, err := io.ReadFull(f.r, p)
	if err == io.ErrUnexpectedEOF && n > 0 {
		return n, nil
	}
	return n, err
}

// errDigest reports a file whose SHA-256 is not the one the manifest
// records.
type errDigest struct{ got, want string }

func (e *errDigest) Error() string {
	return fmt.Sprintf("SHA-256 %s, but the manifest records %s: the file was altered, corrupted or replaced", e.got, e.want)
}

// loadState decodes dir/ref.File into v, checking its size and layout first
// (layout may be nil) and its SHA-256 while decoding. A file that does not
// match the manifest is reported as such even when it also fails to decode.
// The returned bool is true for errors reading the file.
func loadState(dir string, ref FileRef, v io.ReaderFrom, layout func(f *os.File, size int64) error) (bool, error) {
	f, isIO, err := openState(dir, ref)
	if err != nil {
		return isIO, err
	}
	defer f.Close()
	size := ref.Bytes
	if layout != nil {
		if err := layout(f, size); err != nil {
			return false, err
		}
	}
	h := sha256.New()
	br := bufio.NewReaderSize(f, 1<<20)
	tee := io.TeeReader(br, h)
	n, derr := decode(v, fullReader{tee})
	if derr == nil && n != size {
		derr = fmt.Errorf("%d bytes left after the encoded state", size-n)
	}
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return true, err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != ref.SHA256 {
		return false, &errDigest{got: got, want: ref.SHA256}
	}
	if derr != nil {
		return false, fmt.Errorf("does not decode as a gnark MPC state: %w", derr)
	}
	return false, nil
}

func decode(v io.ReaderFrom, r io.Reader) (n int64, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("decoder panicked: %v", p)
		}
	}()
	return v.ReadFrom(r)
}

// writeState writes v to a new file of dir named by prefix and the first
// 12 hex digits of its SHA-256 (prefix-XXXXXXXXXXXX.bin), through a
// temporary file, and returns its reference.
func writeState(dir, prefix string, v io.WriterTo) (FileRef, error) {
	tmp, err := os.CreateTemp(dir, "."+prefix+".tmp-*")
	if err != nil {
		return FileRef{}, err
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(tmp, h), 1<<20)
	n, err := v.WriteTo(bw)
	if err != nil {
		return FileRef{}, err
	}
	if err := bw.Flush(); err != nil {
		return FileRef{}, err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return FileRef{}, err
	}
	if err := tmp.Sync(); err != nil {
		return FileRef{}, err
	}
	if err := tmp.Close(); err != nil {
		return FileRef{}, err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	ref := FileRef{File: fmt.Sprintf("%s-%s.bin", prefix, sum[:12]), SHA256: sum, Bytes: n}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, ref.File)); err != nil {
		return FileRef{}, err
	}
	ok = true
	return ref, nil
}

// streamDigest returns the hex SHA-256 of what write writes.
func streamDigest(write func(io.Writer) (int64, error)) (string, error) {
	sha, _, err := streamDigestN(write)
	return sha, err
}

// streamDigestN returns the hex SHA-256 and the length of what write writes.
func streamDigestN(write func(io.Writer) (int64, error)) (string, int64, error) {
	h := sha256.New()
	bw := bufio.NewWriterSize(h, 1<<20)
	n, err := write(bw)
	if err != nil {
		return "", 0, err
	}
	if err := bw.Flush(); err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// constraintSystemDigest returns the SHA-256 and size of a compiled
// constraint system's gnark encoding: the constraints.r1cs file of a keys
// directory.
func constraintSystemDigest(r1cs *cs.R1CS) (string, int64, error) {
	return streamDigestN(r1cs.WriteTo)
}

// maxPhase2Bytes bounds the encoded size of a phase-2 state of r1cs with a
// phase 1 of size n (gnark Phase2.WriteTo): at most one G1 point per wire
// in its private-wire and commitment vectors together, n-1 quotient points,
// [δ] in both groups, one σ and one update proof per commitment, the δ
// proof and a 32-byte challenge.
func maxPhase2Bytes(r1cs *cs.R1CS, n uint64) int64 {
	internal, secret, public := r1cs.GetNbVariables()
	w := int64(internal + secret + public)
	nc := int64(0)
	if c, ok := r1cs.CommitmentInfo.(constraint.Groth16Commitments); ok {
		nc = int64(len(c))
	}
	return 2 + g1Size + 4 + 4 + (w+int64(n))*g1Size + g2Size + nc*(4+g2Size+proofSize) + proofSize + 1 + challengeSize
}

// emptyPhase1SHA256 returns the SHA-256 of the gnark encoding of the empty
// phase-1 state of size n (mpcsetup.NewPhase1(n).WriteTo), streamed without
// building the state: three zero update proofs (points at infinity), n,
// [β]₂ = the G2 generator, then every power of τ, ατ and βτ equal to the
// generator of its group, and an empty challenge. TestEmptyPhase1Digest
// checks it against gnark's encoding.
func emptyPhase1SHA256(n uint64) (string, error) {
	return streamDigest(func(w io.Writer) (int64, error) {
		enc := curve.NewEncoder(w)
		var inf1 curve.G1Affine
		var inf2 curve.G2Affine
		_, _, g1, g2 := curve.Generators()
		for range 3 {
			if err := enc.Encode(&inf1); err != nil {
				return 0, err
			}
			if err := enc.Encode(&inf2); err != nil {
				return 0, err
			}
		}
		if err := enc.Encode(n); err != nil {
			return 0, err
		}
		if err := enc.Encode(&g2); err != nil {
			return 0, err
		}
		written := enc.BytesWritten()
		g1b, g2b := g1.Bytes(), g2.Bytes()
		for _, run := range []struct {
			b     []byte
			count uint64
		}{{g1b[:], 2*n - 2}, {g2b[:], n - 1}, {g1b[:], 2 * n}} {
			for range run.count {
				k, err := w.Write(run.b)
				written += int64(k)
				if err != nil {
					return written, err
				}
			}
		}
		k, err := w.Write([]byte{0})
		return written + int64(k), err
	})
}
