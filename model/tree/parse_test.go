package tree_test

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/zkeval/zkeval/model/tree"
	"github.com/zkeval/zkeval/model/tree/treeonnx"
)

func readFixture(t testing.TB, name string) []byte {
	data, err := os.ReadFile(filepath.Join(dir, name))
	require.NoError(t, err)
	return data
}

// editXGB decodes the XGBoost JSON fixture, lets edit change tree t's
// arrays, and encodes it again.
func editXGB(t *testing.T, data []byte, tr int, edit func(tree map[string]any)) []byte {
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&m))
	trees := m["learner"].(map[string]any)["gradient_booster"].(map[string]any)["model"].(map[string]any)["trees"].([]any)
	edit(trees[tr].(map[string]any))
	out, err := json.Marshal(m)
	require.NoError(t, err)
	return out
}

// firstInner returns an inner node of the tree other than the root.
func firstInner(tr map[string]any) int {
	left := tr["left_children"].([]any)
	for i := 1; i < len(left); i++ {
		if left[i].(json.Number).String() != "-1" {
			return i
		}
	}
	return -1
}

func TestXGBoostBadInput(t *testing.T) {
	data := readFixture(t, "breast_cancer_xgb_50x3.json")
	for name, c := range map[string]struct {
		data []byte
		want string
	}{
		"truncated": {data[:len(data)/2], "breast.json: unsupported or invalid XGBoost JSON model: not an XGBoost JSON model"},
		"not json":  {[]byte("hello"), "not an XGBoost JSON model"},
		"arrays of different lengths": {editXGB(t, data, 3, func(tr map[string]any) {
			r := tr["right_children"].([]any)
			tr["right_children"] = r[:len(r)-1]
		}), "tree 3: arrays of different lengths: left_children 15, right_children 14"},
		"child out of range": {editXGB(t, data, 2, func(tr map[string]any) {
			tr["left_children"].([]any)[0] = 999
		}), "tree 2 node 0: children 999 and"},
		"cycle": {editXGB(t, data, 1, func(tr map[string]any) {
			tr["left_children"].([]any)[firstInner(tr)] = 0
		}), "tree 1 node 1: child 0 is reached twice (a cycle or a shared child)"},
		"feature past the width": {editXGB(t, data, 0, func(tr map[string]any) {
			tr["split_indices"].([]any)[0] = 30
		}), "tree 0 node 0: split on feature 30, past the 30 features of the benchmark"},
		"NaN threshold": {editXGB(t, data, 4, func(tr map[string]any) {
			tr["split_conditions"].([]any)[0] = "NaN"
		}), "tree 4 node 0: threshold is NaN"},
		"categorical": {editXGB(t, data, 5, func(tr map[string]any) {
			tr["split_type"].([]any)[0] = 1
		}), "tree 5 node 0: a categorical split"},
		"regression": {[]byte(strings.Replace(string(data), `"binary:logistic"`, `"reg:squarederror"`, 1)), `objective "reg:squarederror"; zkeval reads classifiers`},
	} {
		t.Run(name, func(t *testing.T) {
			fe, err := tree.ParseXGBoost(c.data, "breast.json", 30)
			require.Nil(t, fe)
			require.ErrorIs(t, err, tree.ErrXGBoost)
			require.ErrorContains(t, err, c.want)
			require.True(t, strings.HasPrefix(err.Error(), "breast.json: "), err.Error())
		})
	}
}

// editTEC decodes an ONNX-ML fixture, lets edit change the classifier's
// attributes (by name) or the graph, and encodes it again.
func editTEC(t *testing.T, data []byte, edit func(g *onnx.GraphProto, a map[string]*onnx.AttributeProto)) []byte {
	mp := &onnx.ModelProto{}
	require.NoError(t, proto.Unmarshal(data, mp))
	a := map[string]*onnx.AttributeProto{}
	for _, p := range mp.Graph.Node[0].Attribute {
		a[p.Name] = p
	}
	edit(mp.Graph, a)
	out, err := proto.Marshal(mp)
	require.NoError(t, err)
	return out
}

func TestONNXMLBadInput(t *testing.T) {
	data := readFixture(t, "breast_cancer_rf_30x5.onnx")
	for name, c := range map[string]struct {
		data []byte
		want string
	}{
		"truncated": {data[:len(data)/2], "rf.onnx: unsupported or invalid ONNX-ML tree ensemble: not a valid ONNX model"},
		"arrays of different lengths": {editTEC(t, data, func(_ *onnx.GraphProto, a map[string]*onnx.AttributeProto) {
			a["nodes_falsenodeids"].Ints = a["nodes_falsenodeids"].Ints[1:]
		}), "arrays of different lengths: nodes_treeids has"},
		"child out of range": {editTEC(t, data, func(_ *onnx.GraphProto, a map[string]*onnx.AttributeProto) {
			a["nodes_truenodeids"].Ints[0] = 9999
		}), "tree 0 node 0: child 9999 or"},
		"cycle": {editTEC(t, data, func(_ *onnx.GraphProto, a map[string]*onnx.AttributeProto) {
			a["nodes_truenodeids"].Ints[1] = 0
		}), "tree 0 node 1: child 0 is reached twice"},
		"feature past the width": {editTEC(t, data, func(_ *onnx.GraphProto, a map[string]*onnx.AttributeProto) {
			a["nodes_featureids"].Ints[0] = 30
		}), "tree 0 node 0: feature index 30 past the benchmark's 30 features"},
		"NaN threshold": {editTEC(t, data, func(_ *onnx.GraphProto, a map[string]*onnx.AttributeProto) {
			a["nodes_values"].Floats[0] = float32(math.NaN())
		}), "tree 0 node 0: threshold is NaN"},
		"equality split": {editTEC(t, data, func(_ *onnx.GraphProto, a map[string]*onnx.AttributeProto) {
			a["nodes_modes"].Strings[0] = []byte("BRANCH_EQ")
		}), `tree 0 node 0: mode "BRANCH_EQ"`},
		"weight on an inner node": {editTEC(t, data, func(_ *onnx.GraphProto, a map[string]*onnx.AttributeProto) {
			a["class_nodeids"].Ints[0] = 0
		}), "names tree 0 node 0, which is not a leaf"},
		"softmax zero": {editTEC(t, data, func(_ *onnx.GraphProto, a map[string]*onnx.AttributeProto) {
			a["post_transform"].S = []byte("SOFTMAX_ZERO")
		}), `post_transform "SOFTMAX_ZERO"`},
		"another operator": {editTEC(t, data, func(g *onnx.GraphProto, _ map[string]*onnx.AttributeProto) {
			g.Node = append(g.Node, &onnx.NodeProto{Name: "extra", OpType: "Add", Input: []string{"label", "label"}, Output: []string{"z"}})
		}), `node "extra" ( Add) is not supported in a tree model`},
		"labels out of order": {editTEC(t, data, func(_ *onnx.GraphProto, a map[string]*onnx.AttributeProto) {
			a["classlabels_int64s"].Ints = []int64{1, 0}
		}), "classlabels_int64s[0] = 1"},
	} {
		t.Run(name, func(t *testing.T) {
			fe, err := treeonnx.ParseONNXML(c.data, "rf.onnx", 30, []string{"malignant", "benign"})
			require.Nil(t, fe)
			require.ErrorIs(t, err, treeonnx.ErrONNXML)
			require.ErrorContains(t, err, c.want)
			require.True(t, strings.HasPrefix(err.Error(), "rf.onnx: "), err.Error())
		})
	}
	require.True(t, treeonnx.IsONNXML(data))
	require.False(t, treeonnx.IsONNXML(data[:100]))
}

// FuzzParseXGBoost checks that ParseXGBoost never panics, that its errors
// name the source, and that what it accepts passes Check and quantizes.
func FuzzParseXGBoost(f *testing.F) {
	f.Add(readFixture(f, "breast_cancer_xgb_50x3.json"))
	f.Add([]byte(`{"learner":{"gradient_booster":{"name":"gbtree","model":{"tree_info":[0],"trees":[{"left_children":[1,-1,-1],"right_children":[2,-1,-1],"split_indices":[0,0,0],"split_conditions":[0.5,-1,1]}]}},"learner_model_param":{"base_score":"5E-1","num_feature":"2"},"objective":{"name":"binary:logistic"}}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fe, err := tree.ParseXGBoost(data, "fuzz.json", 0)
		if err != nil {
			if fe != nil || !strings.HasPrefix(err.Error(), "fuzz.json: ") {
				t.Fatalf("bad error %v", err)
			}
			return
		}
		if err := fe.Check(); err != nil {
			t.Fatalf("accepted a model that fails Check: %v", err)
		}
		if len(fe.Trees) < 50 {
			if _, err := tree.Quantize(fe, 1024, 16, 8); err != nil && !strings.Contains(err.Error(), "lower the scale") && !strings.Contains(err.Error(), "exceed") {
				t.Fatalf("accepted a model that does not quantize: %v", err)
			}
		}
	})
}

// FuzzParseONNXML is FuzzParseXGBoost for ONNX-ML.
func FuzzParseONNXML(f *testing.F) {
	f.Add(readFixture(f, "breast_cancer_xgb_50x3.onnx"))
	f.Add(readFixture(f, "breast_cancer_rf_30x5.onnx")[:2000])
	f.Fuzz(func(t *testing.T, data []byte) {
		fe, err := treeonnx.ParseONNXML(data, "fuzz.onnx", 30, nil)
		if err != nil {
			if fe != nil || !strings.HasPrefix(err.Error(), "fuzz.onnx: ") {
				t.Fatalf("bad error %v", err)
			}
			return
		}
		if err := fe.Check(); err != nil {
			t.Fatalf("accepted a model that fails Check: %v", err)
		}
	})
}
