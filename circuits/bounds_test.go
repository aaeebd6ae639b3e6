package circuits

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/circuits/freivalds"
	"github.com/zkeval/zkeval/commitment"
	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/model"
)

// wrapModels returns the attack of a review: a 1-2-2-2-2-2-2-2 model
// without ReLU whose exact outputs are out0 = (p+1)·x and out1 = 2 (p the
// BN254 scalar field's modulus), built by Horner's rule in base 2^46 with
// 48-bit weights, so that modulo p out0 = x; and a decoy of the same
// public shape whose accumulators are small. The benchmark is x = 1, 3,
// 1, 3 labelled b, a, b, a: exact integers give 2/4, values modulo p 4/4.
func wrapModels(t *testing.T) (evil, decoy *model.Model, b *benchmark.Benchmark) {
	p := ecc.BN254.ScalarField()
	target := new(big.Int).Add(p, big.NewInt(1))
	const base = 46
	mask := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), base), big.NewInt(1))
	digit := func(i int) int64 { // the i-th digit of p+1 in base 2^46
		return new(big.Int).And(new(big.Int).Rsh(target, uint(base*i)), mask).Int64()
	}
	shift := int64(1) << base
	evil = &model.Model{Name: "evil", InputSize: 1, InputScale: 1, ScaleBits: 1}
	decoy = &model.Model{Name: "decoy", InputSize: 1, InputScale: 1, ScaleBits: 1}
	evil.Layers = append(evil.Layers, model.Layer{W: [][]int64{{digit(6)}, {1}}, B: []int64{0, 0}})
	decoy.Layers = append(decoy.Layers, model.Layer{W: [][]int64{{0}, {1}}, B: []int64{0, 0}})
	for l := 1; l <= 6; l++ {
		ew := model.Layer{W: [][]int64{{shift, digit(6 - l)}, {0, 1}}, B: []int64{0, 0}}
		// The decoy's weights span the same widths, on a neuron that is
		// always 0, so its accumulators stay small.
		dw := model.Layer{W: [][]int64{{shift, 0}, {0, 1}}, B: []int64{0, 0}}
		if l == 6 {
			ew.W[1], ew.B = []int64{0, 0}, []int64{0, 2}
			dw.W[1], dw.B = []int64{0, 0}, []int64{0, 2}
		}
		evil.Layers = append(evil.Layers, ew)
		decoy.Layers = append(decoy.Layers, dw)
	}
	require.NoError(t, evil.Validate())
	require.NoError(t, decoy.Validate())
	require.Equal(t, evil.Shape(), decoy.Shape(), "the decoy must publish the evil model's shape")
	b = &benchmark.Benchmark{Name: "wrap", Split: "test", NumFeatures: 1, InputScale: 1, ClassNames: []string{"a", "b"},
		X: [][]int64{{1}, {3}, {1}, {3}}, Labels: []int{1, 0, 1, 0}}
	require.NoError(t, b.Validate())
	return evil, decoy, b
}

// exactOutputs evaluates m on x in big integers, optionally modulo p.
func exactOutputs(m *model.Model, x []int64, mod *big.Int) []*big.Int {
	a := make([]*big.Int, len(x))
	for i, v := range x {
		a[i] = big.NewInt(v)
	}
	for _, l := range m.Layers {
		next := make([]*big.Int, len(l.W))
		for o, row := range l.W {
			acc := big.NewInt(l.B[o])
			for i, w := range row {
				acc.Add(acc, new(big.Int).Mul(big.NewInt(w), a[i]))
			}
			if mod != nil {
				acc.Mod(acc, mod)
			}
			next[o] = acc
		}
		a = next
	}
	return a
}

// modPDense is DenseHint computed in big integers modulo p: the honest
// products of any weights, as the Freivalds check sees them.
func modPDense(field *big.Int, inputs, outputs []*big.Int) error {
	in, out, n := int(inputs[0].Int64()), int(inputs[1].Int64()), int(inputs[2].Int64())
	vals := inputs[3:]
	w, b, a := vals[:out*in], vals[out*in:out*in+out], vals[out*in+out:]
	for s := 0; s < n; s++ {
		for o := 0; o < out; o++ {
			acc := new(big.Int).Set(b[o])
			for i := 0; i < in; i++ {
				acc.Add(acc, new(big.Int).Mul(w[o*in+i], a[s*in+i]))
			}
			outputs[s*out+o].Mod(acc, field)
		}
	}
	return nil
}

// TestWrapAroundAttackRejected replays the review's forged proof: a
// description published with a decoy (small accumulators) and a proof
// attempted with the evil model's weights and a dense hint that works
// modulo p. Exact integers give 2/4, modulo p 4/4; the circuit must refuse
// to prove 4/4, with the test engine's solver and with Groth16.
func TestWrapAroundAttackRejected(t *testing.T) {
	evil, decoy, b := wrapModels(t)
	p := ecc.BN254.ScalarField()

	// The attack is real: modulo p the evil model is right on every sample,
	// in exact integers on two.
	exact, modp := 0, 0
	for s, x := range b.X {
		if argmaxBig(exactOutputs(evil, x, nil)) == b.Labels[s] {
			exact++
		}
		if argmaxBig(exactOutputs(evil, x, p)) == b.Labels[s] {
			modp++
		}
	}
	require.Equal(t, 2, exact)
	require.Equal(t, 4, modp)

	// Setup refuses the evil model itself: its accumulators leave int64.
	_, err := NewSpec(evil, b, accuracy(">=", true))
	require.Error(t, err)

	// The decoy's description passes validation: it is what an attacker
	// publishes.
	spec, err := NewSpec(decoy, b, accuracy(">=", true))
	require.NoError(t, err)
	require.NoError(t, spec.Validate())
	cs, err := frontend.Compile(p, r1cs.NewBuilder, New(spec))
	require.NoError(t, err)

	salt := big.NewInt(99)
	prove := func(m *model.Model, count int64) error {
		cm, err := commitment.Commit(m, salt)
		require.NoError(t, err)
		a, err := Assignment(spec, m, salt, cm, []ClaimInput{{P: big.NewInt(count), Q: big.NewInt(4), Counts: []int64{count}}})
		require.NoError(t, err)
		w, err := frontend.NewWitness(a, p)
		require.NoError(t, err)
		_, err = cs.Solve(w, solver.OverrideHint(solver.GetHintID(freivalds.DenseHint), modPDense))
		return err
	}
	// Control: the modulo-p hint is a faithful prover for the decoy
	// (always "b": 2/4).
	require.NoError(t, prove(decoy, 2))
	// The forgery: 4/4 with the evil weights.
	require.Error(t, prove(evil, 4), "a wrapped accumulator was accepted")

	// The same with Groth16, end to end.
	pk, _, err := groth16.Setup(cs)
	require.NoError(t, err)
	cm, err := commitment.Commit(evil, salt)
	require.NoError(t, err)
	a, err := Assignment(spec, evil, salt, cm, []ClaimInput{{P: big.NewInt(4), Q: big.NewInt(4), Counts: []int64{4}}})
	require.NoError(t, err)
	w, err := frontend.NewWitness(a, p)
	require.NoError(t, err)
	_, err = groth16.Prove(cs, pk, w, backend.WithSolverOptions(solver.OverrideHint(solver.GetHintID(freivalds.DenseHint), modPDense)))
	require.Error(t, err, "Groth16 proved a wrapped accumulator")
}

func argmaxBig(v []*big.Int) int {
	best := 0
	for i := range v {
		if v[i].Cmp(v[best]) > 0 {
			best = i
		}
	}
	return best
}

// boundModel is 1-2-2-2: layer 0 without ReLU computes (x + b0, -x + b1),
// layer 1 (ReLU) and layer 2 (the logits) copy their inputs.
func boundModel(b0, b1 int64) *model.Model {
	m := &model.Model{Name: "bounds", InputSize: 1, InputScale: 1, ScaleBits: 1}
	m.Layers = []model.Layer{
		{W: [][]int64{{1}, {-1}}, B: []int64{b0, b1}},
		{W: [][]int64{{1, 0}, {0, 1}}, B: []int64{0, 0}, ReLU: true},
		{W: [][]int64{{1, 0}, {0, 1}}, B: []int64{0, 0}},
	}
	return m
}

// boundSolve builds the honest witness of m on the single sample x under a
// spec whose bounds edit sets, and solves it.
func boundSolve(t *testing.T, m *model.Model, x int64, edit func(*Spec)) error {
	t.Helper()
	b := &benchmark.Benchmark{Name: "bounds", Split: "test", NumFeatures: 1, InputScale: 1, ClassNames: []string{"a", "b"}, X: [][]int64{{x}}, Labels: []int{0}}
	require.NoError(t, b.Validate())
	spec, err := NewSpec(m, b, accuracy(">=", false))
	require.NoError(t, err)
	spec.AccBits = []int{20, 20, 20}
	spec.ReLU = []string{"", ReLURange, ""}
	spec.ReLUTable = make([]Range, 3)
	edit(spec)
	require.NoError(t, spec.Validate(), "the edited description must be well formed")
	f := &fixture{spec: spec, m: m, salt: big.NewInt(5)}
	f.commit, err = commitment.Commit(m, f.salt)
	require.NoError(t, err)
	in := ClaimInput{P: big.NewInt(0), Q: big.NewInt(1)}
	a, err := Assignment(spec, m, f.salt, f.commit, []ClaimInput{in})
	require.NoError(t, err)
	cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, New(spec))
	require.NoError(t, err)
	w, err := frontend.NewWitness(a, ecc.BN254.ScalarField())
	require.NoError(t, err)
	_, err = cs.Solve(w)
	return err
}

// TestOnePastTheBoundFails: for every layer kind, an honest accumulator at
// its published bound is proven and one one past it is not.
func TestOnePastTheBoundFails(t *testing.T) {
	const k = 10
	top := int64(1) << k // -2^k <= acc < 2^k
	setK := func(l int) func(*Spec) { return func(s *Spec) { s.AccBits[l] = k } }

	t.Run("layer without ReLU, top", func(t *testing.T) {
		require.NoError(t, boundSolve(t, boundModel(0, 0), top-1, setK(0)))
		require.Error(t, boundSolve(t, boundModel(0, 0), top, setK(0)))
	})
	t.Run("layer without ReLU, bottom", func(t *testing.T) {
		// acc = (x - 1, -x - 1): the second output reaches -2^k, then one past.
		require.NoError(t, boundSolve(t, boundModel(-1, -1), top-1, setK(0)))
		require.Error(t, boundSolve(t, boundModel(-1, -1), top, setK(0)))
	})
	t.Run("ReLU by range check", func(t *testing.T) {
		// |acc| < 2^k on both sides (stricter than the stated bound).
		require.NoError(t, boundSolve(t, boundModel(0, 0), top-1, setK(1)))
		require.Error(t, boundSolve(t, boundModel(0, 0), top, setK(1)))
		require.Error(t, boundSolve(t, boundModel(1, 0), top-1, setK(1)), "acc = 2^k") // x + 1 = 2^k
	})
	t.Run("ReLU by lookup", func(t *testing.T) {
		table := func(s *Spec) {
			s.ReLU[1] = ReLULookup
			s.ReLUTable[1] = Range{Lo: -4096, Hi: 4096}
			s.AccBits[1] = 13
		}
		require.NoError(t, boundSolve(t, boundModel(0, 0), 4096, table))
		require.Error(t, boundSolve(t, boundModel(0, 0), 4097, table), "one past Hi")
		require.Error(t, boundSolve(t, boundModel(0, -1), 4096, table), "one past Lo") // -x - 1 = -4097
	})
	t.Run("logits the argmax compares", func(t *testing.T) {
		// The label's logit (the reference) within [-2^(k-2), 2^(k-2)),
		// the other compared logits within 2^(k-1) below it: every one
		// within [-2^k, 2^k).
		ref := int64(1) << (k - 2)
		require.NoError(t, boundSolve(t, boundModel(0, 0), ref-1, setK(2)))
		require.Error(t, boundSolve(t, boundModel(0, 0), ref, setK(2)))
	})
}

// TestWideChainDescriptionRefused: the honest description of a chain of
// wide linear layers states bounds the circuit cannot enforce, and
// Validate refuses it, naming the layer; setup (NewSpec) refuses the model.
func TestWideChainDescriptionRefused(t *testing.T) {
	evil, decoy, b := wrapModels(t)
	spec, err := NewSpec(decoy, b, accuracy(">=", true))
	require.NoError(t, err)
	pub := spec.Public()
	// The widths the evil model's accumulators really need.
	for l := range pub.AccBits {
		pub.AccBits[l] = 2 + 46*l
	}
	err = pub.Validate()
	require.ErrorContains(t, err, "accumulatorBits[2]: 94 outside [1, 62]")
	_, err = NewSpec(evil, b, accuracy(">=", true))
	require.ErrorContains(t, err, "layer 2")
	require.Equal(t, desc.Version, pub.Version)
}

// TestDefineRefusesInvalidSpec: the circuit compiles only descriptions
// Validate accepts, whoever calls it. Here a ReLU layer's gadget is
// removed: compiled, the layer would be linear and prove accuracy 1/1 for
// a model whose exact accuracy is 0/1.
func TestDefineRefusesInvalidSpec(t *testing.T) {
	m := &model.Model{Name: "relu-drop", InputSize: 1, InputScale: 1, ScaleBits: 1}
	m.Layers = []model.Layer{
		{W: [][]int64{{1}, {0}}, B: []int64{0, 0}, ReLU: true},
		{W: [][]int64{{-1, 0}, {0, 0}}, B: []int64{0, 1}},
	}
	b := &benchmark.Benchmark{Name: "relu-drop", Split: "test", NumFeatures: 1, InputScale: 1,
		ClassNames: []string{"a", "b"}, X: [][]int64{{-5}}, Labels: []int{0}}
	out, err := m.Eval(b.X[0])
	require.NoError(t, err)
	require.Equal(t, 1, model.Argmax(out), "exact: the label is not predicted")
	spec, err := NewSpec(m, b, accuracy(">=", true))
	require.NoError(t, err)
	spec.ReLU[0], spec.ReLUTable[0] = "", Range{}
	require.Error(t, spec.Validate())
	_, err = frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, New(spec))
	require.Error(t, err, "the circuit compiled a spec that Validate refuses")
}

// TestSpecDigestMustMatchBenchmark: a spec naming one benchmark and
// holding another is refused.
func TestSpecDigestMustMatchBenchmark(t *testing.T) {
	m, b := synth(t, 1, 20)
	spec, err := NewSpec(m, b, accuracy(">=", true))
	require.NoError(t, err)
	spec.Digest[0] ^= 1
	require.ErrorContains(t, spec.Validate(), "names benchmark")
}
