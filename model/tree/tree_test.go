package tree_test

import (
	"encoding/json"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/internal/testfixture"
	"github.com/zkeval/zkeval/model/tree"
	"github.com/zkeval/zkeval/model/tree/treeonnx"
)

const dir = "../../testdata/trees"

// fixture is a committed model with the benchmark it was trained for.
type fixture struct {
	file       string
	data, sch  string
	wantShape  string
	wantFloatC int
}

var fixtures = []fixture{
	{file: "credit_g_xgb_100x4.json", data: "credit-g.arff", sch: "credit-g.schema.json"},
	{file: "credit_g_rf_50x6.onnx", data: "credit-g.arff", sch: "credit-g.schema.json"},
	{file: "breast_cancer_xgb_50x3.json", data: "breast_cancer.csv", sch: "breast_cancer.schema.json"},
	{file: "breast_cancer_xgb_50x3.onnx", data: "breast_cancer.csv", sch: "breast_cancer.schema.json"},
	{file: "breast_cancer_rf_30x5.onnx", data: "breast_cancer.csv", sch: "breast_cancer.schema.json"},
	// The official MNIST test set: features at scale 1/255, which is not a
	// power of two, so X/255 rounds to float32.
	{file: "mnist_xgb_30x3.json", data: "mnist"},
	{file: "mnist_dt_973_nodes_depth_24.onnx", data: "mnist"},
}

func load(t testing.TB, f fixture) (*tree.FloatEnsemble, *benchmark.Benchmark) {
	t.Helper()
	var b *benchmark.Benchmark
	var err error
	if f.data == "mnist" {
		b, err = benchmark.MNISTTest()
	} else {
		b, err = testfixture.Tabular("../../testdata/tabular", f.data, f.sch)
	}
	require.NoError(t, err)
	data, err := os.ReadFile(filepath.Join(dir, f.file))
	require.NoError(t, err)
	var fe *tree.FloatEnsemble
	if strings.HasSuffix(f.file, ".json") {
		fe, err = tree.ParseXGBoost(data, f.file, b.NumFeatures)
	} else {
		fe, err = treeonnx.ParseONNXML(data, f.file, b.NumFeatures, b.ClassNames)
	}
	require.NoError(t, err)
	return fe, b
}

type meta struct {
	TestCorrect     int   `json:"testCorrect"`
	TestPredictions []int `json:"testPredictions"`
}

func readMeta(t testing.TB, file string) meta {
	data, err := os.ReadFile(filepath.Join(dir, strings.TrimSuffix(file, filepath.Ext(file))+".meta.json"))
	require.NoError(t, err)
	var m meta
	require.NoError(t, json.Unmarshal(data, &m))
	return m
}

// TestFloatMatchesTrainer: zkeval's reading of each file predicts, on every
// test sample, what scikit-learn or XGBoost predicted for it.
func TestFloatMatchesTrainer(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.file, func(t *testing.T) {
			fe, b := load(t, f)
			m := readMeta(t, f.file)
			require.Len(t, m.TestPredictions, b.Len())
			for i, x := range b.X {
				require.Equal(t, m.TestPredictions[i], fe.Predict(x, b.InputScale), "sample %d", i)
			}
		})
	}
}

// TestExactOnBenchmark: on the whole benchmark, every integer comparison
// of the fixed-point model gives the float model's branch, at every inner
// node (not only on the paths taken), and the automatic leaf scale keeps
// every prediction equal to float.
func TestExactOnBenchmark(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.file, func(t *testing.T) {
			fe, b := load(t, f)
			lo, hi := b.FeatureRange()
			rep, err := tree.Choose(fe, b.X, b.Labels, b.InputScale, desc.SignedBits(lo, hi), 0)
			require.NoError(t, err)
			require.Empty(t, rep.Warning)
			t.Logf("leaf scale 2^%d: %d/%d correct (float %d), agreement %d", rep.ScaleBits, rep.QuantCorrect, b.Len(), rep.FloatCorrect, rep.Agree)
			require.Equal(t, int64(b.Len()), rep.Agree)
			require.Equal(t, int64(readMeta(t, f.file).TestCorrect), rep.QuantCorrect)
			inner := 0
			for _, tr := range fe.Trees {
				for _, nd := range tr.Nodes {
					if !nd.Leaf {
						inner++
					}
				}
			}
			require.Equal(t, int64(inner*b.Len()), rep.Decisions)
			e := rep.Model
			require.NoError(t, e.Validate())
			// The table walk reaches, in every tree, a leaf whose value
			// is the quantized float leaf value.
			for i, x := range b.X {
				leaves, err := e.Leaves(x)
				require.NoError(t, err)
				for tn, n := range leaves {
					if e.Heap {
						require.GreaterOrEqual(t, n-e.Root(tn), 1<<e.Depth-1, "sample %d tree %d: the walk ends on the last level", i, tn)
					} else {
						require.Equal(t, n, e.Left[n], "sample %d tree %d: the walk ends on a leaf", i, tn)
					}
				}
			}
		})
	}
}

// TestIntThresholdEveryValue compares the integer threshold with the float
// comparison on every integer of a window around it, for random float32
// and float64 thresholds at several scales (1/255 is not a power of two,
// so X/S rounds).
func TestIntThresholdEveryValue(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	const bits = 14
	for range 300 {
		s := []int64{255, 1024, 1000, 3}[rng.Intn(4)]
		f32 := rng.Intn(2) == 0
		inclusive := rng.Intn(2) == 0
		var th float64
		switch rng.Intn(3) {
		case 0: // exactly on a representable feature
			th = float64(rng.Int63n(1<<bits)-1<<(bits-1)) / float64(s)
		case 1:
			th = rng.NormFloat64() * 20
		default: // midway between two features
			th = (float64(rng.Int63n(1<<bits)-1<<(bits-1)) + 0.5) / float64(s)
		}
		if f32 {
			th = float64(float32(th))
		}
		T, err := tree.IntThreshold(th, inclusive, f32, s, bits)
		require.NoError(t, err)
		for x := max(-(int64(1) << bits), T-300); x <= min(int64(1)<<bits-1, T+300); x++ {
			v := float64(x) / float64(s)
			if f32 {
				v = float64(float32(v))
			}
			want := v < th || (inclusive && v == th)
			require.Equal(t, want, x <= T, "threshold %v (inclusive %v, float32 %v) at scale 1/%d, feature %d, T = %d", th, inclusive, f32, s, x, T)
		}
	}
	for _, c := range []struct {
		th   float64
		want int64
	}{{math.Inf(1), 1<<bits - 1}, {math.Inf(-1), -(1 << bits) - 1}, {1e30, 1<<bits - 1}, {-1e30, -(1 << bits) - 1}} {
		T, err := tree.IntThreshold(c.th, true, true, 1024, bits)
		require.NoError(t, err)
		require.Equal(t, c.want, T)
	}
	_, err := tree.IntThreshold(math.NaN(), true, true, 1024, bits)
	require.ErrorContains(t, err, "NaN")
}

// TestEvalRules: the one-margin binary rule (class 1 exactly when the
// margin is above 0) and the first-maximal rule on ties.
func TestEvalRules(t *testing.T) {
	// One tree of depth 1 on one feature: x <= 0 goes to a leaf of 0,
	// else to a leaf of 5.
	e := &tree.Ensemble{Features: 1}
	e.Shape = tree.Shape{Trees: 1, Depth: 1, NodesPerTree: 3, Classes: 2, Outputs: 1, LeafWidth: 1, InputBits: 8, FeatureBits: 1, ThresholdBits: 10, ChildBits: 2, ValueBits: 4, BaseBits: 4}
	top := tree.MaxThreshold(8)
	e.Feature, e.Threshold, e.Left = []int{0, 0, 0}, []int64{0, top, top}, []int{1, 1, 2}
	e.Value, e.Base = [][]int64{{0}, {0}, {5}}, []int64{0}
	require.NoError(t, e.Validate())
	out, err := e.Eval([]int64{-3})
	require.NoError(t, err)
	require.Equal(t, []int64{0, 0}, out, "a margin of 0 ties: class 0")
	out, err = e.Eval([]int64{1})
	require.NoError(t, err)
	require.Equal(t, []int64{0, 5}, out)
	e.Base = []int64{-5}
	out, _ = e.Eval([]int64{1})
	require.Equal(t, []int64{0, 0}, out)
}

// TestValidateRefuses: a table that breaks the structure is refused naming
// the tree and node.
func TestValidateRefuses(t *testing.T) {
	// The deep MNIST tree, in the linked layout (too deep for a heap).
	fe, b := load(t, fixtures[6])
	e, err := tree.Quantize(fe, b.InputScale, 9, 10)
	require.NoError(t, err)
	require.False(t, e.Heap)
	require.NoError(t, e.Validate())
	leaves, err := e.Leaves(b.X[0])
	require.NoError(t, err)
	leaf := leaves[0]
	for name, c := range map[string]struct {
		edit func(e *tree.Ensemble)
		want string
	}{
		"feature past the width": {func(e *tree.Ensemble) { e.Feature[0] = e.Features }, "tree 0 node 0: feature 784 outside"},
		"cycle":                  {func(e *tree.Ensemble) { e.Left[e.Left[0]] = 0 }, "(or the tree has a cycle)"},
		"child out of range":     {func(e *tree.Ensemble) { e.Left[0] = e.NodesPerTree - 1 }, "tree 0 node 0: children 972 and 973 outside the tree's nodes [0, 973)"},
		"leaf that moves":        {func(e *tree.Ensemble) { e.Threshold[leaf] = 0 }, "a leaf (its own left child) must have threshold"},
		"value past its width":   {func(e *tree.Ensemble) { e.Value[leaf][0] = 1 << 40 }, "outside its"},
		"short table":            {func(e *tree.Ensemble) { e.Left = e.Left[:3] }, "children"},
		"heap without its shape": {func(e *tree.Ensemble) { e.Heap = true }, "a heap layout of depth 24"},
	} {
		t.Run(name, func(t *testing.T) {
			c2 := *e
			c2.Feature = append([]int(nil), e.Feature...)
			c2.Left = append([]int(nil), e.Left...)
			c2.Threshold = append([]int64(nil), e.Threshold...)
			c2.Value = make([][]int64, len(e.Value))
			for i := range e.Value {
				c2.Value[i] = append([]int64(nil), e.Value[i]...)
			}
			c.edit(&c2)
			err := c2.Validate()
			require.ErrorIs(t, err, tree.ErrInvalid)
			require.ErrorContains(t, err, c.want)
		})
	}
}

// TestHeapLayout: nearly complete trees take the heap layout (no child
// column); its shape is checked.
func TestHeapLayout(t *testing.T) {
	fe, b := load(t, fixtures[0])
	e, err := tree.Quantize(fe, b.InputScale, 13, 7)
	require.NoError(t, err)
	require.True(t, e.Heap)
	require.Equal(t, 31, e.NodesPerTree)
	require.Equal(t, 0, e.ChildBits)
	require.Empty(t, e.Left)
	require.NoError(t, e.Validate())
	bad := *e
	bad.Left = make([]int, e.Nodes())
	require.ErrorContains(t, bad.Validate(), "children")
	bad = *e
	bad.ChildBits = 12
	require.ErrorContains(t, bad.Validate(), "a heap layout of depth 4")
}
