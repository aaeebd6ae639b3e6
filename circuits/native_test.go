package circuits

import (
	"math/big"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/model"
)

// TestNativeMatchesCircuitOnMNIST runs the real 784-8-10 MLP (trained with
// PyTorch, exported to ONNX) on the first official MNIST test images, inside
// the constraint system solver, and checks that every accumulator the
// circuit computes and every prediction it makes equal the native
// fixed-point inference, value for value.
func TestNativeMatchesCircuitOnMNIST(t *testing.T) {
	fm, err := model.ImportONNX("../testdata/models/mnist_mlp_784_8_10.onnx")
	require.NoError(t, err)
	m, err := model.Quantize(fm, 8, 255)
	require.NoError(t, err)
	full, err := benchmark.MNISTTest()
	require.NoError(t, err)
	b, err := full.Prefix(40)
	require.NoError(t, err)
	spec, err := NewSpec(m, b, ClaimShape{Metric: "accuracy", Comparison: AtLeast, Reveal: true})
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
	w, err := frontend.NewWitness(Assignment(spec, m, salt, cm, correct, correct), ecc.BN254.ScalarField())
	require.NoError(t, err)

	// Record what the hints return while the solver checks every
	// constraint; the solve succeeding means these values are the
	// constrained ones.
	var mu sync.Mutex
	var dense [][]*big.Int
	var onehot [][]*big.Int
	record := func(h solver.Hint, into *[][]*big.Int) solver.Hint {
		return func(field *big.Int, in, out []*big.Int) error {
			if err := h(field, in, out); err != nil {
				return err
			}
			cp := make([]*big.Int, len(out))
			for i := range out {
				cp[i] = new(big.Int).Set(out[i])
			}
			mu.Lock()
			*into = append(*into, cp)
			mu.Unlock()
			return nil
		}
	}
	_, err = cs.Solve(w,
		solver.OverrideHint(solver.GetHintID(DenseHint), record(DenseHint, &dense)),
		solver.OverrideHint(solver.GetHintID(ArgmaxHint), record(ArgmaxHint, &onehot)))
	require.NoError(t, err)

	field := ecc.BN254.ScalarField()
	// One DenseHint call per layer (40 samples fit one chunk).
	require.Len(t, dense, 2)
	seen := map[int]bool{}
	for _, out := range dense {
		width := len(out) / b.Len()
		l := 0
		if width == m.Layers[1].Out() {
			l = 1
		}
		seen[l] = true
		for s := 0; s < b.Len(); s++ {
			for o := 0; o < width; o++ {
				got, err := toSigned(field, out[s*width+o])
				require.NoError(t, err)
				require.Equal(t, traces[s].Acc[l][o], got, "layer %d sample %d output %d", l, s, o)
			}
		}
	}
	require.True(t, seen[0] && seen[1])
	require.Len(t, onehot, b.Len())
	// Argmax hints run in sample order only if the solver is sequential;
	// match them as a multiset of native predictions instead.
	counts := map[int]int{}
	for _, tr := range traces {
		counts[model.Argmax(tr.Out)]++
	}
	for _, oh := range onehot {
		for j, v := range oh {
			if v.Sign() != 0 {
				counts[j]--
			}
		}
	}
	for j, c := range counts {
		require.Zero(t, c, "class %d: circuit and native predictions differ", j)
	}
	// And the exact count is what the circuit accepts: one more or one less
	// fails.
	for _, bad := range []int64{correct - 1, correct + 1} {
		w, err := frontend.NewWitness(Assignment(spec, m, salt, cm, bad, bad), ecc.BN254.ScalarField())
		require.NoError(t, err)
		_, err = cs.Solve(w)
		require.Error(t, err)
	}
}
