package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/prover"
)

// loadSpec reads the model and benchmark and derives the circuit spec for
// the claims' shapes; claims come back in the spec's order.
func loadSpec(modelPath, benchPath string, claims []prover.Claimed) (*model.Model, *benchmark.Benchmark, []prover.Claimed, *circuits.Spec, error) {
	m, b, shapes, sorted, err := loadInputs(modelPath, benchPath, claims)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	spec, err := circuits.NewSpec(m, b, shapes)
	if err != nil {
		return nil, nil, nil, nil, specErr(err, modelPath, benchPath)
	}
	return m, b, sorted, spec, nil
}

// loadInputs reads what every circuit spec derives from: the model, the
// benchmark and the claims' shapes (with the claims in their order).
func loadInputs(modelPath, benchPath string, claims []prover.Claimed) (*model.Model, *benchmark.Benchmark, []claim.Shape, []prover.Claimed, error) {
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
	shapes, sorted, err := prover.Shapes(claims)
	if err != nil {
		return nil, nil, nil, nil, usageErr("%v", err)
	}
	m, err := model.ReadFile(modelPath)
	if err != nil {
		return nil, nil, nil, nil, ioErr(err)
	}
	b, err := benchmark.ReadFile(benchPath)
	if err != nil {
		return nil, nil, nil, nil, ioErr(err)
	}
	return m, b, shapes, sorted, nil
}

// specErr maps an error of deriving a circuit spec: claims that do not fit
// the benchmark are usage errors, anything else names the model and the
// benchmark.
func specErr(err error, modelPath, benchPath string) error {
	if ce := (*circuits.ClaimError)(nil); errors.As(err, &ce) {
		return usageErr("claim on benchmark %s: %v", benchPath, ce)
	}
	return ioErr(fmt.Errorf("%s on %s: %w", modelPath, benchPath, err))
}

func newSetupCmd() *cobra.Command {
	var modelPath, benchPath, out string
	var cf claimFlags
	var force bool
	var shardSize int
	c := &cobra.Command{
		Use:   "setup --model MODEL.zkm --benchmark FILE.bench [--shard-size N] -o KEYS_DIR",
		Short: "Compile the circuit and make single-party Groth16 keys (development only)",
		Long: `Compiles the evaluation circuit for the model's public shape, the benchmark
(whose samples become circuit constants) and the claim shape, then runs a
single-party Groth16 setup.

WARNING: whoever runs a single-party setup knows its toxic waste and can forge
proofs for this circuit. Attestations made with these keys say so, and verify
warns about them. Use them for development only.

The keys fit exactly this model shape, benchmark and list of claim shapes:
another benchmark (even a --limit slice of this one), another quantization or
other claims need their own setup. Shard keys (--shard-size N) are the
exception for the benchmark: the shard circuit takes the samples as inputs,
so one shard key pair serves any benchmark of the same shape (number of
features, class and group names) whose values stay within the bounds
measured here (feature width, accumulator ranges), a --limit slice or a
longer split included; prove --shard refuses a benchmark outside them.
Each claim's metric, selectors,
comparison and whether its value is revealed are fixed here (default
"accuracy >= ...", revealed); thresholds are public inputs chosen at prove
time. The order of the claims does not matter.

` + claimSyntax + `

KEYS_DIR receives circuit.json, constraints.r1cs, proving.key and
verifying.key; circuit.json is written last, so a directory without it is
incomplete. With --shard-size it receives shard-circuit.json (last) in
place of circuit.json, and, when a claim hides its value, the totals
circuit's totals.r1cs, totals-proving.key and totals-verifying.key. Give
auditors the verifying keys; prove needs the whole directory.`,
		Args: positional(),
		RunE: func(cmd *cobra.Command, args []string) error {
			setupGnarkLog(cmd)
			// Go's default GC target: on the 10,000-image circuit a lower
			// one (HeavyGCPercent) slowed compilation from 61 s to 92 s,
			// and the collector takes 2% of setup's CPU at the default.
			if err := requireFlags(cmd, "model", "benchmark", "output"); err != nil {
				return err
			}
			if err := checkOutputDir("-o", out); err != nil {
				return err
			}
			if old, err := keys.ReadMeta(out); err == nil && !force {
				return usageErr("%s already holds keys for circuit %s; attestations made with them need its verifying key: choose another directory, or pass --force to replace them", out, old.CircuitID)
			}
			claims, err := cf.parse(true)
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("shard-size") {
				return runShardSetup(cmd, modelPath, benchPath, out, claims, shardSize, force)
			}
			_, _, _, spec, err := loadSpec(modelPath, benchPath, claims)
			if err != nil {
				return err
			}
			pr := reporter(cmd)
			for _, wr := range prover.DeterminedHidden(spec) {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", wr)
			}
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
			for _, s := range spec.Claims {
				fmt.Fprintf(w, "claim shape   %s\n", s)
			}
			fmt.Fprintf(w, "constraints   %d (%.1f per sample)\n", meta.Constraints, float64(meta.Constraints)/float64(spec.Bench.Len()))
			fmt.Fprintf(w, "setup         single-party (development only)\n")
			fmt.Fprintf(w, "wrote         %s/{%s,%s,%s,%s}\n", filepath.Clean(out), keys.MetaFile, keys.ConstraintsFile, keys.ProvingKeyFile, keys.VerifyingKeyFile)
			return nil
		},
	}
	c.Flags().StringVar(&modelPath, "model", "", "quantized model file (.zkm); only its public shape and accumulator widths shape the circuit")
	c.Flags().StringVar(&benchPath, "benchmark", "", "benchmark file (.bench)")
	c.Flags().StringVarP(&out, "output", "o", "", "keys directory to write")
	cf.add(c, true)
	c.Flags().BoolVar(&force, "force", false, "replace the keys already in the directory")
	c.Flags().IntVar(&shardSize, "shard-size", 0, "make the keys of the shard circuit for shards of N samples instead: one key pair proves every shard (prove --shard, combine; see docs/shards.md)")
	addJSONFlag(c)
	addQuietFlag(c)
	return c
}
