// Package quantize chooses a model's fixed-point scale and reports what
// quantization costs: float accuracy, quantized accuracy, their agreement,
// and the bit widths per layer that the circuit will range-check.
package quantize

import (
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/model"
)

// Automatic scale search range and tolerance.
const (
	MinAutoBits     = 4
	MaxAutoBits     = 16
	DefaultBits     = 8
	DefaultInput    = 255
	ToleranceCounts = 5 // per 10,000 samples: 0.05 percentage points
	// FullAgreementBelow is the benchmark size below which the automatic
	// scale must keep every decision equal to float: there a single changed
	// decision moves accuracy by more than 0.1 percentage points, and equal
	// accuracy counts can hide changed decisions that cancel out.
	FullAgreementBelow = 1000
)

// Errors of Run about a model that does not fit the benchmark's classes;
// test with errors.Is.
var (
	// ErrClassCount: the model's output count differs from the
	// benchmark's class count.
	ErrClassCount = errors.New("the model's outputs do not match the benchmark's classes")
	// ErrClassNames: the model names its classes (an ONNX-ML classifier's
	// class labels) and they are not the benchmark's, in its order.
	ErrClassNames = errors.New("the model's class labels are not the benchmark's")
)

// Options for Run. Zero values mean automatic.
type Options struct {
	ScaleBits  int
	InputScale int64
}

// LayerReport gives one layer's widths: WeightBits and BiasBits are two's
// complement widths; AccBits is the measured width of |acc| on the
// benchmark (0 without one) and WorstBits the worst case over all inputs in
// the feature range.
type LayerReport struct {
	Name string `json:"name"`
	In   int    `json:"in"`
	Out  int    `json:"out"`
	ReLU bool   `json:"relu"`
	// Activation is the layer's activation other than ReLU (package
	// model/activation), empty for none or ReLU.
	Activation string `json:"activation,omitempty"`
	WeightBits int    `json:"weightBits"`
	BiasBits   int    `json:"biasBits"`
	AccBits    int    `json:"accumulatorBits,omitempty"`
	// WorstBits: the worst case over every input in the report's
	// WorstFeatures range, with the quantized weights themselves (not the
	// bound the circuit enforces, which zkeval circuit prints).
	WorstBits int `json:"worstCaseBits"`
	// ActivationRule says in words what the circuit computes for the
	// activation (Activation): LeakyRelu's rounded slope, or a table's
	// input step and output rounding.
	ActivationRule string `json:"activationRule,omitempty"`
	// LeakySlope and LeakyAlpha, for LeakyRelu: the model's float slope
	// and its rounding Alpha (the slope becomes Alpha/2^16).
	LeakySlope float64 `json:"leakySlope,omitempty"`
	LeakyAlpha int64   `json:"leakyAlpha,omitempty"`
	// TableShift and TableOutBits, for a table activation: the index is
	// floor(acc/2^TableShift), the output at scale 2^TableOutBits.
	TableShift   *int `json:"tableShift,omitempty"`
	TableOutBits int  `json:"tableOutBits,omitempty"`
	// TableEntries: the entries the table needs for the benchmark's
	// accumulators (0 without a benchmark: setup checks the size).
	TableEntries int64 `json:"tableEntries,omitempty"`
}

// Trial is the accuracy at one scale.
type Trial struct {
	ScaleBits int    `json:"scaleBits"`
	Correct   int64  `json:"correct"`
	Agree     int64  `json:"agree"`
	Err       string `json:"error,omitempty"`
	// TableTooLarge: Err is an activation table beyond
	// 2^desc.MaxActTableBits entries.
	TableTooLarge bool `json:"tableTooLarge,omitempty"`
	err           error
}

// Report is the result of Run.
type Report struct {
	Model        *model.Model `json:"-"`
	Output       string       `json:"output,omitempty"`
	Shape        string       `json:"architecture"`
	ScaleBits    int          `json:"scaleBits"`
	InputScale   int64        `json:"inputScale"`
	Automatic    bool         `json:"automatic"`
	Benchmark    string       `json:"benchmark,omitempty"`
	Samples      int          `json:"samples,omitempty"`
	FloatCorrect int64        `json:"floatCorrect,omitempty"`
	QuantCorrect int64        `json:"quantizedCorrect,omitempty"`
	Agree        int64        `json:"agreement,omitempty"`
	// Spatial are a convolutional network's convolution and pooling
	// layers, before Layers; empty for an MLP.
	Spatial []SpatialReport `json:"spatial,omitempty"`
	Layers  []LayerReport   `json:"layers"`
	Trials  []Trial         `json:"trials,omitempty"`
	Warning string          `json:"warning,omitempty"`
	// ClassNames are the benchmark's classes in class id order: output k of
	// the model is scored as class k.
	ClassNames []string `json:"classNames,omitempty"`
	// MajorityCorrect is what always predicting the most frequent class
	// (MajorityClass) would score; LabelWarning is set when float accuracy
	// is below it, the usual sign that the model's class order or feature
	// order is not the benchmark's.
	MajorityClass   string `json:"majorityClass,omitempty"`
	MajorityCorrect int64  `json:"majorityCorrect,omitempty"`
	LabelWarning    string `json:"labelWarning,omitempty"`
	// Import lists what the importer folded or dropped (set by the caller
	// from the float model's Steps).
	Import []model.ImportStep `json:"import,omitempty"`
	// FullAgreement reports that the automatic scale was chosen to keep
	// every prediction equal to float (benchmarks of fewer than
	// FullAgreementBelow samples).
	FullAgreement bool `json:"fullAgreementRequired,omitempty"`
	// WorstFeatures is the feature range [lo, hi] (integers at scale
	// 1/InputScale) over which WorstBits are computed: the benchmark's, or
	// [0, InputScale] (features in [0, 1]) without one.
	WorstFeatures [2]int64 `json:"worstCaseFeatureRange"`
	// tables are the entries per layer measured on the benchmark.
	tables []int64
	fm     *model.FloatModel
}

// Run quantizes fm. With a benchmark b it measures accuracy, and when
// opt.ScaleBits is 0 it picks the smallest scale in [MinAutoBits,
// MaxAutoBits] whose quantized accuracy is within 0.05 percentage points of
// float accuracy; for a benchmark of fewer than FullAgreementBelow samples
// (small tabular test splits, say), the smallest scale whose quantized
// predictions all equal the float model's. When no scale qualifies it takes
// the one with the highest agreement, and a Warning says so. Without b, the
// scale defaults to DefaultBits and the input scale to DefaultInput.
func Run(fm *model.FloatModel, b *benchmark.Benchmark, opt Options) (*Report, error) {
	in := opt.InputScale
	if in == 0 {
		in = DefaultInput
		if b != nil {
			in = b.InputScale
		}
	}
	if b != nil && in != b.InputScale {
		return nil, fmt.Errorf("--input-scale %d differs from the benchmark's feature scale 1/%d", in, b.InputScale)
	}
	if b != nil && fm.InputSize != b.NumFeatures {
		return nil, fmt.Errorf("the model takes %d input features but benchmark %s has %d", fm.InputSize, b, b.NumFeatures)
	}
	if b != nil {
		if err := checkClasses(fm, b); err != nil {
			return nil, err
		}
	}
	// Errors of structure first: no scale fixes them.
	if err := fm.CheckActivations(); err != nil {
		return nil, err
	}
	rep := &Report{InputScale: in, fm: fm}
	if b == nil {
		f := opt.ScaleBits
		if f == 0 {
			f = DefaultBits
			rep.Automatic = true
		}
		m, err := model.Quantize(fm, f, in)
		if err != nil {
			return nil, err
		}
		rep.Model, rep.ScaleBits = m, f
		// Features are taken in [0, 1]: integers 0 to the input scale.
		return rep, rep.fillLayers(nil, 0, in)
	}

	rep.Benchmark, rep.Samples, rep.ClassNames = b.String(), b.Len(), b.ClassNames
	floatPred := make([]int, b.Len())
	x := make([]float64, b.NumFeatures)
	for s, xs := range b.X {
		for i, v := range xs {
			x[i] = float64(v) / float64(in)
		}
		y, err := fm.Forward(x)
		if err != nil {
			return nil, fmt.Errorf("sample %d: %w", s, err)
		}
		floatPred[s] = model.Argmax(y)
		if floatPred[s] == b.Labels[s] {
			rep.FloatCorrect++
		}
	}
	rep.majority(b)
	tol := int64(ToleranceCounts) * int64(b.Len()) // in units of 1/10000
	within := func(c int64) bool {
		d := (c - rep.FloatCorrect) * 10000
		if d < 0 {
			d = -d
		}
		return d <= tol
	}
	full := b.Len() < FullAgreementBelow
	good := func(t Trial) bool {
		if full {
			return t.Agree == int64(b.Len())
		}
		return within(t.Correct)
	}
	try := func(f int) (*model.Model, Trial) {
		t := Trial{ScaleBits: f}
		m, err := model.Quantize(fm, f, in)
		if err == nil {
			_, _, err = circuits.MeasureTables(m, b)
		}
		if err != nil {
			var te *circuits.ActTableError
			t.err, t.Err, t.TableTooLarge = err, err.Error(), errors.As(err, &te)
			return nil, t
		}
		for s, xs := range b.X {
			out, _ := m.Eval(xs)
			p := model.Argmax(out)
			if p == b.Labels[s] {
				t.Correct++
			}
			if p == floatPred[s] {
				t.Agree++
			}
		}
		return m, t
	}
	var chosen *model.Model
	var ct Trial
	if opt.ScaleBits != 0 {
		chosen, ct = try(opt.ScaleBits)
		rep.Trials = append(rep.Trials, ct)
		if chosen == nil {
			return nil, fmt.Errorf("scale 2^%d: %w", opt.ScaleBits, ct.err)
		}
		if !within(ct.Correct) {
			rep.Warning = fmt.Sprintf("at scale 2^%d quantized accuracy %d/%d differs from float %d/%d by more than 0.05 percentage points; try a larger --scale-bits", ct.ScaleBits, ct.Correct, b.Len(), rep.FloatCorrect, b.Len())
		}
	} else {
		rep.Automatic = true
		var best *model.Model
		var bt Trial
		var stop *Trial // the first scale that failed
		for f := MinAutoBits; f <= MaxAutoBits; f++ {
			m, t := try(f)
			rep.Trials = append(rep.Trials, t)
			if m == nil {
				// Larger scales only grow the accumulators and the
				// activation tables.
				stop = &t
				break
			}
			if best == nil || t.Agree > bt.Agree {
				best, bt = m, t
			}
			if good(t) {
				chosen, ct = m, t
				break
			}
		}
		if chosen == nil {
			if best == nil {
				if rep.Trials[0].TableTooLarge {
					return nil, fmt.Errorf("no scale in [%d, %d] keeps the model's activation tables within 2^%d entries: at 2^%d, %w", MinAutoBits, MaxAutoBits, desc.MaxActTableBits, MinAutoBits, rep.Trials[0].err)
				}
				return nil, fmt.Errorf("no scale in [%d, %d] keeps the model's accumulators within 2^%d: %w", MinAutoBits, MaxAutoBits, model.MaxAccumulatorBits, rep.Trials[0].err)
			}
			chosen, ct = best, bt
			if full {
				rep.Warning = fmt.Sprintf("no scale in [%d, %d] keeps every quantized prediction equal to float on this benchmark of %d samples; using 2^%d, the one with the highest agreement (%d/%d)", MinAutoBits, MaxAutoBits, b.Len(), ct.ScaleBits, ct.Agree, b.Len())
			} else {
				rep.Warning = fmt.Sprintf("no scale in [%d, %d] keeps quantized accuracy within 0.05 percentage points of float (%d/%d); using 2^%d, the one with the highest agreement (%d/%d)", MinAutoBits, MaxAutoBits, rep.FloatCorrect, b.Len(), ct.ScaleBits, ct.Agree, b.Len())
			}
			if stop != nil {
				rep.Warning += fmt.Sprintf("; scales 2^%d and above were skipped: %s", stop.ScaleBits, stop.Err)
			}
		}
		rep.FullAgreement = full
	}
	rep.Model, rep.ScaleBits, rep.QuantCorrect, rep.Agree = chosen, ct.ScaleBits, ct.Correct, ct.Agree
	acc, tables, err := circuits.MeasureTables(chosen, b)
	if err != nil {
		return nil, err
	}
	rep.tables = tables
	lo, hi := b.FeatureRange()
	return rep, rep.fillLayers(acc, lo, hi)
}

// checkClasses refuses a model whose outputs cannot be the benchmark's
// classes: another count, or class labels of its own in another order.
func checkClasses(fm *model.FloatModel, b *benchmark.Benchmark) error {
	if len(fm.Layers) == 0 {
		return errors.New("quantize: the model has no dense layer")
	}
	n := len(fm.Layers[len(fm.Layers)-1].W)
	if n != len(b.ClassNames) {
		return fmt.Errorf("%w: the model has %d outputs but benchmark %s has %d classes (%s); a classifier for it needs one output per class, in this order, or a single logit for 2 classes",
			ErrClassCount, n, b, len(b.ClassNames), ClassList(b.ClassNames))
	}
	if fm.ClassLabels == nil || slices.Equal(fm.ClassLabels, b.ClassNames) {
		return nil
	}
	indices := true // labels 0..n-1 are class ids, not names
	for k, l := range fm.ClassLabels {
		if l != strconv.Itoa(k) {
			indices = false
		}
	}
	if indices {
		return nil
	}
	hint := "retrain the model on labels in the benchmark's order"
	if slices.Equal(slices.Sorted(slices.Values(fm.ClassLabels)), slices.Sorted(slices.Values(b.ClassNames))) {
		hint = "import the benchmark with the model's order (for CSV: --classes " + strings.Join(fm.ClassLabels, ",") + "; with a schema, list its classes in that order)"
	}
	return fmt.Errorf("%w: the model's class labels are %s, in this order, but benchmark %s has classes %s; %s",
		ErrClassNames, ClassList(fm.ClassLabels), b.Name+"/"+b.Split, ClassList(b.ClassNames), hint)
}

// ClassList writes class names with their ids: "0=good, 1=bad".
func ClassList(names []string) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%d=%s", i, n)
	}
	return strings.Join(parts, ", ")
}

// majority sets the majority-class figures and, when float accuracy is
// below them, LabelWarning.
func (r *Report) majority(b *benchmark.Benchmark) {
	counts := make([]int64, len(b.ClassNames))
	for _, l := range b.Labels {
		counts[l]++
	}
	best := 0
	for k, c := range counts {
		if c > counts[best] {
			best = k
		}
	}
	r.MajorityClass, r.MajorityCorrect = b.ClassNames[best], counts[best]
	if r.FloatCorrect < r.MajorityCorrect {
		r.LabelWarning = fmt.Sprintf("float accuracy %d/%d (%s) is below the majority-class rate %d/%d (%s, always predicting %q): the model's class order or feature order is probably not the benchmark's. The benchmark's classes are %s; output k of the model is scored as class k. Check the label order the model was trained with (for a CSV benchmark, fix it with --classes) and the feature order",
			r.FloatCorrect, b.Len(), pct(r.FloatCorrect, b.Len()), r.MajorityCorrect, b.Len(), pct(r.MajorityCorrect, b.Len()), r.MajorityClass, ClassList(b.ClassNames))
	}
}

func (r *Report) fillLayers(acc []int, lo, hi int64) error {
	m := r.Model
	sworst, worst, err := m.CheckAllBounds(lo, hi)
	if err != nil {
		return err
	}
	r.WorstFeatures = [2]int64{lo, hi}
	sh := m.Shape()
	r.Shape = sh.String()
	r.fillSpatial(sh, sworst)
	for l, ls := range sh.Layers {
		lr := LayerReport{Name: m.Layers[l].Name, In: ls.In, Out: ls.Out, ReLU: ls.ReLU, WeightBits: ls.WeightBits, BiasBits: ls.BiasBits, WorstBits: worst[l]}
		if ls.Act != nil {
			lr.Activation = ls.Act.Kind
			r.describeActivation(l, &lr)
		}
		if acc != nil {
			lr.AccBits = acc[l]
		}
		r.Layers = append(r.Layers, lr)
	}
	return nil
}

func pct(c int64, n int) string {
	v := new(big.Rat).SetFrac64(c*100, int64(n))
	return v.FloatString(2) + "%"
}

// FewSamples is the benchmark size below which Print notes that an
// automatic scale was chosen on too few samples to say much.
const FewSamples = 100

// Print writes the report for people.
func (r *Report) Print(w io.Writer) {
	if r.Output != "" {
		fmt.Fprintf(w, "wrote %s (secret: it holds the quantized weights)\n", r.Output)
	}
	how := "given"
	switch {
	case r.Automatic && r.Samples > 0 && r.Warning != "" && r.FullAgreement:
		how = "automatic: none kept every prediction equal to float, so the one with the highest agreement"
	case r.Automatic && r.Samples > 0 && r.Warning != "":
		how = "automatic: none was within 0.05 points of float accuracy, so the one with the highest agreement"
	case r.Automatic && r.Samples > 0 && r.FullAgreement:
		how = fmt.Sprintf("automatic: the smallest that keeps every prediction equal to float, as required below %d samples", FullAgreementBelow)
	case r.Automatic && r.Samples > 0:
		how = "automatic: the smallest within 0.05 points of float accuracy"
	case r.Automatic:
		how = "default; give --benchmark to choose it from accuracy"
	}
	fmt.Fprintf(w, "model        %s\n", r.Shape)
	fmt.Fprintf(w, "scale        2^%d (%s)\n", r.ScaleBits, how)
	if r.Automatic && r.Samples > 0 && r.Samples < FewSamples {
		fmt.Fprintf(w, "NOTE         the scale was chosen on %d samples only, which says little about other data: check it on a whole benchmark (zkeval model check MODEL --benchmark FILE --scale-bits %d), or give --scale-bits\n", r.Samples, r.ScaleBits)
	}
	if r.Samples > 0 {
		fmt.Fprintf(w, "benchmark    %s\n", r.Benchmark)
		fmt.Fprintf(w, "classes      %s (output k is class k)\n", ClassList(r.ClassNames))
		fmt.Fprintf(w, "float        %d/%d correct (%s)\n", r.FloatCorrect, r.Samples, pct(r.FloatCorrect, r.Samples))
		fmt.Fprintf(w, "quantized    %d/%d correct (%s)\n", r.QuantCorrect, r.Samples, pct(r.QuantCorrect, r.Samples))
		fmt.Fprintf(w, "agreement    %d/%d predictions equal to float (%s)\n", r.Agree, r.Samples, pct(r.Agree, r.Samples))
		fmt.Fprintf(w, "majority     %d/%d (%s) by always predicting %q\n", r.MajorityCorrect, r.Samples, pct(r.MajorityCorrect, r.Samples), r.MajorityClass)
		if r.LabelWarning != "" {
			fmt.Fprintf(w, "WARNING      %s\n", r.LabelWarning)
		}
		if len(r.Trials) > 1 {
			fmt.Fprintf(w, "scales tried")
			for _, t := range r.Trials {
				if t.TableTooLarge {
					fmt.Fprintf(w, "  2^%d: activation table over 2^%d entries", t.ScaleBits, desc.MaxActTableBits)
				} else if t.Err != "" {
					fmt.Fprintf(w, "  2^%d: out of range", t.ScaleBits)
				} else {
					fmt.Fprintf(w, "  2^%d: %d", t.ScaleBits, t.Correct)
				}
			}
			fmt.Fprintln(w)
		}
	}
	r.printSpatial(w)
	fmt.Fprintf(w, "layer  shape      activation   weight bits  bias bits  |acc| bits (benchmark)  |acc| bits (worst case*)\n")
	for l, lr := range r.Layers {
		acc := "-"
		if lr.AccBits > 0 {
			acc = fmt.Sprint(lr.AccBits)
		}
		act := "-"
		switch {
		case lr.ReLU:
			act = "relu"
		case lr.Activation != "":
			act = lr.Activation
		}
		fmt.Fprintf(w, "%-5d  %-9s  %-11s  %-11d  %-9d  %-22s  %d\n", l, fmt.Sprintf("%dx%d", lr.Out, lr.In), act, lr.WeightBits, lr.BiasBits, acc, lr.WorstBits)
	}
	from := "the benchmark's feature range"
	if r.Samples == 0 {
		from = "features assumed in [0, 1] (no benchmark given)"
	}
	fmt.Fprintf(w, "* worst case with these weights over %s: integers [%d, %d] at scale 1/%d; zkeval circuit prints the bound the circuit enforces and the worst case from the description's published widths\n",
		from, r.WorstFeatures[0], r.WorstFeatures[1], r.InputScale)
	for l, lr := range r.Layers {
		if lr.ActivationRule != "" {
			fmt.Fprintf(w, "activation   layer %d %s: %s\n", l, lr.Activation, lr.ActivationRule)
		}
	}
}
