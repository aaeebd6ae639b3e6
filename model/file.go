package model

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/zkeval/zkeval/internal/atomicfile"
	"github.com/zkeval/zkeval/internal/jsonfile"
	"github.com/zkeval/zkeval/model/activation"
)

// FileFormat names the JSON format of a quantized model file (.zkm)
// without activations other than ReLU; FileFormatV2 names the format of a
// file whose layers carry one (its "activation" field). Parse reads both;
// WriteFile writes v1 whenever it can, so that older readers keep reading
// what they understand and refuse, by its format, what they do not.
const (
	FileFormat   = "zkeval-model/v1"
	FileFormatV2 = "zkeval-model/v2"
)

type fileLayer struct {
	Name    string    `json:"name"`
	In      int       `json:"in"`
	Out     int       `json:"out"`
	ReLU    bool      `json:"relu"`
	Weights [][]int64 `json:"weights"` // [out][in]
	Biases  []int64   `json:"biases"`  // [out]
	// Activation: only in FileFormatV2.
	Activation *activation.Spec `json:"activation,omitempty"`
}

type fileSpatial struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
	In   Dims   `json:"in"`
	Window
	OutC    int       `json:"outC,omitempty"`
	ReLU    bool      `json:"relu,omitempty"`
	Weights [][]int64 `json:"weights,omitempty"` // [outC][c·kh·kw]
	Biases  []int64   `json:"biases,omitempty"`  // [outC]
}

type fileModel struct {
	Format     string  `json:"format"`
	Name       string  `json:"name"`
	InputSize  int     `json:"inputSize"`
	InputScale int64   `json:"inputScale"`
	ScaleBits  int     `json:"scaleBits"`
	Source     *Source `json:"source,omitempty"`
	// Input and Spatial: a convolutional network's input layout and
	// spatial layers (absent for an MLP).
	Input   *Dims         `json:"input,omitempty"`
	Spatial []fileSpatial `json:"spatial,omitempty"`
	Layers  []fileLayer   `json:"layers"`
	// Trees holds a tree ensemble's table (no layers then).
	Trees *treeFile `json:"trees,omitempty"`
}

// Source records where a quantized model came from.
type Source struct {
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
	Opset  int64  `json:"opset,omitempty"`
}

// WriteFile saves m as JSON (FileFormat) atomically: on error no file is left.
// The file holds the secret weights; keep it private.
func WriteFile(path string, m *Model, src *Source) error {
	fm := fileModel{Format: FileFormat, Name: m.Name, InputSize: m.InputSize, InputScale: m.InputScale, ScaleBits: m.ScaleBits, Source: src}
	if m.Trees != nil {
		fm.Trees = toTreeFile(m.Trees)
	}
	fm.Input = m.Input
	for _, l := range m.Spatial {
		fm.Spatial = append(fm.Spatial, fileSpatial{Kind: l.Kind, Name: l.Name, In: l.In, Window: l.Window, OutC: l.OutC, ReLU: l.ReLU, Weights: l.W, Biases: l.B})
	}
	for _, l := range m.Layers {
		fm.Layers = append(fm.Layers, fileLayer{Name: l.Name, In: l.In(), Out: l.Out(), ReLU: l.ReLU, Weights: l.W, Biases: l.B, Activation: l.Act})
		if l.Act != nil {
			fm.Format = FileFormatV2
		}
	}
	data, err := json.Marshal(fm)
	if err != nil {
		return fmt.Errorf("encode model: %w", err)
	}
	return atomicfile.WriteFile(path, data, 0o600)
}

// ReadFile loads a quantized model file written by WriteFile. Errors name the
// file and the layer or field at fault.
func ReadFile(path string) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(data, path)
}

// Parse decodes a quantized model file's bytes; source names it in errors.
func Parse(data []byte, source string) (*Model, error) {
	const hint = "create model files with `zkeval model import`"
	var fm fileModel
	if err := jsonfile.Decode(data, source, FileFormat, hint, &fm); err != nil {
		return nil, err
	}
	if fm.Format != FileFormat && fm.Format != FileFormatV2 {
		return nil, fmt.Errorf("%s: format %q, want %q or %q; %s", source, fm.Format, FileFormat, FileFormatV2, hint)
	}
	m := &Model{Name: fm.Name, InputSize: fm.InputSize, InputScale: fm.InputScale, ScaleBits: fm.ScaleBits}
	const damaged = "the file is damaged: create it again with `zkeval model import`"
	if fm.Trees != nil {
		m.Trees = fm.Trees.ensemble(fm.InputSize)
	}
	m.Input = fm.Input
	for _, l := range fm.Spatial {
		m.Spatial = append(m.Spatial, SpatialLayer{Kind: l.Kind, Name: l.Name, In: l.In, Window: l.Window, OutC: l.OutC, ReLU: l.ReLU, W: l.Weights, B: l.Biases})
	}
	for i, l := range fm.Layers {
		if len(l.Weights) != l.Out {
			return nil, fmt.Errorf("%s: layer %d (%s): %d weight rows, but out = %d; %s", source, i, l.Name, len(l.Weights), l.Out, damaged)
		}
		for o, row := range l.Weights {
			if len(row) != l.In {
				return nil, fmt.Errorf("%s: layer %d (%s): weight row %d has %d values, but in = %d; %s", source, i, l.Name, o, len(row), l.In, damaged)
			}
		}
		if l.Activation != nil && fm.Format != FileFormatV2 {
			return nil, fmt.Errorf("%s: layer %d (%s): an activation in a %q file (activations need %q); %s", source, i, l.Name, fm.Format, FileFormatV2, damaged)
		}
		m.Layers = append(m.Layers, Layer{Name: l.Name, W: l.Weights, B: l.Biases, ReLU: l.ReLU, Act: l.Activation})
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w; %s", source, err, damaged)
	}
	s := m.Shape()
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w; %s", source, err, damaged)
	}
	m.PrepareActivations()
	return m, nil
}
