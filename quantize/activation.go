package quantize

import (
	"fmt"
	"math/big"
	"strconv"

	"github.com/zkeval/zkeval/desc"
	"github.com/zkeval/zkeval/model/activation"
)

// describeActivation fills the activation fields of layer l's report:
// what the circuit computes for it (package model/activation gives the
// integer rules).
func (r *Report) describeActivation(l int, lr *LayerReport) {
	a := r.Model.Layers[l].Act
	if a.Kind == activation.LeakyRelu {
		lr.LeakyAlpha = a.Alpha
		slope := ""
		if r.fm != nil && l < len(r.fm.Layers) && r.fm.Layers[l].Act != nil {
			lr.LeakySlope = r.fm.Layers[l].Act.Slope
			// The ONNX attribute is a float32: its shortest decimal.
			slope = "slope " + strconv.FormatFloat(lr.LeakySlope, 'g', -1, 32) + " → "
		}
		lr.ActivationRule = fmt.Sprintf("exact, %s%d/2^%d = %.6g (the nearest multiple of 2^-%d); negative accumulators give floor(acc·%d/2^%d), rounded down",
			slope, a.Alpha, activation.LeakyShift, float64(a.Alpha)/(1<<activation.LeakyShift), activation.LeakyShift, a.Alpha, activation.LeakyShift)
		return
	}
	shift := a.Shift
	lr.TableShift, lr.TableOutBits = &shift, a.OutBits
	what := ""
	if a.Kind == activation.Gelu {
		what = "GELU with erf (not the tanh approximation), through a "
	}
	lr.ActivationRule = fmt.Sprintf("%slookup table: input step %s (shift %d: index floor(acc/2^%d)), output rounded to 2^-%d",
		what, inputStep(r.Model.LayerScale(l), shift), shift, shift, a.OutBits)
	if r.tables != nil {
		lr.TableEntries = r.tables[l]
		lr.ActivationRule += fmt.Sprintf("; %d entries for the benchmark's accumulators (at most 2^%d)", lr.TableEntries, desc.MaxActTableBits)
	} else {
		lr.ActivationRule += fmt.Sprintf("; its size (at most 2^%d entries) is checked at setup, on the benchmark's accumulators: give --benchmark to check it now", desc.MaxActTableBits)
	}
}

// inputStep writes 2^shift/scale, the activation's input step: a power of
// two when scale is one, else the fraction and its value.
func inputStep(scale *big.Int, shift int) string {
	if k := scale.BitLen() - 1; scale.Sign() > 0 && scale.TrailingZeroBits() == uint(k) {
		return fmt.Sprintf("2^%d", shift-k)
	}
	v, _ := new(big.Rat).SetFrac(new(big.Int).Lsh(big.NewInt(1), uint(shift)), scale).Float64()
	return fmt.Sprintf("2^%d/%s ≈ %.3g", shift, scale, v)
}
