package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/prover"
	"github.com/zkeval/zkeval/shard"
)

// runShardCircuit is `zkeval circuit --shard-size N`: the shard circuit's
// description and constraints per gadget.
func runShardCircuit(cmd *cobra.Command, modelPath, benchPath string, claims []prover.Claimed, size int) error {
	_, b, _, spec, err := loadShardSpec(modelPath, benchPath, claims, size)
	if err != nil {
		return err
	}
	pr := reporter(cmd)
	done := pr.Start("compile the shard circuit with constraint profile")
	bd, err := circuits.ProfileShard(spec)
	if err != nil {
		return ioErr(err)
	}
	done("")
	d := spec.Desc
	id := d.ID()
	if j, _ := cmd.Flags().GetBool("json"); j {
		return writeJSON(cmd.OutOrStdout(), map[string]any{"circuitId": fmt.Sprintf("%x", id), "shard": d, "constraints": bd})
	}
	w := cmd.OutOrStdout()
	lay := d.Layout()
	fmt.Fprintf(w, "shard circuit     %x\n", id)
	fmt.Fprintf(w, "model shape       %s\n", d.Shape.String())
	fmt.Fprintf(w, "shards            %d of %d slots for %s\n", shard.Count(b.Len(), size), size, b.String())
	fmt.Fprintf(w, "inputs            secret; every feature range-checked within [-2^%d, 2^%d); %d fingerprinted elements per shard (%d per slot)\n", d.InputBits, d.InputBits, lay.Elements(), lay.FeatureElements())
	pub := d.Public()
	bounds, err := pub.Bounds()
	if err != nil {
		return err
	}
	if err := printLayers(w, pub, bounds); err != nil {
		return err
	}
	for _, cl := range d.Claims {
		fmt.Fprintf(w, "claim             %s\n", cl)
	}
	fmt.Fprintf(w, "public counts     %d revealed, %d committed\n", len(spec.Revealed()), len(spec.Hidden()))
	fmt.Fprintf(w, "range checks      table of 2^%d entries\n", d.RangeBase)
	fmt.Fprintf(w, "wires             %d\n", bd.Wires)
	fmt.Fprintf(w, "constraints by gadget (per slot = total / shard size, fixed costs included):\n%s", bd.String())
	return nil
}
