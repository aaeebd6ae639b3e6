package circuits

import (
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/circuits/activation"
	"github.com/zkeval/zkeval/circuits/freivalds"
	"github.com/zkeval/zkeval/circuits/internal/fieldint"
	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/internal/testfixture"
	"github.com/zkeval/zkeval/model"
	mact "github.com/zkeval/zkeval/model/activation"
	"github.com/zkeval/zkeval/model/onnx"
)

// actModels are the breast cancer 30-16-2 MLPs of testdata/tabular with
// each hidden activation, and the scale `zkeval model import` chooses for
// them (the smallest keeping every test prediction equal to float).
var actModels = []struct {
	name, kind string
	scale      int
}{
	{"leakyrelu", mact.LeakyRelu, 5},
	{"tanh", mact.Tanh, 4},
	{"sigmoid", mact.Sigmoid, 4},
	{"gelu", mact.Gelu, 5},
	{"gelu_op20", mact.Gelu, 5},
	{"hardswish", mact.HardSwish, 4},
	{"hardsigmoid", mact.HardSigmoid, 4},
	// MNIST 784-16-10 (testdata/models), on the official test images.
	{"mnist_gelu", mact.Gelu, 5},
	{"mnist_tanh", mact.Tanh, 5},
}

// actModel returns the breast cancer MLP with activation name, quantized
// at scale 2^scale, and the first n samples of the test split.
func actModel(t testing.TB, name string, scale, n int) (*model.Model, *benchmark.Benchmark) {
	t.Helper()
	var full *benchmark.Benchmark
	var err error
	file := fmt.Sprintf("../testdata/tabular/breast_cancer_mlp_%s_30_16_2.onnx", name)
	if kind, ok := strings.CutPrefix(name, "mnist_"); ok {
		full, err = benchmark.MNISTTest()
		file = fmt.Sprintf("../testdata/models/mnist_mlp_%s_784_16_10.onnx", kind)
	} else {
		full, err = testfixture.Tabular("../testdata/tabular", "breast_cancer.csv", "breast_cancer.schema.json")
	}
	require.NoError(t, err)
	fm, err := onnx.Import(file)
	require.NoError(t, err)
	m, err := model.Quantize(fm, scale, full.InputScale)
	require.NoError(t, err)
	b, err := full.Prefix(n)
	require.NoError(t, err)
	return m, b
}

// TestActivationsNativeMatchCircuit runs each real model on test samples
// inside the compiled constraint system and checks, value for value, that
// the activation outputs the circuit feeds to the second layer, the second
// layer's accumulators and the predictions equal model.Eval's, and that
// the exact count is the only one accepted.
func TestActivationsNativeMatchCircuit(t *testing.T) {
	for _, am := range actModels {
		t.Run(am.name, func(t *testing.T) {
			m, b := actModel(t, am.name, am.scale, 12)
			require.Equal(t, am.kind, m.Layers[0].Act.Kind)
			spec, err := NewSpec(m, b, accuracy(">=", true))
			require.NoError(t, err)
			var correct int64
			var traces []*model.Trace
			memo := mact.NewMemo(m.Layers[0].Act, m.LayerScale(0))
			for s, x := range b.X {
				tr, err := m.EvalTrace(x)
				require.NoError(t, err)
				traces = append(traces, tr)
				if model.Argmax(tr.Out) == b.Labels[s] {
					correct++
				}
			}
			salt := big.NewInt(11)
			cm, err := commitment.Commit(m, salt)
			require.NoError(t, err)
			cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, New(spec))
			require.NoError(t, err)
			w, err := frontend.NewWitness(assignModel(&fixture{spec: spec, commit: cm}, m, salt, correct, correct), ecc.BN254.ScalarField())
			require.NoError(t, err)

			var mu sync.Mutex
			var dense [][]int64 // inputs of the second layer's dense hint
			var shifted []int64 // inputs of the rescale hint (after the shift)
			field := ecc.BN254.ScalarField()
			signed := func(vs []*big.Int) []int64 {
				out := make([]int64, len(vs))
				for i, v := range vs {
					x, err := fieldint.ToSigned(field, v)
					if err != nil {
						panic(err)
					}
					out[i] = x
				}
				return out
			}
			_, err = cs.Solve(w,
				solver.OverrideHint(solver.GetHintID(freivalds.DenseHint), func(f *big.Int, in, out []*big.Int) error {
					mu.Lock()
					dense = append(dense, signed(in))
					mu.Unlock()
					return freivalds.DenseHint(f, in, out)
				}),
				solver.OverrideHint(solver.GetHintID(activation.FloorShiftHint), func(f *big.Int, in, out []*big.Int) error {
					mu.Lock()
					shifted = append(shifted, signed(in[1:])...)
					mu.Unlock()
					return activation.FloorShiftHint(f, in, out)
				}))
			require.NoError(t, err)

			// The dense hint of layer 1 reads [in, out, n, W, b, a]: a is
			// the activation outputs, sample by sample.
			require.Len(t, dense, 1)
			in, out := m.Layers[1].In(), m.Layers[1].Out()
			a := dense[0][3+in*out+out:]
			require.Len(t, a, b.Len()*in)
			for s, tr := range traces {
				var want []int64
				for _, v := range tr.Acc[0] {
					want = append(want, memo.Apply(v))
				}
				require.Equal(t, want, a[s*in:(s+1)*in], "sample %d: activation outputs differ between circuit and model.Eval", s)
			}
			// The rescale (table kinds) and LeakyRelu's quotient read
			// the accumulators (or their scaled negative parts).
			require.NotEmpty(t, shifted)
			if m.Layers[0].Act.IsTable() {
				var acc []int64
				for _, tr := range traces {
					acc = append(acc, tr.Acc[0]...)
				}
				require.ElementsMatch(t, acc, shifted)
			}
			for _, bad := range []int64{correct - 1, correct + 1} {
				w, err := frontend.NewWitness(assignModel(&fixture{spec: spec, commit: cm}, m, salt, bad, bad), ecc.BN254.ScalarField())
				require.NoError(t, err)
				_, err = cs.Solve(w)
				require.Error(t, err)
			}
		})
	}
}

// TestActivationTableBoundEnforced: the table's index range is the bound
// the circuit enforces on a table layer's accumulators. With the range
// ending exactly at the largest index the samples reach, the model is
// proven; with the range one index shorter (that accumulator one past the
// bound) the lookup refuses it; likewise at the bottom.
func TestActivationTableBoundEnforced(t *testing.T) {
	m, b := actModel(t, "tanh", 4, 12)
	spec, err := NewSpec(m, b, accuracy(">=", false))
	require.NoError(t, err)
	sh := uint(m.Layers[0].Act.Shift)
	qlo, qhi := int64(1)<<62, int64(-1)<<62
	for _, x := range b.X {
		tr, err := m.EvalTrace(x)
		require.NoError(t, err)
		for _, v := range tr.Acc[0] {
			qlo, qhi = min(qlo, v>>sh), max(qhi, v>>sh)
		}
	}
	salt := big.NewInt(3)
	cm, err := commitment.Commit(m, salt)
	require.NoError(t, err)
	solveWith := func(r Range) error {
		sp := *spec
		sp.ActTable = []Range{r, {}}
		require.NoError(t, sp.Validate())
		cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, New(&sp))
		require.NoError(t, err)
		w, err := frontend.NewWitness(assignModel(&fixture{spec: &sp, commit: cm}, m, salt, 0, 0), ecc.BN254.ScalarField())
		require.NoError(t, err)
		_, err = cs.Solve(w)
		return err
	}
	require.NoError(t, solveWith(Range{Lo: qlo, Hi: qhi}))
	require.Error(t, solveWith(Range{Lo: qlo, Hi: qhi - 1}), "an accumulator one index past Hi must fail the lookup")
	require.Error(t, solveWith(Range{Lo: qlo + 1, Hi: qhi}), "an accumulator one index below Lo must fail the lookup")
}

// TestMeasureTablesMatchesSpec: the table sizes import reports are those
// of the circuit's spec, and a model whose table passes the limit fails
// both with the same *ActTableError.
func TestMeasureTablesMatchesSpec(t *testing.T) {
	m, b := actModel(t, "tanh", 4, 12)
	spec, err := NewSpec(m, b, accuracy(">=", false))
	require.NoError(t, err)
	bits, entries, err := MeasureTables(m, b)
	require.NoError(t, err)
	want, err := MeasureAccBits(m, b)
	require.NoError(t, err)
	require.Equal(t, want, bits)
	require.Equal(t, []int64{spec.ActTable[0].Entries(), 0}, entries)

	// Shrink the shift until the same accumulators need more than 2^17
	// entries.
	wide := *m
	wide.Layers = slices.Clone(m.Layers)
	act := *m.Layers[0].Act
	act.Shift = 0
	wide.Layers[0].Act = &act
	wide.PrepareActivations()
	_, _, err = MeasureTables(&wide, b)
	var te *ActTableError
	require.True(t, errors.As(err, &te), "MeasureTables: %v", err)
	require.Greater(t, te.Entries, int64(1)<<desc.MaxActTableBits)
	_, err = NewSpec(&wide, b, accuracy(">=", false))
	var te2 *ActTableError
	require.True(t, errors.As(err, &te2), "NewSpec: %v", err)
	require.Equal(t, *te, *te2)
}
