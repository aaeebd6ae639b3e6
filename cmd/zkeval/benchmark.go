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
	// ClassNames are the classes in class id order.
	ClassNames  []string     `json:"classNames"`
	Scale       int64        `json:"inputScale"`
	SHA256      string       `json:"sha256"`
	ClassCounts []namedCount `json:"classCounts"`
	// Tabular benchmarks only.
	GroupAttribute string       `json:"groupAttribute,omitempty"`
	Groups         []namedCount `json:"groups,omitempty"`
	Encoding       *specInfo    `json:"encoding,omitempty"`
}

type namedCount struct {
	Name    string `json:"name"`
	Samples int    `json:"samples"`
}

type specInfo struct {
	LabelColumn string   `json:"labelColumn"`
	GroupColumn string   `json:"groupColumn,omitempty"`
	GroupRule   string   `json:"groupRule,omitempty"`
	ScaleBits   int      `json:"scaleBits"`
	Columns     int      `json:"columns"`
	Features    []string `json:"features"`
}

func describe(b *benchmark.Benchmark, file string) (*benchInfo, error) {
	d, err := b.Digest()
	if err != nil {
		return nil, err
	}
	info := &benchInfo{File: file, Name: b.Name, Split: b.Split, Samples: b.Len(), Features: b.NumFeatures, Classes: len(b.ClassNames),
		ClassNames: b.ClassNames, Scale: b.InputScale, SHA256: hex.EncodeToString(d[:])}
	info.ClassCounts = counts(b.ClassNames, b.Labels)
	if b.HasGroups() {
		info.GroupAttribute = b.GroupAttribute
		info.Groups = counts(b.GroupNames, b.Groups)
	}
	if s := b.Spec; s != nil {
		info.Encoding = &specInfo{LabelColumn: s.LabelColumn, GroupColumn: s.GroupColumn, ScaleBits: s.ScaleBits, Columns: len(s.Columns), Features: s.FeatureNames()}
		if s.GroupRule != 0 {
			info.Encoding.GroupRule = s.GroupRule.String()
		}
	}
	return info, nil
}

func counts(names []string, ids []int) []namedCount {
	out := make([]namedCount, len(names))
	for i, n := range names {
		out[i].Name = n
	}
	for _, id := range ids {
		out[id].Samples++
	}
	return out
}

func joinCounts(cs []namedCount) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%s %d", printable(c.Name), c.Samples)
	}
	return strings.Join(parts, ", ")
}

// joinClasses writes the classes in id order with their sample counts:
// "0=good 213, 1=bad 87".
func joinClasses(cs []namedCount) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%d=%s %d", i, printable(c.Name), c.Samples)
	}
	return strings.Join(parts, ", ")
}

func printBench(cmd *cobra.Command, info *benchInfo) error {
	if j, _ := cmd.Flags().GetBool("json"); j {
		return writeJSON(cmd.OutOrStdout(), info)
	}
	w := cmd.OutOrStdout()
	if info.File != "" {
		fmt.Fprintf(w, "file       %s\n", printable(info.File))
	}
	fmt.Fprintf(w, "benchmark  %s/%s\n", printable(info.Name), printable(info.Split))
	fmt.Fprintf(w, "samples    %d (%d features at scale 1/%d, %d classes)\n", info.Samples, info.Features, info.Scale, info.Classes)
	fmt.Fprintf(w, "classes    %s\n", joinClasses(info.ClassCounts))
	if info.GroupAttribute != "" {
		fmt.Fprintf(w, "groups     %s: %s\n", printable(info.GroupAttribute), joinCounts(info.Groups))
	}
	if e := info.Encoding; e != nil {
		group := ""
		if e.GroupColumn != "" {
			group = fmt.Sprintf(", groups from %q by %s", e.GroupColumn, e.GroupRule)
		}
		fmt.Fprintf(w, "encoding   label %q%s; %d columns as %d features with %d fractional bits\n", e.LabelColumn, group, e.Columns, info.Features, e.ScaleBits)
	}
	fmt.Fprintf(w, "sha256     %s\n", info.SHA256)
	return nil
}

func newBenchmarkImportCmd() *cobra.Command {
	var out, split, images, labels, name, labelCol, schemaPath, classes string
	var limit, scaleBits int
	c := &cobra.Command{
		Use:   "import (mnist | csv FILE.csv | arff FILE.arff) -o FILE.bench",
		Short: "Write a benchmark in zkeval's canonical encoding and print its SHA-256 digest",
		Long: `mnist: the official MNIST test set (10,000 images, embedded in zkeval), or
the IDX files given with --images and --labels (raw or gzip, e.g.
Fashion-MNIST).

csv: one sample per row: feature columns, then a label column (or
--label-column N); an optional header row is detected. Features are exact
decimals, stored as round(v·2^bits) with --feature-scale-bits. Class ids
follow the labels sorted (numerically when all are integers, else byte-wise)
unless --classes NAME,NAME,... gives the order: the model's output k is
scored as class k, so give the order the model was trained with. The
classes are printed with their ids.

csv or arff with --schema S.json: a tabular file (CSV, or ARFF, Weka's
format) read as the schema declares: the label column and its classes, an
optional group attribute (e.g. sex from personal_status) whose group ids
enter the benchmark, the feature columns (numeric, or one-hot in declared
order), the fixed-point scale and the test/train split; --split picks test
(the default) or train. The schema's encoding is part of the benchmark and
of its digest. ARFF always needs a schema.

The .bench file is the canonical encoding itself, so its SHA-256 is the
benchmark digest. --limit N keeps the first N samples: a different benchmark,
with its own digest.

Examples:
  zkeval benchmark import mnist -o mnist-test.bench
  zkeval benchmark import mnist --limit 1000 -o mnist-test-1000.bench
  zkeval benchmark import mnist --images t10k-images-idx3-ubyte.gz --labels t10k-labels-idx1-ubyte.gz \
    --name fashion-mnist --classes 'T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot' -o fashion-test.bench
  zkeval benchmark import csv iris.csv --name iris -o iris.bench
  zkeval benchmark import csv credit.csv --classes good,bad -o credit.bench
  zkeval benchmark import arff credit-g.arff --schema credit-g.schema.json -o credit-g-test.bench
  zkeval benchmark import csv breast_cancer.csv --schema breast_cancer.schema.json --split train -o bc-train.bench`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErr("missing the source: mnist or csv FILE.csv or arff FILE.arff (usage: %s)", cmd.UseLine())
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
			if err := checkOutputs(append(inputs, images, labels, schemaPath), "-o", out); err != nil {
				return err
			}
			source := strings.ToLower(args[0])
			var b *benchmark.Benchmark
			var err error
			switch {
			case source == "arff" || (source == "csv" && schemaPath != ""):
				if b, err = importTabular(cmd, source, args, schemaPath, name, split, labelCol); err != nil {
					return err
				}
			case schemaPath != "":
				return usageErr("--schema applies to csv and arff only")
			case classes != "" && source != "csv" && (source != "mnist" || images == ""):
				return usageErr("--classes applies to csv and to mnist with --images and --labels: the built-in MNIST's classes are 0 to 9 and a schema lists its own")
			case name != "" && source == "mnist" && images == "":
				return usageErr("--name applies to mnist with --images and --labels: the built-in test set is named mnist")
			case source == "mnist":
				if len(args) != 1 {
					return usageErr("mnist takes no file argument; use --images and --labels for other IDX files")
				}
				switch {
				case images != "" || labels != "":
					if images == "" || labels == "" {
						return usageErr("--images and --labels go together")
					}
					if b, err = benchmark.LoadMNISTFiles(images, labels, split); err != nil {
						return ioErr(err)
					}
					if b.Len() == 60000 && !cmd.Flags().Changed("split") {
						// MNIST's and Fashion-MNIST's training sets have 60,000
						// images: do not name one "test" by default.
						return usageErr("--images %s holds 60000 images, as the MNIST and Fashion-MNIST training sets do, and the split would be named \"test\" by default: pass --split train (or --split test if it is a test set)", images)
					}
					if name != "" {
						b.Name = name
					}
					if classes != "" {
						cl, err := parseClasses(classes)
						if err != nil {
							return err
						}
						if len(cl) != len(b.ClassNames) {
							return usageErr("--classes %q: %d names; %s has labels 0 to %d, so give %d names in label order", classes, len(cl), labels, len(b.ClassNames)-1, len(b.ClassNames))
						}
						b.ClassNames = cl
					}
					if err = b.Validate(); err != nil {
						return ioErr(fmt.Errorf("--name or --classes: %w", err))
					}
				case split != "test":
					return usageErr("--split %s: only the MNIST test split is built in; for another split pass its IDX files with --images and --labels", split)
				default:
					b, err = benchmark.MNISTTest()
				}
			case source == "csv":
				if len(args) != 2 {
					return usageErr("csv needs the file: zkeval benchmark import csv FILE.csv -o FILE.bench")
				}
				f, ferr := os.Open(args[1])
				if ferr != nil {
					return ioErr(ferr)
				}
				defer f.Close()
				opt := benchmark.CSVOptions{Name: name, Split: split, FeatureScaleBits: scaleBits}
				if classes != "" {
					if opt.ClassNames, err = parseClasses(classes); err != nil {
						return err
					}
				}
				if opt.Name == "" {
					opt.Name = strings.TrimSuffix(baseName(args[1]), ".csv")
				}
				if labelCol != "" {
					if _, serr := fmt.Sscan(labelCol, &opt.LabelColumn); serr != nil || opt.LabelColumn < 1 {
						return usageErr("--label-column %q: give a 1-based column number", labelCol)
					}
				}
				b, err = benchmark.LoadCSV(f, args[1], opt)
				if err == nil && classes == "" && !quiet(cmd) {
					fmt.Fprintf(cmd.ErrOrStderr(), "note: class ids follow the sorted labels: %s; if the model was trained with another order, import again with --classes NAME,NAME,...\n", joinNames(b.ClassNames))
				}
			default:
				return usageErr("unknown source %q: use mnist or csv FILE.csv or arff FILE.arff", args[0])
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
	c.Flags().StringVar(&split, "split", "test", "split name; with a schema that splits the rows, test or train; mnist --images of 60000 images (a training set's size) needs it given")
	c.Flags().IntVar(&limit, "limit", 0, "keep only the first N samples, a different benchmark with its own digest; 0 = all")
	c.Flags().StringVar(&images, "images", "", "mnist: IDX image file (raw or gzip)")
	c.Flags().StringVar(&labels, "labels", "", "mnist: IDX label file (raw or gzip)")
	c.Flags().StringVar(&name, "name", "", "csv, arff, mnist with --images: benchmark name (default: the schema's name, else the file name; for IDX files mnist, so name another data set such as Fashion-MNIST here)")
	c.Flags().IntVar(&scaleBits, "feature-scale-bits", 0, "csv: features are stored as round(v·2^bits); 0 = 12")
	c.Flags().StringVar(&labelCol, "label-column", "", "csv: 1-based label column (default: the last)")
	c.Flags().StringVar(&classes, "classes", "", "csv: the class names in class id order, comma-separated (default: the labels sorted); every label must be one of them. mnist with --images: the names of labels 0 to 9 (default: 0 to 9)")
	c.Flags().StringVar(&schemaPath, "schema", "", "csv, arff: JSON schema naming the label, group and feature columns, their encoding and the split")
	addJSONFlag(c)
	return c
}

// importTabular reads an ARFF or CSV file with a schema. Its errors are
// already classified (usage or I/O).
func importTabular(cmd *cobra.Command, source string, args []string, schemaPath, name, split, labelCol string) (*benchmark.Benchmark, error) {
	if schemaPath == "" {
		return nil, usageErr("arff needs --schema S.json, which names the label, group and feature attributes (see testdata/tabular/credit-g.schema.json)")
	}
	if len(args) != 2 {
		return nil, usageErr("%s needs the file: zkeval benchmark import %s FILE.%s --schema S.json -o FILE.bench", source, source, source)
	}
	if labelCol != "" || cmd.Flags().Changed("feature-scale-bits") {
		return nil, usageErr("--label-column and --feature-scale-bits do not apply with --schema: the schema gives the label column and featureScaleBits")
	}
	if cmd.Flags().Changed("classes") {
		return nil, usageErr("--classes does not apply with --schema: the schema lists the classes in class id order (label.classes)")
	}
	schema, err := benchmark.ReadSchema(schemaPath)
	if err != nil {
		return nil, ioErr(err)
	}
	if name != "" {
		schema.Name = name
	}
	if schema.Name == "" {
		schema.Name = strings.TrimSuffix(baseName(args[1]), "."+source)
	}
	f, err := os.Open(args[1])
	if err != nil {
		return nil, ioErr(err)
	}
	defer f.Close()
	var b *benchmark.Benchmark
	if source == "arff" {
		b, err = benchmark.LoadARFF(f, args[1], schema, split)
	} else {
		b, err = benchmark.LoadCSVSchema(f, args[1], schema, split)
	}
	if err != nil {
		return nil, ioErr(err)
	}
	return b, nil
}

// parseClasses reads --classes: names separated by commas, spaces around
// them ignored.
func parseClasses(list string) ([]string, error) {
	var names []string
	seen := map[string]bool{}
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			return nil, usageErr("--classes %q: a class name is empty; give NAME,NAME,... in class id order", list)
		}
		if seen[n] {
			return nil, usageErr("--classes %q: %q appears twice", list, n)
		}
		seen[n] = true
		names = append(names, n)
	}
	return names, nil
}

// joinNames writes "0=good, 1=bad".
func joinNames(names []string) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%d=%s", i, printable(n))
	}
	return strings.Join(parts, ", ")
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
