package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"

	"github.com/spf13/cobra"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/internal/atomicfile"
	"github.com/zkeval/zkeval/prover"
	"github.com/zkeval/zkeval/verifier"
)

// shardFilePattern is the name prove --shard gives a shard file; combine
// takes no other file from a directory (a killed prove leaves at most a
// temporary file, whose name starts with a dot).
var shardFilePattern = regexp.MustCompile(`^shard-[0-9]+\.json$`)

func newCombineCmd() *cobra.Command {
	var benchPath, keysDir, out string
	var force bool
	c := &cobra.Command{
		Use:   "combine SHARDS_DIR|SHARD.json... --benchmark FILE.bench [--keys KEYS_DIR] -o ATTESTATION.json",
		Short: "Combine shard proofs into one attestation over the whole benchmark",
		Long: `Reads the shard proofs that "zkeval prove --shard I" wrote (every
shard-IIIII.json of each directory given, or the files given) and checks
that they are exactly the shards of --benchmark, once each: every shard
present, none repeated, each in the file of its own index, all proven for the
same model commitment, claims, shard circuit and keys, each fingerprint the
one recomputed from the benchmark's samples at the shard's challenge, and
each proof valid. A missing,
repeated, foreign or corrupted shard is refused with an error naming its
file (exit status 3).

It then sums the shards' counts, checks every claim over the whole benchmark
(a false claim exits with status 1 and writes nothing), proves the totals of
the hidden counts when claims hide their values (this needs --keys, the
shard keys directory, which holds the totals circuit's keys), checks the
result as verify does, and writes one sharded attestation.

Shard files hold the opening of their hidden counts: keep them private and
publish the attestation only.

An existing -o file is replaced only with --force, as setup replaces keys.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErr("missing SHARDS_DIR (usage: %s)", cmd.UseLine())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			setupGnarkLog(cmd)
			if err := requireFlags(cmd, "benchmark", "output"); err != nil {
				return err
			}
			var files []string
			for _, a := range args {
				st, err := os.Stat(a)
				if err != nil {
					return ioErr(err)
				}
				if !st.IsDir() {
					files = append(files, a)
					continue
				}
				entries, err := os.ReadDir(a)
				if err != nil {
					return ioErr(err)
				}
				for _, e := range entries {
					if e.Type().IsRegular() && shardFilePattern.MatchString(e.Name()) {
						files = append(files, filepath.Join(a, e.Name()))
					}
				}
			}
			sort.Strings(files)
			if len(files) == 0 {
				return ioErr(fmt.Errorf("no shard file (shard-IIIII.json) in %v: run zkeval prove --shard I -o DIR first", args))
			}
			if err := checkOutputs(append(append([]string{benchPath, keysDir}, files...), args...), "-o", out); err != nil {
				return err
			}
			if _, err := os.Lstat(out); err == nil && !force {
				return usageErr("-o %s exists: choose another file, or pass --force to replace it", out)
			}
			b, err := benchmark.ReadFile(benchPath)
			if err != nil {
				return ioErr(err)
			}
			pr := reporter(cmd)
			res, err := prover.Combine(&prover.CombineRequest{Files: files, Benchmark: b, BenchmarkFile: benchPath, KeysDir: keysDir, Progress: pr})
			switch {
			case errors.Is(err, prover.ErrClaimFalse):
				return err
			case err != nil:
				return ioErr(err)
			}
			done := pr.Start("verify the combined attestation")
			vres, err := verifier.VerifySharded(res.Statement, res.VerifyingKey, "the shards' verifying key", verifier.ShardOptions{Benchmark: b, BenchmarkFile: benchPath, TotalsVK: res.TotalsVerifyingKey, TotalsVKSource: "the totals verifying key"})
			if se := (*verifier.ShardError)(nil); errors.As(err, &se) && se.Index >= 0 && se.Index < len(res.Files) {
				return ioErr(fmt.Errorf("%s (shard %d): %s", res.Files[se.Index], se.Index, se.Detail))
			}
			if err != nil {
				return ioErr(err)
			}
			done("")
			data, err := res.Statement.Marshal()
			if err != nil {
				return ioErr(err)
			}
			if err := atomicfile.WriteFile(out, data, 0o644); err != nil {
				return ioErr(err)
			}
			if j, _ := cmd.Flags().GetBool("json"); j {
				return writeJSON(cmd.OutOrStdout(), res.Statement)
			}
			p := res.Statement.Predicate
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "wrote       %s\n", out)
			fmt.Fprintf(w, "model       %s\n", p.Model.Commitment)
			fmt.Fprintf(w, "benchmark   %s/%s, %d samples, sha256 %s\n", p.Benchmark.Name, p.Benchmark.Split, p.Benchmark.Samples, p.Benchmark.Digest["sha256"])
			fmt.Fprintf(w, "shards      %s, every fingerprint recomputed from the benchmark, every proof checked\n", shardsWords(p.Shards.Count, p.Shards.Size, p.Benchmark.Samples-(p.Shards.Count-1)*p.Shards.Size))
			for _, c := range p.Claims {
				fmt.Fprintf(w, "claim       %s: %s\n", claimText(c), claimValue(c))
			}
			fmt.Fprintf(w, "setup       %s\n", p.Shards.Setup.Kind)
			if p.Totals != nil {
				fmt.Fprintf(w, "totals      setup %s\n", p.Totals.Setup.Kind)
			}
			fmt.Fprintf(w, "verified in %.1f ms\n", float64(vres.Elapsed.Microseconds())/1000)
			return nil
		},
	}
	c.Flags().StringVar(&benchPath, "benchmark", "", "the whole benchmark file (.bench) the shards were proven on")
	c.Flags().StringVar(&keysDir, "keys", "", "the shard keys directory: checked against the shards, and needed to prove the totals of hidden claims")
	c.Flags().StringVarP(&out, "output", "o", "", "attestation file to write")
	c.Flags().BoolVar(&force, "force", false, "replace the -o file if it exists")
	addJSONFlag(c)
	addQuietFlag(c)
	return c
}
