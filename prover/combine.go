package prover

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/internal/progress"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/metric"
	"github.com/zkeval/zkeval/shard"
)

// ErrShard is wrapped by combine's errors that blame one shard file (a
// *ShardFileError).
var ErrShard = errors.New("bad shard")

// ShardFileError names the shard file at fault and why.
type ShardFileError struct {
	File   string
	Index  int // -1 when unknown
	Detail string
	// Err is the error it comes from, if any (an
	// *attestation.ShardFileVersionError for a shard file of an old
	// format).
	Err error
}

func (e *ShardFileError) Error() string {
	if e.Index >= 0 {
		return fmt.Sprintf("%s (shard %d): %s", e.File, e.Index, e.Detail)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Detail)
}
func (e *ShardFileError) Is(target error) bool { return target == ErrShard }
func (e *ShardFileError) Unwrap() error        { return e.Err }

// CombineRequest is what combining shard proofs needs.
type CombineRequest struct {
	// Files are the shard files to combine: exactly one per shard.
	Files []string
	// Benchmark is the whole benchmark; every shard fingerprint is
	// recomputed from it at the shard's challenge.
	Benchmark     *benchmark.Benchmark
	BenchmarkFile string
	// KeysDir, when set, must hold the keys the shards were proven with;
	// it is required when a claim hides its value (the totals proof).
	KeysDir  string
	Progress *progress.Reporter
}

// Combine checks that the shard files are the shards of the benchmark, one
// each, proven for the same model, claims, circuit and keys; sums the
// counts; checks the claims over the whole
// benchmark (a wrapped ErrClaimFalse when one fails); proves the totals
// circuit when claims hide values; and returns the sharded attestation,
// which the caller verifies (verifier.VerifySharded: it checks every proof
// and fingerprint; a *verifier.ShardError names the shard, Combined.Files its
// file). A shard that is missing, repeated,
// foreign (another model, benchmark, claims, circuit or keys), misnamed or
// corrupted is a *ShardFileError naming its file.
func Combine(req *CombineRequest) (*Combined, error) {
	pr := req.Progress
	b := req.Benchmark
	if len(req.Files) == 0 {
		return nil, fmt.Errorf("no shard file to combine")
	}
	files := make([]*attestation.ShardFile, len(req.Files))
	for i, path := range req.Files {
		f, err := attestation.ReadShardFile(path)
		if ve := (*attestation.ShardFileVersionError)(nil); errors.As(err, &ve) {
			return nil, &ShardFileError{File: path, Index: -1, Detail: ve.Detail(), Err: err}
		}
		if err != nil {
			return nil, &ShardFileError{File: path, Index: -1, Detail: fmt.Sprintf("unreadable or corrupted: %v", err), Err: err}
		}
		files[i] = f
	}
	// Each property the shards share: the value most files agree on, and
	// the file that departs from it.
	digest, err := b.Digest()
	if err != nil {
		return nil, err
	}
	benchHex := hex.EncodeToString(digest[:])
	for i, f := range files {
		if f.Benchmark.Digest["sha256"] != benchHex {
			return nil, &ShardFileError{File: req.Files[i], Index: f.Proof.Index, Detail: fmt.Sprintf("proven on benchmark %s/%s (sha256 %s), not on %s (sha256 %s): either this shard belongs to another benchmark, or --benchmark names the wrong file", f.Benchmark.Name, f.Benchmark.Split, f.Benchmark.Digest["sha256"], req.BenchmarkFile, benchHex)}
		}
	}
	props := []struct {
		what string
		key  func(*attestation.ShardFile) string
	}{
		{"another model (commitment %s)", func(f *attestation.ShardFile) string { return f.Model.Commitment }},
		{"another shard circuit (id %s)", func(f *attestation.ShardFile) string { return f.Circuit.ID }},
		{"other keys (verifying key sha256 %s)", func(f *attestation.ShardFile) string { return f.VerifyingKey["sha256"] }},
		{"other claims (%s)", func(f *attestation.ShardFile) string { return claimList(f.Claims) }},
		{"another setup (%s)", func(f *attestation.ShardFile) string { s, _ := json.Marshal(f.Setup); return string(s) }},
	}
	for _, p := range props {
		if err := majority(files, req.Files, p.key, p.what); err != nil {
			return nil, err
		}
	}
	ref := files[0]
	d := ref.Circuit.Public
	if id := d.ID(); hex.EncodeToString(id[:]) != ref.Circuit.ID {
		return nil, &ShardFileError{File: req.Files[0], Index: ref.Proof.Index, Detail: "its shard circuit description does not hash to its circuit id: corrupted"}
	}
	spec, err := circuits.NewShardSpecFrom(d)
	if err != nil {
		return nil, &ShardFileError{File: req.Files[0], Index: ref.Proof.Index, Detail: err.Error()}
	}
	n := shard.Count(b.Len(), d.ShardSize)
	vkRaw := ref.VerifyingKeyRaw
	if req.KeysDir != "" {
		meta, err := keys.ReadShardMeta(req.KeysDir)
		if err != nil {
			return nil, err
		}
		if meta.Files[keys.VerifyingKeyFile] != ref.VerifyingKey["sha256"] {
			return nil, fmt.Errorf("the shards were proven with the verifying key %s, but %s holds %s: they are not these keys' shards", ref.VerifyingKey["sha256"], req.KeysDir, meta.Files[keys.VerifyingKeyFile])
		}
	}

	// Coverage: every index once, in the file of its name.
	byIndex := make([]int, n)
	for i := range byIndex {
		byIndex[i] = -1
	}
	for i, f := range files {
		path := req.Files[i]
		idx := f.Proof.Index
		if keys.Digest(f.VerifyingKeyRaw) != f.VerifyingKey["sha256"] {
			return nil, &ShardFileError{File: path, Index: idx, Detail: "the verifying key it carries does not have the SHA-256 it names: corrupted"}
		}
		if f.Count != n || idx < 0 || idx >= n {
			return nil, &ShardFileError{File: path, Index: idx, Detail: fmt.Sprintf("says it is shard %d of %d; %s has %d shards of %d", idx, f.Count, req.BenchmarkFile, n, d.ShardSize)}
		}
		if base := filepath.Base(path); strings.HasPrefix(base, "shard-") && base != ShardFileName(idx) {
			return nil, &ShardFileError{File: path, Index: idx, Detail: fmt.Sprintf("holds shard %d, whose file is %s: a shard copied or renamed in place of another", idx, ShardFileName(idx))}
		}
		if j := byIndex[idx]; j >= 0 {
			return nil, &ShardFileError{File: path, Index: idx, Detail: fmt.Sprintf("is shard %d again (so is %s): each shard must be given once", idx, req.Files[j])}
		}
		byIndex[idx] = i
	}
	var missing []string
	for idx, j := range byIndex {
		if j < 0 {
			missing = append(missing, fmt.Sprint(idx))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: shard %s of %d missing (no %s); prove it with `zkeval prove ... --shard I` and combine again", ErrShard, strings.Join(missing, ", "), n, ShardFileName(mustAtoi(missing[0])))
	}

	// The statement: shards in order, counts summed.
	done := pr.Start(fmt.Sprintf("combine %d shards", n))
	G, K := d.NumGroups(), len(d.Classes)
	names := d.Names()
	labels := make([][]int64, G)
	for g := range labels {
		labels[g] = make([]int64, K)
	}
	revealed, hidden := spec.Revealed(), spec.Hidden()
	rsum := make([]int64, len(revealed))
	hsum := make([]int64, len(hidden))
	tin := &circuits.TotalsInput{}
	proofs := make([]attestation.ShardProof, n)
	for idx, j := range byIndex {
		f := files[j]
		proofs[idx] = f.Proof
		for g, row := range f.Proof.LabelCounts {
			for k, v := range row {
				if g < G && k < K {
					labels[g][k] += v
				}
			}
		}
		for c, v := range f.Proof.Counts {
			if c < len(rsum) {
				rsum[c] += v.Value
			}
		}
		if len(hidden) > 0 {
			if f.Secret == nil || len(f.Secret.HiddenCounts) != len(hidden) {
				return nil, &ShardFileError{File: req.Files[j], Index: idx, Detail: "has no opening of its hidden counts: corrupted"}
			}
			salt, err := commitment.ParseElement(f.Secret.Salt)
			if err != nil {
				return nil, &ShardFileError{File: req.Files[j], Index: idx, Detail: fmt.Sprintf("secret salt: %v", err)}
			}
			cm, err := commitment.CountsCommitment(salt, f.Secret.HiddenCounts)
			if err != nil || commitment.FormatElement(cm) != f.Proof.CountsCommitment {
				return nil, &ShardFileError{File: req.Files[j], Index: idx, Detail: "its hidden counts and salt do not open its counts commitment: corrupted"}
			}
			for c, v := range f.Secret.HiddenCounts {
				hsum[c] += v
			}
			tin.Commitments = append(tin.Commitments, cm)
			tin.Counts = append(tin.Counts, f.Secret.HiddenCounts)
			tin.Salts = append(tin.Salts, salt)
		}
	}
	l := metric.Labels{Pos: labels}
	targets, err := desc.ResolveShapes(d.Claims, names, l)
	if err != nil {
		return nil, err
	}
	var acs []attestation.Claim
	var false_ []string
	for k, sh := range d.Claims {
		rc := ref.Claims[k]
		cl, err := claim.Parse(sh.Key() + " " + sh.Comparison + " " + rc.Threshold)
		if err != nil {
			return nil, &ShardFileError{File: req.Files[0], Index: ref.Proof.Index, Detail: fmt.Sprintf("claim %d: %v", k, err)}
		}
		cs := metric.Counts(targets[k], l)
		vals := make([]int64, len(cs))
		for j, ct := range cs {
			if sh.Reveal {
				vals[j] = rsum[indexOf(revealed, ct)]
			} else {
				vals[j] = hsum[indexOf(hidden, ct)]
			}
		}
		v, err := metric.Value(targets[k], l, vals)
		if err != nil {
			return nil, err
		}
		if !metric.Holds(v, cl.Comparison, cl.Threshold) {
			false_ = append(false_, fmt.Sprintf("%s is %s (%s), not %s the claimed %s", cl.Key(), claim.FormatRat(v), v.RatString(), map[string]string{">=": "at least", "<=": "at most"}[cl.Comparison], cl.Text))
		}
		ac := attestation.Claim{Metric: cl.Metric, Class: cl.Class, Group: cl.Group, Positive: cl.Positive, Comparison: cl.Comparison, Threshold: cl.Text}
		if sh.Reveal {
			ac.Value = v.RatString()
			for j, ct := range cs {
				ac.Counts = append(ac.Counts, attestation.Count{Name: ct.Name(names.Classes, names.Groups), Value: vals[j]})
			}
		} else {
			ac.Hidden = true
			p, q := cl.Fraction()
			tin.Thresholds = append(tin.Thresholds, [2]*big.Int{p, q})
		}
		acs = append(acs, ac)
	}
	if len(false_) > 0 {
		return nil, fmt.Errorf("%w over the whole benchmark: %s; no attestation was written", ErrClaimFalse, strings.Join(false_, "; "))
	}
	done("")
	cm := ref.Model.Commitment
	st := &attestation.ShardedStatement{
		Type:          attestation.StatementType,
		Subject:       []attestation.Subject{{Name: subjectOf(ref.Model.Name), Digest: map[string]string{attestation.SubjectDigestAlg: strings.TrimPrefix(padHex(cm), "0x")}}},
		PredicateType: attestation.ShardedPredicateType,
		Predicate: attestation.ShardedPredicate{
			Model:       ref.Model,
			Benchmark:   attestation.BenchmarkInfo{Name: b.Name, Split: b.Split, Samples: b.Len(), Digest: map[string]string{"sha256": benchHex}},
			Claims:      acs,
			LabelCounts: labels,
			Shards: attestation.ShardSet{Size: d.ShardSize, Count: n, Circuit: ref.Circuit, Setup: ref.Setup,
				VerifyingKey: ref.VerifyingKey, Proofs: proofs},
			Producer: attestation.ProducerInfo{Name: "zkeval", Version: Version},
			ProvedAt: time.Now().UTC().Truncate(time.Second),
		},
	}
	var totalsVK []byte
	if len(hidden) > 0 {
		if req.KeysDir == "" {
			return nil, fmt.Errorf("claims hide their values: combine proves their totals with the totals circuit's keys; pass --keys KEYS_DIR (the shard keys directory)")
		}
		tp, vk, err := proveTotals(req, spec, l, n, tin)
		if err != nil {
			return nil, err
		}
		st.Predicate.Totals, totalsVK = tp, vk
	}
	out := &Combined{Statement: st, VerifyingKey: vkRaw, TotalsVerifyingKey: totalsVK}
	for _, j := range byIndex {
		out.Files = append(out.Files, req.Files[j])
	}
	return out, nil
}

// Combined is Combine's result: the statement, the shard files in shard
// order, and the verifying keys the shards carry and, with hidden claims,
// the totals verifying key, with which the caller checks the statement
// (verifier.VerifySharded) before publishing it.
type Combined struct {
	Statement          *attestation.ShardedStatement
	Files              []string
	VerifyingKey       []byte
	TotalsVerifyingKey []byte
}

// proveTotals proves the totals circuit of the keys directory.
func proveTotals(req *CombineRequest, spec *circuits.ShardSpec, l metric.Labels, n int, in *circuits.TotalsInput) (*attestation.TotalsProof, []byte, error) {
	pr := req.Progress
	meta, err := keys.ReadShardMeta(req.KeysDir)
	if err != nil {
		return nil, nil, err
	}
	want, err := desc.NewTotals(spec.Desc, n, l)
	if err != nil {
		return nil, nil, err
	}
	wid := want.ID()
	if meta.Totals == nil || meta.TotalsID != hex.EncodeToString(wid[:]) {
		return nil, nil, fmt.Errorf("the keys in %s have no totals circuit for %d shards with these label counts and hidden claims (circuit %x…); make the shard keys with this benchmark", req.KeysDir, n, wid[:6])
	}
	ts, err := circuits.NewTotalsSpec(*meta.Totals)
	if err != nil {
		return nil, nil, err
	}
	done := pr.Start("load the totals keys")
	cs, pk, err := keys.LoadTotalsProver(req.KeysDir, meta)
	if err != nil {
		return nil, nil, err
	}
	done("")
	a, err := circuits.TotalsAssignment(ts, in)
	if err != nil {
		return nil, nil, err
	}
	pv, err := proveAssignment(pr, "prove the totals of the hidden counts", cs, pk, a)
	if err != nil {
		return nil, nil, fmt.Errorf("totals: %w", err)
	}
	vkRaw, err := readFileDigest(req.KeysDir, keys.TotalsVerifyingKeyFile, meta.Files[keys.TotalsVerifyingKeyFile])
	if err != nil {
		return nil, nil, err
	}
	return &attestation.TotalsProof{ID: meta.TotalsID, Public: *meta.Totals, Constraints: meta.TotalsConstraints,
		Setup:        attestation.SetupInfo{Kind: meta.TotalsSetupKind, Transcript: meta.TotalsTranscript},
		VerifyingKey: map[string]string{"sha256": meta.Files[keys.TotalsVerifyingKeyFile]}, Bytes: pv.bytes}, vkRaw, nil
}

// majority finds the value of key most files share and blames the first
// file that differs.
func majority(files []*attestation.ShardFile, paths []string, key func(*attestation.ShardFile) string, what string) error {
	counts := map[string]int{}
	for _, f := range files {
		counts[key(f)]++
	}
	type kv struct {
		k string
		n int
	}
	var all []kv
	for k, n := range counts {
		all = append(all, kv{k, n})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].n > all[j].n || all[i].n == all[j].n && all[i].k < all[j].k })
	for i, f := range files {
		if k := key(f); k != all[0].k {
			return &ShardFileError{File: paths[i], Index: f.Proof.Index, Detail: fmt.Sprintf("a foreign shard: proven for "+what+", where %s %s", k, otherShards(all[0].n), all[0].k)}
		}
	}
	return nil
}

func claimList(cs []attestation.Claim) string {
	var parts []string
	for _, c := range cs {
		s := claim.Shape{Metric: c.Metric, Class: c.Class, Group: c.Group, Positive: c.Positive, Comparison: c.Comparison}.Key() + " " + c.Comparison + " " + c.Threshold
		if c.Hidden {
			s += " (hidden)"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func indexOf(cs []metric.Count, c metric.Count) int {
	for i, d := range cs {
		if d == c {
			return i
		}
	}
	panic("prover: count not exposed by the shard circuit")
}

func mustAtoi(s string) int {
	var v int
	fmt.Sscan(s, &v)
	return v
}

func subjectOf(name string) string {
	if name != "" {
		return name
	}
	return "model"
}

// padHex writes a 0x field element as 64 hex digits.
func padHex(e string) string {
	v, err := commitment.ParseElement(e)
	if err != nil {
		return e
	}
	return fmt.Sprintf("%064x", v)
}

// otherShards says "1 other shard has" or "N other shards have".
func otherShards(n int) string {
	if n == 1 {
		return "1 other shard has"
	}
	return fmt.Sprintf("%d other shards have", n)
}
