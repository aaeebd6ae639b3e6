package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/model/onnx"
	"github.com/zkeval/zkeval/quantize"
)

func newModelCmd() *cobra.Command {
	return groupCmd("model", "Import and check models", newModelImportCmd(), newModelCheckCmd(), newModelOpsCmd())
}

// importHelp describes what model import and model check read.
var importHelp = fmt.Sprintf(`Reads a feed-forward classifier exported to ONNX: torch.onnx.export at opsets
%d to %d (Gemm or MatMul layers with one activation after each hidden layer:
Relu, LeakyRelu, Tanh, Sigmoid, GELU, HardSigmoid or HardSwish; convolutional
networks with Conv, Relu, MaxPool, AveragePool and GlobalAveragePool before
the dense layers), or scikit-learn's
linear classifiers (ai.onnx.ml.LinearClassifier, e.g. LogisticRegression or
LinearSVC, with their Normalizer/ZipMap tail and a StandardScaler as Scaler).
In float64, before quantization, it folds BatchNormalization (inference) and
Add/Sub/Mul/Div by constants (input normalisation written in forward) into
the adjacent dense layer; it drops Identity, Dropout and a final Softmax,
LogSoftmax or Sigmoid, which do not change the prediction. A model with one
output z (a raw logit, or a final Sigmoid) is a binary classifier: class 1
exactly when z > 0, class 0 otherwise (z = 0 included). Every fold and drop is
listed. A model with unsupported nodes fails with all of them named.
"zkeval model ops" lists the supported operators.`, onnx.MinOpset, onnx.MaxOpset)

// modelFlags are the flags model import and model check share.
type modelFlags struct {
	benchPath  string
	scaleBits  int
	inputScale int64
}

func (f *modelFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&f.benchPath, "benchmark", "", "benchmark file (.bench) to measure float and quantized accuracy on and to pick the scale")
	c.Flags().IntVar(&f.scaleBits, "scale-bits", 0, "fixed-point scale f, 1 to 24: weights become round(w·2^f); 0 = automatic with --benchmark, else 8")
	c.Flags().Int64Var(&f.inputScale, "input-scale", 0, "fixed-point denominator of the input features; 0 = the benchmark's, else 255")
	addJSONFlag(c)
}

func (f *modelFlags) check() error {
	if f.scaleBits < 0 || f.scaleBits > 24 {
		return usageErr("--scale-bits %d: give 1 to 24, or 0 to choose automatically", f.scaleBits)
	}
	if f.inputScale < 0 {
		return usageErr("--input-scale %d: give a positive denominator (255 for 8-bit pixels), or 0 for the default", f.inputScale)
	}
	return nil
}

// loaded is an imported ONNX model, quantized.
type loaded struct {
	data []byte
	fm   *model.FloatModel
	rep  *quantize.Report
}

// importAndQuantize reads the ONNX file and, when f says so, the benchmark,
// and quantizes the model. Its errors are classified.
func (f *modelFlags) importAndQuantize(path string) (*loaded, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, ioErr(err)
	}
	fm, err := onnx.Parse(data, path)
	if err != nil {
		return nil, ioErr(err)
	}
	var b *benchmark.Benchmark
	if f.benchPath != "" {
		if b, err = benchmark.ReadFile(f.benchPath); err != nil {
			return nil, ioErr(err)
		}
	}
	rep, err := quantize.Run(fm, b, quantize.Options{ScaleBits: f.scaleBits, InputScale: f.inputScale})
	if err != nil {
		if b != nil {
			return nil, ioErr(fmt.Errorf("%s on benchmark %s: %w", path, f.benchPath, err))
		}
		return nil, ioErr(fmt.Errorf("%s: %w", path, err))
	}
	rep.Import = fm.Steps
	rep.Model.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	return &loaded{data: data, fm: fm, rep: rep}, nil
}

func newModelImportCmd() *cobra.Command {
	var out string
	var f modelFlags
	c := &cobra.Command{
		Use:   "import MODEL.onnx|MODEL.json -o MODEL.zkm [--benchmark FILE.bench]",
		Short: "Quantize an ONNX classifier to fixed point and report its accuracy",
		Long: importHelp + `

It quantizes the weights to fixed point at scale 2^f and writes a .zkm model
file. The .zkm file holds the weights: keep it private.

With --benchmark (a file from "zkeval benchmark import"), it reports float
accuracy, quantized accuracy and their agreement on every sample, and by
default picks the smallest f in [4, 16] whose quantized accuracy is within
0.05 percentage points of float (on benchmarks of fewer than 1,000 samples,
whose every prediction must then equal float's). Output k of the model is
scored as the benchmark's class k: the report prints the classes in that
order, a model with another number of outputs is refused, and a float
accuracy below what always predicting the most frequent class scores gets a
loud warning (the usual sign of a class or feature order mismatch). Without
--benchmark, f defaults to 8 and inputs to scale 1/255 (8-bit pixels). Use
the benchmark you will prove on: the model's inputs must have the
benchmark's feature count and scale.

"zkeval model check" does the same without writing anything.

Tree ensembles: an XGBoost model saved with Booster.save_model("model.json"),
or an ONNX-ML TreeEnsembleClassifier (as skl2onnx or onnxmltools write
them), needs --benchmark. Each threshold becomes the integer threshold that
gives the float model's branch for every feature value the benchmark's
scale can represent within its range (every comparison is checked against
float on the whole benchmark), and leaf values become integers at scale
2^f, f chosen as above (--scale-bits up to 24).`,
		Args: positional("MODEL.onnx|MODEL.json"),
		RunE: func(cmd *cobra.Command, args []string) error {
			setupGnarkLog(cmd)
			if err := requireFlags(cmd, "output"); err != nil {
				return err
			}
			if err := f.check(); err != nil {
				return err
			}
			if err := checkOutputs([]string{args[0], f.benchPath}, "-o", out); err != nil {
				return err
			}
			if data, err := os.ReadFile(args[0]); err == nil {
				if err := refuseZKM(args[0], data, "model import reads an ONNX export or an XGBoost JSON model"); err != nil {
					return err
				}
				if isTreeModel(args[0], data) {
					return importTrees(cmd, args[0], data, f.benchPath, out, f.scaleBits, f.inputScale)
				}
			}
			l, err := f.importAndQuantize(args[0])
			if err != nil {
				return err
			}
			sum := sha256.Sum256(l.data)
			if err := model.WriteFile(out, l.rep.Model, &model.Source{File: args[0], SHA256: hex.EncodeToString(sum[:]), Opset: l.fm.Opset}); err != nil {
				return ioErr(err)
			}
			l.rep.Output = out
			if j, _ := cmd.Flags().GetBool("json"); j {
				return writeJSON(cmd.OutOrStdout(), l.rep)
			}
			w := cmd.OutOrStdout()
			printSteps(w, l.fm)
			l.rep.Print(w)
			warnReport(cmd, l.rep)
			return nil
		},
	}
	c.Flags().StringVarP(&out, "output", "o", "", "quantized model file to write (.zkm)")
	f.add(c)
	return c
}

// warnReport repeats the report's warnings on stderr.
func warnReport(cmd *cobra.Command, rep *quantize.Report) {
	if rep.Warning != "" {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", rep.Warning)
	}
	if rep.LabelWarning != "" {
		fmt.Fprintf(cmd.ErrOrStderr(), "WARNING: %s\n", rep.LabelWarning)
	}
}

// printSteps writes what the importer folded or dropped, and the model's own
// class labels.
func printSteps(w io.Writer, fm *model.FloatModel) {
	for _, s := range fm.Steps {
		what := strings.Join(s.Nodes, ", ")
		switch s.Action {
		case model.ActionFolded:
			what += " into layer " + fmt.Sprintf("%q", s.Into)
		case model.ActionBinaryHead:
			what = fmt.Sprintf("layer %q", s.Into)
		}
		fmt.Fprintf(w, "%-12s %s: %s\n", s.Action, printable(what), printable(s.Detail))
	}
	if fm.ClassLabels != nil {
		fmt.Fprintf(w, "labels       the file names its classes %s\n", printable(quantize.ClassList(fm.ClassLabels)))
	}
}

// checkJSON is model check's --json result.
type checkJSON struct {
	File        string             `json:"file"`
	SHA256      string             `json:"sha256"`
	Graph       string             `json:"graph"`
	Opset       int64              `json:"opset"`
	InputSize   int                `json:"inputSize"`
	Layers      []checkLayer       `json:"layers"`
	ClassLabels []string           `json:"classLabels,omitempty"`
	Import      []model.ImportStep `json:"import"`
	Quantized   *quantize.Report   `json:"quantization,omitempty"`
}

type checkLayer struct {
	Name string `json:"name"`
	In   int    `json:"in"`
	Out  int    `json:"out"`
	ReLU bool   `json:"relu"`
	// Activation: the activation other than ReLU (package model/activation).
	Activation string `json:"activation,omitempty"`
	// Table: without --benchmark, for a table activation, that its size
	// is checked at setup.
	Table string `json:"table,omitempty"`
}

func newModelCheckCmd() *cobra.Command {
	var f modelFlags
	c := &cobra.Command{
		Use:   "check MODEL.onnx [--benchmark FILE.bench]",
		Short: "Dry run of model import: what would be imported, folded and dropped",
		Long: importHelp + `

model check reads the model as "zkeval model import" would and prints its
dense layers and every node folded or dropped, without writing anything.
With --benchmark it also quantizes the model and prints the report that
import would (float and quantized accuracy, the scale, the classes). It
exits with status 0 when import would succeed, 3 (with the error import
would give) when not.`,
		Args: positional("MODEL.onnx"),
		RunE: func(cmd *cobra.Command, args []string) error {
			setupGnarkLog(cmd)
			if err := f.check(); err != nil {
				return err
			}
			if data, err := os.ReadFile(args[0]); err == nil {
				if err := refuseZKM(args[0], data, "model check reads an ONNX export"); err != nil {
					return err
				}
				if isTreeModel(args[0], data) {
					return usageErr("%s is a tree ensemble: model check reads ONNX networks; run zkeval model import %s --benchmark FILE.bench -o MODEL.zkm, which checks every threshold against float on the benchmark", args[0], args[0])
				}
			}
			l, err := f.importAndQuantize(args[0])
			if err != nil {
				return err
			}
			sum := sha256.Sum256(l.data)
			res := checkJSON{File: args[0], SHA256: hex.EncodeToString(sum[:]), Graph: l.fm.Name, Opset: l.fm.Opset, InputSize: l.fm.InputSize,
				ClassLabels: l.fm.ClassLabels, Import: l.fm.Steps}
			if res.Import == nil {
				res.Import = []model.ImportStep{}
			}
			for _, lay := range l.rep.Model.Layers {
				cl := checkLayer{Name: lay.Name, In: lay.In(), Out: lay.Out(), ReLU: lay.ReLU}
				if lay.Act != nil {
					cl.Activation = lay.Act.Kind
				}
				if lay.Act.IsTable() && f.benchPath == "" {
					cl.Table = fmt.Sprintf("the %s lookup table is sized from the benchmark's accumulators (at most 2^%d entries), checked at setup: give --benchmark to check it now", lay.Act.Kind, desc.MaxActTableBits)
				}
				res.Layers = append(res.Layers, cl)
			}
			if f.benchPath != "" {
				res.Quantized = l.rep
			}
			if j, _ := cmd.Flags().GetBool("json"); j {
				return writeJSON(cmd.OutOrStdout(), res)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "file         %s (sha256 %s)\n", printable(res.File), res.SHA256)
			fmt.Fprintf(w, "graph        %q, opset %d, %d input features\n", printable(res.Graph), res.Opset, res.InputSize)
			for k, lay := range res.Layers {
				act := ""
				if lay.ReLU {
					act = ", relu"
				}
				if lay.Activation != "" {
					act = ", " + lay.Activation
				}
				fmt.Fprintf(w, "layer %-6d %s: %d -> %d%s\n", k, printable(lay.Name), lay.In, lay.Out, act)
			}
			printSteps(w, l.fm)
			if f.benchPath != "" {
				l.rep.Print(w)
				warnReport(cmd, l.rep)
			} else {
				for k, lay := range res.Layers {
					if lay.Table != "" {
						fmt.Fprintf(w, "table        layer %d: %s\n", k, lay.Table)
					}
				}
			}
			fmt.Fprintf(w, "result       importable (dry run: nothing written)\n")
			return nil
		},
	}
	f.add(c)
	return c
}

func newModelOpsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "ops",
		Short: "List the ONNX operators model import supports",
		Long: `Lists every ONNX operator that "zkeval model import" reads and what it does
with each, and the opsets it reads. A model with any other operator is
refused, with every such node named.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ops := onnx.Ops()
			if j, _ := cmd.Flags().GetBool("json"); j {
				return writeJSON(cmd.OutOrStdout(), map[string]any{
					"opsets": map[string][2]int{onnx.DomainDefault: {onnx.MinOpset, onnx.MaxOpset}, onnx.DomainML: {1, onnx.MaxMLOpset}},
					"ops":    ops,
				})
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "opsets: %s %d to %d, %s 1 to %d\n\n", onnx.DomainDefault, onnx.MinOpset, onnx.MaxOpset, onnx.DomainML, onnx.MaxMLOpset)
			name := func(o onnx.Op) string {
				if o.Domain == onnx.DomainDefault {
					return o.Name
				}
				return o.Domain + "." + o.Name
			}
			width := 0
			for _, o := range ops {
				width = max(width, len(name(o)))
			}
			for _, o := range ops {
				fmt.Fprintf(w, "%-*s  %s\n", width, name(o), o.Use)
			}
			return nil
		},
	}
	addJSONFlag(c)
	return c
}
