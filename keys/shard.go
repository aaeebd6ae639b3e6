package keys

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/internal/atomicfile"
	"github.com/zkeval/zkeval/internal/jsonfile"
	"github.com/zkeval/zkeval/internal/progress"
	"github.com/zkeval/zkeval/internal/safefile"
)

// A shard keys directory holds the shard circuit's keys, under the same
// names as a keys directory (constraints.r1cs, proving.key, verifying.key),
// and, when some claim hides its value, the totals circuit's keys
// (totals.r1cs, totals-proving.key, totals-verifying.key). ShardMetaFile
// describes both and is written last.
const (
	ShardMetaFile          = "shard-circuit.json"
	ShardMetaFormat        = "zkeval-shard-keys/v1"
	TotalsConstraintsFile  = "totals.r1cs"
	TotalsProvingKeyFile   = "totals-proving.key"
	TotalsVerifyingKeyFile = "totals-verifying.key"
)

// ShardMeta describes a shard keys directory.
type ShardMeta struct {
	Format       string     `json:"format"`
	CircuitID    string     `json:"circuitId"`
	Shard        desc.Shard `json:"shard"`
	Constraints  int        `json:"constraints"`
	PublicInputs int        `json:"publicInputs"`
	// Totals describes the totals circuit, when the claims hide values.
	Totals            *desc.Totals `json:"totals,omitempty"`
	TotalsID          string       `json:"totalsCircuitId,omitempty"`
	TotalsConstraints int          `json:"totalsConstraints,omitempty"`
	// TotalsSetupKind and TotalsTranscript say where the totals keys come
	// from: a single-party setup, or their own ceremony (the totals
	// circuit depends on the number of shards and the label counts, so it
	// is not the shard circuit's).
	TotalsSetupKind  string            `json:"totalsSetupKind,omitempty"`
	TotalsTranscript map[string]string `json:"totalsTranscript,omitempty"`
	SetupKind        string            `json:"setupKind"`
	Transcript       map[string]string `json:"transcript,omitempty"`
	Files            map[string]string `json:"files"` // file name -> sha256 hex
}

// IsShardKeys reports whether dir holds shard keys (ShardMetaFile).
func IsShardKeys(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, ShardMetaFile))
	return err == nil
}

// files returns the files of the directory as Meta, for readStream.
func (m *ShardMeta) files() *Meta { return &Meta{Files: m.Files} }

// CompileShard builds the constraint system of the shard circuit of spec.
func CompileShard(spec *circuits.ShardSpec) (constraint.ConstraintSystem, error) {
	cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, circuits.NewShard(spec))
	if err != nil {
		return nil, fmt.Errorf("compile shard circuit: %w", err)
	}
	return cs, nil
}

// CompileTotals builds the constraint system of the totals circuit of spec.
func CompileTotals(spec *circuits.TotalsSpec) (constraint.ConstraintSystem, error) {
	cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, circuits.NewTotals(spec))
	if err != nil {
		return nil, fmt.Errorf("compile totals circuit: %w", err)
	}
	return cs, nil
}

// KeySet is a compiled circuit, its Groth16 keys and where they come from:
// Kind is SingleParty or Ceremony, Transcript the ceremony transcript's
// digest ({"sha256": hex}) for Ceremony.
type KeySet struct {
	CS         constraint.ConstraintSystem
	PK         groth16.ProvingKey
	VK         groth16.VerifyingKey
	Kind       string
	Transcript map[string]string
}

// SetupShards compiles the shard circuit of spec and, when totals is not
// nil, the totals circuit, runs a single-party Groth16 setup of each and
// writes dir (WriteShards).
func SetupShards(spec *circuits.ShardSpec, totals *circuits.TotalsSpec, dir string, pr *progress.Reporter) (*ShardMeta, error) {
	done := pr.Start("compile the shard circuit")
	cs, err := CompileShard(spec)
	if err != nil {
		return nil, err
	}
	n := spec.Desc.ShardSize
	done(fmt.Sprintf("%d constraints (%.1f per slot), %d wires", cs.GetNbConstraints(), float64(cs.GetNbConstraints())/float64(n), cs.GetNbInternalVariables()+cs.GetNbSecretVariables()+cs.GetNbPublicVariables()))
	done = pr.Start("setup of the shard circuit (single-party Groth16)")
	pk, vk, err := groth16.Setup(cs)
	if err != nil {
		return nil, fmt.Errorf("groth16 setup: %w", err)
	}
	done("")
	var tks *KeySet
	if totals != nil {
		done = pr.Start("compile and set up the totals circuit")
		tcs, err := CompileTotals(totals)
		if err != nil {
			return nil, err
		}
		tpk, tvk, err := groth16.Setup(tcs)
		if err != nil {
			return nil, fmt.Errorf("groth16 setup of the totals circuit: %w", err)
		}
		done(fmt.Sprintf("%d constraints", tcs.GetNbConstraints()))
		tks = &KeySet{CS: tcs, PK: tpk, VK: tvk, Kind: SingleParty}
	}
	return WriteShards(dir, spec, KeySet{CS: cs, PK: pk, VK: vk, Kind: SingleParty}, totals, tks, pr)
}

// WriteShards writes the shard keys directory dir: the shard circuit's
// constraint system and keys ks and, when totals is not nil, the totals
// circuit's tks. Files are written atomically, ShardMetaFile last (an old
// one is removed first); on error nothing written is left.
func WriteShards(dir string, spec *circuits.ShardSpec, ks KeySet, totals *circuits.TotalsSpec, tks *KeySet, pr *progress.Reporter) (*ShardMeta, error) {
	id := spec.ID()
	meta := &ShardMeta{Format: ShardMetaFormat, CircuitID: hex.EncodeToString(id[:]), Shard: spec.Desc, Constraints: ks.CS.GetNbConstraints(),
		PublicInputs: ks.CS.GetNbPublicVariables() - 1, SetupKind: ks.Kind, Transcript: ks.Transcript, Files: map[string]string{}}
	sets := []shardFiles{{&ks, ConstraintsFile, ProvingKeyFile, VerifyingKeyFile}}
	if totals != nil {
		meta.setTotals(totals, tks)
		sets = append(sets, shardFiles{tks, TotalsConstraintsFile, TotalsProvingKeyFile, TotalsVerifyingKeyFile})
	}
	if err := writeShardDir(dir, meta, sets, pr); err != nil {
		return nil, err
	}
	return meta, nil
}

// AddTotals adds the totals circuit's constraint system and keys tks to
// the shard keys directory dir, whose shard circuit must be the one the
// totals circuit follows (desc.Totals.ShardID), replacing any totals keys
// it held. The shard keys are left as they are; ShardMetaFile is rewritten
// last, atomically.
func AddTotals(dir string, totals *circuits.TotalsSpec, tks KeySet, pr *progress.Reporter) (*ShardMeta, error) {
	meta, err := ReadShardMeta(dir)
	if err != nil {
		return nil, err
	}
	if meta.CircuitID != totals.Desc.ShardID {
		return nil, fmt.Errorf("%s holds the keys of shard circuit %s, but this totals circuit follows shard circuit %s: seal the shard ceremony into another directory, or give the directory of its keys", dir, meta.CircuitID, totals.Desc.ShardID)
	}
	for _, f := range []string{TotalsConstraintsFile, TotalsProvingKeyFile, TotalsVerifyingKeyFile} {
		delete(meta.Files, f)
	}
	meta.setTotals(totals, &tks)
	if err := writeShardDir(dir, meta, []shardFiles{{&tks, TotalsConstraintsFile, TotalsProvingKeyFile, TotalsVerifyingKeyFile}}, pr); err != nil {
		return nil, err
	}
	return meta, nil
}

func (m *ShardMeta) setTotals(totals *circuits.TotalsSpec, tks *KeySet) {
	d := totals.Desc
	tid := d.ID()
	m.Totals, m.TotalsID, m.TotalsConstraints = &d, hex.EncodeToString(tid[:]), tks.CS.GetNbConstraints()
	m.TotalsSetupKind, m.TotalsTranscript = tks.Kind, tks.Transcript
}

// shardFiles names the files of one circuit of a shard keys directory.
type shardFiles struct {
	ks            *KeySet
	csF, pkF, vkF string
}

// writeShardDir writes the files of sets into dir, records their digests
// in meta and writes meta last. On error it removes what it wrote (and
// dir, if it created it).
func writeShardDir(dir string, meta *ShardMeta, sets []shardFiles, pr *progress.Reporter) (err error) {
	_, statErr := os.Stat(dir)
	created := errors.Is(statErr, fs.ErrNotExist)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
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
			os.Remove(dir)
		}
	}()
	if err := os.Remove(filepath.Join(dir, ShardMetaFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	done := pr.Start("write keys")
	for _, s := range sets {
		for _, f := range []struct {
			name string
			w    func(io.Writer) (int64, error)
		}{{s.csF, s.ks.CS.WriteTo}, {s.pkF, s.ks.PK.WriteRawTo}, {s.vkF, s.ks.VK.WriteTo}} {
			sum, err := writeHashed(filepath.Join(dir, f.name), f.w)
			if err != nil {
				return err
			}
			written = append(written, f.name)
			meta.Files[f.name] = sum
		}
	}
	data, err := jsonfile.Indent(meta)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, ShardMetaFile), data, 0o644); err != nil {
		return err
	}
	done("")
	return nil
}

// ReadShardMeta reads dir/shard-circuit.json (at most MaxMetaBytes, a
// regular file or a symbolic link to one), as ReadMeta reads circuit.json.
func ReadShardMeta(dir string) (*ShardMeta, error) {
	path := filepath.Join(dir, ShardMetaFile)
	data, err := safefile.ReadFileFollow(path, MaxMetaBytes, "shard keys description")
	if err != nil {
		return nil, fmt.Errorf("shard keys directory %s: %w (run `zkeval setup --shard-size N` first)", dir, err)
	}
	return ParseShardMeta(data, path)
}

// ParseShardMeta parses a shard keys description read from path.
func ParseShardMeta(data []byte, path string) (*ShardMeta, error) {
	const hint = "the shard keys directory is damaged: run `zkeval setup --shard-size N` again"
	var m ShardMeta
	if err := jsonfile.Decode(data, path, ShardMetaFormat, hint, &m); err != nil {
		return nil, err
	}
	if err := jsonfile.ExactKeys(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %v; %s", path, err, hint)
	}
	if m.Format != ShardMetaFormat {
		return nil, fmt.Errorf("%s: format %q, want %q; %s", path, m.Format, ShardMetaFormat, hint)
	}
	if m.Totals != nil && m.TotalsSetupKind == "" {
		// Written before the totals circuit had a ceremony: single-party.
		m.TotalsSetupKind = SingleParty
	}
	return &m, nil
}

// LoadShardProver reads the shard circuit's constraint system and proving
// key, checking their digests.
func LoadShardProver(dir string, meta *ShardMeta) (constraint.ConstraintSystem, groth16.ProvingKey, error) {
	return loadProver(dir, meta.files(), ConstraintsFile, ProvingKeyFile)
}

// LoadTotalsProver reads the totals circuit's constraint system and proving
// key, checking their digests.
func LoadTotalsProver(dir string, meta *ShardMeta) (constraint.ConstraintSystem, groth16.ProvingKey, error) {
	if meta.Totals == nil {
		return nil, nil, fmt.Errorf("shard keys directory %s has no totals circuit: its claims hide no value", dir)
	}
	return loadProver(dir, meta.files(), TotalsConstraintsFile, TotalsProvingKeyFile)
}

// LoadShardVerifyingKey reads a verifying key of the directory (name is
// VerifyingKeyFile or TotalsVerifyingKeyFile), checking its digest and
// points.
func LoadShardVerifyingKey(dir string, meta *ShardMeta, name string) (groth16.VerifyingKey, error) {
	var vk groth16.VerifyingKey
	err := readStream(dir, name, meta.files(), func(r io.Reader) (int64, error) {
		data, err := io.ReadAll(r)
		if err != nil {
			return 0, err
		}
		vk, err = ParseVerifyingKey(data, filepath.Join(dir, name))
		return int64(len(data)), err
	})
	return vk, err
}

func loadProver(dir string, meta *Meta, csFile, pkFile string) (constraint.ConstraintSystem, groth16.ProvingKey, error) {
	cs := groth16.NewCS(ecc.BN254)
	if err := readStream(dir, csFile, meta, cs.ReadFrom); err != nil {
		return nil, nil, err
	}
	pk := groth16.NewProvingKey(ecc.BN254)
	if err := readStream(dir, pkFile, meta, pk.UnsafeReadFrom); err != nil {
		return nil, nil, err
	}
	return cs, pk, nil
}
