package benchmark

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// ARFFType is the type of an ARFF attribute.
type ARFFType uint8

const (
	// ARFFNumeric is the type "numeric", "integer" or "real": values are
	// decimal numbers.
	ARFFNumeric ARFFType = iota + 1
	// ARFFNominal is a list of values in braces, e.g. {good, bad}.
	ARFFNominal
	// ARFFString is the type "string": any text.
	ARFFString
	// ARFFDate is the type "date", with an optional format; values are kept
	// as text.
	ARFFDate
)

// String returns the ARFF keyword of the type ("numeric", "nominal",
// "string" or "date").
func (t ARFFType) String() string {
	switch t {
	case ARFFNumeric:
		return "numeric"
	case ARFFNominal:
		return "nominal"
	case ARFFString:
		return "string"
	case ARFFDate:
		return "date"
	}
	return fmt.Sprintf("ARFFType(%d)", uint8(t))
}

// ARFFAttribute is one @attribute declaration.
type ARFFAttribute struct {
	// Name is the attribute name, unquoted.
	Name string
	// Type is the attribute type.
	Type ARFFType
	// Values lists a nominal attribute's values in declared order,
	// unquoted; nil for other types.
	Values []string
	// DateFormat is a date attribute's format, if given.
	DateFormat string
	// Line is the 1-based line of the declaration.
	Line int
}

// ARFFInstance is one data row.
type ARFFInstance struct {
	// Line is the 1-based line of the row.
	Line int
	// Values holds one value per attribute, unquoted, with escapes
	// resolved; "" where the value is missing.
	Values []string
	// Missing reports, per attribute, whether the value is missing (an
	// unquoted ?); nil when no value of the row is.
	Missing []bool
}

// ARFF is a parsed ARFF file: the relation name, the attributes in
// declared order and the data rows in file order.
type ARFF struct {
	Relation   string
	Attributes []ARFFAttribute
	Instances  []ARFFInstance
}

// maxARFFLine bounds the length of one line of an ARFF file, in bytes.
const maxARFFLine = 1 << 24

// ParseARFF reads an ARFF file (Attribute-Relation File Format, the format
// of the Weka workbench; specification:
// https://waikato.github.io/weka-wiki/formats_and_processing/arff_stable/).
//
// The header is a @relation declaration, then one or more @attribute
// declarations, then @data; keywords are case-insensitive. Attribute types
// are numeric, integer and real (all read as decimal numbers), nominal
// ({v1, v2, ...}), string and date [format]. Names and values may be quoted
// with ' or "; quoted text may use the escapes \\ \' \" \% \t \n \r. A %
// outside quotes starts a comment that runs to the end of the line; blank
// lines are ignored. Each data line holds one comma-separated value per
// attribute; an unquoted ? is a missing value. The input is UTF-8; a
// leading byte order mark and carriage returns before line feeds are
// ignored.
//
// Not supported, and reported as such: relational attributes, sparse
// instances ({index value, ...}) and instance weights ({w} after the
// values). Values that contain spaces, commas, quotes, braces or % must be
// quoted.
//
// Errors wrap ErrFormat and name source, the 1-based line and, for a data
// value, the attribute (number and name); they say what was found and what
// the format expects: a bad or repeated @attribute, a value that is not
// one of its nominal attribute's declared values, a non-numeric value of a
// numeric attribute, a row with too few or too many values, an unterminated
// quote, or a file that ends before @data (a truncated file).
func ParseARFF(r io.Reader, source string) (*ARFF, error) {
	br := bufio.NewReader(r)
	if bom, _ := br.Peek(3); string(bom) == "\uFEFF" {
		_, _ = br.Discard(3)
	}
	p := &arffParser{source: source}
	out := &ARFF{}
	names := map[string]int{}
	inData := false
	sawRelation := false
	for {
		line, err := br.ReadString('\n')
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("%s: reading ARFF: %w", source, err)
		}
		if line == "" && err == io.EOF {
			break
		}
		p.line++
		if len(line) > maxARFFLine {
			return nil, p.errorf("the line is longer than %d bytes", maxARFFLine)
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if !utf8.ValidString(line) {
			return nil, p.errorf("the line is not valid UTF-8; ARFF files are read as UTF-8")
		}
		toks, terr := p.tokenize(line)
		if terr != nil {
			return nil, terr
		}
		if len(toks) > 0 {
			if inData {
				inst, ierr := p.instance(toks, out.Attributes)
				if ierr != nil {
					if err == io.EOF {
						ierr = fmt.Errorf("%w; this is the last line and it has no line break, so the file looks truncated", ierr)
					}
					return nil, ierr
				}
				out.Instances = append(out.Instances, inst)
			} else {
				kw := toks[0]
				if kw.kind != tokWord || !strings.HasPrefix(kw.text, "@") {
					return nil, p.errorf("found %s before @data; the header holds @relation, @attribute and @data declarations", kw.describe())
				}
				switch strings.ToLower(kw.text) {
				case "@relation":
					if sawRelation {
						return nil, p.errorf("a second @relation; an ARFF file declares one relation")
					}
					if len(out.Attributes) > 0 {
						return nil, p.errorf("@relation after @attribute; @relation comes first")
					}
					if len(toks) != 2 || !toks[1].isValue() {
						return nil, p.errorf("@relation needs exactly one name (quote a name that contains spaces)")
					}
					out.Relation = toks[1].text
					sawRelation = true
				case "@attribute":
					if !sawRelation {
						return nil, p.errorf("@attribute before @relation; an ARFF file starts with @relation NAME")
					}
					a, aerr := p.attribute(toks)
					if aerr != nil {
						return nil, aerr
					}
					if l, dup := names[a.Name]; dup {
						return nil, p.errorf("@attribute %q repeats the attribute declared at line %d; attribute names must be distinct", a.Name, l)
					}
					names[a.Name] = a.Line
					out.Attributes = append(out.Attributes, a)
				case "@data":
					if len(toks) != 1 {
						return nil, p.errorf("unexpected %s after @data; data rows start on the next line", toks[1].describe())
					}
					if len(out.Attributes) == 0 {
						if !sawRelation {
							return nil, p.errorf("@data before @relation; an ARFF file starts with @relation NAME, then @attribute declarations")
						}
						return nil, p.errorf("@data with no @attribute before it; declare the attributes first")
					}
					inData = true
				case "@end":
					return nil, p.errorf("@end outside a relational attribute; relational attributes are not supported")
				default:
					return nil, p.errorf("unknown declaration %s; the header holds @relation, @attribute and @data", kw.text)
				}
			}
		}
		if err == io.EOF {
			break
		}
	}
	if !inData {
		what := "no @relation"
		if sawRelation {
			what = fmt.Sprintf("%d @attribute declarations but no @data line", len(out.Attributes))
		}
		return nil, fmt.Errorf("%s: %w: the file ends after %d lines with %s; an ARFF file needs @relation, @attribute declarations and @data (is the file truncated?)",
			source, ErrFormat, p.line, what)
	}
	return out, nil
}

type tokKind uint8

const (
	tokWord tokKind = iota + 1
	tokQuoted
	tokComma
	tokLBrace
	tokRBrace
)

type token struct {
	kind tokKind
	text string
}

func (t token) isValue() bool { return t.kind == tokWord || t.kind == tokQuoted }

func (t token) describe() string {
	switch t.kind {
	case tokComma:
		return "','"
	case tokLBrace:
		return "'{'"
	case tokRBrace:
		return "'}'"
	case tokQuoted:
		return fmt.Sprintf("the quoted text %q", t.text)
	}
	return fmt.Sprintf("%q", t.text)
}

type arffParser struct {
	source string
	line   int
}

func (p *arffParser) errorf(format string, args ...any) error {
	return fmt.Errorf("%s: line %d: %w: %s", p.source, p.line, ErrFormat, fmt.Sprintf(format, args...))
}

// tokenize splits a line into words, quoted strings, commas and braces,
// dropping whitespace and a % comment.
func (p *arffParser) tokenize(line string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(line) {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\f' || c == '\v' || c == '\r':
			i++
		case c == '%':
			return toks, nil
		case c == ',':
			toks = append(toks, token{tokComma, ","})
			i++
		case c == '{':
			toks = append(toks, token{tokLBrace, "{"})
			i++
		case c == '}':
			toks = append(toks, token{tokRBrace, "}"})
			i++
		case c == '\'' || c == '"':
			var sb strings.Builder
			j := i + 1
			closed := false
			for j < len(line) {
				d := line[j]
				if d == c {
					closed = true
					j++
					break
				}
				if d == '\\' && j+1 < len(line) {
					switch e := line[j+1]; e {
					case '\\', '\'', '"', '%':
						sb.WriteByte(e)
					case 't':
						sb.WriteByte('\t')
					case 'n':
						sb.WriteByte('\n')
					case 'r':
						sb.WriteByte('\r')
					default:
						sb.WriteByte('\\')
						sb.WriteByte(e)
					}
					j += 2
					continue
				}
				sb.WriteByte(d)
				j++
			}
			if !closed {
				return nil, p.errorf("unterminated quote: the text starting at column %d has no closing %c on this line (is the file truncated?)", i+1, c)
			}
			toks = append(toks, token{tokQuoted, sb.String()})
			i = j
		default:
			j := i
			for j < len(line) && !strings.ContainsRune(" \t\f\v\r%,{}", rune(line[j])) {
				if line[j] == '\'' || line[j] == '"' {
					return nil, p.errorf("a quote in the middle of the value starting at column %d; quote the whole value, as in '%s'", i+1, line[i:j])
				}
				j++
			}
			toks = append(toks, token{tokWord, line[i:j]})
			i = j
		}
	}
	return toks, nil
}

// attribute parses "@attribute NAME TYPE".
func (p *arffParser) attribute(toks []token) (ARFFAttribute, error) {
	a := ARFFAttribute{Line: p.line}
	if len(toks) < 2 || !toks[1].isValue() {
		return a, p.errorf("@attribute needs a name and a type, as in @attribute age numeric or @attribute class {good, bad}")
	}
	a.Name = toks[1].text
	if a.Name == "" {
		return a, p.errorf("@attribute with an empty name")
	}
	if len(toks) < 3 {
		return a, p.errorf("@attribute %q has no type; give numeric, integer, real, string, date or a list of values in braces", a.Name)
	}
	t := toks[2]
	rest := toks[3:]
	if t.kind == tokLBrace {
		a.Type = ARFFNominal
		seen := map[string]bool{}
		want := true // a value is expected next
		closed := false
		for k, tk := range rest {
			switch {
			case tk.kind == tokRBrace && !want:
				if k != len(rest)-1 {
					return a, p.errorf("@attribute %q: unexpected %s after the closing brace", a.Name, rest[k+1].describe())
				}
				closed = true
			case tk.kind == tokComma && !want:
				want = true
			case tk.isValue() && want:
				if tk.text == "" {
					return a, p.errorf("@attribute %q: an empty nominal value", a.Name)
				}
				if seen[tk.text] {
					return a, p.errorf("@attribute %q: the nominal value %q is declared twice", a.Name, tk.text)
				}
				seen[tk.text] = true
				a.Values = append(a.Values, tk.text)
				want = false
			case tk.kind == tokRBrace && len(a.Values) == 0:
				return a, p.errorf("@attribute %q: an empty list of nominal values {}; list at least one value", a.Name)
			default:
				return a, p.errorf("@attribute %q: unexpected %s in the list of nominal values; write {value1, value2, ...} and quote values that contain spaces or commas", a.Name, tk.describe())
			}
			if closed {
				break
			}
		}
		if !closed {
			return a, p.errorf("@attribute %q: the list of nominal values has no closing brace on this line", a.Name)
		}
		return a, nil
	}
	if t.kind != tokWord {
		return a, p.errorf("@attribute %q: %s is not a type; give numeric, integer, real, string, date or a list of values in braces", a.Name, t.describe())
	}
	switch strings.ToLower(t.text) {
	case "numeric", "integer", "real":
		a.Type = ARFFNumeric
	case "string":
		a.Type = ARFFString
	case "date":
		a.Type = ARFFDate
		if len(rest) > 0 && rest[0].isValue() {
			a.DateFormat = rest[0].text
			rest = rest[1:]
		}
	case "relational":
		return a, p.errorf("@attribute %q: relational attributes are not supported; flatten the relation into ordinary attributes", a.Name)
	default:
		return a, p.errorf("@attribute %q: unknown type %q; give numeric, integer, real, string, date or a list of values in braces (quote a name that contains spaces)", a.Name, t.text)
	}
	if len(rest) > 0 {
		return a, p.errorf("@attribute %q: unexpected %s after the type %s", a.Name, rest[0].describe(), t.text)
	}
	return a, nil
}

// instance parses one dense data row.
func (p *arffParser) instance(toks []token, attrs []ARFFAttribute) (ARFFInstance, error) {
	inst := ARFFInstance{Line: p.line, Values: make([]string, 0, len(attrs))}
	if toks[0].kind == tokLBrace {
		return inst, p.errorf("a sparse instance ({index value, ...}); sparse ARFF is not supported: write the row in dense form, one value per attribute")
	}
	var vals []token
	want := true
	for _, tk := range toks {
		switch {
		case tk.kind == tokComma && want:
			return inst, p.errorf("an empty value for attribute %s; write ? for a missing value", p.attrName(attrs, len(vals)))
		case tk.kind == tokComma:
			want = true
		case tk.isValue() && want:
			vals = append(vals, tk)
			want = false
		case tk.kind == tokLBrace && len(vals) == len(attrs):
			return inst, p.errorf("an instance weight ({weight} after the values); weighted instances are not supported")
		case tk.isValue():
			return inst, p.errorf("%s follows the value of attribute %s without a comma; quote values that contain spaces", tk.describe(), p.attrName(attrs, len(vals)-1))
		default:
			return inst, p.errorf("unexpected %s in a data row; quote values that contain braces", tk.describe())
		}
	}
	if want {
		return inst, p.errorf("the row ends with a comma; %d attributes are declared, so a row holds %d comma-separated values", len(attrs), len(attrs))
	}
	if len(vals) != len(attrs) {
		return inst, p.errorf("%d values, but the header declares %d attributes; each data row holds one value per attribute, in declared order (is the row cut short?)", len(vals), len(attrs))
	}
	for k, v := range vals {
		a := &attrs[k]
		if v.kind == tokWord && v.text == "?" {
			if inst.Missing == nil {
				inst.Missing = make([]bool, len(attrs))
			}
			inst.Missing[k] = true
			inst.Values = append(inst.Values, "")
			continue
		}
		switch a.Type {
		case ARFFNominal:
			if !slices.Contains(a.Values, v.text) {
				return inst, p.errorf("attribute %s: %q is not one of the values declared at line %d (%s); add it to the declaration or fix the value",
					p.attrName(attrs, k), v.text, a.Line, strings.Join(quoteAll(a.Values), ", "))
			}
		case ARFFNumeric:
			if _, err := decimalRat(v.text); err != nil {
				return inst, p.errorf("attribute %s is numeric, but %q %v", p.attrName(attrs, k), v.text, err)
			}
		}
		inst.Values = append(inst.Values, v.text)
	}
	return inst, nil
}

// attrName returns `N (name)` for the attribute with 0-based index k.
func (p *arffParser) attrName(attrs []ARFFAttribute, k int) string {
	if k < 0 || k >= len(attrs) {
		return fmt.Sprintf("%d", k+1)
	}
	return fmt.Sprintf("%d (%s)", k+1, attrs[k].Name)
}
