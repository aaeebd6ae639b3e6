package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/envelope"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/verifier"
)

type verifyJSON struct {
	Valid            bool        `json:"valid"`
	File             string      `json:"file"`
	Error            string      `json:"error,omitempty"`
	ModelCommitment  string      `json:"modelCommitment,omitempty"`
	Benchmark        any         `json:"benchmark,omitempty"`
	BenchmarkChecked bool        `json:"benchmarkRecomputed"`
	Claims           []claimJSON `json:"claims,omitempty"`
	ProofSystem      string      `json:"proofSystem,omitempty"`
	VerifyingKey     string      `json:"verifyingKeySha256,omitempty"`
	SetupKind        string      `json:"setupKind,omitempty"`
	Warnings         []string    `json:"warnings,omitempty"`
	Seconds          float64     `json:"seconds,omitempty"`
}

type claimJSON struct {
	Claim   string              `json:"claim"`
	Holds   bool                `json:"holds"`
	Value   string              `json:"value"`             // reduced fraction, or "hidden"
	Decimal string              `json:"decimal,omitempty"` // the value with 4 places, truncated
	Counts  []attestation.Count `json:"counts,omitempty"`
	Hidden  bool                `json:"hidden,omitempty"`
	Meaning string              `json:"meaning"`
}

func newVerifyCmd() *cobra.Command {
	var vkPath, benchPath, transcriptDir, signerPath string
	c := &cobra.Command{
		Use:   "verify ATTESTATION.json --vk VERIFYING.key [--benchmark FILE.bench] [--transcript CEREMONY_DIR]",
		Short: "Verify an attestation",
		Long: `Checks an attestation: recomputes every public input from the attestation's
fields (model commitment, benchmark digest, circuit id from the published
circuit description, the claim's count bound), checks that the verifying key
is the one the attestation names, and verifies the Groth16 proof. With
--benchmark it also recomputes the benchmark digest from the file. With
--transcript it also checks the key's provenance: the ceremony transcript
verifies, sealed this verifying key, and is the one the attestation names.

Exit codes: 0 valid; 1 invalid, including an attestation or verifying key
that is malformed or truncated; 2 usage error; 3 a file cannot be read, or
the --benchmark file is not a valid benchmark.`,
		Args: positional("ATTESTATION.json"),
		RunE: func(cmd *cobra.Command, args []string) error {
			setupGnarkLog(cmd)
			if vkPath == "" {
				return usageErr("missing --vk VERIFYING.key")
			}
			asJSON, _ := cmd.Flags().GetBool("json")
			fail := func(err error) error {
				if asJSON {
					_ = writeJSON(cmd.OutOrStdout(), verifyJSON{Valid: false, File: args[0], Error: err.Error()})
				} else if errors.Is(err, verifier.ErrInvalid) {
					fmt.Fprintf(cmd.OutOrStdout(), "INVALID  %s\n", args[0])
				}
				return err
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return fail(ioErr(err)) // missing or unreadable
			}
			var signer string
			var envWarning string
			if envelope.IsEnvelope(data) {
				var pub ed25519.PublicKey
				if signerPath != "" {
					if pub, err = envelope.ReadPublicKey(signerPath); err != nil {
						return fail(ioErr(err))
					}
				}
				payload, _, err := envelope.Open(data, args[0], pub)
				if err != nil {
					return fail(fmt.Errorf("%w: %v", verifier.ErrInvalid, err))
				}
				data = payload
				if pub != nil {
					signer, _ = envelope.KeyID(pub)
				} else {
					envWarning = "the DSSE envelope's signature was not checked: pass --signer LAB.pub"
				}
			} else if signerPath != "" {
				return fail(fmt.Errorf("%w: %s is a bare statement, not a DSSE envelope, so it carries no signature by %s", verifier.ErrInvalid, args[0], signerPath))
			}
			st, err := attestation.Parse(data, args[0])
			if err != nil {
				return fail(fmt.Errorf("%w: %v", verifier.ErrInvalid, err))
			}
			vk, err := os.ReadFile(vkPath)
			if err != nil {
				return fail(ioErr(err))
			}
			opt := verifier.Options{BenchmarkFile: benchPath, AttestationFile: args[0]}
			if benchPath != "" {
				if opt.Benchmark, err = benchmark.ReadFile(benchPath); err != nil {
					return fail(ioErr(err))
				}
			}
			res, err := verifier.Verify(st, vk, vkPath, opt)
			if err != nil {
				if errors.Is(err, verifier.ErrInvalid) {
					return fail(err)
				}
				return fail(ioErr(err))
			}
			if envWarning != "" {
				res.Warnings = append(res.Warnings, envWarning)
			}
			setupHow := "stated by the attestation, not checked: pass --transcript CEREMONY_DIR to check it"
			if transcriptDir != "" {
				if err := checkTranscript(cmd, transcriptDir, st, opt.Benchmark, vk); err != nil {
					return fail(err)
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
			return printVerify(cmd, args[0], res, asJSON, setupHow)
		},
	}
	c.Flags().StringVar(&vkPath, "vk", "", "verifying key file (from the keys directory or the ceremony)")
	c.Flags().StringVar(&benchPath, "benchmark", "", "benchmark file: recompute and check its digest")
	c.Flags().StringVar(&transcriptDir, "transcript", "", "ceremony directory: check that it verifies, sealed this verifying key and is the transcript the attestation names (needs --benchmark)")
	c.Flags().StringVar(&signerPath, "signer", "", "Ed25519 public key (zkeval keygen): the attestation must be a DSSE envelope signed by it")
	addJSONFlag(c)
	return c
}

func printVerify(cmd *cobra.Command, file string, res *verifier.Result, asJSON bool, setupHow string) error {
	p := res.Statement.Predicate
	var claims []claimJSON
	for _, c := range res.Claims {
		cj := claimJSON{Claim: c.Text, Holds: true, Hidden: c.Hidden, Value: "hidden", Meaning: c.Words}
		if !c.Hidden {
			cj.Value, cj.Decimal, cj.Counts = c.Value.RatString(), claim.FormatRat(c.Value), c.Counts
		}
		claims = append(claims, cj)
	}
	for _, wr := range res.Warnings {
		fmt.Fprintf(cmd.ErrOrStderr(), "WARNING: %s\n", wr)
	}
	if asJSON {
		return writeJSON(cmd.OutOrStdout(), verifyJSON{
			Valid: true, File: file, ModelCommitment: p.Model.Commitment, Benchmark: p.Benchmark, BenchmarkChecked: res.BenchmarkChecked,
			Claims: claims, ProofSystem: "groth16/bn254", VerifyingKey: res.VerifyingKeySHA256, SetupKind: p.Setup.Kind,
			Warnings: res.Warnings, Seconds: res.Elapsed.Seconds(),
		})
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "VALID  %s\n", file)
	fmt.Fprintf(w, "  model commitment  %s (%s)\n", p.Model.Commitment, p.Model.CommitmentScheme)
	sh := p.Circuit.Public.Shape
	fmt.Fprintf(w, "  model shape       %s\n", sh.String())
	how := "name and split as stated by the attestation; digest not recomputed: pass --benchmark FILE to check it"
	if res.BenchmarkChecked {
		how = "recomputed from the file given"
	}
	fmt.Fprintf(w, "  benchmark         %s/%s, all %d samples, sha256 %s (%s)\n", p.Benchmark.Name, p.Benchmark.Split, p.Benchmark.Samples, p.Benchmark.Digest["sha256"], how)
	for _, c := range res.Claims {
		if c.Hidden {
			fmt.Fprintf(w, "  claim             %s: holds; exact value hidden\n", c.Text)
		} else {
			var counts []string
			for _, n := range c.Counts {
				counts = append(counts, fmt.Sprintf("%s = %d", n.Name, n.Value))
			}
			fmt.Fprintf(w, "  claim             %s: holds; value %s = %s (%s)\n", c.Text, claim.FormatRat(c.Value), c.Value.RatString(), strings.Join(counts, ", "))
		}
		fmt.Fprintf(w, "                    %s\n", c.Words)
	}
	fmt.Fprintf(w, "  proof system      Groth16 over BN254, %d-byte proof, circuit %s… (%d constraints, as stated)\n", len(p.Proof.Bytes), p.Circuit.ID[:16], p.Circuit.Constraints)
	fmt.Fprintf(w, "  verifying key     sha256 %s\n", res.VerifyingKeySHA256)
	fmt.Fprintf(w, "  setup             %s (%s)\n", p.Setup.Kind, setupHow)
	fmt.Fprintf(w, "  verified in       %.2f ms (pairing check %.2f ms)\n", float64(res.Elapsed.Microseconds())/1000, float64(res.PairingTime.Microseconds())/1000)
	return nil
}
