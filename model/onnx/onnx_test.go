package onnx

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/model"
)

const onnxFixtureDir = "../../testdata/onnx"

// onnxFixture is the JSON written beside each fixture by make_fixtures.py.
type onnxFixture struct {
	Opset      int64       `json:"opset"`
	InputShape []int       `json:"input_shape"`
	Layers     [][]any     `json:"layers"` // [in, out, relu] and the activation kind, if another
	Inputs     [][]float64 `json:"inputs"`
	Outputs    [][]float64 `json:"outputs"`
	// Errors lists the unsupported nodes a rejected model's error names.
	Errors []struct {
		Node string `json:"node"`
		Op   string `json:"op"`
		What string `json:"what"`
	} `json:"errors"`
}

func loadONNXFixtures(t testing.TB) map[string]onnxFixture {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(onnxFixtureDir, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, paths, "no fixtures in %s", onnxFixtureDir)
	out := map[string]onnxFixture{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		var m onnxFixture
		require.NoError(t, json.Unmarshal(data, &m), p)
		out[strings.TrimSuffix(filepath.Base(p), ".json")] = m
	}
	return out
}

func TestImportONNXFixtures(t *testing.T) {
	fixtures := loadONNXFixtures(t)
	for _, name := range []string{"mlp_opset9", "mlp_opset11", "mlp_opset13", "mlp_opset14", "mlp_opset17",
		"mlp_nofold_opset9", "mlp_nofold_opset13", "mlp_static_batch", "flatten", "matmul_add", "nobias", "two_class", "one_logit", "dropout_identity"} {
		require.Contains(t, fixtures, name)
	}
	n := 0
	for name, meta := range fixtures {
		if meta.Errors != nil {
			continue
		}
		n++
		t.Run(name, func(t *testing.T) {
			m, err := Import(filepath.Join(onnxFixtureDir, name+".onnx"))
			require.NoError(t, err)
			want := 1
			for _, d := range meta.InputShape {
				want *= d
			}
			assert.Equal(t, want, m.InputSize)
			assert.Equal(t, meta.Opset, m.Opset)
			assert.Equal(t, "torch_jit", m.Name)
			require.Len(t, m.Layers, len(meta.Layers))
			for l, lay := range m.Layers {
				spec := meta.Layers[l]
				assert.Equal(t, int(spec[0].(float64)), lay.In(), "layer %d in", l)
				assert.Equal(t, int(spec[1].(float64)), lay.Out(), "layer %d out", l)
				assert.Equal(t, spec[2].(bool), lay.ReLU, "layer %d relu", l)
				if len(spec) > 3 {
					require.NotNil(t, lay.Act, "layer %d activation", l)
					assert.Equal(t, spec[3].(string), lay.Act.Kind, "layer %d activation", l)
				} else {
					assert.Nil(t, lay.Act, "layer %d activation", l)
				}
				assert.Len(t, lay.B, lay.Out())
				for _, row := range lay.W {
					assert.Len(t, row, lay.In())
				}
				assert.NotEmpty(t, lay.Name)
			}
			require.NotEmpty(t, meta.Inputs)
			for s, x := range meta.Inputs {
				y, err := m.Forward(x)
				require.NoError(t, err)
				want := meta.Outputs[s]
				if len(want) == 1 {
					want = []float64{0, want[0]} // one logit z, imported as [0, z]
				}
				require.Len(t, y, len(want))
				for k := range y {
					assert.InDelta(t, want[k], y[k], 1e-5, "sample %d output %d", s, k)
				}
			}
		})
	}
	assert.GreaterOrEqual(t, n, 13)
}

func TestImportONNXLayerDetails(t *testing.T) {
	m, err := Import(filepath.Join(onnxFixtureDir, "mlp_opset13.onnx"))
	require.NoError(t, err)
	require.Len(t, m.Layers, 2)
	assert.Equal(t, "/fc1/Gemm", m.Layers[0].Name)
	assert.Equal(t, "/fc2/Gemm", m.Layers[1].Name)

	// nn.Linear(bias=False) is exported as a MatMul alone: zero bias.
	m, err = Import(filepath.Join(onnxFixtureDir, "nobias.onnx"))
	require.NoError(t, err)
	require.Len(t, m.Layers, 3)
	assert.Equal(t, "/fc2/MatMul", m.Layers[1].Name)
	assert.Equal(t, []float64{0, 0, 0, 0, 0}, m.Layers[1].B)
	assert.True(t, m.Layers[2].ReLU, "a ReLU after the last layer is recorded")

	m, err = Import(filepath.Join(onnxFixtureDir, "matmul_add.onnx"))
	require.NoError(t, err)
	assert.Equal(t, "/MatMul", m.Layers[0].Name)
	assert.Equal(t, "/MatMul_1", m.Layers[1].Name)
	assert.NotEqual(t, []float64{0, 0, 0}, m.Layers[1].B, "bias given as Add's first operand is folded")
}

func TestImportONNXUnsupportedFixtures(t *testing.T) {
	fixtures := loadONNXFixtures(t)
	n := 0
	for name, meta := range fixtures {
		if meta.Errors == nil {
			continue
		}
		n++
		t.Run(name, func(t *testing.T) {
			_, err := Import(filepath.Join(onnxFixtureDir, name+".onnx"))
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrUnsupported)
			msg := err.Error()
			assert.True(t, strings.HasPrefix(msg, name+".onnx: "), msg)
			assert.Contains(t, msg, "`zkeval model ops` lists every supported operator")
			var e *Error
			require.True(t, errors.As(err, &e))
			require.Len(t, e.Unsupported, len(meta.Errors), msg)
			for k, want := range meta.Errors {
				u := e.Unsupported[k]
				assert.Equal(t, `node "`+want.Node+`" (op `+want.Op+`)`, u.Node)
				assert.Equal(t, want.Op, u.Op)
				assert.Equal(t, want.What, u.What)
				assert.Contains(t, msg, u.Label())
				assert.Contains(t, msg, u.Reason)
			}
		})
	}
	assert.Equal(t, 2, n) // conv.onnx and sigmoid.onnx import since convolutions and hidden sigmoids are supported
}

func TestImportONNXMissingFile(t *testing.T) {
	_, err := Import(filepath.Join(t.TempDir(), "absent.onnx"))
	require.Error(t, err)
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestImportONNXMNIST(t *testing.T) {
	path := "../../testdata/models/mnist_mlp_784_56_10.onnx"
	if _, err := os.Stat(path); err != nil {
		t.Skipf("%s not present", path)
	}
	m, err := Import(path)
	require.NoError(t, err)
	assert.Equal(t, 784, m.InputSize)
	require.Len(t, m.Layers, 2)
	assert.Equal(t, 784, m.Layers[0].In())
	assert.Equal(t, 56, m.Layers[0].Out())
	assert.True(t, m.Layers[0].ReLU)
	assert.Equal(t, 56, m.Layers[1].In())
	assert.Equal(t, 10, m.Layers[1].Out())
	assert.False(t, m.Layers[1].ReLU)
	y, err := m.Forward(make([]float64, 784))
	require.NoError(t, err)
	assert.Len(t, y, 10)
}

func TestParseONNXInvalidBytes(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(onnxFixtureDir, "mlp_opset13.onnx"))
	require.NoError(t, err)

	// Every strict prefix of a valid file is rejected, without panicking.
	for n := 0; n < len(data); n++ {
		_, err := Parse(data[:n], "cut.onnx")
		require.Error(t, err, "prefix of %d bytes", n)
		require.ErrorIs(t, err, ErrInvalid, "prefix of %d bytes: %v", n, err)
		require.True(t, strings.HasPrefix(err.Error(), "cut.onnx: "), err.Error())
	}
	_, err = Parse(data[:len(data)/2], "half.onnx")
	assert.ErrorContains(t, err, "half.onnx: not a valid ONNX model")

	for _, garbage := range [][]byte{
		nil,
		[]byte("this is not an ONNX model\n"),
		{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		{0x3a, 0x80, 0x80, 0x80, 0x80, 0x10}, // graph field with a huge length
	} {
		_, err := Parse(garbage, "junk.bin")
		require.Error(t, err, "%q", garbage)
		assert.ErrorIs(t, err, ErrInvalid)
		assert.Contains(t, err.Error(), "junk.bin: not a valid ONNX model")
	}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 200; i++ {
		b := make([]byte, rng.Intn(300))
		rng.Read(b)
		_, err := Parse(b, "random.bin")
		assert.Error(t, err)
	}
}

// consistent checks that an imported model chains: input size, spatial
// layers, flattened width and dense layers.
func consistent(m *model.FloatModel) error {
	if len(m.Layers) == 0 {
		return fmt.Errorf("no dense layer")
	}
	in := m.InputSize
	if len(m.Spatial) > 0 {
		if m.Input == nil || m.Input.Size() != m.InputSize {
			return fmt.Errorf("input layout %v for input size %d", m.Input, m.InputSize)
		}
		cur := *m.Input
		for k, l := range m.Spatial {
			if l.In != cur {
				return fmt.Errorf("spatial layer %d reads %v, gets %v", k, l.In, cur)
			}
			out, err := model.SpatialOut(l.Kind, l.In, l.Window, l.OutC)
			if err != nil {
				return err
			}
			cur = out
		}
		in = cur.Size()
	}
	if in != m.Layers[0].In() {
		return fmt.Errorf("dense part reads %d, gets %d", m.Layers[0].In(), in)
	}
	return nil
}

func FuzzParse(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join(onnxFixtureDir, "*.onnx"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(oxMLP().bytes(f))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data, "fuzz.onnx")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.onnx: ") {
				t.Fatalf("error without the source name: %v", err)
			}
			return
		}
		if err := consistent(m); err != nil {
			t.Fatalf("inconsistent model: %v", err)
		}
		if _, err := m.Forward(make([]float64, m.InputSize)); err != nil {
			t.Fatalf("imported model does not run: %v", err)
		}
	})
}

// TestParseONNXMutations feeds randomly corrupted fixtures to the parser: it
// must never panic, and whatever it accepts must be a consistent model.
func TestParseONNXMutations(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(onnxFixtureDir, "*.onnx"))
	require.NoError(t, err)
	rng := rand.New(rand.NewSource(2))
	accepted := 0
	for it := 0; it < 3000; it++ {
		data, err := os.ReadFile(paths[rng.Intn(len(paths))])
		require.NoError(t, err)
		for k := 0; k < 1+rng.Intn(4); k++ {
			data[rng.Intn(len(data))] = byte(rng.Intn(256))
		}
		m, err := Parse(data, "mutant.onnx")
		if err != nil {
			require.True(t, strings.HasPrefix(err.Error(), "mutant.onnx: "), err.Error())
			continue
		}
		accepted++
		require.NoError(t, consistent(m))
		_, err = m.Forward(make([]float64, m.InputSize))
		require.NoError(t, err)
	}
	t.Logf("%d of 3000 mutants accepted", accepted)
}
