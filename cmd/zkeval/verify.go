package main

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/spf13/cobra"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/envelope"
	"github.com/zkeval/zkeval/internal/jsonfile"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/verifier"
)

type verifyJSON struct {
	Valid            bool        `json:"valid"`
	File             string      `json:"file"`
	Error            string      `json:"error,omitempty"`
	Unreadable       bool        `json:"unreadable,omitempty"` // several files only: exit status 3 for this one
	ModelCommitment  string      `json:"modelCommitment,omitempty"`
	Benchmark        any         `json:"benchmark,omitempty"`
	BenchmarkChecked bool        `json:"benchmarkRecomputed"`
	OfficialData     string      `json:"officialData,omitempty"`
	Claims           []claimJSON `json:"claims,omitempty"`
	ProofSystem      string      `json:"proofSystem,omitempty"`
	ProofTarget      string      `json:"proofTarget,omitempty"` // "go" or "solidity"
	VerifyingKey     string      `json:"verifyingKeySha256,omitempty"`
	SetupKind        string      `json:"setupKind,omitempty"`
	Warnings         []string    `json:"warnings,omitempty"`
	Seconds          float64     `json:"seconds,omitempty"`
}

// verifyManyJSON is the --json result for several attestations.
type verifyManyJSON struct {
	Checked    int `json:"checked"`
	Valid      int `json:"valid"`
	Invalid    int `json:"invalid"`
	Unreadable int `json:"unreadable"`
	// SingleParty and Unchecked count valid attestations whose keys come
	// from a single-party setup, and those whose benchmark digest was not
	// recomputed (no --benchmark): valid proofs that prove less.
	SingleParty int          `json:"validWithSinglePartyKeys"`
	Unchecked   int          `json:"validWithBenchmarkNotRecomputed"`
	Results     []verifyJSON `json:"results"`
}

type claimJSON struct {
	Claim   string `json:"claim"`
	Holds   bool   `json:"holds"`
	Value   string `json:"value"`             // reduced fraction, or "hidden"
	Decimal string `json:"decimal,omitempty"` // the value with 4 places, rounded to the nearest
	// DecimalExact says whether Decimal is the exact value (else Value is).
	DecimalExact bool                `json:"decimalExact,omitempty"`
	Counts       []attestation.Count `json:"counts,omitempty"`
	Hidden       bool                `json:"hidden,omitempty"`
	Meaning      string              `json:"meaning"`
	// DeterminedByRevealed: a hidden claim whose value the counts revealed
	// by the other claims determine.
	DeterminedByRevealed bool `json:"determinedByRevealed,omitempty"`
	// GroupRates: each group's rates, for a revealed fairness claim.
	GroupRates string `json:"groupRates,omitempty"`
}

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
verifies, sealed this verifying key, and is the one the attestation names.

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

Exit codes: 0 valid; 1 invalid, including an attestation or verifying key
that is malformed or truncated; 2 usage error; 3 a file cannot be read, the
--benchmark file is not a valid benchmark, or --vk-dir holds no key with the
digest an attestation names. With several attestations the status is the
worst over them, 3 before 1 before 0: 0 only when all are valid, 1 when some
are invalid and every file could be read, 3 when any could not be read or
checked.`,
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
			case in.transcriptDir != "" && in.benchPath == "" && in.benchDir == "" && len(args) > 1:
				return usageErr("--transcript needs --benchmark FILE.bench: checking the ceremony recompiles the circuit")
			}
			in.init(cmd)
			asJSON, _ := cmd.Flags().GetBool("json")
			if handled, err := verifyShardedFiles(cmd, &in, args, asJSON); handled {
				return err
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
	c.Flags().StringVar(&in.signerPath, "signer", "", "Ed25519 public key (zkeval keygen): the attestation must be a DSSE envelope signed by it")
	addJSONFlag(c)
	return c
}

// verifyInputs holds the flags of verify and the inputs every attestation
// shares; each is read once, on first need, and its error kept, so that one
// attestation alone reads its inputs in the order it always has.
type verifyInputs struct {
	vkPath, vkDir, benchPath, benchDir, transcriptDir, signerPath string

	cmd          *cobra.Command
	readVK       func() ([]byte, error)
	readKeyDir   func() (*verifier.KeyDir, error)
	readBench    func() (*benchmark.Benchmark, error)
	readBenchDir func() (*verifier.KeyDir, error)
	benches      map[string]*benchmark.Benchmark // by digest, from --benchmark-dir
	readSigner   func() (ed25519.PublicKey, error)
	transcripts  map[string]error // checkTranscript's result by its inputs
}

func (in *verifyInputs) init(cmd *cobra.Command) {
	in.cmd = cmd
	in.readVK = sync.OnceValues(func() ([]byte, error) { return readBounded(in.vkPath, "verifying key") })
	in.readKeyDir = sync.OnceValues(func() (*verifier.KeyDir, error) { return verifier.IndexKeys(in.vkDir) })
	in.readBench = sync.OnceValues(func() (*benchmark.Benchmark, error) { return benchmark.ReadFile(in.benchPath) })
	in.readBenchDir = sync.OnceValues(func() (*verifier.KeyDir, error) { return verifier.IndexKeys(in.benchDir) })
	in.benches = map[string]*benchmark.Benchmark{}
	in.readSigner = sync.OnceValues(func() (ed25519.PublicKey, error) { return envelope.ReadPublicKey(in.signerPath) })
	in.transcripts = map[string]error{}
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

// transcript runs checkTranscript once per distinct circuit, setup and key.
func (in *verifyInputs) transcript(st *attestation.Statement, b *benchmark.Benchmark, vk []byte) error {
	pub, err := json.Marshal(st.Predicate.Circuit.Public)
	if err != nil {
		return checkTranscript(in.cmd, in.transcriptDir, st, b, vk)
	}
	setup, err := json.Marshal(st.Predicate.Setup)
	if err != nil {
		return checkTranscript(in.cmd, in.transcriptDir, st, b, vk)
	}
	key := keys.Digest(vk) + "\x00" + string(pub) + "\x00" + string(setup)
	if err, ok := in.transcripts[key]; ok {
		return err
	}
	err = checkTranscript(in.cmd, in.transcriptDir, st, b, vk)
	in.transcripts[key] = err
	return err
}

// check verifies one attestation file. It returns the result and how the
// setup was checked, or an error: one wrapping verifier.ErrInvalid when the
// attestation does not hold, an I/O error (exit status 3) otherwise.
func (in *verifyInputs) check(file string) (*verifier.Result, string, error) {
	data, err := readBounded(file, "attestation")
	if errors.Is(err, verifier.ErrInvalid) {
		return nil, "", err
	}
	if err != nil {
		return nil, "", ioErr(err) // missing or unreadable
	}
	var signer string
	var envWarning string
	if envelope.IsEnvelope(data) {
		// encoding/json keeps the last of repeated keys and matches keys
		// without regard to case; other readers of the envelope do not.
		// Refuse both, as for the statement, so that the payload checked
		// here is the one every reader of the envelope sees.
		if err := jsonfile.ExactKeys(data, &dsse.Envelope{}); err != nil {
			return nil, "", fmt.Errorf("%w: %s: not a DSSE envelope: %v", verifier.ErrInvalid, file, err)
		}
		var pub ed25519.PublicKey
		if in.signerPath != "" {
			if pub, err = in.readSigner(); err != nil {
				return nil, "", ioErr(err)
			}
		}
		payload, _, err := envelope.Open(data, file, pub)
		if err != nil {
			return nil, "", fmt.Errorf("%w: %v", verifier.ErrInvalid, err)
		}
		data = payload
		if pub != nil {
			signer, _ = envelope.KeyID(pub)
		} else {
			envWarning = "the DSSE envelope's signature was not checked: pass --signer LAB.pub"
		}
	} else if in.signerPath != "" {
		// A --signer key that cannot be read is an I/O error (3) whatever
		// the attestation is.
		if _, err := in.readSigner(); err != nil {
			return nil, "", ioErr(err)
		}
		return nil, "", fmt.Errorf("%w: %s is a bare statement, not a DSSE envelope, so it carries no signature by %s", verifier.ErrInvalid, file, in.signerPath)
	}
	st, err := attestation.Parse(data, file)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", verifier.ErrInvalid, err)
	}
	vk, vkSource, err := in.verifyingKey(file, st)
	if errors.Is(err, verifier.ErrInvalid) {
		return nil, "", err // a verifying key too large to be one
	}
	if err != nil {
		return nil, "", ioErr(err)
	}
	opt := verifier.Options{BenchmarkFile: in.benchPath, AttestationFile: file}
	if in.benchPath != "" {
		if opt.Benchmark, err = in.readBench(); err != nil {
			return nil, "", ioErr(err)
		}
	}
	if in.benchDir != "" {
		if opt.Benchmark, opt.BenchmarkFile, err = in.benchmarkFor(file, st); err != nil {
			return nil, "", ioErr(err)
		}
	}
	res, err := verifier.Verify(st, vk, vkSource, opt)
	if err != nil {
		if errors.Is(err, verifier.ErrInvalid) {
			return nil, "", err
		}
		return nil, "", ioErr(err)
	}
	if envWarning != "" {
		res.Warnings = append(res.Warnings, envWarning)
	}
	setupHow := "stated by the attestation, not checked: pass --transcript CEREMONY_DIR to check it"
	if in.transcriptDir != "" {
		if err := in.transcript(st, opt.Benchmark, vk); err != nil {
			return nil, "", err
		}
		setupHow = "transcript checked"
	} else if st.Predicate.Setup.Kind == keys.Ceremony {
		res.Warnings = append(res.Warnings, "the attestation says its keys come from a ceremony, but nothing checked that: whoever made single-party keys could write the same; pass --transcript CEREMONY_DIR")
	}
	if st.Predicate.Setup.Kind == keys.SingleParty {
		setupHow = "development only"
	}
	if signer != "" {
		setupHow += "; statement signed by key " + signer
	}
	return res, setupHow, nil
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
	res, setupHow, err := in.check(file)
	if err != nil {
		if asJSON {
			_ = writeJSON(cmd.OutOrStdout(), verifyJSON{Valid: false, File: file, Error: err.Error()})
		} else if errors.Is(err, verifier.ErrInvalid) {
			fmt.Fprintf(cmd.OutOrStdout(), "INVALID  %s\n", printable(file))
		}
		return err
	}
	for _, wr := range res.Warnings {
		fmt.Fprintf(cmd.ErrOrStderr(), "WARNING: %s\n", wr)
	}
	if asJSON {
		return writeJSON(cmd.OutOrStdout(), validJSON(file, res))
	}
	printVerify(cmd.OutOrStdout(), file, res, setupHow)
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
		res, setupHow, err := in.check(file)
		if !asJSON && i > 0 {
			fmt.Fprintln(w)
		}
		if err != nil {
			code := exitCode(err)
			worst = max(worst, code)
			tag := "INVALID"
			if code == exitInvalid {
				sum.Invalid++
			} else {
				tag = "UNREADABLE"
				sum.Unreadable++
			}
			failures = append(failures, failure{file, tag, err})
			sum.Results = append(sum.Results, verifyJSON{Valid: false, File: file, Error: err.Error(), Unreadable: code != exitInvalid})
			if !asJSON {
				fmt.Fprintf(w, "%s  %s\n", tag, printable(file))
			}
			continue
		}
		sum.Valid++
		if res.Statement.Predicate.Setup.Kind == keys.SingleParty {
			sum.SingleParty++
		}
		if !res.BenchmarkChecked {
			sum.Unchecked++
		}
		for _, wr := range res.Warnings {
			fmt.Fprintf(cmd.ErrOrStderr(), "WARNING: %s: %s\n", printable(file), wr)
		}
		sum.Results = append(sum.Results, validJSON(file, res))
		if !asJSON {
			printVerify(w, file, res, setupHow)
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

// manySummary is "checked 5 attestations: 4 valid, 1 invalid", with the
// unreadable ones when there are any.
func manySummary(s verifyManyJSON) string {
	line := fmt.Sprintf("checked %d attestations: %d valid, %d invalid", s.Checked, s.Valid, s.Invalid)
	if s.Unreadable > 0 {
		line += fmt.Sprintf(", %d unreadable", s.Unreadable)
	}
	var caveats []string
	if s.SingleParty > 0 {
		caveats = append(caveats, fmt.Sprintf("%d with single-party keys (forgeable by whoever made them)", s.SingleParty))
	}
	if s.Unchecked > 0 {
		caveats = append(caveats, fmt.Sprintf("%d whose benchmark was not recomputed", s.Unchecked))
	}
	if len(caveats) > 0 {
		line += "; of the valid: " + strings.Join(caveats, ", ")
	}
	return line
}

// failureReason is err's message without the "invalid attestation: FILE: "
// that the summary line already says.
func failureReason(file string, err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, verifier.ErrInvalid.Error()+": ")
	msg = strings.TrimPrefix(msg, file+": ")
	return msg
}

func validJSON(file string, res *verifier.Result) verifyJSON {
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
	return verifyJSON{
		Valid: true, File: file, ModelCommitment: p.Model.Commitment, Benchmark: p.Benchmark, BenchmarkChecked: res.BenchmarkChecked,
		OfficialData: verifier.OfficialData(p.Benchmark.Name, p.Benchmark.Split, p.Benchmark.Samples, p.Benchmark.Digest["sha256"]),
		Claims:       claims, ProofSystem: "groth16/bn254", ProofTarget: res.Target, VerifyingKey: res.VerifyingKeySHA256, SetupKind: p.Setup.Kind,
		Warnings: res.Warnings, Seconds: res.Elapsed.Seconds(),
	}
}

func printVerify(w io.Writer, file string, res *verifier.Result, setupHow string) {
	p := res.Statement.Predicate
	// File names may come from a glob over a directory someone else fills.
	fmt.Fprintf(w, "VALID  %s\n", printable(file))
	fmt.Fprintf(w, "  model commitment  %s (%s)\n", p.Model.Commitment, p.Model.CommitmentScheme)
	sh := p.Circuit.Public.Shape
	fmt.Fprintf(w, "  model shape       %s\n", sh.String())
	how := "name and split as stated by the attestation; digest not recomputed: pass --benchmark FILE to check it"
	if res.BenchmarkChecked {
		how = "recomputed from the file given"
	}
	fmt.Fprintf(w, "  benchmark         %s/%s, all %d samples, sha256 %s (%s)\n", p.Benchmark.Name, p.Benchmark.Split, p.Benchmark.Samples, p.Benchmark.Digest["sha256"], how)
	if od := verifier.OfficialData(p.Benchmark.Name, p.Benchmark.Split, p.Benchmark.Samples, p.Benchmark.Digest["sha256"]); od != "" {
		fmt.Fprintf(w, "  official data     %s\n", od)
	}
	for _, c := range res.Claims {
		if c.Hidden {
			if c.Determined {
				fmt.Fprintf(w, "  claim             %s: holds; value not published, but the counts the other claims reveal determine it\n", c.Text)
			} else {
				fmt.Fprintf(w, "  claim             %s: holds; exact value hidden\n", c.Text)
			}
		} else {
			var counts []string
			for _, n := range c.Counts {
				counts = append(counts, fmt.Sprintf("%s = %d", n.Name, n.Value))
			}
			fmt.Fprintf(w, "  claim             %s: holds; value %s = %s (%s)\n", c.Text, claim.FormatRat(c.Value), c.Value.RatString(), strings.Join(counts, ", "))
		}
		fmt.Fprintf(w, "                    %s\n", c.Words)
		if c.Rates != "" {
			fmt.Fprintf(w, "                    %s\n", c.Rates)
		}
	}
	fmt.Fprintf(w, "  proof system      Groth16 over BN254, %d-byte proof, circuit %s… (%d constraints, as stated)\n", len(p.Proof.Bytes), p.Circuit.ID[:16], p.Circuit.Constraints)
	fmt.Fprintf(w, "  proof target      %s\n", targetWords(res.Target))
	fmt.Fprintf(w, "  verifying key     sha256 %s\n", res.VerifyingKeySHA256)
	fmt.Fprintf(w, "  setup             %s (%s)\n", p.Setup.Kind, setupHow)
	fmt.Fprintf(w, "  verified in       %.2f ms (pairing check %.2f ms)\n", float64(res.Elapsed.Microseconds())/1000, float64(res.PairingTime.Microseconds())/1000)
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
