package ceremony

import (
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/consensys/gnark/constraint"

	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/internal/progress"
	"github.com/zkeval/zkeval/internal/safefile"
	"github.com/zkeval/zkeval/keys"
)

// Target is the circuit a ceremony makes keys for, one of:
//
//   - *circuits.Spec: the evaluation circuit of one benchmark (keys
//     directory, package keys);
//   - *circuits.ShardSpec: the shard circuit of a shard shape, which every
//     shard of that size proves with (shard keys directory);
//   - *circuits.TotalsSpec: the totals circuit of a sharded benchmark
//     whose claims hide values; it depends on the number of shards and the
//     label counts, so it has its own ceremony, which can reuse the shard
//     ceremony's closed phase 1 (InitOptions.Phase1From), and Seal adds its
//     keys to the shard keys directory.
//
// The manifest records the target's published description (Circuit.Public,
// Circuit.Shard or Circuit.Totals), from which anyone recompiles it.
type Target interface {
	ID() [32]byte
}

// checkSpec validates the target a ceremony step was given: its
// description, bounds included. Errors wrap ErrInvalid.
func checkSpec(t Target) error {
	var err error
	switch s := t.(type) {
	case *circuits.Spec:
		err = s.Validate()
	case *circuits.ShardSpec:
		err = s.Desc.Validate()
	case *circuits.TotalsSpec:
		err = s.Desc.Validate()
	default:
		return fmt.Errorf("ceremony: unknown circuit %T", t)
	}
	if err != nil {
		return invalid("circuit description: %v", err)
	}
	return nil
}

// describe returns the manifest's description of t (its constraints and
// constraint-system digest unset).
func describe(t Target) Circuit {
	id := t.ID()
	c := Circuit{ID: hex.EncodeToString(id[:])}
	switch s := t.(type) {
	case *circuits.Spec:
		p := s.Public()
		c.Public = &p
	case *circuits.ShardSpec:
		d := s.Desc
		c.Shard = &d
	case *circuits.TotalsSpec:
		d := s.Desc
		c.Totals = &d
	}
	return c
}

// what names t's kind of circuit in messages.
func what(t Target) string {
	switch t.(type) {
	case *circuits.ShardSpec:
		return "shard circuit"
	case *circuits.TotalsSpec:
		return "totals circuit"
	}
	return "circuit"
}

// compileTarget compiles t.
func compileTarget(t Target) (constraint.ConstraintSystem, error) {
	switch s := t.(type) {
	case *circuits.Spec:
		return keys.Compile(s)
	case *circuits.ShardSpec:
		return keys.CompileShard(s)
	case *circuits.TotalsSpec:
		return keys.CompileTotals(s)
	}
	return nil, fmt.Errorf("ceremony: unknown circuit %T", t)
}

// mismatch says why t is not the circuit of m (whose id differs).
func mismatch(t Target, m *Manifest) string {
	c := m.Circuit
	switch s := t.(type) {
	case *circuits.Spec:
		if c.Public == nil {
			return fmt.Sprintf("the transcript is for a %s, the description given is of an evaluation circuit", c.Kind())
		}
		got, want := s.Public(), *c.Public
		switch {
		case got.BenchmarkDigest != want.BenchmarkDigest:
			return fmt.Sprintf("another benchmark: the transcript's circuit evaluates benchmark %s (%d samples), the one given is %s (%d samples)", want.BenchmarkDigest, want.Samples, got.BenchmarkDigest, got.Samples)
		case got.Shape.String() != want.Shape.String():
			return fmt.Sprintf("another model shape: the transcript's is %s, the one given %s", want.Shape.String(), got.Shape.String())
		case fmt.Sprint(got.AccBits) != fmt.Sprint(want.AccBits):
			return fmt.Sprintf("other accumulator widths: the transcript's are %v, the model given needs %v", want.AccBits, got.AccBits)
		case fmt.Sprint(got.Claims) != fmt.Sprint(want.Claims):
			return fmt.Sprintf("other claims: the transcript's are %s, the ones given %s", claim.JoinShapes(want.Claims), claim.JoinShapes(got.Claims))
		case got.Version != want.Version:
			return fmt.Sprintf("another circuit version: %s, this zkeval builds %s", want.Version, got.Version)
		}
	case *circuits.ShardSpec:
		if c.Shard == nil {
			return fmt.Sprintf("the transcript is for a %s, the description given is of a shard circuit", c.Kind())
		}
		got, want := s.Desc, *c.Shard
		switch {
		case got.ShardSize != want.ShardSize:
			return fmt.Sprintf("another shard size: the transcript's shards hold %d samples, the ones given %d", want.ShardSize, got.ShardSize)
		case got.Shape.String() != want.Shape.String():
			return fmt.Sprintf("another model shape: the transcript's is %s, the one given %s", want.Shape.String(), got.Shape.String())
		case fmt.Sprint(got.AccBits) != fmt.Sprint(want.AccBits) || got.InputBits != want.InputBits:
			return fmt.Sprintf("other bounds: the transcript's accumulator widths are %v over %d-bit inputs, the model and benchmark given need %v over %d-bit inputs", want.AccBits, want.InputBits, got.AccBits, got.InputBits)
		case fmt.Sprint(got.Claims) != fmt.Sprint(want.Claims):
			return fmt.Sprintf("other claims: the transcript's are %s, the ones given %s", claim.JoinShapes(want.Claims), claim.JoinShapes(got.Claims))
		case got.Version != want.Version:
			return fmt.Sprintf("another circuit version: %s, this zkeval builds %s", want.Version, got.Version)
		}
	case *circuits.TotalsSpec:
		if c.Totals == nil {
			return fmt.Sprintf("the transcript is for a %s, the description given is of a totals circuit", c.Kind())
		}
		got, want := s.Desc, *c.Totals
		switch {
		case got.ShardID != want.ShardID:
			return fmt.Sprintf("another shard circuit: the transcript's totals follow shard circuit %s, the ones given %s", want.ShardID, got.ShardID)
		case got.Shards != want.Shards:
			return fmt.Sprintf("another number of shards: the transcript's %d, the one given %d", want.Shards, got.Shards)
		case fmt.Sprint(got.LabelCounts) != fmt.Sprint(want.LabelCounts):
			return "other label counts: the benchmark given is not the transcript's"
		}
	}
	return "another circuit"
}

// Kind names the circuit a manifest describes: "evaluation circuit",
// "shard circuit" or "totals circuit".
func (c Circuit) Kind() string {
	switch {
	case c.Shard != nil:
		return "shard circuit"
	case c.Totals != nil:
		return "totals circuit"
	}
	return "evaluation circuit"
}

// descID returns the id of the one description c holds, or an error when
// it holds none or several.
func (c Circuit) descID() ([32]byte, error) {
	n := 0
	var id [32]byte
	if c.Public != nil {
		n, id = n+1, c.Public.ID()
	}
	if c.Shard != nil {
		n, id = n+1, c.Shard.ID()
	}
	if c.Totals != nil {
		n, id = n+1, c.Totals.ID()
	}
	if n != 1 {
		return id, invalid("the manifest describes %d circuits (public, shard, totals); a transcript is for exactly one", n)
	}
	return id, nil
}

// validate checks the description c holds, bounds included.
func (c Circuit) validate() error {
	switch {
	case c.Public != nil && c.Public.Version != "":
		return c.Public.Validate()
	case c.Shard != nil:
		return c.Shard.Validate()
	case c.Totals != nil:
		return c.Totals.Validate()
	}
	return nil
}

// TargetFromManifest rebuilds the shard or totals circuit a transcript
// describes; they depend on their published description alone (the shard
// circuit not on the benchmark, the totals circuit holding the label
// counts). For an evaluation circuit, which needs the benchmark, use
// SpecFromPublic. Errors wrap ErrInvalid.
func TargetFromManifest(m *Manifest) (Target, error) {
	switch c := m.Circuit; {
	case c.Shard != nil:
		return ShardSpecFrom(*c.Shard)
	case c.Totals != nil:
		return TotalsSpecFrom(*c.Totals)
	}
	return nil, invalid("the transcript is for an evaluation circuit: its circuit needs the benchmark (--benchmark)")
}

// ShardSpecFrom rebuilds a shard circuit from its published description.
// Errors wrap ErrInvalid.
func ShardSpecFrom(d desc.Shard) (*circuits.ShardSpec, error) {
	if d.Version != desc.ShardVersion {
		return nil, invalid("shard circuit version %q; this zkeval builds %q", d.Version, desc.ShardVersion)
	}
	s, err := circuits.NewShardSpecFrom(d)
	if err != nil {
		return nil, invalid("%v", err)
	}
	return s, nil
}

// TotalsSpecFrom rebuilds a totals circuit from its published description.
// Errors wrap ErrInvalid.
func TotalsSpecFrom(d desc.Totals) (*circuits.TotalsSpec, error) {
	s, err := circuits.NewTotalsSpec(d)
	if err != nil {
		return nil, invalid("totals circuit: %v", err)
	}
	return s, nil
}

// writeKeys writes the sealed keys of t: a keys directory for an
// evaluation circuit, a shard keys directory for a shard circuit, and for a
// totals circuit its keys added to the shard keys directory dir.
func writeKeys(t Target, dir string, st *state, transcript map[string]string, pr *progress.Reporter) (*keys.Meta, *keys.ShardMeta, error) {
	ks := keys.KeySet{CS: st.r1cs, PK: st.pk, VK: st.vk, Kind: keys.Ceremony, Transcript: transcript}
	var files map[string]string
	var names [3]string
	var meta *keys.Meta
	var smeta *keys.ShardMeta
	var err error
	switch s := t.(type) {
	case *circuits.Spec:
		meta, err = keys.Write(dir, s, st.r1cs, st.pk, st.vk, keys.Ceremony, transcript, pr)
		if err == nil {
			files, names = meta.Files, [3]string{keys.ConstraintsFile, keys.ProvingKeyFile, keys.VerifyingKeyFile}
		}
	case *circuits.ShardSpec:
		smeta, err = keys.WriteShards(dir, s, ks, nil, nil, pr)
		if err == nil {
			files, names = smeta.Files, [3]string{keys.ConstraintsFile, keys.ProvingKeyFile, keys.VerifyingKeyFile}
		}
	case *circuits.TotalsSpec:
		smeta, err = keys.AddTotals(dir, s, ks, pr)
		if err == nil {
			files, names = smeta.Files, [3]string{keys.TotalsConstraintsFile, keys.TotalsProvingKeyFile, keys.TotalsVerifyingKeyFile}
		}
	default:
		err = fmt.Errorf("ceremony: unknown circuit %T", t)
	}
	if err != nil {
		return nil, nil, err
	}
	if files[names[2]] != st.vkSHA || files[names[1]] != st.pkSHA || files[names[0]] != st.m.Circuit.ConstraintSystemSHA256 {
		return nil, nil, fmt.Errorf("the keys written to %s do not have the digests the transcript records", dir)
	}
	return meta, smeta, nil
}

// checkShardKeys is checkKeys for a shard or totals circuit: the shard
// keys directory dir records this circuit with setup kind "ceremony" and
// this transcript, and its files are the sealed ones.
func checkShardKeys(dir string, st *state, rep *Report, csSHA, vkSHA string, vkBytes int64) error {
	metaPath := filepath.Join(dir, keys.ShardMetaFile)
	data, err := safefile.ReadFile(metaPath, keys.MaxMetaBytes, "shard keys description")
	if errors.Is(err, safefile.ErrNotRegular) || errors.Is(err, safefile.ErrTooLarge) {
		return invalid("%v", err)
	}
	if err != nil {
		return err
	}
	meta, err := keys.ParseShardMeta(data, metaPath)
	if err != nil {
		return invalid("%v", err)
	}
	m := rep.Manifest
	want := map[string]string{"sha256": rep.ManifestSHA256}
	names := [3]string{keys.ConstraintsFile, keys.ProvingKeyFile, keys.VerifyingKeyFile}
	var diff string
	if m.Circuit.Totals != nil {
		names = [3]string{keys.TotalsConstraintsFile, keys.TotalsProvingKeyFile, keys.TotalsVerifyingKeyFile}
		switch {
		case meta.TotalsID != m.Circuit.ID:
			diff = fmt.Sprintf("totals circuit %q, not %s", meta.TotalsID, m.Circuit.ID)
		case meta.TotalsConstraints != m.Circuit.Constraints:
			diff = fmt.Sprintf("%d totals constraints, not %d", meta.TotalsConstraints, m.Circuit.Constraints)
		case meta.TotalsSetupKind != keys.Ceremony || fmt.Sprint(meta.TotalsTranscript) != fmt.Sprint(want):
			diff = fmt.Sprintf("totals setup %s %v, not ceremony %v", meta.TotalsSetupKind, meta.TotalsTranscript, want)
		}
	} else {
		switch {
		case meta.CircuitID != m.Circuit.ID:
			diff = fmt.Sprintf("shard circuit %s, not %s", meta.CircuitID, m.Circuit.ID)
		case meta.Constraints != m.Circuit.Constraints:
			diff = fmt.Sprintf("%d constraints, not %d", meta.Constraints, m.Circuit.Constraints)
		case meta.PublicInputs != st.r1cs.GetNbPublicVariables()-1:
			diff = fmt.Sprintf("%d public inputs, not %d", meta.PublicInputs, st.r1cs.GetNbPublicVariables()-1)
		case meta.SetupKind != keys.Ceremony || fmt.Sprint(meta.Transcript) != fmt.Sprint(want):
			diff = fmt.Sprintf("setup %s %v, not ceremony %v", meta.SetupKind, meta.Transcript, want)
		}
	}
	if diff == "" {
		for i, sha := range []string{csSHA, rep.ProvingKeySHA256, vkSHA} {
			if meta.Files[names[i]] != sha {
				diff = fmt.Sprintf("%s has SHA-256 %s, not %s", names[i], meta.Files[names[i]], sha)
				break
			}
		}
	}
	if diff != "" {
		return invalid("keys %s: %s does not describe the keys this transcript sealed: %s", dir, keys.ShardMetaFile, diff)
	}
	return checkKeyFiles(dir, names, [3]string{csSHA, rep.ProvingKeySHA256, vkSHA}, [3]int64{st.csBytes, rep.ProvingKeyBytes, vkBytes})
}

// checkKeyFiles checks the size and SHA-256 of the three files of a
// circuit's keys in dir, each read only if it is a regular file of the
// expected size.
func checkKeyFiles(dir string, names, shas [3]string, sizes [3]int64) error {
	for i, name := range names {
		path := filepath.Join(dir, name)
		got, size, err := fileDigest(path, sizes[i])
		var tl *safefile.TooLargeError
		switch {
		case errors.As(err, &tl):
			return invalid("%s has %d bytes, but the ceremony sealed %d", path, tl.Size, sizes[i])
		case errors.Is(err, safefile.ErrNotRegular):
			return invalid("%v", err)
		case err != nil:
			return err
		case size != sizes[i]:
			return invalid("%s has %d bytes, but the ceremony sealed %d", path, size, sizes[i])
		case got != shas[i]:
			return invalid("%s has SHA-256 %s, but the ceremony sealed %s", path, got, shas[i])
		}
	}
	return nil
}
