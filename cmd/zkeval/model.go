package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/quantize"
)

func newModelCmd() *cobra.Command {
	return groupCmd("model", "Import models", newModelImportCmd())
}

func newModelImportCmd() *cobra.Command {
	var out, benchPath string
	var scaleBits int
	var inputScale int64
	c := &cobra.Command{
		Use:   "import MODEL.onnx|MODEL.json -o MODEL.zkm [--benchmark FILE.bench]",
		Short: "Quantize an ONNX MLP to fixed point and report its accuracy",
		Long: `Reads a feed-forward MLP exported by torch.onnx.export (opsets 9 to 17: Gemm,
MatMul+Add, Relu, Flatten and constant shape ops), quantizes its weights to
fixed point at scale 2^f and writes a .zkm model file. The .zkm file holds
the weights: keep it private.

With --benchmark (a file from "zkeval benchmark import"), it reports float
accuracy, quantized accuracy and their agreement on every sample, and by
default picks the smallest f in [4, 16] whose quantized accuracy is within
0.05 percentage points of float (on benchmarks of fewer than 1,000 samples,
whose every prediction must then equal float's). Without it, f defaults to 8 and inputs to
scale 1/255 (8-bit pixels). Use the benchmark you will prove on: the model's
inputs must have the benchmark's feature count and scale.

Tree ensembles: an XGBoost model saved with Booster.save_model("model.json"),
or an ONNX-ML TreeEnsembleClassifier (as skl2onnx or onnxmltools write
them), needs --benchmark. Each threshold becomes the integer threshold that
gives the float model's branch for every feature value the benchmark's
scale can represent within its range (every comparison is checked against
float on the whole benchmark), and leaf values become integers at scale
2^f, f chosen as above (--scale-bits up to 24).`,
		Args: positional("MODEL.onnx"),
		RunE: func(cmd *cobra.Command, args []string) error {
			setupGnarkLog(cmd)
			if err := requireFlags(cmd, "output"); err != nil {
				return err
			}
			if scaleBits < 0 || scaleBits > 24 {
				return usageErr("--scale-bits %d: give 1 to 24, or 0 to choose automatically", scaleBits)
			}
			if inputScale < 0 {
				return usageErr("--input-scale %d: give a positive denominator (255 for 8-bit pixels), or 0 for the default", inputScale)
			}
			if err := checkOutputs([]string{args[0], benchPath}, "-o", out); err != nil {
				return err
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return ioErr(err)
			}
			if isTreeModel(args[0], data) {
				return importTrees(cmd, args[0], data, benchPath, out, scaleBits, inputScale)
			}
			fm, err := model.ParseONNX(data, args[0])
			if err != nil {
				return ioErr(err)
			}
			var b *benchmark.Benchmark
			if benchPath != "" {
				if b, err = benchmark.ReadFile(benchPath); err != nil {
					return ioErr(err)
				}
			}
			rep, err := quantize.Run(fm, b, quantize.Options{ScaleBits: scaleBits, InputScale: inputScale})
			if err != nil {
				if b != nil {
					return ioErr(fmt.Errorf("%s on benchmark %s: %w", args[0], benchPath, err))
				}
				return ioErr(fmt.Errorf("%s: %w", args[0], err))
			}
			rep.Model.Name = strings.TrimSuffix(filepath.Base(args[0]), filepath.Ext(args[0]))
			sum := sha256.Sum256(data)
			if err := model.WriteFile(out, rep.Model, &model.Source{File: args[0], SHA256: hex.EncodeToString(sum[:]), Opset: fm.Opset}); err != nil {
				return ioErr(err)
			}
			rep.Output = out
			if j, _ := cmd.Flags().GetBool("json"); j {
				return writeJSON(cmd.OutOrStdout(), rep)
			}
			rep.Print(cmd.OutOrStdout())
			if rep.Warning != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", rep.Warning)
			}
			return nil
		},
	}
	c.Flags().StringVarP(&out, "output", "o", "", "quantized model file to write (.zkm)")
	c.Flags().StringVar(&benchPath, "benchmark", "", "benchmark file (.bench) to measure float and quantized accuracy on and to pick the scale")
	c.Flags().IntVar(&scaleBits, "scale-bits", 0, "fixed-point scale f, 1 to 24: weights become round(w·2^f); 0 = automatic with --benchmark, else 8")
	c.Flags().Int64Var(&inputScale, "input-scale", 0, "fixed-point denominator of the input features; 0 = the benchmark's, else 255")
	addJSONFlag(c)
	return c
}
