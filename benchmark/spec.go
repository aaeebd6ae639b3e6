package benchmark

import (
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
)

// MaxScaleBits is the largest EncodingSpec.ScaleBits (and schema
// featureScaleBits): InputScale = 2^ScaleBits must fit an int64.
const MaxScaleBits = 62

// ColumnKind says how one column of a tabular file becomes features.
type ColumnKind uint8

const (
	// Numeric: the column holds decimal numbers v, and gives one feature,
	// round((v − Subtract) / Divide · 2^ScaleBits).
	Numeric ColumnKind = 1
	// OneHot: the column holds categories, and gives one feature per
	// declared category, in declared order: 2^ScaleBits (the value 1) for
	// the sample's category and 0 for the others.
	OneHot ColumnKind = 2
)

// String returns "numeric" or "onehot".
func (k ColumnKind) String() string {
	switch k {
	case Numeric:
		return "numeric"
	case OneHot:
		return "onehot"
	}
	return fmt.Sprintf("ColumnKind(%d)", uint8(k))
}

// GroupRule says how the values of the group column map to groups.
type GroupRule uint8

const (
	// GroupByValue: group g holds the samples whose group-column value is
	// one of GroupValues[g].
	GroupByValue GroupRule = 1
	// GroupByThreshold: the group column holds decimal numbers v, and the
	// group of a sample is the number of thresholds t with v >= t (so the
	// first group is v < GroupThresholds[0] and the last is v >=
	// GroupThresholds[G-2]).
	GroupByThreshold GroupRule = 2
)

// String returns "value" or "threshold".
func (r GroupRule) String() string {
	switch r {
	case GroupByValue:
		return "value"
	case GroupByThreshold:
		return "threshold"
	}
	return fmt.Sprintf("GroupRule(%d)", uint8(r))
}

// EncodingSpec records how the columns of a tabular file (ARFF or CSV read
// with a Schema) became a benchmark's labels, group ids and features. It is
// part of the canonical encoding, hence of the digest, so that the digest
// also fixes what each feature means.
//
// Raw values are the text of a field: for CSV, the field with surrounding
// spaces removed; for ARFF, the value with its quotes and escapes removed.
// All strings below are non-empty UTF-8 of at most MaxStringBytes bytes;
// decimals are in canonical form (see CanonicalDecimal).
type EncodingSpec struct {
	// ScaleBits is the number of fractional bits of the features, 0 to
	// MaxScaleBits; the benchmark's InputScale is 2^ScaleBits.
	ScaleBits int
	// LabelColumn names the column that holds the label.
	LabelColumn string
	// ClassValues gives, for each class id, the raw label values that map
	// to that class (at least one each, distinct across all classes); shape
	// [len(ClassNames)][].
	ClassValues [][]string
	// GroupColumn names the column the group ids come from; empty exactly
	// when the benchmark has no group attribute.
	GroupColumn string
	// GroupRule says how GroupColumn's values map to group ids; 0 exactly
	// when GroupColumn is empty.
	GroupRule GroupRule
	// GroupValues gives, for GroupByValue, the raw values of each group
	// (at least one each, distinct across all groups); shape
	// [len(GroupNames)][]. Empty otherwise.
	GroupValues [][]string
	// GroupThresholds gives, for GroupByThreshold, len(GroupNames)−1
	// decimals in strictly increasing order. Empty otherwise.
	GroupThresholds []string
	// Columns lists the feature columns in feature order; column k gives
	// the next Width(k) features. At least one, all names distinct, none
	// equal to LabelColumn (GroupColumn may be one of them).
	Columns []ColumnSpec
}

// ColumnSpec is one feature column of an EncodingSpec.
type ColumnSpec struct {
	// Name is the column's name in the file (its header field or ARFF
	// attribute name).
	Name string
	// Kind is Numeric or OneHot.
	Kind ColumnKind
	// Subtract and Divide, for Numeric, give the affine map applied before
	// scaling: the feature is round((v − Subtract) / Divide · 2^ScaleBits),
	// computed exactly, halves rounded away from zero. Divide > 0. "0" and
	// "1" leave the value as it is. Both empty for OneHot.
	Subtract, Divide string
	// Categories, for OneHot, lists the categories (raw values) in feature
	// order: at least one, all distinct. Empty for Numeric.
	Categories []string
}

// Width returns the number of features the column gives: 1 for Numeric,
// len(Categories) for OneHot.
func (c *ColumnSpec) Width() int {
	if c.Kind == OneHot {
		return len(c.Categories)
	}
	return 1
}

// NumFeatures returns the total number of features the columns give.
func (s *EncodingSpec) NumFeatures() int {
	n := 0
	for i := range s.Columns {
		n += s.Columns[i].Width()
	}
	return n
}

// FeatureNames returns one name per feature: the column name for a numeric
// column and "column=category" for each feature of a one-hot column.
func (s *EncodingSpec) FeatureNames() []string {
	var out []string
	for _, c := range s.Columns {
		if c.Kind == OneHot {
			for _, v := range c.Categories {
				out = append(out, c.Name+"="+v)
			}
		} else {
			out = append(out, c.Name)
		}
	}
	return out
}

// Clone returns a deep copy of s (nil for nil).
func (s *EncodingSpec) Clone() *EncodingSpec {
	if s == nil {
		return nil
	}
	c := *s
	c.ClassValues = cloneLists(s.ClassValues)
	c.GroupValues = cloneLists(s.GroupValues)
	c.GroupThresholds = slices.Clone(s.GroupThresholds)
	c.Columns = make([]ColumnSpec, len(s.Columns))
	for i, col := range s.Columns {
		col.Categories = slices.Clone(col.Categories)
		c.Columns[i] = col
	}
	return &c
}

func cloneLists(l [][]string) [][]string {
	if l == nil {
		return nil
	}
	out := make([][]string, len(l))
	for i, v := range l {
		out[i] = slices.Clone(v)
	}
	return out
}

// Equal reports whether s and o describe the same encoding (two nil specs
// are equal; empty and nil lists are equal).
func (s *EncodingSpec) Equal(o *EncodingSpec) bool {
	if s == nil || o == nil {
		return s == o
	}
	listsEqual := func(a, b [][]string) bool {
		return slices.EqualFunc(a, b, func(x, y []string) bool { return slices.Equal(x, y) })
	}
	return s.ScaleBits == o.ScaleBits && s.LabelColumn == o.LabelColumn &&
		listsEqual(s.ClassValues, o.ClassValues) && s.GroupColumn == o.GroupColumn &&
		s.GroupRule == o.GroupRule && listsEqual(s.GroupValues, o.GroupValues) &&
		slices.Equal(s.GroupThresholds, o.GroupThresholds) &&
		slices.EqualFunc(s.Columns, o.Columns, func(a, b ColumnSpec) bool {
			return a.Name == b.Name && a.Kind == b.Kind && a.Subtract == b.Subtract &&
				a.Divide == b.Divide && slices.Equal(a.Categories, b.Categories)
		})
}

// check verifies the rules given at EncodingSpec against benchmark b: the
// scale, the class and group counts, the feature count and, for each one-hot
// column, that every sample has exactly one feature equal to InputScale and
// the others 0.
func (s *EncodingSpec) check(b *Benchmark) error {
	if s.ScaleBits < 0 || s.ScaleBits > MaxScaleBits {
		return fmt.Errorf("ScaleBits is %d; want 0 to %d", s.ScaleBits, MaxScaleBits)
	}
	if b.InputScale != int64(1)<<s.ScaleBits {
		return fmt.Errorf("ScaleBits is %d, so InputScale must be 2^%d = %d, not %d", s.ScaleBits, s.ScaleBits, int64(1)<<s.ScaleBits, b.InputScale)
	}
	if err := checkString(s.LabelColumn); err != nil {
		return fmt.Errorf("LabelColumn: %v", err)
	}
	if len(s.ClassValues) != len(b.ClassNames) {
		return fmt.Errorf("ClassValues has %d lists for %d classes; want one list of label values per class", len(s.ClassValues), len(b.ClassNames))
	}
	if err := checkValueLists("ClassValues", s.ClassValues, maxList16); err != nil {
		return err
	}
	if !b.HasGroups() {
		if s.GroupColumn != "" || s.GroupRule != 0 || len(s.GroupValues) != 0 || len(s.GroupThresholds) != 0 {
			return errors.New("GroupColumn, GroupRule, GroupValues and GroupThresholds must be empty when the benchmark has no group attribute")
		}
	} else {
		if err := checkString(s.GroupColumn); err != nil {
			return fmt.Errorf("GroupColumn: %v (the benchmark has a group attribute, so the spec must name its column)", err)
		}
		g := len(b.GroupNames)
		switch s.GroupRule {
		case GroupByValue:
			if len(s.GroupThresholds) != 0 {
				return errors.New("GroupThresholds must be empty when GroupRule is GroupByValue")
			}
			if len(s.GroupValues) != g {
				return fmt.Errorf("GroupValues has %d lists for %d groups; want one list of values per group", len(s.GroupValues), g)
			}
			if err := checkValueLists("GroupValues", s.GroupValues, maxList16); err != nil {
				return err
			}
		case GroupByThreshold:
			if len(s.GroupValues) != 0 {
				return errors.New("GroupValues must be empty when GroupRule is GroupByThreshold")
			}
			if len(s.GroupThresholds) != g-1 {
				return fmt.Errorf("GroupThresholds has %d values for %d groups; want %d (one fewer than the groups)", len(s.GroupThresholds), g, g-1)
			}
			var prev *big.Rat
			for i, t := range s.GroupThresholds {
				r, err := canonicalRat(t)
				if err != nil {
					return fmt.Errorf("GroupThresholds[%d]: %v", i, err)
				}
				if prev != nil && r.Cmp(prev) <= 0 {
					return fmt.Errorf("GroupThresholds[%d] = %s is not greater than the threshold before it; thresholds must increase strictly", i, t)
				}
				prev = r
			}
		default:
			return fmt.Errorf("GroupRule is %d; want %d (by value) or %d (by threshold)", s.GroupRule, GroupByValue, GroupByThreshold)
		}
	}
	if len(s.Columns) < 1 || uint64(len(s.Columns)) > MaxFeatures {
		return fmt.Errorf("%d Columns; want between 1 and %d", len(s.Columns), uint64(MaxFeatures))
	}
	names := make(map[string]int, len(s.Columns))
	width := uint64(0)
	for i := range s.Columns {
		c := &s.Columns[i]
		if err := checkString(c.Name); err != nil {
			return fmt.Errorf("Columns[%d].Name: %v", i, err)
		}
		if j, dup := names[c.Name]; dup {
			return fmt.Errorf("Columns[%d]: column %q repeats Columns[%d]; list each feature column once", i, c.Name, j)
		}
		names[c.Name] = i
		if c.Name == s.LabelColumn {
			return fmt.Errorf("Columns[%d]: %q is the label column; the label cannot be a feature", i, c.Name)
		}
		switch c.Kind {
		case Numeric:
			if len(c.Categories) != 0 {
				return fmt.Errorf("Columns[%d] (%s): a numeric column has no Categories", i, c.Name)
			}
			if _, err := canonicalRat(c.Subtract); err != nil {
				return fmt.Errorf("Columns[%d] (%s): Subtract: %v", i, c.Name, err)
			}
			d, err := canonicalRat(c.Divide)
			if err != nil {
				return fmt.Errorf("Columns[%d] (%s): Divide: %v", i, c.Name, err)
			}
			if d.Sign() <= 0 {
				return fmt.Errorf("Columns[%d] (%s): Divide is %s; want a number > 0", i, c.Name, c.Divide)
			}
		case OneHot:
			if c.Subtract != "" || c.Divide != "" {
				return fmt.Errorf("Columns[%d] (%s): a one-hot column has no Subtract or Divide", i, c.Name)
			}
			if len(c.Categories) < 1 {
				return fmt.Errorf("Columns[%d] (%s): no Categories; a one-hot column needs at least one", i, c.Name)
			}
			if err := checkValueLists(fmt.Sprintf("Columns[%d] (%s): Categories", i, c.Name), [][]string{c.Categories}, MaxFeatures); err != nil {
				return err
			}
		default:
			return fmt.Errorf("Columns[%d] (%s): Kind is %d; want %d (numeric) or %d (one-hot)", i, c.Name, c.Kind, Numeric, OneHot)
		}
		width += uint64(c.Width())
	}
	if width != uint64(b.NumFeatures) {
		return fmt.Errorf("the columns give %d features but NumFeatures is %d", width, b.NumFeatures)
	}
	// One-hot blocks hold exactly one 1 (InputScale) and zeros.
	off := 0
	for _, c := range s.Columns {
		if c.Kind == OneHot {
			w := len(c.Categories)
			for i, row := range b.X {
				ones := 0
				for j, v := range row[off : off+w] {
					switch v {
					case b.InputScale:
						ones++
					case 0:
					default:
						return fmt.Errorf("sample %d, feature %d (%s=%s): %d; a one-hot feature is 0 or %d", i, off+j, c.Name, c.Categories[j], v, b.InputScale)
					}
				}
				if ones != 1 {
					return fmt.Errorf("sample %d: one-hot column %s (features %d to %d) has %d features set; want exactly 1", i, c.Name, off, off+w-1, ones)
				}
			}
		}
		off += c.Width()
	}
	return nil
}

const maxList16 = 1<<16 - 1

// checkValueLists checks that each list has 1 to max non-empty UTF-8
// strings and that no string appears twice across all lists.
func checkValueLists(field string, lists [][]string, max uint64) error {
	seen := make(map[string][2]int)
	for i, l := range lists {
		if len(l) < 1 || uint64(len(l)) > max {
			return fmt.Errorf("%s[%d]: %d values; want between 1 and %d", field, i, len(l), max)
		}
		for j, v := range l {
			if err := checkString(v); err != nil {
				return fmt.Errorf("%s[%d][%d]: %v", field, i, j, err)
			}
			if at, dup := seen[v]; dup {
				return fmt.Errorf("%s[%d][%d]: %q repeats %s[%d][%d]; each value may appear once", field, i, j, v, field, at[0], at[1])
			}
			seen[v] = [2]int{i, j}
		}
	}
	return nil
}

// CanonicalDecimal returns the canonical form of the decimal number s, as
// the encoding stores it: an optional "-", the integer part without leading
// zeros ("0" when it is zero), then, unless the number is an integer, "."
// and the fractional digits without trailing zeros; no exponent, no "+",
// and zero is "0". So "+2.50", "25e-1" and "2.5" all give "2.5", and "-0"
// gives "0". s uses the grammar of LoadCSV's feature fields
// ([+-] digits [. digits] [e [+-] digits]). The error wraps ErrFormat when s
// is not such a number, or when the canonical form would be longer than
// 1000 bytes.
func CanonicalDecimal(s string) (string, error) {
	d, ok := parseDecimal(strings.TrimSpace(s))
	if !ok {
		return "", fmt.Errorf("%w: %q is not a decimal number such as 25, -1.5 or 2e3", ErrFormat, s)
	}
	digits := strings.TrimRight(d.digits, "0")
	if digits == "" {
		return "0", nil
	}
	exp := d.exp + int64(len(d.digits)-len(digits))
	tooLong := fmt.Errorf("%w: %q has more than %d digits when written without an exponent", ErrFormat, s, maxNumberLen)
	var out string
	switch {
	case exp > maxNumberLen || exp < -maxNumberLen:
		return "", tooLong
	case exp >= 0:
		out = digits + strings.Repeat("0", int(exp))
	case int64(len(digits)) > -exp:
		k := len(digits) + int(exp)
		out = digits[:k] + "." + digits[k:]
	default:
		out = "0." + strings.Repeat("0", int(-exp)-len(digits)) + digits
	}
	if len(out) > maxNumberLen {
		return "", tooLong
	}
	if d.neg {
		out = "-" + out
	}
	return out, nil
}

// canonicalRat parses a decimal that must already be in canonical form.
func canonicalRat(s string) (*big.Rat, error) {
	c, err := CanonicalDecimal(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a decimal number", s)
	}
	if c != s {
		return nil, fmt.Errorf("%q is not in canonical form; write %q", s, c)
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, fmt.Errorf("%q is not a decimal number", s)
	}
	return r, nil
}

// maxExponent bounds the decimal exponent of values read through a schema,
// so that exact arithmetic stays cheap.
const maxExponent = 1000

// decimalRat parses a field value with LoadCSV's decimal grammar into an
// exact rational. It rejects NaN, infinities, and exponents beyond
// ±maxExponent.
func decimalRat(s string) (*big.Rat, error) {
	switch strings.ToLower(strings.TrimLeft(s, "+-")) {
	case "nan", "inf", "infinity":
		return nil, errors.New("is not a finite number; NaN and infinities are not allowed")
	}
	if s == "" {
		return nil, errors.New("is empty; a number is needed")
	}
	d, ok := parseDecimal(s)
	if !ok {
		if len(s) > maxNumberLen {
			return nil, fmt.Errorf("is longer than %d characters; write the value with fewer digits", maxNumberLen)
		}
		return nil, errors.New("is not a number; expected a decimal number such as -1.25 or 3e-2")
	}
	if d.digits == "" {
		return new(big.Rat), nil
	}
	if d.exp > maxExponent || d.exp < -maxExponent-maxNumberLen {
		return nil, fmt.Errorf("has an exponent out of range (at most %d digits either side of the point)", maxExponent)
	}
	r, ok := new(big.Rat).SetString(d.digits + "e" + fmt.Sprint(d.exp))
	if !ok {
		return nil, errors.New("is not a number")
	}
	if d.neg {
		r.Neg(r)
	}
	return r, nil
}

// roundScaled returns round(v · 2^bits), halves away from zero, or an error
// when it does not fit an int64.
func roundScaled(v *big.Rat, bits int) (int64, error) {
	x := new(big.Rat).Mul(v, new(big.Rat).SetInt(new(big.Int).Lsh(big.NewInt(1), uint(bits))))
	neg := x.Sign() < 0
	x.Abs(x)
	q, r := new(big.Int).QuoRem(x.Num(), x.Denom(), new(big.Int))
	if r.Lsh(r, 1).Cmp(x.Denom()) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	if !q.IsInt64() {
		return 0, fmt.Errorf("times the scale 2^%d does not fit in a 64-bit integer; use a larger divide or fewer featureScaleBits", bits)
	}
	return q.Int64(), nil
}
