package circuits

import (
	"fmt"
	"math/big"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/circuits/argmax"
	"github.com/zkeval/zkeval/circuits/freivalds"
	"github.com/zkeval/zkeval/circuits/internal/fieldint"
	"github.com/zkeval/zkeval/circuits/relu"
	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/model/onnx"
)

// mnistTiny returns the real 784-8-10 MLP quantized at scale 2^8 and the
// first n official MNIST test images.
func mnistTiny(t *testing.T, n int) (*model.Model, *benchmark.Benchmark) {
	t.Helper()
	fm, err := onnx.Import("../testdata/models/mnist_mlp_784_8_10.onnx")
	require.NoError(t, err)
	m, err := model.Quantize(fm, 8, 255)
	require.NoError(t, err)
	full, err := benchmark.MNISTTest()
	require.NoError(t, err)
	b, err := full.Prefix(n)
	require.NoError(t, err)
	return m, b
}

// TestNativeMatchesCircuitOnMNIST runs the real 784-8-10 MLP (trained with
// PyTorch, exported to ONNX) on the first official MNIST test images, inside
// the constraint system solver, and checks that every accumulator the
// circuit computes and every prediction it makes equal the native
// fixed-point inference, value for value.
func TestNativeMatchesCircuitOnMNIST(t *testing.T) {
	m, b := mnistTiny(t, 40)
	spec, err := NewSpec(m, b, accuracy(">=", true))
	require.NoError(t, err)

	var correct int64
	var traces []*model.Trace
	for s, x := range b.X {
		tr, err := m.EvalTrace(x)
		require.NoError(t, err)
		traces = append(traces, tr)
		if model.Argmax(tr.Out) == b.Labels[s] {
			correct++
		}
	}
	require.Greater(t, correct, int64(30), "the real model should classify most of these images")

	salt := big.NewInt(7)
	cm, err := commitment.Commit(m, salt)
	require.NoError(t, err)
	cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, New(spec))
	require.NoError(t, err)
	w, err := frontend.NewWitness(assignModel(&fixture{spec: spec, commit: cm}, m, salt, correct, correct), ecc.BN254.ScalarField())
	require.NoError(t, err)

	// Record what the hints receive and return while the solver checks
	// every constraint; the solve succeeding means these values are the
	// constrained ones. The first layer's accumulators are linear
	// combinations (no hint): they reach the ReLU sign hint as its inputs.
	type call struct{ in, out []int64 }
	var mu sync.Mutex
	calls := map[string][]call{}
	field := ecc.BN254.ScalarField()
	record := func(name string, h solver.Hint) solver.Option {
		return solver.OverrideHint(solver.GetHintID(h), func(f *big.Int, in, out []*big.Int) error {
			if err := h(f, in, out); err != nil {
				return err
			}
			c := call{}
			for _, v := range in {
				x, err := fieldint.ToSigned(field, v)
				if err != nil {
					return err
				}
				c.in = append(c.in, x)
			}
			for _, v := range out {
				x, err := fieldint.ToSigned(field, v)
				if err != nil {
					return err
				}
				c.out = append(c.out, x)
			}
			mu.Lock()
			calls[name] = append(calls[name], c)
			mu.Unlock()
			return nil
		})
	}
	require.Equal(t, ReLURange, spec.ReLU[0], "this test reads the first layer through the ReLU sign hint")
	_, err = cs.Solve(w, record("dense", freivalds.DenseHint), record("relu", relu.SignHint), record("argmax", argmax.Hint))
	require.NoError(t, err)

	key := func(v []int64) string { return fmt.Sprint(v) }
	// First layer: one ReLU hint call per sample, inputs = accumulators.
	want := map[string]int{}
	for _, tr := range traces {
		want[key(tr.Acc[0])]++
	}
	require.Equal(t, b.Len(), len(calls["relu"]))
	for _, c := range calls["relu"] {
		want[key(c.in)]--
	}
	for k, v := range want {
		require.Zero(t, v, "first-layer accumulators %s differ between circuit and native code", k)
	}
	// Second layer: one freivalds.DenseHint call for all 40 samples, [n][out].
	require.Equal(t, 1, len(calls["dense"]))
	out := calls["dense"][0].out
	width := m.Layers[1].Out()
	require.Equal(t, b.Len()*width, len(out))
	for s := 0; s < b.Len(); s++ {
		require.Equal(t, traces[s].Acc[1], out[s*width:(s+1)*width], "sample %d", s)
	}
	// Argmax: one call per sample; inputs are the outputs, and the one-hot
	// marks the native prediction.
	preds := map[string]int{}
	for _, tr := range traces {
		preds[key(append(append([]int64{}, tr.Out...), int64(model.Argmax(tr.Out))))]++
	}
	require.Equal(t, b.Len(), len(calls["argmax"]))
	for _, c := range calls["argmax"] {
		p := -1
		for j, v := range c.out {
			if v == 1 {
				p = j
			}
		}
		preds[key(append(append([]int64{}, c.in...), int64(p)))]--
	}
	for k, v := range preds {
		require.Zero(t, v, "prediction %s differs between circuit and native code", k)
	}
	// And the exact count is what the circuit accepts: one more or one less
	// fails.
	for _, bad := range []int64{correct - 1, correct + 1} {
		w, err := frontend.NewWitness(assignModel(&fixture{spec: spec, commit: cm}, m, salt, bad, bad), ecc.BN254.ScalarField())
		require.NoError(t, err)
		_, err = cs.Solve(w)
		require.Error(t, err)
	}
}
