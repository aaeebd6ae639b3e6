package circuits

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/profile"
	pprof "github.com/google/pprof/profile"
)

// Gadget names used in constraint breakdowns.
const (
	GadgetPublic     = "public inputs"
	GadgetCommitment = "commitment (Poseidon2)"
	GadgetPacking    = "commitment (packing)"
	GadgetFreivalds  = "dense layers (Freivalds)"
	GadgetReLU       = "relu (sign and product)"
	GadgetLookup     = "relu (lookup table)"
	GadgetArgmax     = "argmax"
	GadgetBound      = "accumulator bounds (signed)"
	GadgetRange      = "log-derivative arguments (range checks and lookups)"
	GadgetClaim      = "claim"
	GadgetTree       = "tree paths (lookups and branches)"
	GadgetConv       = "convolutions (Freivalds over channels and positions)"
	GadgetMaxPool    = "max pooling (hinted maximum)"
	GadgetOther      = "other"
)

// Breakdown is the number of constraints per gadget of a compiled circuit.
type Breakdown struct {
	Total       int            `json:"total"`
	Wires       int            `json:"wires"`
	Samples     int            `json:"samples"`
	PerGadget   map[string]int `json:"perGadget"`
	RangeChecks map[string]int `json:"rangeChecksByWidth,omitempty"`
}

// Profile compiles the circuit of spec with gnark's constraint profiler and
// attributes every constraint to the gadget whose code created it.
// Deferred work (the range-check and lookup arguments) is attributed to
// GadgetRange and GadgetLookup.
func Profile(spec *Spec) (*Breakdown, error) {
	b, err := profileCircuit(New(spec), spec.Bench.Len(), classify)
	if err != nil {
		return nil, err
	}
	b.RangeChecks = map[string]int{}
	for _, c := range specRangeChecks(spec) {
		bits := c.bits
		if !c.exact {
			bits = widen(bits, spec.RangeBase)
		}
		b.RangeChecks[fmt.Sprintf("%d bits", bits)] += int(c.count)
	}
	return b, nil
}

// profileCircuit compiles circuit with gnark's constraint profiler and
// attributes every constraint to the gadget that by returns for the stack that
// created it (what it leaves unattributed goes to GadgetOther); samples is
// the divisor of the per-sample figures.
func profileCircuit(circuit frontend.Circuit, samples int, by func([]*pprof.Location) string) (*Breakdown, error) {
	dir, err := os.MkdirTemp("", "zkeval-profile-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "gnark.pprof")
	p := profile.Start(profile.WithPath(path))
	cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, circuit)
	p.Stop()
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	prof, err := pprof.Parse(f)
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	b := &Breakdown{Total: cs.GetNbConstraints(), Wires: cs.GetNbInternalVariables() + cs.GetNbSecretVariables() + cs.GetNbPublicVariables(),
		Samples: samples, PerGadget: map[string]int{}}
	attributed := 0
	for _, s := range prof.Sample {
		if len(s.Value) == 0 || s.Value[0] == 0 {
			continue
		}
		g := by(s.Location)
		if g == GadgetOther && os.Getenv("ZKEVAL_PROFILE_DEBUG") != "" {
			var names []string
			for _, l := range s.Location {
				for _, ln := range l.Line {
					names = append(names, ln.Function.Name)
				}
			}
			fmt.Fprintln(os.Stderr, s.Value[0], strings.Join(names, " < "))
		}
		b.PerGadget[g] += int(s.Value[0])
		attributed += int(s.Value[0])
	}
	if d := b.Total - attributed; d != 0 {
		b.PerGadget[GadgetOther] += d
	}
	return b, nil
}

// classify walks a stack from the leaf and returns the first gadget frame.
// gnark's profiler keeps short function names and drops anonymous
// functions, so the multicommit callbacks of the log-derivative arguments
// (range checks and lookups) appear only as commitAndCall frames.
func classify(locs []*pprof.Location) string {
	for _, l := range locs {
		for _, ln := range l.Line {
			if ln.Function == nil {
				continue
			}
			fn := ln.Function.Name
			switch {
			case strings.HasPrefix(fn, "rangecheck."):
				return GadgetRange
			case strings.HasPrefix(fn, "logderivlookup.") || strings.HasPrefix(fn, "logderivarg."):
				return GadgetRange
			case strings.HasPrefix(fn, "poseidon2.") || strings.HasPrefix(fn, "hash."):
				return GadgetCommitment
			case strings.HasPrefix(fn, "freivalds."):
				return GadgetFreivalds
			case strings.HasPrefix(fn, "conv."):
				return GadgetConv
			case strings.HasPrefix(fn, "pool."):
				return GadgetMaxPool
			case fn == "relu.Range":
				return GadgetReLU
			case strings.HasPrefix(fn, "relu."):
				return GadgetLookup
			case strings.HasPrefix(fn, "tree."):
				return GadgetTree
			case strings.HasSuffix(fn, "checkTreeCommitment"):
				return GadgetPacking
			case strings.HasPrefix(fn, "argmax."):
				return GadgetArgmax
			case strings.HasPrefix(fn, "signed."):
				return GadgetBound
			case strings.HasSuffix(fn, "checkCommitment"):
				return GadgetPacking
			case strings.HasSuffix(fn, "(*EvalCircuit).Define") || strings.HasSuffix(fn, "checkClaims") || strings.HasPrefix(fn, "metric.") || strings.Contains(fn, "circuits.arith"):
				return GadgetClaim
			case strings.HasPrefix(fn, "multicommit."):
				return GadgetRange
			}
		}
	}
	return GadgetOther
}

// GadgetCount is one gadget's share of a breakdown.
type GadgetCount struct {
	Gadget      string
	Constraints int
}

// Gadgets returns the per-gadget counts, largest first (ties by name).
func (b *Breakdown) Gadgets() []GadgetCount {
	rows := make([]GadgetCount, 0, len(b.PerGadget))
	for k, v := range b.PerGadget {
		rows = append(rows, GadgetCount{k, v})
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Constraints != rows[j].Constraints {
			return rows[i].Constraints > rows[j].Constraints
		}
		return rows[i].Gadget < rows[j].Gadget
	})
	return rows
}

// String formats the breakdown as aligned lines, largest first.
func (b *Breakdown) String() string {
	var sb strings.Builder
	for _, r := range b.Gadgets() {
		fmt.Fprintf(&sb, "  %-52s %10d  %8.1f per sample\n", r.Gadget, r.Constraints, float64(r.Constraints)/float64(b.Samples))
	}
	fmt.Fprintf(&sb, "  %-52s %10d  %8.1f per sample\n", "total", b.Total, float64(b.Total)/float64(b.Samples))
	return sb.String()
}
