package main

import (
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zkeval/zkeval/benchmark"
)

func newBenchmarkCmd() *cobra.Command {
	return groupCmd("benchmark", "Import and inspect benchmarks", newBenchmarkImportCmd(), newBenchmarkInfoCmd())
}

type benchInfo struct {
	File     string `json:"file,omitempty"`
	Name     string `json:"name"`
	Split    string `json:"split"`
	Samples  int    `json:"samples"`
	Features int    `json:"features"`
	Classes  int    `json:"classes"`
	Scale    int64  `json:"inputScale"`
	SHA256   string `json:"sha256"`
}

func describe(b *benchmark.Benchmark, file string) (*benchInfo, error) {
	d, err := b.Digest()
	if err != nil {
		return nil, err
	}
	return &benchInfo{File: file, Name: b.Name, Split: b.Split, Samples: b.Len(), Features: b.NumFeatures, Classes: len(b.ClassNames), Scale: b.InputScale, SHA256: hex.EncodeToString(d[:])}, nil
}

func printBench(cmd *cobra.Command, info *benchInfo) error {
	if j, _ := cmd.Flags().GetBool("json"); j {
		return writeJSON(cmd.OutOrStdout(), info)
	}
	w := cmd.OutOrStdout()
	if info.File != "" {
		fmt.Fprintf(w, "file       %s\n", info.File)
	}
	fmt.Fprintf(w, "benchmark  %s/%s\n", info.Name, info.Split)
	fmt.Fprintf(w, "samples    %d (%d features at scale 1/%d, %d classes)\n", info.Samples, info.Features, info.Scale, info.Classes)
	fmt.Fprintf(w, "sha256     %s\n", info.SHA256)
	return nil
}

func newBenchmarkImportCmd() *cobra.Command {
	var out, split, images, labels, name, labelCol string
	var limit, scaleBits int
	c := &cobra.Command{
		Use:   "import (mnist | csv FILE.csv) -o FILE.bench",
		Short: "Write a benchmark in zkeval's canonical encoding and print its SHA-256 digest",
		Long: `mnist: the official MNIST test set (10,000 images, embedded in zkeval), or
the IDX files given with --images and --labels (raw or gzip, e.g.
Fashion-MNIST).

csv: one sample per row: feature columns, then a label column (or
--label-column N); an optional header row is detected. Features are exact
decimals, stored as round(v·2^bits) with --feature-scale-bits.

The .bench file is the canonical encoding itself, so its SHA-256 is the
benchmark digest. --limit N keeps the first N samples: a different benchmark,
with its own digest.

Examples:
  zkeval benchmark import mnist -o mnist-test.bench
  zkeval benchmark import mnist --limit 1000 -o mnist-test-1000.bench
  zkeval benchmark import csv iris.csv --name iris -o iris.bench`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErr("missing the source: mnist or csv (usage: %s)", cmd.UseLine())
			}
			if len(args) > 2 {
				return usageErr("unexpected argument %q (usage: %s)", args[2], cmd.UseLine())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireFlags(cmd, "output"); err != nil {
				return err
			}
			if limit < 0 {
				return usageErr("--limit %d: give a positive sample count, or 0 for all samples", limit)
			}
			var inputs []string
			if len(args) == 2 {
				inputs = append(inputs, args[1])
			}
			if err := checkOutputs(append(inputs, images, labels), "-o", out); err != nil {
				return err
			}
			var b *benchmark.Benchmark
			var err error
			switch strings.ToLower(args[0]) {
			case "mnist":
				if len(args) != 1 {
					return usageErr("mnist takes no file argument; use --images and --labels for other IDX files")
				}
				switch {
				case images != "" || labels != "":
					if images == "" || labels == "" {
						return usageErr("--images and --labels go together")
					}
					b, err = benchmark.LoadMNISTFiles(images, labels, split)
				case split != "test":
					return usageErr("--split %s: only the MNIST test split is built in; for another split pass its IDX files with --images and --labels", split)
				default:
					b, err = benchmark.MNISTTest()
				}
			case "csv":
				if len(args) != 2 {
					return usageErr("csv needs the file: zkeval benchmark import csv FILE.csv -o FILE.bench")
				}
				f, ferr := os.Open(args[1])
				if ferr != nil {
					return ioErr(ferr)
				}
				defer f.Close()
				opt := benchmark.CSVOptions{Name: name, Split: split, FeatureScaleBits: scaleBits}
				if opt.Name == "" {
					opt.Name = strings.TrimSuffix(baseName(args[1]), ".csv")
				}
				if labelCol != "" {
					if _, serr := fmt.Sscan(labelCol, &opt.LabelColumn); serr != nil || opt.LabelColumn < 1 {
						return usageErr("--label-column %q: give a 1-based column number", labelCol)
					}
				}
				b, err = benchmark.LoadCSV(f, args[1], opt)
			default:
				return usageErr("unknown source %q: use mnist or csv", args[0])
			}
			if err != nil {
				return ioErr(err)
			}
			if limit > 0 {
				if limit > b.Len() {
					return usageErr("--limit %d: the benchmark has only %d samples", limit, b.Len())
				}
				if b, err = b.Prefix(limit); err != nil {
					return usageErr("--limit %d: %v", limit, err)
				}
			}
			if err := benchmark.WriteFile(out, b); err != nil {
				return ioErr(err)
			}
			info, err := describe(b, out)
			if err != nil {
				return ioErr(err)
			}
			return printBench(cmd, info)
		},
	}
	c.Flags().StringVarP(&out, "output", "o", "", "benchmark file to write (.bench)")
	c.Flags().StringVar(&split, "split", "test", "split name")
	c.Flags().IntVar(&limit, "limit", 0, "keep only the first N samples, a different benchmark with its own digest; 0 = all")
	c.Flags().StringVar(&images, "images", "", "mnist: IDX image file (raw or gzip)")
	c.Flags().StringVar(&labels, "labels", "", "mnist: IDX label file (raw or gzip)")
	c.Flags().StringVar(&name, "name", "", "csv: benchmark name (default: the file name)")
	c.Flags().IntVar(&scaleBits, "feature-scale-bits", 0, "csv: features are stored as round(v·2^bits); 0 = 12")
	c.Flags().StringVar(&labelCol, "label-column", "", "csv: 1-based label column (default: the last)")
	addJSONFlag(c)
	return c
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

func newBenchmarkInfoCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "info FILE.bench",
		Short: "Print a benchmark's name, size and SHA-256 digest",
		Args:  positional("FILE.bench"),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := benchmark.ReadFile(args[0])
			if err != nil {
				return ioErr(err)
			}
			info, err := describe(b, args[0])
			if err != nil {
				return ioErr(err)
			}
			return printBench(cmd, info)
		},
	}
	addJSONFlag(c)
	return c
}
