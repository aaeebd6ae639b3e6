// Package testfixture builds small deterministic models and benchmarks for
// tests: a random 6-5-4-3 ReLU MLP at scale 2^6 and a benchmark whose labels
// agree with the model on two samples out of three, so that both correct
// and wrong predictions occur.
package testfixture

import (
	"math/rand"
	"os"
	"path/filepath"
	"strings"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/model"
)

// Model returns a random 6-5-4-3 ReLU MLP drawn from seed, with weights in
// [-64, 64] at scale 2^6 and inputs at scale 1/255.
func Model(seed int64) *model.Model {
	rng := rand.New(rand.NewSource(seed))
	dims := []int{6, 5, 4, 3}
	m := &model.Model{Name: "fixture", InputSize: dims[0], InputScale: 255, ScaleBits: 6}
	for l := 0; l+1 < len(dims); l++ {
		lay := model.Layer{ReLU: l+2 < len(dims)}
		for o := 0; o < dims[l+1]; o++ {
			row := make([]int64, dims[l])
			for i := range row {
				row[i] = rng.Int63n(129) - 64
			}
			lay.W = append(lay.W, row)
			lay.B = append(lay.B, rng.Int63n(20001)-10000)
		}
		m.Layers = append(m.Layers, lay)
	}
	return m
}

// Benchmark returns n samples of m.InputSize features in [0, 255]; sample s is
// labelled with m's prediction, shifted by one class when s%3 == 0.
func Benchmark(m *model.Model, seed int64, n int) *benchmark.Benchmark {
	rng := rand.New(rand.NewSource(seed))
	b := &benchmark.Benchmark{Name: "fixture", Split: "test", NumFeatures: m.InputSize, InputScale: 255, ClassNames: []string{"a", "b", "c"}}
	for s := 0; s < n; s++ {
		x := make([]int64, m.InputSize)
		for i := range x {
			x[i] = rng.Int63n(256)
		}
		out, err := m.Eval(x)
		if err != nil {
			panic(err)
		}
		label := model.Argmax(out)
		if s%3 == 0 {
			label = (label + 1) % 3
		}
		b.X = append(b.X, x)
		b.Labels = append(b.Labels, label)
	}
	return b
}

// Tabular loads the test split of a real tabular data set from dir
// (testdata/tabular): data is an .arff or .csv file, schema its schema.
func Tabular(dir, data, schema string) (*benchmark.Benchmark, error) {
	s, err := benchmark.ReadSchema(filepath.Join(dir, schema))
	if err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(dir, data))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	load := benchmark.LoadARFF
	if strings.HasSuffix(data, ".csv") {
		load = benchmark.LoadCSVSchema
	}
	return load(f, data, s, "test")
}
