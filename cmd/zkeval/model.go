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
	c := &cobra.Command{Use: "model", Short: "Import and inspect models"}
	c.AddCommand(newModelImportCmd())
	return c
}

func newModelImportCmd() *cobra.Command {
	var out, benchPath string
	var scaleBits int
	var inputScale int64
	c := &cobra.Command{
		Use:   "import MODEL.onnx -o MODEL.zkm",
		Short: "Quantize an ONNX MLP to fixed point and report its accuracy",
		Long: `Reads a feed-forward MLP exported by torch.onnx.export (opsets 9 to 17: Gemm,
MatMul+Add, Relu, Flatten and constant shape ops), quantizes its weights to
fixed point at scale 2^f and writes a .zkm model file (secret: it holds the
weights).

With --benchmark, it reports float accuracy, quantized accuracy and their
agreement on every sample, and by default picks the smallest f in [4, 16]
whose quantized accuracy is within 0.05 percentage points of float.
Without it, f defaults to 8 and inputs to scale 1/255 (8-bit pixels).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			setupGnarkLog(cmd)
			if out == "" {
				return usageErr("missing -o MODEL.zkm")
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return ioErr(err)
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
				return ioErr(err)
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
	c.Flags().StringVar(&benchPath, "benchmark", "", "benchmark file (.bench) to report float and quantized accuracy on, and to pick the scale")
	c.Flags().IntVar(&scaleBits, "scale-bits", 0, "fixed-point scale f (weights become round(w·2^f)); 0 = automatic")
	c.Flags().Int64Var(&inputScale, "input-scale", 0, "fixed-point denominator of the input features; 0 = the benchmark's, else 255")
	addJSONFlag(c)
	return c
}
