// Command phase2cost estimates, without running it, the CPU time of gnark's
// mpcsetup Phase2.Initialize for a model and benchmark: the step that
// `zkeval ceremony phase2`, `seal` and `verify` each run once, and that
// dominates a ceremony of a large circuit. It compiles the circuit, counts
// the constraint-system terms Initialize visits, replays the group
// operations of a sample of them, times full-size scalar multiplications
// and affine additions on this machine, and prints the counts and the
// estimate.
//
//	go run ./bench/phase2cost --model M.zkm --benchmark B.bench [--first-layer linear|freivalds]
//
// The cost model (checked against measured Initialize runs in
// bench/ceremony-results.md):
//
//   - Lagrange conversion of [τ^i]₁, [ατ^i]₁, [βτ^i]₁ and [τ^i]₂ (gnark's
//     group FFTs): about (N/2)·(log₂N − 2) twiddle multiplications per array
//     plus N multiplications by 1/N, each a full-size scalar
//     multiplication, and N·log₂N affine additions per array;
//   - one pass over the constraints: each term with a coefficient other than
//     0, ±1 and 2 costs a scalar multiplication by its coefficient, two in
//     G1 for a term of A, two in G1 and one in G2 for a term of B, one in G1
//     for a term of C; other terms cost affine additions.
//
// Most of the FFT work runs on two goroutines when two cores are free; the
// pass over the constraints runs on one. The estimate is CPU time.
package main

import (
	"flag"
	"fmt"
	"math/big"
	"os"
	"syscall"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/constraint"
	cs "github.com/consensys/gnark/constraint/bn254"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/circuits"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/model"
)

func main() {
	modelPath := flag.String("model", "", "quantized model file (.zkm)")
	benchPath := flag.String("benchmark", "", "benchmark file (.bench)")
	firstLayer := flag.String("first-layer", "", "force the first-layer strategy (linear or freivalds); default: the one zkeval chooses")
	sample := flag.Int("sample", 20000, "about how many non-trivial terms to replay")
	flag.Parse()
	if *modelPath == "" || *benchPath == "" {
		fmt.Fprintln(os.Stderr, "usage: phase2cost --model M.zkm --benchmark B.bench [--first-layer linear|freivalds]")
		os.Exit(2)
	}
	if err := run(*modelPath, *benchPath, *firstLayer, *sample); err != nil {
		fmt.Fprintln(os.Stderr, "phase2cost:", err)
		os.Exit(1)
	}
}

// cpuSeconds is this process's user plus system CPU time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

// side is one of the three sides of an R1CS constraint: A (L), B (R), C (O).
const (
	sideA = iota
	sideB
	sideC
)

func trivial(id int) bool {
	return id == constraint.CoeffIdZero || id == constraint.CoeffIdOne || id == constraint.CoeffIdMinusOne || id == constraint.CoeffIdTwo
}

func run(modelPath, benchPath, firstLayer string, want int) error {
	m, err := model.ReadFile(modelPath)
	if err != nil {
		return err
	}
	b, err := benchmark.ReadFile(benchPath)
	if err != nil {
		return err
	}
	cl, err := claim.Parse("accuracy >= 0")
	if err != nil {
		return err
	}
	spec, err := circuits.NewSpec(m, b, []claim.Shape{cl.Shape(true)})
	if err != nil {
		return err
	}
	if firstLayer != "" {
		spec.FirstLayer = firstLayer
		if err := spec.Validate(); err != nil {
			return err
		}
	}
	t0 := time.Now()
	ccs, err := keys.Compile(spec)
	if err != nil {
		return err
	}
	r, ok := ccs.(*cs.R1CS)
	if !ok {
		return fmt.Errorf("%T is not a BN254 R1CS", ccs)
	}
	compileWall := time.Since(t0)

	// Count the terms by side and kind.
	var nonTrivial, trivialTerms [3]int64
	it := r.GetR1CIterator()
	for c := it.Next(); c != nil; c = it.Next() {
		for s, ts := range [3][]constraint.Term{c.L, c.R, c.O} {
			for _, t := range ts {
				switch id := t.CoeffID(); {
				case id == constraint.CoeffIdZero:
				case trivial(id):
					trivialTerms[s]++
				default:
					nonTrivial[s]++
				}
			}
		}
	}
	total := nonTrivial[0] + nonTrivial[1] + nonTrivial[2]
	stride := max(total/int64(max(want, 1)), 1)

	// Collect every stride-th non-trivial coefficient, by side.
	var coeffs [3][]big.Int
	var k int64
	it = r.GetR1CIterator()
	for c := it.Next(); c != nil; c = it.Next() {
		for s, ts := range [3][]constraint.Term{c.L, c.R, c.O} {
			for _, t := range ts {
				id := t.CoeffID()
				if trivial(id) {
					continue
				}
				if k++; k%stride != 0 {
					continue
				}
				var v big.Int
				r.Coefficients[id].BigInt(&v)
				coeffs[s] = append(coeffs[s], v)
			}
		}
	}

	// Time one G1 multiplication and addition per sampled coefficient (and
	// one G2 for side B), as Initialize does.
	_, _, g1, g2 := bn254.Generators()
	var perG1, perG2 [3]float64 // µs per term
	for s := range coeffs {
		if len(coeffs[s]) == 0 {
			continue
		}
		var acc bn254.G1Affine
		c0 := cpuSeconds()
		for i := range coeffs[s] {
			var tmp bn254.G1Affine
			tmp.ScalarMultiplication(&g1, &coeffs[s][i])
			acc.Add(&acc, &tmp)
		}
		perG1[s] = (cpuSeconds() - c0) / float64(len(coeffs[s])) * 1e6
		if s == sideB {
			var acc2 bn254.G2Affine
			c0 = cpuSeconds()
			for i := range coeffs[s] {
				var tmp bn254.G2Affine
				tmp.ScalarMultiplication(&g2, &coeffs[s][i])
				acc2.Add(&acc2, &tmp)
			}
			perG2[s] = (cpuSeconds() - c0) / float64(len(coeffs[s])) * 1e6
		}
	}

	// Full-size scalar multiplications (the FFT twiddles) and additions.
	var x fr.Element
	x.SetRandom()
	var full big.Int
	x.BigInt(&full)
	mulG1 := timeOp(2000, func() { var p bn254.G1Affine; p.ScalarMultiplication(&g1, &full) })
	mulG2 := timeOp(1000, func() { var p bn254.G2Affine; p.ScalarMultiplication(&g2, &full) })
	var a1 bn254.G1Affine
	var a2 bn254.G2Affine
	addG1 := timeOp(50000, func() { a1.Add(&a1, &g1) })
	addG2 := timeOp(20000, func() { a2.Add(&a2, &g2) })

	nbc := r.GetNbConstraints()
	n := 1
	logN := 0
	for n < max(nbc, 2) {
		n *= 2
		logN++
	}
	ni, ns, np := r.GetNbVariables()
	N := float64(n)
	fftMul := (N/2*float64(logN-2) + N) * (3*mulG1 + mulG2) / 1e6
	fftAdd := N * float64(logN) * (3*addG1 + addG2) / 1e6
	termA := float64(nonTrivial[sideA]) * 2 * perG1[sideA] / 1e6
	termB := float64(nonTrivial[sideB]) * (2*perG1[sideB] + perG2[sideB]) / 1e6
	termC := float64(nonTrivial[sideC]) * perG1[sideC] / 1e6
	adds := float64(2*trivialTerms[sideA]+2*trivialTerms[sideB]+trivialTerms[sideC])*addG1 + float64(trivialTerms[sideB])*addG2
	adds /= 1e6

	fmt.Printf("circuit       %s first layer, %d samples, %d constraints, N = 2^%d, %d wires (compiled in %.1f s)\n",
		spec.FirstLayer, b.Len(), nbc, logN, ni+ns+np, compileWall.Seconds())
	fmt.Printf("terms         A %d, B %d, C %d with other coefficients than 0, ±1, 2; A %d, B %d, C %d with ±1 or 2\n",
		nonTrivial[0], nonTrivial[1], nonTrivial[2], trivialTerms[0], trivialTerms[1], trivialTerms[2])
	fmt.Printf("this machine  full-size scalar multiplication G1 %.1f µs, G2 %.1f µs; affine addition G1 %.2f µs, G2 %.2f µs (CPU)\n", mulG1, mulG2, addG1, addG2)
	fmt.Printf("per term      A %.1f µs (G1), B %.1f µs (G1) + %.1f µs (G2), C %.1f µs (G1), from %d, %d and %d sampled coefficients (CPU)\n",
		perG1[sideA], perG1[sideB], perG2[sideB], perG1[sideC], len(coeffs[0]), len(coeffs[1]), len(coeffs[2]))
	fmt.Printf("estimate      Phase2.Initialize CPU %.0f s: group FFTs %.0f s (multiplications %.0f s, additions %.0f s), terms %.0f s (A %.0f s, B %.0f s, C %.0f s, trivial %.0f s)\n",
		fftMul+fftAdd+termA+termB+termC+adds, fftMul+fftAdd, fftMul, fftAdd, termA+termB+termC+adds, termA, termB, termC, adds)
	return nil
}

// timeOp returns the CPU time of one call of f, in µs, over n calls.
func timeOp(n int, f func()) float64 {
	c0 := cpuSeconds()
	for range n {
		f()
	}
	return (cpuSeconds() - c0) / float64(n) * 1e6
}
