package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/model/tree"
	"github.com/zkeval/zkeval/model/tree/treeonnx"
)

// isTreeModel reports whether the file to import is a tree ensemble: an
// XGBoost JSON model (a .json file, or any file whose content is a JSON
// object) or an ONNX-ML tree ensemble.
func isTreeModel(path string, data []byte) bool {
	return isJSON(path, data) || treeonnx.IsONNXML(data)
}

// isJSON reports whether the file is JSON, by its extension or by its
// first non-blank byte (an ONNX file is binary protobuf and never starts
// with '{' after blanks).
func isJSON(path string, data []byte) bool {
	if strings.EqualFold(filepath.Ext(path), ".json") {
		return true
	}
	t := bytes.TrimLeft(data, " \t\r\n")
	return len(t) > 0 && t[0] == '{'
}

// refuseZKM returns a usage error when the file given to a command that
// reads exported models (what it reads: reads) is a zkeval model file
// (.zkm, JSON whose format is zkeval-model/...), else nil.
func refuseZKM(path string, data []byte, reads string) error {
	var head struct {
		Format string `json:"format"`
	}
	if isJSON(path, data) && json.Unmarshal(data, &head) == nil && strings.HasPrefix(head.Format, "zkeval-model/") {
		return usageErr("%s is already a quantized zkeval model (.zkm); %s: give the file the model was exported to", path, reads)
	}
	return nil
}

// importTrees is `model import` for a tree ensemble: its thresholds are made
// exact for the benchmark's features, so the benchmark is required.
func importTrees(cmd *cobra.Command, path string, data []byte, benchPath, out string, scaleBits int, inputScale int64) error {
	if benchPath == "" {
		return usageErr("%s is a tree ensemble: give --benchmark, whose feature scale and range its thresholds are made exact for", path)
	}
	if scaleBits > 24 {
		return usageErr("--scale-bits %d: leaf values take 1 to 24", scaleBits)
	}
	b, err := benchmark.ReadFile(benchPath)
	if err != nil {
		return ioErr(err)
	}
	if inputScale != 0 && inputScale != b.InputScale {
		return usageErr("--input-scale %d differs from the benchmark's feature scale 1/%d", inputScale, b.InputScale)
	}
	var fe *tree.FloatEnsemble
	if isJSON(path, data) {
		fe, err = tree.ParseXGBoost(data, path, b.NumFeatures)
	} else {
		fe, err = treeonnx.ParseONNXML(data, path, b.NumFeatures, b.ClassNames)
	}
	if err != nil {
		return ioErr(err)
	}
	if fe.Classes != len(b.ClassNames) {
		return ioErr(fmt.Errorf("%s has %d classes but benchmark %s has %d", path, fe.Classes, benchPath, len(b.ClassNames)))
	}
	lo, hi := b.FeatureRange()
	rep, err := tree.Choose(fe, b.X, b.Labels, b.InputScale, desc.SignedBits(lo, hi), scaleBits)
	if err != nil {
		return ioErr(fmt.Errorf("%s on benchmark %s: %w", path, benchPath, err))
	}
	rep.Benchmark = b.String()
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	m := &model.Model{Name: name, InputSize: b.NumFeatures, InputScale: b.InputScale, ScaleBits: rep.ScaleBits, Trees: rep.Model}
	if err := m.Validate(); err != nil {
		return ioErr(fmt.Errorf("%s: %w", path, err))
	}
	if err := circuits.CheckCompatible(m, b); err != nil {
		return ioErr(err)
	}
	sum := sha256.Sum256(data)
	if err := model.WriteFile(out, m, &model.Source{File: path, SHA256: hex.EncodeToString(sum[:])}); err != nil {
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
}

// printTreeBounds prints what the circuit enforces for a tree ensemble.
func printTreeBounds(w io.Writer, pub desc.Public) error {
	tb, err := pub.TreeBounds()
	if err != nil {
		return err
	}
	t := pub.Shape.Trees
	fmt.Fprintf(w, "trees             %s; every sample walks %d steps in each tree\n", t.String(), t.Depth)
	children := fmt.Sprintf("%d-bit child indices", t.ChildBits)
	if t.Heap {
		children = "heap layout (children 2i+1 and 2i+2, no child column)"
	}
	fmt.Fprintf(w, "node table        %d nodes: %d-bit feature indices (checked below %d), %d-bit thresholds, %s, %s of %d bits, %s of %d bits\n",
		t.Nodes(), t.FeatureBits, pub.Shape.InputSize, t.ThresholdBits, children, countOf(t.LeafWidth, "leaf value", "leaf values"), t.ValueBits, countOf(t.Outputs, "base score", "base scores"), t.BaseBits)
	cmp := (tb.CompareBits + pub.RangeBase - 1) / pub.RangeBase * pub.RangeBase
	fmt.Fprintf(w, "branches          hinted, range check of T - x or x - T - 1 on %d bits (the %d the comparisons need, rounded up to the range-check base)\n", cmp, tb.CompareBits)
	fmt.Fprintf(w, "scores            within [-2^%d, 2^%d) by construction (sums of bounded values)\n", tb.LogitBits, tb.LogitBits)
	return nil
}
