package circuits

import (
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/lookup/logderivlookup"

	"github.com/zkeval/zkeval/circuits/freivalds"
	"github.com/zkeval/zkeval/circuits/relu"
	"github.com/zkeval/zkeval/circuits/signed"
	"github.com/zkeval/zkeval/model"
)

// This file is the forward pass of a neural network, shared by the
// evaluation circuit (EvalCircuit, over the benchmark's samples as circuit
// constants) and the shard circuit (ShardCircuit, over a shard's samples as
// secret inputs): the layer loop and each layer's gadget, chosen from the
// public description (desc.Public) alone.

// forward is a network's forward pass for one public description: its
// bounds and gadget choices, and the lookup tables, which newForward
// creates before the circuit's first multicommit call so that their
// deferred arguments join the circuit's single commitment.
type forward struct {
	p    Public
	relu []logderivlookup.Table
	acts actTables
}

// newForward creates the lookup tables of p's layers: a ReLU table for
// each ReLULookup layer, an activation table for each table activation.
// Call it after creating the range checker and before any multicommit
// call.
func newForward(api frontend.API, p Public) *forward {
	f := &forward{p: p, relu: make([]logderivlookup.Table, len(p.Shape.Layers))}
	for l := range p.Shape.Layers {
		if p.ReLU[l] == ReLULookup {
			f.relu[l] = relu.NewTable(api, p.ReLUTable[l])
		}
	}
	f.acts = newActTables(api, p)
	return f
}

// netVars are a network's secret parameters, as EvalCircuit and
// ShardCircuit hold them: W [layer][out][in], B [layer][out], CW [spatial
// layer][OutC][C·KH·KW] and CB [spatial layer][OutC] (nil for pools).
type netVars struct {
	W  [][][]frontend.Variable
	B  [][]frontend.Variable
	CW [][][]frontend.Variable
	CB [][]frontend.Variable
}

// assignNet assigns m's weights and biases, dense and convolutional, to v
// (allocated for m's shape).
func assignNet(m *model.Model, v netVars) {
	for l := range m.Layers {
		for o, row := range m.Layers[l].W {
			for i, w := range row {
				v.W[l][o][i] = w
			}
			v.B[l][o] = m.Layers[l].B[o]
		}
	}
	for k := range m.Spatial {
		for o, row := range m.Spatial[k].W {
			for i, w := range row {
				v.CW[k][o][i] = w
			}
			v.CB[k][o] = m.Spatial[k].B[o]
		}
	}
}

// run evaluates the network on x ([n][InputSize], features within
// [-2^InputBits, 2^InputBits), constants or enforced by the caller) and
// returns its logits [n][classes]. The spatial layers run first
// (spatialLayers), their outputs feeding the first dense layer; every dense
// layer's product is checked by freivalds.Dense, except that, for a network
// without spatial layers, first (when not nil) builds the first layer's
// accumulators instead (the evaluation circuit's linear combinations over
// constant features).
//
// Every layer's accumulators are bounded to the published -2^k <= acc < 2^k
// (k = AccBits[l]) by the gadget that consumes them: the lookup table
// (whose range lies within the bound), the ReLU range check (|acc| < 2^k),
// an activation's table or LeakyRelu check, package signed for a layer
// without ReLU before the last. The logits are bounded by the argmax that
// compares them, which the caller applies. With inputs bounded this way,
// the exact integer each accumulator stands for is below
// 2^desc.MaxValueBits (desc.Public.Bounds), so the checks modulo p hold for
// integers.
//
// The checks of the products draw their randomness from the circuit's
// single commitment, which must hold x when x are variables (the caller
// commits them before calling run).
func (f *forward) run(api frontend.API, rc frontend.Rangechecker, v netVars, x [][]frontend.Variable, first func() [][]frontend.Variable) [][]frontend.Variable {
	p := f.p
	act := x
	spatial := len(p.Shape.Spatial) > 0
	if spatial {
		act = spatialLayers(api, rc, p, v.CW, v.CB, x)
	}
	for l := range p.Shape.Layers {
		var acc [][]frontend.Variable
		if l == 0 && !spatial && first != nil {
			acc = first()
		} else {
			acc = freivalds.Dense(api, v.W[l], v.B[l], act)
		}
		if out, ok := f.acts.apply(api, rc, p, l, acc); ok {
			act = out
			continue
		}
		switch p.ReLU[l] {
		case ReLULookup:
			act = relu.Lookup(api, f.relu[l], acc, p.ReLUTable[l])
		case ReLURange:
			act = relu.Range(api, rc, acc, p.AccBits[l])
		case "":
			// The last layer's logits are bounded by the argmax gadget,
			// on every logit it compares.
			if l < len(p.Shape.Layers)-1 {
				signed.CheckAll(api, rc, acc, p.AccBits[l])
			}
			act = acc
		}
	}
	return act
}
