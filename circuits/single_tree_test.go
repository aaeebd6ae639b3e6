package circuits

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/circuits/argmax"
	"github.com/zkeval/zkeval/circuits/rangecheck"
	"github.com/zkeval/zkeval/metric"
	"github.com/zkeval/zkeval/model"
)

// truncateToOneTree keeps the first tree of m's ensemble.
func truncateToOneTree(t *testing.T, m *model.Model) {
	e := m.Trees
	n := e.NodesPerTree
	e.Trees = 1
	e.Feature = e.Feature[:n]
	e.Threshold = e.Threshold[:n]
	if !e.Heap {
		e.Left = e.Left[:n]
	}
	e.Value = e.Value[:n]
	require.NoError(t, m.Validate())
}

// TestSingleTreeMatchesNative: one-tree models (one margin, and
// vector leaves), with claims that need whole predictions and ties forced at
// reached leaves: the circuit accepts exactly the native counts.
func TestSingleTreeMatchesNative(t *testing.T) {
	for _, c := range []struct {
		file, data, schema string
		n                  int // samples: at least the tree's nodes
		claims             []string
	}{
		{"credit_g_xgb_100x4.json", "credit-g.arff", "credit-g.schema.json", 31,
			[]string{"accuracy >= 0", "demographic_parity_ratio[group=sex,positive=good] >= 0", "precision[class=good] >= 0"}},
		{"breast_cancer_rf_30x5.onnx", "breast_cancer.csv", "breast_cancer.schema.json", 63, []string{"accuracy >= 0", "precision[class=malignant] >= 0"}},
		// Accuracy and recall read no predicted class: each sample looks up
		// its label's column only.
		{"credit_g_xgb_100x4.json", "credit-g.arff", "credit-g.schema.json", 31, []string{"accuracy >= 0", "recall[class=bad] >= 0"}},
	} {
		for _, tie := range []bool{false, true} {
			t.Run(c.file, func(t *testing.T) {
				m, b := treeModel(t, c.file, c.data, c.schema, c.n)
				truncateToOneTree(t, m)
				e := m.Trees
				t.Logf("heap=%v depth=%d nodes=%d outputs=%d leafwidth=%d base=%v", e.Heap, e.Depth, e.NodesPerTree, e.Outputs, e.LeafWidth, e.Base)
				if tie {
					// Make every reached leaf of the first half of the
					// samples a tie: scores all equal.
					for s := 0; s < b.Len(); s++ {
						leaves, err := e.Leaves(b.X[s])
						require.NoError(t, err)
						n := leaves[0]
						if e.Outputs == 1 {
							e.Value[n][0] = -e.Base[0]
						} else {
							for j := range e.Value[n] {
								e.Value[n][j] = -e.Base[j]
							}
						}
					}
					require.NoError(t, m.Validate())
				}
				f := treeFixture(t, m, b, c.claims)
				require.True(t, f.spec.PredictionsPerNode())
				pred := predictions(t, m, b)
				t.Logf("tie=%v predictions %v labels %v counts %v", tie, pred, b.Labels, f.counts)
				require.NoError(t, f.solve(t, f.inputs(nil, nil)))
				for k := range f.counts {
					f.requireOffCountsFail(t, k, -1, 1)
				}
			})
		}
	}
}

// TestDeepSingleTreeFull: the deep MNIST tree (linked layout, sparse
// reads, per-node predictions) with a claim that needs whole predictions.
func TestDeepSingleTreeFull(t *testing.T) {
	m, b := treeModel(t, "mnist_dt_973_nodes_depth_24.onnx", "mnist", "", 973)
	f := treeFixture(t, m, b, []string{"accuracy >= 0", "precision[class=7] >= 0", "recall[class=1] >= 0"})
	require.True(t, f.spec.PredictionsPerNode())
	require.True(t, f.spec.NeedsPredictions())
	require.False(t, m.Trees.Heap)
	t.Logf("predictions %v labels %v counts %v", predictions(t, m, b), b.Labels, f.counts)
	require.NoError(t, f.solve(t, f.inputs(nil, nil)))
	for k := range f.counts {
		f.requireOffCountsFail(t, k, 1)
	}
}

// TestSingleTreeTieForgery: a one-tree, one-margin model whose
// reached leaves all have margin 0 (a tie: class 0 natively). A prover whose
// argmax hint breaks ties to the last index (class 1) and who claims the
// counts of those predictions is refused; so is the honest count set under
// that hint.
func TestSingleTreeTieForgery(t *testing.T) {
	m, b := treeModel(t, "credit_g_xgb_100x4.json", "credit-g.arff", "credit-g.schema.json", 31)
	truncateToOneTree(t, m)
	e := m.Trees
	for s := range b.X {
		leaves, err := e.Leaves(b.X[s])
		require.NoError(t, err)
		e.Value[leaves[0]][0] = -e.Base[0]
	}
	require.NoError(t, m.Validate())
	claims := []string{"accuracy >= 0", "precision[class=good] >= 0"}
	f := treeFixture(t, m, b, claims)
	require.True(t, f.spec.PredictionsPerNode())
	require.NoError(t, f.solve(t, f.inputs(nil, nil)))
	lastMax := func(field *big.Int, in, out []*big.Int) error {
		if err := argmax.Hint(field, in, out); err != nil {
			return err
		}
		best := 0
		for j := range in {
			if in[j].Cmp(in[best]) == 0 {
				best = j
			}
		}
		// all equal inputs: answer the last index
		allEq := true
		for j := range in {
			allEq = allEq && in[j].Cmp(in[0]) == 0
		}
		if allEq {
			for j := range out {
				out[j].SetInt64(0)
			}
			out[best].SetInt64(1)
		}
		return nil
	}
	opt := solver.OverrideHint(solver.GetHintID(argmax.Hint), lastMax)
	// Counts under the forged tie rule: every sample predicted class 1.
	pred := make([]int, b.Len())
	for i := range pred {
		pred[i] = 1
	}
	var groups []int
	if b.HasGroups() {
		groups = b.Groups
	}
	tab := metric.Tally(pred, b.Labels, groups, len(b.ClassNames), len(b.GroupNames))
	forged := make([][]int64, len(f.claims))
	for k := range f.claims {
		forged[k] = tab.Values(metric.Counts(f.spec.Targets()[k], f.spec.Labels()))
	}
	t.Logf("honest %v forged %v", f.counts, forged)
	require.NotEqual(t, f.counts, forged)
	// The range checker's count hint forged too (a stray value counted as
	// a 0), so that only constraints can refuse.
	strays := func(_ *big.Int, in, out []*big.Int) error {
		for i := range out {
			out[i].SetInt64(0)
		}
		for _, q := range in[1:] {
			if q.IsInt64() && q.Int64() >= 0 && q.Int64() < int64(len(out)) {
				out[q.Int64()].Add(out[q.Int64()], big.NewInt(1))
			} else {
				out[0].Add(out[0], big.NewInt(1))
			}
		}
		return nil
	}
	copt := solver.OverrideHint(solver.GetHintID(rangecheck.CountHint), strays)
	for _, in := range [][]ClaimInput{f.inputs(nil, forged), f.inputs(nil, nil)} {
		err := f.solve(t, in, opt, copt)
		require.Error(t, err)
		t.Logf("refused: %.300v", err)
	}
}
