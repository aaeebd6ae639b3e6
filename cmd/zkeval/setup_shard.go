package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/prover"
	"github.com/zkeval/zkeval/shard"
)

// runShardSetup is `zkeval setup --shard-size N`: the keys of the shard
// circuit and, when a claim hides its value, of the totals circuit.
func runShardSetup(cmd *cobra.Command, modelPath, benchPath, out string, claims []prover.Claimed, size int, force bool) error {
	if size < 1 || size > shard.MaxSize {
		return usageErr("--shard-size %d: want between 1 and %d", size, shard.MaxSize)
	}
	if old, err := keys.ReadShardMeta(out); err == nil && !force {
		return usageErr("%s already holds shard keys for circuit %s; shard proofs made with them need its verifying key: choose another directory, or pass --force to replace them", out, old.CircuitID)
	}
	_, b, _, spec, err := loadShardSpec(modelPath, benchPath, claims, size)
	if err != nil {
		return err
	}
	n := shard.Count(b.Len(), size)
	totals, err := totalsSpec(spec, b)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", keys.SinglePartyWarning)
	meta, err := keys.SetupShards(spec, totals, out, reporter(cmd))
	if err != nil {
		return ioErr(err)
	}
	if j, _ := cmd.Flags().GetBool("json"); j {
		return writeJSON(cmd.OutOrStdout(), meta)
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "shard circuit %s\n", meta.CircuitID)
	fmt.Fprintf(w, "model shape   %s\n", spec.Desc.Shape.String())
	fmt.Fprintf(w, "shards        %s for %s\n", shardsWords(n, size, b.Len()-(n-1)*size), b.String())
	for _, s := range spec.Desc.Claims {
		fmt.Fprintf(w, "claim shape   %s\n", s)
	}
	fmt.Fprintf(w, "constraints   %d per shard (%.1f per slot)\n", meta.Constraints, float64(meta.Constraints)/float64(size))
	if meta.Totals != nil {
		fmt.Fprintf(w, "totals        circuit %s, %d constraints (proves the hidden claims over the sums of the shards' committed counts)\n", meta.TotalsID, meta.TotalsConstraints)
	}
	fmt.Fprintf(w, "setup         single-party (development only)\n")
	fmt.Fprintf(w, "wrote         %s and the keys it names\n", filepath.Join(out, keys.ShardMetaFile))
	return nil
}

// totalsSpec is the totals circuit of b's shards under spec, or nil when no
// claim hides its value.
func totalsSpec(spec *circuits.ShardSpec, b *benchmark.Benchmark) (*circuits.TotalsSpec, error) {
	if len(spec.Hidden()) == 0 {
		return nil, nil
	}
	td, err := desc.NewTotals(spec.Desc, shard.Count(b.Len(), spec.Desc.ShardSize), circuits.BenchmarkLabels(b))
	if err != nil {
		return nil, ioErr(err)
	}
	ts, err := circuits.NewTotalsSpec(td)
	if err != nil {
		return nil, ioErr(err)
	}
	return ts, nil
}

// shardsWords says how a benchmark splits: "2 shards of 4 samples (the
// last holds 2)", "3 shards of 4 samples each", "1 shard of 1 sample".
func shardsWords(n, size, last int) string {
	w := countOf(n, "shard", "shards") + " of " + countOf(size, "sample", "samples")
	switch {
	case last != size:
		w += fmt.Sprintf(" (the last holds %d)", last)
	case n > 1:
		w += " each"
	}
	return w
}
