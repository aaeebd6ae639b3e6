package benchmark

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
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
