// Package claim parses metric claims such as "accuracy >= 0.97" and turns
// their thresholds into exact count bounds. Thresholds are exact rationals
// (a decimal such as 0.97 or a fraction such as 97/100); no floating point
// enters the claim path.
package claim

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"
)

// Metrics lists the metrics this version proves.
var Metrics = []string{"accuracy"}

// Claim is a parsed claim.
type Claim struct {
	Metric     string
	Comparison string   // ">=" or "<="
	Threshold  *big.Rat // in [0, 1]
	Text       string   // the threshold as written
}

var claimRE = regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=)\s*(\S+)\s*$`)
var decimalRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)
var fractionRE = regexp.MustCompile(`^[0-9]+/[0-9]+$`)

// Parse reads "METRIC >= T" or "METRIC <= T", where T is a decimal (0.97) or
// a fraction (97/100) in [0, 1]. Errors say what is wrong and what is
// accepted.
func Parse(s string) (*Claim, error) {
	m := claimRE.FindStringSubmatch(s)
	if m == nil {
		return nil, fmt.Errorf("claim %q: write it as \"METRIC >= THRESHOLD\" or \"METRIC <= THRESHOLD\", e.g. \"accuracy >= 0.97\"", s)
	}
	metric := strings.ToLower(m[1])
	known := false
	for _, k := range Metrics {
		known = known || k == metric
	}
	if !known {
		return nil, fmt.Errorf("claim %q: unknown metric %q; supported: %s", s, m[1], strings.Join(Metrics, ", "))
	}
	t, err := ParseThreshold(m[3])
	if err != nil {
		return nil, fmt.Errorf("claim %q: %w", s, err)
	}
	return &Claim{Metric: metric, Comparison: m[2], Threshold: t, Text: m[3]}, nil
}

// ParseThreshold parses a decimal or fraction in [0, 1] exactly.
func ParseThreshold(s string) (*big.Rat, error) {
	if !decimalRE.MatchString(s) && !fractionRE.MatchString(s) {
		return nil, fmt.Errorf("threshold %q is not a decimal (0.97) or a fraction (97/100)", s)
	}
	t, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, fmt.Errorf("threshold %q is not a number", s)
	}
	if t.Sign() < 0 || t.Cmp(big.NewRat(1, 1)) > 0 {
		return nil, fmt.Errorf("threshold %s is outside [0, 1]", s)
	}
	return t, nil
}

// Bound returns the count bound the claim implies for n samples: for
// "accuracy >= t", the least count c with c/n >= t, ceil(t·n); for
// "accuracy <= t", the greatest count with c/n <= t, floor(t·n).
func (c *Claim) Bound(n int) int64 {
	p := new(big.Rat).Mul(c.Threshold, new(big.Rat).SetInt64(int64(n)))
	q, r := new(big.Int).QuoRem(p.Num(), p.Denom(), new(big.Int))
	if c.Comparison == ">=" && r.Sign() != 0 {
		q.Add(q, big.NewInt(1))
	}
	return q.Int64()
}

// Holds reports whether count correct predictions out of n satisfy the claim.
func (c *Claim) Holds(count int64, n int) bool {
	v := big.NewRat(count, int64(n))
	if c.Comparison == ">=" {
		return v.Cmp(c.Threshold) >= 0
	}
	return v.Cmp(c.Threshold) <= 0
}

// String returns "accuracy >= 0.97".
func (c *Claim) String() string { return c.Metric + " " + c.Comparison + " " + c.Text }

// FormatRatio writes count/n as a decimal with 4 places, truncated (never
// rounded up), e.g. 9712/10000 -> "0.9712".
func FormatRatio(count int64, n int) string {
	r := new(big.Int).Mul(big.NewInt(count), big.NewInt(10000))
	r.Quo(r, big.NewInt(int64(n)))
	return fmt.Sprintf("%d.%04d", r.Int64()/10000, r.Int64()%10000)
}
