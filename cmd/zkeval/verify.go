package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/claim"
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
	Claim  string `json:"claim"`
	Value  string `json:"value"`
	Bound  int64  `json:"bound"`
	Hidden bool   `json:"hidden,omitempty"`
}

func newVerifyCmd() *cobra.Command {
	var vkPath, benchPath string
	c := &cobra.Command{
		Use:   "verify ATTESTATION.json --vk VERIFYING.key [--benchmark FILE.bench]",
		Short: "Verify an attestation",
		Long: `Checks an attestation: recomputes every public input from the attestation's
fields (model commitment, benchmark digest, circuit id from the published
circuit description, the claim's count bound), checks that the verifying key
is the one the attestation names, and verifies the Groth16 proof. With
--benchmark it also recomputes the benchmark digest from the file.

Exit codes: 0 valid; 1 invalid; 2 usage error; 3 a file cannot be read.`,
		Args: cobra.ExactArgs(1),
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
			st, err := attestation.ReadFile(args[0])
			if err != nil {
				if os.IsNotExist(err) {
					return fail(ioErr(err))
				}
				return fail(fmt.Errorf("%w: %v", verifier.ErrInvalid, err))
			}
			vk, err := os.ReadFile(vkPath)
			if err != nil {
				return fail(ioErr(err))
			}
			var opt verifier.Options
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
			return printVerify(cmd, args[0], res, asJSON)
		},
	}
	c.Flags().StringVar(&vkPath, "vk", "", "verifying key file (from the keys directory or the ceremony)")
	c.Flags().StringVar(&benchPath, "benchmark", "", "benchmark file: recompute and check its digest")
	addJSONFlag(c)
	return c
}

func printVerify(cmd *cobra.Command, file string, res *verifier.Result, asJSON bool) error {
	p := res.Statement.Predicate
	var claims []claimJSON
	for _, c := range res.Claims {
		cj := claimJSON{Claim: c.Text, Bound: c.Bound, Hidden: c.Hidden, Value: "hidden"}
		if !c.Hidden {
			cj.Value = fmt.Sprintf("%d/%d", c.Count, c.Samples)
		}
		claims = append(claims, cj)
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
	how := "not recomputed; pass --benchmark FILE to check it"
	if res.BenchmarkChecked {
		how = "recomputed from the file given"
	}
	fmt.Fprintf(w, "  benchmark         %s/%s, all %d samples, sha256 %s (%s)\n", p.Benchmark.Name, p.Benchmark.Split, p.Benchmark.Samples, p.Benchmark.Digest["sha256"], how)
	for _, c := range res.Claims {
		if c.Hidden {
			fmt.Fprintf(w, "  claim             %s: proven (at least %d of %d correct); exact value hidden\n", c.Text, c.Bound, c.Samples)
		} else {
			fmt.Fprintf(w, "  claim             %s: proven; value %s (%d/%d correct)\n", c.Text, claim.FormatRatio(c.Count, c.Samples), c.Count, c.Samples)
		}
	}
	fmt.Fprintf(w, "  proof system      Groth16 over BN254, %d-byte proof, circuit %s… (%d constraints)\n", len(p.Proof.Bytes), p.Circuit.ID[:16], p.Circuit.Constraints)
	fmt.Fprintf(w, "  verifying key     sha256 %s\n", res.VerifyingKeySHA256)
	fmt.Fprintf(w, "  setup             %s\n", p.Setup.Kind)
	fmt.Fprintf(w, "  verified in       %.2f ms (pairing check %.2f ms)\n", float64(res.Elapsed.Microseconds())/1000, float64(res.PairingTime.Microseconds())/1000)
	for _, wr := range res.Warnings {
		fmt.Fprintf(cmd.ErrOrStderr(), "WARNING: %s\n", wr)
	}
	return nil
}
