package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/prover"
)

func newProveCmd() *cobra.Command {
	var modelPath, openingPath, commitPath, benchPath, keysDir, claimText, out string
	var hide bool
	c := &cobra.Command{
		Use:   "prove --model MODEL.zkm --opening OPENING.json --benchmark FILE.bench --keys KEYS_DIR --claim \"accuracy >= 0.95\" -o ATTESTATION.json",
		Short: "Prove a claim about the committed model on the whole benchmark",
		Long: `Checks natively that the opening opens the model and that the claim holds on
every sample of the benchmark (a false claim stops here, with the true value),
then proves it with Groth16 and writes an in-toto Statement v1 attestation.

Claims: "accuracy >= T" or "accuracy <= T", T a decimal (0.95) or a fraction
(19/20). By default the exact count of correct predictions is revealed; keys
made with --hide-count prove only the threshold.

The attestation names the commitment that the opening opens. With
--commitment (the public file written by "zkeval commit -o"), prove also
checks that this is the commitment you published.

A false claim exits with status 1 and writes no attestation.`,
		Args: positional(),
		RunE: func(cmd *cobra.Command, args []string) error {
			setupGnarkLog(cmd)
			if err := requireFlags(cmd, "model", "opening", "benchmark", "keys", "claim", "output"); err != nil {
				return err
			}
			if err := checkOutputs([]string{modelPath, openingPath, commitPath, benchPath, keysDir}, "-o", out); err != nil {
				return err
			}
			m, b, cl, _, err := loadSpec(modelPath, benchPath, claimText, hide)
			if err != nil {
				return err
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
			st, err := prover.Prove(&prover.Request{Model: m, Salt: salt, Benchmark: b, Claim: cl, Reveal: !hide, KeysDir: keysDir, Progress: reporter(cmd)}, cm)
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
				v := c.Value
				if c.Hidden {
					v = "hidden"
				}
				fmt.Fprintf(w, "claim       %s %s %s (count bound %d; value %s)\n", c.Metric, c.Comparison, c.Threshold, c.Bound, v)
			}
			fmt.Fprintf(w, "proof       groth16/bn254, %d bytes, %d constraints\n", len(p.Proof.Bytes), p.Circuit.Constraints)
			fmt.Fprintf(w, "setup       %s\n", p.Setup.Kind)
			return nil
		},
	}
	c.Flags().StringVar(&modelPath, "model", "", "quantized model file (.zkm)")
	c.Flags().StringVar(&openingPath, "opening", "", "secret opening file written by \"zkeval commit --opening\"")
	c.Flags().StringVar(&commitPath, "commitment", "", "public commitment file written by \"zkeval commit -o\": check that the opening opens it")
	c.Flags().StringVar(&benchPath, "benchmark", "", "benchmark file (.bench)")
	c.Flags().StringVar(&keysDir, "keys", "", "keys directory written by \"zkeval setup\" (or a ceremony) for this model, benchmark and claim shape")
	c.Flags().StringVar(&claimText, "claim", "", "the claim, e.g. \"accuracy >= 0.95\" (quote it)")
	c.Flags().BoolVar(&hide, "hide-count", false, "keep the exact count secret (needs keys made with --hide-count)")
	c.Flags().StringVarP(&out, "output", "o", "", "attestation file to write")
	addJSONFlag(c)
	addQuietFlag(c)
	return c
}
