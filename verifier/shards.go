package verifier

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"time"
	"unicode"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/frontend"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/internal/groth16batch"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/metric"
	"github.com/zkeval/zkeval/shard"
)

// ShardOptions tunes VerifySharded.
type ShardOptions struct {
	// Benchmark, when set, is checked against the attestation's benchmark
	// digest, and every shard's fingerprint is recomputed from its samples
	// at the shard's challenge. Without it the result is still valid, but
	// says that the samples were not checked (SamplesUncheckedWarning).
	Benchmark     *benchmark.Benchmark
	BenchmarkFile string
	// AttestationFile names the attestation's file in errors.
	AttestationFile string
	// TotalsVK is the totals circuit's verifying key, needed when a claim
	// hides its value; TotalsVKSource names it.
	TotalsVK       []byte
	TotalsVKSource string
}

// ShardError is an ErrInvalid that names the shard at fault.
type ShardError struct {
	Index  int
	Detail string
}

func (e *ShardError) Error() string {
	return fmt.Sprintf("%s: shard %d: %s", ErrInvalid.Error(), e.Index, e.Detail)
}
func (e *ShardError) Is(target error) bool { return target == ErrInvalid }

func shardInvalid(i int, format string, a ...any) error {
	return &ShardError{Index: i, Detail: fmt.Sprintf(format, a...)}
}

// ShardedResult is a successful verification of a sharded attestation.
type ShardedResult struct {
	Statement          *attestation.ShardedStatement
	Claims             []ClaimResult
	VerifyingKeySHA256 string
	TotalsKeySHA256    string
	// BenchmarkChecked: the benchmark digest and every shard fingerprint
	// were recomputed from the benchmark file. Without it, nothing ties
	// the proofs' samples to the benchmark the attestation names, and
	// Warnings holds SamplesUncheckedWarning.
	BenchmarkChecked bool
	// Setup says where the shard keys come from, TotalsSetup where the
	// totals keys come from (nil without a totals proof), as far as each
	// was checked: by VerifySharded from the attestation alone, by
	// CheckShardTranscript from a ceremony transcript.
	Setup, TotalsSetup *Setup
	Warnings           []string
	Elapsed            time.Duration
	PairingTime        time.Duration // the Groth16 checks, all shards together
}

// SamplesUncheckedWarning is the caveat of a sharded attestation verified
// without its benchmark (among ShardedResult.Warnings): the shard circuit,
// and so its verifying key, does not depend on the benchmark (unlike the
// evaluation circuit, whose id binds the benchmark digest), so only the
// fingerprints recomputed from the benchmark's samples tie the proven
// counts to it.
func SamplesUncheckedWarning(st *attestation.ShardedStatement) string {
	b := &st.Predicate.Benchmark
	return fmt.Sprintf("samples NOT checked: no shard fingerprint was recomputed from the benchmark, and the shard keys do not depend on the benchmark, so nothing but the attestation's word ties the proven counts to benchmark %s/%s (sha256 %s); the claims hold over the samples the proofs fingerprint, whichever they are; pass --benchmark FILE to check them",
		b.Name, b.Split, b.Digest["sha256"])
}

// VerifySharded checks a sharded attestation with the shard circuit's
// verifying key vkData: the shard circuit's description and id; that the
// proofs are exactly the shards 0 to Count-1 of a benchmark of the stated
// size, in order, each with the number of real samples its position
// implies (the sum of its proven label counts); with opt.Benchmark, that
// the benchmark digest is the file's and every shard's fingerprint is the
// fingerprint of that shard's samples at the shard's challenge
// (commitment.ShardFingerprint), and without it a warning that the samples
// were not checked (SamplesUncheckedWarning); every shard proof, over public inputs
// rebuilt from the attestation's fields (model commitment, circuit id,
// index, challenge, fingerprint, label counts, revealed counts,
// counts commitment); that the revealed claims' counts are the sums of the
// shards' counts and meet the claims; and, when claims hide values, the
// totals proof with the totals verifying key. Errors wrap ErrInvalid when
// the attestation does not hold (a *ShardError when one shard is at
// fault).
func VerifySharded(st *attestation.ShardedStatement, vkData []byte, vkSource string, opt ShardOptions) (*ShardedResult, error) {
	res, err := verifySharded(st, vkData, vkSource, opt)
	if err != nil && opt.AttestationFile != "" {
		if se := (*ShardError)(nil); errors.As(err, &se) {
			return nil, &ShardError{Index: se.Index, Detail: opt.AttestationFile + ": " + se.Detail}
		}
		if ce := (*CheckError)(nil); errors.As(err, &ce) && ce.File == "" {
			c := *ce
			c.File = opt.AttestationFile
			return nil, &c
		}
	}
	return res, err
}

func verifySharded(st *attestation.ShardedStatement, vkData []byte, vkSource string, opt ShardOptions) (*ShardedResult, error) {
	t0 := time.Now()
	p := &st.Predicate
	set := &p.Shards
	res := &ShardedResult{Statement: st, VerifyingKeySHA256: keys.Digest(vkData)}
	if err := checkPrintableSharded(st); err != nil {
		return nil, err
	}
	if want := set.VerifyingKey["sha256"]; want != res.VerifyingKeySHA256 || len(set.VerifyingKey) != 1 {
		return nil, invalid("verifying key %s has SHA-256 %s, but the shards were proven with the verifying key %s", vkSource, res.VerifyingKeySHA256, want)
	}
	vk, err := keys.ParseVerifyingKey(vkData, vkSource)
	if err != nil {
		return nil, invalid("%v", err)
	}

	// The shard circuit.
	d := set.Circuit.Public
	if id := d.ID(); hex.EncodeToString(id[:]) != set.Circuit.ID {
		return nil, invalid("shard circuit id %s does not match the shard circuit description in the attestation (which hashes to %x)", set.Circuit.ID, id)
	}
	spec, err := circuits.NewShardSpecFrom(d)
	if err != nil {
		return nil, invalid("%v", err)
	}
	if set.Size != d.ShardSize {
		return nil, invalid("shards.size is %d, but the shard circuit has %d slots", set.Size, d.ShardSize)
	}
	N := p.Benchmark.Samples
	if N < 1 || N > benchmark.MaxSamples {
		return nil, invalid("benchmark of %d samples", N)
	}
	count := shard.Count(N, set.Size)
	if set.Count != count || len(set.Proofs) != count {
		return nil, invalid("a benchmark of %d samples has %d shards of %d; the attestation says %d and holds %d proofs", N, count, set.Size, set.Count, len(set.Proofs))
	}

	// The benchmark.
	bd := p.Benchmark.Digest["sha256"]
	db, err := hex.DecodeString(bd)
	if err != nil || len(db) != 32 || len(p.Benchmark.Digest) != 1 {
		return nil, invalid("the benchmark must be named by its sha256 alone, 32 bytes of hex; got %v", p.Benchmark.Digest)
	}
	bfile := ""
	if b := opt.Benchmark; b != nil {
		dgst, err := b.Digest()
		if err != nil {
			return nil, err
		}
		file := "the benchmark file given"
		if opt.BenchmarkFile != "" {
			file = "benchmark file " + opt.BenchmarkFile
		}
		if hex.EncodeToString(dgst[:]) != bd {
			return nil, invalid("%s (%s/%s, %d samples) has digest %x, but the attestation is about benchmark %s (%s/%s, %d samples)", file, b.Name, b.Split, b.Len(), dgst, bd, p.Benchmark.Name, p.Benchmark.Split, N)
		}
		if p.Benchmark.Name != b.Name || p.Benchmark.Split != b.Split || N != b.Len() {
			return nil, invalid("the attestation names benchmark %s/%s of %d samples, but %s, whose digest it carries, is %s/%s of %d", p.Benchmark.Name, p.Benchmark.Split, N, file, b.Name, b.Split, b.Len())
		}
		if !slices.Equal(b.ClassNames, d.Classes) || b.GroupAttribute != d.GroupAttribute || !slices.Equal(b.GroupNames, d.Groups) {
			return nil, invalid("the shard circuit's classes and groups are not those of %s", file)
		}
		bfile = file
	}

	// The model.
	cm, err := commitment.ParseElement(p.Model.Commitment)
	if err != nil {
		return nil, invalid("model commitment: %v", err)
	}
	if p.Model.CommitmentScheme != commitment.Scheme || p.Model.Commitment != commitment.FormatElement(cm) {
		return nil, invalid("model commitment %q (%s) is not a canonical %s commitment", p.Model.Commitment, p.Model.CommitmentScheme, commitment.Scheme)
	}
	if len(st.Subject) != 1 || len(st.Subject[0].Digest) != 1 || st.Subject[0].Digest[attestation.SubjectDigestAlg] != fmt.Sprintf("%064x", cm) {
		return nil, invalid("the subject must be the model commitment alone")
	}

	// The shards: coverage, label counts, revealed counts, public inputs.
	G, K := d.NumGroups(), len(d.Classes)
	names := d.Names()
	labels := make([][]int64, G)
	for g := range labels {
		labels[g] = make([]int64, K)
	}
	revealed, hidden := spec.Revealed(), spec.Hidden()
	sums := make([]int64, len(revealed))
	witnesses := make([]*circuits.ShardCircuit, count)
	commitments := make([]*big.Int, count)
	challenges := make([]*big.Int, count)
	fingerprints := make([]*big.Int, count)
	for i := range set.Proofs {
		sp := &set.Proofs[i]
		if sp.Index != i {
			return nil, shardInvalid(i, "proof %d is the proof of shard %d; the shards must be listed once each, in order", i, sp.Index)
		}
		start, end := shard.Span(N, set.Size, i)
		if sp.Samples != end-start {
			return nil, shardInvalid(i, "holds %d samples; shard %d of a benchmark of %d samples in shards of %d holds %d", sp.Samples, i, N, set.Size, end-start)
		}
		in := &circuits.ShardInput{Index: i}
		if len(sp.LabelCounts) != G {
			return nil, shardInvalid(i, "%d rows of label counts for %d groups", len(sp.LabelCounts), G)
		}
		var real int64
		for g, row := range sp.LabelCounts {
			if len(row) != K {
				return nil, shardInvalid(i, "labelCounts[%d] has %d entries for %d classes", g, len(row), K)
			}
			for k, v := range row {
				if v < 0 || v > int64(set.Size) {
					return nil, shardInvalid(i, "labelCounts[%d][%d] = %d outside [0, %d]", g, k, v, set.Size)
				}
				real += v
				labels[g][k] += v
				in.LabelCounts = append(in.LabelCounts, v)
			}
		}
		if real != int64(sp.Samples) {
			return nil, shardInvalid(i, "its label counts sum to %d, but it holds %d samples", real, sp.Samples)
		}
		if in.Challenge = canonicalElement(sp.Challenge); in.Challenge == nil {
			return nil, shardInvalid(i, "challenge %q is not a canonical field element", sp.Challenge)
		}
		if in.Fingerprint = canonicalElement(sp.Fingerprint); in.Fingerprint == nil {
			return nil, shardInvalid(i, "fingerprint %q is not a canonical field element", sp.Fingerprint)
		}
		challenges[i], fingerprints[i] = in.Challenge, in.Fingerprint
		if len(sp.Counts) != len(revealed) {
			return nil, shardInvalid(i, "%d revealed counts; the shard circuit reveals %d", len(sp.Counts), len(revealed))
		}
		for j, ct := range revealed {
			if want := ct.Name(names.Classes, names.Groups); sp.Counts[j].Name != want {
				return nil, shardInvalid(i, "count %d is named %q, want %q", j, sp.Counts[j].Name, want)
			}
			if v := sp.Counts[j].Value; v < 0 || v > int64(sp.Samples) {
				return nil, shardInvalid(i, "count %s = %d outside [0, %d]", sp.Counts[j].Name, v, sp.Samples)
			}
			sums[j] += sp.Counts[j].Value
			in.Revealed = append(in.Revealed, sp.Counts[j].Value)
		}
		if (len(hidden) > 0) != (sp.CountsCommitment != "") {
			return nil, shardInvalid(i, "the shard circuit commits to %d hidden counts, but the proof's counts commitment is %q", len(hidden), sp.CountsCommitment)
		}
		if len(hidden) > 0 {
			if in.CountsCm = canonicalElement(sp.CountsCommitment); in.CountsCm == nil {
				return nil, shardInvalid(i, "counts commitment %q is not a canonical field element", sp.CountsCommitment)
			}
			commitments[i] = in.CountsCm
		}
		a, err := circuits.ShardPublicAssignment(spec, cm, in)
		if err != nil {
			return nil, shardInvalid(i, "%v", err)
		}
		witnesses[i] = a
	}
	if b := opt.Benchmark; b != nil {
		// Coverage: each shard's proof binds exactly shard i's samples.
		want, err := commitment.ShardFingerprints(d.Layout(), b, challenges)
		if err != nil {
			return nil, invalid("%s: %v", bfile, err)
		}
		for i, f := range want {
			if f.Cmp(fingerprints[i]) != 0 {
				return nil, shardInvalid(i, "at its challenge %s, shard %d of %s has fingerprint %s; the proof states %s: this proof is about other samples", set.Proofs[i].Challenge, i, bfile, commitment.FormatElement(f), set.Proofs[i].Fingerprint)
			}
		}
		res.BenchmarkChecked = true
	} else {
		res.Warnings = append(res.Warnings, SamplesUncheckedWarning(st))
	}
	if !slices.EqualFunc(labels, p.LabelCounts, slices.Equal) {
		return nil, invalid("labelCounts %v are not the sums of the shards' proven label counts %v", p.LabelCounts, labels)
	}

	// The claims over the whole benchmark.
	l := metric.Labels{Pos: labels}
	targets, err := desc.ResolveShapes(d.Claims, names, l)
	if err != nil {
		return nil, invalid("claims on the whole benchmark: %v", err)
	}
	if len(p.Claims) != len(d.Claims) {
		return nil, invalid("%d claims, but the shard circuit was made for %d", len(p.Claims), len(d.Claims))
	}
	var thresholds [][2]*big.Int
	for k, ac := range p.Claims {
		sh := d.Claims[k]
		if sh.Reveal {
			cs := metric.Counts(targets[k], l)
			if len(ac.Counts) != len(cs) {
				return nil, invalid("claim %d: %d counts; its value is computed from %d", k, len(ac.Counts), len(cs))
			}
			for j, ct := range cs {
				idx := slices.Index(revealed, ct)
				if ac.Counts[j].Value != sums[idx] {
					return nil, invalid("claim %d: count %s = %d, but the shards' counts sum to %d", k, ac.Counts[j].Name, ac.Counts[j].Value, sums[idx])
				}
			}
		}
		cr, in, err := checkClaim(k, ac, sh, targets[k], names, l)
		if err != nil {
			return nil, err
		}
		res.Claims = append(res.Claims, cr)
		if !sh.Reveal {
			thresholds = append(thresholds, [2]*big.Int{in.P, in.Q})
		}
	}
	reveal := make([]bool, len(d.Claims))
	for k, sh := range d.Claims {
		reveal[k] = sh.Reveal
	}
	for k, det := range metric.DeterminedHidden(targets, reveal, l) {
		res.Claims[k].Determined = det
	}

	// The proofs: every shard's at once (verifyShardProofs), then the
	// totals proof.
	tv := time.Now()
	if err := verifyShardProofs(set.Proofs, witnesses, vk); err != nil {
		return nil, err
	}
	if len(hidden) > 0 {
		if err := verifyTotals(st, spec, labels, commitments, thresholds, opt, res); err != nil {
			return nil, err
		}
	} else if p.Totals != nil {
		return nil, invalid("a totals proof, but no claim hides its value")
	}
	res.PairingTime = time.Since(tv)

	if err := checkSetupInfo("predicate.shards.setup", set.Setup); err != nil {
		return nil, err
	}
	res.setSetup(statedSetupInfo(set.Setup))
	if p.Totals != nil {
		if err := checkSetupInfo("predicate.totals.setup", p.Totals.Setup); err != nil {
			return nil, err
		}
		res.setTotalsSetup(statedSetupInfo(p.Totals.Setup))
	}
	res.Elapsed = time.Since(t0)
	return res, nil
}

// verifyShardProofs checks every shard's Groth16 proof against its public
// inputs: decoded in parallel, then checked as one batch
// (internal/groth16batch: one final exponentiation for all, an invalid
// proof passing with probability at most 2^-128). When the batch fails,
// each proof is checked alone with gnark's groth16.Verify, in parallel, to
// name the first invalid shard.
func verifyShardProofs(proofs []attestation.ShardProof, witnesses []*circuits.ShardCircuit, vk groth16.VerifyingKey) error {
	n := len(proofs)
	decoded := make([]groth16.Proof, n)
	public := make([]witness.Witness, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range proofs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			proof, err := keys.ParseProof(proofs[i].Bytes)
			if err != nil {
				errs[i] = shardInvalid(i, "proof bytes do not decode as a BN254 Groth16 proof: %v", err)
				return
			}
			decoded[i] = proof
			public[i], errs[i] = frontend.NewWitness(witnesses[i], ecc.BN254.ScalarField(), frontend.PublicOnly())
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	if batchVerify(decoded, public, vk) {
		return nil
	}
	for i := range proofs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := groth16Verify(decoded[i], vk, public[i]); err != nil {
				errs[i] = shardInvalid(i, "the Groth16 proof does not verify against this verifying key and the shard's public inputs (model commitment, index, challenge, fingerprint, counts): %v", err)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// batchVerify reports whether the batch check accepts every proof; false
// when it refuses or cannot take them (the caller then checks each).
func batchVerify(proofs []groth16.Proof, public []witness.Witness, vk groth16.VerifyingKey) bool {
	bvk, ok := vk.(*groth16bn254.VerifyingKey)
	if !ok {
		return false
	}
	ps := make([]*groth16bn254.Proof, len(proofs))
	xs := make([]fr.Vector, len(proofs))
	for i := range proofs {
		p, ok := proofs[i].(*groth16bn254.Proof)
		x, okx := public[i].Vector().(fr.Vector)
		if !ok || !okx {
			return false
		}
		ps[i], xs[i] = p, x
	}
	return groth16batch.Verify(bvk, ps, xs) == nil
}

// verifyTotals checks the totals proof: its description is the one the
// shard circuit, the number of shards, the label counts and the hidden
// claims imply, and the proof verifies with the totals verifying key over
// the shards' commitments and the hidden claims' thresholds.
func verifyTotals(st *attestation.ShardedStatement, spec *circuits.ShardSpec, labels [][]int64, cms []*big.Int, thresholds [][2]*big.Int, opt ShardOptions, res *ShardedResult) error {
	tp := st.Predicate.Totals
	if tp == nil {
		return invalid("claims hide their values, but the attestation has no totals proof")
	}
	want, err := desc.NewTotals(spec.Desc, len(cms), metric.Labels{Pos: labels})
	if err != nil {
		return invalid("totals circuit: %v", err)
	}
	wantID := want.ID()
	if id := tp.Public.ID(); hex.EncodeToString(id[:]) != tp.ID || tp.ID != hex.EncodeToString(wantID[:]) {
		return invalid("the totals circuit (id %s) is not the one the shard circuit, the %d shards, the label counts and the hidden claims make (%x)", tp.ID, len(cms), wantID)
	}
	if opt.TotalsVK == nil {
		return fmt.Errorf("claims hide their values: the totals proof needs its verifying key (%s of the keys directory, or --vk-dir)", keys.TotalsVerifyingKeyFile)
	}
	res.TotalsKeySHA256 = keys.Digest(opt.TotalsVK)
	if tp.VerifyingKey["sha256"] != res.TotalsKeySHA256 || len(tp.VerifyingKey) != 1 {
		return invalid("totals verifying key %s has SHA-256 %s, but the totals proof was made for %s", opt.TotalsVKSource, res.TotalsKeySHA256, tp.VerifyingKey["sha256"])
	}
	vk, err := keys.ParseVerifyingKey(opt.TotalsVK, opt.TotalsVKSource)
	if err != nil {
		return invalid("%v", err)
	}
	ts, err := circuits.NewTotalsSpec(tp.Public)
	if err != nil {
		return invalid("%v", err)
	}
	a, err := circuits.TotalsPublicAssignment(ts, &circuits.TotalsInput{Commitments: cms, Thresholds: thresholds})
	if err != nil {
		return invalid("%v", err)
	}
	pw, err := frontend.NewWitness(a, ecc.BN254.ScalarField(), frontend.PublicOnly())
	if err != nil {
		return err
	}
	proof, err := keys.ParseProof(tp.Bytes)
	if err != nil {
		return invalid("totals proof bytes do not decode as a BN254 Groth16 proof: %v", err)
	}
	if err := groth16Verify(proof, vk, pw); err != nil {
		return invalid("the totals proof does not verify against the totals verifying key, the shards' counts commitments and the hidden claims' thresholds: %v", err)
	}
	return nil
}

// checkPrintableSharded is checkPrintable for a sharded attestation.
func checkPrintableSharded(st *attestation.ShardedStatement) error {
	p := &st.Predicate
	d := p.Shards.Circuit.Public
	fields := map[string]string{"predicate.benchmark.name": p.Benchmark.Name, "predicate.benchmark.split": p.Benchmark.Split, "groupAttribute": d.GroupAttribute}
	for i, c := range d.Classes {
		fields[fmt.Sprintf("classes[%d]", i)] = c
	}
	for i, g := range d.Groups {
		fields[fmt.Sprintf("groups[%d]", i)] = g
	}
	for k, c := range p.Claims {
		for n, v := range map[string]string{"metric": c.Metric, "class": c.Class, "group": c.Group, "positive": c.Positive, "comparator": c.Comparison, "threshold": c.Threshold, "value": c.Value} {
			fields[fmt.Sprintf("predicate.claims[%d].%s", k, n)] = v
		}
		for j, n := range c.Counts {
			fields[fmt.Sprintf("predicate.claims[%d].counts[%d].name", k, j)] = n.Name
		}
	}
	for name, s := range fields {
		for _, r := range s {
			if !unicode.IsPrint(r) {
				return invalid("%s %q holds the unprintable character %U; zkeval refuses text that could rewrite what it prints", name, s, r)
			}
		}
	}
	return nil
}

// canonicalElement parses s as a field element written in its one
// canonical form (commitment.FormatElement's), or returns nil.
func canonicalElement(s string) *big.Int {
	v, err := commitment.ParseElement(s)
	if err != nil || s != commitment.FormatElement(v) {
		return nil
	}
	return v
}
