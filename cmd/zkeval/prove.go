package main

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/evm"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/prover"
)

func newProveCmd() *cobra.Command {
	var modelPath, openingPath, commitPath, benchPath, keysDir, out, target string
	var cf claimFlags
	var sf shardFlags
	c := &cobra.Command{
		Use:   "prove --model MODEL.zkm --opening OPENING.json --benchmark FILE.bench --keys KEYS_DIR --claim \"accuracy >= 0.95\" -o ATTESTATION.json",
		Short: "Prove claims about the committed model on the whole benchmark",
		Long: `Checks natively that the opening opens the model and that every claim holds
over the predictions on every sample of the benchmark (a false claim stops
here, with the true value), then proves them all in one Groth16 proof and
writes an in-toto Statement v1 attestation.

` + claimSyntax + `
The keys must have been made (setup or ceremony) for the same claim shapes:
metric, selectors, comparison and revealed or hidden; thresholds are free.

The attestation names the commitment that the opening opens. With
--commitment (the public file written by "zkeval commit -o"), prove also
checks that this is the commitment you published.

--target solidity makes a proof that the Solidity verifier contract of
"zkeval export solidity" accepts as well as "zkeval verify": its in-circuit
commitment is hashed to the field with Keccak-256 instead of gnark's default
(SHA-256, RFC 9380), which the contract cannot compute cheaply. The keys are
the same; the attestation records the target (predicate.proof.target), and
"zkeval export calldata" turns it into the contract's calldata.

A false claim exits with status 1 and writes no attestation.`,
		Args: positional(),
		RunE: func(cmd *cobra.Command, args []string) error {
			setupGnarkLog(cmd)
			lowerGCTarget()
			if err := requireFlags(cmd, "model", "opening", "benchmark", "keys", "output"); err != nil {
				return err
			}
			if sf.set(cmd) || keys.IsShardKeys(keysDir) {
				return runShardProve(cmd, &sf, shardProveArgs{modelPath, openingPath, commitPath, benchPath, keysDir, out}, &cf)
			}
			if _, err := evm.ProverOptions(target); err != nil {
				return usageErr("--target: %v", err)
			}
			claims, err := cf.parse(false)
			if err != nil {
				return err
			}
			// The files of the keys directory are inputs too: an attestation
			// written over the proving key would destroy it.
			inputs := []string{modelPath, openingPath, commitPath, benchPath, keysDir}
			for _, f := range []string{keys.MetaFile, keys.ConstraintsFile, keys.ProvingKeyFile, keys.VerifyingKeyFile} {
				inputs = append(inputs, filepath.Join(keysDir, f))
			}
			if err := checkOutputs(inputs, "-o", out); err != nil {
				return err
			}
			m, b, claims, spec, err := loadSpec(modelPath, benchPath, claims)
			if err != nil {
				return err
			}
			for _, wr := range prover.DeterminedHidden(spec) {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", wr)
			}
			salt, cm, err := commitment.ReadOpening(openingPath)
			if err != nil {
				return ioErr(err)
			}
			if commitPath != "" {
				_, pub, err := commitment.ReadPublic(commitPath)
				if err != nil {
					return ioErr(err)
				}
				if pub.Cmp(cm) != 0 {
					return ioErr(fmt.Errorf("--opening %s opens commitment %s, but --commitment %s is %s; use the opening written by the same `zkeval commit` run as %s",
						openingPath, commitment.FormatElement(cm), commitPath, commitment.FormatElement(pub), commitPath))
				}
			}
			st, err := prover.Prove(&prover.Request{Model: m, Salt: salt, Benchmark: b, Claims: claims, KeysDir: keysDir, Progress: reporter(cmd), Target: target}, cm)
			if err != nil {
				switch {
				case errors.Is(err, prover.ErrClaimFalse):
					return err
				case errors.Is(err, prover.ErrOpening):
					return ioErr(fmt.Errorf("--opening %s does not fit --model %s: %w", openingPath, modelPath, err))
				}
				return ioErr(err)
			}
			if err := st.WriteFile(out); err != nil {
				return ioErr(err)
			}
			if j, _ := cmd.Flags().GetBool("json"); j {
				return writeJSON(cmd.OutOrStdout(), st)
			}
			p := st.Predicate
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "wrote       %s\n", out)
			fmt.Fprintf(w, "model       %s\n", p.Model.Commitment)
			fmt.Fprintf(w, "benchmark   %s/%s, %d samples, sha256 %s\n", p.Benchmark.Name, p.Benchmark.Split, p.Benchmark.Samples, p.Benchmark.Digest["sha256"])
			for _, c := range p.Claims {
				fmt.Fprintf(w, "claim       %s: %s\n", claimText(c), claimValue(c))
			}
			fmt.Fprintf(w, "proof       groth16/bn254, %d bytes, %d constraints, target %s\n", len(p.Proof.Bytes), p.Circuit.Constraints, p.Proof.Target)
			fmt.Fprintf(w, "setup       %s\n", p.Setup.Kind)
			return nil
		},
	}
	c.Flags().StringVar(&modelPath, "model", "", "quantized model file (.zkm)")
	c.Flags().StringVar(&openingPath, "opening", "", "secret opening file written by \"zkeval commit --opening\"")
	c.Flags().StringVar(&commitPath, "commitment", "", "public commitment file written by \"zkeval commit -o\": check that the opening opens it")
	c.Flags().StringVar(&benchPath, "benchmark", "", "benchmark file (.bench)")
	c.Flags().StringVar(&keysDir, "keys", "", "keys directory written by \"zkeval setup\" (or a ceremony) for this model, benchmark and claim shape")
	cf.add(c, false)
	c.Flags().StringVarP(&out, "output", "o", "", "attestation file to write (with --shard or --shards: the directory of shard proof files)")
	sf.add(c)
	c.Flags().StringVar(&target, "target", attestation.TargetGo, "verifiers the proof is for: \"go\" (zkeval verify) or \"solidity\" (zkeval verify and the contract of \"zkeval export solidity\")")
	addJSONFlag(c)
	addQuietFlag(c)
	return c
}
