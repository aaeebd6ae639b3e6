package circuits

import (
	"math/big"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/benchmark"
	ctree "github.com/zkeval/zkeval/circuits/tree"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/internal/testfixture"
	"github.com/zkeval/zkeval/metric"
	"github.com/zkeval/zkeval/model"
	mtree "github.com/zkeval/zkeval/model/tree"
	"github.com/zkeval/zkeval/model/tree/treeonnx"
)

// treeModel imports a committed tree fixture against the whole test split
// of its benchmark (so that its thresholds are exact on every sample) and
// returns it with the first n samples.
func treeModel(t testing.TB, file, data, schema string, n int) (*model.Model, *benchmark.Benchmark) {
	t.Helper()
	var b *benchmark.Benchmark
	var err error
	if data == "mnist" {
		b, err = benchmark.MNISTTest()
	} else {
		b, err = testfixture.Tabular("../testdata/tabular", data, schema)
	}
	require.NoError(t, err)
	raw, err := os.ReadFile("../testdata/trees/" + file)
	require.NoError(t, err)
	var fe *mtree.FloatEnsemble
	if strings.HasSuffix(file, ".json") {
		fe, err = mtree.ParseXGBoost(raw, file, b.NumFeatures)
	} else {
		fe, err = treeonnx.ParseONNXML(raw, file, b.NumFeatures, b.ClassNames)
	}
	require.NoError(t, err)
	lo, hi := b.FeatureRange()
	rep, err := mtree.Choose(fe, b.X, b.Labels, b.InputScale, desc.SignedBits(lo, hi), 0)
	require.NoError(t, err)
	m := &model.Model{Name: file, InputSize: b.NumFeatures, InputScale: b.InputScale, ScaleBits: rep.ScaleBits, Trees: rep.Model}
	require.NoError(t, m.Validate())
	s := *b
	s.X, s.Labels = b.X[:n], b.Labels[:n]
	if b.HasGroups() {
		s.Groups = b.Groups[:n]
	}
	return m, &s
}

// treeFixture is a claim fixture on a tree model.
func treeFixture(t *testing.T, m *model.Model, b *benchmark.Benchmark, texts []string) *claimFixture {
	t.Helper()
	var shapes []claim.Shape
	byKey := map[string]*claim.Claim{}
	for _, s := range texts {
		c, err := claim.Parse(s)
		require.NoError(t, err)
		shapes = append(shapes, c.Shape(true))
		byKey[c.Key()+c.Comparison] = c
	}
	spec, err := NewSpec(m, b, shapes)
	require.NoError(t, err)
	salt := big.NewInt(271828)
	cm, err := commitment.Commit(m, salt)
	require.NoError(t, err)
	f := &claimFixture{fixture: fixture{spec: spec, m: m, salt: salt, commit: cm}}
	pred := predictions(t, m, b)
	var groups []int
	if b.HasGroups() {
		groups = b.Groups
	}
	tab := metric.Tally(pred, b.Labels, groups, len(b.ClassNames), len(b.GroupNames))
	for k, sh := range spec.Claims {
		f.claims = append(f.claims, byKey[sh.Key()+sh.Comparison])
		f.counts = append(f.counts, tab.Values(metric.Counts(spec.Targets()[k], spec.Labels())))
	}
	return f
}

// TestTreeCircuitMatchesNative: on real models (XGBoost's one margin and a
// random forest's vector leaves), the circuit accepts exactly the counts of
// the native evaluation: each revealed count off by one fails.
func TestTreeCircuitMatchesNative(t *testing.T) {
	for _, c := range []struct {
		file, data, schema string
		claims             []string
	}{
		{"credit_g_xgb_100x4.json", "credit-g.arff", "credit-g.schema.json",
			[]string{"accuracy >= 0", "demographic_parity_ratio[group=sex,positive=good] >= 0"}},
		{"breast_cancer_rf_30x5.onnx", "breast_cancer.csv", "breast_cancer.schema.json", []string{"accuracy >= 0", "recall[class=malignant] >= 0"}},
		// Ten classes, tree t adding to class t mod 10.
		{"mnist_xgb_30x3.json", "mnist", "", []string{"accuracy >= 0", "precision[class=7] >= 0"}},
		// The deep tree, whose features are read from the table of runs.
		{"mnist_dt_973_nodes_depth_24.onnx", "mnist", "", []string{"accuracy >= 0"}},
	} {
		t.Run(c.file, func(t *testing.T) {
			m, b := treeModel(t, c.file, c.data, c.schema, 12)
			f := treeFixture(t, m, b, c.claims)
			require.NoError(t, f.solve(t, f.inputs(nil, nil)))
			for k := range f.counts {
				f.requireOffCountsFail(t, k, 1)
			}
		})
	}
}

// TestTreeCircuitRejectsWrongWitness: another model, another salt, or a
// single leaf value changed in the secret table, all against the same
// commitment, fail.
func TestTreeCircuitRejectsWrongWitness(t *testing.T) {
	m, b := treeModel(t, "breast_cancer_xgb_50x3.json", "breast_cancer.csv", "breast_cancer.schema.json", 8)
	f := treeFixture(t, m, b, []string{"accuracy >= 0"})
	in := f.inputs(nil, nil)
	require.NoError(t, f.solve(t, in))
	a, err := Assignment(f.spec, f.m, big.NewInt(1), f.commit, in)
	require.NoError(t, err)
	require.Error(t, solve(t, &f.fixture, a), "another salt")
	// A leaf value one off: the commitment no longer opens.
	leaves, err := m.Trees.Leaves(b.X[0])
	require.NoError(t, err)
	evil := *m.Trees
	evil.Value = append([][]int64(nil), m.Trees.Value...)
	evil.Value[leaves[0]] = []int64{m.Trees.Value[leaves[0]][0] + 1}
	em := *m
	em.Trees = &evil
	a, err = Assignment(f.spec, &em, f.salt, f.commit, in)
	require.NoError(t, err)
	require.Error(t, solve(t, &f.fixture, a), "a changed leaf value")
}

// TestTreeCircuitRejectsTamperedBranch: one branch bit flipped, anywhere
// along the paths, fails.
func TestTreeCircuitRejectsTamperedBranch(t *testing.T) {
	m, b := treeModel(t, "breast_cancer_xgb_50x3.json", "breast_cancer.csv", "breast_cancer.schema.json", 4)
	f := treeFixture(t, m, b, []string{"accuracy >= 0"})
	in := f.inputs(nil, nil)
	for _, call := range []int{0, 1, 2, 77, 599} {
		err := f.solve(t, in, solver.OverrideHint(solver.GetHintID(ctree.BranchHint), tamper(ctree.BranchHint, call, 0, flipBit)))
		require.Error(t, err, "branch %d flipped", call)
	}
}

// TestTreeFeatureReader: MNIST's images are read from the table of their
// runs, German credit's applicants from the table of every feature; a
// tampered run or node-word hint, anywhere along the deep tree's paths,
// fails.
func TestTreeFeatureReader(t *testing.T) {
	m, b := treeModel(t, "credit_g_xgb_100x4.json", "credit-g.arff", "credit-g.schema.json", 300)
	spec, err := NewSpec(m, b, accuracy(">=", true))
	require.NoError(t, err)
	require.False(t, spec.sparseFeatures())

	m, b = treeModel(t, "mnist_dt_973_nodes_depth_24.onnx", "mnist", "", 3)
	f := treeFixture(t, m, b, []string{"accuracy >= 0"})
	require.True(t, f.spec.sparseFeatures())
	in := f.inputs(nil, nil)
	require.NoError(t, f.solve(t, in))
	nextRun := func(field *big.Int, in, out []*big.Int) error {
		if err := ctree.RunHint(field, in, out); err != nil {
			return err
		}
		// Start the run one past its end: the position is not in it.
		out[0].Add(out[1], big.NewInt(1))
		return nil
	}
	otherWord := func(field *big.Int, in, out []*big.Int) error {
		if err := ctree.WordHint(field, in, out); err != nil {
			return err
		}
		// The same word split with f + 1 and T - 2^tb.
		out[0].Add(out[0], big.NewInt(1))
		out[1].Sub(out[1], new(big.Int).Lsh(big.NewInt(1), uint(in[2].Int64())))
		out[1].Mod(out[1], field)
		return nil
	}
	for _, call := range []int{0, 1, 23, 40, 68} { // 3 images: 72 reads, 69 node words
		require.Error(t, f.solve(t, in, solver.OverrideHint(solver.GetHintID(ctree.RunHint), atCall(ctree.RunHint, call, nextRun))), "run %d", call)
		require.Error(t, f.solve(t, in, solver.OverrideHint(solver.GetHintID(ctree.WordHint), atCall(ctree.WordHint, call, otherWord))), "word %d", call)
	}
}

// atCall answers like h except at its call-th call, where evil answers.
func atCall(h solver.Hint, call int, evil solver.Hint) solver.Hint {
	var n atomic.Int64 // hints run on several goroutines
	return func(field *big.Int, in, out []*big.Int) error {
		if n.Add(1)-1 == int64(call) {
			return evil(field, in, out)
		}
		return h(field, in, out)
	}
}

// TestTreeSpecRefusesNarrowDomain: a benchmark whose features pass the
// domain the thresholds were made exact for is refused.
func TestTreeSpecRefusesNarrowDomain(t *testing.T) {
	m, b := treeModel(t, "breast_cancer_xgb_50x3.json", "breast_cancer.csv", "breast_cancer.schema.json", 4)
	wide := *b
	wide.X = append([][]int64{make([]int64, b.NumFeatures)}, b.X...)
	wide.X[0][3] = 1 << 20
	wide.Labels = append([]int{0}, b.Labels...)
	_, err := NewSpec(m, &wide, accuracy(">=", true))
	require.ErrorContains(t, err, "import the model again with this benchmark")
}
