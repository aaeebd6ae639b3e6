package onnx

import (
	"encoding/json"
	"os"
	"testing"

	pb "github.com/advancedclimatesystems/gonnx/onnx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/model"
)

// cnnSidecar is the part of testdata/cnn/*.json the tests read.
type cnnSidecar struct {
	Samples struct {
		Indices []int       `json:"indices"`
		Outputs [][]float64 `json:"outputs"`
	} `json:"samples"`
}

// TestImportCNNs imports the two trained CNNs of testdata/cnn and checks
// their layers and that the float model reproduces torch's float32 outputs
// on the test images the sidecar records.
func TestImportCNNs(t *testing.T) {
	mnist, err := benchmark.MNISTTest()
	require.NoError(t, err)
	for _, tc := range []struct {
		name    string
		kinds   []string
		relu    []bool
		dense   []int // widths: in, out...
		fashion bool
	}{
		{"mnist_lenet5", []string{"conv2d", "maxpool", "conv2d", "maxpool"}, []bool{true, false, true, false}, []int{400, 120, 84, 10}, false},
		{"fashion_cnn", []string{"conv2d", "maxpool", "conv2d", "avgpool"}, []bool{true, false, true, false}, []int{784, 10}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fm, err := Import("../../testdata/cnn/" + tc.name + ".onnx")
			require.NoError(t, err)
			require.Equal(t, &model.Dims{C: 1, H: 28, W: 28}, fm.Input)
			require.Len(t, fm.Spatial, len(tc.kinds))
			for k, l := range fm.Spatial {
				assert.Equal(t, tc.kinds[k], l.Kind, "layer %d", k)
				assert.Equal(t, tc.relu[k], l.ReLU, "layer %d", k)
			}
			widths := []int{fm.Layers[0].In()}
			for _, l := range fm.Layers {
				widths = append(widths, l.Out())
			}
			assert.Equal(t, tc.dense, widths)
			if tc.fashion {
				// torch's export in eval mode fuses BatchNorm2d into the
				// Conv itself; it writes avg_pool2d as a zero Pad and an
				// AveragePool.
				require.Len(t, fm.Steps, 1)
				assert.Equal(t, model.ActionDropped, fm.Steps[0].Action)
				assert.Equal(t, 2, fm.Spatial[3].KH)
			}

			data, err := os.ReadFile("../../testdata/cnn/" + tc.name + ".json")
			require.NoError(t, err)
			var side cnnSidecar
			require.NoError(t, json.Unmarshal(data, &side))
			b := mnist
			if tc.fashion {
				b = fashionTest(t)
			}
			for j, s := range side.Samples.Indices {
				x := make([]float64, b.NumFeatures)
				for i, v := range b.X[s] {
					x[i] = float64(v) / float64(b.InputScale)
				}
				y, err := fm.Forward(x)
				require.NoError(t, err)
				require.Len(t, y, 10)
				for o := range y {
					assert.InDelta(t, side.Samples.Outputs[j][o], y[o], 1e-4, "sample %d output %d", s, o)
				}
			}
		})
	}
}

// fashionTest loads the official Fashion-MNIST test set from Debian's
// dataset-fashion-mnist package, skipping when it is not installed.
func fashionTest(t *testing.T) *benchmark.Benchmark {
	t.Helper()
	const dir = "/usr/share/datasets/fashion-mnist/"
	if _, err := os.Stat(dir + "t10k-images-idx3-ubyte.gz"); err != nil {
		t.Skip("Fashion-MNIST is not installed (Debian package dataset-fashion-mnist)")
	}
	b, err := benchmark.LoadMNISTFiles(dir+"t10k-images-idx3-ubyte.gz", dir+"t10k-labels-idx1-ubyte.gz", "test")
	require.NoError(t, err)
	return b
}

// TestLeNetQuantized quantizes the LeNet-5 (scale 2^7, the one `model
// import` picks on the test set), round-trips it through a .zkm file and
// checks the native integer evaluation against the float model on the first
// 200 test images: its logits at their scale within 0.5 of float's (weights of 7 bits;
// logits reach about ±15)'s, the
// same prediction nearly always, and every value within the worst case of
// CheckAllBounds.
func TestLeNetQuantized(t *testing.T) {
	fm, err := Import("../../testdata/cnn/mnist_lenet5.onnx")
	require.NoError(t, err)
	qm, err := model.Quantize(fm, 7, 255)
	require.NoError(t, err)
	path := t.TempDir() + "/lenet.zkm"
	require.NoError(t, model.WriteFile(path, qm, nil))
	rm, err := model.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, qm.Shape(), rm.Shape())
	sh := rm.Shape()
	require.NoError(t, sh.Validate())
	require.Len(t, sh.Spatial, 4)

	spatialWorst, denseWorst, err := rm.CheckAllBounds(0, 255)
	require.NoError(t, err)
	require.Len(t, spatialWorst, 4)
	b, err := benchmark.MNISTTest()
	require.NoError(t, err)
	scale := 255.0 * float64(int64(1)<<35) // five linear layers at 2^7
	agree := 0
	const n = 200
	for s := 0; s < n; s++ {
		tr, err := rm.EvalTrace(b.X[s])
		require.NoError(t, err)
		x := make([]float64, 784)
		for i, v := range b.X[s] {
			x[i] = float64(v) / 255
		}
		y, err := fm.Forward(x)
		require.NoError(t, err)
		for o := range y {
			assert.InDelta(t, y[o], float64(tr.Out[o])/scale, 0.5, "sample %d output %d", s, o)
		}
		if model.Argmax(y) == model.Argmax(tr.Out) {
			agree++
		}
		for k, vals := range tr.Spatial {
			for _, v := range vals {
				require.Less(t, model.BitsOf(v), spatialWorst[k]+1, "sample %d spatial layer %d", s, k)
			}
		}
		for l, vals := range tr.Acc {
			for _, v := range vals {
				require.Less(t, model.BitsOf(v), denseWorst[l]+1, "sample %d layer %d", s, l)
			}
		}
	}
	assert.GreaterOrEqual(t, agree, n-2)
}

// TestBadCNNFiles: the malformed files of testdata/cnn (make_bad.py) fail
// with an error naming the node and saying what is wrong.
func TestBadCNNFiles(t *testing.T) {
	for file, wants := range map[string][]string{
		"bad_dilation": {`node "/conv1/Conv" (op Conv)`, "dilations [2 2]", "dilation 1 only"},
		"bad_kernel":   {`node "/conv1/Conv" (op Conv)`, "kernel 5x5 does not fit the input 4x4"},
		"bad_width":    {`node "/fc/Gemm" (op Gemm)`, "takes 9 inputs, but its input has 8 features", `conv2d layer "/conv1/Conv"`},
	} {
		m, err := Import("../../testdata/cnn/" + file + ".onnx")
		require.Error(t, err, file)
		assert.Nil(t, m)
		for _, w := range wants {
			assert.Contains(t, err.Error(), w, file)
		}
	}
	// A repeated attribute is refused, whichever copy a reader would take.
	g := oxCNN([]*pb.AttributeProto{oxAttrInts("dilations", 1, 1), oxAttrInts("dilations", 2, 2)}, 8)
	_, err := g.parse(t)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "has attribute dilations twice")
}
