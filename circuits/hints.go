package circuits

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark/constraint/solver"
)

func init() {
	RegisterHints()
}

// RegisterHints registers the hints of this package. The gnark gadgets the
// circuit uses (rangecheck, its log-derivative argument) register their own
// hints when imported. A hint's id is a hash of its full function name, so
// renaming or moving one changes saved constraint systems.
func RegisterHints() {
	solver.RegisterHint(DenseHint, ReLUSignHint, ArgmaxHint, CopyHint)
}

// toSigned maps a field element to the signed integer it represents:
// v if v <= p/2, else v - p.
func toSigned(field, v *big.Int) (int64, error) {
	x := new(big.Int).Set(v)
	half := new(big.Int).Rsh(field, 1)
	if x.Cmp(half) > 0 {
		x.Sub(x, field)
	}
	if !x.IsInt64() {
		return 0, errors.New("value does not fit int64")
	}
	return x.Int64(), nil
}

func fromSigned(field *big.Int, v int64, out *big.Int) {
	out.SetInt64(v)
	if v < 0 {
		out.Add(out, field)
	}
}

// DenseHint computes acc = W·a + b for n samples. Inputs: in, out, n, then W
// ([out][in] row-major), b ([out]), then a ([n][in]). Outputs: acc ([n][out]).
// The circuit checks the outputs with a Freivalds check (see freivalds).
func DenseHint(field *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) < 3 {
		return errors.New("dense hint: missing header")
	}
	in, out, n := int(inputs[0].Int64()), int(inputs[1].Int64()), int(inputs[2].Int64())
	if len(inputs) != 3+out*in+out+n*in || len(outputs) != n*out {
		return fmt.Errorf("dense hint: %d inputs and %d outputs do not fit %dx%d for %d samples", len(inputs), len(outputs), out, in, n)
	}
	vals := make([]int64, len(inputs)-3)
	for i := range vals {
		v, err := toSigned(field, inputs[3+i])
		if err != nil {
			return fmt.Errorf("dense hint: input %d: %w", i, err)
		}
		vals[i] = v
	}
	w, b, a := vals[:out*in], vals[out*in:out*in+out], vals[out*in+out:]
	for s := 0; s < n; s++ {
		x := a[s*in : (s+1)*in]
		for o := 0; o < out; o++ {
			acc := b[o]
			row := w[o*in : (o+1)*in]
			for i, xi := range x {
				acc += row[i] * xi
			}
			fromSigned(field, acc, outputs[s*out+o])
		}
	}
	return nil
}

// ReLUSignHint outputs, for each input z, 1 if z > 0 (as a signed integer)
// and 0 otherwise. The circuit checks each output with a boolean constraint
// and a range check on (2·s-1)·z (see relu).
func ReLUSignHint(field *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) != len(outputs) {
		return errors.New("relu hint: inputs and outputs differ in length")
	}
	for i, z := range inputs {
		v, err := toSigned(field, z)
		if err != nil {
			return fmt.Errorf("relu hint: input %d: %w", i, err)
		}
		if v > 0 {
			outputs[i].SetInt64(1)
		} else {
			outputs[i].SetInt64(0)
		}
	}
	return nil
}

// ArgmaxHint outputs the one-hot encoding of the first maximal input (the
// tie rule of model.Argmax). The circuit checks it (see argmax).
func ArgmaxHint(field *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) != len(outputs) || len(inputs) == 0 {
		return errors.New("argmax hint: inputs and outputs differ in length")
	}
	best, bestV := 0, int64(0)
	for i, z := range inputs {
		v, err := toSigned(field, z)
		if err != nil {
			return fmt.Errorf("argmax hint: input %d: %w", i, err)
		}
		if i == 0 || v > bestV {
			best, bestV = i, v
		}
	}
	for i := range outputs {
		outputs[i].SetInt64(0)
	}
	outputs[best].SetInt64(1)
	return nil
}

// CopyHint outputs its inputs unchanged. The circuit holds each output equal
// to its input (see single).
func CopyHint(_ *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) != len(outputs) {
		return errors.New("copy hint: inputs and outputs differ in length")
	}
	for i, v := range inputs {
		outputs[i].Set(v)
	}
	return nil
}
