package circuits

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/claim"
)

var update = flag.Bool("update", false, "rewrite testdata/constraints.golden.json")

// TestConstraintCountsGolden pins the constraint count of each gadget for a
// few circuit shapes, so that any regression (or improvement) in
// constraints per sample shows up as a test failure and a reviewed golden
// file change (`go test ./circuits -run Golden -update`).
func TestConstraintCountsGolden(t *testing.T) {
	got := map[string]*Breakdown{}
	claims := accuracy(">=", true)
	for _, n := range []int{24, 48} {
		m, b := synth(t, 1, n)
		spec, err := NewSpec(m, b, claims)
		require.NoError(t, err)
		bd, err := Profile(spec)
		require.NoError(t, err)
		got["fixture-6-5-4-3/n="+itoa(n)+"/relu="+spec.ReLU[0]] = bd
	}
	f := withLookup(t, newFixture(t, claims))
	bd, err := Profile(f.spec)
	require.NoError(t, err)
	got["fixture-6-5-4-3/n=20/relu=lookup"] = bd

	m, b := mnistTiny(t, 40)
	spec, err := NewSpec(m, b, claims)
	require.NoError(t, err)
	bd, err = Profile(spec)
	require.NoError(t, err)
	got["mnist-784-8-10/f=8/n=40/relu="+spec.ReLU[0]] = bd

	// The LeNet-5 of testdata/cnn on two MNIST test images.
	lm, lb := lenet(t, 2)
	spec, err = NewSpec(lm, lb, claims)
	require.NoError(t, err)
	bd, err = Profile(spec)
	require.NoError(t, err)
	got["mnist-lenet5/f=7/n=2"] = bd

	// Hidden activations other than ReLU: the breast cancer 30-16-2 MLPs
	// (LeakyRelu; tanh, GELU and hard swish through their tables).
	for _, am := range actModels {
		if am.name == "gelu_op20" || am.name == "sigmoid" || am.name == "hardsigmoid" || strings.HasPrefix(am.name, "mnist_") {
			continue // the same gadgets as gelu and tanh
		}
		m, b := actModel(t, am.name, am.scale, 24)
		spec, err := NewSpec(m, b, claims)
		require.NoError(t, err)
		bd, err := Profile(spec)
		require.NoError(t, err)
		got["breast-cancer-30-16-2-"+am.name+"/f="+itoa(am.scale)+"/n=24"] = bd
	}

	// The German credit model with claims that read whole predictions.
	cm, cb := credit(t)
	var shapes []claim.Shape
	for _, txt := range []string{"accuracy >= 0", "recall[class=bad] >= 0", "demographic_parity_ratio[group=sex,positive=good] >= 0", "equalized_odds_difference[group=sex] <= 1", "macro_f1 >= 0"} {
		c, err := claim.Parse(txt)
		require.NoError(t, err)
		shapes = append(shapes, c.Shape(true))
	}
	spec, err = NewSpec(cm, cb, shapes)
	require.NoError(t, err)
	bd, err = Profile(spec)
	require.NoError(t, err)
	got["credit-58-16-2/f=10/n=300/claims=5"] = bd

	// Tree ensembles: XGBoost's 100 trees of depth 4 (one margin) and a
	// random forest's 30 trees of depth 5 (vector leaves), on slices of
	// their benchmarks; the cost per sample grows with trees·depth.
	for _, c := range []struct{ key, file, data, schema string }{
		{"credit-xgb-100x4/n=12/claims=2", "credit_g_xgb_100x4.json", "credit-g.arff", "credit-g.schema.json"},
		{"breast-cancer-rf-30x5/n=12/claims=2", "breast_cancer_rf_30x5.onnx", "breast_cancer.csv", "breast_cancer.schema.json"},
		// The deep tree (973 nodes, depth 24), its images read from the
		// table of their runs.
		{"mnist-dt-973x24/n=12/claims=2", "mnist_dt_973_nodes_depth_24.onnx", "mnist", ""},
	} {
		tm, tb := treeModel(t, c.file, c.data, c.schema, 12)
		var shapes []claim.Shape
		for _, txt := range []string{"accuracy >= 0", "recall[class=" + tb.ClassNames[1] + "] >= 0"} {
			cl, err := claim.Parse(txt)
			require.NoError(t, err)
			shapes = append(shapes, cl.Shape(true))
		}
		spec, err = NewSpec(tm, tb, shapes)
		require.NoError(t, err)
		bd, err = Profile(spec)
		require.NoError(t, err)
		got[c.key] = bd
	}

	// Shard circuits: an MLP, the CNN with every spatial kind and the
	// tanh MLP, per shard of their sizes (the digest and counts included).
	for _, c := range []struct {
		key  string
		make func() *shardFixture
	}{
		{"shard/fixture-6-5-4-3/size=3", func() *shardFixture { m, b := synth(t, 1, 7); return newShardFixture(t, m, b, 3, "accuracy >= 0") }},
		{"shard/conv-bn-pool/f=8/size=4", func() *shardFixture { _, f := everyKindModel(t, 6); return f }},
		{"shard/breast-cancer-30-16-2-tanh/f=04/size=5", func() *shardFixture {
			m, b := actModel(t, "tanh", 4, 12)
			return newShardFixture(t, m, b, 5, "accuracy >= 0")
		}},
	} {
		bd, err := ProfileShard(c.make().spec)
		require.NoError(t, err)
		got[c.key] = bd
	}

	path := filepath.Join("testdata", "constraints.golden.json")
	if *update {
		data, err := json.MarshalIndent(got, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, append(data, '\n'), 0o644))
	}
	data, err := os.ReadFile(path)
	require.NoError(t, err, "run `go test ./circuits -run Golden -update` to create the golden file")
	var want map[string]*Breakdown
	require.NoError(t, json.Unmarshal(data, &want))
	require.Equal(t, want, got, "constraint counts changed; if intended, run `go test ./circuits -run Golden -update` and review the diff")
}

func itoa(n int) string { return string(rune('0'+n/10)) + string(rune('0'+n%10)) }
