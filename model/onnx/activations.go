package onnx

import (
	"math"
	"slices"
	"strings"

	"github.com/zkeval/zkeval/model"
	"github.com/zkeval/zkeval/model/activation"
)

// This file imports the hidden activations other than Relu: LeakyRelu,
// Tanh, Sigmoid (when a later node reads it), HardSigmoid, HardSwish,
// Gelu (the opset-20 op, approximate "none") and GELU's Erf form (Div or
// Mul by √2, Erf, Add 1, Mul by x, Mul by 0.5), each after a dense layer.
// Package model/activation gives their integer semantics.

// hiddenKinds maps the single-node activations to their kinds.
var hiddenKinds = map[string]string{
	"LeakyRelu": activation.LeakyRelu, "Tanh": activation.Tanh, "Sigmoid": activation.Sigmoid,
	"HardSigmoid": activation.HardSigmoid, "HardSwish": activation.HardSwish, "Gelu": activation.Gelu,
}

// opActivation imports a single-node hidden activation of the current
// node's input 0.
func (p *importer) opActivation(op string) error {
	v, err := p.need(0)
	if err != nil {
		return err
	}
	fs := &activation.FloatSpec{Kind: hiddenKinds[op]}
	switch op {
	case "LeakyRelu":
		if fs.Slope, err = p.attrFloat("alpha", 0.01); err != nil {
			return err
		}
		if !(fs.Slope >= 0 && fs.Slope <= 1) {
			return p.unsupported("LeakyRelu", "zkeval supports LeakyRelu slopes (alpha) in [0, 1]")
		}
	case "HardSigmoid":
		if fs.HardAlpha, err = p.attrFloat("alpha", 0.2); err != nil {
			return err
		}
		if fs.HardBeta, err = p.attrFloat("beta", 0.5); err != nil {
			return err
		}
	case "Gelu":
		approx, err := p.attrString("approximate", "none")
		if err != nil {
			return err
		}
		if approx != "none" {
			return p.unsupported("GELU (tanh approximation)", "zkeval supports the exact GELU (approximate \"none\"); export with F.gelu(x) or nn.GELU()")
		}
	}
	return p.setActivation(v, fs)
}

// setActivation makes fs the activation of the last dense layer, whose
// current output v must be.
func (p *importer) setActivation(v *value, fs *activation.FloatSpec) error {
	op := p.node.GetOpType()
	if !v.isData() {
		return p.nodeFail(ErrUnsupported, "applies %s to a constant; it is supported only as the activation of a dense layer", op)
	}
	if err := p.checkCurrent(v); err != nil {
		return err
	}
	if len(p.layers) == 0 && len(p.spatial) > 0 {
		return p.nodeFail(ErrUnsupported, "applies %s to the output of a convolution or pooling layer; zkeval applies only Relu there (%s after a Gemm or MatMul layer)", op, op)
	}
	if len(p.layers) == 0 {
		return p.nodeFail(ErrUnsupported, "applies %s to the graph input; it is supported only after a Gemm or MatMul layer", op)
	}
	if p.pend != nil {
		return p.nodeFail(ErrUnsupported, "applies %s after %s, which do not fold into a dense layer from there; zkeval folds affine nodes into the layer before the activation or into the one after it",
			op, strings.Join(p.pend.nodes, ", "))
	}
	last := &p.layers[len(p.layers)-1]
	if !p.open || last.ReLU || last.Act != nil {
		return p.nodeFail(ErrUnsupported, "applies %s to activations that already went through an activation; zkeval takes one activation per dense layer", op)
	}
	last.Act = fs
	p.open = false
	return p.dataOut(v.shape)
}

// tryGELU imports a recognised GELU Erf pattern at its last member (all
// its constants are defined by then). It returns false, leaving the
// pattern to be reported as unsupported, when the nodes do not compute
// exactly x/2·(1 + erf(x/√2)) of the last layer's output.
func (p *importer) tryGELU(pat *pattern) bool {
	ms := pat.members
	if len(ms) != 5 {
		return false
	}
	byOp := map[string][]int{}
	for _, m := range ms {
		byOp[p.nodes[m].GetOpType()] = append(byOp[p.nodes[m].GetOpType()], m)
	}
	if len(byOp["Erf"]) != 1 || len(byOp["Add"]) != 1 || len(byOp["Mul"])+len(byOp["Div"]) != 3 {
		return false
	}
	erf, add := p.nodes[byOp["Erf"][0]], p.nodes[byOp["Add"][0]]
	// The scaling node produces the Erf's input: Div(x, √2) or Mul(x, 1/√2).
	var scale int = -1
	for _, m := range append(append([]int(nil), byOp["Div"]...), byOp["Mul"]...) {
		if outs := p.nodes[m].GetOutput(); len(outs) > 0 && len(erf.GetInput()) > 0 && outs[0] == erf.GetInput()[0] {
			scale = m
		}
	}
	if scale < 0 {
		return false
	}
	sn := p.nodes[scale]
	if len(sn.GetInput()) != 2 {
		return false
	}
	x := sn.GetInput()[0]
	c, ok := p.scalar(sn.GetInput()[1])
	switch {
	case !ok:
		return false
	case sn.GetOpType() == "Div" && math.Abs(c-math.Sqrt2) > 1e-6:
		return false
	case sn.GetOpType() == "Mul" && math.Abs(c-1/math.Sqrt2) > 1e-6:
		return false
	}
	// Add(erf, 1).
	if !p.binaryWith(add, erf.GetOutput()[0], 1) {
		return false
	}
	// The two Muls: their inputs other than the inner one's output are
	// x, the Add's output and 0.5.
	var muls []int
	for _, m := range byOp["Mul"] {
		if m != scale {
			muls = append(muls, m)
		}
	}
	if len(muls) != 2 {
		return false
	}
	inner, outer := p.nodes[muls[0]], p.nodes[muls[1]]
	if len(inner.GetOutput()) == 0 || len(outer.GetInput()) != 2 || len(inner.GetInput()) != 2 {
		return false
	}
	var rest []string
	rest = append(rest, inner.GetInput()...)
	found := false
	for _, in := range outer.GetInput() {
		if in == inner.GetOutput()[0] && !found {
			found = true
			continue
		}
		rest = append(rest, in)
	}
	if !found || len(rest) != 3 {
		return false
	}
	seenX, seenAdd, seenHalf := false, false, false
	for _, in := range rest {
		switch {
		case in == x && !seenX:
			seenX = true
		case in == add.GetOutput()[0] && !seenAdd:
			seenAdd = true
		default:
			if h, ok := p.scalar(in); ok && h == 0.5 && !seenHalf {
				seenHalf = true
			} else {
				return false
			}
		}
	}
	if !seenX || !seenAdd || !seenHalf {
		return false
	}
	// The intermediate values are read by members only.
	for _, m := range ms {
		n := p.nodes[m]
		if n == outer {
			continue
		}
		for _, o := range n.GetOutput() {
			for j, other := range p.nodes {
				if containsInt(ms, j) {
					continue
				}
				for _, in := range other.GetInput() {
					if in == o {
						return false
					}
				}
			}
			for _, g := range p.outputs {
				if g == o {
					return false
				}
			}
		}
	}
	v, ok := p.vals[x]
	if !ok {
		return false
	}
	// Convert as the last node of the group, whose output is GELU's.
	p.node, p.nodeIdx = outer, muls[1]
	if err := p.setActivation(v, &activation.FloatSpec{Kind: activation.Gelu}); err != nil {
		return false
	}
	p.note(model.ActionActivation, p.layers[len(p.layers)-1].Name, "GELU in its Erf form ("+strings.Join(pat.u.Nodes, ", ")+") imported as one GELU activation with erf (not the tanh approximation), computed through a lookup table like the Gelu op")
	return true
}

// feedsComputation reports whether a later node computes from name other
// than through Identity, Dropout and Cast (which pass it on unchanged): a
// Sigmoid whose output does so is a hidden activation, not the model's
// head.
func (p *importer) feedsComputation(name string) bool {
	names := []string{name}
	for len(names) > 0 {
		v := names[0]
		names = names[1:]
		for _, n := range p.nodes[p.nodeIdx+1:] {
			if !slices.Contains(n.GetInput(), v) {
				continue
			}
			switch n.GetOpType() {
			case "Identity", "Dropout", "Cast":
				if outs := n.GetOutput(); len(outs) > 0 && outs[0] != "" {
					names = append(names, outs[0])
				}
			default:
				return true
			}
		}
	}
	return false
}

// scalar returns the single float element of a constant.
func (p *importer) scalar(name string) (float64, bool) {
	v, err := p.get(name)
	if err != nil || !v.isConst() || !v.isFloat() || len(v.f) != 1 {
		return 0, false
	}
	return v.f[0], true
}

// binaryWith reports whether node n reads in and the constant c, in
// either order.
func (p *importer) binaryWith(n interface{ GetInput() []string }, in string, c float64) bool {
	ins := n.GetInput()
	if len(ins) != 2 {
		return false
	}
	for k := range 2 {
		if ins[k] == in {
			if v, ok := p.scalar(ins[1-k]); ok && v == c {
				return true
			}
		}
	}
	return false
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
