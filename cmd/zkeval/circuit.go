package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zkeval/zkeval/circuits"
)

func newCircuitCmd() *cobra.Command {
	var modelPath, benchPath string
	var cf claimFlags
	var shardSize int
	c := &cobra.Command{
		Use:   "circuit --model MODEL.zkm --benchmark FILE.bench [--shard-size N]",
		Short: "Compile the circuit and print its size, gadget choices and constraints per gadget",
		Long: `Compiles the evaluation circuit that setup would make, without making keys,
and prints the circuit id, the accumulator widths, the ReLU gadget and
range-check table chosen for it, and the constraints attributed to each gadget
(gnark's constraint profiler).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			setupGnarkLog(cmd)
			claims, err := cf.parse(true)
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("shard-size") {
				return runShardCircuit(cmd, modelPath, benchPath, claims, shardSize)
			}
			_, _, _, spec, err := loadSpec(modelPath, benchPath, claims)
			if err != nil {
				return err
			}
			pr := reporter(cmd)
			done := pr.Start("compile with constraint profile")
			bd, err := circuits.Profile(spec)
			if err != nil {
				return ioErr(err)
			}
			done("")
			pub := spec.Public()
			id := pub.ID()
			if j, _ := cmd.Flags().GetBool("json"); j {
				return writeJSON(cmd.OutOrStdout(), map[string]any{"circuitId": fmt.Sprintf("%x", id), "public": pub, "constraints": bd})
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "circuit           %x\n", id)
			fmt.Fprintf(w, "model shape       %s\n", spec.Shape.String())
			fmt.Fprintf(w, "benchmark         %s\n", spec.Bench.String())
			bounds, err := pub.Bounds()
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "inputs            every feature within [-2^%d, 2^%d) (constants of the circuit)\n", spec.InputBits, spec.InputBits)
			if pub.IsTrees() {
				if err := printTreeBounds(w, pub); err != nil {
					return err
				}
				fmt.Fprintf(w, "feature reads     %s\n", spec.TreeFeatureReads())
			}
			if err := printLayers(w, pub, bounds); err != nil {
				return err
			}
			if !pub.IsTrees() {
				fmt.Fprintf(w, "first layer       %s\n", map[string]string{circuits.FirstLayerLinear: "linear combinations of the weights over the constant samples (no constraint)", circuits.FirstLayerFreivalds: "hinted accumulators with a Freivalds check"}[spec.FirstLayer])
			}
			for _, cl := range spec.Claims {
				fmt.Fprintf(w, "claim             %s\n", cl)
			}
			pred := "whether each prediction is the label (argmax against the constant label)"
			if spec.NeedsPredictions() {
				pred = "each whole prediction (one-hot argmax), since a claim reads predicted classes"
			}
			if spec.PredictionsPerNode() {
				pred = "one tree: each node's prediction proven once (one-hot argmax of its scores), in one lookup table per class; each sample looks up "
				if spec.NeedsPredictions() {
					pred += "its leaf's whole prediction, since a claim reads predicted classes"
				} else {
					pred += "whether its leaf predicts its label"
				}
			}
			fmt.Fprintf(w, "predictions       %s\n", pred)
			fmt.Fprintf(w, "range checks      lookups into a table of 2^w entries per width w (limbs of %d bits above it); by width as the circuit checks them (packed values and table bounds at their own widths, the others rounded up to a multiple of %d; the claims' few checks not listed):", spec.RangeBase, spec.RangeBase)
			widths := make([]string, 0, len(bd.RangeChecks))
			for k, v := range bd.RangeChecks {
				widths = append(widths, fmt.Sprintf(" %d × %s", v, k))
			}
			sort.Strings(widths)
			fmt.Fprintf(w, "%s\n", strings.Join(widths, ","))
			fmt.Fprintf(w, "wires             %d\n", bd.Wires)
			fmt.Fprintf(w, "constraints by gadget (per sample = total / samples, fixed costs included):\n%s", bd.String())
			return nil
		},
	}
	c.Flags().StringVar(&modelPath, "model", "", "quantized model file (.zkm)")
	c.Flags().StringVar(&benchPath, "benchmark", "", "benchmark file (.bench)")
	cf.add(c, true)
	c.Flags().IntVar(&shardSize, "shard-size", 0, "profile the shard circuit for shards of this many samples instead (see setup --shard-size)")
	addJSONFlag(c)
	addQuietFlag(c)
	return c
}
