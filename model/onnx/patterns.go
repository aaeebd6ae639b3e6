package onnx

import (
	"slices"

	pb "github.com/advancedclimatesystems/gonnx/onnx"
)

// This file recognises activation functions that exporters split into
// several operators, so that an error names GELU rather than the Div that
// starts it. Every one is unsupported: the recognition only names them.
//
//   - GELU, Erf form (torch.onnx.export below opset 20, F.gelu):
//     Div(x, √2) or Mul(x, 1/√2), Erf, Add(·, 1), Mul(x, ·), Mul(·, 0.5);
//   - GELU, tanh approximation: Pow(x, 3), Mul, Add, Mul, Tanh, Add, Mul...;
//   - SiLU (Swish): Sigmoid(x), Mul(x, ·);
//   - HardSwish below opset 14: HardSigmoid(x), Mul(x, ·);
//   - Mish: Softplus(x), Tanh, Mul(x, ·).

// pattern is one recognised group of nodes.
type pattern struct {
	u        Unsupported
	reported bool
	// members are the group's node indices, in order.
	members []int
}

// graphIndex maps value names to the nodes that produce and read them.
type graphIndex struct {
	nodes     []*pb.NodeProto
	producer  map[string]int
	consumers map[string][]int
}

func (gi *graphIndex) op(i int) string {
	n := gi.nodes[i]
	if !isDefaultDomain(n.GetDomain()) {
		return ""
	}
	return n.GetOpType()
}

// prod returns the node producing input k of node i, or -1.
func (gi *graphIndex) prod(i, k int) int {
	ins := gi.nodes[i].GetInput()
	if k >= len(ins) {
		return -1
	}
	if j, ok := gi.producer[ins[k]]; ok {
		return j
	}
	return -1
}

// readers returns the nodes reading output 0 of node i with op type op.
func (gi *graphIndex) readers(i int, op string) []int {
	outs := gi.nodes[i].GetOutput()
	if len(outs) == 0 {
		return nil
	}
	var r []int
	for _, j := range gi.consumers[outs[0]] {
		if gi.op(j) == op {
			r = append(r, j)
		}
	}
	return r
}

// reads reports whether node j reads name.
func (gi *graphIndex) reads(j int, name string) bool {
	return slices.Contains(gi.nodes[j].GetInput(), name)
}

// findPatterns returns the recognised groups by node index.
func findPatterns(nodes []*pb.NodeProto) map[int]*pattern {
	gi := &graphIndex{nodes: nodes, producer: map[string]int{}, consumers: map[string][]int{}}
	for i, n := range nodes {
		for _, o := range n.GetOutput() {
			if o != "" {
				gi.producer[o] = i
			}
		}
		for _, in := range n.GetInput() {
			gi.consumers[in] = append(gi.consumers[in], i)
		}
	}
	out := map[int]*pattern{}
	add := func(what string, members []int) {
		slices.Sort(members)
		members = slices.Compact(members)
		for _, m := range members {
			if out[m] != nil {
				return // already part of another group
			}
		}
		first := members[0]
		u := Unsupported{Node: label(nodes[first], first), Op: nodes[first].GetOpType(), What: what, Reason: hiddenReason}
		for _, m := range members {
			u.Nodes = append(u.Nodes, label(nodes[m], m))
		}
		pat := &pattern{u: u, members: members}
		for _, m := range members {
			out[m] = pat
		}
	}
	// input0 returns the first input of node i.
	input0 := func(i int) string {
		if ins := nodes[i].GetInput(); len(ins) > 0 {
			return ins[0]
		}
		return ""
	}
	// times returns the Mul nodes reading node i's output together with x.
	times := func(i int, x string) []int {
		var r []int
		for _, m := range gi.readers(i, "Mul") {
			if x != "" && gi.reads(m, x) {
				r = append(r, m)
			}
		}
		return r
	}
	// forward adds the Add and Mul nodes that finish an activation of x
	// after node i: Add(·, 1), then Mul by x and by 0.5 in either order.
	forward := func(i int, members []int, x string) []int {
		tips := []int{i}
		for _, a := range gi.readers(i, "Add") {
			members = append(members, a)
			tips = append(tips, a)
		}
		for _, t := range tips {
			for _, m := range gi.readers(t, "Mul") {
				members = append(members, m)
				for _, m2 := range gi.readers(m, "Mul") {
					members = append(members, m2)
				}
				for k := range nodes[m].GetInput() {
					if j := gi.prod(m, k); j >= 0 && gi.op(j) == "Mul" && !slices.Contains(members, j) && x != "" && gi.reads(j, x) {
						members = append(members, j) // Mul(x, 0.5) computed first
					}
				}
			}
		}
		return members
	}
	for i := range nodes {
		switch gi.op(i) {
		case "Erf":
			members := []int{i}
			x := ""
			if j := gi.prod(i, 0); j >= 0 && (gi.op(j) == "Div" || gi.op(j) == "Mul") {
				members = append(members, j)
				x = input0(j)
			}
			add("GELU", forward(i, members, x))
		case "Tanh":
			// The tanh approximation of GELU has a Pow(x, 3) among the
			// few nodes before its Tanh.
			members := []int{i}
			frontier := []int{i}
			pow, x := false, ""
			for depth := 0; depth < 4; depth++ {
				var next []int
				for _, f := range frontier {
					for k := range nodes[f].GetInput() {
						j := gi.prod(f, k)
						if j < 0 {
							continue
						}
						switch gi.op(j) {
						case "Pow":
							pow, x = true, input0(j)
							members = append(members, j)
						case "Mul", "Add":
							members = append(members, j)
							next = append(next, j)
						}
					}
				}
				frontier = next
			}
			if pow {
				add("GELU (tanh approximation)", forward(i, members, x))
				continue
			}
			if j := gi.prod(i, 0); j >= 0 && gi.op(j) == "Softplus" {
				if ms := times(i, input0(j)); len(ms) > 0 {
					add("Mish", append([]int{j, i}, ms...))
				}
			}
		case "Sigmoid":
			if ms := times(i, input0(i)); len(ms) > 0 {
				add("SiLU (Swish)", append([]int{i}, ms...))
			}
		case "HardSigmoid":
			if ms := times(i, input0(i)); len(ms) > 0 {
				add("HardSwish", append([]int{i}, ms...))
			}
		}
	}
	return out
}
