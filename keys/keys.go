// Package keys stores and loads a circuit's constraint system and Groth16
// keys (Groth 2016, "On the Size of Pairing-based Non-interactive
// Arguments", https://eprint.iacr.org/2016/260) over BN254, and makes
// single-party keys for development.
//
// A keys directory holds:
//
//	circuit.json      Meta: circuit id and public description, setup kind, file digests
//	constraints.r1cs  the compiled constraint system (gnark binary encoding)
//	proving.key       the proving key, uncompressed points (gnark WriteRawTo)
//	verifying.key     the verifying key, compressed points (gnark WriteTo)
//
// The proving key is read without subgroup checks (gnark UnsafeReadFrom)
// after its SHA-256 is checked against circuit.json: it is a local file the
// prover made or received through the ceremony. The verifying key, which
// auditors receive from others, is always read with full point checks.
package keys

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/consensys/gnark-crypto/ecc"
	bn254 "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/internal/atomicfile"
	"github.com/zkeval/zkeval/internal/jsonfile"
	"github.com/zkeval/zkeval/internal/progress"
	"github.com/zkeval/zkeval/internal/safefile"
)

// File names inside a keys directory.
const (
	MetaFile         = "circuit.json"
	ConstraintsFile  = "constraints.r1cs"
	ProvingKeyFile   = "proving.key"
	VerifyingKeyFile = "verifying.key"
	MetaFormat       = "zkeval-keys/v1"
)

// Setup kinds, as recorded in Meta and attestations.
const (
	SingleParty = "single-party"
	Ceremony    = "ceremony"
)

// SinglePartyWarning is printed wherever single-party keys are used.
const SinglePartyWarning = "single-party setup: whoever ran `zkeval setup` knows the toxic waste and can forge proofs for this circuit; use these keys for development only, or make keys with a multi-party ceremony"

// Meta describes a keys directory.
type Meta struct {
	Format       string            `json:"format"`
	CircuitID    string            `json:"circuitId"`
	Public       circuits.Public   `json:"public"`
	Constraints  int               `json:"constraints"`
	PublicInputs int               `json:"publicInputs"`
	SetupKind    string            `json:"setupKind"`
	Transcript   map[string]string `json:"transcript,omitempty"`
	Files        map[string]string `json:"files"` // file name -> sha256 hex
}

// Compile builds the constraint system of spec.
func Compile(spec *circuits.Spec) (constraint.ConstraintSystem, error) {
	cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, circuits.New(spec))
	if err != nil {
		return nil, fmt.Errorf("compile circuit: %w", err)
	}
	return cs, nil
}

// SetupSingleParty compiles the circuit of spec, runs a single-party Groth16
// setup and writes the keys directory dir (created if needed). Every file is
// written atomically; circuit.json is written last, so a directory without
// it is incomplete.
func SetupSingleParty(spec *circuits.Spec, dir string, pr *progress.Reporter) (*Meta, error) {
	done := pr.Start("compile")
	cs, err := Compile(spec)
	if err != nil {
		return nil, err
	}
	done(fmt.Sprintf("%d constraints (%.1f per sample), %d wires", cs.GetNbConstraints(), float64(cs.GetNbConstraints())/float64(spec.Bench.Len()), cs.GetNbInternalVariables()+cs.GetNbSecretVariables()+cs.GetNbPublicVariables()))
	done = pr.Start("setup (single-party Groth16)")
	pk, vk, err := groth16.Setup(cs)
	if err != nil {
		return nil, fmt.Errorf("groth16 setup: %w", err)
	}
	done("")
	return Write(dir, spec, cs, pk, vk, SingleParty, nil, pr)
}

// Write stores a constraint system and its keys in dir with their Meta. On
// error it removes the files it wrote (and dir, if it created it), so that no
// partial keys directory is left behind.
func Write(dir string, spec *circuits.Spec, cs constraint.ConstraintSystem, pk groth16.ProvingKey, vk groth16.VerifyingKey, kind string, transcript map[string]string, pr *progress.Reporter) (_ *Meta, err error) {
	_, statErr := os.Stat(dir)
	created := errors.Is(statErr, fs.ErrNotExist)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var written []string
	defer func() {
		if err == nil {
			return
		}
		for _, name := range written {
			os.Remove(filepath.Join(dir, name))
		}
		if created {
			os.Remove(dir) // only if empty
		}
	}()
	// Remove an old circuit.json first: until the new one is written last,
	// the directory reads as incomplete rather than as a mix of two setups.
	if err := os.Remove(filepath.Join(dir, MetaFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	done := pr.Start("write keys")
	id := spec.ID()
	meta := &Meta{Format: MetaFormat, CircuitID: hex.EncodeToString(id[:]), Public: spec.Public(),
		Constraints: cs.GetNbConstraints(), PublicInputs: cs.GetNbPublicVariables() - 1,
		SetupKind: kind, Transcript: transcript, Files: map[string]string{}}
	files := []struct {
		name string
		w    func(io.Writer) (int64, error)
	}{
		{ConstraintsFile, cs.WriteTo},
		{ProvingKeyFile, pk.WriteRawTo},
		{VerifyingKeyFile, vk.WriteTo},
	}
	for _, f := range files {
		sum, err := writeHashed(filepath.Join(dir, f.name), f.w)
		if err != nil {
			return nil, err
		}
		written = append(written, f.name)
		meta.Files[f.name] = sum
	}
	data, err := jsonfile.Indent(meta)
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, MetaFile), data, 0o644); err != nil {
		return nil, err
	}
	done("")
	return meta, nil
}

// writeHashed writes path atomically through w, buffered, and returns the
// hex SHA-256 of the bytes written, computed as they are written.
func writeHashed(path string, w func(io.Writer) (int64, error)) (string, error) {
	h := sha256.New()
	err := atomicfile.Write(path, 0o644, func(file *os.File) error {
		bw := bufio.NewWriterSize(io.MultiWriter(file, h), 1<<20)
		if _, err := w(bw); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// MaxMetaBytes bounds circuit.json, which is read whole.
const MaxMetaBytes = 16 << 20

// ReadMeta reads dir/circuit.json (at most MaxMetaBytes, a regular file or
// a symbolic link to one).
func ReadMeta(dir string) (*Meta, error) {
	path := filepath.Join(dir, MetaFile)
	data, err := safefile.ReadFileFollow(path, MaxMetaBytes, "keys description")
	if err != nil {
		return nil, fmt.Errorf("keys directory %s: %w (run `zkeval setup` first)", dir, err)
	}
	return ParseMeta(data, path)
}

// ParseMeta decodes a circuit.json strictly; path names it in errors.
func ParseMeta(data []byte, path string) (*Meta, error) {
	const hint = "the keys directory is damaged: run `zkeval setup` again (or fetch the ceremony's keys again)"
	var m Meta
	if err := jsonfile.Decode(data, path, MetaFormat, hint, &m); err != nil {
		return nil, err
	}
	if err := jsonfile.ExactKeys(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %v; %s", path, err, hint)
	}
	if m.Format != MetaFormat {
		return nil, fmt.Errorf("%s: format %q, want %q; %s", path, m.Format, MetaFormat, hint)
	}
	return &m, nil
}

// MetaDiff names the first field in which got differs from want, or
// returns "".
func MetaDiff(got, want *Meta) string {
	type field struct {
		name      string
		got, want any
	}
	gp, _ := json.Marshal(got.Public)
	wp, _ := json.Marshal(want.Public)
	for _, f := range []field{
		{"format", got.Format, want.Format},
		{"circuitId", got.CircuitID, want.CircuitID},
		{"public", string(gp), string(wp)},
		{"constraints", got.Constraints, want.Constraints},
		{"publicInputs", got.PublicInputs, want.PublicInputs},
		{"setupKind", got.SetupKind, want.SetupKind},
		{"transcript", fmt.Sprint(got.Transcript), fmt.Sprint(want.Transcript)},
		{"files", fmt.Sprint(got.Files), fmt.Sprint(want.Files)},
	} {
		if f.got != f.want {
			if f.name == "public" {
				return "public: the circuit description differs"
			}
			return fmt.Sprintf("%s is %v, want %v", f.name, f.got, f.want)
		}
	}
	return ""
}

// readStream checks dir/name's SHA-256 against meta, then decodes it with
// read, streaming from disk both times: the file is never held in memory
// beside its decoded form.
func readStream(dir, name string, meta *Meta, read func(io.Reader) (int64, error)) error {
	path := filepath.Join(dir, name)
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("keys directory %s is incomplete: %w; run `zkeval setup` again", dir, err)
	}
	defer f.Close()
	// First pass: the digest, so that nothing from a damaged file (a
	// corrupt length, say) reaches the decoder.
	h := sha256.New()
	if _, err := io.Copy(h, bufio.NewReaderSize(f, 1<<20)); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if got, want := hex.EncodeToString(h.Sum(nil)), meta.Files[name]; got != want {
		return fmt.Errorf("%s: SHA-256 %s does not match %s (%s); the file is corrupt or from another setup: run `zkeval setup` again", path, got, MetaFile, want)
	}
	// Second pass: decode, streaming from disk.
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if _, err := read(bufio.NewReaderSize(f, 1<<20)); err != nil {
		return fmt.Errorf("%s: %w; the file is truncated or damaged: run `zkeval setup` again", path, err)
	}
	return nil
}

// LoadProver reads the constraint system and proving key of dir, streaming
// each file once and checking its digest against circuit.json.
func LoadProver(dir string, meta *Meta) (constraint.ConstraintSystem, groth16.ProvingKey, error) {
	cs := groth16.NewCS(ecc.BN254)
	if err := readStream(dir, ConstraintsFile, meta, cs.ReadFrom); err != nil {
		return nil, nil, err
	}
	pk := groth16.NewProvingKey(ecc.BN254)
	if err := readStream(dir, ProvingKeyFile, meta, pk.UnsafeReadFrom); err != nil {
		return nil, nil, err
	}
	return cs, pk, nil
}

// LoadVerifyingKey reads the verifying key of dir, checking its digest
// against circuit.json as LoadProver does, and its points as
// ParseVerifyingKey does.
func LoadVerifyingKey(dir string, meta *Meta) (groth16.VerifyingKey, error) {
	var vk groth16.VerifyingKey
	err := readStream(dir, VerifyingKeyFile, meta, func(r io.Reader) (int64, error) {
		data, err := io.ReadAll(r)
		if err != nil {
			return 0, err
		}
		vk, err = ParseVerifyingKey(data, filepath.Join(dir, VerifyingKeyFile))
		return int64(len(data)), err
	})
	return vk, err
}

// ParseVerifyingKey decodes a verifying key with full point checks. source
// names it in errors. The lengths the encoding declares are checked against
// the size of data first, so that a short, hostile key cannot make the
// decoder allocate more than data could hold.
func ParseVerifyingKey(data []byte, source string) (groth16.VerifyingKey, error) {
	if err := checkVerifyingKeyLengths(data); err != nil {
		return nil, fmt.Errorf("%s: not a valid BN254 Groth16 verifying key: %w", source, err)
	}
	vk := groth16.NewVerifyingKey(ecc.BN254)
	n, err := readFrom(vk, data)
	if err == nil {
		err = checkCommittedIndices(vk)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: not a valid BN254 Groth16 verifying key: %w", source, err)
	}
	if int(n) != len(data) {
		return nil, fmt.Errorf("%s: %d trailing bytes after the verifying key", source, len(data)-int(n))
	}
	return vk, nil
}

// readFrom decodes data into v, turning a panic of the decoder (gnark
// panics on a committed-input index above the int range) into an error.
func readFrom(v io.ReaderFrom, data []byte) (n int64, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("the decoder failed: %v", p)
		}
	}()
	return v.ReadFrom(bytes.NewReader(data))
}

// checkCommittedIndices checks what groth16.Verify indexes with, so that a
// hostile key cannot make it index out of range (a panic): one commitment
// key per list of committed public inputs, and every index in those lists
// naming a public input (1 to the number of public inputs).
func checkCommittedIndices(v groth16.VerifyingKey) error {
	vk, ok := v.(*groth16bn254.VerifyingKey)
	if !ok {
		return fmt.Errorf("not a BN254 verifying key")
	}
	nc := len(vk.PublicAndCommitmentCommitted)
	if len(vk.CommitmentKeys) != nc {
		return fmt.Errorf("%d commitment keys for %d commitments", len(vk.CommitmentKeys), nc)
	}
	nPublic := len(vk.G1.K) - nc - 1 // without the constant one wire
	if nPublic < 0 {
		return fmt.Errorf("%d K points for %d commitments", len(vk.G1.K), nc)
	}
	for i, l := range vk.PublicAndCommitmentCommitted {
		for _, j := range l {
			if j < 1 || j > nPublic {
				return fmt.Errorf("commitment %d names public input %d; the key has %d", i, j, nPublic)
			}
		}
	}
	return nil
}

// Digest returns the lowercase hex SHA-256 of data.
func Digest(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// ParseProof decodes a BN254 Groth16 proof (gnark encoding) with full point
// checks and no trailing bytes. The number of commitments the encoding
// declares is checked against the size of data first, so that a short,
// hostile proof cannot make the decoder allocate more than data could hold.
func ParseProof(data []byte) (groth16.Proof, error) {
	r := &lengthScanner{data: data}
	r.g1()
	r.g2()
	r.g1()
	r.slice(bn254.SizeOfG1AffineCompressed, "commitments")
	if r.err != nil {
		return nil, r.err
	}
	proof := groth16.NewProof(ecc.BN254)
	n, err := readFrom(proof, data)
	if err != nil {
		return nil, err
	}
	if int(n) != len(data) {
		return nil, fmt.Errorf("%d trailing bytes after the proof", len(data)-int(n))
	}
	return proof, nil
}

// checkVerifyingKeyLengths walks the verifying key encoding of gnark's
// BN254 Groth16 backend ([α]1, [β]1, [β]2, [γ]2, [δ]1, [δ]2, the K points,
// the committed public inputs) up to its commitment keys, which the decoder
// reads one by one, and checks every declared length against the bytes left.
func checkVerifyingKeyLengths(data []byte) error {
	r := &lengthScanner{data: data}
	r.g1()
	r.g1()
	r.g2()
	r.g2()
	r.g1()
	r.g2()
	if n := r.slice(bn254.SizeOfG1AffineCompressed, "K points"); r.err == nil {
		for range n {
			r.g1()
		}
	}
	if n := r.slice(4, "committed public input lists"); r.err == nil {
		for range n {
			if m := r.slice(8, "committed public inputs"); r.err == nil {
				r.skip(8*int(m), "committed public inputs")
			}
		}
	}
	r.slice(0, "commitment keys") // read one at a time by the decoder
	return r.err
}

// lengthScanner walks a gnark-crypto BN254 encoding without decoding it:
// points are compressed (the two top bits of their first byte not both 0)
// or uncompressed, as gnark-crypto's decoder reads them.
type lengthScanner struct {
	data []byte
	off  int
	err  error
}

func (r *lengthScanner) skip(n int, what string) {
	if r.err == nil && (n < 0 || n > len(r.data)-r.off) {
		r.err = fmt.Errorf("truncated at byte %d (%s)", r.off, what)
	}
	if r.err == nil {
		r.off += n
	}
}

func (r *lengthScanner) point(compressed, uncompressed int) {
	if r.err == nil && r.off < len(r.data) && r.data[r.off]>>6 == 0 {
		compressed = uncompressed
	}
	r.skip(compressed, "point")
}

func (r *lengthScanner) g1() {
	r.point(bn254.SizeOfG1AffineCompressed, bn254.SizeOfG1AffineUncompressed)
}

func (r *lengthScanner) g2() {
	r.point(bn254.SizeOfG2AffineCompressed, bn254.SizeOfG2AffineUncompressed)
}

// slice reads a uint32 length whose elements take at least minSize bytes
// each, and fails when the bytes left cannot hold that many.
func (r *lengthScanner) slice(minSize int, what string) uint32 {
	start := r.off
	r.skip(4, what+" count")
	if r.err != nil {
		return 0
	}
	n := binary.BigEndian.Uint32(r.data[start:])
	if left := uint64(len(r.data) - r.off); minSize > 0 && uint64(n)*uint64(minSize) > left {
		r.err = fmt.Errorf("declares %d %s at byte %d, but only %d bytes follow", n, what, start, left)
		return 0
	}
	return n
}
