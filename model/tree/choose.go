package tree

import (
	"fmt"
	"io"
)

// Automatic leaf scale search range.
const (
	MinAutoBits = 4
	MaxAutoBits = 24
)

// Trial is the result at one leaf scale.
type Trial struct {
	ScaleBits int    `json:"scaleBits"`
	Correct   int64  `json:"correct"`
	Agree     int64  `json:"agree"`
	Err       string `json:"error,omitempty"`
}

// Report says what fixed point costs a tree ensemble on a benchmark.
type Report struct {
	Model        *Ensemble `json:"-"`
	Output       string    `json:"output,omitempty"`
	Source       string    `json:"source"`
	Shape        string    `json:"architecture"`
	ScaleBits    int       `json:"scaleBits"`
	InputScale   int64     `json:"inputScale"`
	InputBits    int       `json:"thresholdDomainBits"`
	Automatic    bool      `json:"automatic"`
	Benchmark    string    `json:"benchmark,omitempty"`
	Samples      int       `json:"samples"`
	FloatCorrect int64     `json:"floatCorrect"`
	QuantCorrect int64     `json:"quantizedCorrect"`
	Agree        int64     `json:"agreement"`
	// Decisions is the number of (sample, inner node) pairs whose integer
	// comparison was checked against the float comparison: all equal.
	Decisions int64   `json:"thresholdDecisionsChecked"`
	Trials    []Trial `json:"trials,omitempty"`
	Warning   string  `json:"warning,omitempty"`
}

// Choose quantizes fe for the integer samples xs (labels their classes) at
// scale 1/s, with thresholds exact within [-2^inputBits, 2^inputBits). With
// scaleBits 0 it picks the least leaf scale in [MinAutoBits, MaxAutoBits]
// whose predictions all equal the float model's, whatever the benchmark's
// size (a wider leaf scale costs a tree circuit only wider leaf values, not
// more steps); when none qualifies, the one that agrees most, with a
// Warning. It also compares, for every sample and every inner node, the
// float comparison with the integer one, and fails if any differs (which
// would be a bug of IntThreshold).
func Choose(fe *FloatEnsemble, xs [][]int64, labels []int, s int64, inputBits, scaleBits int) (*Report, error) {
	if len(xs) != len(labels) {
		return nil, fmt.Errorf("%d samples for %d labels", len(xs), len(labels))
	}
	for i, x := range xs {
		if len(x) != fe.Features {
			return nil, fmt.Errorf("sample %d has %d features; the model reads %d", i, len(x), fe.Features)
		}
	}
	rep := &Report{Source: fe.Source, InputScale: s, InputBits: inputBits, Samples: len(xs)}
	floatPred := make([]int, len(xs))
	for i, x := range xs {
		floatPred[i] = fe.Predict(x, s)
		if floatPred[i] == labels[i] {
			rep.FloatCorrect++
		}
	}
	try := func(f int) (*Ensemble, Trial) {
		t := Trial{ScaleBits: f}
		e, err := Quantize(fe, s, inputBits, f)
		if err != nil {
			t.Err = err.Error()
			return nil, t
		}
		for i, x := range xs {
			out, err := e.Eval(x)
			if err != nil {
				t.Err = fmt.Sprintf("sample %d: %v", i, err)
				return nil, t
			}
			p := argmax(out)
			if p == labels[i] {
				t.Correct++
			}
			if p == floatPred[i] {
				t.Agree++
			}
		}
		return e, t
	}
	good := func(t Trial) bool { return t.Err == "" && t.Agree == int64(len(xs)) }
	var e *Ensemble
	var chosen Trial
	if scaleBits > 0 {
		if e, chosen = try(scaleBits); e == nil {
			return nil, fmt.Errorf("leaf scale 2^%d: %s", scaleBits, chosen.Err)
		}
		rep.Trials = append(rep.Trials, chosen)
	} else {
		rep.Automatic = true
		var bestE *Ensemble
		var best Trial
		for f := MinAutoBits; f <= MaxAutoBits; f++ {
			ef, t := try(f)
			rep.Trials = append(rep.Trials, t)
			if ef != nil && (bestE == nil || t.Agree > best.Agree) {
				bestE, best = ef, t
			}
			if good(t) {
				e, chosen = ef, t
				break
			}
		}
		if e == nil {
			if bestE == nil {
				return nil, fmt.Errorf("no leaf scale in 2^%d..2^%d works: %s", MinAutoBits, MaxAutoBits, rep.Trials[len(rep.Trials)-1].Err)
			}
			e, chosen = bestE, best
			rep.Warning = fmt.Sprintf("no leaf scale up to 2^%d keeps every decision equal to float; took 2^%d, which agrees on %d of %d samples", MaxAutoBits, best.ScaleBits, best.Agree, len(xs))
		}
	}
	rep.ScaleBits, rep.QuantCorrect, rep.Agree = chosen.ScaleBits, chosen.Correct, chosen.Agree
	n, err := CheckDecisions(fe, e, xs, s)
	if err != nil {
		return nil, err
	}
	rep.Decisions = n
	rep.Model = e
	rep.Shape = e.Shape.String()
	return rep, nil
}

// CheckDecisions compares, for every sample of xs and every inner node of
// fe, the float comparison with the integer comparison of e (which must be
// Quantize(fe, ...)), and returns how many it compared. A difference is an
// error naming the tree, node and sample.
func CheckDecisions(fe *FloatEnsemble, e *Ensemble, xs [][]int64, s int64) (int64, error) {
	var n int64
	for t := range fe.Trees {
		tr := &fe.Trees[t]
		for j := range tr.Nodes {
			nd := &tr.Nodes[j]
			if nd.Leaf {
				continue
			}
			T, err := IntThreshold(nd.Threshold, nd.Inclusive, fe.Float32, s, e.InputBits)
			if err != nil {
				return n, fmt.Errorf("tree %d node %d: %w", tr.ID, tr.id(j), err)
			}
			for i, x := range xs {
				v := fe.Value(x[nd.Feature], s)
				fl := (nd.Inclusive && v <= nd.Threshold) || (!nd.Inclusive && v < nd.Threshold)
				if fl != (x[nd.Feature] <= T) {
					return n, fmt.Errorf("tree %d node %d, sample %d: the float comparison (%g against %g) and the integer one (%d <= %d) differ", tr.ID, tr.id(j), i, v, nd.Threshold, x[nd.Feature], T)
				}
				n++
			}
		}
	}
	return n, nil
}

func argmax(v []int64) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// Print writes the report for people.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "model          %s (%s)\n", r.Shape, r.Source)
	auto := ""
	if r.Automatic {
		auto = " (automatic)"
	}
	fmt.Fprintf(w, "leaf scale     2^%d%s; features at scale 1/%d, thresholds exact within ±2^%d\n", r.ScaleBits, auto, r.InputScale, r.InputBits)
	if r.Benchmark != "" {
		pct := func(c int64) float64 { return 100 * float64(c) / float64(r.Samples) }
		fmt.Fprintf(w, "benchmark      %s\n", r.Benchmark)
		fmt.Fprintf(w, "float          %d/%d correct (%.2f%%)\n", r.FloatCorrect, r.Samples, pct(r.FloatCorrect))
		fmt.Fprintf(w, "fixed point    %d/%d correct (%.2f%%), agrees with float on %d/%d\n", r.QuantCorrect, r.Samples, pct(r.QuantCorrect), r.Agree, r.Samples)
		fmt.Fprintf(w, "thresholds     %d integer comparisons checked against float on the benchmark: all equal\n", r.Decisions)
	}
	if r.Output != "" {
		fmt.Fprintf(w, "wrote          %s (holds the model: keep it private)\n", r.Output)
	}
}
