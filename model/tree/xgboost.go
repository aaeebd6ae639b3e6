package tree

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ErrXGBoost marks an XGBoost JSON model that zkeval cannot read: not the
// format, damaged, or outside the supported subset (see ParseXGBoost).
var ErrXGBoost = errors.New("unsupported or invalid XGBoost JSON model")

// xgbModel is the part of XGBoost's JSON model format (Booster.save_model
// with a .json name; schema doc/model.schema in the XGBoost sources) that
// zkeval reads.
type xgbModel struct {
	Learner *struct {
		LearnerModelParam struct {
			BaseScore  string `json:"base_score"`
			NumClass   string `json:"num_class"`
			NumFeature string `json:"num_feature"`
			NumTarget  string `json:"num_target"`
		} `json:"learner_model_param"`
		Objective struct {
			Name string `json:"name"`
		} `json:"objective"`
		GradientBooster struct {
			Name  string `json:"name"`
			Model *struct {
				Param struct {
					NumTrees        string `json:"num_trees"`
					NumParallelTree string `json:"num_parallel_tree"`
				} `json:"gbtree_model_param"`
				TreeInfo []int     `json:"tree_info"`
				Trees    []xgbTree `json:"trees"`
			} `json:"model"`
		} `json:"gradient_booster"`
	} `json:"learner"`
	Version []int `json:"version"`
}

type xgbTree struct {
	LeftChildren    []int             `json:"left_children"`
	RightChildren   []int             `json:"right_children"`
	SplitIndices    []int             `json:"split_indices"`
	SplitConditions []json.RawMessage `json:"split_conditions"`
	SplitType       []int             `json:"split_type"`
	Param           struct {
		NumNodes       string `json:"num_nodes"`
		SizeLeafVector string `json:"size_leaf_vector"`
	} `json:"tree_param"`
}

// ParseXGBoost reads an XGBoost model saved in its JSON format
// (Booster.save_model("model.json"), XGBoost 1.0 and later). source names
// the model in errors.
//
// Supported: the gbtree booster with one tree per class and round
// (num_parallel_tree 1), numerical splits and scalar leaves, and the
// classification objectives binary:logistic, binary:logitraw,
// binary:hinge (one margin, class 1 when it is above 0), multi:softprob and
// multi:softmax (one score per class, the first maximal wins). XGBoost's
// split "x < split_condition" goes to the left child; split conditions and
// leaf values are float32, and features are read as float32. The base
// score becomes the margin XGBoost starts from: logit(base_score) for
// binary:logistic, base_score otherwise. Default directions for missing
// values never apply: benchmark features are never missing.
//
// Errors wrap ErrXGBoost and name source and, where one is at fault, the
// tree and node; features is the width of the benchmark the model will run
// on (0 to take the model's num_feature), and a split on a feature at or
// past it is an error.
func ParseXGBoost(data []byte, source string, features int) (*FloatEnsemble, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s: %w: %s", source, ErrXGBoost, fmt.Sprintf(format, args...))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m xgbModel
	if err := dec.Decode(&m); err != nil {
		return nil, fail("not an XGBoost JSON model (%v); save it with Booster.save_model(\"model.json\")", err)
	}
	if m.Learner == nil || m.Learner.GradientBooster.Model == nil {
		return nil, fail("no learner.gradient_booster.model; save the model with Booster.save_model(\"model.json\")")
	}
	L := m.Learner
	if b := L.GradientBooster.Name; b != "gbtree" {
		return nil, fail("booster %q; zkeval reads the gbtree booster (dart's dropout weights and gblinear are not supported)", b)
	}
	gm := L.GradientBooster.Model
	if p := gm.Param.NumParallelTree; p != "" && p != "1" {
		return nil, fail("num_parallel_tree %s; zkeval reads boosted models with one tree per class and round", p)
	}
	atoi := func(field, s string, def int) (int, error) {
		if s == "" {
			return def, nil
		}
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 {
			return 0, fail("learner_model_param.%s = %q is not a count", field, s)
		}
		return v, nil
	}
	numClass, err := atoi("num_class", L.LearnerModelParam.NumClass, 0)
	if err != nil {
		return nil, err
	}
	numFeature, err := atoi("num_feature", L.LearnerModelParam.NumFeature, 0)
	if err != nil {
		return nil, err
	}
	if nt, err := atoi("num_target", L.LearnerModelParam.NumTarget, 1); err != nil {
		return nil, err
	} else if nt > 1 {
		return nil, fail("num_target %d; zkeval reads single-target models", nt)
	}
	base, err := parseBaseScore(L.LearnerModelParam.BaseScore)
	if err != nil {
		return nil, fail("learner_model_param.base_score: %v", err)
	}
	fe := &FloatEnsemble{Source: "xgboost json", Float32: true, Features: numFeature}
	if features > 0 {
		if numFeature > features {
			return nil, fail("the model was trained on %d features but the benchmark has %d", numFeature, features)
		}
		fe.Features = features
	}
	if fe.Features < 1 {
		return nil, fail("num_feature %d; give the benchmark so that the feature count is known", numFeature)
	}
	switch obj := L.Objective.Name; obj {
	case "binary:logistic":
		if base <= 0 || base >= 1 {
			return nil, fail("base_score %g for binary:logistic is not a probability in (0, 1)", base)
		}
		fe.Classes, fe.Outputs, fe.Base = 2, 1, []float64{math.Log(base / (1 - base))}
	case "binary:logitraw", "binary:hinge":
		fe.Classes, fe.Outputs, fe.Base = 2, 1, []float64{base}
	case "multi:softprob", "multi:softmax":
		if numClass < 2 {
			return nil, fail("objective %s with num_class %d", obj, numClass)
		}
		fe.Classes, fe.Outputs = numClass, numClass
		fe.Base = make([]float64, numClass)
		for k := range fe.Base {
			fe.Base[k] = base
		}
	default:
		return nil, fail("objective %q; zkeval reads classifiers: binary:logistic, binary:logitraw, binary:hinge, multi:softprob, multi:softmax", obj)
	}
	if len(gm.Trees) == 0 {
		return nil, fail("the model has no tree")
	}
	if len(gm.TreeInfo) != len(gm.Trees) {
		return nil, fail("tree_info has %d entries for %d trees", len(gm.TreeInfo), len(gm.Trees))
	}
	if nt := gm.Param.NumTrees; nt != "" && nt != strconv.Itoa(len(gm.Trees)) {
		return nil, fail("num_trees %s but %d trees", nt, len(gm.Trees))
	}
	for t := range gm.Trees {
		ft, err := xgbConvert(&gm.Trees[t], t, gm.TreeInfo[t], fe)
		if err != nil {
			return nil, fail("%v", err)
		}
		fe.Trees = append(fe.Trees, *ft)
	}
	if err := fe.Check(); err != nil {
		return nil, fail("%v", err)
	}
	return fe, nil
}

// parseBaseScore reads XGBoost's base_score: "5E-1", or "[5E-1]" (a vector
// of one, XGBoost 2 and later).
func parseBaseScore(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0.5, nil
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		inner := strings.Split(strings.Trim(s, "[]"), ",")
		if len(inner) != 1 {
			return 0, fmt.Errorf("%q: zkeval reads one base score", s)
		}
		s = strings.TrimSpace(inner[0])
	}
	v, err := strconv.ParseFloat(s, 32)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a finite number", s)
	}
	return v, nil
}

func xgbConvert(tr *xgbTree, t, class int, fe *FloatEnsemble) (*FloatTree, error) {
	n := len(tr.LeftChildren)
	if n == 0 {
		return nil, fmt.Errorf("tree %d has no node", t)
	}
	if len(tr.RightChildren) != n || len(tr.SplitIndices) != n || len(tr.SplitConditions) != n {
		return nil, fmt.Errorf("tree %d: arrays of different lengths: left_children %d, right_children %d, split_indices %d, split_conditions %d",
			t, n, len(tr.RightChildren), len(tr.SplitIndices), len(tr.SplitConditions))
	}
	if len(tr.SplitType) != 0 && len(tr.SplitType) != n {
		return nil, fmt.Errorf("tree %d: split_type has %d entries for %d nodes", t, len(tr.SplitType), n)
	}
	if s := tr.Param.NumNodes; s != "" && s != strconv.Itoa(n) {
		return nil, fmt.Errorf("tree %d: num_nodes %s but %d nodes", t, s, n)
	}
	if s := tr.Param.SizeLeafVector; s != "" && s != "0" && s != "1" {
		return nil, fmt.Errorf("tree %d: size_leaf_vector %s; zkeval reads scalar leaves", t, s)
	}
	out := 0
	if fe.Outputs > 1 {
		if class < 0 || class >= fe.Outputs {
			return nil, fmt.Errorf("tree %d: tree_info names class %d of %d", t, class, fe.Outputs)
		}
		out = class
	}
	ft := &FloatTree{Output: out, Nodes: make([]FloatNode, n), ID: int64(t)}
	for i := range n {
		// A number, or a string such as "NaN" (JSON has no NaN).
		c, err := strconv.ParseFloat(strings.Trim(string(tr.SplitConditions[i]), `"`), 32)
		if err != nil {
			return nil, fmt.Errorf("tree %d node %d: split_condition %q is not a float32 number", t, i, tr.SplitConditions[i])
		}
		l, r := tr.LeftChildren[i], tr.RightChildren[i]
		if l == -1 {
			if r != -1 {
				return nil, fmt.Errorf("tree %d node %d: left child -1 (a leaf) but right child %d", t, i, r)
			}
			ft.Nodes[i] = FloatNode{Leaf: true, Value: []float64{c}}
			continue
		}
		if len(tr.SplitType) == n && tr.SplitType[i] != 0 {
			return nil, fmt.Errorf("tree %d node %d: a categorical split; zkeval reads numerical splits", t, i)
		}
		f := tr.SplitIndices[i]
		if f < 0 || f >= fe.Features {
			return nil, fmt.Errorf("tree %d node %d: split on feature %d, past the %d features of the benchmark", t, i, f, fe.Features)
		}
		if l < 0 || l >= n || r < 0 || r >= n {
			return nil, fmt.Errorf("tree %d node %d: children %d and %d outside the tree's %d nodes", t, i, l, r, n)
		}
		if math.IsNaN(c) {
			return nil, fmt.Errorf("tree %d node %d: threshold is NaN", t, i)
		}
		ft.Nodes[i] = FloatNode{Feature: f, Threshold: c, Inclusive: false, Yes: l, No: r}
	}
	return ft, nil
}
