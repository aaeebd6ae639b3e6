package benchmark

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/zkeval/zkeval/internal/jsonfile"
)

// SchemaFormat is the value of the "format" field of a schema file.
const SchemaFormat = "zkeval-tabular-schema/v1"

// Split names used by a schema's split rule.
const (
	SplitTest  = "test"
	SplitTrain = "train"
)

// Schema declares how a tabular file (ARFF or CSV) becomes a benchmark:
// which column holds the label and which classes its values map to, which
// column gives the sensitive group of each sample and how, which columns are
// features and how each is encoded, the fixed-point scale, and which rows
// form the test and train splits. It is read from a JSON file; see the
// package documentation ("Schema files") for the format. Its effect on the
// features is recorded in the benchmark as an EncodingSpec.
type Schema struct {
	// Format must be SchemaFormat.
	Format string `json:"format"`
	// Name becomes the benchmark's Name.
	Name string `json:"name,omitempty"`
	// SkipLines (CSV only) is the number of lines to ignore at the start
	// of the file, before the header row or the first data row.
	SkipLines int `json:"skipLines,omitempty"`
	// Columns (CSV only) names the columns of a file without a header row,
	// in file order. When empty, the first row (after SkipLines) is the
	// header and gives the names.
	Columns []string `json:"columns,omitempty"`
	// Label declares the label column and its classes.
	Label SchemaLabel `json:"label"`
	// Group, if set, declares the group attribute.
	Group *SchemaGroup `json:"group,omitempty"`
	// FeatureScaleBits is the number of fractional bits of the features
	// (0 to MaxScaleBits); nil means DefaultFeatureScaleBits (12).
	FeatureScaleBits *int `json:"featureScaleBits,omitempty"`
	// Features lists the feature columns in feature order.
	Features []SchemaFeature `json:"features"`
	// Split, if set, divides the rows into a test and a train split.
	Split *SchemaSplit `json:"split,omitempty"`

	source string
}

// SchemaLabel declares the label column.
type SchemaLabel struct {
	// Column names the label column.
	Column string `json:"column"`
	// Classes lists the classes in class id order. It may be omitted for
	// an ARFF nominal attribute: the classes are then its declared values,
	// in declared order.
	Classes []SchemaClass `json:"classes,omitempty"`
}

// SchemaClass is one class or one group: its name and the raw values that
// map to it (Values defaults to [Name]).
type SchemaClass struct {
	Name   string   `json:"name"`
	Values []string `json:"values,omitempty"`
}

// SchemaGroup declares the group attribute: either Groups with Values (by
// value) or Groups with Thresholds (by threshold, len(Groups)−1
// increasing decimals: the group of v is the number of thresholds t with
// v >= t).
type SchemaGroup struct {
	// Attribute names the sensitive attribute, e.g. "sex"; it becomes the
	// benchmark's GroupAttribute.
	Attribute string `json:"attribute"`
	// Column names the column the groups come from.
	Column string `json:"column"`
	// Groups lists the groups in group id order.
	Groups []SchemaClass `json:"groups"`
	// Thresholds, if set, makes the grouping numeric.
	Thresholds []Decimal `json:"thresholds,omitempty"`
}

// SchemaFeature declares one feature column.
type SchemaFeature struct {
	// Column names the column.
	Column string `json:"column"`
	// Encoding is "numeric" or "onehot".
	Encoding string `json:"encoding"`
	// Categories (onehot) lists the categories in feature order. It may be
	// omitted for an ARFF nominal attribute: the categories are then its
	// declared values, in declared order.
	Categories []string `json:"categories,omitempty"`
	// Subtract and Divide (numeric) give the feature
	// round((v − Subtract) / Divide · 2^FeatureScaleBits); defaults 0 and 1.
	Subtract Decimal `json:"subtract,omitempty"`
	Divide   Decimal `json:"divide,omitempty"`
}

// SchemaSplit divides the data rows into a test split of Test rows and a
// train split of the others. Method "hash": the test rows are the Test rows
// whose SHA-256 of Seed + "/" + index (the 0-based data row index in
// decimal, UTF-8) is smallest, compared as big-endian byte strings. Method
// "tail": the test rows are the last Test rows. Either split keeps file
// order.
type SchemaSplit struct {
	Method string `json:"method"`
	Seed   string `json:"seed,omitempty"`
	Test   int    `json:"test"`
}

// Decimal is an exact decimal number in a schema file, written as a JSON
// string ("0.5") or a JSON number (0.5); it keeps the text as written.
type Decimal string

// UnmarshalJSON accepts a JSON string or number.
func (d *Decimal) UnmarshalJSON(data []byte) error {
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*d = Decimal(s)
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return err
	}
	n, ok := v.(json.Number)
	if !ok {
		return fmt.Errorf("got %s; want a decimal number, as a JSON number or string", data)
	}
	*d = Decimal(n.String())
	return nil
}

// ReadSchema reads and checks a schema file (see ParseSchema).
func ReadSchema(path string) (*Schema, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading schema: %w", err)
	}
	return ParseSchema(data, path)
}

// ParseSchema decodes a schema file strictly (unknown fields and trailing
// data are errors) and checks it on its own, before any data is read.
// source names the file in errors, which wrap ErrInvalid for a rule broken
// and say which field and what to write instead.
func ParseSchema(data []byte, source string) (*Schema, error) {
	s := &Schema{}
	if err := jsonfile.Decode(data, source, SchemaFormat, "see the schema files in testdata/tabular/ and the benchmark package documentation", s); err != nil {
		return nil, err
	}
	s.source = source
	if err := s.check(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Schema) errorf(field, format string, args ...any) error {
	src := s.source
	if src == "" {
		src = "schema"
	}
	return fmt.Errorf("%s: %s: %w: %s", src, field, ErrInvalid, fmt.Sprintf(format, args...))
}

// check verifies the rules that need no data.
func (s *Schema) check() error {
	if s.Format != SchemaFormat {
		return s.errorf("format", "%q; want %q", s.Format, SchemaFormat)
	}
	if s.Name != "" {
		if err := checkString(s.Name); err != nil {
			return s.errorf("name", "%v", err)
		}
	}
	if s.SkipLines < 0 {
		return s.errorf("skipLines", "%d; want 0 or more lines", s.SkipLines)
	}
	if err := checkNames(s.Columns); err != nil {
		return s.errorf("columns", "%v", err)
	}
	if err := checkString(s.Label.Column); err != nil {
		return s.errorf("label.column", "%v; name the column that holds the class label", err)
	}
	if err := checkClasses(s.Label.Classes, "class"); err != nil {
		return s.errorf("label.classes", "%v", err)
	}
	if g := s.Group; g != nil {
		if err := checkString(g.Attribute); err != nil {
			return s.errorf("group.attribute", "%v; name the sensitive attribute, e.g. \"sex\"", err)
		}
		if err := checkString(g.Column); err != nil {
			return s.errorf("group.column", "%v; name the column the groups come from", err)
		}
		if len(g.Groups) < 1 || len(g.Groups) > MaxGroups {
			return s.errorf("group.groups", "%d groups; want between 1 and %d", len(g.Groups), MaxGroups)
		}
		if len(g.Thresholds) > 0 {
			if len(g.Thresholds) != len(g.Groups)-1 {
				return s.errorf("group.thresholds", "%d thresholds for %d groups; want one fewer threshold than groups", len(g.Thresholds), len(g.Groups))
			}
			for i, grp := range g.Groups {
				if len(grp.Values) != 0 {
					return s.errorf(fmt.Sprintf("group.groups[%d].values", i), "groups defined by thresholds take no values")
				}
			}
			if _, err := canonicalThresholds(g.Thresholds); err != nil {
				return s.errorf("group.thresholds", "%v", err)
			}
		}
		if err := checkClasses(g.Groups, "group"); err != nil {
			return s.errorf("group.groups", "%v", err)
		}
	}
	if s.FeatureScaleBits != nil && (*s.FeatureScaleBits < 0 || *s.FeatureScaleBits > MaxScaleBits) {
		return s.errorf("featureScaleBits", "%d; want 0 to %d", *s.FeatureScaleBits, MaxScaleBits)
	}
	if len(s.Features) == 0 {
		return s.errorf("features", "no feature columns; list at least one")
	}
	seen := map[string]int{}
	for i, f := range s.Features {
		field := fmt.Sprintf("features[%d]", i)
		if err := checkString(f.Column); err != nil {
			return s.errorf(field+".column", "%v", err)
		}
		if j, dup := seen[f.Column]; dup {
			return s.errorf(field, "column %q is listed twice (also features[%d]); list each feature column once", f.Column, j)
		}
		seen[f.Column] = i
		if f.Column == s.Label.Column {
			return s.errorf(field, "column %q is the label column; the label cannot be a feature", f.Column)
		}
		switch f.Encoding {
		case "numeric":
			if len(f.Categories) != 0 {
				return s.errorf(field, "column %q: a numeric feature takes no categories (use \"encoding\": \"onehot\")", f.Column)
			}
			if _, _, err := f.affine(); err != nil {
				return s.errorf(field, "column %q: %v", f.Column, err)
			}
		case "onehot":
			if f.Subtract != "" || f.Divide != "" {
				return s.errorf(field, "column %q: a one-hot feature takes no subtract or divide", f.Column)
			}
			if err := checkNames(f.Categories); err != nil {
				return s.errorf(field+".categories", "%v", err)
			}
		default:
			return s.errorf(field+".encoding", "%q; want \"numeric\" or \"onehot\"", f.Encoding)
		}
	}
	if sp := s.Split; sp != nil {
		switch sp.Method {
		case "hash":
			if sp.Seed == "" {
				return s.errorf("split.seed", "the hash split needs a seed (any text, e.g. the data set's name)")
			}
		case "tail":
			if sp.Seed != "" {
				return s.errorf("split.seed", "the tail split takes no seed")
			}
		default:
			return s.errorf("split.method", "%q; want \"hash\" (a seeded permutation) or \"tail\" (the last rows)", sp.Method)
		}
		if sp.Test < 1 {
			return s.errorf("split.test", "%d; want the number of test rows, at least 1", sp.Test)
		}
	}
	return nil
}

// checkNames checks a list of distinct non-empty strings (empty list ok).
func checkNames(l []string) error {
	seen := map[string]int{}
	for i, v := range l {
		if err := checkString(v); err != nil {
			return fmt.Errorf("entry %d: %v", i, err)
		}
		if j, dup := seen[v]; dup {
			return fmt.Errorf("%q appears twice (entries %d and %d)", v, j, i)
		}
		seen[v] = i
	}
	return nil
}

// checkClasses checks class or group declarations: distinct names, values
// distinct across all entries.
func checkClasses(cs []SchemaClass, what string) error {
	if len(cs) > MaxClasses {
		return fmt.Errorf("%d entries; at most %d allowed", len(cs), MaxClasses)
	}
	names := map[string]int{}
	values := map[string]int{}
	for i, c := range cs {
		if err := checkString(c.Name); err != nil {
			return fmt.Errorf("%s %d: name: %v", what, i, err)
		}
		if j, dup := names[c.Name]; dup {
			return fmt.Errorf("%s name %q appears twice (entries %d and %d)", what, c.Name, j, i)
		}
		names[c.Name] = i
		for _, v := range c.valueList() {
			if err := checkString(v); err != nil {
				return fmt.Errorf("%s %q: value: %v", what, c.Name, err)
			}
			if j, dup := values[v]; dup {
				return fmt.Errorf("value %q maps to both %s %q and %s %q; each value maps to one %s", v, what, cs[j].Name, what, c.Name, what)
			}
			values[v] = i
		}
	}
	return nil
}

func (c SchemaClass) valueList() []string {
	if len(c.Values) == 0 {
		return []string{c.Name}
	}
	return c.Values
}

// affine returns the canonical subtract and divide of a numeric feature.
func (f SchemaFeature) affine() (sub, div string, err error) {
	sub, div = "0", "1"
	if f.Subtract != "" {
		if sub, err = CanonicalDecimal(string(f.Subtract)); err != nil {
			return "", "", fmt.Errorf("subtract: %v", err)
		}
	}
	if f.Divide != "" {
		if div, err = CanonicalDecimal(string(f.Divide)); err != nil {
			return "", "", fmt.Errorf("divide: %v", err)
		}
		if strings.HasPrefix(div, "-") || div == "0" {
			return "", "", fmt.Errorf("divide is %s; want a number > 0", f.Divide)
		}
	}
	return sub, div, nil
}

func canonicalThresholds(ts []Decimal) ([]string, error) {
	out := make([]string, len(ts))
	var prev *big.Rat
	for i, t := range ts {
		c, err := CanonicalDecimal(string(t))
		if err != nil {
			return nil, fmt.Errorf("threshold %d: %v", i, err)
		}
		r, _ := new(big.Rat).SetString(c)
		if prev != nil && r.Cmp(prev) <= 0 {
			return nil, fmt.Errorf("threshold %d (%s) is not greater than threshold %d; list thresholds in increasing order", i, t, i-1)
		}
		prev, out[i] = r, c
	}
	return out, nil
}

// table is a parsed tabular file: column names and rows of raw values.
type table struct {
	source string
	format string // "ARFF" or "CSV"
	names  []string
	arff   []ARFFAttribute // nil for CSV
	rows   []ARFFInstance
}

// where names a cell for error messages.
func (t *table) where(line, col int) string {
	word := "column"
	if t.arff != nil {
		word = "attribute"
	}
	return fmt.Sprintf("%s: line %d, %s %d (%s)", t.source, line, word, col+1, t.names[col])
}

// LoadARFF reads an ARFF file (see ParseARFF) and encodes it as schema s
// says (see Schema), keeping the rows of the named split: "test" or "train"
// when s has a split rule, any name for all rows otherwise. s.Name must be
// set. See LoadTable for the errors.
func LoadARFF(r io.Reader, source string, s *Schema, split string) (*Benchmark, error) {
	if len(s.Columns) != 0 || s.SkipLines != 0 {
		return nil, s.errorf("columns", "columns and skipLines apply to CSV files only; an ARFF file names its attributes")
	}
	a, err := ParseARFF(r, source)
	if err != nil {
		return nil, err
	}
	t := &table{source: source, format: "ARFF", arff: a.Attributes, rows: a.Instances}
	for _, at := range a.Attributes {
		t.names = append(t.names, at.Name)
	}
	return s.encode(t, split)
}

// LoadCSVSchema reads comma-separated values (RFC 4180, as read by
// encoding/csv; a leading UTF-8 byte order mark is ignored) and encodes them
// as schema s says, keeping the rows of the named split (see LoadARFF).
// After s.SkipLines lines, the first row is the header of column names
// unless s.Columns names them; every row must have one field per column.
// Fields are trimmed of surrounding spaces; blank lines are skipped.
func LoadCSVSchema(r io.Reader, source string, s *Schema, split string) (*Benchmark, error) {
	br := bufio.NewReader(r)
	if bom, _ := br.Peek(3); string(bom) == "\uFEFF" {
		_, _ = br.Discard(3)
	}
	for i := range s.SkipLines {
		if _, err := br.ReadString('\n'); err != nil {
			if err == io.EOF {
				return nil, fmt.Errorf("%s: %w: the file has only %d lines, but the schema skips %d", source, ErrFormat, i, s.SkipLines)
			}
			return nil, fmt.Errorf("%s: reading CSV: %w", source, err)
		}
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	t := &table{source: source, format: "CSV", names: slices.Clone(s.Columns)}
	headerLine := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvReadError(source, err, s.SkipLines)
		}
		line, _ := cr.FieldPos(0)
		line += s.SkipLines
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		if t.names == nil {
			if err := checkNames(rec); err != nil {
				return nil, fmt.Errorf("%s: line %d: %w: header row: %v; give every column a distinct name, or list the names in the schema's \"columns\"", source, line, ErrFormat, err)
			}
			t.names, headerLine = rec, line
			continue
		}
		if len(rec) != len(t.names) {
			from := fmt.Sprintf("the header (line %d) names %d", headerLine, len(t.names))
			if headerLine == 0 {
				from = fmt.Sprintf("the schema's \"columns\" names %d", len(t.names))
			}
			return nil, fmt.Errorf("%s: line %d: %w: %d fields, but %s columns; every row needs one field per column", source, line, ErrFormat, len(rec), from)
		}
		t.rows = append(t.rows, ARFFInstance{Line: line, Values: rec})
	}
	if t.names == nil {
		return nil, fmt.Errorf("%s: %w: no header row; the file is empty after the %d lines the schema skips", source, ErrFormat, s.SkipLines)
	}
	return s.encode(t, split)
}

// encode applies the schema to a table. The whole file is checked, then the
// rows of the split are kept.
func (s *Schema) encode(t *table, split string) (*Benchmark, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if err := checkString(s.Name); err != nil {
		return nil, s.errorf("name", "%v; name the benchmark", err)
	}
	if err := checkString(split); err != nil {
		return nil, fmt.Errorf("%s: %w: split: %v", t.source, ErrInvalid, err)
	}
	if s.Split != nil && split != SplitTest && split != SplitTrain {
		return nil, fmt.Errorf("%s: %w: split %q: the schema divides the rows into %q and %q; ask for one of them",
			t.source, ErrInvalid, split, SplitTest, SplitTrain)
	}
	col := make(map[string]int, len(t.names))
	for i, n := range t.names {
		col[n] = i
	}
	word := "column"
	if t.arff != nil {
		word = "attribute"
	}
	find := func(field, name, role string) (int, error) {
		i, ok := col[name]
		if !ok {
			return 0, s.errorf(field, "%s %q is not in %s; its %ss are %s; fix the name in the schema",
				role, name, t.source, word, strings.Join(quoteAll(t.names), ", "))
		}
		return i, nil
	}
	nominal := func(i int) []string {
		if t.arff != nil && t.arff[i].Type == ARFFNominal {
			return t.arff[i].Values
		}
		return nil
	}
	// declared checks that every value is a declared nominal value of an
	// ARFF nominal attribute (a typo in the schema would otherwise match
	// nothing).
	declared := func(field string, i int, values []string) error {
		if decl := nominal(i); decl != nil {
			for _, v := range values {
				if !slices.Contains(decl, v) {
					return s.errorf(field, "%q is not a value of attribute %q (declared at %s line %d: %s)",
						v, t.names[i], t.source, t.arff[i].Line, strings.Join(quoteAll(decl), ", "))
				}
			}
		}
		return nil
	}

	spec := &EncodingSpec{ScaleBits: DefaultFeatureScaleBits, LabelColumn: s.Label.Column}
	if s.FeatureScaleBits != nil {
		spec.ScaleBits = *s.FeatureScaleBits
	}

	// Label.
	labelCol, err := find("label.column", s.Label.Column, "label column")
	if err != nil {
		return nil, err
	}
	classes := s.Label.Classes
	if len(classes) == 0 {
		decl := nominal(labelCol)
		if decl == nil {
			return nil, s.errorf("label.classes", "no classes listed; list them (name and values) for the label column %q of %s", s.Label.Column, t.source)
		}
		for _, v := range decl {
			classes = append(classes, SchemaClass{Name: v})
		}
	}
	classOf := map[string]int{}
	var classNames []string
	for i, c := range classes {
		vals := c.valueList()
		if err := declared(fmt.Sprintf("label.classes[%d]", i), labelCol, vals); err != nil {
			return nil, err
		}
		for _, v := range vals {
			classOf[v] = i
		}
		classNames = append(classNames, c.Name)
		spec.ClassValues = append(spec.ClassValues, slices.Clone(vals))
	}

	// Group.
	groupCol := -1
	var groupOf map[string]int
	var thresholds []*big.Rat
	var groupNames []string
	if g := s.Group; g != nil {
		if groupCol, err = find("group.column", g.Column, "group column"); err != nil {
			return nil, err
		}
		spec.GroupColumn = g.Column
		for _, grp := range g.Groups {
			groupNames = append(groupNames, grp.Name)
		}
		if len(g.Thresholds) > 0 {
			if t.arff != nil && t.arff[groupCol].Type != ARFFNumeric {
				return nil, s.errorf("group.thresholds", "attribute %q is %s, not numeric; group it by values instead of thresholds", g.Column, t.arff[groupCol].Type)
			}
			spec.GroupRule = GroupByThreshold
			spec.GroupThresholds, _ = canonicalThresholds(g.Thresholds)
			for _, c := range spec.GroupThresholds {
				r, _ := new(big.Rat).SetString(c)
				thresholds = append(thresholds, r)
			}
		} else {
			spec.GroupRule = GroupByValue
			groupOf = map[string]int{}
			for i, grp := range g.Groups {
				vals := grp.valueList()
				if err := declared(fmt.Sprintf("group.groups[%d]", i), groupCol, vals); err != nil {
					return nil, err
				}
				for _, v := range vals {
					groupOf[v] = i
				}
				spec.GroupValues = append(spec.GroupValues, slices.Clone(vals))
			}
		}
	}

	// Features.
	type feat struct {
		col      int
		onehot   map[string]int
		sub, div *big.Rat
	}
	feats := make([]feat, len(s.Features))
	for i, f := range s.Features {
		field := fmt.Sprintf("features[%d]", i)
		c, err := find(field+".column", f.Column, "feature column")
		if err != nil {
			return nil, err
		}
		feats[i].col = c
		cs := ColumnSpec{Name: f.Column}
		if f.Encoding == "numeric" {
			if t.arff != nil && t.arff[c].Type != ARFFNumeric {
				return nil, s.errorf(field, "attribute %q is %s, not numeric; encode it as \"onehot\"", f.Column, t.arff[c].Type)
			}
			cs.Kind = Numeric
			cs.Subtract, cs.Divide, _ = f.affine()
			feats[i].sub, _ = new(big.Rat).SetString(cs.Subtract)
			feats[i].div, _ = new(big.Rat).SetString(cs.Divide)
		} else {
			cs.Kind = OneHot
			cs.Categories = slices.Clone(f.Categories)
			if len(cs.Categories) == 0 {
				cs.Categories = slices.Clone(nominal(c))
				if cs.Categories == nil {
					return nil, s.errorf(field+".categories", "no categories listed for column %q; list them in the order the one-hot features should take", f.Column)
				}
			}
			if err := declared(field+".categories", c, cs.Categories); err != nil {
				return nil, err
			}
			feats[i].onehot = make(map[string]int, len(cs.Categories))
			for k, v := range cs.Categories {
				feats[i].onehot[v] = k
			}
		}
		spec.Columns = append(spec.Columns, cs)
	}
	numFeatures := spec.NumFeatures()
	if uint64(numFeatures) > MaxFeatures {
		return nil, s.errorf("features", "%d features; at most %d allowed", numFeatures, uint64(MaxFeatures))
	}

	// Rows: every row of the file is encoded and checked.
	n := len(t.rows)
	if n == 0 {
		return nil, fmt.Errorf("%s: %w: no data rows", t.source, ErrFormat)
	}
	one := int64(1) << spec.ScaleBits
	labels := make([]int, n)
	groups := make([]int, n)
	xs := make([][]int64, n)
	flat := make([]int64, n*numFeatures)
	value := func(r *ARFFInstance, c int, role string) (string, error) {
		if r.Missing != nil && r.Missing[c] {
			return "", fmt.Errorf("%s: %w: missing value (?) in the %s; every row needs a value in the label, group and feature columns: fill it in or remove the row", t.where(r.Line, c), ErrFormat, role)
		}
		if r.Values[c] == "" {
			return "", fmt.Errorf("%s: %w: empty value in the %s; every row needs a value in the label, group and feature columns: fill it in or remove the row", t.where(r.Line, c), ErrFormat, role)
		}
		return r.Values[c], nil
	}
	for i := range t.rows {
		r := &t.rows[i]
		v, err := value(r, labelCol, "label column")
		if err != nil {
			return nil, err
		}
		cl, ok := classOf[v]
		if !ok {
			return nil, fmt.Errorf("%s: %w: label %q is not a value of any class in %s (%s); add it to a class's \"values\"",
				t.where(r.Line, labelCol), ErrFormat, v, s.sourceName(), describeClasses(classNames, spec.ClassValues))
		}
		labels[i] = cl
		if groupCol >= 0 {
			v, err := value(r, groupCol, "group column")
			if err != nil {
				return nil, err
			}
			if thresholds != nil {
				x, err := decimalRat(v)
				if err != nil {
					return nil, fmt.Errorf("%s: %w: %q %v (the group thresholds need numbers)", t.where(r.Line, groupCol), ErrFormat, v, err)
				}
				g := 0
				for g < len(thresholds) && x.Cmp(thresholds[g]) >= 0 {
					g++
				}
				groups[i] = g
			} else {
				g, ok := groupOf[v]
				if !ok {
					return nil, fmt.Errorf("%s: %w: value %q maps to no group of %s (%s); add it to a group's \"values\"",
						t.where(r.Line, groupCol), ErrFormat, v, s.sourceName(), describeClasses(groupNames, spec.GroupValues))
				}
				groups[i] = g
			}
		}
		x := flat[i*numFeatures : (i+1)*numFeatures : (i+1)*numFeatures]
		k := 0
		for fi, f := range feats {
			v, err := value(r, f.col, "feature column")
			if err != nil {
				return nil, err
			}
			if f.onehot != nil {
				c, ok := f.onehot[v]
				if !ok {
					return nil, fmt.Errorf("%s: %w: unknown category %q; the schema lists %s for this one-hot feature: add it to \"categories\" (which changes the feature count and the digest)",
						t.where(r.Line, f.col), ErrFormat, v, strings.Join(quoteAll(spec.Columns[fi].Categories), ", "))
				}
				x[k+c] = one
				k += len(f.onehot)
				continue
			}
			q, err := decimalRat(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %w: %q %v", t.where(r.Line, f.col), ErrFormat, v, err)
			}
			q.Sub(q, f.sub).Quo(q, f.div)
			if x[k], err = roundScaled(q, spec.ScaleBits); err != nil {
				return nil, fmt.Errorf("%s: %w: %q %v", t.where(r.Line, f.col), ErrFormat, v, err)
			}
			k++
		}
		xs[i] = x
	}
	count := make([]int, len(classNames))
	for _, l := range labels {
		count[l]++
	}
	for c, k := range count {
		if k == 0 {
			return nil, fmt.Errorf("%s: %w: class %q never occurs in the label column %q (values %s); remove it from %s or check the label values",
				t.source, ErrFormat, classNames[c], s.Label.Column, strings.Join(quoteAll(spec.ClassValues[c]), ", "), s.sourceName())
		}
	}

	// Split.
	keep, err := s.splitRows(n, split, t.source)
	if err != nil {
		return nil, err
	}
	b := &Benchmark{
		Name:        s.Name,
		Split:       split,
		NumFeatures: numFeatures,
		InputScale:  one,
		ClassNames:  classNames,
		X:           make([][]int64, 0, len(keep)),
		Labels:      make([]int, 0, len(keep)),
		Spec:        spec,
	}
	if groupCol >= 0 {
		b.GroupAttribute = s.Group.Attribute
		b.GroupNames = groupNames
		b.Groups = make([]int, 0, len(keep))
	}
	for _, i := range keep {
		b.X = append(b.X, xs[i])
		b.Labels = append(b.Labels, labels[i])
		if groupCol >= 0 {
			b.Groups = append(b.Groups, groups[i])
		}
	}
	which := fmt.Sprintf("split %q", split)
	if s.Split == nil {
		which = "the file"
	}
	count = make([]int, len(classNames))
	for _, l := range b.Labels {
		count[l]++
	}
	for c, k := range count {
		if k == 0 {
			return nil, fmt.Errorf("%s: %w: class %q never occurs in %s (%d rows); per-class metrics need every class: change the split in %s",
				t.source, ErrFormat, classNames[c], which, b.Len(), s.sourceName())
		}
	}
	if groupCol >= 0 {
		gc := make([]int, len(groupNames))
		for _, g := range b.Groups {
			gc[g]++
		}
		for g, k := range gc {
			if k == 0 {
				return nil, fmt.Errorf("%s: %w: group %q of %s never occurs in %s (%d rows); group metrics need every group: change the groups or the split in %s",
					t.source, ErrFormat, groupNames[g], s.Group.Attribute, which, b.Len(), s.sourceName())
			}
		}
	}
	if err := b.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", t.source, err)
	}
	return b, nil
}

func (s *Schema) sourceName() string {
	if s.source == "" {
		return "the schema"
	}
	return s.source
}

func describeClasses(names []string, values [][]string) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s: %s", n, strings.Join(quoteAll(values[i]), ", "))
	}
	return strings.Join(parts, "; ")
}

// splitRows returns the 0-based indices, in file order, of the rows of the
// named split.
func (s *Schema) splitRows(n int, split, source string) ([]int, error) {
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	sp := s.Split
	if sp == nil {
		return all, nil
	}
	if sp.Test >= n {
		return nil, s.errorf("split.test", "%d test rows, but %s has only %d data rows; leave some for training", sp.Test, source, n)
	}
	test := make([]bool, n)
	switch sp.Method {
	case "tail":
		for i := n - sp.Test; i < n; i++ {
			test[i] = true
		}
	case "hash":
		for _, i := range HashSplitOrder(sp.Seed, n)[:sp.Test] {
			test[i] = true
		}
	}
	var out []int
	for i := range n {
		if test[i] == (split == SplitTest) {
			out = append(out, i)
		}
	}
	return out, nil
}

// HashSplitOrder returns the row indices 0..n-1 ordered by the SHA-256 of
// seed + "/" + the index in decimal (UTF-8), compared as big-endian byte
// strings (ties, which SHA-256 makes practically impossible, by index).
// The hash split's test rows are the first Test of this order.
func HashSplitOrder(seed string, n int) []int {
	keys := make([][32]byte, n)
	idx := make([]int, n)
	for i := range n {
		keys[i] = sha256.Sum256([]byte(fmt.Sprintf("%s/%d", seed, i)))
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		return bytes.Compare(keys[idx[a]][:], keys[idx[b]][:]) < 0
	})
	return idx
}
