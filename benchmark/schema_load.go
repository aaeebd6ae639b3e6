package benchmark

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"fmt"
	"io"
	"math/big"
	"slices"
	"sort"
	"strings"
)

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
