package circuits

import (
	"math/big"
	"sync"
	"testing"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/circuits/argmax"
	"github.com/zkeval/zkeval/circuits/internal/fieldint"
	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/internal/testfixture"
	"github.com/zkeval/zkeval/metric"
	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/model/onnx"
	"github.com/zkeval/zkeval/shard"
)

// checkShardsAgree proves every shard of f's benchmark through the shard
// circuit and checks it against the native evaluation: each honest shard
// solves, the logits the circuit's argmax receives for slot s (padding
// included) are model.Eval's of slot s's sample, slot by slot, a revealed
// count one off fails, and the revealed counts summed over the shards equal
// those of the whole benchmark. It returns the honest input of shard 0.
func checkShardsAgree(t *testing.T, f *shardFixture) *ShardInput {
	t.Helper()
	K := len(f.b.ClassNames)
	n := shard.Count(f.b.Len(), f.spec.Desc.ShardSize)
	sum := make([]int64, len(f.spec.Revealed()))
	var first *ShardInput
	for i := range n {
		in := f.input(t, i)
		if i == 0 {
			first = in
		}
		var mu sync.Mutex
		var got [][]int64
		rec := solver.OverrideHint(solver.GetHintID(argmax.Hint), func(fl *big.Int, ins, outs []*big.Int) error {
			row := make([]int64, K)
			for k := range row {
				v, err := fieldint.ToSigned(fl, ins[k])
				if err != nil {
					return err
				}
				row[k] = v
			}
			mu.Lock()
			got = append(got, row)
			mu.Unlock()
			return argmax.Hint(fl, ins, outs)
		})
		// Bound first, so that the solve below is the only pass and
		// every slot's logits are recorded once. With one task, gnark's
		// solver runs the instructions level by level, each level in
		// the order the circuit created them; the argmax hints, created
		// slot by slot (checkCounts) at one level, run in slot order, so
		// the k-th recorded row is the one whose prediction meets slot
		// k's cell.
		require.NoError(t, f.solveOpts(t, f.bound(t, in), []solver.Option{rec, solver.WithNbTasks(1)}), "shard %d", i)
		require.Len(t, got, len(in.Slots.X), "shard %d: one argmax per slot", i)
		for s, x := range in.Slots.X {
			out, err := f.m.Eval(x)
			require.NoError(t, err)
			require.Equal(t, out, got[s], "shard %d slot %d (cell %d): the shard circuit's logits differ from native code", i, s, in.Slots.Cell[s])
		}
		for j, v := range in.Revealed {
			sum[j] += v
		}
	}
	off := copyInput(first)
	off.Revealed[0]++
	require.Error(t, f.solve(t, off), "a revealed count one past the shard's")

	var pred []int
	for _, x := range f.b.X {
		out, err := f.m.Eval(x)
		require.NoError(t, err)
		pred = append(pred, model.Argmax(out))
	}
	tab := metric.Tally(pred, f.b.Labels, nil, K, 1)
	require.Equal(t, tab.Values(f.spec.Revealed()), sum)
	return first
}

// everyKindModel is testdata/onnx/conv_bn_pool.onnx (a padded Conv with a
// folded BatchNormalization, MaxPool, a strided Conv with an asymmetric
// kernel and padding, a padded AveragePool, a global average pool, a dense
// layer) at scale 2^8, on n synthetic 8x8 images.
func everyKindModel(t *testing.T, n int) (*model.Model, *shardFixture) {
	t.Helper()
	fm, err := onnx.Import("../testdata/onnx/conv_bn_pool.onnx")
	require.NoError(t, err)
	m, err := model.Quantize(fm, 8, 255)
	require.NoError(t, err)
	b := testfixture.Benchmark(m, 3, n)
	return m, newShardFixture(t, m, b, 4, "accuracy >= 0", "precision[class=b] >= 0")
}

// TestShardEverySpatialKind: the shard circuit over a CNN with every
// spatial kind agrees with native evaluation on two shards (the last one
// padded), its description carries the spatial bounds, each tampered hint
// of cnnTamperCases (both convolutions, the first over the secret images;
// the max pool; a ReLU; the argmax; the dense layer) is refused by its
// gadget, and an image changed under the same challenge and fingerprint
// fails.
func TestShardEverySpatialKind(t *testing.T) {
	_, f := everyKindModel(t, 6)
	sh := f.spec.Desc.Shape
	require.Len(t, f.spec.Desc.SpatialAccBits, len(sh.Spatial))
	first := checkShardsAgree(t, f)

	cases := cnnTamperCases(f.m)
	var names []string
	for _, c := range cases {
		names = append(names, c.name)
	}
	require.Equal(t, []string{"conv 0 accumulator+1", "conv 2 accumulator+1", "max pool maximum+1", "max pool maximum a smaller input", "relu sign flipped", "argmax one-hot rotated", "dense (Freivalds) accumulator+1"}, names)
	runTamperCases(t, f, cases)

	// Another image under the honest challenge and fingerprint: the
	// fingerprint binds the secret images the convolution reads.
	in := copyInput(f.bound(t, first))
	in.Slots.X[0][9]++
	require.Error(t, f.solve(t, in))
}

// TestShardSpatialBoundEnforced: a description whose first convolution's
// bound is one bit below the values of a real slot it is enforced on is
// refused by the native twin (EvalShard, naming the spatial layer) and by
// the circuit, so that no proof relies on an unenforced bound. The
// convolution has a ReLU and a max pool after it, so the circuit pools
// first (desc.PoolFirst) and enforces the bound on each window's maximum
// (the ReLU's range check after the pool); the native twin checks every
// accumulator, which implies the circuit's checks.
func TestShardSpatialBoundEnforced(t *testing.T) {
	m, f := everyKindModel(t, 4)
	slots, err := f.spec.Desc.Layout().Of(f.b, 0)
	require.NoError(t, err)
	sh := f.spec.Desc.Shape.Spatial
	require.True(t, desc.PoolFirst(sh, 0))
	var hi int64
	for _, x := range slots.X {
		tr, err := m.EvalTrace(x)
		require.NoError(t, err)
		for _, v := range rawMaxPool(t, sh[1], tr.Spatial[0]) {
			hi = max(hi, v, -v)
		}
	}
	d := f.spec.Desc
	d.SpatialAccBits = append([]int(nil), d.SpatialAccBits...)
	k := model.BitsOf(hi) - 1
	d.SpatialAccBits[0] = k
	// The pools after it keep the bound their inputs' implies.
	in := k
	for j := 1; j < len(d.Shape.Spatial) && !model.Linear(d.Shape.Spatial[j].Kind); j++ {
		in = desc.PoolBits(d.Shape.Spatial[j], in)
		d.SpatialAccBits[j] = in
	}
	spec, err := NewShardSpecFrom(d)
	require.NoError(t, err)
	_, err = EvalShard(spec, m, 0, slots, big.NewInt(1))
	require.ErrorContains(t, err, "spatial layer 0")
	tight := &shardFixture{spec: spec, m: m, b: f.b, salt: f.salt, commit: f.commit}
	// The same slots (the layout is the same), against the
	// tighter bound.
	require.Error(t, tight.solve(t, f.input(t, 0)), "an accumulator one bit past the published bound")
}

// TestShardLeNet: the LeNet-5 of testdata/cnn on the first 3 official
// MNIST test images, as two shards of 2 (the second with a padding slot),
// agrees with the native evaluation slot by slot and with the whole
// slice's counts; a tampered hint of the first convolution (over the
// secret images) is refused by the convolution's check.
func TestShardLeNet(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a LeNet-5 shard circuit")
	}
	m, b := lenet(t, 3)
	f := newShardFixture(t, m, b, 2, "accuracy >= 0")
	require.Len(t, f.spec.Desc.SpatialAccBits, 4)
	checkShardsAgree(t, f)
	cases := cnnTamperCases(m)
	require.Equal(t, "conv 0 accumulator+1", cases[0].name)
	runTamperCases(t, f, cases[:1])
}

// TestShardActivations: the breast cancer MLPs with tanh, GELU and
// LeakyRelu (testdata/tabular) through the shard circuit, three shards of
// 5 of the first 12 test samples, agree with the native evaluation slot by
// slot; the description carries the evaluation description's table
// ranges; the activation's hinted quotient one up or one down is refused
// by its remainder's check.
func TestShardActivations(t *testing.T) {
	for _, am := range []struct {
		name  string
		scale int
	}{{"tanh", 4}, {"gelu", 5}, {"leakyrelu", 5}} {
		t.Run(am.name, func(t *testing.T) {
			m, b := actModel(t, am.name, am.scale, 12)
			f := newShardFixture(t, m, b, 5, "accuracy >= 0", "!recall[class=benign] >= 0")
			if m.Layers[0].Act.IsTable() {
				require.NotEmpty(t, f.spec.Desc.ActTable)
				require.NotZero(t, f.spec.Desc.ActTable[0].Entries())
			}
			checkShardsAgree(t, f)
			runTamperCases(t, f, actTamperCases(t, f))
		})
	}
}

// TestShardRefusesTrees: a tree ensemble gets a clear error (it panicked
// before), and a shard description of one is refused.
func TestShardRefusesTrees(t *testing.T) {
	m, b := treeModel(t, "breast_cancer_rf_30x5.onnx", "breast_cancer.csv", "breast_cancer.schema.json", 6)
	_, err := NewShardSpec(m, b, accuracy(">=", true), 2)
	require.ErrorContains(t, err, "is a tree ensemble, which the shard circuit")
	d := desc.Shard{Version: desc.ShardVersion, Shape: m.Shape(), InputBits: 8, ShardSize: 2, Classes: b.ClassNames}
	require.ErrorContains(t, d.Validate(), "tree ensemble")
}

// TestShardActivationBoundEnforced: a description whose tanh table stops
// one index below the largest a real slot reads is refused by the native
// twin (EvalShard, naming the table) and by the circuit (the lookup).
func TestShardActivationBoundEnforced(t *testing.T) {
	m, b := actModel(t, "tanh", 4, 12)
	f := newShardFixture(t, m, b, 5, "accuracy >= 0")
	slots, err := f.spec.Desc.Layout().Of(f.b, 0)
	require.NoError(t, err)
	shift := m.Layers[0].Act.Shift
	var qhi int64
	for _, x := range slots.X {
		tr, err := m.EvalTrace(x)
		require.NoError(t, err)
		for _, v := range tr.Acc[0] {
			qhi = max(qhi, v>>uint(shift))
		}
	}
	d := f.spec.Desc
	d.ActTable = append([]Range(nil), d.ActTable...)
	require.Less(t, d.ActTable[0].Lo, qhi)
	d.ActTable[0].Hi = qhi - 1
	spec, err := NewShardSpecFrom(d)
	require.NoError(t, err)
	_, err = EvalShard(spec, m, 0, slots, big.NewInt(1))
	require.ErrorContains(t, err, "outside the tanh table's")
	tight := &shardFixture{spec: spec, m: m, b: f.b, salt: f.salt, commit: f.commit}
	require.Error(t, tight.solve(t, f.input(t, 0)), "an accumulator one index past the table")
	require.NoError(t, f.solve(t, f.input(t, 0)))
}
