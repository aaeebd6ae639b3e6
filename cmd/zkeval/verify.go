package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/spf13/cobra"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/ceremony"
	"github.com/zkeval/zkeval/envelope"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/registry/client"
	"github.com/zkeval/zkeval/verifier"
)

func newVerifyCmd() *cobra.Command {
	var in verifyInputs
	c := &cobra.Command{
		Use:   "verify ATTESTATION.json... (--vk VERIFYING.key | --vk-dir DIR) [--benchmark FILE.bench] [--transcript CEREMONY_DIR]",
		Short: "Verify attestations",
		Long: `Checks an attestation: recomputes every public input from the attestation's
fields (model commitment, benchmark digest, circuit id from the published
circuit description, the claim's count bound), checks that the verifying key
is the one the attestation names, and verifies the Groth16 proof. With
--benchmark it also recomputes the benchmark digest from the file. With
--transcript it also checks the key's provenance: the ceremony transcript
verifies, names the constraint system the attestation names, sealed this
verifying key, and is the one the attestation names.

The setup is reported as one of three, never more than was checked:
single-party (development only); ceremony claimed, NOT CHECKED (the
attestation says so, but no transcript was checked, or the transcript has
no phase-1 or no phase-2 contribution signed by a key you trust: as far as
this check goes, whoever made the keys could forge proofs, as with
single-party keys); ceremony checked (--transcript, and --participant
NAME=KEY.pub or --participants FILE name keys that signed a contribution of
each phase). --json gives it as setupStatus, with the detail in setup.

Several attestations (statements or DSSE envelopes) are checked one by one,
each on its own: a bad file never stops the others. --vk, --benchmark,
--transcript and --signer apply to every one of them; an attestation about
another benchmark than --benchmark is invalid. --vk-dir DIR instead finds
each attestation's verifying key by the SHA-256 it names: every regular file
directly in DIR is hashed once (subdirectories are skipped). Give exactly one
of --vk and --vk-dir. --benchmark-dir DIR likewise finds each attestation's
benchmark file by its digest (a .bench file's SHA-256 is the benchmark
digest) and recomputes the digest from its samples, as --benchmark does. After one block per attestation, a summary line counts
the valid, invalid and unreadable ones and names each that is not valid, with
the reason; with --json, stdout holds one object {"checked", "valid",
"invalid", "unreadable", "results"}, results being one object per file as
--json prints for a single file. One file prints exactly as before.

A sharded attestation (zkeval combine), bare or in a DSSE envelope, is
checked the same way: every shard proof, the coverage, and the setup of
its keys, reported as above. --transcript is then the ceremony of the
shard circuit (ceremony init --shard-size N) and --totals-transcript, when
claims hide values, the ceremony of the totals circuit (ceremony init
--shard-size N --totals); both circuits are rebuilt from the attestation's
descriptions, so neither needs --benchmark. Each key's setup is reported
on its own line (setup, totals setup; --json: setup, totalsSetup).
Several sharded attestations print, count and exit as several single-proof
ones do (summary line, --json object, a missing file unreadable, exit 3);
one command takes one kind, though: one that mixes sharded and single-proof
attestations, or names a shard file (zkeval combine takes those), is a
usage error naming the files of the other kind.
Give a sharded attestation its --benchmark: the shard keys do not depend on
the benchmark, so only the shard fingerprints recomputed from the file tie
the proven counts to it. Without it the proofs still verify (exit 0), but
verify warns on stderr that the samples were NOT checked, says so on the
benchmark, coverage and claim lines, and --json gives samplesChecked false.

Exit codes: 0 valid; 1 invalid, including an attestation or verifying key
that is malformed or truncated; 2 usage error; 3 a file cannot be read, the
--benchmark file is not a valid benchmark, or --vk-dir holds no key with the
digest an attestation names. With several attestations the status is the
worst over them, 3 before 1 before 0: 0 only when all are valid, 1 when some
are invalid and every file could be read, 3 when any could not be read or
checked.

With --receipt RECEIPT.json (from zkeval publish) and --log-key LOG.pub, it
also checks offline that the log included this very attestation: the
receipt's checkpoint is signed by the log's key, its inclusion proof leads
from the entry to the checkpoint's root, and the entry holds these exact
attestation bytes and this verifying key's digest. With --log URL it then
fetches the log's latest checkpoint and checks that it extends the
receipt's (an RFC 6962 consistency proof). A receipt that does not check is
exit status 1, with the check that failed, what it expected and what it
found; a receipt file that cannot be read or does not parse, or a log that
cannot be reached, is 3.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErr("missing ATTESTATION.json (usage: %s)", cmd.UseLine())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			setupGnarkLog(cmd)
			switch {
			case in.vkPath == "" && in.vkDir == "":
				return usageErr("missing --vk VERIFYING.key or --vk-dir DIR")
			case in.vkPath != "" && in.vkDir != "":
				return usageErr("--vk and --vk-dir exclude each other: give one")
			case in.benchPath != "" && in.benchDir != "":
				return usageErr("--benchmark and --benchmark-dir exclude each other: give one")
			case in.receiptPath != "" && in.logKeyPath == "":
				return usageErr("--receipt needs --log-key LOG.pub: the receipt's checkpoint is checked against the log's key")
			case in.receiptPath == "" && (in.logKeyPath != "" || in.logURL != ""):
				return usageErr("--log-key and --log need --receipt RECEIPT.json")
			case in.receiptPath != "" && len(args) > 1:
				return usageErr("--receipt is the receipt of one attestation: give one ATTESTATION.json")
			case in.trust.given() && in.transcriptDir == "" && in.totalsTranscriptDir == "":
				return usageErr("--participant and --participants need --transcript CEREMONY_DIR: trusted keys are checked against the transcript's signed contributions")
			}
			if err := checkVKPath(in.vkPath); err != nil {
				return err
			}
			if err := in.init(cmd); err != nil {
				return err
			}
			asJSON, _ := cmd.Flags().GetBool("json")
			if handled, err := verifyShardedFiles(cmd, &in, args, asJSON); handled {
				return err
			}
			if in.transcriptDir != "" && in.benchPath == "" && in.benchDir == "" && len(args) > 1 {
				return usageErr("--transcript needs --benchmark FILE.bench: checking the ceremony recompiles the circuit")
			}
			if len(args) == 1 {
				return verifySingle(cmd, &in, args[0], asJSON)
			}
			return verifyMany(cmd, &in, args, asJSON)
		},
	}
	c.Flags().StringVar(&in.vkPath, "vk", "", "verifying key file (from the keys directory or the ceremony), for every attestation")
	c.Flags().StringVar(&in.vkDir, "vk-dir", "", "directory of verifying keys: each attestation's key is the file whose SHA-256 it names")
	c.Flags().StringVar(&in.benchPath, "benchmark", "", "benchmark file: recompute and check its digest")
	c.Flags().StringVar(&in.benchDir, "benchmark-dir", "", "directory of benchmark files: each attestation's benchmark is the file whose SHA-256 is its digest, recomputed from the samples")
	c.Flags().StringVar(&in.transcriptDir, "transcript", "", "ceremony directory: check that it verifies, sealed this verifying key and is the transcript the attestation names (needs --benchmark)")
	c.Flags().StringVar(&in.totalsTranscriptDir, "totals-transcript", "", "sharded attestations whose claims hide values: the ceremony directory of the totals circuit's keys, checked as --transcript checks the shard circuit's")
	c.Flags().StringVar(&in.receiptPath, "receipt", "", "receipt of zkeval publish: check offline that the log includes this attestation (needs --log-key)")
	c.Flags().StringVar(&in.logKeyPath, "log-key", "", "the log's public key (zkeval log keygen PREFIX.pub), for --receipt")
	c.Flags().StringVar(&in.logURL, "log", "", "with --receipt: fetch the log's latest checkpoint from this URL and check it is consistent with the receipt's")
	c.Flags().StringVar(&in.signerPath, "signer", "", "Ed25519 public key (zkeval keygen): the attestation must be a DSSE envelope signed by it")
	in.trust.add(c)
	addJSONFlag(c)
	return c
}

// verifyInputs holds the flags of verify and the inputs every attestation
// shares; each is read once, on first need, and its error kept, so that one
// attestation alone reads its inputs in the order it always has.
type verifyInputs struct {
	vkPath, vkDir, benchPath, benchDir, transcriptDir, signerPath string
	totalsTranscriptDir                                           string
	receiptPath, logKeyPath, logURL                               string
	trust                                                         trustFlags

	cmd          *cobra.Command
	readVK       func() ([]byte, error)
	readKeyDir   func() (*verifier.KeyDir, error)
	readBench    func() (*benchmark.Benchmark, error)
	readBenchDir func() (*verifier.KeyDir, error)
	benches      map[string]*benchmark.Benchmark // by digest, from --benchmark-dir
	readSigner   func() (ed25519.PublicKey, error)
	transcript   *verifier.TranscriptChecker
	// totalsTranscript checks --totals-transcript (sharded attestations).
	totalsTranscript *verifier.TranscriptChecker
	reported         map[*ceremony.Report]bool // transcripts whose check was reported
}

func (in *verifyInputs) init(cmd *cobra.Command) error {
	in.cmd = cmd
	in.readVK = sync.OnceValues(func() ([]byte, error) { return readBounded(in.vkPath, "verifying key") })
	in.readKeyDir = sync.OnceValues(func() (*verifier.KeyDir, error) { return verifier.IndexKeys(in.vkDir) })
	in.readBench = sync.OnceValues(func() (*benchmark.Benchmark, error) { return benchmark.ReadFile(in.benchPath) })
	in.readBenchDir = sync.OnceValues(func() (*verifier.KeyDir, error) { return verifier.IndexKeys(in.benchDir) })
	in.benches = map[string]*benchmark.Benchmark{}
	in.readSigner = sync.OnceValues(func() (ed25519.PublicKey, error) { return envelope.ReadPublicKey(in.signerPath) })
	in.reported = map[*ceremony.Report]bool{}
	if in.transcriptDir != "" || in.totalsTranscriptDir != "" {
		trusted, err := in.trust.read()
		if err != nil {
			return err
		}
		if in.transcriptDir != "" {
			in.transcript = &verifier.TranscriptChecker{Dir: in.transcriptDir, Trusted: trusted, Options: in.trust.options(cmd)}
		}
		if in.totalsTranscriptDir != "" {
			in.totalsTranscript = &verifier.TranscriptChecker{Dir: in.totalsTranscriptDir, Trusted: trusted, Options: in.trust.options(cmd)}
		}
	}
	return nil
}

// verifyingKey returns the verifying key for st, and the name of its file.
func (in *verifyInputs) verifyingKey(file string, st *attestation.Statement) ([]byte, string, error) {
	if in.vkDir == "" {
		vk, err := in.readVK()
		if errors.Is(err, verifier.ErrInvalid) {
			return nil, "", err
		}
		return vk, in.vkPath, err
	}
	kd, err := in.readKeyDir()
	if err != nil {
		return nil, "", fmt.Errorf("--vk-dir: %w", err)
	}
	want := st.Predicate.Proof.VerifyingKey["sha256"]
	path, vk, err := kd.Lookup(want)
	var nk *verifier.NoKeyError
	if errors.As(err, &nk) {
		files := fmt.Sprintf("%d files", nk.Files)
		if nk.Files == 1 {
			files = "1 file"
		}
		return nil, "", fmt.Errorf("%s was made for the verifying key with SHA-256 %s, but no file in --vk-dir %s has that SHA-256 (%s hashed)", file, want, in.vkDir, files)
	}
	return vk, path, err
}

// checkedFile is a valid attestation and how it was opened.
type checkedFile struct {
	res *verifier.Result
	// signedBy is the --signer key id whose signature verified, or "".
	signedBy string
	// log is what --receipt checked, or nil.
	log *logJSON
}

// check verifies one attestation file. It returns the result, or an error:
// one wrapping verifier.ErrInvalid when the attestation does not hold, an
// I/O error (exit status 3) otherwise.
func (in *verifyInputs) check(file string) (*checkedFile, error) {
	data, err := readBounded(file, "attestation")
	if errors.Is(err, verifier.ErrInvalid) {
		return nil, err
	}
	if err != nil {
		return nil, ioErr(err) // missing or unreadable
	}
	opened, err := in.open(file, data)
	if err != nil {
		return nil, err
	}
	st, err := attestation.Parse(opened.Statement, file)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", verifier.ErrInvalid, err)
	}
	vk, vkSource, err := in.verifyingKey(file, st)
	if errors.Is(err, verifier.ErrInvalid) {
		return nil, err // a verifying key too large to be one
	}
	if err != nil {
		return nil, ioErr(err)
	}
	opt := verifier.Options{BenchmarkFile: in.benchPath, AttestationFile: file}
	if in.benchPath != "" {
		if opt.Benchmark, err = in.readBench(); err != nil {
			return nil, ioErr(err)
		}
	}
	if in.benchDir != "" {
		if opt.Benchmark, opt.BenchmarkFile, err = in.benchmarkFor(file, st); err != nil {
			return nil, ioErr(err)
		}
	}
	res, err := verifier.Verify(st, vk, vkSource, opt)
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
		if opt.Benchmark == nil {
			return nil, usageErr("--transcript needs --benchmark FILE.bench: checking the ceremony recompiles the circuit")
		}
		if err := in.reportTranscript(in.transcript.Check(res, opt.Benchmark, vk)); err != nil {
			return nil, err
		}
	}
	cf := &checkedFile{res: res, signedBy: opened.SignedBy}
	if in.receiptPath != "" {
		if cf.log, err = in.checkReceipt(file, data, res.VerifyingKeySHA256); err != nil {
			return nil, err
		}
	}
	return cf, nil
}

// open opens the attestation file's bytes (verifier.Open): a bare
// statement, or a DSSE envelope, which with --signer must carry a
// signature by that key.
func (in *verifyInputs) open(file string, data []byte) (*verifier.Opened, error) {
	var signer ed25519.PublicKey
	if in.signerPath != "" {
		// A --signer key that cannot be read is an I/O error (3) whatever
		// the attestation is.
		var err error
		if signer, err = in.readSigner(); err != nil {
			return nil, ioErr(err)
		}
	}
	return verifier.Open(data, file, signer)
}

// reportTranscript reports, once, a transcript that verified, and maps the
// error of a transcript check to its exit status.
func (in *verifyInputs) reportTranscript(rep *ceremony.Report, err error) error {
	if err != nil {
		return ceremonyErr(err)
	}
	if !in.reported[rep] {
		in.reported[rep] = true
		reporter(in.cmd).Printf("transcript %s verified: transcript sha256 %s; contributions: %s\n",
			rep.Dir, rep.TranscriptSHA256(), printable(verifier.DescribeContributors(rep.Trust.Contributions)))
	}
	return nil
}

// benchmarkFor returns the benchmark of --benchmark-dir whose file has the
// SHA-256 st names (a benchmark file is its canonical encoding, so its
// SHA-256 is the benchmark digest), and the file's path.
func (in *verifyInputs) benchmarkFor(file string, st *attestation.Statement) (*benchmark.Benchmark, string, error) {
	bd, err := in.readBenchDir()
	if err != nil {
		return nil, "", fmt.Errorf("--benchmark-dir: %w", err)
	}
	want := st.Predicate.Benchmark.Digest["sha256"]
	path, data, err := bd.Lookup(want)
	var nk *verifier.NoKeyError
	if errors.As(err, &nk) {
		return nil, "", fmt.Errorf("%s is about the benchmark with SHA-256 %s, but no file in --benchmark-dir %s has that SHA-256 (%d files hashed)", file, printable(want), in.benchDir, nk.Files)
	}
	if err != nil {
		return nil, "", err
	}
	if b, ok := in.benches[want]; ok {
		return b, path, nil
	}
	b, err := benchmark.Unmarshal(data, path)
	if err != nil {
		return nil, "", err
	}
	in.benches[want] = b
	return b, path, nil
}

// verifySingle checks one attestation; its output is the one verify has
// always printed.
func verifySingle(cmd *cobra.Command, in *verifyInputs, file string, asJSON bool) error {
	cf, err := in.check(file)
	if err != nil {
		if asJSON {
			_ = writeJSON(cmd.OutOrStdout(), invalidJSON(file, err))
		} else if errors.Is(err, verifier.ErrInvalid) || errors.Is(err, client.ErrCheck) {
			fmt.Fprintf(cmd.OutOrStdout(), "INVALID  %s\n", printable(file))
		}
		return err
	}
	for _, wr := range cf.res.Warnings {
		fmt.Fprintf(cmd.ErrOrStderr(), "WARNING: %s\n", printable(wr))
	}
	if asJSON {
		return writeJSON(cmd.OutOrStdout(), validJSON(file, cf))
	}
	printVerify(cmd.OutOrStdout(), file, cf)
	return nil
}

// verifyMany checks several attestations, each on its own, prints a block
// per file as it goes (or, with --json, one object at the end) and a
// summary, and returns an error carrying the worst exit status.
func verifyMany(cmd *cobra.Command, in *verifyInputs, files []string, asJSON bool) error {
	w := cmd.OutOrStdout()
	sum := verifyManyJSON{Checked: len(files), Results: []verifyJSON{}}
	type failure struct {
		file, tag string
		err       error
	}
	var failures []failure
	worst := exitOK
	for i, file := range files {
		cf, err := in.check(file)
		if !asJSON && i > 0 {
			fmt.Fprintln(w)
		}
		if err != nil {
			tag, code := classifyFailure(err, &sum.Invalid, &sum.Unreadable)
			worst = max(worst, code)
			failures = append(failures, failure{file, tag, err})
			fail := invalidJSON(file, err)
			fail.Unreadable = code != exitInvalid
			sum.Results = append(sum.Results, fail)
			if !asJSON {
				fmt.Fprintf(w, "%s  %s\n", tag, printable(file))
			}
			continue
		}
		res := cf.res
		sum.Valid++
		switch res.Setup.Status {
		case verifier.SetupSingleParty:
			sum.SingleParty++
		case verifier.SetupCeremonyClaimed:
			sum.CeremonyNotChecked++
		case verifier.SetupCeremonyChecked:
			sum.CeremonyChecked++
		}
		if !res.BenchmarkChecked {
			sum.Unchecked++
		}
		for _, wr := range res.Warnings {
			fmt.Fprintf(cmd.ErrOrStderr(), "WARNING: %s: %s\n", printable(file), printable(wr))
		}
		sum.Results = append(sum.Results, validJSON(file, cf))
		if !asJSON {
			printVerify(w, file, cf)
		}
	}
	if asJSON {
		if err := writeJSON(w, sum); err != nil {
			return ioErr(err)
		}
	} else {
		fmt.Fprintf(w, "\n%s\n", manySummary(sum))
		for _, f := range failures {
			fmt.Fprintf(w, "  %-10s  %s: %s\n", f.tag, printable(f.file), printable(failureReason(f.file, f.err)))
		}
	}
	if worst == exitOK {
		return nil
	}
	return &exitError{code: worst, err: errors.New(manySummary(sum))}
}

// maxVerifyInput bounds what verify reads from an attestation or a
// verifying key file: both are a few kilobytes, and reading /dev/zero or a
// huge file whole exhausted memory and crashed the process.
const maxVerifyInput = 64 << 20

// readBounded reads path whole, up to maxVerifyInput bytes; a longer file
// is an error wrapping verifier.ErrInvalid that names it as what.
func readBounded(path, what string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxVerifyInput+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxVerifyInput {
		return nil, fmt.Errorf("%w: %s is larger than %d MiB, far more than any zkeval %s", verifier.ErrInvalid, path, maxVerifyInput>>20, what)
	}
	return data, nil
}

// targetWords says which verifiers accept a proof of target.
func targetWords(target string) string {
	switch target {
	case attestation.TargetSolidity:
		return target + " (commitment hashed with Keccak-256: the Solidity verifier of `zkeval export solidity` accepts it too)"
	case attestation.TargetGo:
		return target + " (gnark's default hash to field: zkeval verify accepts it, the Solidity verifier does not)"
	}
	return target
}

// checkVKPath refuses a --vk that cannot be a verifying key before any
// attestation is read, so that the error names the key path, not an
// attestation (exit status 3): a directory, or a file larger than any
// verifying key (such as the proving key beside it).
func checkVKPath(path string) error {
	if path == "" {
		return nil
	}
	st, err := os.Stat(path)
	switch {
	case err != nil:
		return nil // reported with the attestation it was needed for
	case st.IsDir():
		return ioErr(fmt.Errorf("--vk %s is a directory: pass its verifying key file (%s), or --vk-dir %s to take each attestation's key by the SHA-256 it names", path, filepath.Join(path, keys.VerifyingKeyFile), path))
	case st.Size() > maxVerifyInput:
		return ioErr(fmt.Errorf("--vk %s is %d MiB, far more than any verifying key (a few KiB): is it a proving key? pass the verifying key file (%s in a keys directory)", path, st.Size()>>20, keys.VerifyingKeyFile))
	}
	return nil
}

// classifyFailure counts a failed attestation of a many-file verify as
// invalid (a check failed: exit 1) or unreadable (anything else) and
// returns its tag and exit code.
func classifyFailure(err error, invalid, unreadable *int) (tag string, code int) {
	code = exitCode(err)
	if code == exitInvalid {
		*invalid++
		return "INVALID", code
	}
	*unreadable++
	return "UNREADABLE", code
}
