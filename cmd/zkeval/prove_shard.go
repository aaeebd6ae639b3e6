package main

import (
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/internal/atomicfile"
	"github.com/zkeval/zkeval/internal/jsonfile"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/prover"
)

// shardFlags are prove's shard flags.
type shardFlags struct {
	index    int
	shards   string
	parallel int
	resume   bool
}

func (f *shardFlags) add(c *cobra.Command) {
	c.Flags().IntVar(&f.index, "shard", -1, "prove only shard I (0-based) with shard keys (setup --shard-size); -o is then a directory, which receives shard-IIIII.json")
	c.Flags().StringVar(&f.shards, "shards", "", "prove several shards on this machine (see --parallel): \"all\" or a list such as 0,3,5-7")
	c.Flags().IntVar(&f.parallel, "parallel", 1, "with --shards: how many shards are proven at once; 1 proves them one after another in this process with the keys loaded once, P > 1 runs P shard commands (prove --shard I) at once, each loading the keys")
	c.Flags().BoolVar(&f.resume, "resume", false, "with --shards: skip the shards whose file in -o is already this run's (same model commitment, keys, benchmark and claims), as after an interrupted run; combine checks their proofs. Without it, --shards refuses an -o that already holds a file of a shard asked for")
}

func (f *shardFlags) set(cmd *cobra.Command) bool {
	return cmd.Flags().Changed("shard") || cmd.Flags().Changed("shards")
}

type shardProveArgs struct {
	modelPath, openingPath, commitPath, benchPath, keysDir, out string
}

// runShardProve proves one shard (--shard I) or runs one child process per
// shard (--shards).
func runShardProve(cmd *cobra.Command, sf *shardFlags, a shardProveArgs, cf *claimFlags) error {
	if _, err := os.Stat(a.keysDir); err != nil {
		return ioErr(fmt.Errorf("--keys %s: %w; pass the directory written by zkeval setup --shard-size N", a.keysDir, err))
	}
	switch {
	case !keys.IsShardKeys(a.keysDir):
		return usageErr("--shard and --shards need shard keys (setup --shard-size N); %s holds none (%s missing)", a.keysDir, keys.ShardMetaFile)
	case !sf.set(cmd):
		return usageErr("%s holds shard keys: pass --shard I to prove one shard, or --shards all [--parallel P] to prove them all here; then zkeval combine", a.keysDir)
	case cmd.Flags().Changed("shard") && cmd.Flags().Changed("shards"):
		return usageErr("--shard and --shards exclude each other")
	case cmd.Flags().Changed("parallel") && !cmd.Flags().Changed("shards"):
		return usageErr("--parallel goes with --shards")
	case cmd.Flags().Changed("target"):
		return usageErr("--target: shard proofs are checked by zkeval verify only: a sharded attestation has no Solidity verifier (gnark exports a contract for one proof; a sharded one needs a pairing check per shard, the totals proof, and the coverage and sums recomputed on chain)")
	case cmd.Flags().Changed("resume") && !cmd.Flags().Changed("shards"):
		return usageErr("--resume goes with --shards")
	case sf.parallel < 1:
		return usageErr("--parallel %d: want at least 1", sf.parallel)
	case cmd.Flags().Changed("shard") && sf.index < 0:
		return usageErr("--shard %d: shards are numbered from 0", sf.index)
	}
	if st, err := os.Stat(a.out); err == nil && !st.IsDir() {
		return usageErr("-o %s: with --shard or --shards, -o names a directory of shard proofs, and this is a file", a.out)
	} else if err != nil && strings.EqualFold(filepath.Ext(a.out), ".json") {
		return usageErr("-o %s: with --shard or --shards, -o names a directory, which receives shard-IIIII.json files; pass a directory such as shards/ (combine then writes the attestation)", a.out)
	}
	claims, err := cf.parse(false)
	if err != nil {
		return err
	}
	if cmd.Flags().Changed("shards") {
		return runShards(cmd, sf, a, claims)
	}
	in, err := readShardInputs(a)
	if err != nil {
		return err
	}
	child := os.Getenv(runnerChildEnv) == "1"
	f, err := proveOneShard(cmd, a, in, claims, sf.index, child, nil)
	if err != nil {
		return err
	}
	path, replaced, err := writeShardFile(a, sf.index, f, child)
	if err != nil {
		return err
	}
	if j, _ := cmd.Flags().GetBool("json"); j {
		return writeJSON(cmd.OutOrStdout(), map[string]any{"file": path, "replaced": replaced, "index": sf.index, "count": f.Count, "samples": f.Proof.Samples, "challenge": f.Proof.Challenge, "fingerprint": f.Proof.Fingerprint, "counts": f.Proof.Counts})
	}
	w := cmd.OutOrStdout()
	if replaced {
		fmt.Fprintf(w, "wrote       %s (replacing the file that was there)\n", path)
	} else {
		fmt.Fprintf(w, "wrote       %s\n", path)
	}
	fmt.Fprintf(w, "shard       %d of %d (%s), fingerprint %s at challenge %s\n", sf.index, f.Count, countOf(f.Proof.Samples, "sample", "samples"), f.Proof.Fingerprint, f.Proof.Challenge)
	fmt.Fprintf(w, "model       %s\n", f.Model.Commitment)
	for _, c := range f.Proof.Counts {
		fmt.Fprintf(w, "count       %s = %d\n", c.Name, c.Value)
	}
	if f.Secret != nil {
		fmt.Fprintf(w, "hidden      %d counts committed (%s); the file holds their opening: keep it private\n", len(f.Secret.HiddenCounts), f.Proof.CountsCommitment)
	}
	return nil
}

// shardInputs are what every shard's proof reads: the model, the
// benchmark, and the opening's salt and commitment.
type shardInputs struct {
	m    *model.Model
	b    *benchmark.Benchmark
	salt *big.Int
	cm   *big.Int
}

// readShardInputs reads --model, --benchmark and --opening, and checks
// the opening against --commitment when given.
func readShardInputs(a shardProveArgs) (*shardInputs, error) {
	m, err := model.ReadFile(a.modelPath)
	if err != nil {
		return nil, ioErr(err)
	}
	b, err := benchmark.ReadFile(a.benchPath)
	if err != nil {
		return nil, ioErr(err)
	}
	in := &shardInputs{m: m, b: b}
	return in, in.readOpening(a)
}

// readOpening reads --opening into in, and checks it against --commitment
// when given.
func (in *shardInputs) readOpening(a shardProveArgs) error {
	salt, cm, err := commitment.ReadOpening(a.openingPath)
	if err != nil {
		return ioErr(err)
	}
	if a.commitPath != "" {
		_, pub, err := commitment.ReadPublic(a.commitPath)
		if err != nil {
			return ioErr(err)
		}
		if pub.Cmp(cm) != 0 {
			return ioErr(fmt.Errorf("--opening %s opens commitment %s, but --commitment %s is %s", a.openingPath, commitment.FormatElement(cm), a.commitPath, commitment.FormatElement(pub)))
		}
	}
	in.salt, in.cm = salt, cm
	return nil
}

// proveOneShard proves shard i (with k, the keys loaded once, or nil to
// load them) and returns its file, not yet written.
func proveOneShard(cmd *cobra.Command, a shardProveArgs, in *shardInputs, claims []prover.Claimed, i int, claimsChecked bool, k *prover.ShardKeys) (*attestation.ShardFile, error) {
	req := prover.Request{Model: in.m, Salt: in.salt, Benchmark: in.b, Claims: claims, KeysDir: a.keysDir, Progress: reporter(cmd)}
	f, err := prover.ProveShard(&prover.ShardRequest{Request: req, Index: i, ClaimsChecked: claimsChecked, Keys: k}, in.cm)
	if err != nil {
		if errors.Is(err, prover.ErrClaimFalse) {
			return nil, err
		}
		if errors.Is(err, prover.ErrOpening) {
			return nil, ioErr(fmt.Errorf("--opening %s does not fit --model %s: %w", a.openingPath, a.modelPath, err))
		}
		return nil, ioErr(err)
	}
	return f, nil
}

// writeShardFile writes shard i's file into the -o directory and returns
// its path, and whether it replaced a file there. The file appears complete
// or not at all: a temporary file in the directory (whose name combine
// never takes), renamed into place. The directory is made only now, so that
// a refused or failed shard leaves none behind. With mustBeNew (the local
// runner, which found no file there before it started) a file that appeared
// since is left alone and the write fails with an error wrapping
// fs.ErrExist: another command writes into the same directory.
func writeShardFile(a shardProveArgs, i int, f *attestation.ShardFile, mustBeNew bool) (path string, replaced bool, err error) {
	data, err := jsonfile.Indent(f)
	if err != nil {
		return "", false, ioErr(err)
	}
	if err := os.MkdirAll(a.out, 0o755); err != nil {
		return "", false, ioErr(err)
	}
	path = filepath.Join(a.out, prover.ShardFileName(i))
	pend, err := atomicfile.Prepare(path, 0o600, func(w *os.File) error { _, err := w.Write(data); return err })
	if err != nil {
		return "", false, ioErr(err)
	}
	if mustBeNew {
		if err := pend.CommitNew(); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return "", false, ioErr(fmt.Errorf("%s appeared while this run proved shard %d (another command writes shard files into %s?); it was left alone and this run's proof of shard %d dropped: check which file is this run's, then prove that shard again with --resume: %w", path, i, a.out, i, err))
			}
			return "", false, ioErr(err)
		}
		return path, false, nil
	}
	_, statErr := os.Lstat(path)
	if err := pend.Commit(); err != nil {
		return "", false, ioErr(err)
	}
	return path, statErr == nil, nil
}

// runnerChildEnv is set to "1" in the environment of the local runner's
// shard commands: the runner has checked the claims over the whole
// benchmark once, so each shard command need not repeat it, and it found no
// file at the shard's path, so the command writes its file only if none
// has appeared since (writeShardFile's mustBeNew).
const runnerChildEnv = "ZKEVAL_RUNNER_CHILD"
