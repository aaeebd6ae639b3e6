package circuits

import (
	"github.com/consensys/gnark/constraint/solver"

	"github.com/zkeval/zkeval/circuits/activation"
	"github.com/zkeval/zkeval/circuits/argmax"
	"github.com/zkeval/zkeval/circuits/conv"
	"github.com/zkeval/zkeval/circuits/freivalds"
	"github.com/zkeval/zkeval/circuits/pool"
	"github.com/zkeval/zkeval/circuits/rangecheck"
	"github.com/zkeval/zkeval/circuits/relu"
	ctree "github.com/zkeval/zkeval/circuits/tree"
)

func init() {
	RegisterHints()
}

// RegisterHints registers the hints of every gadget the circuit uses, in
// one place: package freivalds (the dense product and the copy), relu (the
// sign), argmax (the one-hot prediction), rangecheck (limbs and table
// counts), activation, tree, conv and pool. The gnark gadgets the circuit
// uses (logderivlookup, multicommit) register their own hints when
// imported. A hint's id is a hash of its full function name, so
// renaming or moving one changes saved constraint systems (and must change
// Version).
func RegisterHints() {
	var hs []solver.Hint
	hs = append(hs, freivalds.Hints()...)
	hs = append(hs, relu.Hints()...)
	hs = append(hs, activation.Hints()...)
	hs = append(hs, argmax.Hints()...)
	hs = append(hs, ctree.Hints()...)
	hs = append(hs, conv.Hints()...)
	hs = append(hs, pool.Hints()...)
	hs = append(hs, rangecheck.Hints()...)
	solver.RegisterHint(hs...)
}
