package circuits

import (
	"fmt"
	"math/big"
	"os"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/circuits/argmax"
	"github.com/zkeval/zkeval/circuits/conv"
	"github.com/zkeval/zkeval/circuits/internal/fieldint"
	"github.com/zkeval/zkeval/circuits/pool"
	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/internal/testfixture"
	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/model/onnx"
)

// lenet returns the LeNet-5 of testdata/cnn quantized at 2^7 (the scale
// `model import` picks on the MNIST test set) and the first n MNIST test
// images.
func lenet(t *testing.T, n int) (*model.Model, *benchmark.Benchmark) {
	t.Helper()
	fm, err := onnx.Import("../testdata/cnn/mnist_lenet5.onnx")
	require.NoError(t, err)
	m, err := model.Quantize(fm, 7, 255)
	require.NoError(t, err)
	b, err := benchmark.MNISTTest()
	require.NoError(t, err)
	b, err = b.Prefix(n)
	require.NoError(t, err)
	return m, b
}

// TestLeNetCircuitMatchesNative compiles the evaluation circuit of the
// LeNet-5 on the first 3 MNIST test images and solves it: every
// convolution accumulator and max-pooled value the circuit's hints supply
// (and the solve constrains) equals the native integer evaluation, the
// exact count is accepted and one more is not, and a tampered convolution
// or maximum hint fails.
func TestLeNetCircuitMatchesNative(t *testing.T) {
	const n = 3
	m, b := lenet(t, n)
	spec, err := NewSpec(m, b, accuracy(">=", true))
	require.NoError(t, err)
	require.Len(t, spec.SpatialAccBits, 4)
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
	salt := big.NewInt(99)
	cm, err := commitment.Commit(m, salt)
	require.NoError(t, err)
	field := ecc.BN254.ScalarField()
	cs, err := frontend.Compile(field, r1cs.NewBuilder, New(spec))
	require.NoError(t, err)
	t.Logf("LeNet-5, %d images: %d constraints", n, cs.GetNbConstraints())
	f := &fixture{spec: spec, commit: cm}
	w, err := frontend.NewWitness(assignModel(f, m, salt, correct, correct), field)
	require.NoError(t, err)

	var mu sync.Mutex
	outs := map[string][][]int64{}
	record := func(name string, h solver.Hint) solver.Option {
		return solver.OverrideHint(solver.GetHintID(h), func(fl *big.Int, in, out []*big.Int) error {
			if err := h(fl, in, out); err != nil {
				return err
			}
			vals := make([]int64, len(out))
			for i, v := range out {
				x, err := fieldint.ToSigned(fl, v)
				if err != nil {
					return err
				}
				vals[i] = x
			}
			mu.Lock()
			outs[name] = append(outs[name], vals)
			mu.Unlock()
			return nil
		})
	}
	_, err = cs.Solve(w, record("conv", conv.Hint), record("max", pool.MaxHint))
	require.NoError(t, err)
	// One conv hint call per convolution (all 3 samples in one chunk), one
	// max hint call per sample and max pool.
	require.Len(t, outs["conv"], 2)
	require.Len(t, outs["max"], 2*n)
	convCalls := map[int]int{}
	for _, o := range outs["conv"] {
		convCalls[len(o)]++
		k := 0
		if len(o) == n*len(traces[0].Spatial[2]) {
			k = 2
		}
		per := len(traces[0].Spatial[k])
		for s := 0; s < n; s++ {
			require.Equal(t, traces[s].Spatial[k], o[s*per:(s+1)*per], "convolution %d, sample %d", k, s)
		}
	}
	require.Len(t, convCalls, 2)
	// Both max pools follow a convolution with ReLU, so the circuit pools
	// first (desc.PoolFirst): each hinted maximum is the native max pool of
	// the raw accumulators, and its ReLU the native pool's output.
	sh := spec.Shape.Spatial
	require.True(t, desc.PoolFirst(sh, 0) && desc.PoolFirst(sh, 2))
	want, wantReLU := map[string]int{}, map[string]int{}
	for _, tr := range traces {
		for _, k := range []int{1, 3} {
			want[fmt.Sprint(rawMaxPool(t, sh[k], tr.Spatial[k-1]))]++
			wantReLU[fmt.Sprint(tr.Spatial[k])]++
		}
	}
	for _, o := range outs["max"] {
		want[fmt.Sprint(o)]--
		h := make([]int64, len(o))
		for i, v := range o {
			h[i] = max(v, 0)
		}
		wantReLU[fmt.Sprint(h)]--
	}
	for k, v := range want {
		require.Zero(t, v, "max pooling of the raw accumulators %s differs between circuit and native code", k)
	}
	for k, v := range wantReLU {
		require.Zero(t, v, "the ReLU of the pooled maxima %s differs from the native pool's outputs", k)
	}

	for _, bad := range []int64{correct + 1} {
		w, err := frontend.NewWitness(assignModel(f, m, salt, bad, bad), field)
		require.NoError(t, err)
		_, err = cs.Solve(w)
		require.Error(t, err)
	}
	_, err = cs.Solve(w, solver.OverrideHint(solver.GetHintID(conv.Hint), tamper(conv.Hint, 1, 17, addOne)))
	require.Error(t, err, "a convolution accumulator off by one")
	_, err = cs.Solve(w, solver.OverrideHint(solver.GetHintID(pool.MaxHint), tamper(pool.MaxHint, 2, 5, addOne)))
	require.Error(t, err, "a maximum off by one")
}

// rawMaxPool is model's max pooling (layer l's window) of a convolution's
// raw accumulators acc, before the ReLU.
func rawMaxPool(t *testing.T, l model.SpatialShape, acc []int64) []int64 {
	t.Helper()
	in := l.In
	m := &model.Model{Name: "pool", InputSize: in.Size(), InputScale: 1, ScaleBits: 1, Input: &in,
		Spatial: []model.SpatialLayer{{Kind: model.KindMaxPool, In: in, Window: l.Window}}}
	out, err := m.EvalSpatial(acc)
	require.NoError(t, err)
	return out
}

// TestLeNetGroth16 runs Groth16 setup, prove and verify of the LeNet-5 on
// the first two MNIST test images, and checks the constraints per sample
// against the golden file's count. Setup at this size (about 671k
// constraints, a 2^20 domain) takes minutes on two cores, so the test runs
// only with ZKEVAL_CNN_PROVE=1 (`make test-cnn`); `make bench-cnn` runs the
// same through the CLI.
func TestLeNetGroth16(t *testing.T) {
	if os.Getenv("ZKEVAL_CNN_PROVE") == "" {
		t.Skip("set ZKEVAL_CNN_PROVE=1 (make test-cnn) to run Groth16 on the LeNet-5")
	}
	const n = 2
	m, b := lenet(t, n)
	spec, err := NewSpec(m, b, accuracy(">=", true))
	require.NoError(t, err)
	field := ecc.BN254.ScalarField()
	cs, err := frontend.Compile(field, r1cs.NewBuilder, New(spec))
	require.NoError(t, err)
	// The golden file's LeNet entry is this circuit: 589,843 constraints
	// for two images (most of them fixed: the commitment of 61,706 weights;
	// 726,768 before max pooling ran before the ReLU).
	require.Equal(t, 589843, cs.GetNbConstraints())
	t.Logf("%d constraints, %.0f per sample", cs.GetNbConstraints(), float64(cs.GetNbConstraints())/n)
	pk, vk, err := groth16.Setup(cs)
	require.NoError(t, err)
	var correct int64
	for s, x := range b.X {
		out, err := m.Eval(x)
		require.NoError(t, err)
		if model.Argmax(out) == b.Labels[s] {
			correct++
		}
	}
	salt := big.NewInt(2024)
	cm, err := commitment.Commit(m, salt)
	require.NoError(t, err)
	f := &fixture{spec: spec, commit: cm}
	w, err := frontend.NewWitness(assignModel(f, m, salt, correct, correct), field)
	require.NoError(t, err)
	proof, err := groth16.Prove(cs, pk, w)
	require.NoError(t, err)
	pub, err := w.Public()
	require.NoError(t, err)
	require.NoError(t, groth16.Verify(proof, vk, pub))
	// The same proof does not verify a count one higher.
	pa, err := PublicAssignment(spec.Public(), cm, []ClaimInput{{P: big.NewInt(correct + 1), Q: big.NewInt(n), Counts: []int64{correct + 1}}})
	require.NoError(t, err)
	bad, err := frontend.NewWitness(pa, field, frontend.PublicOnly())
	require.NoError(t, err)
	require.Error(t, groth16.Verify(proof, vk, bad))
}

// TestEverySpatialKindInCircuit runs testdata/onnx/conv_bn_pool.onnx (a
// padded Conv with a folded BatchNormalization, MaxPool, a strided Conv
// with an asymmetric kernel and padding, a padded AveragePool, a global
// average pool, a dense layer) through the evaluation circuit on synthetic
// 8x8 images: the honest witness solves, a wrong count does not, and the
// circuit's sum pools and convolutions give the native logits (the argmax
// hint receives them).
func TestEverySpatialKindInCircuit(t *testing.T) {
	fm, err := onnx.Import("../testdata/onnx/conv_bn_pool.onnx")
	require.NoError(t, err)
	m, err := model.Quantize(fm, 8, 255)
	require.NoError(t, err)
	b := testfixture.Benchmark(m, 3, 6)
	spec, err := NewSpec(m, b, accuracy(">=", true))
	require.NoError(t, err)
	salt := big.NewInt(17)
	cm, err := commitment.Commit(m, salt)
	require.NoError(t, err)
	f := &fixture{spec: spec, m: m, salt: salt, commit: cm, count: correctCount(t, m, b)}
	var mu sync.Mutex
	var logits [][]int64
	rec := solver.OverrideHint(solver.GetHintID(argmax.Hint), func(fl *big.Int, in, out []*big.Int) error {
		row := make([]int64, 0, len(in))
		for _, v := range in {
			x, err := fieldint.ToSigned(fl, v)
			if err != nil {
				return err
			}
			row = append(row, x)
		}
		mu.Lock()
		logits = append(logits, row)
		mu.Unlock()
		return argmax.Hint(fl, in, out)
	})
	require.NoError(t, solve(t, f, assign(f, f.count, f.count), rec))
	want := map[string]int{}
	for _, x := range b.X {
		out, err := m.Eval(x)
		require.NoError(t, err)
		want[fmt.Sprint(out)]++
	}
	require.Len(t, logits, b.Len())
	for _, l := range logits {
		// The argmax hint reads the logits, then (for a revealed count
		// without whole predictions) the label: keep the logits.
		want[fmt.Sprint(l[:3])]--
	}
	for k, v := range want {
		require.Zero(t, v, "logits %s differ between circuit and native code", k)
	}
	require.Error(t, solve(t, f, assign(f, f.count+1, f.count+1)))
	require.Error(t, solve(t, f, assign(f, f.count, f.count), solver.OverrideHint(solver.GetHintID(conv.Hint), tamper(conv.Hint, 0, 3, addOne))))
}

// TestFashionCNNCircuitMatchesNative: the Fashion-MNIST CNN of testdata/cnn
// (max pool, then a sum pool folded into the dense layer) on the first two
// official Fashion-MNIST test images: the logits the circuit computes equal
// the native evaluation's, and the exact count is the one it accepts.
func TestFashionCNNCircuitMatchesNative(t *testing.T) {
	const dir = "/usr/share/datasets/fashion-mnist/"
	if _, err := os.Stat(dir + "t10k-images-idx3-ubyte.gz"); err != nil {
		t.Skip("Fashion-MNIST is not installed (Debian package dataset-fashion-mnist)")
	}
	full, err := benchmark.LoadMNISTFiles(dir+"t10k-images-idx3-ubyte.gz", dir+"t10k-labels-idx1-ubyte.gz", "test")
	require.NoError(t, err)
	b, err := full.Prefix(2)
	require.NoError(t, err)
	fm, err := onnx.Import("../testdata/cnn/fashion_cnn.onnx")
	require.NoError(t, err)
	m, err := model.Quantize(fm, 6, 255) // the scale `model import` picks
	require.NoError(t, err)
	spec, err := NewSpec(m, b, accuracy(">=", true))
	require.NoError(t, err)
	salt := big.NewInt(3)
	cm, err := commitment.Commit(m, salt)
	require.NoError(t, err)
	f := &fixture{spec: spec, m: m, salt: salt, commit: cm, count: correctCount(t, m, b)}
	requireLogitsMatchNative(t, f, m, b)
}

// requireLogitsMatchNative solves f's honest assignment, recording the
// logits the argmax hint sees, and requires them to be model.Eval's on
// every sample of b (as a multiset); then a count one off must fail.
func requireLogitsMatchNative(t *testing.T, f *fixture, m *model.Model, b *benchmark.Benchmark) {
	t.Helper()
	var mu sync.Mutex
	got := map[string]int{}
	rec := solver.OverrideHint(solver.GetHintID(argmax.Hint), func(fl *big.Int, in, out []*big.Int) error {
		row := make([]int64, len(in))
		for i := range row {
			x, err := fieldint.ToSigned(fl, in[i])
			if err != nil {
				return err
			}
			row[i] = x
		}
		mu.Lock()
		got[fmt.Sprint(row)]++
		mu.Unlock()
		return argmax.Hint(fl, in, out)
	})
	require.NoError(t, solve(t, f, assign(f, f.count, f.count), rec))
	for _, x := range b.X {
		out, err := m.Eval(x)
		require.NoError(t, err)
		got[fmt.Sprint(out)]--
	}
	for k, v := range got {
		require.Zero(t, v, "logits %s differ between circuit and native code", k)
	}
	require.Error(t, solve(t, f, assign(f, f.count+1, f.count+1)))
}
