package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/prover"
)

// loadSpec reads the model and benchmark and derives the circuit spec for a
// claim shape.
func loadSpec(modelPath, benchPath, claimText string, hide bool) (*model.Model, *benchmark.Benchmark, *claim.Claim, *circuits.Spec, error) {
	var missing []string
	if modelPath == "" {
		missing = append(missing, "--model MODEL.zkm")
	}
	if benchPath == "" {
		missing = append(missing, "--benchmark FILE.bench")
	}
	if len(missing) > 0 {
		return nil, nil, nil, nil, usageErr("missing %s", strings.Join(missing, " and "))
	}
	cl, err := claim.Parse(claimText)
	if err != nil {
		return nil, nil, nil, nil, usageErr("--claim: %v", err)
	}
	m, err := model.ReadFile(modelPath)
	if err != nil {
		return nil, nil, nil, nil, ioErr(err)
	}
	b, err := benchmark.ReadFile(benchPath)
	if err != nil {
		return nil, nil, nil, nil, ioErr(err)
	}
	spec, err := circuits.NewSpec(m, b, prover.ClaimShape(cl, !hide))
	if err != nil {
		return nil, nil, nil, nil, ioErr(fmt.Errorf("%s on %s: %w", modelPath, benchPath, err))
	}
	return m, b, cl, spec, nil
}

func newSetupCmd() *cobra.Command {
	var modelPath, benchPath, out, claimText string
	var hide, force bool
	c := &cobra.Command{
		Use:   "setup --model MODEL.zkm --benchmark FILE.bench -o KEYS_DIR",
		Short: "Compile the circuit and make single-party Groth16 keys (development only)",
		Long: `Compiles the evaluation circuit for the model's public shape, the benchmark
(whose samples become circuit constants) and the claim shape, then runs a
single-party Groth16 setup.

WARNING: whoever runs a single-party setup knows its toxic waste and can forge
proofs for this circuit. Attestations made with these keys say so, and verify
warns about them. Use them for development only.

The keys fit exactly this model shape, benchmark and claim shape: another
benchmark (even a --limit slice of this one), another quantization or another
claim shape needs its own setup. The claim's metric and comparison are fixed
here (default "accuracy >= ..."); its threshold is a public input chosen at
prove time. --hide-count makes a circuit that proves only the threshold and
keeps the exact count secret.

KEYS_DIR receives circuit.json, constraints.r1cs, proving.key and
verifying.key; circuit.json is written last, so a directory without it is
incomplete. Give auditors verifying.key; prove needs the whole directory.`,
		Args: positional(),
		RunE: func(cmd *cobra.Command, args []string) error {
			setupGnarkLog(cmd)
			if err := requireFlags(cmd, "model", "benchmark", "output"); err != nil {
				return err
			}
			if err := checkOutputDir("-o", out); err != nil {
				return err
			}
			if old, err := keys.ReadMeta(out); err == nil && !force {
				return usageErr("%s already holds keys for circuit %s; attestations made with them need its verifying key: choose another directory, or pass --force to replace them", out, old.CircuitID)
			}
			_, _, _, spec, err := loadSpec(modelPath, benchPath, claimText, hide)
			if err != nil {
				return err
			}
			pr := reporter(cmd)
			fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", keys.SinglePartyWarning)
			meta, err := keys.SetupSingleParty(spec, out, pr)
			if err != nil {
				return ioErr(err)
			}
			if j, _ := cmd.Flags().GetBool("json"); j {
				return writeJSON(cmd.OutOrStdout(), meta)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "circuit       %s\n", meta.CircuitID)
			fmt.Fprintf(w, "model shape   %s\n", spec.Shape.String())
			fmt.Fprintf(w, "benchmark     %s, sha256 %s\n", spec.Bench.String(), meta.Public.BenchmarkDigest)
			fmt.Fprintf(w, "claim shape   %s %s THRESHOLD (count %s)\n", spec.Claim.Metric, spec.Claim.Comparison, map[bool]string{true: "revealed", false: "hidden"}[spec.Claim.Reveal])
			fmt.Fprintf(w, "constraints   %d (%.1f per sample)\n", meta.Constraints, float64(meta.Constraints)/float64(spec.Bench.Len()))
			fmt.Fprintf(w, "setup         single-party (development only)\n")
			fmt.Fprintf(w, "wrote         %s/{%s,%s,%s,%s}\n", out, keys.MetaFile, keys.ConstraintsFile, keys.ProvingKeyFile, keys.VerifyingKeyFile)
			return nil
		},
	}
	c.Flags().StringVar(&modelPath, "model", "", "quantized model file (.zkm); only its public shape and accumulator widths shape the circuit")
	c.Flags().StringVar(&benchPath, "benchmark", "", "benchmark file (.bench)")
	c.Flags().StringVarP(&out, "output", "o", "", "keys directory to write")
	c.Flags().StringVar(&claimText, "claim", "accuracy >= 0", "claim shape: only its metric and comparison count; its threshold is ignored (chosen at prove time)")
	c.Flags().BoolVar(&hide, "hide-count", false, "prove only the threshold; keep the exact count secret")
	c.Flags().BoolVar(&force, "force", false, "replace the keys already in the directory")
	addJSONFlag(c)
	addQuietFlag(c)
	return c
}
