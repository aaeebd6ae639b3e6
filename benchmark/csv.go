package benchmark

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strconv"
	"strings"
)

// DefaultFeatureScaleBits is the number of fractional bits LoadCSV uses when
// CSVOptions.FeatureScaleBits is 0: features are multiples of 2^-12.
const DefaultFeatureScaleBits = 12

// MaxFeatureScaleBits is the largest CSVOptions.FeatureScaleBits.
const MaxFeatureScaleBits = 62

// maxNumberLen bounds the length of a feature field, in bytes, so that exact
// decimal arithmetic stays cheap.
const maxNumberLen = 1000

// CSVOptions controls LoadCSV.
type CSVOptions struct {
	// Name and Split become the benchmark's Name and Split; both must be
	// non-empty.
	Name, Split string
	// FeatureScaleBits is the number of fractional bits of the fixed-point
	// features: a feature v is stored as round(v * 2^FeatureScaleBits) and
	// InputScale is 2^FeatureScaleBits. 0 selects DefaultFeatureScaleBits
	// (12); otherwise it must be in [1, MaxFeatureScaleBits].
	FeatureScaleBits int
	// LabelColumn is the 1-based column that holds the label; 0 selects the
	// last column. All other columns are features, in file order.
	LabelColumn int
	// Header, when true, makes LoadCSV skip the first row. When false, the
	// first row is skipped if none of its feature fields is a number (a
	// header of column names); a first row with only some numeric feature
	// fields is data, and its bad fields are reported as errors.
	Header bool
	// ClassNames, if non-nil, fixes the classes and their ids (the index in
	// ClassNames); every label must be one of them. If nil, the classes are
	// the distinct labels found, sorted as integers if all are base-10
	// integers, otherwise as strings (byte-wise).
	ClassNames []string
}

// LoadCSV reads a labelled data set from comma-separated values (RFC 4180,
// as read by encoding/csv: fields may be quoted, blank lines are skipped, a
// leading UTF-8 byte order mark is ignored). Each row is one sample: feature
// columns then the label column (see CSVOptions.LabelColumn for another
// position). Every row must have the same number of fields, at least two.
//
// Feature fields are decimal numbers ("-1.25", "3e-2", "+7", ".5"; spaces
// around them are ignored), quantised exactly: the field is read as a
// rational number with math/big.Rat, multiplied by 2^bits and rounded to the
// nearest integer, halves away from zero, so "0.1" with 12 bits gives
// round(409.6) = 410. The result's InputScale is 2^bits. NaN, infinities,
// hexadecimal, fractions and values whose scaled form does not fit in an
// int64 are rejected. Label fields are trimmed of surrounding spaces and
// must not be empty.
//
// Errors name source, the line (1-based, as in a text editor) and the column
// (1-based field index), say what was found and what is expected, and wrap
// ErrFormat; an empty input, a lone header, or a row with a single column is
// an error too.
func LoadCSV(r io.Reader, source string, opt CSVOptions) (*Benchmark, error) {
	bits := opt.FeatureScaleBits
	if bits == 0 {
		bits = DefaultFeatureScaleBits
	}
	if bits < 1 || bits > MaxFeatureScaleBits {
		return nil, fmt.Errorf("%s: %w: FeatureScaleBits is %d; want 0 (default %d) or 1 to %d",
			source, ErrInvalid, opt.FeatureScaleBits, DefaultFeatureScaleBits, MaxFeatureScaleBits)
	}
	if err := checkString(opt.Name); err != nil {
		return nil, fmt.Errorf("%s: %w: Name: %v", source, ErrInvalid, err)
	}
	if err := checkString(opt.Split); err != nil {
		return nil, fmt.Errorf("%s: %w: Split: %v", source, ErrInvalid, err)
	}
	if opt.LabelColumn < 0 {
		return nil, fmt.Errorf("%s: %w: LabelColumn is %d; want a 1-based column, or 0 for the last column",
			source, ErrInvalid, opt.LabelColumn)
	}

	br := bufio.NewReader(r)
	if bom, _ := br.Peek(3); string(bom) == "\uFEFF" {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // checked below, with a better message
	cr.ReuseRecord = false
	cr.TrimLeadingSpace = true

	type row struct {
		line   int
		fields []string
	}
	var (
		rows      []row
		ncols     int
		firstLine int
	)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvReadError(source, err, 0)
		}
		line, _ := cr.FieldPos(0)
		if len(rows) == 0 {
			ncols, firstLine = len(rec), line
			if ncols < 2 {
				return nil, fmt.Errorf("%s: line %d: %w: only %d column; need at least one feature column and a label column (zkeval reads feature columns, then the label column)",
					source, line, ErrFormat, ncols)
			}
			if opt.LabelColumn > ncols {
				return nil, fmt.Errorf("%s: line %d: %w: the label column is %d, but rows have only %d columns",
					source, line, ErrInvalid, opt.LabelColumn, ncols)
			}
		} else if len(rec) != ncols {
			return nil, fmt.Errorf("%s: line %d: %w: %d columns, but line %d has %d; every row needs the same number of columns",
				source, line, ErrFormat, len(rec), firstLine, ncols)
		}
		rows = append(rows, row{line, rec})
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: %w: no rows; the file is empty (expected rows of feature columns, then a label column)",
			source, ErrFormat)
	}

	labelCol := ncols - 1
	if opt.LabelColumn > 0 {
		labelCol = opt.LabelColumn - 1
	}
	scale := new(big.Rat).SetInt(new(big.Int).Lsh(big.NewInt(1), uint(bits)))

	// Header detection: skip the first row if asked to, or if none of its
	// feature fields is a number.
	why := ""
	if opt.Header {
		rows = rows[1:]
	} else {
		numeric := false
		for j, f := range rows[0].fields {
			if j != labelCol && isDecimal(strings.TrimSpace(f)) {
				numeric = true
				break
			}
		}
		if !numeric {
			rows = rows[1:]
			why = fmt.Sprintf(" (line %d was read as a header because none of its feature fields is a number)", firstLine)
		}
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: %w: no data rows after the header line %d%s", source, ErrFormat, firstLine, why)
	}
	if uint64(len(rows)) > MaxSamples {
		return nil, fmt.Errorf("%s: %w: %d data rows; at most %d allowed", source, ErrInvalid, len(rows), uint64(MaxSamples))
	}

	b := &Benchmark{
		Name:        opt.Name,
		Split:       opt.Split,
		NumFeatures: ncols - 1,
		InputScale:  int64(1) << bits,
		X:           make([][]int64, len(rows)),
		Labels:      make([]int, len(rows)),
	}
	flat := make([]int64, len(rows)*b.NumFeatures)
	labels := make([]string, len(rows))
	for i, rw := range rows {
		x := flat[i*b.NumFeatures : (i+1)*b.NumFeatures : (i+1)*b.NumFeatures]
		k := 0
		for j, f := range rw.fields {
			if j == labelCol {
				labels[i] = strings.TrimSpace(f)
				if labels[i] == "" {
					return nil, fmt.Errorf("%s: line %d, column %d: %w: empty label; every row needs a class label in column %d",
						source, rw.line, j+1, ErrFormat, labelCol+1)
				}
				continue
			}
			v, err := quantize(strings.TrimSpace(f), scale)
			if err != nil {
				return nil, fmt.Errorf("%s: line %d, column %d: %w: %q %v", source, rw.line, j+1, ErrFormat, f, err)
			}
			x[k] = v
			k++
		}
		b.X[i] = x
	}

	classes, err := classNames(labels, opt.ClassNames)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	id := make(map[string]int, len(classes))
	for i, c := range classes {
		id[c] = i
	}
	for i, l := range labels {
		c, ok := id[l]
		if !ok {
			return nil, fmt.Errorf("%s: line %d, column %d: %w: label %q is not one of the class names given (%s)",
				source, rows[i].line, labelCol+1, ErrFormat, l, strings.Join(quoteAll(opt.ClassNames), ", "))
		}
		b.Labels[i] = c
	}
	b.ClassNames = classes
	if err := b.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return b, nil
}

// classNames returns the explicit class names, checked, or the distinct
// labels sorted numerically if all are integers, else byte-wise.
func classNames(labels, explicit []string) ([]string, error) {
	if explicit != nil {
		if len(explicit) == 0 || len(explicit) > MaxClasses {
			return nil, fmt.Errorf("%w: %d ClassNames given; want between 1 and %d, or nil to use the labels found", ErrInvalid, len(explicit), MaxClasses)
		}
		out := append([]string(nil), explicit...)
		seen := make(map[string]bool, len(out))
		for i, c := range out {
			if err := checkString(c); err != nil {
				return nil, fmt.Errorf("%w: ClassNames[%d]: %v", ErrInvalid, i, err)
			}
			if seen[c] {
				return nil, fmt.Errorf("%w: ClassNames[%d]: %q appears twice; class names must be distinct", ErrInvalid, i, c)
			}
			seen[c] = true
		}
		return out, nil
	}
	set := make(map[string]bool)
	var out []string
	for _, l := range labels {
		if !set[l] {
			set[l] = true
			out = append(out, l)
		}
	}
	if len(out) > MaxClasses {
		return nil, fmt.Errorf("%w: %d distinct labels; at most %d classes allowed", ErrFormat, len(out), MaxClasses)
	}
	nums := make(map[string]*big.Int, len(out))
	for _, l := range out {
		n, ok := new(big.Int).SetString(l, 10)
		if !ok || !isInteger(l) {
			nums = nil
			break
		}
		nums[l] = n
	}
	slices.SortFunc(out, func(a, b string) int {
		if nums != nil {
			if c := nums[a].Cmp(nums[b]); c != 0 {
				return c
			}
		}
		return strings.Compare(a, b)
	})
	return out, nil
}

// isInteger reports whether s is an optionally signed string of ASCII
// digits.
func isInteger(s string) bool {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	if s == "" || len(s) > maxNumberLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

// decimal is a parsed decimal number: (-1)^neg * digits * 10^exp.
type decimal struct {
	neg    bool
	digits string // ASCII digits, no leading zeros; "" for zero
	exp    int64
}

// parseDecimal parses [+-] (D+ [. D*] | . D+) [(e|E) [+-] D+].
func parseDecimal(s string) (decimal, bool) {
	var d decimal
	if s == "" || len(s) > maxNumberLen {
		return d, false
	}
	i := 0
	if s[i] == '+' || s[i] == '-' {
		d.neg = s[i] == '-'
		i++
	}
	start := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intPart := s[start:i]
	var fracPart string
	if i < len(s) && s[i] == '.' {
		i++
		fs := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		fracPart = s[fs:i]
	}
	if intPart == "" && fracPart == "" {
		return d, false
	}
	var exp int64
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		es := i
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		ds := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == ds {
			return d, false
		}
		e, err := strconv.ParseInt(s[es:i], 10, 64)
		if err != nil {
			// Out of int64 range: clamp, the magnitude is decided below.
			if s[es] == '-' {
				e = -1 << 40
			} else {
				e = 1 << 40
			}
		}
		exp = e
	}
	if i != len(s) {
		return d, false
	}
	d.digits = strings.TrimLeft(intPart+fracPart, "0")
	d.exp = exp - int64(len(fracPart))
	return d, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isDecimal reports whether s is a number that LoadCSV's grammar accepts.
func isDecimal(s string) bool {
	_, ok := parseDecimal(s)
	return ok
}

// quantize returns round(s * scale), halves away from zero, for a decimal
// string s, computed exactly.
func quantize(s string, scale *big.Rat) (int64, error) {
	switch strings.ToLower(strings.TrimLeft(s, "+-")) {
	case "nan", "inf", "infinity":
		return 0, errors.New("is not a finite number; NaN and infinities are not allowed in feature columns")
	}
	if s == "" {
		return 0, errors.New("is empty; feature columns must hold a number in every row (zkeval reads feature columns, then the label column)")
	}
	d, ok := parseDecimal(s)
	if !ok {
		if len(s) > maxNumberLen {
			return 0, fmt.Errorf("is longer than %d characters; write feature values with fewer digits", maxNumberLen)
		}
		return 0, errors.New("is not a number; feature columns must hold decimal numbers such as -1.25 or 3e-2 (zkeval reads feature columns, then the label column)")
	}
	overflow := fmt.Errorf("overflows: times the scale %s it does not fit in a 64-bit integer; use smaller values or fewer FeatureScaleBits", scale.RatString())
	if d.digits == "" {
		return 0, nil
	}
	// |v| lies in [10^(m-1), 10^m) with m = len(digits) + exp. Decide the
	// extreme cases without building huge numbers: scale <= 2^62, so
	// m > 20 means |v * scale| >= 10^20 > 2^63 and m < -20 means
	// |v * scale| < 10^-20 * 2^62 < 1/2, which rounds to 0.
	m := int64(len(d.digits)) + d.exp
	if m > 20 {
		return 0, overflow
	}
	if m < -20 {
		return 0, nil
	}
	// Exact: |exp| <= maxNumberLen + 20 here.
	v, ok := new(big.Rat).SetString(d.digits + "e" + strconv.FormatInt(d.exp, 10))
	if !ok {
		return 0, errors.New("is not a number")
	}
	v.Mul(v, scale)
	q, r := new(big.Int).QuoRem(v.Num(), v.Denom(), new(big.Int))
	// Round half away from zero: v >= 0 here, so bump q when 2r >= denom.
	if r.Lsh(r, 1).Cmp(v.Denom()) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if d.neg {
		q.Neg(q)
	}
	if !q.IsInt64() {
		return 0, overflow
	}
	return q.Int64(), nil
}

// csvReadError describes an error of encoding/csv's reader; lineOffset is
// added to the reported line (lines skipped before the reader started).
func csvReadError(source string, err error, lineOffset int) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: line %d, column %d: %w: %v (quote a field that contains commas, quotes or line breaks, and double any quote inside it)",
			source, pe.Line+lineOffset, pe.Column, ErrFormat, pe.Err)
	}
	return fmt.Errorf("%s: reading CSV: %w", source, err)
}
