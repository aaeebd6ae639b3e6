// Package signed is the gadget that bounds a signed value inside the
// circuit: Check enforces -2^k <= v < 2^k with one range check of v + 2^k
// on k+1 bits (gnark's std/rangecheck, a log-derivative argument: Haböck
// 2022, https://eprint.iacr.org/2022/1530).
//
// A layer whose accumulators no other gadget bounds (a layer without
// activation, and the logits the argmax compares) goes through Check, so
// that the exact integer each accumulator stands for, whose magnitude the
// public description bounds far below the field (desc.Public.Bounds), lies
// within the published bound.
package signed

import (
	"math/big"

	"github.com/consensys/gnark/frontend"
)

// Check enforces -2^k <= v < 2^k, for v read as a signed integer (the
// field element v, or v - p). It costs one range check of k+1 bits.
// 1 <= k and k+1 must be below the field's size in bits.
func Check(api frontend.API, rc frontend.Rangechecker, v frontend.Variable, k int) {
	rc.Check(api.Add(v, new(big.Int).Lsh(big.NewInt(1), uint(k))), k+1)
}

// CheckAll applies Check to every value of vs.
func CheckAll(api frontend.API, rc frontend.Rangechecker, vs [][]frontend.Variable, k int) {
	for _, row := range vs {
		for _, v := range row {
			Check(api, rc, v, k)
		}
	}
}
