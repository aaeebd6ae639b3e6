package main

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"time"

	pprof "github.com/google/pprof/profile"
)

// cpuCategory is one row of the CPU breakdown: a sample belongs to the first
// category (in table order) one of whose patterns matches a function of its
// stack.
type cpuCategory struct {
	name string
	re   *regexp.Regexp
}

var cpuCategories = []cpuCategory{
	{"garbage collector (background marking)", regexp.MustCompile(`^runtime\.(gcBgMarkWorker|bgsweep|bgscavenge)$`)},
	{"load keys: SHA-256 of the files", regexp.MustCompile(`^crypto/(internal/fips140/)?sha256\.`)},
	{"load keys: decode constraint system and proving key", regexp.MustCompile(`^github\.com/zkeval/zkeval/keys\.LoadProver$|^github\.com/consensys/gnark/constraint\.\(\*System\)\.(FromBytes|calldataFromBytes)|groth16/bn254\.\(\*ProvingKey\)\.`)},
	{"Groth16: multi-scalar multiplications in G2", regexp.MustCompile(`ecc/bn254\.(processChunkG2|_innerMsmG2|batchAddG2|\(\*G2Jac\)\.MultiExp|\(\*G2Affine\)\.MultiExp)`)},
	{"Groth16: multi-scalar multiplications in G1", regexp.MustCompile(`ecc/bn254\.(processChunkG1|_innerMsmG1|batchAddG1|partitionScalars|\(\*G1Jac\)\.MultiExp|\(\*G1Affine\)\.MultiExp)`)},
	{"Groth16: FFTs of the quotient (computeH)", regexp.MustCompile(`groth16/bn254\.computeH|/fr/fft\.`)},
	{"Groth16: Pedersen commitment and its proof of knowledge", regexp.MustCompile(`/pedersen\.`)},
	{"solver: hints, log-derivative inverses, wire values", regexp.MustCompile(`^github\.com/consensys/gnark/constraint/bn254\.\(\*(system|solver)\)`)},
	{"native inference and witness", regexp.MustCompile(`^github\.com/zkeval/zkeval/(model|prover|circuits)\.`)},
}

// cpuRow is one row of a CPU breakdown.
type cpuRow struct {
	name    string
	seconds float64
}

// cpuBreakdown reads a CPU profile and returns CPU seconds per category
// (rows in table order, then "other"), the profile's total CPU seconds and
// its duration.
func cpuBreakdown(path string) ([]cpuRow, float64, time.Duration, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, 0, err
	}
	defer f.Close()
	p, err := pprof.Parse(io.Reader(f))
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%s: %w", path, err)
	}
	idx := -1
	for i, st := range p.SampleType {
		if st.Type == "cpu" && st.Unit == "nanoseconds" {
			idx = i
		}
	}
	if idx < 0 {
		return nil, 0, 0, fmt.Errorf("%s: not a CPU profile", path)
	}
	per := make([]float64, len(cpuCategories)+1)
	var total float64
	for _, s := range p.Sample {
		v := float64(s.Value[idx]) / 1e9
		total += v
		per[categoryOf(s)] += v
	}
	rows := make([]cpuRow, 0, len(per))
	for i, c := range cpuCategories {
		rows = append(rows, cpuRow{c.name, per[i]})
	}
	rows = append(rows, cpuRow{"other", per[len(cpuCategories)]})
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].seconds > rows[j].seconds })
	return rows, total, time.Duration(p.DurationNanos), nil
}

func categoryOf(s *pprof.Sample) int {
	for i, c := range cpuCategories {
		for _, loc := range s.Location {
			for _, ln := range loc.Line {
				if ln.Function != nil && c.re.MatchString(ln.Function.Name) {
					return i
				}
			}
		}
	}
	return len(cpuCategories)
}
