package model

import (
	"errors"
	"fmt"

	"github.com/zkeval/zkeval/model/tree"
)

// validateTrees checks a tree-ensemble model: no layers, the scales within
// the shape's limits and the ensemble itself (tree.Ensemble.Validate) for
// InputSize features.
func (m *Model) validateTrees() error {
	if len(m.Layers) != 0 || len(m.Spatial) != 0 || m.Input != nil {
		return errors.New("model: a tree ensemble with dense or spatial layers")
	}
	if m.InputSize < 1 || m.InputScale < 1 || m.InputScale > MaxShapeField {
		return fmt.Errorf("model: input size %d and input scale %d must be positive (scale below 2^40)", m.InputSize, m.InputScale)
	}
	if m.ScaleBits < 0 || m.ScaleBits > 40 {
		return fmt.Errorf("model: leaf scale bits %d outside [0, 40]", m.ScaleBits)
	}
	if m.Trees.Features != m.InputSize {
		return fmt.Errorf("model: the tree ensemble reads %d features but the model takes %d", m.Trees.Features, m.InputSize)
	}
	if err := m.Trees.Validate(); err != nil {
		return fmt.Errorf("model: %w", err)
	}
	return nil
}

// validateTrees checks a tree-ensemble shape (tree.Shape.Validate) and
// that it has no layers.
func (s *Shape) validateTrees() error {
	if len(s.Layers) != 0 || len(s.Spatial) != 0 || s.Input != nil {
		return errors.New("shape: a tree ensemble with dense or spatial layers")
	}
	if s.ScaleBits < 0 || s.ScaleBits > 40 {
		return fmt.Errorf("shape: leaf scale bits %d outside [0, 40]", s.ScaleBits)
	}
	if err := s.Trees.Validate(s.InputSize); err != nil {
		return fmt.Errorf("shape: %w", err)
	}
	return nil
}

// treeFile is a tree ensemble's part of a model file.
type treeFile struct {
	tree.Shape
	Feature   []int     `json:"feature"`
	Threshold []int64   `json:"threshold"`
	Left      []int     `json:"left"`
	Value     [][]int64 `json:"value"`
	Base      []int64   `json:"base"`
}

func toTreeFile(e *tree.Ensemble) *treeFile {
	return &treeFile{Shape: e.Shape, Feature: e.Feature, Threshold: e.Threshold, Left: e.Left, Value: e.Value, Base: e.Base}
}

func (f *treeFile) ensemble(features int) *tree.Ensemble {
	return &tree.Ensemble{Shape: f.Shape, Features: features, Feature: f.Feature, Threshold: f.Threshold, Left: f.Left, Value: f.Value, Base: f.Base}
}
