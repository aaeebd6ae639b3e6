package desc

import (
	"fmt"
	"math"

	"github.com/zkeval/zkeval/benchmark"
	"github.com/zkeval/zkeval/claim"
	"github.com/zkeval/zkeval/metric"
)

// ClaimError is the error for a claim that does not fit the benchmark (an
// unknown class or group attribute, a class never labelled; see
// claim.Resolve), as opposed to a model and benchmark that do not fit.
type ClaimError struct{ Err error }

func (e *ClaimError) Error() string { return e.Err.Error() }
func (e *ClaimError) Unwrap() error { return e.Err }

// ResolveShapes checks that shapes are at least one, in canonical order
// (claim.Sort) and each fit the benchmark's names and label counts
// (claim.Resolve) within MaxClaimBits, and returns their targets. The
// circuit's spec and Public share it, so that a prover and a verifier
// accept the same claims. A claim that does not fit is a *ClaimError.
func ResolveShapes(shapes []claim.Shape, names claim.Names, l metric.Labels) ([]metric.Target, error) {
	if len(shapes) == 0 {
		return nil, fmt.Errorf("claims: none; a proof carries at least one")
	}
	sorted := append([]claim.Shape(nil), shapes...)
	if err := claim.Sort(sorted); err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	for i := range sorted {
		if sorted[i] != shapes[i] {
			return nil, fmt.Errorf("claims: not in canonical order (claim.Sort)")
		}
	}
	ts := make([]metric.Target, len(shapes))
	for i, c := range shapes {
		t, err := claim.Resolve(c, names, l)
		if err != nil {
			return nil, &ClaimError{err}
		}
		if w := metric.DifferenceBits(t, l, claim.ThresholdBits+MaxRangeBase); w > MaxClaimBits {
			return nil, fmt.Errorf("%s over %d samples and %d classes needs %d-bit range checks, more than the %d this circuit allows; claim a per-class metric instead", c.Key(), l.N(-1), l.Classes(), w, MaxClaimBits)
		}
		ts[i] = t
	}
	return ts, nil
}

// Names returns the description's class and group names.
func (p Public) Names() claim.Names {
	return claim.Names{Classes: p.Classes, GroupAttribute: p.GroupAttribute, Groups: p.Groups}
}

// Resolve checks the description's benchmark names, label counts and
// claims, and returns the label counts and the resolved claims, for a
// verifier that has only the description. Errors name the field at fault.
func (p Public) Resolve() (metric.Labels, []metric.Target, error) {
	var l metric.Labels
	K := len(p.Classes)
	if K < 1 || K > benchmark.MaxClasses {
		return l, nil, fmt.Errorf("classes: %d; want between 1 and %d", K, benchmark.MaxClasses)
	}
	if (len(p.Shape.Layers) == 0 && !p.IsTrees()) || K != p.Shape.NumClasses() {
		return l, nil, fmt.Errorf("classes: %d names for a model of %d outputs", K, shapeClasses(p))
	}
	G := max(len(p.Groups), 1)
	if (p.GroupAttribute == "") != (len(p.Groups) == 0) {
		return l, nil, fmt.Errorf("groupAttribute %q with %d groups: give both or neither", p.GroupAttribute, len(p.Groups))
	}
	if len(p.LabelCounts) != G {
		return l, nil, fmt.Errorf("labelCounts: %d rows for %d groups", len(p.LabelCounts), G)
	}
	var total int64
	for g, row := range p.LabelCounts {
		if len(row) != K {
			return l, nil, fmt.Errorf("labelCounts[%d]: %d entries for %d classes", g, len(row), K)
		}
		for c, v := range row {
			if v < 0 || v > int64(p.Samples) {
				return l, nil, fmt.Errorf("labelCounts[%d][%d] = %d outside [0, %d]", g, c, v, p.Samples)
			}
			if v > math.MaxInt64-total {
				return l, nil, fmt.Errorf("labelCounts[%d][%d]: the counts sum past 2^63", g, c)
			}
			total += v
		}
	}
	if total != int64(p.Samples) {
		return l, nil, fmt.Errorf("labelCounts sum to %d, but the circuit has %d samples", total, p.Samples)
	}
	l.Pos = p.LabelCounts
	ts, err := ResolveShapes(p.Claims, p.Names(), l)
	if err != nil {
		return l, nil, err
	}
	return l, ts, nil
}

func shapeClasses(p Public) int {
	if len(p.Shape.Layers) == 0 && !p.IsTrees() {
		return 0
	}
	return p.Shape.NumClasses()
}
