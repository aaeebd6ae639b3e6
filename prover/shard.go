package prover

import (
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"time"

	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/shard"
)

// ShardFileName returns the name of shard i's proof file in a shards
// directory: shard-00003.json. combine takes only files of this form.
func ShardFileName(i int) string { return fmt.Sprintf("shard-%05d.json", i) }

// ShardRequest is what one shard's proof needs: Request's fields and the
// shard's index.
type ShardRequest struct {
	Request
	Index int
	// ClaimsChecked skips CheckWhole: the caller has checked the claims
	// over the whole benchmark already (the local runner, once for all
	// its shards).
	ClaimsChecked bool
	// Keys, when not nil, are KeysDir's keys loaded once by LoadShardKeys
	// (the local runner proving several shards in one process); nil loads
	// them for this shard alone.
	Keys *ShardKeys
}

// ErrKeysChanged is returned by ProveShard when the keys directory no
// longer holds the keys of ShardRequest.Keys (loaded earlier): the shards
// proven with them and those proven with the new keys cannot be combined.
var ErrKeysChanged = errors.New("the keys directory changed since its keys were loaded")

// ShardKeys are a shard keys directory's constraint system, proving key
// and verifying key, read once (their SHA-256 digests checked against the
// directory's metadata) to prove several shards. For the LeNet-5 shards of
// 100 images the files hold about 2 GB and take about 13 s to read; the
// loaded keys take about 4 GiB of memory. A ShardKeys is used by one
// proof at a time.
type ShardKeys struct {
	dir       string
	circuitID string
	files     map[string]string // the metadata's file digests when loaded
	cs        constraint.ConstraintSystem
	pk        groth16.ProvingKey
	vk        groth16.VerifyingKey
}

// LoadShardKeys reads the keys of the shard keys directory dir. Errors: a
// missing or damaged file (a digest that does not match the metadata).
func LoadShardKeys(dir string) (*ShardKeys, error) {
	meta, err := keys.ReadShardMeta(dir)
	if err != nil {
		return nil, err
	}
	return loadShardKeys(dir, meta)
}

func loadShardKeys(dir string, meta *keys.ShardMeta) (*ShardKeys, error) {
	cs, pk, err := keys.LoadShardProver(dir, meta)
	if err != nil {
		return nil, err
	}
	vk, err := keys.LoadShardVerifyingKey(dir, meta, keys.VerifyingKeyFile)
	if err != nil {
		return nil, err
	}
	return &ShardKeys{dir: dir, circuitID: meta.CircuitID, files: maps.Clone(meta.Files), cs: cs, pk: pk, vk: vk}, nil
}

// ShardSetup checks that the keys directory holds shard keys for this
// model, benchmark and claims, and returns them with the shard spec.
func ShardSetup(keysDir string, m *model.Model, b *benchmark.Benchmark, shapes []claim.Shape) (*keys.ShardMeta, *circuits.ShardSpec, error) {
	meta, err := keys.ReadShardMeta(keysDir)
	if err != nil {
		return nil, nil, err
	}
	spec, err := circuits.NewShardSpecFrom(meta.Shard)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", filepath.Join(keysDir, keys.ShardMetaFile), err)
	}
	d := spec.Desc
	if id := spec.ID(); hex.EncodeToString(id[:]) != meta.CircuitID {
		return nil, nil, fmt.Errorf("%s: circuitId %s is not the id of its shard description; the keys directory is damaged", filepath.Join(keysDir, keys.ShardMetaFile), meta.CircuitID)
	}
	if err := circuits.CheckCompatible(m, b); err != nil {
		return nil, nil, err
	}
	if sh := m.Shape(); !reflect.DeepEqual(sh, d.Shape) {
		return nil, nil, fmt.Errorf("the keys in %s are for models of shape %s; this model is %s: make shard keys for it", keysDir, d.Shape.String(), sh.String())
	}
	if !slices.Equal(b.ClassNames, d.Classes) || b.GroupAttribute != d.GroupAttribute || !slices.Equal(b.GroupNames, d.Groups) {
		return nil, nil, fmt.Errorf("the keys in %s are for classes %q and groups %q; benchmark %s has %q and %q", keysDir, d.Classes, d.Groups, b.Name, b.ClassNames, b.GroupNames)
	}
	if !slices.Equal(shapes, d.Claims) {
		return nil, nil, fmt.Errorf("the keys in %s prove the claims %s; this proof asks for %s. Make keys with the same claim shapes, or prove the claims the keys were made for", keysDir, shapeList(d.Claims), shapeList(shapes))
	}
	return meta, spec, nil
}

// CheckWhole evaluates the model natively on every sample of the whole
// benchmark (not one shard) and checks req.Claims there, as Prove does
// before its proof: a shard of a false claim is refused before it is
// proven, not first by combine. Errors: a wrapped ErrClaimFalse naming
// each false claim with its true value (Prove's wording), or an error when
// a claim does not fit the benchmark or the model not the benchmark.
func CheckWhole(req *Request) (*Evaluation, error) {
	m, b := req.Model, req.Benchmark
	if err := circuits.CheckCompatible(m, b); err != nil {
		return nil, err
	}
	shapes, claims, err := Shapes(req.Claims)
	if err != nil {
		return nil, err
	}
	labels, targets, err := circuits.ResolveOnBenchmark(shapes, b)
	if err != nil {
		return nil, err
	}
	done := req.Progress.Start(fmt.Sprintf("native evaluation of the whole benchmark (%d samples)", b.Len()))
	ev, err := Evaluate(m, b)
	if err != nil {
		return nil, err
	}
	done(fmt.Sprintf("%d/%d correct", ev.Correct, ev.Samples))
	checked, err := check(targets, labels, claims, ev)
	if err != nil {
		return nil, err
	}
	return ev, falseClaims(checked)
}

// ProveShard checks the opening and, unless req.ClaimsChecked, the claims
// over the whole benchmark (CheckWhole: a wrapped ErrClaimFalse when one
// is false, before any proof); evaluates the model natively on shard
// req.Index of the benchmark (refusing values outside the keys' bounds),
// proves the shard with the keys of req.KeysDir, checks the proof with
// their verifying key and returns the shard file. combine checks the
// claims again over the shards' proven counts.
func ProveShard(req *ShardRequest, expectCommitment *big.Int) (*attestation.ShardFile, error) {
	pr := req.Progress
	m, b := req.Model, req.Benchmark
	shapes, claims, err := Shapes(req.Claims)
	if err != nil {
		return nil, err
	}
	meta, spec, err := ShardSetup(req.KeysDir, m, b, shapes)
	if err != nil {
		return nil, err
	}
	cm, err := commitment.Commit(m, req.Salt)
	if err != nil {
		return nil, err
	}
	if expectCommitment != nil && cm.Cmp(expectCommitment) != 0 {
		return nil, fmt.Errorf("%w: Poseidon2(salt, model) = %s, but the opening names commitment %s", ErrOpening, commitment.FormatElement(cm), commitment.FormatElement(expectCommitment))
	}
	lay := spec.Desc.Layout()
	n := shard.Count(b.Len(), lay.Size)
	if req.Index < 0 || req.Index >= n {
		return nil, fmt.Errorf("shard %d: benchmark %s has %d shards of %d samples, 0 to %d", req.Index, b.Name, n, lay.Size, n-1)
	}
	if !req.ClaimsChecked {
		if _, err := CheckWhole(&req.Request); err != nil {
			return nil, err
		}
	}
	done := pr.Start(fmt.Sprintf("shard %d of %d: native evaluation", req.Index, n))
	slots, err := lay.Of(b, req.Index)
	if err != nil {
		return nil, err
	}
	var countsSalt *big.Int
	if len(spec.Hidden()) > 0 {
		if countsSalt, err = commitment.NewSalt(); err != nil {
			return nil, err
		}
	}
	in, err := circuits.EvalShard(spec, m, req.Index, slots, countsSalt)
	if err != nil {
		return nil, err
	}
	done("")
	k := req.Keys
	if k == nil {
		done = pr.Start("load keys")
		if k, err = loadShardKeys(req.KeysDir, meta); err != nil {
			return nil, err
		}
		done("")
	} else if k.dir != req.KeysDir || k.circuitID != meta.CircuitID {
		return nil, fmt.Errorf("the loaded keys are those of %s (circuit %s), not of %s (circuit %s)", k.dir, k.circuitID, req.KeysDir, meta.CircuitID)
	} else if !maps.Equal(k.files, meta.Files) {
		return nil, fmt.Errorf("%w: %s names other file digests than those loaded for this run (another setup wrote it?); to use the keys now there, move this run's shard files out of the -o directory and prove every shard again", ErrKeysChanged, filepath.Join(req.KeysDir, keys.ShardMetaFile))
	}
	cs, pk, vk := k.cs, k.pk, k.vk
	assign, err := circuits.ShardAssignment(spec, m, req.Salt, cm, in)
	if err != nil {
		return nil, err
	}
	done = pr.Start("derive the challenge (a solve with the commitment) and the fingerprint")
	opts, err := circuits.BindShard(cs, pk, spec, assign, in)
	if err != nil {
		return nil, err
	}
	done("")
	pv, err := proveAssignment(pr, fmt.Sprintf("prove shard %d (Groth16, BN254)", req.Index), cs, pk, assign, opts...)
	if err != nil {
		return nil, err
	}
	if err := groth16.Verify(pv.proof, vk, pv.pub); err != nil {
		return nil, fmt.Errorf("the shard proof does not verify with %s (%v): the proving and verifying keys of %s do not belong together; make the keys again", filepath.Join(req.KeysDir, keys.VerifyingKeyFile), err, req.KeysDir)
	}
	vkRaw, err := os.ReadFile(filepath.Join(req.KeysDir, keys.VerifyingKeyFile))
	if err != nil {
		return nil, err
	}
	if keys.Digest(vkRaw) != meta.Files[keys.VerifyingKeyFile] {
		return nil, fmt.Errorf("%s changed while proving", filepath.Join(req.KeysDir, keys.VerifyingKeyFile))
	}

	d := spec.Desc
	names := d.Names()
	sp := attestation.ShardProof{Index: req.Index, Challenge: commitment.FormatElement(in.Challenge), Fingerprint: commitment.FormatElement(in.Fingerprint), LabelCounts: rows(in.LabelCounts, d.NumGroups(), len(d.Classes)), Bytes: pv.bytes}
	for _, v := range in.LabelCounts {
		sp.Samples += int(v)
	}
	for j, ct := range spec.Revealed() {
		sp.Counts = append(sp.Counts, attestation.Count{Name: ct.Name(names.Classes, names.Groups), Value: in.Revealed[j]})
	}
	f := &attestation.ShardFile{
		Format:          attestation.ShardFileFormat,
		Model:           attestation.ModelInfo{Name: m.Name, Commitment: commitment.FormatElement(cm), CommitmentScheme: commitment.Scheme},
		Count:           n,
		Circuit:         attestation.ShardCircuitInfo{ID: meta.CircuitID, Public: d, Constraints: cs.GetNbConstraints(), PublicCount: meta.PublicInputs},
		Setup:           attestation.SetupInfo{Kind: meta.SetupKind, Transcript: meta.Transcript},
		VerifyingKey:    map[string]string{"sha256": meta.Files[keys.VerifyingKeyFile]},
		VerifyingKeyRaw: vkRaw,
		Proof:           sp,
		Producer:        attestation.ProducerInfo{Name: "zkeval", Version: Version},
		ProvedAt:        time.Now().UTC().Truncate(time.Second),
	}
	digest, err := b.Digest()
	if err != nil {
		return nil, err
	}
	f.Benchmark = attestation.BenchmarkInfo{Name: b.Name, Split: b.Split, Samples: b.Len(), Digest: map[string]string{"sha256": hex.EncodeToString(digest[:])}}
	if len(spec.Hidden()) > 0 {
		sp := &f.Proof
		sp.CountsCommitment = commitment.FormatElement(in.CountsCm)
		f.Secret = &attestation.ShardSecret{HiddenCounts: in.Hidden, Salt: commitment.FormatElement(countsSalt)}
	}
	f.Claims = fileClaims(claims)
	pr.Printf("shard %d: proof %d bytes, %d constraints, prove %.2f s\n", req.Index, len(pv.bytes), cs.GetNbConstraints(), pv.took.Seconds())
	return f, nil
}

// fileClaims returns the claims as a shard file lists them (sorted as
// Shapes sorts them).
func fileClaims(claims []Claimed) []attestation.Claim {
	var out []attestation.Claim
	for _, c := range claims {
		cl := c.Claim
		out = append(out, attestation.Claim{Metric: cl.Metric, Class: cl.Class, Group: cl.Group, Positive: cl.Positive, Comparison: cl.Comparison, Threshold: cl.Text, Hidden: !c.Reveal})
	}
	return out
}

// ShardFileCheck is what a shard file of one run states: the model
// commitment, the keys (circuit id, verifying key digest, setup), the
// benchmark digest and the claims. The local runner's --resume builds one
// and keeps the files that fit it.
type ShardFileCheck struct {
	commitment string
	circuitID  string
	vkDigest   string
	setup      attestation.SetupInfo
	bench      string
	claims     []attestation.Claim
}

// NewShardFileCheck reads what req (under the keys of req.KeysDir, with
// model commitment cm) makes a shard file state. Errors: unreadable keys
// metadata, claims that repeat, a benchmark that does not encode.
func NewShardFileCheck(req *Request, cm *big.Int) (*ShardFileCheck, error) {
	meta, err := keys.ReadShardMeta(req.KeysDir)
	if err != nil {
		return nil, err
	}
	_, claims, err := Shapes(req.Claims)
	if err != nil {
		return nil, err
	}
	digest, err := req.Benchmark.Digest()
	if err != nil {
		return nil, err
	}
	return &ShardFileCheck{commitment: commitment.FormatElement(cm), circuitID: meta.CircuitID, vkDigest: meta.Files[keys.VerifyingKeyFile],
		setup: attestation.SetupInfo{Kind: meta.SetupKind, Transcript: meta.Transcript}, bench: hex.EncodeToString(digest[:]), claims: fileClaims(claims)}, nil
}

// Fits returns nil when f, a shard file read back from disk, is shard i's
// file of this run; else an error naming the first field that differs. It
// does not check the proof: combine does.
func (c *ShardFileCheck) Fits(f *attestation.ShardFile, i int) error {
	switch {
	case f.Proof.Index != i:
		return fmt.Errorf("proof.index is %d, not %d", f.Proof.Index, i)
	case f.Model.Commitment != c.commitment:
		return fmt.Errorf("model.commitment is %s, not the opening's %s", f.Model.Commitment, c.commitment)
	case f.Circuit.ID != c.circuitID:
		return fmt.Errorf("circuit.id is %s, not the keys' %s", f.Circuit.ID, c.circuitID)
	case f.VerifyingKey["sha256"] != c.vkDigest:
		return fmt.Errorf("verifyingKey.sha256 is %s, not the keys' %s (another setup of the same circuit)", f.VerifyingKey["sha256"], c.vkDigest)
	case !reflect.DeepEqual(f.Setup, c.setup):
		return fmt.Errorf("setup is %+v, not the keys' %+v", f.Setup, c.setup)
	case f.Benchmark.Digest["sha256"] != c.bench:
		return fmt.Errorf("benchmark.digest.sha256 is %s, not the benchmark's %s", f.Benchmark.Digest["sha256"], c.bench)
	case !reflect.DeepEqual(f.Claims, c.claims):
		return fmt.Errorf("its claims are %q, not those asked for, %q (a threshold is compared as written: 0.9 and 0.90 differ, as combine compares them)", claimList(f.Claims), claimList(c.claims))
	}
	return nil
}

// rows reshapes a group-major list into [groups][classes].
func rows(v []int64, G, K int) [][]int64 {
	out := make([][]int64, G)
	for g := range out {
		out[g] = append([]int64(nil), v[g*K:(g+1)*K]...)
	}
	return out
}

// readFileDigest reads dir/name and checks its SHA-256.
func readFileDigest(dir, name, want string) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	if got := keys.Digest(data); got != want {
		return nil, fmt.Errorf("%s: SHA-256 %s does not match %s (%s); make the keys again", filepath.Join(dir, name), got, keys.ShardMetaFile, want)
	}
	return data, nil
}
