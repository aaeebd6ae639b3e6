package metric

import "math/big"

// Determined reports whether the values of every count in cs follow from
// the values of the counts in known and the benchmark's public label counts,
// by linear algebra over the confusion cells (the number of samples of group
// g labelled t and predicted p): each count is a sum of cells, each label
// count Pos[g][t] the sum of its row. A hidden claim whose counts are all
// determined by the counts other claims reveal is not hidden. (Determined
// ignores that cells are not negative, so it can miss a value pinned only by
// that; it never reports a value that is not pinned.)
func Determined(cs, known []Count, l Labels) bool {
	G, K := l.Groups(), l.Classes()
	n := G * K * K
	cell := func(g, t, p int) int { return (g*K+t)*K + p }
	vec := func(c Count) []*big.Rat {
		v := make([]*big.Rat, n)
		for i := range v {
			v[i] = new(big.Rat)
		}
		for g := 0; g < G; g++ {
			if c.Group >= 0 && g != c.Group {
				continue
			}
			for k := 0; k < K; k++ {
				if c.Class >= 0 && k != c.Class {
					continue
				}
				if c.Kind == TP {
					v[cell(g, k, k)].SetInt64(1)
					continue
				}
				for t := 0; t < K; t++ {
					v[cell(g, t, k)].SetInt64(1)
				}
			}
		}
		return v
	}
	var basis [][]*big.Rat // rows in echelon form; pivot[i] is row i's pivot
	var pivot []int
	reduce := func(v []*big.Rat) []*big.Rat {
		for i, b := range basis {
			p := pivot[i]
			if v[p].Sign() == 0 {
				continue
			}
			f := new(big.Rat).Quo(v[p], b[p])
			for j := range v {
				if b[j].Sign() != 0 {
					v[j].Sub(v[j], new(big.Rat).Mul(f, b[j]))
				}
			}
		}
		return v
	}
	add := func(v []*big.Rat) {
		v = reduce(v)
		for j := range v {
			if v[j].Sign() != 0 {
				basis = append(basis, v)
				pivot = append(pivot, j)
				return
			}
		}
	}
	for g := 0; g < G; g++ {
		for t := 0; t < K; t++ {
			v := make([]*big.Rat, n)
			for i := range v {
				v[i] = new(big.Rat)
			}
			for p := 0; p < K; p++ {
				v[cell(g, t, p)].SetInt64(1)
			}
			add(v)
		}
	}
	for _, c := range known {
		add(vec(c))
	}
	for _, c := range cs {
		for _, x := range reduce(vec(c)) {
			if x.Sign() != 0 {
				return false
			}
		}
	}
	return true
}

// DeterminedHidden reports, for each claim on targets[k] (revealed when
// reveal[k]), whether it is hidden and yet determined by the counts the
// revealed ones publish (see Determined).
func DeterminedHidden(targets []Target, reveal []bool, l Labels) []bool {
	var known []Count
	for k, t := range targets {
		if reveal[k] {
			known = append(known, Counts(t, l)...)
		}
	}
	out := make([]bool, len(targets))
	if len(known) == 0 {
		return out
	}
	for k, t := range targets {
		out[k] = !reveal[k] && Determined(Counts(t, l), known, l)
	}
	return out
}
