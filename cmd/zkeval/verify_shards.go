package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/envelope"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/verifier"
)

// shardedJSON is verify's --json result for a sharded attestation.
type shardedJSON struct {
	Valid            bool   `json:"valid"`
	File             string `json:"file"`
	Error            string `json:"error,omitempty"`
	Unreadable       bool   `json:"unreadable,omitempty"`
	ModelCommitment  string `json:"modelCommitment,omitempty"`
	Benchmark        any    `json:"benchmark,omitempty"`
	BenchmarkChecked bool   `json:"benchmarkRecomputed"`
	// OfficialData compares the recomputed benchmark digest with the
	// official MNIST test set's when the benchmark is named mnist (only
	// with --benchmark: without it the digest is the attestation's word).
	OfficialData string `json:"officialData,omitempty"`
	// SamplesChecked: every shard's fingerprint was recomputed from the
	// benchmark file, so the claims are about the named benchmark. False
	// for a valid attestation verified without --benchmark: the proofs
	// hold, but over samples nothing ties to the named benchmark (the
	// shard keys do not depend on it); warnings then says so too.
	SamplesChecked bool        `json:"samplesChecked"`
	Shards         int         `json:"shards,omitempty"`
	ShardSize      int         `json:"shardSize,omitempty"`
	Claims         []claimJSON `json:"claims,omitempty"`
	VerifyingKey   string      `json:"verifyingKeySha256,omitempty"`
	TotalsKey      string      `json:"totalsVerifyingKeySha256,omitempty"`
	SetupKind      string      `json:"setupKind,omitempty"`
	// Setup is the shard keys' setup as far as it was checked (as for a
	// single proof), TotalsSetup the totals keys'; SetupStatus is the
	// weaker of their statuses (single-party, then ceremony claimed, then
	// ceremony checked): a proof is only as good as the weaker setup.
	SetupStatus verifier.SetupStatus `json:"setupStatus,omitempty"`
	Setup       *verifier.Setup      `json:"setup,omitempty"`
	TotalsSetup *verifier.Setup      `json:"totalsSetup,omitempty"`
	SignedBy    string               `json:"signedBy,omitempty"`
	Warnings    []string             `json:"warnings,omitempty"`
	Seconds     float64              `json:"seconds,omitempty"`
}

// verifyShardedFiles handles verify when the attestations are sharded
// ones (bare statements): all of them, or none (then it returns false).
func verifyShardedFiles(cmd *cobra.Command, in *verifyInputs, files []string, asJSON bool) (bool, error) {
	datas := make([][]byte, len(files))
	readErrs := make([]error, len(files))
	isSharded := make([]bool, len(files))
	sharded, unreadable := 0, 0
	for i, f := range files {
		data, err := readBounded(f, "attestation")
		if err != nil {
			readErrs[i] = err
			unreadable++
			continue
		}
		datas[i] = data
		if isSharded[i] = isShardedData(f, data); isSharded[i] {
			sharded++
		}
	}
	switch {
	case sharded == 0:
		if in.totalsTranscriptDir != "" {
			return true, usageErr("--totals-transcript applies to sharded attestations only (the ceremony of the totals circuit of hidden claims)")
		}
		return false, nil
	case sharded+unreadable < len(files):
		var others []string
		for i, f := range files {
			if readErrs[i] == nil && !isSharded[i] {
				others = append(others, f)
			}
		}
		return true, usageErr("verify sharded attestations apart from other files (one command for each kind): %s not sharded attestations (a single-proof attestation, a shard file of zkeval prove --shard, which zkeval combine takes, or something else)", strings.Join(others, ", ")+map[bool]string{true: " is", false: " are"}[len(others) == 1])
	case in.receiptPath != "":
		return true, usageErr("--receipt: the transparency log takes single-proof attestations only, so a sharded attestation has no receipt")
	}
	many := len(files) > 1
	sum := shardedManyJSON{Checked: len(files), Results: []shardedJSON{}}
	var failures []string
	worst := exitOK
	w := cmd.OutOrStdout()
	for i, file := range files {
		if !asJSON && i > 0 {
			fmt.Fprintln(w)
		}
		var res *shardedChecked
		err := readErrs[i]
		if err == nil {
			res, err = checkSharded(in, file, datas[i])
		}
		if err != nil {
			tag, code := classifyFailure(err, &sum.Invalid, &sum.Unreadable)
			worst = max(worst, code)
			sum.Results = append(sum.Results, shardedJSON{File: file, Error: err.Error(), Unreadable: code != exitInvalid})
			failures = append(failures, fmt.Sprintf("  %-10s  %s: %s", tag, printable(file), printable(failureReason(file, err))))
			if !asJSON {
				fmt.Fprintf(w, "%s  %s\n", tag, printable(file))
				if !many {
					fmt.Fprintf(w, "  %s\n", printable(err.Error()))
				}
			}
			continue
		}
		sum.Valid++
		if !res.BenchmarkChecked {
			sum.Unchecked++
		}
		for _, wr := range res.Warnings {
			if many {
				wr = file + ": " + wr
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "WARNING: %s\n", printable(wr))
		}
		sum.Results = append(sum.Results, shardedValidJSON(file, res))
		if !asJSON {
			printSharded(w, file, res)
		}
	}
	if asJSON {
		var v any = sum
		if !many {
			v = sum.Results[0]
		}
		if err := writeJSON(w, v); err != nil {
			return true, ioErr(err)
		}
	} else if many {
		fmt.Fprintf(w, "\n%s\n", sum.line())
		for _, f := range failures {
			fmt.Fprintln(w, f)
		}
	}
	if worst == exitOK {
		return true, nil
	}
	if !many {
		return true, &exitError{code: worst, err: errors.New(sum.Results[0].Error)}
	}
	return true, &exitError{code: worst, err: errors.New(sum.line())}
}

// isShardedData reports whether data (read from file) is a sharded
// attestation, bare or in a DSSE envelope.
func isShardedData(file string, data []byte) bool {
	if envelope.IsEnvelope(data) {
		// Which kind of statement it wraps; the signature is checked with
		// the statement.
		if o, err := verifier.Open(data, file, nil); err == nil {
			data = o.Statement
		}
	}
	return attestation.IsSharded(data)
}

// shardedManyJSON is verify --json of several sharded attestations: the
// object that verify of several single-proof attestations writes, with
// sharded results.
type shardedManyJSON struct {
	Checked    int `json:"checked"`
	Valid      int `json:"valid"`
	Invalid    int `json:"invalid"`
	Unreadable int `json:"unreadable"`
	// Unchecked counts the valid attestations whose shard fingerprints
	// were not recomputed from a benchmark file (no --benchmark): their
	// samples were not checked.
	Unchecked int           `json:"validWithSamplesNotChecked"`
	Results   []shardedJSON `json:"results"`
}

// line is the summary line of several sharded attestations.
func (s shardedManyJSON) line() string {
	line := fmt.Sprintf("checked %d attestations: %d valid, %d invalid", s.Checked, s.Valid, s.Invalid)
	if s.Unreadable > 0 {
		line += fmt.Sprintf(", %d unreadable", s.Unreadable)
	}
	if s.Unchecked > 0 {
		line += fmt.Sprintf("; of the valid: %d whose samples were not checked (no --benchmark)", s.Unchecked)
	}
	return line
}

// shardedChecked is a valid sharded attestation and how it was opened.
type shardedChecked struct {
	*verifier.ShardedResult
	// signedBy is the --signer key id whose signature verified, or "".
	signedBy string
}

// checkSharded verifies one sharded attestation: a bare statement or a
// DSSE envelope (with --signer, one signed by that key), and with
// --transcript and --totals-transcript the provenance of its keys.
func checkSharded(in *verifyInputs, file string, data []byte) (*shardedChecked, error) {
	opened, err := in.open(file, data)
	if err != nil {
		return nil, err
	}
	st, err := attestation.ParseSharded(opened.Statement, file)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", verifier.ErrInvalid, err)
	}
	// The shard circuit's verifying key, and the totals circuit's when a
	// claim hides its value: with --vk, the totals key is the file
	// totals-verifying.key beside it (setup --shard-size writes both in the
	// keys directory); with --vk-dir, each is found by its digest.
	var vk, tvk []byte
	vkSource, tvkSource := in.vkPath, ""
	want := st.Predicate.Shards.VerifyingKey["sha256"]
	if in.vkDir == "" {
		if vk, err = in.readVK(); err != nil {
			return nil, ioErr(err)
		}
		if st.Predicate.Totals != nil {
			tvkSource = filepath.Join(filepath.Dir(in.vkPath), keys.TotalsVerifyingKeyFile)
			if tvk, err = readBounded(tvkSource, "verifying key"); err != nil {
				return nil, ioErr(fmt.Errorf("claims hide their values, so the totals proof needs its verifying key beside --vk: %w", err))
			}
		}
	} else {
		kd, err := in.readKeyDir()
		if err != nil {
			return nil, ioErr(fmt.Errorf("--vk-dir: %w", err))
		}
		if vkSource, vk, err = kd.Lookup(want); err != nil {
			return nil, ioErr(fmt.Errorf("%s: --vk-dir %s: %w", file, in.vkDir, err))
		}
		if tp := st.Predicate.Totals; tp != nil {
			if tvkSource, tvk, err = kd.Lookup(tp.VerifyingKey["sha256"]); err != nil {
				return nil, ioErr(fmt.Errorf("%s: the totals verifying key: --vk-dir %s: %w", file, in.vkDir, err))
			}
		}
	}
	opt := verifier.ShardOptions{AttestationFile: file, BenchmarkFile: in.benchPath, TotalsVK: tvk, TotalsVKSource: tvkSource}
	if in.benchPath != "" {
		if opt.Benchmark, err = in.readBench(); err != nil {
			return nil, ioErr(err)
		}
	}
	res, err := verifier.VerifySharded(st, vk, vkSource, opt)
	if err != nil {
		if errors.Is(err, verifier.ErrInvalid) {
			return nil, err
		}
		return nil, ioErr(err)
	}
	if opened.Warning != "" {
		res.Warnings = append(res.Warnings, opened.Warning)
	}
	if in.transcript != nil {
		if err := in.reportTranscript(in.transcript.CheckShards(res, vk, false)); err != nil {
			return nil, err
		}
	}
	if in.totalsTranscript != nil {
		if err := in.reportTranscript(in.totalsTranscript.CheckShards(res, tvk, true)); err != nil {
			return nil, err
		}
	}
	return &shardedChecked{ShardedResult: res, signedBy: opened.SignedBy}, nil
}

func shardedValidJSON(file string, res *shardedChecked) shardedJSON {
	p := res.Statement.Predicate
	var claims []claimJSON
	for _, c := range res.Claims {
		cj := claimJSON{Claim: c.Text, Holds: true, Hidden: c.Hidden, Value: "hidden", Meaning: c.Words, DeterminedByRevealed: c.Determined}
		if !c.Hidden {
			d := claim.FormatRat(c.Value)
			cj.Value, cj.Decimal, cj.DecimalExact, cj.Counts, cj.GroupRates = c.Value.RatString(), strings.TrimPrefix(d, "≈"), !strings.HasPrefix(d, "≈"), c.Counts, c.Rates
		}
		claims = append(claims, cj)
	}
	return shardedJSON{Valid: true, File: file, ModelCommitment: p.Model.Commitment, Benchmark: p.Benchmark, BenchmarkChecked: res.BenchmarkChecked, OfficialData: shardedOfficialData(res), SamplesChecked: res.BenchmarkChecked,
		Shards: p.Shards.Count, ShardSize: p.Shards.Size, Claims: claims, VerifyingKey: res.VerifyingKeySHA256, TotalsKey: res.TotalsKeySHA256,
		SetupKind: p.Shards.Setup.Kind, SetupStatus: weakerSetup(res.Setup, res.TotalsSetup), Setup: res.Setup, TotalsSetup: res.TotalsSetup, SignedBy: res.signedBy,
		Warnings: res.Warnings, Seconds: res.Elapsed.Seconds()}
}

// shardedOfficialData is verifier.OfficialData for a sharded attestation
// whose benchmark digest was recomputed (--benchmark); "" otherwise.
func shardedOfficialData(res *shardedChecked) string {
	if !res.BenchmarkChecked {
		return ""
	}
	b := res.Statement.Predicate.Benchmark
	return verifier.OfficialData(b.Name, b.Split, b.Samples, b.Digest["sha256"])
}

func printSharded(w io.Writer, file string, res *shardedChecked) {
	p := res.Statement.Predicate
	set := p.Shards
	fmt.Fprintf(w, "VALID  %s\n", printable(file))
	fmt.Fprintf(w, "  model commitment  %s (%s), the same in every shard proof\n", p.Model.Commitment, p.Model.CommitmentScheme)
	fmt.Fprintf(w, "  model shape       %s\n", set.Circuit.Public.Shape.String())
	if res.BenchmarkChecked {
		fmt.Fprintf(w, "  benchmark         %s/%s, all %d samples, sha256 %s (recomputed from the file given)\n", p.Benchmark.Name, p.Benchmark.Split, p.Benchmark.Samples, p.Benchmark.Digest["sha256"])
		if od := shardedOfficialData(res); od != "" {
			fmt.Fprintf(w, "  official data     %s\n", od)
		}
	} else {
		// Unlike a single proof's, no proof binds this digest or count:
		// the shard keys do not depend on the benchmark.
		fmt.Fprintf(w, "  benchmark         %s/%s, %d samples as stated, sha256 %s (stated by the attestation, bound by no proof: the shard keys do not depend on the benchmark; pass --benchmark FILE to check the samples)\n", p.Benchmark.Name, p.Benchmark.Split, p.Benchmark.Samples, p.Benchmark.Digest["sha256"])
	}
	last := p.Benchmark.Samples - (set.Count-1)*set.Size
	fmt.Fprintf(w, "  shards            %s, one proof each, indices 0 to %d in order, real samples and label counts proven per shard\n", shardsWords(set.Count, set.Size, last), set.Count-1)
	if res.BenchmarkChecked {
		fmt.Fprintf(w, "  coverage          every shard fingerprint recomputed from the benchmark file at its challenge: the proofs cover exactly its samples, each once, in order\n")
	} else {
		fmt.Fprintf(w, "  coverage          shard fingerprints NOT recomputed: the proofs' samples are NOT checked against this benchmark (that they are its shards is the attestation's word alone); pass --benchmark FILE to check them\n")
	}
	hiddenHow, countsNote := "exact value hidden (proven over the sums of the shards' committed counts by the totals proof)", ", sums over the shards"
	if !res.BenchmarkChecked {
		hiddenHow += "; over the samples the proofs fingerprint, NOT checked against the benchmark"
		countsNote += "; over the samples the proofs fingerprint, NOT checked against the benchmark"
	}
	printClaims(w, res.Claims, hiddenHow, countsNote)
	totals := ""
	if p.Totals != nil {
		totals = fmt.Sprintf(", and one totals proof (circuit %s…, %d constraints)", p.Totals.ID[:16], p.Totals.Constraints)
	}
	fmt.Fprintf(w, "  proof system      Groth16 over BN254: %d shard proofs, shard circuit %s… (%d constraints each, as stated)%s\n", set.Count, set.Circuit.ID[:16], set.Circuit.Constraints, totals)
	fmt.Fprintf(w, "  verifying key     sha256 %s", res.VerifyingKeySHA256)
	if res.TotalsKeySHA256 != "" {
		fmt.Fprintf(w, "; totals sha256 %s", res.TotalsKeySHA256)
	}
	fmt.Fprintln(w)
	printSetupAs(w, "setup", res.Setup)
	if res.TotalsSetup != nil {
		printSetupAs(w, "totals setup", res.TotalsSetup)
	}
	if res.signedBy != "" {
		fmt.Fprintf(w, "  signature         statement signed by key %s\n", res.signedBy)
	}
	fmt.Fprintf(w, "  verified in       %.2f ms (Groth16 checks %.2f ms for %d proofs, the shard proofs in one batched pairing check)\n", float64(res.Elapsed.Microseconds())/1000, float64(res.PairingTime.Microseconds())/1000, set.Count+btoi(p.Totals != nil))
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// weakerSetup is the weaker status of a and b (b may be nil).
func weakerSetup(a, b *verifier.Setup) verifier.SetupStatus {
	rank := map[verifier.SetupStatus]int{verifier.SetupSingleParty: 0, verifier.SetupCeremonyClaimed: 1, verifier.SetupCeremonyChecked: 2}
	if b != nil && rank[b.Status] < rank[a.Status] {
		return b.Status
	}
	return a.Status
}
