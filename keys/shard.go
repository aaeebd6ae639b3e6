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
	Totals            *desc.Totals      `json:"totals,omitempty"`
	TotalsID          string            `json:"totalsCircuitId,omitempty"`
	TotalsConstraints int               `json:"totalsConstraints,omitempty"`
	SetupKind         string            `json:"setupKind"`
	Transcript        map[string]string `json:"transcript,omitempty"`
	Files             map[string]string `json:"files"` // file name -> sha256 hex
}

// IsShardKeys reports whether dir holds shard keys (ShardMetaFile).
func IsShardKeys(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, ShardMetaFile))
	return err == nil
}

// files returns the files of the directory as Meta, for readStream.
func (m *ShardMeta) files() *Meta { return &Meta{Files: m.Files} }

// SetupShards compiles the shard circuit of spec and, when totals is not
// nil, the totals circuit, runs a single-party Groth16 setup of each and
// writes dir. Files are written atomically, ShardMetaFile last; on error
// nothing written is left.
func SetupShards(spec *circuits.ShardSpec, totals *circuits.TotalsSpec, dir string, pr *progress.Reporter) (_ *ShardMeta, err error) {
	done := pr.Start("compile the shard circuit")
	cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, circuits.NewShard(spec))
	if err != nil {
		return nil, fmt.Errorf("compile shard circuit: %w", err)
	}
	n := spec.Desc.ShardSize
	done(fmt.Sprintf("%d constraints (%.1f per slot), %d wires", cs.GetNbConstraints(), float64(cs.GetNbConstraints())/float64(n), cs.GetNbInternalVariables()+cs.GetNbSecretVariables()+cs.GetNbPublicVariables()))
	done = pr.Start("setup of the shard circuit (single-party Groth16)")
	pk, vk, err := groth16.Setup(cs)
	if err != nil {
		return nil, fmt.Errorf("groth16 setup: %w", err)
	}
	done("")
	id := spec.ID()
	meta := &ShardMeta{Format: ShardMetaFormat, CircuitID: hex.EncodeToString(id[:]), Shard: spec.Desc, Constraints: cs.GetNbConstraints(),
		PublicInputs: cs.GetNbPublicVariables() - 1, SetupKind: SingleParty, Files: map[string]string{}}
	type set struct {
		cs            constraint.ConstraintSystem
		pk            groth16.ProvingKey
		vk            groth16.VerifyingKey
		csF, pkF, vkF string
	}
	sets := []set{{cs, pk, vk, ConstraintsFile, ProvingKeyFile, VerifyingKeyFile}}
	if totals != nil {
		done = pr.Start("compile and set up the totals circuit")
		tcs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, circuits.NewTotals(totals))
		if err != nil {
			return nil, fmt.Errorf("compile totals circuit: %w", err)
		}
		tpk, tvk, err := groth16.Setup(tcs)
		if err != nil {
			return nil, fmt.Errorf("groth16 setup of the totals circuit: %w", err)
		}
		done(fmt.Sprintf("%d constraints", tcs.GetNbConstraints()))
		d := totals.Desc
		tid := d.ID()
		meta.Totals, meta.TotalsID, meta.TotalsConstraints = &d, hex.EncodeToString(tid[:]), tcs.GetNbConstraints()
		sets = append(sets, set{tcs, tpk, tvk, TotalsConstraintsFile, TotalsProvingKeyFile, TotalsVerifyingKeyFile})
	}

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
			os.Remove(dir)
		}
	}()
	if err := os.Remove(filepath.Join(dir, ShardMetaFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	done = pr.Start("write keys")
	for _, s := range sets {
		for _, f := range []struct {
			name string
			w    func(io.Writer) (int64, error)
		}{{s.csF, s.cs.WriteTo}, {s.pkF, s.pk.WriteRawTo}, {s.vkF, s.vk.WriteTo}} {
			sum, err := writeHashed(filepath.Join(dir, f.name), f.w)
			if err != nil {
				return nil, err
			}
			written = append(written, f.name)
			meta.Files[f.name] = sum
		}
	}
	data, err := jsonfile.Indent(meta)
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, ShardMetaFile), data, 0o644); err != nil {
		return nil, err
	}
	done("")
	return meta, nil
}

// ReadShardMeta reads dir/shard-circuit.json.
func ReadShardMeta(dir string) (*ShardMeta, error) {
	path := filepath.Join(dir, ShardMetaFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("shard keys directory %s: %w (run `zkeval setup --shard-size N` first)", dir, err)
	}
	const hint = "the shard keys directory is damaged: run `zkeval setup --shard-size N` again"
	var m ShardMeta
	if err := jsonfile.Decode(data, path, ShardMetaFormat, hint, &m); err != nil {
		return nil, err
	}
	if m.Format != ShardMetaFormat {
		return nil, fmt.Errorf("%s: format %q, want %q; %s", path, m.Format, ShardMetaFormat, hint)
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
