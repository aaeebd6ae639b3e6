// Package activation defines the hidden activations other than ReLU that a
// quantized layer may apply, their exact integer semantics, and the
// integer tables of the smooth ones. It is plain Go (no gnark): package
// model evaluates them natively, package desc bounds them and package
// circuits builds the same tables as circuit constants.
//
// # Integer semantics
//
// A layer's accumulator acc is an integer at the layer's fixed-point scale
// S (the float value is acc/S).
//
//   - LeakyRelu with negative slope alpha: out = acc when acc >= 0, else
//     floor(acc·Alpha / 2^LeakyShift), Alpha = round(alpha·2^LeakyShift)
//     (half away from zero), 0 <= Alpha <= 2^LeakyShift. The output keeps
//     the accumulator's scale S. floor rounds toward minus infinity, as an
//     arithmetic right shift does.
//
//   - The table kinds (Tanh, Sigmoid, Gelu, HardSigmoid, HardSwish): the
//     index q = floor(acc / 2^Shift) and out = Entry(q), an integer at
//     scale 2^OutBits:
//
//     Entry(q) = round(f(x_q)·2^OutBits),
//     x_q = (q·2^Shift + c)/S, c = 2^(Shift-1) when Shift > 0, else 0
//
//     (x_q is the middle of the accumulators that share index q), rounded
//     half away from zero.
//
// # Rounding, identical on every platform
//
// No entry depends on the platform's floating point. HardSigmoid and
// HardSwish are rational in x and are computed exactly with math/big.Rat.
// Tanh, Sigmoid and Gelu are computed with math/big.Float at Prec bits,
// whose every operation is correctly rounded, by fixed series: exp by
// halving the argument until |r| <= 1/2, its Taylor series to 2^-(Prec+8)
// and repeated squaring; erf by its Maclaurin series 2/√π Σ (-1)^n
// x^(2n+1)/(n!(2n+1)) at |x| <= ErfCut (extra precision covers the
// cancellation) and ±1 beyond; π from a 100-digit constant. The result is
// then rounded half away from zero. The same program gives the same bits
// on any machine; the entry equals round(f(x_q)·2^OutBits) of the exact
// real value unless that value lies within 2^-60 of a half-integer (the
// cut of erf at ErfCut changes f by less than 2^-96, and tanh and sigmoid
// are taken as ±1 and 0/1 beyond |x| > 64, an error below 2^-180).
package activation

import (
	"errors"
	"fmt"
	"math"
)

// Kinds.
const (
	LeakyRelu   = "leakyRelu"
	Tanh        = "tanh"
	Sigmoid     = "sigmoid"
	Gelu        = "gelu"
	HardSigmoid = "hardSigmoid"
	HardSwish   = "hardSwish"
)

// Kinds lists every kind, in a fixed order (Code is the index plus 2).
var Kinds = []string{LeakyRelu, Tanh, Sigmoid, Gelu, HardSigmoid, HardSwish}

// LeakyShift: LeakyRelu's slope is Alpha/2^LeakyShift.
const LeakyShift = 16

// MaxOutBits bounds OutBits.
const MaxOutBits = 24

// MaxShift bounds Shift.
const MaxShift = 62

// Prec is the precision, in bits, of the math/big.Float computations.
const Prec = 128

// ErfCut: erf(x) is taken as sign(x) for |x| > ErfCut.
const ErfCut = 8

// Spec is one layer's activation. Its JSON form is part of the public
// model shape (model.LayerShape) and so of the circuit id.
type Spec struct {
	// Kind is one of Kinds.
	Kind string `json:"kind"`
	// Alpha, for LeakyRelu: the negative slope is Alpha/2^LeakyShift,
	// 0 <= Alpha <= 2^LeakyShift.
	Alpha int64 `json:"alpha,omitempty"`
	// HardAlpha and HardBeta, for HardSigmoid: f(x) = max(0, min(1,
	// HardAlpha·x + HardBeta)), the float32 attributes of the ONNX node as
	// exact float64 values. HardSwish has ONNX's fixed 1/6 and 1/2.
	HardAlpha float64 `json:"hardAlpha,omitempty"`
	HardBeta  float64 `json:"hardBeta,omitempty"`
	// OutBits, for the table kinds: the output's scale is 2^OutBits.
	OutBits int `json:"outBits,omitempty"`
	// Shift, for the table kinds: the table's index is
	// floor(acc / 2^Shift).
	Shift int `json:"shift,omitempty"`
}

// IsTable reports whether the kind is computed through a lookup table.
func (s *Spec) IsTable() bool { return s != nil && s.Kind != LeakyRelu }

// Code returns the kind's number in the commitment header: 2 + its index
// in Kinds (0 and 1 are no activation and ReLU), or -1 for an unknown kind.
func Code(kind string) int64 {
	for i, k := range Kinds {
		if k == kind {
			return int64(i) + 2
		}
	}
	return -1
}

// Validate checks the spec's fields.
func (s *Spec) Validate() error {
	if s == nil {
		return nil
	}
	if Code(s.Kind) < 0 {
		return fmt.Errorf("activation kind %q; want one of %v", s.Kind, Kinds)
	}
	if s.Kind == LeakyRelu {
		if s.Alpha < 0 || s.Alpha > 1<<LeakyShift {
			return fmt.Errorf("leakyRelu alpha %d/2^%d outside [0, 1]", s.Alpha, LeakyShift)
		}
		if s.OutBits != 0 || s.Shift != 0 || s.HardAlpha != 0 || s.HardBeta != 0 {
			return errors.New("leakyRelu takes only alpha")
		}
		return nil
	}
	if s.Alpha != 0 {
		return fmt.Errorf("%s takes no alpha", s.Kind)
	}
	if s.OutBits < 1 || s.OutBits > MaxOutBits {
		return fmt.Errorf("%s: outBits %d outside [1, %d]", s.Kind, s.OutBits, MaxOutBits)
	}
	if s.Shift < 0 || s.Shift > MaxShift {
		return fmt.Errorf("%s: shift %d outside [0, %d]", s.Kind, s.Shift, MaxShift)
	}
	if s.Kind == HardSigmoid {
		if math.IsNaN(s.HardAlpha) || math.IsInf(s.HardAlpha, 0) || math.IsNaN(s.HardBeta) || math.IsInf(s.HardBeta, 0) || math.Abs(s.HardAlpha) > 1<<20 || math.Abs(s.HardBeta) > 1<<20 {
			return fmt.Errorf("hardSigmoid: alpha %g and beta %g must be finite and below 2^20", s.HardAlpha, s.HardBeta)
		}
	} else if s.HardAlpha != 0 || s.HardBeta != 0 {
		return fmt.Errorf("%s takes no hardAlpha or hardBeta", s.Kind)
	}
	return nil
}

// LeakyAlpha returns Alpha for a float slope: round(alpha·2^LeakyShift),
// half away from zero. It fails for a slope outside [0, 1].
func LeakyAlpha(alpha float64) (int64, error) {
	if !(alpha >= 0 && alpha <= 1) {
		return 0, fmt.Errorf("LeakyRelu slope %g: zkeval supports slopes in [0, 1]", alpha)
	}
	return int64(math.Round(alpha * (1 << LeakyShift))), nil
}

// Leaky returns LeakyRelu's integer output for acc (see the package
// documentation). |acc| must be below 2^46 so that acc·Alpha fits int64.
func Leaky(acc, alpha int64) int64 {
	if acc >= 0 {
		return acc
	}
	return (acc * alpha) >> LeakyShift
}

// Float applies the activation to a float value (for float inference and
// accuracy reports only; circuits use Entry).
func (s *Spec) Float(x float64) float64 {
	switch s.Kind {
	case LeakyRelu:
		if x >= 0 {
			return x
		}
		return x * float64(s.Alpha) / (1 << LeakyShift)
	case Tanh:
		return math.Tanh(x)
	case Sigmoid:
		return 1 / (1 + math.Exp(-x))
	case Gelu:
		return x / 2 * (1 + math.Erf(x/math.Sqrt2))
	case HardSigmoid:
		return max(0, min(1, s.HardAlpha*x+s.HardBeta))
	case HardSwish:
		return x * max(0, min(1, x/6+0.5))
	}
	return math.NaN()
}

// FloatSpec is the float form of a layer's activation, as an importer reads
// it: the kind and its parameters (Alpha as the float slope for LeakyRelu).
type FloatSpec struct {
	Kind                string
	Slope               float64 // LeakyRelu
	HardAlpha, HardBeta float64 // HardSigmoid
}

// Float applies the float activation.
func (f *FloatSpec) Float(x float64) float64 {
	switch f.Kind {
	case LeakyRelu:
		if x >= 0 {
			return x
		}
		return x * f.Slope
	case HardSigmoid:
		return max(0, min(1, f.HardAlpha*x+f.HardBeta))
	}
	s := Spec{Kind: f.Kind}
	return s.Float(x)
}
