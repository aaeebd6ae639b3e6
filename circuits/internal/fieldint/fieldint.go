// Package fieldint maps between field elements and the signed integers
// the evaluation circuit's hints compute with.
package fieldint

import (
	"errors"
	"math/big"
)

// ErrRange is returned for a field element whose signed value does not fit
// an int64.
var ErrRange = errors.New("value does not fit int64")

// ToSigned maps a field element to the signed integer it represents:
// v if v <= p/2, else v - p. It returns ErrRange when that integer does not
// fit an int64.
func ToSigned(field, v *big.Int) (int64, error) {
	x := new(big.Int).Set(v)
	half := new(big.Int).Rsh(field, 1)
	if x.Cmp(half) > 0 {
		x.Sub(x, field)
	}
	if !x.IsInt64() {
		return 0, ErrRange
	}
	return x.Int64(), nil
}

// FromSigned sets out to the field element of the signed integer v.
func FromSigned(field *big.Int, v int64, out *big.Int) {
	out.SetInt64(v)
	if v < 0 {
		out.Add(out, field)
	}
}
