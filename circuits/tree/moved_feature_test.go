package tree_test

import (
	"fmt"
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/circuits/internal/gadgettest"
	ctree "github.com/zkeval/zkeval/circuits/tree"
	"github.com/zkeval/zkeval/model/tree"
)

// sparseParams recomputes NewSparse's lo, vb, sb for runBits 2.
func sparseParams(x [][]int64) (lo int64, vb, sb int) {
	lo, hi := x[0][0], x[0][0]
	for _, xs := range x {
		for _, v := range xs {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	vb = 1
	for vb < 62 && hi-lo >= int64(1)<<vb {
		vb++
	}
	sb = sparseSB(int64(len(x)*len(x[0])), 2)
	return
}

// bestRun is the strongest run hint: for the (possibly forged) position
// p = s·F + f it searches every key K for a, e in [0, 2^rb), v in
// [0, 2^vb) with (1+2^sb)·p - a + 2^sb·e + 2^(2sb)·v = K (mod q) and answers
// start = p - a, end = p + e, v. found counts the forged hits.
func bestRun(x [][]int64, rb int, found *int) func(*big.Int, []*big.Int, []*big.Int) error {
	lo, vb, sb := sparseParams(x)
	var keys []*big.Int
	for _, r := range ctree.Runs(x) {
		k := big.NewInt(r.Value - lo)
		k.Lsh(k, uint(sb)).Add(k, big.NewInt(r.End)).Lsh(k, uint(sb)).Add(k, big.NewInt(r.Start))
		keys = append(keys, k)
	}
	return func(field *big.Int, in, out []*big.Int) error {
		p := new(big.Int).Add(in[0], in[3])
		p.Mod(p, field)
		c := new(big.Int).Add(big.NewInt(1), new(big.Int).Lsh(big.NewInt(1), uint(sb)))
		cp := new(big.Int).Mul(c, p)
		for _, k := range keys {
			y := new(big.Int).Sub(k, cp)
			y.Mod(y, field)
			if y.Cmp(new(big.Int).Rsh(field, 1)) > 0 {
				y.Sub(y, field)
			}
			if !y.IsInt64() {
				continue
			}
			Y := y.Int64()
			for v := int64(0); v < 1<<vb; v++ {
				for e := int64(0); e < 1<<rb; e++ {
					a := e<<sb + v<<(2*sb) - Y
					if a >= 0 && a < 1<<rb {
						out[0].Sub(p, big.NewInt(a)).Mod(out[0], field)
						out[1].Add(p, big.NewInt(e)).Mod(out[1], field)
						out[2].SetInt64(v)
						if !in[0].IsInt64() || in[0].Int64() >= int64(len(x[0])) || in[0].Int64() < 0 {
							*found++
						}
						return nil
					}
				}
			}
		}
		// no run: answer some run (the read fails)
		out[0].SetInt64(0)
		out[1].SetInt64(0)
		out[2].SetInt64(0)
		return nil
	}
}

// movedSplit answers L + dL, T + dT and the f that keeps W.
func movedSplit(dL, dT int64) func(*big.Int, []*big.Int, []*big.Int) error {
	return func(field *big.Int, in, out []*big.Int) error {
		if err := ctree.WordHint(field, in, out); err != nil {
			return err
		}
		lb, tb, heap := in[1].Int64(), in[2].Int64(), in[3].Int64() == 1
		var d *big.Int
		if heap {
			d = big.NewInt(dT)
			out[1].Add(out[1], big.NewInt(dT)).Mod(out[1], field)
			inv := new(big.Int).ModInverse(new(big.Int).Lsh(big.NewInt(1), uint(tb)), field)
			d.Mul(d, inv)
		} else {
			d = new(big.Int).Add(big.NewInt(dL), new(big.Int).Lsh(big.NewInt(dT), uint(lb)))
			out[1].Add(out[1], big.NewInt(dT)).Mod(out[1], field)
			out[2].Add(out[2], big.NewInt(dL)).Mod(out[2], field)
			inv := new(big.Int).ModInverse(new(big.Int).Lsh(big.NewInt(1), uint(lb+tb)), field)
			d.Mul(d, inv)
		}
		out[0].Sub(out[0], d).Mod(out[0], field)
		return nil
	}
}

// TestMovedFeatureNumeric: over the whole windows of (dL, dT) the
// circuit's argument allows (|dL| < 2^lb, |dT| < 2^tb; the circuit's windows are narrower still), no forged feature
// index has any run (start, end, value) satisfying the read's key equation.
func TestMovedFeatureNumeric(t *testing.T) {
	field := ecc.BN254.ScalarField()
	for _, x := range [][][]int64{{{-1, -2, 0}}, samples} {
		lo, vb, sb := sparseParams(x)
		F := int64(len(x[0]))
		for _, heap := range []bool{false, true} {
			n := int64(5 * 2)
			if heap {
				n = 14
			}
			lb := 1
			for lb < 62 && n >= int64(1)<<lb {
				lb++
			}
			lb++
			// tb = max(bitsFor(|lo|), xb, cmpBits, thresholdBits) + 3
			blo := 1
			for blo < 62 && max(lo, -lo) >= int64(1)<<blo {
				blo++
			}
			tb := max(blo, vb, cmpBits, 5) + 3
			found := 0
			run := bestRun(x, 2, &found)
			tries := 0
			for s := range x {
				for f0 := int64(0); f0 < F; f0++ {
					for dL := -(int64(1) << lb) + 1; dL < int64(1)<<lb; dL++ {
						if heap && dL != 0 {
							continue
						}
						for dT := -(int64(1) << tb) + 1; dT < int64(1)<<tb; dT++ {
							if dL == 0 && dT == 0 {
								continue
							}
							var d *big.Int
							if heap {
								d = new(big.Int).ModInverse(new(big.Int).Lsh(big.NewInt(1), uint(tb)), field)
								d.Mul(d, big.NewInt(dT))
							} else {
								d = new(big.Int).ModInverse(new(big.Int).Lsh(big.NewInt(1), uint(lb+tb)), field)
								d.Mul(d, new(big.Int).Add(big.NewInt(dL), new(big.Int).Lsh(big.NewInt(dT), uint(lb))))
							}
							f := new(big.Int).Sub(big.NewInt(f0), d)
							f.Mod(f, field)
							in := []*big.Int{f, big.NewInt(F), big.NewInt(int64(vb)), big.NewInt(int64(s) * F)}
							out := []*big.Int{new(big.Int), new(big.Int), new(big.Int)}
							require.NoError(t, run(field, in, out))
							tries++
						}
					}
				}
			}
			t.Logf("x %v heap %v lb %d tb %d sb %d vb %d: %d forged splits tried, %d with a run", x, heap, lb, tb, sb, vb, tries, found)
			require.Zero(t, found)
		}
	}
}

// TestMovedFeatureCircuit: the same forgeries in the circuit (project
// range checker, base 4), linked and heap layouts, the best run hint.
func TestMovedFeatureCircuit(t *testing.T) {
	for _, heap := range []bool{false, true} {
		var e *tree.Ensemble
		if heap {
			e = heapEnsemble(t)
		} else {
			e = ensemble(t)
		}
		sparseReads = true
		w, a := circuit(t, e, samples)
		sparseReads = false
		c, ra := w, a // walkCircuit: the project's range checker, base 4
		honestFound := 0
		ee, se := gadgettest.Solve(t, c, ra, gadgettest.Override{Of: ctree.RunHint, Evil: bestRun(samples, 2, &honestFound)})
		require.NoError(t, ee)
		require.NoError(t, se)
		for dL := int64(-2); dL <= 2; dL++ {
			for dT := int64(-3); dT <= 3; dT++ {
				if (heap && dL != 0) || (dL == 0 && dT == 0) {
					continue
				}
				// every sample and tree: try each wrong leaf value as the claim
				found := 0
				for s := range samples {
					for tr := range 2 {
						for _, want := range []int64{0, 1, 2, 10, 20} {
							_, bad := circuit(t, e, samples)
							if bad.Want[s][tr].(*big.Int).Cmp(fe(want)) == 0 {
								continue
							}
							bad.Want[s][tr] = fe(want)
							rb := bad // an assignment: its reader choice does not matter
							ee, se := gadgettest.Solve(t, c, rb,
								gadgettest.Override{Of: ctree.WordHint, Evil: movedSplit(dL, dT)},
								gadgettest.Override{Of: ctree.RunHint, Evil: bestRun(samples, 2, &found)})
							require.Error(t, ee, fmt.Sprintf("heap %v dL %d dT %d s %d t %d want %d: engine", heap, dL, dT, s, tr, want))
							require.Error(t, se, fmt.Sprintf("heap %v dL %d dT %d s %d t %d want %d: solver", heap, dL, dT, s, tr, want))
						}
					}
				}
				require.Zero(t, found, "heap %v dL %d dT %d: forged run found", heap, dL, dT)
			}
		}
	}
}
